"""Issue 9: verdicts an expert would sign.

One test per defect, each built from the plan's own row (the shipped catalogue
and targets, with the yearly values of the issue's hand case), and one per
done-when check on the shipped data through ``qanalysis assess --csv``.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))
import analytics_data as ca  # noqa: E402

from qanalysis import cli  # noqa: E402
from qanalysis.analysis import forecast as fc  # noqa: E402
from qanalysis.analysis.assess import assess  # noqa: E402
from qanalysis.plan.catalogue import read_plan  # noqa: E402
from qanalysis.dataset import OBSERVATION_COLUMNS, typed  # noqa: E402

CITY = "330300"


def _attainment():
    from qanalysis.analysis import attainment  # new in issue 9: imported per test so each test fails on its own

    return attainment


def sharp_disagreement(status, category):
    from qanalysis.analysis.reasons import sharp_disagreement as rule

    return rule(status, category)


@pytest.fixture(scope="module")
def plan():
    return read_plan()


def on_plan(plan, series: dict[str, dict[int, float]], region: str = CITY) -> pd.Series | pd.DataFrame:
    """Assess the plan's own rows with the given yearly values (everything else empty)."""
    rows = [dict(region=region, indicator=i, year=y, value=v, status="illustrative", source="test", note="")
            for i, ys in series.items() for y, v in ys.items()]
    data = plan.__class__(plan=plan.plan, catalogue=plan.catalogue, regions=plan.regions,
                          targets=plan.targets, observations=typed(pd.DataFrame(rows), OBSERVATION_COLUMNS),
                          review=plan.review)
    t = assess(data, regions=[region]).table.set_index("indicator")
    return t.loc[list(series)]


# ---------------------------------------------------------------- 1. keep at 100%
def test_keep_at_100_is_judged_at_the_precision_of_the_data(plan):
    """饮用水水源地水质达标率 "100": 99.6 reported at one decimal is not 100."""
    cat = plan.catalogue.set_index("id").loc["drinking_water_compliance"]
    assert cat["comparator"] == "==" and cat["target"] == 100 and cat["decimals"] == 0
    ys = {y: 100.0 for y in range(2016, 2024)} | {2024: 99.6}
    r = on_plan(plan, {"drinking_water_compliance": ys}).iloc[0]
    assert r["progress_category"] != "achieved" and r["status"] != "achieved"
    attainment = _attainment()
    # the rule itself: one decimal → |y − 100| ≤ 0.05
    assert attainment.meets_target(99.95, 100, "==", 1) and not attainment.meets_target(99.6, 100, "==", 1)
    assert attainment.reported_decimals([[100.0, 99.6, np.nan]])[0] == 1
    assert attainment.reported_decimals([[87.14, 100.0]])[0] == 2
    # a series of whole numbers can only read 100 or 99
    assert attainment.meets_target(100.0, 100, "==", 0) and not attainment.meets_target(99.0, 100, "==", 0)


def test_review_and_its_chart_use_the_one_met_rule():
    """表1 "keep" rows and the review chart: "==" is not ">=", and 99.6 is not 100."""
    from qanalysis.analysis.review import review
    from qanalysis.charts.review import _review_frame

    df = ca.typed(pd.DataFrame([
        dict(id="water", target_text="100", achieved_text="99.6", target=100.0, achieved=99.6,
             comparator="==", kind="level", named_missed_in_plan=True, name_zh="水"),
        dict(id="keep5", target_text="保持5", achieved_text="6", target=5.0, achieved=6.0,
             comparator="==", kind="level", named_missed_in_plan=True, name_zh="五"),
        dict(id="ok", target_text="100", achieved_text="100", target=100.0, achieved=100.0,
             comparator="==", kind="level", named_missed_in_plan=False, name_zh="满"),
    ]), ca.REVIEW_COLUMNS)
    t = review(df)
    assert list(t["met"]) == [False, False, True]
    chart = _review_frame(df)  # no "met" column: the chart asks the same rule
    assert list(chart["_met"]) == [False, False, True]


