"""Illustrative yearly series where no published value exists — clearly marked.

Public yearly values for 2021–2025 are thin, so the default dataset fills the
gaps with series from this seeded generator, every value marked
``status="illustrative"``. They are not estimates of the real values: they
exist so that the method, the charts and the reports can be shown end to end.

How a series is made (documented in docs/data.md):

* **City**: starts from the plan's 2020 baseline and moves toward the 2025
  target at a random share (``pace`` ∼ U(0.55, 1.35)) of the required pace, so
  some indicators are on track and some lag; before 2020 it follows the same
  direction at a random historical pace. ``level`` series get normal noise;
  ``stock`` series grow by positive increments (they never fall);
  ``increment`` series are the year's additions (≥ 0), about the previous
  plan's total / 5 before the plan and target / 5 × pace during it.
* **Counties**: levels spread around the city (a fixed offset per county plus
  its own pace); counts are the city's value shared out by the regions'
  weights with a random tilt per county, so counties add up to the city.
* **Anchors**: where a series has real values (published or the plan's
  baseline), the generated path is shifted to pass through them (the residual
  at the anchors is interpolated linearly), so published points and the fill
  between them agree.
* Values are kept inside each indicator's bounds and rounded as the plan
  writes them (counts to whole numbers).

Each indicator draws from its own stream (seed + CRC32 of its id): adding an
indicator does not change the others' series.
"""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from .. import config
from ..dataset import OBSERVATION_COLUMNS, Dataset, typed
from ..plan.targetparse import parse_cell

COUNT_UNITS = ("个", "项", "家", "件", "张", "条", "座", "处", "所", "人")
SOURCE = "qanalysis.generator (示例数据, seeded; not a published value)"


def _decimals(ind: dict) -> int:
    unit = ind["unit"]
    d = max(parse_cell(ind["baseline_text"]).decimals, parse_cell(ind["target_text"]).decimals)
    if unit in COUNT_UNITS:
        return d  # whole numbers unless the plan writes decimals
    if unit == "%":
        return max(d, 1)
    return max(d, 1)


def _anchor(path: np.ndarray, years: np.ndarray, anchors: dict[int, float]) -> np.ndarray:
    """Shift ``path`` so it passes through the anchor values."""
    pts = sorted((y, v) for y, v in anchors.items() if y in set(years.tolist()))
    if not pts:
        return path
    ay = np.array([p[0] for p in pts])
    resid = np.array([v - path[years == y][0] for y, v in pts])
    return path + np.interp(years, ay, resid)


