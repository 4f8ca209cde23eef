"""Synthetic datasets for the analytics tests, built with ``typed()`` to the column contracts.

A helper module imported by tests/test_assess.py and friends.
Every value here is made up for testing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from qanalysis.dataset import (CATALOGUE_COLUMNS, OBSERVATION_COLUMNS, REGION_COLUMNS, REVIEW_COLUMNS,
                               TARGET_COLUMNS, Dataset, PlanInfo, typed)

PLAN = PlanInfo(id="test-plan", name_zh="测试规划", name_en="Test plan", city_code="330300",
                base_year=2020, first_year=2021, target_year=2025, data_first_year=2016)

# id, kind, comparator, direction, lower, upper, decimals, baseline, target
INDICATORS = [
    ("pass_rate", "level", ">=", 1, 0.0, 100.0, 0, 95.0, 96.0),
    ("pm25", "level", "<=", -1, 0.0, np.nan, 0, 25.0, 26.0),
    ("drinking_water", "level", "==", 1, 0.0, 100.0, 0, 100.0, 100.0),
    ("trademarks", "stock", ">=", 1, 0.0, np.nan, 2, 46.38, 60.0),
    ("standards_new", "increment", ">=", 1, 0.0, np.nan, 0, 234.0, 300.0),
    ("good_air", "unquantified", ">=", 1, 0.0, 100.0, 1, 97.0, np.nan),
    ("sparse", "level", ">=", 1, 0.0, 100.0, 0, 40.0, 50.0),
    ("one_point", "level", ">=", 1, 0.0, 100.0, 0, 40.0, 50.0),
]


def catalogue() -> pd.DataFrame:
    rows = []
    for i, (id_, kind, cmp_, d, lo, hi, dec, base, tgt) in enumerate(INDICATORS):
        rows.append(dict(id=id_, name_zh=f"指标{i}", name_en=f"Indicator {i}", category="产品质量",
                         category_en="product", unit="%", kind=kind, comparator=cmp_, direction=d,
                         lower_bound=lo, upper_bound=hi, decimals=dec, baseline_year=2020,
                         baseline=base, target_year=2025, target=tgt, baseline_text=str(base),
                         target_text=str(tgt), source="test", labels="", description="", note=""))
    return typed(pd.DataFrame(rows), CATALOGUE_COLUMNS)


def regions() -> pd.DataFrame:
    return typed(pd.DataFrame([
        dict(code="330300", name_zh="温州市", name_en="Wenzhou", level="city", parent="", weight=1.0),
        dict(code="330302", name_zh="鹿城区", name_en="Lucheng", level="county", parent="330300", weight=0.2),
    ]), REGION_COLUMNS)


def targets(cat: pd.DataFrame, regs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for code in regs["code"]:
        for r in cat.to_dict("records"):
            rows.append(dict(region=code, indicator=r["id"], baseline_year=r["baseline_year"],
                             baseline=r["baseline"], target_year=r["target_year"], target=r["target"],
                             comparator=r["comparator"],
                             target_basis="plan" if code == "330300" else "city_default", target_note=""))
    return typed(pd.DataFrame(rows), TARGET_COLUMNS)


def observations(values: dict[tuple[str, str], dict[int, float]], status: str = "illustrative") -> pd.DataFrame:
    rows = [dict(region=r, indicator=i, year=y, value=v, status=status, source="synthetic", note="")
            for (r, i), ys in values.items() for y, v in ys.items()]
    return typed(pd.DataFrame(rows), OBSERVATION_COLUMNS)


CITY_SERIES = {
    "pass_rate": {2020: 95.0, 2021: 95.3, 2022: 95.5, 2023: 95.9},
    "pm25": {2018: 31.0, 2019: 28.0, 2020: 25.0, 2021: 24.0, 2022: 25.0},
    "drinking_water": {2020: 100.0, 2021: 100.0, 2022: 99.8, 2023: 100.0},
    "trademarks": {2020: 46.38, 2021: 50.1, 2022: 53.0, 2023: 56.2},
    "standards_new": {2019: 50.0, 2020: 52.0, 2021: 55.0, 2022: 58.0, 2023: 62.0},
    "good_air": {2020: 97.0, 2021: 97.5, 2022: 96.8},
    "sparse": {2020: 40.0, 2022: 45.0},
    "one_point": {2022: 45.0},
}


def dataset(series: dict | None = None, county_series: dict | None = None) -> Dataset:
    cat, regs = catalogue(), regions()
    values = {("330300", k): v for k, v in (series or CITY_SERIES).items()}
    values.update({("330302", k): v for k, v in (county_series or {}).items()})
    review = typed(pd.DataFrame(columns=list(REVIEW_COLUMNS)), REVIEW_COLUMNS)
    return Dataset(plan=PLAN, catalogue=cat, regions=regs, targets=targets(cat, regs),
                   observations=observations(values), review=review)


def random_panel(rng: np.random.Generator, S: int, T: int, p_missing: float = 0.2):
    """(years, Y) with NaN for missing years; every row keeps at least 3 points."""
    years = np.arange(2016, 2016 + T)
    Y = rng.normal(50, 5, (S, T)) + rng.normal(0, 2, (S, 1)) * (years - years.mean())
    miss = rng.random((S, T)) < p_missing
    miss[:, :3] = False
    Y[miss] = np.nan
    return years, Y
