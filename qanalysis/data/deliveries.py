"""Kept deliveries: the yearly values an analyst delivered, stored as raw data.

``qanalysis prepare --data FILE…`` keeps every file it accepted under
``data/raw/deliveries/<plan-id>/<id>/``: the file exactly as delivered (never
edited) and ``delivery.json`` (id, original name, sha256, date kept, number of
values). Every later ``prepare`` — the plain one ``make reports`` runs too —
builds from the shipped raw files plus all kept deliveries, in id order: where
two deliveries give a value for the same (region, indicator, year), the later
one wins (see :mod:`qanalysis.series_source`).

``qanalysis deliveries`` (:mod:`qanalysis.cli.deliveries`) lists them, checks them
(``--verify``) and removes one. Every write here and to the processed data holds one
lock (:func:`lock`); ids are never reused (:data:`LAST_ID_FILE`); every kept file's
sha256 is checked whenever deliveries are read (:func:`kept`). The folder is the user's data, not the project's: it is git-ignored
(docs/data.md). Tests and other setups point it elsewhere with the environment
variable ``QANALYSIS_DELIVERIES`` (:func:`qanalysis.config.deliveries_dir`).
Which files count as the processed data's inputs is
:func:`qanalysis.fingerprint.processed_inputs`' (every file of these folders).
"""
from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .. import config
from ..atomic import atomic_dir, exclusive, remove_leftovers, write_text
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


LOCK_FILE = ".lock"        # at the deliveries root: one writer of deliveries and processed data at a time
LAST_ID_FILE = ".last-id"  # in a plan's folder: the highest id ever issued (ids are never reused)
VERIFY_HINT = ("`qanalysis deliveries --verify` lists every kept file that changed or went missing; "
               "remove such a delivery with `qanalysis deliveries --remove ID` and deliver the file again")


def lock(deliveries_dir=None):
    """The lock every writer of deliveries and processed data holds (:func:`atomic.exclusive`)."""
    root = config.deliveries_dir(deliveries_dir)
    return exclusive(root / LOCK_FILE, f"the kept deliveries ({root})")


def _read(d: Path, check_hash: bool) -> tuple[Delivery | None, str | None]:
    """(delivery, None) or (None or the delivery, what is wrong with it)."""
    if d.is_symlink():
        return None, "is a link, not a folder kept by qanalysis; remove it"
    meta_path = d / META_FILE
    if meta_path.is_symlink() or not meta_path.is_file():
        return None, f"has no {META_FILE} of its own (an interrupted keep?)"
    try:
        m = json.loads(meta_path.read_text(encoding="utf-8"))
        dl = Delivery(id=str(m["id"]), name=str(m["name"]), sha256=str(m["sha256"]),
                      kept_at=str(m["kept_at"]), values=int(m["values"]), folder=d)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        return None, f"{META_FILE} is not a readable delivery record ({exc})"
    if (dl.name in ("", ".", "..", META_FILE) or Path(dl.name).name != dl.name or "\\" in dl.name
            or "\x00" in dl.name):
        return None, f"{META_FILE} names {dl.name!r}, which is not a file inside the delivery's folder"
    if dl.id != d.name:
        return None, f"{META_FILE} says id {dl.id!r} but the folder is {d.name!r}"
    if dl.path.is_symlink():
        return dl, f"the kept file {dl.name!r} is a link, not the file as delivered"
    if not dl.path.is_file():
        return dl, f"the kept file {dl.name!r} is missing"
    if check_hash and sha256_file(dl.path) != dl.sha256:
        return dl, (f"the kept file {dl.name!r} changed after it was kept (its sha256 is no longer "
                    f"{dl.sha256[:12]}…, the one the reports cite)")
    return dl, None


def _folders(plan_id: str, deliveries_dir=None) -> list[Path]:
    folder = plan_folder(plan_id, deliveries_dir)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if not p.name.startswith(".") and (p.is_dir() or p.is_symlink())),
                  key=lambda p: _order(p.name))


def verify(plan_id: str, deliveries_dir=None) -> list[tuple[str, Path, str | None]]:
    """Every delivery folder of a plan: (id, folder, what is wrong or None), hashes checked."""
    return [(d.name, d, _read(d, True)[1]) for d in _folders(plan_id, deliveries_dir)]


