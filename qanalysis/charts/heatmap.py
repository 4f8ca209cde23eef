"""Heatmap: regions × indicators, by probability of attainment or by status."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from . import theme
from ..errors import QAnalysisError
from ..analysis.status import STATUS_ORDER
from ..analysis.status import colour as status_colour
from ..analysis.status import label as status_label
from .frame import _finish, _new_figure, _status_mix
from .text import _category_label, _isnum, _name, _plan_name, _region_name, _tx, _wrap, short_name


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


def _unique_short(names: list[str], width: int) -> list[str]:
    out = [short_name(n, width) for n in names]
    for i, s in enumerate(out):
        if out.count(s) > 1:
            dup = [j for j, v in enumerate(out) if v == s]
            for k, j in enumerate(dup):
                out[j] = f"{s}{k + 1}"
    return out


def _p_cmap():
    from matplotlib.colors import LinearSegmentedColormap

    # vermillion (unlikely) → pale → bluish green (likely): the status colours' ends
    return LinearSegmentedColormap.from_list(
        "qa_p_attain", [status_colour("off_track"), "#F3E9D2", status_colour("achieved")])


def heatmap(assessment, value: str = "p_attain", lang: str = "zh") -> Figure:
    """Regions (rows, city first) × indicators (grouped by category)."""
    if value not in ("p_attain", "status"):
        raise QAnalysisError(f"heatmap value must be 'p_attain' or 'status', not {value!r}")
    t = _tx(lang)
    tab = assessment.table.copy()
    tab["region"] = tab["region"].astype(str)
    tab["indicator"] = tab["indicator"].astype(str)
    regions = _region_order(assessment)
    ids = _indicator_order(assessment)
    cell = tab.set_index(["region", "indicator"])
    meta = tab.drop_duplicates("indicator").set_index("indicator")
    nr, nc = len(regions), len(ids)
    rgba = np.ones((nr, nc, 4))
    pmat = np.full((nr, nc), np.nan)
    cmap = _p_cmap()
    present: list[str] = []
    illustrative = False
    for i, r in enumerate(regions):
        for j, k in enumerate(ids):
            if (r, k) not in cell.index:
                rgba[i, j] = (1, 1, 1, 1)
                continue
            row = cell.loc[(r, k)]
            code = str(row["status"])
            p = row.get("p_attain")
            illustrative |= bool(row.get("has_illustrative", False)) and not pd.isna(row.get("has_illustrative"))
            if value == "p_attain" and _isnum(p) and code not in ("no_target", "insufficient_data"):
                pmat[i, j] = float(p)
                rgba[i, j] = cmap(float(p))
            else:
                rgba[i, j] = to_rgba(status_colour(code))
                if code not in present:
                    present.append(code)

    year = assessment.data.plan.target_year
    fig = _new_figure(theme.SLIDE, a4="landscape")
    ax = fig.add_subplot()
    ax.imshow(rgba, aspect="auto", interpolation="nearest", gid="heatmap")
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)
    # white gaps between cells and wider ones between categories
    ax.set_xticks(np.arange(-0.5, nc, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, nr, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    cats = [str(meta.loc[k, "category"]) for k in ids]
    bounds = [j for j in range(1, nc) if cats[j] != cats[j - 1]]
    for j in bounds:
        ax.axvline(j - 0.5, color="white", lw=4)
    # category names above their columns
    starts = [0] + bounds
    ends = bounds + [nc]
    for a, b in zip(starts, ends):
        label = _category_label(assessment, cats[a], lang)
        if b - a < 3:  # a narrow group: Chinese on two lines, English cut to fit
            label = _wrap(label, 2) if lang == "zh" else (label if len(label) <= 4 * (b - a) else label[:3 * (b - a)] + ".")
        # x in data, y in axes units: just above the top row whatever the number of rows
        # (in data units, -0.7 rows reached into the title on a two-row heatmap)
        ax.text((a + b - 1) / 2, 1.005, label, transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=11 if b - a >= 3 else 9, fontweight=theme.strong(),
                color=theme.INK, gid="category_label", clip_on=False)
    if value == "p_attain" and nr * nc <= 1200:
        for i in range(nr):
            for j in range(nc):
                if np.isfinite(pmat[i, j]):
                    bg = cmap(pmat[i, j])
                    ax.text(j, i, f"{100 * pmat[i, j]:.0f}", ha="center", va="center", fontsize=7,
                            color=theme.text_colour_on(bg), gid="cell_value")
    names = [_name(meta.loc[k], lang) for k in ids]
    ax.set_xticks(range(nc))
    ax.set_xticklabels(_unique_short(names, 9 if lang == "zh" else 22), rotation=90,
                       fontsize=9 if nc > 30 else 11)
    ax.set_yticks(range(nr))
    ax.set_yticklabels([_region_name(assessment, r, lang) for r in regions], fontsize=12)
    ax.tick_params(length=0)
    ax.xaxis.tick_bottom()

    handles = [Patch(facecolor=status_colour(c), label=status_label(c, lang))
               for c in STATUS_ORDER if c in present]
    if value == "p_attain":
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        sm = ScalarMappable(norm=Normalize(0, 100), cmap=cmap)
        cb = fig.colorbar(sm, ax=ax, shrink=0.6, pad=0.01, aspect=25)
        cb.set_label(t["heatmap_p"].format(year=year), fontsize=11)
        cb.ax.tick_params(labelsize=10)
        title = t["heatmap_title_p"].format(year=year)
    else:
        title = t["heatmap_title_status"]
    if handles and value == "p_attain":  # the few cells without a probability, under the colour bar
        cb.ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.04), fontsize=10,
                     frameon=False, handlelength=1.2)
    elif handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=11,
                  frameon=False)
    ax.set_title(title, loc="left", pad=28, fontsize=theme.SIZE_TITLE)
    mix: list[str] = []
    for ds in (tab["data_status"].astype(str) if "data_status" in tab else []):
        mix += ["published", "illustrative"] if ds == "mixed" else [ds]
    latest = tab["latest_year"].dropna()
    parts = [_status_mix(mix + (["illustrative"] if illustrative else []), lang)]
    if len(latest):
        parts.append(t["data_up_to"].format(year=int(latest.max())))
    plan = _plan_name(assessment, lang)
    if plan:
        parts.append(t["plan_target"].format(plan=plan))
    parts.append("指标名称已缩写，全称见评估表" if lang == "zh" else "indicator names abbreviated; full names in the assessment table")
    return _finish(fig, parts, illustrative, lang)