def _clip(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip(x, -np.inf if np.isnan(lo) else lo, np.inf if np.isnan(hi) else hi)


def _city_path(ind: dict, years: np.ndarray, info, rng: np.random.Generator) -> np.ndarray:
    """The city's series (levels; for increment the yearly additions)."""
    b, T = ind["baseline"], ind["target"]
    L = info.target_year - info.base_year
    t = years - info.base_year
    kind, comp = ind["kind"], ind["comparator"]
    pace, hist = rng.uniform(0.55, 1.35), rng.uniform(0.5, 1.2)
    lo, hi = ind["lower_bound"], ind["upper_bound"]

    if kind == "increment":
        per_year_plan = (T if not np.isnan(T) else 0.0) / L
        per_year_before = (b / L) if not np.isnan(b) else per_year_plan
        mean = np.where(years >= info.first_year, per_year_plan * pace, per_year_before * hist)
        if ind["unit"] in COUNT_UNITS and per_year_plan < 20:
            # few events a year (e.g. 1–2 national centres in five years): whole counts
            # arrive now and then, as a Poisson process does, not as 0.2 rounded to 0
            return rng.poisson(mean).astype(float)
        # a bounded multiplier: a year's additions vary, but not tenfold
        return np.maximum(mean * np.clip(rng.lognormal(0.0, 0.2, len(years)), 0.6, 1.6), 0.0)

    if np.isnan(b):  # new in this plan: start below a rising target, above a falling one
        if kind == "stock":
            b = 0.0
        else:
            b = T * (rng.uniform(0.75, 0.92) if comp != "<=" else rng.uniform(1.08, 1.25))
    good = 1 if comp != "<=" else -1
    floor_already_met = not np.isnan(T) and ((comp == ">=" and b >= T) or (comp == "<=" and b <= T))
    if np.isnan(T) or floor_already_met:
        # unquantified, or a floor/ceiling the baseline already meets (农产品合格率 ≥98
        # from 99.04, PM2.5 ≤26 from 25): a gentle drift in the good direction, not a
        # slide toward the target
        gap = abs(b) * 0.01 * good
    else:
        gap = T - b
    if comp == "==" or abs(gap) < 1e-9:
        # "keep at the target": flat, with an occasional small dip below a 100% ceiling
        dips = rng.random(len(years)) < 0.12
        level = np.full(len(years), b, dtype=float)
        level[dips] -= rng.uniform(0.1, 0.8, dips.sum()) * (1 if ind["direction"] > 0 else -1)
        return _clip(level, lo, hi)

    if kind == "stock":
        step = gap / L
        inc = np.abs(step) * rng.lognormal(0.0, 0.2, len(years))
        inc = np.where(t > 0, inc * pace, inc * hist)
        level = np.empty(len(years))
        after, before = t > 0, t <= 0
        level[after] = b + np.cumsum(inc[after]) * np.sign(step)
        # before the base year: walk back from the baseline
        back = inc[before][::-1]
        level[before] = (b - np.concatenate([[0.0], np.cumsum(back[:-1])]) * np.sign(step))[::-1]
        return _clip(level, max(0.0, lo if not np.isnan(lo) else 0.0), hi)

    # level (and unquantified): linear at a random pace, plus noise
    slope = gap / L
    trend = b + slope * np.where(t > 0, pace * t, hist * t)
    scale = max(abs(gap) * 0.12, abs(b) * 0.004, 1e-6)
    return _clip(trend + rng.normal(0.0, scale, len(years)), lo, hi)


def _shares(weights: np.ndarray, n_years: int, rng: np.random.Generator) -> np.ndarray:
    """County shares (years × counties), each row summing to 1."""
    tilt = rng.lognormal(0.0, 0.35, len(weights))
    drift = rng.lognormal(0.0, 0.05, (n_years, len(weights)))
    s = weights * tilt * drift
    return s / s.sum(axis=1, keepdims=True)


def _round_shared(total: np.ndarray, shares: np.ndarray, decimals: int) -> np.ndarray:
    """Split each year's total by shares, rounded, keeping the rounded sum exact."""
    unit = 10.0 ** -decimals
    raw = total[:, None] * shares / unit
    base = np.floor(raw)
    short = np.round(total / unit - base.sum(axis=1)).astype(int)
    out = base.copy()
    order = np.argsort(-(raw - base), axis=1)
    for i, k in enumerate(short):  # largest remainders first; a handful of rows
        out[i, order[i, :max(k, 0)]] += 1
    return out * unit


def _county_share_series(city_vals: np.ndarray, counties: list[str], dec: int,
                         rng: np.random.Generator) -> dict[str, np.ndarray]:
    """City share of designated counties as k/n (k never falling) and each county 0 or 100."""
    n = len(counties)
    k = np.maximum.accumulate(np.clip(np.round(city_vals / 100.0 * n), 0, n)).astype(int)
    rank = rng.permutation(n)  # the order in which counties get designated
    out = {c: np.where(k > rank[j], 100.0, 0.0) for j, c in enumerate(counties)}
    out["__city__"] = np.round(k * 100.0 / n, dec)
    return out


def illustrative(data: Dataset, anchors: pd.DataFrame | None = None,
                 seed: int = config.ILLUSTRATIVE_SEED) -> pd.DataFrame:
    """Illustrative observations for every region × indicator × year up to the target year.

    ``anchors`` (region, indicator, year, value) are real values the series must
    pass through; the rows returned do not include the anchor years themselves
    for those series (the caller keeps the real values).

    The target year is filled like every other year (示例数据, so the demo shows the final
    evaluation), without changing a single earlier value: the series are drawn up to the year
    before the target year as always, and again up to the target year; the target year's value
    is the earlier draw's last value plus the later draw's last yearly change (for an increment,
    the later draw's additions). The city's later draw equals its earlier one year by year, so its
    target-year value is the model's; counts still add up over the counties.
    """
    info = data.plan
    before = _series(data, anchors, seed, np.arange(info.data_first_year, info.target_year))
    through = _series(data, anchors, seed, np.arange(info.data_first_year, info.target_year + 1))
    kinds = dict(zip(data.catalogue["id"], data.catalogue["kind"]))
    shared = set(getattr(info, "county_share_indicators", ()))
    frames = []
    for key, (years, vals, lo, hi, dec) in before.items():
        y2, v2 = through[key][0], through[key][1]
        region, ind = key
        ty = info.target_year
        if ty in y2 and ty not in years:
            last = v2[y2 == ty][0]
            if kinds[ind] != "increment" and len(years) and (ty - 1) in y2 and (ty - 1) in years:
                step = 0.0 if ind in shared else last - v2[y2 == ty - 1][0]  # designations are kept
                last = vals[years == ty - 1][0] + step
            years = np.append(years, ty)
            vals = np.append(vals, np.round(_clip(np.array([last]), lo, hi), dec))
        frames.append(_frame(region, ind, years, vals, anchors_of(anchors, region, ind)))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(OBSERVATION_COLUMNS))
    return typed(out, OBSERVATION_COLUMNS)


