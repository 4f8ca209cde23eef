"""Regions and per-region targets.

The plan sets the city's targets. A county's target is, in order: an override in
``county_targets.csv`` (counties only: a row for the city is refused); for rates
and other ``level`` indicators, the city's target (``city_default``); for counts
(``stock``/``increment``), with plan.toml ``county_targets = "pro_rata"`` only,
the city's target shared out by the regions' ``weight`` by largest remainder, so
the county shares add up to the city's target — the overridden counties taken
out first and the rest re-shared (``pro_rata``) — a count such as
60万件 trademarks cannot be every county's target; a count whose county shares
would fall under 2 (one national zone, 13 platforms among 12 counties) is not
shared out at all, nor is an indicator that is a share of the counties
themselves (plan.toml ``county_share_indicators``) (``city_only``: the county
has the trend but no target); without ``pro_rata`` a count stays the city's as a
whole (``city_only``), and ``county_targets = "none"`` gives counties no target.
A county's 基期值 is never the city's: the override's, its own base-year value,
or none. ``target_basis`` records
which rule gave each number, so a report can say so.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..dataset import REGION_COLUMNS, TARGET_COLUMNS, PlanInfo, typed
from ..errors import Problem
from .rawcsv import read_raw_csv
from .targetparse import parse_cell

REGION_RAW_COLUMNS = ["code", "name_zh", "name_en", "level", "parent", "weight"]
OVERRIDE_RAW_COLUMNS = ["region", "indicator", "baseline", "target", "comparator", "note", "source"]
_CODE = re.compile(r"^\d{6}$")


def read_regions(path: Path, info: PlanInfo) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    raw = read_raw_csv(path, REGION_RAW_COLUMNS, problems, optional=())
    if raw is None:
        return typed(pd.DataFrame(columns=REGION_RAW_COLUMNS), REGION_COLUMNS), problems
    f = str(path)
    for i, r in enumerate(raw.to_dict("records")):
        row = i + 2
        if not _CODE.match(r["code"]):
            problems.append(Problem(f, f"code {r['code']!r} is not a 6-digit GB/T 2260 code",
                                    row=row, column="code", code="bad_code"))
        if r["level"] not in ("city", "county"):
            problems.append(Problem(f, f"level {r['level']!r} must be 'city' or 'county'",
                                    row=row, column="level", code="bad_level"))
        if r["level"] == "county" and r["parent"] != info.city_code:
            problems.append(Problem(f, f"parent {r['parent']!r} is not the plan's city {info.city_code}",
                                    row=row, column="parent", code="bad_parent"))
    dup = raw["code"].duplicated(keep=False)
    for i in np.flatnonzero(dup):
        problems.append(Problem(f, f"region code {raw['code'].iat[i]} is listed twice",
                                row=int(i) + 2, column="code", code="duplicate_region"))
    if info.city_code not in set(raw["code"]):
        problems.append(Problem(f, f"the plan's city {info.city_code} is not listed", code="missing_city"))
    weight = pd.to_numeric(raw["weight"].replace("", np.nan), errors="coerce")
    bad_w = raw["weight"].ne("") & (weight.isna() | (weight < 0))
    for i in np.flatnonzero(bad_w):
        problems.append(Problem(f, f"weight {raw['weight'].iat[i]!r} must be a number ≥ 0",
                                row=int(i) + 2, column="weight", code="bad_weight"))
    df = raw.assign(weight=weight)
    # City first, then counties in code order: the order every table and chart uses.
    df = df.assign(_o=df["level"].ne("city")).sort_values(["_o", "code"]).drop(columns="_o")
    return typed(df, REGION_COLUMNS), problems


def read_overrides(path: Path, catalogue: pd.DataFrame, regions: pd.DataFrame
                   ) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    if not path.exists():
        return pd.DataFrame(columns=OVERRIDE_RAW_COLUMNS), problems
    raw = read_raw_csv(path, OVERRIDE_RAW_COLUMNS, problems, optional=())
    if raw is None:
        return pd.DataFrame(columns=OVERRIDE_RAW_COLUMNS), problems
    f = str(path)
    ids, codes = set(catalogue["id"]), set(regions["code"])
    city = next(iter(regions.loc[regions["level"] == "city", "code"]), None)
    out = []
    for i, r in enumerate(raw.to_dict("records")):
        row = i + 2
        ok = True
        if r["region"] not in codes:
            problems.append(Problem(f, f"unknown region {r['region']!r}", row=row, column="region",
                                    code="unknown_region"))
            ok = False
        elif r["region"] == city:
            problems.append(Problem(f, f"{r['region']!r} is the city: its baseline and target are the plan's, "
                                       "written in indicators.csv; county_targets.csv sets counties only",
                                    row=row, column="region", code="city_override"))
            ok = False
        if r["indicator"] not in ids:
            problems.append(Problem(f, f"unknown indicator {r['indicator']!r}", row=row,
                                    column="indicator", code="unknown_indicator"))
            ok = False
        vals = {}
        for col in ("baseline", "target"):
            c = parse_cell(r[col])
            if c.state == "number":
                vals[col] = c.value
            elif c.state == "missing":
                vals[col] = np.nan
            else:
                problems.append(Problem(f, f"{r[col]!r} is not a number", row=row, column=col,
                                        code="bad_number"))
                ok = False
        if r["comparator"] not in ("", ">=", "<=", "=="):
            problems.append(Problem(f, f"comparator {r['comparator']!r} is not >=, <= or ==",
                                    row=row, column="comparator", code="bad_comparator"))
            ok = False
        if ok:
            out.append({**r, **vals})
    return pd.DataFrame(out, columns=OVERRIDE_RAW_COLUMNS), problems


MIN_COUNTY_SHARE = 2.0  # a county share of a count below this is no target a county can act on


def county_shares(value: float, weights, decimals: int) -> np.ndarray:
    """The city's count target split by weight, largest remainder: the shares add up to it.

    Each county first gets its quota rounded down to the unit the plan writes
    (10^−decimals); the units left over go one each to the largest remainders,
    ties in the regions' order (code order). So 30 among 12 equal counties is
    six 3s and six 2s — never twelve 3s (36).
    """
    w = np.asarray(weights, dtype=float)
    unit = 10.0 ** -int(decimals)
    quota = value * w / w.sum() / unit
    base = np.floor(np.round(quota, 9))
    left = int(round(value / unit - base.sum()))
    order = np.argsort(-(quota - base), kind="stable")
    base[order[:left]] += 1
    return base * unit


COUNTY_TARGET_MODES = ("city", "pro_rata", "none")


def _count_shares(ind: dict, counties: pd.DataFrame, w: np.ndarray, fixed: dict) -> tuple[dict, str]:
    """The counties' shares of a count target with some counties fixed by an override.

    The rest of the city's target (target − the fixed counties) is shared out among the other
    counties by weight (largest remainder), so the counties still add up to the city. When the
    fixed counties already take more than the target, nothing is re-shared and the note says the
    counties do not add up to the city.
    """
    codes = list(counties["code"])
    free = [i for i, c in enumerate(codes) if c not in fixed]
    rest = ind["target"] - sum(fixed.values())
    if not fixed:
        return dict(zip(codes, county_shares(ind["target"], w, ind["decimals"]))), \
            "各县合计等于全市目标"
    if rest < 0 or not free:
        return {}, "各县目标合计不等于全市目标(含县级自定目标)"
    shares = county_shares(rest, w[free], ind["decimals"])
    return {codes[i]: v for i, v in zip(free, shares)}, \
        f"扣除县级自定目标后余下的 {rest:g} 按权重分解, 各县合计等于全市目标"


def build_targets(catalogue: pd.DataFrame, regions: pd.DataFrame, overrides: pd.DataFrame,
                  info: PlanInfo) -> pd.DataFrame:
    """One row per (region, indicator): baseline, target, comparator and the rule used.

    plan.toml ``county_targets`` decides what a county gets when county_targets.csv sets nothing:
    ``"city"`` (the default): a level target is the city's, a count stays the city's as a whole;
    ``"pro_rata"``: a count is shared out by weight (said to be illustrative wherever shown);
    ``"none"``: counties get no target at all. A county's 基期值 is never the city's: it is the
    override's, else NaN until :func:`apply_observed_baselines` finds the county's own value.
    """
    mode = getattr(info, "county_targets", "city")
    counties = regions[regions["level"] == "county"]
    w = counties["weight"].fillna(1.0).to_numpy(float)
    if w.sum() <= 0:
        w = np.ones(len(w))
    share = dict(zip(counties["code"], w / w.sum() if len(w) else w))
    ov = {(r["region"], r["indicator"]): r for r in overrides.to_dict("records")}
    city_level = set(getattr(info, "county_share_indicators", ()))
    rows = []
    for ind in catalogue.to_dict("records"):
        base = dict(indicator=ind["id"], baseline_year=ind["baseline_year"],
                    target_year=ind["target_year"], comparator=ind["comparator"])
        rows.append({**base, "region": info.city_code, "baseline": ind["baseline"],
                     "target": ind["target"], "target_basis": "plan", "target_note": ""})
        count = ind["kind"] in ("stock", "increment")
        fixed = {c: o["target"] for (c, i), o in ov.items() if i == ind["id"] and not np.isnan(o["target"])}
        shares, sum_note = {}, ""
        share_out = mode == "pro_rata" and count and not np.isnan(ind["target"]) and len(counties)
        if share_out:
            shares, sum_note = _count_shares(ind, counties, w, fixed)
        # A count whose county shares would fall under 2 stays the city's (one national
        # zone, 13 platforms among 12 counties): "1.08 个" is no target a county can act on.
        # A share *of the counties* (k of 12 designated) only exists for the city.
        too_small = share_out and min(ind["target"] * share[c] for c in share) < MIN_COUNTY_SHARE
        city_only = (mode == "none" or (count and mode != "pro_rata") or too_small
                     or ind["id"] in city_level)
        if ind["id"] in city_level:
            only_note = "全市指标: 按县(市、区)个数计算的比例, 县级不设目标"
        elif mode == "none":
            only_note = "规划不向县(市、区)分解目标"
        elif too_small:
            only_note = (f"全市整体目标 {ind['target']:g}, 分到每个县(市、区)不足 "
                         f"{MIN_COUNTY_SHARE:g}, 不分解到县(市、区)")
        else:
            only_note = "数量指标为全市整体目标, 规划未分解到县(市、区)"
        for code in counties["code"]:
            b, t = np.nan, ind["target"]  # a county's 基期值 is its own or none, never the city's
            if city_only:
                t = np.nan
                basis, note = "city_only", only_note
            elif count:
                t = shares.get(code, np.nan)
                basis = "pro_rata"
                note = f"按权重分解全市目标(份额 {share[code]:.1%}, 最大余数法取整, {sum_note})"
            else:
                basis, note = "city_default", "县级未另设目标, 采用全市目标"
            row = {**base, "region": code, "baseline": b, "target": t, "baseline_year": pd.NA,
                   "target_basis": basis, "target_note": note}
            o = ov.get((code, ind["id"]))
            if o is not None:
                if not np.isnan(o["target"]):
                    row["target"] = o["target"]
                if not np.isnan(o["baseline"]):
                    row["baseline"] = o["baseline"]
                    row["baseline_year"] = ind["baseline_year"] if not pd.isna(ind["baseline_year"]) \
                        else info.base_year
                if o["comparator"]:
                    row["comparator"] = o["comparator"]
                row["target_basis"] = "override"
                row["target_note"] = "; ".join(x for x in (o["note"], o["source"], sum_note if share_out else "")
                                               if x)
            rows.append(row)
    return typed(pd.DataFrame(rows), TARGET_COLUMNS)


def apply_observed_baselines(targets: pd.DataFrame, observations: pd.DataFrame,
                             catalogue: pd.DataFrame, info: PlanInfo) -> pd.DataFrame:
    """A region's own base-year value (delivered or published) as its 基期值 where it has none.

    A county has no borrowed baseline (build_targets leaves it NaN); the city keeps the plan's
    number and takes its own value only when the plan gives none. Increment baselines are the
    previous plan's total additions, not a level in the base year, so they are left alone; an
    override's baseline stays.
    """
    kinds = catalogue.set_index("id")["kind"]
    obs = observations[observations["year"] == info.base_year]
    base = obs.set_index(["region", "indicator"])["value"]
    out = targets.copy()
    key = pd.MultiIndex.from_arrays([out["region"], out["indicator"]])
    observed = base.reindex(key).to_numpy(float)
    use = (~np.isnan(observed) & out["baseline"].isna().to_numpy()
           & out["indicator"].map(kinds).ne("increment").to_numpy())
    out.loc[use, "baseline"] = observed[use]
    out.loc[use, "baseline_year"] = info.base_year
    note = out.loc[use, "target_note"].astype(str)
    out.loc[use, "target_note"] = (note + np.where(note.eq(""), "", "; ")
                                   + f"基期值取本地区{info.base_year}年数据")
    return out
