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

DATA_STATUS_ZH = {"published": "正式数", "provisional": "初步数", "estimated": "预计数", "illustrative": "示例数据",
                  "missing": "暂无数据", "incomplete": "数据不全"}
COMPLETION_HEADERS = ["类别", "指标名称", "单位", "基期值", "规划目标", "完成值(年份)", "完成情况", "差距",
                      "完成程度", "数据性质", "备注"]


def _isnum(v) -> bool:
    try:
        return v is not None and v is not pd.NA and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def num(v, decimals: int = 2) -> str:
    """A number at ``decimals`` places (the data's precision), no trailing zeros, — when missing."""
    if not _isnum(v):
        return "—"
    v, d = float(v), max(int(decimals), 0)
    s = f"{v:,.{d}f}" if abs(v) >= 1000 else f"{v:.{d}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def dec(r) -> int:
    """The decimals a row's values, target and gap are written at (evaluation.judge: ``decimals``)."""
    d = r.get("decimals") if hasattr(r, "get") else None
    return int(d) if _isnum(d) else 2


def pct(v, band: float | None = None) -> str:
    """A degree as a percentage at 0.1 point — more decimals where rounding would carry it across
    100% or the band's edge (89.97% is never "90%" beside 未完成, 99.99% never "100%")."""
    if not _isnum(v):
        return "—"
    p = 100 * float(v)
    edges = [100.0] + ([] if band is None else [100 * (1 - band)])
    for k in (1, 2, 3, 4):
        r = round(p, k)
        if all((r >= e - 1e-9) == (p >= e - 1e-9) for e in edges):
            return f"{num(r, k)}%"
    return f"{num(math.floor(p * 1e4) / 1e4, 4)}%"


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
    out = f"{sign}{num(r['target'], dec(r))}{r['unit']}"
    if _isnum(r.get("approx_threshold")):
        out += f"左右（按{sign}{num(r['approx_threshold'], dec(r))}{r['unit']}判断）"
    return out


def data_status(ev: pd.DataFrame) -> list[str]:
    """published / provisional / illustrative / missing / incomplete (an increment with a gap)."""
    out = []
    for _, r in ev.iterrows():
        if not _isnum(r["final_value"]):
            out.append("incomplete" if r["missing_years"] else "missing")
        elif r.get("estimated"):
            out.append("estimated")
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
        out.append(standing(g, r["verdict"] == "completed", r))
    return out


def standing(g, met: bool, r) -> str:
    """差0.1个百分点 / 超出目标0.5个百分点 / 达到目标, at the row's precision."""
    u, d = gap_unit(r["unit"]), dec(r)
    if met:
        if r["comparator"] == "==" or abs(g) < 0.5 * 10.0 ** -d:
            return "达到目标"
        return f"{'超出' if r['comparator'] == '>=' else '低于'}目标{num(abs(g), d)}{u}"
    return f"差{num(abs(g), d)}{u}"


def latest_texts(ev: pd.DataFrame) -> list[str]:
    """Where the final value is missing, the latest value and its standing: 2024年95.9%，差0.1个百分点."""
    out = []
    for _, r in ev.iterrows():
        if not _isnum(r["latest_value"]):
            out.append("")
            continue
        y = int(r["latest_year"])
        what = (f"{int(r['period_first_year'])}—{y}年累计{num(r['latest_value'], dec(r))}{r['unit']}"
                if r["kind"] == "increment" else f"{y}年{num(r['latest_value'], dec(r))}{r['unit']}")
        if _isnum(r["latest_gap"]) and r["verdict"] != "not_assessable":
            what += "，" + ("已达到目标" if r["latest_met"] else standing(r["latest_gap"], False, r))
        out.append(what)
    return out


def degree_bases(ev: pd.DataFrame) -> list[str]:
    """How each degree was computed, shown beside it: the start used, or the ratio."""
    out = []
    for _, r in ev.iterrows():
        if not _isnum(r["completion_degree"]):
            out.append("")
        elif r["kind"] == "increment":
            out.append("期内累计÷目标值")
        elif _isnum(r.get("start_value")):
            y = f"{int(r['start_year'])}年" if _isnum(r.get("start_year")) else ""
            out.append(f"自基期值{y}{num(r['start_value'], dec(r))}{r['unit']}起算")
        elif r["comparator"] == "==":
            out.append("保持类目标：1−偏离÷目标值")
        else:
            why = "无基期值" if not _isnum(r["baseline"]) else ("底线目标" if r["comparator"] == ">=" else "上限目标")
            out.append(f"{why}：" + ("完成值÷目标值" if r["comparator"] == ">=" else "目标值÷完成值"))
    return out


def data_status_zh(r) -> str:
    s = str(r["data_status"])
    if s == "incomplete":
        return f"数据不全（缺{r['missing_years']}）"
    return DATA_STATUS_ZH.get(s, s)


