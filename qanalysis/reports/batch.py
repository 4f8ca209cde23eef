"""``qanalysis reports``: run the county report notebook for every region.

Three processes, three modules: this one is the batch parent (regions,
manifest, resume); :mod:`.pool` drives the worker subprocesses, :mod:`.worker`
and :mod:`.engine` run inside them, :mod:`.notebook` is what the report kernel
imports. Each choice avoids a known upstream pitfall:

* The parent process never imports papermill, pandas or nbconvert. Each region
  job is handed to a *worker* subprocess (``python -c "...worker_main()"``) that
  keeps one Jupyter kernel warm across reports: imports, fonts and the loaded
  data stay in the kernel, the notebook's namespace is cleared (``%reset -f``)
  and every figure closed before the next report. A separate process per worker
  avoids papermill#552 (ProcessPoolExecutor) and papermill#473 (``cwd=`` chdir);
  the kernel uses ``transport="ipc"`` with a private socket folder, so parallel
  kernels never race for TCP ports (papermill#511).
* Limits: the worker gives every cell the time left until the report's
  deadline (nbclient ``timeout_func``) and keeps the partial notebook when that
  fires; the parent enforces the same wall-clock limit plus a grace and kills
  the worker's and the kernel's process groups when it passes (a killed kernel
  can hang papermill, papermill#125). The killed worker is replaced.
* Every report folder is built in a temporary folder and swapped in
  (:func:`qanalysis.atomic.atomic_dir`): a failed run leaves the previous good
  report in place; the partial notebook and the error go to ``_failed/<region>/``.
* ``--scheduler ADDRESS`` submits the very same :func:`run_job` to a Dask
  distributed cluster; each Dask worker process keeps its own warm workers.

What counts as changed inputs for ``--resume`` is :mod:`qanalysis.fingerprint`'s.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Iterable, Sequence

from .. import config
from ..atomic import write_text
from ..errors import QAnalysisError
from ..fingerprint import code_sha, data_fingerprint, file_sha
from .jobs import CODE_RE, excerpt, now
from .pool import ALL_WORKERS, prestart_workers, run_job, shutdown_workers, write_failure


# --------------------------------------------------------------------------- regions

def _plan_name() -> str:
    return config.plan_dir().name


def regions_table(data_dir: str | os.PathLike | None = None) -> list[dict[str, str]]:
    """The regions (code, name_zh, …) as strings, read without pandas.

    ``data_dir`` is a processed folder (as for :func:`qanalysis.load`); without
    it, the raw plan folder's ``regions.csv``.
    """
    candidates: list[Path] = []
    if data_dir:
        d = Path(data_dir)
        candidates += [d / "regions.csv", d / _plan_name() / "regions.csv"]
    else:
        candidates += [config.plan_dir() / "regions.csv",
                       config.PROCESSED_DIR / _plan_name() / "regions.csv"]
    for path in candidates:
        if path.is_file():
            with open(path, encoding="utf-8-sig", newline="") as fh:
                rows = [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]
            if not rows or "code" not in rows[0]:
                raise QAnalysisError(f"{path}: no 'code' column in the regions table")
            return rows
    raise QAnalysisError("no regions table found; looked for "
                         + ", ".join(str(p) for p in candidates)
                         + " (run `qanalysis prepare`, or pass --data-dir)")


def resolve_regions(regions: Iterable[str] | None,
                    data_dir: str | os.PathLike | None = None) -> list[tuple[str, str]]:
    """Check region codes against the regions table, before any path is built.

    Returns ``[(code, name_zh), …]`` in the order asked (all regions, table order,
    when ``regions`` is None). Unknown or unsafe codes raise :class:`QAnalysisError`.
    """
    table = regions_table(data_dir)
    names = {r["code"]: r.get("name_zh", "") for r in table}
    bad_table = [c for c in names if not CODE_RE.match(c)]
    if bad_table:
        raise QAnalysisError(f"regions table has codes that cannot name a folder: {bad_table}")
    if regions is None:
        return list(names.items())
    asked, problems = [], []
    for code in regions:
        if not isinstance(code, str):
            problems.append(f"{code!r} is not text (write region codes as strings, e.g. \"330302\")")
        elif code not in names:
            problems.append(f"{code!r} is not a region code of the plan")
        elif code not in asked:
            asked.append(code)
    if problems:
        raise QAnalysisError("bad region code(s): " + "; ".join(problems)
                             + ". Known codes: " + ", ".join(names))
    return [(c, names[c]) for c in asked]


# --------------------------------------------------------------------------- results

@dataclasses.dataclass
class RunSummary:
    """What :func:`run_reports` did; ``results[code]`` is the region's manifest entry."""

    out_dir: Path
    results: dict[str, dict]
    manifest_path: Path
    summary_path: Path | None
    started: str
    finished: str
    elapsed_s: float
    jobs: int
    rerun_all_reason: str = ""

    @property
    def ok(self) -> list[str]:
        return [c for c, r in self.results.items() if r["status"] == "ok"]

    @property
    def failed(self) -> list[str]:
        return [c for c, r in self.results.items() if r["status"] != "ok"]

    summary_status: dict | None = None

    @property
    def exit_code(self) -> int:
        bad_summary = self.summary_status is not None and self.summary_status.get("status") != "ok"
        return 1 if (self.failed or bad_summary) else 0


