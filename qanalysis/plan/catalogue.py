"""The plan's catalogue: raw transcription → typed indicator table.

Reads a plan folder (``plan.toml``, ``indicators.csv``, ``review.csv``,
``regions.csv``, ``county_targets.csv``; see docs/architecture.md) and parses
every cell as written with :mod:`qanalysis.targetparse`. Every quirk of the
source is recorded in the ``note`` column, never smoothed over. All problems
are collected and raised together as :class:`~qanalysis.errors.InputError`.
"""
from __future__ import annotations

import json
import sys
import tomllib
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..dataset import (CATALOGUE_COLUMNS, COMPARATORS, KINDS, OBSERVATION_COLUMNS, REVIEW_COLUMNS,
                      Dataset, PlanInfo, typed)
from ..errors import Problem, QAnalysisError, raise_if_errors
from . import regions as regions_mod
from .rawcsv import read_raw_csv
from .targetparse import parse_cell

INDICATOR_RAW_COLUMNS = [
    "id", "name_zh", "name_en", "category", "category_en", "unit", "kind", "comparator",
    "lower_bound", "upper_bound", "baseline_text", "target_text", "prose_target_text",
    "source", "labels", "description", "note",
]
# optional columns of indicators.csv: a row's own target year (blank: the plan's target_year)
INDICATOR_OPTIONAL = ("target_year",)
REVIEW_RAW_COLUMNS = [
    "id", "category", "name_zh", "unit", "target_text", "achieved_text", "kind",
    "comparator", "named_missed_in_plan", "missed_reason", "source",
]
PLAN_KEYS = {"id": str, "name_zh": str, "name_en": str, "city_code": str, "base_year": int,
             "first_year": int, "target_year": int, "data_first_year": int}


def read_plan_info(plan_dir: Path) -> PlanInfo:
    path = plan_dir / "plan.toml"
    if not path.exists():
        raise QAnalysisError(f"{path}: no plan.toml — is {plan_dir} a plan folder?")
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise QAnalysisError(f"{path}: not valid TOML: {exc}") from None
    problems = []
    for key, typ in PLAN_KEYS.items():
        if key not in meta:
            problems.append(Problem(str(path), f"key {key!r} is missing", column=key, code="missing_key"))
        elif not isinstance(meta[key], typ):
            problems.append(Problem(str(path), f"key {key!r} must be {typ.__name__}, got {meta[key]!r}",
                                    column=key, code="bad_type"))
    raise_if_errors(problems)
    if not meta["data_first_year"] <= meta["base_year"] < meta["first_year"] <= meta["target_year"]:
        raise QAnalysisError(f"{path}: years must satisfy data_first_year ≤ base_year < first_year ≤ target_year")
    published = meta.get("published", [])
    if not isinstance(published, list) or not all(isinstance(x, str) for x in published):
        raise QAnalysisError(f"{path}: 'published' must be a list of file paths")
    fill = meta.get("fill_illustrative", True)
    if not isinstance(fill, bool):
        raise QAnalysisError(f"{path}: 'fill_illustrative' must be true or false, got {fill!r}")
    fit_first = meta.get("fit_first_year")
    if fit_first is not None and (not isinstance(fit_first, int) or isinstance(fit_first, bool)
                                  or not 1990 <= fit_first < meta["target_year"]):
        raise QAnalysisError(f"{path}: 'fit_first_year' must be a year from 1990 to before the target year "
                             f"{meta['target_year']}, got {fit_first!r}")
    county_targets = meta.get("county_targets", "city")
    if county_targets not in regions_mod.COUNTY_TARGET_MODES:
        raise QAnalysisError(f"{path}: 'county_targets' must be one of "
                             f"{', '.join(repr(m) for m in regions_mod.COUNTY_TARGET_MODES)}, got {county_targets!r}")
    shares = meta.get("county_share_indicators", [])
    if not isinstance(shares, list) or not all(isinstance(x, str) for x in shares):
        raise QAnalysisError(f"{path}: 'county_share_indicators' must be a list of indicator ids")
    return PlanInfo(**{k: meta[k] for k in PLAN_KEYS}, previous_plan_zh=meta.get("previous_plan_zh", ""),
                    published=tuple(published), county_share_indicators=tuple(shares),
                    fill_illustrative=fill, fit_first_year=fit_first, county_targets=county_targets)


