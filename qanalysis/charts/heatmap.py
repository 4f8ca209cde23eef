"""Heatmap: regions × indicators, by probability of attainment or by status."""
from __future__ import annotations

import textwrap
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from . import theme
from ..errors import QAnalysisError
from ..vocab import STATUS_SHORT as _STATUS_SHORT
from ..analysis.status import STATUS_ORDER
from ..analysis.status import colour as status_colour
from ..analysis.status import label as status_label
from .frame import _finish, _new_figure, _status_mix
from .text import _category_label, _isnum, _name, _plan_name, _region_name, _tx


# ---------------------------------------------------------------- heatmap

def _region_order(assessment) -> list[str]:
    present = list(dict.fromkeys(assessment.table["region"].astype(str)))
    r = assessment.data.regions.copy()
    r["_city"] = (r["level"].astype(str) != "city").astype(int)
    order = [c for c in r.sort_values("_city", kind="stable")["code"].astype(str) if c in present]
    city = str(assessment.data.plan.city_code)
    order += [c for c in present if c not in order]
    if city in order:
        order.remove(city)
        order.insert(0, city)
    return order


def _indicator_order(assessment) -> list[str]:
    tab = assessment.table
    cat = assessment.data.catalogue
    ids = list(dict.fromkeys(tab["indicator"].astype(str)))
    if len(cat):
        ids = [i for i in cat["id"].astype(str) if i in ids] + [i for i in ids if i not in set(cat["id"])]
    first = tab.drop_duplicates("indicator").set_index("indicator")["category"].astype(str)
    cats = list(dict.fromkeys(first.loc[ids]))
    return sorted(ids, key=lambda i: cats.index(first.loc[i]))  # stable: plan order within a category


def _p_cmap():
    # matplotlib pieces only when a chart is drawn (start-up speed)
    from matplotlib.colors import LinearSegmentedColormap

    # vermillion (unlikely) → pale → bluish green (likely): the status colours' ends
    return LinearSegmentedColormap.from_list(
        "qa_p_attain", [status_colour("off_track"), "#F3E9D2", status_colour("achieved")])


_HEATMAP_ROW_IN = {"page": 0.145, "slide": 0.30}  # inches a row; page: all indicators on A4


def _heatmap_label(name: str, lang: str, width: int) -> str:
    """An indicator's full name as a row label: one line, two only when it is very long."""
    if lang == "zh":
        return name if len(name) <= width else name[: (len(name) + 1) // 2] + "\n" + name[(len(name) + 1) // 2:]
    lines = textwrap.wrap(name, int(width * 2.2))
    return "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")


def _heatmap_cells(assessment, regions: list[str], ids: list[str], value: str, lang: str):
    """Per cell: the P(attain) drawn as a colour (NaN where a status colour is drawn instead),
    the status code and the text written in the cell."""
    tab = assessment.table
    cell = tab.assign(region=tab["region"].astype(str), indicator=tab["indicator"].astype(str)) \
        .set_index(["indicator", "region"])
    shape = (len(ids), len(regions))
    p = np.full(shape, np.nan)
    codes = np.full(shape, "", dtype=object)
    text = np.full(shape, "", dtype=object)
    illustrative = False
    for i, k in enumerate(ids):
        for j, r in enumerate(regions):
            if (k, r) not in cell.index:
                continue
            row = cell.loc[(k, r)]
            code = str(row["status"])
            codes[i, j] = code
            flag = row.get("has_illustrative", False)
            illustrative |= bool(flag) and not pd.isna(flag)
            pv = row.get("p_attain")
            if value == "p_attain" and _isnum(pv) and code not in ("no_target", "insufficient_data"):
                p[i, j] = float(pv)
                text[i, j] = f"{100 * float(pv):.0f}"
            elif value == "status":
                text[i, j] = _STATUS_SHORT[lang][code]
    return p, codes, text, illustrative


