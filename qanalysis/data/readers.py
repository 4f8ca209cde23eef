"""Read yearly observations from the files analysts deliver.

Two shapes, detected from the header:

* **long**: one row an observation, columns region, indicator, year, value
  [, status, source, note] (English or Chinese names), as CSV or Excel;
* **wide**: the sheet ``qanalysis template`` writes — indicators × years, one
  sheet a region (sheet name ``"330302 鹿城区"``).

Regions may be codes or Chinese names, indicators ids or any wording in the
catalogue. Everything that cannot be read becomes a :class:`Problem` naming
file, sheet, row/cell and column; the returned rows are the ones that parsed.
Checks across rows (bounds, duplicates, year range …) are in ``validate.py``.
"""
from __future__ import annotations

import csv
import difflib
import io
import math
import re
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..dataset import OBSERVATION_COLUMNS, OBSERVATION_STATUSES, Dataset
from ..errors import Problem
from ..vocab import DATA_STATUS

LONG_COLUMNS = tuple(OBSERVATION_COLUMNS)  # region, indicator, year, value, status, source, note
REQUIRED_COLUMNS = ("region", "indicator", "year", "value")
ORIGIN_COLUMNS = {"_file": "string", "_sheet": "string", "_row": "int64", "_cell": "string"}
READ_COLUMNS = {**OBSERVATION_COLUMNS, **ORIGIN_COLUMNS}
DEFAULT_STATUS = "provisional"
HEADER_SCAN_ROWS = 30  # a header further down than this is not looked for
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv",)

# Header names accepted for the long table, in order of preference (a file with
# both 指标代码 and 指标名称 uses the code).
LONG_ALIASES: dict[str, tuple[str, ...]] = {
    "region": ("region", "region_code", "地区代码", "地区", "地区名称", "区域", "县市区", "行政区划代码"),
    "indicator": ("indicator", "indicator_id", "指标代码", "指标", "指标名称"),
    "year": ("year", "年份", "年度", "年"),
    "value": ("value", "数值", "值", "指标值"),
    "status": ("status", "数据状态", "状态"),
    "source": ("source", "来源", "数据来源"),
    "note": ("note", "notes", "备注"),
}
COLUMN_ZH = {"region": "地区", "indicator": "指标", "year": "年份", "value": "数值",
             "status": "数据状态", "source": "来源", "note": "备注"}

# Header names of the wide template (template.py writes the first of each).
WIDE_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("指标代码", "id", "indicator_id", "indicator", "代码"),
    "name": ("指标名称", "name", "name_zh", "指标"),
    "unit": ("单位", "unit"),
    "kind": ("类型", "kind", "指标类型"),
    "baseline": ("基期值", "baseline"),
    "target": ("目标值", "target"),
    "status": ("数据状态", "status", "状态"),
    "source": ("来源", "source", "数据来源"),
    "note": ("备注", "note", "notes"),
}

STATUS_ALIASES: dict[str, str] = {
    "published": "published", "已发布": "published", "公布": "published", "已公布": "published",
    "正式": "published", "发布": "published",
    "provisional": "provisional", "初步": "provisional", "快报": "provisional",
    "预计": "provisional", "暂定": "provisional", "初步数": "provisional",
    "illustrative": "illustrative", "示例": "illustrative", "模拟": "illustrative",
    "演示": "illustrative", "示意": "illustrative",
}

# Sheets that explain, not hold data: skipped without a word.
NOTE_SHEETS = {"说明", "填写说明", "readme", "notes", "instructions", "说明 notes"}

_QUOTES = "\"'“”‘’「」『』《》〈〉"
_QUOTE_TABLE = str.maketrans("", "", _QUOTES)
_SPACE_RE = re.compile(r"\s+")
_YEAR_RE = re.compile(r"^(\d{4})(?:\.0+)?(?:年|年度)?$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


# --------------------------------------------------------------------------- text helpers
def _is_blank(x) -> bool:
    if x is None:
        return True
    if isinstance(x, float) and math.isnan(x):
        return True
    return isinstance(x, str) and x.strip().strip("\ufeff\u200b") == ""


def _text(x) -> str:
    """A cell as trimmed text; integral floats without '.0' (Excel gives 2021.0)."""
    if _is_blank(x):
        return ""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x).replace("\ufeff", "").replace("\u200b", "").strip()


