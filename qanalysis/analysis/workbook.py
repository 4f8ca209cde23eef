"""The assessment as an Excel workbook: the table (labels from :mod:`qanalysis.vocab`) and a notes sheet."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import atomic, vocab
from ..data.series_source import delivery_notes


def write_workbook(assessment, path, lang: str = "zh") -> Path:
    """``assessment.table`` as .xlsx (Chinese headers when lang="zh"), autofilter, frozen header; atomic."""
    path = Path(path)
    table = assessment.table.copy()
    notes = _notes(assessment, lang)
    if lang == "zh":
        table["kind"] = table["kind"].map(vocab.KIND["zh"]).fillna(table["kind"])
        table["data_status"] = table["data_status"].map(vocab.DATA_STATUS["zh"]).fillna(table["data_status"])
        table["data_basis"] = table["data_basis"].map(vocab.DATA_BASIS["zh"]).fillna(table["data_basis"])
        table["model"] = table["model"].map(vocab.MODEL["zh"]).fillna(table["model"])
        codes = [c for c in table.columns if c != "data_source_en"]  # one source column, in the sheet's language
        table = table[codes].rename(columns=vocab.ASSESSMENT_HEADERS_ZH)
        sheet, note_sheet = "评估结果", "说明"
    else:
        codes = [c for c in table.columns if c != "data_source"]
        table = table[codes].rename(columns={"data_source_en": "data_source"})
        sheet, note_sheet = "assessment", "notes"
    for c in table.columns:  # openpyxl cannot write pandas' NA
        if table[c].dtype.name in ("Int64", "boolean", "string"):
            table[c] = table[c].astype(object).where(table[c].notna(), None)

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            table.to_excel(xw, sheet_name=sheet, index=False)
            ws = xw.sheets[sheet]
            ws.auto_filter.ref = ws.dimensions
            ws.freeze_panes = "A2"
            _format_sheet(ws, list(table.columns), codes)
            pd.DataFrame({"": notes}).to_excel(xw, sheet_name=note_sheet, index=False, header=False)
            for ws in xw.sheets.values():
                as_text(ws)

    atomic.write_with(path, write)
    return path




def as_text(ws) -> None:
    """No cell is a formula: openpyxl takes any text beginning with "=" ("==" the keep-at comparator,
    a hostile "=HYPERLINK(…)" in a source) for one; the data are text, so they are stored as text."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


PERCENT_COLUMNS = {"p_attain", "time_elapsed_share", "distance_covered_share", "cagr", "cagr_required"}


def _format_sheet(ws, headers: list[str], codes: list[str]) -> None:
    """Readable widths, shares as percentages (the cells keep their exact values)."""
    # openpyxl only when a workbook is read or written (start-up speed)
    from openpyxl.utils import get_column_letter

    for j, (head, code) in enumerate(zip(headers, codes), start=1):
        letter = get_column_letter(j)
        wide = code in ("name_zh", "name_en", "status_reason", "status_reason_en", "data_source", "data_source_en")
        ws.column_dimensions[letter].width = 40 if wide else max(10, min(24, len(str(head)) * 2 + 2))
        if code in PERCENT_COLUMNS:
            fmt = "0.00%" if code.startswith("cagr") else "0%"
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = fmt


def _notes(a, lang: str) -> list[str]:
    t = a.table
    n_ill = int(t["has_illustrative"].sum())
    if lang == "zh":
        lines = [f"模型：{vocab.MODEL['zh'].get(a.model, a.model)}；达标概率按 t 分布预测区间计算；方法见 docs/methods.md。"]
        if n_ill:
            lines.insert(0, f"注意：{n_ill} 个序列含示例数据(illustrative，非公开发布数据)，仅用于演示方法，不代表实际情况。")
    else:
        lines = [f"Model: {a.model}; P(attain) from the t prediction interval; methods in docs/methods.md."]
        if n_ill:
            lines.insert(0, f"Note: {n_ill} series contain illustrative (not published) values: "
                            "they show the method, not the facts.")
    return lines + delivery_notes(a.data, lang, fit_first_year=a.data.plan.fit_first_year)
