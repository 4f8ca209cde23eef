"""The in-memory dataset every part of the library works on, and its columns.

This module is the contract between the data side (prepare/load) and the
analysis side (assess, plots, reports): the column names and dtypes here are
what ``qanalysis.load()`` returns. See docs/architecture.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .errors import QAnalysisError

KINDS = ("level", "stock", "increment", "unquantified")
COMPARATORS = (">=", "<=", "==")
OBSERVATION_STATUSES = ("published", "provisional", "estimated", "illustrative")  # estimated: 预计数
TARGET_BASES = ("plan", "city_default", "pro_rata", "city_only", "override")

# column -> pandas dtype. "string" columns never hold NaN in place of "" except where noted.
CATALOGUE_COLUMNS: dict[str, str] = {
    "id": "string",            # stable ASCII id, snake_case
    "name_zh": "string",       # as written in the primary source
    "name_en": "string",
    "category": "string",      # 产品质量 / 服务质量 / 工程质量 / 环境质量 / 质量基础 …
    "category_en": "string",   # product / service / engineering / environment / foundation …
    "unit": "string",          # as written: "%", "项", "万件", "微克/立方米"
    "kind": "string",          # one of KINDS
    "comparator": "string",    # one of COMPARATORS; "==" means keep at the target
    "direction": "int64",      # +1 higher is better, -1 lower is better
    "lower_bound": "float64",  # NaN = unbounded
    "upper_bound": "float64",
    "decimals": "int64",       # decimals the plan writes the target with (tolerance for "==")
    "baseline_year": "Int64",  # <NA> when the plan gives no baseline ("-")
    "baseline": "float64",
    "target_year": "Int64",
    "target": "float64",       # NaN for unquantified
    "baseline_text": "string", # the cell / phrase exactly as written
    "target_text": "string",
    "source": "string",        # "表2 第1行", "三(一)", "专栏2" …
    "labels": "string",        # every wording of this indicator, " | "-separated
    "description": "string",
    "note": "string",          # how a quirk of the source was handled
}

REGION_COLUMNS: dict[str, str] = {
    "code": "string",      # GB/T 2260 code, kept as text
    "name_zh": "string",
    "name_en": "string",
    "level": "string",     # "city" or "county"
    "parent": "string",    # code of the city for a county, "" for the city
    "weight": "float64",   # share used to allocate count targets pro rata (illustrative)
}

TARGET_COLUMNS: dict[str, str] = {
    "region": "string",
    "indicator": "string",
    "baseline_year": "Int64",
    "baseline": "float64",
    "target_year": "Int64",
    "target": "float64",
    "comparator": "string",
    "target_basis": "string",  # one of TARGET_BASES
    "target_note": "string",
}

OBSERVATION_COLUMNS: dict[str, str] = {
    "region": "string",
    "indicator": "string",
    "year": "int64",
    "value": "float64",     # level for level/stock; the year's additions for increment
    "status": "string",     # one of OBSERVATION_STATUSES
    "source": "string",     # address or file it came from
    "note": "string",
    "delivery": "string",   # id of the kept delivery (or file given to load) it came from; "" if shipped
}

REVIEW_COLUMNS: dict[str, str] = {
    "id": "string",
    "category": "string",
    "name_zh": "string",
    "unit": "string",
    "target_text": "string",
    "achieved_text": "string",
    "target": "float64",
    "achieved": "float64",
    "comparator": "string",
    "kind": "string",
    "note": "string",
    "named_missed_in_plan": "boolean",  # the plan's note under 表1 names it as missed
    "source": "string",
}


def typed(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Return ``df`` with exactly ``columns``, in order, cast to their dtypes."""
    out = pd.DataFrame(index=df.index)
    for col, dtype in columns.items():
        s = df[col] if col in df.columns else pd.Series(pd.NA, index=df.index)
        if dtype == "string":
            s = s.astype("string").fillna("")
        out[col] = s.astype(dtype)
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class PlanInfo:
    id: str
    name_zh: str
    name_en: str
    city_code: str
    base_year: int       # the plan's baseline year (2020)
    first_year: int      # first year of the plan period (2021)
    target_year: int     # 2025
    data_first_year: int  # earliest year accepted in observations (2016)
    previous_plan_zh: str = ""
    published: tuple[str, ...] = ()  # published-value files, relative to the plan folder
    # indicators measured as a share of the plan's counties (k of 12 designated): city-level only
    county_share_indicators: tuple[str, ...] = ()
    fill_illustrative: bool = True   # plan.toml switch: fill series that have no real value (demo only)
    fit_first_year: int | None = None  # plan.toml: the trend is fitted from this year on (None: every year)
    county_targets: str = "city"  # plan.toml: "city" | "pro_rata" | "none" (plan/regions.py build_targets)


@dataclass
class Dataset:
    """What ``qanalysis.load()`` returns."""

    plan: PlanInfo
    catalogue: pd.DataFrame
    regions: pd.DataFrame
    targets: pd.DataFrame
    observations: pd.DataFrame
    review: pd.DataFrame = field(default_factory=pd.DataFrame)
    deliveries: pd.DataFrame = field(default_factory=pd.DataFrame)  # data.deliveries.DELIVERY_COLUMNS
    replaced: pd.DataFrame = field(default_factory=pd.DataFrame)    # data.series_source.REPLACED_COLUMNS

    def indicator(self, indicator_id: str) -> pd.Series:
        return self.catalogue.set_index("id").loc[indicator_id]

    def region_name(self, code: str, lang: str = "zh") -> str:
        """The region's name (the one lookup charts, tables and reports use); an unknown
        code is an error the reader understands."""
        hit = self.regions[self.regions["code"] == str(code)]
        if hit.empty:
            raise QAnalysisError(f"region {code!r} is not in the regions table "
                                 f"(known: {', '.join(self.regions['code'])})")
        return str(hit.iloc[0]["name_zh" if lang == "zh" else "name_en"])
