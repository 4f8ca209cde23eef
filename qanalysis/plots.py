"""Briefing charts: one call a chart, each returns a matplotlib ``Figure``.

``trajectory``, ``small_multiples``, ``heatmap``, ``ranking``, ``review``;
``save`` writes PNG (300 dpi) and SVG atomically; ``write_region_charts`` writes
the whole set for a region; ``qanalysis charts`` does the same from the shell.

Every chart carries a data note at the bottom (data status, "数据截至 …年",
source) and, exactly when a plotted value is illustrative, a visible
"示例数据 / illustrative data" stamp in the top-right corner.

Figures are built with ``matplotlib.figure.Figure`` (not pyplot): nothing is
kept in pyplot's registry, and a notebook shows the returned figure once.
"""
from __future__ import annotations

import argparse
import io
import math
import re
import textwrap
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from . import atomic, config, theme
from .errors import QAnalysisError
from .status import STATUS_ORDER
from .status import colour as status_colour
from .status import label as status_label

SIZES = {"slide": theme.SLIDE, "a4": theme.A4_PORTRAIT, "a4-landscape": theme.A4_LANDSCAPE}

# ---------------------------------------------------------------- words

_TEXT = {
    "zh": {
        "published": "公开发布数据",
        "provisional": "初步数据",
        "illustrative": "示例数据（非公开发布）",
        "baseline": "基期值",
        "start": "起点（累计从0开始）",
        "target": "目标",
        "required": "达标所需路径（基期→目标）",
        "forecast": "{model}预测",
        "pi80": "80%预测区间",
        "pi95": "95%预测区间",
        "p_attain": "达标概率",
        "no_target": "无量化目标：仅显示趋势",
        "no_fit": "数据不足：未作预测",
        "no_interval": "数据点少于3个：不给预测区间",
        "cumulative": "累计新增（{first}年起）",
        "data_up_to": "数据截至{year}年",
        "no_data": "暂无数据",
        "no_target_here": "本地区无分解目标",
        "stamp": "示例数据 / illustrative data",
        "status": "状态",
        "year": "年份",
        "distance": "距目标（{unit}，正值=已超过目标）",
        "distance_rel": "距目标（占本地区目标的%，正值=已超过目标）",
        "latest": "最新值（{unit}）",
        "ranking_title": "{name}：各地距目标",
        "ranking_no_target": "{name}：各地最新值（无量化目标）",
        "heatmap_p": "{year}年达标概率（%）",
        "heatmap_status": "评估状态",
        "heatmap_title_p": "各地各指标{year}年达标概率",
        "heatmap_title_status": "各地各指标评估状态",
        "review_title": "{prev}指标完成情况",
        "review_axis": "完成值 / 目标值（%）",
        "review_met": "已完成",
        "review_missed": "未完成",
        "review_unknown": "无法判断",
        "review_named": "† 规划表1注中列为未完成或不再统计",
        "small_title": "{region}｜{category}指标",
        "plan_target": "目标：{plan}",
        "basis": {"plan": "规划原文", "city_default": "沿用全市目标", "pro_rata": "按权重分解（示例）",
                  "city_only": "全市整体目标，不分解到县", "override": "县级自定目标"},
        "data_status": {"published": "公开发布数据", "provisional": "含初步数据",
                        "illustrative": "示例数据（种子生成器生成，非公开发布）",
                        "mixed": "公开数据与示例数据混合", "": "无数据"},
        "model": {"linear": "线性回归", "loglinear": "对数线性回归", "log-linear": "对数线性回归"},
        "keep": "保持",
        "sep": "；",
        "source": "来源：",
        "forecast_value": "{year}年预测 {value}",
    },
    "en": {
        "published": "published",
        "provisional": "provisional",
        "illustrative": "illustrative (not published)",
        "baseline": "baseline",
        "start": "start (cumulative from 0)",
        "target": "target",
        "required": "path required (baseline → target)",
        "forecast": "{model} forecast",
        "pi80": "80% prediction interval",
        "pi95": "95% prediction interval",
        "p_attain": "P(attain)",
        "no_target": "no numeric target: trend only",
        "no_fit": "insufficient data: no forecast",
        "no_interval": "fewer than 3 points: no prediction interval",
        "cumulative": "cumulative additions since {first}",
        "data_up_to": "data up to {year}",
        "no_data": "no data",
        "no_target_here": "no target of its own",
        "stamp": "示例数据 / illustrative data",
        "status": "status",
        "year": "year",
        "distance": "distance to target ({unit}; positive = beyond target)",
        "distance_rel": "distance to target (% of the region's target; positive = beyond target)",
        "latest": "latest value ({unit})",
        "ranking_title": "{name}: distance to target by region",
        "ranking_no_target": "{name}: latest value by region (no numeric target)",
        "heatmap_p": "probability of meeting the {year} target (%)",
        "heatmap_status": "assessment status",
        "heatmap_title_p": "Probability of meeting the {year} targets",
        "heatmap_title_status": "Assessment status by region and indicator",
        "review_title": "{prev}: targets and results",
        "review_axis": "achieved / target (%)",
        "review_met": "met",
        "review_missed": "missed",
        "review_unknown": "cannot tell",
        "review_named": "† named as missed or no longer counted in the note under Table 1",
        "small_title": "{region} | {category}",
        "plan_target": "target: {plan}",
        "basis": {"plan": "as in the plan", "city_default": "city target applied", "pro_rata":
                  "pro-rata share (illustrative)", "city_only": "city-wide target, not shared out",
                  "override": "county's own target"},
        "data_status": {"published": "published data", "provisional": "includes provisional data",
                        "illustrative": "illustrative data (seeded generator, not published)",
                        "mixed": "published and illustrative data mixed", "": "no data"},
        "model": {"linear": "linear trend", "loglinear": "log-linear trend", "log-linear": "log-linear trend"},
        "keep": "keep at",
        "sep": "; ",
        "source": "source: ",
        "forecast_value": "{year} forecast {value}",
    },
}

