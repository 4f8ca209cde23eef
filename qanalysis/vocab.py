"""Every label a reader sees, in Chinese and English, in one place.

Tables, charts, the Excel workbooks and the reports take their words from here:
a code (``published``, ``linear``, ``increment`` …) has one label per language.
Identifiers stay English; what a reader reads is Chinese (or English with
``lang="en"``). Plain dicts and one number formatter, standard library only: any
process may use it.
"""
from __future__ import annotations

import math

import numpy as np

LANGS = ("zh", "en")

# ---------------------------------------------------------------- assessment statuses
# code -> (zh, en); colours and the rule live in qanalysis.analysis.status
STATUS_LABELS = {
    "met": ("已实现(目标年实测)", "met (observed)"),
    "missed": ("未实现(目标年实测)", "missed (observed)"),
    "achieved": ("已达标", "achieved"),
    "on_track": ("进度正常", "on track"),
    "at_risk": ("存在风险", "at risk"),
    "off_track": ("进度滞后", "off track"),
    "insufficient_data": ("数据不足", "insufficient data"),
    "no_target": ("无量化目标", "no numeric target"),
}
# A target met today whose trend may undo it (analysis.assess.reversal_risk): the status stays
# 已达标; this flag, by comparator (≥ may fall back, ≤ may rise back, 保持 may drift off), goes with it.
REVERSAL_LABELS = {
    ">=": ("已达标（有回落风险）", "achieved (may fall back)"),
    "<=": ("已达标（有回升风险）", "achieved (may rise back)"),
    "==": ("已达标（有偏离风险）", "achieved (may drift off)"),
}
# the status of a no-target row whose target the plan sets for the city as a whole
CITY_WIDE_LABEL = ("全市统筹", "city-wide target")


def status_label(code: str, lang: str = "zh", *, basis: str = "", comparator: str = "",
                 reversal: bool = False) -> str:
    """The one label of a status as a reader sees it (every table, chart, deck and sentence).

    ``no_target`` whose basis is ``city_only`` reads 全市统筹; ``achieved`` with the
    reversal flag reads 已达标（有回落风险）/（有回升风险）/（有偏离风险） by comparator.
    """
    k = 0 if lang == "zh" else 1
    if code == "no_target" and basis == "city_only":
        return CITY_WIDE_LABEL[k]
    if code == "achieved" and reversal and comparator in REVERSAL_LABELS:
        return REVERSAL_LABELS[comparator][k]
    return STATUS_LABELS[code][k] if code in STATUS_LABELS else code


# The method note of every report (briefing.text.METHOD_TEXT): the rules of analysis.assess in
# words, the same as docs/methods.md — change one, change the other.
METHOD_NOTE = (
    "预测方法：对各指标年度数据拟合线性趋势（最小二乘法），外推至目标年，按t分布给出80%和95%预测区间，"
    "并据此计算达到目标的概率（达标概率），数值按其报告精度判断（如整数计数低于0.5即为0）。"
    "新增类指标预测各年新增量并与已完成部分累加。稀少事件（年均新增不超过2、多数年份新增0或1的计数）"
    "按泊松计数模型（负二项预测）计算，各行“预测模型”注明所用模型。数据点少于3个，或数据除报告精度的舍入误差外"
    "没有波动的（“数据无波动，概率不可估计”），不给预测区间和达标概率。",
    "评价规则：目标年已有实测的，按实测判断“已实现”或“未实现”；规划期内最新值（新增类为累计新增）已达到目标的"
    "为“已达标”，仅有基期值的不作判断；已达标但趋势显示目标年达标概率低于50%的，标注“已达标（有回落风险）”"
    "（“≤”目标为“有回升风险”，“保持”目标为“有偏离风险”）；其余按达标概率判断——不低于80%为“进度正常”，"
    "40%～80%为“存在风险”，低于40%为“进度滞后”；无预测区间时按进度比（实际增速与所需增速之比）判断。"
    "基期已达到目标的不计算完成进度，注明“基期已达标”及余量；县（市、区）无本地区基期值的，"
    "进度自其基期年或以后首个观测值起算。规划未给出量化目标的只分析趋势；全市整体目标不分解到县的，标为“全市统筹”。",
)

