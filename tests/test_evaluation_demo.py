"""The shipped demo as of a day after 2025 (docs/evaluation.md §9): the generator stops at 2024, so
every row is 暂无数据 (or 无法评价) — never a forecast — and the report pages are evaluation pages."""
import numpy as np

from qanalysis.analysis.assess import assess
from qanalysis.analysis.evaluation import evaluate
from qanalysis.briefing import html_report

AS_OF = "2026-12-03"


def test_demo_after_the_period_says_no_data_not_a_forecast(dataset):
    assert dataset.observations["year"].max() < dataset.plan.target_year   # nothing invented for 2025
    a = assess(dataset, as_of=AS_OF)
    t = a.table
    assert t["period_over"].all()
    for c in ("forecast", "pi80_low", "pi95_high", "p_attain"):
        assert t[c].isna().all(), c
    assert set(t["evaluation_verdict"]) <= {"no_data", "not_assessable"}
    quantified = t["evaluation_verdict"] == "no_data"
    assert t.loc[quantified, "status_reason"].str.startswith(("暂无数据（待补报2025年数据）", "数据不全")).all()
    assert np.isfinite(t.loc[quantified, "trend_estimate"]).any()          # the estimate, in its annex column
    ev = evaluate(a, AS_OF)
    assert ev.summary_sentence("330302").startswith("29项主要指标中，完成0项、基本完成0项、未完成0项、暂无数据")
    head = html_report.title_block(a, "330302")
    assert "《温州市质量强市“十四五”发展规划实施情况终期评估》" in head and "示例数据" in head
    assert "指标监测报告" not in head
