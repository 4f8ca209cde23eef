"""Trend metrics, the Open SDG progress ratio and its categories, time progress."""
from __future__ import annotations

import numpy as np
import pytest

from qanalysis.analysis import trend


def one(**kw):
    """progress() for a single level series with sensible defaults."""
    base = dict(kind="level", comparator=">=", direction=1, lower=0.0, upper=100.0, target=96.0,
                target_year=2025, base_year=2020, base=95.0, first_year=2021, latest_year=2023,
                latest=95.6, cumulative=np.nan, achieved=False)
    base.update(kw)
    out = trend.progress(**{k: np.atleast_1d(np.asarray(v, dtype=object if isinstance(v, str) else None))
                            for k, v in base.items()})
    return {k: v[0] for k, v in out.items()}


def test_cagr():
    assert trend.cagr([121.0], [100.0], [2022], [2020])[0] == pytest.approx(0.1)
    assert np.isnan(trend.cagr([1.0], [0.0], [2022], [2020])[0])
    assert np.isnan(trend.cagr([1.0], [2.0], [2020], [2020])[0])


def test_progress_ratio_and_categories():
    r = one()
    g_obs = (95.6 / 95) ** (1 / 3) - 1
    g_req = (96 / 95) ** (1 / 5) - 1
    assert r["cagr"] == pytest.approx(g_obs)
    assert r["cagr_required"] == pytest.approx(g_req)
    assert r["progress_ratio"] == pytest.approx(g_obs / g_req)
    assert r["progress_category"] == "on_track"  # R ≈ 1.00
    assert 0.6 <= one(latest=95.45)["progress_ratio"] < 0.95
    assert one(latest=95.45)["progress_category"] == "acceleration_needed"
    assert one(latest=95.8)["progress_category"] == "on_track"
    assert one(latest=95.2)["progress_category"] == "limited_progress"
    assert one(latest=94.0)["progress_category"] == "moving_away"
    assert one(latest=96.5, achieved=True)["progress_category"] == "achieved"


def test_lower_is_better_uses_the_sign_of_the_comparator():
    r = one(comparator="<=", direction=-1, target=26.0, base=30.0, latest=28.0, upper=np.nan)
    g_obs = (28 / 30) ** (1 / 3) - 1
    g_req = (26 / 30) ** (1 / 5) - 1
    assert r["progress_ratio"] == pytest.approx(-g_obs / abs(g_req))
    assert r["progress_ratio"] > 0


def test_time_progress():
    r = one(latest=95.6)
    assert r["time_elapsed_share"] == pytest.approx(3 / 5)
    assert r["distance_covered_share"] == pytest.approx(0.6 / 1.0)


def test_increment_pace_ratio_and_time_progress():
    r = one(kind="increment", target=300.0, base=234.0, latest=62.0, cumulative=175.0, latest_year=2023,
            upper=np.nan)
    assert r["avg_annual_change"] == pytest.approx(175 / 3)
    assert r["progress_ratio"] == pytest.approx((175 / 3) / (300 / 5))
    assert r["time_elapsed_share"] == pytest.approx(3 / 5)
    assert r["distance_covered_share"] == pytest.approx(175 / 300)
    assert np.isnan(r["cagr"])
    assert r["pace_required"] == pytest.approx(60.0)


def test_limit_coefficient_is_open_sdg_formula():
    c = trend.limit_coefficient([95.0, 50.0, 100.0, 250.0, 105.0], [100.0] * 5)
    assert c[0] == pytest.approx(1 - 0.95 ** 4.44)
    assert c[1] == pytest.approx(1 - 0.5 ** 4.44)
    assert c[2] == pytest.approx(0.0)
    assert c[3] == 1.0  # base ≥ 2·limit
    assert c[4] == pytest.approx(1 - 0.95 ** 4.44)  # mirrored above the limit
    assert trend.limit_coefficient([5.0], [np.nan])[0] == 1.0


def test_no_target_uses_growth_thresholds_shrunk_near_the_limit():
    # 97 → 97.5 over 2 years: CAGR ≈ 0.26%/yr, below 0.5% unshrunk; near 100 the thresholds
    # shrink by C = 1 − 0.97^4.44 ≈ 0.127, so it counts as substantial progress
    g = (97.5 / 97) ** 0.5 - 1
    c = 1 - 0.97 ** 4.44
    assert g < 0.005 and g >= 0.015 * c
    r = one(kind="unquantified", target=np.nan, base=97.0, latest=97.5, latest_year=2022)
    assert r["progress_category"] == "substantial_progress"
    assert r["limit_coefficient"] == pytest.approx(c)
    r = one(kind="unquantified", target=np.nan, base=97.0, latest=97.5, latest_year=2022, upper=np.nan)
    assert r["progress_category"] == "limited_progress"
    assert np.isnan(r["progress_ratio"])


def test_one_point_has_no_category():
    r = one(base_year=2023, latest_year=2023)
    assert r["progress_category"] == "" and np.isnan(r["progress_ratio"])


def test_zero_target_uses_time_progress():
    # "≤ 0": CAGR to 0 is undefined; instead of Open SDG's 0.001 substitute (issue 9) the
    # ratio is distance covered / time elapsed: (4 − 2)/(4 − 0) over 3 of 5 years
    r = one(comparator="<=", direction=-1, target=0.0, base=4.0, latest=2.0, upper=np.nan)
    assert r["progress_ratio"] == pytest.approx((2 / 4) / (3 / 5))
    assert r["progress_category"] == "acceleration_needed"
    assert np.isnan(r["cagr_required"])
