"""The assessment table: trend, progress, target-year forecast and one status per series.

``assess(data)`` builds a (series × years) array from ``Dataset.observations``
for every (region, indicator) pair and runs the vectorized core
(:mod:`.panel`, :mod:`.trend`, :mod:`.forecast`, :mod:`.counts`) on all of it at once. The
status rule is :func:`status_rule` (one place; docs/methods.md says the same in
words); the reasons are :mod:`.reasons`. ``qanalysis assess`` prints the table.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import atomic, vocab
from . import attainment, counts, evaluation, trend
from . import forecast as fc
from ..data.series_source import source_columns
from ..dataset import Dataset
from ..plan import targetparse
from ..errors import QAnalysisError
from .panel import Panel, as_floats, as_int64, build_panel
from .reasons import REVERSAL_THRESHOLD as REVERSAL_THRESHOLD_, labels, reasons
from .status import STATUSES
from .workbook import write_workbook

TABLE_COLUMNS = [
    "region", "region_name", "indicator", "name_zh", "name_en", "category", "unit", "kind",
    "comparator", "direction", "lower_bound", "upper_bound", "baseline_year", "baseline",
    "target_year", "target", "target_basis", "n_points", "first_year", "latest_year", "latest",
    "data_status", "has_illustrative", "change_since_baseline", "avg_annual_change", "cagr",
    "cagr_required", "progress_ratio", "progress_category", "time_elapsed_share",
    "distance_covered_share", "cumulative", "model", "forecast", "pi80_low", "pi80_high",
    "pi95_low", "pi95_high", "p_attain", "status", "status_zh", "status_reason",
]
# added after the contract's columns
EXTRA_COLUMNS = ["ratio_base_year", "ratio_base", "pace_required", "limit_coefficient",
                 "progress_category_zh", "target_year_observed", "status_reason_en",
                 "data_basis", "data_source", "data_source_en", "fit_first_year",
                 "reversal_risk", "baseline_met", "flat_data", "data_decimals", "approx_target"]


# --------------------------------------------------------------------------- status rule
# P(attain) below this, for a target met today, raises the reversal flag (已达标（有回落风险）)
REVERSAL_THRESHOLD = REVERSAL_THRESHOLD_  # defined once in .reasons, which writes the sentence
# a stock held (保有量, 有效…) can fall: it is judged like a level, not as a running total
CAN_FALL_WORDS = ("保有量", "有效")


def stock_can_fall(name_zh) -> np.ndarray:
    """Which ``stock`` rows hold things that can lapse (valid trademarks, certificates held)."""
    names = np.asarray(name_zh, dtype=object)
    return np.array([any(w in str(n) for w in CAN_FALL_WORDS) for n in names.tolist()], dtype=bool)


def status_rule(*, has_target, target_year_observed, met_observed, n_points, kind,
                achieved_now, has_interval, p_attain, category, in_plan_value=None) -> np.ndarray:
    """The one status of each series (arrays of shape (S,)); the rule, in order:

    1. no numeric target                                  → ``no_target``
    2. the target year is observed (increment: every plan year) → ``met`` / ``missed``
    3. the latest value (increment: the additions summed) meets the target and was
       observed in a plan year → ``achieved`` — whatever the trend says; a trend that may
       undo it is the separate flag :func:`reversal_risk`. A base-year value alone never
       makes a row ``achieved`` (``in_plan_value``: a value in a plan year; default all).
    4. fewer than 2 points                                → ``insufficient_data``
    5. with a prediction interval (≥ 3 points, the data vary): P ≥ 0.8 ``on_track``,
       0.4 ≤ P < 0.8 ``at_risk``, P < 0.4 ``off_track``
    6. without one (2 points, log-linear on non-positive values, or data without
       variation beyond their rounding): the progress category decides — on_track →
       ``on_track``; acceleration_needed → ``at_risk``; limited_progress / moving_away →
       ``off_track``; none → ``insufficient_data``.
    """
    p = np.asarray(p_attain, dtype=float)
    category = np.asarray(category, dtype=object)
    achieved_now = np.asarray(achieved_now, dtype=bool)
    if in_plan_value is not None:
        achieved_now = achieved_now & np.asarray(in_plan_value, dtype=bool)
    with np.errstate(invalid="ignore"):
        by_p = np.select([p >= 0.8, p >= 0.4, p < 0.4], ["on_track", "at_risk", "off_track"],
                         "insufficient_data")
    by_category = np.select(
        [category == "on_track", category == "acceleration_needed",
         (category == "limited_progress") | (category == "moving_away")],
        ["on_track", "at_risk", "off_track"], "insufficient_data")
    out = np.select(
        [~has_target,
         target_year_observed & met_observed,
         target_year_observed & ~met_observed,
         achieved_now,
         n_points < 2,
         has_interval & np.isfinite(p)],
        ["no_target", "met", "missed", "achieved", "insufficient_data", by_p],
        by_category)
    return out.astype(object)


def reversal_risk(status, kind, can_fall, has_interval, p_attain, keep_at_bound=None,
                  off_share=None) -> np.ndarray:
    """The flag beside ``achieved``: the trend may undo a target met today.

    A level (or a stock that can fall) that is ``achieved`` with a prediction interval
    and P(attain in the target year) < :data:`REVERSAL_THRESHOLD`. A running total or a
    sum of additions cannot fall back, so it is never flagged.

    Keep-at-a-bound (保持100, values capped at 100; ``keep_at_bound``): the values cannot
    pass the bound, so the line's mean sits below it after any dip and P < 0.5 for every
    series that ever dipped once. There the flag also needs the record to show the drift:
    the value was off the keep window in at least half of the plan years observed
    (``off_share`` ≥ 0.5) — one dip in 2022 followed by 100, 100 is not flagged.
    """
    kind = np.asarray(kind, dtype=object)
    p = np.asarray(p_attain, dtype=float)
    may_fall = (kind == "level") | ((kind == "stock") & np.asarray(can_fall, dtype=bool))
    with np.errstate(invalid="ignore"):
        low = np.isfinite(p) & (p < REVERSAL_THRESHOLD)
    out = (np.asarray(status, dtype=object) == "achieved") & may_fall & np.asarray(has_interval, bool) & low
    if keep_at_bound is not None:
        with np.errstate(invalid="ignore"):
            drift = np.asarray(off_share, dtype=float) >= 0.5
        out = out & (~np.asarray(keep_at_bound, dtype=bool) | drift)
    return out


def compute(data: Dataset, model: str = "linear", regions=None) -> tuple[pd.DataFrame, Panel]:
    """The assessment table (unsorted extra columns included) and the panel behind it."""
    if model not in fc.MODELS:
        raise QAnalysisError(f"model must be one of {', '.join(fc.MODELS)}, not {model!r}")
    frame, p = build_panel(data, model, regions)
    Y, years = p.Y, p.years
    S = len(frame)
    inc = p.kind == "increment"
    obs = np.isfinite(Y)
    n_points = obs.sum(axis=1)
    any_obs = n_points > 0
    first_idx = np.argmax(obs, axis=1)
    last_idx = Y.shape[1] - 1 - np.argmax(obs[:, ::-1], axis=1)
    first_year = np.where(any_obs, years[first_idx], np.nan)
    latest_year = np.where(any_obs, years[last_idx], np.nan)
    latest = np.where(any_obs, Y[np.arange(S), last_idx], np.nan)
    in_plan_obs = obs & (years[None, :] >= p.first_year) & (years[None, :] <= latest_year[:, None])
    cumulative = np.where(inc & in_plan_obs.any(axis=1), np.where(in_plan_obs, Y, 0.0).sum(axis=1), np.nan)

    target = as_floats(frame["target"])
    kind_unq = frame["kind"].astype(str).to_numpy() == "unquantified"
    # an unquantified indicator has no number in the plan; a number the user supplies
    # for a region (Dataset.targets) is used ("unquantified: trend only, unless the user supplies the number")
    comparator = frame["comparator"].astype(str).to_numpy(dtype=object)
    has_target = np.isfinite(target) & np.isin(comparator, (">=", "<=", "=="))
    # "keep at the target" (==) is judged at the precision the values are reported in
    # (attainment.meets_target): the finer of the target's and the series' decimals
    keep_decimals = frame["decimals"].astype("float64").fillna(0).to_numpy().astype(np.int64)
    eq = np.flatnonzero(comparator == "==")
    if len(eq):
        keep_decimals[eq] = attainment.keep_decimals(keep_decimals[eq], attainment.reported_decimals(Y[eq]))
    tol = attainment.tolerance(keep_decimals)
    p.tol = tol  # detail() judges one series with the same tolerance

    # effective start point for the progress ratio: the plan's baseline; without one, the
    # observed value in the plan's base year or the next year with data — never an earlier one
    base = as_floats(frame["baseline"])
    base_year = as_floats(frame["baseline_year"])
    # a county's baseline is its own (an override, or its own published/delivered base-year value:
    # plan/regions.py), never the city's level nor a pro-rata share; without one its progress
    # starts from its own first value in or after the base year (or there is none)
    start_year = np.where(np.isfinite(base_year), base_year, float(data.plan.base_year))
    from_start = obs & (years[None, :] >= start_year[:, None])
    has_start = from_start.any(axis=1)
    start_idx = np.argmax(from_start, axis=1)
    r_base = np.where(np.isfinite(base), base, np.where(has_start, Y[np.arange(S), start_idx], np.nan))
    r_base_year = np.where(np.isfinite(base), start_year,
                           np.where(has_start, years[start_idx].astype(float), np.nan))

    # about-targets ("20 家左右"): judged at the stated tolerance (plan.targetparse.APPROX_TOLERANCE)
    approx = _approx(frame)
    judged = np.where(approx & has_target, targetparse.approx_threshold(target, comparator), target)
    now_value = np.where(inc, cumulative, latest)
    achieved_now = fc.meets(now_value, judged, comparator, tol) & has_target

    # the forecast
    pred = fc.predict_sum(p.fit, years, p.M, p.done)
    point = fc.bounded(pred.point, p.lower, p.upper)
    bands = {}
    for lv in fc.LEVELS:
        lo, hi = pred.interval(lv)
        bands[lv] = (fc.bounded(lo, p.lower, p.upper), fc.bounded(hi, p.lower, p.upper))
    # P(attain) of the value as it will be reported: a whole-number count meets "≤ 0" below 0.5,
    # a rate reported at two decimals meets "≥ 90" from 89.995 (the data's rounding unit)
    unit = 10.0 ** (-attainment.reported_decimals(Y).astype(float))
    prob = fc.p_attain(pred, judged, comparator, tol, p.lower, p.upper, reported=unit / 2.0)

    # rare events (a few a plan period): a Poisson rate with its uncertainty, not a line
    # the count law does not depend on the model chosen (log-linear cannot fit the zeros)
    rare = counts.is_rare_count(Y, p.kind, n_points)
    p.rare = rare  # path() and detail() draw these rows with the same law
    rare_rate = np.full(S, np.nan)
    if rare.any():
        ri = np.flatnonzero(rare)
        horizon = np.where(inc[ri], p.M[ri].sum(axis=1), p.target_year[ri] - latest_year[ri])
        start = np.where(inc[ri], p.done[ri], latest[ri])
        point[ri], rare_bands, prob[ri], rare_rate[ri] = counts.answer(
            Y[ri], p.kind[ri], start, horizon, judged[ri], comparator[ri], tol[ri], p.lower[ri], p.upper[ri])
        for lv in fc.LEVELS:
            bands[lv][0][ri], bands[lv][1][ri] = rare_bands[lv]
    prob = np.where(has_target, prob, np.nan)

    # observed verdict in the target year
    m_left = p.M.sum(axis=1)
    ty_idx = np.clip((p.target_year - years[0]).astype(int), 0, len(years) - 1)
    ty_obs_value = Y[np.arange(S), ty_idx]
    target_year_observed = np.where(inc, (m_left == 0) & any_obs, np.isfinite(ty_obs_value))
    final_value = np.where(inc, p.done, ty_obs_value)
    met_observed = fc.meets(final_value, judged, comparator, tol)

    tr = trend.progress(
        kind=p.kind, comparator=comparator, direction=frame["direction"].to_numpy(dtype=float),
        lower=p.ylower, upper=p.yupper, target=target, target_year=p.target_year,
        base_year=r_base_year, base=r_base, first_year=np.full(S, p.first_year),
        latest_year=latest_year, latest=latest, cumulative=cumulative, achieved=achieved_now,
        plan_years_observed=in_plan_obs.sum(axis=1))

    # data without variation beyond their rounding (60, 60, –, 60; six years at 95.5): the line's
    # residual variance is no larger than the rounding error's (unit²/12), so a probability of 0 or
    # 1 would be a certainty the data cannot carry: 数据无波动，概率不可估计, the category decides
    flat = flat_data(p.fit, unit, Y) & ~rare
    prob = np.where(flat, np.nan, prob)
    has_interval = p.fit.has_interval & np.isfinite(pred.scale) & ~flat
    has_interval = np.where(rare, True, has_interval)
    in_plan_value = np.isfinite(latest_year) & (latest_year >= p.first_year)
    status = status_rule(
        has_target=has_target, target_year_observed=target_year_observed, met_observed=met_observed,
        n_points=n_points, kind=p.kind, achieved_now=achieved_now, has_interval=has_interval,
        p_attain=prob, category=tr["progress_category"], in_plan_value=in_plan_value)
    can_fall = (p.kind == "stock") & stock_can_fall(frame["name_zh"].to_numpy(dtype=object))
    keep_at_bound = (comparator == "==") & has_target & (
        (np.isfinite(p.yupper) & (np.abs(target - p.yupper) <= tol))
        | (np.isfinite(p.ylower) & (np.abs(target - p.ylower) <= tol)))
    plan_obs = obs & (years[None, :] >= p.first_year)
    off = plan_obs & ~fc.meets(Y, target[:, None], comparator[:, None], tol[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        off_share = off.sum(axis=1) / plan_obs.sum(axis=1)
    flagged = reversal_risk(status, p.kind, can_fall, has_interval, prob, keep_at_bound, off_share)
    # no forecast beside 数据不足: a row without a fitted line, or judged 数据不足 (2 points, no
    # progress category), shows none anywhere
    no_line = (~p.fit.has_line & ~rare) | (status == "insufficient_data")
    point = np.where(no_line, np.nan, point)
    for lv in fc.LEVELS:
        bands[lv] = tuple(np.where(no_line | flat, np.nan, b) for b in bands[lv])
    row_model = np.where(rare, "poisson", model).astype(object)

    why_decimals = attainment.reported_decimals(Y).astype("int64")
    # the columns are collected first and made a DataFrame once (50 inserts cost more than the data)
    out = {
        "region": frame["region"].astype(str), "region_name": frame["region_name"].astype(str),
        "indicator": frame["indicator"].astype(str),
    }
    for c in ("name_zh", "name_en", "category", "unit", "kind"):
        out[c] = frame[c].astype(str).array  # already text: no second pass to infer it
    out["comparator"] = comparator
    out["direction"] = frame["direction"].astype("int64").to_numpy()
    out["lower_bound"], out["upper_bound"] = p.ylower, p.yupper
    out["baseline_year"] = as_int64(np.where(np.isfinite(base), base_year, np.nan))
    out["baseline"] = base
    out["target_year"] = as_int64(p.target_year)
    out["target"] = target
    out["target_basis"] = frame["target_basis"].astype("string").fillna("").to_numpy()
    out["n_points"] = n_points.astype("int64")
    out["first_year"] = as_int64(first_year)
    out["latest_year"] = as_int64(latest_year)
    out["latest"] = latest
    out["data_status"] = frame["data_status"].to_numpy()
    out["has_illustrative"] = frame["has_illustrative"].to_numpy(dtype=bool)
    for c in ("change_since_baseline", "avg_annual_change", "cagr", "cagr_required", "progress_ratio",
              "progress_category", "time_elapsed_share", "distance_covered_share"):
        out[c] = tr[c]
    out["cumulative"] = cumulative
    out["model"] = row_model  # the model each row actually used (poisson: the rare-event count law)
    out["forecast"] = point
    out["pi80_low"], out["pi80_high"] = bands[0.80]
    out["pi95_low"], out["pi95_high"] = bands[0.95]
    out["p_attain"] = prob
    out["status"] = status
    out["status_zh"] = status_labels(status, frame["target_basis"].astype("string").fillna("").to_numpy(),
                                     comparator, flagged)
    out["ratio_base_year"] = as_int64(r_base_year)
    out["ratio_base"] = r_base
    out["pace_required"] = tr["pace_required"]
    out["limit_coefficient"] = tr["limit_coefficient"]
    out["progress_category_zh"] = labels(tr["progress_category"], trend.CATEGORIES_ZH)
    out["target_year_observed"] = target_year_observed.astype(bool)
    out["reversal_risk"] = flagged.astype(bool)
    out["baseline_met"] = tr["baseline_met"].astype(bool)
    out["flat_data"] = flat.astype(bool)
    out["data_decimals"] = why_decimals  # the decimals the values are reported in: forecasts are written at them
    out["approx_target"] = approx & has_target  # "20家左右": the evaluation judges it at the same threshold
    why = dict(rare_rate=rare_rate, approx_threshold=np.where(approx & has_target, judged, np.nan), data_decimals=attainment.reported_decimals(Y), own_start=~np.isfinite(base) & np.isfinite(r_base), flat=flat,
               reversal=flagged, baseline_met=tr["baseline_met"], first_year=np.full(S, p.first_year), slope=p.fit.slope, base_year=r_base_year, base=r_base,
               pace_required=tr["pace_required"], cagr=tr["cagr"], cagr_required=tr["cagr_required"])
    zh, en = reasons(out, p.fit.reason, frame["has_target_row"].to_numpy(dtype=bool),
                 kind_unq, final_value, m_left, why)
    out = pd.DataFrame(out)  # the reasons read the arrays above, not the DataFrame's copies
    out["status_reason"] = zh
    out["status_reason_en"] = en
    for c, v in source_columns(data, out).items():  # what each series rests on: data_basis, data_source…
        out[c] = v
    out["fit_first_year"] = pd.array([data.plan.fit_first_year] * S, dtype="Int64")
    return out[TABLE_COLUMNS + EXTRA_COLUMNS], p


def _approx(frame) -> np.ndarray:
    """Which rows' plan target is an about-number ("约 20", "20 家左右"), one parse per text."""
    if "target_text" not in frame:
        return np.zeros(len(frame), dtype=bool)
    text = frame["target_text"].astype("string").fillna("").to_numpy(dtype=object)
    uniq = {t: targetparse.parse_cell(t).approx for t in set(text.tolist())}
    return np.array([uniq[t] for t in text.tolist()], dtype=bool)


