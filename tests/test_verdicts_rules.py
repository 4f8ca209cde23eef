"""Issue 18: verdicts that never contradict the numbers beside them.

One test per rule, each built from the series the issue quotes, on the plan's own
rows (the shipped catalogue and targets; only the yearly values are the test's).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from qanalysis.analysis.assess import assess
from qanalysis.dataset import OBSERVATION_COLUMNS, typed
from qanalysis.plan.catalogue import read_plan

CITY = "330300"
COUNTY = "330302"


@pytest.fixture(scope="module")
def plan():
    return read_plan()


def on_plan(plan, series: dict, region: str = CITY, model: str = "linear", targets: dict | None = None,
            regions=None):
    """Assess the plan's rows with the given yearly values; ``targets`` {indicator: value} overrides
    the region's target. Returns the table indexed by indicator (the region's rows)."""
    rows = [dict(region=region, indicator=i, year=y, value=v, status="illustrative", source="test", note="")
            for i, ys in series.items() for y, v in ys.items()]
    tg = plan.targets.copy()
    for ind, v in (targets or {}).items():
        tg.loc[(tg["region"] == region) & (tg["indicator"] == ind), "target"] = v
    data = plan.__class__(plan=plan.plan, catalogue=plan.catalogue, regions=plan.regions, targets=tg,
                          observations=typed(pd.DataFrame(rows), OBSERVATION_COLUMNS), review=plan.review)
    t = assess(data, model=model, regions=regions or [region]).table
    return t[t["region"] == region].set_index("indicator")


def _ols_p(ys: dict, year: int, threshold: float, upper: bool):
    """P(Y_year ≥ threshold) (or ≤ when ``upper``) of a new observation, by statsmodels + scipy."""
    x = np.array(list(ys), float) - 2000
    res = sm.OLS(np.array(list(ys.values()), float), sm.add_constant(x)).fit()
    pr = res.get_prediction(np.array([[1.0, year - 2000.0]]))
    se = np.sqrt(pr.se_mean[0] ** 2 + res.scale)
    z = (threshold - pr.predicted_mean[0]) / se
    return stats.t.cdf(z, res.df_resid) if upper else stats.t.sf(z, res.df_resid)


# ---------------------------------------------------------------- 1. met today reads 已达标
def test_a_target_met_today_reads_achieved_and_the_trend_is_a_separate_flag(plan):
    """服务质量满意度 90.11% in 2024 against ≥90, falling: 已达标（有回落风险）, never 存在风险."""
    falling = {2019: 91.5, 2020: 91.2, 2021: 90.9, 2022: 90.6, 2023: 90.4, 2024: 90.11}
    r = on_plan(plan, {"service_quality_satisfaction": falling}).loc["service_quality_satisfaction"]
    assert r["p_attain"] < 0.5
    assert r["status"] == "achieved" and r["reversal_risk"]
    assert r["status_zh"] == "已达标（有回落风险）"
    assert r["status_reason"].startswith("2024年最新值90.11%，已达到目标≥90%")
    assert "低于50%，有回落风险" in r["status_reason"]
    # a "≤" target the trend may undo risks a rise, not a fall (PM2.5 rising to 25.8 against ≤26)
    rising = {2019: 23.0, 2020: 23.8, 2021: 24.5, 2022: 25.0, 2023: 25.4, 2024: 25.8}
    r = on_plan(plan, {"pm25_concentration": rising}).loc["pm25_concentration"]
    assert r["status"] == "achieved" and r["status_zh"] == "已达标（有回升风险）"
    assert "有回升风险" in r["status_reason"] and "回落" not in r["status_reason"]
    # P ≥ 0.5: achieved without a flag
    steady = {2019: 90.2, 2020: 90.4, 2021: 90.3, 2022: 90.6, 2023: 90.5, 2024: 90.8}
    r = on_plan(plan, {"service_quality_satisfaction": steady}).loc["service_quality_satisfaction"]
    assert r["status_zh"] == "已达标" and not r["reversal_risk"]


def test_keep_at_100_against_its_bound_is_achieved(plan):
    """保持100 with values capped at 100 (…, 99, 99, 100): 100 today is 已达标, not 存在风险."""
    ys = {2019: 100.0, 2020: 100.0, 2021: 100.0, 2022: 99.0, 2023: 99.0, 2024: 100.0}
    r = on_plan(plan, {"green_building_share": ys}).loc["green_building_share"]
    assert r["status"] == "achieved" and r["status_zh"].startswith("已达标")
    # whole numbers: 100 is kept while the value reads 100, i.e. above 99.5 (the bound opens the top)
    assert r["p_attain"] == pytest.approx(_ols_p(ys, 2025, 99.5, upper=False), rel=1e-9)
    assert r["reversal_risk"] == (r["p_attain"] < 0.5)  # off the window in 2 of the 4 plan years
    # one dip in 2022, then 100, 100 (工程质量终身责任制 in 11 counties): P < 0.5 only because values
    # capped at 100 tilt the line below it — 已达标 without the flag (docs/methods.md §4)
    ys = {y: 100.0 for y in range(2016, 2022)} | {2022: 99.1, 2023: 100.0, 2024: 100.0}
    r = on_plan(plan, {"lifetime_responsibility_coverage": ys}).loc["lifetime_responsibility_coverage"]
    assert r["p_attain"] < 0.5 and r["status_zh"] == "已达标" and not r["reversal_risk"]


# ---------------------------------------------------------------- 2. no variation, no certainty
def test_data_without_variation_give_no_certainty(plan):
    """60, 60, –, 60 against ≥300 (P was 100%) and six years at 95.5 against ≥96 (P was 0%)."""
    r = on_plan(plan, {"zhejiang_made_standards_new": {2021: 60.0, 2022: 60.0, 2024: 60.0}}
                ).loc["zhejiang_made_standards_new"]
    assert np.isnan(r["p_attain"]) and r["flat_data"]
    assert "数据无波动" in r["status_reason"] and "概率不可估计" in r["status_reason"]
    assert r["status"] == "on_track" and r["progress_category"] == "on_track"  # the category decides
    r = on_plan(plan, {"mfg_product_pass_rate": {y: 95.5 for y in range(2019, 2025)}}).loc["mfg_product_pass_rate"]
    assert np.isnan(r["p_attain"]) and r["flat_data"] and np.isnan(r["pi95_low"])
    assert r["status"] == {"acceleration_needed": "at_risk", "limited_progress": "off_track",
                           "moving_away": "off_track", "on_track": "on_track"}[r["progress_category"]]
    # a series that varies more than its rounding keeps its P (statsmodels agrees)
    ys = {2019: 95.2, 2020: 95.6, 2021: 95.4, 2022: 95.9, 2023: 95.7, 2024: 96.0}
    r = on_plan(plan, {"mfg_product_pass_rate": ys}).loc["mfg_product_pass_rate"]
    assert not r["flat_data"] and r["p_attain"] == pytest.approx(_ols_p(ys, 2025, 95.95, upper=False), rel=1e-9)


# ---------------------------------------------------------------- 3. the count law for rare events only
def test_a_steady_stock_keeps_the_line_whatever_its_pace(plan):
    """22, 27, 32, 37 and 19, 25, 31, 37 against ≥42 in 2025: one model, one verdict."""
    ind = "standardization_pilots_stock"
    a = on_plan(plan, {ind: {2021: 22.0, 2022: 27.0, 2023: 32.0, 2024: 37.0}}, targets={ind: 42.0}).loc[ind]
    b = on_plan(plan, {ind: {2021: 19.0, 2022: 25.0, 2023: 31.0, 2024: 37.0}}, targets={ind: 42.0}).loc[ind]
    assert a["model"] == b["model"] == "linear"
    assert a["status"] == b["status"]
    assert "泊松" not in a["status_reason"] and "泊松" not in b["status_reason"]


def test_a_rare_event_says_the_rate_observed_and_names_its_model(plan):
    """国家级质检中心 0, 0, 0, 0: 观测年均新增0 (not the posterior 0.12); the row's model is poisson."""
    r = on_plan(plan, {"national_qi_centres_new": {y: 0.0 for y in range(2021, 2025)}}).loc["national_qi_centres_new"]
    assert r["model"] == "poisson"
    assert "观测年均新增0个" in r["status_reason"] and "0.12" not in r["status_reason"]
    assert 0 < r["p_attain"] < 0.5
    # a steady +1 a year is no Poisson (variance 0 against mean 1): the line
    from qanalysis.analysis import counts

    Y = np.array([[1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 0.0, 2.0, 0.0]])
    kind = np.array(["increment", "increment"], dtype=object)
    assert list(counts.is_rare_count(Y, kind, np.array([5, 5]))) == [False, True]


