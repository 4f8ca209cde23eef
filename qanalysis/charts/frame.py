"""The frame every chart shares: figure, data note, illustrative stamp, legend.

A chart's layout state (preferred A4 orientation, note parts, footer, stamp)
lives in a small :class:`FrameState` kept beside the figure, not on it.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Iterable

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text

from . import theme
from ..analysis.status import colour as status_colour
from .text import _isnum, _plan_name, _tx


# ---------------------------------------------------------------- figure frame

_FOOTER_IN = 0.42   # inches kept free at the bottom for the data note
_STAMP_IN = 0.45    # inches kept free at the top for the illustrative stamp


@dataclass
class FrameState:
    """What :func:`save` needs to lay a chart out again at another size."""

    a4: str = "portrait"        # the orientation this chart prefers when saved as A4
    note_parts: list[str] | None = None
    lang: str = "zh"
    footer: Text | None = None  # the data note's text artist
    footer_lines: int | None = None
    stamped: bool = False       # the illustrative stamp is on the chart


# One state per live figure, dropped with the figure.
_STATES: "weakref.WeakKeyDictionary[Figure, FrameState]" = weakref.WeakKeyDictionary()


def frame_state(fig: Figure) -> FrameState | None:
    return _STATES.get(fig)


def _new_figure(size: tuple[float, float], a4: str = "portrait") -> Figure:
    theme.apply()
    fig = Figure(figsize=size, layout="constrained")
    _STATES[fig] = FrameState(a4=a4)
    return fig


def _reserve(fig: Figure) -> None:
    """Wrap the note to the figure's width and keep room for it and the stamp.

    Margins are in inches, so they survive a resize in :func:`save`.
    """
    st = _STATES.setdefault(fig, FrameState())
    if st.note_parts is not None and st.footer is not None:
        note = _note(st.note_parts, st.lang, _note_width(fig.get_figwidth()))
        st.footer.set_text(note)
        st.footer_lines = note.count("\n") + 1
    h = fig.get_figheight()
    bottom = (0.1 + (st.footer_lines or 1) * 0.22) / h
    top = (_STAMP_IN / h) if st.stamped else 0.01
    engine = fig.get_layout_engine()
    if hasattr(engine, "set"):
        engine.set(rect=(0.0, bottom, 1.0, 1.0 - bottom - top))


def _note_width(fig_width_in: float) -> float:
    """How many display units (CJK char = 2, Latin = 1) fit across the figure."""
    return fig_width_in * 72 * 0.96 / (theme.SIZE_NOTE * 0.5)


def _finish(fig: Figure, parts: list[str], illustrative: bool, lang: str) -> Figure:
    """Add the data note (always) and the illustrative stamp (exactly when needed)."""
    st = _STATES.setdefault(fig, FrameState())
    st.note_parts = [p for p in parts if p]
    st.lang = lang
    st.footer = fig.text(0.008, 0.008, "", ha="left", va="bottom", fontsize=theme.SIZE_NOTE,
                         color=theme.MUTED, gid="data_note", linespacing=1.3)
    st.stamped = bool(illustrative)
    if illustrative:
        fig.text(0.992, 0.992, _tx(lang)["stamp"], ha="right", va="top", fontsize=14,
                 fontweight=theme.strong(), color=theme.STAMP, gid="illustrative_mark",
                 bbox=dict(boxstyle="round,pad=0.35", facecolor="white", edgecolor=theme.STAMP,
                           linewidth=1.8))
    _reserve(fig)
    return fig


def _display_len(text: str) -> float:
    return sum(2.0 if ord(c) > 0x2E7F else 1.05 for c in text)


def _note(parts: Iterable[str], lang: str, max_units: float = 170) -> str:
    """Join note parts with the language's separator, breaking lines to fit ``max_units``."""
    parts = [p for p in parts if p]
    sep = _tx(lang)["sep"]
    line, lines = "", []
    for p in parts:
        while _display_len(p) > max_units:  # a single part longer than a line: cut it
            cut = len(p)
            while _display_len(p[:cut]) > max_units - 2:
                cut -= 1
            if line:
                lines.append(line)
                line = ""
            lines.append(p[:cut])
            p = p[cut:]
        cand = p if not line else line + sep + p
        if _display_len(cand) > max_units and line:
            lines.append(line)
            line = p
        else:
            line = cand
    if line:
        lines.append(line)
    return "\n".join(lines[:4])