# ---------------------------------------------------------------- fixed phrases of a status reason
# (qanalysis.analysis.reasons; the sentences with numbers are written there)
REASONS = {
    "zh": {
        "city_share": "全市指标(按县(市、区)个数计算的比例)，不分解到各县(市、区)，县级不设目标，仅分析趋势",
        "city_count": "全市整体目标，分到每个县(市、区)不足 2，不分解到各县(市、区)，仅分析趋势",
        "unquantified": "规划未给出量化目标(如“省定目标”)，仅分析趋势",
        "no_target_row": "该地区在目标表中无此指标的目标值",
        "no_target": "无量化目标",
        "reversal": {">=": "有回落风险", "<=": "有回升风险", "==": "有偏离风险"},
        "flat": "数据无波动(拟合残差不超过报告精度的舍入误差)，概率不可估计",
        "few_points": "；仅 {n} 个数据点，结论仅供参考",
    },
    "en": {
        "city_share": "a city-level indicator (a share of the counties): no county target, trend only",
        "city_count": "a city-wide count whose county shares would be under 2: not shared out, trend only",
        "unquantified": "the plan gives no number (e.g. 'provincial target'): trend only",
        "no_target_row": "no target for this region in Dataset.targets",
        "no_target": "no numeric target",
        "reversal": {">=": "may fall back", "<=": "may rise back", "==": "may drift off"},
        "flat": "no variation beyond the rounding of the data: the probability cannot be estimated",
        "few_points": "; rests on only {n} data point(s)",
    },
}

# ---------------------------------------------------------------- data status of a value / a series
DATA_STATUS = {
    "zh": {"published": "公开发布", "provisional": "初步数据（未正式发布）", "estimated": "预计数（非统计数）",
           "illustrative": "示例数据",
           "mixed": "混合（逐年状态见数据来源）", "": "无数据"},
    "en": {"published": "published", "provisional": "provisional", "estimated": "estimated",
           "illustrative": "illustrative", "mixed": "mixed", "": "no data"},
}

# ---------------------------------------------------------------- what a series rests on
# One basis per series, by the precedence rule of qanalysis.data.series_source:
# delivered > published > illustrative.
DATA_BASIS = {
    "zh": {"delivered": "报送数据", "published": "公开发布数据", "illustrative": "示例数据", "": "无数据"},
    "en": {"delivered": "delivered", "published": "published", "illustrative": "illustrative", "": "no data"},
}
# A series' data_source label: the basis with the file (delivered) or the address (published).
DATA_SOURCE = {
    "zh": {"delivered": "报送数据（{statuses}），文件 {files}", "published": "公开发布数据，来源 {sources}",
           "illustrative": "示例数据（程序生成，非公开发布）", "more": " 等{n}处", "list_sep": "、",
           "status_sep": "；"},
    "en": {"delivered": "delivered ({statuses}), file {files}", "published": "published, source {sources}",
           "illustrative": "illustrative (generated, not published)", "more": " and {more} more",
           "list_sep": ", ", "status_sep": "; "},
}
# One value's status inside a data_source label: provisional is never called published.
VALUE_STATUS = {
    "zh": {"published": "已发布", "provisional": "初步数，未正式发布", "estimated": "预计数，非统计数",
           "illustrative": "示例"},
    "en": {"published": "published", "provisional": "provisional (not yet published)",
           "estimated": "estimated (not a statistic)", "illustrative": "illustrative"},
}
# The data notes (Excel notes sheet, report): deliveries used, values replaced, the fit window.
DELIVERY_NOTES = {
    "zh": {"delivery": "报送数据 {id}：文件 {name}{when}，本报告用到其中 {n} 个数值（sha256 {sha}）。",
           "kept": "，{date} 保存", "not_kept": "，本次运行读入、未保存",
           "replaced": "已替换：{region} {indicator} {year} 年的 {old}（报送 {old_delivery}）"
                       "被后报送的 {new}（报送 {new_delivery}）替换。",
           "more_replaced": "……另有 {n} 个被替换的数值（见 replaced.csv）。",
           "fit_window": "趋势拟合窗口：规划设定只用 {year} 年起的数据拟合趋势（更早的数据只在图中显示）。"},
    "en": {"delivery": "delivery {id}: file {name}{when}, {n} of its values used here (sha256 {sha}).",
           "kept": ", kept {date}", "not_kept": ", read for this run, not kept",
           "replaced": "replaced: {region} {indicator} {year}: {old} (delivery {old_delivery}) "
                       "by the later {new} (delivery {new_delivery}).",
           "more_replaced": "… and {n} more replaced values (see replaced.csv).",
           "fit_window": "fit window: the plan fits trends on the years from {year} on "
                         "(earlier values are shown, not fitted)."},
}

