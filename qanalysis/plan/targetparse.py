"""Parse a plan cell as written into a number, a comparator and notes.

The plan writes targets and baselines in many ways: "≥96", "≤ 26", "100",
"90%以上", "200 家以上", "约 20", "3(在建2个)", "-", "省定目标", "全面消除".
:func:`parse_cell` turns each into a :class:`Cell`; the original text is kept
by the caller, so nothing is smoothed over.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Phrases that carry no number but a meaning.
NO_VALUE = {"", "-", "—", "–", "－", "/", "无"}
UNQUANTIFIED_PHRASES = ("省定目标", "国定目标", "上级下达", "达到省定", "完成省下达")
# Phrases that stand for a number.
WORD_TARGETS = {
    "全面消除": (0.0, "<="),
    "零的突破": (1.0, ">="),
    "全覆盖": (100.0, "=="),
}

_GE = ("≥", ">=", "以上", "不低于", "不少于", "至少", "力争")
_LE = ("≤", "<=", "以下", "以内", "不高于", "不超过", "控制在")
_KEEP = ("保持", "稳定在", "维持")
_APPROX = ("约", "左右", "大约")
# "约 20" / "20 左右" is met within this share of the number: ≥ 19 for "约 20 (≥)", ≤ 21 for "约 20 (≤)"
APPROX_TOLERANCE = 0.05


def approx_threshold(value, comparator):
    """The value an about-target is judged at: 5% short of it in the good direction."""
    import numpy as np  # lazy: the parser itself needs no numpy

    v = np.asarray(value, dtype=float)
    c = np.asarray(comparator, dtype=object)
    return np.where(c == ">=", v * (1 - APPROX_TOLERANCE), np.where(c == "<=", v * (1 + APPROX_TOLERANCE), v))
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Cell:
    value: float | None        # None: no number
    comparator: str | None     # ">=", "<=", "==" or None when the text carries none
    decimals: int              # decimals as written (tolerance for "keep" targets)
    state: str                 # "number", "missing", "none" ("-"), "unquantified"
    approx: bool = False       # "约 20"
    remark: str = ""           # text beside the number, e.g. "在建2个" in "3(在建2个)"


def normalize(text: str) -> str:
    """NFKC (full-width digits and brackets to ASCII), thousands separators out."""
    t = unicodedata.normalize("NFKC", str(text)).strip()
    t = re.sub(r"(?<=\d),(?=\d{3})", "", t)
    return t


def parse_cell(text: str | None) -> Cell:
    if text is None:
        return Cell(None, None, 0, "missing")
    raw = str(text)
    t = normalize(raw)
    if t == "":
        return Cell(None, None, 0, "missing")
    if t in NO_VALUE:
        return Cell(None, None, 0, "none")
    if any(p in t for p in UNQUANTIFIED_PHRASES):
        return Cell(None, None, 0, "unquantified", remark=t)
    for phrase, (value, comp) in WORD_TARGETS.items():
        if phrase in t and not _NUMBER.search(t):
            return Cell(value, comp, 0, "number", remark=phrase)

    m = _NUMBER.search(t)
    if not m:
        return Cell(None, None, 0, "unquantified", remark=t)
    number = m.group(0)
    value = float(number)
    decimals = len(number.split(".")[1]) if "." in number else 0

    comparator = None
    if any(s in t for s in _GE):
        comparator = ">="
    elif any(s in t for s in _LE):
        comparator = "<="
    elif any(s in t for s in _KEEP):
        comparator = "=="
    approx = any(s in t for s in _APPROX)

    # What stands beside the number in brackets, e.g. "3(在建2个)" -> "在建2个".
    bracket = re.search(r"\(([^)]*)\)", t[m.end():])
    remark = bracket.group(1) if bracket else ""
    return Cell(value, comparator, decimals, "number", approx=approx, remark=remark)
