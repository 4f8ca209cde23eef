"""``qanalysis reports``: run the county report notebook for every region.

Design (see DESIGN §7 for the upstream pitfalls each choice avoids):

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

The helpers at the end (:func:`load_assessment`, :func:`headline_counts`, …)
run inside the notebook kernel; they import pandas lazily.
"""
from __future__ import annotations

import collections
import csv
import dataclasses
import datetime as _dt
import hashlib
import json
import os
import platform
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Iterable, Sequence

from .. import config
from ..atomic import atomic_dir, write_text
from ..errors import QAnalysisError

# Seconds a worker gets past the report's deadline to save the partial notebook
# and answer before the parent kills it.
KILL_GRACE = 10.0
# A warm kernel is replaced after this many reports (bounds memory and leaked sockets).
REPORTS_PER_KERNEL = 10
# ... and a worker process after this many jobs: its memory grows ~35 MB a county report
# (papermill/nbclient keep something of each executed notebook), so it is replaced.
JOBS_PER_WORKER = int(os.environ.get("QANALYSIS_REPORT_JOBS_PER_WORKER", "10"))
KERNEL_START_TIMEOUT = 60.0
STARTUP_LIMIT = 120.0  # a new worker process must be ready for its first job within this
PROTOCOL_PREFIX = "@@qreport "
# Region codes become folder names: only these characters, and they must be in the table.
_CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,31}$")
STATES = ("ok", "failed", "timeout")
# What the runner passes to the report notebook (its `parameters` cell must define exactly these).
REPORT_PARAMETERS = ("region", "data_dir", "out_dir", "lang")
HIDE_TAG = "report-hide"  # cells of the report notebook left out of the HTML


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
    bad_table = [c for c in names if not _CODE_RE.match(c)]
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


# --------------------------------------------------------------------------- fingerprints

def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _data_roots(data_dir) -> list[Path]:
    if data_dir:
        return [Path(data_dir)]
    return [config.plan_dir(), config.OBSERVATIONS_RAW_DIR, config.PROCESSED_DIR / _plan_name()]


def _code_sha() -> str:
    """sha256 of the library's code: a report made by other code is not resumed from."""
    total = hashlib.sha256()
    for p in sorted(config.PACKAGE_DIR.rglob("*.py")):
        total.update(p.read_bytes())
    return total.hexdigest()


def data_fingerprint(data_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """sha256 of every data file the reports read (processed folder and raw inputs)."""
    files: dict[str, str] = {}
    for root in _data_roots(data_dir):
        if not root.is_dir():
            continue
        for p in sorted(root.rglob("*")):
            rel = p.relative_to(root)
            if p.is_file() and not any(part.startswith(".") for part in rel.parts):
                files[str(p)] = _sha256_file(p)
    total = hashlib.sha256()
    for name in sorted(files):
        total.update(f"{name}\0{files[name]}\n".encode())
    return {"sha256": total.hexdigest(), "n_files": len(files), "files": files}


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


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _excerpt(text: str, limit: int = 600) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text or "").strip()
    return text if len(text) <= limit else "…" + text[-limit:]


# --------------------------------------------------------------------------- parent side: workers

def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(config.PROJECT_DIR)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("MPLBACKEND", "agg")
    env["PYTHONUNBUFFERED"] = "1"
    return env


class _WorkerHandle:
    """A warm worker subprocess, driven over JSON lines on its stdin/stdout."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from qanalysis.reports.batch import worker_main; worker_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", errors="replace", bufsize=1,
            start_new_session=True,  # its own process group, killed as one
            env=_worker_env(), cwd=str(config.PROJECT_DIR),
        )
        self.messages: queue.Queue = queue.Queue()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=400)
        self.n_stderr = 0
        self.kernel_pid: int | None = None
        self.retiring = False  # the worker said it exits after this job
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        for line in self.proc.stdout:
            if line.startswith(PROTOCOL_PREFIX):
                try:
                    self.messages.put(json.loads(line[len(PROTOCOL_PREFIX):]))
                except ValueError:
                    self.stderr_tail.append(line)
            else:
                self.stderr_tail.append(line)
        self.messages.put(None)

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr_tail.append(line)
            self.n_stderr += 1

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_since(self, mark: int) -> str:
        lines = list(self.stderr_tail)
        new = self.n_stderr - mark
        return "".join(lines[-new:] if 0 < new <= len(lines) else lines)

    def run(self, job: dict, wall: float) -> dict:
        """Send one job; wait at most ``wall`` seconds (then kill) for its result."""
        mark = self.n_stderr
        started = time.monotonic()
        # Until the worker takes the job it may still be starting (imports, kernel):
        # that gets its own limit; the report's wall clock starts when it is taken.
        deadline = started + STARTUP_LIMIT
        last_cell: dict | None = None
        try:
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
        except OSError:
            return {"status": "failed", "error_kind": "worker_crash",
                    "error": "the report worker had exited before the job was sent",
                    "log": self.log_since(mark)}
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                where = (f" while running cell {last_cell['index']}: {last_cell['source']}"
                         if last_cell else "")
                return {"status": "timeout", "error_kind": "wall_clock",
                        "error": f"killed after {wall:.0f} s{where}",
                        "log": self.log_since(mark), "elapsed_s": round(time.monotonic() - started, 3)}
            try:
                msg = self.messages.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if msg is None:
                self.proc.wait()
                self._kill_kernel()
                return {"status": "failed", "error_kind": "worker_crash",
                        "error": f"the report worker exited (code {self.proc.returncode})",
                        "log": self.log_since(mark), "elapsed_s": round(time.monotonic() - started, 3)}
            kind = msg.get("type")
            if kind == "start":
                deadline = time.monotonic() + wall
            elif kind == "kernel":
                self.kernel_pid = msg.get("pid")
            elif kind == "cell":
                last_cell = msg
            elif kind == "result":
                self.retiring = bool(msg.pop("retire", False))
                if msg["status"] != "ok":
                    msg["log"] = self.log_since(mark)
                return msg

    def _kill_kernel(self) -> None:
        if self.kernel_pid:
            try:
                os.killpg(self.kernel_pid, signal.SIGKILL)  # the kernel leads its own session
            except (ProcessLookupError, PermissionError):
                pass
            self.kernel_pid = None

    def kill(self) -> None:
        self._kill_kernel()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()

    def close(self, timeout: float = 20.0) -> None:
        """End of input: the worker shuts its kernel down and exits."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.alive():
            self.kill()
        else:
            self._kill_kernel()


