"""What a notebook page needs to read well on any screen and any machine.

- :func:`font_html`: the CJK font subset (``qanalysis.fonts.html_font_css``) for
  every Chinese character the notebooks, the library and the data can show,
  embedded as a data URL. Displayed once at the top of a notebook (or the
  ``qanalysis explore`` page) it makes headings, widget labels, dropdown
  options and tables read on a machine without any CJK system font, with
  nothing fetched.
- :func:`figure_png` / :func:`show_figure`: a chart drawn at a screen size
  (not the 13.3-inch slide it is designed for) so its text stays legible when
  the notebook shows it at the width of the page.
"""
from __future__ import annotations

import functools
import io

from .. import config

# A chart on screen: 9.5 × 5.2 in at 96 dpi is 912 × 499 px; a 1366-px-wide
# notebook shows it at ~65–100 % beside a table, so 13-pt ticks stay ≥ 11 px.
SCREEN_SIZE = (9.5, 5.2)
SCREEN_DPI = 96

# Elements the browser draws with its own font unless told otherwise.
_WIDGET_FONT_CSS = (
    "select,option,input,textarea,button,.jupyter-widgets,.widget-label,.widget-html-content,"
    ".jp-RenderedHTMLCommon,.jp-RenderedMarkdown,.qa-explorer{font-family:var(--jp-ui-font-family);}\n"
)


def _page_text(extra: str = "") -> str:
    """Every text the pages can show: data labels, the library's strings, the notebooks."""
    parts = [extra]
    for path in sorted(config.PACKAGE_DIR.rglob("*.py")):
        parts.append(path.read_text(encoding="utf-8"))
    if config.NOTEBOOKS_DIR.is_dir():
        for path in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
            parts.append(path.read_text(encoding="utf-8"))
    try:
        from ..reports.notebook import load_assessment  # data and assessment only when asked

        data, assessment = load_assessment()
        t = assessment.table
        for col in ("name_zh", "category", "unit", "region_name", "status_zh", "status_reason",
                    "progress_category_zh"):
            if col in t:
                parts.extend(str(v) for v in t[col].dropna().unique())
        if "labels" in data.catalogue:
            parts.extend(str(v) for v in data.catalogue["labels"].dropna().unique())
    except Exception:  # no prepared data yet: the labels of the library still go in
        pass
    return "\n".join(parts)


@functools.lru_cache(maxsize=8)
def font_html(extra: str = "") -> str:
    """``<style>`` with the embedded CJK subset and the rules that make widgets use it."""
    from ..charts.fonts import html_font_css  # the font file is read only when a page needs it

    css = html_font_css(_page_text(extra))
    return css.replace("</style>", _WIDGET_FONT_CSS + "</style>", 1)


def show_font(extra: str = "") -> None:
    """Display :func:`font_html` in the running notebook (once, at the top)."""
    # IPython only inside a notebook kernel (a light process never loads it)
    from IPython.display import HTML, display

    display(HTML(font_html(extra)))


def figure_png(fig, size: tuple[float, float] | None = SCREEN_SIZE, dpi: int = SCREEN_DPI) -> bytes:
    """``fig`` as PNG bytes drawn at ``size`` inches (its note re-wrapped to the new width); closes it."""
    from ..charts import export  # matplotlib only when a chart is drawn

    try:
        if size is not None:
            export.resize(fig, size)  # the chart's own margins for note and stamp
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()
    finally:
        export.close(fig)


def show_figure(fig, size: tuple[float, float] | None = SCREEN_SIZE, dpi: int = SCREEN_DPI) -> None:
    """Display ``fig`` in a notebook at a screen size (see :func:`figure_png`)."""
    # IPython only inside a notebook kernel (a light process never loads it)
    from IPython.display import Image, display

    display(Image(data=figure_png(fig, size, dpi), format="png"))
