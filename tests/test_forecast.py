"""The vectorized fits against statsmodels and scipy, and the bound/probability semantics."""
from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from qanalysis.analysis import forecast as fc


def sm_frame(x, y, x_new, alpha, log=False):
    """statsmodels' prediction for one series (x centred only for conditioning)."""
    x0 = 2000.0
    res = sm.OLS(np.log(y) if log else y, sm.add_constant(x - x0)).fit()
    return res.get_prediction(np.array([[1.0, x_new - x0]])).summary_frame(alpha=alpha).iloc[0], res


panels = st.integers(3, 12).flatmap(lambda T: st.tuples(
    hnp.arrays(float, st.tuples(st.integers(1, 6), st.just(T)),
               elements=st.floats(-500, 500, allow_nan=False, width=64)),
    st.integers(0, 2**31 - 1),
))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(panels, st.integers(2024, 2032), st.sampled_from([0.05, 0.2]))
def test_level_interval_matches_statsmodels(panel, x_new, alpha):
    Y, seed = panel
    rng = np.random.default_rng(seed)
    Y = Y.copy()
    Y[rng.random(Y.shape) < 0.3] = np.nan
    years = np.arange(2014, 2014 + Y.shape[1])
    fit = fc.fit(years, Y)
    grid = np.arange(2014, max(x_new, years[-1]) + 1)
    M = np.zeros((Y.shape[0], len(grid)), bool)
    M[:, grid == x_new] = True
    pred = fc.predict_sum(fit, grid, M)
    lo, hi = pred.interval(1 - alpha)
    for s in range(Y.shape[0]):
        ok = np.isfinite(Y[s])
        if ok.sum() < 3:
            assert np.isnan(pred.scale[s]) and np.isnan(lo[s])
            continue
        frame, res = sm_frame(years[ok].astype(float), Y[s, ok], x_new, alpha)
        scale = max(1.0, np.abs(Y[s, ok]).max())
        assert pred.point[s] == pytest.approx(frame["mean"], rel=1e-9, abs=1e-9 * scale)
        assert lo[s] == pytest.approx(frame["obs_ci_lower"], rel=1e-9, abs=1e-9 * scale)
        assert hi[s] == pytest.approx(frame["obs_ci_upper"], rel=1e-9, abs=1e-9 * scale)
        # P(attain) against scipy's t with statsmodels' standard error of a new observation
        se = np.sqrt(frame["mean_se"] ** 2 + res.scale)
        if se > 1e-6 * scale:
            target = frame["mean"] + 0.5 * se
            want = stats.t.sf((target - frame["mean"]) / se, res.df_resid)
            got = fc.p_attain(pred, np.full(len(pred.point), target), ">=")[s]
            assert got == pytest.approx(want, rel=1e-7, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(3, 10), st.integers(1, 5))
def test_sum_of_future_years_matches_statsmodels(seed, n, m):
    """Var of a sum of predictions = se_mean² of the summed exog row + m·s² (shared coefficients)."""
    rng = np.random.default_rng(seed)
    years = np.arange(2016, 2016 + n)
    y = rng.normal(10, 3, n) + 0.7 * (years - 2016)
    future = np.arange(years[-1] + 1, years[-1] + 1 + m)
    grid = np.arange(2016, future[-1] + 1)
    M = np.isin(grid, future)[None, :]
    done = np.array([123.0])
    pred = fc.predict_sum(fc.fit(years, y[None, :]), grid, M, done)
    res = sm.OLS(y, sm.add_constant(years - 2000.0)).fit()
    row = np.array([[m, (future - 2000.0).sum()]])
    p = res.get_prediction(row)
    se_obs = np.sqrt(p.se_mean[0] ** 2 + m * res.scale)
    q = stats.t.ppf(0.975, n - 2)
    assert pred.point[0] == pytest.approx(123.0 + p.predicted_mean[0], rel=1e-9)
    lo, hi = pred.interval(0.95)
    assert lo[0] == pytest.approx(123.0 + p.predicted_mean[0] - q * se_obs, rel=1e-9, abs=1e-8)
    assert hi[0] == pytest.approx(123.0 + p.predicted_mean[0] + q * se_obs, rel=1e-9, abs=1e-8)
    # the probability against scipy's t
    target = 123.0 + p.predicted_mean[0] + 0.3 * se_obs
    expected = stats.t.sf((target - 123.0 - p.predicted_mean[0]) / se_obs, n - 2)
    assert fc.p_attain(pred, [target], [">="])[0] == pytest.approx(expected, rel=1e-9)
    assert fc.p_attain(pred, [target], ["<="])[0] == pytest.approx(1 - expected, rel=1e-9)