# ---------------------------------------------------------------- forecast models
MODEL = {
    "zh": {"linear": "线性趋势", "loglinear": "对数线性趋势", "log-linear": "对数线性趋势",
           "poisson": "泊松计数模型（稀少事件）"},
    "en": {"linear": "linear trend", "loglinear": "log-linear trend", "log-linear": "log-linear trend",
           "poisson": "Poisson count model (rare events)"},
}

# ---------------------------------------------------------------- kinds and comparators
KIND = {
    "zh": {"level": "水平值", "stock": "累计存量", "increment": "期内新增", "unquantified": "无量化目标"},
    "en": {"level": "level", "stock": "stock (running total)", "increment": "additions in the period",
           "unquantified": "no numeric target"},
}
# The template's rows hold one year's value, so there the kinds say what to write in a cell:
# a stock's running total, an increment's additions of that year (never the running sum).
KIND_YEARLY = {
    "zh": {"level": "水平值", "stock": "累计值(存量)", "increment": "当年新增", "unquantified": "无量化目标"},
    "en": {"level": "level", "stock": "stock (running total)", "increment": "yearly additions",
           "unquantified": "no numeric target"},
}
COMPARATOR_SIGNS = {">=": "≥", "<=": "≤", "==": "保持"}
COMPARATOR_SIGNS_EN = {">=": "≥", "<=": "≤", "==": "keep at"}

# ---------------------------------------------------------------- table column headers
ASSESSMENT_HEADERS_ZH = {
    "region": "地区代码", "region_name": "地区", "indicator": "指标代码", "name_zh": "指标名称",
    "name_en": "指标英文名", "category": "类别", "unit": "单位", "kind": "指标类型",
    "comparator": "比较方式", "direction": "方向", "lower_bound": "下限", "upper_bound": "上限",
    "baseline_year": "基期年份", "baseline": "基期值", "target_year": "目标年份", "target": "目标值",
    "target_basis": "目标来源", "n_points": "数据点数", "first_year": "首个数据年份",
    "latest_year": "最新年份", "latest": "最新值", "data_status": "数据性质",
    "has_illustrative": "含示例数据", "change_since_baseline": "较基期变化",
    "avg_annual_change": "年均变化", "cagr": "年均增长率", "cagr_required": "所需年均增长率",
    "progress_ratio": "进度比", "progress_category": "进度类别", "time_elapsed_share": "时间进度",
    "distance_covered_share": "目标完成进度", "cumulative": "累计新增", "model": "预测模型",
    "forecast": "目标年预测值", "pi80_low": "80%预测区间下限", "pi80_high": "80%预测区间上限",
    "pi95_low": "95%预测区间下限", "pi95_high": "95%预测区间上限", "p_attain": "达标概率",
    "status": "状态代码", "status_zh": "状态", "status_reason": "判断依据",
    "ratio_base_year": "进度比起始年", "ratio_base": "进度比起始值", "pace_required": "所需年均变化",
    "limit_coefficient": "临界修正系数", "progress_category_zh": "进度类别(中文)",
    "target_year_observed": "目标年已有实测", "status_reason_en": "判断依据(英文)",
    "data_basis": "数据依据", "data_source": "数据来源", "data_source_en": "数据来源(英文)",
    "fit_first_year": "趋势拟合起始年",
    "reversal_risk": "已达标但有回落/回升风险", "baseline_met": "基期已达标", "flat_data": "数据无波动",
    "data_decimals": "数据小数位数",
    "as_of": "评估时点", "period_over": "规划期已结束", "evaluation_verdict": "终期评估结论",
    "approx_target": "约数目标（左右）",
}

