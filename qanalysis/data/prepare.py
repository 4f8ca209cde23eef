"""raw → processed, in one command: ``qanalysis prepare``.

1. Read the plan folder (catalogue, regions, county targets, review).
2. ``--data FILE…``: check each file as one delivery; on any error keep nothing
   and write nothing; else keep each file under data/raw/deliveries/ (see
   :mod:`qanalysis.data.deliveries`).
3. Observations per series by the precedence of :mod:`qanalysis.data.series_source`:
   every kept delivery (later wins year by year), else the published values
   (published.csv and the plan's base-year values), else — unless ``--no-fill``
   or ``fill_illustrative = false`` in plan.toml — illustrative values.
4. Write ``data/processed/<plan-id>/`` as a whole, atomically: the folder is
   built beside the old one and swapped in, so a refused or interrupted run
   leaves the previous good output untouched.
"""
from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Sequence

import pandas as pd

from .. import __version__, config
from ..atomic import atomic_dir, remove_leftovers
from ..dataset import OBSERVATION_COLUMNS, Dataset, typed
from ..errors import Problem, QAnalysisError, printable, problem_lines, raise_if_errors
from ..fingerprint import fill_key, processed_hash, processed_inputs, sha256_file
from ..plan.catalogue import read_plan, read_plan_info
from ..plan.regions import apply_observed_baselines
from . import deliveries, series_source
from .generator import illustrative
from .published import plan_baselines, published_paths, read_published

PROCESSED_FILES = ("indicators.csv", "regions.csv", "targets.csv", "observations.csv",
                   "review.csv", "deliveries.csv", "replaced.csv", "series_sources.csv", "plan.json")


def combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate observation frames; earlier frames win on (region, indicator, year)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return typed(pd.DataFrame(columns=list(OBSERVATION_COLUMNS)), OBSERVATION_COLUMNS)
    df = pd.concat([typed(f, OBSERVATION_COLUMNS) for f in frames], ignore_index=True)
    df = df.drop_duplicates(["region", "indicator", "year"], keep="first")
    return df.sort_values(["region", "indicator", "year"], kind="stable").reset_index(drop=True)


def build(plan: str | Path | None = None, data_files: Sequence[str | Path] = (),
          fill: bool | None = None, deliveries_dir=None) -> Dataset:
    """The full dataset in memory; raises InputError listing every problem.

    Observations follow :mod:`qanalysis.data.series_source`: the kept deliveries (and
    ``data_files``, applied after them, kept nowhere), else the published values,
    else — when filling is on — illustrative values.
    """
    data = read_plan(plan)
    kept = deliveries.kept(data.plan.id, deliveries_dir)
    delivered, problems = deliveries.read_files([(d.path, d.id) for d in kept], data, quiet=True)
    new, new_problems = deliveries.read_files([(Path(f), Path(f).name) for f in data_files], data)
    problems += new_problems
    if any(p.severity == "error" for p in problems) and kept:
        problems.append(Problem(file=str(deliveries.plan_folder(data.plan.id, deliveries_dir)), code="kept_delivery",
                                reason="a kept delivery no longer passes the checks (the plan changed?); remove "
                                       "it with `qanalysis deliveries --remove ID` and deliver it again corrected"))
    raise_if_errors(problems)
    for line in problem_lines(new_problems):  # warnings only at this point
        print(f"warning: {line}", file=sys.stderr)
    files = [{"id": Path(f).name, "name": Path(f).name, "sha256": sha256_file(Path(f)), "kept_at": "",
              "values": int((new["delivery"] == Path(f).name).sum()), "kept": False} for f in data_files]
    data.deliveries = deliveries.table(kept + files)
    published = [read_published(path, data=data) for path in published_paths(plan, data.plan)]
    published = combine(published + [plan_baselines(data)])
    if fill is None:
        fill = data.plan.fill_illustrative
    # the generator is anchored on published values only: a delivery never moves another series
    generated = illustrative(data, anchors=published) if fill else None
    obs, data.replaced = series_source.choose(pd.concat([delivered, new], ignore_index=True), published, generated)
    data.observations = obs
    # a baseline comes from delivered or published values, never from illustrative ones
    data.targets = apply_observed_baselines(data.targets, series_source.real_observations(obs),
                                            data.catalogue, data.plan)
    return data