_UNITS_EN = {"%": "%", "项": "items", "家": "firms", "个": "", "件": "", "张": "certificates",
             "万件": "×10k", "微克/立方米": "μg/m³", "条": "", "处": "", "次": ""}

_COMPARATOR = {">=": "≥", "<=": "≤"}


def _tx(lang: str) -> dict:
    if lang not in _TEXT:
        raise QAnalysisError(f"lang must be 'zh' or 'en', not {lang!r}")
    return _TEXT[lang]


def _num(v: float) -> str:
    """A number as a reader writes it: no trailing zeros, at most 2 decimals."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
        return "—"
    v = float(v)
    s = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _unit(unit: str, lang: str) -> str:
    unit = "" if unit is None or pd.isna(unit) else str(unit)
    return _UNITS_EN.get(unit, unit) if lang == "en" else unit


def _with_unit(v: float, unit: str, lang: str) -> str:
    u = _unit(unit, lang)
    if u in ("", "%") or lang == "zh":
        return f"{_num(v)}{u}"
    return f"{_num(v)} {u}"


def _pct(p: float) -> str:
    return "—" if p is None or pd.isna(p) else f"{100 * float(p):.0f}%"


def _target_text(row: pd.Series, lang: str) -> str:
    t = _tx(lang)
    comp = str(row.get("comparator", "") or "")
    value = _with_unit(row["target"], row["unit"], lang)
    if comp == "==":
        return f"{t['keep']} {value}" if lang == "en" else f"{t['keep']}{value}"
    return f"{_COMPARATOR.get(comp, '')}{value}"


def _name(row: pd.Series, lang: str) -> str:
    col = "name_zh" if lang == "zh" else "name_en"
    v = row.get(col, "")
    return str(v) if v is not None and not pd.isna(v) and str(v) else str(row.get("name_zh", ""))


def short_name(name: str, width: int = 10) -> str:
    """Abbreviate an indicator name for crowded axes: drop quotes and (…) notes, cut."""
    s = re.sub(r"[“”\"'‘’「」]", "", str(name))
    s = re.sub(r"[（(][^）)]*[）)]", "", s).strip()
    s = re.sub(r"\s+", " ", s)
    return s if len(s) <= width else s[: width - 1] + "…"


def _wrap(text: str, width: int) -> str:
    """Wrap CJK text by characters and Latin text by words."""
    if re.search(r"[\u4e00-\u9fff]", text):
        return "\n".join(text[i:i + width] for i in range(0, len(text), width))
    return "\n".join(textwrap.wrap(text, int(width * 1.8)) or [text])


def _region_name(assessment, region: str, lang: str) -> str:
    data = getattr(assessment, "data", None)
    if data is not None and getattr(data, "regions", None) is not None and len(data.regions):
        try:
            return str(data.region_name(region, lang))
        except (KeyError, AttributeError):
            pass
    t = assessment.table
    names = t.loc[t["region"] == region, "region_name"]
    return str(names.iloc[0]) if len(names) else str(region)


def _category_label(assessment, category: str, lang: str) -> str:
    if lang == "zh":
        return category
    cat = getattr(getattr(assessment, "data", None), "catalogue", None)
    if cat is not None and "category_en" in cat:
        m = cat.loc[cat["category"] == category, "category_en"]
        if len(m) and str(m.iloc[0]):
            return str(m.iloc[0])
    return category


def _category_slug(assessment, category: str) -> str:
    slug = _category_label(assessment, category, "en")
    slug = re.sub(r"[^A-Za-z0-9]+", "_", slug).strip("_").lower()
    if not slug:
        cats = list(dict.fromkeys(assessment.table["category"]))
        slug = f"category{cats.index(category) + 1}"
    return slug


def _row(assessment, region: str, indicator: str) -> pd.Series:
    t = assessment.table
    m = (t["region"] == region) & (t["indicator"] == indicator)
    if not m.any():
        raise QAnalysisError(f"no assessment row for region {region!r}, indicator {indicator!r}")
    return t.loc[m].iloc[0]


def _isnum(v) -> bool:
    return v is not None and not pd.isna(v) and np.isfinite(float(v))


def _quantified(row: pd.Series) -> bool:
    return str(row["kind"]) != "unquantified" and _isnum(row["target"])


def _decimals(assessment, indicator: str) -> int:
    cat = getattr(getattr(assessment, "data", None), "catalogue", None)
    if cat is not None and "decimals" in cat:
        m = cat.loc[cat["id"] == indicator, "decimals"]
        if len(m) and not pd.isna(m.iloc[0]):
            return int(m.iloc[0])
    return 0


def _plan_name(assessment, lang: str) -> str:
    plan = getattr(getattr(assessment, "data", None), "plan", None)
    if plan is None:
        return ""
    return str(plan.name_zh if lang == "zh" else plan.name_en)


# ---------------------------------------------------------------- figure frame

_FOOTER_IN = 0.42   # inches kept free at the bottom for the data note
_STAMP_IN = 0.45    # inches kept free at the top for the illustrative stamp


def _new_figure(size: tuple[float, float], a4: str = "portrait") -> Figure:
    theme.apply()
    fig = Figure(figsize=size, layout="constrained")
    fig._qa_a4 = a4  # orientation this chart prefers when saved as A4
    fig._qa_default_size = size
    return fig


def _reserve(fig: Figure) -> None:
    """Wrap the note to the figure's width and keep room for it and the stamp.

    Margins are in inches, so they survive a resize in :func:`save`.
    """
    parts = getattr(fig, "_qa_note_parts", None)
    footer = getattr(fig, "_qa_footer", None)
    if parts is not None and footer is not None:
        note = _note(parts, fig._qa_lang, _note_width(fig.get_figwidth()))
        footer.set_text(note)
        fig._qa_footer_lines = note.count("\n") + 1
    h = fig.get_figheight()
    bottom = (0.1 + getattr(fig, "_qa_footer_lines", 1) * 0.22) / h
    top = (_STAMP_IN / h) if getattr(fig, "_qa_stamped", False) else 0.01
    engine = fig.get_layout_engine()
    if hasattr(engine, "set"):
        engine.set(rect=(0.0, bottom, 1.0, 1.0 - bottom - top))
    legend = getattr(fig, "_qa_legend", None)
    if legend is not None:  # a page legend sits just above the note, not on it
        legend.set_bbox_to_anchor((0.5, bottom), transform=fig.transFigure)


def _note_width(fig_width_in: float) -> float:
    """How many display units (CJK char = 2, Latin = 1) fit across the figure."""
    return fig_width_in * 72 * 0.96 / (theme.SIZE_NOTE * 0.5)


def _finish(fig: Figure, parts: list[str], illustrative: bool, lang: str) -> Figure:
    """Add the data note (always) and the illustrative stamp (exactly when needed)."""
    fig._qa_note_parts = [p for p in parts if p]
    fig._qa_lang = lang
    fig._qa_footer = fig.text(0.008, 0.008, "", ha="left", va="bottom", fontsize=theme.SIZE_NOTE,
                              color=theme.MUTED, gid="data_note", linespacing=1.3)
    fig._qa_stamped = bool(illustrative)
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
    st = {str(s) for s in statuses if s is not None and not pd.isna(s) and str(s)}
    d = _tx(lang)["data_status"]
    if not st:
        return d[""]
    if st == {"illustrative"}:
        return d["illustrative"]
    if "illustrative" in st:
        return d["mixed"]
    if "provisional" in st:
        return d["provisional"]
    return d["published"]


def _badge(ax, x: float, y: float, code: str, text: str, fontsize: float, ha: str = "right",
           va: str = "bottom"):
    bg = status_colour(code)
    return ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=fontsize,
                   fontweight=theme.strong(), color=theme.text_colour_on(bg), gid="status_badge",
                   bbox=dict(boxstyle="round,pad=0.3", facecolor=bg, edgecolor="none"),
                   clip_on=False)


# ---------------------------------------------------------------- trajectory

def _draw_trajectory(ax, assessment, row: pd.Series, lang: str, compact: bool,
                     tick_size: float | None = None) -> dict:
    """Draw one indicator's trajectory into ``ax``; return what was plotted."""
    t = _tx(lang)
    region, indicator = str(row["region"]), str(row["indicator"])
    kind = str(row["kind"])
    unit = row["unit"]
    quantified = _quantified(row)
    series = assessment.series(region, indicator)
    series = series.sort_values("year") if len(series) else series
    ycol = "cumulative" if kind == "increment" else "value"
    obs = series.loc[series[ycol].notna()] if len(series) else series
    path = assessment.path(region, indicator)
    path = path.sort_values("year") if len(path) else path
    ms = 5 if compact else 9
    lw = 1.4 if compact else 2.2

    yvals: list[float] = []
    years: list[float] = []

    # forecast bands first, so points and lines sit on top
    fit_drawn = False
    band_drawn = False
    if len(path) and path["forecast"].notna().any():
        px = path["year"].astype(float).to_numpy()
        for level, colour in (("95", theme.BAND95), ("80", theme.BAND80)):
            lo = path[f"pi{level}_low"].astype(float).to_numpy()
            hi = path[f"pi{level}_high"].astype(float).to_numpy()
            ok = np.isfinite(lo) & np.isfinite(hi)
            if ok.sum() >= 1:
                ax.fill_between(px[ok], lo[ok], hi[ok], color=colour, linewidth=0, gid=f"pi{level}",
                                label=t[f"pi{level}"], zorder=1)
                yvals += list(lo[ok]) + list(hi[ok])
                band_drawn = True
        fy = path["forecast"].astype(float).to_numpy()
        okf = np.isfinite(fy)
        model = str(row.get("model", "") or "")
        model_txt = t["model"].get(model, model or ("linear" if lang == "en" else "线性回归"))
        ax.plot(px[okf], fy[okf], color=theme.FORECAST, lw=lw, ls="--", gid="forecast",
                label=t["forecast"].format(model=model_txt), zorder=3)
        yvals += list(fy[okf])
        years += list(px[okf])
        fit_drawn = True

    # the straight path the target requires
    by, ty = row.get("baseline_year"), row.get("target_year")
    start = 0.0 if kind == "increment" else row.get("baseline")
    if kind == "increment" and not _isnum(by):
        # a new indicator ("-" baseline): the running total still starts at 0 in the plan's base year
        plan = getattr(getattr(assessment, "data", None), "plan", None)
        by = plan.base_year if plan is not None else (
            float(obs["year"].min()) - 1 if len(obs) else None)
    if quantified and _isnum(by) and _isnum(ty) and _isnum(start):
        ax.plot([float(by), float(ty)], [float(start), float(row["target"])], color=theme.REQUIRED,
                lw=lw * 0.8, ls=":", gid="required_path", label=t["required"], zorder=2)
        yvals += [float(start), float(row["target"])]
        years += [float(by), float(ty)]

    # observed values: a thin line through all, markers by status
    if len(obs):
        x = obs["year"].astype(float).to_numpy()
        y = obs[ycol].astype(float).to_numpy()
        ax.plot(x, y, color=theme.OBSERVED, lw=lw * 0.6, alpha=0.6, gid="observed_line", zorder=4)
        styles = {
            "published": dict(marker="o", mfc=theme.OBSERVED, mec=theme.OBSERVED),
            "provisional": dict(marker="D", mfc=theme.MUTED, mec=theme.MUTED),
            "illustrative": dict(marker="o", mfc="white", mec=theme.OBSERVED),
        }
        for st, style in styles.items():
            m = (obs["status"].astype(str) == st).to_numpy()
            if m.any():
                ax.plot(x[m], y[m], ls="none", ms=ms, mew=1.6, gid=f"obs_{st}", label=t[st],
                        zorder=5, **style)
        yvals += list(y)
        years += list(x)

    # baseline point (for increment the start of the running total is 0 in the base year)
    if _isnum(by) and _isnum(start):
        lab = (f"{t['baseline']} {int(by)}：{_with_unit(start, unit, lang)}" if kind != "increment"
               else t["start"])
        if lang == "en" and kind != "increment":
            lab = f"{t['baseline']} {int(by)}: {_with_unit(start, unit, lang)}"
        ax.plot([float(by)], [float(start)], ls="none", marker="s", ms=ms + 7, mfc="none",
                mec=theme.OKABE_ITO["orange"], mew=2.2, gid="baseline", label=lab, zorder=6)
        yvals.append(float(start))
        years.append(float(by))

    if quantified:
        yvals.append(float(row["target"]))
    if _isnum(ty):
        years.append(float(ty))

    # axis ranges, kept inside the natural bounds
    if yvals:
        lo, hi = float(np.nanmin(yvals)), float(np.nanmax(yvals))
    else:
        lo, hi = 0.0, 1.0
    span = hi - lo
    pad = 0.1 * span if span > 0 else max(abs(hi) * 0.05, 1.0)
    ylo, yhi = lo - pad, hi + pad
    lb, ub = row.get("lower_bound"), row.get("upper_bound")
    if _isnum(lb) and ylo < float(lb):
        ylo = min(lo, float(lb)) - pad * 0.15
    if _isnum(ub) and yhi > float(ub):
        yhi = max(hi, float(ub)) + pad * 0.15
    ax.set_ylim(ylo, yhi)
    if years:
        ax.set_xlim(min(years) - 0.5, max(years) + 0.5)
        ticks = np.arange(math.ceil(min(years)), math.floor(max(years)) + 1)
        if compact and len(ticks) > 5:
            ticks = ticks[(ticks - ticks[-1]) % 2 == 0]
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(int(v)) for v in ticks])

    # target line and the acceptable side
    if quantified:
        target = float(row["target"])
        comp = str(row["comparator"])
        tlabel = f"{t['target']} {_target_text(row, lang)}" + (f"（{int(ty)}年）" if lang == "zh" and _isnum(ty)
                                                              else (f" ({int(ty)})" if _isnum(ty) else ""))
        ax.axhline(target, color=theme.TARGET, lw=lw * 0.7, ls=(0, (6, 3)), gid="target_line",
                   label=tlabel, zorder=2)
        if comp == ">=":
            ax.axhspan(target, yhi, color=theme.TARGET_ZONE, alpha=0.12, lw=0, gid="target_zone", zorder=1.5)
        elif comp == "<=":
            ax.axhspan(ylo, target, color=theme.TARGET_ZONE, alpha=0.12, lw=0, gid="target_zone", zorder=1.5)
        else:
            tol = 0.5 * 10 ** (-_decimals(assessment, indicator))
            zlo, zhi = target - tol, target + tol
            if _isnum(ub):
                zhi = min(zhi, float(ub))
            if _isnum(lb):
                zlo = max(zlo, float(lb))
            ax.axhspan(zlo, zhi, color=theme.TARGET_ZONE, alpha=0.18, lw=0, gid="target_zone", zorder=1.5)
        ax.set_ylim(ylo, yhi)

    # forecast value at the target year
    if fit_drawn and _isnum(row.get("forecast")) and _isnum(ty) and not compact:
        fv = float(row["forecast"])
        ax.plot([float(ty)], [fv], marker="o", ms=ms, color=theme.FORECAST, ls="none",
                gid="forecast_point", zorder=6)
        ax.annotate(_with_unit(fv, unit, lang), (float(ty), fv), xytext=(-12, 0),
                    textcoords="offset points", ha="right", va="center", fontsize=theme.SIZE_TICK,
                    color=theme.FORECAST, gid="forecast_label", zorder=7,
                    bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.85))

    # what is missing, said in words
    notes = []
    if not quantified:
        notes.append(t["no_target"])
    if not fit_drawn:
        notes.append(t["no_fit"] if len(obs) else t["no_data"])
    elif not band_drawn:
        notes.append(t["no_interval"])
    if notes:
        ax.text(0.02, 0.96, "\n".join(notes), transform=ax.transAxes, ha="left", va="top",
                fontsize=theme.SIZE_SMALL if compact else theme.SIZE_BASE, color=theme.INK,
                gid="note", bbox=dict(boxstyle="round,pad=0.3", facecolor="white",
                                      edgecolor=theme.GRID, alpha=0.9), zorder=7)

    ylabel = _unit(unit, lang)
    if kind == "increment":
        first = row.get("baseline_year") if _isnum(row.get("baseline_year")) else row.get("first_year")
        first = int(first) if _isnum(first) else ""
        ylabel = t["cumulative"].format(first=first) + (f"（{ylabel}）" if lang == "zh" and ylabel
                                                        else (f" ({ylabel})" if ylabel else ""))
    if not compact:
        ax.set_ylabel(ylabel)
    ax.tick_params(labelsize=tick_size or (9 if compact else theme.SIZE_TICK))

    plotted_status = list(obs["status"].astype(str)) if len(obs) else []
    if kind == "increment" and len(series):
        plotted_status = list(series["status"].astype(str))  # every addition is in the running total
    return {
        "illustrative": "illustrative" in plotted_status,
        "statuses": plotted_status,
        "series": series,
        "latest_year": int(obs["year"].max()) if len(obs) else None,
    }


