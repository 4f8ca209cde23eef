"""The command-line flags no other test ran, each run as a user runs it and checked for what it
promises: `deliveries --remove --prepare`, `prepare --no-fill`, `backtest --horizon/--data`,
`deck --data`, `review13 --data`, `assess --lang en` (`reports --lang en`: test_reports.py's chart files)."""
from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation

import qanalysis
from qanalysis import cli, config
from qanalysis.data import deliveries

PLAN = "wenzhou-2021-2025"
HEADER = "region,indicator,year,value,status,source\n"
CJK = re.compile(r"[\u4e00-\u9fff]")
# 平阳县's PM2.5 is generated (示例数据) in the shipped data; delivered, the series rests on these alone
DELIVERED = [("330326", "pm25_concentration", y, v) for y, v in ((2021, 27.0), (2022, 25.0), (2023, 24.0),
                                                                  (2024, 23.0))]


def delivery(path):
    path.write_text(HEADER + "".join(f"{r},{i},{y},{v},published,县局\n" for r, i, y, v in DELIVERED),
                    encoding="utf-8")
    return path


def processed_value(region, indicator, year):
    obs = pd.read_csv(config.PROCESSED_DIR / PLAN / "observations.csv", dtype={"region": str})
    hit = obs[(obs["region"] == region) & (obs["indicator"] == indicator) & (obs["year"] == year)]
    return hit.iloc[0] if len(hit) else None


def test_deliveries_remove_with_prepare_rebuilds_without_the_delivery(data_root, tmp_path, capsys):
    assert cli.main(["prepare"]) == 0
    generated = processed_value("330326", "pm25_concentration", 2022)
    assert generated["status"] == "illustrative"
    assert cli.main(["prepare", "--data", str(delivery(tmp_path / "县局.csv"))]) == 0
    assert processed_value("330326", "pm25_concentration", 2022)["value"] == 25.0
    capsys.readouterr()
    assert cli.main(["deliveries", "--remove", "001", "--prepare"]) == 0
    out = capsys.readouterr().out
    assert "removed delivery 001" in out and "written:" in out and "run `qanalysis prepare`" not in out
    assert deliveries.kept(PLAN) == []
    back = processed_value("330326", "pm25_concentration", 2022)
    assert (back["value"], back["status"]) == (generated["value"], "illustrative")


def test_prepare_no_fill_writes_published_values_only(data_root, capsys):
    assert cli.main(["prepare", "--no-fill"]) == 0
    obs = pd.read_csv(config.PROCESSED_DIR / PLAN / "observations.csv", dtype={"region": str})
    published = qanalysis.load(data_files=None, fill=False).observations
    assert set(obs["status"]) == {"published"} and len(obs) == len(published) > 10
    assert cli.main(["prepare"]) == 0
    assert "illustrative" in set(pd.read_csv(config.PROCESSED_DIR / PLAN / "observations.csv")["status"])


def test_backtest_horizon_and_data(data_root, tmp_path, capsys):
    f = delivery(tmp_path / "县局.csv")
    out = tmp_path / "forecasts.csv"
    assert cli.main(["backtest", "--csv", "--horizon", "2", "--data", str(f), "--forecasts", str(out)]) == 0
    summary = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"horizon": str})
    assert set(summary["horizon"]) == {"all", "1", "2"}
    rows = pd.read_csv(out, dtype={"region": str})
    assert rows["horizon"].max() == 2
    # the delivered series is no longer generated: it leaves the illustrative panel
    illus = rows[rows["dataset"] == "illustrative"]
    assert not ((illus["region"] == "330326") & (illus["indicator"] == "pm25_concentration")).any()
    assert ((illus["region"] == "330326") & (illus["indicator"] == "mfg_product_pass_rate")).any()


def test_deck_data_draws_the_delivered_values(data_root, tmp_path, capsys):
    def stamped(argv):
        out = tmp_path / f"d{len(argv)}.pptx"
        assert cli.main(["deck", "--region", "330326", "--indicator", "pm25_concentration", "--out", str(out),
                         *argv]) == 0
        chart = list(Presentation(str(out)).slides)[1]
        return any(s.name == "illustrative_mark" for s in chart.shapes)

    assert stamped([]) is True                                   # the generated series: 示例数据
    assert stamped(["--data", str(delivery(tmp_path / "县局.csv"))]) is False   # the delivered one
    assert deliveries.kept(PLAN) == []                            # --data reads, keeps nothing


def test_review13_data_is_accepted_and_changes_nothing(data_root, tmp_path, capsys):
    assert cli.main(["review13", "--csv"]) == 0
    plain = capsys.readouterr().out
    assert cli.main(["review13", "--csv", "--data", str(delivery(tmp_path / "县局.csv"))]) == 0
    assert capsys.readouterr().out == plain and plain.count("\n") == 27   # header + 表1's 26 rows


def test_assess_lang_en_writes_english_headers(tmp_path, capsys):
    zh, en = tmp_path / "zh.xlsx", tmp_path / "en.xlsx"
    assert cli.main(["assess", "--as-of", "2025-06-30", "--xlsx", str(zh)]) == 0
    assert cli.main(["assess", "--as-of", "2025-06-30", "--xlsx", str(en), "--lang", "en"]) == 0
    head_zh = [c.value for c in openpyxl.load_workbook(zh).worksheets[0][1]]
    sheet_en = openpyxl.load_workbook(en).worksheets[0]
    head_en = [c.value for c in sheet_en[1]]
    assert len(head_en) == len(head_zh) and sheet_en.max_row == openpyxl.load_workbook(zh).worksheets[0].max_row
    assert all(CJK.search(str(h)) for h in head_zh if h not in ("region", "indicator"))
    assert not any(CJK.search(str(h)) for h in head_en)