# Process-local pool of warm workers: the parent's threads and each Dask worker
# process draw from their own.
_POOL_LOCK = threading.Lock()
_IDLE: list[_WorkerHandle] = []
_ALL: "weakref.WeakSet[_WorkerHandle]" = weakref.WeakSet()  # busy ones too, to kill on Ctrl-C


def _acquire() -> _WorkerHandle:
    with _POOL_LOCK:
        while _IDLE:
            h = _IDLE.pop()
            if h.alive():
                return h
    h = _WorkerHandle()
    _ALL.add(h)
    return h


def _release(h: _WorkerHandle) -> None:
    if h.retiring:
        threading.Thread(target=h.close, daemon=True).start()
    elif h.alive():
        with _POOL_LOCK:
            _IDLE.append(h)


def prestart_workers(n: int) -> None:
    """Start ``n`` workers now so their interpreters and kernels warm up in parallel."""
    with _POOL_LOCK:
        missing = n - sum(h.alive() for h in _IDLE)
    for _ in range(max(0, missing)):
        h = _WorkerHandle()
        _ALL.add(h)
        _release(h)


def shutdown_workers() -> None:
    with _POOL_LOCK:
        handles, _IDLE[:] = list(_IDLE), []
    threads = [threading.Thread(target=h.close) for h in handles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _cleanup_after_kill(out_dir: Path, region: str) -> None:
    """Remove the temporary folders a killed worker left; restore a half-swapped report."""
    target = out_dir / region
    for p in out_dir.glob(f".{region}.*"):
        if p.is_dir():
            if ".old." in p.name and not target.exists():
                os.replace(p, target)  # killed between the two renames of atomic_dir
            else:
                shutil.rmtree(p, ignore_errors=True)


def _write_failure(out_dir: Path, region: str, res: dict) -> str:
    """Error text and worker log into ``_failed/<region>/`` (the worker may have put a
    partial notebook there already); return the folder, relative to ``out_dir``."""
    folder = out_dir / "_failed" / region
    if res.get("error_kind") in ("wall_clock", "worker_crash", "dask"):
        shutil.rmtree(folder, ignore_errors=True)  # nothing of an older run may pass for this one's
    folder.mkdir(parents=True, exist_ok=True)
    text = (f"region: {region}\nstatus: {res.get('status')}\nkind: {res.get('error_kind')}\n"
            f"finished: {_now()}\n\n{res.get('error_full') or res.get('error', '')}\n")
    write_text(folder / "error.txt", text)
    if res.get("log"):
        write_text(folder / "worker.log", res["log"])
    return str(folder.relative_to(out_dir))


def run_job(job: dict) -> dict:
    """Run one job (a report or the summary workbook) on a warm worker of this process.

    This is the function the local thread pool and the Dask cluster both call.
    A region that fails, hangs or crashes its worker comes back as a result with
    ``status`` ``failed``/``timeout``; it never raises for a report's own failure.
    """
    out_dir = Path(job["out_dir"])
    wall = float(job["timeout"]) + KILL_GRACE
    started = _now()
    t0 = time.monotonic()
    h = _acquire()
    try:
        res = h.run(job, wall)
    finally:
        _release(h)
    res.setdefault("elapsed_s", round(time.monotonic() - t0, 3))
    res["wall_s"] = round(time.monotonic() - t0, 3)  # includes waiting for a worker to be ready
    res["started"], res["finished"] = started, _now()
    res["host"] = platform.node()
    if job["type"] == "report":
        region = job["region"]
        if res.get("error_kind") in ("wall_clock", "worker_crash"):
            _cleanup_after_kill(out_dir, region)
        if res["status"] != "ok":
            res["details"] = _write_failure(out_dir, region, res)
    res.pop("log", None)
    res.pop("error_full", None)
    return res


# --------------------------------------------------------------------------- parent side: the batch

def _file_sha(path: Path) -> str:
    return _sha256_file(path) if path.is_file() else ""


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
            from .. import __version__
            return __version__
        return "unknown"


def run_reports(regions: Sequence[str] | None = None, jobs: int | None = None,
                out_dir: str | os.PathLike = config.REPORTS_DIR,
                data_dir: str | os.PathLike | None = None,
                notebook: str | os.PathLike = config.COUNTY_REPORT_NOTEBOOK,
                timeout: float = 600, resume: bool = False, scheduler: str | None = None,
                lang: str = "zh", progress: bool = True, summary: bool = True) -> RunSummary:
    """Run ``notebook`` once per region into ``out_dir/<region>/``; write the manifest.

    ``timeout`` is the wall-clock limit of one report, in seconds. Regions are
    checked against the regions table before anything is written.
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
    started, t0 = _now(), time.monotonic()

    fp = data_fingerprint(data_dir)
    key = {"data_sha256": fp["sha256"], "notebook_sha256": _file_sha(notebook), "lang": lang,
           "code_sha256": _code_sha()}
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
                "data_dir": data_dir_s, "lang": lang, "timeout": float(timeout)}
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

    finished = _now()
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
        for h in list(_ALL):
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
                       "error": _excerpt(f"{type(exc).__name__}: {exc}")}
                res["details"] = _write_failure(Path(job["out_dir"]), job["region"], res)
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


# --------------------------------------------------------------------------- CLI

def configure_parser(parser) -> None:
    parser.add_argument("--region", nargs="+", action="extend", metavar="CODE",
                        help="region code(s), e.g. 330302 (default: every region of the plan)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="parallel workers (default: number of CPUs)")
    parser.add_argument("--out", default=str(config.REPORTS_DIR), metavar="DIR",
                        help="output folder (default: reports/)")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="processed data folder (default: the plan's, as qanalysis.load())")
    parser.add_argument("--timeout", type=float, default=600, metavar="S",
                        help="wall-clock limit of one report in seconds (default 600)")
    parser.add_argument("--resume", action="store_true",
                        help="rerun only missing or failed reports (everything if the data changed)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on a Dask distributed cluster, e.g. tcp://host:8786")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    parser.add_argument("--notebook", default=str(config.COUNTY_REPORT_NOTEBOOK), metavar="PATH",
                        help="the parameterized report notebook")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-summary", action="store_true", help="do not write summary.xlsx")


def run(args) -> int:
    s = run_reports(regions=args.region, jobs=args.jobs, out_dir=args.out, data_dir=args.data_dir,
                    notebook=args.notebook, timeout=args.timeout, resume=args.resume,
                    scheduler=args.scheduler, lang=args.lang, progress=not args.no_progress,
                    summary=not args.no_summary)
    ran = [c for c in s.results if s.results[c].get("finished", "") >= s.started]
    print(f"{len(s.ok)} of {len(s.results)} reports ok ({len(ran)} run now, {s.elapsed_s:.1f} s, "
          f"{s.jobs} worker(s)) → {s.out_dir}")
    print(f"manifest: {s.manifest_path}")
    if s.summary_path:
        print(f"summary:  {s.summary_path}")
    if s.summary_status is not None and s.summary_status.get("status") != "ok":
        print(f"summary.xlsx NOT written: {s.summary_status.get('error', '')}", file=sys.stderr)
    if s.failed:
        print(f"\n{len(s.failed)} report(s) failed:", file=sys.stderr)
        for c in s.failed:
            r = s.results[c]
            print(f"  {c} {r.get('region_name', '')}: {r['status']} ({r.get('error_kind')}): "
                  f"{_excerpt(r.get('error', ''), 200)}\n      why: {s.out_dir / r.get('details', '')}",
                  file=sys.stderr)
    return s.exit_code


# --------------------------------------------------------------------------- worker side

def _proc_peak_mb(pid: int | str = "self") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


class _Worker:
    """Runs jobs in one warm kernel; lives in the worker subprocess."""

    def __init__(self, send) -> None:
        self.send = send
        self.km = None
        self.kc = None
        self.kernel_name = None
        self.served = 0
        self.kernel_peak_mb = None
        self.sock_dir = tempfile.mkdtemp(prefix="qreport-ipc-")
        self._exporter = None

    # kernel lifecycle -----------------------------------------------------
    def start_kernel(self, name: str, cwd: str) -> None:
        # The async manager/client, as nbclient uses by default: with the blocking
        # client nbclient's per-cell timeout never fires.
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        km = AsyncKernelManager(kernel_name=name, transport="ipc",
                                ip=os.path.join(self.sock_dir, f"k{time.monotonic_ns()}"))
        kc = None
        try:
            run_sync(km.start_kernel)(cwd=cwd)
            self.send({"type": "kernel", "pid": km.provisioner.process.pid})
            kc = km.client()
            kc.start_channels()
            run_sync(kc.wait_for_ready)(timeout=KERNEL_START_TIMEOUT)
        except BaseException:
            self._shutdown(km, kc)
            raise
        self.km, self.kc, self.kernel_name, self.served = km, kc, name, 0

    def _shutdown(self, km, kc) -> None:
        try:
            if kc is not None:
                kc.stop_channels()
        except Exception:
            pass
        try:
            if km is not None and km.has_kernel:
                pid = km.provisioner.process.pid
                peak = _proc_peak_mb(pid)
                if peak:
                    self.kernel_peak_mb = max(self.kernel_peak_mb or 0, peak)
                from jupyter_core.utils import run_sync
                run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            pass

    def stop_kernel(self) -> None:
        self._shutdown(self.km, self.kc)
        self.km = self.kc = self.kernel_name = None

    def _alive(self) -> bool:
        from jupyter_core.utils import run_sync
        return bool(run_sync(self.km.is_alive)())

    def ensure_kernel(self, name: str, cwd: str) -> int:
        """A live kernel of ``name``; one retry when it fails to start. Returns attempts."""
        if (self.km is not None and self.kernel_name == name and self.served < REPORTS_PER_KERNEL
                and self._alive()):
            return 0
        self.stop_kernel()
        try:
            self.start_kernel(name, cwd)
            return 1
        except Exception:
            self.stop_kernel()
            self.start_kernel(name, cwd)  # a second failure propagates
            return 2

    @staticmethod
    def reset_code(cwd: str) -> str:
        """Fresh namespace and no open figures; imported modules and caches stay warm."""
        return ("import os as _o, sys as _s\n"
                f"_o.chdir({cwd!r})\n"
                "if 'matplotlib.pyplot' in _s.modules: _s.modules['matplotlib.pyplot'].close('all')\n"
                "get_ipython().run_line_magic('reset', '-f')\n"
                "import gc as _g; _g.collect(); del _g\n")

    def kernel_peak(self) -> float | None:
        if self.km is not None and self.km.has_kernel:
            peak = _proc_peak_mb(self.km.provisioner.process.pid)
            if peak:
                self.kernel_peak_mb = max(self.kernel_peak_mb or 0, peak)
        return self.kernel_peak_mb

    # jobs -----------------------------------------------------------------
    def run(self, job: dict) -> dict:
        try:
            if job["type"] == "summary":
                return self.run_summary(job)
            return self.run_report(job)
        except Exception as exc:  # anything unexpected is this job's failure, not the worker's
            import traceback
            self.stop_kernel()
            return {"status": "failed", "error_kind": "runner",
                    "error": _excerpt(f"{type(exc).__name__}: {exc}"),
                    "error_full": traceback.format_exc()}

    def _kernel_for(self, nb_path: Path, nb: dict) -> tuple[int, dict | None]:
        name = (nb.get("metadata", {}).get("kernelspec", {}) or {}).get("name") or "python3"
        try:
            return self.ensure_kernel(name, str(nb_path.parent)), None
        except Exception as exc:
            self.stop_kernel()
            return 2, {"status": "failed", "error_kind": "kernel_start", "attempts": 2,
                       "error": _excerpt(f"the kernel {name!r} failed to start twice: "
                                         f"{type(exc).__name__}: {exc}")}

    def run_report(self, job: dict) -> dict:
        import nbformat
        import papermill as pm
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        from papermill.exceptions import PapermillExecutionError

        t0 = time.monotonic()
        deadline = t0 + float(job["timeout"])
        region = job["region"]
        if not _CODE_RE.match(region):  # the parent checked it against the table already
            return {"status": "failed", "error_kind": "runner", "error": f"unsafe region code {region!r}"}
        out_dir = Path(job["out_dir"])
        nb_path = Path(job["notebook"])
        nb = nbformat.read(nb_path, as_version=4)
        attempts, failure = self._kernel_for(nb_path, nb)
        if failure:
            return failure
        self.served += 1
        # Always str: papermill's CLI would turn "01" into 1 (DESIGN §7).
        params = {"region": str(region), "data_dir": str(job.get("data_dir") or ""),
                  "out_dir": ".", "lang": str(job.get("lang") or "zh")}
        assert tuple(params) == REPORT_PARAMETERS
        timing: dict[str, float] = {"kernel": round(time.monotonic() - t0, 3)}
        started_cells: list = []

        def on_cell_start(cell, cell_index, **_):
            if cell_index < 0:  # the namespace reset
                return
            started_cells.append(cell)
            first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
            self.send({"type": "cell", "index": cell_index, "source": first[:120]})

        final = out_dir / region
        failed_dir = out_dir / "_failed" / region
        outcome: dict = {}
        try:
            with atomic_dir(final) as tmp:
                out_nb = tmp / f"{region}.ipynb"
                t1 = time.monotonic()
                try:
                    result = pm.execute_notebook(
                        nb, str(out_nb), parameters=params, engine_name=_register_engine(),
                        km=self.km, warm_kc=self.kc, reset_code=self.reset_code(str(tmp)),
                        kernel_name=self.kernel_name, request_save_on_cell_execute=False,
                        progress_bar=False, log_output=False,
                        execution_timeout=max(1, int(job["timeout"])),
                        timeout_func=lambda cell: max(1.0, deadline - time.monotonic()),
                        on_cell_start=on_cell_start)
                except PapermillExecutionError as exc:
                    outcome = {"status": "failed", "error_kind": "cell_error",
                               "error": _excerpt(f"cell {exc.cell_index}: {exc.ename}: {exc.evalue}"),
                               "error_full": "".join(exc.traceback)}
                    self._keep_failed(failed_dir, tmp, None, outcome)
                    raise _Abort from None
                except (CellTimeoutError, TimeoutError) as exc:
                    self.stop_kernel()  # the kernel is still busy in the cell
                    where = ""
                    if started_cells:
                        c = started_cells[-1]
                        first = next((ln for ln in c.source.splitlines() if ln.strip()), "")
                        where = f" in cell {len(started_cells) - 1}: {first[:120]}"
                    outcome = {"status": "timeout", "error_kind": "cell_timeout",
                               "error": f"report exceeded its limit of {job['timeout']:g} s{where}",
                               "error_full": str(exc)}
                    self._keep_failed(failed_dir, tmp, self._partial(nb, started_cells), outcome)
                    raise _Abort from None
                except DeadKernelError as exc:
                    self.stop_kernel()
                    outcome = {"status": "failed", "error_kind": "kernel_died",
                               "error": _excerpt(f"the kernel died: {exc}")}
                    self._keep_failed(failed_dir, tmp, self._partial(nb, started_cells), outcome)
                    raise _Abort from None
                timing["execute"] = round(time.monotonic() - t1, 3)
                t2 = time.monotonic()
                _renumber(result)
                result.metadata.setdefault("qanalysis", {})["warm_kernel_report"] = self.served
                nbformat.write(result, str(out_nb))
                title = f"{job.get('region_name') or region} 质量强市规划指标监测报告"
                (tmp / f"{region}.html").write_text(self.html(result, title), encoding="utf-8")
                timing["html"] = round(time.monotonic() - t2, 3)
                outputs = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        except _Abort:
            outcome["elapsed_s"] = round(time.monotonic() - t0, 3)
            outcome["details"] = str(failed_dir.relative_to(out_dir))
            outcome["kernel_peak_mb"] = self.kernel_peak()
            outcome["worker_peak_mb"] = _proc_peak_mb()
            return outcome
        if failed_dir.exists():  # an older failure is now superseded
            shutil.rmtree(failed_dir, ignore_errors=True)
        return {"status": "ok", "attempts": attempts, "outputs": outputs,
                "elapsed_s": round(time.monotonic() - t0, 3), "timing": timing,
                "kernel_peak_mb": self.kernel_peak(), "worker_peak_mb": _proc_peak_mb()}

    @staticmethod
    def _partial(nb, cells):
        import nbformat
        part = nbformat.v4.new_notebook(metadata=nb.metadata, cells=list(cells))
        return part

    @staticmethod
    def _keep_failed(failed_dir: Path, tmp: Path, partial_nb, outcome: dict) -> None:
        """The partial executed notebook (and whatever the notebook wrote) for reading why."""
        import nbformat
        with atomic_dir(failed_dir) as fd:
            for p in tmp.iterdir():
                if p.is_file():
                    shutil.copy2(p, fd / p.name)
            if partial_nb is not None:
                nbformat.write(partial_nb, str(fd / f"{failed_dir.name}.partial.ipynb"))
            (fd / "error.txt").write_text(
                f"{outcome['error']}\n\n{outcome.get('error_full', '')}\n", encoding="utf-8")

    def make_exporter(self):
        if self._exporter is None:
            from nbconvert import HTMLExporter
            # code hidden: a report reader sees text, tables and charts only
            from nbconvert.preprocessors import TagRemovePreprocessor
            self._exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                                          exclude_output_prompt=True)
            # cells tagged "report-hide" (the template's notes for analysts) are not for readers
            self._exporter.register_preprocessor(
                TagRemovePreprocessor(remove_cell_tags={HIDE_TAG}), enabled=True)
        return self._exporter

    def html(self, nb, title: str) -> str:
        self.make_exporter()
        body, _ = self._exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
        from ..charts.fonts import embed_html_font

        # Chinese text must not turn into boxes on a machine without a CJK font
        return embed_html_font(body)

    def run_summary(self, job: dict) -> dict:
        """``summary.xlsx`` from a warm kernel (the assessment is usually cached there)."""
        t0 = time.monotonic()
        nb_path = Path(job["notebook"])
        _, failure = self._kernel_for(nb_path, {"metadata": {"kernelspec": {"name": "python3"}}})
        if failure:
            return failure
        code = ("from qanalysis.reports import batch as _r\n"
                f"_r.write_summary({job['path']!r}, data_dir={job.get('data_dir') or None!r}, "
                f"lang={job.get('lang', 'zh')!r})\n")
        # Through the same papermill engine as the reports: one proven path to the kernel.
        import nbformat
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError

        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        nb.metadata["kernelspec"] = {"name": self.kernel_name, "language": "python",
                                     "display_name": self.kernel_name}
        deadline = t0 + float(job["timeout"])
        try:
            pm.execute_notebook(nb, None, engine_name=_register_engine(), km=self.km,
                                warm_kc=self.kc, reset_code=self.reset_code(str(Path(job["path"]).parent)),
                                kernel_name=self.kernel_name, request_save_on_cell_execute=False,
                                progress_bar=False, execution_timeout=max(1, int(job["timeout"])),
                                timeout_func=lambda cell: max(1.0, deadline - time.monotonic()))
        except PapermillExecutionError as exc:
            return {"status": "failed", "error_kind": "summary",
                    "error": _excerpt(f"{exc.ename}: {exc.evalue}"),
                    "elapsed_s": round(time.monotonic() - t0, 3)}
        except Exception as exc:
            self.stop_kernel()
            return {"status": "failed", "error_kind": "summary",
                    "error": _excerpt(f"{type(exc).__name__}: {exc}"),
                    "elapsed_s": round(time.monotonic() - t0, 3)}
        return {"status": "ok", "path": job["path"], "elapsed_s": round(time.monotonic() - t0, 3)}


def _register_engine() -> str:
    """A papermill engine whose client reuses the worker's warm kernel and client.

    Before the notebook's first cell it runs the namespace reset on the same
    client (a second client on the same session steals the shell replies).
    """
    name = "qanalysis-warm"
    from papermill.engines import papermill_engines
    if name in papermill_engines._engines:
        return name
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine
    from papermill.utils import merge_kwargs, remove_args
    from traitlets import Any as AnyTrait, Unicode
    import nbformat

    class WarmClient(PapermillNotebookClient):
        warm_kc = AnyTrait(None)
        reset_code = Unicode("")

        async def async_start_new_kernel_client(self):
            if self.warm_kc is None:
                return await super().async_start_new_kernel_client()
            self.kc = self.warm_kc  # ready already: no second wait_for_ready per report
            self.kc.allow_stdin = False
            return self.kc

        def papermill_execute_cells(self):
            if self.reset_code:
                last = self.nb.cells[-1]  # nbclient stores the executed cell at its index
                try:
                    self.execute_cell(nbformat.v4.new_code_cell(self.reset_code), -1,
                                      store_history=False)
                finally:
                    self.nb.cells[-1] = last
            super().papermill_execute_cells()

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None,
                                     **kwargs):
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                                 startup_timeout=start_timeout, kernel_name=kernel_name,
                                 log_output=log_output, stdout_file=stdout_file,
                                 stderr_file=stderr_file)
            import logging
            final["log"] = logging.getLogger("papermill")
            return WarmClient(nb_man, **final).execute()

    papermill_engines.register(name, WarmEngine)
    return name


class _Abort(Exception):
    """Leave the report's atomic folder without swapping it in."""


def _renumber(nb) -> None:
    """Execution counts 1, 2, … as in a fresh kernel (the warm kernel keeps counting)."""
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.get("execution_count") is not None:
            n += 1
            cell.execution_count = n
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = n


def worker_main() -> None:
    """Entry of a worker subprocess: JSON jobs on stdin, JSON results on stdout."""
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the protocol
    lock = threading.Lock()

    def send(msg: dict) -> None:
        with lock:
            proto.write(PROTOCOL_PREFIX + json.dumps(msg, ensure_ascii=False, default=str) + "\n")
            proto.flush()

    import logging
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # "Could not destroy zmq context" on every reused client: noise, not a problem
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    worker = _Worker(send)

    def preload() -> None:  # import while the kernel boots (another process)
        import nbformat, papermill  # noqa: F401,E401
        _register_engine()
        worker.make_exporter()
    loader = threading.Thread(target=preload, daemon=True)
    loader.start()
    try:
        worker.ensure_kernel("python3", str(config.NOTEBOOKS_DIR))  # warm up while the job arrives
    except Exception as exc:
        print(f"pre-start of the kernel failed: {exc}", file=sys.stderr)
        worker.stop_kernel()
    loader.join()
    import gc
    served = 0
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            job = json.loads(line)
            send({"type": "start"})
            res = worker.run(job)
            res["type"] = "result"
            res["worker_pid"] = os.getpid()
            served += 1
            res["retire"] = served >= JOBS_PER_WORKER
            send(res)
            if res["retire"]:
                break
            gc.collect()
    finally:
        worker.stop_kernel()
        shutil.rmtree(worker.sock_dir, ignore_errors=True)


# --------------------------------------------------------------------------- helpers used in the notebooks

_CACHE: dict = {}


def _fingerprint_stat(data_dir) -> tuple:
    items = []
    for root in _data_roots(data_dir):
        if root.is_dir():
            for p in root.rglob("*"):
                if p.is_file():
                    st = p.stat()
                    items.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(sorted(items))


def load_assessment(data_dir: str | os.PathLike | None = None):
    """``(data, assessment)`` for every region, cached while the data files are unchanged.

    A warm report kernel runs many regions; loading and assessing once saves
    most of the per-report time. The cache key is every data file's path,
    modification time and size.
    """
    from .. import load
    from ..analysis.assess import assess

    data_dir = data_dir or None
    key = (str(data_dir), _fingerprint_stat(data_dir))
    hit = _CACHE.get("assessment")
    if hit is not None and hit[0] == key:
        return hit[1]
    data = load(data_dir=data_dir)
    value = (data, assess(data))
    _CACHE["assessment"] = (key, value)
    return value


def headline_counts(table, region: str, lang: str = "zh"):
    """How many indicators of ``region`` are in each status (every status listed, zeros kept)."""
    import pandas as pd

    from ..analysis.status import STATUS_ORDER, label

    sub = table[table["region"] == region]
    counts = sub["status"].value_counts()
    rows = [{"status": s, "label": label(s, lang), "count": int(counts.get(s, 0))} for s in STATUS_ORDER]
    out = pd.DataFrame(rows)
    total = pd.DataFrame([{"status": "total", "label": "合计" if lang == "zh" else "total",
                           "count": int(len(sub))}])
    return pd.concat([out, total], ignore_index=True)


def headline_table(table, region: str, lang: str = "zh"):
    """The headline counts as a reader sees them: status names in their colours, no index."""
    from ..analysis.status import STATUSES

    c = headline_counts(table, region, lang)
    head = ("评估结果", "指标数") if lang == "zh" else ("status", "indicators")
    view = c[["label", "count"]].rename(columns=dict(zip(("label", "count"), head)))
    colours = [STATUSES[s].colour if s in STATUSES else "" for s in c["status"]]

    def swatch(col):
        return [f"border-left: 0.8em solid {k}; padding-left: 0.5em" if k else "font-weight: bold"
                for k in colours]

    return view.style.hide(axis="index").apply(swatch, subset=[head[0]])


def headline_sentence(table, region: str, lang: str = "zh") -> str:
    """One sentence a reader sees first: n indicators, how many achieved / on track / at risk …"""
    c = headline_counts(table, region, lang).set_index("status")["count"]
    if lang == "zh":
        return (f"共 {c['total']} 项指标:已达标或已实现 {c['achieved'] + c['met']} 项,"
                f"进度正常 {c['on_track']} 项,存在风险 {c['at_risk']} 项,"
                f"进度滞后或未实现 {c['off_track'] + c['missed']} 项,"
                f"数据不足 {c['insufficient_data']} 项,无量化目标 {c['no_target']} 项。")
    return (f"{c['total']} indicators: {c['achieved'] + c['met']} achieved or met, "
            f"{c['on_track']} on track, {c['at_risk']} at risk, {c['off_track'] + c['missed']} "
            f"off track or missed, {c['insufficient_data']} with insufficient data, "
            f"{c['no_target']} without a numeric target.")


def data_note(table, region: str | None = None, lang: str = "zh") -> str:
    """The honesty statement: how many series rest on illustrative (示例) values."""
    sub = table if region is None else table[table["region"] == region]
    n = int(sub["has_illustrative"].fillna(False).astype(bool).sum())
    if lang == "zh":
        if n:
            return (f"⚠ 注意:本报告中 {n} 项指标的数据含示例数据(illustrative,由程序按固定种子生成,"
                    f"并非公开发布的统计数据),相关图表和结论仅用于演示方法,不能作为实际评估依据。")
        return "本报告全部数据来自公开发布或报送的数值(见数据来源列)。"
    if n:
        return (f"⚠ Note: {n} indicators in this report rest on illustrative values (generated with a "
                f"fixed seed, not published statistics); their charts and findings only demonstrate the method.")
    return "Every value in this report is published or delivered data (see the source column)."


def assessment_view(table, region: str, lang: str = "zh"):
    """The assessment table of one region with the columns a reader needs, labelled."""
    from ..analysis.status import label

    sub = table[table["region"] == region].copy()
    sub["status_label"] = [label(s, lang) for s in sub["status"]]
    if lang == "zh":
        from ..analysis.assess import DATA_STATUS_ZH

        sub["data_status"] = sub["data_status"].map(lambda d: DATA_STATUS_ZH.get(d, d))
    # an increment's target is the sum of the plan years' additions: show that sum, not one year's
    inc = sub["kind"] == "increment"
    sub["latest"] = sub["latest"].where(~inc, sub["cumulative"])
    name = "name_zh" if lang == "zh" else "name_en"
    cols = [name, "unit", "baseline", "target", "latest_year", "latest", "forecast", "pi80_low",
            "pi80_high", "p_attain", "status_label", "data_status"]
    view = sub[cols].round({"p_attain": 2})
    if lang == "zh":
        view = view.rename(columns={
            "name_zh": "指标", "unit": "单位", "baseline": "基期值", "target": "目标值",
            "latest_year": "最新年份", "latest": "最新值(新增类为期内累计)", "forecast": "目标年预测",
            "pi80_low": "80%区间下限", "pi80_high": "80%区间上限", "p_attain": "达标概率",
            "status_label": "评估结果", "data_status": "数据性质"})
    else:
        view = view.rename(columns={"name_en": "indicator", "status_label": "status",
                                    "latest": "latest (increments: sum since plan start)",
                                    "p_attain": "P(attain)", "forecast": "forecast (target year)"})
    view = view.reset_index(drop=True)
    # numbers as a reader writes them: 2 decimals, probabilities as percentages
    numeric = [c for c in view.columns if view[c].dtype.kind == "f"]
    p_col = "达标概率" if lang == "zh" else "P(attain)"
    fmt = {c: "{:.2f}" for c in numeric if c != p_col}
    fmt[p_col] = "{:.0%}"
    year_col = "最新年份" if lang == "zh" else "latest_year"
    fmt[year_col] = "{:.0f}"
    return view.style.hide(axis="index").format(fmt, na_rep="—")


def region_name(assessment, region: str, lang: str = "zh") -> str:
    """The region's name; an unknown code is an error the reader understands."""
    regions = assessment.data.regions
    hit = regions[regions["code"] == str(region)]
    if hit.empty:
        raise QAnalysisError(f"region {region!r} is not in the regions table "
                             f"(known: {', '.join(regions['code'])})")
    return str(hit.iloc[0]["name_zh" if lang == "zh" else "name_en"])


def region_vs_city(assessment, region: str):
    """The assessment cut to the city and ``region`` (the city alone: every region)."""
    city = str(assessment.data.plan.city_code)
    if str(region) == city:
        return assessment
    keep = assessment.table["region"].isin([city, str(region)])
    return dataclasses.replace(assessment, table=assessment.table[keep].reset_index(drop=True))


def report_header(assessment, region: str, lang: str = "zh") -> str:
    """Markdown: title, what the report covers, the headline counts and, when any value
    is illustrative, the 示例数据 warning (first thing a reader sees)."""
    plan = assessment.data.plan
    name = region_name(assessment, region, lang)
    t = assessment.table
    sub = t[t["region"] == str(region)]
    latest = sub["latest_year"].dropna()
    upto = int(latest.max()) if len(latest) else None
    if lang == "zh":
        lines = [f"# {name} · {plan.name_zh} 指标监测报告",
                 f"规划期 {plan.first_year}–{plan.target_year} 年,基期 {plan.base_year} 年;"
                 + (f"数据截至 {upto} 年。" if upto else "暂无年度数据。"),
                 "", f"**总体情况:** {headline_sentence(t, str(region), lang)}"]
    else:
        lines = [f"# {name} · {plan.name_en}: indicator report",
                 f"Plan period {plan.first_year}–{plan.target_year}, baseline {plan.base_year}; "
                 + (f"data up to {upto}." if upto else "no yearly data yet."),
                 "", f"**Overview:** {headline_sentence(t, str(region), lang)}"]
    if sub["has_illustrative"].fillna(False).astype(bool).any():
        lines += ["", f"> {data_note(t, str(region), lang)}"]
    return "\n".join(lines)


def data_notes(assessment, region: str, lang: str = "zh") -> str:
    """Markdown: data status of the series, sources, the illustrative statement, methods."""
    t = assessment.table
    sub = t[t["region"] == str(region)]
    by_status = sub["data_status"].value_counts()
    obs = assessment.data.observations
    o = obs[obs["region"] == str(region)]
    sources = o.loc[o["status"] != "illustrative", "source"].dropna()
    sources = [x for x in dict.fromkeys(sources) if x][:8]
    basis = sub["target_basis"].value_counts()
    if lang == "zh":
        from ..analysis.assess import DATA_STATUS_ZH

        lines = ["数据性质(按指标序列计):"
                 + ",".join(f"{DATA_STATUS_ZH.get(k, k)} {v} 项" for k, v in by_status.items()) + "。",
                 "", data_note(t, str(region), lang), "",
                 "目标来源:" + ",".join(f"{k} {v} 项" for k, v in basis.items())
                 + "(plan = 规划原文;city_default = 沿用全市目标;pro_rata = 按权重分解;"
                 "city_only = 全市整体目标、不分解到县;override = 区县自定)。",
                 "", "方法:线性趋势(OLS)外推至目标年,给出 80%/95% 预测区间及达标概率;"
                 "进度比率法与时序进度法见 docs/methods.md。"]
        if sources:
            lines += ["", "公开数据来源:"] + [f"- {x}" for x in sources]
    else:
        lines = ["Data status of the series: " + ", ".join(f"{k} {v}" for k, v in by_status.items()) + ".",
                 "", data_note(t, str(region), lang), "",
                 "Target basis: " + ", ".join(f"{k} {v}" for k, v in basis.items()) + ".",
                 "", "Method: OLS linear trend to the target year with 80%/95% prediction intervals "
                 "and the probability of meeting the target; see docs/methods.md."]
        if sources:
            lines += ["", "Published sources:"] + [f"- {x}" for x in sources]
    return "\n".join(lines)


def fit_width(svg: str) -> str:
    """An SVG that scales to the page width (its viewBox kept) instead of a fixed 960 pt."""
    import re

    head_end = svg.find(">", svg.find("<svg"))
    head = svg[:head_end]
    head = re.sub(r'\swidth="[^"]*"', ' width="100%"', head, count=1)
    head = re.sub(r'\sheight="[^"]*"', "", head, count=1)
    return head + svg[head_end:]


def show(fig, out_dir: str | os.PathLike = "", stem: str | None = None, dpi: int = 80):
    """Display ``fig`` in the notebook and, when ``out_dir`` is set, save it as PNG+SVG.

    With ``out_dir`` the chart is written by ``qanalysis.plots.save`` (PNG 300 dpi
    and SVG) and the SVG just written is what the notebook shows: no extra
    render. Without it, one PNG render at screen resolution and without
    ``bbox_inches="tight"`` (which renders twice). The figure is closed afterwards.
    """
    import io

    from IPython.display import SVG, Image, display

    from ..charts import plots

    if out_dir and stem:
        # Saved anyway: show the SVG just written instead of rendering a third time.
        paths = plots.save(fig, out_dir, stem)
        svg = [p for p in paths if p.suffix == ".svg"]
        if svg:
            display(SVG(data=fit_width(svg[0].read_text(encoding="utf-8"))))
        return None  # nothing for the notebook to echo under the chart
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    display(Image(data=buf.getvalue(), format="png"))
    plots.close(fig)
    return None


def write_summary(path: str | os.PathLike, data_dir: str | os.PathLike | None = None,
                  lang: str = "zh") -> Path:
    """``summary.xlsx``: every region's assessment (written atomically by ``to_excel``)."""
    _, assessment = load_assessment(data_dir)
    assessment.to_excel(path, lang=lang)
    return Path(path)


if __name__ == "__main__":  # pragma: no cover
    worker_main()
