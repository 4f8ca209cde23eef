"""A second plan — the made-up 2026–2030 fixture (three regions, five indicators, its own names) —
through the assessment, the Word report, the deck and the report batch: a new plan is new files,
not new code, and nothing of the shipped Wenzhou plan shows in its outputs."""
from __future__ import annotations

import shutil

import docx
import numpy as np
import pytest
import statsmodels.api as sm
from pptx import Presentation

from conftest import SECOND_PLAN
from qanalysis import cli
from qanalysis.analysis.assess import assess
from qanalysis.briefing.charts import ChartProvider
from qanalysis.briefing.docx_report import write_docx
from qanalysis.briefing.pptx_deck import write_pptx
from qanalysis.data.prepare import prepare

PLAN = SECOND_PLAN.name
COUNTY = "331102"   # 甲区
FIRST_PLAN_WORDS = ("温州", "鹿城", "龙湾", "瓯海", "330300", "330302")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    built, _ = prepare(plan=SECOND_PLAN, out_dir=tmp_path_factory.mktemp("processed"))
    return built


@pytest.fixture(scope="module")
def assessment(data):
    return assess(data)


def _first_plan_words(text: str) -> list[str]:
    return [w for w in FIRST_PLAN_WORDS if w in text]


def test_the_assessment_is_the_second_plans_rows_with_its_forecasts(data, assessment):
    t = assessment.table
    assert sorted(set(t["region"])) == ["331100", "331102", "331121"]
    assert set(t["indicator"]) == set(data.catalogue["id"]) and len(t) == 3 * len(data.catalogue)
    r = t[(t["region"] == COUNTY) & (t["indicator"] == "pass_rate")].iloc[0]
    obs = data.observations
    s = obs[(obs["region"] == COUNTY) & (obs["indicator"] == "pass_rate")].sort_values("year")
    res = sm.OLS(s["value"].to_numpy(float), sm.add_constant(s["year"].to_numpy(float) - 2000)).fit()
    want = res.get_prediction(np.array([[1.0, 2030 - 2000.0]])).summary_frame(alpha=0.05).iloc[0]["mean"]
    assert r["target"] == 97 and r["forecast"] == pytest.approx(min(want, 100.0))
    # the county's share of the plan's 50 new standards (weights 2:1, largest remainder)
    assert t.set_index(["region", "indicator"]).loc[(COUNTY, "standards_new"), "target"] == 33


def test_the_word_report_and_the_deck_speak_of_the_second_plan(assessment, tmp_path):
    charts = ChartProvider(assessment, dpi=60)
    word = docx.Document(str(write_docx(assessment, COUNTY, tmp_path / "a.docx", charts)))
    text = "\n".join(p.text for p in word.paragraphs)
    cells = "\n".join(c.text for t in word.tables for r in t.rows for c in r.cells)
    assert "甲区" in text and "产品质量合格率" in cells and "制定标准" in cells
    assert _first_plan_words(text + cells) == []
    deck = Presentation(str(write_pptx(assessment, COUNTY, tmp_path / "a.pptx", charts)))
    slides = "\n".join(sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame)
    assert "甲区" in slides and _first_plan_words(slides) == []


@pytest.mark.slow   # a real report batch
def test_the_report_batch_writes_every_region_of_the_second_plan(data_root, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QANALYSIS_PLAN", "")   # --plan sets it for the run: undone after the test
    shutil.copytree(SECOND_PLAN, data_root / "raw" / "plans" / PLAN)
    out = tmp_path / "reports"
    assert cli.main(["prepare", "--plan", PLAN]) == 0
    code = cli.main(["reports", "--plan", PLAN, "--out", str(out), "--jobs", "2", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    for region, name in (("331100", "示例市"), ("331102", "甲区"), ("331121", "乙县")):
        page = (out / region / f"{region}.html").read_text(encoding="utf-8")
        assert name in page and _first_plan_words(page) == []
        assert (out / region / f"{region}.docx").stat().st_size > 0
        assert len(Presentation(str(out / region / f"{region}.pptx")).slides) > 3
