"""One series, one basis: delivered > published > illustrative, enforced in series_source.choose."""
import dataclasses

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from qanalysis.analysis.assess import assess
from qanalysis.plan.catalogue import read_plan_info
from qanalysis.dataset import OBSERVATION_COLUMNS, typed
from qanalysis.data.prepare import build
from qanalysis.charts.frame import _status_mix
from qanalysis.data.series_source import choose, real_observations, series_sources

COUNTY, CITY, PCT = "330304", "330300", "mfg_product_pass_rate"
HEADER = "region,indicator,year,value,status,source\n"


def obs(rows, status, delivery=""):
    df = pd.DataFrame(rows, columns=["region", "indicator", "year", "value"])
    return typed(df.assign(status=status, source="s", delivery=delivery), OBSERVATION_COLUMNS)


def series(data, region, indicator):
    o = data.observations
    return o[(o["region"] == region) & (o["indicator"] == indicator)].sort_values("year")


def test_choose_takes_one_basis_per_series():
    delivered = obs([("A", "x", 2021, 1.0)], "provisional", "001")
    published = obs([("A", "x", 2020, 9.0), ("A", "y", 2020, 5.0)], "published")
    generated = obs([("A", "x", 2019, 7.0), ("A", "y", 2021, 6.0), ("A", "z", 2021, 3.0)], "illustrative")
    out, replaced = choose(delivered, published, generated)
    got = {(r, i): sorted(g["year"]) for (r, i), g in out.groupby(["region", "indicator"])}
    assert got == {("A", "x"): [2021], ("A", "y"): [2020], ("A", "z"): [2021]}
    assert set(out.loc[out["indicator"] == "x", "status"]) == {"provisional"}
    assert len(replaced) == 0


def test_a_delivered_series_with_a_gap_is_assessed_on_exactly_its_points(tmp_path):
    years = [2016, 2017, 2018, 2020, 2021, 2022, 2023, 2024]   # 2019 not delivered
    vals = [91.2, 91.9, 92.1, 93.0, 93.2, 94.1, 94.0, 94.6]
    f = tmp_path / "gap.csv"
    f.write_text(HEADER + "".join(f"{COUNTY},{PCT},{y},{v},published,区统计年鉴\n" for y, v in zip(years, vals))
                 + "".join(f"{CITY},{PCT},{y},{v + 1},provisional,市局快报\n" for y, v in zip(years, vals)),
                 encoding="utf-8")
    data = build(data_files=[f])
    for region, shift in ((COUNTY, 0.0), (CITY, 1.0)):
        s = series(data, region, PCT)
        assert s["year"].tolist() == years                      # no generated 2019, no shipped 2020
        assert np.allclose(s["value"], np.array(vals) + shift)
        assert (s["delivery"] == "gap.csv").all()
    r = assess(data).table.set_index(["region", "indicator"]).loc[(COUNTY, PCT)]
    x = np.array(years, float)
    res = sm.OLS(np.array(vals), sm.add_constant(x)).fit()
    pred = res.get_prediction(np.array([[1.0, 2025.0]])).summary_frame(alpha=0.05).iloc[0]
    assert r["n_points"] == 8 and r["first_year"] == 2016 and r["latest"] == 94.6
    assert r["forecast"] == pytest.approx(pred["mean"], rel=1e-9, abs=1e-9)
    assert r["pi95_low"] == pytest.approx(pred["obs_ci_lower"], rel=1e-9, abs=1e-9)
    assert r["pi95_high"] == pytest.approx(pred["obs_ci_upper"], rel=1e-9, abs=1e-9)
    pred80 = res.get_prediction(np.array([[1.0, 2025.0]])).summary_frame(alpha=0.20).iloc[0]
    assert r["pi80_low"] == pytest.approx(pred80["obs_ci_lower"], rel=1e-9, abs=1e-9)
    assert r["data_basis"] == "delivered" and "gap.csv" in r["data_source"]
    assert not r["has_illustrative"]
    # the county's baseline is its own delivered 2020 value
    t = data.targets.set_index(["region", "indicator"]).loc[(COUNTY, PCT)]
    assert t["baseline"] == 93.0 and t["baseline_year"] == 2020


