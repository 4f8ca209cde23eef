"""A new plan from its own target sentences, as a newcomer would build it (issue 19).

`plan init` → `plan import` (sentences) → `plan check` → a delivered CSV → `prepare` → `assess` →
one report → a template → the explorer: nothing of the shipped Wenzhou plan may show.
"""
import csv
import re
import subprocess
import sys
from html import unescape

import docx
import numpy as np
import openpyxl
import pptx
import pytest

from qanalysis.cli import main
from qanalysis.plan import sentences
from qanalysis.plan.authoring import check_plan, import_targets, init_plan, stable_id

PLAN = "qinghe-2024-2028"
REGIONS = ["619900 青禾市", "619901 东岭区", "619902 西溪区", "619903 南屏县", "619904 北望县",
           "619905 云台县", "619906 石门县", "619907 桂川县", "619908 柳湾县", "619909 松岗市"]
SENTENCES = """# 青禾市质量提升行动规划（2024—2028年）主要目标
一、产品质量
制造业产品质量合格率达93.5%以上
食品安全抽检合格率达100%
制造业质量竞争力指数达87以上
二、质量基础
到2026年，累计建成质量基础设施一站式服务平台12个以上
到2028年，累计建成质量基础设施一站式服务平台24个以上
新增省级以上质量标杆企业45家
三、环境质量
PM2.5平均浓度控制在29微克/立方米以下
检验检测服务能力不断提高
这一行没有目标
"""
# nothing of the shipped plan: its city, a county, its codes, its period, its target year
WENZHOU = ("温州", "鹿城", "330302", "330300", "十四五", "2025年", "质量强市", "数控", "商标", "60 万件")


@pytest.mark.parametrize("line, name, comp, kind, unit, year, bounds", [
    ("制造业产品质量合格率达94%以上", "制造业产品质量合格率", ">=", "level", "%", None, (0, 100)),
    ("到2027年，累计建设质量基础设施一站式服务平台20个以上", "累计建设质量基础设施一站式服务平台", ">=", "stock", "个",
     2027, (None, None)),
    ("食品抽检合格率达100%", "食品抽检合格率", ">=", "level", "%", None, (0, 100)),   # 达100%: ≥100, not 保持
    ("新增省级以上品牌50个", "新增省级以上品牌", ">=", "increment", "个", None, (None, None)),  # 以上 of a name
    ("PM2.5平均浓度控制在28微克/立方米以下", "PM2.5平均浓度", "<=", "level", "微克/立方米", None, (None, None)),
    ("主要农产品合格率保持98%", "主要农产品合格率", "==", "level", "%", None, (0, 100)),
    ("主要农产品合格率稳定在98%以上", "主要农产品合格率", ">=", "level", "%", None, (0, 100)),
    ("事故死亡率不超过0.02", "事故死亡率", "<=", "level", "", None, (None, None)),
    ("检验检测能力不断提高", "检验检测能力", ">=", "unquantified", "", None, (None, None)),
    ("计量服务能力达到省定目标", "计量服务能力", ">=", "unquantified", "", None, (None, None)),
])
def test_a_target_sentence_reads_as_the_plan_writes_it(line, name, comp, kind, unit, year, bounds):
    t, why = sentences.parse_sentence(line)
    assert why == "" and t is not None
    assert (t.name_zh, t.comparator, t.kind, t.unit, t.target_year) == (name, comp, kind, unit, year)
    assert (t.lower_bound, t.upper_bound) == bounds


