"""The regression detail of one series: statsmodels on the assessment's own points.

Its numbers must equal the panel engine's (the assessment table) and
statsmodels' own, for series with a gap; the diagnostics figure must show the
fit's numbers; one odd year that drives the verdict is flagged, a clean series
is not.
"""
from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.stattools import durbin_watson

matplotlib.use("Agg")

import analytics_data as ca  # noqa: E402
from qanalysis.charts import plots  # noqa: E402
from qanalysis.charts.diagnostics import diagnostics  # noqa: E402
from qanalysis.analysis.assess import assess  # noqa: E402
from qanalysis.analysis.detail import detail, influence_sentence  # noqa: E402
from qanalysis.errors import QAnalysisError  # noqa: E402

CITY = "330300"
# gaps on purpose: 2018 and 2021 missing from the level, 2022 from the increment
GAP_SERIES = {
    "pass_rate": {2016: 93.1, 2017: 93.2, 2019: 93.9, 2020: 94.1, 2022: 94.6, 2023: 95.2},
    "pm25": {2016: 38.0, 2017: 35.5, 2018: 33.9, 2020: 30.2, 2021: 29.5, 2023: 27.0},
    "trademarks": {2017: 40.2, 2019: 44.1, 2020: 46.38, 2021: 50.1, 2023: 56.2},
    "standards_new": {2019: 50.0, 2020: 52.0, 2021: 55.0, 2023: 62.0, 2024: 61.0},
    "sparse": {2020: 40.0, 2022: 45.0},
    "one_point": {2022: 45.0},
}
COLUMNS = ["forecast", "pi80_low", "pi80_high", "pi95_low", "pi95_high", "p_attain"]


def _numbers(d):
    return [d.forecast, *d.pi80, *d.pi95, d.p_attain]


def _ols(years, y):
    return sm.OLS(np.asarray(y, float), sm.add_constant(np.asarray(years, float))).fit()


@pytest.fixture(scope="module")
def gap_data():
    return ca.dataset(GAP_SERIES)


@pytest.mark.parametrize("model", ["linear", "loglinear"])
@pytest.mark.parametrize("indicator", ["pass_rate", "pm25", "trademarks", "standards_new"])
def test_forecast_interval_and_p_equal_the_panel_engine(gap_data, model, indicator):
    a = assess(gap_data, model=model)
    d = detail(a, CITY, indicator)
    row = a.table.set_index(["region", "indicator"]).loc[(CITY, indicator)]
    np.testing.assert_allclose(_numbers(d), row[COLUMNS].to_numpy(float), rtol=1e-9, atol=1e-12)
    # exactly the observed years, the gap left out, and the same transform
    years = sorted(GAP_SERIES[indicator])
    assert list(d.years) == years and d.results.nobs == len(years)
    y = np.array([GAP_SERIES[indicator][k] for k in years])
    np.testing.assert_allclose(d.results.model.endog, np.log(y) if model == "loglinear" else y)


def test_level_with_a_gap_equals_statsmodels_prediction(gap_data):
    a = assess(gap_data)
    d = detail(a, CITY, "pass_rate")
    s = GAP_SERIES["pass_rate"]
    own = _ols(list(s), list(s.values()))
    np.testing.assert_allclose(d.results.params, own.params)
    frame = own.get_prediction(np.array([[1.0, 2025.0]]))
    for level, band in ((0.95, d.pi95), (0.80, d.pi80)):
        sf = frame.summary_frame(alpha=1 - level)
        np.testing.assert_allclose(band, (sf["obs_ci_lower"].iloc[0], sf["obs_ci_upper"].iloc[0]), rtol=1e-10)
    np.testing.assert_allclose(d.forecast, frame.predicted_mean[0])
    se = np.sqrt(frame.var_pred_mean[0] + own.scale)
    # judged as the value will be reported (docs/methods.md §1): ≥ 96 from 96 − half the data's unit
    from qanalysis.analysis.attainment import reported_decimals

    half = 0.5 * 10.0 ** -float(reported_decimals(np.array(list(s.values()))))
    np.testing.assert_allclose(d.p_attain, stats.t.sf((96.0 - half - frame.predicted_mean[0]) / se, own.df_resid))


