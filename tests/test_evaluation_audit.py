"""Issue 30: the final evaluation a statistician would sign.

One test per item, each built from the series the issue quotes, on the plan's own rows (the
shipped catalogue and targets; only the yearly values are the test's). docs/evaluation.md states
the rules these tests pin.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qanalysis.analysis import evaluation_text as et
from qanalysis.analysis.assess import assess
from qanalysis.analysis.evaluation import evaluate
from qanalysis.dataset import OBSERVATION_COLUMNS, typed
from qanalysis.plan.catalogue import read_plan

CITY, RUIAN, LUCHENG = "330300", "330381", "330302"
AFTER = "2026-03-31"


@pytest.fixture(scope="module")
def plan():
    return read_plan()


def dataset(plan, series: dict, region: str = CITY, targets: dict | None = None, status="published"):
    """The plan with only the given yearly values ({indicator: {year: value}}); ``targets``
    {indicator: value} overrides the region's target; ``status`` one status or {(indicator, year): status}."""
    def st(i, y):
        return status.get((i, y), "published") if isinstance(status, dict) else status
    rows = [dict(region=region, indicator=i, year=y, value=v, status=st(i, y), source="test", note="")
            for i, ys in series.items() for y, v in ys.items()]
    tg = plan.targets.copy()
    for ind, v in (targets or {}).items():
        tg.loc[(tg["region"] == region) & (tg["indicator"] == ind), "target"] = v
    return plan.__class__(plan=plan.plan, catalogue=plan.catalogue, regions=plan.regions, targets=tg,
                          observations=typed(pd.DataFrame(rows), OBSERVATION_COLUMNS), review=plan.review)


def evaluated(plan, series, region=CITY, as_of=AFTER, **kw):
    data = dataset(plan, series, region, **kw)
    ev = evaluate(assess(data, regions=[region], as_of=as_of), as_of)
    return ev, ev.rows(region).set_index("indicator")


# ------------------------------------------------------------- 1. a start lies before the final year
def test_a_county_delivering_only_2025_is_not_zero_percent_complete(plan):
    """瑞安 delivers only 2025: 95.9 (≥96), PM2.5 27 (≤26), 农产品 97.5 (≥98) — no 0%, no −100%."""
    only_2025 = {"mfg_product_pass_rate": {2025: 95.9}, "pm25_concentration": {2025: 27.0},
                 "agri_product_pass_rate": {2025: 97.5}}
    _, t = evaluated(plan, only_2025, RUIAN)
    for ind in only_2025:
        r = t.loc[ind]
        assert r["verdict"] == "not_completed", ind
        assert np.isnan(r["start_value"]), ind                     # no start before the final year
        assert r["degree_basis"].startswith("无基期值"), ind        # the start used, shown by the degree
    assert t.loc["mfg_product_pass_rate", "completion_degree"] == pytest.approx(95.9 / t.loc["mfg_product_pass_rate", "target"], abs=1e-6)
    assert t.loc["pm25_concentration", "completion_degree"] == pytest.approx(t.loc["pm25_concentration", "target"] / 27, abs=1e-6)
    # 2024 = 95.95 and 2025 = 95.9: not −100% (a start must be the 基期值, fixed before the period)
    _, t = evaluated(plan, {"mfg_product_pass_rate": {2024: 95.95, 2025: 95.9}}, RUIAN)
    r = t.loc["mfg_product_pass_rate"]
    assert r["completion_degree"] > 0 and r["verdict"] == "not_completed"
    table = evaluated(plan, {"mfg_product_pass_rate": {2024: 95.95, 2025: 95.9}}, RUIAN)[0].completion_table(RUIAN)
    row = table[table["指标名称"] == r["name_zh"]].iloc[0]
    assert "无基期值：完成值÷目标值" in row["完成程度"]