def test_unreadable_lines_are_listed_and_ids_stay_stable(data_root, tmp_path):
    init_plan("ids-2024-2028", "乙市规划", ["619900=青禾市", "619901=东岭区"], 2023, 2028)
    src = tmp_path / "t.txt"
    src.write_text(SENTENCES, encoding="utf-8")
    first = import_targets("ids-2024-2028", src)
    assert [(n, text) for n, text, _ in first.unread] == [(13, "这一行没有目标")]
    assert first.milestones == ["累计建成质量基础设施一站式服务平台"]
    ids = {r["name_zh"]: r["id"] for r in first.rows}
    assert ids["食品安全抽检合格率"] == stable_id("食品安全抽检合格率", "level", "%") and \
        re.fullmatch(r"rate_[0-9a-f]{6}", ids["食品安全抽检合格率"])
    # the lines in another order, one renamed by hand in the folder: every id stays
    path = data_root / "raw" / "plans" / "ids-2024-2028" / "indicators.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(ids["制造业质量竞争力指数"], "mfg_quality_index")
                    .replace(f"Indicator {ids['食品安全抽检合格率']}", "Food sampling pass rate"), encoding="utf-8")
    src.write_text("\n".join(reversed(SENTENCES.splitlines())), encoding="utf-8")
    rows = import_targets("ids-2024-2028", src).rows
    again = {r["name_zh"]: r["id"] for r in rows}
    assert again == {**ids, "制造业质量竞争力指数": "mfg_quality_index"}
    assert next(r for r in rows if r["name_zh"] == "食品安全抽检合格率")["name_en"] == "Food sampling pass rate"


def test_plan_check_lists_every_problem_at_once(data_root):
    folder = init_plan("bad-2024-2028", "丙市规划", ["619900=青禾市", "619901=东岭区"], 2023, 2028)
    (folder / "indicators.csv").write_text(
        "id,name_zh,name_en,category,category_en,unit,kind,comparator,lower_bound,upper_bound,baseline_text,"
        "target_text,prose_target_text,source,labels,description,note,target_year,weight\n"
        "x_rate,合格率,Rate,产品,product,%,level,>>,0,100,,96,,条文,,合格率。,,2030,\n", encoding="utf-8")
    (folder / "regions.csv").write_text((folder / "regions.csv").read_text(encoding="utf-8")
                                        + "61990,错区,Bad,county,619900,1\n", encoding="utf-8")
    (folder / "county_targets.csv").write_text("region,indicator,baseline,target,comparator,note,source\n"
                                               "619900,x_rate,,97,,,\n", encoding="utf-8")
    found = {(p.file.rsplit("/", 1)[-1], p.row, p.column, p.code) for p in check_plan("bad-2024-2028")}
    assert ("indicators.csv", 1, "weight", "unknown_column") in found
    assert ("regions.csv", 4, "code", "bad_code") in found
    assert ("county_targets.csv", 2, "region", "unknown_indicator") in found or \
        ("county_targets.csv", 2, "indicator", "unknown_indicator") in found
    assert main(["plan", "check", "bad-2024-2028"]) == 1


