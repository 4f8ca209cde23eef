"""The assessment table: trend, progress, target-year forecast and one status per series.

``assess(data)`` builds a (series × years) array from ``Dataset.observations``
for every (region, indicator) pair and runs the vectorized core
(:mod:`qanalysis.trend`, :mod:`qanalysis.forecast`) on all of it at once. The
status rule is :func:`status_rule` (one place; docs/methods.md says the same in
words). ``qanalysis assess`` prints the table.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import atomic, vocab
from . import forecast as fc
from . import attainment, counts
from . import trend
from ..dataset import Dataset
from ..errors import QAnalysisError
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
                 "progress_category_zh", "target_year_observed", "status_reason_en"]



# --------------------------------------------------------------------------- status rule
def status_rule(*, has_target, target_year_observed, met_observed, n_points, kind,
                achieved_now, has_interval, p_attain, category) -> np.ndarray:
    """The one status of each series (arrays of shape (S,)); the rule, in order:

    1. no numeric target                                  → ``no_target``
    2. the target year is observed (increment: every plan year) → ``met`` / ``missed``
    3. ``stock``/``increment`` whose latest value (cumulative) meets the target → ``achieved``
       (a running total or a sum of additions does not fall back below it)
    4. fewer than 2 points                                → ``insufficient_data``
    5. ``level`` whose latest value meets the target, and P(attain) ≥ 0.5 or no interval
                                                          → ``achieved``
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
    out = np.select(
        [~has_target,
         target_year_observed & met_observed,
         target_year_observed & ~met_observed,
         counts & achieved_now,
         n_points < 2,
         ~counts & level_achieved,
         has_interval & np.isfinite(p)],
        ["no_target", "met", "missed", "achieved", "insufficient_data", "achieved", by_p],
        by_category)
    return out.astype(object)


# --------------------------------------------------------------------------- the panel
@dataclass
class Panel:
    """Everything assess() computes, as arrays, kept for path()/series()."""

    keys: pd.MultiIndex     # (region, indicator) per row
    years: np.ndarray       # (T,)
    Y: np.ndarray           # (S, T) values, NaN = missing
    M: np.ndarray           # (S, T) years summed into the forecast
    done: np.ndarray        # (S,)
    kind: np.ndarray
    first_year: int
    target_year: np.ndarray
    lower: np.ndarray       # bounds of the forecast quantity
    upper: np.ndarray
    ylower: np.ndarray      # bounds of one year's value
    yupper: np.ndarray
    fit: fc.PanelFit
    index: dict = field(default_factory=dict)


def _int64(values) -> pd.arrays.IntegerArray:
    """Whole years as a nullable Int64 array (NaN → <NA>), built from the mask directly."""
    v = np.asarray(values, dtype=float)
    missing = ~np.isfinite(v)
    return pd.arrays.IntegerArray(np.where(missing, 0, v).astype(np.int64), missing)