def _sources(series_list: Iterable[pd.DataFrame], lang: str, limit: int = 2) -> str:
    srcs: list[str] = []
    for s in series_list:
        if s is None or not len(s) or "source" not in s:
            continue
        for v in s["source"].dropna().astype(str):
            v = v.strip()
            if v and v not in srcs:
                srcs.append(v)
    if not srcs:
        return ""
    shown = [v if len(v) <= 60 else v[:57] + "…" for v in srcs[:limit]]
    more = len(srcs) - limit
    tail = ""
    if more > 0:
        tail = f" 等{len(srcs)}处" if lang == "zh" else f" and {more} more"
    return _tx(lang)["source"] + ("、" if lang == "zh" else ", ").join(shown) + tail


def _status_mix(statuses: Iterable[str], lang: str) -> str:
    """The footer's words for the value statuses plotted; provisional is never called published."""
    st = {str(s) for s in statuses if s is not None and not pd.isna(s) and str(s)}
    d = _tx(lang)["data_status"]
    if not st:
        return d[""]
    if st == {"illustrative"}:
        return d["illustrative"]
    if "illustrative" in st:
        return d["with_illustrative"]
    if st == {"provisional"}:
        return d["provisional"]
    if "provisional" in st:
        return d["published_provisional"]
    return d["published"]


def _badge(ax, x: float, y: float, code: str, text: str, fontsize: float, ha: str = "right",
           va: str = "bottom"):
    bg = status_colour(code)
    return ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=fontsize,
                   fontweight=theme.strong(), color=theme.text_colour_on(bg), gid="status_badge",
                   bbox=dict(boxstyle="round,pad=0.3", facecolor=bg, edgecolor="none"),
                   clip_on=False)



_LEGEND_ORDER = ["obs_published", "obs_provisional", "obs_illustrative", "baseline", "target_line",
                 "required_path", "forecast", "pi80", "pi95"]


def _ordered_legend(ax) -> tuple[list, list[str]]:
    """Legend entries in reading order: data, baseline, target, required path, forecast, bands."""
    handles, labels = ax.get_legend_handles_labels()
    rank = {g: i for i, g in enumerate(_LEGEND_ORDER)}
    pairs = sorted(zip(handles, labels), key=lambda hl: rank.get(hl[0].get_gid(), 99))
    return [h for h, _ in pairs], [lab for _, lab in pairs]


def _chart_note(assessment, rows: list[pd.Series], infos: list[dict], lang: str,
                forecast: bool = True) -> list[str]:
    t = _tx(lang)
    statuses = [s for i in infos for s in i["statuses"]]
    years = [i["latest_year"] for i in infos if i["latest_year"]]
    parts = [_status_mix(statuses, lang)]
    files = list(dict.fromkeys(f for r in rows if str(r.get("data_basis", "")) == "delivered"
                               for f in _delivery_files(assessment, r)))
    if files:
        more = t["more_files"].format(n=len(files), more=len(files) - 3) if len(files) > 3 else ""
        parts.append(t["delivered_files"].format(files=("、" if lang == "zh" else ", ").join(files[:3])) + more)
    fit_first = [r.get("fit_first_year") for r in rows if _isnum(r.get("fit_first_year"))]
    if fit_first:
        parts.append(t["fit_from"].format(year=int(fit_first[0])))
    if years:
        parts.append(t["data_up_to"].format(year=max(years)))
    bases = {str(r.get("target_basis", "") or "") for r in rows} - {""}
    plan = _plan_name(assessment, lang)
    if plan:
        basis = "、".join(t["basis"].get(b, b) for b in sorted(bases)) if bases else ""
        parts.append(t["plan_target"].format(plan=plan) + (f"（{basis}）" if basis and lang == "zh"
                                                            else (f" ({basis})" if basis else "")))
    if forecast and len(rows) == 1 and _isnum(rows[0].get("forecast")):
        model = str(rows[0].get("model", "") or "")
        rare = assessment.panel.rare
        if rare is not None and rare[assessment._row(rows[0]["region"], rows[0]["indicator"])]:
            model = "poisson"  # the table's forecast of a rare count is the Poisson law's
        parts.append((f"预测：{t['model'].get(model, model)}，阴影为80%/95%预测区间" if lang == "zh"
                      else f"forecast: {t['model'].get(model, model)}, shaded 80%/95% prediction intervals"))
    parts.append(_sources([i["series"] for i in infos], lang))
    return parts


def _delivery_files(assessment, row) -> list[str]:
    """The delivery files ("001 one.csv") a delivered series came from."""
    obs = assessment.data.observations
    if "delivery" not in obs:
        return []
    ids = obs.loc[(obs["region"] == str(row["region"])) & (obs["indicator"] == str(row["indicator"])), "delivery"]
    d = assessment.data.deliveries
    names = dict(zip(d["id"].astype(str), d["name"].astype(str))) if len(d) else {}
    return [f"{i} {names[i]}" if i in names and names[i] != i else i for i in dict.fromkeys(ids.astype(str)) if i]
