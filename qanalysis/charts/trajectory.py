"""Trajectory: a series, its baseline and target, the fitted path and its intervals."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from . import theme
from ..analysis.status import row_label
from .frame import _badge, _chart_note, _finish, _new_figure, _ordered_legend
from .text import _isnum, _name, _pct, _quantified, _region_name, _row, _target_text, _tx, _unit, _with_unit, _wrap


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
        if assessment.panel.rare is not None and assessment.panel.rare[assessment._row(region, indicator)]:
            model = "poisson"  # drawn from the Poisson law, as the table's forecast (docs/methods.md §3)
        model_txt = t["model"].get(model or "linear", model)
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
        by = assessment.data.plan.base_year
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
            # the met rule's own window (keep-at: the precision the values are reported in)
            tol = float(assessment.panel.tol[assessment._row(region, indicator)])
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


def _status_text(row: pd.Series, lang: str) -> str:
    code = str(row["status"])
    txt = row_label(row, lang)
    if lang == "zh" and str(row.get("evaluation_verdict") or ""):  # after the period: the evaluation's word
        txt = str(row["status_zh"])
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
