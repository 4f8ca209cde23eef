"""Deliveries are never lost, never silently changed, never mixed up: real processes.

20 ``prepare --data`` at once (every printed id kept, byte for byte); a process killed
with SIGKILL in the middle of keeping a file; kept files edited, deleted, linked or
named outside their folder; ids never reused after a removal; a second writer that
waits for the lock, or gives up in one line.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from qanalysis.atomic import exclusive
from qanalysis.data import deliveries
from qanalysis.data.prepare import prepare
from qanalysis.fingerprint import sha256_file

PLAN = "wenzhou-2021-2025"
ROOT = Path(__file__).resolve().parents[1]
HEADER = "region,indicator,year,value,status,source\n"


def csv(path: Path, value: float, year: int = 2022) -> Path:
    path.write_text(HEADER + f"330302,mfg_product_pass_rate,{year},{value},provisional,区局\n", encoding="utf-8")
    return path


def env(**extra) -> dict:
    e = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    e.update(extra)
    return e


def cli(*args, timeout=300, **extra):
    return subprocess.run([sys.executable, "-m", "qanalysis", *args], capture_output=True, text=True,
                          timeout=timeout, env=env(**extra))


def one_line_error(res) -> str:
    assert res.returncode != 0 and "Traceback" not in res.stderr, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) <= 2, res.stderr  # the message (and at most one "waiting" line)
    return lines[-1]


@pytest.mark.slow
def test_twenty_concurrent_deliveries_are_all_kept_byte_for_byte(data_root, tmp_path):
    files = [csv(tmp_path / f"d{i:02d}.csv", 90 + i / 10) for i in range(20)]
    procs = [subprocess.Popen([sys.executable, "-m", "qanalysis", "prepare", "--data", str(f)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
             for f in files]
    printed = {}
    for f, p in zip(files, procs):
        out, err = p.communicate(timeout=900)
        assert p.returncode == 0, err
        (did,) = re.findall(r"kept delivery (\d{3}): " + re.escape(f.name), out)
        printed[did] = f
    assert len(printed) == 20                      # 20 different ids printed
    kept = {d.id: d for d in deliveries.kept(PLAN)}
    assert set(kept) == set(printed)
    for did, f in printed.items():
        assert kept[did].name == f.name and kept[did].path.read_bytes() == f.read_bytes()
    # the processed data (written last by whichever ran last) names all 20
    recorded = pd.read_csv(data_root / "processed" / PLAN / "deliveries.csv", dtype=str)
    assert sorted(recorded["id"]) == sorted(printed)
    assert not [p.name for p in deliveries.plan_folder(PLAN).iterdir() if ".tmp-" in p.name]


KILL_IN_KEEP = textwrap.dedent("""
    import os, shutil, signal, sys
    from qanalysis.data.prepare import prepare
    copy = shutil.copyfile
    def copy_then_die(src, dst, **kw):   # the file is half kept: copied into the temporary folder
        copy(src, dst, **kw)
        os.kill(os.getpid(), signal.SIGKILL)
    shutil.copyfile = copy_then_die
    prepare(data_files=[sys.argv[1]])
