"""A plan's targets as the plan writes them → catalogue rows (``qanalysis plan import``).

One sentence a line ("制造业产品质量合格率达94%以上", "到2027年，累计建设一站式服务平台20个以上"),
or one table row (指标 / 单位 / 基期值 / 目标值 / 目标年). The rules, in the order applied:

* **year**: "到2027年，…" / "2027年…" is the row's target year; else the plan's.
* **comparator**: read beside the number only (not "省级以上" in a name): 以上 / 不低于 / 不少于 /
  超过 / 至少 → ``>=``; 以下 / 以内 / 不超过 / 不高于 / 控制在 → ``<=``; 保持 / 稳定在 / 维持 with no
  以上/以下 → ``==`` (keep); a bare number ("达到40%") → ``>=``; 下降到 / 降低到 / 降至 → ``<=``.
* **rate**: unit % → bounds 0 and 100; "达100%" is ``>=`` 100 bounded at 100 (reads 达到100%,
  not 保持100).
* **kind**: 新增 → ``increment``; 累计 → ``stock``; else ``level``; 不断提高 / 全面提升 / 稳步提升 /
  持续提升 / 省定目标 / 国家要求 without a number → ``unquantified``.
* **about**: 约 / 左右 → the row says so in its note (the tolerance is the assessment's).

Every line that cannot be read is returned with its line number and why; nothing is guessed.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

UNQUANTIFIED_WORDS = ("不断提高", "全面提升", "稳步提升", "持续提升", "显著提升", "明显提升", "逐步提高",
                      "省定目标", "国定目标", "国家要求", "上级下达", "完成省下达")
_YEAR = re.compile(r"^(?:到|至|力争到|力争)?\s*((?:19|20)\d{2})\s*年(?:底|末)?\s*[,，:：]?\s*")
_NUMBER = re.compile(r"(?P<pre>达到|达|保持在|保持|稳定在|维持在|维持|不低于|不少于|不超过|不高于|控制在|超过|"
                     r"提高到|提高至|提升到|提升至|增加到|增长到|下降到|下降至|降低到|降至|力争|至少|为)?"
                     r"\s*(?P<about>约)?\s*(?P<num>\d+(?:\.\d+)?)\s*"
                     r"(?P<unit>%|‰|[^\d\s,，。；;:：()（）以左约]{0,6}?)\s*"
                     r"(?P<post>以上|以下|以内|左右)?\s*(?:[。；;]|$)")
_GE_PRE = ("不低于", "不少于", "超过", "至少")
_LE_PRE = ("不超过", "不高于", "控制在", "下降到", "下降至", "降低到", "降至")
_KEEP_PRE = ("保持", "保持在", "稳定在", "维持", "维持在")
_LEAD = re.compile(r"^(?:全市|全区|全县)?\s*")
_TRAIL = re.compile(r"(?:要|应|将|需|力争|确保|争取|实现|达到|达|为|保持|稳定|，|,|\s)+$")
HEADINGS = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十]+[)）]|【)?\s*"
                      r"(?P<name>[\u4e00-\u9fff]{2,12})\s*(?:[】:：])?\s*$")


@dataclass
class Target:
    """One catalogue row as read from a sentence or a table row."""

    name_zh: str
    unit: str = ""
    kind: str = "level"
    comparator: str = ">="
    target_text: str = ""
    baseline_text: str = ""
    target_year: int | None = None
    lower_bound: float | None = None
    upper_bound: float | None = None
    category: str = ""
    source: str = ""
    notes: list[str] = field(default_factory=list)     # into the catalogue's note
    warnings: list[str] = field(default_factory=list)  # told at import only


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


def _kind(name: str) -> str:
    if "新增" in name:
        return "increment"
    if "累计" in name:
        return "stock"
    return "level"


def _name(text: str) -> str:
    return _TRAIL.sub("", _LEAD.sub("", text)).strip()


def _comparator(pre: str, post: str) -> str:
    if post == "以上" or pre in _GE_PRE:
        return ">="
    if post in ("以下", "以内") or pre in _LE_PRE:
        return "<="
    if pre in _KEEP_PRE:
        return "=="
    return ">="


def _rate_bounds(t: Target) -> None:
    if t.unit in ("%", "‰"):
        t.lower_bound, t.upper_bound = 0.0, 100.0 if t.unit == "%" else 1000.0


def parse_sentence(line: str) -> tuple[Target | None, str]:
    """One target sentence → a :class:`Target`, or ``None`` and why it could not be read."""
    text = _clean(line).rstrip("。；;")
    year = None
    m = _YEAR.match(text)
    if m:
        year, text = int(m.group(1)), text[m.end():]
    if not text:
        return None, "no indicator after the year"
    m = _NUMBER.search(text)
    if m is None:
        for word in UNQUANTIFIED_WORDS:
            if word in text:
                name = _name(text[:text.index(word)])
                if len(name) < 2:
                    return None, f"no indicator name before “{word}”"
                return Target(name, kind="unquantified", comparator=">=", target_text=word,
                              target_year=year), ""
        return None, "no target number and no phrase such as 不断提高 / 省定目标"
    name = _name(text[:m.start()])
    if len(name) < 2:
        return None, "no indicator name before the number"
    pre, post = m.group("pre") or "", m.group("post") or ""
    unit = (m.group("unit") or "").strip()
    t = Target(name, unit=unit, kind=_kind(name), comparator=_comparator(pre, post),
               target_text=text[m.start():].strip(), target_year=year)
    _rate_bounds(t)
    if m.group("about") or post == "左右":
        t.notes.append("目标为约数")
    if t.kind == "level" and t.unit not in ("%", "‰") and "指数" not in name and unit:
        t.warnings.append(f"read as a level (unit {unit}); write 累计 in the name for a running total, "
                          "新增 for additions")
    return t, ""


def parse_row(cells: dict[str, str]) -> tuple[Target | None, str]:
    """One table row (指标 / 单位 / 基期值 / 目标值 / 目标年) → a :class:`Target`."""
    name = _clean(cells.get("name", ""))
    target = _clean(cells.get("target", ""))
    if len(name) < 2:
        return None, "no indicator name in 指标"
    unit = _clean(cells.get("unit", ""))
    unit = "" if unit in ("-", "—", "–", "/", "无") else unit
    year_text = _clean(cells.get("year", "")).rstrip("年")
    year = None
    if year_text:
        if not re.fullmatch(r"(?:19|20)\d{2}", year_text):
            return None, f"目标年 {cells.get('year')!r} is not a year"
        year = int(year_text)
    t = Target(name, unit=unit, kind=_kind(name), target_text=target,
               baseline_text=_clean(cells.get("baseline", "")), target_year=year)
    if not target or any(w in target for w in UNQUANTIFIED_WORDS) or not re.search(r"\d", target):
        if target and not any(w in target for w in UNQUANTIFIED_WORDS):
            return None, f"目标值 {target!r} has no number and no phrase such as 不断提高 / 省定目标"
        t.kind, t.target_text = "unquantified", target or "省定目标"
        return t, ""
    m = _NUMBER.search(target)
    if m is None:
        return None, f"目标值 {target!r} cannot be read"
    t.comparator = _comparator(m.group("pre") or "", m.group("post") or "")
    if target.startswith(("≥", ">=")):
        t.comparator = ">="
    elif target.startswith(("≤", "<=")):
        t.comparator = "<="
    if not t.unit and m.group("unit") in ("%", "‰"):
        t.unit = m.group("unit")
    _rate_bounds(t)
    if m.group("about") or m.group("post") == "左右":
        t.notes.append("目标为约数")
    return t, ""


def heading(line: str) -> str | None:
    """A category heading line ("一、产品质量", "【产品质量】", "产品质量："), else ``None``."""
    text = _clean(line)
    if re.search(r"\d", text):
        return None
    m = HEADINGS.match(text)
    if not m or not (text.endswith(("：", ":", "】")) or text[0] in "一二三四五六七八九十【(（"):
        return None
    return m.group("name")