_LEGEND_ORDER = ["obs_published", "obs_provisional", "obs_illustrative", "baseline", "target_line",
                 "required_path", "forecast", "pi80", "pi95"]


def _ordered_legend(ax) -> tuple[list, list[str]]:
    """Legend entries in reading order: data, baseline, target, required path, forecast, bands."""
    handles, labels = ax.get_legend_handles_labels()
    rank = {g: i for i, g in enumerate(_LEGEND_ORDER)}
    pairs = sorted(zip(handles, labels), key=lambda hl: rank.get(hl[0].get_gid(), 99))
    return [h for h, _ in pairs], [lab for _, lab in pairs]


def _status_text(row: pd.Series, lang: str) -> str:
    code = str(row["status"])
    txt = status_label(code, lang)
    if _isnum(row.get("p_attain")) and code not in ("no_target", "insufficient_data"):
        txt += f"  {_tx(lang)['p_attain']} {_pct(row['p_attain'])}"
    return txt


def trajectory(assessment, region: str, indicator: str, lang: str = "zh", ax=None) -> Figure:
    """One indicator in one region: values, baseline, target, required path, forecast."""
    t = _tx(lang)
    row = _row(assessment, region, indicator)
    own = ax is None
    if own:
        fig = _new_figure(theme.SLIDE, a4="landscape")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    info = _draw_trajectory(ax, assessment, row, lang, compact=False)

    name = _name(row, lang)
    ax.set_title(_wrap(name, 34), loc="left", pad=36, fontsize=theme.SIZE_TITLE)
    sub = [_region_name(assessment, region, lang)]
    if _quantified(row):
        sub.append(f"{t['target']} {_target_text(row, lang)}")
    ax.text(0.0, 1.015, "  ·  ".join(sub), transform=ax.transAxes, ha="left", va="bottom",
            fontsize=theme.SIZE_SUBTITLE, color=theme.MUTED, gid="subtitle")
    _badge(ax, 1.0, 1.015, str(row["status"]), _status_text(row, lang), theme.SIZE_SUBTITLE)
    handles, labels = _ordered_legend(ax)
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
              fontsize=theme.SIZE_LEGEND)

    if not own:
        return fig  # drawn into the caller's axes: the caller owns the page and its note
    return _finish(fig, _chart_note(assessment, [row], [info], lang), info["illustrative"], lang)


