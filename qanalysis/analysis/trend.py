"""Trend metrics, the progress ratio and time progress, vectorized over series.

Every function takes numpy arrays of shape (S,) — one element a series — and
returns arrays. Definitions (docs/methods.md has the full text):

- CAGR = (y_t / y_0)^(1/(t − t0)) − 1, NaN unless both values are positive.
- Progress ratio (Open SDG ``sdg-build`` ``ProgressMeasure``, after Statistics
  Canada / Eurostat): R = d · CAGR_obs / |CAGR_req|; categories ``achieved``,
  ``on_track`` (R ≥ 0.95), ``acceleration_needed`` (0.60 ≤ R < 0.95),
  ``limited_progress`` (0 ≤ R < 0.60), ``moving_away`` (R < 0).
- Without a numeric target (Open SDG "method 1"): the observed growth d·CAGR_obs
  against 1.5% / 0.5% / 0 a year, the thresholds multiplied by the near-limit
  coefficient C = 1 − (y0/ylim)^4.44 when the indicator has a bound in its good
  direction (``substantial_progress`` / ``moderate_progress`` / ``limited_progress``
  / ``moving_away``). Open SDG ignores the limit when a target is given; so do we.
- ``increment`` indicators have no start level: the ratio is the pace ratio
  (additions per elapsed plan year) / (target per plan year), same thresholds.
- Time progress (时序进度): time elapsed share vs distance covered share.
"""
from __future__ import annotations

import numpy as np

# Open SDG defaults (sdg-build ProgressMeasure.get_progress_thresholds)
RATIO_THRESHOLDS = (0.95, 0.60, 0.0)      # with a target: high, med, low
GROWTH_THRESHOLDS = (0.015, 0.005, 0.0)   # without a target
LIMIT_EXPONENT = 4.44
ZERO_SUBSTITUTE = 0.001  # Open SDG: a zero base or target is replaced by 0.001

CATEGORIES_ZH = {
    "achieved": "已达标",
    "on_track": "进度正常",
    "acceleration_needed": "需加快",
    "limited_progress": "进展有限",
    "moving_away": "逆向变化",
    "substantial_progress": "明显进展",
    "moderate_progress": "一般进展",
    "": "",
}