def test_sum_interval_covers_by_simulation():
    """Coverage of the 80% interval for a 3-year sum is ~80%; ignoring the shared-coefficient
    covariance (summing per-year variances) would fall visibly short."""
    rng = np.random.default_rng(7)
    R, n = 20000, 5
    years = np.arange(2018, 2018 + n + 3)
    Y = 5 + 2.0 * (years - 2018) + rng.normal(0, 1, (R, len(years)))
    train = np.where(years[None, :] < 2018 + n, Y, np.nan)
    M = np.broadcast_to(years >= 2018 + n, (R, len(years)))
    pred = fc.predict_sum(fc.fit(years, train), years, M)
    lo, hi = pred.interval(0.80)
    truth = Y[:, years >= 2018 + n].sum(axis=1)
    cover = np.mean((truth >= lo) & (truth <= hi))
    assert abs(cover - 0.80) < 0.015
    # the naive variance (no covariance between the summed predictions) under-covers
    f = fc.fit(years, train)
    d = years[years >= 2018 + n] - f.xbar[:, None]
    naive_var = f.s2 * (3 + (1.0 / n + d ** 2 / f.sxx[:, None]).sum(axis=1))
    q = stats.t.ppf(0.9, n - 2)
    naive = np.mean(np.abs(truth - pred.point) <= q * np.sqrt(naive_var))
    assert naive < cover - 0.03


def test_two_points_give_the_line_and_no_interval():
    years = np.arange(2020, 2026)
    Y = np.array([[10.0, np.nan, 14.0, np.nan, np.nan, np.nan],
                  [np.nan, 7.0, np.nan, np.nan, np.nan, np.nan]])
    f = fc.fit(years, Y)
    assert list(f.reason) == [fc.REASON_TWO_POINTS, fc.REASON_ONE_POINT]
    M = np.zeros_like(Y, bool)
    M[:, -1] = True
    pred = fc.predict_sum(f, years, M)
    assert pred.point[0] == pytest.approx(20.0)  # 10 + 2·5
    assert np.isnan(pred.point[1])
    assert np.isnan(pred.interval(0.95)[0]).all()
    assert np.isnan(fc.p_attain(pred, [15.0, 15.0], [">=", ">="])).all()


def test_flat_at_upper_bound_keep_target_gets_high_probability():
    years = np.arange(2019, 2026)
    noisy = np.array([100, 99.8, 100, 100, 99.9, np.nan, np.nan])
    flat = np.array([100.0] * 5 + [np.nan] * 2)
    pred = fc.predict_sum(fc.fit(years, np.vstack([noisy, flat])), years,
                          np.broadcast_to(years == 2025, (2, 7)))
    tol = fc.tolerance([0, 0])
    p = fc.p_attain(pred, [100.0, 100.0], ["==", "=="], tol, lower=[0.0, 0.0], upper=[100.0, 100.0])
    assert p[0] > 0.9 and p[1] == 1.0
    # without the bound the window [99.5, 100.5] cuts the upper tail: lower probability
    p_unbounded = fc.p_attain(pred, [100.0, 100.0], ["==", "=="], tol)[0]
    assert p_unbounded < p[0]
    # by hand with scipy: P(Y ≥ 99.5) under the t predictive law
    lo80 = pred.interval(0.8)[0][0]
    scale = (pred.point[0] - lo80) / stats.t.ppf(0.9, pred.df[0])
    assert p[0] == pytest.approx(stats.t.sf((99.5 - pred.point[0]) / scale, pred.df[0]), rel=1e-9)