def _read_manifest(out_dir: Path) -> dict | None:
    p = out_dir / "manifest.json"
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _version(dist: str) -> str:
    from importlib import metadata
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        if dist == "qanalysis":
            from .. import __version__  # the source tree, not installed: its own version
            return __version__
        return "unknown"


def run_reports(regions: Sequence[str] | None = None, jobs: int | None = None,
                out_dir: str | os.PathLike = config.REPORTS_DIR,
                data_dir: str | os.PathLike | None = None,
                notebook: str | os.PathLike = config.COUNTY_REPORT_NOTEBOOK,
                timeout: float = 600, resume: bool = False, scheduler: str | None = None,
                lang: str = "zh", progress: bool = True, summary: bool = True,
                charts: bool = False) -> RunSummary:
    """Run ``notebook`` once per region into ``out_dir/<region>/``; write the manifest.

    ``timeout`` is the wall-clock limit of one report, in seconds. Regions are
    checked against the regions table before anything is written. ``charts``:
    also every chart as PNG 300 dpi + SVG in ``<region>/charts/`` (on demand: slow).
    """
    if lang not in ("zh", "en"):
        raise QAnalysisError(f"lang must be 'zh' or 'en', not {lang!r}")
    if timeout is None or float(timeout) <= 0:
        raise QAnalysisError(f"timeout must be a positive number of seconds, not {timeout!r}")
    asked = resolve_regions(regions, data_dir)  # before any path is built from a code
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise QAnalysisError(f"report notebook not found: {notebook}")
    out_dir = Path(out_dir).resolve()
    data_dir_s = str(Path(data_dir).resolve()) if data_dir else ""
    started, t0 = now(), time.monotonic()

    fp = data_fingerprint(data_dir)
    key = {"data_sha256": fp["sha256"], "notebook_sha256": file_sha(notebook), "lang": lang,
           "code_sha256": code_sha()}
    previous = _read_manifest(out_dir)
    same_inputs = bool(previous) and previous.get("key") == key
    kept: dict[str, dict] = dict(previous.get("regions", {})) if same_inputs else {}
    rerun_all_reason = ""
    todo = asked
    if resume:
        if previous is None:
            rerun_all_reason = "no previous manifest.json: running every region"
        elif not same_inputs:
            changed = [k for k in key if previous.get("key", {}).get(k) != key[k]]
            rerun_all_reason = f"inputs changed since the last run ({', '.join(changed)}): rerunning every region"
        else:
            todo = [(c, n) for c, n in asked
                    if kept.get(c, {}).get("status") != "ok"
                    or not (out_dir / c / f"{c}.ipynb").is_file()]
        if rerun_all_reason and progress:
            print(f"qanalysis reports: {rerun_all_reason}", file=sys.stderr)

    n_jobs = max(1, min(int(jobs or os.cpu_count() or 1), max(1, len(todo))))
    base_job = {"type": "report", "notebook": str(notebook), "out_dir": str(out_dir),
                "data_dir": data_dir_s, "lang": lang, "timeout": float(timeout),
                "chart_files": "png,svg" if charts else ""}
    job_list = [dict(base_job, region=c, region_name=n) for c, n in todo]
    out_dir.mkdir(parents=True, exist_ok=True)

    results: dict[str, dict] = {}
    summary_res: dict | None = None
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(job_list), file=sys.stderr, unit="report", desc="reports")

    def record(job: dict, res: dict) -> None:
        res = dict(res, region_name=job["region_name"])
        res.pop("type", None)
        results[job["region"]] = res
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{job['region']} {res['status']}")

    summary_job = None
    if summary:
        summary_job = dict(base_job, type="summary", path=str(out_dir / "summary.xlsx"))
    if scheduler:
        summary_res = _run_on_dask(scheduler, job_list, summary_job, record)
    else:
        summary_res = _run_local(n_jobs, job_list, summary_job, record)
    if bar is not None:
        bar.close()

    finished = now()
    for c, _ in todo:
        kept[c] = results[c]
    manifest = {
        "tool": "qanalysis reports",
        "package_version": _version("qanalysis"),
        "papermill_version": _version("papermill"),
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "notebook": str(notebook),
        "key": key,
        "data": {"dir": data_dir_s or "(default)", "sha256": fp["sha256"], "n_files": fp["n_files"],
                 "files": fp["files"]},
        "lang": lang, "jobs": n_jobs, "scheduler": scheduler or "", "timeout_s": float(timeout),
        "started": started, "finished": finished,
        "elapsed_s": round(time.monotonic() - t0, 3),
        "resume": bool(resume), "rerun_all_reason": rerun_all_reason,
        "ran": [c for c, _ in todo],
        "summary_xlsx": summary_res,
        "regions": {c: kept[c] for c in sorted(kept, key=_region_order(asked, kept))},
    }
    write_text(out_dir / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    summary_path = out_dir / "summary.xlsx"
    return RunSummary(out_dir=out_dir, results={c: kept[c] for c, _ in asked},
                      manifest_path=out_dir / "manifest.json",
                      summary_path=summary_path if (summary_res or {}).get("status") == "ok" else None,
                      started=started, finished=finished, elapsed_s=manifest["elapsed_s"],
                      jobs=n_jobs, rerun_all_reason=rerun_all_reason, summary_status=summary_res)


def _region_order(asked, kept):
    order = {c: i for i, (c, _) in enumerate(asked)}
    return lambda c: (order.get(c, len(order)), c)


def _run_local(n_jobs: int, job_list: list[dict], summary_job: dict | None, record) -> dict | None:
    from concurrent.futures import ThreadPoolExecutor, as_completed

    prestart_workers(n_jobs)
    # Threads only wait on worker subprocesses; the work happens in the workers.
    pool = ThreadPoolExecutor(max_workers=n_jobs)
    try:
        futures = {pool.submit(run_job, j): j for j in job_list}
        for fut in as_completed(futures):
            record(futures[fut], fut.result())
        pool.shutdown()
        return run_job(summary_job) if summary_job else None
    except BaseException:  # Ctrl-C: stop every worker now rather than wait for its report
        for h in list(ALL_WORKERS):
            h.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        shutdown_workers()


def _run_on_dask(address: str, job_list: list[dict], summary_job: dict | None, record) -> dict | None:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise QAnalysisError(f"--scheduler needs dask distributed: {exc}") from exc
    try:
        client = Client(address, timeout="20s")
    except OSError as exc:
        raise QAnalysisError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    try:
        futures = {client.submit(run_job, j, pure=False, key=f"report-{j['region']}-{time.time_ns()}"): j
                   for j in job_list}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # the Dask worker itself died
                res = {"status": "failed", "error_kind": "dask",
                       "error": excerpt(f"{type(exc).__name__}: {exc}")}
                res["details"] = write_failure(Path(job["out_dir"]), job["region"], res)
            record(job, res)
        if summary_job:
            return client.submit(run_job, summary_job, pure=False).result()
        return None
    finally:
        try:  # the warm report workers (and their kernels) must not outlive the batch
            client.run(shutdown_workers)
        except Exception:
            pass
        client.close()
