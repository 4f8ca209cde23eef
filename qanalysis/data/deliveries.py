"""Kept deliveries: the yearly values an analyst delivered, stored as raw data.

``qanalysis prepare --data FILE…`` keeps every file it accepted under
``data/raw/deliveries/<plan-id>/<id>/``: the file exactly as delivered (never
edited) and ``delivery.json`` (id, original name, sha256, date kept, number of
values). Every later ``prepare`` — the plain one ``make reports`` runs too —
builds from the shipped raw files plus all kept deliveries, in id order: where
two deliveries give a value for the same (region, indicator, year), the later
one wins (see :mod:`qanalysis.series_source`).

``qanalysis deliveries`` (:mod:`qanalysis.cli.deliveries`) lists them and removes
one. The folder is the user's data, not the project's: it is git-ignored
(docs/data.md). Tests and other setups point it elsewhere with the environment
variable ``QANALYSIS_DELIVERIES`` (:func:`qanalysis.config.deliveries_dir`).
Which files count as the processed data's inputs is
:func:`qanalysis.fingerprint.processed_inputs`' (every file of these folders).
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .. import config
from ..atomic import atomic_dir
from ..errors import Problem, QAnalysisError
from ..fingerprint import sha256_file
from .readers import empty_observations
from .validate import check_files

META_FILE = "delivery.json"
DELIVERY_COLUMNS = ("id", "name", "sha256", "kept_at", "values", "kept")


@dataclass(frozen=True)
class Delivery:
    id: str          # "001", "002", …: the order in which deliveries were kept (later wins)
    name: str        # the file name as delivered
    sha256: str      # of the file's bytes
    kept_at: str     # when it was kept (UTC, ISO 8601)
    values: int      # values accepted from it
    folder: Path

    @property
    def path(self) -> Path:
        """The kept file, byte for byte as delivered."""
        return self.folder / self.name

    def meta(self) -> dict:
        d = asdict(self)
        d.pop("folder")
        return d


def plan_folder(plan_id: str, deliveries_dir=None) -> Path:
    """``<deliveries root>/<plan-id>/``: the plan's kept deliveries."""
    return config.deliveries_dir(deliveries_dir) / plan_id


def kept(plan_id: str, deliveries_dir=None) -> list[Delivery]:
    """Every kept delivery of a plan, oldest first (the order in which they apply)."""
    folder = plan_folder(plan_id, deliveries_dir)
    if not folder.is_dir():
        return []
    out = []
    for d in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        meta_path = d / META_FILE
        if not meta_path.is_file():
            continue  # an interrupted keep leaves no delivery.json: not a delivery
        try:
            m = json.loads(meta_path.read_text(encoding="utf-8"))
            dl = Delivery(id=str(m["id"]), name=str(m["name"]), sha256=str(m["sha256"]),
                          kept_at=str(m["kept_at"]), values=int(m["values"]), folder=d)
        except (ValueError, KeyError, TypeError) as exc:
            raise QAnalysisError(f"{meta_path}: not a readable delivery record ({exc}); "
                                 f"remove the folder {d} or restore the file") from None
        if not dl.path.is_file():
            raise QAnalysisError(f"{d}: the delivered file {dl.name!r} is missing; "
                                 f"remove the delivery with `qanalysis deliveries --remove {dl.id}`")
        out.append(dl)
    return sorted(out, key=lambda x: _order(x.id))


def _order(delivery_id: str):
    return (int(delivery_id), delivery_id) if delivery_id.isdigit() else (10 ** 9, delivery_id)


def next_ids(plan_id: str, n: int, deliveries_dir=None) -> list[str]:
    """The ids the next ``n`` deliveries will get."""
    folder = plan_folder(plan_id, deliveries_dir)
    used = [int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit()] if folder.is_dir() else []
    start = max(used, default=0) + 1
    return [f"{i:03d}" for i in range(start, start + n)]