def flat_data(fit_, unit, Y) -> np.ndarray:
    """Rows whose residual variance is no larger than the variance of rounding to ``unit``.

    A value reported to a unit carries at least the uniform rounding error, variance
    unit²/12; a fit leaving less than that has seen no variation the data could show.
    Log-linear: the same on the log scale, the unit relative to the series' geometric mean.
    """
    s2 = np.asarray(fit_.s2, dtype=float)
    u = np.asarray(unit, dtype=float)
    if fit_.model == "loglinear":
        with np.errstate(over="ignore", invalid="ignore"):
            u = u / np.exp(np.asarray(fit_.ybar, dtype=float))
    with np.errstate(invalid="ignore"):
        return np.asarray(fit_.has_interval, bool) & np.isfinite(s2) & (s2 <= u * u / 12.0)


def status_labels(status, basis, comparator, flagged) -> np.ndarray:
    """status_zh of every row: :func:`qanalysis.vocab.status_label` (全市统筹, the reversal flag)."""
    base = labels(status, {k: v.zh for k, v in STATUSES.items()})
    city = (np.asarray(status, dtype=object) == "no_target") & (np.asarray(basis, dtype=object) == "city_only")
    base[city] = vocab.CITY_WIDE_LABEL[0]
    idx = np.flatnonzero(flagged)
    base[idx] = [vocab.status_label("achieved", comparator=c, reversal=True) for c in comparator[idx]]
    return base


