"""The words of the final evaluation: gaps, notes, the row sentence, the summary, the 表1 table.

Every function takes the evaluation frame of :func:`qanalysis.analysis.evaluation.judge`
(or its rows for one region) and returns strings or small frames; the Word report, the
deck, the HTML page, the CSV and the Excel workbook all use these, so all say the same.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..vocab import COMPARATOR_SIGNS

DATA_STATUS_ZH = {"published": "正式数", "provisional": "初步数", "illustrative": "示例数据",
                  "missing": "暂无数据", "incomplete": "数据不全"}
COMPLETION_HEADERS = ["类别", "指标名称", "单位", "基期值", "规划目标", "完成值(年份)", "完成情况", "差距",
                      "完成程度", "数据性质", "备注"]


def _isnum(v) -> bool:
    try:
        return v is not None and v is not pd.NA and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def num(v, decimals: int = 2) -> str:
    """A number as written in a table: few decimals, no trailing zeros, — when missing."""
    if not _isnum(v):
        return "—"
    v = float(v)
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    s = f"{v:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def pct(v) -> str:
    return "—" if not _isnum(v) else f"{num(100 * float(v), 1)}%"


def gap_unit(unit: str) -> str:
    """The unit of a difference: a difference of two rates is 个百分点."""
    return "个百分点" if str(unit) == "%" else str(unit)


def band_text(band: float) -> str:
    # the reader's words only; the setting's name (plan.toml nearly_completed_band) is in docs/evaluation.md
    return f"基本完成：未达到目标但完成程度≥{num(100 * (1 - band), 1)}%（本规划评估设定）"


def target_text(r) -> str:
    if not _isnum(r["target"]):
        return "—"
    sign = "" if r["comparator"] == "==" else COMPARATOR_SIGNS.get(str(r["comparator"]), "")
    return f"{sign}{num(r['target'])}{r['unit']}"


def data_status(ev: pd.DataFrame) -> list[str]:
    """published / provisional / illustrative / missing / incomplete (an increment with a gap)."""
    out = []
    for _, r in ev.iterrows():
        if not _isnum(r["final_value"]):
            out.append("incomplete" if r["missing_years"] else "missing")
        elif r["provisional"]:
            out.append("provisional")
        elif r["illustrative"]:
            out.append("illustrative")
        else:
            out.append("published")
    return out


def gap_texts(ev: pd.DataFrame) -> list[str]:
    """差0.3微克/立方米 / 超出目标2.1个百分点 / 达到目标; "" where nothing is judged."""
    out = []
    for _, r in ev.iterrows():
        g = r["gap"]
        if not _isnum(g):
            out.append("")
            continue
        u = gap_unit(r["unit"])
        if r["verdict"] == "completed":
            if r["comparator"] == "==" or abs(g) < 1e-9:
                out.append("达到目标")
            else:
                out.append(f"{'超出' if r['comparator'] == '>=' else '低于'}目标{num(abs(g))}{u}")
        else:
            out.append(f"差{num(abs(g))}{u}")
    return out


def data_status_zh(r) -> str:
    s = str(r["data_status"])
    if s == "incomplete":
        return f"数据不全（缺{r['missing_years']}）"
    return DATA_STATUS_ZH.get(s, s)


def final_text(r) -> str:
    """完成值(年份): 96.2%(2025), 累计新增161家(2021—2025)."""
    if not _isnum(r["final_value"]):
        return "—"
    v = f"{num(r['final_value'])}{r['unit']}"
    if r["kind"] == "increment":
        return f"{v}（{int(r['period_first_year'])}—{int(r['final_year'])}累计）"
    return f"{v}（{int(r['final_year'])}）"


def _basis(r) -> str:
    return f"目标依据：{r['supplied_basis']}" if r.get("supplied_basis") else ""


def why_not_assessable(r) -> str:
    """Why a row has no number to judge by — said once, in the row's note."""
    if r["kind"] == "unquantified":
        return ("规划未给出本级数值（省定目标），未在supplied_targets.csv中提供目标值及依据")
    if str(r["target_basis"]) == "city_only":
        return "目标为全市统筹，未分解到县（市、区）"
    return "规划未给出量化目标"


def notes(ev: pd.DataFrame, band: float) -> list[str]:
    """备注: provisional, illustrative, partial sums, the 省定目标 basis, the band where used."""
    out = []
    for _, r in ev.iterrows():
        parts = []
        ty = int(r["target_year"]) if _isnum(r["target_year"]) else ""
        if r["verdict"] == "not_assessable":
            parts.append(why_not_assessable(r))
        elif r["data_status"] == "missing":
            parts.append(f"待补报{ty}年数据")
        elif r["data_status"] == "incomplete":
            parts.append(f"已报年份累计{num(r['partial_sum'])}{r['unit']}，为不全之和，非期内累计")
        if r["provisional"]:
            parts.append(f"{ty}年为初步数，待正式数据确认")
        if r["illustrative"]:
            parts.append("示例数据，非公开发布值")
        if r["verdict"] == "nearly_completed":
            parts.append(band_text(band))
        if _basis(r):
            parts.append(_basis(r))
        out.append("；".join(parts))
    return out