def _heatmap_block(ax, p, codes, text, row_labels, col_labels, value: str, fonts: dict, cmap) -> None:
    """One category's rows, drawn by seaborn: status colours underneath, P(attain) on top."""
    # seaborn/matplotlib only when a heatmap is drawn (start-up speed)
    import seaborn as sns  # imported on first heatmap: seaborn costs ~0.5 s at start-up
    from matplotlib.colors import ListedColormap

    order = [c for c in STATUS_ORDER]
    idx = np.array([[order.index(c) if c else -1 for c in row] for row in codes], dtype=float)
    idx[idx < 0] = np.nan
    status_cmap = ListedColormap([status_colour(c) for c in order])
    under = ~np.isfinite(p) & np.isfinite(idx)
    common = dict(ax=ax, cbar=False, linewidths=1.0, linecolor="white", square=False,
                  xticklabels=col_labels, yticklabels=row_labels)
    kw = dict(fontsize=fonts["cell"])
    # status colours where there is no probability to show (all cells for value="status")
    sns.heatmap(pd.DataFrame(idx), mask=~under, cmap=status_cmap, vmin=-0.5, vmax=len(order) - 0.5,
                annot=pd.DataFrame(text) if value == "status" else False, fmt="", annot_kws=kw, **common)
    if value == "p_attain" and np.isfinite(p).any():
        sns.heatmap(pd.DataFrame(p), mask=~np.isfinite(p), cmap=cmap, vmin=0.0, vmax=1.0,
                    annot=pd.DataFrame(text), fmt="", annot_kws=kw, **common)
    for mesh in ax.collections:
        mesh.set_gid("heatmap")
    for t in ax.texts:
        t.set_gid("cell_value")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.grid(False)
    ax.tick_params(length=0, pad=3)
    ax.set_yticklabels(row_labels, rotation=0, fontsize=fonts["name"])
    for lab in ax.get_yticklabels():  # a very long name on two lines, smaller, so it stays in its row
        if "\n" in lab.get_text():
            lab.set_fontsize(fonts["name"] * 0.8)
            lab.set_linespacing(0.85)


