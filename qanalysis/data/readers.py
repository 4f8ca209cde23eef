"""Read yearly observations from the files analysts deliver.

Two shapes, detected from the header:

* **long**: one row an observation, columns region, indicator, year, value
  [, status, source, note] (English or Chinese names), as CSV or Excel;
* **wide**: the sheet ``qanalysis template`` writes — indicators × years, one
  sheet a region (sheet name ``"330302 鹿城区"``).

Regions may be codes or Chinese names, indicators ids or any wording in the
catalogue. Everything that cannot be read becomes a :class:`Problem` naming
file, sheet, row/cell and column; the returned rows are the ones that parsed.
Checks across rows (bounds, duplicates, year range …) are in ``validate.py``;
file formats (suffix → loader) in ``formats.py``; single cells in ``cells.py``.
"""
from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from ..dataset import OBSERVATION_COLUMNS, Dataset
from ..errors import Problem
from .cells import (_LONG_INDEX, _WIDE_INDEX, COLUMN_ZH, NOTE_SHEETS, IndicatorResolver,
                    RegionResolver, _col_letter, _formula_reason, _is_blank, _norm_header, _not_number_reason,
                    _status_reason, _text, bad_text, clean_grid, parse_number, parse_status, parse_year)
from .formats import FORMATS, FormatProblem, Sheet, unsupported

# region, indicator, year, value, status, source, note ("delivery" is set when a file is kept, not read)
LONG_COLUMNS = tuple(c for c in OBSERVATION_COLUMNS if c != "delivery")
REQUIRED_COLUMNS = ("region", "indicator", "year", "value")
ORIGIN_COLUMNS = {"_file": "string", "_sheet": "string", "_row": "int64", "_cell": "string"}
READ_COLUMNS = {**{c: OBSERVATION_COLUMNS[c] for c in LONG_COLUMNS}, **ORIGIN_COLUMNS}
HEADER_SCAN_ROWS = 30  # a header further down than this is not looked for

