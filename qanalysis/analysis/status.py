"""Assessment statuses: codes, colours and sort order (labels: :mod:`qanalysis.vocab`).

Colours are from the Okabe–Ito palette (safe for the common colour-vision
deficiencies) and are the same in every chart, table and report.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..vocab import STATUS_LABELS, status_label


@dataclass(frozen=True)
class Status:
    code: str
    zh: str
    en: str
    colour: str
    rank: int  # for sorting: worst first in league tables


STATUSES: dict[str, Status] = {
    s.code: s
    for s in [
        Status("met", *STATUS_LABELS["met"], "#009E73", 6),
        Status("missed", *STATUS_LABELS["missed"], "#D55E00", 0),
        Status("achieved", *STATUS_LABELS["achieved"], "#009E73", 5),
        Status("on_track", *STATUS_LABELS["on_track"], "#56B4E9", 4),
        Status("at_risk", *STATUS_LABELS["at_risk"], "#E69F00", 2),
        Status("off_track", *STATUS_LABELS["off_track"], "#D55E00", 1),
        Status("insufficient_data", *STATUS_LABELS["insufficient_data"], "#999999", 3),
        Status("no_target", *STATUS_LABELS["no_target"], "#CCCCCC", 7),
    ]
}

# The order in which statuses are listed in legends and summaries.
STATUS_ORDER = ["met", "achieved", "on_track", "at_risk", "off_track", "missed",
                "insufficient_data", "no_target"]


def label(code: str, lang: str = "zh") -> str:
    s = STATUSES[code]
    return s.zh if lang == "zh" else s.en


def colour(code: str) -> str:
    return STATUSES[code].colour


def row_label(row, lang: str = "zh") -> str:
    """The label of one assessment row as every writer shows it: 全市统筹 for a target the plan
    sets for the city as a whole, 已达标（有回落风险）… with the reversal flag (vocab.status_label)."""
    get = row.get if hasattr(row, "get") else (lambda k, d=None: d)
    flag = get("reversal_risk", False)
    return status_label(str(get("status", "")), lang, basis=str(get("target_basis", "") or ""),
                        comparator=str(get("comparator", "") or ""),
                        reversal=bool(flag) if flag is not None and flag == flag else False)


def city_wide(table):
    """Which rows of an assessment table read 全市统筹 (no_target, basis city_only)."""
    basis = table["target_basis"] if "target_basis" in table else ""
    return (table["status"] == "no_target") & (basis == "city_only")