def _chart_note(assessment, rows: list[pd.Series], infos: list[dict], lang: str,
                forecast: bool = True) -> list[str]:
    t = _tx(lang)
    statuses = [s for i in infos for s in i["statuses"]]
    years = [i["latest_year"] for i in infos if i["latest_year"]]
    parts = [_status_mix(statuses, lang)]
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
        parts.append((f"预测：{t['model'].get(model, model)}，阴影为80%/95%预测区间" if lang == "zh"
                      else f"forecast: {t['model'].get(model, model)}, shaded 80%/95% prediction intervals"))
    parts.append(_sources([i["series"] for i in infos], lang))
    return parts


# ---------------------------------------------------------------- small multiples

def small_multiples(assessment, region: str, category: str, lang: str = "zh") -> Figure:
    """Every indicator of one category for one region, one mini trajectory each."""
    t = _tx(lang)
    tab = assessment.table
    rows = tab.loc[(tab["region"] == region) & (tab["category"] == category)]
    if not len(rows):
        raise QAnalysisError(f"no indicators of category {category!r} for region {region!r}")
    n = len(rows)
    ncols = n if n <= 3 else (4 if n <= 12 else 5 if n <= 20 else 6)
    nrows = math.ceil(n / ncols)
    fig = _new_figure(theme.SLIDE if nrows <= 3 else theme.A4_LANDSCAPE, a4="landscape")
    if nrows > 3:
        fig.set_size_inches(theme.SLIDE[0], max(theme.SLIDE[1], 2.35 * nrows + 1.2))
        fig._qa_default_size = tuple(fig.get_size_inches())
    # a last, short row of the grid holds the page legend, so the layout makes room for it
    gs = fig.add_gridspec(nrows + 1, ncols, height_ratios=[1.0] * nrows + [0.18 * max(1, nrows / 3)])
    axes = np.array([[fig.add_subplot(gs[i, j]) for j in range(ncols)] for i in range(nrows)])
    legend_ax = fig.add_subplot(gs[nrows, :])
    legend_ax.axis("off")
    # fewer, wider panels get larger type
    sizes = ({"title": 11, "tick": 9, "badge": 8.5, "pad": 22} if ncols >= 4 else
             {"title": 14, "tick": 12, "badge": 11, "pad": 28})
    # characters a panel title holds: panel width / CJK glyph width, less the gaps
    width = max(6, int(theme.SLIDE[0] / ncols * 72 / sizes["title"] * 0.78))
    infos = []
    for ax, (_, row) in zip(axes.flat, rows.iterrows()):
        info = _draw_trajectory(ax, assessment, row, lang, compact=True, tick_size=sizes["tick"])
        infos.append(info)
        if lang == "zh":
            title = _wrap(short_name(_name(row, lang), 2 * width), width)
        else:  # Latin glyphs are about half as wide: two lines of 2×width characters
            lines = textwrap.wrap(_name(row, lang), int(2.1 * width))
            title = "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")
        ax.set_title(title, loc="left", fontsize=sizes["title"], fontweight=theme.strong(), pad=sizes["pad"])
        unit = _unit(row["unit"], lang)
        badge = status_label(str(row["status"]), lang)
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


