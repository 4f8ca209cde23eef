"""The wide template: its layout, and that a filled template reads back exactly."""
from __future__ import annotations

import argparse

import numpy as np
import openpyxl
import pandas as pd
import pytest

from qanalysis.data import template
from qanalysis.errors import QAnalysisError
from qanalysis.data.readers import read_observations
from qanalysis.data.template import FIRST_DATA_ROW, HEADER_ROW, write_template
from qanalysis.data.validate import check_files

from fixtures.bad import make_fixtures as fx  # noqa: E402  (tests/ is on sys.path)

YEARS = list(range(2016, 2026))


@pytest.fixture(scope="module")
def plan():
    return fx.plan_data()


def test_layout(tmp_path, plan):
    path = write_template(tmp_path / "t.xlsx", plan)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["说明", "330300 温州市", "330302 鹿城区", "330303 龙湾区", "330383 龙港市"]
    ws = wb["330302 鹿城区"]
    header = [c.value for c in ws[HEADER_ROW]]
    assert header == ["指标代码", "指标名称", "单位", "类型", "基期值", "目标值", *YEARS, "数据状态", "来源"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=FIRST_DATA_ROW, values_only=True)}
    assert list(rows) == plan.catalogue["id"].tolist()
    t = plan.targets.set_index(["region", "indicator"])
    # a county's stock baseline/target is its pro-rata share, written with the comparator
    assert rows[fx.STOCK][2] == "万件"
    assert rows[fx.STOCK][4] == pytest.approx(t.loc[("330302", fx.STOCK), "baseline"])
    assert rows[fx.STOCK][5] == f"≥{t.loc[('330302', fx.STOCK), 'target']:g}"
    assert rows[fx.PCT][5] == "≥96" and rows[fx.PM][5] == "≤26"
    assert rows[fx.UNQ][5] == "省定目标" and rows[fx.INC][3] == "当年新增"
    assert all(r[-2] == "provisional" for r in rows.values())
    assert all(v is None for r in rows.values() for v in r[6:6 + len(YEARS)])
    assert ws.freeze_panes == f"C{FIRST_DATA_ROW}"
    assert ws.column_dimensions["B"].width >= 30
    notes = " ".join(str(c.value) for c in wb["说明"]["A"] if c.value)
    assert "当年新增" in notes and "不要填写累计数" in notes and "万件" in notes and "illustrative" in notes
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]  # atomic: no temporary file left


def test_empty_template_reads_as_no_rows_no_problems(tmp_path, plan):
    df, probs = read_observations(write_template(tmp_path / "t.xlsx", plan), plan)
    assert probs == [] and df.empty


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_filled_template_round_trips_exactly(tmp_path, plan, lang):
    rng = np.random.default_rng(7)
    path = write_template(tmp_path / "t.xlsx", plan, regions=["330303", "330300"], lang=lang)
    wb = openpyxl.load_workbook(path)
    expected = []
    statuses = ["published", "provisional", "illustrative"]
    for ws in wb.worksheets[1:]:
        code = ws.title.split()[0]
        for r in range(FIRST_DATA_ROW, ws.max_row + 1):
            ind = ws.cell(r, 1).value
            st = statuses[r % 3]
            src = f"来源{r}" if st == "published" else ""
            ws.cell(r, 7 + len(YEARS), st)
            ws.cell(r, 8 + len(YEARS), src or None)
            for j, y in enumerate(YEARS):
                if rng.random() < 0.3:
                    continue  # left empty: no observation
                # as an analyst types them: a few decimals (openpyxl writes 16 significant
                # digits, so a full-precision random double could lose its last bit on the way)
                v = round(float(rng.uniform(0, 1)) * (90 if ind in (fx.PCT, fx.UNQ) else 10), int(rng.integers(0, 6)))
                ws.cell(r, 7 + j, v)
                expected.append((code, ind, y, v, st, src, f"{openpyxl.utils.get_column_letter(7 + j)}{r}"))
    wb.save(path)
    df, probs = read_observations(path, plan)
    assert probs == []
    exp = pd.DataFrame(expected, columns=["region", "indicator", "year", "value", "status", "source", "_cell"])
    got = df[exp.columns].astype(object)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), exp.astype(object), check_dtype=False)
    assert (df["value"].to_numpy() == exp["value"].to_numpy()).all()  # bit for bit, not approximately
    assert set(df["_sheet"]) == {ws.title for ws in wb.worksheets[1:]}


def test_sheet_regions_and_bad_arguments(tmp_path, plan):
    path = write_template(tmp_path / "one.xlsx", plan, regions=["330383"])
    assert openpyxl.load_workbook(path).sheetnames == ["说明", "330383 龙港市"]
    with pytest.raises(QAnalysisError, match="unknown region code"):
        write_template(tmp_path / "x.xlsx", plan, regions=["999999"])
    with pytest.raises(QAnalysisError, match=".xlsx"):
        write_template(tmp_path / "x.xls", plan)
    assert not (tmp_path / "x.xlsx").exists()


def test_a_running_total_in_a_filled_template_is_flagged(tmp_path, plan):
    path = write_template(tmp_path / "t.xlsx", plan, regions=["330300"])
    wb = openpyxl.load_workbook(path)
    ws = wb["330300 温州市"]
    row = next(r for r in range(FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, 1).value == fx.INC)
    for j, v in enumerate([60, 130, 190, 250]):
        ws.cell(row, 7 + 5 + j, v)  # 2021..2024
    wb.save(path)
    _, probs = check_files([path], plan)
    assert [(p.code, p.cell) for p in probs] == [("looks_cumulative", f"O{row}")]  # 2024, the last point


def test_cli(tmp_path, plan, monkeypatch, capsys):
    from qanalysis.cli import template as template_cli

    monkeypatch.setattr(template_cli, "read_plan", lambda p=None: plan)
    parser = argparse.ArgumentParser()
    template_cli.configure_parser(parser)
    out = tmp_path / "sub" / "t.xlsx"
    rc = template_cli.run(parser.parse_args([str(out), "--region", "330302", "330303"]))
    assert rc == 0 and out.exists() and "2 region sheet(s)" in capsys.readouterr().out
    assert openpyxl.load_workbook(out).sheetnames[1:] == ["330302 鹿城区", "330303 龙湾区"]


def test_real_plan_template_reads_back_clean(tmp_path):
    """With the plan as transcribed (data/raw/plans): every region sheet, one filled row."""
    from qanalysis.plan.catalogue import read_plan

    real = read_plan()
    path = write_template(tmp_path / "real.xlsx", real)
    wb = openpyxl.load_workbook(path)
    assert len(wb.sheetnames) == 1 + len(real.regions)
    ws = wb.worksheets[1]
    pct_row = next(r for r in range(FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, 3).value == "%"
                   and ws.cell(r, 4).value == "水平值")
    for j, v in enumerate([94.5, 95.0, 95.5]):
        ws.cell(pct_row, 7 + 5 + j, v)  # 2021..2023
    wb.save(path)
    obs, probs = check_files([path], real)
    assert probs == [] and obs["year"].tolist() == [2021, 2022, 2023]
    assert obs["region"].iloc[0] == ws.title.split()[0]