# ---------------------------------------------------------------- 2. base year
def test_rows_without_a_baseline_start_in_the_plans_base_year(plan):
    """市区星级绿色建筑占比 has no baseline: start from 2020 (elapsed 0.8), never from 2016."""
    assert np.isnan(plan.catalogue.set_index("id").loc["star_green_building_share", "baseline"])
    ys = {2016: 15.1, 2017: 15.4, 2018: 15.9, 2019: 16.2, 2020: 16.7, 2021: 17.5, 2022: 18.3,
          2023: 19.0, 2024: 19.8}
    r = on_plan(plan, {"star_green_building_share": ys}).iloc[0]
    assert r["ratio_base_year"] == 2020 and r["ratio_base"] == 16.7
    assert r["time_elapsed_share"] == pytest.approx(0.8)
    # no 2020 value: the next year with data, not an earlier one
    ys.pop(2020)
    r = on_plan(plan, {"star_green_building_share": ys}).iloc[0]
    assert r["ratio_base_year"] == 2021 and r["ratio_base"] == 17.5


# ---------------------------------------------------------------- 3. county shares
def test_county_shares_of_counts_add_up_to_the_city_target(plan):
    t = plan.targets
    cat = plan.catalogue.set_index("id")
    counts_ = cat.index[cat["kind"].isin(["stock", "increment"]) & cat["target"].notna()]
    county = t[t["region"] != CITY]
    for ind in counts_:
        rows = county[county["indicator"] == ind]
        shared = rows[rows["target_basis"] == "pro_rata"]
        if len(shared):
            assert shared["target"].sum() == pytest.approx(cat.loc[ind, "target"]), ind
            assert shared["target"].min() >= 2, ind
        else:
            assert (rows["target_basis"].isin(["city_only", "override"])).all(), ind
    # 30 certificates among 12 equal counties: six 3s and six 2s, not twelve 3s
    certs = county[county["indicator"] == "zhejiang_made_intl_cert_stock"]["target"]
    assert sorted(certs.value_counts().items()) == [(2.0, 6), (3.0, 6)]
    # 13 platforms and 20 geographical indications: under 2 a county, city-only, said in words
    for ind in ("qi_one_stop_platforms", "geo_indication_stock", "modern_service_innovation_zones"):
        rows = county[county["indicator"] == ind]
        assert (rows["target_basis"] == "city_only").all() and rows["target"].isna().all()
        assert rows["target_note"].str.contains("不足 2").all()


# ---------------------------------------------------------------- 4. 13 platforms: keep
def test_one_stop_platforms_start_from_13_and_read_as_keep(plan):
    cat = plan.catalogue.set_index("id").loc["qi_one_stop_platforms"]
    assert cat["baseline"] == 13 and cat["baseline_year"] == 2020 and cat["target"] == 13
    assert "section 一" in cat["note"]
    kept = on_plan(plan, {"qi_one_stop_platforms": {y: 13.0 for y in range(2020, 2025)}}).iloc[0]
    assert kept["status"] == "achieved" and kept["progress_category"] == "achieved"
    lost = on_plan(plan, {"qi_one_stop_platforms": {2020: 13.0, 2021: 13.0, 2022: 12.0}}).iloc[0]
    assert lost["progress_category"] == "moving_away"


# ---------------------------------------------------------------- 5. share of counties
def test_share_of_counties_is_a_city_indicator_in_twelfths(plan, dataset):
    t = plan.targets[plan.targets["indicator"] == "eco_civilization_demo_county_share"]
    assert t.loc[t["region"] == CITY, "target"].iloc[0] == 80
    county = t[t["region"] != CITY]
    assert (county["target_basis"] == "city_only").all() and county["target"].isna().all()
    obs = dataset.observations
    eco = obs[obs["indicator"] == "eco_civilization_demo_county_share"]
    city = eco[eco["region"] == CITY].sort_values("year")
    k = city["value"].to_numpy() / (100 / 12)
    assert np.allclose(np.round(100 * np.round(k) / 12, 1), city["value"])  # k/12 at one decimal
    assert (np.diff(np.round(k)) >= 0).all()                                # designations are kept
    counties = eco[eco["region"] != CITY]
    assert counties["value"].isin([0.0, 100.0]).all()
    designated = counties[counties["value"] == 100].groupby("year").size().reindex(city["year"], fill_value=0)
    assert (designated.to_numpy() == np.round(k)).all()
    a = assess(dataset).table
    rows = a[(a["indicator"] == "eco_civilization_demo_county_share") & (a["region"] != CITY)]
    assert (rows["status"] == "no_target").all() and rows["status_reason"].str.contains("全市指标").all()


