"""Chinese renders on a machine with no CJK font installed: every name in the plan, no tofu."""
from __future__ import annotations

import io
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402

from qanalysis import config
from qanalysis.charts import fonts
from qanalysis.analysis import status  # noqa: E402
from qanalysis.errors import QAnalysisError  # noqa: E402

GLYPH_MISSING = r".*[Gg]lyph.*missing from font.*"


def _catalogue_strings() -> set[str]:
    """Every indicator name and wording, unit, category and region name of the plan."""
    try:
        import qanalysis

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = qanalysis.load()
        cat, regions = data.catalogue, data.regions
    except Exception:  # load() not usable: read the plan's raw files directly
        plan = config.plan_dir()
        cat = pd.read_csv(plan / "indicators.csv", dtype=str, keep_default_na=False)
        regions = pd.read_csv(plan / "regions.csv", dtype=str, keep_default_na=False)
    out: set[str] = set()
    for col in ("name_zh", "unit", "category"):
        out |= {str(v) for v in cat[col] if str(v)}
    for labels in cat.get("labels", []):
        out |= {x.strip() for x in str(labels).split("|") if x.strip()}
    out |= {str(v) for v in regions["name_zh"] if str(v)}
    out |= {s.zh for s in status.STATUSES.values()}
    return out


def _render(texts, fmt="png"):
    fig = Figure(figsize=(8, max(2, 0.25 * len(texts))))
    for i, t in enumerate(texts):
        fig.text(0.01, 1 - (i + 1) / (len(texts) + 1), t, fontsize=9)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=50)
    return buf.getvalue()


def test_font_is_a_cjk_font_and_not_simhei():
    family = fonts.use_cjk()
    path = fonts.cjk_font_file()
    assert "simhei" not in path.name.lower()
    font = FT2Font(str(path))
    assert all(font.get_char_index(ord(c)) for c in "温州质量强市规划指标")
    assert matplotlib.rcParams["font.sans-serif"][0] == family


def test_bundled_font_is_the_open_licence_noto():
    p = fonts.bundled_font_path()
    assert p is not None and p.name == "NotoSansCJKsc-Regular.otf" and p.is_file()


def test_falls_back_to_bundled_font_when_no_system_font(monkeypatch):
    monkeypatch.setattr(fonts, "SYSTEM_CANDIDATES", ())
    fonts.cjk_font.cache_clear()
    try:
        family = fonts.cjk_font()
        entries = [e for e in font_manager.fontManager.ttflist if e.name == family]
        assert any(Path(e.fname) == fonts.bundled_font_path() for e in entries)
    finally:
        fonts.cjk_font.cache_clear()


def test_clear_error_when_no_font_at_all(monkeypatch):
    monkeypatch.setattr(fonts, "_system_font", lambda: None)
    monkeypatch.setattr(fonts, "bundled_font_path", lambda: None)
    fonts.cjk_font.cache_clear()
    try:
        with pytest.raises(QAnalysisError, match="no Chinese font"):
            fonts.cjk_font()
    finally:
        fonts.cjk_font.cache_clear()


def test_use_cjk_is_idempotent():
    fonts.use_cjk()
    before = (list(matplotlib.rcParams["font.sans-serif"]), len(font_manager.fontManager.ttflist))
    fonts.use_cjk()
    fonts.use_cjk()
    after = (list(matplotlib.rcParams["font.sans-serif"]), len(font_manager.fontManager.ttflist))
    assert before == after
    assert matplotlib.rcParams["svg.fonttype"] == "path"


def test_every_name_in_the_catalogue_renders_without_missing_glyphs():
    fonts.use_cjk()
    texts = sorted(_catalogue_strings())
    assert len(texts) > 40  # not vacuous: the plan has ~55 indicators and 13 regions
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=GLYPH_MISSING)
        png = _render(texts, "png")
        _render(texts, "svg")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_glyph_detection_is_not_vacuous():
    fonts.use_cjk()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=GLYPH_MISSING)
        with pytest.raises(UserWarning, match="missing from font"):
            _render(["\U0001F600 \u0F00"])  # an emoji and a Tibetan sign: in neither font


def test_png_text_shows_glyphs_not_boxes():
    """A Chinese string draws ink that differs from the font's 'missing' box."""
    fonts.use_cjk()
    from PIL import Image

    def ink(text):
        fig = Figure(figsize=(3, 1))
        fig.text(0.05, 0.3, text, fontsize=30)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=50)
        return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L")) < 128

    a, b = ink("质量"), ink("强市")
    assert a.sum() > 50 and b.sum() > 50
    assert (a != b).sum() > 20  # different characters, different shapes: no tofu


def test_svg_has_outlines_not_font_references():
    fonts.use_cjk()
    svg = _render(["温州市质量强市“十四五”规划 ≥96%"], "svg")
    root = ET.fromstring(svg)
    tags = [el.tag.split("}")[-1] for el in root.iter()]
    assert "text" not in tags and tags.count("path") > 5


def test_html_font_css_embeds_every_chinese_character_of_the_page():
    """A report opened on a machine without CJK fonts must still show its Chinese."""
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    from qanalysis.charts.fonts import HTML_FONT_FAMILY, embed_html_font

    page = "<html><head><title>t</title></head><body><h1>鹿城区 · 指标监测报告</h1><p>已实现(目标年实测) abc</p></body></html>"
    out = embed_html_font(page)
    assert out.index("@font-face") < out.index("</head>")
    data = re.search(r"base64,([A-Za-z0-9+/=]+)", out).group(1)
    font = TTFont(io.BytesIO(base64.b64decode(data)))
    cmap = font.getBestCmap()
    wanted = {ord(c) for c in "鹿城区指标监测报告已实现目标年实测"}
    assert wanted <= set(cmap)
    assert len(cmap) < 200                      # a subset, not the 16 MB font
    assert f'font-family:"{HTML_FONT_FAMILY}"' in out.replace(" ", "")
