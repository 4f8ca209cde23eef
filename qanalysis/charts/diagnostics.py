"""Regression diagnostics of one series: data and fit, residuals by year, Cook's distance by year."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from . import theme
from ..analysis.detail import COOK_THRESHOLD, _ols, _year_span, influence_sentence
from ..errors import QAnalysisError
from ..vocab import COMPARATOR_SIGNS, DIAGNOSTICS_WORDS, MODEL
from .frame import _finish, _new_figure, _status_mix
from .text import _num, _unit


def diagnostics(d, lang: str = "zh") -> Figure:
    """Diagnostics of one series' fit (a :class:`qanalysis.analysis.detail.Detail`): data and fit,
    residuals by year, Cook's distance by year."""
    if lang not in DIAGNOSTICS_WORDS:
        raise QAnalysisError(f"lang must be 'zh' or 'en', not {lang!r}")
    w = DIAGNOSTICS_WORDS[lang]
    fig = _new_figure(theme.SLIDE, a4="landscape")
    gs = fig.add_gridspec(2, 2, height_ratios=[1.25, 1.0])
    ax_fit = fig.add_subplot(gs[0, :])
    ax_res = fig.add_subplot(gs[1, 0])
    ax_cook = fig.add_subplot(gs[1, 1])
    x = d.years.astype(float)
    flagged = d.influential_year if d.influential else None
    odd = (d.years == flagged) if flagged is not None else np.zeros(len(x), dtype=bool)
    hi_colour = theme.STAMP  # vermillion: the year that drives the trend

    # data and fit, on the values' own scale (exp of the log line for log-linear)
    params = np.asarray(d.results.params, dtype=float)
    span_end = max(d.target_year, int(x.max()))
    grid = np.arange(int(x.min()), span_end + 1, dtype=float)

    def line(pr):
        z = pr[0] + pr[1] * grid
        return np.exp(z) if d.model == "loglinear" else z

    ax_fit.plot(x, d.values, ls="none", marker="o", ms=8, mfc="white", mec=theme.OBSERVED, mew=1.6,
                gid="observed", label=w["obs"], zorder=5)
    if odd.any():
        ax_fit.plot(x[odd], d.values[odd], ls="none", marker="o", ms=11, mfc=hi_colour, mec=hi_colour,
                    gid="influential_point", zorder=6, label=w["odd"].format(year=flagged))
    ax_fit.plot(grid, line(params), color=theme.FORECAST, lw=2.2, gid="fit_line", label=w["line"], zorder=4)
    if flagged is not None:
        keep = d.years != flagged
        alt = np.asarray(_ols(d.years[keep], d.values[keep], d.model).params, dtype=float)
        ax_fit.plot(grid, line(alt), color=hi_colour, lw=1.8, ls="--", gid="fit_without",
                    label=w["without"].format(year=flagged), zorder=3)
    if d.kind != "increment" and np.isfinite(d.forecast):
        # the target-year forecast with its 95% interval, as the assessment states it (for a rare
        # count the Poisson law's, so the legend says it is not the line's end)
        lo, hi = d.pi95
        err = None if not np.isfinite(lo) else [[d.forecast - lo], [hi - d.forecast]]
        ax_fit.errorbar([float(d.target_year)], [d.forecast], yerr=err, fmt="D", ms=8, color=theme.FORECAST,
                        ecolor=theme.FORECAST, elinewidth=2, capsize=6, zorder=6, gid="forecast_point",
                        label=w["forecast_rare" if d.rare else "forecast"].format(year=d.target_year))
        ax_fit.annotate(f"{_num(d.forecast)}", (float(d.target_year), d.forecast), xytext=(-10, 0),
                        textcoords="offset points", ha="right", va="center", fontsize=theme.SIZE_SMALL + 1,
                        color=theme.FORECAST, zorder=7,
                        bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.9))
    if np.isfinite(d.target) and d.kind != "increment":
        ax_fit.axhline(d.target, color=theme.TARGET, lw=1.2, ls=(0, (6, 3)), gid="target_line",
                       label=w["target"].format(target=f"{COMPARATOR_SIGNS.get(d.comparator, '') if lang == 'zh' else ''}"
                                                        f"{_num(d.target)}"), zorder=2)
    ax_fit.set_title(w["fit"], fontsize=theme.SIZE_SUBTITLE, loc="left")
    unit = _unit(d.unit, lang)
    ylab = unit + ("（每年新增）" if d.kind == "increment" and lang == "zh" else "")
    ax_fit.set_ylabel(ylab, rotation=0 if len(ylab) <= 2 else 90, labelpad=12 if len(ylab) <= 2 else 4)
    ax_fit.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=theme.SIZE_SMALL + 1)
    ax_fit.set_xticks(grid)
    ax_fit.set_xticklabels([str(int(v)) for v in grid])
    if d.kind == "increment":
        ax_fit.text(0.01, 0.97, w["inc"].format(year=d.target_year), transform=ax_fit.transAxes,
                    ha="left", va="top", fontsize=theme.SIZE_SMALL, color=theme.MUTED)

    # residuals by year
    resid = np.asarray(d.results.resid, dtype=float)
    ax_res.axhline(0.0, color=theme.MUTED, lw=1.0)
    ax_res.vlines(x, 0.0, resid, color=theme.FORECAST, lw=1.6, zorder=2)
    ax_res.plot(x, resid, ls="none", marker="o", ms=7, color=theme.FORECAST, gid="residuals", zorder=3)
    if odd.any():
        ax_res.plot(x[odd], resid[odd], ls="none", marker="o", ms=10, color=hi_colour, zorder=4)
    ax_res.set_title(w["resid"], fontsize=theme.SIZE_SUBTITLE, loc="left")
    unit_txt = w["log"] if d.model == "loglinear" else (f"（{unit}）" if lang == "zh" and unit else
                                                           (f" ({unit})" if unit else ""))
    ax_res.set_ylabel(w["resid_axis"].format(unit=unit_txt), fontsize=theme.SIZE_SMALL + 1)

    # Cook's distance by year, the threshold drawn
    cooks = d.cooks.to_numpy(dtype=float)
    if np.isfinite(cooks).any():
        colours = [hi_colour if o else theme.BAND80 for o in odd]
        bars = ax_cook.bar(x, np.nan_to_num(cooks), color=colours, width=0.6)
        for bar in bars:
            bar.set_gid("cooks_distance")
        ax_cook.axhline(COOK_THRESHOLD, color=theme.INK, lw=1.0, ls=(0, (5, 3)), gid="cook_threshold")
        ax_cook.text(0.01, COOK_THRESHOLD, w["threshold"], transform=ax_cook.get_yaxis_transform(),
                     ha="left", va="bottom", fontsize=theme.SIZE_SMALL, color=theme.INK, zorder=5,
                     bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.85))
        top = max(np.nanmax(cooks), COOK_THRESHOLD) * 1.15
        ax_cook.set_ylim(0, top)
    else:
        ax_cook.text(0.5, 0.5, w["few"], transform=ax_cook.transAxes, ha="center", va="center",
                     fontsize=theme.SIZE_SMALL, color=theme.MUTED)
    ax_cook.set_title(w["cook"], fontsize=theme.SIZE_SUBTITLE, loc="left")
    for ax in (ax_res, ax_cook):
        ax.set_xticks(x)
        ax.set_xticklabels([str(int(v))[-2:] if len(x) > 9 else str(int(v)) for v in x])
        ax.tick_params(labelsize=theme.SIZE_SMALL + 1)
    ax_fit.tick_params(labelsize=theme.SIZE_SMALL + 1)

    model = MODEL[lang]
    fig.suptitle(w["title"].format(name=f"{d.region_name}·{d.name_zh}"), x=0.01, ha="left", fontsize=theme.SIZE_TITLE - 2)
    sentence = influence_sentence(d, always=True) if lang == "zh" else ""
    parts = [_status_mix(d.statuses, lang),
             w["sub"].format(region=d.region_name, model=model.get(d.model, d.model),
                             span=_year_span(d.years) if lang == "zh" else f"{d.years.min()}–{d.years.max()}"),
             sentence]
    return _finish(fig, parts, d.illustrative, lang)