TEMPLATE_HEADERS = {
    "zh": {"id": "指标代码", "name": "指标名称", "unit": "单位", "kind": "类型", "baseline": "基期值",
           "target": "目标值", "status": "数据状态", "source": "来源"},
    "en": {"id": "id", "name": "name", "unit": "unit", "kind": "kind", "baseline": "baseline",
           "target": "target", "status": "status", "source": "source"},
}

REVIEW_HEADERS_ZH = {"indicator": "指标代码", "category": "类别", "name_zh": "指标名称", "unit": "单位",
              "target_text": "目标值(原文)", "achieved_text": "完成情况(原文)", "target": "目标值",
              "achieved": "完成值", "comparator": "比较方式", "kind": "指标类型", "met": "是否完成",
              "named_missed_in_plan": "规划列为未完成", "agrees_with_plan": "与规划结论一致",
              "note": "附注", "source": "出处"}

# The assessment as a report shows it (qanalysis.reports.notebook.assessment_view)
REPORT_VIEW_HEADERS = {
    "zh": {"name_zh": "指标", "unit": "单位", "baseline": "基期值", "target": "目标值",
           "latest_year": "最新年份", "latest": "最新值(新增类为期内累计)", "forecast": "目标年预测",
           "pi80_low": "80%区间下限", "pi80_high": "80%区间上限", "p_attain": "达标概率",
           "status_label": "评估结果", "data_status": "数据性质", "data_source": "数据来源"},
    "en": {"name_en": "indicator", "status_label": "status",
           "latest": "latest (increments: sum since plan start)",
           "p_attain": "P(attain)", "forecast": "forecast (target year)",
           "data_status": "data status", "data_source": "data source"},
}

