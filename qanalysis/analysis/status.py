"""Assessment statuses: codes, bilingual labels and colours, in one place.

Colours are from the Okabe–Ito palette (safe for the common colour-vision
deficiencies) and are the same in every chart, table and report.
"""
from __future__ import annotations

from dataclasses import dataclass


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
        Status("met", "已实现(目标年实测)", "met (observed)", "#009E73", 6),
        Status("missed", "未实现(目标年实测)", "missed (observed)", "#D55E00", 0),
        Status("achieved", "已达标", "achieved", "#009E73", 5),
        Status("on_track", "进度正常", "on track", "#56B4E9", 4),
        Status("at_risk", "存在风险", "at risk", "#E69F00", 2),
        Status("off_track", "进度滞后", "off track", "#D55E00", 1),
        Status("insufficient_data", "数据不足", "insufficient data", "#999999", 3),
        Status("no_target", "无量化目标", "no numeric target", "#CCCCCC", 7),
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