def _deliver(folder, out):
    """Yearly values 2019–2024 for eight of the ten regions (two deliver nothing)."""
    rows = list(csv.DictReader(open(folder / "indicators.csv", encoding="utf-8")))
    lines = ["region,indicator,year,value,status,source"]
    for r in rows:
        if r["kind"] == "unquantified" or r["target_year"]:
            continue
        for code in [x.split()[0] for x in REGIONS[:8]]:
            for k, y in enumerate(range(2019, 2025)):
                v = {"rate": (99.1 if "食品" in r["name_zh"] else 91.0) + 0.15 * k, "index": 83 + 0.6 * k,
                     "total": 2 + 2 * k, "new": 2 + k % 3}.get(r["id"].split("_")[0], 36 - 1.2 * k)
                lines.append(f"{code},{r['id']},{y},{v:.2f},provisional,市局报送")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _text(html: str) -> str:
    html = re.sub(r"<style.*?</style>", "", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _no_wenzhou(where: str, text: str) -> None:
    leaked = [w for w in WENZHOU if w in text]
    assert not leaked, f"{where}: {leaked} in …{text[max(0, text.find(leaked[0]) - 60):][:160]}…"
    assert not re.search(r"\bnan\b|nan%", text), f"{where}: nan shown"


@pytest.mark.slow
def test_a_plan_from_its_target_sentences_end_to_end(data_root, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QANALYSIS_PLAN", "")  # --plan sets it for the run: undone after the test
    (tmp_path / "regions.txt").write_text("\n".join(REGIONS) + "\n", encoding="utf-8")
    (tmp_path / "targets.txt").write_text(SENTENCES, encoding="utf-8")
    assert main(["plan", "init", PLAN, "--title", "青禾市质量提升行动规划（2024—2028年）",
                 "--regions", str(tmp_path / "regions.txt"), "--base-year", "2023", "--target-year", "2028"]) == 0
    assert main(["plan", "import", PLAN, str(tmp_path / "targets.txt")]) == 1   # one line not read
    out, err = capsys.readouterr()
    assert "line 13: not read" in err and "这一行没有目标" in err and "milestones" in out
    assert main(["plan", "check", PLAN]) == 0
    folder = data_root / "raw" / "plans" / PLAN
    assert not (folder / "review.csv").exists() and not (folder / "county_targets.csv").exists()

    _deliver(folder, tmp_path / "values.csv")
    assert main(["prepare", "--plan", PLAN, "--data", str(tmp_path / "values.csv")]) == 0
    capsys.readouterr()
    assert main(["assess", "--plan", PLAN, "--csv"]) == 0
    table = capsys.readouterr().out
    head = table.splitlines()[0].split(",")
    assert "forecast_2028" in head and "forecast_2025" not in head
    rows = list(csv.DictReader(table.splitlines()))
    assert {r["region"] for r in rows} == {r.split()[0] for r in REGIONS}
    cat = {r["id"]: r for r in csv.DictReader(open(folder / "indicators.csv", encoding="utf-8"))}
    food = next(i for i, r in cat.items() if r["name_zh"] == "食品安全抽检合格率")
    assert cat[food]["comparator"] == ">=" and cat[food]["upper_bound"] == "100"
    platform = next(r for r in rows if r["region"] == "619900" and r["indicator"].startswith("total_"))
    assert float(platform["target"]) == 24          # the plan's year; 2026's 12 is a milestone note
    # counts are the city's as a whole unless plan.toml says pro_rata: no invented county shares
    county_count = next(r for r in rows if r["region"] == "619901" and r["indicator"].startswith("new_"))
    assert county_count["target"] == "" and county_count["target_basis"] == "city_only"
    # a 基期值 is the region's own base-year (2023) value or none, never borrowed from the city
    values = {(r["region"], r["indicator"], r["year"]): r["value"]
              for r in csv.DictReader(open(tmp_path / "values.csv", encoding="utf-8"))}
    for r in rows:
        own = values.get((r["region"], r["indicator"], "2023"))
        if cat[r["indicator"]]["kind"] in ("level", "stock"):
            assert (r["baseline"] == "") == (own is None), r
            assert own is None or float(r["baseline"]) == float(own)

    # one report, for one county, through the batch a user runs
    reports = tmp_path / "reports"
    res = subprocess.run([sys.executable, "-m", "qanalysis", "reports", "--plan", PLAN, "--region", "619901",
                          "--out", str(reports), "--jobs", "1", "--no-progress"],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    page = _text((reports / "619901" / "619901.html").read_text(encoding="utf-8"))
    assert "青禾市质量提升行动规划（2024—2028年）" in page and "东岭区" in page and "2028年" in page
    assert "按权重分解" not in page and "示例数据" not in page   # notes only where they apply
    _no_wenzhou("report HTML", page)
    d = docx.Document(str(reports / "619901" / "619901.docx"))
    words = "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells])
    assert "东岭区" in words
    _no_wenzhou("report docx", words)
    deck = pptx.Presentation(str(reports / "619901" / "619901.pptx"))
    _no_wenzhou("report pptx", "\n".join(s.text_frame.text for sl in deck.slides for s in sl.shapes
                                         if s.has_text_frame))

    # the template records its plan: validate picks it without --plan
    xlsx = tmp_path / "fill.xlsx"
    assert main(["template", "--plan", PLAN, str(xlsx)]) == 0
    monkeypatch.setenv("QANALYSIS_PLAN", "")
    wb = openpyxl.load_workbook(xlsx)
    cells = "\n".join(str(c.value) for ws in wb.worksheets for r in ws.iter_rows() for c in r if c.value is not None)
    assert "青禾市" in cells and [ws.title for ws in wb.worksheets][1:] == REGIONS
    _no_wenzhou("template", cells.replace("2025", ""))   # the template's year columns run 2018–2028
    capsys.readouterr()
    # an unfilled template holds no value, and validate refuses it as prepare would (issue 20) — read
    # against this plan, picked from the template: no indicator or region of it is unknown
    assert main(["validate", str(xlsx)]) == 1
    got = capsys.readouterr()
    err = got.out + got.err
    assert "holds no values" in err and "not in the plan" not in err and "unknown" not in err, err

    # the explorer page, as the widget draws it
    from qanalysis import load
    from qanalysis.analysis.assess import assess
    from qanalysis.explore import Explorer

    ex = Explorer(assess(load(PLAN)), font=False)
    shown = [ex.title_html.value, ex.table_html.value, ex.search_box.placeholder]
    ex.view_box.value = "compare"
    shown += [ex.table_html.value] + [label for label, _ in ex.indicator_box.options]
    explorer = _text(" ".join(shown))
    assert "青禾市质量提升行动规划" in explorer and "2028年预测" in explorer
    assert "示例数据" not in explorer
    _no_wenzhou("explorer", explorer.replace(ex.search_box.placeholder, "") + ex.search_box.placeholder)


def test_optional_files_and_an_unknown_plan(data_root, monkeypatch, capsys):
    monkeypatch.setenv("QANALYSIS_PLAN", "")
    init_plan("bare-2024-2028", "丁市规划", ["619900=青禾市", "619901=东岭区"], 2023, 2028)
    assert main(["prepare", "--plan", "bare-2024-2028"]) == 0      # no indicators, no values, no review
    assert main(["assess", "--plan", "no-such-plan"]) == 1
    assert "known plans" in capsys.readouterr().err
    data = __import__("qanalysis").load("bare-2024-2028")
    assert len(data.catalogue) == 0 and len(data.review) == 0 and np.all(data.regions["code"] != "330300")


def test_a_table_from_the_plan_document_imports(data_root, tmp_path):
    """指标 / 单位 / 基期值 / 目标值 from a .docx table; the header's year is the target year."""
    init_plan("tbl-2024-2028", "戊市规划", ["619900=青禾市", "619901=东岭区"], 2023, 2028)
    d = docx.Document()
    t = d.add_table(rows=1, cols=5)
    for c, h in zip(t.rows[0].cells, ["序号", "指标", "单位", "2023年基期值", "2026年目标值"]):
        c.text = h
    for r in (["1", "制造业产品质量合格率", "%", "92.4", "≥93.5"], ["2", "新增质量标杆企业", "家", "-", "45以上"],
              ["3", "计量服务能力", "—", "", "省定目标"], ["4", "检测机构数", "个", "5", "很多"]):
        for c, v in zip(t.add_row().cells, r):
            c.text = v
    d.save(str(tmp_path / "t.docx"))
    r = import_targets("tbl-2024-2028", tmp_path / "t.docx")
    rows = {x["name_zh"]: x for x in r.rows}
    assert [(n, why.split(" ")[0]) for n, _, why in r.unread] == [(5, "目标值")]
    assert rows["制造业产品质量合格率"]["baseline_text"] == "92.4" and rows["制造业产品质量合格率"]["target_year"] == "2026"
    assert rows["新增质量标杆企业"]["kind"] == "increment" and rows["计量服务能力"]["kind"] == "unquantified"
    assert rows["计量服务能力"]["unit"] == ""
    cat = __import__("qanalysis.plan.catalogue", fromlist=["read_plan"]).read_plan("tbl-2024-2028").catalogue
    assert cat.set_index("name_zh").loc["制造业产品质量合格率", "baseline"] == 92.4
    assert set(cat["target_year"]) == {2026}


def test_every_command_that_reads_data_takes_plan():
    import argparse

    from qanalysis.cli import COMMANDS, build_parser
    from qanalysis.cli.common import PLAN_COMMANDS

    assert set(PLAN_COMMANDS) == set(COMMANDS) - {"plan"}
    for name in PLAN_COMMANDS:
        parser = build_parser(only=name)
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
        assert any("--plan" in a.option_strings for a in sub._actions), name
