"""The worker subprocess: one warm Jupyter kernel running report after report.

Imports, fonts and the loaded data stay in the kernel; the notebook's namespace
is cleared (``%reset -f``) and every figure closed before the next report. The
kernel uses ``transport="ipc"`` with a private socket folder, so parallel kernels
never race for TCP ports (papermill#511). The worker gives every cell the time
left until the report's deadline (nbclient ``timeout_func``) and keeps the
partial notebook when that fires. Started by :mod:`qanalysis.reports.pool` as
``python -c "from qanalysis.reports.worker import worker_main; worker_main()"``.

It never outlives the batch: on Linux it asks for ``SIGTERM`` when its parent
dies (``prctl(PR_SET_PDEATHSIG)``) and its kernel for ``SIGKILL`` when the
worker dies; everywhere, EOF on stdin while a report runs means the same. On
SIGTERM it kills the kernel's process group, removes the report's temporary
folders and its private socket folder, and exits.
"""
from __future__ import annotations

import gc
import json
import logging
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from .. import config
from ..atomic import atomic_dir, remove_leftovers
from .engine import register_engine, renumber
from .inputs import report_kind
from .jobs import (CODE_RE, HIDE_TAG, IPC_PREFIX, PARENT_ENV, PROTOCOL_PREFIX, REPORT_PARAMETERS,
                   excerpt, plain)