def test_probability_beyond_lower_bound_counts_at_bound():
    # <= 0 with lower bound 0: mass below 0 is "at 0", so it meets the target
    y = np.array([[3.0, 2.0, 2.0, 1.0, 0.0, 0.0]])
    grid = np.arange(2018, 2026)
    Y = np.hstack([y, [[np.nan, np.nan]]])
    M = (grid == 2025)[None, :]
    pred = fc.predict_sum(fc.fit(grid, Y), grid, M)
    p = fc.p_attain(pred, [0.0], ["<="], 0.0, lower=[0.0], upper=[np.inf])[0]
    raw = pred.cdf(np.array([0.0]))[0]
    assert p == pytest.approx(raw)  # P(Y ≤ 0) already holds the mass below 0
    assert p > 0.5
    assert fc.p_attain(pred, [-1.0], [">="], 0.0, lower=[0.0], upper=[np.inf])[0] == 1.0


def test_loglinear_matches_statsmodels_on_logs():
    rng = np.random.default_rng(3)
    years = np.arange(2016, 2024)
    y = 50 * 1.08 ** (years - 2016) * np.exp(rng.normal(0, 0.05, len(years)))
    grid = np.arange(2016, 2026)
    Y = np.r_[y, np.nan, np.nan][None, :]
    pred = fc.predict_sum(fc.fit(grid, Y, "loglinear"), grid, (grid == 2025)[None, :])
    frame, _ = sm_frame(years.astype(float), y, 2025, 0.05, log=True)
    assert pred.point[0] == pytest.approx(np.exp(frame["mean"]), rel=1e-9)
    lo, hi = pred.interval(0.95)
    assert lo[0] == pytest.approx(np.exp(frame["obs_ci_lower"]), rel=1e-9)
    assert hi[0] == pytest.approx(np.exp(frame["obs_ci_upper"]), rel=1e-9)


def test_loglinear_refuses_nonpositive_values():
    f = fc.fit(np.arange(4), np.array([[1.0, 0.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0]]), "loglinear")
    assert f.reason[0] == fc.REASON_NONPOSITIVE and f.reason[1] == ""
    assert not f.has_line[0] and f.has_interval[1]


def test_loglinear_sum_approximation_against_simulation():
    """Fenton–Wilkinson for a sum of 4 years: quantiles within a few % of a simulation."""
    rng = np.random.default_rng(11)
    n = 30
    years = np.arange(1990, 1990 + n + 4)
    logy = np.log(20) + 0.05 * (years - 1990) + rng.normal(0, 0.1, len(years))
    Y = np.where(years < 1990 + n, np.exp(logy), np.nan)[None, :]
    M = (years >= 1990 + n)[None, :]
    f = fc.fit(years, Y, "loglinear")
    pred = fc.predict_sum(f, years, M)
    # simulate the (normal) predictive law of the 4 log values, shared coefficients included
    d = years[years >= 1990 + n] - f.xbar[0]
    mu = f.ybar[0] + f.slope[0] * d
    C = f.s2[0] * (np.eye(4) + 1 / n + np.outer(d, d) / f.sxx[0])
    sims = np.exp(rng.multivariate_normal(mu, C, 200000)).sum(axis=1)
    for q in (0.025, 0.5, 0.975):
        assert pred.quantile(q)[0] == pytest.approx(np.quantile(sims, q), rel=0.02)


def test_meets_and_tolerance():
    tol = fc.tolerance([0, 1, 2])
    assert list(tol) == pytest.approx([0.5, 0.05, 0.005])
    v = fc.meets([99.6, 99.94, 95.9, np.nan], [100, 100, 96, 96], ["==", "==", ">=", ">="],
                 [0.5, 0.05, 0.5, 0.5])
    assert list(v) == [True, False, False, False]
    assert fc.meets([26.0], [26.0], ["<="])[0]
