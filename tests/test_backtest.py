"""Rolling-origin evaluation: the forecast rows, their count, coverage and the CLI."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

sys.path.insert(0, str(Path(__file__).parent))
import analytics_data as ca  # noqa: E402

import qanalysis  # noqa: E402
from qanalysis.analysis import backtest as bt  # noqa: E402
from qanalysis import cli  # noqa: E402
from qanalysis.errors import InputError  # noqa: E402


def long(values: dict) -> pd.DataFrame:
    return pd.DataFrame([dict(region=r, indicator=i, year=y, value=v)
                         for (r, i), ys in values.items() for y, v in ys.items()])


PM = {2013: 58, 2014: 46, 2018: 30, 2019: 28, 2021: 25, 2022: 24}


def test_rows_follow_observed_years_with_gaps():
    f = bt.rolling_origin(long({("330300", "pm25"): PM}), max_horizon=5)
    # origins need ≥ 3 points: 2018 (→2019, 2021, 2022 within 5 years... 2019:h1, 2021:h3, 2022:h4),
    # 2019 (→2021 h2, 2022 h3), 2021 (→2022 h1)
    got = sorted(zip(f["origin"], f["year"], f["horizon"]))
    assert got == [(2018, 2019, 1), (2018, 2021, 3), (2018, 2022, 4), (2019, 2021, 2), (2019, 2022, 3),
                   (2021, 2022, 1)]
    r = f[(f["origin"] == 2019) & (f["year"] == 2022)].iloc[0]
    x = np.array([2013, 2014, 2018, 2019], float) - 2000
    res = sm.OLS(np.array([58, 46, 30, 28.0]), sm.add_constant(x)).fit()
    fr = res.get_prediction(np.array([[1, 22.0]])).summary_frame(alpha=0.2).iloc[0]
    assert r["forecast"] == pytest.approx(fr["mean"]) and r["pi80_low"] == pytest.approx(fr["obs_ci_lower"])
    assert r["n_train"] == 4 and r["actual"] == 24


def test_coverage_is_nominal_on_iid_linear_series():
    rng = np.random.default_rng(5)
    S, years = 1500, np.arange(2011, 2021)
    Y = 20 + rng.normal(0, 1, (S, 1)) * (years - 2011) + rng.normal(0, 2, (S, len(years)))
    obs = pd.DataFrame({"region": np.repeat(np.arange(S).astype(str), len(years)), "indicator": "x",
                        "year": np.tile(years, S), "value": Y.ravel()})
    s = bt.summarize(bt.rolling_origin(obs, max_horizon=3))
    assert s["coverage80"].iloc[0] == pytest.approx(0.80, abs=0.02)
    assert s["coverage95"].iloc[0] == pytest.approx(0.95, abs=0.015)


def test_summarize_by_hand():
    f = pd.DataFrame({"model": "linear", "region": ["a", "a", "b"], "indicator": "x",
                      "actual": [10.0, 12.0, 5.0], "forecast": [11.0, 12.0, 8.0],
                      "pi80_low": [9.0, 12.5, 4.0], "pi80_high": [11.0, 13.0, 6.0],
                      "pi95_low": [8.0, 11.0, 3.0], "pi95_high": [12.0, 13.0, 7.0]})
    s = bt.summarize(f).iloc[0]
    assert s["mae"] == pytest.approx(4 / 3) and s["coverage80"] == pytest.approx(2 / 3)
    assert s["coverage95"] == 1.0 and s["n_series"] == 2 and s["median_width95"] == 4.0


def test_loglinear_and_bounds():
    obs = long({("r", "rate"): {2016: 90.0, 2017: 93.0, 2018: 96.0, 2019: 98.5, 2020: 99.0, 2021: 99.9}})
    bounds = pd.DataFrame({"id": ["rate"], "lower_bound": [0.0], "upper_bound": [100.0]})
    for model in ("linear", "loglinear"):
        f = bt.rolling_origin(obs, model, bounds=bounds)
        assert len(f) and (f["pi95_high"] <= 100).all() and (f["forecast"] <= 100).all()


def test_read_published_names_the_bad_cell(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("region,indicator,year,value,status,source,note\n330300,pm25,2019,28,published,x,\n"
                 "330300,pm25,2020,n/a,published,x,\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        bt.read_published(p)
    assert "row 3" in str(e.value) and "value" in str(e.value)


def test_the_published_values_are_backtested_origin_by_origin():
    """The shipped published file, each forecast redone by hand: every observed origin with ≥ 3 varying
    points up to it, every later observed year within 5, fitted by statsmodels OLS; the summary counts them."""
    pub = bt.read_published()
    f, s = bt.evaluate({"published": pub})
    want = {}
    for (region, ind), g in pub.groupby(["region", "indicator"]):
        g = g.sort_values("year")
        yrs, vals = g["year"].to_numpy(), g["value"].to_numpy(float)
        for k, origin in enumerate(yrs):
            if k + 1 < 3:
                continue
            res = sm.OLS(vals[:k + 1], sm.add_constant(yrs[:k + 1] - 2000.0)).fit()
            if np.isclose(res.ssr, 0, atol=1e-9):
                continue   # 100, 100, 100: no variation, no interval to test
            for year, actual in zip(yrs[k + 1:], vals[k + 1:]):
                if year - origin <= 5:
                    fr = res.get_prediction(np.array([[1.0, year - 2000.0]])).summary_frame(alpha=0.05).iloc[0]
                    want[(region, ind, origin, year)] = (actual, fr["mean"], fr["obs_ci_lower"], fr["obs_ci_upper"])
    assert len(want) >= 5   # the file holds series long enough to test a forecast on
    lin = f[f["model"] == "linear"].set_index(["region", "indicator", "origin", "year"])
    assert sorted(lin.index) == sorted(want)
    for key, (actual, mean, lo, hi) in want.items():
        r = lin.loc[key]
        assert r["actual"] == actual and r["horizon"] == key[3] - key[2]
        assert (r["forecast"], r["pi95_low"], r["pi95_high"]) == pytest.approx((mean, lo, hi))
    # the log-linear model forecasts the same (series, origin, year) cells: the file's values are positive
    log = f[f["model"] == "loglinear"].set_index(["region", "indicator", "origin", "year"])
    assert sorted(log.index) == sorted(want)
    overall = s[s["horizon"] == "all"].set_index("model")
    inside = [lo <= a <= hi for a, _, lo, hi in want.values()]
    assert overall.loc["linear", "n_forecasts"] == len(want)
    assert overall.loc["linear", "coverage95"] == pytest.approx(np.mean(inside))
    assert overall.loc["linear", "mae"] == pytest.approx(np.mean([abs(a - m) for a, m, _, _ in want.values()]))


def test_cli_backtest_csv(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(qanalysis, "load", lambda *a, **k: ca.dataset())
    p = tmp_path / "p.csv"
    long({("330300", "pm25"): PM}).to_csv(p, index=False)
    assert cli.main(["backtest", "--csv", "--published", str(p), "--forecasts", str(tmp_path / "f.csv")]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert {"dataset", "model", "horizon", "mae", "coverage80", "coverage95"} <= set(out.columns)
    assert set(out["dataset"]) == {"published", "illustrative"}
    assert (tmp_path / "f.csv").exists()