# --------------------------------------------------------------------------- result object
@dataclass
class Assessment:
    table: pd.DataFrame
    data: Dataset
    model: str
    panel: Panel

    def _row(self, region: str, indicator: str) -> int:
        try:
            if not self.panel.index:  # built on first use: a dict of 120,000 keys is not free
                self.panel.index = {k: i for i, k in enumerate(self.panel.keys)}
            return self.panel.index[(str(region), str(indicator))]
        except KeyError:
            raise QAnalysisError(f"no series ({region}, {indicator}) in this assessment") from None

    def series(self, region: str, indicator: str) -> pd.DataFrame:
        """The observations of one series by year, with the running total for increment."""
        i = self._row(region, indicator)
        obs = self.data.observations
        df = obs[(obs["region"] == str(region)) & (obs["indicator"] == str(indicator))]
        df = df.sort_values("year")[["year", "value", "status", "source"]].reset_index(drop=True)
        if self.panel.kind[i] == "increment":
            in_plan = df["year"] >= self.panel.first_year
            df["cumulative"] = df["value"].where(in_plan).cumsum().where(in_plan)
        else:
            df["cumulative"] = np.nan
        return df

    def path(self, region: str, indicator: str, years=None) -> pd.DataFrame:
        """Fitted line and 80%/95% bands per year; empty when there is no line (< 2 points).

        ``level``/``stock``: the trend value and the prediction interval of a new
        observation in each year (default: first observed year … target year).
        ``increment``: the cumulative additions since the plan's first year — observed
        years as observed (zero-width band), missing and future years predicted and
        summed (plan years only).
        """
        i = self._row(region, indicator)
        p = self.panel
        cols = ["year", "forecast", "pi80_low", "pi80_high", "pi95_low", "pi95_high"]
        if not p.fit.has_line[i]:
            return pd.DataFrame(columns=cols)
        inc = p.kind[i] == "increment"
        obs = np.isfinite(p.Y[i])
        if years is None:
            start = p.first_year if inc else int(p.years[obs].min())
            years = np.arange(start, int(p.target_year[i]) + 1)
        years = np.asarray(list(years), dtype=int)
        K = len(years)
        grid = p.years
        if inc:
            years = years[years >= p.first_year]
            K = len(years)
            upto = grid[None, :] <= years[:, None]
            plan = (grid >= p.first_year)[None, :] & upto
            M = plan & ~obs[None, :]
            done = np.where(plan & obs[None, :], p.Y[i][None, :], 0.0).sum(axis=1)
            m = M.sum(axis=1)
            lo_b = done + m * p.ylower[i] if np.isfinite(p.ylower[i]) else np.full(K, -np.inf)
            hi_b = done + m * p.yupper[i] if np.isfinite(p.yupper[i]) else np.full(K, np.inf)
            if np.any(years > grid[-1]):
                raise QAnalysisError(f"path years beyond {grid[-1]} are not supported")
        else:
            ext = np.union1d(grid, years)
            grid = ext
            M = grid[None, :] == years[:, None]
            done = np.zeros(K)
            lo_b = np.full(K, p.ylower[i])
            hi_b = np.full(K, p.yupper[i])
        fit_i = p.fit.take(np.full(K, i))
        pred = fc.predict_sum(fit_i, grid, M, done)
        out = pd.DataFrame({"year": years, "forecast": fc.bounded(pred.point, lo_b, hi_b)})
        for lv, name in ((0.80, "pi80"), (0.95, "pi95")):
            lo, hi = pred.interval(lv)
            out[f"{name}_low"] = fc.bounded(lo, lo_b, hi_b)
            out[f"{name}_high"] = fc.bounded(hi, lo_b, hi_b)
        # rare events: the same Poisson law as the table, not the line (docs/methods.md §3)
        y_i, kind_i = p.Y[i:i + 1], p.kind[i:i + 1]
        if p.rare is not None and p.rare[i]:
            if inc:
                start, horizon, ahead = done, M.sum(axis=1).astype(float), np.ones(K, dtype=bool)
            else:
                last = int(p.years[obs].max())
                start, horizon = np.full(K, p.Y[i][obs][-1]), (years - last).astype(float)
                ahead = years > last  # the fitted line stays for the years already observed
            j = np.flatnonzero(ahead)
            if len(j):
                point, bands, _, _ = counts.answer(np.repeat(y_i, len(j), axis=0), np.repeat(kind_i, len(j)),
                                                   start[j], horizon[j], np.full(len(j), np.nan),
                                                   np.full(len(j), ""), np.zeros(len(j)), lo_b[j], hi_b[j])
                out.loc[j, "forecast"] = point
                for lv, name in ((0.80, "pi80"), (0.95, "pi95")):
                    out.loc[j, f"{name}_low"], out.loc[j, f"{name}_high"] = bands[lv]
        return out

    def to_excel(self, path, lang: str = "zh") -> Path:
        """The table as .xlsx (Chinese headers when lang="zh"), autofilter, frozen header; atomic."""
        return write_workbook(self, path, lang)


