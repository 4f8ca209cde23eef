"""Charts for the briefing documents: each drawn once, at the size it is shown, kept as PNG.

A :class:`ChartProvider` belongs to one assessment. Ask it for a chart and it
draws the figure (with :mod:`qanalysis.charts.plots`), renders it once as PNG and
keeps the bytes; the Word report, the deck and (later) the notebook and the
HTML page of the same report ask again and get the same bytes. ``drawn``
counts the renders, so "once" can be checked.

Sizes are chosen so one image serves every document:

- a trajectory is drawn 9 × 5.06 in (16:9): the Word page shows it 6.1 in wide
  (type scaled to ~0.68: ticks ≈ 9 pt, the data note ≈ 7.5 pt); a slide shows it
  about 10.5 in wide (scaled up);
- slide charts (small multiples, heatmap pages, 表1 review) are drawn for the
  content area of a 16:9 slide under its title, 12.3 × 6.2 in; the Word report
  shows the heatmap pages on a landscape page 9.6 in wide.
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
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..charts import export, plots, theme
from ..charts.frame import _finish, _new_figure, _status_mix, frame_state
from ..charts.heatmap import _indicator_order, _region_order
from ..charts.text import _category_label, _isnum, _name, _region_name, _tx
from ..errors import QAnalysisError
from ..analysis.status import STATUS_ORDER
from ..analysis.status import colour as status_colour
from ..analysis.status import label as status_label

TRAJECTORY_SIZE = (9.0, 5.0625)
SLIDE_CHART_SIZE = (12.3, 6.2)
DPI = 160
SMALL_MULTIPLES_PER_PAGE = 12   # 4 × 3 panels: the most a slide shows legibly
HEATMAP_ROWS_PER_PAGE = 24      # indicator rows plus category header rows


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
    """Render ``fig`` once with Agg as RGB PNG and close it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    try:
        canvas = FigureCanvasAgg(fig)
        fig.dpi = dpi
        canvas.draw()
        img = Image.fromarray(np.asarray(canvas.buffer_rgba()), "RGBA").convert("RGB")
        out = io.BytesIO()
        img.save(out, format="png", compress_level=3, dpi=(dpi, dpi))
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

    def __init__(self, assessment, lang: str = "zh", dpi: int = DPI, review_table=None):
        self.assessment = assessment
        self.lang = lang
        self.dpi = dpi
        self._review_table = review_table
        self._cache: dict[tuple, object] = {}
        self.drawn: Counter = Counter()   # renders by chart kind
        self.seconds = 0.0                # time spent drawing and rendering

    # ------------------------------------------------------------ plumbing
    def _image(self, key: tuple, draw: Callable[[], tuple[Figure, str]]) -> ChartImage:
        hit = self._cache.get(key)
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
        self._cache[key] = img
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
        ids = list(t.loc[(t["region"] == region) & (t["category"] == category), "indicator"])
        if not ids:
            raise QAnalysisError(f"no indicators of category {category!r} for region {region!r}")
        pages = _parts(ids, SMALL_MULTIPLES_PER_PAGE)
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

    def heatmap_pages(self) -> list[ChartImage]:
        """Every region × indicator, indicators as rows with full names, a few categories a page."""
        ids = _indicator_order(self.assessment)
        meta = self.assessment.table.drop_duplicates("indicator").set_index("indicator")
        by_cat: dict[str, list[str]] = {}
        for i in ids:
            by_cat.setdefault(str(meta.loc[i, "category"]), []).append(i)
        # pages of whole categories where they fit; a long category split in balanced parts
        blocks = [(c, part) for c, members in by_cat.items()
                  for part in _parts(members, HEATMAP_ROWS_PER_PAGE - 1)]
        pages: list[list[tuple[str, list[str]]]] = []
        rows = 0
        for block in blocks:
            need = len(block[1]) + 1
            if pages and rows + need <= HEATMAP_ROWS_PER_PAGE:
                pages[-1].append(block)
                rows += need
            else:
                pages.append([block])
                rows = need
        out = []
        for k, page in enumerate(pages, start=1):
            def draw(page=page, k=k):
                return status_heatmap(self.assessment, page, self.lang, part=(k, len(pages)))

            out.append(self._image(("heatmap", k, len(pages)), draw))
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


# ---------------------------------------------------------------- heatmap, indicators as rows