def _bound(text: str, path: Path, row: int, column: str, problems: list[Problem]) -> float:
    if text == "":
        return np.nan
    try:
        return float(text)
    except ValueError:
        problems.append(Problem(str(path), f"bound {text!r} is not a number", row=row, column=column,
                                code="bad_bound"))
        return np.nan


def parse_indicators(raw: pd.DataFrame, info: PlanInfo, path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed catalogue rows from the raw transcription; problems for what does not parse."""
    problems: list[Problem] = []
    rows = []
    years, milestones = _target_years(raw, info, path, problems)
    seen: dict[tuple, int] = {}
    for i, r in enumerate(raw.to_dict("records")):
        row = i + 2  # header is row 1
        where = dict(file=str(path), row=row)
        iid = r["id"]
        if (iid, years[i]) in seen:
            problems.append(Problem(**where, column="id", code="duplicate_id",
                                    reason=f"id {iid!r} is used again for target year {years[i]} "
                                           f"(first on row {seen[iid, years[i]]})"))
        seen.setdefault((iid, years[i]), row)
        if i in milestones["skip"]:
            continue
        kind, comp = r["kind"], r["comparator"]
        if kind not in KINDS:
            problems.append(Problem(**where, column="kind", code="bad_kind",
                                    reason=f"kind {kind!r} is not one of {', '.join(KINDS)}"))
        if comp not in COMPARATORS:
            problems.append(Problem(**where, column="comparator", code="bad_comparator",
                                    reason=f"comparator {comp!r} is not one of {', '.join(COMPARATORS)}"))
        notes = [r["note"]] if r["note"] else []
        notes += milestones["notes"].get(i, [])

        base = parse_cell(r["baseline_text"])
        if base.state == "none":
            notes.append("基期值为“-”: 本规划新增指标, 无基期值")
        elif base.state == "unquantified":
            problems.append(Problem(**where, column="baseline_text", code="bad_baseline",
                                    reason=f"baseline {r['baseline_text']!r} has no number"))
        if base.remark:
            notes.append(f"基期值附注: {base.remark}")

        table, prose = parse_cell(r["target_text"]), parse_cell(r["prose_target_text"])
        target, target_from = table, "target_text"
        if table.state == "missing" and prose.state != "missing":
            target, target_from = prose, "prose_target_text"
            if r["source"].startswith("表"):
                notes.append(f"表中目标值缺失, 取自正文: “{r['prose_target_text']}”")
        elif (table.state == "number" and prose.state == "number" and table.value != prose.value):
            notes.append(f"表中目标 {table.value:g} 与正文 “{r['prose_target_text']}” 不一致; 采用表中数值")
        if target.state == "unquantified":
            notes.append(f"目标为“{target.remark}”: 规划未给出数值")
            if kind in KINDS and kind != "unquantified":
                problems.append(Problem(**where, column=target_from, code="kind_mismatch",
                                        reason=f"target {r[target_from]!r} has no number but kind is {kind!r}"))
        elif target.state == "number":
            if kind == "unquantified":
                problems.append(Problem(**where, column="kind", code="kind_mismatch",
                                        reason=f"kind is 'unquantified' but the target {r[target_from]!r} is a number"))
            if target.comparator and comp in COMPARATORS and target.comparator != comp:
                problems.append(Problem(**where, column="comparator", code="comparator_mismatch",
                                        reason=f"comparator {comp!r} contradicts the text {r[target_from]!r}"))
            if target.approx:
                notes.append(f"目标为约数 “{r[target_from]}”, 按 {comp} {target.value:g} 评估")
            if target.remark and target.remark not in ("全面消除", "零的突破", "全覆盖"):
                notes.append(f"目标附注: {target.remark}")
        elif kind != "unquantified":
            problems.append(Problem(**where, column="target_text", code="missing_target",
                                    reason="no target in target_text or prose_target_text"))

        lo = _bound(r["lower_bound"], path, row, "lower_bound", problems)
        hi = _bound(r["upper_bound"], path, row, "upper_bound", problems)
        tval = target.value if target.state == "number" else np.nan
        bval = base.value if base.state == "number" else np.nan
        for name, v in (("target", tval), ("baseline", bval)):
            if not np.isnan(v) and ((not np.isnan(lo) and v < lo) or (not np.isnan(hi) and v > hi)):
                problems.append(Problem(**where, column=f"{name}_text", code="out_of_bounds",
                                        reason=f"{name} {v:g} is outside the bounds [{lo:g}, {hi:g}]"))
        if comp == "<=":
            direction = -1
        elif comp == "==" and not np.isnan(lo) and tval == lo:
            direction = -1  # keep at the floor, e.g. "全面消除"
        else:
            direction = 1
        rows.append({
            **{k: r[k] for k in ("id", "name_zh", "name_en", "category", "category_en", "unit",
                                 "kind", "comparator", "source", "labels", "description")},
            "direction": direction, "lower_bound": lo, "upper_bound": hi,
            "decimals": target.decimals if target.state == "number" else base.decimals,
            "baseline_year": info.base_year if base.state == "number" else pd.NA,
            "baseline": bval,
            "target_year": years[i], "target": tval,
            "baseline_text": r["baseline_text"],
            "target_text": r[target_from] if target_from == "target_text" else r["prose_target_text"],
            "note": "; ".join(n for n in notes if n),
        })
    cat = typed(pd.DataFrame(rows, columns=list(CATALOGUE_COLUMNS)), CATALOGUE_COLUMNS)
    return cat, problems


def _target_years(raw: pd.DataFrame, info: PlanInfo, path: Path, problems: list[Problem]
                  ) -> tuple[list[int], dict]:
    """Each row's target year (its ``target_year`` cell, else the plan's) and the milestones.

    An indicator may have rows for several target years (阶段性目标). Until milestones are assessed
    one by one, the catalogue keeps one row per indicator — the plan's target year if it has one,
    else the latest — and names the other years' targets in its note ("阶段性目标…尚未单独评估").
    """
    years = []
    col = raw["target_year"] if "target_year" in raw else pd.Series([""] * len(raw))
    for i, text in enumerate(col):
        year = info.target_year
        if text != "":
            try:
                year = int(float(text))
                if float(text) != year or not info.base_year < year <= 2100:
                    raise ValueError
            except ValueError:
                problems.append(Problem(str(path), f"target_year {text!r} must be a year after the base year "
                                                   f"{info.base_year}", row=i + 2, column="target_year",
                                        code="bad_year"))
                year = info.target_year
        years.append(year)
    skip, notes = set(), {}
    for iid, idx in pd.Series(range(len(raw))).groupby(raw["id"].to_numpy()):
        idx = list(idx)
        if len({years[i] for i in idx}) < 2:
            continue
        keep = next((i for i in idx if years[i] == info.target_year), max(idx, key=lambda i: years[i]))
        others = [i for i in idx if i != keep and years[i] != years[keep]]
        skip |= set(others)
        notes[keep] = [f"阶段性目标 {years[i]}年 {raw['target_text'].iat[i] or raw['prose_target_text'].iat[i]}"
                       "(尚未单独评估, 本版只评估规划目标年)" for i in sorted(others, key=lambda i: years[i])]
    return years, {"skip": skip, "notes": notes}


def parse_review(raw: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """表1: the previous plan's targets and what was achieved, parsed as written."""
    problems: list[Problem] = []
    rows = []
    for i, r in enumerate(raw.to_dict("records")):
        row = i + 2
        t, a = parse_cell(r["target_text"]), parse_cell(r["achieved_text"])
        for col, c in (("target_text", t), ("achieved_text", a)):
            if c.state != "number":
                problems.append(Problem(str(path), f"{r[col]!r} has no number", row=row, column=col,
                                        code="bad_number"))
        flag = r["named_missed_in_plan"].lower()
        if flag not in ("true", "false"):
            problems.append(Problem(str(path), f"must be true or false, got {flag!r}", row=row,
                                    column="named_missed_in_plan", code="bad_boolean"))
        note = f"完成情况附注: {a.remark}" if a.remark else ""
        rows.append({**{k: r[k] for k in ("id", "category", "name_zh", "unit", "target_text",
                                           "achieved_text", "comparator", "kind", "source")},
                     "target": t.value, "achieved": a.value, "note": note,
                     "named_missed_in_plan": flag == "true"})
    df = pd.DataFrame(rows, columns=list(REVIEW_COLUMNS))
    # 表1 leaves the category blank on all but a block's first row: carry it down.
    df["category"] = df["category"].replace("", np.nan).ffill()
    return typed(df, REVIEW_COLUMNS), problems


