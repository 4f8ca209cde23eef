"""Ranking: the regions by distance to an indicator's target."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from . import theme
from ..errors import QAnalysisError
from ..analysis.status import STATUS_ORDER
from ..analysis.status import colour as status_colour
from ..analysis.status import label as status_label
from .frame import _chart_note, _finish, _new_figure
from .text import _isnum, _name, _num, _quantified, _region_name, _tx, _unit, _with_unit, _wrap


# ---------------------------------------------------------------- ranking

def _relative(row: pd.Series) -> bool:
    """Distances in % of target when units are counts (targets differ by region), else in units."""
    return str(row["unit"]) != "%"


def _distance(row: pd.Series) -> float:
    """Signed distance to target in the good direction (positive = beyond target).

    In percentage points for "%" indicators; for any other unit as a % of the
    region's own target, since pro-rata county targets differ in size.
    """
    v = row["cumulative"] if str(row["kind"]) == "increment" else row["latest"]
    if not _quantified(row) or not _isnum(v):
        return float("nan")
    v, target = float(v), float(row["target"])
    comp = str(row["comparator"])
    if comp == ">=":
        d = v - target
    elif comp == "<=":
        d = target - v
    else:
        d = -abs(v - target)
    if _relative(row):
        return 100.0 * d / abs(target) if target != 0 else float("nan")
    return d


def ranking(assessment, indicator: str, lang: str = "zh") -> Figure:
    """Every region on one indicator, best first, by distance to target."""
    t = _tx(lang)
    tab = assessment.table
    rows = tab.loc[tab["indicator"].astype(str) == indicator].copy()
    if not len(rows):
        raise QAnalysisError(f"no assessment rows for indicator {indicator!r}")
    first = rows.iloc[0]
    quantified = _quantified(first)
    kind = str(first["kind"])
    valcol = "cumulative" if kind == "increment" else "latest"
    if quantified:
        rows["_score"] = [_distance(r) for _, r in rows.iterrows()]
    else:
        d = int(first["direction"]) if _isnum(first.get("direction")) else 1
        rows["_score"] = rows[valcol].astype(float) * d
    rows["_plot"] = rows["_score"] if quantified else rows[valcol].astype(float)
    rows = rows.sort_values("_score", ascending=True, na_position="first", kind="stable")
    fig = _new_figure(theme.SLIDE, a4="landscape")
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    widths = rows["_plot"].fillna(0.0).to_numpy(dtype=float)
    colours = [status_colour(str(s)) for s in rows["status"]]
    ax.barh(y, widths, color=colours, height=0.68, gid="bars", zorder=3)
    ax.set_yticks(y)
    ax.set_yticklabels([_region_name(assessment, str(r), lang) for r in rows["region"]],
                       fontsize=theme.SIZE_TICK)
    ax.grid(axis="x", color=theme.GRID)
    ax.grid(axis="y", visible=False)
    finite = rows["_plot"].dropna().astype(float)
    span = float(finite.abs().max()) if len(finite) else 1.0
    span = span or 1.0
    unit = first["unit"]
    for yi, (_, r) in zip(y, rows.iterrows()):
        v = r[valcol]
        if not _isnum(r["_plot"]):
            # data but no target of its own (a city-wide count not shared out) is not "no data"
            why = t["no_target_here"] if quantified and _isnum(v) and not _isnum(r["target"]) else t["no_data"]
            ax.text(0, yi, "  " + why + ("" if why == t["no_data"] else f"（{_with_unit(v, first['unit'], lang)}）"
                                         if lang == "zh" else f" ({_with_unit(v, first['unit'], lang)})"),
                    va="center", ha="left", fontsize=theme.SIZE_SMALL, color=theme.MUTED)
            continue
        w = float(r["_plot"])
        txt = _with_unit(v, unit, lang)
        if quantified:
            txt = f"{_num(v)} / {_with_unit(r['target'], unit, lang)}"
        ax.text(w + (0.015 * span if w >= 0 else -0.015 * span), yi, txt, va="center",
                ha="left" if w >= 0 else "right", fontsize=theme.SIZE_SMALL + 1, color=theme.INK,
                gid="bar_label")
    lo = min(0.0, float(finite.min()) if len(finite) else 0.0)
    hi = max(0.0, float(finite.max()) if len(finite) else 1.0)
    ax.set_xlim(lo - 0.22 * span if lo < 0 else -0.05 * span, hi + 0.22 * span if hi > 0 else 0.05 * span)
    name = _name(first, lang)
    if quantified:
        ax.axvline(0, color=theme.TARGET, lw=1.6, ls=(0, (6, 3)), gid="target_line", zorder=4)
        ax.text(0, 1.0, f" {t['target']}", transform=ax.get_xaxis_transform(),
                ha="left", va="bottom", fontsize=theme.SIZE_SMALL + 1, color=theme.INK)
        if _relative(first):
            ax.set_xlabel(t["distance_rel"])
        else:
            ax.set_xlabel(t["distance"].format(unit=("个百分点" if lang == "zh" else "percentage points")))
        title = t["ranking_title"].format(name=name)
    else:
        ax.set_xlabel(t["latest"].format(unit=_unit(unit, lang) or "—"))
        title = t["ranking_no_target"].format(name=name)
    ax.set_title(_wrap(title, 40), loc="left", pad=20, fontsize=theme.SIZE_TITLE)
    codes = [c for c in STATUS_ORDER if c in set(rows["status"].astype(str))]
    ax.legend(handles=[Patch(facecolor=status_colour(c), label=status_label(c, lang)) for c in codes],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=theme.SIZE_LEGEND,
              title=t["status"], title_fontsize=theme.SIZE_LEGEND)

    # illustrative exactly when a plotted value comes from an illustrative point
    infos = []
    for _, r in rows.iterrows():
        s = assessment.series(str(r["region"]), indicator)
        s = s.sort_values("year") if len(s) else s
        if not len(s) or not _isnum(r[valcol]):
            infos.append({"statuses": [], "series": s, "latest_year": None})
            continue
        if kind == "increment":
            used = s.loc[s["value"].notna()]
        else:
            used = s.loc[s["value"].notna()].tail(1)
        infos.append({"statuses": list(used["status"].astype(str)), "series": used,
                      "latest_year": int(used["year"].max()) if len(used) else None})
    illustrative = any("illustrative" in i["statuses"] for i in infos)
    return _finish(fig, _chart_note(assessment, [first], infos, lang, forecast=False), illustrative, lang)
