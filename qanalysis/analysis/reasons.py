"""Why each series got its status: one sentence per row, in Chinese and English.

``reasons(...)`` writes ``status_reason`` / ``status_reason_en`` of the
assessment table from the arrays :func:`qanalysis.analysis.assess.compute`
already holds, a branch of the status rule at a time (no Python work per row
beyond formatting the numbers). Besides the numbers behind the verdict, a
reason says when it rests on fewer than 3 points, and — where the progress
category and the status point opposite ways — why (:func:`sharp_disagreement`).
Fixed phrases come from :mod:`qanalysis.vocab` (``REASONS``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import vocab
from . import forecast as fc
from . import trend
from .panel import factorize_runs

REVERSAL_THRESHOLD = 0.5  # the same as analysis.assess.REVERSAL_THRESHOLD (assess imports this module)


def labels(codes, names: dict) -> np.ndarray:
    """names.get(code, code) for every code: one look-up per distinct code."""
    idx, uniq = factorize_runs(np.asarray(codes, dtype=object))
    return np.array([names.get(u, u) for u in uniq] + [""], dtype=object)[idx]


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
    """:func:`qanalysis.vocab.format_probability` for every p ("<1%", ">99%" at the edges), by table."""
    p = np.asarray(p, dtype=float)
    with np.errstate(invalid="ignore"):
        k = np.floor(p * 100.0 + 0.5)
        ok = np.isfinite(k) & (k >= 1) & (k <= 99) & (p >= 0.01) & (p <= 0.99) | (p == 0) | (p == 1)
    out = np.empty(p.shape, dtype=object)
    out[ok] = _PERCENT[k[ok].astype(np.int64)]
    rest = np.flatnonzero(~ok)
    out[rest] = [vocab.format_probability(x) for x in p[rest].tolist()]
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


def reasons(t: pd.DataFrame, fit_reason, has_target_row, unquantified, final_value, m_left, why=None):
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
    # forecasts are written at the data's decimals (a count as a whole number): vocab.round_to
    dd = why.get("data_decimals")
    forecast_all = np.asarray(col("forecast", float), dtype=float)
    if dd is not None:
        forecast_all = vocab.round_to(forecast_all, np.asarray(dd))
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
    words_zh, words_en = vocab.REASONS["zh"], vocab.REASONS["en"]
    for mask, key in (
        (city_only & ~counts_kind, "city_share"),
        (city_only & counts_kind, "city_count"),
        (no_target & ~city_only & unquantified & has_target_row, "unquantified"),
        (no_target & ~city_only & ~has_target_row, "no_target_row"),
        (no_target & ~city_only & ~unquantified & has_target_row, "no_target"),
    ):
        zh[mask] = words_zh[key]
        en[mask] = words_en[key]

    need_target = observed | achieved | rare | by_p
    idx = np.flatnonzero(need_target)
    # the target as a reader writes it: ≥26, ≤26, 保持100 (vocab.COMPARATOR_SIGNS), never ">=26"
    ctgt = np.empty(S, dtype=object)
    ctgt_en = np.empty(S, dtype=object)
    tv = _fmt_many(col("target", float)[idx]).tolist()
    ctgt[idx] = [vocab.COMPARATOR_SIGNS.get(c, c) + v for c, v in zip(comparator[idx].tolist(), tv)]
    ctgt_en[idx] = [vocab.COMPARATOR_SIGNS_EN.get(c, c) + (" " if c == "==" else "") + v
                    for c, v in zip(comparator[idx].tolist(), tv)]
    unit = np.asarray(["" if u is None or u is pd.NA or str(u) in ("nan", "<NA>") else str(u)
                       for u in col("unit", object).tolist()], dtype=object)
    ty = np.empty(S, dtype=object)
    ty[idx] = _ints(col("target_year")[idx]) if len(idx) else []
    pct = np.empty(S, dtype=object)
    pct[has_p] = _pct_many(p[has_p])
    now_value = np.where(inc, col("cumulative", float), col("latest", float))

    idx = np.flatnonzero(observed)
    if len(idx):
        fvals = np.asarray(final_value, dtype=float)[idx]
        fv = _fmt_many(fvals)
        gap = _fmt_many(np.abs(col("target", float)[idx] - fvals))
        met = status[idx] == "met"
        fy = np.asarray(why.get("first_year", np.zeros(S)), dtype=np.int64)[idx].tolist()
        zh[idx] = [(f"{first}—{y}年累计新增{v}{u}，{'达到' if m else '未达到'}规划期目标{g}{u}" if i else
                    f"{y}年实测值{v}{u}，{'达到' if m else '未达到'}目标{g}{u}") + ("" if m else f"，差{d}{u}")
                   for i, y, v, g, u, m, d, first in zip(inc[idx], ty[idx], fv, ctgt[idx], unit[idx], met, gap, fy)]
        en[idx] = [(f"{first}–{y} additions {v}" if i else f"{y} observed value {v}")
                   + f" {'meets' if m else 'misses'} the target {g}" + ("" if m else f" by {d}")
                   for i, y, v, g, m, d, first in zip(inc[idx], ty[idx], fv, ctgt_en[idx], met, gap, fy)]

    idx = np.flatnonzero(achieved)
    if len(idx):
        ly = _ints(col("latest_year")[idx])
        nv = _fmt_many(now_value[idx])
        fcs = _fmt_many(forecast_all[idx])
        mzh = labels(col("model", object)[idx], vocab.MODEL["zh"])
        flag = np.asarray(why.get("reversal", np.zeros(S, bool)), dtype=bool)[idx]
        thr = f"{REVERSAL_THRESHOLD:.0%}"
        rz, re_ = words_zh["reversal"], words_en["reversal"]
        pairs = [(f"{'截至' + y + '年累计' if i else y + '年最新值'}{v}{u}，已达到目标{g}{u}"
                   + (f"；按{mz}，{w}年预测{f}{u}，达标概率{q}" if hp else "")
                   + (f"，低于{thr}，{rz.get(c, '')}" if fl else ""),
                   f"{'cumulative' if i else 'latest'} value {v} ({y}) already meets {g}"
                   + (f"; P(attain in {w}) {q}" if hp else "")
                   + (f", below {thr}: {re_.get(c, '')}" if fl else ""))
                  for i, y, v, g, hp, w, q, u, mz, f, fl, c in zip(
                      inc[idx].tolist(), ly, nv, ctgt[idx], has_p[idx].tolist(), ty[idx], pct[idx],
                      unit[idx], mzh, fcs, flag.tolist(), comparator[idx].tolist())]
        zh[idx] = [z for z, _ in pairs]
        en[idx] = [e for _, e in pairs]

    idx = np.flatnonzero(insufficient)
    if len(idx):
        zh[idx] = [f"仅有 {n} 个数据点，不足以判断趋势" + ("；对数线性模型要求数值为正" if np_ else "")
                   for n, np_ in zip(n_points[idx].tolist(), nonpositive[idx])]
        en[idx] = [f"only {n} data point(s): no trend" + ("; the log-linear model needs positive values" if np_ else "")
                   for n, np_ in zip(n_points[idx].tolist(), nonpositive[idx])]

    forecast = forecast_all
    idx = np.flatnonzero(rare)
    if len(idx):
        fcs, nv = _fmt_many(forecast[idx]), _fmt_many(now_value[idx])
        rr = [_fmt(x) for x in rare_rate[idx].tolist()]
        zh[idx] = [f"稀少事件按泊松计数模型(观测年均新增{r}{u}，计入发生率的不确定性)，{y}年预测"
                   f"{f}{u}{f'(已完成{v}{u})' if i else ''}，目标{g}{u}，达标概率{q}"
                   for i, r, y, f, v, g, q, u in zip(inc[idx], rr, ty[idx], fcs, nv, ctgt[idx], pct[idx], unit[idx])]
        en[idx] = [f"rare events, Poisson count model (observed {r} added a year, rate uncertain) gives "
                   f"{f} in {y} vs target {g}; P(attain) {q}"
                   for r, y, f, g, q in zip(rr, ty[idx], fcs, ctgt_en[idx], pct[idx])]

    idx = np.flatnonzero(by_p)
    if len(idx):
        fcs = _fmt_many(forecast[idx])
        model = col("model", object)[idx]
        mzh = labels(model, vocab.MODEL["zh"])
        if inc[idx].any():
            extra = np.full(len(idx), "", dtype=object)
            j = np.flatnonzero(inc[idx])
            extra[j] = [f"(已完成 {v}，另有 {int(m)} 年待预测)"
                        for v, m in zip(_fmt_many(now_value[idx][j]), np.asarray(m_left)[idx][j].tolist())]
        else:
            extra = [""] * len(idx)
        # both languages in one pass over the rows
        pairs = [(f"按{mz}外推，{y}年预测{f}{u}{x}，目标{g}{u}，达标概率{q}",
                  f"{m} trend gives {f} in {y} vs target {ge}; P(attain) {q}")
                 for mz, m, y, f, x, g, ge, q, u in zip(mzh, model, ty[idx], fcs, extra, ctgt[idx], ctgt_en[idx],
                                                        pct[idx], unit[idx])]
        zh[idx] = [z for z, _ in pairs]
        en[idx] = [e for _, e in pairs]

    idx = np.flatnonzero(by_ratio)
    if len(idx):
        rs = _fmt_many(col("progress_ratio", float)[idx])
        cats = category[idx]
        flat = np.asarray(why.get("flat", np.zeros(S, bool)), dtype=bool)[idx]
        zh[idx] = [((words_zh["flat"] if fl else "对数线性模型要求数值为正，无预测区间" if np_
                     else f"仅 {n} 个数据点，无预测区间")
                    + f"；按进度比 R={r}（{trend.CATEGORIES_ZH.get(c, c) or '无'}）判断")
                   for fl, np_, n, r, c in zip(flat, nonpositive[idx], n_points[idx].tolist(), rs, cats)]
        en[idx] = [((words_en["flat"] if fl else "log-linear needs positive values: no interval" if np_
                     else f"only {n} points: no interval")
                    + f"; decided by the progress ratio R={r} ({c or 'none'})")
                   for fl, np_, n, r, c in zip(flat, nonpositive[idx], n_points[idx].tolist(), rs, cats)]

    # an about-target: the sentence says the threshold it was judged at
    at = np.asarray(why.get("approx_threshold", np.full(S, np.nan)), dtype=float)
    idx = np.flatnonzero(np.isfinite(at) & ~no_target)
    if len(idx):
        th = _fmt_many(at[idx])
        zh[idx] = [z + f"；目标为约数，按{vocab.COMPARATOR_SIGNS.get(c, c)}{v}{u}判断(允许±5%)"
                   for z, c, v, u in zip(zh[idx], comparator[idx].tolist(), th, unit[idx])]
        en[idx] = [e + f"; an about-target, judged at {vocab.COMPARATOR_SIGNS_EN.get(c, c)}{v} (±5%)"
                   for e, c, v in zip(en[idx], comparator[idx].tolist(), th)]
    # a target the start already met: no progress ratio, the margin instead (基期已达标)
    bm = np.asarray(why.get("baseline_met", np.zeros(S, bool)), dtype=bool) & ~no_target
    idx = np.flatnonzero(bm)
    if len(idx):
        b = np.asarray(why["base"], dtype=float)[idx]
        by = np.asarray(why["base_year"], dtype=float)[idx]
        margin = _fmt_many(np.abs(b - col("target", float)[idx]))
        bs = _fmt_many(b)
        zh[idx] = [z + f"；基期已达标({int(y)}年{v}{u}，优于目标{margin}{u})" for z, y, v, u, margin in
                   zip(zh[idx], by.tolist(), bs, unit[idx], margin)]
        en[idx] = [e + f"; the target was met at the start ({int(y)}: {v}, margin {margin})" for e, y, v, margin in
                   zip(en[idx], by.tolist(), bs, margin)]
    # a county without a baseline of its own: its progress starts from its own first value
    own = np.asarray(why.get("own_start", np.zeros(S, bool)), dtype=bool) & ~no_target & ~insufficient & ~inc
    idx = np.flatnonzero(own)
    if len(idx):
        b = _fmt_many(np.asarray(why["base"], dtype=float)[idx])
        by = np.asarray(why["base_year"], dtype=float)[idx].astype(np.int64).tolist()
        zh[idx] = [z + f"；无本地区基期值，进度自{y}年首个观测值{v}{u}起算" for z, y, v, u in
                   zip(zh[idx], by, b, unit[idx])]
        en[idx] = [e + f"; no baseline of its own: progress counts from its first value ({y}: {v})" for e, y, v in
                   zip(en[idx], by, b)]

    # the two-point branch already says how many points; every other verdict says it here
    few = (achieved | rest) & (n_points < 3) & ~by_ratio  # achieved/on_track/at_risk/off_track
    idx = np.flatnonzero(few)
    if len(idx):
        zh[idx] = [z + words_zh["few_points"].format(n=n) for z, n in zip(zh[idx], n_points[idx].tolist())]
        en[idx] = [e + words_en["few_points"].format(n=n) for e, n in zip(en[idx], n_points[idx].tolist())]

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
    # (category "achieved" never meets "off_track": a level that meets its target now is at
    # worst at_risk, and its reason already says the trend may take it back below)
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