# ---------------------------------------------------------------- 4. a county's own start
def test_a_county_progress_starts_from_its_own_first_value(plan):
    """规上工业新产品产值率 in a county: 36.0 (2021), 38.0 (2023) → 40 in 2025; not from the city's 38.1."""
    t = on_plan(plan, {"new_product_output_rate": {2021: 36.0, 2023: 38.0}}, region=COUNTY)
    r = t.loc["new_product_output_rate"]
    assert np.isnan(r["baseline"])           # the city's 38.1 is not the county's 基期值
    assert r["ratio_base"] == 36.0 and r["ratio_base_year"] == 2021
    assert r["progress_category"] == "on_track" and r["change_since_baseline"] == pytest.approx(2.0)
    assert "2021年首个观测值36%" in r["status_reason"]


# ---------------------------------------------------------------- 5. met at the baseline
def test_a_target_met_at_the_baseline_has_no_completion_share(plan):
    """PM2.5 25 (2020) against ≤26: 基期已达标 and the margin, no "目标完成进度130%"."""
    ys = {2020: 25.0, 2021: 24.6, 2022: 25.1, 2023: 24.7, 2024: 24.9}
    r = on_plan(plan, {"pm25_concentration": ys}).loc["pm25_concentration"]
    assert np.isnan(r["distance_covered_share"]) and np.isnan(r["progress_ratio"]) and r["baseline_met"]
    assert "基期已达标" in r["status_reason"] and "1微克/立方米" in r["status_reason"]
    # a county rising to 100 against ≥98 from its own 99.0: no "-43%"
    ys = {2020: 99.0, 2021: 99.3, 2022: 99.6, 2023: 99.8, 2024: 100.0}
    r = on_plan(plan, {"agri_product_pass_rate": ys}, region=COUNTY).loc["agri_product_pass_rate"]
    assert np.isnan(r["distance_covered_share"]) and r["status"] == "achieved" and r["baseline_met"]