# ---------------------------------------------------------------- 6. straight series
@pytest.mark.parametrize("years", [range(2016, 2025), range(2021, 2025)])
def test_a_straight_series_has_the_same_verdict_whatever_its_float_noise(years):
    """99.1…99.9 (or 99.6…99.9) in steps of 0.1 against ≥ 100: the line reaches 100.0 in 2025."""
    base = np.array([100.0 - 0.1 * (2025 - y) for y in years])
    verdicts = set()
    for noise in (0.0, 1e-13, -1e-13, 3e-14):
        jitter = noise * np.sin(np.arange(len(base)) * 7.0)
        s = dict(ca.CITY_SERIES)
        s["pass_rate"] = dict(zip(years, base + jitter))
        data = ca.dataset(s)
        tg = data.targets.copy()
        tg.loc[tg["indicator"] == "pass_rate", "target"] = 100.0
        data.targets = tg
        r = assess(data).table.set_index(["region", "indicator"]).loc[(CITY, "pass_rate")]
        verdicts.add((r["status"], bool(np.isnan(r["p_attain"])), bool(r["flat_data"])))
    # on a line the data show no variation beyond their rounding (issue 18 item 2): no certainty,
    # no probability — the progress category decides, whatever the float noise
    assert verdicts == {("on_track", True, True)}
    # the core: the residual variance of a line is 0, not 1e-28
    f = fc.fit(np.array(list(years)), base[None, :] + 1e-13 * np.sin(np.arange(len(base)))[None, :])
    assert f.s2[0] == 0.0


# ---------------------------------------------------------------- 7. zero targets
def test_zero_target_is_judged_by_time_progress(plan):
    """市控以上 V 类水断面 全面消除 (≤ 0): 4 in 2020 → 1 in 2024 covers 75% in 80% of the time."""
    cat = plan.catalogue.set_index("id").loc["class5_sections_eliminated"]
    assert cat["target"] == 0 and cat["comparator"] == "<="
    r = on_plan(plan, {"class5_sections_eliminated": {2020: 4.0, 2024: 1.0}}).iloc[0]
    assert r["progress_ratio"] == pytest.approx(0.75 / 0.8)
    assert r["progress_category"] == "acceleration_needed"
    assert r["status"] == "at_risk" and "2 个数据点" in r["status_reason"]
    # on the straight line to 0 (one a year from 4 in 2021): on track, and the forecast says so
    r = on_plan(plan, {"class5_sections_eliminated": {2020: 5.0, 2021: 4.0, 2022: 3.0, 2023: 2.0,
                                                      2024: 1.0}}).iloc[0]
    assert r["progress_ratio"] == pytest.approx((4 / 5) / (4 / 5))
    # an exact line has no variation beyond the rounding: the category decides (issue 18 item 2)
    assert r["status"] == "on_track" and np.isnan(r["p_attain"]) and r["flat_data"]


# ---------------------------------------------------------------- 8. missing plan year
def test_a_missing_plan_year_is_missing_not_zero(plan):
    """新增“浙江制造”标准 300 (60 a year): 60, 60, –, 60 is on pace, not 0.8 of it."""
    assert plan.catalogue.set_index("id").loc["zhejiang_made_standards_new", "target"] == 300
    r = on_plan(plan, {"zhejiang_made_standards_new": {2021: 60.0, 2022: 60.0, 2024: 60.0}}).iloc[0]
    assert r["avg_annual_change"] == pytest.approx(60.0)
    assert r["progress_ratio"] == pytest.approx(1.0) and r["progress_category"] == "on_track"
    # the forecast fills 2023 and 2025 from the line: 180 + 60 + 60
    assert r["forecast"] == pytest.approx(300.0) and r["status"] == "on_track"


