"""What counts as "the inputs changed": one scheme for processed data and for reports.

Two consumers ask the same question:

* ``qanalysis.load()`` and the report runner — is ``data/processed/`` older than
  the inputs ``prepare`` reads (:func:`processed_inputs`: the plan folder, the
  published values, every kept delivery) or the code that prepares them?
  (:func:`processed_hash`, stored in ``plan.json``; :func:`processed_state`)
* ``qanalysis reports --resume`` — were the reports made from other data or
  other code? (:func:`data_fingerprint`, :func:`code_sha`, in ``manifest.json``)
* the notebook kernel's cache — did any data file change since the assessment
  was computed? (:func:`stat_key`: paths, sizes and mtimes, cheap enough per report)
* ``qanalysis reports`` (incremental) — which regions' data changed?
  (:func:`region_fingerprints`: each region's rows of the processed tables, and the
  files every report shares)

The code part is computed from the files themselves: the modules the prepare
step imports (followed statically through the package), not a hand-kept list.
Standard library only: the report runner's parent process imports this.
"""
from __future__ import annotations

import ast
import csv
import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any, Iterable

from . import config

PACKAGE = "qanalysis"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_sha(path: Path) -> str:
    """sha256 of a file, "" when it is missing."""
    return sha256_file(path) if path.is_file() else ""


# --------------------------------------------------------------------------- the code

def module_file(name: str) -> Path | None:
    """The source file of ``qanalysis.x.y`` inside the package, or None."""
    parts = name.split(".")[1:]
    base = config.PACKAGE_DIR.joinpath(*parts)
    for p in (base.with_suffix(".py"), base / "__init__.py"):
        if p.is_file():
            return p
    return None


