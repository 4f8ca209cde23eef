import shutil

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


def test_stale_processed_data_is_not_used(tmp_path, monkeypatch):
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
    with pytest.warns(UserWarning, match="older than the raw data"):
        data = qanalysis.load()
    obs = data.observations.set_index(["region", "indicator", "year"])
    assert obs.loc[("330300", "pm25_concentration", 2022), "value"] == 23


def test_a_change_to_the_data_code_makes_processed_data_stale(tmp_path, monkeypatch):
    from qanalysis.data import prepare as prep

    monkeypatch.setattr(config, "PROCESSED_DIR", tmp_path)
    prepare()
    data = qanalysis.load()            # fresh: no warning, read from disk
    assert len(data.observations)
    monkeypatch.setattr(prep, "DATA_MODULES", prep.DATA_MODULES[:-1])  # "the code changed"
    with pytest.warns(UserWarning, match="older than the raw data"):
        qanalysis.load()