# ------------------------------------------------------------- 2. one met rule for about-targets
def test_an_about_target_is_met_by_the_same_rule_in_assess_and_evaluate(plan):
    """品字标浙江服务 "20家左右": 4, 4, 4, 4, 3 = 19 — met (按≥19家判断) in both, never 基本完成 差1家."""
    ys = {"pinzibiao_zhejiang_service_enterprises": {2021: 4, 2022: 4, 2023: 4, 2024: 4, 2025: 3}}
    data = dataset(plan, ys)
    mon = assess(data, regions=[CITY]).table.set_index("indicator").loc["pinzibiao_zhejiang_service_enterprises"]
    assert mon["status"] == "met"
    a = assess(data, regions=[CITY], as_of=AFTER)
    row = a.table.set_index("indicator").loc["pinzibiao_zhejiang_service_enterprises"]
    r = evaluate(a, AFTER).rows(CITY).set_index("indicator").loc["pinzibiao_zhejiang_service_enterprises"]
    assert r["verdict"] == "completed" and r["verdict_zh"] == "完成" and row["status_zh"] == "完成"
    assert "差1家" not in r["sentence_zh"] and "按≥19家判断" in r["sentence_zh"]


# ------------------------------------------------------------- 3. one final value, one verdict
def test_the_path_does_not_flip_the_verdict_of_the_same_final_value(plan):
    """96.5 → 95.9 and 95.8 → 95.9 against ≥96 (a county without its own 基期值): the same verdict."""
    falling = {"mfg_product_pass_rate": {2021: 96.5, 2022: 96.3, 2023: 96.1, 2024: 96.0, 2025: 95.9}}
    rising = {"mfg_product_pass_rate": {2021: 95.8, 2022: 95.8, 2023: 95.85, 2024: 95.9, 2025: 95.9}}
    a = evaluated(plan, falling, LUCHENG)[1].loc["mfg_product_pass_rate"]
    b = evaluated(plan, rising, LUCHENG)[1].loc["mfg_product_pass_rate"]
    assert a["verdict"] == b["verdict"] == "not_completed"
    assert a["completion_degree"] == b["completion_degree"]


def test_the_band_is_no_soft_landing_for_floors_ceilings_and_keep_at(plan):
    """保持100 held at 92, a pass rate of 89 against ≥98 (baseline 99.04, a floor), PM2.5 27 against a
    ≤26 ceiling (baseline 25): 未完成 — the band only serves targets that plan a distance from a 基期值."""
    ys = {"essential_drug_pass_rate": {2021: 92, 2022: 92, 2023: 92, 2024: 92, 2025: 92},
          "agri_product_pass_rate": {2021: 98, 2022: 95, 2023: 93, 2024: 90, 2025: 89},
          "pm25_concentration": {2021: 25, 2022: 26, 2023: 26, 2024: 27, 2025: 27}}
    _, t = evaluated(plan, ys)
    for ind in ys:
        assert t.loc[ind, "verdict"] == "not_completed", ind
        assert "不设基本完成档" in t.loc[ind, "note_zh"], ind
    # the band still serves a target of improvement: 规上新产品产值率 B 38.1, T ≥40, F 39.9 → 94.7%
    _, t = evaluated(plan, {"new_product_output_rate": {2021: 38.5, 2022: 39, 2023: 39.3, 2024: 39.6, 2025: 39.9}})
    r = t.loc["new_product_output_rate"]
    assert r["verdict"] == "nearly_completed" and r["completion_degree"] == pytest.approx(1.8 / 1.9, abs=1e-6)
    assert r["degree_basis"] == "自基期值2020年38.1%起算"


