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
import os
import re
import stat
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


MAX_FILE_BYTES = 64 * 2 ** 20          # a CSV or .xlsx file on disk
MAX_UNCOMPRESSED_BYTES = 256 * 2 ** 20  # the parts of an .xlsx, unpacked (a zip bomb stops here)
MAX_CELLS = 2_000_000                   # cells of a workbook, all sheets (a 100 000-row table is 700 000)


def check_regular(path: Path) -> None:
    """Only a regular file is read: not a FIFO (would hang), a device (/dev/zero) or an oversized file."""
    try:
        st = os.stat(path)  # follows links: a link to /dev/zero is a device
    except OSError as e:
        raise FormatProblem("unreadable", f"the file cannot be read: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else
                "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else
                "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise FormatProblem("not_a_file", f"this is {kind}, not a regular file; give the .csv/.xlsx file itself")
    if st.st_size > MAX_FILE_BYTES:
        raise FormatProblem("too_large", f"the file is {st.st_size / 2 ** 20:.0f} MB; files over "
                            f"{MAX_FILE_BYTES // 2 ** 20} MB are not read — split it into several deliveries")


def load_csv(path: Path) -> list[Sheet]:
    check_regular(path)
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise FormatProblem("too_large", f"the file is over {MAX_FILE_BYTES // 2 ** 20} MB; split it")
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
    cells, so those are read from the sheet XML's <mergeCell ref=…> list.
    Before openpyxl parses anything the zip's own directory is checked: unpacked
    over :data:`MAX_UNCOMPRESSED_BYTES` (or packed suspiciously tight) is refused at
    once, and reading stops at :data:`MAX_CELLS` cells."""
    check_regular(path)
    _check_zip(path)
    try:
        sheets, merged = _openpyxl_sheets(path), _merged_ranges(path)
    except FormatProblem:
        raise
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


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise FormatProblem("corrupt_file", f"the Excel file cannot be opened ({type(e).__name__}: {e}); it is "
                            "corrupt or not really .xlsx — open it in Excel/WPS and save it again as .xlsx") from None
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES or len(infos) > 10_000:
        raise FormatProblem("too_large", f"the workbook unpacks to {total / 2 ** 20:.0f} MB in {len(infos)} parts; "
                            f"workbooks over {MAX_UNCOMPRESSED_BYTES // 2 ** 20} MB unpacked are not read (a "
                            "damaged or crafted file?) — save the data as CSV or split it")


class _Cells:
    """Counts the cells read across a workbook's sheets; refuses beyond :data:`MAX_CELLS`."""

    def __init__(self):
        self.n = 0

    def rows(self, ws):
        for row in ws.iter_rows(values_only=True):
            self.n += len(row)
            if self.n > MAX_CELLS:
                raise FormatProblem("too_large", f"the workbook holds over {MAX_CELLS:,} cells; it is not read "
                                    "— save the data as CSV or split it into several files")
            yield tuple(row)


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
        counter = _Cells()
        for ws in wb.worksheets:
            grid = _sheet_grid(ws, counter)
            formulas = None
            if any(_is_formula(v) for row in grid for v in row):
                if cached is None:
                    cached = openpyxl.load_workbook(path, read_only=True, data_only=True)
                formulas = [tuple(_formula_text(v) for v in row) for row in grid]
                grid = _sheet_grid(cached[ws.title], counter)
            out.append((ws.title, grid, formulas))
        wb.close()
        if cached is not None:
            cached.close()
    return out


def _sheet_grid(ws, counter: "_Cells") -> list[tuple]:
    """Every row of a read-only sheet from row 1 (gaps as empty rows), whatever its stored dimension."""
    ws.reset_dimensions()  # some writers store a wrong sheet size; read what is there
    return list(counter.rows(ws))


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
            refs = _merge_refs(z, part)
            if refs:
                out[sh.get("name")] = [CellRange(ref.decode()) for ref in refs]
    return out


def _merge_refs(z: zipfile.ZipFile, part: str) -> list[bytes]:
    """The <mergeCell ref=…> of one sheet part, read in 1 MB pieces (never the whole XML at once)."""
    refs, tail = [], b""
    with z.open(part) as fh:
        while chunk := fh.read(2 ** 20):
            buf = tail + chunk
            cut = max(0, buf.rfind(b"<"))  # a tag cut in two is read with the next piece
            refs += _MERGE_RE.findall(buf[:cut])
            tail = buf[cut:]
            if len(tail) > 4096:
                tail = b""
    return refs + _MERGE_RE.findall(tail)


def _is_formula(v) -> bool:
    return (isinstance(v, str) and v.startswith("=")) or type(v).__name__ in ("ArrayFormula", "DataTableFormula")


def _formula_text(v):
    if isinstance(v, str) and v.startswith("="):
        return v
    if type(v).__name__ == "ArrayFormula":
        return getattr(v, "text", "=…")
    return None