# ---------------------------------------------------------------- 6. zero targets
def test_a_whole_number_count_meets_zero_below_one_half(plan):
    """市控以上V类水断面 全面消除 (≤0): 4, 3, 2, 2, 1 — P(Y < 0.5), by statsmodels + scipy."""
    ys = {2020: 4.0, 2021: 3.0, 2022: 2.0, 2023: 2.0, 2024: 1.0}
    r = on_plan(plan, {"class5_sections_eliminated": ys}).loc["class5_sections_eliminated"]
    assert r["p_attain"] == pytest.approx(_ols_p(ys, 2025, 0.5, upper=True), rel=1e-9)
    # the log-linear model never reaches 0 exactly, but it reaches a value reported as 0
    r = on_plan(plan, {"class5_sections_eliminated": ys}, model="loglinear").loc["class5_sections_eliminated"]
    assert r["p_attain"] > 0.05
    # the count law does not depend on the model chosen (log-linear cannot fit zeros)
    zeros = {"national_qi_centres_new": {y: 0.0 for y in range(2021, 2025)}}
    lin = on_plan(plan, zeros).loc["national_qi_centres_new"]
    log = on_plan(plan, zeros, model="loglinear").loc["national_qi_centres_new"]
    assert log["model"] == lin["model"] == "poisson" and log["p_attain"] == pytest.approx(lin["p_attain"])


# ---------------------------------------------------------------- 8. 全市统筹
def test_a_city_wide_target_reads_city_wide_in_the_status(plan):
    """国家标准 (≥10, shared out under 2 a county): the county row's status reads 全市统筹."""
    t = on_plan(plan, {"national_standards_led_new": {2021: 0.0, 2022: 1.0}}, region=COUNTY)
    r = t.loc["national_standards_led_new"]
    assert r["status"] == "no_target" and r["target_basis"] == "city_only"
    assert r["status_zh"] == "全市统筹"
    from qanalysis.vocab import status_label  # the one label function every writer calls

    assert status_label("no_target", basis="city_only") == "全市统筹"
    assert status_label("no_target") == "无量化目标"


# ---------------------------------------------------------------- 9. nothing from nothing
def test_no_forecast_without_data_and_no_verdict_from_the_baseline_alone(plan):
    """A row without any value shows no forecast; 一站式平台 13 in 2020 alone is not 已达标."""
    t = on_plan(plan, {"qi_one_stop_platforms": {2020: 13.0}, "pm25_concentration": {2023: 24.0, 2024: 23.5}})
    r = t.loc["qi_one_stop_platforms"]
    assert r["status"] == "insufficient_data" and r["status_zh"] == "数据不足"
    empty = t[t["n_points"] == 0]
    assert len(empty) and empty["forecast"].isna().all() and empty["pi95_low"].isna().all()
    assert (empty.loc[empty["status"] != "no_target", "status"] == "insufficient_data").all()


# ---------------------------------------------------------------- 14. wording
def test_sentences_use_the_readers_comparators_and_a_missed_sum_says_the_gap(plan):
    """国家级奖项 (≥8 new): 1, 2, 1, 2, 1 → "2021—2025年累计新增7项，未达到规划期目标≥8项，差1项"."""
    ind = "national_engineering_awards_new"
    r = on_plan(plan, {ind: {2021: 1.0, 2022: 2.0, 2023: 1.0, 2024: 2.0, 2025: 1.0}}).loc[ind]
    assert r["status"] == "missed"
    assert r["status_reason"] == "2021—2025年累计新增7项，未达到规划期目标≥8项，差1项"
    t = on_plan(plan, {"pm25_concentration": {2021: 27.0, 2022: 26.5, 2023: 26.0, 2024: 25.6},
                       "drinking_water_compliance": {2021: 100.0, 2022: 100.0, 2023: 99.0, 2024: 100.0}})
    for reason in t["status_reason"].dropna():
        assert not any(c in reason for c in (">=", "<=", "==")), reason
    assert "≤26" in t.loc["pm25_concentration", "status_reason"]
    assert "保持100" in t.loc["drinking_water_compliance", "status_reason"]