def sentences(ev: pd.DataFrame, band: float) -> list[str]:
    """The one sentence of a row (the assessment's reason once the period is over)."""
    out = []
    for _, r in ev.iterrows():
        ty = int(r["target_year"]) if _isnum(r["target_year"]) else ""
        v = r["verdict"]
        if v == "not_assessable":
            out.append(f"无法评价：{why_not_assessable(r)}。")
            continue
        if v == "no_data":
            if r["data_status"] == "incomplete":
                out.append(f"数据不全（缺{r['missing_years']}）：已报年份累计{num(r['partial_sum'])}{r['unit']}"
                           "（不全之和），待补报后评价。")
            else:
                out.append(f"暂无数据（待补报{ty}年数据）。")
            continue
        head = (f"初步判断：{r['verdict_zh']}（{ty}年为初步数，待正式数据确认）" if r["provisional"]
                else f"终期评估：{r['verdict_zh']}")
        what = (f"{int(r['period_first_year'])}—{ty}年累计新增{num(r['final_value'])}{r['unit']}"
                if r["kind"] == "increment" else f"{ty}年{num(r['final_value'])}{r['unit']}")
        extra = "（示例数据）" if r["illustrative"] else ""
        s = f"{head}。{what}{extra}，目标{target_text(r)}，{r['gap_zh']}，完成程度{pct(r['completion_degree'])}"
        if v == "nearly_completed":
            s += f"（{band_text(band)}）"
        if _basis(r):
            s += f"；{_basis(r)}"
        out.append(s + "。")
    return out


def status_labels(ev: pd.DataFrame) -> list[str]:
    """The status label a chart or table shows once the period is over."""
    out = []
    for _, r in ev.iterrows():
        if r["verdict"] == "no_data":
            out.append(f"数据不全（缺{r['missing_years']}）" if r["data_status"] == "incomplete"
                       else f"暂无数据（待补报{int(r['target_year'])}年数据）")
        elif r["provisional"] and r["verdict"] in ("completed", "nearly_completed", "not_completed"):
            out.append(f"初步判断：{r['verdict_zh']}")
        else:
            out.append(r["verdict_zh"])
    return out


def summary(rows: pd.DataFrame) -> dict:
    """Counts: core (表2) and prose apart, and by category of the core indicators."""
    def counts(df):
        c = {v: int((df["verdict"] == v).sum()) for v in
             ("completed", "nearly_completed", "not_completed", "no_data", "not_assessable")}
        c["total"] = int(len(df))
        c["with_final"] = c["completed"] + c["nearly_completed"] + c["not_completed"]
        c["provisional"] = int((df["provisional"] & df["verdict"].isin(
            ["completed", "nearly_completed", "not_completed"])).sum())
        c["rate"] = c["completed"] / c["with_final"] if c["with_final"] else math.nan
        return c
    core = rows[rows["core"].astype(bool)]
    return {"core": counts(core), "prose": counts(rows[~rows["core"].astype(bool)]),
            "by_category": {cat: counts(g) for cat, g in core.groupby("category", sort=False)}}


def _counts_text(c: dict) -> str:
    parts = [f"完成{c['completed']}项", f"基本完成{c['nearly_completed']}项", f"未完成{c['not_completed']}项",
             f"暂无数据{c['no_data']}项"]
    if c["not_assessable"]:
        parts.append(f"无法评价{c['not_assessable']}项")
    rate = "暂无法计算（尚无完成值）" if not _isnum(c["rate"]) else f"{num(100 * c['rate'], 1)}%"
    return "、".join(parts) + f"，完成率{rate}"


def summary_sentence(s: dict, band: float, target_year: int) -> str:
    """29项主要指标中，完成X项、基本完成Y项、未完成Z项、暂无数据W项，完成率R% — with the formula."""
    c = s["core"]
    out = f"{c['total']}项主要指标中，{_counts_text(c)}"
    if s["prose"]["total"]:
        out += f"；规划正文另有目标{s['prose']['total']}项，{_counts_text(s['prose'])}"
    out += (f"（完成率＝完成项数÷有{target_year}年完成值的指标数；{band_text(band)}"
            + (f"；其中{c['provisional']}项主要指标为初步数，结论为初步判断" if c["provisional"] else "") + "）。")
    return out


def completion_table(rows: pd.DataFrame, band: float) -> pd.DataFrame:
    """The plan's 表1 shape for one region, core indicators first (plan order kept)."""
    rows = pd.concat([rows[rows["core"].astype(bool)], rows[~rows["core"].astype(bool)]])
    body = []
    for _, r in rows.iterrows():
        verdict = r["verdict_zh"] if not r["provisional"] or r["verdict"] in ("no_data", "not_assessable") \
            else f"初步判断：{r['verdict_zh']}"
        body.append([r["category"] + ("" if r["core"] else "（正文）"), r["name_zh"], r["unit"],
                     num(r["baseline"]), target_text(r), final_text(r), verdict, r["gap_zh"] or "—",
                     pct(r["completion_degree"]), data_status_zh(r), r["note_zh"]])
    return pd.DataFrame(body, columns=COMPLETION_HEADERS)


def is_formula_like(v) -> bool:
    return isinstance(v, str) and v[:1] in ("=", "+", "-", "@")


def strings(values) -> np.ndarray:
    return np.asarray([str(v) for v in values], dtype=object)
