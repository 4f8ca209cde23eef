"""Evaluation settings of a plan: the 基本完成 band and the targets the plan leaves to others.

Two things the final evaluation (:mod:`qanalysis.analysis.evaluation`) reads from the plan
folder, both optional (docs/evaluation.md):

* ``plan.toml`` key ``nearly_completed_band`` (default :data:`DEFAULT_BAND` = 0.10): a row
  whose completion degree is at least ``1 − band`` without meeting the target is 基本完成.
* ``supplied_targets.csv`` (columns ``region, indicator, target, comparator, basis``): a
  number the plan leaves to another body (省定目标, e.g. 空气质量优良天数比例 "完成省下达
  目标"), given by the user for a region, with the document it comes from. Every output
  that uses it names ``basis``. Without a row the indicator is 无法评价.

Bad input is one message naming the file, the row, the column and the reason.
"""
from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pandas as pd

from ..errors import QAnalysisError

DEFAULT_BAND = 0.10
SUPPLIED_FILE = "supplied_targets.csv"
SUPPLIED_COLUMNS = ["region", "indicator", "target", "comparator", "basis"]


def nearly_completed_band(plan_folder) -> float:
    """``nearly_completed_band`` from plan.toml (a share in [0, 1)); the default when absent."""
    path = Path(plan_folder) / "plan.toml"
    try:
        cfg = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return DEFAULT_BAND  # the plan loader reports an unreadable plan.toml, not this one
    band = cfg.get("nearly_completed_band", DEFAULT_BAND)
    if isinstance(band, bool) or not isinstance(band, (int, float)) or not (0 <= float(band) < 1):
        raise QAnalysisError(f"{path}: nearly_completed_band must be a number from 0 to 1 "
                             f"(e.g. 0.10 for 90%), not {band!r}")
    return float(band)


def supplied_targets(plan_folder) -> pd.DataFrame:
    """The rows of ``supplied_targets.csv`` (empty with the columns when there is no file)."""
    path = Path(plan_folder) / SUPPLIED_FILE
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "target" else "string")
                             for c in SUPPLIED_COLUMNS})
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, OSError) as exc:
        raise QAnalysisError(f"{path}: cannot read ({exc})") from None
    missing = [c for c in SUPPLIED_COLUMNS if c not in raw.columns]
    if missing:
        raise QAnalysisError(f"{path}: missing column(s) {', '.join(missing)} "
                             f"(expected: {', '.join(SUPPLIED_COLUMNS)})")
    targets = []
    for i, r in raw.iterrows():
        row = i + 2  # the header is line 1
        try:
            t = float(str(r["target"]).strip())
        except ValueError:
            t = math.nan
        if not math.isfinite(t):
            raise QAnalysisError(f"{path}, row {row}, column target: {r['target']!r} is not a number")
        if str(r["comparator"]).strip() not in (">=", "<=", "=="):
            raise QAnalysisError(f"{path}, row {row}, column comparator: {r['comparator']!r} "
                                 "must be >=, <= or ==")
        if not str(r["basis"]).strip():
            raise QAnalysisError(f"{path}, row {row}, column basis: empty — name the document the "
                                 "target comes from (e.g. 浙江省下达的年度目标文件)")
        targets.append(t)
    out = raw[SUPPLIED_COLUMNS].apply(lambda s: s.str.strip()).astype("string")
    out["target"] = pd.Series(targets, index=raw.index, dtype="float64")
    out["line"] = raw.index.to_numpy() + 2
    dup = out.duplicated(["region", "indicator"], keep=False)
    if dup.any():
        first = int(dup.to_numpy().nonzero()[0][1]) + 2
        raise QAnalysisError(f"{path}, row {first}: a second target for the same region and indicator")
    return out.reset_index(drop=True)


def check_supplied(sup: pd.DataFrame, plan_folder, regions: pd.DataFrame, catalogue: pd.DataFrame,
                   targets: pd.DataFrame) -> None:
    """Every row of ``supplied_targets.csv`` against the plan: a known region, a known indicator,
    a target the plan leaves to others for that region, a number a degree can be computed from.
    All problems at once, one line each naming the file, row, column and reason (exit 1)."""
    import difflib  # stdlib, only when there is a file to check

    path = Path(plan_folder) / SUPPLIED_FILE
    codes = set(regions["code"].astype(str))
    ids = list(catalogue["id"].astype(str))
    names = dict(zip(catalogue["name_zh"].astype(str), ids))
    tg = targets.set_index(["region", "indicator"])
    lines = []
    for _, r in sup.iterrows():
        where = f"{path}, row {int(r['line'])}"
        reg, ind = str(r["region"]), str(r["indicator"])
        if reg not in codes:
            lines.append(f"{where}, column region: {reg!r} is not a region of this plan "
                         f"(regions.csv: {', '.join(sorted(codes))})")
            continue
        if ind not in ids:
            near = difflib.get_close_matches(ind, ids + list(names), n=1)
            hint = f" — did you mean {names.get(near[0], near[0])!r}?" if near else ""
            lines.append(f"{where}, column indicator: {ind!r} is not an indicator of this plan{hint}")
            continue
        row = tg.loc[(reg, ind)] if (reg, ind) in tg.index else None
        if row is not None and str(row["target_basis"]) == "city_only":
            lines.append(f"{where}, column indicator: {ind} is a city-wide target (全市统筹) with no "
                         f"county share; a number for {reg} would judge the county against the whole city")
        elif row is not None and pd.notna(row["target"]):
            lines.append(f"{where}, column target: {ind} already has a plan target for {reg} "
                         f"({row['comparator']} {row['target']:g}); supplied_targets.csv is only for targets "
                         "the plan leaves to others (省定目标) — change the plan's target instead")
        if str(r["comparator"]) == "==" and float(r["target"]) == 0:
            lines.append(f"{where}, column comparator: == 0 cannot be kept at (no completion degree); "
                         "write <= 0 for 全面消除/清零")
    if lines:
        raise QAnalysisError("\n".join([f"{len(lines)} problem(s) in {path}:"] + lines))
