"""Regression detail for one series: statsmodels on exactly the points the assessment used.

The panel engine (:mod:`qanalysis.analysis.forecast`) fits every series at once and shows
only the answer. An analyst looking at one trajectory wants the rest: the
slope's confidence interval, R², Durbin–Watson, the residuals, and whether a
single odd year drives the forecast. ``detail(assessment, region, indicator)``
refits that one series with ``statsmodels.OLS`` on the same points, the same
transform (log y for the log-linear model) and, for ``increment`` indicators,
the same handling of the yearly additions (the fit is on the additions; the
target-year value is what is done plus the predicted additions of the plan
years still missing). Its forecast, intervals and P(attain) are computed from
the statsmodels fit (mean and covariance of the predictions) and equal the
assessment table's; tests/test_detail.py checks it. Two rules are the engine's
own, so the two cannot part: whether the points lie exactly on a line (residual
variance below the engine's relative epsilon is 0: :func:`_exact` asks
:func:`qanalysis.analysis.forecast.fit`), and the tolerance of a keep-at target
(``panel.tol``). A rare-event count (``panel.rare``) takes its forecast,
intervals and P(attain) from the same Poisson law as the table
(:mod:`qanalysis.analysis.counts`); the regression table still shows the line,
and says so (``预测方法``).

Influence, in one rule (docs/methods.md): a year is flagged when its Cook's
distance exceeds 1 (leaving it out moves the fitted line a lot) **and** its
externally studentized residual exceeds 3 in absolute value (the year itself is
odd, not just the end of a short series: with 5 points Cook's distance alone
exceeds 1 in about half of pure-noise series) **and** leaving it out changes
the answer: P(attain) moves by 20 percentage points or more (no target: the
forecast leaves the 80% interval). Fewer than 5 points: no flag.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import attainment, counts
from . import forecast as fc
from ..errors import QAnalysisError
from ..vocab import COMPARATOR_SIGNS, MODEL, format_number

COOK_THRESHOLD = 1.0
STUDENTIZED_THRESHOLD = 3.0
MIN_POINTS_FOR_INFLUENCE = 5
P_SHIFT = 0.2  # a change in P(attain) a reader would act on



@dataclass
class Detail:
    """One series' regression in full; ``results`` is statsmodels' ``OLSResults``."""

    region: str
    indicator: str
    region_name: str
    name_zh: str
    unit: str
    kind: str
    model: str
    target_year: int
    target: float
    comparator: str
    years: np.ndarray          # the years fitted
    values: np.ndarray         # the values fitted (yearly additions for increment), untransformed
    statuses: list            # data status of each fitted value
    results: object            # statsmodels OLSResults (on log values for loglinear)
    forecast: float
    pi80: tuple
    pi95: tuple
    p_attain: float
    done: float                # increment: additions already observed in the plan years
    summed_years: np.ndarray   # the years whose predicted values make up the forecast
    cooks: pd.Series           # Cook's distance by year (NaN below 3 points)
    leverage: pd.Series
    studentized: pd.Series     # externally studentized residuals
    influential_year: int | None
    influential: bool
    without: dict = field(default_factory=dict)  # forecast/p_attain with the flagged year left out
    illustrative: bool = False
    rare: bool = False         # a rare-event count: forecast, intervals and P from the Poisson law

    @property
    def table(self) -> pd.DataFrame:
        """The compact Chinese table (项目 → 数值), for a notebook or a report."""
        return _table(self)

    def summary(self):
        """statsmodels' own summary of the fit."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kurtosistest on few points
            return self.results.summary()


# --------------------------------------------------------------------------- the fit

def _points(assessment, i: int):
    p = assessment.panel
    y = p.Y[i]
    ok = np.isfinite(y)
    return p.years[ok].astype(int), y[ok].astype(float)