# ------------------------------------------------------------- 4. precision
def test_values_targets_and_gaps_at_the_datas_precision(plan):
    """商标 …4.5, 4.9996 against 5万件: never "5万件 / 差0万件 / 100%"."""
    ys = {"trademarks_valid_stock": {2021: 4.1, 2022: 4.2, 2023: 4.4, 2024: 4.5, 2025: 4.9996}}
    ev, t = evaluated(plan, ys, LUCHENG, targets={"trademarks_valid_stock": 5})
    r = t.loc["trademarks_valid_stock"]
    assert r["verdict"] != "completed"
    assert r["gap_zh"] == "差0.0004万件"
    assert "4.9996万件" in r["sentence_zh"] and "100%" not in r["sentence_zh"]
    row = ev.completion_table(LUCHENG).set_index("指标名称").loc[r["name_zh"]]
    assert row["完成值(年份)"].startswith("4.9996万件") and not row["完成程度"].startswith("100%")


def test_a_degree_never_rounds_across_the_band_or_100_percent():
    assert et.pct(0.8997, 0.10) == "89.97%"
    assert et.pct(0.89996, 0.10) == "89.996%"
    assert et.pct(0.99992, 0.10) == "99.99%"
    assert et.pct(0.947, 0.10) == "94.7%" and et.pct(1.625, 0.10) == "162.5%"


# ------------------------------------------------------------- 6. as of means as of
def test_as_of_counts_only_the_years_before_the_as_of_year(plan):
    ys = {"mfg_product_pass_rate": {2021: 95.2, 2022: 95.5, 2023: 95.8, 2024: 95.9, 2025: 96.5}}
    data = dataset(plan, ys)
    mid = assess(data, regions=[CITY], as_of="2025-06-30")
    r = mid.table.set_index("indicator").loc["mfg_product_pass_rate"]
    assert r["latest_year"] == 2024 and not r["target_year_observed"] and r["status"] not in ("met", "missed")
    assert np.isfinite(r["p_attain"])                       # still a monitoring forecast, of 2025
    ev = evaluate(mid, "2025-06-30").rows(CITY).set_index("indicator").loc["mfg_product_pass_rate"]
    assert ev["verdict"] == "no_data" and ev["latest_year"] == 2024
    after = evaluate(assess(data, regions=[CITY], as_of=AFTER), AFTER).rows(CITY).set_index("indicator")
    assert after.loc["mfg_product_pass_rate", "verdict"] == "completed"
    # evaluate() itself applies the date, whatever assessment it is given
    ev = evaluate(assess(data, regions=[CITY]), "2025-06-30").rows(CITY).set_index("indicator")
    assert ev.loc["mfg_product_pass_rate", "verdict"] == "no_data"


# ------------------------------------------------------------- 7. the latest value when 2025 is missing
def test_a_missing_final_value_shows_the_latest_value_and_its_standing(plan, tmp_path):
    ys = {"mfg_product_pass_rate": {2022: 95.5, 2023: 95.8, 2024: 95.9},
          "service_quality_satisfaction": {2023: 89.0, 2024: 90.5}}
    ev, t = evaluated(plan, ys)
    r = t.loc["mfg_product_pass_rate"]
    assert r["verdict"] == "no_data" and r["latest_year"] == 2024 and r["latest_value"] == 95.9
    assert r["latest_zh"] == "2024年95.9%，差0.1个百分点"
    assert t.loc["service_quality_satisfaction", "latest_zh"] == "2024年90.5%，已达到目标"
    row = ev.completion_table(CITY).set_index("指标名称").loc[r["name_zh"]]
    assert "2024年95.9%，差0.1个百分点" in row["完成值(年份)"]
    assert "其中1项2024年已达到目标" in ev.summary_sentence(CITY)
    assert "2024年95.9%，差0.1个百分点" in r["sentence_zh"] and "趋势" not in r["sentence_zh"]
    # the trend estimate: only in the annex labelled 趋势估计, never in the long table
    import openpyxl
    wb = openpyxl.load_workbook(ev.to_excel(tmp_path / "e.xlsx"))
    annex = wb["附表 趋势估计"]
    assert "趋势估计" in annex["A1"].value and "不是评估结论" in annex["A1"].value
    assert any(c.value == "制造业产品质量合格率" for c in annex["B"])
    assert "trend_estimate" not in [c.value for c in wb["明细"][1]]
    csv_cols = __import__("qanalysis.analysis.evaluation", fromlist=["CSV_COLUMNS"]).CSV_COLUMNS
    assert {"latest_year", "latest_value"} <= set(csv_cols) and "trend_estimate" not in csv_cols