def _floats(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy(dtype=float, na_value=np.nan)


def _series_frame(data: Dataset, regions) -> pd.DataFrame:
    reg = data.regions
    if regions is not None:
        regions = [str(r) for r in ([regions] if isinstance(regions, str) else regions)]
        unknown = [r for r in regions if r not in set(reg["code"])]
        if unknown:
            known = ", ".join(f"{c} {n}" for c, n in zip(reg["code"], reg["name_zh"]))
            raise QAnalysisError(f"unknown region code(s): {', '.join(unknown)}; known: {known}")
        reg = reg[reg["code"].isin(regions)]
    cat = data.catalogue.rename(columns={"id": "indicator"})
    rows = reg[["code", "name_zh"]].rename(columns={"code": "region", "name_zh": "region_name"})
    frame = rows.merge(cat, how="cross", suffixes=("", "_cat"))
    frame = frame.drop(columns=[c for c in ("baseline_year", "baseline", "target_year", "target")
                                if c in frame.columns])
    tg = data.targets
    tcols = ["region", "indicator", "baseline_year", "baseline", "target_year", "target",
             "comparator", "target_basis"]
    tg = tg[tcols].rename(columns={"comparator": "target_comparator"})
    tg = tg.reset_index(drop=True)
    # a left merge on (region, indicator), by position: the frame row of each target row
    same_order = (len(tg) == len(frame)
                  and (tg["region"].astype(str).to_numpy(dtype=object) == frame["region"].to_numpy(dtype=object)).all()
                  and (tg["indicator"].astype(str).to_numpy(dtype=object)
                       == frame["indicator"].to_numpy(dtype=object)).all())
    pos = np.arange(len(tg)) if same_order else _rows_of(frame, tg)  # targets listed in series order
    inside = pos >= 0
    dup = np.zeros(len(tg), dtype=bool)
    if inside.any() and np.bincount(pos[inside]).max() > 1:
        dup[inside] = pd.Series(pos[inside]).duplicated().to_numpy()
    if (~inside).any():
        dup[~inside] = tg[~inside].duplicated(["region", "indicator"]).to_numpy()
    if dup.any():
        r = tg[dup].iloc[0]
        raise QAnalysisError(f"Dataset.targets lists ({r['region']}, {r['indicator']}) more than once")
    at = np.full(len(frame), -1, dtype=np.int64)
    at[pos[inside]] = np.flatnonzero(inside)
    taken = tg.drop(columns=["region", "indicator"]).reindex(at).reset_index(drop=True)
    frame = pd.concat([frame.reset_index(drop=True), taken], axis=1)
    frame["has_target_row"] = frame["target_basis"].notna()
    tc = frame["target_comparator"].astype("string").fillna("")
    frame["comparator"] = np.where(tc != "", tc, frame["comparator"].astype(str))
    return frame.reset_index(drop=True)


def _codes(values: np.ndarray, index: dict) -> np.ndarray:
    """The position of each value in ``index`` (−1 if absent), looked up only where it changes."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    change = np.ones(len(values), dtype=bool)
    change[1:] = values[1:] != values[:-1]
    heads = np.flatnonzero(change)
    codes, uniques = pd.factorize(values[heads])  # hashing in C, then a dict look-up per distinct value
    found = np.array([index.get(v, -1) for v in uniques.tolist()] + [-1], dtype=np.int64)[codes]
    return found[np.cumsum(change) - 1]


def _series_codes(frame: pd.DataFrame):
    """(region → position, indicator → position, frame row table, region codes, indicator codes)."""
    fr = frame["region"].astype(str).to_numpy(dtype=object)
    fi = frame["indicator"].astype(str).to_numpy(dtype=object)
    reg_names, ind_names = pd.unique(fr).tolist(), pd.unique(fi).tolist()
    reg = {v: k for k, v in enumerate(reg_names)}
    ind = {v: k for k, v in enumerate(ind_names)}
    nr, ni = len(reg_names), len(ind_names)
    if len(fr) == nr * ni and (fr == np.repeat(np.array(reg_names, dtype=object), ni)).all() \
            and (fi == np.tile(np.array(ind_names, dtype=object), nr)).all():
        # every region × every indicator, region-major (as _series_frame builds it)
        rc, ic = np.repeat(np.arange(nr), ni), np.tile(np.arange(ni), nr)
    else:
        rc, ic = _codes(fr, reg), _codes(fi, ind)
    table = np.full((nr, ni), -1, dtype=np.int64)
    table[rc, ic] = np.arange(len(frame))
    return reg, ind, table, rc, ic, reg_names, ind_names


def _rows_of(frame: pd.DataFrame, obs: pd.DataFrame, codes=None) -> np.ndarray:
    """The frame row of every observation (−1 when its series is not in the frame).

    Observations come in runs of one series (and series in runs of one region); only
    the first of each run is looked up — hashing a million strings costs more than
    comparing neighbours.
    """
    reg, ind, table = (codes or _series_codes(frame))[:3]
    r = obs["region"].astype(str).to_numpy(dtype=object)
    i = obs["indicator"].astype(str).to_numpy(dtype=object)
    if not len(r):
        return np.zeros(0, dtype=np.int64)
    new_run = np.ones(len(r), dtype=bool)
    new_run[1:] = (r[1:] != r[:-1]) | (i[1:] != i[:-1])
    heads = np.flatnonzero(new_run)
    ri, ii = _codes(r[heads], reg), _codes(i[heads], ind)
    head_row = np.where((ri >= 0) & (ii >= 0), table[ri, ii], -1)
    return head_row[np.cumsum(new_run) - 1]


def _panel_arrays(data: Dataset, frame: pd.DataFrame):
    obs = data.observations
    codes = _series_codes(frame)
    rc, ic, reg_names, ind_names = codes[3:]
    key = pd.MultiIndex(levels=[pd.Index(reg_names), pd.Index(ind_names)],
                        codes=[rc, ic], names=["region", "indicator"], verify_integrity=False)
    row = _rows_of(frame, obs, codes)
    keep = row >= 0
    if keep.all():
        keep = slice(None)  # every observation belongs to a series: no copies of a million rows
    row = row[keep]
    # plain arrays, filtered: copying the whole observations frame costs more than the fit
    years_obs = obs["year"].to_numpy(dtype=int)[keep]
    tyear = _floats(frame["target_year"])
    last = int(np.nanmax(np.r_[tyear, data.plan.target_year]))
    first = int(min(years_obs.min() if len(years_obs) else data.plan.base_year, data.plan.base_year))
    last = max(last, int(years_obs.max()) if len(years_obs) else last)
    years = np.arange(first, last + 1)
    col = years_obs - first
    flat = row * len(years) + col
    if len(flat) and np.bincount(flat).max() > 1:
        d = obs[keep][pd.Series(flat).duplicated(keep=False).to_numpy()].iloc[0]
        raise QAnalysisError(f"observations: ({d['region']}, {d['indicator']}, {d['year']}) "
                             "appears more than once; keep one value per region, indicator and year")
    Y = np.full((len(frame), len(years)), np.nan)
    Y[row, col] = obs["value"].to_numpy(dtype=float)[keep]
    status, names = _factorize_runs(obs["status"].astype(str).to_numpy(dtype=object)[keep])
    flags = np.zeros((len(frame), 3), dtype=bool)
    for j, s in enumerate(("published", "provisional", "illustrative")):
        if s in names:
            flags[:, j] = np.bincount(row[status == names.index(s)], minlength=len(frame)) > 0
    return key, years, Y, flags


def _data_status(flags: np.ndarray) -> np.ndarray:
    names = np.array(["published", "provisional", "illustrative"], dtype=object)
    count = flags.sum(axis=1)
    single = names[np.argmax(flags, axis=1)]
    return np.where(count == 0, "", np.where(count == 1, single, "mixed")).astype(object)


def build_panel(data: Dataset, model: str, regions=None) -> tuple[pd.DataFrame, Panel]:
    frame = _series_frame(data, regions)
    key, years, Y, flags = _panel_arrays(data, frame)
    S = len(frame)
    kind = frame["kind"].astype(str).to_numpy(dtype=object)
    inc = kind == "increment"
    plan_first = int(data.plan.first_year)
    tyear = _floats(frame["target_year"])
    tyear = np.where(np.isfinite(tyear), tyear, data.plan.target_year)
    ylower, yupper = _floats(frame["lower_bound"]), _floats(frame["upper_bound"])

    obs = np.isfinite(Y)
    in_plan = (years[None, :] >= plan_first) & (years[None, :] <= tyear[:, None])
    at_target = years[None, :] == tyear[:, None]
    # increment: the plan years not yet observed are summed; level/stock: the target year
    M = np.where(inc[:, None], in_plan & ~obs, at_target)
    done = np.where(inc, np.where(in_plan & obs, Y, 0.0).sum(axis=1), 0.0)
    m = M.sum(axis=1)
    lower = np.where(inc, np.where(np.isfinite(ylower), done + m * ylower, -np.inf), ylower)
    upper = np.where(inc, np.where(np.isfinite(yupper), done + m * yupper, np.inf), yupper)
    lower = np.where(inc & (m == 0), done, lower)
    upper = np.where(inc & (m == 0), done, upper)

    fit_ = fc.fit(years, Y, model)
    panel = Panel(key, years, Y, M, done, kind, plan_first, tyear, lower, upper, ylower, yupper, fit_)
    frame["data_status"] = _data_status(flags)
    frame["has_illustrative"] = flags[:, 2]
    assert S == len(key)
    return frame, panel


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

    target = _floats(frame["target"])
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

    # effective start point for the progress ratio: the plan's baseline; without one, the
    # observed value in the plan's base year or the next year with data — never an earlier one
    base = _floats(frame["baseline"])
    base_year = _floats(frame["baseline_year"])
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
    rare_rate = np.full(S, np.nan)
    if rare.any():
        ri = np.flatnonzero(rare)
        total, exposure = counts.events(Y[ri], p.kind[ri])
        horizon = np.where(inc[ri], p.M[ri].sum(axis=1), p.target_year[ri] - latest_year[ri])
        start = np.where(inc[ri], p.done[ri], latest[ri])
        r_, q_ = counts.predictive(total, exposure, horizon)
        rare_rate[ri] = r_ / exposure
        lo_q, hi_q = p.lower[ri], p.upper[ri]
        point[ri] = fc.bounded(start + r_ * (1 - q_) / q_, lo_q, hi_q)
        for lv in fc.LEVELS:
            a_ = (1.0 - lv) / 2.0
            bands[lv][0][ri] = fc.bounded(start + counts.quantile(a_, r_, q_), lo_q, hi_q)
            bands[lv][1][ri] = fc.bounded(start + counts.quantile(1.0 - a_, r_, q_), lo_q, hi_q)
        need, w = target[ri] - start, tol[ri]
        c_ = comparator[ri]
        prob[ri] = np.select([c_ == ">=", c_ == "<="],
                             [counts.sf(need, r_, q_), counts.cdf(need, r_, q_)],
                             counts.cdf(need + w, r_, q_) - counts.cdf(np.ceil(need - w - 1e-9) - 1, r_, q_))
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
    out["baseline_year"] = _int64(base_year)
    out["baseline"] = base
    out["target_year"] = _int64(p.target_year)
    out["target"] = target
    out["target_basis"] = frame["target_basis"].astype("string").fillna("").to_numpy()
    out["n_points"] = n_points.astype("int64")
    out["first_year"] = _int64(first_year)
    out["latest_year"] = _int64(latest_year)
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
    out["status_zh"] = _lookup(status, {k: v.zh for k, v in STATUSES.items()})
    out["ratio_base_year"] = _int64(r_base_year)
    out["ratio_base"] = r_base
    out["pace_required"] = tr["pace_required"]
    out["limit_coefficient"] = tr["limit_coefficient"]
    out["progress_category_zh"] = _lookup(tr["progress_category"], trend.CATEGORIES_ZH)
    out["target_year_observed"] = target_year_observed.astype(bool)
    why = dict(rare_rate=rare_rate, slope=p.fit.slope, base_year=r_base_year, base=r_base,
               pace_required=tr["pace_required"], cagr=tr["cagr"], cagr_required=tr["cagr_required"])
    zh, en = _reasons(out, p.fit.reason, frame["has_target_row"].to_numpy(dtype=bool),
                      kind_unq, final_value, m_left, why)
    out = pd.DataFrame(out)  # the reasons read the arrays above, not the DataFrame's copies
    out["status_reason"] = zh
    out["status_reason_en"] = en
    return out[TABLE_COLUMNS + EXTRA_COLUMNS], p


def _lookup(codes, names: dict) -> np.ndarray:
    """names.get(code, code) for every code: one look-up per distinct code."""
    idx, uniq = _factorize_runs(np.asarray(codes, dtype=object))
    return np.array([names.get(u, u) for u in uniq] + [""], dtype=object)[idx]


def _factorize_runs(values: np.ndarray):
    """``pd.factorize`` that hashes only where a value differs from the one before it."""
    if not len(values):
        return np.zeros(0, dtype=np.int64), []
    change = np.ones(len(values), dtype=bool)
    change[1:] = values[1:] != values[:-1]
    heads = np.flatnonzero(change)
    codes, uniq = pd.factorize(values[heads])
    return codes[np.cumsum(change) - 1], list(uniq)


def _fmt(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and not np.isfinite(v)):
        return "—"
    return f"{v:.4g}" if abs(v) < 1e5 else f"{v:,.0f}"


def _fmt_many(values) -> np.ndarray:
    """:func:`_fmt` for a whole array at once (the same strings)."""
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    with np.errstate(invalid="ignore"):
        small = ok & (np.abs(v) < 1e5)
    if small.all():  # the common case: no masks to fill
        return np.array([f"{x:.4g}" for x in v.tolist()] or [], dtype=object)
    out = np.full(v.shape, "—", dtype=object)
    big = ok & ~small
    out[small] = [f"{x:.4g}" for x in v[small].tolist()]
    if big.any():
        out[big] = [f"{x:,.0f}" for x in v[big].tolist()]
    return out


_PERCENT = np.array([f"{k}%" for k in range(101)], dtype=object)


def _pct_many(p) -> np.ndarray:
    """f"{p:.0%}" for p in [0, 1] by table: the double p·100 rounded half-to-even, as format does."""
    p = np.asarray(p, dtype=float)
    k = np.round(p * 100.0)
    ok = np.isfinite(k) & (k >= 0) & (k <= 100)
    out = np.empty(p.shape, dtype=object)
    out[ok] = _PERCENT[k[ok].astype(np.int64)]
    rest = np.flatnonzero(~ok)
    out[rest] = [f"{x:.0%}" for x in p[rest].tolist()]
    return out


def _ints(s) -> np.ndarray:
    """An Int64 column (Series or array) as the strings an f-string gives (``<NA>`` for missing)."""
    v = s.to_numpy(dtype=object)
    return np.array([str(x) for x in v], dtype=object) if len(v) < 64 else _ints_fast(s)


def _ints_fast(s) -> np.ndarray:
    na = np.asarray(s.isna())
    vals = s.to_numpy(dtype="float64", na_value=np.nan)
    uniq, inv = np.unique(np.where(na, 0, vals), return_inverse=True)
    names = np.array([str(int(u)) for u in uniq], dtype=object)[inv.reshape(-1)]
    names[na] = "<NA>"
    return names


def _reasons(t: pd.DataFrame, fit_reason, has_target_row, unquantified, final_value, m_left, why=None):
    """A short sentence per row saying why it got its status (zh, en).

    Built a branch at a time over the rows it concerns (no Python work per row beyond
    formatting the numbers and joining the sentence).
    """
    S = len(t["status"])
    why = why or {}

    def col(c, dtype=None):
        """A column as an array, from a DataFrame or from the dict of arrays it is made of."""
        v = t[c]
        if isinstance(v, str):
            v = np.full(S, v, dtype=object)
        elif isinstance(v, pd.Series):
            v = v.array
        return v if dtype is None else np.asarray(v, dtype=dtype)

    rare_rate = np.asarray(why.get("rare_rate", np.full(S, np.nan)), dtype=float)
    status = col("status", object)
    comparator = col("comparator", object)
    kind = col("kind", object)
    inc = kind == "increment"
    n_points = col("n_points", np.int64)
    p = col("p_attain", float)
    has_p = np.isfinite(p)
    category = col("progress_category", object)
    basis = col("target_basis", object)
    fit_reason = np.asarray(fit_reason, dtype=object)
    nonpositive = fit_reason == fc.REASON_NONPOSITIVE
    has_target_row = np.asarray(has_target_row, dtype=bool)
    unquantified = np.asarray(unquantified, dtype=bool)
    zh = np.empty(S, dtype=object)
    en = np.empty(S, dtype=object)

    # the branches, in the order the status rule reads them
    no_target = status == "no_target"
    observed = (status == "met") | (status == "missed")
    achieved = status == "achieved"
    insufficient = status == "insufficient_data"
    rest = ~(no_target | observed | achieved | insufficient)
    rare = rest & has_p & np.isfinite(rare_rate)
    by_p = rest & has_p & ~rare
    by_ratio = rest & ~has_p

    counts_kind = (kind == "stock") | inc
    city_only = no_target & (basis == "city_only")
    for mask, z, e in (
        (city_only & ~counts_kind, "全市指标(按县(市、区)个数计算的比例)，不分解到各县(市、区)，县级不设目标，仅分析趋势",
         "a city-level indicator (a share of the counties): no county target, trend only"),
        (city_only & counts_kind, "全市整体目标，分到每个县(市、区)不足 2，不分解到各县(市、区)，仅分析趋势",
         "a city-wide count whose county shares would be under 2: not shared out, trend only"),
        (no_target & ~city_only & unquantified & has_target_row, "规划未给出量化目标(如“省定目标”)，仅分析趋势",
         "the plan gives no number (e.g. 'provincial target'): trend only"),
        (no_target & ~city_only & ~has_target_row, "该地区在目标表中无此指标的目标值",
         "no target for this region in Dataset.targets"),
        (no_target & ~city_only & ~unquantified & has_target_row, "无量化目标", "no numeric target"),
    ):
        zh[mask] = z
        en[mask] = e

    need_target = observed | achieved | rare | by_p
    idx = np.flatnonzero(need_target)
    ctgt = np.empty(S, dtype=object)
    ctgt[idx] = [c + v for c, v in zip(comparator[idx].tolist(),
                                        _fmt_many(col("target", float)[idx]).tolist())]
    ty = np.empty(S, dtype=object)
    ty[idx] = _ints(col("target_year")[idx]) if len(idx) else []
    pct = np.empty(S, dtype=object)
    pct[has_p] = _pct_many(p[has_p])
    now_value = np.where(inc, col("cumulative", float), col("latest", float))

    idx = np.flatnonzero(observed)
    if len(idx):
        fv = _fmt_many(np.asarray(final_value, dtype=float)[idx])
        zh[idx] = [f"{'期内累计新增' if i else f'{y}年实测值'} {v}，目标 {g}"
                   for i, y, v, g in zip(inc[idx], ty[idx], fv, ctgt[idx])]
        en[idx] = [f"{'additions summed over the plan period' if i else f'{y} observed value'} {v} vs target {g}"
                   for i, y, v, g in zip(inc[idx], ty[idx], fv, ctgt[idx])]

    idx = np.flatnonzero(achieved)
    if len(idx):
        ly = _ints(col("latest_year")[idx])
        nv = _fmt_many(now_value[idx])
        pairs = [(f"{'截至' + y + '年累计' if i else y + '年最新值'} {v} 已达目标 {g}"
                   + (f"；{w}年达标概率 {q}" if hp else ""),
                   f"{'cumulative' if i else 'latest'} value {v} ({y}) already meets {g}"
                   + (f"; P(attain in {w}) {q}" if hp else ""))
                  for i, y, v, g, hp, w, q in zip(inc[idx].tolist(), ly, nv, ctgt[idx], has_p[idx].tolist(),
                                                  ty[idx], pct[idx])]
        zh[idx] = [z for z, _ in pairs]
        en[idx] = [e for _, e in pairs]

    idx = np.flatnonzero(insufficient)
    if len(idx):
        zh[idx] = [f"仅有 {n} 个数据点，不足以判断趋势" + ("；对数线性模型要求数值为正" if np_ else "")
                   for n, np_ in zip(n_points[idx].tolist(), nonpositive[idx])]
        en[idx] = [f"only {n} data point(s): no trend" + ("; the log-linear model needs positive values" if np_ else "")
                   for n, np_ in zip(n_points[idx].tolist(), nonpositive[idx])]

    forecast = col("forecast", float)
    idx = np.flatnonzero(rare)
    if len(idx):
        fcs, nv = _fmt_many(forecast[idx]), _fmt_many(now_value[idx])
        rr = [f"{x:.2g}" for x in rare_rate[idx].tolist()]
        zh[idx] = [f"稀少事件按泊松计数模型(观测{'年均新增' if i else '年均增加'} {r}，含估计不确定性)，{y}年预测 "
                   f"{f}{f'(已完成 {v})' if i else ''}，目标 {g}，达标概率 {q}"
                   for i, r, y, f, v, g, q in zip(inc[idx], rr, ty[idx], fcs, nv, ctgt[idx], pct[idx])]
        en[idx] = [f"rare events, Poisson count model (observed {r} a year, rate uncertain) gives "
                   f"{f} in {y} vs target {g}; P(attain) {q}"
                   for r, y, f, g, q in zip(rr, ty[idx], fcs, ctgt[idx], pct[idx])]

    idx = np.flatnonzero(by_p)
    if len(idx):
        fcs = _fmt_many(forecast[idx])
        model = col("model", object)[idx]
        mzh = _lookup(model, vocab.MODEL["zh"])
        if inc[idx].any():
            extra = np.full(len(idx), "", dtype=object)
            j = np.flatnonzero(inc[idx])
            extra[j] = [f"(已完成 {v}，另有 {int(m)} 年待预测)"
                        for v, m in zip(_fmt_many(now_value[idx][j]), np.asarray(m_left)[idx][j].tolist())]
        else:
            extra = [""] * len(idx)
        # both languages in one pass over the rows
        pairs = [(f"按{mz}外推，{y}年预测 {f}{x}，目标 {g}，达标概率 {q}", f"{m} trend gives {f} in {y} vs target {g}; P(attain) {q}")
                 for mz, m, y, f, x, g, q in zip(mzh, model, ty[idx], fcs, extra, ctgt[idx], pct[idx])]
        zh[idx] = [z for z, _ in pairs]
        en[idx] = [e for _, e in pairs]

    idx = np.flatnonzero(by_ratio)
    if len(idx):
        rs = _fmt_many(col("progress_ratio", float)[idx])
        cats = category[idx]
        zh[idx] = [(("对数线性模型要求数值为正，无预测区间" if np_ else f"仅 {n} 个数据点，无预测区间")
                    + f"；按进度比 R={r}（{trend.CATEGORIES_ZH.get(c, c) or '无'}）判断")
                   for np_, n, r, c in zip(nonpositive[idx], n_points[idx].tolist(), rs, cats)]
        en[idx] = [(("log-linear needs positive values: no interval" if np_ else f"only {n} points: no interval")
                    + f"; decided by the progress ratio R={r} ({c or 'none'})")
                   for np_, n, r, c in zip(nonpositive[idx], n_points[idx].tolist(), rs, cats)]

    # the two-point branch already says how many points; every other verdict says it here
    few = (achieved | rest) & (n_points < 3) & ~by_ratio  # achieved/on_track/at_risk/off_track
    idx = np.flatnonzero(few)
    if len(idx):
        zh[idx] = [z + f"；仅 {n} 个数据点，结论仅供参考" for z, n in zip(zh[idx], n_points[idx].tolist())]
        en[idx] = [e + f"; rests on only {n} data point(s)" for e, n in zip(en[idx], n_points[idx].tolist())]

    off, on = status == "off_track", status == "on_track"
    sharp = ((((category == "achieved") | (category == "on_track")) & off)
             | (((category == "limited_progress") | (category == "moving_away")) & (on | achieved)))
    idx = np.flatnonzero(sharp)  # the rule of sharp_disagreement, on codes
    if len(idx):
        cols = ["kind", "target_year", "first_year", "latest_year", "status", "progress_category",
                "progress_ratio", "comparator", "latest"]
        sub = pd.DataFrame({c: col(c)[idx] for c in cols})  # these rows only, not a copy of t
        for j, (dz, de) in zip(idx, _disagreements(sub, {k: np.asarray(v)[idx] for k, v in why.items()})):
            zh[j] = zh[j] + "。" + dz
            en[j] = en[j] + ". " + de
    return zh, en


_SIDE_CATEGORY = {"achieved": 0, "on_track": 0, "acceleration_needed": 1, "limited_progress": 2, "moving_away": 2}
_SIDE_STATUS = {"achieved": 0, "on_track": 0, "at_risk": 1, "off_track": 2}


def sharp_disagreement(status, category) -> bool:
    """The progress category and the status sit at opposite ends (on track vs off track)."""
    a, b = _SIDE_CATEGORY.get(category), _SIDE_STATUS.get(status)
    return a is not None and b is not None and abs(a - b) == 2


def _disagreements(t: pd.DataFrame, w: dict) -> list[tuple[str, str]]:
    """Per row of ``t``, one sentence saying why the progress ratio and P(attain) point different ways.

    ``w`` holds the arrays behind the two measures for the same rows: the start point
    (``base_year``, ``base``), the fitted ``slope``, ``pace_required``, ``cagr``,
    ``cagr_required`` and ``rare_rate`` (the Poisson rate, NaN for a line).
    """
    f = lambda c: t[c].to_numpy(dtype=float, na_value=np.nan)  # noqa: E731
    latest, latest_year = f("latest"), f("latest_year")
    by = np.asarray(w["base_year"], dtype=float)
    d = np.where(t["comparator"].to_numpy(dtype=object) == "<=", -1.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pace_obs = np.where(latest_year > by, (latest - np.asarray(w["base"], dtype=float)) / (latest_year - by), np.nan)
    pace_req = np.asarray(w["pace_required"], dtype=float)
    compound = np.isfinite(np.asarray(w["cagr"], dtype=float)) & np.isfinite(np.asarray(w["cagr_required"], dtype=float))
    with np.errstate(invalid="ignore"):
        linear_short = np.isfinite(pace_obs) & (d * pace_obs < d * pace_req)
    rare_rate = np.asarray(w["rare_rate"], dtype=float)
    rows = zip(t["kind"].to_numpy(dtype=object) == "increment", _ints(t["target_year"]),
               np.where(np.isfinite(by), by, 0).astype(np.int64).tolist(),
               [a + "–" + b for a, b in zip(_ints(t["first_year"]), _ints(t["latest_year"]))],
               t["status"].to_numpy(dtype=object) == "off_track", t["progress_category"].to_numpy(dtype=object),
               _fmt_many(f("progress_ratio")), rare_rate.tolist(), np.isfinite(rare_rate),
               np.asarray(w["slope"], dtype=float).tolist(), pace_obs.tolist(), pace_req.tolist(),
               compound, linear_short)
    return [_disagreement(*r) for r in rows]


def _disagreement(inc, ty, by, span, behind_by_p, category, R, rare_rate, rare, slope, pace_obs, pace_req,
                  compound, linear_short) -> tuple[str, str]:
    """The sentence for one row (arguments already computed by :func:`_disagreements`)."""
    if category == "achieved":
        return ((f"进度类别只看最新值(已达标)，而按{span}年趋势外推，{ty}年可能不再达标",
                 f"the progress category looks at the latest value only (it meets the target); "
                 f"the {span} trend takes it off the target by {ty}"))
    if rare:
        how_zh = "规划期各年平均新增" if inc else f"{by}年以来的进度"
        how_en = "the plan years' average additions" if inc else f"progress since {by}"
        return ((f"进度比按{how_zh}计算(R={R})，概率按{span}年观测到的平均发生率"
                 f"(年均 {rare_rate:.2g})计算，不外推加速",
                 f"the progress ratio uses {how_en} (R={R}); the probability uses the "
                 f"average rate observed over {span} ({rare_rate:.2g} a year), with no acceleration"))
    if inc:
        trend_zh = "下降" if slope < 0 else "上升"
        return ((f"进度比按规划期已观测年份的年均新增计算(R={R})，概率按{span}年逐年新增的"
                 f"线性趋势(每年{trend_zh} {abs(slope):.3g})外推剩余年份，"
                 + ("趋势下行使剩余年份的新增低于目前的年均水平" if behind_by_p else
                    "趋势上行使剩余年份的新增高于目前的年均水平")),
                (f"the pace ratio uses the average additions of the observed plan years (R={R}); "
                 f"the probability extrapolates the {span} linear trend of the yearly additions "
                 f"({slope:+.3g} a year), which "
                 + ("takes the remaining years below today's average" if behind_by_p else
                    "takes the remaining years above today's average")))
    head_zh = f"进度比按{by}年以来的{'复合增长率' if compound else '时序进度'}计算(R={R})"
    head_en = f"the progress ratio uses {'compound growth' if compound else 'time progress'} since {by} (R={R})"
    if behind_by_p and compound and linear_short:
        z = (f"{head_zh}，而概率按线性趋势：按不变增长率可以达标，但按直线外推，{by}年以来年均 {pace_obs:+.3g}，"
             f"低于直线达标所需的年均 {pace_req:+.3g}")
        e = (f"{head_en}; the probability follows a straight line: constant growth would reach the target, "
             f"but the linear pace since {by} ({pace_obs:+.3g} a year) is below the {pace_req:+.3g} a year "
             f"a straight line needs")
    elif behind_by_p:
        z = (f"{head_zh}，而概率按{span}年全部数据的线性趋势(每年 {slope:+.3g})，包括规划前增长较慢的年份，"
             f"低于{by}年以来的年均 {pace_obs:+.3g}")
        e = (f"{head_en}; the probability fits a line to all of {span} ({slope:+.3g} a year), "
             f"pre-plan years included, slower than the {pace_obs:+.3g} a year since {by}")
    elif compound and not linear_short:
        z = (f"{head_zh}，按复合增长率衡量进度不足，但按直线外推，{by}年以来年均 {pace_obs:+.3g}，"
             f"已达到直线达标所需的年均 {pace_req:+.3g}")
        e = (f"{head_en}: short by compound growth, but the linear pace since {by} ({pace_obs:+.3g} a year) "
             f"meets the {pace_req:+.3g} a year a straight line needs")
    else:
        z = f"{head_zh}，而概率按{span}年全部数据的线性趋势(每年 {slope:+.3g})，包括规划前变化较快的年份"
        e = (f"{head_en}; the probability fits a line to all of {span} ({slope:+.3g} a year), "
             f"pre-plan years included, which moved faster")
    return z, e


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
        if p.fit.has_interval[i] and counts.is_rare_count(y_i, kind_i, np.isfinite(y_i).sum(axis=1))[0]:
            total, exposure = counts.events(y_i, kind_i)
            if inc:
                start, horizon, ahead = done, M.sum(axis=1).astype(float), np.ones(K, dtype=bool)
            else:
                last = int(p.years[obs].max())
                start, horizon = np.full(K, p.Y[i][obs][-1]), (years - last).astype(float)
                ahead = years > last  # the fitted line stays for the years already observed
            horizon = np.where(ahead, horizon, 0.0)
            r_, q_ = counts.predictive(np.full(K, total[0]), np.full(K, exposure[0]), horizon)
            j = np.flatnonzero(ahead)
            if len(j):
                out.loc[j, "forecast"] = fc.bounded(start + r_ * (1 - q_) / q_, lo_b, hi_b)[j]
                for lv, name in ((0.80, "pi80"), (0.95, "pi95")):
                    a_ = (1.0 - lv) / 2.0
                    out.loc[j, f"{name}_low"] = fc.bounded(start + counts.quantile(a_, r_, q_), lo_b, hi_b)[j]
                    out.loc[j, f"{name}_high"] = fc.bounded(start + counts.quantile(1 - a_, r_, q_), lo_b, hi_b)[j]
        return out

    def to_excel(self, path, lang: str = "zh") -> Path:
        """The table as .xlsx (Chinese headers when lang="zh"), autofilter, frozen header; atomic."""
        return write_workbook(self, path, lang)


def assess(data: Dataset, model: str = "linear", regions=None) -> Assessment:
    """Assess every (region, indicator) of ``data``; see docs/architecture.md for the columns."""
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
    return Assessment(table=table, data=data, model=model, panel=panel)


def write_assessment(assessment: Assessment, processed_dir) -> Path:
    """Write ``assessment.csv`` (UTF-8) into ``processed_dir`` atomically."""
    target = Path(processed_dir) / "assessment.csv"
    atomic.write_csv(assessment.table, target)
    return target
