"""Published values, mapped onto the plan's indicators (data/raw/observations/published.csv).

Each row carries its source address and the clause that states it (see that
folder's PROVENANCE.md). The plan's own 2020 baselines are published values
too: the plan is a public document.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..dataset import OBSERVATION_COLUMNS, Dataset, typed
from ..errors import Problem, QAnalysisError, raise_if_errors
from ..plan.catalogue import read_plan_info



def published_paths(plan: str | Path | None = None, info=None) -> list[Path]:
    """The published-value files a plan names in plan.toml (``published = [...]``)."""
    pdir = config.plan_dir(plan)
    if info is None:
        info = read_plan_info(pdir)
    return [(pdir / p).resolve() for p in info.published]


def read_published(path: Path, data: Dataset | None = None,
                   all_years: bool = False) -> pd.DataFrame:
    """The published annual values; only the plan's data years unless ``all_years``.

    With ``data``, rows for indicators or regions the plan does not know are an error.
    """
    path = Path(path)
    if not path.exists():
        raise QAnalysisError(f"{path}: published-value file named in plan.toml does not exist")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    problems = []
    value = pd.to_numeric(raw["value"], errors="coerce")
    year = pd.to_numeric(raw["year"], errors="coerce")
    for i in np.flatnonzero(value.isna() | year.isna()):
        col = "value" if np.isnan(value.iat[i]) else "year"
        problems.append(Problem(str(path), f"{raw[col].iat[i]!r} is not a number", row=int(i) + 2,
                                column=col, code="bad_number"))
    if data is not None:
        for col, known in (("indicator", set(data.catalogue["id"])), ("region", set(data.regions["code"]))):
            for i in np.flatnonzero(~raw[col].isin(known)):
                problems.append(Problem(str(path), f"unknown {col} {raw[col].iat[i]!r}",
                                        row=int(i) + 2, column=col, code=f"unknown_{col}"))
    raise_if_errors(problems)
    df = raw.assign(value=value, year=year.astype("int64"))
    if data is not None and not all_years:
        df = df[(df["year"] >= data.plan.data_first_year) & (df["year"] <= data.plan.target_year)]
    return typed(df, OBSERVATION_COLUMNS)


def plan_baselines(data: Dataset) -> pd.DataFrame:
    """The plan's base-year values for the city, as published observations.

    Not for ``increment`` indicators: their "baseline" is the previous plan's
    total of additions, not a value of the base year.
    """
    cat = data.catalogue
    use = cat["baseline"].notna() & cat["kind"].ne("increment")
    rows = cat[use]
    out = pd.DataFrame({
        "region": data.plan.city_code, "indicator": rows["id"], "year": data.plan.base_year,
        "value": rows["baseline"], "status": "published",
        "source": f"{data.plan.name_zh} " + rows["source"] + " 基期值",
        "note": "规划文本公布的基期值",
    })
    return typed(out, OBSERVATION_COLUMNS)
