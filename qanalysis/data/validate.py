"""Check yearly values against the plan, across rows and files; ``qanalysis validate``.

``readers.py`` turns cells into rows (and reports cells it cannot read); this
module checks what only the rows together or the plan can tell: duplicates,
years outside the plan's range, values outside their bounds, a unit slip of
10 000×, running totals entered where yearly additions belong, published
values without a source. Every check and its severity is in docs/input-formats.md.
"""
from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..dataset import OBSERVATION_STATUSES, Dataset
from ..errors import Problem
from ..plan.catalogue import sibling_indicators
from . import readers
from .formats import INPUT_SUFFIXES

# A value this many times above (or below) the plan's magnitude for the region
# is a unit slip (万件 entered as 件 is 10 000×), not a change over a few years.
UNIT_FACTOR = 1000.0
# A percentage this many times below its baseline/target was entered as a fraction (0.96 for 96 %).
FRACTION_FACTOR = 50.0
# An increment series is a running total when it rises every year and some year's
# "addition" is at least this many times the yearly share of the target.
CUMULATIVE_FACTOR = 2.0
MIN_CUMULATIVE_POINTS = 3
# Analysts hold long histories: any year from this one to the plan's target year is data.
HISTORY_FIRST_YEAR = 1990


def _origin(obs: pd.DataFrame) -> pd.DataFrame:
    """Origin columns, filled in when the rows did not come from a file."""
    out = pd.DataFrame(index=obs.index)
    out["_file"] = obs["_file"].astype(str) if "_file" in obs else "(observations)"
    out["_sheet"] = obs["_sheet"].astype(str) if "_sheet" in obs else ""
    out["_row"] = obs["_row"] if "_row" in obs else pd.Series(pd.NA, index=obs.index)
    out["_cell"] = obs["_cell"].astype(str) if "_cell" in obs else ""
    return out


def _loc(o: pd.Series) -> dict:
    row = o["_row"]
    return {
        "file": str(o["_file"]),
        "sheet": o["_sheet"] or None,
        "row": None if row is None or pd.isna(row) else int(row),
        "cell": o["_cell"] or None,
    }


def _where_short(o: pd.Series) -> str:
    parts = [str(o["_file"])]
    if o["_sheet"]:
        parts.append(f"sheet {o['_sheet']!r}")
    if o["_cell"]:
        parts.append(f"cell {o['_cell']}")
    elif not pd.isna(o["_row"]):
        parts.append(f"row {int(o['_row'])}")
    return ", ".join(parts)


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "(empty)"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.6g}"


