"""The illustrative generator: seeded, bounded, true to each kind, honest about itself."""
import numpy as np
import pandas as pd
import pytest

from qanalysis.data.generator import illustrative


def test_seeded_and_reproducible(plan_data):
    a, b = illustrative(plan_data), illustrative(plan_data)
    pd.testing.assert_frame_equal(a, b)
    c = illustrative(plan_data, seed=1)
    assert not np.allclose(a["value"], c["value"])


def test_every_region_and_indicator_has_data(plan_data):
    g = illustrative(plan_data)
    pairs = g.groupby(["region", "indicator"]).size()
    assert len(pairs) == len(plan_data.regions) * len(plan_data.catalogue)
    assert (g["status"] == "illustrative").all()
    assert g["source"].str.contains("示例").all()
    assert g["year"].max() == plan_data.plan.target_year   # the target year is filled too (issue 30)


def test_within_bounds(plan_data):
    g = illustrative(plan_data).merge(plan_data.catalogue[["id", "lower_bound", "upper_bound"]],
                                      left_on="indicator", right_on="id")
    assert (g["value"] >= g["lower_bound"].fillna(-np.inf)).all()
    assert (g["value"] <= g["upper_bound"].fillna(np.inf)).all()


def test_stocks_never_fall_and_counts_add_up(plan_data):
    g = illustrative(plan_data)
    cat = plan_data.catalogue.set_index("id")
    stocks = cat.index[cat["kind"] == "stock"]
    city = plan_data.plan.city_code
    for ind in stocks:
        s = g[(g["indicator"] == ind) & (g["region"] == city)].sort_values("year")["value"].to_numpy()
        if cat.loc[ind, "comparator"] != "<=":
            assert (np.diff(s) >= -1e-9).all(), ind
    for ind in cat.index[cat["kind"].isin(["stock", "increment"])]:
        piv = g[g["indicator"] == ind].pivot(index="year", columns="region", values="value")
        counties = piv.drop(columns=city)
        np.testing.assert_allclose(counties.sum(axis=1), piv[city], atol=1e-6, err_msg=ind)


def test_increments_are_non_negative_whole_counts(plan_data):
    g = illustrative(plan_data)
    cat = plan_data.catalogue.set_index("id")
    inc = g[g["indicator"].map(cat["kind"]) == "increment"]
    assert (inc["value"] >= 0).all()
    whole = inc[inc["indicator"].map(cat["unit"]).isin(["项", "家", "个", "条"])]
    assert np.allclose(whole["value"], np.round(whole["value"]))


def test_city_series_starts_from_the_baseline_and_passes_through_anchors(plan_data):
    anchors = pd.DataFrame({"region": ["330300"] * 2, "indicator": ["mfg_product_pass_rate"] * 2,
                            "year": [2020, 2022], "value": [95.0, 97.5]})
    g = illustrative(plan_data, anchors=anchors)
    s = g[(g["region"] == "330300") & (g["indicator"] == "mfg_product_pass_rate")].set_index("year")["value"]
    assert 2020 not in s.index and 2022 not in s.index   # the real values are the caller's
    # the same stream without anchors: the path the anchors shift (docs/data.md)
    raw = illustrative(plan_data)
    raw = raw[(raw["region"] == "330300") & (raw["indicator"] == "mfg_product_pass_rate")].set_index("year")["value"]
    assert anchors["value"].iloc[0] == plan_data.catalogue.set_index("id").loc["mfg_product_pass_rate", "baseline"]
    r20, r22 = 95.0 - raw.loc[2020], 97.5 - raw.loc[2022]   # residuals at the anchors
    want = {y: raw.loc[y] + r20 for y in range(2016, 2020)}   # before the baseline: shifted onto it
    want[2021] = raw.loc[2021] + (r20 + r22) / 2              # between anchors: linear
    want.update({y: raw.loc[y] + r22 for y in (2023, 2024, 2025)})  # after the last: its shift
    assert sorted(s.index) == sorted(want)
    for y, v in want.items():
        assert s.loc[y] == pytest.approx(v, abs=0.1 + 1e-9), y   # ± one unit of the value's rounding


def test_counties_spread_around_the_city(plan_data):
    g = illustrative(plan_data)
    piv = g[g["indicator"] == "mfg_product_pass_rate"].pivot(index="year", columns="region", values="value")
    spread = piv.drop(columns="330300").std(axis=1)
    assert (spread > 0.1).all() and (spread < 5).all()


def test_a_floor_already_met_is_not_slid_toward(plan_data):
    """农产品合格率: baseline 99.04, target ≥98 — the plan sets a floor, not a fall to 98."""
    g = illustrative(plan_data)
    s = g[(g["region"] == "330300") & (g["indicator"] == "agri_product_pass_rate")].set_index("year")["value"]
    assert s.loc[2021:2024].mean() > 98.5