# ---------------------------------------------------------------- heatmap

def _region_order(assessment) -> list[str]:
    present = list(dict.fromkeys(assessment.table["region"].astype(str)))
    regions = getattr(getattr(assessment, "data", None), "regions", None)
    order: list[str] = []
    if regions is not None and len(regions):
        r = regions.copy()
        r["_city"] = (r["level"].astype(str) != "city").astype(int)
        order = [c for c in r.sort_values("_city", kind="stable")["code"].astype(str) if c in present]
    plan = getattr(getattr(assessment, "data", None), "plan", None)
    city = str(plan.city_code) if plan is not None else None
    order += [c for c in present if c not in order]
    if city in order:
        order.remove(city)
        order.insert(0, city)
    return order


def _indicator_order(assessment) -> list[str]:
    tab = assessment.table
    cat = getattr(getattr(assessment, "data", None), "catalogue", None)
    ids = list(dict.fromkeys(tab["indicator"].astype(str)))
    if cat is not None and len(cat):
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

    year = getattr(getattr(getattr(assessment, "data", None), "plan", None), "target_year", None)
    if year is None:
        ty = tab["target_year"].dropna()
        year = int(ty.max()) if len(ty) else ""
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


# ---------------------------------------------------------------- review (表1)

def _review_frame(review_table: pd.DataFrame) -> pd.DataFrame:
    df = review_table.copy()
    if "indicator" not in df and "id" in df:
        df["indicator"] = df["id"]
    for col in ("name_zh", "target", "achieved"):
        if col not in df:
            raise QAnalysisError(f"review table: column {col!r} missing (have {list(df.columns)})")
    comp = df["comparator"].astype(str) if "comparator" in df else pd.Series(">=", index=df.index)
    tgt = pd.to_numeric(df["target"], errors="coerce").astype(float)
    ach = pd.to_numeric(df["achieved"], errors="coerce").astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(comp == "<=", tgt / ach * 100.0, ach / tgt * 100.0)
    pct = np.where(np.isfinite(pct), pct, np.nan)
    df["_pct"] = pct
    if "met" in df:
        met = df["met"].astype("boolean")
    else:
        # the one met rule (attainment), not a re-implementation: "==" is not ">="
        from qanalysis.attainment import meets_target
        from qanalysis.review import review_decimals

        met = pd.Series(meets_target(ach.to_numpy(), tgt.to_numpy(), comp.to_numpy(dtype=object),
                                     review_decimals(df)), index=df.index).astype("boolean")
        met[ach.isna() | tgt.isna()] = pd.NA
    df["_met"] = met
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


