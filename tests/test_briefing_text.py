"""The briefing prose says what the assessment table says, in full-width Chinese punctuation."""
from __future__ import annotations

import re

import pytest

from qanalysis.briefing import text as tx
from qanalysis.briefing.docx_report import chinese_count

CITY, COUNTY = "330300", "330326"
HALF_WIDTH = re.compile(r"[,;:()]")  # in Chinese prose these are written ，；：（）


@pytest.fixture(scope="module")
def assessment(shipped_assessment):
    return shipped_assessment


def _rows(a, region):
    t = a.table
    return t[t["region"] == region]


@pytest.mark.parametrize("region", [CITY, COUNTY])
def test_overview_counts_match_the_table(assessment, region):
    rows = _rows(assessment, region)
    first = tx.overview_paragraphs(assessment, region)[0]
    wide = (rows["status"] == "no_target") & (rows["target_basis"] == "city_only")  # issue 18: 全市统筹 apart
    counts = rows["status"].where(~wide, "city_wide").value_counts()
    for code, label in {**tx.SHORT_STATUS, "city_wide": "全市统筹"}.items():
        n = int(counts.get(code, 0))
        if n:
            assert f"{label}{n}项" in first
        else:
            assert label + "0项" not in first and label not in first.split("评估结果：")[1].split("。")[0]
    assert f"{len(rows)}项监测指标" in first
    assessed = rows[rows["status"].isin(tx.ASSESSED)]
    share = assessed["status"].isin(tx.GOOD).mean()
    assert f"占{share:.0%}" in first


def test_overview_names_the_worst_risks_and_best_gains(assessment):
    rows = _rows(assessment, COUNTY)
    paras = tx.overview_paragraphs(assessment, COUNTY)
    risks = next(p for p in paras if p.startswith("需重点关注"))
    off = rows[rows["status"] == "off_track"]
    # the demo fills 2025 since issue 30: without an off-track row the first named is a missed target
    lowest = (off.loc[off["p_attain"] == off["p_attain"].min(), "name_zh"] if len(off)
              else rows.loc[rows["status"] == "missed", "name_zh"])
    first_named = risks.split("主要是：")[1]
    assert any(first_named.startswith(str(n)) for n in lowest)   # the least likely first
    n_att = int(rows["status"].isin(["off_track", "at_risk", "missed"]).sum())
    assert f"需重点关注的指标有{n_att}项" in risks
    gains = next(p for p in paras if p.startswith("进展较好"))
    named = [n for n in rows.loc[rows["status"].isin(["achieved", "met"]), "name_zh"] if n in gains]
    assert len(named) == 3


def test_overview_says_illustrative_exactly_when_it_is(assessment):
    paras = tx.overview_paragraphs(assessment, COUNTY)
    assert any("示例数据" in p for p in paras)
    assert not any("示例数据" in p for p in tx.overview_paragraphs(assessment, COUNTY, with_note=False))
    rows = _rows(assessment, COUNTY).copy()
    rows["has_illustrative"] = False
    assert tx.illustrative_note(rows) == ""


@pytest.mark.parametrize("region", [CITY, COUNTY])
def test_prose_uses_full_width_punctuation(assessment, region):
    rows = _rows(assessment, region)
    prose = tx.overview_paragraphs(assessment, region) + [tx.headline(assessment, region)]
    prose += [tx.indicator_sentence(assessment, r) for _, r in tx.attention(rows).iterrows()]
    prose += [tx.ranking_paragraph(assessment) if region == CITY else tx.versus_city_paragraph(assessment, region)]
    for p in prose:
        assert not HALF_WIDTH.search(p), p


def test_indicator_sentence_carries_forecast_interval_and_probability(assessment):
    rows = _rows(assessment, COUNTY)
    row = rows[rows["indicator"] == "mfg_product_pass_rate"].iloc[0]
    s = tx.indicator_sentence(assessment, row)
    assert f"{int(row['latest_year'])}年为{tx.num(row['latest'])}%" in s
    assert f"预计{tx.num(row['forecast'], 1)}%" in s
    assert f"{tx.num(row['pi95_low'], 1)}～{tx.num(row['pi95_high'], 1)}" in s
    assert f"达标概率{tx.pct(row['p_attain'])}" in s
    verdict = {"off_track": "进度滞后，按现有趋势难以按期达标", "at_risk": "存在不能按期达标的风险",
               "missed": "目标年未达到目标"}.get(row["status"], tx.SHORT_STATUS.get(row["status"]))
    assert s.endswith(f"。评价：{verdict}。"), (row["status"], s)


def test_attention_is_worst_first(assessment):
    att = tx.attention(_rows(assessment, CITY))
    order = {"missed": 0, "off_track": 1, "at_risk": 2}
    keys = [(order[s], p) for s, p in zip(att["status"], att["p_attain"].fillna(-1))]
    assert keys == sorted(keys)
    assert set(att["status"]) <= set(order)


def test_county_ranking_agrees_with_the_table(assessment):
    rk = tx.county_ranking(assessment)
    t = assessment.table
    assert len(rk) == t["region"].nunique() - 1 and CITY not in set(rk["region"])
    assert list(rk["good_share"]) == sorted(rk["good_share"], reverse=True)
    for _, r in rk.iterrows():
        rows = t[t["region"] == r["region"]]
        assert r["achieved"] + r["on_track"] + r["at_risk"] + r["off_track"] + r["other"] == len(rows)
        assert r["achieved"] == rows["status"].isin(["achieved", "met"]).sum()
        assessed = rows[rows["status"].isin(tx.ASSESSED)]
        assert r["good_share"] == pytest.approx(assessed["status"].isin(tx.GOOD).mean())


def test_versus_city_lists_only_differing_verdicts(assessment):
    vs = tx.versus_city(assessment, COUNTY)
    t = assessment.table.set_index(["region", "indicator"])
    assert len(vs)
    for _, r in vs.iterrows():
        assert t.loc[(COUNTY, r["indicator"]), "status"] == r["status"]
        assert t.loc[(CITY, r["indicator"]), "status"] == r["city_status"]
        assert r["status"] != r["city_status"]
    assert list(vs["better"]) == sorted(vs["better"])  # the region's worse verdicts first


def test_numbers_as_a_reader_writes_them():
    assert tx.num(92.90) == "92.9" and tx.num(1234.4) == "1,234" and tx.num(float("nan")) == "—"
    assert tx.pct(0.004) == "<1%" and tx.pct(0.996) == ">99%" and tx.pct(0) == "0%" and tx.pct(1) == "100%"
    assert [chinese_count(n) for n in (1, 10, 11, 20, 29)] == ["一", "十", "十一", "二十", "二十九"]


def test_unknown_region_is_a_plain_error(assessment):
    from qanalysis.errors import QAnalysisError

    with pytest.raises(QAnalysisError, match="999999"):
        tx.overview_paragraphs(assessment, "999999")
