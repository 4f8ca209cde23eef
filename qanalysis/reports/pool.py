"""The parent's side of the worker subprocesses: start, feed, time-limit and kill them.

A separate process per worker avoids papermill#552 (ProcessPoolExecutor) and
papermill#473 (``cwd=`` chdir). The parent enforces the report's wall-clock limit
plus a grace and kills the worker's and the kernel's process groups when it
passes (a killed kernel can hang papermill, papermill#125); the killed worker is
replaced. :func:`run_job` is what the local thread pool and a Dask cluster call.

Workers end when this process ends, however it ends: each asks the kernel for
``PR_SET_PDEATHSIG`` and watches its stdin for EOF (:mod:`.worker`). Linux sends
the parent-death signal when the *thread* that started the child exits, so every
worker is started by one long-lived spawner thread, never by a pool thread.
"""
from __future__ import annotations

import collections
import concurrent.futures
import json
import os
import platform
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

from .. import config
from ..atomic import remove_leftovers, write_text
from .jobs import PARENT_ENV, PROTOCOL_PREFIX, now, plain

# Seconds a worker gets past the report's deadline to save the partial notebook
# and answer before the parent kills it.
KILL_GRACE = 10.0
STARTUP_LIMIT = 120.0  # a new worker process must be ready for its first job within this
STOP_GRACE = 5.0  # seconds a worker gets to clean up after SIGTERM before it is killed

# Set when the batch is being interrupted: results of jobs cut short are not failures.
STOPPING = threading.Event()


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(config.PROJECT_DIR)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("MPLBACKEND", "agg")
    env["PYTHONUNBUFFERED"] = "1"
    env[PARENT_ENV] = str(os.getpid())
    return env


_SPAWN_LOCK = threading.Lock()
_SPAWNER: "queue.Queue | None" = None


def _spawner_loop(q: queue.Queue) -> None:
    while True:
        fn, fut = q.get()
        if fut.set_running_or_notify_cancel():
            try:
                fut.set_result(fn())
            except BaseException as exc:
                fut.set_exception(exc)


def _in_spawner(fn):
    """Run ``fn`` in the process's one spawner thread (it lives as long as the process)."""
    global _SPAWNER
    with _SPAWN_LOCK:
        if _SPAWNER is None:
            _SPAWNER = queue.Queue()
            threading.Thread(target=_spawner_loop, args=(_SPAWNER,), daemon=True,
                             name="qreport-spawner").start()
    fut: concurrent.futures.Future = concurrent.futures.Future()
    _SPAWNER.put((fn, fut))
    return fut.result()


class _WorkerHandle:
    """A warm worker subprocess, driven over JSON lines on its stdin/stdout."""

    def __init__(self) -> None:
        self.proc = _in_spawner(lambda: subprocess.Popen(
            [sys.executable, "-c", "from qanalysis.reports.worker import worker_main; worker_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", errors="replace", bufsize=1,
            start_new_session=True,  # its own process group, killed as one
            env=_worker_env(), cwd=str(config.PROJECT_DIR),
        ))
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

    def terminate(self, grace: float = STOP_GRACE) -> None:
        """Ask the worker to stop now (it kills its kernel and removes its temporary
        folders, :mod:`.worker`); kill it if it has not within ``grace`` seconds."""
        if self.alive():
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=grace)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        self.kill()

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
ALL_WORKERS: "weakref.WeakSet[_WorkerHandle]" = weakref.WeakSet()  # busy ones too, to kill on Ctrl-C


def _acquire() -> _WorkerHandle:
    if STOPPING.is_set():
        raise _Stopped
    with _POOL_LOCK:
        while _IDLE:
            h = _IDLE.pop()
            if h.alive():
                return h
    h = _WorkerHandle()
    ALL_WORKERS.add(h)
    if STOPPING.is_set():  # the batch was interrupted while this one started
        h.kill()
        raise _Stopped
    return h


class _Stopped(Exception):
    """The batch is being interrupted: no new job starts."""


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
        ALL_WORKERS.add(h)
        _release(h)


def stop_all_workers(grace: float = STOP_GRACE) -> None:
    """The batch was interrupted: every worker, busy or idle, stops now (in parallel)."""
    STOPPING.set()
    with _POOL_LOCK:
        _IDLE[:] = []
    threads = [threading.Thread(target=h.terminate, args=(grace,)) for h in list(ALL_WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def allow_workers() -> None:
    """A new batch: jobs may start again (after :func:`stop_all_workers`)."""
    STOPPING.clear()


def shutdown_workers() -> None:
    with _POOL_LOCK:
        handles, _IDLE[:] = list(_IDLE), []
    threads = [threading.Thread(target=h.close) for h in handles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _cleanup_after_kill(out_dir: Path, region: str, worker_pid: int) -> None:
    """Remove the temporary folders a killed worker left; restore a half-swapped report."""
    remove_leftovers(out_dir, pids={worker_pid}, name=region)
    remove_leftovers(out_dir / "_failed", pids={worker_pid}, name=region)


def write_failure(out_dir: Path, region: str, res: dict) -> str:
    """Error text and worker log into ``_failed/<region>/`` (the worker may have put a
    partial notebook there already); return the folder, relative to ``out_dir``."""
    folder = out_dir / "_failed" / region
    if res.get("error_kind") in ("wall_clock", "worker_crash", "dask"):
        shutil.rmtree(folder, ignore_errors=True)  # nothing of an older run may pass for this one's
    folder.mkdir(parents=True, exist_ok=True)
    text = (f"region: {region}\nstatus: {res.get('status')}\nkind: {res.get('error_kind')}\n"
            f"finished: {now()}\n\n{res.get('error_full') or res.get('error', '')}\n")
    write_text(folder / "error.txt", plain(text))  # a file to read, not a terminal
    if res.get("log"):
        write_text(folder / "worker.log", plain(res["log"]))
    return str(folder.relative_to(out_dir))


def run_job(job: dict) -> dict:
    """Run one job (a report or the summary workbook) on a warm worker of this process.

    This is the function the local thread pool and the Dask cluster both call.
    A region that fails, hangs or crashes its worker comes back as a result with
    ``status`` ``failed``/``timeout``; it never raises for a report's own failure.
    """
    out_dir = Path(job["out_dir"])
    wall = float(job["timeout"]) + KILL_GRACE
    started = now()
    t0 = time.monotonic()
    try:
        h = _acquire()
    except _Stopped:
        return {"status": "interrupted"}
    try:
        res = h.run(job, wall)
    finally:
        _release(h)
    if STOPPING.is_set() and res["status"] != "ok":
        # cut short by the interruption: not done, not failed (no _failed/ folder)
        if job["type"] == "report":
            _cleanup_after_kill(out_dir, job["region"], h.proc.pid)
        return {"status": "interrupted"}
    res.setdefault("elapsed_s", round(time.monotonic() - t0, 3))
    res["wall_s"] = round(time.monotonic() - t0, 3)  # includes waiting for a worker to be ready
    res["started"], res["finished"] = started, now()
    res["host"] = platform.node()
    if job["type"] == "report":
        region = job["region"]
        if res.get("error_kind") in ("wall_clock", "worker_crash"):
            _cleanup_after_kill(out_dir, region, h.proc.pid)
        if res["status"] != "ok":
            res["details"] = write_failure(out_dir, region, res)
    res.pop("log", None)
    res.pop("error_full", None)
    return res
