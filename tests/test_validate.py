"""Checks across rows and against the plan, check_files over several files, and
the ``qanalysis validate`` command (output, summary, exit code, no traceback)."""
from __future__ import annotations

import argparse

import pandas as pd
import pytest

from qanalysis.cli import validate as validate_cli
from qanalysis.data import validate
from qanalysis.data.validate import check_files, validate_observations

from fixtures.bad import make_fixtures as fx  # noqa: E402  (tests/ is on sys.path)
from fixtures.bad.make_fixtures import (CITY, INC, LONGGANG, LONGWAN, LUCHENG, PCT, PM,  # noqa: F401 (some unused)
                                        STOCK, UNQ, only)


@pytest.fixture(scope="module")
def plan():
    return fx.plan_data()


def check(tmp_path, plan, *rows, name="x.csv"):
    f = fx.write_csv(tmp_path / name, *rows)
    obs, probs = check_files([f], plan)
    return f, obs, probs


def test_clean_file_has_no_problems(tmp_path, plan):
    _, obs, probs = check(tmp_path, plan, *fx.GOOD_ROWS)
    assert probs == [] and len(obs) == 3


def test_percentage_above_bound(tmp_path, plan):
    f, obs, probs = check(tmp_path, plan, f"{CITY},{PCT},2021,120,provisional,,")
    p = only(probs, "out_of_bounds")
    assert (p.file, p.row, p.column, p.severity) == (str(f), 2, "value", "error")
    assert p.reason == "value 120 is above the upper bound 100 for 制造业产品质量合格率 (%)"


def test_percentage_below_zero_is_out_of_bounds_not_negative_count(tmp_path, plan):
    _, _, probs = check(tmp_path, plan, f"{CITY},{PCT},2021,-1,provisional,,")
    assert "below the lower bound 0" in only(probs, "out_of_bounds").reason
    assert not any(p.code == "negative_count" for p in probs)


def test_negative_count(tmp_path, plan):
    f, _, probs = check(tmp_path, plan, f"{LUCHENG},{STOCK},2021,-3,provisional,,")
    p = only(probs, "negative_count")
    assert (p.row, p.column) == (2, "value") and "国内有效商标注册数 (万件)" in p.reason and "cannot be below 0" in p.reason


def test_year_outside_plan_range(tmp_path, plan):
    # history before the plan's data years is welcome (from 1990); after the target year it is not
    _, obs, probs = check(tmp_path, plan, f"{CITY},{PCT},1989,95,provisional,,",
                          f"{CITY},{PCT},2031,95,provisional,,", f"{CITY},{PCT},1990,95,provisional,,",
                          f"{CITY},{PCT},2015,95,provisional,,", f"{CITY},{PCT},2025,95,provisional,,")
    ps = [p for p in probs if p.code == "year_out_of_range"]
    assert [(p.row, p.column) for p in ps] == [(2, "year"), (3, "year")]
    assert "year 1989 is outside the accepted range 1990–2025" in ps[0].reason and "2031" in ps[1].reason


def test_duplicate_with_different_values_names_both_locations(tmp_path, plan):
    a = fx.write_csv(tmp_path / "a.csv", f"{CITY},{PCT},2021,95,provisional,,")
    b = fx.write_xlsx(tmp_path / "b.xlsx", {f"{CITY} 温州市": [["指标代码", "指标名称", 2021],
                                                             [PCT, "制造业产品质量合格率", 96]]})
    obs, probs = check_files([a, b], plan)
    p = only(probs, "duplicate")
    assert (p.file, p.sheet, p.cell, p.column) == (str(b), f"{CITY} 温州市", "C2", "2021")
    assert f"{a}, row 2" in p.reason and "96" in p.reason and "95" in p.reason and p.severity == "error"


