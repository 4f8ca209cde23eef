"""Small multiples: every indicator of one category for one region.

Type is sized from the panel, not fixed: a panel is at least a quarter of the
page wide (at most four columns; a long category gets more rows), so its tick
labels stay ≥ 12 pt and read at the ~80 % a notebook shows the page at. The
point markers (observed values, the baseline square) are not clipped at the
panel's edge: a baseline of 0 on the floor of the axis shows whole.
"""
from __future__ import annotations

import math
import re
import textwrap

import numpy as np
from matplotlib.figure import Figure

from . import theme
from ..errors import QAnalysisError
from ..analysis.status import row_label
from .frame import _badge, _chart_note, _finish, _new_figure, _ordered_legend
from .text import _category_label, _isnum, _name, _pct, _region_name, _tx, _unit, _wrap, short_name
from .trajectory import _draw_trajectory

MAX_COLUMNS = 4
# markers drawn whole even where they sit on the panel's edge (a count's 0 on the floor)
_UNCLIPPED = ("baseline", "obs_published", "obs_provisional", "obs_illustrative")


def panel_sizes(panel_width_in: float) -> dict[str, float]:
    """Font sizes (pt) and title pad for a panel ``panel_width_in`` inches wide."""
    w = panel_width_in
    title = min(14.0, max(11.0, 3.6 * w))
    badge = min(11.0, max(9.0, 3.2 * w))
    # the pad holds the status badge between the title and the axes
    return {"title": title, "tick": min(13.0, max(11.0, 3.8 * w)), "badge": badge, "pad": 2.1 * badge + 2}


# ---------------------------------------------------------------- small multiples

def small_multiples(assessment, region: str, category: str, lang: str = "zh") -> Figure:
    """Every indicator of one category for one region, one mini trajectory each."""
    t = _tx(lang)
    tab = assessment.table
    rows = tab.loc[(tab["region"] == region) & (tab["category"] == category)]
    if not len(rows):
        raise QAnalysisError(f"no indicators of category {category!r} for region {region!r}")
    n = len(rows)
    ncols = min(n, MAX_COLUMNS)
    nrows = math.ceil(n / ncols)
    fig = _new_figure(theme.SLIDE if nrows <= 3 else theme.A4_LANDSCAPE, a4="landscape")
    if nrows > 3:  # a long category: more rows of the same height, not smaller panels
        fig.set_size_inches(theme.SLIDE[0], max(theme.SLIDE[1], 2.35 * nrows + 1.2))
    # a last, short row of the grid holds the page legend, so the layout makes room for it
    gs = fig.add_gridspec(nrows + 1, ncols, height_ratios=[1.0] * nrows + [0.18 * max(1, nrows / 3)])
    axes = np.array([[fig.add_subplot(gs[i, j]) for j in range(ncols)] for i in range(nrows)])
    legend_ax = fig.add_subplot(gs[nrows, :])
    legend_ax.axis("off")
    sizes = panel_sizes(fig.get_figwidth() / ncols)  # wider panels, larger type
    # characters a panel title holds: panel width / CJK glyph width, less the gaps
    width = max(6, int(theme.SLIDE[0] / ncols * 72 / sizes["title"] * 0.82))
    infos = []
    for ax, (_, row) in zip(axes.flat, rows.iterrows()):
        info = _draw_trajectory(ax, assessment, row, lang, compact=True, tick_size=sizes["tick"])
        infos.append(info)
        for line in ax.get_lines():
            if line.get_gid() in _UNCLIPPED:
                line.set_clip_on(False)
        if lang == "zh":
            title = _wrap(short_name(_name(row, lang), 2 * width), width)
        else:  # Latin glyphs are about half as wide: two lines of 2×width characters
            lines = textwrap.wrap(_name(row, lang), int(2.1 * width))
            title = "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")
        ax.set_title(title, loc="left", fontsize=sizes["title"], fontweight=theme.strong(), pad=sizes["pad"])
        unit = _unit(row["unit"], lang)
        badge = row_label(row, lang)
        if lang == "zh" and str(row.get("evaluation_verdict") or ""):  # after the period: the evaluation's word
            badge = str(row["status_zh"])
        if _isnum(row.get("p_attain")) and str(row["status"]) not in ("no_target", "insufficient_data"):
            badge += f" {_pct(row['p_attain'])}"
        _badge(ax, 0.0, 1.02, str(row["status"]), badge, sizes["badge"], ha="left")
        if unit:
            ax.text(1.0, 1.02, unit, transform=ax.transAxes, ha="right", va="bottom", fontsize=sizes["badge"],
                    color=theme.MUTED)
    for ax in axes.flat[n:]:
        ax.set_visible(False)

    # one legend for the page, from what was drawn
    seen: dict[str, object] = {}
    for ax in axes.flat[:n]:
        for h, lab in zip(*_ordered_legend(ax)):
            key = re.sub(r"[ \d:：.%]+.*$", "", lab) if lab.startswith((t["baseline"], t["target"])) else lab
            if key not in seen:
                seen[key] = h
    legend_ax.legend(list(seen.values()), list(seen.keys()), loc="center", ncols=min(len(seen), 5),
                     fontsize=11, frameon=False)
    fig.suptitle(t["small_title"].format(region=_region_name(assessment, region, lang),
                                         category=_category_label(assessment, category, lang)),
                 x=0.01, ha="left", fontsize=theme.SIZE_TITLE)
    return _finish(fig, _chart_note(assessment, [r for _, r in rows.iterrows()], infos, lang),
                   any(i["illustrative"] for i in infos), lang)
