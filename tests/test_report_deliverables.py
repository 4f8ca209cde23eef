"""A real report batch for one county and the city, and every deliverable it writes, opened.

One ``run_reports`` call (the county report notebook, warm workers) writes
``<code>.ipynb``, ``.html``, ``.docx``, ``.pptx`` per region, ``summary.xlsx`` and
``manifest.json``. The tests open the Word reports with python-docx, the decks
with python-pptx, the HTML with a parser and in headless Chromium (Debian's
``chromium`` + ``chromium-driver``, skipped with a one-line reason when absent),
and check them against the assessment the test computes itself. The builders'
own details are part 1's tests (test_briefing_*); these cover the batch that
writes them.
"""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

import qanalysis
from qanalysis.analysis.assess import assess
from qanalysis.briefing import text as tx
from qanalysis.briefing.influence import influence_sentences
from qanalysis.charts import plots
from qanalysis.reports import batch

COUNTY, CITY = "330326", "330300"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
QN = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ANY_NETWORK = re.compile(r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*|url\(\s*["']?|@import\s+["']?)"""
                         r"""(?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    s = batch.run_reports(regions=[COUNTY, CITY], jobs=2, out_dir=out, progress=False, timeout=900)
    assert s.exit_code == 0, {c: r.get("error") for c, r in s.results.items()}
    return out, s


@pytest.fixture(scope="module")
def assessment():
    return assess(qanalysis.load())


def _by_category(rows):
    """The table's order: the plan's categories in turn, each in plan order."""
    cats = list(dict.fromkeys(rows["category"].astype(str)))
    return rows.assign(_c=rows["category"].astype(str).map(cats.index)).sort_values("_c", kind="stable")


def _html(out: Path, code: str) -> str:
    return (out / code / f"{code}.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the folder

@pytest.mark.slow
def test_default_deliverables_and_no_chart_files(run):
    out, s = run
    for code in (COUNTY, CITY):
        files = sorted(p.name for p in (out / code).iterdir())
        assert files == sorted(f"{code}.{ext}" for ext in ("docx", "html", "ipynb", "pptx"))
        assert s.results[code]["outputs"] == files
        assert all((out / code / f).stat().st_size > 10_000 for f in files)
    assert (out / "summary.xlsx").is_file() and (out / "manifest.json").is_file()
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(m["regions"]) == {COUNTY, CITY} and m["summary_xlsx"]["status"] == "ok"


@pytest.mark.slow
def test_each_chart_drawn_once_in_a_report(run, assessment):
    """The kernel's own count: one render per chart, the heatmap pages and 表1 shared in the kernel."""
    out, _ = run
    # the heatmap pages the city's page shows (section 四); every report's deck shows the same pages
    section = _html(out, CITY).split("<h2>四、各县（市、区）比较</h2>")[1].split("</section>")[0]
    pages = section.count('<figure class="qa-figure"')
    assert pages >= 2
    heats = []
    for code in (COUNTY, CITY):
        nb = json.loads((out / code / f"{code}.ipynb").read_text(encoding="utf-8"))
        (result,) = [o for o in nb["cells"][-1]["outputs"] if o["output_type"] == "execute_result"]
        timing = ast.literal_eval("".join(result["data"]["text/plain"]))
        rows = tx.region_rows(assessment, code)
        singles = [g for _, g in rows.groupby("category") if len(g) == 1]
        wanted = set(tx.attention(rows)["indicator"]) | {str(g["indicator"].iloc[0]) for g in singles}
        assert timing["charts_drawn"]["trajectory"] == len(wanted)  # asked for by page, Word and PPT
        heat = timing["charts_drawn"].get("heatmap", 0)  # 0: drawn by an earlier report of the kernel
        assert heat in (0, pages), (code, heat, pages)
        heats.append(heat)
        assert "svg" not in json.dumps(timing) and "chart_files" not in timing
    assert pages in heats  # drawn once by some report (not zero times everywhere)


# ---------------------------------------------------------------- Word and PowerPoint

def _runs(doc):
    for p in doc.paragraphs:
        yield from p.runs
    for t in doc.tables:
        for row in t.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    yield from p.runs


@pytest.mark.slow
@pytest.mark.parametrize("code", [COUNTY, CITY])
def test_word_report_written_by_the_batch_is_complete(run, assessment, code):
    from docx import Document

    out, _ = run
    doc = Document(str(out / code / f"{code}.docx"))
    texts = [p.text for p in doc.paragraphs]
    rows = tx.region_rows(assessment, code)
    assert texts[1] == f"{tx.region_name(assessment, code)}指标监测报告"
    for head in ("一、总体情况", "二、指标完成情况表", "三、需关注指标", "附：数据来源与方法说明"):
        assert head in texts
    assert ("四、各县（市、区）比较" if code == CITY else "四、与全市对比") in texts
    # the indicator table: one row an indicator, in order, with its baseline, target and verdict
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "序号")
    body = [r for r in table.rows[1:] if r.cells[0].text.isdigit()]
    assert [r.cells[1].text for r in body] == list(_by_category(rows)["name_zh"])
    for r, (_, a) in zip(body, _by_category(rows).iterrows()):
        assert r.cells[3].text.rstrip("*†") == tx.num(a["baseline"])
        assert r.cells[-1].text == tx.verdict_text(a)
        if a["status"] == "no_target" and a["target_basis"] == "city_only":
            assert r.cells[-1].text == "全市统筹"
        if tx.has_target(a):
            assert r.cells[4].text.rstrip("△") == tx.target_text(a, unit=False)
    # every indicator needing attention: its heading, then its chart
    att = list(tx.attention(rows)["name_zh"])
    heads = [i for i, t in enumerate(texts) if re.match(r"（[一二三四五六七八九十]+）", t)]
    assert [texts[i].split("）", 1)[1].rsplit("【", 1)[0] for i in heads] == att
    paras = doc.paragraphs
    for i in heads:
        assert any(p._p.xpath(".//pic:pic") for p in paras[i + 1:i + 4])
    # East-Asian fonts on every run that carries text
    for run_ in _runs(doc):
        if run_.text.strip():
            fonts = run_._r.find(f"{QN}rPr/{QN}rFonts")
            assert fonts is not None and fonts.get(f"{QN}eastAsia"), run_.text
    # issue 14: the one-year influence sentence, exactly where detail() finds one
    for name, sentence in influence_sentences(assessment, code):
        assert f"{name}：{sentence}" in texts
    if not influence_sentences(assessment, code):
        assert "单个年份影响较大的需关注指标：" not in texts


@pytest.mark.slow
@pytest.mark.parametrize("code", [COUNTY, CITY])
def test_deck_written_by_the_batch_is_complete(run, assessment, code):
    from pptx import Presentation

    out, _ = run
    prs = Presentation(str(out / code / f"{code}.pptx"))
    rows = tx.region_rows(assessment, code)
    slides = list(prs.slides)
    titles = [next((sh.text_frame.text for sh in s.shapes if sh.has_text_frame and sh.text_frame.text), "")
              for s in slides]
    cats = list(dict.fromkeys(rows["category"].astype(str)))
    heat = [t for t in titles if t.startswith("各地各指标")]
    assert [c for t in heat for c in t.split("｜")[-1].split("、")] == cats  # every category, in order
    att = list(tx.attention(rows)["name_zh"])
    assert [t.split("：")[0] for t in titles if t.endswith(("：进度滞后", "：存在风险", "：未实现"))] == att
    pictures = [sh for s in slides for sh in s.shapes if sh.shape_type == 13]
    assert len(pictures) >= len(heat) + len(att) and all(len(p.image.blob) > 5_000 for p in pictures)
    if code == CITY:
        assert any(t.startswith("各县（市、区）比较") for t in titles)
    for s in slides:  # nothing empty: every slide says something
        assert any(sh.has_text_frame and sh.text_frame.text.strip() for sh in s.shapes)


# ---------------------------------------------------------------- HTML

class _Page(HTMLParser):
    """h1/h2/h3 texts, the indicator table's rows, the appendix pages' indicators, images."""

    def __init__(self):
        super().__init__()
        self.heads: list[tuple[str, str]] = []
        self.table_rows: list[str] = []
        self.attention: list[str] = []
        self.appendix: list[str] = []
        self.images: list[str] = []
        self._head = None
        self._in_table = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("h1", "h2", "h3"):
            self._head = [tag, ""]
        if tag == "table":
            self._in_table = "qa-indicators" in (a.get("class") or "")
        if tag == "tr" and self._in_table and a.get("data-indicator"):
            self.table_rows.append(a["data-indicator"])
        if tag == "article" and "qa-attention" in (a.get("class") or ""):
            self.attention.append(a["data-indicator"])
        if tag == "div" and "qa-appendix-page" in (a.get("class") or ""):
            self.appendix += a["data-indicators"].split()
        if tag == "img":
            self.images.append(a.get("src", ""))

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        if self._head and tag == self._head[0]:
            self.heads.append(tuple(self._head))
            self._head = None

    def handle_data(self, data):
        if self._head:
            self._head[1] += data


@pytest.mark.slow
@pytest.mark.parametrize("code", [COUNTY, CITY])
def test_html_reads_like_the_word_report(run, assessment, code):
    out, _ = run
    page = _Page()
    page.feed(_html(out, code))
    rows = tx.region_rows(assessment, code)
    h2 = [t for tag, t in page.heads if tag == "h2"]
    assert h2 == ["一、总体情况", "二、指标完成情况表", "三、需关注指标",
                  "四、各县（市、区）比较" if code == CITY else "四、与全市对比",
                  "附一：各指标走势与预测", "附二：数据来源与方法说明"]
    assert [t for tag, t in page.heads if tag == "h1"] == [f"{tx.region_name(assessment, code)}指标监测报告"]
    assert page.table_rows == list(_by_category(rows)["indicator"])  # one row an indicator
    assert page.attention == list(tx.attention(rows)["indicator"])  # sentence + chart each
    assert set(plots.quantified_indicators(assessment, code)) <= set(page.appendix)
    assert sorted(page.appendix) == sorted(rows["indicator"])       # every indicator once
    assert page.images and all(src.startswith("data:image/png;base64,") for src in page.images)
    html = _html(out, code)
    assert "数据截至2025年" in html and "【示例数据】" in html
    for para in tx.overview_paragraphs(assessment, code, with_note=False):
        assert para in unescape(html)
    # full-width punctuation in the Chinese prose of the page (charts' text is in the images)
    visible = re.sub(r"<(style|script)[^>]*>.*?</\1>|<[^>]+>", " ", html, flags=re.S)
    assert not re.search(r"[\u4e00-\u9fff][,;:()]|[,;:(][\u4e00-\u9fff]", visible)


@pytest.mark.slow
@pytest.mark.parametrize("code", [COUNTY, CITY])
def test_html_points_to_no_network_address(run, code):
    out, _ = run
    html = _html(out, code)
    assert not ANY_NETWORK.findall(html)
    assert "<script" not in html.lower() and "mathjax" not in html.lower() and "require.js" not in html
    assert "@font-face" in html and "qanalysis-cjk" in html   # the embedded CJK subset stays


@pytest.mark.slow
def test_html_opens_offline_in_a_browser(browser_available, run, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    out, _ = run
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    try:
        driver.get("about:blank")
        for code in (COUNTY, CITY):
            driver.get_log("performance")  # drop the browser's own start-up requests
            driver.get((out / code / f"{code}.html").as_uri())
            assert driver.execute_script("return document.readyState") == "complete"
            n_img = driver.execute_script(
                "return [...document.images].filter(i => i.complete && i.naturalWidth > 0).length")
            assert n_img == driver.execute_script("return document.images.length") > 0
            urls = []
            for entry in driver.get_log("performance"):
                msg = json.loads(entry["message"])["message"]
                if msg["method"] == "Network.requestWillBeSent":
                    urls.append(msg["params"]["request"]["url"])
            assert urls and all(u.startswith(("file:", "data:")) for u in urls), \
                [u[:80] for u in urls if not u.startswith(("file:", "data:"))]
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert not errors, errors
            # the report's heading is larger than any chart title shown under it
            h1 = driver.execute_script("return parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
            widest = driver.execute_script(
                "return Math.max(...[...document.querySelectorAll('.qa-attention img')].map(i => i.width), 0)")
            assert h1 >= 28 and widest <= 700  # a trajectory at 680 px: its title ≈ 22 px
    finally:
        driver.quit()


def test_a_warm_kernel_shares_the_region_independent_charts(assessment):
    """Two reports in one kernel: the heatmap pages drawn for the first are the second's; trajectories are not shared."""
    from qanalysis.reports import notebook

    first, second = notebook.chart_provider(assessment), notebook.chart_provider(assessment)
    pages = first.heatmap_pages()
    assert [p.png for p in second.heatmap_pages()] == [p.png for p in pages]
    assert first.drawn["heatmap"] == len(pages) and second.drawn["heatmap"] == 0
    ind = plots.quantified_indicators(assessment, COUNTY)[0]
    assert first.trajectory(COUNTY, ind) is first.trajectory(COUNTY, ind)
    second.trajectory(COUNTY, ind)
    assert first.drawn["trajectory"] == second.drawn["trajectory"] == 1
