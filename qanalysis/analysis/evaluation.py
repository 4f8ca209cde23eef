"""The final evaluation (终期评估): what each target came to, in the plan's own terms.

``evaluate(assessment, as_of)`` judges every (region, indicator) row on its observed
final value only — the target year's value (``increment``: the sum of every plan
year) — by the one met rule (:mod:`.attainment`), and sorts it into

========================  ============  =====================================================
``verdict``               ``verdict_zh`` when
========================  ============  =====================================================
``completed``             完成          the final value meets the target
``nearly_completed``      基本完成      not met, completion degree ≥ 1 − band (plan.toml
                                        ``nearly_completed_band``, default 0.10)
``not_completed``         未完成        not met, below the band
``no_data``               暂无数据      no final value (待补报2025年数据), or an increment with
                                        a missing plan year (数据不全（缺2023年）)
``not_assessable``        无法评价      no number to judge by (a 省定目标 nobody supplied)
========================  ============  =====================================================

A provisional (初步数) final value gives a provisional verdict (初步判断：…). The
completion degree per kind, the gap wording and the band are in docs/evaluation.md;
the sentences are :mod:`.evaluation_text`. ``finalize`` is what ``assess()`` applies to
its table once the period is over: no forecast, interval or probability on a row whose
target year is observed, the evaluation sentence as its reason.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import atomic, config
from ..errors import QAnalysisError
from ..plan.supplied import nearly_completed_band, supplied_targets
from . import attainment
from . import evaluation_text as et

VERDICTS = ("completed", "nearly_completed", "not_completed", "no_data", "not_assessable")
VERDICT_ZH = {"completed": "完成", "nearly_completed": "基本完成", "not_completed": "未完成",
              "no_data": "暂无数据", "not_assessable": "无法评价"}
CSV_COLUMNS = ["region", "indicator", "core", "target_year", "target", "final_year", "final_value",
               "data_status", "provisional", "verdict", "verdict_zh", "gap", "gap_zh",
               "completion_degree"]
TABLE_COLUMNS = CSV_COLUMNS + ["region_name", "name_zh", "category", "unit", "kind", "comparator",
                               "baseline", "target_basis", "illustrative", "missing_years",
                               "partial_sum", "period_first_year", "note_zh", "sentence_zh", "trend_estimate"]
FORECAST_COLUMNS = ("forecast", "pi80_low", "pi80_high", "pi95_low", "pi95_high", "p_attain")


def parse_as_of(value) -> dt.date:
    """A date (``YYYY-MM-DD``, a ``date``, or None for today); anything else is one clear error."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise QAnalysisError(f"{value!r} is not a date (YYYY-MM-DD, e.g. 2026-03-31)") from None


def period_over(target_year: int, as_of) -> bool:
    """The plan's period is over when the as-of date is past its target year."""
    return parse_as_of(as_of).year > int(target_year)


def _num(table, col) -> np.ndarray:
    return pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)


