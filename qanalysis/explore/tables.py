"""Assessment tables as a Chinese reader sees them: one helper for every notebook.

:func:`table_view` turns rows of the assessment table into a styled table with
Chinese column headers and numbers written the way the plan writes them: a
percentage indicator's values carry "%", a target carries its comparator
("≥96%"), probabilities and growth rates are percentages, changes are signed
("+1.2个百分点"), and an increment's "latest" is the running sum since the plan
started (what its period target is compared with). Notebooks 01–03 and the
explorer all show their tables through it, so they read the same.
"""
from __future__ import annotations

import html
import math
import re
from typing import Iterable, Sequence

import pandas as pd

from ..analysis.status import STATUSES
from ..vocab import DATA_STATUS

# assessment column -> Chinese header. "current" and "pi80"/"pi95" are derived (see _cell).
HEADERS: dict[str, str] = {
    "region_name": "地区",
    "name_zh": "指标",
    "category": "类别",
    "unit": "单位",
    "kind": "类型",
    "baseline": "基期值",
    "target": "目标值",
    "latest_year": "最新年份",
    "latest": "最新值",
    "current": "最新值(新增类为期内累计)",
    "cumulative": "期内累计",
    "change_since_baseline": "较基期变化",
    "avg_annual_change": "年均变化",
    "cagr": "年均增速",
    "cagr_required": "达标所需年均增速",
    "progress_category_zh": "进度评价",
    "forecast": "目标年预测",
    "pi80": "80%预测区间",
    "pi95": "95%预测区间",
    "p_attain": "达标概率",
    "status_zh": "评估结果",
    "status_reason": "判断依据",
    "data_status": "数据性质",
    "target_basis": "目标来源",
}

KIND_ZH = {"level": "水平值", "stock": "累计(存量)", "increment": "新增(期内合计)",
           "unquantified": "无量化目标"}
BASIS_ZH = {"plan": "规划原文", "city_default": "沿用全市目标", "pro_rata": "按权重分解(示例)",
            "city_only": "全市整体目标", "override": "县级自定"}
COMPARATOR = {">=": "≥", "<=": "≤", "==": "", "": ""}
MISSING = "—"

# columns whose numbers are in the indicator's own unit
_VALUE_COLUMNS = {"baseline", "target", "latest", "current", "cumulative", "forecast", "pi80", "pi95"}


def _isnum(v) -> bool:
    try:
        return v is not None and not pd.isna(v) and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _written_decimals(text) -> int:
    """Decimals of a number as the plan writes it ("99.04" -> 2, "≥96" -> 0)."""
    m = re.search(r"\d+(?:\.(\d+))?", str(text or ""))
    return len(m.group(1)) if m and m.group(1) else 0


def indicator_decimals(catalogue: pd.DataFrame | None) -> dict[str, dict[str, int]]:
    """Decimals per indicator as the plan writes them: ``{"baseline": …, "target": …, "value": …}``.

    ``value`` (measured and forecast values) is the catalogue's ``decimals`` or the most the
    plan writes for baseline or target, at most 2.
    """
    if catalogue is None or not len(catalogue):
        return {}
    out = {}
    for _, r in catalogue.iterrows():
        d = int(r["decimals"]) if "decimals" in r and _isnum(r["decimals"]) else 0
        base = _written_decimals(r.get("baseline_text"))
        target = _written_decimals(r.get("target_text"))
        out[str(r["id"])] = {"baseline": base, "target": target, "value": min(max(d, base, target), 2)}
    return out


def _enough(v, decimals: int) -> int:
    """``decimals``, or more (up to 2) when the value has them (a county's pro-rata target)."""
    if not _isnum(v):
        return decimals
    for d in range(decimals, 3):
        if abs(round(float(v), d) - float(v)) < 1e-9:
            return d
    return 2


def format_number(v, decimals: int = 0) -> str:
    """``v`` with exactly ``decimals`` places ("-0" written as "0")."""
    if not _isnum(v):
        return MISSING
    text = f"{float(v):.{decimals}f}"
    return text[1:] if re.fullmatch(r"-0(\.0*)?", text) else text


def format_value(v, unit: str, decimals: int = 0, comparator: str = "", signed: bool = False) -> str:
    """A value in the indicator's unit: "%" written onto the number, a comparator in front."""
    if not _isnum(v):
        return MISSING
    text = format_number(v, decimals)
    if signed and float(v) > 0:
        text = "+" + text
    if unit == "%":
        text += "个百分点" if signed else "%"
    return COMPARATOR.get(str(comparator or ""), "") + text


def format_percent(p, decimals: int = 0) -> str:
    """A share or a probability (0.54) as a percentage ("54%")."""
    if not _isnum(p):
        return MISSING
    return f"{100 * float(p):.{decimals}f}%"


