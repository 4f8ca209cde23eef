"""Reading one cell: header names, years, numbers and statuses as analysts write them,
and region and indicator names resolved against the plan."""
from __future__ import annotations

import difflib
import math
import re
import unicodedata

import numpy as np
import pandas as pd

from ..dataset import OBSERVATION_STATUSES
from ..vocab import DATA_STATUS

DEFAULT_STATUS = "provisional"  # what a value without a status is taken to be

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
    "暂定": "provisional", "初步数": "provisional",
    # an estimate (预计数): the final evaluation says 预计完成/预计未完成 on it (docs/evaluation.md)
    "estimated": "estimated", "预计": "estimated", "预计数": "estimated", "预计值": "estimated",
    "估计": "estimated", "预估": "estimated",
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
        # the example messages give: the plan's first county (else its city), never another plan's
        counties = regions.loc[regions["level"].astype(str) == "county", "code"] if "level" in regions else []
        self.example = str(next(iter(counties), next(iter(regions["code"]), "")))
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
            return None, "missing_region", (f"the region is empty; give a region code (地区代码) such as "
                                            f"{self.example} or a name such as {self.names.get(self.example, '')}")
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


def _formula_reason(f) -> str:
    return (f"the cell has a formula ({f}) but no saved result; open and save the file in Excel/WPS so the "
            "value is stored, or paste the values (选择性粘贴 → 数值)")


def _not_number_reason(v) -> str:
    if isinstance(v, (bool, np.bool_)):  # Excel TRUE/FALSE: never read as 1/0
        return (f"the cell holds the logical value {str(v).upper()} (TRUE/FALSE), not a number; enter the "
                "number itself (e.g. 95.3), or leave the cell empty when there is no value")
    return (f"value {_text(v)!r} is not a number; enter digits only (e.g. 95.3), leave the cell empty "
            "when there is no value, and put words such as 约 (about) or n/a in the note column")


def parse_status(raw) -> str | None:
    t = _text(raw)
    if not t:
        return DEFAULT_STATUS
    return STATUS_ALIASES.get(_norm_name(t))


def _status_reason(raw) -> str:
    allowed = ", ".join(f"{s} ({DATA_STATUS['zh'][s]})" for s in OBSERVATION_STATUSES)
    return f"status {_text(raw)!r} is not known; use one of {allowed}, or leave it empty for {DEFAULT_STATUS}"


# --------------------------------------------------------------------------- text every writer can take
# C0 controls but tab, line feed and carriage return, DEL and the C1 controls: python-docx, openpyxl
# and a terminal all choke on them (NUL, VT, ESC …); a byte-order mark inside the body means two
# files were joined or a cell was pasted from one.
_BAD_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
BOM = "\ufeff"


def bad_text(v) -> tuple[str, str] | None:
    """(code, reason) when a text cell holds characters no report can carry; else None."""
    if not isinstance(v, str):
        return None
    m = _BAD_CHAR.search(v)
    if m:
        ch = m.group()
        return "control_character", (f"the cell holds the control character U+{ord(ch):04X} "
                                     f"({ch.encode('unicode_escape').decode()}), which no report can show; "
                                     "delete it (retype the cell) and deliver the file again")
    if BOM in v:
        return "bom_in_body", ("the cell holds a byte-order mark (BOM, U+FEFF) inside the file, not at its "
                               "start — usually two CSV files joined into one or text pasted from one; retype "
                               "the cell or save the file again as one \"CSV UTF-8\"")
    return None


def clean_grid(grid: list[tuple]) -> tuple[list[tuple], list[tuple[int, int, str, str]]]:
    """The grid with those characters removed, and (row, column index, code, reason) for each cell.

    Row and column are 0-based; the first row's leading BOM is the file's own (allowed)."""
    found, out = [], []
    for i, row in enumerate(grid):
        if not any(isinstance(v, str) and (BOM in v or _BAD_CHAR.search(v)) for v in row):
            out.append(row)
            continue
        new = []
        for j, v in enumerate(row):
            if i == 0 and j == 0 and isinstance(v, str) and v.startswith(BOM):
                v = v[1:]
            why = bad_text(v)
            if why:
                found.append((i, j, *why))
                v = _BAD_CHAR.sub("", v).replace(BOM, "")
            new.append(v)
        out.append(tuple(new))
    return out, found
