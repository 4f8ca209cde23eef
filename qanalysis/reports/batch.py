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

Incremental: each region's manifest entry records its input fingerprint (its
rows of the processed tables, the regions its report shows, the shared files,
code, notebook, options; :mod:`.inputs`, :func:`qanalysis.fingerprint.region_fingerprints`).
A plain run rebuilds only the reports whose inputs changed, the failed and the
missing ones, and says which and why; ``force`` rebuilds every region asked.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import platform
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Iterable, Sequence

from .. import config
from ..atomic import write_text
from ..errors import QAnalysisError, UsageError
from ..fingerprint import code_sha, data_fingerprint, file_sha, region_fingerprints
from .inputs import (GLOBAL_REASONS, as_of_iso, report_kind, charts_shown, city_of, data_basis, describe_plan, plan_rebuild,
                     prepare_if_stale, region_inputs, shown_regions)
from .jobs import CODE_RE, excerpt, now
from .outdir import BatchLock, check_out_dir, describe_stale, sweep_dead
from .pool import (allow_workers, prestart_workers, run_job, shutdown_workers, stop_all_workers,
                   write_failure)


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
        raise UsageError("bad region code(s) in --region: " + "; ".join(problems)
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
    # package metadata only when versions are recorded
    from importlib import metadata
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        if dist == "qanalysis":
            from .. import __version__  # the source tree, not installed: its own version
            return __version__
        return "unknown"


class BatchInterrupted(KeyboardInterrupt):
    """The batch was stopped (Ctrl-C, SIGTERM, SIGHUP) after writing what was finished.

    ``str()`` is the one line to show; ``exit_code`` is 128 + the signal number.
    """

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.exit_code = 128 + signum


class _Signalled(KeyboardInterrupt):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_STOP_SIGNALS = ("SIGTERM", "SIGHUP")


def _catch_stop_signals() -> dict:
    """SIGTERM and SIGHUP stop the batch the way Ctrl-C does (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def stop(signum, _frame):
        raise _Signalled(signum)
    old = {signal.SIGINT: signal.getsignal(signal.SIGINT)}  # restored after a clean-up ignored it
    for name in _STOP_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None:
            old[sig] = signal.signal(sig, stop)
    return old


def _ignore_stop_signals() -> None:
    """While stopping the workers: a second Ctrl-C must not cut the clean-up short."""
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGINT", *_STOP_SIGNALS):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_IGN)


def _positive_seconds(timeout) -> float:
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise UsageError(f"--timeout {timeout!r}: must be a finite number of seconds above 0")
    return value


def run_reports(regions: Sequence[str] | None = None, jobs: int | None = None,
                out_dir: str | os.PathLike = config.REPORTS_DIR,
                data_dir: str | os.PathLike | None = None,
                notebook: str | os.PathLike = config.COUNTY_REPORT_NOTEBOOK,
                timeout: float = 600, resume: bool = False, scheduler: str | None = None,
                lang: str = "zh", progress: bool = True, summary: bool = True,
                charts: bool = False, force: bool = False, as_of=None) -> RunSummary:
    """Run ``notebook`` once per region into ``out_dir/<region>/``; write the manifest.

    ``timeout`` is the wall-clock limit of one report, in seconds. Arguments and
    regions are checked before anything is written (:class:`UsageError`); one
    batch at a time per ``out_dir`` (:class:`~qanalysis.errors.BusyError`).
    ``manifest.json`` is rewritten after every region; when stopped (Ctrl-C,
    SIGTERM) the finished regions are kept and :class:`BatchInterrupted` raised.
    ``charts``: also every chart as PNG 300 dpi + SVG in ``<region>/charts/`` (on demand: slow).
    Incremental: a report whose inputs are those of its last good build is kept as it is
    (its files untouched); ``force`` rebuilds every region asked. ``resume`` is the same
    as the default (kept for scripts that pass it).
    ``as_of``: the evaluation date passed to the notebook (docs/evaluation.md); None: the
    monitoring report (``qanalysis reports`` passes today).
    """
    as_of = as_of_iso(as_of)
    if lang not in ("zh", "en"):
        raise UsageError(f"--lang {lang!r}: must be 'zh' or 'en'")
    timeout = _positive_seconds(timeout)
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise UsageError(f"--jobs {jobs!r}: must be a whole number of workers, 1 or more")
    if not data_dir:  # the workers read the processed folder: it must be what prepare makes now
        prepare_if_stale()
    asked = resolve_regions(regions, data_dir)  # before any path is built from a code
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise UsageError(f"--notebook {notebook}: no such notebook")
    out_dir = check_out_dir(out_dir)
    lock = BatchLock(out_dir)
    stale = lock.acquire()
    old_handlers = _catch_stop_signals()
    try:
        if stale:
            print(f"qanalysis reports: {describe_stale(stale)}", file=sys.stderr)
        swept = sweep_dead(out_dir)
        if swept:
            print(f"qanalysis reports: removed {len(swept)} leftover(s) of killed batches: "
                  f"{', '.join(swept)}", file=sys.stderr)
        return _run_locked(asked, jobs, out_dir, data_dir, notebook, timeout, resume, scheduler,
                           lang, progress, summary, charts, force, as_of)
    finally:
        for sig, handler in old_handlers.items():
            signal.signal(sig, handler)
        lock.release()


def _run_locked(asked, jobs, out_dir: Path, data_dir, notebook: Path, timeout: float, resume,
                scheduler, lang, progress, summary, charts=False, force=False, as_of="") -> RunSummary:
    data_dir_s = str(Path(data_dir).resolve()) if data_dir else ""
    started, t0 = now(), time.monotonic()

    fp = data_fingerprint(data_dir)
    key = {"data_sha256": fp["sha256"], "notebook_sha256": file_sha(notebook), "lang": lang,
           "code_sha256": code_sha(), "report_kind": report_kind(as_of, data_dir)}
    previous = _read_manifest(out_dir)
    kept: dict[str, dict] = dict((previous or {}).get("regions", {}))
    base_job = {"type": "report", "notebook": str(notebook), "out_dir": str(out_dir),
                "data_dir": data_dir_s, "lang": lang, "timeout": float(timeout),
                "chart_files": "png,svg" if charts else "", "as_of": as_of}

    # which reports to build: those whose inputs changed (incremental), failed or missing
    table = regions_table(data_dir)
    codes, city = [r["code"] for r in table], city_of(table)
    fps = region_fingerprints(data_dir)
    common = {"code": key["code_sha256"], "notebook": key["notebook_sha256"],
              "options": {**{k: v for k, v in base_job.items() if k not in ("type", "notebook", "out_dir", "timeout", "as_of")},
                         "report_kind": key["report_kind"]}}

    def inputs_now(code: str, shown_charts) -> dict:
        return region_inputs(code, fps, shown_regions(code, city, codes, shown_charts), common)

    reasons = plan_rebuild(asked, kept, inputs_now, out_dir, force)
    todo = [(c, n) for c, n in asked if reasons[c]]
    rerun_all_reason = ""
    if previous is None:
        if resume:
            rerun_all_reason = "no previous manifest.json: running every region"
    elif todo and len(todo) == len(asked) and all(
            any(w.startswith(GLOBAL_REASONS) for w in reasons[c]) for c, _ in asked):
        changed = [k for k in key if previous.get("key", {}).get(k) != key[k]] or ["--force"]
        rerun_all_reason = f"inputs changed since the last run ({', '.join(changed)}): rerunning every region"
    if rerun_all_reason:  # also with --no-progress: it explains why everything runs
        print(f"qanalysis reports: {rerun_all_reason}", file=sys.stderr)
    if previous is not None:  # which reports are rebuilt and why, which kept
        print("qanalysis reports: " + describe_plan(reasons, dict(asked)), file=sys.stderr)

    n_jobs = max(1, min(int(jobs or os.cpu_count() or 1), max(1, len(todo))))
    job_list = [dict(base_job, region=c, region_name=n) for c, n in todo]

    results: dict[str, dict] = {}  # regions finished in this run
    header = {
        "tool": "qanalysis reports",
        "package_version": _version("qanalysis"),
        "papermill_version": _version("papermill"),
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "notebook": str(notebook),
        "key": key,
        "data": {"dir": data_dir_s or "(default)", "sha256": fp["sha256"], "n_files": fp["n_files"],
                 "files": fp["files"], **data_basis(data_dir)},
        "lang": lang, "jobs": n_jobs, "scheduler": scheduler or "", "timeout_s": float(timeout),
        "pid": os.getpid(), "started": started,
        "resume": bool(resume), "force": bool(force), "rerun_all_reason": rerun_all_reason,
        "rebuilt_because": {c: reasons[c] for c, _ in todo},
        "kept_unchanged": [c for c, _ in asked if not reasons[c]],
    }

    def write_manifest(state: str, summary_res: dict | None = None) -> dict:
        """The batch as it stands, atomically: after every region, so an interrupted
        batch's --resume reruns exactly the regions not finished."""
        for c, r in results.items():
            kept[c] = r
        manifest = dict(header, state=state, finished=now() if state != "running" else None,
                        elapsed_s=round(time.monotonic() - t0, 3),
                        ran=[c for c, _ in todo if c in results],
                        pending=[c for c, _ in todo if c not in results],
                        summary_xlsx=summary_res,
                        regions={c: kept[c] for c in sorted(kept, key=_region_order(asked, kept))})
        write_text(out_dir / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        return manifest

    bar = None
    if progress:
        # tqdm only when progress is shown
        from tqdm import tqdm
        bar = tqdm(total=len(job_list), file=sys.stderr, unit="report", desc="reports")

    def record(job: dict, res: dict) -> None:
        res = dict(res, region_name=job["region_name"], rebuilt_because=reasons[job["region"]])
        res.pop("type", None)
        if res.get("status") == "ok":  # what this build rests on: the next run compares it
            shown = charts_shown(out_dir / job["region"] / f"{job['region']}.ipynb")
            res["charts_shown"] = shown
            res["inputs"] = inputs_now(job["region"], shown)
        results[job["region"]] = res
        write_manifest("running")
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{job['region']} {res['status']}")

    summary_job = None
    prev_summary = (previous or {}).get("summary_xlsx") or {}
    summary_kept = (summary and not todo and not force and previous is not None
                    and previous.get("key") == key and prev_summary.get("status") == "ok"
                    and (out_dir / "summary.xlsx").is_file())
    if summary and not summary_kept:
        summary_job = dict(base_job, type="summary", path=str(out_dir / "summary.xlsx"))
    write_manifest("running")
    try:
        if scheduler:
            summary_res = _run_on_dask(scheduler, job_list, summary_job, record)
        else:
            summary_res = _run_local(n_jobs, job_list, summary_job, record)
        if summary_kept:  # same data and code: the workbook on disk is the one it would write
            summary_res = prev_summary
    except KeyboardInterrupt as exc:
        _ignore_stop_signals()
        write_manifest("interrupted")
        if bar is not None:
            bar.close()  # the message below gets a line of its own
        signum = getattr(exc, "signum", signal.SIGINT)
        left = len(todo) - len(results)
        raise BatchInterrupted(
            f"interrupted ({signal.Signals(signum).name}): {len(results)} of {len(todo)} report(s) "
            f"finished and kept; {left} not done (not failed) — `qanalysis reports --resume` runs them",
            signum) from None
    if bar is not None:
        bar.close()

    manifest = write_manifest("finished", summary_res)
    summary_path = out_dir / "summary.xlsx"
    return RunSummary(out_dir=out_dir, results={c: kept[c] for c, _ in asked},
                      manifest_path=out_dir / "manifest.json",
                      summary_path=summary_path if (summary_res or {}).get("status") == "ok" else None,
                      started=started, finished=manifest["finished"], elapsed_s=manifest["elapsed_s"],
                      jobs=n_jobs, rerun_all_reason=rerun_all_reason, summary_status=summary_res)


def _region_order(asked, kept):
    order = {c: i for i, (c, _) in enumerate(asked)}
    return lambda c: (order.get(c, len(order)), c)


def _run_local(n_jobs: int, job_list: list[dict], summary_job: dict | None, record) -> dict | None:
    # thread pool only for the thread backend
    from concurrent.futures import ThreadPoolExecutor, as_completed

    # Threads only wait on worker subprocesses; the work happens in the workers.
    pool = ThreadPoolExecutor(max_workers=n_jobs)
    futures: dict = {}
    recorded: set = set()
    if not job_list and not summary_job:  # every report up to date: no worker to start
        return None
    try:
        prestart_workers(n_jobs)
        futures = {pool.submit(run_job, j): j for j in job_list}
        for fut in as_completed(futures):
            recorded.add(fut)
            record(futures[fut], fut.result())
        pool.shutdown()
        return run_job(summary_job) if summary_job else None
    except BaseException:  # Ctrl-C, SIGTERM: stop every worker now rather than wait for its report
        _ignore_stop_signals()
        stop_all_workers()
        pool.shutdown(wait=True, cancel_futures=True)
        for fut, job in futures.items():  # finished while the others were stopped: still finished
            if fut not in recorded and fut.done() and not fut.cancelled() and fut.exception() is None:
                if fut.result().get("status") != "interrupted":
                    record(job, fut.result())
        raise
    finally:
        shutdown_workers()


def _run_on_dask(address: str, job_list: list[dict], summary_job: dict | None, record) -> dict | None:
    try:
        # dask.distributed only for the cluster backend (heavy, optional)
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise QAnalysisError(f"--scheduler needs dask distributed: {exc}") from exc
    try:
        client = Client(address, timeout="20s")
    except OSError as exc:
        raise QAnalysisError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    futures: dict = {}
    try:
        client.run(allow_workers)  # a batch interrupted earlier left them stopping
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
    except BaseException:  # interrupted: what runs on the cluster for this batch stops too
        try:
            client.cancel(list(futures))
            client.run(stop_all_workers)
        except Exception:
            pass
        raise
    finally:
        try:  # the warm report workers (and their kernels) must not outlive the batch
            client.run(shutdown_workers)
        except Exception:
            pass
        client.close()
