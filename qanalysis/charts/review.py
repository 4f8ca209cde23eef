"""The previous plan's targets (表1): achieved as % of target, missed ones marked."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from . import theme
from ..analysis.review import review as review_table_of
from ..errors import QAnalysisError
from ..analysis.status import colour as status_colour
from .frame import _finish, _new_figure
from .text import _isnum, _num, _tx, _unit, short_name


# ---------------------------------------------------------------- review (表1)

def _review_frame(review_table: pd.DataFrame) -> pd.DataFrame:
    """The table to draw; ``met`` is the analysis's (:func:`qanalysis.analysis.review.review`),
    computed here when the caller passes 表1 as loaded."""
    if "met" not in review_table:
        review_table = review_table_of(review_table)
    df = review_table.copy()
    for col in ("name_zh", "target", "achieved"):
        if col not in df:
            raise QAnalysisError(f"review table: column {col!r} missing (have {list(df.columns)})")
    comp = df["comparator"].astype(str) if "comparator" in df else pd.Series(">=", index=df.index)
    tgt = pd.to_numeric(df["target"], errors="coerce").astype(float)
    ach = pd.to_numeric(df["achieved"], errors="coerce").astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(comp == "<=", tgt / ach * 100.0, ach / tgt * 100.0)
    df["_pct"] = np.where(np.isfinite(pct), pct, np.nan)
    df["_met"] = df["met"].astype("boolean")
    return df.reset_index(drop=True)


def review(review_table: pd.DataFrame, lang: str = "zh") -> Figure:
    """The previous plan's targets (表1): achieved as % of target, missed ones marked."""
    t = _tx(lang)
    df = _review_frame(review_table)
    n = len(df)
    fig = _new_figure(theme.A4_PORTRAIT if n > 14 else theme.SLIDE, a4="portrait")
    ax = fig.add_subplot()
    y = np.arange(n)[::-1]  # first row of the table at the top
    cap = 200.0
    shown = np.minimum(np.nan_to_num(df["_pct"].to_numpy(dtype=float), nan=0.0), cap)
    codes = ["met" if m is True else "missed" if m is False else "insufficient_data"
             for m in df["_met"].tolist()]
    ax.barh(y, shown, color=[status_colour(c) for c in codes], height=0.66, gid="bars", zorder=3)
    ax.axvline(100, color=theme.TARGET, lw=1.6, ls=(0, (6, 3)), gid="target_line", zorder=4)
    ax.set_xlim(0, cap * 1.45)
    ax.set_xticks([0, 50, 100, 150, 200])
    ax.set_xticklabels(["0", "50", "100", "150", "≥200"])
    ax.grid(axis="x", color=theme.GRID)
    ax.grid(axis="y", visible=False)
    named = df["named_missed_in_plan"].fillna(False).astype(bool) if "named_missed_in_plan" in df else None
    labels = []
    for i, r in df.iterrows():
        lab = short_name(str(r["name_zh"]) if lang == "zh" or "name_en" not in df else str(r["name_en"] or r["name_zh"]), 18 if lang == "zh" else 40)
        if named is not None and named.iloc[i]:
            lab += " †"
        labels.append(lab)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=10)
    for tick, code in zip(ax.get_yticklabels(), codes):
        if code == "missed":
            tick.set_color(status_colour("missed"))
            tick.set_fontweight(theme.strong())
    for yi, (_, r), s in zip(y, df.iterrows(), shown):
        unit = r.get("unit", "")
        pct = r["_pct"]
        txt = f"{_num(r['achieved'])} / {_num(r['target'])}{_unit(unit, lang) if lang == 'zh' else ' ' + _unit(unit, lang)}"
        txt += f"  ({_num(round(pct)) if _isnum(pct) else '—'}%)"
        if not _isnum(r["achieved"]) and "achieved_text" in df:
            txt = str(r["achieved_text"]) or "—"
        ax.text(s + 3, yi, txt, va="center", ha="left", fontsize=9, color=theme.INK, gid="bar_label")
    if "category" in df:
        cats = df["category"].astype(str).tolist()
        for i in range(n):
            if i == 0 or cats[i] != cats[i - 1]:
                if i:
                    ax.axhline(y[i] + 0.5, color="#999999", lw=0.8)
                ax.text(cap * 1.44, y[i] + 0.5, cats[i], ha="right", va="center", fontsize=10,
                        color=theme.MUTED, gid="category_label", zorder=5,
                        bbox=dict(facecolor="white", edgecolor="none", pad=1.0))
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlabel(t["review_axis"])
    prev = "“十三五”规划" if lang == "zh" else "13th Five-Year Plan"
    ax.set_title(t["review_title"].format(prev=prev), loc="left", pad=14, fontsize=theme.SIZE_TITLE - 4)
    handles = [Patch(facecolor=status_colour("met"), label=t["review_met"]),
               Patch(facecolor=status_colour("missed"), label=t["review_missed"])]
    if "insufficient_data" in codes:
        handles.append(Patch(facecolor=status_colour("insufficient_data"), label=t["review_unknown"]))
    ax.legend(handles=handles, loc="lower right", fontsize=10, frameon=True, framealpha=0.95,
              edgecolor="none")
    parts = []
    st = review_table["status"].astype(str).tolist() if "status" in review_table else ["published"]
    parts.append(("数据：规划表1（2020年完成情况，规划原文）" if lang == "zh"
                  else "data: Table 1 of the plan (achieved by 2020, as published in the plan)"))
    if named is not None and named.any():
        parts.append(t["review_named"])
    if "source" in df:
        srcs = [s for s in dict.fromkeys(df["source"].astype(str)) if s]
        if srcs:
            parts.append(t["source"] + srcs[0] + ("…" if len(srcs) > 1 else ""))
    return _finish(fig, parts, "illustrative" in st, lang)
