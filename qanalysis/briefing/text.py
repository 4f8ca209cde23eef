"""The prose of the briefing documents, written from the verdicts of the assessment.

Chinese prose follows GB/T 15834 punctuation: full-width ，；：（）。 in sentences,
“～” between the ends of a numeric range, “—” between years. Every function
takes the assessment (``qanalysis.analysis.assess.Assessment``) and a region code and
returns plain strings or small DataFrames; the Word and PowerPoint writers lay
them out, so both say the same thing.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..vocab import (COMPARATOR_SIGNS, DATA_STATUS, METHOD_NOTE, MODEL, format_probability, format_value,
                     status_label)
from ..data.series_source import delivery_notes
from ..errors import QAnalysisError
from ..analysis.status import STATUSES, city_wide
from .marks import mark_sentences, share_text  # noqa: F401 — share_text is the tables' too (tx.share_text)

# statuses as a table cell shows them (the long labels carry "(目标年实测)")
SHORT_STATUS = {"met": "已实现", "missed": "未实现", "achieved": "已达标", "on_track": "进度正常",
                "at_risk": "存在风险", "off_track": "进度滞后", "insufficient_data": "数据不足",
                "no_target": "无量化目标"}
GOOD = ("met", "achieved", "on_track")


def verdict_text(row) -> str:
    """The 评价 cell: a county row whose target is the city's as a whole (not shared out)
    reads 全市统筹, not 无量化目标 — the plan does set a number, just not per county."""
    status = str(row["status"])
    if status == "no_target" and str(row.get("target_basis", "")) == "city_only":
        return "全市统筹"
    if status == "achieved" and bool(row.get("reversal_risk", False)):  # issue 18: the flag goes with 已达标
        return status_label(status, comparator=str(row.get("comparator", "")), reversal=True)
    return SHORT_STATUS.get(status, status)

ATTENTION = ("missed", "off_track", "at_risk")   # 需关注: worst first
ASSESSED = ("met", "missed", "achieved", "on_track", "at_risk", "off_track")
CHINESE_NUMERALS = "一二三四五六七八九十"

MARK_ILLUSTRATIVE = "*"   # a value from the seeded generator (示例数据)
MARK_PROVISIONAL = "†"    # a provisional value (初步数据)
MARK_PRO_RATA = "△"       # a county target shared out pro rata (示例分解目标)


# ---------------------------------------------------------------- numbers
def isnum(v) -> bool:
    try:
        return v is not None and v is not pd.NA and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def num(v, max_decimals: int = 2) -> str:
    """A number as a reader writes it: thousands separated, few decimals, no trailing zeros."""
    if not isnum(v):
        return "—"
    v = float(v)
    if abs(v) >= 1000:
        s = f"{v:,.0f}"
    else:
        s = f"{v:.{max_decimals}f}".rstrip("0").rstrip(".") if max_decimals else f"{v:.0f}"
    return "0" if s in ("-0", "", "-0.0") else s


def pct(p) -> str:
    """A probability as a percentage; under 1% and over 99% said so (vocab.format_probability, as the badges)."""
    return format_probability(p) if isnum(p) else "—"


def with_unit(v, unit, max_decimals: int = 2) -> str:
    unit = "" if unit is None or (not isinstance(unit, str) and pd.isna(unit)) else str(unit)
    return f"{num(v, max_decimals)}{unit}"


def _decimals(row):  # the decimals the row's data are reported in (issue 18: a count whole)
    return int(row["data_decimals"]) if isnum(row.get("data_decimals")) else 1


def forecast_text(row) -> str:
    """A forecast at the decimals of the data (vocab.format_value): 2.76 data give 2.76, counts whole."""
    unit = row["unit"] if isinstance(row["unit"], str) else ""
    return f"{format_value(row['forecast'], _decimals(row))}{unit}"


def band_text(row, level: int = 95) -> str:
    """``88.1～92.3`` at the data's decimals; '' when there is no interval or it has no width once
    rounded; ``达上限100`` when the whole interval lies at a bound (it is not "no interval")."""
    lo, hi = row[f"pi{level}_low"], row[f"pi{level}_high"]
    if not (isnum(lo) and isnum(hi)):
        return ""
    d = _decimals(row)
    a, b = format_value(lo, d), format_value(hi, d)
    if a == b:
        for col, word in (("upper_bound", "达上限"), ("lower_bound", "达下限")):
            if isnum(bound := row.get(col)) and abs(float(lo) - float(bound)) < 1e-9 and abs(float(hi) - float(bound)) < 1e-9:
                return f"{word}{format_value(bound, d)}"
        return ""
    return f"{a}～{b}"


def target_text(row, unit: bool = True) -> str:
    """``≥96%``, ``≤26微克/立方米``, ``保持100%``; ``—`` without a numeric target."""
    if not has_target(row):
        return "—"
    comp = COMPARATOR_SIGNS.get(str(row["comparator"]), "")
    return comp + (with_unit(row["target"], row["unit"]) if unit else num(row["target"]))


def has_target(row) -> bool:
    """A numeric target the assessment compares with (as in ``assess.compute``)."""
    return isnum(row["target"]) and str(row["comparator"]) in COMPARATOR_SIGNS


def change_text(delta: float, unit: str, comparator: str = "") -> str:
    """提高1.7个百分点 / 下降3项 / 持平."""
    if not isnum(delta):
        return ""
    if abs(delta) < 1e-9:
        return "持平"
    word = "提高" if delta > 0 else "下降"
    u = "个百分点" if unit == "%" else (unit or "")
    return f"{word}{num(abs(delta))}{u}"


def period(first: int, last: int) -> str:
    return f"{first}年" if first == last else f"{first}—{last}年"


def section_number(i: int) -> str:
    """1 → 一, 10 → 十 (sections of a report do not run further)."""
    return CHINESE_NUMERALS[i - 1]


# ---------------------------------------------------------------- facts
def region_rows(assessment, region: str) -> pd.DataFrame:
    t = assessment.table
    rows = t[t["region"].astype(str) == str(region)]
    if rows.empty:
        raise QAnalysisError(f"region {region!r} is not in the assessment "
                             f"(have {', '.join(dict.fromkeys(t['region'].astype(str)))})")
    return rows


def region_name(assessment, region: str) -> str:
    return str(region_rows(assessment, region)["region_name"].iloc[0])


def city_code(assessment) -> str:
    return str(assessment.data.plan.city_code)


def plan_title(assessment) -> str:
    """The plan's name in 《》, as a title quotes a document."""
    return f"《{assessment.data.plan.name_zh}》"