def _cell(row: pd.Series, column: str, plan: dict[str, int]) -> str:
    unit = str(row.get("unit", "") or "")
    kind = str(row.get("kind", "") or "")
    # baseline and target as the plan writes them; measured and forecast rates to 0.1 at least
    if column in ("baseline", "target"):
        decimals = _enough(row.get(column), plan.get(column, 0))
    else:
        decimals = plan.get("value", 0)
        decimals = max(decimals, 1) if unit == "%" else decimals
    if column == "current":
        v = row.get("cumulative") if kind == "increment" else row.get("latest")
        return format_value(v, unit, decimals)
    if column == "target":
        if kind == "unquantified":
            return "无量化目标"
        if not _isnum(row.get("target")):  # a city-wide target not shared out to this county
            return "本地区无分解目标"
        return format_value(row["target"], unit, decimals, row.get("comparator", ""))
    if column in ("pi80", "pi95"):
        lo, hi = row.get(f"{column}_low"), row.get(f"{column}_high")
        if not (_isnum(lo) and _isnum(hi)):
            return MISSING
        return f"{format_value(lo, unit, decimals)} ~ {format_value(hi, unit, decimals)}"
    if column in _VALUE_COLUMNS:
        return format_value(row.get(column), unit, decimals)
    if column in ("change_since_baseline", "avg_annual_change"):
        return format_value(row.get(column), unit, decimals, signed=True)
    if column in ("cagr", "cagr_required"):
        return format_percent(row.get(column), 2)
    if column == "p_attain":
        return format_percent(row.get(column))
    if column == "latest_year":
        return f"{int(row[column])}年" if _isnum(row.get(column)) else MISSING
    if column == "kind":
        return KIND_ZH.get(kind, kind)
    if column == "data_status":
        d = str(row.get(column, "") or "")
        return DATA_STATUS["zh"].get(d, d)  # one vocabulary: provisional is never called published
    if column == "target_basis":
        b = str(row.get(column, "") or "")
        return BASIS_ZH.get(b, b)
    v = row.get(column)
    return MISSING if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def table_frame(rows: pd.DataFrame, columns: Sequence[str], catalogue: pd.DataFrame | None = None,
                transpose: bool = False, headers: dict[str, str] | None = None) -> pd.DataFrame:
    """The formatted strings with Chinese headers (what :func:`table_view` styles);
    ``headers`` overrides some of :data:`HEADERS` (a shorter word where the context says it)."""
    names = {**HEADERS, **(headers or {})}
    unknown = [c for c in columns if c not in names]
    if unknown:
        raise KeyError(f"no Chinese header for column(s) {unknown}; known: {sorted(HEADERS)}")
    dec = indicator_decimals(catalogue)
    body = [[_cell(r, c, dec.get(str(r.get("indicator", "")), {})) for c in columns]
            for _, r in rows.iterrows()]
    frame = pd.DataFrame(body, columns=[names[c] for c in columns])
    if transpose:  # one row of the assessment as "项目 | 值" lines: fits beside a chart
        if len(frame) != 1:
            raise ValueError(f"transpose shows exactly one row, got {len(frame)}")
        frame = pd.DataFrame({"项目": frame.columns, "值": frame.iloc[0].to_list()})
    return frame


def table_view(rows: pd.DataFrame, columns: Sequence[str], catalogue: pd.DataFrame | None = None,
               transpose: bool = False, highlight: Iterable[int] = (), caption: str | None = None,
               headers: dict[str, str] | None = None):
    """A styled table for a notebook: Chinese headers, numbers as the plan writes them,
    the status cell marked in its colour, no index. ``highlight``: row positions in bold."""
    frame = table_frame(rows, columns, catalogue, transpose, headers)
    statuses = [str(s) for s in rows["status"]] if "status" in rows else []
    status_header = {**HEADERS, **(headers or {})}["status_zh"]
    bold = set(highlight)

    def mark(df: pd.DataFrame) -> pd.DataFrame:
        css = pd.DataFrame("", index=df.index, columns=df.columns)
        for i in range(len(df)):
            if i in bold:
                css.iloc[i, :] = "font-weight: bold; background: #fff4d6"
        if transpose and statuses and status_header in set(df["项目"]):
            i = int((df["项目"] == status_header).to_numpy().argmax())
            css.iloc[i, 1] += _swatch(statuses[0])
        elif status_header in df.columns:
            for i, s in enumerate(statuses[:len(df)]):
                css.iloc[i, df.columns.get_loc(status_header)] += _swatch(s)
        return css

    # plan and delivered text is text: "<b>" in a name shows as typed, never as markup
    styler = frame.style.format(escape="html").hide(axis="index").apply(mark, axis=None)
    if transpose:
        styler = styler.hide(axis="columns")
    if caption:
        styler = styler.set_caption(html.escape(caption))
    return styler.set_table_attributes('class="qa-table"')


def detail_view(d, catalogue: pd.DataFrame | None = None, caption: str | None = None):
    """A regression detail (:class:`qanalysis.analysis.detail.Detail`) as "项目 | 值" lines.

    The statistics (slope, R², Durbin–Watson, Cook's distance …) are ``d.table``'s own
    words; the forecast, its intervals and the target are rewritten as the assessment
    tables write them (the indicator's decimals, "%" on the number, "~" between the
    ends), so the two tables of the explorer read the same.
    """
    dec = indicator_decimals(catalogue).get(str(d.indicator), {})
    unit = str(d.unit or "")
    decimals = max(dec.get("value", 0), 1) if unit == "%" else dec.get("value", 0)

    def value(v) -> str:
        return format_value(v, unit, decimals)

    def interval(lo_hi) -> str | None:
        lo, hi = lo_hi
        return f"{value(lo)} ~ {value(hi)}" if _isnum(lo) and _isnum(hi) else None

    frame = d.table.copy()
    rewrite = {"95%预测区间": interval(d.pi95), "80%预测区间": interval(d.pi80),
               "目标": format_value(d.target, unit, _enough(d.target, dec.get("target", 0)), d.comparator)}
    for item in frame.index:
        text = rewrite.get(item)
        if str(item).startswith(f"{d.target_year}年预测"):
            text = value(d.forecast)
        if text is not None and text != MISSING:
            frame.loc[item, frame.columns[0]] = text
    frame = frame.reset_index()
    frame.columns = ["项目", "值"]
    styler = frame.style.format(escape="html").hide(axis="index").hide(axis="columns")
    if caption:
        styler = styler.set_caption(html.escape(caption))
    return styler.set_table_attributes('class="qa-table qa-detail"')


def _swatch(status: str) -> str:
    s = STATUSES.get(status)
    return f"; border-left: 0.8em solid {s.colour}; padding-left: 0.5em" if s else ""