# --------------------------------------------------------------------------- the file level
class _Reader:
    """Collects rows and problems for one file."""

    def __init__(self, path: Path, plan_data: Dataset):
        self.path = path
        self.file = str(path)
        self.data = plan_data
        self.regions = RegionResolver(plan_data.regions)
        self.indicators = IndicatorResolver(plan_data.catalogue)
        self.units = dict(zip(plan_data.catalogue["id"].astype(str), plan_data.catalogue["unit"].astype(str)))
        self.problems: list[Problem] = []
        self.frames: list[pd.DataFrame] = []

    def problem(self, reason, code, *, sheet=None, row=None, cell=None, column=None, severity="error"):
        self.problems.append(Problem(file=self.file, reason=reason, row=row, column=column, sheet=sheet,
                                     cell=cell, severity=severity, code=code))

    # ---- header detection
    def find_header(self, grid: list[tuple], sheet: str | None, allow_wide: bool):
        """Return ("long"|"wide"|None, header row index (0-based), column map)."""
        best = None  # (score, index, hits, unknown cells) for a header that is not complete
        for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
            cells = [_norm_header(c) for c in row]
            hits: dict[str, tuple[int, int]] = {}
            for j, c in enumerate(cells):
                if c in _LONG_INDEX:
                    canon, rank = _LONG_INDEX[c]
                    if canon not in hits or rank < hits[canon][1]:
                        hits[canon] = (j, rank)
            if all(k in hits for k in REQUIRED_COLUMNS):
                return "long", i, {k: v[0] for k, v in hits.items()}
            if allow_wide and "year" not in hits:
                wide = self._wide_columns(row)
                if wide is not None:
                    return "wide", i, wide
            near = [(j, c) for j, c in enumerate(cells) if c and c not in _LONG_INDEX and _suggest(c)]
            score = len(hits) + len(near)
            if score >= 2 and (best is None or score > best[0]):
                best = (score, i, hits, near)
        if best is None:
            return None, -1, {}
        self._report_bad_header(grid, sheet, *best[1:])
        return "bad", best[1], {}

    def _wide_columns(self, row: tuple) -> dict | None:
        fixed: dict[str, int] = {}
        years: dict[int, int] = {}
        other: list[int] = []
        for j, c in enumerate(row):
            h = _norm_header(c)
            if not h:
                continue
            if h in _WIDE_INDEX:
                fixed.setdefault(_WIDE_INDEX[h][0], j)
                continue
            y = parse_year(c)
            if y is not None and 1900 <= y <= 2100:
                years[j] = y
            else:
                other.append(j)
        has_key = "id" in fixed or "name" in fixed
        if has_key and (years or len(fixed) >= 3):
            return {"fixed": fixed, "years": years, "other": other}
        return None

    def _report_bad_header(self, grid, sheet, i, hits, near):
        row = grid[i]
        have = [k for k in LONG_COLUMNS if k in hits]
        suggested = set()
        for j, c in near:
            canon, alias = _suggest(c)
            if canon in hits:
                continue
            suggested.add(canon)
            self.problem(
                f"column {_text(row[j])!r} is not a known column name; did you mean {alias!r} "
                f"({canon} / {COLUMN_ZH[canon]})? Rename the header cell.",
                "misnamed_column", sheet=sheet, row=i + 1, column=_text(row[j]),
                cell=_col_letter(j) + str(i + 1) if sheet is not None else None)
        for k in REQUIRED_COLUMNS:
            if k not in hits and k not in suggested:
                self.problem(
                    f"required column {k!r} ({COLUMN_ZH[k]}) is missing; the header row (row {i + 1}) "
                    f"has {', '.join(have) or 'no known column'}. A long table needs the columns "
                    "region, indicator, year, value (地区, 指标, 年份, 数值) [status, source, note]",
                    "missing_column", sheet=sheet, row=i + 1, column=k)

    def no_header(self, sheet, severity="error"):
        self.problem(
            f"no header row found in the first {HEADER_SCAN_ROWS} rows; a long table needs the columns "
            "region, indicator, year, value (地区, 指标, 年份, 数值) [status, source, note]; or use the "
            "wide sheet written by `qanalysis template`"
            + ("; this sheet was skipped" if severity == "warning" else ""),
            "no_header", sheet=sheet, severity=severity)

    def drop_uncached_formulas(self, grid, formulas, hdr, sheet):
        """Report formula cells without a saved result; their rows are not read."""
        out = list(grid)
        for i in range(hdr + 1, len(grid)):
            for j, f in enumerate(formulas[i]):
                if f is not None and j < len(grid[i]) and grid[i][j] is None:
                    head = _text(grid[hdr][j]) if j < len(grid[hdr]) else ""
                    self.problem(_formula_reason(f), "formula_no_value", sheet=sheet, row=i + 1,
                                 cell=f"{_col_letter(j)}{i + 1}", column=head or None)
                    out[i] = (None,) * len(grid[i])
        return out

    # ---- long table
    def read_long(self, grid, hdr: int, colmap: dict, sheet: str | None):
        if hdr > 0:
            self.problem(
                f"the header was found on row {hdr + 1}, not row 1; the {hdr} row(s) above it (titles) "
                f"were skipped and the rows below read. To silence this, delete the rows above the header.",
                "shifted_header", sheet=sheet, row=hdr + 1, severity="warning")
        body = grid[hdr + 1:]
        if not body:
            self.problem("the header is there but no data rows follow it", "no_data",
                         sheet=sheet, row=hdr + 1, severity="warning")
            return
        width = max(colmap.values()) + 1
        rows = [tuple(r[:width]) + (None,) * (width - len(r)) if len(r) < width else r[:width] for r in body]
        df = pd.DataFrame(rows, columns=range(width), dtype=object)
        cols = {k: df[j] if k in colmap else pd.Series(None, index=df.index, dtype=object)
                for k, j in ((k, colmap.get(k)) for k in LONG_COLUMNS)}
        raw = pd.DataFrame(cols)
        raw["_row"] = np.arange(len(raw)) + hdr + 2
        filled = raw[list(LONG_COLUMNS)].map(lambda x: not _is_blank(x)).any(axis=1)
        raw = raw[filled]  # totally empty rows (a trailing one, a gap) are ignored silently
        if raw.empty:
            if not any(p.sheet == sheet for p in self.problems):
                self.problem("the header is there but no data rows follow it", "no_data",
                             sheet=sheet, row=hdr + 1, severity="warning")
            return
        self._rows_to_frame(raw, sheet, colmap, cells=None)

    def _rows_to_frame(self, raw: pd.DataFrame, sheet, colmap, cells):
        """Resolve and parse the raw cells of a long table, vectorized over unique values."""
        n = len(raw)
        ok = np.ones(n, dtype=bool)
        rownum = raw["_row"].to_numpy()

        def bad(mask, col, code_reason):
            for k in np.flatnonzero(mask):
                code, reason = code_reason(k)
                sev = "error"
                if isinstance(code, tuple):
                    code, sev = code
                self.problem(reason, code, sheet=sheet, row=int(rownum[k]), column=col, severity=sev)

        # region / indicator: resolve each distinct value once
        def resolve(series, resolver, col):
            keys = series.map(_text)
            table = {k: resolver.resolve(k) for k in pd.unique(keys)}
            res = keys.map(lambda k: table[k][0])
            miss = res.isna().to_numpy()
            bad(miss, col, lambda k: table[keys.iat[k]][1:])
            return res, miss

        region, miss_r = resolve(raw["region"], self.regions, "region")
        indicator, miss_i = resolve(raw["indicator"], self.indicators, "indicator")
        ok &= ~miss_r & ~miss_i

        # year
        yraw = raw["year"]
        ytable = {k: parse_year(v) for k, v in zip(yraw.map(_text), yraw)}
        year = yraw.map(_text).map(ytable)
        miss_y = year.isna().to_numpy()

        def year_reason(k):
            t = _text(yraw.iat[k])
            if not t:
                return "bad_year", "the year is empty; enter a four-digit year such as 2021"
            return "bad_year", f"year {t!r} is not a whole year; enter a four-digit year such as 2021 (年份)"
        bad(miss_y, "year", year_reason)
        ok &= ~miss_y

        # status
        sraw = raw["status"]
        stable = {k: parse_status(k) for k in pd.unique(sraw.map(_text))}
        status = sraw.map(_text).map(stable)
        miss_s = status.isna().to_numpy()
        bad(miss_s, "status", lambda k: ("unknown_status", _status_reason(sraw.iat[k])))
        ok &= ~miss_s

        # value: numbers straight through, text parsed once per distinct string
        vraw = raw["value"]
        vals = vraw.to_numpy(dtype=object)
        value = np.full(n, np.nan)
        is_num = np.fromiter((isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)
                              for x in vals), dtype=bool, count=n)
        value[is_num] = vals[is_num].astype(float)
        blank = np.fromiter((_is_blank(x) for x in vals), dtype=bool, count=n) | (is_num & np.isnan(value))
        is_str = ~is_num & ~blank
        if is_str.any():  # plain decimal text converts in one go; the rest one by one below
            value[is_str] = pd.to_numeric(pd.Series([None if isinstance(x, (bool, np.bool_)) else x  # not 1/0
                                                     for x in vals[is_str]], dtype=object), errors="coerce").to_numpy(
                dtype=float, na_value=np.nan)
            value[is_str & np.isinf(value)] = np.nan  # "1e400" is not a value anyone meant
        pct = np.zeros(n, dtype=bool)
        textual = np.flatnonzero(np.isnan(value) & is_str)
        notnum = np.zeros(n, dtype=bool)
        units = indicator.map(lambda i: self.units.get(i, "") if isinstance(i, str) else "").to_numpy()
        for k in textual:
            v, p = parse_number(vraw.iat[k])
            if v is None:
                notnum[k] = True
            else:
                value[k], pct[k] = v, p
        bad(notnum, "value", lambda k: ("not_a_number", _not_number_reason(vraw.iat[k])))
        wrong_pct = pct & ~notnum & np.array([u not in ("%", "％", "") for u in units]) & ~(miss_i)
        bad(wrong_pct, "value", lambda k: (
            "unexpected_percent",
            f"value {_text(vraw.iat[k])!r} has a % sign but the unit of "
            f"{self.indicators.names.get(indicator.iat[k], '')} is {units[k]!r}; enter the number in {units[k]}"))
        published = (status == "published").to_numpy()
        bad(blank & published, "value", lambda k: (
            "missing_value", "the value is empty but the status says published (已发布); enter the value "
                             "or change the status"))
        bad(blank & ~published & ~miss_s, "value", lambda k: (
            ("missing_value", "warning"), "the value is empty; the row was skipped"))
        ok &= ~notnum & ~wrong_pct & ~blank

        out = pd.DataFrame({
            "region": region, "indicator": indicator, "year": year, "value": value,
            "status": status, "source": raw["source"].map(_text), "note": raw["note"].map(_text),
            "_file": self.file, "_sheet": sheet or "", "_row": raw["_row"],
            "_cell": "" if cells is None else cells,
        })
        out = out[ok]
        if len(out):
            self.frames.append(out)

    # ---- wide sheet
    def read_wide(self, grid, formulas, hdr: int, cols: dict, sheet: str):
        code, pcode, reason = self.regions.resolve(sheet)
        if code is None:
            self.problem(
                f"sheet name {sheet!r} is not a region: {reason}. Name each sheet '<code> <name>' as the "
                f"template does, e.g. '{self.regions.label(self.regions.example)}'; "
                "this sheet was not read",
                "unknown_sheet_region", sheet=sheet)
            return
        header = grid[hdr]
        fixed, years = cols["fixed"], dict(cols["years"])
        for j in cols["other"]:
            self.problem(
                f"column header {_text(header[j])!r} is not a year; year columns must be headed by a "
                "four-digit year such as 2021; this column was not read",
                "bad_year_header", sheet=sheet, cell=f"{_col_letter(j)}{hdr + 1}", column=_text(header[j]))
        seen_year: dict[int, int] = {}
        for j, y in sorted(years.items()):
            if y in seen_year:
                self.problem(f"year {y} is a column header twice (columns {_col_letter(seen_year[y])} and "
                             f"{_col_letter(j)}); the second was not read", "duplicate_year_column",
                             sheet=sheet, cell=f"{_col_letter(j)}{hdr + 1}", column=str(y))
                del years[j]
            else:
                seen_year[y] = j
        recs = []
        seen_ind: dict[str, int] = {}
        for i in range(hdr + 1, len(grid)):
            row = grid[i]
            r1 = i + 1
            if all(_is_blank(x) for x in row):
                continue

            def cell(key):
                j = fixed.get(key)
                return row[j] if j is not None and j < len(row) else None

            ind = None
            id_raw, name_raw = cell("id"), cell("name")
            if not _is_blank(id_raw):
                ind, pc, why = self.indicators.resolve(id_raw)
                col = "id"
            if ind is None and not _is_blank(name_raw):
                ind2, pc2, why2 = self.indicators.resolve(name_raw)
                if ind2 is not None:
                    ind = ind2
                elif _is_blank(id_raw):
                    pc, why, col = pc2, why2, "name"
            if ind is None and _is_blank(id_raw) and _is_blank(name_raw):
                if all(_is_blank(row[j]) for j in years if j < len(row)):
                    continue  # a note line under the table
                pc, why, col = "missing_indicator", "the row has values but no indicator code (指标代码) or name", "id"
            if ind is None:
                j = fixed.get(col, fixed.get("id", 0))
                self.problem(why, pc, sheet=sheet, cell=f"{_col_letter(j)}{r1}",
                             column=_text(header[j]) if j < len(header) else col, row=r1)
                continue
            if ind in seen_ind:
                self.problem(
                    f"indicator {ind} ({self.indicators.names[ind]}) has a second row here; its first row is "
                    f"row {seen_ind[ind]}. Keep one row per indicator; this row was not read",
                    "duplicate_indicator_row", sheet=sheet, row=r1,
                    cell=f"{_col_letter(fixed.get('id', 0))}{r1}")
                continue
            seen_ind[ind] = r1
            st_raw = cell("status")
            status = parse_status(st_raw)
            if status is None:
                j = fixed["status"]
                self.problem(_status_reason(st_raw), "unknown_status", sheet=sheet, row=r1,
                             cell=f"{_col_letter(j)}{r1}", column=_text(header[j]))
                continue
            source, note = _text(cell("source")), _text(cell("note"))
            unit = self.units.get(ind, "")
            for j, y in years.items():
                v = row[j] if j < len(row) else None
                ref = f"{_col_letter(j)}{r1}"
                f = formulas[i][j] if formulas is not None and j < len(formulas[i]) else None
                if f is not None and v is None:
                    self.problem(_formula_reason(f), "formula_no_value", sheet=sheet, row=r1, cell=ref, column=str(y))
                    continue
                if _is_blank(v):
                    continue  # not filled yet
                num, pct = parse_number(v)
                if num is None:
                    self.problem(_not_number_reason(v), "not_a_number", sheet=sheet, row=r1, cell=ref, column=str(y))
                    continue
                if pct and unit not in ("%", ""):
                    self.problem(f"value {_text(v)!r} has a % sign but the unit of {self.indicators.names[ind]} "
                                 f"is {unit!r}; enter the number in {unit}", "unexpected_percent",
                                 sheet=sheet, row=r1, cell=ref, column=str(y))
                    continue
                recs.append((code, ind, y, num, status, source, note, r1, ref))
        if recs:
            df = pd.DataFrame(recs, columns=["region", "indicator", "year", "value", "status", "source",
                                             "note", "_row", "_cell"])
            df["_file"] = self.file
            df["_sheet"] = sheet
            self.frames.append(df)

    # ---- result
    def result(self) -> pd.DataFrame:
        if self.frames:
            df = pd.concat(self.frames, ignore_index=True)
        else:
            df = pd.DataFrame(columns=list(READ_COLUMNS))
        return _typed(df)


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col, dtype in READ_COLUMNS.items():
        s = df[col] if col in df.columns else pd.Series(pd.NA, index=df.index)
        if dtype == "string":
            s = s.astype("string").fillna("")
        out[col] = s.astype(dtype)
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


