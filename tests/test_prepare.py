"""raw → processed: all or nothing, and never a half-written folder."""
import os
import subprocess
import sys

import pandas as pd
import pytest

from conftest import SECOND_PLAN
from qanalysis.errors import InputError
from qanalysis.data.prepare import PROCESSED_FILES, build, prepare


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def prepared(tmp_path):
    _, path = prepare(out_dir=tmp_path)
    return path


def test_writes_every_processed_file(prepared):
    assert sorted(p.name for p in prepared.iterdir()) == sorted(PROCESSED_FILES)
    obs = pd.read_csv(prepared / "observations.csv", dtype={"region": str})
    assert set(obs["status"]) == {"published", "illustrative"}
    assert not obs.duplicated(["region", "indicator", "year"]).any()


def test_same_input_same_bytes(prepared, tmp_path):
    _, again = prepare(out_dir=tmp_path / "again")
    assert snapshot(prepared) == snapshot(again)


def test_refused_input_leaves_previous_output_untouched(prepared, tmp_path):
    before = snapshot(prepared)
    bad = tmp_path / "bad.csv"
    bad.write_text("region,indicator,year,value,status,source\n330302,no_such_indicator,2021,1,provisional,x\n",
                   encoding="utf-8")
    with pytest.raises(InputError):
        prepare(data_files=[bad], out_dir=prepared.parent)
    assert snapshot(prepared) == before
    assert [p.name for p in prepared.parent.iterdir() if p.name.startswith(".")] == []


def test_interrupted_write_leaves_previous_output_untouched(prepared, monkeypatch):
    before = snapshot(prepared)
    real = pd.DataFrame.to_csv

    def dies_on_observations(self, path=None, *a, **k):
        if path is not None and str(path).endswith("observations.csv"):
            raise KeyboardInterrupt  # the user pressed Ctrl-C mid-write
        return real(self, path, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_csv", dies_on_observations)
    with pytest.raises(KeyboardInterrupt):
        prepare(out_dir=prepared.parent)
    monkeypatch.undo()
    assert snapshot(prepared) == before
    assert sorted(os.listdir(prepared.parent)) == [prepared.name]


def test_user_values_take_precedence_over_published_and_generated(tmp_path):
    f = tmp_path / "mine.csv"
    f.write_text("region,indicator,year,value,status,source\n"
                 "330300,pm25_concentration,2022,23,provisional,环境局快报\n"
                 "330302,mfg_product_pass_rate,2021,97.1,provisional,区市场监管局\n", encoding="utf-8")
    data = build(data_files=[f])
    obs = data.observations.set_index(["region", "indicator", "year"])
    assert obs.loc[("330300", "pm25_concentration", 2022), "value"] == 23      # over published 24
    assert obs.loc[("330302", "mfg_product_pass_rate", 2021), "status"] == "provisional"


def test_no_fill_keeps_only_real_values():
    data = build(fill=False)
    assert set(data.observations["status"]) == {"published"}


def test_a_second_plan_is_new_files_not_new_code(tmp_path):
    data, path = prepare(plan=SECOND_PLAN, out_dir=tmp_path)
    assert path.name == "lishui-demo-2026-2030"
    assert data.plan.target_year == 2030 and data.plan.city_code == "331100"
    obs = data.observations
    assert set(obs["region"]) == {"331100", "331102", "331121"}
    assert obs["year"].min() == 2021 and obs["year"].max() == 2030   # the target year is filled too (issue 30)
    t = data.targets.set_index(["region", "indicator"])
    # counts are shared by weight 2:1 by largest remainder: 50 × 2/3 = 33.3 → 33, 16.7 → 17 (sum 50)
    assert t.loc[("331102", "standards_new"), "target"] == 33
    assert t.loc[("331121", "standards_new"), "target"] == 17
    assert data.review["named_missed_in_plan"].tolist() == [False, True]
    assert data.catalogue.set_index("id").loc["labs_stock", "note"].startswith("基期值为")


def test_cli_prepare_writes_and_summarises(tmp_path):
    res = subprocess.run([sys.executable, "-m", "qanalysis", "prepare", "--out", str(tmp_path)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "illustrative" in res.stdout and "示例数据" in res.stdout
    assert (tmp_path / "wenzhou-2021-2025" / "observations.csv").exists()


def test_cli_prepare_refuses_bad_data_without_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("region,indicator,year,value,status,source\n330302,mfg_product_pass_rate,2021,120,provisional,x\n",
                   encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "qanalysis", "prepare", "--out", str(tmp_path / "out"),
                          "--data", str(bad)], capture_output=True, text=True)
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    assert "bad.csv" in res.stderr and "120" in res.stderr
    assert not (tmp_path / "out" / "wenzhou-2021-2025").exists()