def test_increment_with_a_gap_sums_the_missing_plan_years(gap_data):
    """2022, 2024… no: 2022 and 2025 are missing from 2021–2025; done = 55 + 62 + 61."""
    a = assess(gap_data)
    d = detail(a, CITY, "standards_new")
    assert list(d.summed_years) == [2022, 2025] and d.done == 55.0 + 62.0 + 61.0
    s = GAP_SERIES["standards_new"]
    own = _ols(list(s), list(s.values()))
    c = np.array([2.0, 2022.0 + 2025.0])  # the sum of the two predicted years
    test = own.t_test(c)
    mean = d.done + float(np.squeeze(test.effect))
    sd = np.sqrt(float(np.squeeze(test.sd)) ** 2 + 2 * own.scale)
    q = stats.t.ppf(0.975, own.df_resid)
    np.testing.assert_allclose(d.forecast, mean)
    np.testing.assert_allclose(d.pi95, (mean - q * sd, mean + q * sd), rtol=1e-10)
    # whole numbers: "≥ 300" as it will be reported, from 299.5 (docs/methods.md §1)
    np.testing.assert_allclose(d.p_attain, stats.t.sf((299.5 - mean) / sd, own.df_resid), atol=1e-12)


def test_table_says_what_statsmodels_says(gap_data):
    a = assess(gap_data)
    d = detail(a, CITY, "pm25")
    r = d.results
    tab = d.table["数值"]
    assert tab["观测数"] == "6"
    assert tab["拟合年份"] == "2016–2023年，共6年（缺2019、2022年）"
    assert tab["R²"] == f"{r.rsquared:.3f}"
    assert tab["Durbin–Watson"].startswith(f"{durbin_watson(r.resid):.2f}")
    lo, hi = r.conf_int(0.05)[1]
    assert tab["斜率（每年）及95%置信区间"] == f"{r.params[1]:.3g}个百分点［{lo:.3g}，{hi:.3g}］"  # the test catalogue says %
    assert tab["残差标准差"] == f"{np.sqrt(r.scale):.3g}个百分点"
    assert tab["达标概率"] == f"{100 * d.p_attain:.0f}%"
    assert "示例数据" in tab["数据性质"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # summary() in a notebook must not shout about few points
        assert "OLS Regression Results" in str(d.summary())


def test_diagnostics_figure_reads_back_its_points(gap_data):
    a = assess(gap_data)
    d = detail(a, CITY, "pass_rate")
    fig = diagnostics(d)
    lines = {ln.get_gid(): ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid()}
    np.testing.assert_allclose(lines["residuals"].get_ydata(), d.results.resid)
    np.testing.assert_allclose(lines["residuals"].get_xdata(), d.years)
    np.testing.assert_allclose(lines["observed"].get_ydata(), d.values)
    fit = lines["fit_line"]
    np.testing.assert_allclose(fit.get_ydata(), d.results.params[0] + d.results.params[1] * fit.get_xdata())
    bars = [p for ax in fig.axes for p in ax.patches if p.get_gid() == "cooks_distance"]
    influence = d.results.get_influence()
    np.testing.assert_allclose([b.get_height() for b in bars], influence.cooks_distance[0])
    assert [round(b.get_x() + b.get_width() / 2) for b in bars] == list(d.years)
    # illustrative data: the stamp is where a reader sees it
    assert [t for t in fig.texts if t.get_gid() == "illustrative_mark"]
    plots.close(fig)


def test_published_series_carries_no_stamp():
    data = ca.dataset(GAP_SERIES)
    data.observations["status"] = "published"
    d = detail(assess(data), CITY, "pass_rate")
    fig = diagnostics(d, lang="en")
    assert not [t for t in fig.texts if t.get_gid() == "illustrative_mark"]
    plots.close(fig)


# ------------------------------------------------------------------ influence

CLEAN = {y: 90.0 + 0.5 * (y - 2016) + e for y, e in
         zip(range(2016, 2025), [0.1, -0.2, 0.15, 0.0, -0.1, 0.2, -0.15, 0.05, -0.05])}


def test_one_extreme_year_is_flagged_and_a_clean_series_is_not():
    clean = detail(assess(ca.dataset({"pass_rate": CLEAN})), CITY, "pass_rate")
    assert not clean.influential and influence_sentence(clean) == ""
    assert "没有单个年份主导趋势" in influence_sentence(clean, always=True)

    odd = dict(CLEAN)
    odd[2024] += 3.0  # one year far above the line, at the end where it pulls the slope
    a = assess(ca.dataset({"pass_rate": odd}))
    d = detail(a, CITY, "pass_rate")
    assert d.influential and d.influential_year == 2024
    assert d.cooks.idxmax() == 2024 and d.cooks.max() > 1
    sentence = influence_sentence(d)
    assert sentence.startswith("2024年数据对趋势影响较大")
    # "without it" is the same computation on the other 8 years
    rest = {k: v for k, v in odd.items() if k != 2024}
    a_rest = assess(ca.dataset({"pass_rate": rest}))
    row = a_rest.table.set_index(["region", "indicator"]).loc[(CITY, "pass_rate")]
    np.testing.assert_allclose([d.without["forecast"], d.without["p_attain"]], row[["forecast", "p_attain"]].astype(float))
    assert f"{100 * row['p_attain']:.0f}%" in sentence
    fig = diagnostics(d)
    (hl,) = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid() == "influential_point"]
    assert list(hl.get_xdata()) == [2024.0]
    assert [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid() == "fit_without"]
    plots.close(fig)