def empty_observations() -> pd.DataFrame:
    return _typed(pd.DataFrame(columns=list(READ_COLUMNS)))


def _suggest(h: str) -> tuple[str, str] | None:
    """The known column name closest to a misspelt header ('vaule' → value)."""
    if not h or h in _LONG_INDEX:
        return None
    close = difflib.get_close_matches(h, list(_LONG_INDEX), n=1, cutoff=0.7)
    if not close:
        return None
    return _LONG_INDEX[close[0]][0], close[0]


# --------------------------------------------------------------------------- sheets
def _read_table(r: _Reader, sheets: list[Sheet]) -> None:
    """A file without sheets (CSV): one long table."""
    (sheet,) = sheets
    grid = sheet.grid
    if not any(any(not _is_blank(c) for c in row) for row in grid):
        r.problem("the file has no content (only empty cells)", "empty_file")
        return
    shape, hdr, cols = r.find_header(grid, None, allow_wide=False)
    if shape == "long":
        r.read_long(grid, hdr, cols, None)
    elif shape is None:
        r.no_header(None)


def _read_workbook(r: _Reader, sheets: list[Sheet]) -> None:
    """A workbook: long tables and the template's wide sheets, note sheets skipped."""
    any_data = False
    skipped: list[str] = []
    for sheet in sheets:
        name, grid, formulas = sheet.name, sheet.grid, sheet.formulas
        if not any(not _is_blank(c) for row in grid for c in row):
            r.problem("the sheet is empty", "empty_sheet", sheet=name, severity="warning")
            continue
        shape, hdr, cols = r.find_header(grid, name, allow_wide=True)
        if shape is None:
            if _norm_header(name) not in NOTE_SHEETS:
                skipped.append(name)
            continue
        any_data = True
        if shape == "bad":
            continue
        for rng in sheet.merged:
            if rng.max_row > hdr:  # the title rows above the header may be merged
                r.problem(f"cells {rng.coord} are merged (合并单元格) in the data area; unmerge them and "
                          "enter a value in each cell — only the first cell of a merged range holds a value",
                          "merged_cells", sheet=name, row=rng.min_row, cell=rng.coord.split(":")[0])
        if shape == "long":
            if formulas is not None:
                grid = r.drop_uncached_formulas(grid, formulas, hdr, name)
            r.read_long(grid, hdr, cols, name)
        else:
            r.read_wide(grid, formulas, hdr, cols, name)
    if not any_data:
        if all(p.code == "empty_sheet" for p in r.problems) and not skipped:
            r.problems[:] = [p for p in r.problems if p.code != "empty_sheet"]
            r.problem("the workbook has no content (every sheet is empty)", "empty_file")
        else:
            r.no_header(skipped[0] if len(skipped) == 1 else None)
    else:
        for name in skipped:
            r.no_header(name, severity="warning")