def write_processed(data: Dataset, out_dir: Path, source_hash: str, fill: bool | None = None) -> Path:
    """Write the processed folder for ``data.plan`` atomically; return its path."""
    target = Path(out_dir) / data.plan.id
    with atomic_dir(target) as tmp:
        data.catalogue.to_csv(tmp / "indicators.csv", index=False)
        data.regions.to_csv(tmp / "regions.csv", index=False)
        data.targets.to_csv(tmp / "targets.csv", index=False)
        data.observations.to_csv(tmp / "observations.csv", index=False)
        data.review.to_csv(tmp / "review.csv", index=False)
        data.deliveries.to_csv(tmp / "deliveries.csv", index=False)
        data.replaced.to_csv(tmp / "replaced.csv", index=False)
        # what every series rests on, for readers without pandas (the report runner's manifest)
        series_source.series_sources(data.observations, data.deliveries).to_csv(tmp / "series_sources.csv",
                                                                                index=False)
        meta = {"plan": {**data.plan.__dict__, "published": list(data.plan.published),
                         "county_share_indicators": list(data.plan.county_share_indicators)},
                "qanalysis_version": __version__,
                "source_hash": source_hash, "fill": data.plan.fill_illustrative if fill is None else fill,
                "deliveries": data.deliveries["id"].astype(str).tolist() if len(data.deliveries) else [],
                "counts": data.observations["status"].value_counts().to_dict()}
        (tmp / "plan.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return target


def deliver(plan: str | Path | None, data_files: Sequence[str | Path], deliveries_dir=None) -> list:
    """Check ``data_files`` against the plan, each as one delivery; keep those accepted.

    All or nothing: any error in any file refuses every file and keeps none. A file
    whose bytes are already kept is not kept again. Returns the new deliveries.
    """
    data = read_plan(plan)
    paths = [Path(f) for f in data_files]
    with deliveries.lock(deliveries_dir):
        return _deliver(data, paths, deliveries_dir)


def _deliver(data, paths: list[Path], deliveries_dir) -> list:
    frames, problems = deliveries.read_files([(p, p.name) for p in paths], data)
    raise_if_errors(problems)
    for line in problem_lines(problems):
        print(f"warning: {line}", file=sys.stderr)
    todo, seen = [], set()
    for path in paths:
        same = deliveries.find_same(data.plan.id, path, deliveries_dir)
        sha = sha256_file(path)
        if same is not None or sha in seen:
            print(f"{printable(path)}: the same file is already kept{f' as delivery {same.id}' if same else ''}; "
                  "not kept again / 该文件已报送过", file=sys.stderr)
            continue
        seen.add(sha)
        todo.append(path)
    ids = deliveries.reserve_ids(data.plan.id, len(todo), deliveries_dir)
    new = []
    try:
        for path, did in zip(todo, ids):
            n = int((frames["delivery"] == path.name).sum())
            new.append(deliveries.keep(data.plan.id, path, did, n, deliveries_dir))
    except BaseException:
        for d in new:
            deliveries.remove(data.plan.id, d.id, deliveries_dir)
        raise
    return new


def prepare(plan: str | Path | None = None, data_files: Sequence[str | Path] = (),
            out_dir: Path | None = None, fill: bool | None = None,
            deliveries_dir=None) -> tuple[Dataset, Path]:
    """Keep ``data_files`` as deliveries (after checking them), then build from the shipped raw
    files plus every kept delivery and write the processed folder. A refused file changes nothing.

    The whole run holds the deliveries lock (:func:`deliveries.lock`): a second prepare (or
    ``deliveries --remove``) waits for it, so ids, kept files and processed data never interleave.
    What killed runs left is swept first."""
    out_dir = Path(out_dir or config.PROCESSED_DIR)
    check_out_dir(out_dir, deliveries_dir)
    plan_id = read_plan_info(config.plan_dir(plan)).id
    created = not out_dir.exists()
    with deliveries.lock(deliveries_dir):
        deliveries.sweep(plan_id, deliveries_dir)
        remove_leftovers(out_dir, name=plan_id)
        new = deliver(plan, data_files, deliveries_dir) if data_files else []
        try:
            data = build(plan, (), fill, deliveries_dir)
            effective = data.plan.fill_illustrative if fill is None else fill
            stamp = processed_hash(processed_inputs(plan, deliveries_dir), extra=fill_key(effective))
            path = write_processed(data, out_dir, stamp, effective)
        except BaseException:
            for d in new:  # nothing half-done: the files just kept go again (their ids stay issued)
                deliveries.remove(plan_id, d.id, deliveries_dir)
            if created:  # nor an empty folder made for output that never came (a full disk)
                with contextlib.suppress(OSError):
                    out_dir.rmdir()
            raise
    for d in new:
        print(printable(f"kept delivery {d.id}: {d.name} ({d.values} values) → {d.folder} / 已保存报送数据 {d.id}"))
    return data, path


def check_out_dir(out_dir: Path, deliveries_dir=None) -> None:
    """Refuse a processed-data root inside the raw data or the kept deliveries.

    Written there, the processed files would be read back as inputs (or a plan folder
    replaced): ``--out`` must be outside data/raw and the deliveries folder."""
    out = Path(out_dir).resolve()
    for inside in (config.RAW_DIR, config.deliveries_dir(deliveries_dir)):
        inside = Path(inside).resolve()
        if out == inside or inside in out.parents:
            raise QAnalysisError(f"--out {out_dir}: inside {inside}, where the raw data and kept deliveries "
                                 f"live; write processed data elsewhere (default {config.PROCESSED_DIR})")


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
    if len(data.deliveries):
        lines.append(f"  deliveries used (报送数据): {len(data.deliveries)}; "
                     f"values from them: {int((obs['delivery'] != '').sum())}; "
                     f"replaced by a later delivery: {len(data.replaced)}")
    if (obs["status"] == "illustrative").any():
        lines.append("  注意: 含示例数据 (illustrative values from the seeded generator, not published)")
    return "\n".join(lines)
