"""The shipped demo as of a day after 2025 (docs/evaluation.md §9, issue 30 item 9): the generator
fills the target year like every other year, so the demo shows the final evaluation — verdicts,
gaps and degrees — on values every output marks as 示例数据; nothing is forecast on a judged row."""
import numpy as np

from qanalysis.analysis.assess import assess
from qanalysis.analysis.evaluation import evaluate
from qanalysis.briefing import html_report

AS_OF = "2026-12-03"


def test_demo_after_the_period_is_an_evaluation_of_marked_illustrative_values(dataset):
    obs = dataset.observations
    final = obs[obs["year"] == dataset.plan.target_year]
    assert len(final) and (final["status"].isin(["illustrative", "published", "provisional"])).all()
    a = assess(dataset, as_of=AS_OF)
    t = a.table
    assert t["period_over"].all()
    for c in ("forecast", "pi80_low", "pi95_high", "p_attain"):
        assert t[c].isna().all(), c
    judged = t["evaluation_verdict"].isin(["completed", "nearly_completed", "not_completed"])
    assert judged.sum() > 100                                         # the demo evaluates (was 0 of 55 per region)
    ev = evaluate(a, AS_OF)
    rows = ev.table
    ill = rows[rows["illustrative"]]
    assert len(ill) and (ill["data_status"] == "illustrative").all()
    said = ill[ill["verdict"].isin(["completed", "nearly_completed", "not_completed"])]   # a value in the sentence
    assert said["sentence_zh"].str.contains("（示例数据）").all() and ill["note_zh"].str.contains("示例数据").all()
    s = ev.summary("330302")["core"]
    assert s["with_final"] > 0 and not ev.summary_sentence("330302").startswith("29项主要指标中，完成0项、基本完成0项、未完成0项")
    table = ev.completion_table("330302")
    judged_rows = table[table["完成情况"].isin(["完成", "基本完成", "未完成"])]
    assert len(judged_rows) and (judged_rows["数据性质"] == "示例数据").all()
    quantified = t["evaluation_verdict"] == "no_data"
    assert t.loc[quantified, "status_reason"].str.startswith(("暂无数据（待补报2025年数据）", "数据不全")).all()
    assert np.isfinite(t["trend_estimate"]).sum() <= quantified.sum()   # an estimate only where no final value
    head = html_report.title_block(a, "330302")
    assert "《温州市质量强市“十四五”发展规划实施情况终期评估》" in head and "示例数据" in head
    assert "指标监测报告" not in head