# A warm kernel is replaced after this many reports (bounds memory and leaked sockets).
REPORTS_PER_KERNEL = 10
# ... and a worker process after this many jobs: its memory grows ~35 MB a county report
# (papermill/nbclient keep something of each executed notebook), so it is replaced.
JOBS_PER_WORKER = int(os.environ.get("QANALYSIS_REPORT_JOBS_PER_WORKER", "10"))
KERNEL_START_TIMEOUT = 60.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _prctl_pdeathsig():
    """``prctl(PR_SET_PDEATHSIG, sig)`` as a callable, or None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes  # only the worker needs libc

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return lambda sig: prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


_PDEATHSIG = _prctl_pdeathsig()


def _kernel_dies_with(worker_pid: int):
    """A ``preexec_fn`` for the kernel: SIGKILL when the worker dies (resolved before the
    fork, so the child only calls into libc)."""
    pdeathsig = _PDEATHSIG

    def preexec() -> None:
        if pdeathsig is not None:
            pdeathsig(signal.SIGKILL)
        if os.getppid() != worker_pid:  # the worker died before the line above
            os._exit(1)
    return preexec


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
        # kernel sockets and connection files; the PID lets a later batch prove it dead
        self.sock_dir = tempfile.mkdtemp(prefix=f"{IPC_PREFIX}{os.getpid()}-")
        if len(self.sock_dir) > 90:  # a socket path has ~107 bytes at most (sun_path)
            os.rmdir(self.sock_dir)
            self.sock_dir = tempfile.mkdtemp(prefix=f"{IPC_PREFIX}{os.getpid()}-", dir="/tmp")
        self.n_kernels = 0
        self._exporter = None
        self.current_out: Path | None = None  # the output folder of the report running now
        self.starting_km = None

    # kernel lifecycle -----------------------------------------------------
    def start_kernel(self, name: str, cwd: str) -> None:
        # The async manager/client, as nbclient uses by default: with the blocking
        # client nbclient's per-cell timeout never fires.
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.n_kernels += 1
        stem = os.path.join(self.sock_dir, f"k{self.n_kernels}")
        # the connection file beside the sockets, not a stray /tmp/tmpXXXX.json
        km = AsyncKernelManager(kernel_name=name, transport="ipc", ip=stem,
                                connection_file=stem + ".json")
        kc = None
        self.starting_km = km  # so that a stop during the start kills this kernel too
        try:
            run_sync(km.start_kernel)(cwd=cwd, preexec_fn=_kernel_dies_with(os.getpid()))
            self.send({"type": "kernel", "pid": km.provisioner.process.pid})
            kc = km.client()
            kc.start_channels()
            run_sync(kc.wait_for_ready)(timeout=KERNEL_START_TIMEOUT)
        except BaseException:
            self._shutdown(km, kc)
            self.starting_km = None
            raise
        self.km, self.kc, self.kernel_name, self.served = km, kc, name, 0
        self.starting_km = None

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
                # jupyter_core only in the process that runs a report
                from jupyter_core.utils import run_sync
                run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            pass

    def stop_kernel(self) -> None:
        self._shutdown(self.km, self.kc)
        self.km = self.kc = self.kernel_name = None

    def _alive(self) -> bool:
        # jupyter_core only in the process that runs a report
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
            self.stop_kernel()
            return {"status": "failed", "error_kind": "runner",
                    "error": excerpt(f"{type(exc).__name__}: {exc}"),
                    "error_full": traceback.format_exc()}

    def _kernel_for(self, nb_path: Path, nb: dict) -> tuple[int, dict | None]:
        name = (nb.get("metadata", {}).get("kernelspec", {}) or {}).get("name") or "python3"
        try:
            return self.ensure_kernel(name, str(nb_path.parent)), None
        except Exception as exc:
            self.stop_kernel()
            return 2, {"status": "failed", "error_kind": "kernel_start", "attempts": 2,
                       "error": excerpt(f"the kernel {name!r} failed to start twice: "
                                         f"{type(exc).__name__}: {exc}")}

    def run_report(self, job: dict) -> dict:
        # Jupyter/papermill only in the process that runs a report (seconds to import)
        import nbformat
        import papermill as pm
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        from papermill.exceptions import PapermillExecutionError

        t0 = time.monotonic()
        deadline = t0 + float(job["timeout"])
        region = job["region"]
        if not CODE_RE.match(region):  # the parent checked it against the table already
            return {"status": "failed", "error_kind": "runner", "error": f"unsafe region code {region!r}"}
        out_dir = Path(job["out_dir"])
        nb_path = Path(job["notebook"])
        nb = nbformat.read(nb_path, as_version=4)
        attempts, failure = self._kernel_for(nb_path, nb)
        if failure:
            return failure
        self.served += 1
        # Always str: papermill's CLI would turn "01" into 1 (its -p casts values).
        params = {"region": str(region), "data_dir": str(job.get("data_dir") or ""),
                  "out_dir": ".", "lang": str(job.get("lang") or "zh"),
                  "chart_files": str(job.get("chart_files") or ""), "as_of": str(job.get("as_of") or "")}
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
                        nb, str(out_nb), parameters=params, engine_name=register_engine(),
                        km=self.km, warm_kc=self.kc, reset_code=self.reset_code(str(tmp)),
                        kernel_name=self.kernel_name, request_save_on_cell_execute=False,
                        progress_bar=False, log_output=False,
                        execution_timeout=max(1, int(job["timeout"])),
                        timeout_func=lambda cell: max(1.0, deadline - time.monotonic()),
                        on_cell_start=on_cell_start)
                except PapermillExecutionError as exc:
                    outcome = {"status": "failed", "error_kind": "cell_error",
                               "error": excerpt(f"cell {exc.cell_index}: {exc.ename}: {exc.evalue}"),
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
                               "error": excerpt(f"the kernel died: {exc}")}
                    self._keep_failed(failed_dir, tmp, self._partial(nb, started_cells), outcome)
                    raise _Abort from None
                timing["execute"] = round(time.monotonic() - t1, 3)
                t2 = time.monotonic()
                renumber(result)
                result.metadata.setdefault("qanalysis", {})["warm_kernel_report"] = self.served
                nbformat.write(result, str(out_nb))
                evaluation = report_kind(params["as_of"], job.get("data_dir") or None) == "evaluation"
                title = f"{job.get('region_name') or region}{'实施情况终期评估' if evaluation else '指标监测报告'}"
                (tmp / f"{region}.html").write_text(self.html(result, title, params["lang"]), encoding="utf-8")
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
        # nbformat only when a notebook is written or read (start-up speed)
        import nbformat
        part = nbformat.v4.new_notebook(metadata=nb.metadata, cells=list(cells))
        return part

    @staticmethod
    def _keep_failed(failed_dir: Path, tmp: Path, partial_nb, outcome: dict) -> None:
        """The partial executed notebook (and whatever the notebook wrote) for reading why."""
        # nbformat only when a notebook is written or read (start-up speed)
        import nbformat
        with atomic_dir(failed_dir) as fd:
            for p in tmp.iterdir():
                if p.is_file():
                    shutil.copy2(p, fd / p.name)
            if partial_nb is not None:
                nbformat.write(partial_nb, str(fd / f"{failed_dir.name}.partial.ipynb"))
            (fd / "error.txt").write_text(  # a file to read: no terminal colour codes
                plain(f"{outcome['error']}\n\n{outcome.get('error_full', '')}\n"), encoding="utf-8")

    def make_exporter(self):
        if self._exporter is None:
            # nbconvert only when a page is exported (seconds to import)
            from nbconvert import HTMLExporter
            # code hidden: a report reader sees text, tables and charts only
            from nbconvert.preprocessors import TagRemovePreprocessor
            # "basic": the cells only; htmlpage.page adds a head without require.js/MathJax CDN links
            self._exporter = HTMLExporter(template_name="basic", exclude_input=True,
                                          exclude_input_prompt=True, exclude_output_prompt=True)
            # cells tagged "report-hide" (the template's notes for analysts) are not for readers
            self._exporter.register_preprocessor(
                TagRemovePreprocessor(remove_cell_tags={HIDE_TAG}), enabled=True)
        return self._exporter

    def html(self, nb, title: str, lang: str = "zh") -> str:
        self.make_exporter()
        body, _ = self._exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
        from .htmlpage import page  # lazy: matplotlib (the font subset) only once a report is exported

        return page(body, title, lang)

    def run_summary(self, job: dict) -> dict:
        """``summary.xlsx`` from a warm kernel (the assessment is usually cached there)."""
        t0 = time.monotonic()
        nb_path = Path(job["notebook"])
        _, failure = self._kernel_for(nb_path, {"metadata": {"kernelspec": {"name": "python3"}}})
        if failure:
            return failure
        code = ("from qanalysis.reports import summary as _s\n"
                f"_s.write_summary({job['path']!r}, data_dir={job.get('data_dir') or None!r}, "
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
            pm.execute_notebook(nb, None, engine_name=register_engine(), km=self.km,
                                warm_kc=self.kc, reset_code=self.reset_code(str(Path(job["path"]).parent)),
                                kernel_name=self.kernel_name, request_save_on_cell_execute=False,
                                progress_bar=False, execution_timeout=max(1, int(job["timeout"])),
                                timeout_func=lambda cell: max(1.0, deadline - time.monotonic()))
        except PapermillExecutionError as exc:
            return {"status": "failed", "error_kind": "summary",
                    "error": excerpt(f"{exc.ename}: {exc.evalue}"),
                    "elapsed_s": round(time.monotonic() - t0, 3)}
        except Exception as exc:
            self.stop_kernel()
            return {"status": "failed", "error_kind": "summary",
                    "error": excerpt(f"{type(exc).__name__}: {exc}"),
                    "elapsed_s": round(time.monotonic() - t0, 3)}
        return {"status": "ok", "path": job["path"], "elapsed_s": round(time.monotonic() - t0, 3)}



class _Abort(Exception):
    """Leave the report's atomic folder without swapping it in."""