def read_observations(path, plan_data: Dataset) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one file of yearly values (long CSV/Excel or the wide template).

    Returns the rows that parsed — columns region, indicator, year, value,
    status, source, note and the origin ``_file``, ``_sheet``, ``_row``,
    ``_cell`` — and a Problem for everything else. Never raises on bad input.
    """
    path = Path(path)
    r = _Reader(path, plan_data)
    suffix = path.suffix.lower()
    if not path.exists():
        r.problem("the file does not exist", "file_not_found")
    elif path.is_dir():
        r.problem("this is a folder, not a file", "not_a_file")
    elif bad_text(path.name):
        r.problem("the file name holds a control character or BOM; rename the file (letters, digits, Chinese)",
                  "control_character")
    elif suffix not in FORMATS:
        r.problem(unsupported(suffix), "unsupported_format")
    elif FORMATS[suffix].load is None:
        r.problem(FORMATS[suffix].refuse, "unsupported_format")
    else:
        fmt = FORMATS[suffix]
        try:
            sheets = fmt.load(path)
            for sh in sheets:  # control characters and stray BOMs: refused cell by cell, then dropped
                sh.grid, found = clean_grid(sh.grid)
                for i, j, code, why in found:
                    r.problem(why, code, sheet=sh.name, row=i + 1, cell=f"{_col_letter(j)}{i + 1}" if sh.name
                              else None, column=_text(sh.grid[0][j]) if i and j < len(sh.grid[0]) else _col_letter(j))
            (_read_workbook if fmt.workbook else _read_table)(r, sheets)
        except FormatProblem as e:
            r.problem(e.reason, e.code, row=e.row)
        except OSError as e:  # permissions, a file locked by Excel on Windows, a vanished network drive
            r.problem(f"the file cannot be read: {e.strerror or e}", "unreadable")
    return r.result(), r.problems
