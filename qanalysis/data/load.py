"""``qanalysis.load()``: the dataset every notebook and report starts from."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence

import pandas as pd

from .. import config
from ..dataset import (CATALOGUE_COLUMNS, OBSERVATION_COLUMNS, REGION_COLUMNS, REVIEW_COLUMNS,
                      TARGET_COLUMNS, Dataset, PlanInfo, typed)
from ..fingerprint import processed_state, stale_message


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
        **_read_delivery_tables(folder),
    )


def _read_delivery_tables(folder: Path) -> dict:
    """The deliveries used and the values replaced (absent in a folder from before deliveries were kept)."""
    # lazy, as below: a processed folder is read without importing the prepare pipeline
    from .deliveries import table
    from .series_source import REPLACED_COLUMNS

    out = {"deliveries": table([]), "replaced": typed(pd.DataFrame(columns=list(REPLACED_COLUMNS)), REPLACED_COLUMNS)}
    if (folder / "deliveries.csv").exists():
        d = pd.read_csv(folder / "deliveries.csv", dtype=str, keep_default_na=False)
        out["deliveries"] = table(d.assign(values=d["values"].astype(int), kept=d["kept"] == "True")
                                  .to_dict("records"))
    if (folder / "replaced.csv").exists():
        out["replaced"] = _read(folder / "replaced.csv", REPLACED_COLUMNS)
    return out


def ensure_prepared(plan: str | Path | None = None, fill: bool | None = None) -> bool:
    """Prepare the processed folder again when it is missing or stale, saying so in one line
    (zh + en, on stderr; never a Python warning). True when it prepared."""
    from .prepare import prepare  # lazy: a fresh processed folder is read without the prepare pipeline

    folder, fresh, want = processed_state(plan, fill)
    if fresh:
        return False
    print(stale_message(folder), file=sys.stderr)
    prepare(plan, fill=want)
    return True


def load(plan: str | Path | None = None, data_dir: str | Path | None = None,
         data_files: Sequence[str | Path] | None = None, fill: bool | None = None) -> Dataset:
    """The catalogue, regions, targets, observations and review as typed DataFrames.

    * ``data_files``: build in memory from the raw plan, the kept deliveries and these
      files, applied last (nothing written, nothing kept).
    * ``data_dir``: a processed folder written by ``qanalysis prepare`` (or the processed root).
    * neither: the processed folder of the plan. If it is missing or out of date with
      the inputs ``prepare`` uses (shipped raw files + kept deliveries + the code), one
      line says so (Chinese and English, on stderr) and it is prepared again from them.
    * ``fill`` True/False: the processed folder when it was prepared with that setting,
      else the same inputs built in memory with it (nothing written: asking for other
      data never changes what every other reader of the processed folder gets).
    """
    # lazy: a fresh processed folder is read without importing the whole prepare pipeline
    from .prepare import build

    if data_files:
        return build(plan, data_files, fill)
    if data_dir:
        folder = Path(data_dir)
        if not (folder / "plan.json").exists():
            folder = folder / config.plan_dir(plan).name
        return read_processed(folder)
    if fill is not None:
        folder, fresh, _ = processed_state(plan, fill)
        return read_processed(folder) if fresh else build(plan, (), fill)
    try:
        ensure_prepared(plan)
    except OSError as exc:  # a read-only install: build in memory from the same inputs
        print(f"qanalysis: cannot write the processed folder ({exc}); using the data built in memory "
              "/ 无法写入已处理数据,改用内存中构建的数据", file=sys.stderr)
        return build(plan, (), fill)
    return read_processed(config.PROCESSED_DIR / config.plan_dir(plan).name)
