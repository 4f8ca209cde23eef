"""The processed data a report batch reads, seen from the batch parent (standard library only).

Before the workers start, :func:`prepare_if_stale` prepares the processed folder
again when :func:`qanalysis.fingerprint.processed_state` says it is missing or
stale (the same question ``qanalysis.load()`` asks), in a child process so the
parent never imports pandas. :func:`data_basis` reads what every series rests on
(delivered / published / illustrative) and the deliveries used, for the manifest.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from .. import config
from ..errors import QAnalysisError
from ..fingerprint import processed_state


def prepare_if_stale() -> None:
    """Prepare the processed folder again when it is missing or stale (shipped raw files,
    kept deliveries, code), in a child process: this one stays free of pandas."""
    if processed_state()[1]:
        return
    env = dict(os.environ)
    env["PYTHONPATH"] = str(config.PROJECT_DIR) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    code = "from qanalysis.data.load import ensure_prepared; ensure_prepared()"
    res = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    if res.returncode:
        lines = res.stderr.strip().splitlines()
        raise QAnalysisError("the processed data are out of date and could not be prepared again: "
                             + (lines[-1] if lines else f"exit code {res.returncode}")
                             + " (run `qanalysis prepare` to see every problem)")
    print(res.stderr.strip(), file=sys.stderr)


def data_basis(data_dir) -> dict:
    """For the manifest: the deliveries used and what every series rests on, read from
    the processed folder's deliveries.csv and series_sources.csv (no pandas here)."""
    plan_name = config.plan_dir().name
    folder = Path(data_dir) if data_dir else config.PROCESSED_DIR / plan_name
    if data_dir and not (folder / "plan.json").is_file():
        folder = folder / plan_name
    if not (folder / "series_sources.csv").is_file():
        return {}  # a processed folder from before deliveries were kept

    def rows(name: str) -> list[dict[str, str]]:
        path = folder / name
        if not path.is_file():
            return []
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    deliveries = [dict(d, values=int(d["values"]), kept=d["kept"] == "True") for d in rows("deliveries.csv")]
    per_series: dict[str, dict[str, str]] = {}
    counts: dict[str, int] = {}
    for r in rows("series_sources.csv"):
        b = r["data_basis"]
        counts[b] = counts.get(b, 0) + 1
        per_series.setdefault(r["region"], {})[r["indicator"]] = (
            f"{b} ({r['statuses']}): {r['files']}" if b == "delivered"
            else f"{b} ({r['statuses']}): {r['addresses']}" if b == "published" else b)
    return {"deliveries": deliveries, "replaced_values": len(rows("replaced.csv")),
            "series_basis_counts": counts, "series_basis": per_series}
