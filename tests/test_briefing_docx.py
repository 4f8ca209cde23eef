"""The Word report, opened with python-docx as Word would read it."""
from __future__ import annotations

import docx
import pytest
from docx.oxml.ns import qn

from qanalysis.briefing import text as tx
from qanalysis.briefing.docx_report import write_docx
from qanalysis.errors import QAnalysisError

CITY, COUNTY = "330300", "330326"
MARKS = (tx.MARK_ILLUSTRATIVE, tx.MARK_PROVISIONAL, tx.MARK_PRO_RATA)


@pytest.fixture(scope="module")
def assessment(shipped_assessment):
    return shipped_assessment


@pytest.fixture(scope="module")
def charts(briefing_charts):
    return briefing_charts


@pytest.fixture(scope="module")
def county_doc(assessment, charts, tmp_path_factory):
    path = write_docx(assessment, COUNTY, tmp_path_factory.mktemp("docx") / f"{COUNTY}.docx", charts)
    return docx.Document(str(path))


@pytest.fixture(scope="module")
def city_doc(assessment, charts, tmp_path_factory):
    path = write_docx(assessment, CITY, tmp_path_factory.mktemp("docx") / f"{CITY}.docx", charts)
    return docx.Document(str(path))


def _text(cell) -> str:
    return cell.text.strip()


def _indicator_table(doc):
    return next(t for t in doc.tables if _text(t.rows[0].cells[0]) == "序号" and "评价" in _text(t.rows[0].cells[-1])
                and "基期值" in t.rows[0].cells[3].text)


def _strip_marks(s: str) -> str:
    for m in MARKS:
        s = s.replace(m, "")
    return s


def test_table_has_one_row_per_indicator_with_baseline_target_verdict(assessment, county_doc):
    table = _indicator_table(county_doc)
    rows = assessment.table[assessment.table["region"] == COUNTY].reset_index(drop=True)
    header = [_text(c) for c in table.rows[0].cells]
    assert header[:5] == ["序号", "指标", "单位", "2020年\n基期值", "2025年\n目标值"]
    assert header[5:9] == ["2021年", "2022年", "2023年", "2024年"]
    assert header[-3:] == ["2025年预计\n（95%区间）", "达标\n概率", "评价"]
    body = [r for r in table.rows[1:] if _text(r.cells[0]).isdigit()]
    assert len(body) == len(rows) == 55
    by_name = {r["name_zh"]: r for _, r in rows.iterrows()}
    for k, r in enumerate(body, start=1):
        cells = [_text(c) for c in r.cells]
        assert cells[0] == str(k)
        row = by_name[cells[1]]
        assert cells[2] == row["unit"]
        assert _strip_marks(cells[3]) == tx.num(row["baseline"])
        expected_target = tx.target_text(row, unit=False) if tx.has_target(row) else None
        if expected_target:
            assert _strip_marks(cells[4]) == expected_target
        else:
            assert cells[4] in ("—", "不分解")
        # a city-wide count not shared out to the county has a number in the plan: 全市统筹
        expected_verdict = tx.verdict_text(row)  # 全市统筹; 已达标（有回落风险） with the flag (issue 18)
        assert cells[-1] == expected_verdict
        assert cells[-2] == tx.pct(row["p_attain"])
    city_wide = ((rows["status"] == "no_target") & (rows["target_basis"] == "city_only")).sum()
    assert city_wide > 0 and sum(_text(r.cells[-1]) == "全市统筹" for r in body) == city_wide
    # a known row, by hand: 制造业产品质量合格率 in 平阳县
    mfg = next(r for r in body if _text(r.cells[1]) == "制造业产品质量合格率")
    row = by_name["制造业产品质量合格率"]
    # the county's generated 2020 value is no baseline (issue 8), nor is the city's 95 (issue 18 item 4)
    assert _strip_marks(_text(mfg.cells[3])) == "—" and _text(mfg.cells[4]) == "≥96"
    assert _text(mfg.cells[-1]) == tx.verdict_text(row)


def test_table_groups_by_category_and_repeats_its_header(assessment, county_doc):
    table = _indicator_table(county_doc)
    cats = list(dict.fromkeys(assessment.table.loc[assessment.table["region"] == COUNTY, "category"]))
    group_rows = [_text(r.cells[0]) for r in table.rows[1:] if not _text(r.cells[0]).isdigit()]
    assert [g.split("、")[1].split("（")[0] for g in group_rows] == cats
    trpr = table.rows[0]._tr.trPr
    assert trpr is not None and trpr.find(qn("w:tblHeader")) is not None
    # every cell says something: no blank cell in the table
    for r in table.rows:
        for c in r.cells:
            assert _text(c), "empty table cell"


