"""Deliveries are raw data: kept as delivered, used by every later prepare, listed, removable."""
import json
import subprocess
import sys
import warnings

import pytest

import qanalysis
from qanalysis import config
from qanalysis.data import deliveries
from qanalysis.fingerprint import sha256_file
from qanalysis.errors import InputError
from qanalysis.data.prepare import prepare

PLAN = "wenzhou-2021-2025"
HEADER = "region,indicator,year,value,status,source\n"


def csv(path, *rows):
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def value(data, region, indicator, year):
    o = data.observations
    hit = o[(o["region"] == region) & (o["indicator"] == indicator) & (o["year"] == year)]
    return hit.iloc[0] if len(hit) else None


def cli(*args):
    return subprocess.run([sys.executable, "-m", "qanalysis", *args], capture_output=True, text=True)


def test_delivered_file_is_kept_unchanged_with_its_record(data_root, tmp_path):
    f = csv(tmp_path / "one.csv", "330302,mfg_product_pass_rate,2022,97.1,provisional,区局")
    prepare(data_files=[f])
    (kept,) = deliveries.kept(PLAN)
    assert kept.id == "001" and kept.name == "one.csv" and kept.values == 1
    assert kept.path.read_bytes() == f.read_bytes()
    meta = json.loads((kept.folder / "delivery.json").read_text(encoding="utf-8"))
    assert meta["sha256"] == sha256_file(f) and meta["kept_at"][:2] == "20"
    assert kept.folder == data_root / "deliveries" / PLAN / "001"


def test_a_plain_prepare_keeps_using_the_delivery(data_root, tmp_path):
    f = csv(tmp_path / "one.csv", "330302,mfg_product_pass_rate,2022,97.1,provisional,区局")
    res = cli("prepare", "--data", str(f))
    assert res.returncode == 0, res.stderr
    assert "kept delivery 001" in res.stdout
    res = cli("prepare")                         # what `make reports` runs first
    assert res.returncode == 0, res.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # load() never warns
        data = qanalysis.load()
    v = value(data, "330302", "mfg_product_pass_rate", 2022)
    assert v["value"] == 97.1 and v["status"] == "provisional" and v["delivery"] == "001"


def test_removing_a_delivery_restores_the_processed_files_byte_for_byte(data_root, tmp_path):
    _, folder = prepare()
    before = snapshot(folder)
    first = csv(tmp_path / "first.csv", "330303,mfg_product_pass_rate,2021,96.5,provisional,a")
    prepare(data_files=[first])
    with_first = snapshot(folder)
    second = csv(tmp_path / "second.csv", "330302,mfg_product_pass_rate,2022,97.1,provisional,b",
                 "330300,pm25_concentration,2023,21,published,http://example.org/bulletin")
    prepare(data_files=[second])
    assert snapshot(folder) != with_first
    res = cli("deliveries", "--remove", "002")
    assert res.returncode == 0 and "removed delivery 002" in res.stdout, res.stderr
    prepare()
    assert snapshot(folder) == with_first
    deliveries.remove(PLAN, "001")
    prepare()
    assert snapshot(folder) == before


def test_the_later_delivery_wins_and_the_replaced_value_is_noted(data_root, tmp_path):
    from qanalysis.analysis.assess import assess
    from qanalysis.reports.notebook import data_notes

    csv(tmp_path / "a.csv", "330302,mfg_product_pass_rate,2021,96.0,provisional,a",
        "330302,mfg_product_pass_rate,2022,96.4,provisional,a")
    csv(tmp_path / "b.csv", "330302,mfg_product_pass_rate,2022,97.3,published,区统计年鉴2023")
    prepare(data_files=[tmp_path / "a.csv"])
    data, _ = prepare(data_files=[tmp_path / "b.csv"])
    assert value(data, "330302", "mfg_product_pass_rate", 2022)["value"] == 97.3
    assert value(data, "330302", "mfg_product_pass_rate", 2021)["value"] == 96.0   # a still delivers 2021
    rep = data.replaced.iloc[0]
    assert (rep["year"], rep["replaced_value"], rep["replaced_delivery"], rep["value"], rep["delivery"]) == \
        (2022, 96.4, "001", 97.3, "002")
    notes = data_notes(assess(qanalysis.load()), "330302", "zh")
    assert "已替换：330302 mfg_product_pass_rate 2022 年的 96.4（报送 001）被后报送的 97.3（报送 002）替换" in notes
    assert "报送数据 001：文件 a.csv" in notes and "报送数据 002：文件 b.csv" in notes


