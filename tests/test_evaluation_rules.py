"""The completion degree, the 基本完成 band and the plan-folder settings, as docs/evaluation.md §2–§3 and §7 state."""
import numpy as np
import pytest

from qanalysis.analysis.attainment import meets_target
from qanalysis.analysis.evaluation import degree, period_over
from qanalysis.errors import QAnalysisError
from qanalysis.plan.supplied import DEFAULT_BAND, nearly_completed_band, supplied_targets

# (final, target, comparator, baseline, kind, expected degree) — the worked examples of §2
EXAMPLES = [
    (39.9, 40, ">=", 38.1, "level", 1.8 / 1.9),
    (99.1, 98, ">=", 99.04, "level", 99.1 / 98),      # a floor: baseline already above the target
    (95.5, 96, ">=", 95, "level", 0.5),               # distance-based: not "99.5% of 96"
    (26, 25, "<=", 30, "level", 0.8),
    (2.5, 2, "<=", 1, "level", 0.8),                  # a ceiling
    (26, 25, ">=", np.nan, "increment", 1.04),
    (99.6, 100, "==", 100, "level", 0.996),
    (100, 100, "==", 100, "level", 1.0),
    (30, 40, ">=", np.nan, "stock", 0.75),            # no baseline: final / target
]


def test_completion_degree_per_kind():
    f, t, c, b, k, want = (np.array(x, dtype=object if i in (2, 4) else float) for i, x in enumerate(zip(*EXAMPLES)))
    met = meets_target(f.astype(float), t.astype(float), c, 1)
    got = degree(f, t, c, b, k, met)
    np.testing.assert_allclose(got, want.astype(float), atol=1e-4)
    assert np.isnan(degree([np.nan], [40], [">="], [38], ["level"], [False]))[0]


def test_period_is_over_after_the_target_year():
    assert not period_over(2025, "2025-12-31") and period_over(2025, "2026-01-01")


def test_band_from_plan_toml(tmp_path):
    assert nearly_completed_band(tmp_path) == DEFAULT_BAND == 0.10
    (tmp_path / "plan.toml").write_text('id = "x"\nnearly_completed_band = 0.05\n', encoding="utf-8")
    assert nearly_completed_band(tmp_path) == 0.05
    (tmp_path / "plan.toml").write_text('id = "x"\nnearly_completed_band = 5\n', encoding="utf-8")
    with pytest.raises(QAnalysisError, match="nearly_completed_band must be a number from 0 to 1"):
        nearly_completed_band(tmp_path)


def test_supplied_targets_file(tmp_path):
    assert supplied_targets(tmp_path).empty
    (tmp_path / "supplied_targets.csv").write_text(
        "region,indicator,target,comparator,basis\n330302,good_air_days_ratio,95,>=,省文件\n"
        "330303,good_air_days_ratio,94.5,>=,\n", encoding="utf-8")
    with pytest.raises(QAnalysisError, match=r"supplied_targets.csv, row 3, column basis"):
        supplied_targets(tmp_path)
    (tmp_path / "supplied_targets.csv").write_text(
        "region,indicator,target,comparator,basis\n330302,good_air_days_ratio,95,>=,省文件\n", encoding="utf-8")
    got = supplied_targets(tmp_path)
    assert got.iloc[0]["target"] == 95.0 and got.iloc[0]["basis"] == "省文件"