def test_exact_duplicate_row_is_a_warning(tmp_path, plan):
    f, _, probs = check(tmp_path, plan, f"{CITY},{PCT},2021,95,provisional,,",
                        f"{CITY},{PCT},2021,95,provisional,,")
    p = only(probs, "duplicate_row")
    assert (p.row, p.severity) == (3, "warning") and "row 2" in p.reason


def test_suspect_unit_wan_entered_as_units(tmp_path, plan):
    # 鹿城区's stock target is 60 万件 × 0.2 = 12 万件; 91 000 was entered in 件
    f, _, probs = check(tmp_path, plan, f"{LUCHENG},{STOCK},2021,91000,provisional,,",
                        f"{LUCHENG},{STOCK},2022,9.3,provisional,,")
    p = only(probs, "suspect_unit")
    assert (p.row, p.column, p.severity) == (2, "value", "error")
    assert "instead of 万件" in p.reason and "10 000" in p.reason


def test_suspect_unit_fraction_for_percentage(tmp_path, plan):
    _, _, probs = check(tmp_path, plan, f"{CITY},{PCT},2021,0.96,provisional,,")
    p = only(probs, "suspect_unit")
    assert "fraction" in p.reason and "96" in p.reason


def test_published_without_source(tmp_path, plan):
    f, _, probs = check(tmp_path, plan, f"{CITY},{PCT},2021,95,published,,",
                        f"{CITY},{PCT},2022,95,published,统计公报,")
    p = only(probs, "missing_source")
    assert (p.row, p.column, p.severity) == (2, "source", "error") and "来源" in p.reason


def test_unquantified_value_is_fine(tmp_path, plan):
    _, obs, probs = check(tmp_path, plan, *(f"{LONGWAN},{UNQ},{y},{v},provisional,," for y, v in
                                            [(2021, 95.1), (2022, 96.0), (2023, 97.3)]))
    assert probs == [] and len(obs) == 3


def test_increment_given_as_running_total(tmp_path, plan):
    # city target 300 over 2021–2025: 60 a year; 40, 100, 170, 230 is a running total
    f, _, probs = check(tmp_path, plan, *(f"{CITY},{INC},{y},{v},provisional,," for y, v in
                                          [(2021, 40), (2022, 100), (2023, 170), (2024, 230)]))
    p = only(probs, "looks_cumulative")
    assert (p.row, p.severity) == (5, "warning") and "running total" in p.reason and "60" in p.reason


def test_increasing_yearly_additions_are_not_cumulative(tmp_path, plan):
    _, _, probs = check(tmp_path, plan, *(f"{CITY},{INC},{y},{v},provisional,," for y, v in
                                          [(2021, 50), (2022, 55), (2023, 60), (2024, 70)]))
    assert probs == []


def test_validate_observations_without_origin_columns(plan):
    obs = pd.DataFrame({"region": [CITY], "indicator": ["zzz"], "year": [2021], "value": [1.0],
                        "status": ["provisional"], "source": [""], "note": [""]})
    p = only(validate_observations(obs, plan), "unknown_indicator")
    assert p.file == "(observations)" and p.column == "indicator"


def test_check_files_reports_all_problems_of_all_files(tmp_path, plan):
    a = fx.write_csv(tmp_path / "a.csv", f"{CITY},{PCT},2021,120,provisional,,", f"{CITY},nope,2021,1,provisional,,")
    b = tmp_path / "b.json"
    b.write_text("{}")
    c = tmp_path / "gone.csv"
    obs, probs = check_files([a, b, c], plan)
    assert sorted(p.code for p in probs) == ["file_not_found", "out_of_bounds", "unknown_indicator",
                                             "unsupported_format"]
    assert len(obs) == 1


def test_check_files_turns_a_reader_crash_into_a_problem(tmp_path, plan, monkeypatch):
    def boom(path, plan_data):
        raise RuntimeError("broken")
    monkeypatch.setattr("qanalysis.data.readers.read_observations", boom)
    obs, probs = check_files([tmp_path / "a.csv"], plan)
    assert [p.code for p in probs] == ["unreadable"] and "broken" in probs[0].reason and obs.empty