@lru_cache(maxsize=1)
def _schema() -> dict:
    return json.loads((config.PACKAGE_DIR / "plan" / "indicator.schema.json").read_text(encoding="utf-8"))


def _jsonschema():
    """jsonschema, imported without its optional ``iri`` format checker.

    ``import jsonschema`` imports every optional format checker, and ``rfc3987_syntax`` (pulled
    in by Jupyter) compiles some 35 Lark grammars on import: 1.5 s added to every ``validate``
    and ``prepare`` (python-jsonschema/jsonschema#1428). The indicator schema uses no format, so
    the import is kept out for as long as jsonschema loads; anyone importing it later still can.
    """
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None   # an ImportError, which jsonschema suppresses
        try:
            # jsonschema only when a plan is validated (start-up speed)
            import jsonschema
        finally:
            del sys.modules["rfc3987_syntax"]
    # jsonschema only when a plan is validated (start-up speed)
    import jsonschema
    return jsonschema


def schema_problems(catalogue: pd.DataFrame, file: str = "indicators.csv") -> list[Problem]:
    """Validate every catalogue row against ``indicator.schema.json``."""
    validator = _jsonschema().Draft202012Validator(_schema())
    problems = []
    for i, rec in enumerate(catalogue_records(catalogue)):
        for err in validator.iter_errors(rec):
            col = err.path[0] if err.path else None
            problems.append(Problem(file, f"schema: {err.message}", row=i + 2, column=col,
                                    code="schema"))
    return problems


