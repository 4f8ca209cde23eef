"""Input file formats as a table: suffix → loader returning a common grid of cells.

Every loader turns a file into :class:`Sheet` objects (a name, rows of cell
values, the formula text of each cell when there are formulas, merged ranges),
or raises :class:`FormatProblem` with a reason a person can act on. The readers
and ``qanalysis validate`` both take the list of formats from :data:`FORMATS`:
a new format is one loader and one row here.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


class FormatProblem(Exception):
    """The file cannot be read as its format: ``code`` and ``reason`` become a Problem."""

    def __init__(self, code: str, reason: str, row: int | None = None):
        super().__init__(reason)
        self.code, self.reason, self.row = code, reason, row


@dataclass
class Sheet:
    name: str | None                      # None for a file without sheets (CSV)
    grid: list[tuple]                     # rows of cell values, from row 1
    formulas: list[tuple] | None = None   # the formula text of each cell, when the sheet has any
    merged: list = field(default_factory=list)  # merged ranges (openpyxl CellRange)


def load_csv(path: Path) -> list[Sheet]:
    data = path.read_bytes()
    if not data.strip().strip(b"\xef\xbb\xbf").strip():
        raise FormatProblem("empty_file", "the file is empty")
    text, why, line = _decode(data)
    if text is None:
        raise FormatProblem("bad_encoding", why, row=line)
    try:
        grid = _csv_grid(text)
    except csv.Error as e:
        raise FormatProblem("bad_csv", f"the file is not a readable CSV table: {e}") from None
    return [Sheet(None, grid)]


def load_excel(path: Path) -> list[Sheet]:
    """Values are what Excel saved (for a formula, its cached result or None).
    openpyxl's read-only mode is used for speed; it does not report merged
    cells, so those are read from the sheet XML's <mergeCell ref=…> list."""
    try:
        sheets, merged = _openpyxl_sheets(path), _merged_ranges(path)
    except Exception as e:  # zip, XML and openpyxl errors alike: the file is broken
        raise FormatProblem("corrupt_file", f"the Excel file cannot be opened ({type(e).__name__}: {e}); it is "
                            "corrupt or not really .xlsx — open it in Excel/WPS and save it again as .xlsx") from None
    return [Sheet(name, grid, formulas, merged.get(name, [])) for name, grid, formulas in sheets]


@dataclass(frozen=True)
class Format:
    label: str
    load: Callable[[Path], list[Sheet]] | None  # None: recognised, and refused with ``refuse``
    workbook: bool = False  # several sheets, among them the template's wide ones
    refuse: str = ""


_EXCEL = Format("Excel workbook", load_excel, workbook=True)
FORMATS: dict[str, Format] = {
    ".csv": Format("CSV (UTF-8 or GBK)", load_csv),
    ".xlsx": _EXCEL,
    ".xlsm": _EXCEL,
    ".xls": Format("Excel 97–2003", None, refuse=(
        "the old Excel 97–2003 format (.xls) is not supported; open it in Excel/WPS and save it "
        "as .xlsx (Excel 工作簿)")),
}
INPUT_SUFFIXES = tuple(FORMATS)  # .xls only to say it must be converted


def unsupported(suffix: str) -> str:
    return (f"files of type {suffix or '(no extension)'!r} are not read; give a .csv (UTF-8 or GBK) or "
            ".xlsx file — a long table or the sheet written by `qanalysis template`")


def _decode(data: bytes) -> tuple[str | None, str, int]:
    """Text of a CSV: UTF-8 (with or without BOM), else GB18030; or (None, reason, line)."""
    try:
        return data.decode("utf-8-sig"), "", 0
    except UnicodeDecodeError as e:
        u8 = e
    prefix = data[:u8.start]
    # A UTF-8 file with one bad byte, not a GBK file: the text before the bad byte
    # held real UTF-8 Chinese (3-byte sequences). Two-byte look-alikes do not count:
    # GBK 鹿 (c2 b9) is also valid UTF-8 (¹), so "any non-ASCII byte" misjudged GBK files.
    looks_utf8 = re.search(rb"[\xe3-\xe9][\x80-\xbf]{2}", prefix) is not None
    if not looks_utf8:
        try:
            return data.decode("gb18030"), "", 0
        except UnicodeDecodeError as e:
            u8 = e if e.start > u8.start else u8
    line = data[:u8.start].count(b"\n") + 1
    snippet = data[u8.start:u8.start + 4].hex(" ")
    return None, (f"the file cannot be decoded as text: byte offset {u8.start} (line {line}) holds the bytes "
                  f"{snippet}, which are neither UTF-8 nor GB18030/GBK; save the file again as "
                  "\"CSV UTF-8\" (Excel: 另存为 → CSV UTF-8)"), line


def _csv_grid(text: str) -> list[tuple]:
    first = text.split("\n", 1)[0]
    delim = "\t" if first.count("\t") > first.count(",") else ","
    return [tuple(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim)]


def _openpyxl_sheets(path: Path):
    # stdlib, needed only on this path
    import warnings

    # openpyxl only when a workbook is read or written (start-up speed)
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl chatters about data validation / styles
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
        cached = None
        out = []
        for ws in wb.worksheets:
            grid = _sheet_grid(ws)
            formulas = None
            if any(_is_formula(v) for row in grid for v in row):
                if cached is None:
                    cached = openpyxl.load_workbook(path, read_only=True, data_only=True)
                formulas = [tuple(_formula_text(v) for v in row) for row in grid]
                grid = _sheet_grid(cached[ws.title])
            out.append((ws.title, grid, formulas))
        wb.close()
        if cached is not None:
            cached.close()
    return out


def _sheet_grid(ws) -> list[tuple]:
    """Every row of a read-only sheet from row 1 (gaps as empty rows), whatever its stored dimension."""
    ws.reset_dimensions()  # some writers store a wrong sheet size; read what is there
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')


def _merged_ranges(path: Path) -> dict[str, list]:
    """Sheet name → merged ranges, read from the workbook XML (read-only mode does not give them)."""
    # stdlib, needed only on this path
    import xml.etree.ElementTree as ET
    from posixpath import join, normpath

    # openpyxl only when a workbook is read or written (start-up speed)
    from openpyxl.worksheet.cell_range import CellRange

    out: dict[str, list] = {}
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        wbx = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = {rel.get("Id"): rel.get("Target") for rel in rels}
        for sh in wbx.iter():
            if not sh.tag.endswith("}sheet"):
                continue
            rid = next((v for k, v in sh.attrib.items() if k.endswith("}id")), None)
            t = target.get(rid or "")
            if not t:
                continue
            part = t.lstrip("/") if t.startswith("/") else normpath(join("xl", t))
            if part not in names:
                continue
            refs = _MERGE_RE.findall(z.read(part))
            if refs:
                out[sh.get("name")] = [CellRange(ref.decode()) for ref in refs]
    return out


def _is_formula(v) -> bool:
    return (isinstance(v, str) and v.startswith("=")) or type(v).__name__ in ("ArrayFormula", "DataTableFormula")


def _formula_text(v):
    if isinstance(v, str) and v.startswith("="):
        return v
    if type(v).__name__ == "ArrayFormula":
        return getattr(v, "text", "=…")
    return None
