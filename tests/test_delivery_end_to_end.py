"""A delivered value, followed as a user would: file → prepare → prepare → load → assess → Excel → report.

One value comes from a long CSV, one from the Excel template written by `qanalysis template` and
filled with openpyxl. Both must reach the county report's HTML and notebook with their status
label, and the forecasts must be the ones their delivered points give.
"""
import json
import re
import subprocess
import sys
import warnings
from html import unescape

import docx
import nbformat
import numpy as np
import openpyxl
import pytest
import statsmodels.api as sm

import qanalysis
from qanalysis.analysis.assess import assess
from qanalysis.briefing.text import num

pytestmark = pytest.mark.slow  # a delivery through a real report batch: left out of `make check`

REGION = "330302"
CSV_IND, CSV_YEARS = "mfg_product_pass_rate", [2017, 2018, 2020, 2021, 2022, 2023]
CSV_VALUES = [92.35, 92.8, 93.55, 94.1, 94.45, 95.05]
XLS_IND, XLS_CELLS = "new_product_output_rate", {2021: 39.25, 2022: 40.15, 2023: 41.35}


def qa(*args, timeout=900):
    res = subprocess.run([sys.executable, "-m", "qanalysis", *args], capture_output=True, text=True,
                         timeout=timeout)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def fill_template(path):
    """Fill the template's cells for XLS_IND in REGION's sheet, as an analyst would in Excel."""
    wb = openpyxl.load_workbook(path)
    ws = next(s for s in wb.worksheets if s.title.startswith(REGION))
    header_row = next(r for r in ws.iter_rows() if any(c.value == "指标代码" for c in r))
    cols = {str(c.value): c.column for c in header_row if c.value is not None}
    row = next(c.row for (c,) in ws.iter_rows(min_col=cols["指标代码"], max_col=cols["指标代码"])
               if c.value == XLS_IND)
    for year, v in XLS_CELLS.items():
        ws.cell(row=row, column=cols[str(year)], value=v)
    wb.save(path)


def ols_2025(years, values):
    res = sm.OLS(np.asarray(values, float), sm.add_constant(np.asarray(years, float))).fit()
    return res.get_prediction(np.array([[1.0, 2025.0]])).summary_frame(alpha=0.05).iloc[0]


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_delivered_values_reach_every_output(data_root, tmp_path):
    before = assess(qanalysis.load()).table.set_index(["region", "indicator"])

    # a long CSV, and the template filled in Excel (openpyxl standing in for the analyst)
    csv = tmp_path / "鹿城区2024报送.csv"
    csv.write_text("地区,指标,年份,数值,数据状态,来源\n" + "".join(
        f"鹿城区,制造业产品质量合格率,{y},{v},初步,区市场监管局快报\n" for y, v in zip(CSV_YEARS, CSV_VALUES)),
        encoding="utf-8")
    xlsx = tmp_path / "template.xlsx"
    qa("template", str(xlsx), "--region", REGION)
    fill_template(xlsx)

    out = qa("prepare", "--data", str(csv), str(xlsx)).stdout
    assert "kept delivery 001" in out and "kept delivery 002" in out
    qa("prepare")                                           # the plain one `make reports` runs

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = qanalysis.load()
    o = data.observations
    s = o[(o["region"] == REGION) & (o["indicator"] == CSV_IND)].sort_values("year")
    assert s["year"].tolist() == CSV_YEARS and s["value"].tolist() == CSV_VALUES
    assert set(s["status"]) == {"provisional"} and set(s["delivery"]) == {"001"}
    x = o[(o["region"] == REGION) & (o["indicator"] == XLS_IND)].sort_values("year")
    assert dict(zip(x["year"], x["value"])) == XLS_CELLS and set(x["delivery"]) == {"002"}

    table = assess(data).table.set_index(["region", "indicator"])
    for ind, years, values, file in ((CSV_IND, CSV_YEARS, CSV_VALUES, csv.name),
                                     (XLS_IND, list(XLS_CELLS), list(XLS_CELLS.values()), xlsx.name)):
        r = table.loc[(REGION, ind)]
        f = ols_2025(years, values)
        assert r["n_points"] == len(years)
        assert r["forecast"] == pytest.approx(f["mean"], rel=1e-9)
        assert r["pi95_low"] == pytest.approx(f["obs_ci_lower"], rel=1e-9)
        assert r["forecast"] != pytest.approx(before.loc[(REGION, ind), "forecast"])   # it changed
        assert r["data_basis"] == "delivered" and file in r["data_source"]
        assert r["data_status"] == "provisional" and "未正式发布" in r["data_source"]

    # the county report, as `qanalysis reports` makes it
    reports = tmp_path / "reports"
    # as of a day within the plan period: the monitoring report, with its forecasts (docs/evaluation.md)
    qa("reports", "--region", REGION, "--out", str(reports), "--jobs", "1", "--no-progress",
       "--as-of", "2025-06-30")
    html = (reports / REGION / f"{REGION}.html").read_text(encoding="utf-8")
    page = text_of(html)
    for ind, v, name in ((CSV_IND, CSV_VALUES[-1], "制造业产品质量合格率"),
                         (XLS_IND, XLS_CELLS[2023], "规模以上工业新产品产值率")):
        row = " " + next(text_of("<tr" + tr) for tr in html.split("<tr")[1:]
                         if f'data-indicator="{ind}"' in tr.split(">", 1)[0]) + " "
        assert f" {name} " in row
        assert f" {num(v)} †" in row, row                        # the delivered latest value, marked provisional
        assert f" {num(table.loc[(REGION, ind), 'forecast'], 1)} " in row   # and its forecast
        assert "*" not in row                                    # no illustrative value in the series
    assert "“†”为初步数据（未正式发布）" in page
    assert f"报送数据 001：文件 {csv.name}" in page and f"报送数据 002：文件 {xlsx.name}" in page
    assert f"制造业产品质量合格率——报送数据（初步数，未正式发布），文件 001 {csv.name}" in page
    assert "初步数据（未正式发布）来源：区市场监管局快报" in page
    assert "公开发布数据，来源 区市场监管局快报" not in page and "Warning" not in page
    # the Word report of the same batch, read back with python-docx
    doc = "\n".join(p.text for p in docx.Document(str(reports / REGION / f"{REGION}.docx")).paragraphs)
    assert f"报送数据 001：文件 {csv.name}" in doc and "初步数据（未正式发布）来源：区市场监管局快报" in doc
    nb = nbformat.read(reports / REGION / f"{REGION}.ipynb", as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)
    assert "95.05" in outputs and "41.35" in outputs and "报送数据" in outputs
    assert '"name": "stderr"' not in outputs                              # no Python warning printed
    manifest = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    assert [d["name"] for d in manifest["data"]["deliveries"]] == [csv.name, xlsx.name]
    assert manifest["data"]["series_basis"][REGION][CSV_IND].startswith("delivered (provisional): 001")

    # the Excel summary the batch wrote
    wb = openpyxl.load_workbook(reports / "summary.xlsx", read_only=True)
    rows = list(wb["评估结果"].iter_rows(values_only=True))
    head = rows[0]
    hit = next(r for r in rows if r[head.index("地区代码")] == REGION and r[head.index("指标代码")] == CSV_IND)
    assert hit[head.index("最新值")] == 95.05 and hit[head.index("数据依据")] == "报送数据"
    assert hit[head.index("数据性质")] == "初步数据（未正式发布）" and csv.name in hit[head.index("数据来源")]
    notes = [r[0] for r in wb["说明"].iter_rows(values_only=True)]
    assert any(str(n).startswith(f"报送数据 001：文件 {csv.name}") for n in notes)