def test_illustrative_values_are_marked_in_the_cell(assessment, county_doc):
    table = _indicator_table(county_doc)
    obs = assessment.data.observations
    o = obs[(obs["region"] == COUNTY) & (obs["indicator"] == "mfg_product_pass_rate") & (obs["year"] == 2024)]
    assert o["status"].iloc[0] == "illustrative"
    mfg = next(r for r in table.rows if _text(r.cells[1]) == "制造业产品质量合格率")
    runs = mfg.cells[8].paragraphs[0].runs   # the 2024 column
    assert runs[-1].text == tx.MARK_ILLUSTRATIVE and runs[-1].font.superscript
    # and the legend for the mark is right under the table
    body = "\n".join(p.text for p in county_doc.paragraphs)
    assert f"带“{tx.MARK_ILLUSTRATIVE}”的数值为示例数据" in body


def _runs(doc):
    for p in doc.paragraphs:
        yield p, p.runs
    for t in doc.tables:
        for row in t.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    yield p, p.runs
    for s in doc.sections:
        for p in s.footer.paragraphs:
            yield p, p.runs


def test_every_run_carries_an_east_asian_font(county_doc, city_doc):
    for doc in (county_doc, city_doc):
        n = 0
        for p, runs in _runs(doc):
            for r in runs:
                if not r.text.strip():
                    continue
                rfonts = r._element.rPr.rFonts if r._element.rPr is not None else None
                assert rfonts is not None and rfonts.get(qn("w:eastAsia")), (p.text, r.text)
                n += 1
        assert n > 500
    heads = [p for p in county_doc.paragraphs if p.style.name == "Heading 1"]
    assert [h.text for h in heads][:3] == ["一、总体情况", "二、指标完成情况表", "三、需关注指标"]
    assert all(r._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体" for h in heads for r in h.runs)
    body = next(p for p in county_doc.paragraphs if p.text.startswith("对照"))
    assert body.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"


def _has_picture(paragraph) -> bool:
    return bool(paragraph._element.findall(".//" + qn("w:drawing")))


def test_each_attention_indicator_has_its_chart_after_its_heading(assessment, county_doc, city_doc):
    for region, doc in ((COUNTY, county_doc), (CITY, city_doc)):
        att = tx.attention(assessment.table[assessment.table["region"] == region])
        assert len(att) > 0
        paras = doc.paragraphs
        heads = [i for i, p in enumerate(paras) if p.style.name == "Heading 2"]
        assert len(heads) == len(att)
        for (_, row), i in zip(att.iterrows(), heads):
            assert row["name_zh"] in paras[i].text
            nxt = next((j for j in heads + [len(paras)] if j > i), len(paras))
            section = paras[i + 1:nxt]
            assert any(_has_picture(p) for p in section), row["name_zh"]
            assert any(p.text.startswith(("20", "暂无")) and "评价" in p.text for p in section)


def test_page_setup_numbers_and_title(assessment, county_doc):
    sec = county_doc.sections
    assert abs(sec[0].page_width.cm - 21.0) < 0.05 and abs(sec[0].page_height.cm - 29.7) < 0.05
    assert any(s.page_width > s.page_height for s in sec)   # the table's landscape pages
    footer_xml = sec[0].footer._element.xml
    assert "PAGE" in footer_xml and "fldChar" in footer_xml
    first = [p.text for p in county_doc.paragraphs[:4]]
    assert first[0] == assessment.data.plan.name_zh and first[1] == "平阳县指标监测报告"
    assert "数据截至2025年" in first[2] and "数据性质" in first[2]
    assert first[3].startswith("【示例数据】")
    texts = [p.text for p in county_doc.paragraphs]
    assert "四、与全市对比" in texts and "附：数据来源与方法说明" in texts


def test_city_report_compares_the_counties(assessment, charts, city_doc):
    texts = [p.text for p in city_doc.paragraphs]
    assert "四、各县（市、区）比较" in texts
    rk = tx.county_ranking(assessment)
    table = next(t for t in city_doc.tables if _text(t.rows[0].cells[0]) == "排名")
    names = [_text(r.cells[1]) for r in table.rows[1:]]
    assert names == list(rk["name"])
    start = texts.index("四、各县（市、区）比较")
    pics = [p for p in city_doc.paragraphs[start:] if _has_picture(p)]
    assert len(pics) == len(charts.heatmap_pages()) >= 2


def test_no_section_is_empty(county_doc, city_doc):
    """Between one 一、二、… heading and the next there is text beyond the heading itself."""
    for doc in (county_doc, city_doc):
        sections: list[list] = []
        for el in doc.element.body.iterchildren():
            style = el.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            if style is not None and style.get(qn("w:val")) in ("Heading1", "Heading 1"):
                sections.append([])
            elif sections:
                sections[-1].append("".join(t.text or "" for t in el.iter(qn("w:t"))))
        assert len(sections) == 5
        for body in sections:
            assert len("".join(body).strip()) > 40


def test_unknown_region_writes_nothing(assessment, tmp_path):
    target = tmp_path / "x.docx"
    with pytest.raises(QAnalysisError, match="999999"):
        write_docx(assessment, "999999", target)
    assert list(tmp_path.iterdir()) == []