def data_up_to(rows: pd.DataFrame) -> int | None:
    y = rows["latest_year"].dropna()
    return int(y.max()) if len(y) else None


def observed_years(assessment, rows: pd.DataFrame) -> list[int]:
    """The plan years with any observation in ``rows``' region (the table's year columns)."""
    obs = assessment.data.observations
    plan = assessment.data.plan
    region = str(rows["region"].iloc[0])
    years = obs.loc[(obs["region"].astype(str) == region) & (obs["year"] >= plan.first_year)
                    & (obs["year"] <= plan.target_year), "year"]
    return sorted(int(y) for y in years.unique())


def status_counts(rows: pd.DataFrame) -> dict[str, int]:
    c = rows["status"].astype(str).value_counts()
    return {s: int(c.get(s, 0)) for s in STATUSES}


def counts_sentence(rows: pd.DataFrame) -> str:
    """已达标22项，进度正常2项，……(statuses with none left out)."""
    c = status_counts(rows)
    wide = int(city_wide(rows).sum())  # issue 18: 全市统筹 is not 无量化目标
    c["no_target"] -= wide
    parts = [f"{SHORT_STATUS[s]}{c[s]}项" for s in ("met", "achieved", "on_track", "at_risk",
                                                     "off_track", "missed", "insufficient_data",
                                                     "no_target") if c[s]]
    return "，".join(parts + ([f"全市统筹{wide}项"] if wide else []))


def good_share(rows: pd.DataFrame) -> float:
    """Share of the assessed indicators (a numeric target and enough data) met or on track."""
    assessed = rows[rows["status"].isin(ASSESSED)]
    if not len(assessed):
        return float("nan")
    return float(assessed["status"].isin(GOOD).mean())