# ------------------------------------------------------------------ the command
def _args(files, plan_name=None):
    parser = argparse.ArgumentParser()
    validate_cli.configure_parser(parser)
    return parser.parse_args([*map(str, files)] + (["--plan", plan_name] if plan_name else []))


def test_cli_prints_every_problem_and_exits_1(tmp_path, plan, monkeypatch, capsys):
    monkeypatch.setattr(validate_cli, "read_plan", lambda p=None: plan)
    a = fx.write_csv(tmp_path / "a.csv", f"{CITY},{PCT},2021,120,provisional,,",
                     f"{CITY},{PCT},2022,约95,provisional,,")
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"junk")
    rc = validate_cli.run(_args([a, bad]))
    out = capsys.readouterr().out.splitlines()
    assert rc == 1
    assert f"{a}, row 2, column 'value': error [out_of_bounds]: value 120 is above" in out[0] or \
        any(line.startswith(f"{a}, row 2, column 'value': error [out_of_bounds]") for line in out)
    assert any(line.startswith(f"{a}, row 3, column 'value': error [not_a_number]") for line in out)
    assert any(line.startswith(f"{bad}: error [corrupt_file]") for line in out)
    assert out[-1].startswith("2 file(s), 1 distinct value(s) read: 3 error(s), 0 warning(s)")


def test_cli_warnings_only_exit_0_and_writes_nothing(tmp_path, plan, monkeypatch, capsys):
    monkeypatch.setattr(validate_cli, "read_plan", lambda p=None: plan)
    fx.write_csv(tmp_path / "a.csv", f"{CITY},{PCT},2021,95,provisional,,", f"{CITY},{PCT},2021,95,provisional,,")
    before = sorted(tmp_path.iterdir())
    rc = validate_cli.run(_args([tmp_path]))  # a folder stands for its .csv/.xlsx files
    out = capsys.readouterr().out
    assert rc == 0 and "[duplicate_row]" in out and "0 error(s), 1 warning(s)" in out
    assert sorted(tmp_path.iterdir()) == before


def test_every_bad_fixture_file_gives_a_problem_not_a_traceback(tmp_path, plan):
    files = fx.write_all(tmp_path / "bad")
    for f in files:
        if f.name == "gbk.csv":
            continue  # a good file in GBK
        _, probs = check_files([f], plan)
        assert any(p.severity == "error" for p in probs), f.name
        assert all(p.file == str(f) for p in probs)
    obs, probs = check_files([tmp_path / "bad" / "gbk.csv"], plan)
    assert probs == [] and obs["region"].tolist() == [LUCHENG]


def test_suspect_unit_uses_the_city_magnitude_for_tiny_county_shares(tmp_path, plan):
    import dataclasses
    t = plan.targets.copy()
    sel = (t["region"] == LONGGANG) & (t["indicator"] == INC)
    t.loc[sel, ["baseline", "target"]] = [0.04, 0.05]  # a pro-rata share of a small count
    small = dataclasses.replace(plan, targets=t)
    _, _, probs = check(tmp_path, small, f"{LONGGANG},{INC},2021,60,provisional,,")
    assert probs == []  # 1 200× the county's share, but a fifth of the city's target
    _, _, probs = check(tmp_path, small, f"{LONGGANG},{INC},2021,600000,provisional,,", name="y.csv")
    assert only(probs, "suspect_unit").row == 2


def test_through_the_qanalysis_command(tmp_path, plan, monkeypatch, capsys):
    from qanalysis.cli import main

    monkeypatch.setattr(validate_cli, "read_plan", lambda p=None: plan)
    f = tmp_path / "broken.xlsx"
    f.write_bytes(b"PK\x03\x04 not really")
    rc = main(["validate", str(f)])
    cap = capsys.readouterr()
    assert rc == 1 and "Traceback" not in cap.out + cap.err and "[corrupt_file]" in cap.out
