"""Chart text: numbers, units, names and targets as a reader writes them (zh/en)."""
from __future__ import annotations

import math
import re
import textwrap

import numpy as np
import pandas as pd

from ..errors import QAnalysisError
from ..vocab import CHART_WORDS, COMPARATOR_SIGNS, UNITS_EN, format_number, format_probability, format_value


def _tx(lang: str) -> dict:
    if lang not in CHART_WORDS:
        raise QAnalysisError(f"lang must be 'zh' or 'en', not {lang!r}")
    return CHART_WORDS[lang]


_num = format_number  # one way to write a number, shared with tables


def _unit(unit: str, lang: str) -> str:
    unit = "" if unit is None or pd.isna(unit) else str(unit)
    return UNITS_EN.get(unit, unit) if lang == "en" else unit


def _with_unit(v: float, unit: str, lang: str) -> str:
    u = _unit(unit, lang)
    if u in ("", "%") or lang == "zh":
        return f"{_num(v)}{u}"
    return f"{_num(v)} {u}"


def _pct(p: float) -> str:
    """P(attain) as the status sentence writes it ("<1%", never a badge 0% beside a text <1%)."""
    return format_probability(p)


def value_text(v, row=None, lang: str = "zh", with_unit: bool = True) -> str:
    """A forecast or interval end on a chart: the one rule (vocab.format_value) — at the
    decimals the row's data are reported in (``data_decimals``), a count as a whole number."""
    d = None
    if row is not None and _isnum(row.get("data_decimals")):
        d = int(row["data_decimals"])
    txt = format_value(v, d)
    if not with_unit or row is None:
        return txt
    u = _unit(row.get("unit"), lang)
    return f"{txt}{u}" if u in ("", "%") or lang == "zh" else f"{txt} {u}"


def _target_text(row: pd.Series, lang: str) -> str:
    t = _tx(lang)
    comp = str(row.get("comparator", "") or "")
    value = _with_unit(row["target"], row["unit"], lang)
    if comp == "==":
        return f"{t['keep']} {value}" if lang == "en" else f"{t['keep']}{value}"
    return f"{COMPARATOR_SIGNS.get(comp, '')}{value}"


def _name(row: pd.Series, lang: str) -> str:
    col = "name_zh" if lang == "zh" else "name_en"
    v = row.get(col, "")
    return str(v) if v is not None and not pd.isna(v) and str(v) else str(row.get("name_zh", ""))


def short_name(name: str, width: int = 10) -> str:
    """Abbreviate an indicator name for crowded axes: drop quotes and (…) notes, cut."""
    s = re.sub(r"[“”\"'‘’「」]", "", str(name))
    s = re.sub(r"[（(][^）)]*[）)]", "", s).strip()
    s = re.sub(r"\s+", " ", s)
    return s if len(s) <= width else s[: width - 1] + "…"


def _wrap(text: str, width: int) -> str:
    """Wrap CJK text by characters and Latin text by words."""
    if re.search(r"[\u4e00-\u9fff]", text):
        return "\n".join(text[i:i + width] for i in range(0, len(text), width))
    return "\n".join(textwrap.wrap(text, int(width * 1.8)) or [text])


def _region_name(assessment, region: str, lang: str) -> str:
    return assessment.data.region_name(region, lang)


def _category_label(assessment, category: str, lang: str) -> str:
    if lang == "zh":
        return category
    cat = assessment.data.catalogue
    if "category_en" in cat:
        m = cat.loc[cat["category"] == category, "category_en"]
        if len(m) and str(m.iloc[0]):
            return str(m.iloc[0])
    return category


def _category_slug(assessment, category: str) -> str:
    slug = _category_label(assessment, category, "en")
    slug = re.sub(r"[^A-Za-z0-9]+", "_", slug).strip("_").lower()
    if not slug:
        cats = list(dict.fromkeys(assessment.table["category"]))
        slug = f"category{cats.index(category) + 1}"
    return slug


def _row(assessment, region: str, indicator: str) -> pd.Series:
    t = assessment.table
    m = (t["region"] == region) & (t["indicator"] == indicator)
    if not m.any():
        raise QAnalysisError(f"no assessment row for region {region!r}, indicator {indicator!r}")
    return t.loc[m].iloc[0]


def _isnum(v) -> bool:
    return v is not None and not pd.isna(v) and np.isfinite(float(v))


def _quantified(row: pd.Series) -> bool:
    return str(row["kind"]) != "unquantified" and _isnum(row["target"])


def _decimals(assessment, indicator: str) -> int:
    cat = assessment.data.catalogue
    if "decimals" in cat:
        m = cat.loc[cat["id"] == indicator, "decimals"]
        if len(m) and not pd.isna(m.iloc[0]):
            return int(m.iloc[0])
    return 0


def _plan_name(assessment, lang: str) -> str:
    plan = assessment.data.plan
    return str(plan.name_zh if lang == "zh" else plan.name_en)