def _margin(row) -> float:
    """How far beyond the target the current value is, as a share of the target (signed)."""
    now = row["cumulative"] if str(row["kind"]) == "increment" else row["latest"]
    if not (isnum(now) and isnum(row["target"])):
        return float("nan")
    t = float(row["target"])
    d = float(now) - t if str(row["comparator"]) != "<=" else t - float(now)
    return d / abs(t) if t else d


def gains(rows: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The most important gains: met/achieved furthest beyond target, then on track by P."""
    done = rows[rows["status"].isin(("met", "achieved"))].copy()
    done["_key"] = [_margin(r) for _, r in done.iterrows()]
    done = done.sort_values("_key", ascending=False, na_position="last")
    ahead = rows[rows["status"] == "on_track"].sort_values("p_attain", ascending=False)
    return pd.concat([done.drop(columns="_key"), ahead]).head(n)


def attention(rows: pd.DataFrame) -> pd.DataFrame:
    """Off-track, missed and at-risk indicators, worst first (status, then probability)."""
    att = rows[rows["status"].isin(ATTENTION)].copy()
    att["_rank"] = att["status"].map({"missed": 0, "off_track": 1, "at_risk": 2})
    att["_p"] = att["p_attain"].astype(float).fillna(-1)
    return att.sort_values(["_rank", "_p"], kind="stable").drop(columns=["_rank", "_p"])


def _now_text(row, first_year: int) -> str:
    """Where the indicator stands now: 2024年为94.6% / 2021—2024年累计新增4项."""
    if not isnum(row["latest_year"]):
        return "暂无年度数据"
    if str(row["kind"]) == "increment":
        span = period(int(first_year), int(row["latest_year"]))
        return f"{span}累计新增{with_unit(row['cumulative'], row['unit'])}"
    return f"{int(row['latest_year'])}年为{with_unit(row['latest'], row['unit'])}"


def gain_phrase(row, first_year: int) -> str:
    """规模以上…（2024年为98.5%，已达到2025年目标≥96%）."""
    name = str(row["name_zh"])
    ty = int(row["target_year"]) if isnum(row["target_year"]) else ""
    if str(row["status"]) in ("met", "achieved"):
        return f"{name}（{_now_text(row, first_year)}，已达到{ty}年目标{target_text(row)}）"
    return f"{name}（{_now_text(row, first_year)}，{ty}年达标概率{pct(row['p_attain'])}）"


def risk_phrase(row, first_year: int) -> str:
    """规模以上工业新产品产值率（2025年预计39%，目标≥40%，达标概率2%）."""
    name = str(row["name_zh"])
    ty = int(row["target_year"]) if isnum(row["target_year"]) else ""
    if str(row["status"]) == "missed":
        return f"{name}（{ty}年未达到目标{target_text(row)}）"
    if isnum(row["p_attain"]) and isnum(row["forecast"]):
        what = "累计" if str(row["kind"]) == "increment" else ""
        return (f"{name}（{ty}年预计{what}{forecast_text(row)}，"
                f"目标{target_text(row)}，达标概率{pct(row['p_attain'])}）")
    return f"{name}（{_now_text(row, first_year)}，目标{target_text(row)}）"


def overview_paragraphs(assessment, region: str, with_note: bool = True) -> list[str]:
    """一、总体情况: what was assessed, the counts by status, the main gains and risks, named.

    ``with_note``: end with the 示例数据 statement (a document that shows it elsewhere says False).
    """
    rows = region_rows(assessment, region)
    name = region_name(assessment, region)
    upto = data_up_to(rows)
    plan = assessment.data.plan
    n = len(rows)
    assessed = rows[rows["status"].isin(ASSESSED)]
    first = (f"对照{plan_title(assessment)}，本报告对{name}{n}项监测指标进行了评估，"
             + (f"数据截至{upto}年。" if upto else "暂无年度数据。")
             + f"评估结果：{counts_sentence(rows)}。")
    if len(assessed):
        share = good_share(rows)
        first += (f"在有量化目标且数据足以判断的{len(assessed)}项指标中，已达标或进度正常的占"
                  f"{share:.0%}。")
    paras = [first]
    g = gains(rows)
    if len(g):
        paras.append("进展较好的指标主要有：" + "；".join(gain_phrase(r, plan.first_year) for _, r in g.iterrows()) + "。")
    att = attention(rows)
    if len(att):
        worst = att.head(3)
        more = f"等{len(att)}项" if len(att) > len(worst) else ""
        paras.append(f"需重点关注的指标有{len(att)}项，主要是："
                     + "；".join(risk_phrase(r, plan.first_year) for _, r in worst.iterrows())
                     + (f"{more}，详见第三部分。" if more else "，详见第三部分。"))
    else:
        paras.append("目前没有进度滞后或存在风险的指标。")
    note = illustrative_note(rows) if with_note else ""
    if note:
        paras.append(note)
    return paras


def headline(assessment, region: str) -> str:
    """One sentence for a slide: 55项指标：已达标22项……；达标或进度正常占47%。"""
    rows = region_rows(assessment, region)
    s = f"{len(rows)}项指标：{counts_sentence(rows)}"
    share = good_share(rows)
    if isnum(share):
        s += f"；有量化目标且可判断的指标中，已达标或进度正常占{share:.0%}"
    return s + "。"


def illustrative_note(rows: pd.DataFrame) -> str:
    """The honesty statement, where any value shown rests on 示例数据; '' otherwise."""
    n = int(rows["has_illustrative"].fillna(False).astype(bool).sum())
    if not n:
        return ""
    return (f"注意：本报告中{n}项指标的数据含示例数据（由程序按固定种子生成，并非公开发布的统计数据），"
            "相关数值、图表和结论仅用于演示方法，不能作为实际评估依据。")


def indicator_sentence(assessment, row) -> str:
    """三、需关注指标: where the indicator stands, where the trend leads, and the verdict."""
    unit = str(row["unit"]) if isinstance(row["unit"], str) else ""
    kind = str(row["kind"])
    plan = assessment.data.plan
    ty = int(row["target_year"]) if isnum(row["target_year"]) else plan.target_year
    parts = []
    if kind == "increment":
        parts.append(f"{_now_text(row, plan.first_year)}，规划期目标为累计新增{target_text(row)}")
        if isnum(row["distance_covered_share"]):
            parts[-1] += f"，已完成{row['distance_covered_share']:.0%}"
    elif isnum(row["latest"]):
        s = _now_text(row, plan.first_year)
        if isnum(row["baseline"]) and isnum(row["baseline_year"]):
            delta = float(row["latest"]) - float(row["baseline"])
            s += f"，较{int(row['baseline_year'])}年基期（{with_unit(row['baseline'], unit)}）{change_text(delta, unit)}"
        parts.append(s)
        parts.append(f"{ty}年目标为{target_text(row)}")
    if isnum(row["time_elapsed_share"]) and isnum(row["distance_covered_share"]) and kind != "increment":
        parts.append(f"时间进度{row['time_elapsed_share']:.0%}，目标完成进度"
                     f"{max(float(row['distance_covered_share']), -9.99):.0%}")
    status = str(row["status"])
    if isnum(row["forecast"]) and isnum(row["p_attain"]):
        total = "累计" if kind == "increment" else ""
        band = band_text(row)
        band = f"（95%预测区间{band}）" if band else ""
        how = ("按近年线性趋势外推" if str(row.get("model", "linear")) == "linear"  # the model the row used
               else f"按{MODEL['zh'].get(str(row['model']), str(row['model']))}")
        parts.append(f"{how}，{ty}年预计{total}{forecast_text(row)}{band}，"
                     f"达标概率{pct(row['p_attain'])}")
    elif status != "missed":
        parts.append(str(row["status_reason"]).replace(",", "，").replace(";", "；"))
    verdict = {"off_track": "进度滞后，按现有趋势难以按期达标",
               "at_risk": "存在不能按期达标的风险",
               "missed": "目标年未达到目标"}.get(status, SHORT_STATUS.get(status, status))
    return "，".join(p for p in parts if p) + f"。评价：{verdict}。"


# ---------------------------------------------------------------- comparisons
def county_ranking(assessment) -> pd.DataFrame:
    """Every county, best first: counts by status and the share met or on track."""
    t = assessment.table
    city = city_code(assessment)
    out = []
    for code, rows in t.groupby(t["region"].astype(str), sort=False):
        if code == city:
            continue
        c = status_counts(rows)
        out.append({"region": code, "name": str(rows["region_name"].iloc[0]),
                    "achieved": c["achieved"] + c["met"], "on_track": c["on_track"],
                    "at_risk": c["at_risk"], "off_track": c["off_track"] + c["missed"],
                    "other": c["insufficient_data"] + c["no_target"],
                    "assessed": int(rows["status"].isin(ASSESSED).sum()),
                    "good_share": good_share(rows)})
    df = pd.DataFrame(out)
    if df.empty:
        return df
    judged = df["good_share"].notna()  # a county with nothing to judge is listed last, rank "—"
    df = pd.concat([df[judged].sort_values(["good_share", "off_track"], ascending=[False, True], kind="stable"),
                    df[~judged]])
    df.insert(0, "rank", [str(i) for i in range(1, int(judged.sum()) + 1)] + ["—"] * int((~judged).sum()))
    return df.reset_index(drop=True)


def ranking_paragraph(assessment) -> str:
    rk = county_ranking(assessment)
    if rk.empty:
        return "本规划未分解到县（市、区），无各地比较。"
    unjudged, rk = rk[rk["good_share"].isna()], rk[rk["good_share"].notna()]
    none = f"{'、'.join(unjudged['name'])}尚无可判断的指标，未参与排序。" if len(unjudged) else ""
    if rk.empty:
        return "各县（市、区）尚无可判断的指标，暂不排序。各地区逐项评估结果见下表和热力图。"
    top = "、".join(f"{r['name']}（{share_text(r['good_share'])}）" for _, r in rk.head(3).iterrows())
    low = "、".join(f"{r['name']}（{share_text(r['good_share'])}）" for _, r in rk.tail(3).iloc[::-1].iterrows())
    city_rows = region_rows(assessment, city_code(assessment))
    return (f"按有量化目标且可判断的指标中已达标或进度正常的占比排序，{len(rk)}个县（市、区）中"
            f"居前的是{top}，居后的是{low}；全市为{share_text(good_share(city_rows))}。" + none +
            "各地区逐项评估结果见下表和热力图。")


def versus_city(assessment, region: str) -> pd.DataFrame:
    """Indicators where the region's verdict differs from the city's, the region's worse first."""
    rows = region_rows(assessment, region).set_index("indicator")
    city = region_rows(assessment, city_code(assessment)).set_index("indicator")
    both = rows.index.intersection(city.index)
    out = []
    for i in both:
        a, b = str(rows.at[i, "status"]), str(city.at[i, "status"])
        if a not in ASSESSED or b not in ASSESSED or a == b:
            continue
        out.append({"indicator": i, "name_zh": rows.at[i, "name_zh"], "status": a,
                    "p_attain": rows.at[i, "p_attain"], "city_status": b,
                    "city_p_attain": city.at[i, "p_attain"],
                    "better": STATUSES[a].rank > STATUSES[b].rank})
    df = pd.DataFrame(out, columns=["indicator", "name_zh", "status", "p_attain", "city_status",
                                    "city_p_attain", "better"])
    df["better"] = df["better"].astype(bool)  # an empty object column would select columns, not rows
    return df.sort_values("better", kind="stable").reset_index(drop=True)


def versus_city_paragraph(assessment, region: str) -> str:
    rows = region_rows(assessment, region)
    city_rows = region_rows(assessment, city_code(assessment))
    name = region_name(assessment, region)
    city_name = region_name(assessment, city_code(assessment))
    vs = versus_city(assessment, region)
    s = (f"{name}有量化目标且可判断的指标中，已达标或进度正常的占{share_text(good_share(rows))}，"
         f"{city_name}为{share_text(good_share(city_rows))}。")
    better_mask = vs["better"].astype(bool)  # an empty frame's object column would select columns
    worse = vs.loc[~better_mask, "name_zh"].tolist()
    better = vs.loc[better_mask, "name_zh"].tolist()
    if better:
        s += f"评价好于全市的有{len(better)}项：{'、'.join(better[:5])}{'等' if len(better) > 5 else ''}。"
    if worse:
        s += f"评价差于全市的有{len(worse)}项：{'、'.join(worse[:5])}{'等' if len(worse) > 5 else ''}。"
    if not better and not worse:
        s += "各项指标的评价与全市相同。"
    return s


# ---------------------------------------------------------------- data and method notes
METHOD_TEXT = list(METHOD_NOTE)  # the rules in words live beside the labels (vocab.METHOD_NOTE, docs/methods.md)


def deck_note_paragraphs(assessment, rows: pd.DataFrame) -> list[str]:
    """The data note of a deck of chosen series (several regions possibly)."""
    plan = assessment.data.plan
    by_status = rows["data_status"].astype(str).value_counts()
    status_txt = "，".join(f"{DATA_STATUS['zh'].get(k, k) or '无数据'}{v}项" for k, v in by_status.items())
    paras = [f"目标值和基期值来自{plan_title(assessment)}（{plan.first_year}—{plan.target_year}年，"
             f"基期{plan.base_year}年）；县级目标未另设的沿用全市目标或按权重分解（示例）。",
             f"所选{len(rows)}个序列的数据性质：{status_txt}。"]
    note = illustrative_note(rows).replace("本报告中", "本图集中")
    if note:
        paras.append(note)
    return paras + METHOD_TEXT


def method_paragraphs(assessment, region: str) -> list[str]:
    """附：数据来源与方法说明."""
    rows = region_rows(assessment, region)
    plan = assessment.data.plan
    by_status = rows["data_status"].astype(str).value_counts()
    status_txt = "，".join(f"{DATA_STATUS['zh'].get(k, k) or '无数据'}{v}项" for k, v in by_status.items())
    obs = assessment.data.observations
    o = obs[obs["region"].astype(str) == str(region)]
    # published and provisional sources apart: provisional is never called published
    sources = [s for s in dict.fromkeys(o.loc[o["status"] == "published", "source"].dropna().astype(str)) if s][:6]
    prov = [s for s in dict.fromkeys(o.loc[o["status"] == "provisional", "source"].dropna().astype(str)) if s][:6]
    basis_zh = {"plan": "规划原文", "city_default": "沿用全市目标", "pro_rata": "按权重分解（示例）",
                "city_only": "全市整体目标，不分解到县", "override": "县级自定目标"}
    basis = rows["target_basis"].astype(str).value_counts()
    paras = [
        f"目标值和基期值来自{plan_title(assessment)}（{plan.first_year}—{plan.target_year}年，"
        f"基期{plan.base_year}年）。本地区目标来源：" +
        "，".join(f"{basis_zh.get(k, k)}{v}项" for k, v in basis.items() if k) + "。",
        f"数据性质（按指标计）：{status_txt}。"
        + (f"公开数据来源：{'；'.join(sources)}。" if sources else "")
        + (f"初步数据（未正式发布）来源：{'；'.join(prov)}。" if prov else ""),
    ]
    # what each delivered series rests on (its file), the deliveries used, the values replaced
    delivered = rows[rows["data_basis"].astype(str) == "delivered"] if "data_basis" in rows else rows.iloc[:0]
    if len(delivered):
        paras.append("报送数据的指标：" + "；".join(f"{n}——{s}" for n, s in
                                            zip(delivered["name_zh"], delivered["data_source"])) + "。")
    paras += delivery_notes(assessment.data, "zh", region=str(region), fit_first_year=plan.fit_first_year)
    note = illustrative_note(rows)
    if note:
        paras.append(note)
    marks = mark_sentences(rows, (MARK_ILLUSTRATIVE, MARK_PROVISIONAL, MARK_PRO_RATA))
    paras += METHOD_TEXT + (["表中标记：" + "；".join(marks) + "。"] if marks else [])
    return paras