def validate_observations(obs: pd.DataFrame, plan_data: Dataset) -> list[Problem]:
    """Every problem in ``obs`` that rows together, or the plan, reveal."""
    problems: list[Problem] = []
    if obs is None or len(obs) == 0:
        return problems
    obs = obs.reset_index(drop=True)
    origin = _origin(obs)
    cat = plan_data.catalogue.set_index("id")
    regions = set(plan_data.regions["code"].astype(str))
    plan = plan_data.plan
    name = cat["name_zh"].to_dict()
    unit = cat["unit"].to_dict()

    def add(i, reason, code, column="value", severity="error"):
        problems.append(Problem(reason=reason, column=column, severity=severity, code=code, **_loc(origin.loc[i])))

    def label(ind):
        return f"{name.get(ind, ind)} ({unit.get(ind, '')})" if unit.get(ind) else str(name.get(ind, ind))

    ind = obs["indicator"].astype(str)
    reg = obs["region"].astype(str)
    value = obs["value"].astype(float).to_numpy()
    year = pd.to_numeric(obs["year"], errors="coerce").to_numpy(dtype=float)
    status = obs["status"].astype(str).to_numpy()
    source = obs["source"].astype(str).str.strip().to_numpy() if "source" in obs else np.full(len(obs), "")

    known_ind = ind.isin(cat.index).to_numpy()
    for i in np.flatnonzero(~known_ind):
        add(i, f"indicator {ind.iat[i]!r} is not in the plan's catalogue (指标目录)", "unknown_indicator", "indicator")
    for i in np.flatnonzero(~reg.isin(regions).to_numpy()):
        add(i, f"region {reg.iat[i]!r} is not one of the plan's regions (地区)", "unknown_region", "region")

    lo_y, hi_y = HISTORY_FIRST_YEAR, plan.target_year
    for i in np.flatnonzero((year < lo_y) | (year > hi_y) | np.isnan(year)):
        shown = "(empty)" if np.isnan(year[i]) else str(int(year[i]))
        add(i, f"year {shown} is outside the accepted range {lo_y}–{hi_y} (年份): years before {lo_y} "
               f"are not taken and the plan ends in {hi_y}", "year_out_of_range", "year")

    for i in np.flatnonzero(~np.isin(status, OBSERVATION_STATUSES)):
        add(i, f"status {status[i]!r} is not one of {', '.join(OBSERVATION_STATUSES)}", "unknown_status", "status")
    published = status == "published"
    for i in np.flatnonzero(published & np.isnan(value)):
        add(i, "the value is empty but the status says published (已发布)", "missing_value")
    for i in np.flatnonzero(published & (source == "")):
        add(i, "the status says published (已发布) but no source (来源) is given; name the yearbook, bulletin or "
               "web address the value comes from, or mark it provisional", "missing_source", "source")

    # bounds: a percentage in [0, 100], a count ≥ 0
    lower = ind.map(cat["lower_bound"]).astype(float).to_numpy()
    upper = ind.map(cat["upper_bound"]).astype(float).to_numpy()
    with np.errstate(invalid="ignore"):
        below = value < lower
        above = value > upper
    for i in np.flatnonzero(below):
        u = unit.get(ind.iat[i], "")
        if lower[i] == 0 and u not in ("%", "％"):
            add(i, f"value {_fmt(value[i])} is negative, but {label(ind.iat[i])} is a count and cannot be below 0",
                "negative_count")
        else:
            add(i, f"value {_fmt(value[i])} is below the lower bound {_fmt(lower[i])} for {label(ind.iat[i])}",
                "out_of_bounds")
    for i in np.flatnonzero(above):
        add(i, f"value {_fmt(value[i])} is above the upper bound {_fmt(upper[i])} for {label(ind.iat[i])}",
            "out_of_bounds")

    problems += _suspect_unit(obs, origin, plan_data, label, unit, below | above)
    problems += _duplicates(obs, origin)
    problems += _looks_cumulative(obs, origin, plan_data, label)
    return _name_wide_columns(problems, obs, origin)


def _name_wide_columns(problems: list[Problem], obs: pd.DataFrame, origin: pd.DataFrame) -> list[Problem]:
    """On a wide sheet a value sits under its year's header: name that column, as the reader does."""
    cells = origin["_cell"].astype(str).to_numpy()
    if not (cells != "").any():
        return problems
    year_of = {(str(f), str(sh), c): str(int(y)) for f, sh, c, y in
               zip(origin["_file"], origin["_sheet"], cells, pd.to_numeric(obs["year"], errors="coerce").fillna(-1))
               if c and y >= 0}
    return [replace(p, column=year_of.get((p.file, str(p.sheet), p.cell), p.column))
            if p.cell and p.column == "value" else p for p in problems]


def _references(obs: pd.DataFrame, plan_data: Dataset) -> pd.DataFrame:
    """Baseline and target per row: the region's, else the catalogue's."""
    key = obs[["region", "indicator"]].astype(str)
    t = plan_data.targets
    if len(t):
        t = t.assign(region=t["region"].astype(str), indicator=t["indicator"].astype(str))
        t = t.drop_duplicates(["region", "indicator"])[["region", "indicator", "baseline", "target"]]
        m = key.merge(t, on=["region", "indicator"], how="left")
    else:
        m = key.assign(baseline=np.nan, target=np.nan)
    cat = plan_data.catalogue.set_index("id")
    for col in ("baseline", "target"):
        fallback = key["indicator"].map(cat[col]).astype(float)
        m[col] = m[col].astype(float).fillna(fallback).to_numpy()
    m.index = obs.index
    return m


