"""The assessment table, the status rule, path/series, Excel/CSV output and the CLI."""
from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))
import analytics_data as ca  # noqa: E402

import qanalysis  # noqa: E402
from qanalysis import cli  # noqa: E402
from qanalysis.analysis.assess import assess, status_rule, write_assessment  # noqa: E402
from qanalysis.errors import QAnalysisError  # noqa: E402
from qanalysis.analysis.status import STATUSES, label as status_label  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def contract_columns() -> list[str]:
    """The column list as docs/architecture.md writes it."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("`Assessment.table`")[1].split("Columns:")[1].split("\n\n")[1]
    return [c.strip() for c in block.replace("`", "").replace("\n", " ").split(",") if c.strip()]


@pytest.fixture(scope="module")
def a():
    return assess(ca.dataset())


def row(a, indicator, region="330300"):
    t = a.table
    return t[(t["region"] == region) & (t["indicator"] == indicator)].iloc[0]


def test_columns_follow_the_contract(a):
    cols = contract_columns()
    assert len(cols) > 30
    assert list(a.table.columns[: len(cols)]) == cols
    assert len(a.table) == 2 * len(ca.INDICATORS)
    assert set(a.table["status"]) <= set(STATUSES)
    from qanalysis.vocab import status_label

    t = a.table
    assert (t["status_zh"] == [status_label(s, basis=b, comparator=c, reversal=f) for s, b, c, f in
                               zip(t["status"], t["target_basis"], t["comparator"], t["reversal_risk"])]).all()


def test_level_forecast_matches_statsmodels(a):
    ys = ca.CITY_SERIES["pass_rate"]
    x = np.array(list(ys), float) - 2000
    res = sm.OLS(np.array(list(ys.values())), sm.add_constant(x)).fit()
    f = res.get_prediction(np.array([[1.0, 25.0]])).summary_frame(alpha=0.05).iloc[0]
    r = row(a, "pass_rate")
    assert r["forecast"] == pytest.approx(f["mean"], rel=1e-9)
    assert r["pi95_low"] == pytest.approx(f["obs_ci_lower"], rel=1e-9)
    assert r["pi95_high"] == pytest.approx(min(f["obs_ci_upper"], 100.0), rel=1e-9)
    assert r["latest"] == 95.9 and r["latest_year"] == 2023 and r["n_points"] == 4
    # P(Y_2025 >= 96) under the t predictive law (docs/methods.md), from scipy
    se = np.sqrt(res.get_prediction(np.array([[1.0, 25.0]])).var_pred_mean[0] + res.scale)
    # judged as the value will be reported (one decimal): ≥96 is met from 95.95 on (issue 18 item 6)
    p = stats.t.sf((96.0 - 0.05 - f["mean"]) / se, res.df_resid)
    assert r["p_attain"] == pytest.approx(p, rel=1e-9)
    assert p >= 0.8 and r["status"] == "on_track"   # rule 6: 95.9 < 96 today, P >= 0.8


def test_increment_forecast_is_done_plus_summed_predictions(a):
    ys = ca.CITY_SERIES["standards_new"]
    x = np.array(list(ys), float) - 2000
    res = sm.OLS(np.array(list(ys.values())), sm.add_constant(x)).fit()
    p = res.get_prediction(np.array([[2.0, 24.0 + 25.0]]))  # 2024 + 2025
    done = 55 + 58 + 62
    r = row(a, "standards_new")
    assert r["cumulative"] == done
    assert r["forecast"] == pytest.approx(done + p.predicted_mean[0], rel=1e-9)
    se = np.sqrt(p.se_mean[0] ** 2 + 2 * res.scale)
    from scipy import stats
    assert r["pi95_high"] == pytest.approx(done + p.predicted_mean[0] + stats.t.ppf(0.975, 3) * se, rel=1e-9)
    # whole numbers: "≥ 300" as it will be reported, from 299.5 (docs/methods.md)
    assert r["p_attain"] == pytest.approx(stats.t.sf((299.5 - done - p.predicted_mean[0]) / se, 3), rel=1e-9)


def test_statuses_on_the_synthetic_panel(a):
    assert row(a, "good_air")["status"] == "no_target"
    assert row(a, "one_point")["status"] == "insufficient_data"
    assert "1" in row(a, "one_point")["status_reason"]
    assert row(a, "pass_rate", "330302")["status"] == "insufficient_data"
    # keep at 100, reported at one decimal (100, 100, 99.8, 100): 2025 must read 100.0, so
    # P(attain) = P(Y ≥ 99.95) under the t law; with P < 0.5 the latest value alone does not
    # make it "achieved" (issue 9: keep-at-100 is judged at the data's precision)
    r = row(a, "drinking_water")
    ys = ca.CITY_SERIES["drinking_water"]
    x = np.array(list(ys), float) - 2000
    res = sm.OLS(np.array(list(ys.values())), sm.add_constant(x)).fit()
    pr = res.get_prediction(np.array([[1.0, 25.0]]))
    from scipy import stats
    se = np.sqrt(pr.se_mean[0] ** 2 + res.scale)
    assert r["p_attain"] == pytest.approx(stats.t.sf((99.95 - pr.predicted_mean[0]) / se, 2), rel=1e-9)
    # 100 now (it meets the target): 已达标 (issue 18 item 1); one dip in the plan years at the
    # bound 100 is no drift, so no reversal flag although P < 0.5 (docs/methods.md §4)
    assert r["p_attain"] < 0.5 and r["status"] == "achieved" and not r["reversal_risk"]
    assert r["status_zh"] == "已达标" and "达标概率" in r["status_reason"]
    # two points: no interval, the progress category decides
    r = row(a, "sparse")
    assert np.isnan(r["pi95_low"]) and np.isnan(r["p_attain"]) and r["forecast"] == pytest.approx(52.5)
    assert r["status"] == "on_track" and "2" in r["status_reason"]


def test_observed_target_year_gives_met_or_missed():
    s = dict(ca.CITY_SERIES)
    s["pass_rate"] = {2021: 95.0, 2022: 95.5, 2023: 95.7, 2024: 95.8, 2025: 95.9}
    s["pm25"] = {2021: 27.0, 2022: 26.0, 2025: 24.0}
    s["standards_new"] = {2021: 60.0, 2022: 60.0, 2023: 60.0, 2024: 60.0, 2025: 61.0}
    t = assess(ca.dataset(s)).table.set_index(["region", "indicator"])
    assert t.loc[("330300", "pass_rate"), "status"] == "missed"
    assert t.loc[("330300", "pm25"), "status"] == "met"
    assert t.loc[("330300", "standards_new"), "status"] == "met"
    assert t.loc[("330300", "standards_new"), "forecast"] == 301.0


def test_region_targets_come_from_dataset_targets():
    data = ca.dataset(county_series={"pass_rate": {2020: 90.0, 2021: 91.0, 2022: 92.0, 2023: 93.0}})
    t0 = assess(data).table.set_index(["region", "indicator"])
    assert t0.loc[("330302", "pass_rate"), "status"] in ("at_risk", "off_track")  # city target 96: 2025 ≈ 95
    tg = data.targets.copy()
    i = tg.index[(tg["region"] == "330302") & (tg["indicator"] == "pass_rate")][0]
    tg.loc[i, ["target", "baseline"]] = [94.0, 90.0]
    tg.loc[i, "target_basis"] = "override"
    data.targets = tg
    t1 = assess(data).table.set_index(["region", "indicator"])
    r = t1.loc[("330302", "pass_rate")]
    assert r["target"] == 94.0 and r["target_basis"] == "override"
    assert r["status"] == "on_track"


def test_forecasts_stay_inside_bounds():
    s = dict(ca.CITY_SERIES)
    s["pass_rate"] = {2019: 96.0, 2020: 97.5, 2021: 98.6, 2022: 99.7}
    r = assess(ca.dataset(s)).table.query("region == '330300' and indicator == 'pass_rate'").iloc[0]
    assert r["forecast"] == 100.0 and r["pi95_high"] == 100.0 and r["pi80_high"] == 100.0
    assert r["pi95_low"] <= 100.0


def test_status_rule_branches():
    n = 9
    args = dict(
        has_target=np.array([False, True, True, True, True, True, True, True, True]),
        target_year_observed=np.array([True, True, False, False, False, False, False, False, False]),
        met_observed=np.array([True, False, False, False, False, False, False, False, False]),
        n_points=np.array([5, 5, 1, 1, 5, 5, 5, 2, 2]),
        kind=np.array(["level", "level", "increment", "level", "level", "level", "level", "level", "level"],
                      dtype=object),
        achieved_now=np.array([False, False, True, True, True, False, False, False, False]),
        has_interval=np.array([True, True, False, False, True, True, True, False, False]),
        p_attain=np.array([np.nan, np.nan, np.nan, np.nan, 0.6, 0.85, 0.1, np.nan, np.nan]),
        category=np.array(["", "", "", "", "", "", "", "acceleration_needed", "moving_away"], dtype=object),
    )
    out = list(status_rule(**args))
    assert len(out) == n
    assert out == ["no_target", "missed", "achieved", "achieved", "achieved", "on_track",
                   "off_track", "at_risk", "off_track"]
    # a level that meets the target now is achieved whatever P says (issue 18 item 1): the
    # reversal flag carries the trend
    for p_now in (0.3, 0.05):
        args["p_attain"] = np.array([np.nan] * 4 + [p_now] + [0.85, 0.1, np.nan, np.nan])
        assert status_rule(**args)[4] == "achieved"
    # a base-year value alone never makes a row achieved (issue 18 item 9)
    args["in_plan_value"] = np.array([True, True, True, False, True, True, True, True, True])
    assert status_rule(**args)[3] == "insufficient_data"


def test_subset_equals_whole_panel_rows(a):
    one = assess(a.data, regions=["330300"]).table.reset_index(drop=True)
    whole = a.table[a.table["region"] == "330300"].reset_index(drop=True)
    pd.testing.assert_frame_equal(one, whole)


def test_unknown_region_and_model_are_clear_errors(a):
    with pytest.raises(QAnalysisError, match="999999"):
        assess(a.data, regions=["999999"])
    with pytest.raises(QAnalysisError, match="model"):
        assess(a.data, model="cubic")


def test_duplicate_observation_is_a_clear_error():
    data = ca.dataset()
    data.observations = pd.concat([data.observations, data.observations.iloc[:1]], ignore_index=True)
    with pytest.raises(QAnalysisError, match="more than once"):
        assess(data)


def test_loglinear_model_and_its_refusal():
    s = dict(ca.CITY_SERIES)
    s["standards_new"] = {2019: 50.0, 2020: 0.0, 2021: 55.0, 2022: 58.0, 2023: 62.0}
    t = assess(ca.dataset(s), model="loglinear").table.set_index(["region", "indicator"])
    assert (t["model"] == "loglinear").all()
    r = t.loc[("330300", "standards_new")]
    assert np.isnan(r["pi95_low"]) and "正" in r["status_reason"]
    assert np.isfinite(t.loc[("330300", "trademarks"), "pi95_low"])


def test_path_and_series(a):
    p = a.path("330300", "pass_rate")
    assert list(p.columns) == ["year", "forecast", "pi80_low", "pi80_high", "pi95_low", "pi95_high"]
    r = row(a, "pass_rate")
    last = p[p["year"] == 2025].iloc[0]
    assert last["forecast"] == pytest.approx(r["forecast"]) and last["pi95_high"] == pytest.approx(r["pi95_high"])
    assert (p["pi95_low"] <= p["pi80_low"]).all() and (p["pi80_high"] <= p["pi95_high"]).all()
    pi = a.path("330300", "standards_new")
    assert list(pi["year"]) == [2021, 2022, 2023, 2024, 2025]
    assert list(pi["forecast"][:3]) == [55.0, 113.0, 175.0]
    assert pi["forecast"].iloc[-1] == pytest.approx(row(a, "standards_new")["forecast"])
    assert a.path("330300", "one_point").empty
    s = a.series("330300", "standards_new")
    assert list(s.columns) == ["year", "value", "status", "source", "cumulative"]
    assert s["cumulative"].iloc[-1] == 175.0 and np.isnan(s["cumulative"].iloc[0])
    with pytest.raises(QAnalysisError):
        a.series("330300", "nope")


def test_excel_has_chinese_headers_filter_and_frozen_row(a, tmp_path):
    out = a.to_excel(tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["地区代码", "地区", "指标代码"] and "达标概率" in headers
    assert ws.auto_filter.ref and ws.freeze_panes == "A2"
    assert ws.max_row == len(a.table) + 1
    notes = " ".join(str(c.value) for c in wb.worksheets[1]["A"])
    assert "示例数据" in notes
    en = openpyxl.load_workbook(a.to_excel(tmp_path / "b.xlsx", lang="en")).worksheets[0]
    assert [c.value for c in en[1]][:2] == ["region", "region_name"]


def test_write_assessment_csv(a, tmp_path):
    path = write_assessment(a, tmp_path)
    back = pd.read_csv(path, dtype={"region": str})
    assert list(back.columns) == list(a.table.columns) and len(back) == len(a.table)
    assert not list(tmp_path.glob(".*"))  # no temporary file left


@pytest.fixture
def fake_load(monkeypatch):
    calls = []

    def load(*args, data_files=None, **kw):
        calls.append(data_files)
        return ca.dataset()

    monkeypatch.setattr(qanalysis, "load", load)
    return calls


def test_cli_assess_csv(fake_load, capsys):
    assert cli.main(["assess", "--csv", "--region", "330300"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"region": str})
    for c in ["region", "indicator", "latest_year", "latest", "forecast_2025", "pi95_low", "pi95_high",
              "p_attain", "status"]:
        assert c in out.columns
    assert set(out["region"]) == {"330300"} and len(out) == len(ca.INDICATORS)
    assert cli.main(["assess", "--data", "x.csv", "--model", "loglinear"]) == 0
    assert fake_load[-1] == ["x.csv"]
    text = capsys.readouterr().out
    assert "forecast_2025" in text and "示例数据" in text


def test_cli_unknown_region_exits_non_zero(fake_load, capsys):
    assert cli.main(["assess", "--region", "123456"]) != 0
    err = capsys.readouterr().err
    assert "123456" in err and "Traceback" not in err


def test_cli_data_with_a_bad_file_is_refused_plainly(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("region,indicator,year,value\n330302,no_such,2021,1\n", encoding="utf-8")
    assert cli.main(["assess", "--data", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.csv" in err and "no_such" in err and "Traceback" not in err


def test_cli_xlsx(fake_load, tmp_path, capsys):
    out = tmp_path / "t.xlsx"
    # the monitoring table (the command's default date is today, after the plan period)
    assert cli.main(["assess", "--as-of", "2025-06-30", "--xlsx", str(out)]) == 0
    ws = openpyxl.load_workbook(out).worksheets[0]
    head = [c.value for c in ws[1]]
    got = {(str(r[0]), r[2]): dict(zip(head, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    want = assess(ca.dataset()).table
    assert len(got) == len(want) == ws.max_row - 1
    for _, w in want.iterrows():
        g = got[(w["region"], w["indicator"])]
        assert (g["达标概率"] is None) if pd.isna(w["p_attain"]) else g["达标概率"] == pytest.approx(w["p_attain"])
        assert (g["目标年预测值"] is None) if pd.isna(w["forecast"]) else g["目标年预测值"] == pytest.approx(w["forecast"])
        assert g["状态代码"] == w["status"] and g["状态"] == status_label(w["status"], "zh")


def test_real_dataset(dataset):
    """On the real plan data (the lead's ``dataset`` fixture): every indicator × region once."""
    a = assess(dataset)
    t = a.table
    assert len(t) == len(dataset.regions) * len(dataset.catalogue)
    assert not t.duplicated(["region", "indicator"]).any()
    assert set(t["status"]) <= set(STATUSES)
    unq = t["kind"] == "unquantified"
    assert (t.loc[unq & t["target"].isna(), "status"] == "no_target").all()
    assert re.match(r"^\d{6}$", t["region"].iloc[0])
    # every interval brackets its point and stays inside the bounds
    ok = t["pi95_low"].notna()
    assert (t.loc[ok, "pi95_low"] <= t.loc[ok, "forecast"] + 1e-9).all()
    assert (t.loc[ok, "forecast"] <= t.loc[ok, "pi95_high"] + 1e-9).all()
    hi = t["upper_bound"].notna() & ok & (t["kind"] == "level")
    assert (t.loc[hi, "pi95_high"] <= t.loc[hi, "upper_bound"]).all()
    # the published rows are flagged as such, and the illustrative ones say so
    assert t["has_illustrative"].any() and t["data_status"].isin(
        ["published", "provisional", "illustrative", "mixed", ""]).all()


def test_unquantified_uses_a_target_the_user_supplies():
    data = ca.dataset()
    tg = data.targets.copy()
    i = tg.index[(tg["region"] == "330300") & (tg["indicator"] == "good_air")][0]
    tg.loc[i, "target"] = 96.0
    tg.loc[i, "target_basis"] = "override"
    data.targets = tg
    r = assess(data).table.set_index(["region", "indicator"]).loc[("330300", "good_air")]
    ys = ca.CITY_SERIES["good_air"]
    x = np.array(list(ys), float) - 2000
    res = sm.OLS(np.array(list(ys.values())), sm.add_constant(x)).fit()
    pred = res.get_prediction(np.array([[1.0, 25.0]]))
    se = np.sqrt(pred.var_pred_mean[0] + res.scale)
    p = stats.t.sf((96.0 - 0.05 - pred.predicted_mean[0]) / se, res.df_resid)  # reported at one decimal
    assert r["target"] == 96.0 and r["p_attain"] == pytest.approx(p, rel=1e-9)
    # rule 5: the latest value (96.8, 2022) meets the user's 96 and P >= 0.5
    assert p >= 0.5 and r["status"] == "achieved"
    assert r["status_reason"].startswith("2022年最新值96.8%，已达到目标≥96%")  # ≥, not ">=" (issue 18 item 14)


def test_keep_at_target_that_slipped_is_moving_away():
    s = dict(ca.CITY_SERIES)
    s["drinking_water"] = {2020: 100.0, 2023: 98.0}
    r = assess(ca.dataset(s)).table.set_index(["region", "indicator"]).loc[("330300", "drinking_water")]
    assert r["progress_category"] == "moving_away" and r["status"] == "off_track"


def test_city_only_targets_say_why_a_county_has_none():
    """A count too small to share out: the county row says so, not 'no number in the plan'."""
    import qanalysis
    from qanalysis.analysis.assess import assess

    t = assess(qanalysis.load()).table
    rows = t[t["target_basis"] == "city_only"]
    assert len(rows) and (rows["status"] == "no_target").all()
    assert rows["status_reason"].str.contains("不分解").all()