def catalogue_records(catalogue: pd.DataFrame) -> list[dict]:
    """Rows as plain JSON-able dicts (NaN/NA → None, numpy → Python)."""
    out = []
    for rec in catalogue.astype(object).to_dict("records"):
        clean = {}
        for k, v in rec.items():
            if v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                v = None
            elif isinstance(v, np.integer):
                v = int(v)
            elif isinstance(v, np.floating):
                v = float(v)
            clean[k] = v
        out.append(clean)
    return out


def read_plan(plan: str | Path | None = None) -> Dataset:
    """The plan's catalogue, regions, targets and review; no observations yet."""
    pdir = config.plan_dir(plan)
    if not pdir.is_dir():
        known = sorted(p.name for p in config.PLANS_DIR.glob("*") if p.is_dir())
        raise QAnalysisError(f"no plan folder {pdir} (known plans: {', '.join(known) or 'none'})")
    info = read_plan_info(pdir)
    problems: list[Problem] = []
    raw = read_raw_csv(pdir / "indicators.csv", INDICATOR_RAW_COLUMNS, problems, optional=INDICATOR_OPTIONAL)
    catalogue = pd.DataFrame(columns=list(CATALOGUE_COLUMNS))
    if raw is not None:
        catalogue, found = parse_indicators(raw, info, pdir / "indicators.csv")
        problems += found
        if not found:
            problems += schema_problems(catalogue, str(pdir / "indicators.csv"))
    review = typed(pd.DataFrame(columns=list(REVIEW_COLUMNS)), REVIEW_COLUMNS)
    if (pdir / "review.csv").exists():
        raw_review = read_raw_csv(pdir / "review.csv", REVIEW_RAW_COLUMNS, problems, optional=())
        if raw_review is not None:
            review, found = parse_review(raw_review, pdir / "review.csv")
            problems += found
    regions, found = regions_mod.read_regions(pdir / "regions.csv", info)
    problems += found
    raise_if_errors(problems)
    overrides, found = regions_mod.read_overrides(pdir / "county_targets.csv", catalogue, regions)
    raise_if_errors(found)
    targets = regions_mod.build_targets(catalogue, regions, overrides, info)
    empty = typed(pd.DataFrame(columns=list(OBSERVATION_COLUMNS)), OBSERVATION_COLUMNS)
    return Dataset(plan=info, catalogue=catalogue, regions=regions, targets=targets,
                   observations=empty, review=review)


def sibling_indicators(info: PlanInfo, plans_dir: Path | None = None) -> dict[str, str]:
    """Indicator ids and Chinese names of the city's *other* plans → that plan's id.

    One delivery may serve several plans of one city: a row for an indicator another plan of the
    same city has is set aside (and listed), not an error; a name no plan of the city knows is.
    """
    import csv  # lazy: only when a delivery names an indicator this plan lacks

    out: dict[str, str] = {}
    for folder in sorted((plans_dir or config.PLANS_DIR).glob("*")):
        try:
            other = read_plan_info(folder)
        except QAnalysisError:
            continue
        if other.city_code != info.city_code or other.id == info.id:
            continue
        path = folder / "indicators.csv"
        if not path.is_file():
            continue
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                for key in (r.get("id", ""), r.get("name_zh", "")):
                    if key and key.strip():
                        out.setdefault(key.strip(), other.id)
    return out
