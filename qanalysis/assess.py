"""The assessment table: trend, progress, target-year forecast and one status per series.

``assess(data)`` builds a (series × years) array from ``Dataset.observations``
for every (region, indicator) pair and runs the vectorized core
(:mod:`qanalysis.trend`, :mod:`qanalysis.forecast`) on all of it at once. The
status rule is :func:`status_rule` (one place; docs/methods.md says the same in
words). ``qanalysis assess`` prints the table.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import forecast as fc
from qanalysis import attainment, counts  # absolute: these modules stay put when analysis moves
from . import trend
from .dataset import Dataset
from .errors import QAnalysisError
from .status import STATUSES

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

HEADERS_ZH = {
    "region": "地区代码", "region_name": "地区", "indicator": "指标代码", "name_zh": "指标名称",
    "name_en": "指标英文名", "category": "类别", "unit": "单位", "kind": "指标类型",
    "comparator": "比较方式", "direction": "方向", "lower_bound": "下限", "upper_bound": "上限",
    "baseline_year": "基期年份", "baseline": "基期值", "target_year": "目标年份", "target": "目标值",
    "target_basis": "目标来源", "n_points": "数据点数", "first_year": "首个数据年份",
    "latest_year": "最新年份", "latest": "最新值", "data_status": "数据性质",
    "has_illustrative": "含示例数据", "change_since_baseline": "较基期变化",
    "avg_annual_change": "年均变化", "cagr": "年均增长率", "cagr_required": "所需年均增长率",
    "progress_ratio": "进度比", "progress_category": "进度类别", "time_elapsed_share": "时间进度",
    "distance_covered_share": "目标完成进度", "cumulative": "累计新增", "model": "预测模型",
    "forecast": "目标年预测值", "pi80_low": "80%预测区间下限", "pi80_high": "80%预测区间上限",
    "pi95_low": "95%预测区间下限", "pi95_high": "95%预测区间上限", "p_attain": "达标概率",
    "status": "状态代码", "status_zh": "状态", "status_reason": "判断依据",
    "ratio_base_year": "进度比起始年", "ratio_base": "进度比起始值", "pace_required": "所需年均变化",
    "limit_coefficient": "临界修正系数", "progress_category_zh": "进度类别(中文)",
    "target_year_observed": "目标年已有实测", "status_reason_en": "判断依据(英文)",
}
KIND_ZH = {"level": "水平值", "stock": "累计存量", "increment": "期内新增", "unquantified": "无量化目标"}
DATA_STATUS_ZH = {"published": "公开发布", "provisional": "初步数据", "illustrative": "示例数据",
                  "mixed": "混合", "": "无数据"}
MODEL_ZH = {"linear": "线性趋势", "loglinear": "对数线性(固定增长率)"}


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
    dup = tg.duplicated(["region", "indicator"])
    if dup.any():
        r = tg[dup].iloc[0]
        raise QAnalysisError(f"Dataset.targets lists ({r['region']}, {r['indicator']}) more than once")
    frame = frame.merge(tg, on=["region", "indicator"], how="left")
    frame["has_target_row"] = frame["target_basis"].notna()
    tc = frame["target_comparator"].astype("string").fillna("")
    frame["comparator"] = np.where(tc != "", tc, frame["comparator"].astype(str))
    return frame.reset_index(drop=True)


def _panel_arrays(data: Dataset, frame: pd.DataFrame):
    obs = data.observations
    key = pd.MultiIndex.from_frame(frame[["region", "indicator"]].astype(str))
    okey = pd.MultiIndex.from_arrays([obs["region"].astype(str), obs["indicator"].astype(str)])
    row = key.get_indexer(okey)
    keep = row >= 0
    obs = obs[keep]
    row = row[keep]
    years_obs = obs["year"].to_numpy(dtype=int)
    tyear = _floats(frame["target_year"])
    last = int(np.nanmax(np.r_[tyear, data.plan.target_year]))
    first = int(min(years_obs.min() if len(years_obs) else data.plan.base_year, data.plan.base_year))
    last = max(last, int(years_obs.max()) if len(years_obs) else last)
    years = np.arange(first, last + 1)
    col = years_obs - first
    flat = row * len(years) + col
    if len(flat) and np.bincount(flat).max() > 1:
        d = obs[pd.Series(flat).duplicated(keep=False).to_numpy()].iloc[0]
        raise QAnalysisError(f"observations: ({d['region']}, {d['indicator']}, {d['year']}) "
                             "appears more than once; keep one value per region, indicator and year")
    Y = np.full((len(frame), len(years)), np.nan)
    Y[row, col] = obs["value"].to_numpy(dtype=float)
    status = obs["status"].astype(str).to_numpy()
    flags = np.zeros((len(frame), 3), dtype=bool)
    for j, s in enumerate(("published", "provisional", "illustrative")):
        np.logical_or.at(flags[:, j], row[status == s], True)
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
    panel.index = {k: i for i, k in enumerate(key)}
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
    # for a region (Dataset.targets) is used, as DESIGN §2 says
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

    out = pd.DataFrame({
        "region": frame["region"].astype(str), "region_name": frame["region_name"].astype(str),
        "indicator": frame["indicator"].astype(str),
    })
    for c in ("name_zh", "name_en", "category", "unit", "kind"):
        out[c] = frame[c].astype(str).to_numpy()
    out["comparator"] = comparator
    out["direction"] = frame["direction"].astype("int64").to_numpy()
    out["lower_bound"], out["upper_bound"] = p.ylower, p.yupper
    out["baseline_year"] = pd.array(np.where(np.isfinite(base_year), base_year, np.nan), dtype="Float64").astype("Int64")
    out["baseline"] = base
    out["target_year"] = pd.array(p.target_year, dtype="Float64").astype("Int64")
    out["target"] = target
    out["target_basis"] = frame["target_basis"].astype("string").fillna("").to_numpy()
    out["n_points"] = n_points.astype("int64")
    out["first_year"] = pd.array(first_year, dtype="Float64").astype("Int64")
    out["latest_year"] = pd.array(latest_year, dtype="Float64").astype("Int64")
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
    out["status_zh"] = [STATUSES[s].zh for s in status]
    out["ratio_base_year"] = pd.array(r_base_year, dtype="Float64").astype("Int64")
    out["ratio_base"] = r_base
    out["pace_required"] = tr["pace_required"]
    out["limit_coefficient"] = tr["limit_coefficient"]
    out["progress_category_zh"] = [trend.CATEGORIES_ZH.get(c, c) for c in tr["progress_category"]]
    out["target_year_observed"] = target_year_observed.astype(bool)
    why = dict(rare_rate=rare_rate, slope=p.fit.slope, base_year=r_base_year, base=r_base,
               pace_required=tr["pace_required"], cagr=tr["cagr"], cagr_required=tr["cagr_required"])
    zh, en = _reasons(out, p.fit.reason, frame["has_target_row"].to_numpy(dtype=bool),
                      kind_unq, final_value, m_left, why)
    out["status_reason"] = zh
    out["status_reason_en"] = en
    return out[TABLE_COLUMNS + EXTRA_COLUMNS], p


def _fmt(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and not np.isfinite(v)):
        return "—"
    return f"{v:.4g}" if abs(v) < 1e5 else f"{v:,.0f}"


def _reasons(t: pd.DataFrame, fit_reason, has_target_row, unquantified, final_value, m_left, why=None):
    """A short sentence per row saying why it got its status (zh, en)."""
    S = len(t)
    why = why or {}
    rare_rate = why.get("rare_rate", np.full(S, np.nan))
    zh, en = [], []
    cols = ["status", "comparator", "target", "target_year", "latest", "latest_year", "cumulative",
            "kind", "n_points", "forecast", "p_attain", "progress_ratio", "progress_category",
            "model", "first_year", "target_basis"]
    arrays = [t[c].to_numpy(dtype=object) for c in cols]
    recs = (dict(zip(cols, vals)) for vals in zip(*arrays))
    for i, (r, why_fit, row_ok, unq, fv, ml) in enumerate(zip(recs, fit_reason, has_target_row, unquantified,
                                                               final_value, m_left)):
        s, c, tgt, ty = r["status"], r["comparator"], _fmt(r["target"]), r["target_year"]
        inc = r["kind"] == "increment"
        now = r["cumulative"] if inc else r["latest"]
        if s == "no_target":
            if r["target_basis"] == "city_only" and r["kind"] not in ("stock", "increment"):
                z, e = ("全市指标(按县(市、区)个数计算的比例)，不分解到各县(市、区)，县级不设目标，仅分析趋势",
                        "a city-level indicator (a share of the counties): no county target, trend only")
            elif r["target_basis"] == "city_only":
                z, e = ("全市整体目标，分到每个县(市、区)不足 2，不分解到各县(市、区)，仅分析趋势",
                        "a city-wide count whose county shares would be under 2: not shared out, trend only")
            elif unq and row_ok:
                z, e = "规划未给出量化目标(如“省定目标”)，仅分析趋势", "the plan gives no number (e.g. 'provincial target'): trend only"
            elif not row_ok:
                z, e = "该地区在目标表中无此指标的目标值", "no target for this region in Dataset.targets"
            else:
                z, e = "无量化目标", "no numeric target"
        elif s in ("met", "missed"):
            what = "期内累计新增" if inc else f"{ty}年实测值"
            whate = "additions summed over the plan period" if inc else f"{ty} observed value"
            z = f"{what} {_fmt(fv)}，目标 {c}{tgt}"
            e = f"{whate} {_fmt(fv)} vs target {c}{tgt}"
        elif s == "achieved":
            z = f"{'截至' + str(r['latest_year']) + '年累计' if inc else str(r['latest_year']) + '年最新值'} {_fmt(now)} 已达目标 {c}{tgt}"
            e = f"{'cumulative' if inc else 'latest'} value {_fmt(now)} ({r['latest_year']}) already meets {c}{tgt}"
            if np.isfinite(r["p_attain"]):
                z += f"；{ty}年达标概率 {r['p_attain']:.0%}"
                e += f"; P(attain in {ty}) {r['p_attain']:.0%}"
        elif s == "insufficient_data":
            z = f"仅有 {r['n_points']} 个数据点，不足以判断趋势"
            e = f"only {r['n_points']} data point(s): no trend"
            if why_fit == fc.REASON_NONPOSITIVE:
                z += "；对数线性模型要求数值为正"
                e += "; the log-linear model needs positive values"
        elif np.isfinite(r["p_attain"]) and np.isfinite(rare_rate[i]):
            what = "年均新增" if inc else "年均增加"
            extra = f"(已完成 {_fmt(now)})" if inc else ""
            z = (f"稀少事件按泊松计数模型(观测{what} {rare_rate[i]:.2g}，含估计不确定性)，{ty}年预测 "
                 f"{_fmt(r['forecast'])}{extra}，目标 {c}{tgt}，达标概率 {r['p_attain']:.0%}")
            e = (f"rare events, Poisson count model (observed {rare_rate[i]:.2g} a year, rate uncertain) gives "
                 f"{_fmt(r['forecast'])} in {ty} vs target {c}{tgt}; P(attain) {r['p_attain']:.0%}")
        elif np.isfinite(r["p_attain"]):
            m = MODEL_ZH.get(r["model"], r["model"])
            extra = f"(已完成 {_fmt(now)}，另有 {int(ml)} 年待预测)" if inc else ""
            z = f"按{m}外推，{ty}年预测 {_fmt(r['forecast'])}{extra}，目标 {c}{tgt}，达标概率 {r['p_attain']:.0%}"
            e = (f"{r['model']} trend gives {_fmt(r['forecast'])} in {ty} vs target {c}{tgt}; "
                 f"P(attain) {r['p_attain']:.0%}")
        else:
            if why_fit == fc.REASON_NONPOSITIVE:
                why_z, why_e = "对数线性模型要求数值为正，无预测区间", "log-linear needs positive values: no interval"
            else:
                why_z, why_e = f"仅 {r['n_points']} 个数据点，无预测区间", f"only {r['n_points']} points: no interval"
            cat = r["progress_category"]
            z = f"{why_z}；按进度比 R={_fmt(r['progress_ratio'])}（{trend.CATEGORIES_ZH.get(cat, cat) or '无'}）判断"
            e = f"{why_e}; decided by the progress ratio R={_fmt(r['progress_ratio'])} ({cat or 'none'})"
        if s in VERDICTS and r["n_points"] < 3 and not (s != "achieved" and not np.isfinite(r["p_attain"])):
            # the two-point branch above already says so; every other verdict says it here
            z += f"；仅 {r['n_points']} 个数据点，结论仅供参考"
            e += f"; rests on only {r['n_points']} data point(s)"
        if sharp_disagreement(s, r["progress_category"]):
            dz, de = _disagreement(r, {k: v[i] for k, v in why.items()})
            z += "。" + dz
            e += ". " + de
        zh.append(z)
        en.append(e)
    return zh, en


VERDICTS = ("achieved", "on_track", "at_risk", "off_track")
_SIDE_CATEGORY = {"achieved": 0, "on_track": 0, "acceleration_needed": 1, "limited_progress": 2, "moving_away": 2}
_SIDE_STATUS = {"achieved": 0, "on_track": 0, "at_risk": 1, "off_track": 2}


def sharp_disagreement(status, category) -> bool:
    """The progress category and the status sit at opposite ends (on track vs off track)."""
    a, b = _SIDE_CATEGORY.get(category), _SIDE_STATUS.get(status)
    return a is not None and b is not None and abs(a - b) == 2


def _disagreement(r: dict, w: dict) -> tuple[str, str]:
    """One sentence saying why the progress ratio and P(attain) point different ways."""
    inc = r["kind"] == "increment"
    ty, by = r["target_year"], w["base_year"]
    span = f"{r['first_year']}–{r['latest_year']}"
    behind_by_p = _SIDE_STATUS[r["status"]] == 2
    if r["progress_category"] == "achieved":
        return ((f"进度类别只看最新值(已达标)，而按{span}年趋势外推，{ty}年可能不再达标",
                 f"the progress category looks at the latest value only (it meets the target); "
                 f"the {span} trend takes it off the target by {ty}"))
    if np.isfinite(w["rare_rate"]):
        how_zh = "规划期各年平均新增" if inc else f"{int(by)}年以来的进度"
        how_en = "the plan years' average additions" if inc else f"progress since {int(by)}"
        return ((f"进度比按{how_zh}计算(R={_fmt(r['progress_ratio'])})，概率按{span}年观测到的平均发生率"
                 f"(年均 {w['rare_rate']:.2g})计算，不外推加速",
                 f"the progress ratio uses {how_en} (R={_fmt(r['progress_ratio'])}); the probability uses the "
                 f"average rate observed over {span} ({w['rare_rate']:.2g} a year), with no acceleration"))
    slope = w["slope"]
    if inc:
        trend_zh = "下降" if slope < 0 else "上升"
        return ((f"进度比按规划期已观测年份的年均新增计算(R={_fmt(r['progress_ratio'])})，概率按{span}年逐年新增的"
                 f"线性趋势(每年{trend_zh} {abs(slope):.3g})外推剩余年份，"
                 + ("趋势下行使剩余年份的新增低于目前的年均水平" if behind_by_p else
                    "趋势上行使剩余年份的新增高于目前的年均水平")),
                (f"the pace ratio uses the average additions of the observed plan years (R={_fmt(r['progress_ratio'])}); "
                 f"the probability extrapolates the {span} linear trend of the yearly additions "
                 f"({slope:+.3g} a year), which "
                 + ("takes the remaining years below today's average" if behind_by_p else
                    "takes the remaining years above today's average")))
    d = -1.0 if r["comparator"] == "<=" else 1.0
    pace_obs = (r["latest"] - w["base"]) / (float(r["latest_year"]) - by) if r["latest_year"] > by else np.nan
    pace_req = w["pace_required"]
    compound = np.isfinite(w["cagr"]) and np.isfinite(w["cagr_required"])
    head_zh = f"进度比按{int(by)}年以来的{'复合增长率' if compound else '时序进度'}计算(R={_fmt(r['progress_ratio'])})"
    head_en = (f"the progress ratio uses {'compound growth' if compound else 'time progress'} since {int(by)} "
               f"(R={_fmt(r['progress_ratio'])})")
    linear_short = np.isfinite(pace_obs) and d * pace_obs < d * pace_req
    if behind_by_p and compound and linear_short:
        z = (f"{head_zh}，而概率按线性趋势：按不变增长率可以达标，但按直线外推，{int(by)}年以来年均 {pace_obs:+.3g}，"
             f"低于直线达标所需的年均 {pace_req:+.3g}")
        e = (f"{head_en}; the probability follows a straight line: constant growth would reach the target, "
             f"but the linear pace since {int(by)} ({pace_obs:+.3g} a year) is below the {pace_req:+.3g} a year "
             f"a straight line needs")
    elif behind_by_p:
        z = (f"{head_zh}，而概率按{span}年全部数据的线性趋势(每年 {slope:+.3g})，包括规划前增长较慢的年份，"
             f"低于{int(by)}年以来的年均 {pace_obs:+.3g}")
        e = (f"{head_en}; the probability fits a line to all of {span} ({slope:+.3g} a year), "
             f"pre-plan years included, slower than the {pace_obs:+.3g} a year since {int(by)}")
    elif compound and not linear_short:
        z = (f"{head_zh}，按复合增长率衡量进度不足，但按直线外推，{int(by)}年以来年均 {pace_obs:+.3g}，"
             f"已达到直线达标所需的年均 {pace_req:+.3g}")
        e = (f"{head_en}: short by compound growth, but the linear pace since {int(by)} ({pace_obs:+.3g} a year) "
             f"meets the {pace_req:+.3g} a year a straight line needs")
    else:
        z = (f"{head_zh}，而概率按{span}年全部数据的线性趋势(每年 {slope:+.3g})，包括规划前变化较快的年份")
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
        return out

    def to_excel(self, path, lang: str = "zh") -> Path:
        """The table as .xlsx (Chinese headers when lang="zh"), autofilter, frozen header; atomic."""
        from . import atomic

        path = Path(path)
        table = self.table.copy()
        notes = _notes(self, lang)
        if lang == "zh":
            table["kind"] = table["kind"].map(KIND_ZH).fillna(table["kind"])
            table["data_status"] = table["data_status"].map(DATA_STATUS_ZH).fillna(table["data_status"])
            table["model"] = table["model"].map(MODEL_ZH).fillna(table["model"])
            table = table.rename(columns=HEADERS_ZH)
            sheet, note_sheet = "评估结果", "说明"
        else:
            sheet, note_sheet = "assessment", "notes"
        for c in table.columns:  # openpyxl cannot write pandas' NA
            if table[c].dtype.name in ("Int64", "boolean", "string"):
                table[c] = table[c].astype(object).where(table[c].notna(), None)

        def write(tmp: Path) -> None:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                table.to_excel(xw, sheet_name=sheet, index=False)
                ws = xw.sheets[sheet]
                ws.auto_filter.ref = ws.dimensions
                ws.freeze_panes = "A2"
                _format_sheet(ws, list(table.columns), list(self.table.columns))
                pd.DataFrame({"": notes}).to_excel(xw, sheet_name=note_sheet, index=False, header=False)

        atomic.write_with(path, write)
        return path


PERCENT_COLUMNS = {"p_attain", "time_elapsed_share", "distance_covered_share", "cagr", "cagr_required"}


def _format_sheet(ws, headers: list[str], codes: list[str]) -> None:
    """Readable widths, shares as percentages (the cells keep their exact values)."""
    from openpyxl.utils import get_column_letter

    for j, (head, code) in enumerate(zip(headers, codes), start=1):
        letter = get_column_letter(j)
        wide = code in ("name_zh", "name_en", "status_reason", "status_reason_en")
        ws.column_dimensions[letter].width = 40 if wide else max(10, min(24, len(str(head)) * 2 + 2))
        if code in PERCENT_COLUMNS:
            fmt = "0.00%" if code.startswith("cagr") else "0%"
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = fmt


def _notes(a: Assessment, lang: str) -> list[str]:
    t = a.table
    n_ill = int(t["has_illustrative"].sum())
    if lang == "zh":
        lines = [f"模型：{MODEL_ZH.get(a.model, a.model)}；达标概率按 t 分布预测区间计算；方法见 docs/methods.md。"]
        if n_ill:
            lines.insert(0, f"注意：{n_ill} 个序列含示例数据(illustrative，非公开发布数据)，仅用于演示方法，不代表实际情况。")
    else:
        lines = [f"Model: {a.model}; P(attain) from the t prediction interval; methods in docs/methods.md."]
        if n_ill:
            lines.insert(0, f"Note: {n_ill} series contain illustrative (not published) values: "
                            "they show the method, not the facts.")
    return lines


def assess(data: Dataset, model: str = "linear", regions=None) -> Assessment:
    """Assess every (region, indicator) of ``data``; see docs/architecture.md for the columns."""
    table, panel = compute(data, model, regions)
    return Assessment(table=table, data=data, model=model, panel=panel)


def write_assessment(assessment: Assessment, processed_dir) -> Path:
    """Write ``assessment.csv`` (UTF-8) into ``processed_dir`` atomically."""
    from . import atomic

    target = Path(processed_dir) / "assessment.csv"
    atomic.write_csv(assessment.table, target)
    return target


# --------------------------------------------------------------------------- command line
CLI_COLUMNS = ["region", "indicator", "latest_year", "latest", "forecast", "pi95_low", "pi95_high",
               "p_attain", "status"]


def configure_parser(parser) -> None:
    parser.add_argument("--data", nargs="+", metavar="FILE", help="observation files (CSV/Excel) to use")
    parser.add_argument("--region", nargs="+", metavar="CODE", help="region codes, e.g. 330302")
    parser.add_argument("--model", choices=fc.MODELS, default="linear")
    parser.add_argument("--csv", action="store_true", help="the whole table as CSV on stdout")
    parser.add_argument("--xlsx", metavar="OUT", help="also write the table as Excel")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="Excel headers")


def load_for_cli(args):
    """The dataset a command works on: ``--data`` files built in memory, else the shipped data."""
    import qanalysis

    return qanalysis.load(data_files=getattr(args, "data", None) or None)


def run(args) -> int:
    data = load_for_cli(args)
    a = assess(data, model=args.model, regions=args.region)
    ty = int(data.plan.target_year)
    table = a.table.rename(columns={"forecast": f"forecast_{ty}"})
    if args.xlsx:
        a.to_excel(args.xlsx, lang=args.lang)
    if args.csv:
        table.to_csv(sys.stdout, index=False)
    else:
        cols = [c if c != "forecast" else f"forecast_{ty}" for c in CLI_COLUMNS] + ["status_zh"]
        with pd.option_context("display.max_rows", None, "display.width", 200):
            print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        if a.table["has_illustrative"].any():
            print("注意：含示例数据(illustrative)，非公开发布数据。Note: includes illustrative (not published) values.")
    if args.xlsx:
        print(f"wrote {args.xlsx}", file=sys.stderr)
    return 0