def test_few_points_are_not_judged():
    """4 points, the last one jumps: Cook's distance is over 1, yet 4 points cannot tell."""
    few = detail(assess(ca.dataset({"pass_rate": {2020: 95.0, 2021: 95.3, 2022: 95.1, 2023: 96.5}})),
                 CITY, "pass_rate")
    assert few.cooks.max() > 1 and few.influential_year == 2023
    assert not few.influential and "无法区分" in influence_sentence(few, always=True)
    assert influence_sentence(few) == ""


def test_two_points_a_line_without_interval(gap_data):
    a = assess(gap_data)
    d = detail(a, CITY, "sparse")
    row = a.table.set_index(["region", "indicator"]).loc[(CITY, "sparse")]
    np.testing.assert_allclose(d.forecast, row["forecast"])
    assert np.isnan(d.pi95[0]) and np.isnan(d.p_attain) and np.isnan(row["p_attain"])
    assert d.table.loc["95%预测区间", "数值"].startswith("—")
    plots.close(diagnostics(d))


def test_clear_errors(gap_data):
    a = assess(gap_data)
    with pytest.raises(QAnalysisError, match="only 1 data point"):
        detail(a, CITY, "one_point")
    with pytest.raises(QAnalysisError, match="no series"):
        detail(a, CITY, "nope")
    data = ca.dataset({"pass_rate": {2020: 95.0, 2021: 0.0, 2022: 95.5}})
    with pytest.raises(QAnalysisError, match="log-linear model needs positive values, 2021 is 0"):
        detail(assess(data, model="loglinear"), CITY, "pass_rate")


def test_every_city_series_of_the_shipped_data_equals_the_table(dataset):
    """The file → assessment → detail path on the real plan, every series of the city."""
    city = dataset.plan.city_code
    for model in ("linear", "loglinear"):
        a = assess(dataset, model=model, regions=[city])
        t = a.table.set_index("indicator")
        checked = 0
        for ind, row in t.iterrows():
            try:
                d = detail(a, city, ind)
            except QAnalysisError as e:   # only the two documented refusals, each for its reason
                if row["n_points"] < 2:
                    assert f"only {int(row['n_points'])} data point" in str(e), (model, ind, e)
                else:
                    assert model == "loglinear" and "needs positive values" in str(e), (model, ind, e)
                    s = a.series(city, ind)   # a yearly value (an increment: a year's additions) <= 0
                    assert (s["value"].dropna().astype(float) <= 0).any(), (ind, e)
                continue
            # (a constant series under loglinear is checked too: detail asks the engine's own
            # zero-variance rule whether its points lie on a line, so both give a point mass)
            np.testing.assert_allclose(_numbers(d), row[COLUMNS].to_numpy(float), rtol=1e-8, atol=1e-10,
                                       err_msg=f"{model} {ind}")
            checked += 1
        # every city series with two or more points; since issue 8 a series with a published
        # value holds only its published values, so fewer than before have that many
        assert checked >= 20