def status_heatmap(assessment, page: list[tuple[str, list[str]]], lang: str = "zh",
                   part: tuple[int, int] = (1, 1)) -> tuple[Figure, str]:
    """Indicators (rows, full names, grouped under their category) × regions (columns, city first).

    Each cell takes its status colour and, where there is one, the probability of
    meeting the target in per cent. Drawn for a 16:9 slide's content area.
    """
    tab = assessment.table
    cell = tab.set_index([tab["indicator"].astype(str), tab["region"].astype(str)])
    meta = tab.drop_duplicates("indicator").set_index("indicator")
    regions = _region_order(assessment)
    names = [_region_name(assessment, r, lang) for r in regions]
    # row labels: a bold header row per category, then its indicators
    labels: list[str] = []
    keys: list[str | None] = []
    for cat, members in page:
        labels.append(f"【{cat}】" if lang == "zh" else f"[{_category_label(assessment, cat, lang)}]")
        keys.append(None)
        for i in members:
            labels.append(_name(meta.loc[i], lang))
            keys.append(i)
    nr, nc = len(keys), len(regions)
    rgba = np.ones((nr, nc, 4))
    present: list[str] = []
    statuses: list[str] = []
    latest: list[int] = []
    illustrative = False
    texts = []
    for i, k in enumerate(keys):
        if k is None:
            continue
        for j, r in enumerate(regions):
            if (k, r) not in cell.index:
                continue
            row = cell.loc[(k, r)]
            code = str(row["status"])
            rgba[i, j] = to_rgba(status_colour(code))
            if code not in present:
                present.append(code)
            statuses.append(str(row["data_status"]))
            illustrative |= bool(row["has_illustrative"])
            if _isnum(row["latest_year"]):
                latest.append(int(row["latest_year"]))
            p = row["p_attain"]
            if _isnum(p) and code not in ("no_target", "insufficient_data"):
                texts.append((i, j, f"{100 * float(p):.0f}", theme.text_colour_on(status_colour(code))))

    fig = _new_figure(SLIDE_CHART_SIZE, a4="landscape")
    ax = fig.add_subplot()
    ax.imshow(rgba, aspect="auto", interpolation="nearest", gid="heatmap")
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_xticks(np.arange(-0.5, nc, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, nr, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.2)
    ax.tick_params(which="both", length=0)
    for i, j, txt, colour in texts:
        ax.text(j, i, txt, ha="center", va="center", fontsize=10, color=colour, gid="cell_value")
    ax.xaxis.tick_top()
    ax.set_xticks(range(nc))
    ax.set_xticklabels(names, fontsize=11.5)
    ax.set_yticks(range(nr))
    ax.set_yticklabels(labels, fontsize=11)
    for tick, k in zip(ax.get_yticklabels(), keys):
        if k is None:
            tick.set_fontweight(theme.strong())
            tick.set_fontsize(12)
            tick.set_color(theme.INK)
    city = str(getattr(getattr(assessment.data, "plan", None), "city_code", ""))
    if regions and regions[0] == city and nc > 1:  # the city apart from its counties
        ax.axvline(0.5, color="white", lw=5)
    handles = [Patch(facecolor=status_colour(c), label=status_label(c, lang))
               for c in STATUS_ORDER if c in present]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncols=len(handles),
              fontsize=11, frameon=False, handlelength=1.2, columnspacing=1.4)
    year = assessment.data.plan.target_year
    cats = "、".join(dict.fromkeys(c for c, _ in page))
    if lang == "zh":
        title = f"各地区指标评估结果：{cats}" + (f"（{part[0]}/{part[1]}）" if part[1] > 1 else "")
        how = f"格中数字为{year}年达标概率（%），颜色为评估结果"
    else:
        title = f"Assessment by region: {cats}" + (f" ({part[0]}/{part[1]})" if part[1] > 1 else "")
        how = f"numbers: probability (%) of meeting the {year} target; colour: status"
    ax.set_title(title, loc="left", pad=12, fontsize=18)
    mix = []
    for ds in statuses:
        mix += ["published", "illustrative"] if ds == "mixed" else [ds]
    parts = [_status_mix(mix, lang), how]
    if latest:
        parts.insert(1, _tx(lang)["data_up_to"].format(year=max(latest)))
    return _finish(fig, parts, illustrative, lang), title