def test_one_delivered_value_leaves_every_other_series_and_the_baseline_alone(tmp_path, dataset):
    f = tmp_path / "one.csv"
    f.write_text(HEADER + f"{COUNTY},{PCT},2022,97.1,provisional,区局\n", encoding="utf-8")
    data = build(data_files=[f])
    assert series(data, COUNTY, PCT)["value"].tolist() == [97.1]
    key = ["region", "indicator", "year"]
    other = lambda d: d.observations[~((d.observations["region"] == COUNTY) & (d.observations["indicator"] == PCT))]
    pd.testing.assert_frame_equal(other(data).drop(columns="delivery").reset_index(drop=True),
                                  other(dataset).drop(columns="delivery").reset_index(drop=True))
    t = data.targets.set_index(["region", "indicator"]).loc[(COUNTY, PCT)]
    city = data.targets.set_index(["region", "indicator"]).loc[(CITY, PCT)]
    assert np.isnan(t["baseline"]) and city["baseline"] == 95 and "本地区" not in t["target_note"]
    assert data.observations.duplicated(key).sum() == 0


def test_illustrative_values_never_make_a_baseline(tmp_path, dataset):
    # one county's real 2020 value (delivered) beside every generated county series, which hold
    # illustrative 2020 values: only the real one may become a baseline
    f = tmp_path / "base.csv"
    f.write_text(HEADER + f"{COUNTY},{PCT},2020,91.7,published,区统计年鉴\n", encoding="utf-8")
    data = build(data_files=[f])
    base = data.targets.set_index(["region", "indicator"])
    own = base[base["target_note"].str.contains("基期值取本地区")]
    assert list(own.index) == [(COUNTY, PCT)] and own["baseline"].iloc[0] == 91.7
    ill = data.observations[(data.observations["status"] == "illustrative") & (data.observations["year"] == 2020)
                            & (data.observations["region"] != CITY)]
    assert len(ill) > 100   # many county series with a generated 2020 value...
    shipped = dataset.targets.set_index(["region", "indicator"])
    for key in set(zip(ill["region"], ill["indicator"])):
        assert base.loc[key, "baseline"] == shipped.loc[key, "baseline"] or (
            np.isnan(base.loc[key, "baseline"]) and np.isnan(shipped.loc[key, "baseline"])), key  # ...kept the borrowed one


def test_published_and_illustrative_are_never_in_one_series(dataset):
    src = series_sources(dataset.observations)
    assert set(src["data_basis"]) == {"published", "illustrative"}
    mixed = dataset.observations.groupby(["region", "indicator"])["status"].nunique()
    assert mixed.max() == 1


def test_history_from_1990_is_used_by_the_trend(tmp_path):
    f = tmp_path / "long.csv"
    f.write_text(HEADER + "".join(f"{COUNTY},{PCT},{y},{80 + 0.5 * (y - 1990)},published,年鉴\n"
                                  for y in (1990, 1995, 2000, 2005, 2010, 2015)), encoding="utf-8")
    data = build(data_files=[f])
    a = assess(data)
    r = a.table.set_index(["region", "indicator"]).loc[(COUNTY, PCT)]
    assert r["n_points"] == 6 and r["first_year"] == 1990
    # the line runs through the history (the row itself is 数据不足 — no plan-year value — and
    # shows no forecast since issue 30)
    assert a.path(COUNTY, PCT, [2025])["forecast"].iloc[0] == pytest.approx(80 + 0.5 * 35)
    # a fit window set in the plan: earlier years are not fitted, and the table says so
    windowed = dataclasses.replace(data, plan=dataclasses.replace(data.plan, fit_first_year=2000))
    w = assess(windowed).table.set_index(["region", "indicator"]).loc[(COUNTY, PCT)]
    assert w["n_points"] == 4 and w["first_year"] == 2000 and w["fit_first_year"] == 2000


def test_fit_window_is_stated_on_the_chart(tmp_path, dataset):
    from qanalysis.charts import plots

    windowed = dataclasses.replace(dataset, plan=dataclasses.replace(dataset.plan, fit_first_year=2018))
    fig = plots.trajectory(assess(windowed), COUNTY, PCT, "zh")
    texts = " ".join(t.get_text() for t in fig.texts)
    plots.close(fig)
    assert "趋势拟合自2018年起（规划设定）" in texts


def test_the_plan_switch_turns_filling_off(plan_copy):
    toml = plan_copy / "plan.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("fill_illustrative = true", "fill_illustrative = false"),
                    encoding="utf-8")
    assert read_plan_info(plan_copy).fill_illustrative is False
    toml.write_text(toml.read_text(encoding="utf-8") + "fit_first_year = 1980\n", encoding="utf-8")
    from qanalysis.errors import QAnalysisError
    with pytest.raises(QAnalysisError, match="fit_first_year"):
        read_plan_info(plan_copy)


def test_no_fill_leaves_only_real_values():
    data = build(fill=False)
    assert set(data.observations["status"]) == {"published"}


def test_provisional_is_never_called_published():
    assert "公开" not in _status_mix(["provisional"], "zh")
    both = _status_mix(["published", "provisional"], "zh")
    assert "初步" in both and "未正式发布" in both
    assert _status_mix(["provisional"], "en").startswith("provisional")