def final_text(r) -> str:
    """完成值(年份): 96.2%（2025）, 161家（2021—2025累计）; without one, the latest value (最新值)."""
    if not _isnum(r["final_value"]):
        return f"—（最新：{r['latest_zh']}）" if r.get("latest_zh") else "—"
    v = f"{num(r['final_value'], dec(r))}{r['unit']}"
    mark = "，预计数" if r.get("estimated") else ""
    if r["kind"] == "increment":
        return f"{v}（{int(r['period_first_year'])}—{int(r['final_year'])}累计{mark}）"
    return f"{v}（{int(r['final_year'])}{mark}）"


def _basis(r) -> str:
    return f"目标依据：{r['supplied_basis']}" if r.get("supplied_basis") else ""


def why_not_assessable(r) -> str:
    """Why a row has no number to judge by — said once, in the row's note."""
    if r["kind"] == "unquantified":
        return ("规划未给出本级数值（省定目标），未在supplied_targets.csv中提供目标值及依据")
    if str(r["target_basis"]) == "city_only":
        return "目标为全市统筹，未分解到县（市、区）"
    return "规划未给出量化目标"


NO_BAND = "底线、上限、保持类目标及无基期值的指标：达到目标为完成，未达到为未完成，不设基本完成档"


def notes(ev: pd.DataFrame, band: float) -> list[str]:
    """备注: provisional, estimated, illustrative, partial sums, the 省定目标 basis, the band where used."""
    out = []
    for _, r in ev.iterrows():
        parts = []
        ty = int(r["target_year"]) if _isnum(r["target_year"]) else ""
        if r["verdict"] == "not_assessable":
            parts.append(why_not_assessable(r))
        elif r["data_status"] == "missing":
            parts.append(f"待补报{ty}年数据" + (f"；最新：{r['latest_zh']}" if r["latest_zh"] else ""))
        elif r["data_status"] == "incomplete":
            parts.append(f"已报年份累计{num(r['partial_sum'], dec(r))}{r['unit']}，为不全之和，非期内累计")
        if r["provisional"]:
            parts.append(f"{ty}年为初步数，待正式数据确认")
        if r.get("estimated"):
            parts.append(f"{ty}年为预计数，结论为预计，待统计数据确认")
        if r["illustrative"]:
            parts.append("示例数据，非公开发布值")
        if r["verdict"] == "nearly_completed":
            parts.append(band_text(band))
        if r["verdict"] == "not_completed" and not r["banded"]:
            parts.append(NO_BAND)
        if _basis(r):
            parts.append(_basis(r))
        out.append("；".join(parts))
    return out


def _head(r, ty) -> str:
    if r.get("estimated"):
        return f"预计{r['verdict_zh']}（{ty}年为预计数，待统计数据确认）"
    if r["provisional"]:
        return f"初步判断：{r['verdict_zh']}（{ty}年为初步数，待正式数据确认）"
    return f"终期评估：{r['verdict_zh']}"


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
                out.append(f"数据不全（缺{r['missing_years']}）：已报年份累计{num(r['partial_sum'], dec(r))}"
                           f"{r['unit']}（不全之和），待补报后评价。")
            else:
                latest = f"最新：{r['latest_zh']}；" if r["latest_zh"] else ""
                out.append(f"暂无数据（待补报{ty}年数据）。{latest}".rstrip("；") + ("。" if latest else ""))
            continue
        fv = num(r["final_value"], dec(r))
        what = (f"{int(r['period_first_year'])}—{ty}年累计新增{fv}{r['unit']}"
                if r["kind"] == "increment" else f"{ty}年{fv}{r['unit']}")
        extra = "（示例数据）" if r["illustrative"] else ("（预计数）" if r.get("estimated") else "")
        s = (f"{_head(r, ty)}。{what}{extra}，目标{target_text(r)}，{r['gap_zh']}，"
             f"完成程度{pct(r['completion_degree'], band)}（{r['degree_basis']}）")
        if v == "nearly_completed":
            s += f"（{band_text(band)}）"
        if v == "not_completed" and not r["banded"]:
            s += f"（{NO_BAND}）"
        if _basis(r):
            s += f"；{_basis(r)}"
        out.append(s + "。")
    return out


JUDGED = ("completed", "nearly_completed", "not_completed")


def verdict_labels(ev: pd.DataFrame) -> list[str]:
    """verdict_zh: 完成 / 基本完成 / 未完成, and 预计完成 … when the final value is an estimate (预计数)."""
    return [f"预计{r['verdict_zh']}" if r.get("estimated") and r["verdict"] in JUDGED else r["verdict_zh"]
            for _, r in ev.iterrows()]


def status_labels(ev: pd.DataFrame) -> list[str]:
    """The status label a chart or table shows once the period is over."""
    out = []
    for _, r in ev.iterrows():
        if r["verdict"] == "no_data":
            out.append(f"数据不全（缺{r['missing_years']}）" if r["data_status"] == "incomplete"
                       else f"暂无数据（待补报{int(r['target_year'])}年数据）")
        elif r["provisional"] and r["verdict"] in JUDGED:
            out.append(f"初步判断：{r['verdict_zh']}")
        else:
            out.append(r["verdict_zh"])
    return out