def _ols(years: np.ndarray, y: np.ndarray, model: str):
    # statsmodels only when a regression is detailed (seconds to import)
    import statsmodels.api as sm

    z = np.log(y) if model == "loglinear" else y
    X = sm.add_constant(years.astype(float), has_constant="add")
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")  # zero residual degrees of freedom with 2 points
        return sm.OLS(z, X).fit()


def _exact(results) -> bool:
    """The points lie on a line: the panel engine's own rule decides (its s² is then 0).

    statsmodels' residuals of an exact line are float noise of another size than the
    engine's, so the question is put to :func:`qanalysis.analysis.forecast.fit` on the
    same (transformed) points — the two can never judge one series differently.
    """
    z = np.asarray(results.model.endog, dtype=float)
    x = np.asarray(results.model.exog, dtype=float)[:, 1]
    return bool(fc.fit(x, z[None, :], "linear").s2[0] == 0.0)


def _prediction(results, model: str, years_h: np.ndarray, done: float) -> fc.Prediction:
    """Predictive distribution of ``done + Σ_h y(years_h)`` from the statsmodels fit.

    The mean of each prediction and the covariance of the means come from the
    fit (``X_h β``, ``X_h Cov(β) X_hᵀ``); each new observation adds the residual
    variance. A sum of log-normal predictions is matched by its first two moments
    (Fenton–Wilkinson), as the panel engine does.
    """
    df = int(round(results.df_resid))
    if len(years_h) == 0:  # every plan year observed: the value is what is done
        return fc.Prediction(model, np.array([done]), np.array([0.0]), np.array([df]),
                             np.array([done]), np.array([done]))
    Xh = np.column_stack([np.ones(len(years_h)), np.asarray(years_h, dtype=float)])
    mu = Xh @ np.asarray(results.params, dtype=float)
    if df >= 1 and not _exact(results):
        s2 = float(results.scale)
        C = Xh @ np.asarray(results.cov_params(), dtype=float) @ Xh.T + s2 * np.eye(len(years_h))
    else:  # two points, or points exactly on a line: no spread
        C = np.zeros((len(years_h), len(years_h)))
    if model == "linear":
        centre = done + mu.sum()
        scale = float(np.sqrt(C.sum()))
        point = centre
    else:
        e = np.exp(mu + np.diag(C) / 2.0)
        E = e.sum()
        V = float((np.outer(e, e) * np.expm1(C)).sum())
        sig2 = np.log1p(V / (E * E))
        centre = np.log(E) - sig2 / 2.0
        scale = float(np.sqrt(sig2))
        point = done + np.exp(centre)
    if df < 1:
        scale = np.nan
    return fc.Prediction(model, np.array([centre]), np.array([scale]), np.array([df]),
                         np.array([done]), np.array([point]))


def _answer(assessment, i: int, results, years_h, done, row, left_out=None):
    """Forecast, 80%/95% intervals and P(attain), bounded as the assessment bounds them.

    A rare-event count (the assessment's ``panel.rare``) takes them from the same
    Poisson law as the table (:func:`qanalysis.analysis.counts.answer`), its rate
    estimated without the year ``left_out`` when one is given; the regression
    above it stays the line's.
    """
    p = assessment.panel
    model = assessment.model
    lo_b, hi_b = p.lower[i:i + 1], p.upper[i:i + 1]
    target, comparator = float(row["target"]), str(row["comparator"])
    tol = p.tol[i:i + 1]  # the table's tolerance (keep-at targets at the data's precision)
    if p.rare is not None and p.rare[i]:
        return _rare_answer(p, i, lo_b, hi_b, target, comparator, tol, left_out)
    pred = _prediction(results, model, years_h, done)
    point = float(fc.bounded(pred.point, lo_b, hi_b)[0])
    bands = {}
    for lv in fc.LEVELS:
        lo, hi = pred.interval(lv)
        bands[lv] = (float(fc.bounded(lo, lo_b, hi_b)[0]), float(fc.bounded(hi, lo_b, hi_b)[0]))
    prob = np.nan
    if bool(row.get("flat_data", False)):
        # the table's rule (assess.flat_data): no variation beyond the data's rounding, so
        # neither an interval nor a probability (数据无波动，概率不可估计)
        return point, {lv: (np.nan, np.nan) for lv in fc.LEVELS}, prob
    if np.isfinite(target) and comparator in (">=", "<=", "=="):
        half = 0.5 * 10.0 ** (-float(attainment.reported_decimals(p.Y[i])))  # as the table: the reported value
        prob = float(fc.p_attain(pred, target, comparator, tol, lo_b, hi_b, reported=half)[0])
        if len(years_h) and pred.scale[0] == 0:
            # an exact line: a point mass, and statsmodels' coefficients carry float noise
            # (1.9999999999999987 for a flat 2), so compare as the observed verdict does
            prob = float(fc.meets(point, target, comparator, tol)[0])
    return point, bands, prob


