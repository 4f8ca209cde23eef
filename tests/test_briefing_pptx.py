"""The region deck, opened with python-pptx as PowerPoint would read it."""
from __future__ import annotations

import pytest
from pptx import Presentation
from pptx.oxml.ns import qn
from pptx.util import Inches

from qanalysis.briefing import text as tx
from qanalysis.briefing.pptx_deck import write_pptx

CITY, COUNTY = "330300", "330326"


@pytest.fixture(scope="module")
def assessment(shipped_assessment):
    return shipped_assessment


@pytest.fixture(scope="module")
def charts(briefing_charts):
    return briefing_charts


@pytest.fixture(scope="module")
def decks(assessment, charts, tmp_path_factory):
    out = tmp_path_factory.mktemp("pptx")
    return {r: Presentation(str(write_pptx(assessment, r, out / f"{r}.pptx", charts))) for r in (COUNTY, CITY)}


def _title(slide) -> str:
    """The slide's title: the first text box at the top of the slide."""
    boxes = [s for s in slide.shapes if s.has_text_frame and s.top < Inches(1.0) and s.text_frame.text.strip()
             and s.name != "illustrative_mark"]
    return boxes[0].text_frame.text if boxes else ""


def _pictures(slide):
    return [s for s in slide.shapes if s.shape_type == 13]


def _tables(slide):
    return [s.table for s in slide.shapes if s.has_table]


@pytest.mark.parametrize("region", [COUNTY, CITY])
def test_deck_has_the_slides_listed(assessment, charts, decks, region):
    prs = decks[region]
    assert prs.slide_width == Inches(13.333) and prs.slide_height == Inches(7.5)
    rows = assessment.table[assessment.table["region"] == region]
    slides = list(prs.slides)
    titles = [_title(s) for s in slides]
    name = tx.region_name(assessment, region)
    texts0 = " ".join(sh.text_frame.text for sh in slides[0].shapes if sh.has_text_frame)
    assert f"{name}指标监测" in texts0 and "数据截至2025年" in texts0
    assert titles[1] == f"总体情况：{name}"
    n_heat = len(charts.heatmap_pages())
    cats = list(dict.fromkeys(rows["category"]))
    # the seaborn heatmap, a category a page (short ones share a page), in plan order
    assert [c for t in titles[2:2 + n_heat] for c in t.split("｜")[-1].split("、")] == cats
    assert 2 <= n_heat < len(cats)
    assert all(t.startswith("各地各指标") for t in titles[2:2 + n_heat])
    cat_titles = [t for t in titles if t.endswith("指标") or "指标（" in t]
    assert [c for c in cats if any(t.startswith(c) for t in cat_titles)] == cats
    att = tx.attention(rows)
    status_titles = [t for t in titles if t.endswith(("：进度滞后", "：存在风险", "：未实现"))]
    assert [t.split("：")[0] for t in status_titles] == list(att["name_zh"])
    if region == CITY:
        assert any(t.startswith("“十三五”规划指标完成情况回顾") for t in titles)
        assert any(t.startswith("各县（市、区）比较") for t in titles)
    else:
        assert any(t.startswith("与全市对比") for t in titles)
    assert titles[-1] == "数据来源与方法说明"


def test_each_attention_slide_shows_its_trajectory_and_figures(assessment, decks):
    prs = decks[COUNTY]
    rows = assessment.table[assessment.table["region"] == COUNTY]
    att = tx.attention(rows)
    by_title = {_title(s): s for s in prs.slides}
    for _, r in att.iterrows():
        slide = by_title[f"{r['name_zh']}：{tx.SHORT_STATUS[r['status']]}"]
        pics = _pictures(slide)
        assert len(pics) == 1 and pics[0].name == f"chart: {r['name_zh']}"
        figures = {t.cell(i, 0).text: t.cell(i, 1).text for t in _tables(slide) for i in range(1, len(t.rows))}
        assert figures["2025年目标"] == tx.target_text(r)
        assert figures["达标概率"] == tx.pct(r["p_attain"])
        assert figures["评价"] == tx.SHORT_STATUS[r["status"]]


def test_overview_counts_are_a_native_table(assessment, decks):
    slide = list(decks[COUNTY].slides)[1]
    table = _tables(slide)[0]
    got = {table.cell(i, 0).text: int(table.cell(i, 1).text) for i in range(1, len(table.rows))}
    rows = assessment.table[assessment.table["region"] == COUNTY]
    counts = rows["status"].value_counts()
    assert got.pop("合计") == len(rows)
    assert got == {tx.SHORT_STATUS[s]: int(n) for s, n in counts.items()}


def test_city_ranking_slide_lists_the_counties_in_order(assessment, decks):
    slide = next(s for s in decks[CITY].slides if _title(s).startswith("各县（市、区）比较"))
    table = _tables(slide)[0]
    assert [table.cell(i, 1).text for i in range(1, len(table.rows))] == list(tx.county_ranking(assessment)["name"])


@pytest.mark.parametrize("region", [COUNTY, CITY])
def test_every_run_has_latin_and_east_asian_fonts(decks, region):
    n = 0
    for slide in decks[region].slides:
        for shape in slide.shapes:
            frames = [shape.text_frame] if shape.has_text_frame else []
            if shape.has_table:
                frames += [c.text_frame for row in shape.table.rows for c in row.cells]
            for tf in frames:
                for p in tf.paragraphs:
                    for r in p.runs:
                        if not r.text.strip():
                            continue
                        rpr = r._r.rPr
                        assert rpr.find(qn("a:latin")) is not None, r.text
                        assert rpr.find(qn("a:ea")).get("typeface"), r.text
                        n += 1
    assert n > 200


@pytest.mark.parametrize("region", [COUNTY, CITY])
def test_no_slide_is_empty_and_illustrative_is_said(charts, decks, region):
    for k, slide in enumerate(decks[region].slides):
        content = [s for s in slide.shapes if s.top > Inches(1.0) and s.top < Inches(7.0)
                   and (s.shape_type == 13 or s.has_table or (s.has_text_frame and s.text_frame.text.strip()))]
        assert content, f"slide {k + 1} has nothing under its title"
        marks = [s for s in slide.shapes if s.name == "illustrative_mark"]
        assert len(marks) == 1 or _title(slide).startswith("“十三五”"), f"slide {k + 1}"
    # the review of the previous plan rests on the plan's own published table: no mark
    if region == CITY:
        review = next(s for s in decks[CITY].slides if _title(s).startswith("“十三五”"))
        assert not [s for s in review.shapes if s.name == "illustrative_mark"]
        assert charts.review().illustrative is False


def test_charts_are_drawn_once_for_both_documents(assessment, charts, decks, tmp_path):
    """The decks drew every chart they show; the Word report of the same region draws nothing new."""
    from qanalysis.briefing.docx_report import write_docx

    before = dict(charts.drawn)
    assert before["trajectory"] >= sum(len(tx.attention(assessment.table[assessment.table["region"] == r]))
                                       for r in (COUNTY, CITY))
    assert before["heatmap"] == len(charts.heatmap_pages())   # shared by both decks, drawn once
    write_docx(assessment, COUNTY, tmp_path / "a.docx", charts)
    write_docx(assessment, CITY, tmp_path / "b.docx", charts)
    assert dict(charts.drawn) == before
