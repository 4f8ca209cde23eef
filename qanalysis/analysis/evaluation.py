"""The final evaluation (终期评估): what each target came to, in the plan's own terms.

``evaluate(assessment, as_of)`` judges every (region, indicator) row on its observed
final value only — the target year's value (``increment``: the sum of every plan
year) — by the one met rule (:mod:`.attainment`), and sorts it into

========================  ============  =====================================================
``verdict``               ``verdict_zh`` when
========================  ============  =====================================================
``completed``             完成          the final value meets the target
``nearly_completed``      基本完成      not met, a target of improvement from its 基期值
                                        (:func:`improvement`), completion degree ≥ 1 − band
                                        (plan.toml ``nearly_completed_band``, default 0.10)
``not_completed``         未完成        not met, below the band
``no_data``               暂无数据      no final value (待补报2025年数据), or an increment with
                                        a missing plan year (数据不全（缺2023年）)
``not_assessable``        无法评价      no number to judge by (a 省定目标 nobody supplied)
========================  ============  =====================================================

As of a date only the years before its year count (:func:`usable`). An about-target is
judged at the assessment's threshold. A provisional (初步数) final value gives a provisional
verdict (初步判断：…), an estimated one (预计数) 预计完成/预计基本完成/预计未完成. The
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
from ..plan.supplied import check_supplied, nearly_completed_band, supplied_targets
from ..plan import targetparse
from . import attainment
from . import evaluation_text as et

VERDICTS = ("completed", "nearly_completed", "not_completed", "no_data", "not_assessable")
VERDICT_ZH = {"completed": "完成", "nearly_completed": "基本完成", "not_completed": "未完成",
              "no_data": "暂无数据", "not_assessable": "无法评价"}
CSV_COLUMNS = ["region", "indicator", "core", "target_year", "target", "final_year", "final_value",
               "data_status", "provisional", "estimated", "verdict", "verdict_zh", "gap", "gap_zh",
               "completion_degree", "start_year", "start_value", "latest_year", "latest_value"]
TABLE_COLUMNS = CSV_COLUMNS + ["region_name", "name_zh", "category", "unit", "kind", "comparator",
                               "baseline", "target_basis", "illustrative", "missing_years",
                               "partial_sum", "period_first_year", "note_zh", "sentence_zh", "trend_estimate",
                               "baseline_year", "latest_gap", "latest_met", "latest_zh", "decimals", "banded",
                               "approx_threshold", "degree_basis"]
# the weakest status of a sum decides what the sum is (one estimated year makes an estimated total)
STATUS_ORDER = ("estimated", "provisional", "illustrative", "published")
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
    folder = config.plan_dir(data.plan.id)
    sup = supplied_targets(folder)
    if len(sup):
        check_supplied(sup, folder, data.regions, data.catalogue, data.targets)
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


def usable(observations: pd.DataFrame, as_of) -> pd.DataFrame:
    """The observations known as of ``as_of``: a year's value exists only once the year is over,
    so only years before the as-of date's year count (as of 2025-06-30: up to 2024)."""
    if as_of is None:
        return observations
    return observations[observations["year"] < parse_as_of(as_of).year]