# ---------------------------------------------------------------- export

def _png_bytes(fig: Figure, dpi: int) -> bytes:
    """Render with Agg and encode as RGB PNG (no alpha: about a third less to compress)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    old_canvas, old_dpi = fig.canvas, fig.dpi
    canvas = FigureCanvasAgg(fig)
    try:
        fig.dpi = dpi
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        img = Image.fromarray(rgba, "RGBA").convert("RGB")
    finally:
        fig.dpi = old_dpi
        fig.set_canvas(old_canvas)
    out = io.BytesIO()
    img.save(out, format="png", compress_level=6, dpi=(dpi, dpi))
    return out.getvalue()


def _freeze_layout(fig: Figure) -> None:
    """After the first render keep the computed positions: later formats skip the layout pass."""
    try:
        fig.set_layout_engine("none")
    except RuntimeError:  # an engine that cannot be swapped: keep it, it only costs time
        pass


def save(fig: Figure, out_dir, stem: str, size: str | None = None,
         formats: Iterable[str] = ("png", "svg")) -> list[Path]:
    """Write ``fig`` as ``out_dir/stem.png`` (300 dpi) and ``.svg``, atomically; close it.

    ``size``: "slide" (13.33×7.5 in, 16:9), "a4" (the chart's preferred A4
    orientation) or None (the size the chart was drawn at).
    """
    if not re.fullmatch(r"[A-Za-z0-9._-]+", stem):
        raise QAnalysisError(f"chart file name must be ASCII letters, digits, '._-': {stem!r}")
    out_dir = Path(out_dir)
    if size is not None:
        if size == "slide":
            dims = theme.SLIDE
        elif size == "a4":
            dims = theme.A4_LANDSCAPE if getattr(fig, "_qa_a4", "portrait") == "landscape" else theme.A4_PORTRAIT
        elif size in SIZES:
            dims = SIZES[size]
        else:
            raise QAnalysisError(f"size must be 'slide' or 'a4', not {size!r}")
        fig.set_size_inches(*dims)
        if fig.get_layout_engine() is not None and hasattr(fig, "_qa_footer_lines"):
            _reserve(fig)
    formats = [f.lower().lstrip(".") for f in formats]
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad:
        close(fig)
        raise QAnalysisError(f"unsupported chart format(s) {bad} (png, svg, pdf)")
    written: list[Path] = []
    try:
        for fmt in formats:
            target = out_dir / f"{stem}.{fmt}"
            if fmt == "png":
                atomic.write_bytes(target, _png_bytes(fig, theme.DPI_PNG))
            elif fmt in ("svg", "pdf"):
                atomic.write_with(target, lambda p, f=fmt: fig.savefig(p, format=f))
            else:
                raise QAnalysisError(f"unsupported chart format {fmt!r} (png, svg, pdf)")
            written.append(target)
            _freeze_layout(fig)
    finally:
        close(fig)
    return written


def close(fig: Figure) -> None:
    """Release a figure (pyplot's or not)."""
    import matplotlib.pyplot as plt

    plt.close(fig)
    fig.clear()


def quantified_indicators(assessment, region: str) -> list[str]:
    tab = assessment.table
    rows = tab.loc[tab["region"].astype(str) == region]
    return [str(r["indicator"]) for _, r in rows.iterrows() if _quantified(r)]


def _city_code(assessment) -> str | None:
    plan = getattr(getattr(assessment, "data", None), "plan", None)
    if plan is not None:
        return str(plan.city_code)
    regions = getattr(getattr(assessment, "data", None), "regions", None)
    if regions is not None and len(regions):
        c = regions.loc[regions["level"].astype(str) == "city", "code"]
        if len(c):
            return str(c.iloc[0])
    return None


def write_region_charts(assessment, region: str, out_dir, lang: str = "zh",
                        formats: Iterable[str] = ("png", "svg"), review_table=None) -> list[Path]:
    """The chart set for a region; for the city also heatmaps, rankings and 表1 review."""
    _tx(lang)
    region = str(region)
    if region not in set(assessment.table["region"].astype(str)):
        raise QAnalysisError(f"region {region!r} is not in the assessment")
    formats = tuple(formats)
    out: list[Path] = []
    for ind in quantified_indicators(assessment, region):
        out += save(trajectory(assessment, region, ind, lang), out_dir,
                    f"{region}_{ind}_trajectory", formats=formats)
    rows = assessment.table.loc[assessment.table["region"].astype(str) == region]
    for cat in dict.fromkeys(rows["category"].astype(str)):
        out += save(small_multiples(assessment, region, cat, lang), out_dir,
                    f"{region}_{_category_slug(assessment, cat)}_small_multiples", formats=formats)
    if region == _city_code(assessment):
        for value in ("p_attain", "status"):
            out += save(heatmap(assessment, value, lang), out_dir, f"{region}_heatmap_{value}",
                        formats=formats)
        for ind in quantified_indicators(assessment, region):
            out += save(ranking(assessment, ind, lang), out_dir, f"{ind}_ranking", formats=formats)
        if review_table is None:
            review_table = _review_table(assessment)
        if review_table is not None and len(review_table):
            out += save(review(review_table, lang), out_dir, "review13", formats=formats)
    return out


def _review_table(assessment):
    """qanalysis.review's table when that module is there, else 表1 as loaded."""
    data = getattr(assessment, "data", None)
    try:
        from . import review as review_mod  # noqa: WPS433

        fn = getattr(review_mod, "review", None) or getattr(review_mod, "review13", None)
        if fn is not None and data is not None:
            res = fn(data)
            return getattr(res, "table", res)
    except ImportError:
        pass
    rv = getattr(data, "review", None)
    return rv if rv is not None and len(rv) else None


# ---------------------------------------------------------------- command line

def _load_assessment(data_dir=None, model: str = "linear", regions=None):
    import qanalysis
    from .assess import assess

    data = qanalysis.load(data_dir=data_dir) if data_dir else qanalysis.load()
    return assess(data, model=model)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", required=True, help="region code, e.g. 330300 (the city) or 330302")
    parser.add_argument("--out", default=None, help="output folder (default reports/charts/REGION)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--model", default="linear", help="forecast model (default linear)")
    parser.add_argument("--data-dir", default=None, help="data folder holding raw/ and processed/")
    parser.add_argument("--formats", default="png,svg", help="comma-separated: png,svg,pdf")


def run(args: argparse.Namespace) -> int:
    assessment = _load_assessment(args.data_dir, args.model)
    out = Path(args.out) if args.out else config.REPORTS_DIR / "charts" / str(args.region)
    paths = write_region_charts(assessment, str(args.region), out, lang=args.lang,
                                formats=[f.strip() for f in args.formats.split(",") if f.strip()])
    print(f"wrote {len(paths)} files to {out}")
    return 0


__all__ = ["trajectory", "small_multiples", "heatmap", "ranking", "review", "save", "close",
           "write_region_charts", "short_name", "quantified_indicators", "configure_parser", "run"]