def _rare_answer(p, i: int, lo_b, hi_b, target, comparator, tol, left_out=None):
    """The Poisson answer of row ``i``, as :func:`qanalysis.analysis.assess.compute` gives it."""
    y = p.Y[i:i + 1].copy()
    obs = np.isfinite(p.Y[i])
    last = int(p.years[obs].max())
    inc = p.kind[i] == "increment"
    horizon = p.M[i].sum() if inc else p.target_year[i] - last
    start = p.done[i] if inc else p.Y[i][obs][-1]
    if left_out is not None:
        y[0, p.years == left_out] = np.nan
    point, bands, prob, _ = counts.answer(y, p.kind[i:i + 1], np.array([start]), np.array([horizon], dtype=float),
                                          np.array([target]), np.array([comparator], dtype=object), tol, lo_b, hi_b)
    has_target = np.isfinite(target) and comparator in (">=", "<=", "==")
    return (float(point[0]), {lv: (float(lo[0]), float(hi[0])) for lv, (lo, hi) in bands.items()},
            float(prob[0]) if has_target else np.nan)


def _verdict_moves(point, bands, prob, point_without, prob_without) -> bool:
    """Leaving the year out changes the answer a reader acts on.

    With a target: P(attain) moves by at least ``P_SHIFT``. Without one (or
    without an interval): the forecast leaves the full fit's 80% interval.
    """
    if np.isfinite(prob) and np.isfinite(prob_without):
        return abs(prob_without - prob) >= P_SHIFT
    lo, hi = bands[0.80]
    if np.isfinite(lo) and np.isfinite(hi):
        return not (lo <= point_without <= hi)
    return False