def _norm_header(x) -> str:
    t = unicodedata.normalize("NFKC", _text(x)).lower()
    return _SPACE_RE.sub(" ", t).strip()


def _norm_name(x) -> str:
    """For matching Chinese wordings: NFKC, no spaces, no quotes, lower case."""
    t = unicodedata.normalize("NFKC", _text(x)).lower()
    return _SPACE_RE.sub("", t).translate(_QUOTE_TABLE)


def _alias_index(aliases: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for canon, names in aliases.items():
        for rank, name in enumerate(names):
            out.setdefault(_norm_header(name), (canon, rank))
    return out


_LONG_INDEX = _alias_index(LONG_ALIASES)
_WIDE_INDEX = _alias_index(WIDE_ALIASES)


def parse_year(x) -> int | None:
    """2021, 2021.0, "2021", "2021年", "２０２１" → 2021; anything else → None."""
    if isinstance(x, bool) or _is_blank(x):
        return None
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return int(x) if float(x).is_integer() else None
    m = _YEAR_RE.match(unicodedata.normalize("NFKC", str(x)).strip())
    return int(m.group(1)) if m else None


def parse_number(x) -> tuple[float | None, bool]:
    """A cell as a number: (value or None, had a % sign).

    Accepts full-width digits (１２３), thousands separators (1,234), a trailing
    "%" and surrounding spaces; refuses words ("约95", "n/a").
    """
    if isinstance(x, bool):
        return None, False
    if isinstance(x, (int, float, np.integer, np.floating)):
        v = float(x)
        return (None if math.isnan(v) else v), False
    t = unicodedata.normalize("NFKC", str(x)).strip().replace(" ", "")
    t = t.replace("−", "-")  # the minus sign some software writes
    pct = t.endswith("%")
    if pct:
        t = t[:-1]
    if _THOUSANDS_RE.match(t):
        t = t.replace(",", "")
    if not _NUMBER_RE.match(t) or not math.isfinite(float(t)):
        return None, pct
    return float(t), pct


def _col_letter(i: int) -> str:
    """0-based column index → Excel letters (0 → A)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


# --------------------------------------------------------------------------- resolvers
class RegionResolver:
    """Region code or Chinese/English name → code, with a reason when it fails."""

    SUFFIXES = ("自治县", "区", "县", "市")

    def __init__(self, regions: pd.DataFrame):
        self.codes = set(regions["code"].astype(str))
        self.names = dict(zip(regions["code"].astype(str), regions["name_zh"].astype(str)))
        self.exact: dict[str, set[str]] = {}
        self.short: dict[str, set[str]] = {}
        for code, zh, en in zip(regions["code"].astype(str), regions["name_zh"].astype(str),
                                regions["name_en"].astype(str)):
            for key in (_norm_name(zh), _norm_name(en)):
                if key:
                    self.exact.setdefault(key, set()).add(code)
            stem = _norm_name(zh)
            for suf in self.SUFFIXES:
                if stem.endswith(suf) and len(stem) > len(suf) + 1:
                    self.short.setdefault(stem[: -len(suf)], set()).add(code)
                    break
        self._cache: dict[str, tuple[str | None, str, str]] = {}

    def label(self, code: str) -> str:
        return f"{code} {self.names.get(code, '')}".strip()

    def resolve(self, raw) -> tuple[str | None, str, str]:
        """(code or None, problem code, reason)."""
        text = _text(raw)
        if text in self._cache:
            return self._cache[text]
        out = self._resolve(text)
        self._cache[text] = out
        return out

    def _resolve(self, text: str) -> tuple[str | None, str, str]:
        if not text:
            return None, "missing_region", "the region is empty; give a region code (地区代码) such as 330302 or a name such as 鹿城区"
        t = unicodedata.normalize("NFKC", text).strip()
        if t in self.codes:
            return t, "", ""
        key = _norm_name(t)
        for table in (self.exact, self.short):
            hit = table.get(key)
            if hit and len(hit) == 1:
                return next(iter(hit)), "", ""
            if hit:
                return None, "ambiguous_region", self._ambiguous(text, hit)
        # "330302 鹿城区" as the template names its sheets
        parts = t.split()
        if len(parts) > 1 and parts[0] in self.codes:
            return parts[0], "", ""
        if re.fullmatch(r"\d+", t):
            return None, "unknown_region", f"region code {text!r} is not one of the plan's regions ({self._known()})"
        # a unique prefix of a name ("龙港" is handled above; "瓯海区政府" is not guessed)
        cands = {c for k, cs in self.exact.items() if key and k.startswith(key) for c in cs}
        if len(cands) == 1 and len(key) >= 2:
            return next(iter(cands)), "", ""
        if len(cands) > 1:
            return None, "ambiguous_region", self._ambiguous(text, cands)
        close = difflib.get_close_matches(key, list(self.exact), n=1, cutoff=0.6)
        hint = ""
        if close:
            code = next(iter(self.exact[close[0]]))
            hint = f"; did you mean {self.label(code)}?"
        return None, "unknown_region", f"region {text!r} is not one of the plan's regions (地区){hint}"

    def _ambiguous(self, text: str, codes: set[str]) -> str:
        names = ", ".join(self.label(c) for c in sorted(codes))
        return f"region name {text!r} matches more than one region ({names}); give the region code (地区代码) instead"

    def _known(self) -> str:
        codes = sorted(self.codes)
        return ", ".join(codes[:14]) + (" …" if len(codes) > 14 else "")


class IndicatorResolver:
    """Indicator id, name_zh or any label → id."""

    def __init__(self, catalogue: pd.DataFrame):
        self.ids = set(catalogue["id"].astype(str))
        self.lower_ids = {i.lower(): i for i in self.ids}
        self.names = dict(zip(catalogue["id"].astype(str), catalogue["name_zh"].astype(str)))
        self.by_name: dict[str, set[str]] = {}
        labels = catalogue["labels"] if "labels" in catalogue else pd.Series("", index=catalogue.index)
        for iid, zh, en, lab in zip(catalogue["id"].astype(str), catalogue["name_zh"].astype(str),
                                    catalogue["name_en"].astype(str), labels.astype(str)):
            for w in [zh, en, *str(lab).split("|")]:
                k = _norm_name(w)
                if k:
                    self.by_name.setdefault(k, set()).add(iid)
        self._cache: dict[str, tuple[str | None, str, str]] = {}

    def resolve(self, raw) -> tuple[str | None, str, str]:
        text = _text(raw)
        if text not in self._cache:
            self._cache[text] = self._resolve(text)
        return self._cache[text]

    def _resolve(self, text: str) -> tuple[str | None, str, str]:
        if not text:
            return None, "missing_indicator", "the indicator is empty; give the indicator code (指标代码) or its name as in the plan"
        if text in self.ids:
            return text, "", ""
        if text.lower() in self.lower_ids:
            return self.lower_ids[text.lower()], "", ""
        hit = self.by_name.get(_norm_name(text))
        if hit and len(hit) == 1:
            return next(iter(hit)), "", ""
        if hit:
            names = ", ".join(f"{i} ({self.names[i]})" for i in sorted(hit))
            return None, "ambiguous_indicator", f"indicator {text!r} matches more than one indicator ({names}); use the indicator code (指标代码)"
        pool = list(self.ids) + list(self.by_name)
        close = difflib.get_close_matches(_norm_name(text), pool, n=1, cutoff=0.6)
        hint = ""
        if close:
            iid = close[0] if close[0] in self.ids else next(iter(self.by_name[close[0]]))
            hint = f"; did you mean {iid} ({self.names[iid]})?"
        return None, "unknown_indicator", f"indicator {text!r} is not in the plan's catalogue (指标目录){hint}"


def parse_status(raw) -> str | None:
    t = _text(raw)
    if not t:
        return DEFAULT_STATUS
    return STATUS_ALIASES.get(_norm_name(t))


def _status_reason(raw) -> str:
    allowed = ", ".join(f"{s} ({DATA_STATUS['zh'][s]})" for s in OBSERVATION_STATUSES)
    return f"status {_text(raw)!r} is not known; use one of {allowed}, or leave it empty for {DEFAULT_STATUS}"


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
            value[is_str] = pd.to_numeric(pd.Series(vals[is_str], dtype=object), errors="coerce").to_numpy(
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
                "template does, e.g. '330302 鹿城区'; this sheet was not read",
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


def _formula_reason(f) -> str:
    return (f"the cell has a formula ({f}) but no saved result; open and save the file in Excel/WPS so the "
            "value is stored, or paste the values (选择性粘贴 → 数值)")


def _not_number_reason(v) -> str:
    return (f"value {_text(v)!r} is not a number; enter digits only (e.g. 95.3), leave the cell empty "
            "when there is no value, and put words such as 约 (about) or n/a in the note column")


# --------------------------------------------------------------------------- formats
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


def _read_csv(r: _Reader) -> None:
    data = r.path.read_bytes()
    if not data.strip().strip(b"\xef\xbb\xbf").strip():
        r.problem("the file is empty", "empty_file")
        return
    text, why, line = _decode(data)
    if text is None:
        r.problem(why, "bad_encoding", row=line)
        return
    try:
        grid = _csv_grid(text)
    except csv.Error as e:
        r.problem(f"the file is not a readable CSV table: {e}", "bad_csv")
        return
    if not any(any(not _is_blank(c) for c in row) for row in grid):
        r.problem("the file has no content (only empty cells)", "empty_file")
        return
    shape, hdr, cols = r.find_header(grid, None, allow_wide=False)
    if shape == "long":
        r.read_long(grid, hdr, cols, None)
    elif shape is None:
        r.no_header(None)


def _read_excel(r: _Reader) -> None:
    try:
        sheets, merged = _load_sheets(r.path)
    except Exception as e:  # zip, XML and openpyxl errors alike: the file is broken
        r.problem(f"the Excel file cannot be opened ({type(e).__name__}: {e}); it is corrupt or not really "
                  ".xlsx — open it in Excel/WPS and save it again as .xlsx", "corrupt_file")
        return
    any_data = False
    skipped: list[str] = []
    for name, grid, formulas in sheets:
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
        for rng in merged.get(name, []):
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


def _load_sheets(path: Path):
    """[(sheet name, rows of cell values, rows of formula texts or None)], merged ranges by sheet.

    Values are what Excel saved (for a formula, its cached result or None).
    openpyxl's read-only mode is used for speed; it does not report merged
    cells, so those are read from the sheet XML's <mergeCell ref=…> list.
    """
    return _openpyxl_sheets(path), _merged_ranges(path)


def _openpyxl_sheets(path: Path):
    import warnings

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
    import xml.etree.ElementTree as ET
    from posixpath import join, normpath

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
    elif suffix == ".xls":
        r.problem("the old Excel 97–2003 format (.xls) is not supported; open it in Excel/WPS and save it "
                  "as .xlsx (Excel 工作簿)", "unsupported_format")
    elif suffix in EXCEL_SUFFIXES or suffix in CSV_SUFFIXES:
        try:
            (_read_excel if suffix in EXCEL_SUFFIXES else _read_csv)(r)
        except OSError as e:  # permissions, a file locked by Excel on Windows, a vanished network drive
            r.problem(f"the file cannot be read: {e.strerror or e}", "unreadable")
    else:
        r.problem(f"files of type {suffix or '(no extension)'!r} are not read; give a .csv (UTF-8 or GBK) or "
                  ".xlsx file — a long table or the sheet written by `qanalysis template`",
                  "unsupported_format")
    return r.result(), r.problems
