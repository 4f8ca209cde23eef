"""A full disk, a read-only folder, an --out inside data/: one line, an exit code, nothing partial.

Real processes: ``prepare --out``, ``template`` and ``assess --xlsx`` against a 64 KB tmpfs
filled to the brim (mounted when running as root) and against a folder without write
permission (as root, through ``setpriv`` without the capability that overrides the bits,
as tests/test_batch_faults.py does); ``reports --out`` inside the data folder.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def env() -> dict:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))


def run(*args, drop_root=False):
    cmd = [sys.executable, "-m", "qanalysis", *args]
    if drop_root and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to drop root's permission override"
        cmd = [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env(), cwd=ROOT)


def one_line(res, *expected) -> str:
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def targets(folder: Path):
    return [("prepare", "--out", str(folder / "processed")),
            ("template", str(folder / "template.xlsx")),
            ("assess", "--xlsx", str(folder / "assess.xlsx"))]


@pytest.fixture
def full_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the read-only test covers the unwritable case")
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip()}); the read-only test covers the case")
    try:
        with open(mnt / "filler", "wb") as fh:  # leave a few KB: the writers start, then meet a full disk
            try:
                fh.write(b"\0" * (60 * 1024))
            except OSError:
                pass
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], timeout=30)


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_leaves_nothing(data_root, full_disk):
    assert run("prepare").returncode == 0
    for args in targets(full_disk):
        one_line(run(*args), "No space left on device", "the disk is full")
        assert sorted(os.listdir(full_disk)) == ["filler"], (args, os.listdir(full_disk))


@pytest.mark.slow
def test_a_read_only_folder_is_one_line_and_leaves_nothing(data_root, tmp_path):
    assert run("prepare").returncode == 0
    ro = tmp_path / "readonly"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        for args in targets(ro):
            one_line(run(*args, drop_root=True), "Permission denied", "no permission there")
            assert os.listdir(ro) == []
    finally:
        ro.chmod(0o755)


def test_reports_out_inside_the_data_folder_is_refused(data_root):
    assert run("prepare").returncode == 0
    for inside in (data_root / "processed" / "reports", data_root / "raw" / "deliveries", data_root):
        res = run("reports", "--out", str(inside), "--region", "330302")
        assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
        assert "inside the data folder" in res.stderr and res.stderr.count("\n") == 1, res.stderr
    assert not (data_root / "processed" / "reports").exists()