def detail(assessment, region: str, indicator: str) -> Detail:
    """The statsmodels regression behind one (region, indicator) of ``assessment``."""
    i = assessment._row(region, indicator)
    p = assessment.panel
    t = assessment.table
    row = t.loc[(t["region"] == str(region)) & (t["indicator"] == str(indicator))].iloc[0]
    model = assessment.model
    years, values = _points(assessment, i)
    name = f"{row['region_name']}·{row['name_zh']}"
    if len(values) < 2:
        raise QAnalysisError(f"{name} ({region}, {indicator}): only {len(values)} data point(s); "
                             "a trend needs at least 2")
    if model == "loglinear" and (values <= 0).any():
        bad = int(years[values <= 0][0])
        raise QAnalysisError(f"{name} ({region}, {indicator}): the log-linear model needs positive "
                             f"values, {bad} is {values[values <= 0][0]:g}")
    results = _ols(years, values, model)
    years_h = p.years[p.M[i]].astype(int)
    done = float(p.done[i])
    point, bands, prob = _answer(assessment, i, results, years_h, done, row)
    if str(row["status"]) == "insufficient_data":  # 数据不足 carries no forecast, here as in the table
        point, prob = np.nan, np.nan
        bands = {lv: (np.nan, np.nan) for lv in bands}

    n = len(values)
    nan = pd.Series(np.nan, index=years)
    cooks, leverage, stud = nan.copy(), nan.copy(), nan.copy()
    if n >= 3:
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore")
            infl = results.get_influence()
            cooks = pd.Series(np.asarray(infl.cooks_distance[0], dtype=float), index=years)
            leverage = pd.Series(np.asarray(infl.hat_matrix_diag, dtype=float), index=years)
            if n >= 4:
                stud = pd.Series(np.asarray(infl.resid_studentized_external, dtype=float), index=years)
    infl_year, flagged, without = None, False, {}
    if cooks.notna().any() and cooks.max() > COOK_THRESHOLD:
        infl_year = int(cooks.idxmax())
        keep = years != infl_year
        r2 = _ols(years[keep], values[keep], model)
        f2, b2, p2 = _answer(assessment, i, r2, years_h, done, row, left_out=infl_year)
        without = {"year": infl_year, "forecast": f2, "pi95": b2[0.95], "p_attain": p2}
        flagged = (n >= MIN_POINTS_FOR_INFLUENCE
                   and abs(float(stud.loc[infl_year])) > STUDENTIZED_THRESHOLD
                   and _verdict_moves(point, bands, prob, f2, p2))

    series = assessment.series(region, indicator)
    st = series.set_index("year")["status"].astype(str)
    statuses = [st.get(int(y), "") for y in years]
    return Detail(
        region=str(region), indicator=str(indicator), region_name=str(row["region_name"]),
        name_zh=str(row["name_zh"]), unit="" if pd.isna(row["unit"]) else str(row["unit"]),
        kind=str(row["kind"]), model=model, target_year=int(p.target_year[i]),
        target=float(row["target"]) if pd.notna(row["target"]) else np.nan,
        comparator=str(row["comparator"]), years=years, values=values, statuses=statuses,
        results=results, forecast=point, pi80=bands[0.80], pi95=bands[0.95], p_attain=prob,
        done=done, summed_years=years_h, cooks=cooks, leverage=leverage, studentized=stud,
        influential_year=infl_year, influential=bool(flagged), without=without,
        illustrative=any(s == "illustrative" for s in statuses),
        rare=bool(p.rare is not None and p.rare[i]))


# --------------------------------------------------------------------------- words

def _num(v) -> str:
    return format_number(v)


def _sig(v) -> str:
    """Three significant digits: a slope of 0.0012 stays visible."""
    if v is None or not np.isfinite(v):
        return "—"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def _pct(p) -> str:
    return "—" if p is None or not np.isfinite(p) else f"{100 * p:.0f}%"


def _year_span(years: np.ndarray) -> str:
    """'2016–2024，共9年' and the missing years inside the span, if any."""
    first, last = int(years.min()), int(years.max())
    missing = sorted(set(range(first, last + 1)) - {int(y) for y in years})
    text = f"{first}–{last}年，共{len(years)}年"
    if missing:
        text += f"（缺{'、'.join(str(y) for y in missing)}年）"
    return text


def influence_sentence(d: Detail, always: bool = False) -> str:
    """One sentence when a single year drives the trend; "" otherwise (unless ``always``).

    For the Word report's appendix and the explorer: names the year, its Cook's
    distance, and what the forecast and P(attain) would be without it.
    """
    w = d.without
    if d.influential and w:
        text = (f"{w['year']}年数据对趋势影响较大（Cook距离{d.cooks.loc[w['year']]:.1f}，"
                f"明显偏离其余年份的趋势）：不计该年，{d.target_year}年预测为{_num(w['forecast'])}{d.unit}"
                f"（现为{_num(d.forecast)}{d.unit}）")
        if np.isfinite(w["p_attain"]) or np.isfinite(d.p_attain):
            text += f"，达标概率{_pct(w['p_attain'])}（现为{_pct(d.p_attain)}）"
        return text + "。"
    if not always:
        return ""
    n = len(d.years)
    if n < MIN_POINTS_FOR_INFLUENCE:
        return f"仅{n}个数据点，无法区分单个异常年份与随机波动，未作影响判断。"
    return f"没有单个年份主导趋势（最大Cook距离{d.cooks.max():.2f}，{int(d.cooks.idxmax())}年）。"