@pytest.mark.parametrize("body", ["", ",,,,,\n,,,,,\n"], ids=["header only", "all blank"])
def test_a_delivery_without_values_is_refused_and_nothing_changes(data_root, tmp_path, body):
    _, folder = prepare()
    before = snapshot(folder)
    f = tmp_path / "empty.csv"
    f.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        prepare(data_files=[f])
    (p,) = exc.value.errors
    assert p.code == "no_values" and p.file.endswith("empty.csv") and p.row == 1
    assert "holds no values" in str(exc.value)
    assert deliveries.kept(PLAN) == [] and snapshot(folder) == before
    res = cli("prepare", "--data", str(f))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "empty.csv, row 1: error [no_values]" in res.stderr


def test_a_refused_file_keeps_nothing_of_the_others(data_root, tmp_path):
    good = csv(tmp_path / "good.csv", "330302,mfg_product_pass_rate,2022,97.1,provisional,a")
    bad = csv(tmp_path / "bad.csv", "330302,mfg_product_pass_rate,2022,120,provisional,a")
    with pytest.raises(InputError, match="bad.csv"):
        prepare(data_files=[good, bad])
    assert deliveries.kept(PLAN) == []


def test_the_same_file_is_not_kept_twice(data_root, tmp_path, capsys):
    f = csv(tmp_path / "one.csv", "330302,mfg_product_pass_rate,2022,97.1,provisional,a")
    prepare(data_files=[f])
    prepare(data_files=[f])
    assert [d.id for d in deliveries.kept(PLAN)] == ["001"]
    assert "already kept as delivery 001" in capsys.readouterr().err


def test_listing_deliveries(data_root, tmp_path):
    assert "no deliveries kept" in cli("deliveries").stdout
    prepare(data_files=[csv(tmp_path / "one.csv", "330302,mfg_product_pass_rate,2022,97.1,provisional,a")])
    out = cli("deliveries").stdout
    assert "001" in out and "one.csv" in out and sha256_file(tmp_path / "one.csv")[:12] in out
    res = cli("deliveries", "--remove", "009")
    assert res.returncode == 1 and "no delivery '009'" in res.stderr and "Traceback" not in res.stderr


def test_load_rebuilds_stale_data_from_the_same_inputs_and_says_so_once(data_root, tmp_path, capsys):
    prepare()
    # a delivery kept by hand (or by another process) after the last prepare
    f = csv(tmp_path / "late.csv", "330302,mfg_product_pass_rate,2022,97.1,provisional,a")
    deliveries.keep(PLAN, f, "001", 1)
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = qanalysis.load()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "已处理数据过期" in err[0] and "out of date" in err[0]
    assert value(data, "330302", "mfg_product_pass_rate", 2022)["value"] == 97.1
    qanalysis.load()                             # rebuilt on disk: fresh now, silent
    assert capsys.readouterr().err == ""
    meta = json.loads((config.PROCESSED_DIR / PLAN / "plan.json").read_text(encoding="utf-8"))
    assert meta["deliveries"] == ["001"]


def test_no_fill_stays_in_force_for_load(data_root, capsys):
    prepare(fill=False)
    capsys.readouterr()
    data = qanalysis.load()
    assert "illustrative" not in set(data.observations["status"])
    assert capsys.readouterr().err == ""


def test_load_with_another_fill_setting_writes_nothing(data_root, capsys):
    """load(fill=False) asks for other data than the processed folder's: built in memory,
    the folder every other reader uses stays as prepare wrote it."""
    _, folder = prepare()
    before = snapshot(folder)
    capsys.readouterr()
    data = qanalysis.load(fill=False)
    assert "illustrative" not in set(data.observations["status"])
    assert snapshot(folder) == before and capsys.readouterr().err == ""
    assert "illustrative" in set(qanalysis.load().observations["status"])