# ------------------------------------------------------------- 5. supplied_targets.csv checked
SUPPLIED_BAD = [
    ("339999,good_air_days_ratio,95,>=,省文件", "column region", "339999"),
    ("330302,good_air_day_ratio,95,>=,省文件", "column indicator", "good_air_days_ratio"),   # misspelt
    ("330302,mfg_product_pass_rate,95,>=,省文件", "column target", "already has a plan target"),
    ("330302,national_standards_led_new,3,>=,省文件", "column indicator", "全市统筹"),
    ("330302,good_air_days_ratio,0,==,省文件", "column comparator", "<= 0"),
]


@pytest.mark.parametrize("line,column,reason", SUPPLIED_BAD)
def test_a_bad_supplied_target_is_one_message_naming_file_row_column_reason(plan, tmp_path, line, column, reason):
    from qanalysis.errors import QAnalysisError
    from qanalysis.plan.supplied import check_supplied, supplied_targets

    (tmp_path / "supplied_targets.csv").write_text(
        "region,indicator,target,comparator,basis\n330303,good_air_days_ratio,95,>=,省文件\n" + line + "\n",
        encoding="utf-8")
    with pytest.raises(QAnalysisError) as err:
        check_supplied(supplied_targets(tmp_path), tmp_path, plan.regions, plan.catalogue, plan.targets)
    msg = str(err.value)
    assert f"supplied_targets.csv, row 3, {column}" in msg and reason in msg, msg
    assert "row 2" not in msg                                   # the good row is not blamed


def test_the_cli_refuses_a_bad_supplied_target_with_exit_1_and_no_traceback(data_root):
    import subprocess
    import sys

    plan_dir = data_root / "raw" / "plans" / "wenzhou-2021-2025"
    (plan_dir / "supplied_targets.csv").write_text(
        "region,indicator,target,comparator,basis\n330302,national_standards_led_new,3,>=,省文件\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "qanalysis", "evaluate", "--as-of", AFTER, "--csv"],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "supplied_targets.csv, row 2, column indicator" in res.stderr and "全市统筹" in res.stderr


# ------------------------------------------------------------- 8. estimates (预计数)
def test_estimated_status_is_read_from_csv_and_excel_in_chinese_and_english(plan, tmp_path):
    import openpyxl

    from qanalysis.data.readers import read_observations

    csv = tmp_path / "报送.csv"
    csv.write_text("地区,指标,年份,数值,数据状态,来源\n"
                   "鹿城区,制造业产品质量合格率,2024,95.9,正式,区统计局\n"
                   "鹿城区,制造业产品质量合格率,2025,96.1,预计,区市场监管局\n"
                   "鹿城区,服务质量满意度,2025,90.2,estimated,区市场监管局\n"
                   "鹿城区,城市 PM2.5 平均浓度,2025,24,初步,区生态环境分局\n", encoding="utf-8")
    obs, problems = read_observations(csv, plan)
    assert not [p for p in problems if p.severity == "error"], problems
    st = dict(zip(zip(obs["indicator"], obs["year"]), obs["status"]))
    assert st[("mfg_product_pass_rate", 2025)] == "estimated" and st[("service_quality_satisfaction", 2025)] == "estimated"
    assert st[("mfg_product_pass_rate", 2024)] == "published" and st[("pm25_concentration", 2025)] == "provisional"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["地区", "指标", "年份", "数值", "数据状态", "来源"])
    ws.append(["鹿城区", "制造业产品质量合格率", 2025, 96.1, "预计数", "区市场监管局"])
    wb.save(tmp_path / "报送.xlsx")
    obs, problems = read_observations(tmp_path / "报送.xlsx", plan)
    assert list(obs["status"]) == ["estimated"], problems