# ---------------------------------------------------------------- 9. rare events
def test_rare_events_get_a_count_model_not_a_certainty(plan):
    """国家级质检中心 (≥1) and 省政府质量奖 (≥2) with no event in 2021–2024."""
    zeros = {y: 0.0 for y in range(2021, 2025)}
    t = on_plan(plan, {"national_qi_centres_new": zeros, "provincial_gov_quality_award_new": zeros})
    # Jeffreys Gamma(½) posterior after 0 events in 4 years; 1 year to come: NB(½, 4/5)
    nb = stats.nbinom(0.5, 4 / 5)
    assert t.loc["national_qi_centres_new", "p_attain"] == pytest.approx(nb.sf(0), rel=1e-12)
    assert t.loc["provincial_gov_quality_award_new", "p_attain"] == pytest.approx(nb.sf(1), rel=1e-12)
    assert 0.05 < t.loc["national_qi_centres_new", "p_attain"] < 0.2
    r = t.loc["national_qi_centres_new"]
    assert r["pi95_low"] == 0 and r["pi95_high"] == nb.ppf(0.975) and r["forecast"] == pytest.approx(nb.mean())
    assert "泊松" in r["status_reason"] and "Poisson" in r["status_reason_en"]
    # with events, a longer history, and a stock: the same law
    ys = {2016: 0.0, 2017: 1.0, 2018: 0.0, 2019: 0.0, 2020: 1.0, 2021: 0.0, 2022: 0.0, 2023: 0.0}
    r = on_plan(plan, {"national_qi_centres_new": ys}).iloc[0]
    nb = stats.nbinom(2 + 0.5, 8 / (8 + 2))      # 2 events in 8 years; 2024, 2025 to come
    assert r["p_attain"] == pytest.approx(nb.sf(0), rel=1e-12)
    ys = {2021: 0.0, 2022: 0.0, 2023: 0.0}
    r = on_plan(plan, {"national_qi_centres_new": ys}).iloc[0]
    assert r["p_attain"] == pytest.approx(stats.nbinom(0.5, 3 / 5).sf(0), rel=1e-12)


def test_the_count_model_is_the_gamma_poisson_mixture():
    """NB(r, p) is the Poisson with a Gamma rate: check by simulation and against scipy."""
    from qanalysis.analysis import counts

    rng = np.random.default_rng(9)
    total, exposure, horizon = np.array([2.0]), np.array([6.0]), np.array([3.0])
    r, p = counts.predictive(total, exposure, horizon)
    lam = rng.gamma(total[0] + 0.5, 1 / exposure[0], 400_000)
    x = rng.poisson(lam * horizon[0])
    for k in range(0, 5):
        assert counts.sf(k, r, p)[0] == pytest.approx(stats.nbinom(r[0], p[0]).sf(k - 1), rel=1e-12)
        assert counts.sf(k, r, p)[0] == pytest.approx((x >= k).mean(), abs=3e-3)
        assert counts.cdf(k, r, p)[0] == pytest.approx(stats.nbinom(r[0], p[0]).cdf(k), rel=1e-12)


# ---------------------------------------------------------------- fewer than 3 points
def test_a_verdict_from_fewer_than_3_points_says_so(plan):
    r = on_plan(plan, {"mfg_product_pass_rate": {2021: 96.2, 2022: 96.5}}).iloc[0]  # ≥96: met, no interval
    assert r["status"] == "achieved" and r["n_points"] == 2
    assert "仅 2 个数据点" in r["status_reason"] and "2 data point" in r["status_reason_en"]
    r = on_plan(plan, {"zhejiang_made_standards_new": {2021: 310.0}}).iloc[0]  # the sum already meets 300
    assert r["status"] == "achieved" and "仅 1 个数据点" in r["status_reason"]


# ---------------------------------------------------------------- the disagreement sentence
def test_ratio_and_probability_that_disagree_say_why(plan):
    """"浙江制造"精品 97 → 150: compound growth on pace, a straight line not."""
    ys = {2016: 80.0, 2017: 84.0, 2018: 88.0, 2019: 92.0, 2020: 97.0}
    ys |= {2020 + k: round(97.0 * 1.088 ** k, 1) for k in range(1, 5)}
    r = on_plan(plan, {"zhejiang_made_boutique_stock": ys}).iloc[0]
    assert r["progress_category"] == "on_track" and r["status"] == "off_track"
    assert sharp_disagreement(r["status"], r["progress_category"])
    assert "复合增长率" in r["status_reason"] and "直线" in r["status_reason"]
    assert "compound growth" in r["status_reason_en"]


