"""The final evaluation as an Excel workbook: a 说明 sheet (title, as-of date, summary, band),
one 表1-shaped sheet per region, and the long table. No cell is ever a formula: text
beginning with = + - @ is written as a string cell (openpyxl would read it as a formula)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Alignment, Font

from .. import atomic
from . import evaluation_text as et


def _put(ws, row: int, col: int, value) -> None:
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or value is pd.NA:
        value = None
    elif isinstance(value, (np.integer,)):
        value = int(value)
    elif isinstance(value, (np.floating,)):
        value = float(value)
    elif isinstance(value, (np.bool_,)):
        value = bool(value)
    cell = ws.cell(row=row, column=col, value=None if et.is_formula_like(value) else value)
    if et.is_formula_like(value):
        cell._value, cell.data_type = str(value), TYPE_STRING  # text, never a formula
    if isinstance(value, str) and len(value) > 20:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _frame(ws, df: pd.DataFrame, start: int) -> None:
    for j, h in enumerate(df.columns, 1):
        _put(ws, start, j, str(h))
        ws.cell(row=start, column=j).font = Font(bold=True)
    for i, values in enumerate(df.itertuples(index=False), start + 1):
        for j, v in enumerate(values, 1):
            _put(ws, i, j, v)


def write(ev, path: Path, regions=None) -> Path:
    regions = list(dict.fromkeys(ev.table["region"])) if regions is None else [str(r) for r in regions]
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "说明"
    lines = [ev.title(), f"评估基准日：{ev.as_of.isoformat()}" + ("" if ev.period_over else
             f"（规划期尚未结束：{ev.target_year}年结果为当前实测，非终期结论）"),
             et.band_text(ev.band), "完成率＝完成项数÷有完成值的指标数。"]
    if ev.table["illustrative"].any():
        lines.append("含示例数据（种子生成器生成，非公开发布值），见“数据性质”列。")
    for r in regions:
        rows = ev.rows(r)
        if len(rows):
            lines.append(f"{rows['region_name'].iloc[0]}：{ev.summary_sentence(r)}")
    for i, line in enumerate(lines, 1):
        _put(info, i, 1, line)
    info.column_dimensions["A"].width = 120
    for r in regions:
        rows = ev.rows(r)
        if not len(rows):
            continue
        ws = wb.create_sheet(f"{r} {rows['region_name'].iloc[0]}"[:31])
        _put(ws, 1, 1, f"{rows['region_name'].iloc[0]}：{ev.summary_sentence(r)}")
        _frame(ws, ev.completion_table(r), 3)
        for col, w in zip("ABCDEFGHIJK", (12, 34, 10, 10, 12, 22, 14, 20, 10, 16, 50)):
            ws.column_dimensions[col].width = w
        ws.freeze_panes = "A4"
    long = wb.create_sheet("明细")
    # the trend estimate is no verdict: it stays out of the long table, in its own labelled annex
    cols = [c for c in ev.table.columns if c not in ("sentence_zh", "trend_estimate")] + ["sentence_zh"]
    t = ev.table[ev.table["region"].isin(regions)][cols]
    _frame(long, t.astype(object).where(t.notna(), None), 1)
    long.auto_filter.ref = long.dimensions
    long.freeze_panes = "A2"
    annex = et.trend_annex(ev.table[ev.table["region"].isin(regions)])
    if len(annex):
        ws = wb.create_sheet("附表 趋势估计")
        _put(ws, 1, 1, "附表：趋势估计（按历年数据的趋势外推（各行所用模型见评估明细），仅供参考，不是评估结论；完成情况以实际完成值为准）")
        _frame(ws, annex, 3)
    atomic.write_with(path, lambda p: wb.save(p))
    return path