def test_an_estimated_final_value_gives_an_estimated_verdict_counted_apart(plan, tmp_path):
    """"共确定34项主要指标，预计31项顺利完成规划目标": a verdict on an estimate says 预计."""
    ys = {"mfg_product_pass_rate": {2021: 95.2, 2022: 95.5, 2023: 95.8, 2024: 95.9, 2025: 96.1},
          "prefab_building_share": {2021: 31, 2022: 32, 2023: 33, 2024: 33.5, 2025: 34},
          "new_product_output_rate": {2021: 38.5, 2022: 39, 2023: 39.3, 2024: 39.6, 2025: 39.9},
          "service_quality_satisfaction": {2021: 88, 2022: 89, 2023: 89.5, 2024: 90, 2025: 90.5}}
    status = {(i, 2025): "estimated" for i in ("mfg_product_pass_rate", "prefab_building_share", "new_product_output_rate")}
    ev, t = evaluated(plan, ys, status=status)
    assert t.loc["mfg_product_pass_rate", "verdict_zh"] == "预计完成"
    assert t.loc["new_product_output_rate", "verdict_zh"] == "预计基本完成"
    assert t.loc["prefab_building_share", "verdict_zh"] == "预计未完成"
    assert t.loc["service_quality_satisfaction", "verdict_zh"] == "完成"
    assert t.loc["mfg_product_pass_rate", "data_status"] == "estimated"
    assert t.loc["mfg_product_pass_rate", "sentence_zh"].startswith("预计完成（2025年为预计数")
    s = ev.summary(CITY)["core"]
    assert s["completed"] == 1 and s["estimated_completed"] == 1 and s["estimated_nearly_completed"] == 1
    sentence = ev.summary_sentence(CITY)
    assert "预计完成1项、预计基本完成1项、预计未完成1项" in sentence and "预计数另计" in sentence
    row = ev.completion_table(CITY).set_index("指标名称").loc[t.loc["mfg_product_pass_rate", "name_zh"]]
    assert row["完成情况"] == "预计完成" and row["数据性质"] == "预计数" and "预计数" in row["完成值(年份)"]
    a = assess(dataset(plan, ys, status=status), regions=[CITY], as_of=AFTER)
    assert a.table.set_index("indicator").loc["mfg_product_pass_rate", "status_zh"] == "预计完成"


# ------------------------------------------------------------- monitoring: zero targets, 数据不足
def test_a_zero_target_does_not_depend_on_the_model(plan):
    """全面消除 (≤0): 4, 3, 2, 1, 1 gave P 28% under loglinear and 86% under linear."""
    ys = {"class5_sections_eliminated": {2020: 4, 2021: 3, 2022: 2, 2023: 1, 2024: 1}}
    data = dataset(plan, ys)
    rows = [assess(data, model=m, regions=[CITY]).table.set_index("indicator").loc["class5_sections_eliminated"]
            for m in ("linear", "loglinear")]
    for c in ("forecast", "pi80_low", "pi80_high", "pi95_low", "pi95_high", "p_attain", "status", "status_reason"):
        assert rows[0][c] == rows[1][c] or (pd.isna(rows[0][c]) and pd.isna(rows[1][c])), c


def test_a_row_with_too_little_data_carries_no_forecast(plan):
    """Two values (2019, 2020), 数据不足: no forecast, no interval, no probability anywhere."""
    ys = {"water_function_zone_compliance": {2019: 77.0, 2020: 78.9}}
    r = assess(dataset(plan, ys), regions=[CITY]).table.set_index("indicator").loc["water_function_zone_compliance"]
    assert r["status"] == "insufficient_data"
    for c in ("forecast", "pi80_low", "pi80_high", "pi95_low", "pi95_high", "p_attain"):
        assert pd.isna(r[c]), c