# ---------------------------------------------------------------- done when, on the shipped data
@pytest.fixture(scope="module")
def shipped(dataset):
    """``qanalysis assess --csv`` on the shipped data, as a user reads it."""
    import contextlib

    import qanalysis

    buf = io.StringIO()
    orig = qanalysis.load
    try:
        qanalysis.load = lambda **kw: dataset  # the in-memory build of the shipped raw files
        with contextlib.redirect_stdout(buf):
            assert cli.main(["assess", "--csv", "--as-of", "2025-06-30"]) == 0
    finally:
        qanalysis.load = orig
    return pd.read_csv(io.StringIO(buf.getvalue()), dtype={"region": str})


def test_shipped_no_keep_at_100_achieved_below_100(shipped):
    keep = shipped[(shipped["comparator"] == "==") & shipped["status"].isin(["achieved", "met"])]
    assert len(keep)
    attainment = _attainment()
    for v, tgt in zip(keep["latest"], keep["target"]):
        d = int(attainment.reported_decimals([[v]])[0])
        assert round(v, d) == tgt, (v, tgt)


def test_shipped_county_count_targets_add_up_to_the_city(shipped):
    c = shipped[shipped["kind"].isin(["stock", "increment"]) & shipped["target"].notna()]
    city = c[c["region"] == CITY].set_index("indicator")["target"]
    split = c[(c["region"] != CITY) & (c["target_basis"] == "pro_rata")]
    county = split.groupby("indicator")["target"].agg(["sum", "size"])
    assert len(county) and (county["size"] == shipped["region"].nunique() - 1).all()  # every county shares
    for ind, s in county["sum"].items():
        assert s == pytest.approx(city[ind], abs=1e-9), ind   # largest remainder: exactly the city's


def test_shipped_all_zero_counts_are_not_a_certain_miss(shipped, dataset):
    obs = dataset.observations
    zero = obs.groupby(["region", "indicator"])["value"].agg(lambda v: bool((v == 0).all()))
    zero = {k for k, z in zero.items() if z}
    rows = shipped[[(r, i) in zero for r, i in zip(shipped["region"], shipped["indicator"])]]
    rows = rows[rows["kind"].isin(["stock", "increment"]) & rows["p_attain"].notna()
                & ~rows["status"].isin(["met", "missed"])]
    assert len(rows)
    assert (rows["p_attain"] > 0).all() and (rows["pi95_high"] > rows["pi95_low"]).all()


def test_verdicts_from_fewer_than_3_points_say_so():
    # the shipped data hold no such verdict any more (a base-year value alone is no verdict, issue 18
    # item 9): the fixture's two-point series is one, judged by its progress ratio
    import analytics_data as ca

    t = assess(ca.dataset()).table
    few = t[(t["n_points"] < 3) & t["status"].isin(["achieved", "on_track", "at_risk", "off_track"])]
    assert list(few["indicator"]) == ["sparse"] and list(few["status"]) == ["on_track"]
    for _, r in few.iterrows():
        assert f"仅 {int(r['n_points'])} 个数据点" in r["status_reason"], r["status_reason"]
        assert f"only {int(r['n_points'])} point" in r["status_reason_en"], r["status_reason_en"]


def test_shipped_sharp_disagreements_are_explained(shipped):
    m = [sharp_disagreement(s, c) for s, c in zip(shipped["status"], shipped["progress_category"].fillna(""))]
    rows = shipped[m]
    assert len(rows)
    assert rows["status_reason"].str.contains("进度比|进度类别").all()