def find_same(plan_id: str, path: str | os.PathLike, deliveries_dir=None) -> Delivery | None:
    """The kept delivery with the same bytes as ``path``, if any."""
    sha = sha256_file(path)
    return next((d for d in kept(plan_id, deliveries_dir) if d.sha256 == sha), None)


def keep(plan_id: str, path: str | os.PathLike, delivery_id: str, values: int,
         deliveries_dir=None) -> Delivery:
    """Copy ``path`` unchanged into ``<root>/<plan-id>/<id>/`` with its record; atomic."""
    path = Path(path)
    folder = plan_folder(plan_id, deliveries_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / delivery_id
    if target.exists():
        raise QAnalysisError(f"{target} exists already; delivery ids are never reused")
    dl = Delivery(id=delivery_id, name=path.name, sha256=sha256_file(path),
                  kept_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
                  values=int(values), folder=target)
    with atomic_dir(target) as tmp:
        shutil.copyfile(path, tmp / dl.name)
        if sha256_file(tmp / dl.name) != dl.sha256:
            raise QAnalysisError(f"{path} changed while it was being kept; deliver it again")
        (tmp / META_FILE).write_text(json.dumps(dl.meta(), ensure_ascii=False, indent=1) + "\n",
                                     encoding="utf-8")
    return dl


def remove(plan_id: str, delivery_id: str, deliveries_dir=None) -> Delivery:
    """Remove one kept delivery (its folder); the next ``prepare`` builds without it."""
    found = {d.id: d for d in kept(plan_id, deliveries_dir)}
    if delivery_id not in found:
        known = ", ".join(found) or "none"
        raise QAnalysisError(f"no delivery {delivery_id!r} for plan {plan_id} (kept: {known})")
    d = found[delivery_id]
    # move aside first, then delete: a reader never sees a half-removed delivery
    trash = d.folder.with_name(f".removing-{d.id}")
    os.replace(d.folder, trash)
    shutil.rmtree(trash)
    return d


def table(items) -> pd.DataFrame:
    """Deliveries as a DataFrame with :data:`DELIVERY_COLUMNS` (``kept`` False for a file used in memory)."""
    rows = [{"id": d.id, "name": d.name, "sha256": d.sha256, "kept_at": d.kept_at,
             "values": d.values, "kept": True} if isinstance(d, Delivery) else d for d in items]
    df = pd.DataFrame(rows, columns=list(DELIVERY_COLUMNS))
    return df.astype({"id": "string", "name": "string", "sha256": "string", "kept_at": "string",
                      "values": "int64", "kept": "bool"})


def read_files(sources, plan_data, quiet: bool = False):
    """Read and check delivery files, each on its own: ``sources`` is [(path, delivery id)].

    Returns (rows with ``delivery`` set, in the order given, problems). A file that
    holds no value at all (a header only, every value cell blank) is an error: a
    delivery of nothing is refused, not accepted with a warning. ``quiet`` drops
    warnings (a kept delivery's were shown when it was delivered).
    """
    frames, problems = [], []
    for path, delivery_id in sources:
        df, probs = check_files([Path(path)], plan_data)
        errors = [p for p in probs if p.severity == "error"]
        if not errors and len(df) == 0:
            where = [p for p in probs if p.code == "no_data"]
            probs = [p for p in probs if p.code != "no_data"]
            why = ("the file holds no values (a header only, or every value cell blank): nothing would be "
                   "delivered, so it is refused; fill in at least one value (数值)")
            if where:
                probs += [Problem(file=w.file, reason=why, row=w.row, sheet=w.sheet, code="no_values")
                          for w in where]
            else:
                probs.append(Problem(file=str(path), reason=why, code="no_values"))
        problems += [p for p in probs if not (quiet and p.severity == "warning")]
        if len(df):
            frames.append(df.assign(delivery=delivery_id))
    out = pd.concat(frames, ignore_index=True) if frames else empty_observations().assign(delivery="")
    return out, problems
