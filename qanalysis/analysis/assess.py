"""The assessment table: trend, progress, target-year forecast and one status per series.

``assess(data)`` builds a (series × years) array from ``Dataset.observations``
for every (region, indicator) pair and runs the vectorized core
(:mod:`.panel`, :mod:`.trend`, :mod:`.forecast`, :mod:`.counts`) on all of it at once. The
status rule is :func:`status_rule` (one place; docs/methods.md says the same in
words); the reasons are :mod:`.reasons`. ``qanalysis assess`` prints the table.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import atomic
from . import attainment, counts, evaluation, trend
from . import forecast as fc
from ..data.series_source import source_columns
from ..dataset import Dataset
from ..errors import QAnalysisError
from .panel import Panel, as_floats, as_int64, build_panel
from .reasons import labels, reasons
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
                 "data_basis", "data_source", "data_source_en", "fit_first_year"]


# --------------------------------------------------------------------------- status rule
def status_rule(*, has_target, target_year_observed, met_observed, n_points, kind,
                achieved_now, has_interval, p_attain, category) -> np.ndarray:
    """The one status of each series (arrays of shape (S,)); the rule, in order:

    1. no numeric target                                  → ``no_target``
    2. the target year is observed (increment: every plan year) → ``met`` / ``missed``
    3. ``stock``/``increment`` whose latest value (cumulative) meets the target → ``achieved``
       (a running total or a sum of additions does not fall back below it)
    4. fewer than 2 points                                → ``insufficient_data``
    5. ``level`` whose latest value meets the target: ``achieved`` when P(attain) ≥ 0.5
       or there is no interval, else ``at_risk`` (it meets the target now; the trend
       may take it back below) — never ``off_track`` while the latest value meets it
    6. with a prediction interval (≥ 3 points): P ≥ 0.8 ``on_track``,
       0.4 ≤ P < 0.8 ``at_risk``, P < 0.4 ``off_track``
    7. without one (2 points, or log-linear on non-positive values): the progress
       category decides — on_track → ``on_track``; acceleration_needed → ``at_risk``;
       limited_progress / moving_away → ``off_track``; none → ``insufficient_data``.
    """
    kind = np.asarray(kind, dtype=object)
    p = np.asarray(p_attain, dtype=float)
    category = np.asarray(category, dtype=object)
    counts = (kind == "stock") | (kind == "increment")
    with np.errstate(invalid="ignore"):
        by_p = np.select([p >= 0.8, p >= 0.4, p < 0.4], ["on_track", "at_risk", "off_track"],
                         "insufficient_data")
    by_category = np.select(
        [category == "on_track", category == "acceleration_needed",
         (category == "limited_progress") | (category == "moving_away")],
        ["on_track", "at_risk", "off_track"], "insufficient_data")
    with np.errstate(invalid="ignore"):
        level_achieved = achieved_now & (~has_interval | (p >= 0.5))
    level_now = np.where(level_achieved, "achieved", "at_risk")
    out = np.select(
        [~has_target,
         target_year_observed & met_observed,
         target_year_observed & ~met_observed,
         counts & achieved_now,
         n_points < 2,
         ~counts & achieved_now,
         has_interval & np.isfinite(p)],
        ["no_target", "met", "missed", "achieved", "insufficient_data", level_now, by_p],
        by_category)
    return out.astype(object)


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
    start_year = np.where(np.isfinite(base_year), base_year, float(data.plan.base_year))
    from_start = obs & (years[None, :] >= start_year[:, None])
    has_start = from_start.any(axis=1)
    start_idx = np.argmax(from_start, axis=1)
    r_base = np.where(np.isfinite(base), base, np.where(has_start, Y[np.arange(S), start_idx], np.nan))
    r_base_year = np.where(np.isfinite(base), start_year,
                           np.where(has_start, years[start_idx].astype(float), np.nan))

    now_value = np.where(inc, cumulative, latest)
    achieved_now = fc.meets(now_value, target, comparator, tol) & has_target

    # the forecast
    pred = fc.predict_sum(p.fit, years, p.M, p.done)
    point = fc.bounded(pred.point, p.lower, p.upper)
    bands = {}
    for lv in fc.LEVELS:
        lo, hi = pred.interval(lv)
        bands[lv] = (fc.bounded(lo, p.lower, p.upper), fc.bounded(hi, p.lower, p.upper))
    prob = fc.p_attain(pred, target, comparator, tol, p.lower, p.upper)

    # rare events (a few a plan period): a Poisson rate with its uncertainty, not a line
    rare = counts.is_rare_count(Y, p.kind, n_points) & p.fit.has_interval
    p.rare = rare  # path() and detail() draw these rows with the same law
    rare_rate = np.full(S, np.nan)
    if rare.any():
        ri = np.flatnonzero(rare)
        horizon = np.where(inc[ri], p.M[ri].sum(axis=1), p.target_year[ri] - latest_year[ri])
        start = np.where(inc[ri], p.done[ri], latest[ri])
        point[ri], rare_bands, prob[ri], rare_rate[ri] = counts.answer(
            Y[ri], p.kind[ri], start, horizon, target[ri], comparator[ri], tol[ri], p.lower[ri], p.upper[ri])
        for lv in fc.LEVELS:
            bands[lv][0][ri], bands[lv][1][ri] = rare_bands[lv]
    prob = np.where(has_target, prob, np.nan)

    # observed verdict in the target year
    m_left = p.M.sum(axis=1)
    ty_idx = np.clip((p.target_year - years[0]).astype(int), 0, len(years) - 1)
    ty_obs_value = Y[np.arange(S), ty_idx]
    target_year_observed = np.where(inc, (m_left == 0) & any_obs, np.isfinite(ty_obs_value))
    final_value = np.where(inc, p.done, ty_obs_value)
    met_observed = fc.meets(final_value, target, comparator, tol)

    tr = trend.progress(
        kind=p.kind, comparator=comparator, direction=frame["direction"].to_numpy(dtype=float),
        lower=p.ylower, upper=p.yupper, target=target, target_year=p.target_year,
        base_year=r_base_year, base=r_base, first_year=np.full(S, p.first_year),
        latest_year=latest_year, latest=latest, cumulative=cumulative, achieved=achieved_now,
        plan_years_observed=in_plan_obs.sum(axis=1))

    has_interval = p.fit.has_interval & np.isfinite(pred.scale)
    status = status_rule(
        has_target=has_target, target_year_observed=target_year_observed, met_observed=met_observed,
        n_points=n_points, kind=p.kind, achieved_now=achieved_now, has_interval=has_interval,
        p_attain=prob, category=tr["progress_category"])

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
    out["baseline_year"] = as_int64(base_year)
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
    out["model"] = model
    out["forecast"] = point
    out["pi80_low"], out["pi80_high"] = bands[0.80]
    out["pi95_low"], out["pi95_high"] = bands[0.95]
    out["p_attain"] = prob
    out["status"] = status
    out["status_zh"] = labels(status, {k: v.zh for k, v in STATUSES.items()})
    out["ratio_base_year"] = as_int64(r_base_year)
    out["ratio_base"] = r_base
    out["pace_required"] = tr["pace_required"]
    out["limit_coefficient"] = tr["limit_coefficient"]
    out["progress_category_zh"] = labels(tr["progress_category"], trend.CATEGORIES_ZH)
    out["target_year_observed"] = target_year_observed.astype(bool)
    why = dict(rare_rate=rare_rate, slope=p.fit.slope, base_year=r_base_year, base=r_base,
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
    import gc

    # the table makes ~10^5 small lists and tuples at a time: the cyclic collector would scan
    # them (and every DataFrame alive) again and again for nothing — none of them form cycles
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        table, panel = compute(data, model, regions)
    finally:
        if was_enabled:
            gc.enable()
    if as_of is not None:
        table = evaluation.finalize(table, data, as_of)
    return Assessment(table=table, data=data, model=model, panel=panel)


def write_assessment(assessment: Assessment, processed_dir) -> Path:
    """Write ``assessment.csv`` (UTF-8) into ``processed_dir`` atomically."""
    target = Path(processed_dir) / "assessment.csv"
    atomic.write_csv(assessment.table, target)
    return target