def anchors_of(anchors, region, ind) -> set:
    if anchors is None or not len(anchors):
        return set()
    m = (anchors["region"] == region) & (anchors["indicator"] == ind)
    return set(anchors.loc[m, "year"].astype(int))


def _frame(region, ind, years, vals, taken) -> pd.DataFrame:
    keep = ~np.isin(years, list(taken))
    return pd.DataFrame({"region": region, "indicator": ind, "year": years[keep], "value": vals[keep] + 0.0,
                         "status": "illustrative", "source": SOURCE, "note": ""})


def _series(data: Dataset, anchors, seed: int, years_all: np.ndarray) -> dict:
    """{(region, indicator): (years, values, lower, upper, decimals)} drawn over ``years_all``."""
    info = data.plan
    regions = data.regions
    city = info.city_code
    counties = regions.loc[regions["level"] == "county", "code"].tolist()
    weights = regions.set_index("code").loc[counties, "weight"].fillna(1.0).to_numpy(float)
    anchor_map: dict[tuple[str, str], dict[int, float]] = {}
    if anchors is not None and len(anchors):
        for (r, i), g in anchors.groupby(["region", "indicator"]):
            anchor_map[(r, i)] = dict(zip(g["year"].astype(int), g["value"].astype(float)))

    out = {}
    for ind in data.catalogue.to_dict("records"):
        rng = np.random.default_rng([seed, zlib.crc32(ind["id"].encode())])
        new_in_plan = np.isnan(ind["baseline"]) and ind["kind"] in ("stock", "increment")
        years = years_all[years_all >= info.first_year] if new_in_plan else years_all
        dec = _decimals(ind)
        lo, hi = ind["lower_bound"], ind["upper_bound"]
        city_vals = _anchor(_city_path(ind, years, info, rng), years, anchor_map.get((city, ind["id"]), {}))
        city_vals = _clip(city_vals, lo, hi)
        series = {city: np.round(city_vals, dec)}
        if ind["id"] in getattr(info, "county_share_indicators", ()) and counties:
            # a share of the counties (k of 12 designated): the city's value is a multiple
            # of 1/12, designations are kept, and each county is designated (100) or not (0)
            shared = _county_share_series(city_vals, counties, dec, rng)
            series[city] = shared.pop("__city__")
            series.update(shared)
        elif counties:
            if ind["kind"] in ("stock", "increment"):
                shares = _shares(weights, len(years), rng)
                split = _round_shared(np.maximum(series[city], 0), shares, dec)
                for j, c in enumerate(counties):
                    series[c] = split[:, j]
            else:
                spread = max(abs((ind["target"] if not np.isnan(ind["target"]) else ind["baseline"] * 1.01)
                                 - (ind["baseline"] if not np.isnan(ind["baseline"]) else city_vals[0])),
                             abs(city_vals.mean()) * 0.02, 0.3)
                for c in counties:
                    if ind["comparator"] == "==":
                        v = city_vals.copy()
                        dips = rng.random(len(years)) < 0.1
                        v[dips] -= rng.uniform(0.1, 1.0, dips.sum()) * ind["direction"]
                    else:
                        offset = rng.normal(0.0, 0.6 * spread)
                        own_pace = rng.lognormal(0.0, 0.3)
                        v = (city_vals + offset + (city_vals - city_vals[years == info.base_year][0]
                             if info.base_year in years else 0) * (own_pace - 1)
                             + rng.normal(0.0, 0.15 * spread, len(years)))
                    v = _anchor(v, years, anchor_map.get((c, ind["id"]), {}))
                    series[c] = np.round(_clip(v, lo, hi), dec)
        for region, vals in series.items():
            out[(region, ind["id"])] = (years, vals, lo, hi, dec)
    return out