def test_p_attain_of_a_line_matches_statsmodels_where_it_has_variance():
    """The zero-variance rule leaves real series alone: same P as statsmodels + scipy."""
    ys = {2016: 90.1, 2017: 90.9, 2018: 91.2, 2019: 92.4, 2020: 92.8, 2021: 93.9}
    x = np.array(list(ys), float) - 2000
    res = sm.OLS(np.array(list(ys.values())), sm.add_constant(x)).fit()
    pr = res.get_prediction(np.array([[1.0, 25.0]]))
    se = np.sqrt(pr.se_mean[0] ** 2 + res.scale)
    s = dict(ca.CITY_SERIES)
    s["pass_rate"] = ys
    r = assess(ca.dataset(s)).table.set_index(["region", "indicator"]).loc[(CITY, "pass_rate")]
    # judged as the value will be reported (one decimal): ≥ 96 from 95.95 (issue 18 item 6)
    assert r["p_attain"] == pytest.approx(stats.t.sf((95.95 - pr.predicted_mean[0]) / se, res.df_resid), rel=1e-9)


def test_the_path_of_a_rare_event_ends_where_the_table_does(plan):
    rows = [dict(region=CITY, indicator="national_qi_centres_new", year=y, value=0.0, status="illustrative",
                 source="test", note="") for y in range(2021, 2025)]
    data = plan.__class__(plan=plan.plan, catalogue=plan.catalogue, regions=plan.regions, targets=plan.targets,
                          observations=typed(pd.DataFrame(rows), OBSERVATION_COLUMNS), review=plan.review)
    a = assess(data, regions=[CITY])
    r = a.table.set_index("indicator").loc["national_qi_centres_new"]
    end = a.path(CITY, "national_qi_centres_new").iloc[-1]
    assert end["year"] == 2025
    for c in ("forecast", "pi80_low", "pi80_high", "pi95_low", "pi95_high"):
        assert end[c] == pytest.approx(r[c]), c
    assert end["pi95_high"] > end["pi95_low"]  # not drawn as a certainty


# ---------------------------------------------------------------- meets the target now: never off track
def test_a_level_that_meets_its_target_now_is_achieved_with_the_reversal_flag(plan):
    """饮用水水源地水质达标率 保持100: 100 in 2024 after dips to 99.6 is 已达标, flagged (issue 18 item 1)."""
    dipped = {y: 100.0 for y in range(2016, 2021)} | {2021: 99.8, 2022: 99.6, 2023: 99.7, 2024: 100.0}
    r = on_plan(plan, {"drinking_water_compliance": dipped}).iloc[0]
    assert r["progress_category"] == "achieved"           # 100 meets "100" at one decimal
    assert r["p_attain"] < 0.5
    assert r["status"] == "achieved" and r["reversal_risk"] and r["status_zh"] == "已达标（有偏离风险）"
    assert r["status_reason"].startswith("2024年最新值100%，已达到目标保持100%；按线性趋势")
    assert "低于50%，有偏离风险" in r["status_reason"]
    # the same rows without the dips: achieved, no flag
    kept = on_plan(plan, {"drinking_water_compliance": {y: 100.0 for y in range(2016, 2025)}}).iloc[0]
    assert kept["status"] == "achieved" and not kept["reversal_risk"] and kept["status_zh"] == "已达标"
    # a "≥" level: 规上工业产品质量合格率 ≥96 at 96.1, falling from 98: may fall back
    falling = {2018: 98.0, 2019: 97.7, 2020: 97.3, 2021: 97.0, 2022: 96.6, 2023: 96.4, 2024: 96.1}
    r = on_plan(plan, {"mfg_product_pass_rate": falling}).iloc[0]
    assert r["p_attain"] < 0.5 and r["status"] == "achieved" and r["status_zh"] == "已达标（有回落风险）"
    # one dip below the target in 2024 is a miss now: the forecast rule decides as before
    r = on_plan(plan, {"mfg_product_pass_rate": falling | {2024: 95.9}}).iloc[0]
    assert r["status"] == "off_track" and not r["reversal_risk"]


def test_shipped_no_row_meeting_its_target_now_reads_anything_but_achieved(shipped):
    meets_now = (shipped["progress_category"] == "achieved") & (shipped["latest_year"] >= 2021)
    assert meets_now.sum() > 0
    assert shipped.loc[meets_now & ~shipped["status"].isin(["met", "missed"]), "status"].eq("achieved").all()
    flagged = shipped[shipped["reversal_risk"]]
    assert len(flagged) and flagged["status_zh"].str.startswith("已达标（有").all()
    assert (flagged["p_attain"] < 0.5).all() and (shipped.loc[~shipped["reversal_risk"], "status_zh"]
                                                  .str.startswith("已达标（").sum() == 0)