# ---------------------------------------------------------------- 10. about-targets
def test_an_about_target_is_judged_with_its_stated_tolerance(plan):
    """“品字标浙江服务”认证企业 20 家左右 (≥20 new): 19 in 2021–2025 is met (约 = ±5%), 18 is not."""
    ind = "pinzibiao_zhejiang_service_enterprises"
    assert "左右" in plan.catalogue.set_index("id").loc[ind, "target_text"]
    r = on_plan(plan, {ind: {2021: 4.0, 2022: 4.0, 2023: 4.0, 2024: 4.0, 2025: 3.0}}).loc[ind]
    assert r["status"] == "met" and "按≥19家判断" in r["status_reason"]
    r = on_plan(plan, {ind: {2021: 4.0, 2022: 4.0, 2023: 4.0, 2024: 3.0, 2025: 3.0}}).loc[ind]
    assert r["status"] == "missed"


# ---------------------------------------------------------------- 11. stocks held can fall
def test_a_stock_held_can_fall_back(plan):
    """国内有效商标注册数 (≥60万件) falling to 60.3: valid trademarks lapse — 已达标（有回落风险）."""
    ys = {2019: 63.0, 2020: 62.5, 2021: 62.0, 2022: 61.4, 2023: 60.9, 2024: 60.3}
    r = on_plan(plan, {"trademarks_valid_stock": ys}).loc["trademarks_valid_stock"]
    assert r["status"] == "achieved" and r["status_zh"] == "已达标（有回落风险）" and r["reversal_risk"]
    # a running total (地理标志 累计) cannot fall back: never flagged
    ys = {2020: 17.0, 2021: 18.0, 2022: 19.0, 2023: 20.0, 2024: 20.0}
    r = on_plan(plan, {"geo_indication_stock": ys}).loc["geo_indication_stock"]
    assert r["status"] == "achieved" and not r["reversal_risk"]


# ---------------------------------------------------------------- 12/13. one definition everywhere
def test_one_rounding_and_one_time_progress_everywhere(plan):
    """Data at 2.76 give a forecast at two decimals; counts whole; an interval at the bound says so;
    <1% in a badge and a sentence alike; 时间进度 80% in 2024 whatever the start point."""
    from qanalysis.briefing import text as btx
    from qanalysis.charts import text as ctx

    t = on_plan(plan, {"high_value_patents_per_10k": {2020: 2.31, 2021: 2.48, 2022: 2.61, 2023: 2.76, 2024: 2.93},
                       "gov_quality_award_stock": {2021: 120.0, 2022: 190.0, 2023: 260.0, 2024: 333.0},
                       "surface_water_class3_share": {2019: 93.0, 2020: 95.0, 2021: 96.0, 2022: 98.0, 2023: 99.0,
                                                      2024: 99.9}})
    r = t.loc["high_value_patents_per_10k"]
    assert btx.forecast_text(r) == f"{r['forecast']:.2f}".rstrip("0").rstrip(".") + "件"
    assert r["data_decimals"] == 2
    assert ctx.value_text(r["forecast"], r) == btx.forecast_text(r)
    c = t.loc["gov_quality_award_stock"]
    assert btx.forecast_text(c) == f"{round(c['forecast']):.0f}家" and "." not in btx.band_text(c)
    w = t.loc["surface_water_class3_share"]
    assert w["pi95_low"] == w["pi95_high"] == 100  # the whole interval beyond the bound 100
    assert btx.band_text(w) == "达上限100" and btx.band_text(w, 80) == "达上限100"
    from qanalysis.vocab import format_probability  # the one probability format (badge = sentence)

    for p in (0.004, 0.5, 0.996, 0.0, 1.0):
        assert ctx._pct(p) == btx.pct(p) == format_probability(p)
    assert format_probability(0.004) == "<1%" and format_probability(0.996) == ">99%"
    # 时间进度: the share of the plan period elapsed (2020 → 2025) at 2024, for every start point
    county = on_plan(plan, {"new_product_output_rate": {2021: 36.0, 2024: 38.5}}, region=COUNTY)
    assert county.loc["new_product_output_rate", "time_elapsed_share"] == pytest.approx(0.8)
    assert t.loc["high_value_patents_per_10k", "time_elapsed_share"] == pytest.approx(0.8)