def imported_modules(path: Path, name: str) -> set[str]:
    """The ``qanalysis`` modules ``path`` (module ``name``) imports, anywhere in its body."""
    is_pkg = path.name == "__init__.py"
    package = name if is_pkg else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[:len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != PACKAGE:
                continue
            found.add(base)
            for a in node.names:  # `from . import atomic` names a module
                if module_file(f"{base}.{a.name}") is not None:
                    found.add(f"{base}.{a.name}")
    return {m for m in found if m != name and module_file(m) is not None}


def import_closure(start: str) -> dict[str, Path]:
    """``start`` and every package module it imports, directly or not: name -> file."""
    seen: dict[str, Path] = {}
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_file(name)
        if path is None:
            continue
        seen[name] = path
        todo += sorted(imported_modules(path, name) - set(seen))
    return seen


def code_files(start: str) -> list[Path]:
    """The code that shapes ``start``'s output: its import closure and the package data
    (``*.json``, such as the indicator schema) beside those modules."""
    files = set(import_closure(start).values())
    for folder in {p.parent for p in files}:
        files |= set(folder.glob("*.json"))
    return sorted(files)


def code_sha(files: Iterable[Path] | None = None) -> str:
    """sha256 over code files (default: every ``*.py`` of the package)."""
    total = hashlib.sha256()
    for p in sorted(files) if files is not None else sorted(config.PACKAGE_DIR.rglob("*.py")):
        total.update(Path(p).read_bytes())
    return total.hexdigest()


# --------------------------------------------------------------------------- processed data

PREPARE_MODULE = "qanalysis.data.prepare"


def processed_hash(files: Iterable[Path], extra: str = "", code: str | None = None) -> str:
    """The stamp of a processed folder: the prepare code, the raw files (name and bytes)
    and ``extra`` (the options that change the output)."""
    h = hashlib.sha256((code if code is not None else code_sha(code_files(PREPARE_MODULE))).encode())
    for f in files:
        h.update(Path(f).name.encode())
        h.update(Path(f).read_bytes())
    h.update(extra.encode())
    return h.hexdigest()


def plan_settings(plan: str | os.PathLike | None = None) -> dict[str, Any]:
    """plan.toml as a dict, read with the standard library ({} when missing or not TOML:
    ``prepare`` then says what is wrong with it)."""
    try:
        return tomllib.loads((config.plan_dir(plan) / "plan.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def processed_inputs(plan: str | os.PathLike | None = None,
                     deliveries_dir: str | os.PathLike | None = None) -> list[Path]:
    """Every raw file ``prepare`` builds the processed data from, in a fixed order: the plan
    folder's files, the published-value files plan.toml names, then every file of the
    plan's kept deliveries (``<deliveries>/<plan-id>/<id>/``: the file as delivered and
    its ``delivery.json``; folders being written or removed start with a dot)."""
    pdir = config.plan_dir(plan)
    meta = plan_settings(plan)
    files = sorted(p for p in pdir.glob("*") if p.is_file())
    files += [(pdir / p).resolve() for p in meta.get("published", []) if isinstance(p, str)]
    kept = config.deliveries_dir(deliveries_dir) / str(meta.get("id", ""))
    if meta.get("id") and kept.is_dir():
        files += sorted(p for p in kept.rglob("*") if p.is_file()
                        and not any(part.startswith(".") for part in p.relative_to(kept).parts))
    return files


def fill_key(fill: bool) -> str:
    """The ``extra`` of :func:`processed_hash` for a fill setting (it changes the output)."""
    return f"fill={bool(fill)}"


def processed_state(plan: str | os.PathLike | None = None,
                    fill: bool | None = None) -> tuple[Path, bool, bool]:
    """(the plan's processed folder, it is up to date, the fill setting to build it with).

    Up to date: written from exactly :func:`processed_inputs` by the same code. With
    ``fill`` None, the setting the last ``prepare`` used stays (``--no-fill`` stays in
    force), else plan.toml's ``fill_illustrative``. Standard library only: the report
    runner's parent asks this before it starts the workers.
    """
    meta = plan_settings(plan)
    folder = config.PROCESSED_DIR / config.plan_dir(plan).name
    default_fill = meta.get("fill_illustrative", True) is not False
    stamp = folder / "plan.json"
    if not meta or not stamp.is_file():
        return folder, False, default_fill if fill is None else bool(fill)
    try:
        written = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return folder, False, default_fill if fill is None else bool(fill)
    want = bool(fill) if fill is not None else bool(written.get("fill", default_fill))
    fresh = written.get("source_hash") == processed_hash(processed_inputs(plan), extra=fill_key(want))
    return folder, fresh, want


def stale_message(folder: Path) -> str:
    """The one line said when the processed folder is prepared again (zh + en)."""
    why = ("已处理数据过期(原始数据、报送数据或程序已改变),正在按原始数据与已保存的报送数据重建"
           " / processed data are out of date with the raw data, the kept deliveries or the code: rebuilding"
           if (folder / "plan.json").exists() else "尚无已处理数据,正在生成 / no processed data yet: preparing")
    return f"qanalysis: {why} ({folder})"


# --------------------------------------------------------------------------- report inputs

def _plan_name() -> str:
    return config.plan_dir().name


def data_roots(data_dir: str | os.PathLike | None) -> list[Path]:
    """The folders a report reads: the processed folder given, or the plan, the raw
    observations and the plan's processed folder."""
    if data_dir:
        return [Path(data_dir)]
    return [config.plan_dir(), config.OBSERVATIONS_RAW_DIR, config.PROCESSED_DIR / _plan_name()]


def data_fingerprint(data_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """sha256 of every data file the reports read (processed folder and raw inputs)."""
    files: dict[str, str] = {}
    for root in data_roots(data_dir):
        if not root.is_dir():
            continue
        for p in sorted(root.rglob("*")):
            rel = p.relative_to(root)
            if p.is_file() and not any(part.startswith(".") for part in rel.parts):
                files[str(p)] = sha256_file(p)
    total = hashlib.sha256()
    for name in sorted(files):
        total.update(f"{name}\0{files[name]}\n".encode())
    return {"sha256": total.hexdigest(), "n_files": len(files), "files": files}


def stat_key(data_dir: str | os.PathLike | None = None) -> tuple:
    """Every data file's path, modification time and size: a cheap "changed?" key."""
    items = []
    for root in data_roots(data_dir):
        if root.is_dir():
            for p in root.rglob("*"):
                if p.is_file():
                    st = p.stat()
                    items.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(sorted(items))


# --------------------------------------------------------------------------- per-region inputs

# Processed tables with one row a (region, …): split by their ``region`` column, so a
# delivery for one county changes that county's fingerprint only.
REGION_TABLES = ("observations.csv", "targets.csv", "series_sources.csv", "replaced.csv")
# plan.json keys that change with every prepare or delivery but no report shows
VOLATILE_PLAN_KEYS = ("source_hash", "counts", "deliveries")


def _rows_sha(header: list[str], rows: list[list[str]]) -> str:
    h = hashlib.sha256("\x1f".join(header).encode())
    for r in rows:
        h.update(b"\x1e" + "\x1f".join(r).encode())
    return h.hexdigest()


def region_fingerprints(data_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """What each region's data are, file by file: ``{"regions": {code: {file: sha}},
    "shared": {file: sha}}`` (file names relative to the data folder).

    The tables of :data:`REGION_TABLES` are hashed per region (header and that region's
    rows, in file order); ``deliveries.csv`` per region too, the rows of the deliveries a
    region's observations come from; ``plan.json`` without :data:`VOLATILE_PLAN_KEYS`;
    every other file whole, as shared (a file this does not know rebuilds every report).
    Standard library only: the report batch's parent reads the processed CSVs itself.
    """
    root = Path(data_dir) if data_dir else config.PROCESSED_DIR / _plan_name()
    regions: dict[str, dict[str, str]] = {}
    shared: dict[str, str] = {}
    used: dict[str, set[str]] = {}   # region -> delivery ids its observations come from
    deliveries: list[tuple[str, Path]] = []
    files = sorted(p for p in root.rglob("*") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(root).parts)) \
        if root.is_dir() else []
    for p in files:
        rel = str(p.relative_to(root))
        if p.name == "deliveries.csv":
            deliveries.append((rel, p))
            continue
        if p.name == "plan.json":
            try:
                meta = json.loads(p.read_text(encoding="utf-8"))
                for k in VOLATILE_PLAN_KEYS:
                    meta.pop(k, None)
                shared[rel] = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()
                continue
            except (OSError, ValueError, AttributeError):
                pass  # not the JSON prepare writes: hashed whole below
        if p.name in REGION_TABLES:
            with open(p, encoding="utf-8-sig", newline="") as fh:
                reader = csv.reader(fh)
                header = next(reader, [])
                if "region" in header:
                    col = header.index("region")
                    dcol = header.index("delivery") if p.name == "observations.csv" and "delivery" in header else -1
                    by: dict[str, list[list[str]]] = {}
                    for row in reader:
                        code = row[col] if col < len(row) else ""
                        by.setdefault(code, []).append(row)
                        if 0 <= dcol < len(row) and row[dcol]:
                            used.setdefault(code, set()).add(row[dcol])
                    for code, rows in by.items():
                        regions.setdefault(code, {})[rel] = _rows_sha(header, rows)
                    continue
        shared[rel] = sha256_file(p)
    for rel, p in deliveries:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            rows = list(reader)
        if "id" not in header:
            shared[rel] = sha256_file(p)
            continue
        col = header.index("id")
        for code, ids in used.items():
            mine = [r for r in rows if col < len(r) and r[col] in ids]
            regions.setdefault(code, {})[rel] = _rows_sha(header, mine)
    return {"regions": regions, "shared": shared}


def combined_sha(parts: dict[str, str]) -> str:
    """One sha256 for a ``{name: sha}`` mapping (order-free)."""
    total = hashlib.sha256()
    for name in sorted(parts):
        total.update(f"{name}\0{parts[name]}\n".encode())
    return total.hexdigest()
