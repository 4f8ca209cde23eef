import shutil
import warnings

import pandas as pd
import pytest

import qanalysis
from qanalysis import config
from qanalysis.dataset import CATALOGUE_COLUMNS, OBSERVATION_COLUMNS, TARGET_COLUMNS
from qanalysis.data.prepare import prepare


def test_load_returns_typed_frames(tmp_path):
    _, folder = prepare(out_dir=tmp_path)
    data = qanalysis.load(data_dir=folder)
    assert list(data.catalogue.columns) == list(CATALOGUE_COLUMNS)
    assert list(data.observations.columns) == list(OBSERVATION_COLUMNS)
    assert list(data.targets.columns) == list(TARGET_COLUMNS)
    for frame, cols in ((data.catalogue, CATALOGUE_COLUMNS), (data.observations, OBSERVATION_COLUMNS)):
        for c, dtype in cols.items():
            assert str(frame[c].dtype) == dtype, c
    assert data.observations["region"].str.fullmatch(r"\d{6}").all()   # codes stay text
    assert data.review["named_missed_in_plan"].dtype == "boolean"


def test_processed_round_trips_what_was_built(tmp_path):
    built, folder = prepare(out_dir=tmp_path)
    loaded = qanalysis.load(data_dir=tmp_path)   # the processed root works too
    pd.testing.assert_frame_equal(built.observations, loaded.observations)
    pd.testing.assert_frame_equal(built.catalogue, loaded.catalogue)
    pd.testing.assert_frame_equal(built.targets, loaded.targets)
    assert built.plan == loaded.plan


def test_stale_processed_data_is_not_used(tmp_path, monkeypatch, capsys):
    data_root = tmp_path / "data"
    shutil.copytree(config.RAW_DIR, data_root / "raw")
    monkeypatch.setattr(config, "PROCESSED_DIR", data_root / "processed")
    monkeypatch.setattr(config, "PLANS_DIR", data_root / "raw" / "plans")
    monkeypatch.setattr(config, "OBSERVATIONS_RAW_DIR", data_root / "raw" / "observations")
    prepare()
    pub = data_root / "raw" / "observations" / "published.csv"
    text = pub.read_text(encoding="utf-8").replace("330300,pm25_concentration,2022,24,",
                                                   "330300,pm25_concentration,2022,23,")
    assert "2022,23," in text
    pub.write_text(text, encoding="utf-8")
    data = qanalysis.load()     # stale: said in one line (zh + en) and prepared again, no Python warning
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "已处理数据过期" in err[0] and "out of date" in err[0]
    obs = data.observations.set_index(["region", "indicator", "year"])
    assert obs.loc[("330300", "pm25_concentration", 2022), "value"] == 23


def test_a_change_to_the_data_code_makes_processed_data_stale(tmp_path, monkeypatch, capsys):
    """Edit a module the prepare step imports (in a copy of the package): the processed
    folder is stale. Edit a chart module: it is not (charts do not shape the data)."""
    pkg = tmp_path / "pkg"
    shutil.copytree(config.PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(config, "PACKAGE_DIR", pkg)
    monkeypatch.setattr(config, "PROCESSED_DIR", tmp_path / "processed")
    prepare()
    capsys.readouterr()
    data = qanalysis.load()            # fresh: silent, read from disk
    assert len(data.observations) and capsys.readouterr().err == ""
    with (pkg / "charts" / "theme.py").open("a", encoding="utf-8") as fh:
        fh.write("# an edit that cannot change the data\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        qanalysis.load()
    assert capsys.readouterr().err == ""
    for module in ("plan/targetparse.py", "data/deliveries.py", "data/series_source.py"):
        with (pkg / module).open("a", encoding="utf-8") as fh:
            fh.write("# the code changed\n")
        qanalysis.load()               # stale: prepared again, said in one line
        assert "out of date" in capsys.readouterr().err, module
        qanalysis.load()
        assert capsys.readouterr().err == "", module