# ---------------------------------------------------------------- chart words
CHART_WORDS: dict[str, dict] = {
    "zh": {
        "published": "公开发布数据",
        "provisional": "初步数据",
        "illustrative": "示例数据（非公开发布）",
        "baseline": "基期值",
        "start": "起点（累计从0开始）",
        "target": "目标",
        "required": "达标所需路径（基期→目标）",
        "forecast": "{model}预测",
        "pi80": "80%预测区间",
        "pi95": "95%预测区间",
        "p_attain": "达标概率",
        "no_target": "无量化目标：仅显示趋势",
        "no_fit": "数据不足：未作预测",
        "no_interval": "数据点少于3个：不给预测区间",
        "cumulative": "累计新增（{first}年起）",
        "data_up_to": "数据截至{year}年",
        "no_data": "暂无数据",
        "no_target_here": "本地区无分解目标",
        "stamp": "示例数据 / illustrative data",
        "status": "状态",
        "year": "年份",
        "distance": "距目标（{unit}，正值=已超过目标）",
        "distance_rel": "距目标（占本地区目标的%，正值=已超过目标）",
        "latest": "最新值（{unit}）",
        "ranking_title": "{name}：各地距目标",
        "ranking_no_target": "{name}：各地最新值（无量化目标）",
        "heatmap_p": "{year}年达标概率（%）",
        "heatmap_status": "评估状态",
        "heatmap_title_p": "各地各指标{year}年达标概率",
        "heatmap_title_status": "各地各指标评估状态",
        "review_title": "{prev}指标完成情况",
        "review_axis": "完成值 / 目标值（%）",
        "review_met": "已完成",
        "review_missed": "未完成",
        "review_unknown": "无法判断",
        "review_named": "† 规划表1注中列为未完成或不再统计",
        "small_title": "{region}｜{category}指标",
        "plan_target": "目标：{plan}",
        "basis": {"plan": "规划原文", "city_default": "沿用全市目标", "pro_rata": "按权重分解（示例）",
                  "city_only": "全市整体目标，不分解到县", "override": "县级自定目标"},
        # the footer's words for the statuses plotted: provisional is never called published
        "data_status": {"published": "公开发布数据", "provisional": "初步数据（未正式发布）",
                        "published_provisional": "已发布与初步数据（初步数未正式发布）",
                        "illustrative": "示例数据（种子生成器生成，非公开发布）",
                        "with_illustrative": "含示例数据（非公开发布）", "": "无数据"},
        "delivered_files": "报送数据：文件 {files}",
        "more_files": " 等{n}个",
        "fit_from": "趋势拟合自{year}年起（规划设定）",
        "model": MODEL["zh"],
        "keep": "保持",
        "sep": "；",
        "source": "来源：",
        "forecast_value": "{year}年预测 {value}",
    },
    "en": {
        "published": "published",
        "provisional": "provisional",
        "illustrative": "illustrative (not published)",
        "baseline": "baseline",
        "start": "start (cumulative from 0)",
        "target": "target",
        "required": "path required (baseline → target)",
        "forecast": "{model} forecast",
        "pi80": "80% prediction interval",
        "pi95": "95% prediction interval",
        "p_attain": "P(attain)",
        "no_target": "no numeric target: trend only",
        "no_fit": "insufficient data: no forecast",
        "no_interval": "fewer than 3 points: no prediction interval",
        "cumulative": "cumulative additions since {first}",
        "data_up_to": "data up to {year}",
        "no_data": "no data",
        "no_target_here": "no target of its own",
        "stamp": "示例数据 / illustrative data",
        "status": "status",
        "year": "year",
        "distance": "distance to target ({unit}; positive = beyond target)",
        "distance_rel": "distance to target (% of the region's target; positive = beyond target)",
        "latest": "latest value ({unit})",
        "ranking_title": "{name}: distance to target by region",
        "ranking_no_target": "{name}: latest value by region (no numeric target)",
        "heatmap_p": "probability of meeting the {year} target (%)",
        "heatmap_status": "assessment status",
        "heatmap_title_p": "Probability of meeting the {year} targets",
        "heatmap_title_status": "Assessment status by region and indicator",
        "review_title": "{prev}: targets and results",
        "review_axis": "achieved / target (%)",
        "review_met": "met",
        "review_missed": "missed",
        "review_unknown": "cannot tell",
        "review_named": "† named as missed or no longer counted in the note under Table 1",
        "small_title": "{region} | {category}",
        "plan_target": "target: {plan}",
        "basis": {"plan": "as in the plan", "city_default": "city target applied", "pro_rata":
                  "pro-rata share (illustrative)", "city_only": "city-wide target, not shared out",
                  "override": "county's own target"},
        "data_status": {"published": "published data", "provisional": "provisional data (not yet published)",
                        "published_provisional": "published and provisional (not yet published) data",
                        "illustrative": "illustrative data (seeded generator, not published)",
                        "with_illustrative": "includes illustrative (not published) data", "": "no data"},
        "delivered_files": "delivered: file {files}",
        "more_files": " and {more} more",
        "fit_from": "trend fitted from {year} on (set in the plan)",
        "model": MODEL["en"],
        "keep": "keep at",
        "sep": "; ",
        "source": "source: ",
        "forecast_value": "{year} forecast {value}",
    },
}

UNITS_EN = {"%": "%", "项": "items", "家": "firms", "个": "", "件": "", "张": "certificates",
             "万件": "×10k", "微克/立方米": "μg/m³", "条": "", "处": "", "次": ""}