def summary(rows: pd.DataFrame) -> dict:
    """Counts: core (表2) and prose apart, and by category of the core indicators. Verdicts on an
    estimate (预计数) are counted apart (``estimated_*``), never among the final ones."""
    def counts(df):
        est = df["estimated"].astype(bool) if "estimated" in df else pd.Series(False, index=df.index)
        c = {v: int(((df["verdict"] == v) & ~est).sum()) for v in
             ("completed", "nearly_completed", "not_completed", "no_data", "not_assessable")}
        for v in JUDGED:
            c[f"estimated_{v}"] = int(((df["verdict"] == v) & est).sum())
        c["estimated"] = sum(c[f"estimated_{v}"] for v in JUDGED)
        c["total"] = int(len(df))
        c["with_final"] = c["completed"] + c["nearly_completed"] + c["not_completed"]
        c["provisional"] = int((df["provisional"] & df["verdict"].isin(JUDGED)).sum())
        c["rate"] = c["completed"] / c["with_final"] if c["with_final"] else math.nan
        nd = df[(df["verdict"] == "no_data") & df["latest_met"].astype(bool)] if "latest_met" in df else df[:0]
        c["no_data_latest_met"] = int(len(nd))
        years = sorted(set(int(y) for y in nd["latest_year"].dropna())) if len(nd) else []
        c["no_data_latest_year"] = years[0] if len(years) == 1 else None
        return c
    core = rows[rows["core"].astype(bool)]
    return {"core": counts(core), "prose": counts(rows[~rows["core"].astype(bool)]),
            "by_category": {cat: counts(g) for cat, g in core.groupby("category", sort=False)}}


def _counts_text(c: dict) -> str:
    parts = [f"完成{c['completed']}项", f"基本完成{c['nearly_completed']}项", f"未完成{c['not_completed']}项"]
    if c.get("estimated"):
        parts.append("预计完成{}项、预计基本完成{}项、预计未完成{}项".format(
            *(c[f"estimated_{v}"] for v in JUDGED)))
    nd = f"暂无数据{c['no_data']}项"
    if c.get("no_data_latest_met"):
        when = f"{c['no_data_latest_year']}年" if c.get("no_data_latest_year") else "最新值"
        nd += f"（其中{c['no_data_latest_met']}项{when}已达到目标）"
    parts.append(nd)
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
    est = "（预计数另计，不计入）" if c["estimated"] or s["prose"]["estimated"] else ""
    out += (f"（完成率＝完成项数÷有{target_year}年完成值的指标数{est}；{band_text(band)}"
            + (f"；其中{c['provisional']}项主要指标为初步数，结论为初步判断" if c["provisional"] else "") + "）。")
    return out


def completion_table(rows: pd.DataFrame, band: float) -> pd.DataFrame:
    """The plan's 表1 shape for one region, core indicators first (plan order kept)."""
    rows = pd.concat([rows[rows["core"].astype(bool)], rows[~rows["core"].astype(bool)]])
    body = []
    for _, r in rows.iterrows():
        verdict = (f"初步判断：{r['verdict_zh']}" if r["provisional"] and r["verdict"] in JUDGED
                   else r["verdict_zh"])
        degree = pct(r["completion_degree"], band)
        if r["degree_basis"]:
            degree += f"（{r['degree_basis']}）"
        body.append([r["category"] + ("" if r["core"] else "（正文）"), r["name_zh"], r["unit"],
                     num(r["baseline"], dec(r)), target_text(r), final_text(r), verdict, r["gap_zh"] or "—",
                     degree, data_status_zh(r), r["note_zh"]])
    return pd.DataFrame(body, columns=COMPLETION_HEADERS)


def trend_annex(ev: pd.DataFrame) -> pd.DataFrame:
    """The annex 趋势估计: rows without a final value whose trend gives an estimate — never a verdict.
    A row with too few values for a line (数据不足) has none."""
    rows = ev[(ev["verdict"] == "no_data") & ev["trend_estimate"].notna()]
    return pd.DataFrame([[r["region_name"], r["name_zh"], r["unit"], r["latest_zh"] or "—", target_text(r),
                          f"{num(r['trend_estimate'], dec(r))}{r['unit']}（趋势估计）"]
                         for _, r in rows.iterrows()],
                        columns=["地区", "指标名称", "单位", "最新值", "规划目标", f"{TREND_LABEL}"])


TREND_LABEL = "目标年趋势估计（非评估结论）"


def is_formula_like(v) -> bool:
    return isinstance(v, str) and v[:1] in ("=", "+", "-", "@")


def strings(values) -> np.ndarray:
    return np.asarray([str(v) for v in values], dtype=object)
