"""Issue 18, done-when: one region's real reports read the same as the assessment table.

``qanalysis reports --region 330302`` (Word, deck, HTML) and ``qanalysis assess --xlsx``
(Excel), each read back by the library that reads it: for the indicators the deck
details (需关注) and a few more, the base value, latest value, target, status, P(attain)
and model are the table's in every format.
"""
from __future__ import annotations

import html as htmllib
import re

import docx
import numpy as np
import openpyxl
import pptx
import pytest

import qanalysis
from qanalysis import cli
from qanalysis.analysis.assess import assess
from qanalysis.briefing import text as btx
from qanalysis.vocab import MODEL, format_number

pytestmark = pytest.mark.slow  # a real report batch: left out of `make check`

REGION = "330302"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    # the monitoring reports (P, intervals, models): as of mid-2025; as of today they are evaluations
    assert cli.main(["reports", "--region", REGION, "--out", str(out), "--jobs", "1", "--no-progress",
                     "--no-summary", "--as-of", "2025-06-30"]) == 0
    xlsx = out / "assessment.xlsx"
    assert cli.main(["assess", "--region", REGION, "--as-of", "2025-06-30", "--xlsx", str(xlsx)]) == 0
    # the same date: as of 2025-06-30 only the years before 2025 count (issue 30)
    table = assess(qanalysis.load(), regions=[REGION], as_of="2025-06-30").table
    return out / REGION, xlsx, table[table["region"] == REGION].set_index("name_zh")


def _expected(r) -> dict:
    """What every format must say for the table row ``r``."""
    return {
        "base": "—" if not np.isfinite(r["baseline"]) else format_number(r["baseline"]),
        "target": btx.target_text(r, unit=False),
        "p": btx.pct(r["p_attain"]),
        "status": btx.verdict_text(r),
        "latest": format_number(r["latest"]),
    }


def _docx_rows(path) -> dict:
    t = docx.Document(str(path)).tables[0]
    head = [c.text.replace("\n", "") for c in t.rows[0].cells]
    return {cells[1]: dict(zip(head, cells)) for cells in ([c.text for c in r.cells] for r in t.rows[1:])}


def _html_rows(path) -> dict:
    s = path.read_text(encoding="utf-8")
    rows, head = {}, None
    for m in re.finditer(r"<tr[^>]*>(.*?)</tr>", s, re.S):
        cells = [htmllib.unescape(re.sub("<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", m.group(1), re.S)]
        if cells[:2] == ["序号", "指标"]:
            head = cells
        elif head and len(cells) == len(head) and cells[0].isdigit():
            rows.setdefault(cells[1], dict(zip(head, cells)))
    return rows


def _deck_cards(path) -> dict:
    """需关注 slides: {indicator name: ({项目: 数值}, the slide's sentence)}."""
    out = {}
    for s in pptx.Presentation(str(path)).slides:
        texts = [sh.text_frame.text for sh in s.shapes if sh.has_text_frame]
        tables = [sh.table for sh in s.shapes if sh.has_table]
        if not tables or [c.text for c in tables[0].rows[0].cells] != ["项目", "数值"]:
            continue
        name = texts[0].rsplit("：", 1)[0]
        card = {r.cells[0].text: r.cells[1].text for r in tables[0].rows}
        out[name] = (card, next((t for t in texts if "评价：" in t), ""))
    return out


def _plain(v: str) -> str:
    return v.replace("*", "").replace("△", "").strip()  # the marks of illustrative values and derived targets


def test_the_formats_read_the_same_as_the_table(outputs):
    folder, xlsx, table = outputs
    word = _docx_rows(folder / f"{REGION}.docx")
    page = _html_rows(folder / f"{REGION}.html")
    deck = _deck_cards(folder / f"{REGION}.pptx")
    ws = openpyxl.load_workbook(xlsx).active
    rows = list(ws.iter_rows(values_only=True))
    excel = {r[rows[0].index("指标名称")]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert len(deck) >= 3
    names = list(deck)[:4] + [n for n in ("城市 PM2.5 平均浓度", "制造业产品质量合格率") if n not in deck]
    for name in names:
        r = table.loc[name]
        e = _expected(r)
        ly = f"{int(r['latest_year'])}年"
        for fmt, row in (("docx", word[name]), ("html", page[name])):
            base_col = next(k for k in row if k.endswith("基期值"))
            target_col = next(k for k in row if k.endswith("目标值"))
            got = {"base": _plain(row[base_col]), "target": _plain(row[target_col]), "p": row["达标概率"],
                   "status": row["评价"]}
            if r["kind"] != "increment":
                got["latest"] = _plain(row[ly])
            assert got == {k: v for k, v in e.items() if k in got}, (fmt, name)
        # Excel: the table's numbers and the model the row used, by its label
        x = excel[name]
        assert x["状态"] == r["status_zh"] and x["预测模型"] == MODEL["zh"].get(r["model"], r["model"])
        assert (x["达标概率"] is None) == (not np.isfinite(r["p_attain"]))
        if np.isfinite(r["p_attain"]):
            assert x["达标概率"] == pytest.approx(r["p_attain"])
        assert (x["基期值"] is None) == (not np.isfinite(r["baseline"]))
        if name in deck:
            card, sentence = deck[name]
            assert card["基期值"] == e["base"] and card["达标概率"] == e["p"] and card["评价"] == e["status"]
            assert card["2025年目标"].startswith(e["target"])
            if r["kind"] != "increment":
                assert _plain(card[ly]).startswith(e["latest"])
            if r["model"] == "poisson" and np.isfinite(r["p_attain"]):
                assert "泊松" in sentence  # the model each row used, not "线性趋势" for every row
