"""Charts for the briefing documents: each drawn once, at the size it is shown, kept as PNG.

A :class:`ChartProvider` belongs to one assessment. Ask it for a chart and it
draws the figure (with :mod:`qanalysis.charts.plots`), renders it once as PNG and
keeps the bytes; the report notebook (and so its HTML page), the Word report
and the deck of the same report ask again and get the same bytes. ``drawn``
counts the renders, so "once" can be checked. Region-independent charts
(heatmap pages, 表1) can be kept in a ``shared`` dict that outlives one report.

Sizes are chosen so one image serves every document:

- a trajectory is drawn 9 × 5.06 in (16:9): the Word page shows it 6.1 in wide
  (type scaled to ~0.68: ticks ≈ 9 pt, the data note ≈ 7.5 pt); a slide shows it
  about 10.5 in wide (scaled up);
- slide charts (small multiples, 表1 review) are drawn for the content area of a
  16:9 slide under its title, 12.3 × 6.2 in; the heatmap pages (one a category,
  :func:`qanalysis.charts.heatmap.heatmap`) at the slide size that chart picks;
  the Word report shows them on a landscape page 9.6 in wide.
"""
from __future__ import annotations

import dataclasses
import io
import math
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np
from matplotlib.figure import Figure

from ..charts import export, plots
from ..charts.frame import frame_state
from ..charts.heatmap import _indicator_order, heatmap
from ..errors import QAnalysisError

TRAJECTORY_SIZE = (9.0, 5.0625)
SLIDE_CHART_SIZE = (12.3, 6.2)
DPI = 160
SMALL_MULTIPLES_PER_PAGE = 12   # 4 × 3 panels: the most a slide shows legibly
HEATMAP_ROWS_PER_PAGE = 20   # indicator rows a heatmap slide holds legibly
SHARED_KINDS = ("heatmap", "review")   # charts that do not depend on the region


@dataclass(frozen=True)
class ChartImage:
    """One rendered chart: PNG bytes, the size it was drawn at, whether it shows 示例数据."""

    png: bytes
    width_in: float
    height_in: float
    illustrative: bool
    title: str

    @property
    def aspect(self) -> float:
        return self.height_in / self.width_in


def render_png(fig: Figure, dpi: int = DPI) -> bytes:
    """Render ``fig`` once with Agg as a 256-colour PNG and close it.

    A chart has few colours: the palette image looks the same as RGB and is about
    a third of its size (a county's HTML page, Word report and deck shrink alike),
    and quantizing without dithering costs less than compressing the RGB pixels.
    """
    # matplotlib/PIL pieces only when a chart is drawn (start-up speed)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    try:
        canvas = FigureCanvasAgg(fig)
        fig.dpi = dpi
        canvas.draw()
        img = Image.fromarray(np.asarray(canvas.buffer_rgba()), "RGBA").convert("RGB")
        img = img.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        out = io.BytesIO()
        img.save(out, format="png", compress_level=6, dpi=(dpi, dpi))
        return out.getvalue()
    finally:
        export.close(fig)


def resize(fig: Figure, size: tuple[float, float]) -> Figure:
    """Give a drawn chart a new size, keeping its note and stamp margins in inches."""
    export.resize(fig, size)
    return fig


def _parts(items: list, per_page: int) -> list[list]:
    """Split ``items`` into the fewest pages of at most ``per_page``, sizes balanced."""
    if not items:
        return []
    n = math.ceil(len(items) / per_page)
    size = math.ceil(len(items) / n)
    return [items[i:i + size] for i in range(0, len(items), size)]