# ---------------------------------------------------------------- detail() agrees with the new rules
DETAIL_COLUMNS = ["forecast", "pi80_low", "pi80_high", "pi95_low", "pi95_high", "p_attain"]


def _detail_numbers(d):
    return [d.forecast, *d.pi80, *d.pi95, d.p_attain]


def test_detail_of_a_rare_event_count_is_the_poisson_answer(plan):
    """省政府质量奖 ≥2: one award (2023) in 2016–2023; detail gives the table's Poisson numbers."""
    from qanalysis.analysis.detail import detail

    ys = {y: 0.0 for y in range(2016, 2023)} | {2023: 1.0}
    rows = [dict(region=CITY, indicator="provincial_gov_quality_award_new", year=y, value=v,
                 status="illustrative", source="test", note="") for y, v in ys.items()]
    data = plan.__class__(plan=plan.plan, catalogue=plan.catalogue, regions=plan.regions, targets=plan.targets,
                          observations=typed(pd.DataFrame(rows), OBSERVATION_COLUMNS), review=plan.review)
    a = assess(data, regions=[CITY])
    row = a.table.set_index("indicator").loc["provincial_gov_quality_award_new"]
    d = detail(a, CITY, "provincial_gov_quality_award_new")
    assert d.rare
    np.testing.assert_allclose(_detail_numbers(d), row[DETAIL_COLUMNS].to_numpy(float), rtol=1e-12)
    # 1 event in 8 years, 2 years to come, 1 more needed: NB(1.5, 8/10)
    nb = stats.nbinom(1.5, 8 / 10)
    assert d.p_attain == pytest.approx(nb.sf(0), rel=1e-12)
    assert d.forecast == pytest.approx(1 + nb.mean())
    # the line is still the regression shown, and the table says the numbers are not from it
    assert d.results.nobs == 8 and "泊松" in d.table.loc["预测方法", "数值"]
    # leaving 2023 out re-estimates the rate: 0 events in 7 years
    assert d.cooks.max() > 1 and d.without["year"] == 2023
    assert d.without["p_attain"] == pytest.approx(stats.nbinom(0.5, 7 / 9).sf(0), rel=1e-12)


