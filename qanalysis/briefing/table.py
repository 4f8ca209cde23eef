"""二、指标完成情况表: the values the table shows and its note, for the Word report and the HTML page.

Both documents lay the same table out (a native Word table, an HTML table); what
goes into a cell and what the marks mean is decided here once.
"""
from __future__ import annotations

from . import text as tx
from .marks import mark_flags


def value_marks(assessment, region: str) -> dict:
    """For each (indicator, year): the value shown in the table and its status.

    ``increment`` indicators show the running total of the plan years (what the
    target is compared with); a running total is illustrative when any addition in it is.
    """
    obs = assessment.data.observations
    first = int(assessment.data.plan.first_year)
    o = obs[obs["region"].astype(str) == str(region)].sort_values("year")
    kinds = tx.region_rows(assessment, region).set_index("indicator")["kind"].astype(str)
    out: dict[tuple[str, int], tuple[float, str]] = {}
    rank = {"published": 0, "provisional": 1, "estimated": 2, "illustrative": 3}
    for ind, g in o.groupby(o["indicator"].astype(str), sort=False):
        inc = kinds.get(ind) == "increment"
        total, worst = 0.0, "published"
        for y, v, st in zip(g["year"].astype(int), g["value"].astype(float), g["status"].astype(str)):
            if inc:
                if y < first:
                    continue
                total += v
                worst = st if rank.get(st, 0) > rank.get(worst, 0) else worst
                out[(ind, y)] = (total, worst)
            else:
                out[(ind, y)] = (v, st)
    return out


def baseline_status(row, marks: dict) -> str:
    """The status of the observation a baseline was taken from, when it was ("基期值取本地区…")."""
    if not (tx.isnum(row["baseline"]) and tx.isnum(row["baseline_year"])) or str(row["kind"]) == "increment":
        return "published"
    hit = marks.get((str(row["indicator"]), int(row["baseline_year"])))
    if hit and abs(hit[0] - float(row["baseline"])) < 1e-9:
        return hit[1]
    return "published"


def mark(status: str) -> str:
    """The mark a cell carries: * 示例数据, † 初步数据, nothing for a published value."""
    # an estimate (预计数) is no published value either: marked like a provisional one
    return {"illustrative": tx.MARK_ILLUSTRATIVE, "provisional": tx.MARK_PROVISIONAL,
            "estimated": tx.MARK_PROVISIONAL}.get(status, "")


def header(assessment, years: list[int]) -> list[str]:
    plan = assessment.data.plan
    return ["序号", "指标", "单位", f"{plan.base_year}年\n基期值", f"{plan.target_year}年\n目标值",
            *[f"{y}年" for y in years], f"{plan.target_year}年预计\n（95%区间）", "达标\n概率", "评价"]


def _over(assessment) -> bool:
    t = assessment.table
    return "period_over" in t.columns and bool(t["period_over"].any())


def table_note(assessment, rows) -> str:
    """The note under the table: what the marks mean and how to read the columns."""
    plan = assessment.data.plan
    years = tx.observed_years(assessment, rows)
    span = tx.period(years[0], years[-1]) if years else ""
    parts = []  # only what applies to these rows: no mark, kind or basis that none of them has
    f, marks = mark_flags(rows), []
    if f["illustrative"]:
        marks.append(f"带“{tx.MARK_ILLUSTRATIVE}”的数值为示例数据（由程序按固定种子生成，非公开发布统计数据）")
    if f["provisional"]:
        marks.append(f"带“{tx.MARK_PROVISIONAL}”的为初步数据")
    if f["pro_rata"]:
        marks.append(f"带“{tx.MARK_PRO_RATA}”的目标为按权重分解的示例目标，并非县级正式目标")
    if marks:
        parts.append("；".join(marks) + "。")
    if f["increment"]:
        parts.append("新增类指标（名称标“新增”）"
                     f"{span}各列为{plan.first_year}年起的累计新增，目标为规划期累计新增"
                     + ("；其基期值为上一规划期新增数，仅作参考。" if f["increment_baseline"] else "。"))
    if _over(assessment):
        parts.append(f"规划期已结束（终期评估）：不再给出{plan.target_year}年预测值、预测区间和达标概率，"
                     "评价为按实测完成值的完成情况（见完成情况表）。")
    else:
        parts.append(f"{plan.target_year}年预计为线性趋势外推值，括号内为95%预测区间；"
                     "达标概率为按预测区间计算的达到目标的概率。")
    if (rows["target_basis"].astype(str) == "city_only").any():
        parts.append("目标值为“不分解”的，是全市整体目标，不分解到县（市、区），评价栏记为“全市统筹”，只分析趋势。")
    return "注：" + "".join(f"{i}. {p}" for i, p in enumerate(parts, start=1))