def _table(d: Detail) -> pd.DataFrame:
    r = d.results
    n = len(d.years)
    unit = d.unit
    rows: list[tuple[str, str]] = []
    rows.append(("指标", f"{d.region_name}·{d.name_zh}"))
    what = {"increment": "每年新增量", "stock": "年末累计值", "level": "年度值"}.get(d.kind, "年度值")
    rows.append(("模型", f"{MODEL['zh'].get(d.model, d.model)}，对{what}{'取对数' if d.model == 'loglinear' else ''}拟合"))
    rows.append(("拟合年份", _year_span(d.years)))
    rows.append(("观测数", str(n)))
    df = int(round(r.df_resid))
    b = float(r.params[1])
    if df >= 1:
        lo, hi = (float(v) for v in np.asarray(r.conf_int(0.05))[1])
    else:
        lo = hi = np.nan
    if d.model == "loglinear":
        g = np.expm1
        rows.append(("年均增长率及95%置信区间",
                     f"{100 * g(b):.2f}%［{100 * g(lo):.2f}%，{100 * g(hi):.2f}%］" if df >= 1
                     else f"{100 * g(b):.2f}%（无区间）"))
    else:
        per = "个百分点" if unit == "%" else unit
        rows.append(("斜率（每年）及95%置信区间",
                     f"{_sig(b)}{per}［{_sig(lo)}，{_sig(hi)}］" if df >= 1 else f"{_sig(b)}{per}（无区间）"))
    rows.append(("R²", f"{r.rsquared:.3f}" if df >= 1 else "—"))
    resid_sd = float(np.sqrt(r.scale)) if df >= 1 else np.nan
    rows.append(("残差标准差", (f"{resid_sd:.4f}（对数）" if d.model == "loglinear"
                               else f"{_sig(resid_sd)}{'个百分点' if unit == '%' else unit}")
                 if df >= 1 else "—"))
    if df >= 1:
        # statsmodels only when a regression is detailed (seconds to import)
        from statsmodels.stats.stattools import durbin_watson

        rows.append(("Durbin–Watson", f"{durbin_watson(r.resid):.2f}" + ("（点数少，仅供参考）" if n < 8 else "")))
    else:
        rows.append(("Durbin–Watson", "—"))
    if d.rare:
        rows.append(("预测方法", "稀少事件按泊松计数模型(发生率含估计不确定性)：下列预测、区间和达标概率"
                                 "与评估表相同，不取自上面的直线"))
    label = f"{d.target_year}年预测" + ("（期内累计新增）" if d.kind == "increment" else "")
    rows.append((label, f"{_num(d.forecast)}{unit}"))
    rows.append(("95%预测区间", f"［{_num(d.pi95[0])}，{_num(d.pi95[1])}］" if np.isfinite(d.pi95[0])
                 else "—（数据点少于3个）"))
    rows.append(("80%预测区间", f"［{_num(d.pi80[0])}，{_num(d.pi80[1])}］" if np.isfinite(d.pi80[0]) else "—"))
    if np.isfinite(d.target):
        rows.append(("目标", f"{COMPARATOR_SIGNS.get(d.comparator, '')}{_num(d.target)}{unit}"))
    rows.append(("达标概率", _pct(d.p_attain)))
    if d.cooks.notna().any():
        rows.append(("最大Cook距离", f"{d.cooks.max():.2f}（{int(d.cooks.idxmax())}年）"))
    rows.append(("单个年份的影响", influence_sentence(d, always=True)))
    if d.illustrative:
        rows.append(("数据性质", "含示例数据（非公开发布），仅演示方法"))
    return pd.DataFrame(rows, columns=["项目", "数值"]).set_index("项目")


# --------------------------------------------------------------------------- the figure