class ChartProvider:
    """Draw and render each chart of one assessment once; hand out the PNG bytes."""

    def __init__(self, assessment, lang: str = "zh", dpi: int = DPI, review_table=None,
                 shared: dict | None = None):
        self.assessment = assessment
        self.lang = lang
        self.dpi = dpi
        self._review_table = review_table
        self._cache: dict[tuple, object] = {}
        # Region-independent charts (heatmap pages, 表1) may live in a dict shared by the
        # providers of one assessment: a warm report kernel draws them once for all its reports.
        self._shared: dict[tuple, object] = shared if shared is not None else self._cache
        self.drawn: Counter = Counter()   # renders by chart kind
        self.seconds = 0.0                # time spent drawing and rendering

    # ------------------------------------------------------------ plumbing
    def _image(self, key: tuple, draw: Callable[[], tuple[Figure, str]]) -> ChartImage:
        cache = self._shared if key[0] in SHARED_KINDS else self._cache
        hit = cache.get(key)
        if hit is not None:
            return hit
        t0 = time.perf_counter()
        fig, title = draw()
        size = tuple(float(v) for v in fig.get_size_inches())
        state = frame_state(fig)
        illustrative = bool(state is not None and state.stamped)
        png = render_png(fig, self.dpi)
        self.seconds += time.perf_counter() - t0
        self.drawn[key[0]] += 1
        img = ChartImage(png, size[0], size[1], illustrative, title)
        cache[key] = img
        return img

    def _subset(self, mask) -> object:
        return dataclasses.replace(self.assessment, table=self.assessment.table[mask])

    # ------------------------------------------------------------ charts
    def trajectory(self, region: str, indicator: str) -> ChartImage:
        """One indicator in one region (see :func:`qanalysis.charts.plots.trajectory`)."""
        region, indicator = str(region), str(indicator)

        def draw():
            fig = plots.trajectory(self.assessment, region, indicator, self.lang)
            t = self.assessment.table
            name = t.loc[(t["region"] == region) & (t["indicator"] == indicator), "name_zh"]
            return resize(fig, TRAJECTORY_SIZE), str(name.iloc[0]) if len(name) else indicator

        return self._image(("trajectory", region, indicator), draw)

    def small_multiples(self, region: str, category: str) -> list[ChartImage]:
        """A category's indicators as mini trajectories, ≤ 12 a page (a long category on several)."""
        region, category = str(region), str(category)
        t = self.assessment.table
        pages = self.small_multiples_pages(region, category)
        out = []
        for k, page in enumerate(pages, start=1):
            def draw(page=page, k=k):
                sub = self._subset(t["indicator"].isin(page))
                fig = plots.small_multiples(sub, region, category, self.lang)
                title = fig.get_suptitle()
                if len(pages) > 1:
                    title = f"{title}（{k}/{len(pages)}）"
                    fig._suptitle.set_text(title)
                return resize(fig, SLIDE_CHART_SIZE), title

            out.append(self._image(("small_multiples", region, category, k, len(pages)), draw))
        return out

    def small_multiples_pages(self, region: str, category: str) -> list[list[str]]:
        """The indicators each page of :meth:`small_multiples` shows, in order."""
        t = self.assessment.table
        ids = list(t.loc[(t["region"] == str(region)) & (t["category"] == str(category)), "indicator"])
        if not ids:
            raise QAnalysisError(f"no indicators of category {category!r} for region {region!r}")
        return _parts([str(i) for i in ids], SMALL_MULTIPLES_PER_PAGE)

    def heatmap_pages(self) -> list[ChartImage]:
        """Every region × indicator, a category a page (short neighbours together, ≤ 20 rows):
        indicators as rows with full names, regions as columns, P(attain) in the cells
        (:func:`qanalysis.charts.heatmap.heatmap` with ``category``, drawn for a slide).
        The same for every region of the assessment."""
        ids = _indicator_order(self.assessment)
        meta = self.assessment.table.drop_duplicates("indicator").set_index("indicator")
        sizes = Counter(str(meta.loc[i, "category"]) for i in ids)
        # a page a category; short categories share one (a one-row heatmap slide says too little)
        pages: list[list[str]] = []
        for cat, n in sizes.items():
            if pages and sum(sizes[c] for c in pages[-1]) + n <= HEATMAP_ROWS_PER_PAGE:
                pages[-1].append(cat)
            else:
                pages.append([cat])
        out = []
        for page in pages:
            def draw(page=page):
                # after the period there is no probability: the verdicts (docs/evaluation.md)
                value = "status" if "period_over" in self.assessment.table and \
                    bool(self.assessment.table["period_over"].any()) else "p_attain"
                fig = heatmap(self.assessment, value, self.lang, category=page)
                return fig, fig.get_suptitle()

            out.append(self._image(("heatmap", *page), draw))
        return out

    def review(self) -> ChartImage | None:
        """The previous plan's 表1 review, drawn for a slide; None when the plan has no 表1."""
        table = self.review_table()
        if table is None or not len(table):
            return None

        def draw():
            fig = plots.review(table, self.lang)
            return resize(fig, SLIDE_CHART_SIZE), "“十三五”规划指标完成情况"

        return self._image(("review",), draw)

    def review_table(self):
        if self._review_table is None:
            self._review_table = plots._review_table(self.assessment)
        return self._review_table