def heatmap(assessment, value: str = "p_attain", lang: str = "zh", *,
            category: str | Sequence[str] | None = None) -> Figure:
    """Indicators (rows, full names, grouped by category) × regions (columns, city first).

    ``category`` draws one category alone (or a few short ones together, given as
    a list), sized for a slide; without it every indicator is drawn, category by
    category, sized for an A4 portrait page.
    Cells show P(attain) in % (``value="p_attain"``) or a short status label
    (``value="status"``).
    """
    if value not in ("p_attain", "status"):
        raise QAnalysisError(f"heatmap value must be 'p_attain' or 'status', not {value!r}")
    t = _tx(lang)
    tab = assessment.table
    regions = _region_order(assessment)
    ids = _indicator_order(assessment)
    meta = tab.assign(indicator=tab["indicator"].astype(str)).drop_duplicates("indicator").set_index("indicator")
    cats = list(dict.fromkeys(str(meta.loc[k, "category"]) for k in ids))
    if category is not None:
        asked = [str(category)] if isinstance(category, str) else [str(c) for c in category]
        unknown = [c for c in asked if c not in cats]
        if unknown or not asked:
            raise QAnalysisError(f"no indicators of category {', '.join(unknown) or '(none)'}; "
                                 f"categories: {', '.join(cats)}")
        cats = [c for c in cats if c in asked]  # plan order
    blocks = [(c, [k for k in ids if str(meta.loc[k, "category"]) == c]) for c in cats]
    n_rows = sum(len(b) for _, b in blocks)
    cmap = _p_cmap()

    # sizes: one page for all indicators, a slide for one category
    page = category is None
    if page:
        fonts = {"name": 7.8, "cell": 7.2, "region": 8.2, "category": 9.5, "title": 15.0}
        width, fixed = theme.A4_PORTRAIT[0], 1.6 + 0.22 * len(blocks)
        name_width = 28
    else:
        fonts = {"name": 12.0, "cell": 11.5, "region": 12.0, "category": 13.0, "title": theme.SIZE_TITLE}
        width, fixed = theme.SLIDE[0], 1.9 + (0.3 * len(blocks) if len(blocks) > 1 else 0.0)
        name_width = 28
    row_in = _HEATMAP_ROW_IN["page" if page else "slide"]
    legend_in = 0.55 if page else 0.8
    if not page:  # a slide holds the category: more rows, shorter rows and smaller type
        row_in = min(row_in, (theme.SLIDE[1] - fixed - legend_in) / n_rows)
        scale = min(1.0, max(0.7, row_in / 0.24))
        fonts = {k: v * scale if k in ("name", "cell") else v for k, v in fonts.items()}
    height = fixed + legend_in + row_in * n_rows
    # few regions (a county against the city): narrower, not stretched cells
    width = min(width, max(5.8 if page else 9.0, (3.4 if page else 5.6) + (0.45 if page else 0.75) * len(regions)))
    fig = _new_figure((width, height), a4="portrait" if page else "landscape")

    # grid rows in inches, so a one-indicator category gets a row as tall as any other
    gs = fig.add_gridspec(len(blocks) + 1, 1, height_ratios=[len(b) * row_in for _, b in blocks] + [legend_in],
                          hspace=0.0)
    col_labels = [_region_name(assessment, r, lang) for r in regions]
    illustrative = False
    present: set[str] = set()
    axes = []
    for b, (cat, rows) in enumerate(blocks):
        ax = fig.add_subplot(gs[b, 0])
        p, codes, text, ill = _heatmap_cells(assessment, regions, rows, value, lang)
        illustrative |= ill
        present |= {c for c, pv in zip(codes.ravel(), p.ravel()) if c and not np.isfinite(pv)}
        labels = [_heatmap_label(_name(meta.loc[k], lang), lang, name_width) for k in rows]
        _heatmap_block(ax, p, codes, text, labels, col_labels, value, fonts, cmap)
        if len(regions) > 1:  # the city column apart from the counties
            ax.axvline(1.0, color="white", lw=4)
        ax.set_title(_category_label(assessment, cat, lang) if len(blocks) > 1 else "", loc="left",
                     fontsize=fonts["category"], fontweight=theme.strong(), pad=3, color=theme.INK)
        first, last = b == 0, b == len(blocks) - 1
        ax.tick_params(axis="x", top=first, labeltop=first, bottom=False,
                       labelbottom=last and page and len(blocks) > 2, labelsize=fonts["region"])
        for lab in ax.get_xticklabels():
            lab.set_rotation(0)
        axes.append(ax)
    if len(blocks) > 1:  # the category name sits above its rows, the region names above the first
        axes[0].set_title(axes[0].get_title(loc="left"), loc="left", fontsize=fonts["category"],
                          fontweight=theme.strong(), pad=fonts["region"] * 1.9, color=theme.INK)

    # what the colours mean, in the last, short row of the grid
    year = assessment.data.plan.target_year
    if year is None:
        ty = tab["target_year"].dropna()
        year = int(ty.max()) if len(ty) else ""
    legend_ax = fig.add_subplot(gs[-1, 0])
    legend_ax.axis("off")
    handles = [Patch(facecolor=status_colour(c), label=status_label(c, lang))
               for c in STATUS_ORDER if c in (present if value == "p_attain" else
                                              {c for c in tab["status"].astype(str)})]
    if value == "p_attain":
        # matplotlib pieces only when a chart is drawn (start-up speed)
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        cax = legend_ax.inset_axes([0.0, 0.55, 0.36, 0.22])
        cb = fig.colorbar(ScalarMappable(norm=Normalize(0, 100), cmap=cmap), cax=cax, orientation="horizontal")
        cb.set_label(t["heatmap_p"].format(year=year), fontsize=fonts["region"])
        cb.ax.tick_params(labelsize=fonts["region"] - 0.5, length=2)
        cb.outline.set_visible(False)
        title = t["heatmap_title_p"].format(year=year)
        if handles:  # the cells without a probability, beside the colour bar
            legend_ax.legend(handles=handles, loc="center left", bbox_to_anchor=(0.42, 0.62),
                             ncols=len(handles), fontsize=fonts["region"], frameon=False, handlelength=1.2)
    else:
        title = t["heatmap_title_status"]
        short = _STATUS_SHORT[lang]
        for h in handles:  # the cell's short form beside the full label
            code = next(c for c in STATUS_ORDER if status_label(c, lang) == h.get_label())
            if short[code] != h.get_label():
                h.set_label(f"{h.get_label()}（{short[code]}）" if lang == "zh" else f"{h.get_label()} ({short[code]})")
        legend_ax.legend(handles=handles, loc="center left", bbox_to_anchor=(0.0, 0.6),
                         ncols=4 if page else min(len(handles), 6), fontsize=fonts["region"], frameon=False,
                         handlelength=1.2)
    if category is not None:
        names = [_category_label(assessment, c, lang) for c in cats]
        title = f"{title}｜{'、'.join(names)}" if lang == "zh" else f"{title} | {', '.join(names)}"
    fig.suptitle(title, x=0.01, ha="left", fontsize=fonts["title"])

    mix: list[str] = []
    for ds in (tab["data_status"].astype(str) if "data_status" in tab else []):
        mix += ["published", "provisional"] if ds == "mixed" else [ds]  # illustrative: flagged below
    latest = tab["latest_year"].dropna()
    parts = [_status_mix(mix + (["illustrative"] if illustrative else []), lang)]
    if len(latest):
        parts.append(t["data_up_to"].format(year=int(latest.max())))
    plan = _plan_name(assessment, lang)
    if plan:
        parts.append(t["plan_target"].format(plan=plan))
    return _finish(fig, parts, illustrative, lang)