def assess(data: Dataset, model: str = "linear", regions=None, as_of=None) -> Assessment:
    """Assess every (region, indicator) of ``data``; see docs/architecture.md for the columns.

    ``as_of`` (a date or ``YYYY-MM-DD``; the CLI passes today): once the plan period is over
    the rows are final evaluations (:func:`.evaluation.finalize`). None: the monitoring table,
    as the library has always returned it."""
    # stdlib, needed only on this path
    import gc

    if as_of is not None:  # as of D only the years before D's year exist (evaluation.usable)
        data = dataclasses.replace(data, observations=evaluation.usable(data.observations, as_of))

    # the table makes ~10^5 small lists and tuples at a time: the cyclic collector would scan
    # them (and every DataFrame alive) again and again for nothing — none of them form cycles
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        table, panel = compute(data, model, regions)
    finally:
        if was_enabled:
            gc.enable()
    if model == "loglinear":
        table = _zero_targets_linear(table, data, regions)
    if as_of is not None:
        table = evaluation.finalize(table, data, as_of)
    return Assessment(table=table, data=data, model=model, panel=panel)


def _zero_targets_linear(table: pd.DataFrame, data: Dataset, regions) -> pd.DataFrame:
    """A zero target (全面消除, ≤ 0) does not depend on the model: a log-linear line never reaches
    0, so those rows are the linear model's under either (docs/methods.md)."""
    tg = data.targets
    ids = set(tg.loc[(tg["target"] == 0) & (tg["comparator"].astype(str) == "<="), "indicator"].astype(str))
    if not ids:
        return table
    sub = dataclasses.replace(data, catalogue=data.catalogue[data.catalogue["id"].isin(ids)],
                              targets=tg[tg["indicator"].isin(ids)],
                              observations=data.observations[data.observations["indicator"].isin(ids)])
    lin = compute(sub, "linear", regions)[0]
    lin = lin[(lin["target"] == 0) & (lin["comparator"] == "<=")]
    key = lambda t: (t["region"].astype(str) + "\t" + t["indicator"].astype(str)).to_numpy()  # noqa: E731
    out = pd.concat([table[~np.isin(key(table), key(lin))], lin], ignore_index=True)
    return out.set_index(key(out)).loc[key(table)].reset_index(drop=True)


def write_assessment(assessment: Assessment, processed_dir) -> Path:
    """Write ``assessment.csv`` (UTF-8) into ``processed_dir`` atomically."""
    target = Path(processed_dir) / "assessment.csv"
    atomic.write_csv(assessment.table, target)
    return target