def _supplied(table: pd.DataFrame, data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Target, comparator and basis per row: the plan's, else a 省定目标 from supplied_targets.csv."""
    target = _num(table, "target")
    comparator = table["comparator"].astype(str).to_numpy(dtype=object).copy()
    basis = np.full(len(table), "", dtype=object)
    sup = supplied_targets(config.plan_dir(data.plan.id))
    if len(sup):
        key = dict(zip(zip(sup["region"], sup["indicator"]), sup.index))
        for i, k in enumerate(zip(table["region"].astype(str), table["indicator"].astype(str))):
            j = key.get(k)
            if j is not None and not np.isfinite(target[i]):
                target[i] = sup.at[j, "target"]
                comparator[i] = str(sup.at[j, "comparator"])
                basis[i] = str(sup.at[j, "basis"])
    return target, comparator, basis


def _core(data, indicators) -> np.ndarray:
    """True for the plan's main table (表2), False for targets taken from the prose."""
    src = data.catalogue.set_index("id")["source"].astype(str)
    return np.array([src.get(i, "").startswith("表2") for i in indicators], dtype=bool)


def _final(table: pd.DataFrame, data):
    """Final value, final year, provisional / illustrative flags, missing plan years per row."""
    first, S = int(data.plan.first_year), len(table)
    obs = data.observations
    obs = obs[obs["year"] >= first]
    by = {k: g for k, g in obs.groupby(["region", "indicator"], sort=False)}
    ty = _num(table, "target_year")
    value, prov, illus = np.full(S, np.nan), np.zeros(S, bool), np.zeros(S, bool)
    missing = np.full(S, "", dtype=object)
    partial = np.full(S, np.nan)
    kinds = table["kind"].astype(str).to_numpy()
    for i, k in enumerate(zip(table["region"].astype(str), table["indicator"].astype(str))):
        if not np.isfinite(ty[i]):
            continue
        g = by.get(k)
        g = g[g["year"] <= ty[i]] if g is not None else None
        if kinds[i] == "increment":
            years = set() if g is None else set(g["year"].astype(int))
            gone = [y for y in range(first, int(ty[i]) + 1) if y not in years]
            if g is not None and len(g):
                partial[i] = float(g["value"].sum())
            # only the target year missing is "no final value" (暂无数据); an earlier gap is 数据不全
            if years and any(y != int(ty[i]) for y in gone):
                missing[i] = "、".join(f"{y}年" for y in gone)
            if not gone:
                value[i] = partial[i]
                prov[i] = bool((g["status"] == "provisional").any())
                illus[i] = bool((g["status"] == "illustrative").any())
            continue
        last = None if g is None else g[g["year"] == int(ty[i])]
        if last is not None and len(last):
            value[i] = float(last["value"].iloc[0])
            prov[i] = str(last["status"].iloc[0]) == "provisional"
            illus[i] = str(last["status"].iloc[0]) == "illustrative"
    return value, prov, illus, missing, partial


def degree(final, target, comparator, baseline, kind, met) -> np.ndarray:
    """Completion degree (完成程度) per row; the definitions are docs/evaluation.md §2.

    * ``>=`` with a baseline below the target (level, stock): distance covered,
      (final − baseline) / (target − baseline); a floor (baseline ≥ target) or no
      baseline: final / target
    * ``<=`` with a baseline above the target: (baseline − final) / (baseline − target);
      a ceiling (baseline ≤ target) or no baseline: target / final
    * ``increment``: the sum of the plan years / target
    * ``==`` (keep at): 1 when met, else 1 − |final − target| / |target|
    """
    final, target, baseline = (np.asarray(a, float) for a in (final, target, baseline))
    comparator, kind = np.asarray(comparator, object), np.asarray(kind, object)
    with np.errstate(invalid="ignore", divide="ignore"):
        up_dist = np.where(np.isfinite(baseline) & (baseline < target) & (kind != "increment"),
                           (final - baseline) / (target - baseline), final / target)
        down_dist = np.where(np.isfinite(baseline) & (baseline > target),
                             (baseline - final) / (baseline - target),
                             np.where(final > 0, target / final, 1.0))
        keep = np.where(met, 1.0, 1.0 - np.abs(final - target) / np.abs(target))
        out = np.select([comparator == ">=", comparator == "<=", comparator == "=="],
                        [up_dist, down_dist, keep], np.nan)
    out = np.where(np.isfinite(final) & np.isfinite(target), out, np.nan)
    return np.round(out, 4)


def judge(table: pd.DataFrame, data, as_of=None, band: float | None = None) -> pd.DataFrame:
    """The evaluation frame (:data:`TABLE_COLUMNS`), one row per row of ``table``."""
    as_of = parse_as_of(as_of)
    folder = config.plan_dir(data.plan.id)
    band = nearly_completed_band(folder) if band is None else float(band)
    target, comparator, basis = _supplied(table, data)
    value, prov, illus, missing, partial = _final(table, data)
    has_target = np.isfinite(target) & np.isin(comparator, (">=", "<=", "=="))
    # the same precision rule as the assessment: keep-at targets at the reported decimals
    dec = data.catalogue.set_index("id")["decimals"].reindex(table["indicator"].astype(str))
    dec = dec.astype("float64").fillna(0).to_numpy().astype(np.int64)
    dec = attainment.keep_decimals(dec, attainment.reported_decimals(value[:, None]))
    met = attainment.within(value, target, comparator, attainment.tolerance(dec)) & has_target
    kind = table["kind"].astype(str).to_numpy(dtype=object)
    # measured from the assessment's start point: the plan's baseline, or — a county without one of
    # its own — its first value in or after the base year (issue 18 item 4; methods.md)
    start = _num(table, "ratio_base") if "ratio_base" in table.columns else _num(table, "baseline")
    deg = degree(value, target, comparator, start, kind, met)
    have = np.isfinite(value)
    with np.errstate(invalid="ignore"):
        near = deg >= 1 - band - 1e-9
    verdict = np.select([~has_target, ~have, met, near],
                        ["not_assessable", "no_data", "completed", "nearly_completed"], "not_completed")
    sign = np.select([comparator == ">=", comparator == "<="], [1.0, -1.0], 0.0)
    gap = np.where(comparator == "==", -np.abs(value - target), sign * (value - target))
    gap = np.where(has_target & have, np.round(gap, 6), np.nan)
    out = pd.DataFrame({
        "region": table["region"].astype(str).to_numpy(), "indicator": table["indicator"].astype(str).to_numpy(),
        "core": _core(data, table["indicator"].astype(str)),
        "target_year": _num(table, "target_year"), "target": np.where(has_target, target, np.nan),
        "final_year": np.where(have, _num(table, "target_year"), np.nan), "final_value": value,
        "provisional": prov & have, "verdict": verdict, "gap": gap, "completion_degree": deg,
        "region_name": table["region_name"].astype(str).to_numpy(),
        "name_zh": table["name_zh"].astype(str).to_numpy(), "category": table["category"].astype(str).to_numpy(),
        "unit": table["unit"].astype(str).to_numpy(), "kind": kind, "comparator": comparator,
        "baseline": _num(table, "baseline"), "illustrative": illus & have, "missing_years": missing,
        "partial_sum": np.where(have, np.nan, partial), "period_first_year": int(data.plan.first_year),
        "trend_estimate": _num(table, "forecast") if "forecast" in table else np.nan,
    })
    out["target_basis"] = np.where(basis != "", basis, table["target_basis"].astype(str).to_numpy())
    out["supplied_basis"] = basis
    out["final_year"] = out["final_year"].astype("Int64")
    out["target_year"] = out["target_year"].astype("Int64")
    out["verdict_zh"] = [VERDICT_ZH[v] for v in verdict]
    out["data_status"] = et.data_status(out)
    out["gap_zh"] = et.gap_texts(out)
    out["note_zh"] = et.notes(out, band)
    out["sentence_zh"] = et.sentences(out, band)
    out.attrs.update(as_of=as_of, band=band)
    return out[TABLE_COLUMNS + ["supplied_basis"]]


def finalize(table: pd.DataFrame, data, as_of=None) -> pd.DataFrame:
    """The assessment table as of ``as_of``: unchanged (plus ``as_of``/``period_over``) while the
    plan runs; once it is over, rows whose target year is observed lose forecast, intervals
    and probability (``trend_estimate`` keeps the estimate for an annex, rows without a final
    value only), and every reason is the evaluation sentence."""
    as_of = parse_as_of(as_of)
    over = period_over(data.plan.target_year, as_of)
    table = table.copy()
    table["as_of"] = as_of.isoformat()
    table["period_over"] = over
    if not over:
        table["evaluation_verdict"] = ""
        return table
    ev = judge(table, data, as_of)
    observed = np.isfinite(ev["final_value"].to_numpy(dtype=float))
    # after the period a trend is no verdict: forecast, intervals and probability leave every
    # row; a row without a final value keeps its trend estimate in an annex column only
    table["trend_estimate"] = np.where(observed, np.nan, _num(table, "forecast"))
    for c in FORECAST_COLUMNS:
        table[c] = np.nan
    table["evaluation_verdict"] = ev["verdict"].to_numpy()
    table["status_reason"] = ev["sentence_zh"].to_numpy()
    table["status_zh"] = et.status_labels(ev)
    no_data = (ev["verdict"] == "no_data").to_numpy()
    table.loc[no_data, "status"] = "insufficient_data"
    return table


@dataclass
class Evaluation:
    """What ``evaluate()`` returns: the table, and the summary, 表1 table and Excel made from it."""

    table: pd.DataFrame
    as_of: dt.date
    period_over: bool
    band: float
    plan_name: str
    target_year: int

    def rows(self, region=None) -> pd.DataFrame:
        t = self.table
        return t if region is None else t[t["region"] == str(region)]

    def summary(self, region) -> dict:
        return et.summary(self.rows(region))

    def summary_sentence(self, region) -> str:
        return et.summary_sentence(self.summary(region), self.band, self.target_year)

    def completion_table(self, region) -> pd.DataFrame:
        return et.completion_table(self.rows(region), self.band)

    def title(self) -> str:
        """《…规划实施情况终期评估》 from the plan's own name."""
        return f"《{self.plan_name}实施情况终期评估》"

    def to_excel(self, path, regions=None) -> Path:
        """One sheet per region (表1 shape) and the long table; no cell is a formula; atomic."""
        from .evaluation_excel import write  # openpyxl only when a workbook is asked for

        return write(self, Path(path), regions)


def evaluate(assessment, as_of=None) -> Evaluation:
    """The final evaluation of an ``Assessment`` as of ``as_of`` (default: today)."""
    as_of = parse_as_of(as_of)
    data = assessment.data
    table = judge(assessment.table, data, as_of)
    return Evaluation(table=table, as_of=as_of, period_over=period_over(data.plan.target_year, as_of),
                      band=float(table.attrs["band"]), plan_name=str(data.plan.name_zh),
                      target_year=int(data.plan.target_year))


def write_csv(ev: Evaluation, path) -> Path:
    atomic.write_csv(ev.table[CSV_COLUMNS], Path(path))
    return Path(path)