def cagr(v1, v0, t1, t0) -> np.ndarray:
    """Compound annual growth rate from (t0, v0) to (t1, v1); NaN unless v0, v1 > 0 and t1 > t0."""
    v1, v0, t1, t0 = (np.asarray(a, dtype=float) for a in (v1, v0, t1, t0))
    ok = (v0 > 0) & (v1 > 0) & (t1 > t0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.power(np.where(ok, v1 / v0, 1.0), 1.0 / np.where(ok, t1 - t0, 1.0)) - 1.0
    return np.where(ok, out, np.nan)


def limit_coefficient(base, limit) -> np.ndarray:
    """Open SDG's near-limit coefficient C: 1 − (y0/ylim)^4.44, mirrored above the limit.

    1 where there is no limit (NaN) or the base is at least twice the limit.
    """
    base = np.abs(np.asarray(base, dtype=float))
    limit = np.abs(np.asarray(limit, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        below = 1.0 - np.power(base / limit, LIMIT_EXPONENT)
        above = 1.0 - np.power((2 * limit - base) / limit, LIMIT_EXPONENT)
    c = np.where(base >= 2 * limit, 1.0, np.where(base <= limit, below, above))
    return np.where(np.isfinite(limit) & np.isfinite(base), c, 1.0)


def categorize(value, high, med, low, names) -> np.ndarray:
    """``names`` = (≥high, ≥med, ≥low, <low); NaN value → ""."""
    value = np.asarray(value, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.select([value >= high, value >= med, value >= low, value < low], list(names), "")
    return out.astype(object)


def progress(*, kind, comparator, direction, lower, upper, target, target_year,
             base_year, base, first_year, latest_year, latest, cumulative, achieved,
             plan_years_observed=None) -> dict:
    """Trend and progress metrics for every series; all arguments are (S,) arrays.

    ``base_year``/``base`` are the effective start point (the plan's baseline, or
    the first observation when the plan gives none); ``first_year`` the plan's
    first year (for increment); ``achieved`` whether the latest value (cumulative
    for increment) already meets the target; ``plan_years_observed`` how many
    plan years up to the latest one have a value (increment pace: a missing year
    is missing, not zero additions; default: every year up to the latest).
    """
    kind = np.asarray(kind, dtype=object)
    comparator = np.asarray(comparator, dtype=object)
    f = lambda a: np.asarray(a, dtype=float)  # noqa: E731
    direction, lower, upper, target, target_year = map(f, (direction, lower, upper, target, target_year))
    base_year, base, first_year, latest_year, latest, cumulative = map(
        f, (base_year, base, first_year, latest_year, latest, cumulative))
    achieved = np.asarray(achieved, dtype=bool)
    inc = kind == "increment"
    has_target = np.isfinite(target)

    # the good direction: from the comparator when there is a target
    d = np.where(comparator == ">=", 1.0, np.where(comparator == "<=", -1.0, direction))
    keep = (comparator == "==") & has_target
    d = np.where(keep, np.sign(target - base), d)

    with np.errstate(divide="ignore", invalid="ignore"):
        years_obs = latest_year - base_year
        change = np.where(inc, cumulative, latest - base)
        plan_years_done = latest_year - first_year + 1
        years_with_data = plan_years_done if plan_years_observed is None else f(plan_years_observed)
        avg_change = np.where(inc, cumulative / years_with_data, change / years_obs)
        avg_change = np.where(np.isfinite(avg_change) & ~(~inc & (years_obs <= 0)), avg_change, np.nan)
        # Open SDG replaces a zero base or target by 0.001 for the ratio (e.g. "≤ 0 accidents");
        # the cagr columns stay NaN there, only the ratio uses the substitute
        sub = lambda v: np.where(v == 0, ZERO_SUBSTITUTE, v)  # noqa: E731
        g_obs_r = cagr(sub(latest), sub(base), latest_year, base_year)
        g_req_r = cagr(sub(target), sub(base), target_year, base_year)
        g_obs = np.where(~inc & (latest > 0) & (base > 0), g_obs_r, np.nan)
        g_req = np.where(~inc & (target > 0) & (base > 0), g_req_r, np.nan)
        plan_years = target_year - first_year + 1
        pace_req = np.where(inc, target / plan_years, (target - base) / (target_year - base_year))
        ratio = np.where(inc, avg_change / (target / plan_years), d * g_obs_r / np.abs(g_req_r))
        ratio = np.where(np.isfinite(ratio), ratio, np.nan)
        growth = d * g_obs  # method 1: no target

        # near-limit correction, method 1 only (the bound in the good direction)
        limit = np.where(d > 0, upper, np.where(d < 0, lower, np.nan))
        coef = limit_coefficient(base, limit)

        elapsed = np.where(inc, plan_years_done / plan_years, years_obs / (target_year - base_year))
        plan_elapsed = (latest_year - (first_year - 1)) / (target_year - (first_year - 1))
        covered = np.where(inc, cumulative / target, (latest - base) / (target - base))
        covered = np.where(np.isfinite(covered), covered, np.nan)
        elapsed = np.where(np.isfinite(elapsed), elapsed, np.nan)
        # where a growth rate is undefined (a zero or negative base, target or latest value,
        # e.g. "全面消除" = 0 sections) the pace is judged by time progress instead of
        # Open SDG's 0.001 substitute: R = distance covered share / time elapsed share
        no_growth = ~inc & has_target & ((base <= 0) | (target <= 0) | (latest <= 0))
        ratio = np.where(no_growth, covered / elapsed, ratio)
        ratio = np.where(np.isfinite(ratio), ratio, np.nan)

    two_points = np.isfinite(latest_year) & np.isfinite(base_year) & (latest_year > base_year)
    two_points = np.where(inc, np.isfinite(cumulative) & (plan_years_done >= 1), two_points)
    with_target = categorize(ratio, *RATIO_THRESHOLDS,
                             ("on_track", "acceleration_needed", "limited_progress", "moving_away"))
    h, m, lo = (t * coef for t in GROWTH_THRESHOLDS)
    no_target = categorize(growth, h, m, lo,
                           ("substantial_progress", "moderate_progress", "limited_progress", "moving_away"))
    category = np.where(has_target, with_target, no_target)
    # keep-at-target rows whose start already was the target: R is undefined (CAGR_req = 0),
    # and any value off the target has moved away from it
    keep_at_base = has_target & ~inc & (base == target)  # also ">= 13" from 13: keep
    category = np.where(keep_at_base & two_points, "moving_away", category)
    # a target the start already met (PM2.5 25 against ≤ 26): no distance to cover, so no
    # progress ratio nor completion share ("130%", "-43%"); 基期已达标 — it stays achieved while
    # the latest value meets it, and has moved away from it once it does not
    base_met = has_target & ~inc & ~keep & np.isfinite(base) & np.select(
        [comparator == ">=", comparator == "<="], [base >= target, base <= target], False)
    ratio = np.where(base_met, np.nan, ratio)
    covered = np.where(base_met, np.nan, covered)
    category = np.where(base_met & two_points, "moving_away", category)
    category = np.where(has_target & achieved, "achieved", category)
    category = np.where(two_points | (has_target & achieved), category, "").astype(object)
    ratio = np.where(two_points & has_target, ratio, np.nan) + 0.0  # no "-0"


    return {
        "change_since_baseline": np.where(two_points | inc, change, np.nan),
        "avg_annual_change": avg_change,
        "cagr": g_obs,
        "cagr_required": np.where(has_target, g_req, np.nan),
        "progress_ratio": ratio,
        "progress_category": category,
        # 时间进度, one definition on every page: the share of the plan period (base year →
        # target year) elapsed at the latest year — for every kind, whatever the start point
        "time_elapsed_share": np.where(has_target & np.isfinite(elapsed), plan_elapsed, np.nan),
        "distance_covered_share": np.where(has_target, covered, np.nan),
        "pace_required": np.where(has_target, pace_req, np.nan),
        "limit_coefficient": np.where(has_target, np.nan, coef),
        "baseline_met": base_met,
    }