def test_detail_keeps_100_at_the_precision_of_the_data():
    """保持100 reported at one decimal: detail's P is P(Y ≥ 99.95), the table's, not P(Y ≥ 99.5)."""
    from qanalysis.analysis.detail import detail

    a = assess(ca.dataset())
    row = a.table.set_index(["region", "indicator"]).loc[(CITY, "drinking_water")]
    d = detail(a, CITY, "drinking_water")
    ys = ca.CITY_SERIES["drinking_water"]
    res = sm.OLS(np.array(list(ys.values())), sm.add_constant(np.array(list(ys), float))).fit()
    pr = res.get_prediction(np.array([[1.0, 2025.0]]))
    se = np.sqrt(pr.se_mean[0] ** 2 + res.scale)
    expected = stats.t.sf((99.95 - pr.predicted_mean[0]) / se, res.df_resid)
    assert d.p_attain == pytest.approx(expected, rel=1e-9) and row["p_attain"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("model,exact", [("linear", ("pass_rate", "pm25")), ("loglinear", ("pm25",))])
def test_detail_and_table_agree_on_an_exact_line_whatever_its_noise(model, exact):
    """The zero-variance rule is the engine's in both: a straight (linear) or flat series is a point mass."""
    from qanalysis.analysis.detail import detail

    straight = np.array([100.0 - 0.1 * (2025 - y) for y in range(2016, 2025)])
    for noise in (0.0, 1e-13, -1e-13, 3e-14):
        jitter = noise * np.sin(np.arange(9) * 7.0)
        s = dict(ca.CITY_SERIES)
        s["pass_rate"] = dict(zip(range(2016, 2025), straight + jitter))
        s["pm25"] = {y: 26.0 + jitter[k] for k, y in enumerate(range(2016, 2025))}  # flat at the target ≤26
        data = ca.dataset(s)
        tg = data.targets.copy()
        tg.loc[tg["indicator"] == "pass_rate", "target"] = 100.0
        data.targets = tg
        a = assess(data, model=model)
        t = a.table.set_index(["region", "indicator"])
        for ind in exact:  # (a straight line is not one in logs: loglinear gives it a variance)
            d = detail(a, CITY, ind)
            np.testing.assert_allclose(_detail_numbers(d), t.loc[(CITY, ind), DETAIL_COLUMNS].to_numpy(float),
                                       rtol=1e-9, err_msg=f"{model} {ind} {noise}")
            # no variation beyond the rounding: neither a probability nor an interval (issue 18 item 2)
            assert np.isnan(d.p_attain) and np.isnan(d.pi95[0]), (model, ind, noise)


def test_diagnostics_figure_says_a_rare_count_forecast_is_not_the_line(plan):
    """The forecast point of a rare stock is the Poisson law's: its legend says so, a line's does not."""
    import matplotlib

    matplotlib.use("Agg")
    from qanalysis.analysis.detail import detail
    from qanalysis.charts.diagnostics import diagnostics
    from qanalysis.charts.export import close

    # a rare stock: most years add none or one (issue 18 item 3: the count law for rare events only)
    ys = {2016: 0.0, 2017: 0.0, 2018: 1.0, 2019: 1.0, 2020: 2.0, 2021: 2.0, 2022: 3.0, 2023: 3.0, 2024: 4.0}
    rows = [dict(region=CITY, indicator="zhejiang_made_intl_cert_stock", year=y, value=v, status="illustrative",
                 source="test", note="") for y, v in ys.items()]
    data = plan.__class__(plan=plan.plan, catalogue=plan.catalogue, regions=plan.regions, targets=plan.targets,
                          observations=typed(pd.DataFrame(rows), OBSERVATION_COLUMNS), review=plan.review)
    a = assess(data, regions=[CITY])
    d = detail(a, CITY, "zhejiang_made_intl_cert_stock")
    assert d.rare
    fig = diagnostics(d)
    labels = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    close(fig)
    assert "2025年预测及95%区间（泊松计数模型，非直线外推）" in labels
    line = detail(assess(ca.dataset()), CITY, "pass_rate")
    fig = diagnostics(line)
    labels = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    close(fig)
    assert "2025年预测及95%区间" in labels and not any("泊松" in x for x in labels)


def test_trajectory_draws_the_keep_window_the_rule_uses():
    """保持100 reported at one decimal: the shaded band is [99.95, 100], the window P(attain) counts."""
    import matplotlib

    matplotlib.use("Agg")
    from qanalysis.charts import plots

    a = assess(ca.dataset())  # drinking_water 100, 100, 99.8, 100: one decimal
    fig = plots.trajectory(a, CITY, "drinking_water")
    ax = fig.axes[0]
    (zone,) = [p for p in ax.patches if p.get_gid() == "target_zone"]
    y = ax.transData.inverted().transform(zone.get_verts())[:, 1]
    plots.close(fig)
    assert y.max() == pytest.approx(100.0) and y.min() == pytest.approx(99.95)
    assert a.panel.tol[a._row(CITY, "drinking_water")] == pytest.approx(0.05)


def test_trajectory_of_a_rare_count_names_the_poisson_law(plan):
    """国家级质检中心, no centre in 2021–2024: legend and note say the forecast is the count model's."""
    import matplotlib

    matplotlib.use("Agg")
    from qanalysis.charts import plots

    rows = [dict(region=CITY, indicator="national_qi_centres_new", year=y, value=0.0, status="illustrative",
                 source="test", note="") for y in range(2021, 2025)]
    data = plan.__class__(plan=plan.plan, catalogue=plan.catalogue, regions=plan.regions, targets=plan.targets,
                          observations=typed(pd.DataFrame(rows), OBSERVATION_COLUMNS), review=plan.review)
    a = assess(data, regions=[CITY])
    fig = plots.trajectory(a, CITY, "national_qi_centres_new")
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    plots.close(fig)
    assert "泊松计数模型（稀少事件）预测" in texts
    assert any("预测：泊松计数模型（稀少事件）" in t for t in texts)
    assert not any("线性趋势" in t for t in texts)