def _final(table: pd.DataFrame, data, as_of=None):
    """Per row: final value, its status (published / provisional / illustrative / estimated),
    missing plan years, the partial sum, the latest value and year (before the final year's),
    and the decimals the series is reported in."""
    first, S = int(data.plan.first_year), len(table)
    obs = usable(data.observations, as_of)
    by = {k: g for k, g in obs.groupby(["region", "indicator"], sort=False)}
    ty = _num(table, "target_year")
    value, partial = np.full(S, np.nan), np.full(S, np.nan)
    status = np.full(S, "", dtype=object)
    missing = np.full(S, "", dtype=object)
    latest, latest_year = np.full(S, np.nan), np.full(S, np.nan)
    decimals = np.zeros(S, dtype=np.int64)
    illus = np.zeros(S, dtype=bool)
    kinds = table["kind"].astype(str).to_numpy()
    for i, k in enumerate(zip(table["region"].astype(str), table["indicator"].astype(str))):
        g = by.get(k)
        if not np.isfinite(ty[i]) or g is None:
            continue
        decimals[i] = int(attainment.reported_decimals(g["value"].to_numpy(dtype=float)))
        g = g[g["year"] <= ty[i]]
        plan = g[g["year"] >= first]
        if kinds[i] == "increment":
            years = set(plan["year"].astype(int))
            gone = [y for y in range(first, int(ty[i]) + 1) if y not in years]
            if len(plan):
                partial[i] = float(plan["value"].sum())
                latest[i], latest_year[i] = partial[i], float(plan["year"].max())
            # only the target year missing is "no final value" (暂无数据); an earlier gap is 数据不全
            if years and any(y != int(ty[i]) for y in gone):
                missing[i] = "、".join(f"{y}年" for y in gone)
            if not gone:
                value[i] = partial[i]
                st = set(plan["status"].astype(str))
                status[i] = next((s for s in STATUS_ORDER if s in st), "published")
                illus[i] = "illustrative" in st
            continue
        last = plan[plan["year"] == int(ty[i])]
        if len(last):
            value[i] = float(last["value"].iloc[0])
            status[i] = str(last["status"].iloc[0])
            illus[i] = status[i] == "illustrative"
        elif len(plan):
            j = plan["year"].astype(int).to_numpy().argmax()
            latest[i], latest_year[i] = float(plan["value"].iloc[j]), float(plan["year"].iloc[j])
    return value, status, illus, missing, partial, latest, latest_year, decimals


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
    return np.round(out, 6)  # the text never rounds a degree across 100% or the band (evaluation_text.pct)


def improvement(target, comparator, baseline, kind) -> np.ndarray:
    """Rows whose target asks for a distance to be covered from a 基期值: ``>=`` from below,
    ``<=`` from above, and every ``increment`` (a sum from zero). Only these can be 基本完成;
    a floor, a ceiling, a keep-at target or a row without a 基期值 is met or not met."""
    target, baseline = np.asarray(target, float), np.asarray(baseline, float)
    comparator, kind = np.asarray(comparator, object), np.asarray(kind, object)
    has_b = np.isfinite(baseline)
    with np.errstate(invalid="ignore"):
        return (kind == "increment") | ((kind != "increment") & has_b & (
            ((comparator == ">=") & (baseline < target)) | ((comparator == "<=") & (baseline > target))))