def _suspect_unit(obs, origin, plan_data, label, unit, already) -> list[Problem]:
    ref = _references(obs, plan_data)
    mag = np.fmax(ref["baseline"].abs().to_numpy(), ref["target"].abs().to_numpy())
    ind = obs["indicator"].astype(str).to_numpy()
    # "too large" is judged against the city's magnitude too: a county's pro-rata
    # share of a small count target can be a fraction of one
    cat = plan_data.catalogue.set_index("id")
    city = np.fmax(pd.Series(ind).map(cat["baseline"]).astype(float).abs().to_numpy(),
                   pd.Series(ind).map(cat["target"]).astype(float).abs().to_numpy())
    big = np.fmax(mag, city)
    v = np.abs(obs["value"].astype(float).to_numpy())
    out = []
    with np.errstate(invalid="ignore", divide="ignore"):
        high = (big > 0) & (v >= UNIT_FACTOR * big)
        low = (mag > 0) & (v > 0) & (v * UNIT_FACTOR <= mag)
        is_pct = np.array([unit.get(i, "") in ("%", "％") for i in ind])
        frac = is_pct & (mag >= 10) & (v > 0) & (v < 1) & (v * FRACTION_FACTOR <= mag)
    for i in np.flatnonzero((high | low | frac) & ~already):
        u = unit.get(ind[i], "")
        o = origin.loc[obs.index[i]]
        if frac[i]:
            why = (f"value {_fmt(v[i])} looks like a fraction, but {label(ind[i])} is in percent and its "
                   f"baseline/target is about {_fmt(mag[i])}; enter {_fmt(v[i] * 100)} for {_fmt(v[i] * 100)} %")
        elif high[i]:
            hint = (f"; was it entered in {u[1:] or '件'} instead of {u}? Divide by 10 000" if u.startswith("万")
                    else "; check the unit")
            why = (f"value {_fmt(v[i])} is {_fmt(round(v[i] / big[i]))}× the plan's baseline/target "
                   f"({_fmt(big[i])} {u}) for {label(ind[i])}{hint}")
        else:
            why = (f"value {_fmt(v[i])} is a thousandth or less of the plan's baseline/target ({_fmt(mag[i])} {u}) "
                   f"for {label(ind[i])} in this region; check the unit (单位)")
        out.append(Problem(reason=why, column="value", code="suspect_unit", severity="error", **_loc(o)))
    return out


def _duplicates(obs, origin) -> list[Problem]:
    key = ["region", "indicator", "year"]
    dup = obs.duplicated(key, keep=False)
    if not dup.any():
        return []
    out = []
    d = obs[dup]
    for (r, ind, y), g in d.groupby(key, sort=False):
        first = g.index[0]
        o1 = origin.loc[first]
        v1 = float(g.at[first, "value"])
        for i in g.index[1:]:
            v = float(g.at[i, "value"])
            o = origin.loc[i]
            same = v == v1 or (math.isnan(v) and math.isnan(v1))
            if same:
                out.append(Problem(
                    reason=f"the same value {_fmt(v)} for region {r}, indicator {ind}, year {y} is given again "
                           f"(first at {_where_short(o1)}); the copy is ignored", column="value",
                    code="duplicate_row", severity="warning", **_loc(o)))
            else:
                out.append(Problem(
                    reason=f"region {r}, indicator {ind}, year {y} has two different values: {_fmt(v)} here and "
                           f"{_fmt(v1)} at {_where_short(o1)}; keep one of them", column="value",
                    code="duplicate", severity="error", **_loc(o)))
    return out


def _looks_cumulative(obs, origin, plan_data, label) -> list[Problem]:
    kinds = plan_data.catalogue.set_index("id")["kind"]
    inc = obs["indicator"].astype(str).map(kinds).eq("increment").fillna(False).to_numpy(dtype=bool)
    if not inc.any():
        return []
    sub = obs[inc].drop_duplicates(["region", "indicator", "year"]).sort_values("year")
    ref = _references(sub, plan_data)
    n_years = max(plan_data.plan.target_year - plan_data.plan.base_year, 1)
    out = []
    for (r, ind), g in sub.groupby(["region", "indicator"], sort=False):
        if len(g) < MIN_CUMULATIVE_POINTS:
            continue
        target = ref.loc[g.index, "target"].iloc[0]
        if not (target > 0):
            continue
        v = g["value"].astype(float).to_numpy()
        share = target / n_years
        if np.all(np.diff(v) > 0) and v.max() >= CUMULATIVE_FACTOR * share:
            last = g.index[-1]
            out.append(Problem(
                reason=f"{label(ind)} counts the additions of each year (新增), but the values "
                       f"{', '.join(_fmt(x) for x in v)} rise every year and reach {_fmt(v.max())}, at least "
                       f"{CUMULATIVE_FACTOR:g}× the yearly share of the target ({_fmt(share)} = {_fmt(target)} ÷ "
                       f"{n_years}); they look like a running total (累计). Enter each year's additions only",
                column="value", code="looks_cumulative", severity="warning", **_loc(origin.loc[last])))
    return out