_STOP_ONCE = threading.Lock()


def _stop_now(worker: _Worker, code: int = 143) -> None:
    """The batch is gone or wants us gone: kernel, temporary folders, socket folder; exit.

    Runs in the main thread (SIGTERM handler): the report being built is frozen while its temporary
    folder is removed; ``os._exit`` then skips every unwinding a killed kernel could hang (papermill#125).
    """
    if not _STOP_ONCE.acquire(blocking=False):
        return
    try:
        km = worker.km or worker.starting_km
        proc = getattr(getattr(km, "provisioner", None), "process", None) if km else None
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the kernel leads its own session
            except OSError:
                pass
            try:
                proc.wait(timeout=5)  # nothing writes into the folders removed below
            except Exception:
                pass
        out = worker.current_out
        if out is not None:
            me = {os.getpid()}
            remove_leftovers(out, pids=me)
            remove_leftovers(out / "_failed", pids=me)
        shutil.rmtree(worker.sock_dir, ignore_errors=True)
    finally:
        os._exit(code)


def _read_jobs(jobs: queue.Queue, busy: threading.Event, eof: threading.Event) -> None:
    """stdin → ``jobs``. EOF while a job runs: the batch is gone (the portable
    signal; ``PR_SET_PDEATHSIG`` is Linux only): stop as on SIGTERM. (The batch
    closes the stdin of idle workers only.)"""
    for line in sys.stdin:
        if line.strip():
            jobs.put(line)
    jobs.put(None)
    eof.set()  # set, then check; the main loop does busy the same way round
    if busy.is_set():
        os.kill(os.getpid(), signal.SIGTERM)


def worker_main() -> None:
    """Entry of a worker subprocess: JSON jobs on stdin, JSON results on stdout."""
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the protocol
    lock = threading.Lock()

    def send(msg: dict) -> None:
        with lock:
            proto.write(PROTOCOL_PREFIX + json.dumps(msg, ensure_ascii=False, default=str) + "\n")
            proto.flush()

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # "Could not destroy zmq context" on every reused client: noise, not a problem
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    parent = int(os.environ.get(PARENT_ENV) or 0)
    if _PDEATHSIG is not None:
        _PDEATHSIG(signal.SIGTERM)
    if parent and os.getppid() != parent:  # the batch died before the line above
        return
    worker = _Worker(send)
    signal.signal(signal.SIGTERM, lambda *_: _stop_now(worker))
    jobs: queue.Queue = queue.Queue()
    busy, eof = threading.Event(), threading.Event()
    threading.Thread(target=_read_jobs, args=(jobs, busy, eof), daemon=True).start()

    def preload() -> None:  # import while the kernel boots (another process)
        import nbformat, papermill  # noqa: F401,E401
        register_engine()
        worker.make_exporter()
    loader = threading.Thread(target=preload, daemon=True)
    loader.start()
    try:
        worker.ensure_kernel("python3", str(config.NOTEBOOKS_DIR))  # warm up while the job arrives
    except Exception as exc:
        print(f"pre-start of the kernel failed: {exc}", file=sys.stderr)
        worker.stop_kernel()
    loader.join()
    served = 0
    try:
        while (line := jobs.get()) is not None:
            busy.set()
            if eof.is_set():  # the batch wrote this job and died
                _stop_now(worker)
            job = json.loads(line)
            worker.current_out = Path(job["out_dir"]) if job.get("type") == "report" else None
            send({"type": "start"})
            res = worker.run(job)
            worker.current_out = None
            busy.clear()
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