# A cell is too small for a status's full label: these short forms name it inside the cell.
STATUS_SHORT = {
    "zh": {"met": "已实现", "missed": "未实现", "achieved": "已达标", "on_track": "正常",
           "at_risk": "风险", "off_track": "滞后", "insufficient_data": "缺数据", "no_target": "—"},
    "en": {"met": "met", "missed": "missed", "achieved": "done", "on_track": "on", "at_risk": "risk",
           "off_track": "off", "insufficient_data": "n/a", "no_target": "—"},
}


# Words of the regression-diagnostics chart (charts/diagnostics.py).
DIAGNOSTICS_WORDS = {
    "zh": {"fit": "数据与拟合", "resid": "残差（按年份）", "cook": "Cook距离（各年份对拟合的影响）",
           "obs": "实测值", "line": "拟合趋势", "without": "不计{year}年的趋势", "threshold": "Cook距离=1",
           "resid_axis": "残差{unit}", "log": "（对数）", "title": "{name}：回归诊断",
           "sub": "{region} · {model}，{span}", "inc": "按每年新增量拟合；{year}年累计预测见表",
           "few": "点数少于3个：无残差诊断", "year": "年份",
           "odd": "{year}年（单独主导趋势）", "forecast": "{year}年预测及95%区间", "target": "目标 {target}",
           "forecast_rare": "{year}年预测及95%区间（泊松计数模型，非直线外推）"},
    "en": {"fit": "data and fit", "resid": "residuals by year", "cook": "Cook's distance by year",
           "obs": "observed", "line": "fitted trend", "without": "trend without {year}",
           "threshold": "Cook's distance = 1", "resid_axis": "residual{unit}", "log": " (log)",
           "title": "{name}: regression diagnostics", "sub": "{region} · {model}, {span}",
           "inc": "fitted to yearly additions; the {year} total is in the table",
           "few": "fewer than 3 points: no residual diagnostics", "year": "year",
           "odd": "{year} (drives the trend)", "forecast": "{year} forecast, 95% interval",
           "target": "target {target}",
           "forecast_rare": "{year} forecast, 95% interval (Poisson count model, not the line)"},
}


def round_to(values, decimals):
    """Values rounded half away from zero at ``decimals`` places (an array of places allowed):
    the one rounding of forecasts and intervals — at the data's decimals, a count whole."""
    v = np.asarray(values, dtype=float)
    scale = 10.0 ** np.minimum(np.asarray(decimals, dtype=float), 6)
    with np.errstate(invalid="ignore"):
        return np.sign(v) * np.floor(np.abs(v) * scale + 0.5 + 1e-9) / scale


def format_probability(p) -> str:
    """P(attain) as a reader reads it, the same in a badge and a sentence: "<1%" above 0 and
    below 1%, ">99%" above 99% and below 1, else the whole percent; "—" for none."""
    try:
        p = float(p)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(p):
        return "—"
    if 0.0 < p < 0.01:
        return "<1%"
    if 0.99 < p < 1.0:
        return ">99%"
    return f"{math.floor(p * 100 + 0.5):.0f}%"


def format_value(v, decimals=None) -> str:
    """A forecast or an interval end as a reader writes it: at the data's ``decimals`` (a
    count reported in whole numbers as a whole number: never 1.72项 or 0.1家), no trailing
    zeros; without ``decimals`` as :func:`format_number`."""
    if decimals is None or (isinstance(decimals, float) and math.isnan(decimals)):
        return format_number(v)
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(v):
        return "—"
    d = int(min(max(int(decimals), 0), 6))
    r = float(round_to(v, d))
    if abs(r) >= 1000:
        return f"{r:,.{d}f}".rstrip("0").rstrip(".") if d else f"{r:,.0f}"
    s = f"{r:.{d}f}"
    s = s.rstrip("0").rstrip(".") if d else s
    return "0" if s in ("-0", "") else s


def format_number(v) -> str:
    """A number as a reader writes it: no trailing zeros, at most 2 decimals, "—" for none."""
    if v is None:
        return "—"
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(v):
        return "—"
    s = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s
