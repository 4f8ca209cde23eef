"""raw → processed, in one command: ``qanalysis prepare``.

1. Read the plan folder (catalogue, regions, county targets, review).
2. Observations, highest precedence first: the files given with ``--data``;
   the published values (data/raw/observations/published.csv); the plan's
   own base-year values; then, unless ``--no-fill``, illustrative values from
   the seeded generator for every (region, indicator, year) still empty.
3. Validate everything; on any error write nothing and exit non-zero.
4. Write ``data/processed/<plan-id>/`` as a whole, atomically: the folder is
   built beside the old one and swapped in, so a refused or interrupted run
   leaves the previous good output untouched.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence

import pandas as pd

from .. import __version__, config
from ..atomic import atomic_dir
from ..dataset import OBSERVATION_COLUMNS, Dataset, typed
from ..errors import raise_if_errors
from ..fingerprint import processed_hash
from ..plan.catalogue import read_plan
from ..plan.regions import apply_observed_baselines
from .generator import illustrative
from .published import plan_baselines, published_paths, read_published
from .validate import check_files

PROCESSED_FILES = ("indicators.csv", "regions.csv", "targets.csv", "observations.csv",
                   "review.csv", "plan.json")


def raw_inputs(plan: str | Path | None = None, data_files: Sequence[str | Path] = ()) -> list[Path]:
    """Every raw file the processed data is derived from (hashed by :func:`qanalysis.fingerprint.processed_hash`)."""
    pdir = config.plan_dir(plan)
    files = sorted(p for p in pdir.glob("*") if p.is_file())
    return files + published_paths(plan) + [Path(f) for f in data_files]


def combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate observation frames; earlier frames win on (region, indicator, year)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return typed(pd.DataFrame(columns=list(OBSERVATION_COLUMNS)), OBSERVATION_COLUMNS)
    df = pd.concat([typed(f, OBSERVATION_COLUMNS) for f in frames], ignore_index=True)
    df = df.drop_duplicates(["region", "indicator", "year"], keep="first")
    return df.sort_values(["region", "indicator", "year"], kind="stable").reset_index(drop=True)


def build(plan: str | Path | None = None, data_files: Sequence[str | Path] = (),
          fill: bool | None = None) -> Dataset:
    """The full dataset in memory; raises InputError listing every problem."""
    data = read_plan(plan)
    frames = []
    if data_files:
        user, problems = check_files([Path(f) for f in data_files], data)
        raise_if_errors(problems)
        for p in problems:  # warnings only at this point
            print(f"warning: {p}", file=sys.stderr)
        frames.append(user)
    for path in published_paths(plan, data.plan):
        frames.append(read_published(path, data=data))
    frames.append(plan_baselines(data))
    known = combine(frames)
    if fill is None:
        fill = True
    if fill:
        frames.append(illustrative(data, anchors=known))
    obs = combine(frames)
    data.observations = obs
    data.targets = apply_observed_baselines(data.targets, obs, data.catalogue, data.plan)
    return data


def write_processed(data: Dataset, out_dir: Path, source_hash: str) -> Path:
    """Write the processed folder for ``data.plan`` atomically; return its path."""
    target = Path(out_dir) / data.plan.id
    with atomic_dir(target) as tmp:
        data.catalogue.to_csv(tmp / "indicators.csv", index=False)
        data.regions.to_csv(tmp / "regions.csv", index=False)
        data.targets.to_csv(tmp / "targets.csv", index=False)
        data.observations.to_csv(tmp / "observations.csv", index=False)
        data.review.to_csv(tmp / "review.csv", index=False)
        meta = {"plan": {**data.plan.__dict__, "published": list(data.plan.published),
                         "county_share_indicators": list(data.plan.county_share_indicators)},
                "qanalysis_version": __version__,
                "source_hash": source_hash,
                "counts": data.observations["status"].value_counts().to_dict()}
        (tmp / "plan.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return target


def prepare(plan: str | Path | None = None, data_files: Sequence[str | Path] = (),
            out_dir: Path | None = None, fill: bool | None = None) -> tuple[Dataset, Path]:
    data = build(plan, data_files, fill)
    files = raw_inputs(plan, data_files)
    path = write_processed(data, Path(out_dir or config.PROCESSED_DIR),
                           processed_hash(files, extra=f"fill={fill}"))
    return data, path


def summary(data: Dataset) -> str:
    """A short text summary: what is there, and how much of it is real."""
    obs = data.observations
    cat = data.catalogue
    lines = [
        f"{data.plan.name_zh} ({data.plan.id})",
        f"  indicators: {len(cat)} ({', '.join(f'{k} {v}' for k, v in cat['kind'].value_counts().items())})",
        f"  regions: {len(data.regions)}; review (previous plan) rows: {len(data.review)}",
        f"  observations: {len(obs)} in {obs['year'].min() if len(obs) else '-'}–{obs['year'].max() if len(obs) else '-'}",
    ]
    for status, n in obs["status"].value_counts().items():
        lines.append(f"    {status}: {n}")
    if (obs["status"] == "illustrative").any():
        lines.append("  注意: 含示例数据 (illustrative values from the seeded generator, not published)")
    return "\n".join(lines)
