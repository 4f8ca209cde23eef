"""The report batch under faults: interrupted, killed, run twice at once, given bad arguments.

Each batch here is a real ``python -m qanalysis reports`` process on the fixture
notebook ``mixed.ipynb`` (a few lines a region; ``QA_FIXTURE_BEHAVIOUR`` makes a
region hang), so what is tested is what a person at a terminal gets: signals
delivered to the process, exit status, stderr, files left behind. The batch's
temp dir is a private folder (``TMPDIR``) so "nothing left in /tmp" is checked
exactly; its processes (worker, kernel) are found through /proc by a marker in
their environment, which they inherit from the batch.
"""
from __future__ import annotations

import json
import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from qanalysis import cli
from qanalysis.reports import batch
from test_reports import FIX, REGIONS, data_dir  # noqa: F401  (data_dir: the regions-table fixture)

ROOT = Path(__file__).resolve().parents[1]
CODES = [c for c, _ in REGIONS]
LOCK = ".qanalysis-batch.lock"


class Batch:
    """A batch process's surroundings: its env (marker, private TMPDIR), what it does per region."""

    def __init__(self, tmp_path: Path, data_dir: Path) -> None:
        self.out = tmp_path / "out"
        # short: kernel sockets live here and a socket path has ~107 bytes at most
        self.tmp = Path(tempfile.mkdtemp(prefix="qaf-", dir="/tmp"))
        self.data_dir = data_dir
        self.behaviour_file = tmp_path / "behaviour.json"
        self.marker = f"QA_FAULT_TEST={uuid.uuid4().hex}"
        self.env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(self.tmp),
                        QA_FIXTURE_BEHAVIOUR=str(self.behaviour_file), MPLBACKEND="agg")
        self.env.update([self.marker.split("=", 1)])
        self.behave({})

    def behave(self, mapping: dict) -> None:
        self.behaviour_file.write_text(json.dumps(mapping))

    def args(self, *extra: str) -> list[str]:
        return ["reports", "--data-dir", str(self.data_dir), "--out", str(self.out),
                "--notebook", str(FIX / "mixed.ipynb"), "--no-summary", "--timeout", "300", *extra]

    def start(self, *extra: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "qanalysis", *self.args(*extra)],
                                env=self.env, cwd=str(ROOT), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                start_new_session=True)  # a process group of its own, as a shell job

    def manifest(self) -> dict:
        try:
            return json.loads((self.out / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def ok_regions(self) -> list[str]:
        return [c for c, r in self.manifest().get("regions", {}).items() if r["status"] == "ok"]

    def in_flight(self, region: str) -> bool:
        """The region's report is being built (its temporary folder exists)."""
        return any(self.out.glob(f".{region}.tmp-*"))

    def processes(self) -> list[tuple[int, str]]:
        """(pid, command line) of every live process carrying this batch's marker."""
        found = []
        needle = self.marker.encode()
        for d in Path("/proc").iterdir():
            if not d.name.isdigit() or int(d.name) == os.getpid():
                continue
            try:
                if needle in (d / "environ").read_bytes().split(b"\0"):
                    found.append((int(d.name), (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()))
            except OSError:
                pass
        return found

    def leftovers(self) -> list[str]:
        """Anything in --out but complete reports, _failed/, manifest.json (and ``keep``)."""
        return sorted(p.name for p in self.out.iterdir()
                      if p.name.startswith(".") or not (p.name in CODES or p.name == "manifest.json"))


def wait_for(what, limit: float, proc: subprocess.Popen | None = None, why: str = "") -> None:
    end = time.monotonic() + limit
    while not what():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the batch ended early ({proc.returncode}) while waiting for {why}: "
                                 f"{proc.stderr.read()}")
        assert time.monotonic() < end, f"not within {limit} s: {why}"
        time.sleep(0.2)


def wait_gone(b: Batch, limit: float = 15.0) -> None:
    end = time.monotonic() + limit
    while b.processes() and time.monotonic() < end:
        time.sleep(0.2)
    assert b.processes() == [], "processes of the batch outlived it"


def assert_worker_and_kernel_running(b: Batch, n: int) -> None:
    """The check 'none left afterwards' only means something if they are found now."""
    cmds = [c for _, c in b.processes()]
    assert sum("qanalysis.reports.worker" in c for c in cmds) == n, cmds
    assert sum("ipykernel" in c for c in cmds) == n, cmds


@pytest.fixture
def b(tmp_path, data_dir):
    batch_ = Batch(tmp_path, data_dir)
    yield batch_
    shutil.rmtree(batch_.tmp, ignore_errors=True)


@pytest.mark.slow
def test_ctrl_c_after_2_of_4_keeps_them_and_resume_runs_the_other_2(b, monkeypatch):
    b.behave({"330303": "hang"})  # the third region is in flight when Ctrl-C comes
    proc = b.start("--jobs", "1")  # the progress bar on: the message must not land inside it
    wait_for(lambda: len(b.ok_regions()) == 2 and b.in_flight("330303"), 120, proc, "2 done, 1 running")
    assert b.manifest()["state"] == "running"
    assert_worker_and_kernel_running(b, 1)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the terminal's foreground group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    lines = err.replace("\r", "\n").splitlines()
    assert any(ln.startswith("qanalysis reports: interrupted (SIGINT): 2 of 4 report(s) finished")
               for ln in lines), err
    assert "Traceback" not in err
    m = b.manifest()
    assert m["state"] == "interrupted"
    assert m["ran"] == ["330300", "330302"] and m["pending"] == ["330303", "01"]
    assert sorted(m["regions"]) == ["330300", "330302"]
    assert not (b.out / "_failed").exists()  # the interrupted region is not done, not failed
    assert b.leftovers() == [] and sorted(os.listdir(b.out)) == ["330300", "330302", "manifest.json"]
    assert list(b.tmp.iterdir()) == []  # no ipc folder, no kernel connection file
    wait_gone(b)

    b.behave({"330300": "fail", "330302": "fail"})  # would fail if they were rerun
    monkeypatch.setenv("QA_FIXTURE_BEHAVIOUR", str(b.behaviour_file))
    # as of today, as the command ran them (the report kind is part of what a kept report was built from)
    s = batch.run_reports(data_dir=b.data_dir, out_dir=b.out, notebook=FIX / "mixed.ipynb",
                          resume=True, as_of=datetime.date.today(), jobs=1, progress=False, summary=False)
    m = b.manifest()
    assert m["ran"] == ["330303", "01"] and m["state"] == "finished" and m["pending"] == []
    assert s.exit_code == 0 and sorted(s.ok) == sorted(CODES)


@pytest.mark.slow
def test_kill_9_of_the_batch_leaves_no_process_and_no_temp_files(b, capfd):
    b.behave({"330302": "hang"})
    proc = b.start("--jobs", "2", "--no-progress")
    wait_for(lambda: len(b.ok_regions()) == 3 and b.in_flight("330302"), 150, proc,
             "3 done, 330302 running")
    assert_worker_and_kernel_running(b, 2)
    os.killpg(proc.pid, signal.SIGKILL)  # the batch's process group, as `kill -9 -PGID`
    proc.communicate(timeout=10)
    wait_gone(b)  # workers and kernels are in sessions of their own: they followed by themselves
    assert list(b.tmp.iterdir()) == []
    # complete reports only; the lock file of the dead batch stays until the next one takes it
    assert b.leftovers() == [LOCK]
    assert not (b.out / "_failed").exists()
    m = b.manifest()
    assert m["state"] == "running" and m["pending"] == ["330302"]

    b.behave({})
    rc = cli.main(b.args("--resume", "--no-progress", "--jobs", "1"))
    err = capfd.readouterr().err
    assert rc == 0
    assert f"took over the lock left by a batch that is gone (PID {proc.pid}" in err
    assert b.manifest()["ran"] == ["330302"]
    assert b.leftovers() == []


@pytest.mark.slow
def test_a_second_batch_into_the_same_folder_refuses_then_sigterm_stops_the_first(b, capfd):
    b.behave({"330300": "hang"})
    first = b.start("--jobs", "1", "--no-progress")
    wait_for(lambda: b.in_flight("330300"), 120, first, "the first report running")
    before = b.manifest()

    rc = cli.main(b.args("--no-progress"))
    err = capfd.readouterr().err
    assert rc == 75
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"in use by another report batch (PID {first.pid}, started " in err
    assert b.manifest() == before  # the refused batch wrote nothing

    first.send_signal(signal.SIGTERM)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 128 + signal.SIGTERM
    assert "interrupted (SIGTERM): 0 of 4 report(s) finished" in err
    assert b.manifest()["state"] == "interrupted"
    assert b.leftovers() == [] and not (b.out / "_failed").exists()
    assert list(b.tmp.iterdir()) == []
    wait_gone(b)


@pytest.mark.slow
def test_a_later_batch_removes_what_dead_writers_left_and_keeps_live_ones(b, monkeypatch, capfd):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a PID that certainly ended
    b.out.mkdir()
    (b.out / f".01.tmp-{dead.pid}-abc").mkdir()
    (b.out / f".01.tmp-{dead.pid}-abc" / "half.png").write_bytes(b"x" * 1000)
    (b.out / f".manifest.json.tmp-{dead.pid}-q.json.tmp").write_text("{")
    (b.out / f".330300.old-{dead.pid}").mkdir()  # killed between the two renames: restored
    (b.out / f".330300.old-{dead.pid}" / "330300.ipynb").write_text("{}")
    (b.out / "_failed").mkdir()
    (b.out / "_failed" / f".330302.tmp-{dead.pid}-x").mkdir()
    (b.tmp / f"qreport-ipc-{dead.pid}-zz").mkdir()
    live = b.out / f".01.tmp-{os.getpid()}-live"  # this very process: alive, so not touched
    live.mkdir()
    (b.out / LOCK).write_text(json.dumps({"pid": dead.pid, "started": "2026-01-01T00:00:00+00:00"}))

    monkeypatch.setattr(tempfile, "tempdir", str(b.tmp))
    monkeypatch.setenv("TMPDIR", str(b.tmp))
    rc = cli.main(b.args("--region", "330303", "--no-progress"))
    err = capfd.readouterr().err
    assert rc == 0
    assert f"(PID {dead.pid}, started 2026-01-01T00:00:00+00:00)" in err
    assert "removed 4 leftover(s) of killed batches" in err
    assert sorted(os.listdir(b.out)) == sorted([live.name, "330300", "330303", "_failed",
                                                "manifest.json"])
    assert (b.out / "330300" / "330300.ipynb").read_text() == "{}"
    assert os.listdir(b.out / "_failed") == []
    assert list(b.tmp.iterdir()) == []


@pytest.mark.slow
def test_worker_stops_when_its_stdin_closes_mid_report(b, monkeypatch):
    """The portable fallback, without the parent dying (so no parent-death signal):
    EOF on stdin during a report ends the worker, its kernel and its temporary folders."""
    from qanalysis.reports import pool

    b.behave({"01": "hang"})
    for key in ("TMPDIR", "QA_FIXTURE_BEHAVIOUR", "QA_FAULT_TEST"):
        monkeypatch.setenv(key, b.env[key])
    monkeypatch.setattr(tempfile, "tempdir", str(b.tmp))
    h = pool._WorkerHandle()
    try:
        _run_then_close_stdin(b, h)
    finally:
        h.kill()  # a no-op when it ended by itself, as it must
    wait_gone(b)
    assert list(b.tmp.iterdir()) == [] and os.listdir(b.out) == []


def _run_then_close_stdin(b: Batch, h) -> None:
    job = {"type": "report", "notebook": str(FIX / "mixed.ipynb"), "out_dir": str(b.out),
           "data_dir": str(b.data_dir), "lang": "zh", "timeout": 300.0, "region": "01",
           "region_name": "测试区"}
    h.proc.stdin.write(json.dumps(job) + "\n")
    h.proc.stdin.flush()
    b.out.mkdir()
    wait_for(lambda: b.in_flight("01"), 120, h.proc, "the report running")
    assert_worker_and_kernel_running(b, 1)
    h.proc.stdin.close()
    assert h.proc.wait(timeout=20) == 128 + signal.SIGTERM  # its own clean exit, not a kill


def _one_line_exit_2(capsys, argv) -> str:
    rc = cli.main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.count("\n") == 1 and err.endswith("\n") and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0", "ten"])
def test_bad_timeout_is_one_line_exit_2(b, capsys, value):
    with pytest.raises(SystemExit) as exc:  # argparse ends the program itself
        cli.main(["reports", f"--timeout={value}", "--out", str(b.out)])
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.count("\n") == 1 and "--timeout" in err and repr(value) in err, err
    assert not b.out.exists()
    with pytest.raises(batch.UsageError, match="--timeout"):  # the Python entry point too
        batch.run_reports(timeout=float(value) if value != "ten" else value, out_dir=b.out)
    assert not b.out.exists()


def test_bad_out_is_one_line_exit_2(b, tmp_path, capsys):
    a_file = tmp_path / "a_file.txt"
    a_file.write_text("not a folder")
    for out, says in [(a_file, "is a file, not a folder"),
                      (a_file / "sub", f"is under {a_file}, which is a file"),
                      ("/proc/qanalysis-reports", "cannot create the folder")]:  # a read-only kind of FS
        err = _one_line_exit_2(capsys, ["reports", "--out", str(out), "--region", "01",
                                        "--data-dir", str(b.data_dir)])
        assert f"--out {out}:" in err and says in err, err
    assert a_file.read_text() == "not a folder"


def test_unwritable_out_is_one_line_exit_2(b, tmp_path):
    """A folder the user may not write in. As root, permission bits do not stop
    anyone, so the batch runs without the capability that overrides them
    (setpriv): the kernel then refuses with EACCES exactly as for any user."""
    ro = tmp_path / "readonly"
    ro.mkdir()
    ro.chmod(0o555)
    cmd = [sys.executable, "-m", "qanalysis", "reports", "--out", str(ro / "reports"),
           "--region", "01", "--data-dir", str(b.data_dir)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to drop root's permission override"
        cmd = [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", *cmd]
    for target in (ro, ro / "reports"):  # existing and unwritable; to be created inside it
        cmd[cmd.index("--out") + 1] = str(target)
        r = subprocess.run(cmd, env=b.env, cwd=str(ROOT), capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, r.stderr
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
        assert f"--out {target}:" in r.stderr, r.stderr
    assert os.listdir(ro) == []