def check_files(paths, plan_data: Dataset) -> tuple[pd.DataFrame, list[Problem]]:
    """Read and validate every file; all problems, duplicates across files included."""
    frames, problems = [], []
    for path in paths:
        try:
            df, probs = readers.read_observations(path, plan_data)
        except Exception as e:  # a reader bug must not hide the other files' problems
            df, probs = readers.empty_observations(), [Problem(
                file=str(path), reason=f"the file could not be read ({type(e).__name__}: {e})",
                code="unreadable")]
        problems += _refuse_empty(path, df, probs)
        if len(df):
            frames.append(df)
    obs = pd.concat(frames, ignore_index=True) if frames else readers.empty_observations()
    problems += validate_observations(obs, plan_data)
    problems = _other_plans(problems, plan_data)
    return obs, sort_problems(problems, paths)


NO_VALUES = ("the file holds no values (a header only, or every value cell blank): nothing would be "
             "delivered, so it is refused; fill in at least one value (数值)")


def _refuse_empty(path, df: pd.DataFrame, probs: list[Problem]) -> list[Problem]:
    """A file without errors and without a single value is refused (validate as prepare)."""
    if len(df) or any(p.severity == "error" for p in probs):
        return probs
    where = [p for p in probs if p.code == "no_data"]
    out = [p for p in probs if p.code != "no_data"]
    if where:
        return out + [Problem(file=w.file, reason=NO_VALUES, row=w.row, sheet=w.sheet, code="no_values")
                      for w in where]
    return out + [Problem(file=str(path), reason=NO_VALUES, code="no_values")]


_UNKNOWN_INDICATOR = re.compile(r"^indicator '(?P<text>.+?)' is not in the plan's catalogue")


def _other_plans(problems: list[Problem], plan_data: Dataset) -> list[Problem]:
    """A row for an indicator of another plan of the same city is listed (warning), not refused:
    one delivery serves every plan of the city (docs/plan-format.md)."""
    if not any(p.code == "unknown_indicator" for p in problems):
        return problems
    siblings = sibling_indicators(plan_data.plan)
    out = []
    for p in problems:
        m = _UNKNOWN_INDICATOR.match(p.reason) if p.code == "unknown_indicator" else None
        other = siblings.get(m.group("text").strip()) if m else None
        if other:
            p = replace(p, severity="warning", code="other_plan_indicator",
                                    reason=f"indicator {m.group('text')!r} belongs to plan {other!r} of the same "
                                           f"city, not to {plan_data.plan.id!r}: set aside here (it serves {other})")
        out.append(p)
    return out


def sort_problems(problems: list[Problem], paths=()) -> list[Problem]:
    """In reading order: file as given, sheet as met, then row; the kind of check last."""
    files = {str(p): i for i, p in enumerate(paths)}
    sheets: dict[tuple, int] = {}
    for p in problems:
        sheets.setdefault((p.file, p.sheet), len(sheets))
    return sorted(problems, key=lambda p: (files.get(p.file, len(files)), sheets[(p.file, p.sheet)],
                                           p.row if p.row is not None else 0))


def expand_paths(items) -> list[Path]:
    """Files as given; a folder stands for the .csv/.xlsx files in it."""
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.suffix.lower() in INPUT_SUFFIXES
                          and not q.name.startswith((".", "~$")))
        else:
            out.append(p)
    return out


def summary(n_files: int, obs: pd.DataFrame, problems: list[Problem]) -> str:
    """One line: files, distinct values read (a value given twice counts once), errors, warnings."""
    n_err = sum(p.severity == "error" for p in problems)
    n_warn = len(problems) - n_err
    verdict = "not accepted" if n_err else "accepted"
    distinct = len(obs.drop_duplicates(["region", "indicator", "year"])) if len(obs) else 0
    rows = f" (from {len(obs)} rows: some give the same region, indicator and year)" if distinct != len(obs) else ""
    return (f"{n_files} file(s), {distinct} distinct value(s) read{rows}: {n_err} error(s), "
            f"{n_warn} warning(s) — {verdict}")