def kept(plan_id: str, deliveries_dir=None) -> list[Delivery]:
    """Every kept delivery of a plan, oldest first (the order in which they apply).

    Each kept file's sha256 is checked against its record: a changed, missing or
    linked file, or a record naming a file outside its folder, is an error naming
    the folder, with the remedy (:data:`VERIFY_HINT`).
    """
    out = []
    for d in _folders(plan_id, deliveries_dir):
        if not d.is_symlink() and not (d / META_FILE).exists() and not (d / META_FILE).is_symlink():
            continue  # not a delivery (a folder made by hand, or emptied)
        dl, wrong = _read(d, True)
        if wrong:
            raise QAnalysisError(f"{d}: {wrong}; {VERIFY_HINT}")
        out.append(dl)
    return out


def _order(delivery_id: str):
    return (int(delivery_id), delivery_id) if delivery_id.isdigit() else (10 ** 9, delivery_id)


_ISSUED = re.compile(r"^\.?(?:removing-)?([0-9]+)(?:\..*)?$")  # 007, .removing-007, .007.tmp-PID-x


def next_ids(plan_id: str, n: int, deliveries_dir=None) -> list[str]:
    """The ids the next ``n`` deliveries will get: after the highest ever issued, never reused."""
    folder = plan_folder(plan_id, deliveries_dir)
    used = [int(m[1]) for p in (folder.iterdir() if folder.is_dir() else ()) if (m := _ISSUED.match(p.name))]
    try:
        used.append(int((folder / LAST_ID_FILE).read_text(encoding="ascii").strip() or 0))
    except (OSError, ValueError):
        pass
    start = max(used, default=0) + 1
    return [f"{i:03d}" for i in range(start, start + n)]


def reserve_ids(plan_id: str, n: int, deliveries_dir=None) -> list[str]:
    """:func:`next_ids`, recorded as issued (call with :func:`lock` held)."""
    ids = next_ids(plan_id, n, deliveries_dir)
    if ids:
        write_text(plan_folder(plan_id, deliveries_dir) / LAST_ID_FILE, str(int(ids[-1])) + "\n")
    return ids


def sweep(plan_id: str, deliveries_dir=None) -> list[str]:
    """Remove what killed runs left in the plan's folder (call with :func:`lock` held).

    Under the lock no other writer is running, so a ``.removing-ID`` folder is a
    removal that was killed half-way (finished now); temporary folders of a keep
    are removed when their writer's PID is gone (:func:`atomic.remove_leftovers`).
    """
    folder = plan_folder(plan_id, deliveries_dir)
    if not folder.is_dir():
        return []
    gone = remove_leftovers(folder)
    for p in folder.iterdir():
        if p.name.startswith(".removing-"):
            _delete(p)
            gone.append(p.name)
    return gone


def _delete(p: Path) -> None:
    if p.is_symlink() or not p.is_dir():
        p.unlink()  # a link is removed, never what it points to
    else:
        shutil.rmtree(p)


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
    if target.exists() or target.is_symlink():
        raise QAnalysisError(f"{target} exists already; delivery ids are never reused")
    dl = Delivery(id=delivery_id, name=path.name, sha256=sha256_file(path),
                  kept_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
                  values=int(values), folder=target)
    with atomic_dir(target) as tmp:
        shutil.copyfile(path, tmp / dl.name)
        if sha256_file(tmp / dl.name) != dl.sha256:
            raise QAnalysisError(f"{path} changed while it was being kept; deliver it again")
        with open(tmp / META_FILE, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(dl.meta(), ensure_ascii=False, indent=1) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    return dl


def remove(plan_id: str, delivery_id: str, deliveries_dir=None) -> Delivery | None:
    """Remove one kept delivery (its folder), broken or not; the next ``prepare`` builds without it.

    Returns the delivery as recorded (None when its record was unreadable)."""
    with lock(deliveries_dir):
        sweep(plan_id, deliveries_dir)
        found = {d.name: d for d in _folders(plan_id, deliveries_dir)}
        if delivery_id not in found:
            known = ", ".join(found) or "none"
            raise QAnalysisError(f"no delivery {delivery_id!r} for plan {plan_id} (kept: {known})")
        folder = found[delivery_id]
        d, _ = _read(folder, False)
        # move aside first, then delete: a reader never sees a half-removed delivery
        trash = folder.with_name(f".removing-{delivery_id}")
        os.replace(folder, trash)
        _delete(trash)
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
        df, probs = check_files([Path(path)], plan_data)  # a file of no values is an error there
        problems += [p for p in probs if not (quiet and p.severity == "warning")]
        if len(df):
            frames.append(df.assign(delivery=delivery_id))
    out = pd.concat(frames, ignore_index=True) if frames else empty_observations().assign(delivery="")
    return out, problems
