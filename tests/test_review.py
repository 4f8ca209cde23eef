"""The 13th-plan review (表1): met by the same target semantics, and the plan's own verdict."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import qanalysis
from qanalysis import cli, config
from qanalysis.dataset import REVIEW_COLUMNS, typed
from qanalysis.errors import QAnalysisError
from qanalysis.analysis.review import review, written_decimals


def synthetic_review() -> pd.DataFrame:
    rows = [
        # id, target_text, achieved_text, target, achieved, comparator, kind, named missed
        ("rate_met", "95", "95", 95.0, 95.0, ">=", "level", False),
        ("rate_missed", "≥96", "95.9", 96.0, 95.9, ">=", "level", True),
        ("keep_100", "100", "99.6", 100.0, 99.6, "==", "level", True),        # 99.6 is not 100 at one decimal
        ("keep_100_1dp", "100.0", "99.9", 100.0, 99.9, "==", "level", True),  # 99.9 ≠ 100.0
        ("pm", "≤ 26", "26", 26.0, 26.0, "<=", "level", False),
        ("zones", "4", "3(在建2个)", 4.0, 3.0, ">=", "stock", True),
        ("new_std", "50", "234", 50.0, 234.0, ">=", "increment", False),
    ]
    df = pd.DataFrame(rows, columns=["id", "target_text", "achieved_text", "target", "achieved",
                                     "comparator", "kind", "named_missed_in_plan"])
    df["name_zh"] = df["id"]
    return typed(df, REVIEW_COLUMNS)


def test_met_on_a_synthetic_review():
    t = review(synthetic_review())
    assert list(t.columns[:8]) == ["indicator", "category", "name_zh", "unit", "target_text",
                                   "achieved_text", "target", "achieved"]
    assert list(t["met"]) == [True, False, False, False, True, False, True]
    assert (t["met"] == ~t["named_missed_in_plan"]).all()
    assert t["achieved_text"].iloc[5] == "3(在建2个)"


def test_missing_number_gives_na_not_a_verdict():
    df = synthetic_review()
    df.loc[0, "achieved"] = np.nan
    t = review(df)
    assert pd.isna(t["met"].iloc[0]) and pd.isna(t["agrees_with_plan"].iloc[0])
    assert t["met"].iloc[1:].tolist() == [False, False, False, True, False, True]  # the others keep their verdict


def test_written_decimals():
    assert [written_decimals(s) for s in ("95", "87.14", "3(在建2个)", "≥ 96.5", "")] == [0, 2, 0, 1, 0]


def test_empty_review_is_a_clear_error():
    with pytest.raises(QAnalysisError, match="表1"):
        review(typed(pd.DataFrame(columns=list(REVIEW_COLUMNS)), REVIEW_COLUMNS))


def real_review() -> pd.DataFrame:
    """The plan's 表1 as transcribed, parsed by the catalogue's own parser."""
    from qanalysis.plan.catalogue import parse_review, read_raw_csv

    path = config.plan_dir() / "review.csv"
    problems: list = []
    raw = read_raw_csv(path, ["id", "target_text", "achieved_text"], problems)
    df, problems2 = parse_review(raw, path)
    assert not [p for p in problems + problems2 if p.severity == "error"]
    return df


def test_real_review_agrees_with_the_plans_note(dataset):
    t = review(dataset)
    assert len(t) == 26
    assert int(t["named_missed_in_plan"].sum()) == 8  # the note under 表1 names eight
    assert t["met"].notna().all()
    assert (t["met"] == ~t["named_missed_in_plan"]).all(), \
        t.loc[t["met"] == t["named_missed_in_plan"], ["indicator", "target_text", "achieved_text"]]


def test_cli_review13_csv(monkeypatch, capsys):
    monkeypatch.setattr(qanalysis, "load", lambda *a, **k: _dataset_with(real_review()))
    assert cli.main(["review13", "--csv"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)
    for c in ("indicator", "target", "achieved", "met"):
        assert c in out.columns
    assert set(out["met"]) == {"true", "false"}
    assert (out["met"] == "false").sum() == 8


def _dataset_with(rev):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    import analytics_data as ca
    d = ca.dataset()
    d.review = rev
    return d
