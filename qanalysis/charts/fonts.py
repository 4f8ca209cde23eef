"""A CJK font for matplotlib that works on any machine, with nothing fetched.

Order: a suitable Simplified-Chinese sans font already installed on the system
(found through matplotlib's font manager), else the Noto Sans CJK SC that the
declared dependency ``mplfonts`` ships (SIL Open Font Licence). mplfonts also
ships SimHei, whose licence is not open: it is never used.

``use_cjk()`` puts the font first in matplotlib's sans-serif list (DejaVu Sans
stays as a fallback for the few symbols a CJK font lacks) and asks for SVG text
as paths, so an exported SVG renders the same where the font is not installed.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import matplotlib
from matplotlib import font_manager

from ..errors import QAnalysisError

# Family names as matplotlib's font manager reports them, best first.
SYSTEM_CANDIDATES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Sarasa Gothic SC",
    "Droid Sans Fallback",
)

BUNDLED_FILE = "NotoSansCJKsc-Regular.otf"  # in mplfonts/fonts/, SIL OFL 1.1
FALLBACK_FAMILIES = ("DejaVu Sans",)

# Characters every candidate must draw; a font without them is not "suitable".
_PROBE = "温州质量强市规划指标目标值"


def bundled_font_path() -> Path | None:
    """Path of the Noto Sans CJK SC file inside the installed ``mplfonts``, if any.

    Located through the import system without importing mplfonts (its import
    registers nothing we need and costs time).
    """
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        p = Path(root) / "fonts" / BUNDLED_FILE
        if p.is_file():
            return p
    return None


def _draws_chinese(fname: str) -> bool:
    try:
        # matplotlib only when a chart is drawn (start-up speed)
        from matplotlib.ft2font import FT2Font

        font = FT2Font(fname)
        return all(font.get_char_index(ord(c)) for c in _PROBE)
    except Exception:  # an unreadable font file is simply not a candidate
        return False


def _system_font() -> str | None:
    by_name: dict[str, list[str]] = {}
    for entry in font_manager.fontManager.ttflist:
        by_name.setdefault(entry.name, []).append(entry.fname)
    for family in SYSTEM_CANDIDATES:
        for fname in by_name.get(family, []):
            if _draws_chinese(fname):
                return family
    return None


@functools.lru_cache(maxsize=1)
def cjk_font() -> str:
    """The family name of the CJK font charts use (registered with matplotlib).

    Raises :class:`QAnalysisError` with what to install when none is found.
    """
    family = _system_font()
    if family:
        return family
    path = bundled_font_path()
    if path is not None:
        font_manager.fontManager.addfont(str(path))
        for entry in font_manager.fontManager.ttflist:
            if Path(entry.fname) == path:
                return entry.name
    raise QAnalysisError(
        "no Chinese font found: install 'mplfonts' (declared dependency, ships Noto Sans CJK SC) "
        "or a system font such as Noto Sans CJK SC / Source Han Sans SC"
    )


@functools.lru_cache(maxsize=1)
def has_bold() -> bool:
    """Whether a bold face of the CJK family is installed (the bundled Noto has Regular only).

    Without one, matplotlib would log "Failed to find font weight bold" for every
    bold label and draw it regular anyway; charts then emphasise by size instead.
    """
    family = cjk_font()
    for entry in font_manager.fontManager.ttflist:
        if entry.name != family:
            continue
        w = entry.weight
        w = font_manager.weight_dict.get(w, 400) if isinstance(w, str) else int(w)
        if w >= 600:
            return True
    return False


def cjk_font_file() -> Path:
    """The file matplotlib will use for the CJK family."""
    return Path(font_manager.findfont(font_manager.FontProperties(family=cjk_font()),
                                      fallback_to_default=False))


_applied: tuple | None = None


def use_cjk() -> str:
    """Make matplotlib draw Chinese with :func:`cjk_font`; cheap and idempotent.

    Returns the family name. Sets ``font.family`` to sans-serif with the CJK
    font first, ``svg.fonttype = "path"`` (glyphs as outlines: the SVG needs no
    font on the reader's machine) and ``pdf.fonttype = 42``.
    """
    global _applied
    family = cjk_font()
    rc = matplotlib.rcParams
    state = (family, tuple(rc["font.sans-serif"]), tuple(rc["font.family"]), rc["svg.fonttype"])
    if state == _applied:
        return family
    sans = [family, *FALLBACK_FAMILIES]
    sans += [f for f in rc["font.sans-serif"] if f not in sans]
    rc["font.family"] = ["sans-serif"]
    rc["font.sans-serif"] = sans
    rc["svg.fonttype"] = "path"
    rc["pdf.fonttype"] = 42
    # Noto Sans CJK has U+2212 MINUS SIGN, so the typographic minus stays on.
    rc["axes.unicode_minus"] = True
    _applied = (family, tuple(rc["font.sans-serif"]), tuple(rc["font.family"]), rc["svg.fonttype"])
    return family


HTML_FONT_FAMILY = "qanalysis-cjk"


def html_font_css(text: str) -> str:
    """A ``<style>`` block that lets an HTML page show its Chinese on any machine.

    The page's own CJK characters are cut out of the bundled Noto Sans CJK SC
    (fontTools subsetting: ~60 KB for a county report) and embedded as a data
    URL, listed after the usual system CJK fonts — a reader's own font is used
    when there is one, nothing is fetched, and a browser on a machine without
    any CJK font still draws every character instead of empty boxes.
    """
    # stdlib, needed only on this path
    import base64
    import io

    # fontTools only when a font subset is embedded
    from fontTools import subset

    chars = sorted({ord(c) for c in text if ord(c) >= 0x2E80})
    path = bundled_font_path() or cjk_font_file()
    face = ""
    if chars and path and path.suffix.lower() in (".otf", ".ttf"):
        opts = subset.Options()
        opts.layout_features = []
        opts.hinting = False
        opts.name_IDs = ["*"]  # keep the licence and names (SIL OFL asks for them)
        opts.notdef_outline = True
        font = subset.load_font(str(path), opts)
        sub = subset.Subsetter(opts)
        sub.populate(unicodes=chars)
        sub.subset(font)
        buf = io.BytesIO()
        subset.save_font(font, buf, opts)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        # unicode-range: the embedded face serves CJK only; Latin text keeps the system font
        face = (f'@font-face{{font-family:"{HTML_FONT_FAMILY}";'
                f'src:url(data:font/otf;base64,{data}) format("opentype");'
                "unicode-range:U+2E80-9FFF,U+F900-FAFF,U+FE30-FE4F,U+FF00-FFEF;}\n")
    # First in the list: Chrome did not reliably fall through a list to a face named
    # last (some runs of Chinese showed empty boxes on a machine without CJK fonts).
    stack = (f'"{HTML_FONT_FAMILY}",system-ui,-apple-system,"Segoe UI","PingFang SC",'
             '"Microsoft YaHei","Noto Sans CJK SC",sans-serif')
    mono = f'"{HTML_FONT_FAMILY}",ui-monospace,SFMono-Regular,Menlo,Consolas,monospace'
    return ("<style>\n" + face
            + f":root{{--jp-content-font-family:{stack};--jp-ui-font-family:{stack};"
              f"--jp-code-font-family:{mono};}}\n"
            + f"body,h1,h2,h3,h4,h5,h6,p,li,table,th,td,blockquote{{font-family:{stack};}}\n</style>\n")


def embed_html_font(html: str) -> str:
    """``html`` with :func:`html_font_css` for its own characters placed at the end of <head>."""
    css = html_font_css(html)
    i = html.find("</head>")
    return html[:i] + css + html[i:] if i >= 0 else css + html
