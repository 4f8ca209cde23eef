"""The panel: every (region, indicator) series of a dataset as one (series × years) array.

``build_panel(data, model)`` lines the catalogue up against the regions and the
targets, puts each observation in its cell, and fits every row at once
(:func:`qanalysis.analysis.forecast.fit`). The assessment (:mod:`.assess`)
computes its table from this; ``Assessment.path``/``series`` and the regression
detail (:mod:`.detail`) read it afterwards. Nothing here decides a status.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import forecast as fc
from ..dataset import Dataset
from ..errors import QAnalysisError


@dataclass
class Panel:
    """Everything assess() computes, as arrays, kept for path()/series() and detail()."""

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
    tol: np.ndarray | None = None   # (S,) how near a value must be to meet its target (set by assess)
    rare: np.ndarray | None = None  # (S,) rows forecast as rare-event counts (set by assess)


def as_int64(values) -> pd.arrays.IntegerArray:
    """Whole years as a nullable Int64 array (NaN → <NA>), built from the mask directly."""
    v = np.asarray(values, dtype=float)
    missing = ~np.isfinite(v)
    return pd.arrays.IntegerArray(np.where(missing, 0, v).astype(np.int64), missing)


def as_floats(s: pd.Series) -> np.ndarray:
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
    tyear = as_floats(frame["target_year"])
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
    status, names = factorize_runs(obs["status"].astype(str).to_numpy(dtype=object)[keep])
    flags = np.zeros((len(frame), 3), dtype=bool)
    # an estimate (预计数) is no statistic: in a series' data status it counts as not yet published
    for j, group in enumerate((("published",), ("provisional", "estimated"), ("illustrative",))):
        for s in group:
            if s in names:
                flags[:, j] |= np.bincount(row[status == names.index(s)], minlength=len(frame)) > 0
    return key, years, Y, flags


def _data_status(flags: np.ndarray) -> np.ndarray:
    names = np.array(["published", "provisional", "illustrative"], dtype=object)
    count = flags.sum(axis=1)
    single = names[np.argmax(flags, axis=1)]
    return np.where(count == 0, "", np.where(count == 1, single, "mixed")).astype(object)


def build_panel(data: Dataset, model: str, regions=None) -> tuple[pd.DataFrame, Panel]:
    frame = _series_frame(data, regions)
    key, years, Y, flags = _panel_arrays(data, frame)
    if data.plan.fit_first_year is not None:  # the plan's fit window: earlier years are shown, not fitted
        Y[:, years < int(data.plan.fit_first_year)] = np.nan
    S = len(frame)
    kind = frame["kind"].astype(str).to_numpy(dtype=object)
    inc = kind == "increment"
    plan_first = int(data.plan.first_year)
    tyear = as_floats(frame["target_year"])
    tyear = np.where(np.isfinite(tyear), tyear, data.plan.target_year)
    ylower, yupper = as_floats(frame["lower_bound"]), as_floats(frame["upper_bound"])

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


def factorize_runs(values: np.ndarray):
    """``pd.factorize`` that hashes only where a value differs from the one before it."""
    if not len(values):
        return np.zeros(0, dtype=np.int64), []
    change = np.ones(len(values), dtype=bool)
    change[1:] = values[1:] != values[:-1]
    heads = np.flatnonzero(change)
    codes, uniq = pd.factorize(values[heads])
    return codes[np.cumsum(change) - 1], list(uniq)

