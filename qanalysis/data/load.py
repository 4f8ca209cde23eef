"""``qanalysis.load()``: the dataset every notebook and report starts from."""
from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Sequence

import pandas as pd

from .. import config
from ..dataset import (CATALOGUE_COLUMNS, OBSERVATION_COLUMNS, REGION_COLUMNS, REVIEW_COLUMNS,
                      TARGET_COLUMNS, Dataset, PlanInfo, typed)


def _read(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    strings = {c: str for c, t in columns.items() if t == "string"}
    df = pd.read_csv(path, dtype=strings, keep_default_na=False,
                     na_values={c: [""] for c in columns if c not in strings})
    if "named_missed_in_plan" in df.columns:
        df["named_missed_in_plan"] = df["named_missed_in_plan"].astype(str).str.lower() == "true"
    return typed(df, columns)


def read_processed(folder: Path) -> Dataset:
    meta = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    return Dataset(
        plan=PlanInfo(**{**meta["plan"], "published": tuple(meta["plan"].get("published", ())),
                         "county_share_indicators": tuple(meta["plan"].get("county_share_indicators", ()))}),
        catalogue=_read(folder / "indicators.csv", CATALOGUE_COLUMNS),
        regions=_read(folder / "regions.csv", REGION_COLUMNS),
        targets=_read(folder / "targets.csv", TARGET_COLUMNS),
        observations=_read(folder / "observations.csv", OBSERVATION_COLUMNS),
        review=_read(folder / "review.csv", REVIEW_COLUMNS),
    )


def load(plan: str | Path | None = None, data_dir: str | Path | None = None,
         data_files: Sequence[str | Path] | None = None, fill: bool | None = None) -> Dataset:
    """The catalogue, regions, targets, observations and review as typed DataFrames.

    * ``data_files``: build in memory from the raw plan plus these files (nothing written).
    * ``data_dir``: a processed folder written by ``qanalysis prepare`` (or the processed root).
    * neither: the processed folder of the plan if it is up to date with the raw
      files, else the same data built in memory (and a warning to run prepare).
    """
    # lazy: a fresh processed folder is read without importing the whole prepare pipeline
    from ..fingerprint import processed_hash
    from .prepare import build, raw_inputs

    if data_files:
        return build(plan, data_files, fill)
    if data_dir:
        folder = Path(data_dir)
        if not (folder / "plan.json").exists():
            folder = folder / config.plan_dir(plan).name
        return read_processed(folder)
    folder = config.PROCESSED_DIR / config.plan_dir(plan).name
    if (folder / "plan.json").exists():
        meta = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
        fresh = meta.get("source_hash") == processed_hash(raw_inputs(plan), extra=f"fill={fill}")
        if fresh:
            return read_processed(folder)
        warnings.warn(f"{folder} is older than the raw data (or the code that prepares it); using the raw data "
                      "(run `qanalysis prepare` to refresh it)", stacklevel=3)
    return build(plan, (), fill)