def judge(table: pd.DataFrame, data, as_of=None, band: float | None = None) -> pd.DataFrame:
    """The evaluation frame (:data:`TABLE_COLUMNS`), one row per row of ``table``."""
    as_of = parse_as_of(as_of)
    folder = config.plan_dir(data.plan.id)
    band = nearly_completed_band(folder) if band is None else float(band)
    target, comparator, basis = _supplied(table, data)
    value, status, illus, missing, partial, latest, latest_year, data_dec = _final(table, data, as_of)
    has_target = np.isfinite(target) & np.isin(comparator, (">=", "<=", "=="))
    # about-targets ("20家左右") are judged at the assessment's threshold: one met rule for both
    approx = table["approx_target"].to_numpy(dtype=bool) if "approx_target" in table else np.zeros(len(table), bool)
    judged = np.where(approx & has_target, targetparse.approx_threshold(target, comparator), target)
    # the precision the data are reported in: the catalogue's, the series', the target's
    dec = data.catalogue.set_index("id")["decimals"].reindex(table["indicator"].astype(str))
    dec = dec.astype("float64").fillna(0).to_numpy().astype(np.int64)
    dec = np.maximum(attainment.keep_decimals(dec, data_dec), attainment.reported_decimals(target[:, None]))
    met = attainment.within(value, judged, comparator, attainment.tolerance(dec)) & has_target
    kind = table["kind"].astype(str).to_numpy(dtype=object)
    # the start is the row's 基期值 (the plan's, or a county's own base-year value): fixed before
    # the period, so one final value has one verdict whatever path led to it (issue 30)
    baseline = _num(table, "baseline")
    deg = degree(value, target, comparator, baseline, kind, met)
    have = np.isfinite(value)
    banded = improvement(target, comparator, baseline, kind)
    with np.errstate(invalid="ignore"):
        near = banded & (deg >= 1 - band - 1e-9)
    verdict = np.select([~has_target, ~have, met, near],
                        ["not_assessable", "no_data", "completed", "nearly_completed"], "not_completed")
    sign = np.select([comparator == ">=", comparator == "<="], [1.0, -1.0], 0.0)
    gap_to = np.where(approx, judged, target)
    gap = np.where(comparator == "==", -np.abs(value - target), sign * (value - gap_to))
    gap = np.where(has_target & have, np.round(gap, 9), np.nan)
    with np.errstate(invalid="ignore"):
        lgap = np.where(comparator == "==", -np.abs(latest - target), sign * (latest - gap_to))
    latest_met = attainment.within(latest, judged, comparator, attainment.tolerance(dec)) & has_target
    no_final = ~have & np.isfinite(latest)
    distance = banded & (kind != "increment") & have
    out = pd.DataFrame({
        "region": table["region"].astype(str).to_numpy(), "indicator": table["indicator"].astype(str).to_numpy(),
        "core": _core(data, table["indicator"].astype(str)),
        "target_year": _num(table, "target_year"), "target": np.where(has_target, target, np.nan),
        "final_year": np.where(have, _num(table, "target_year"), np.nan), "final_value": value,
        "provisional": (status == "provisional") & have, "estimated": (status == "estimated") & have,
        "verdict": verdict, "gap": gap, "completion_degree": deg,
        "region_name": table["region_name"].astype(str).to_numpy(),
        "name_zh": table["name_zh"].astype(str).to_numpy(), "category": table["category"].astype(str).to_numpy(),
        "unit": table["unit"].astype(str).to_numpy(), "kind": kind, "comparator": comparator,
        "baseline": baseline, "baseline_year": _num(table, "baseline_year"),
        "illustrative": illus & have, "missing_years": missing,
        "partial_sum": np.where(have, np.nan, partial), "period_first_year": int(data.plan.first_year),
        "trend_estimate": _num(table, "trend_estimate") if "trend_estimate" in table
        else (_num(table, "forecast") if "forecast" in table else np.nan),
        "latest_year": np.where(no_final, latest_year, np.nan), "latest_value": np.where(no_final, latest, np.nan),
        "latest_gap": np.where(no_final & has_target, np.round(lgap, 9), np.nan),
        "latest_met": no_final & latest_met, "decimals": dec, "banded": banded,
        "approx_threshold": np.where(approx & has_target, judged, np.nan),
        "start_year": np.where(distance, _num(table, "baseline_year"), np.nan),
        "start_value": np.where(distance, baseline, np.nan),
    })
    out["target_basis"] = np.where(basis != "", basis, table["target_basis"].astype(str).to_numpy())
    out["supplied_basis"] = basis
    for c in ("final_year", "target_year", "latest_year", "baseline_year", "start_year"):
        out[c] = out[c].astype("Int64")
    out["verdict_zh"] = [VERDICT_ZH[v] for v in verdict]
    out["data_status"] = et.data_status(out)
    out["gap_zh"] = et.gap_texts(out)
    out["degree_basis"] = et.degree_bases(out)
    out["latest_zh"] = et.latest_texts(out)
    out["note_zh"] = et.notes(out, band)
    out["sentence_zh"] = et.sentences(out, band)
    out["verdict_zh"] = et.verdict_labels(out)
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