""")


@pytest.mark.slow
def test_a_run_killed_while_keeping_loses_nothing_and_its_id_is_never_reused(data_root, tmp_path):
    prepare(data_files=[csv(tmp_path / "first.csv", 95.0)])
    folder = deliveries.plan_folder(PLAN)
    before = sha256_file(folder / "001" / "first.csv")
    r = subprocess.run([sys.executable, "-c", KILL_IN_KEEP, str(csv(tmp_path / "killed.csv", 96.0))],
                       capture_output=True, text=True, timeout=300, env=env())
    assert r.returncode == -signal.SIGKILL
    left = [p.name for p in folder.iterdir() if p.name.startswith(".002.tmp-")]
    assert left                                    # it died inside keep, leaving its temporary folder
    assert [d.id for d in deliveries.kept(PLAN)] == ["001"]   # a half-kept delivery is not a delivery
    # the lock went with the killed process: the next run neither waits nor fails
    res = cli("prepare", "--data", str(csv(tmp_path / "next.csv", 97.0)), QANALYSIS_LOCK_WAIT="5")
    assert res.returncode == 0, res.stderr
    assert "kept delivery 003: next.csv" in res.stdout     # 002 was issued to the killed run
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == ["001", "003"]
    assert not [p.name for p in folder.iterdir() if ".tmp-" in p.name or "removing" in p.name]
    assert sha256_file(folder / "001" / "first.csv") == before
    assert cli("deliveries", "--verify").returncode == 0


def test_ids_are_never_reused_after_a_removal(data_root, tmp_path):
    prepare(data_files=[csv(tmp_path / "a.csv", 91.0)])
    prepare(data_files=[csv(tmp_path / "b.csv", 92.0)])
    deliveries.remove(PLAN, "002")
    res = cli("prepare", "--data", str(csv(tmp_path / "c.csv", 93.0)))
    assert res.returncode == 0 and "kept delivery 003: c.csv" in res.stdout, res.stderr


def test_an_edited_kept_file_stops_prepare_and_verify_and_remove_mend_it(data_root, tmp_path):
    prepare(data_files=[csv(tmp_path / "a.csv", 91.0)])
    prepare(data_files=[csv(tmp_path / "b.csv", 92.0, 2023)])
    kept_b = deliveries.plan_folder(PLAN) / "002" / "b.csv"
    kept_b.write_text(kept_b.read_text(encoding="utf-8").replace("92.0", "99.9"), encoding="utf-8")
    line = one_line_error(cli("prepare"))
    assert "b.csv" in line and "changed after it was kept" in line and "deliveries --verify" in line
    ver = cli("deliveries", "--verify")
    assert ver.returncode == 1 and re.search(r"002 +BROKEN: .*b\.csv.*changed", ver.stdout), ver.stdout
    assert re.search(r"001 +ok", ver.stdout)
    rm = cli("deliveries", "--remove", "002")
    assert rm.returncode == 0 and "removed delivery 002" in rm.stdout, rm.stderr
    assert cli("prepare").returncode == 0 and cli("deliveries", "--verify").returncode == 0


def test_a_deleted_kept_file_has_a_remedy_that_works(data_root, tmp_path):
    prepare(data_files=[csv(tmp_path / "a.csv", 91.0)])
    (deliveries.plan_folder(PLAN) / "001" / "a.csv").unlink()
    line = one_line_error(cli("prepare"))
    assert "'a.csv' is missing" in line and "--remove" in line
    rm = cli("deliveries", "--remove", "001")
    assert rm.returncode == 0, rm.stderr
    assert cli("prepare").returncode == 0


def test_names_and_links_leading_outside_a_delivery_are_refused(data_root, tmp_path):
    prepare(data_files=[csv(tmp_path / "a.csv", 91.0)])
    folder = deliveries.plan_folder(PLAN) / "001"
    outside = csv(tmp_path / "outside.csv", 50.0)
    meta = json.loads((folder / "delivery.json").read_text(encoding="utf-8"))
    for name in ("../../../../outside.csv", str(outside)):
        (folder / "delivery.json").write_text(json.dumps({**meta, "name": name}), encoding="utf-8")
        line = one_line_error(cli("prepare"))
        assert "not a file inside the delivery's folder" in line
    (folder / "delivery.json").write_text(json.dumps(meta), encoding="utf-8")
    (folder / "a.csv").unlink()
    (folder / "a.csv").symlink_to(outside)
    assert "is a link" in one_line_error(cli("prepare"))
    # a delivery folder that is a link: refused, and --remove takes the link away, not its target
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep-me").write_text("x")
    (deliveries.plan_folder(PLAN) / "002").symlink_to(target, target_is_directory=True)
    assert "is a link" in one_line_error(cli("prepare"))
    assert cli("deliveries", "--remove", "002").returncode == 0
    assert (target / "keep-me").read_text() == "x"
    assert cli("deliveries", "--remove", "001").returncode == 0
    assert cli("prepare").returncode == 0


def test_a_leftover_removing_folder_is_swept(data_root, tmp_path):
    prepare(data_files=[csv(tmp_path / "a.csv", 91.0)])
    prepare(data_files=[csv(tmp_path / "b.csv", 92.0, 2023)])
    folder = deliveries.plan_folder(PLAN)
    # a removal killed between its two steps left this; under the lock nobody else is removing
    os.replace(folder / "002", folder / ".removing-002")
    (folder / "002").mkdir()
    (folder / "002" / "delivery.json").write_text("{not json", encoding="utf-8")
    rm = cli("deliveries", "--remove", "002")       # a broken record can be removed too
    assert rm.returncode == 0 and "removed delivery 002" in rm.stdout, rm.stderr
    assert sorted(p.name for p in folder.iterdir()) == [".last-id", "001"]
    res = cli("prepare", "--data", str(csv(tmp_path / "c.csv", 93.0)))
    assert "kept delivery 003" in res.stdout, res.stderr


@pytest.mark.slow
def test_a_second_writer_waits_for_the_lock_or_gives_up_in_one_line(data_root, tmp_path):
    f = csv(tmp_path / "a.csv", 91.0)
    with exclusive(deliveries.config.deliveries_dir() / deliveries.LOCK_FILE, "test"):
        line = one_line_error(cli("prepare", "--data", str(f), QANALYSIS_LOCK_WAIT="1"))
    assert f"another qanalysis process (PID {os.getpid()})" in line and "waited 1 s" in line
    assert deliveries.kept(PLAN) == []
    assert cli("prepare", "--data", str(f)).returncode == 0
