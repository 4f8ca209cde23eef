"""Inputs that cannot crash a report: hostile cells, files that are not files, zip bombs.

Each case goes through ``qanalysis validate`` and ``qanalysis prepare --data`` (real
processes: one line per problem naming file, row and column, no traceback, nothing
kept), or through the public reader, and a ``$…$`` source through prepare to a chart.
"""
from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from qanalysis.data import deliveries
from qanalysis.data.formats import MAX_UNCOMPRESSED_BYTES

PLAN = "wenzhou-2021-2025"
ROOT = Path(__file__).resolve().parents[1]
HEADER = "region,indicator,year,value,status,source\n"
ROW = "330302,mfg_product_pass_rate,{year},{value},provisional,{source}\n"


def env() -> dict:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "qanalysis", *args], capture_output=True, text=True,
                          timeout=timeout, env=env())


def refused_by_both(path: Path, *expected: str) -> str:
    """validate and prepare --data both refuse ``path`` without a traceback; the lines they print."""
    v = cli("validate", str(path))
    p = cli("prepare", "--data", str(path))
    for res in (v, p):
        assert res.returncode == 1, res.stdout + res.stderr
        assert "Traceback" not in res.stderr + res.stdout
    for text in expected:
        assert text in v.stdout, v.stdout
        assert text in p.stderr, p.stderr
    assert deliveries.kept(PLAN) == []
    return v.stdout


def test_excel_true_false_in_a_value_cell_is_refused(data_root, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["region", "indicator", "year", "value", "status"])
    ws.append(["330302", "mfg_product_pass_rate", 2022, True, "provisional"])
    ws.append(["330302", "mfg_product_pass_rate", 2023, False, "provisional"])
    wb.save(tmp_path / "bools.xlsx")
    out = refused_by_both(tmp_path / "bools.xlsx", "logical value TRUE", "logical value FALSE")
    assert "row 2, column 'value': error [not_a_number]" in out


@pytest.mark.parametrize("char", ["\x00", "\x0b", "\x1b", "\x7f"])
def test_control_characters_in_a_text_field_are_refused_with_row_and_column(data_root, tmp_path, char):
    f = tmp_path / "ctl.csv"
    f.write_text(HEADER + ROW.format(year=2022, value=97.1, source=f"区局{char}统计"), encoding="utf-8")
    out = refused_by_both(f, f"U+{ord(char):04X}")
    assert "row 2, column 'source': error [control_character]" in out
    assert char not in out  # printed as an escape, never raw


def test_a_bom_inside_the_body_is_named_as_such(data_root, tmp_path):
    f = tmp_path / "joined.csv"
    f.write_bytes(("\ufeff" + HEADER + ROW.format(year=2022, value=97.1, source="a")).encode("utf-8")
                  + ("\ufeff" + ROW.format(year=2023, value=97.2, source="b")).encode("utf-8"))
    out = refused_by_both(f, "byte-order mark")
    assert "row 3" in out and "[bom_in_body]" in out and "not a whole year" not in out


def test_a_control_character_in_a_file_name_is_refused_and_printed_escaped(data_root, tmp_path):
    f = tmp_path / "evil\x1b[31m.csv"
    f.write_text(HEADER + ROW.format(year=2022, value=97.1, source="a"), encoding="utf-8")
    res = cli("validate", str(f))
    assert res.returncode == 1 and "[control_character]" in res.stdout
    assert "\x1b" not in res.stdout and "\\x1b[31m.csv" in res.stdout


def test_a_header_only_file_is_refused_by_validate_as_by_prepare(data_root, tmp_path):
    f = tmp_path / "header.csv"
    f.write_text(HEADER, encoding="utf-8")
    refused_by_both(f, "[no_values]")


def test_thousands_of_warnings_are_summarised_by_kind(data_root, tmp_path):
    f = tmp_path / "gaps.csv"
    rows = [ROW.format(year=2022, value=97.1, source="a")]
    rows += [ROW.format(year=2000 + i % 20, value="", source="a") for i in range(3000)]
    f.write_text(HEADER + "".join(rows), encoding="utf-8")
    res = cli("validate", str(f))
    lines = res.stdout.splitlines()
    assert len(lines) < 60, len(lines)
    assert any(ln.startswith("… and ") and "× warning [missing_value]" in ln for ln in lines)


def test_the_count_of_values_read_is_of_distinct_values(data_root, tmp_path):
    f = tmp_path / "twice.csv"
    f.write_text(HEADER + ROW.format(year=2022, value=97.1, source="a") * 5
                 + ROW.format(year=2023, value=97.2, source="a"), encoding="utf-8")
    res = cli("validate", str(f))
    assert "2 distinct value(s) read (from 6 rows" in res.stdout, res.stdout


def test_a_fifo_and_a_link_to_dev_zero_are_refused_at_once(data_root, tmp_path):
    fifo = tmp_path / "x.csv"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.csv"
    zero.symlink_to("/dev/zero")
    for path, kind in ((fifo, "named pipe"), (zero, "a device")):
        start = time.monotonic()
        res = cli("validate", str(path), timeout=60)
        assert res.returncode == 1 and kind in res.stdout and "not a regular file" in res.stdout, res.stdout
        assert time.monotonic() - start < 30


def _zip_bomb(path: Path, unpacked: int) -> None:
    """A valid .xlsx whose sheet XML unpacks to ``unpacked`` bytes of empty cells (compresses ~1000:1)."""
    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, src.read(item))
        head = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
        cell = b'<c r="A1"/>'
        with out.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(head)
            block = cell * (2 ** 20 // len(cell))
            for _ in range(unpacked // len(block)):
                fh.write(block)
            fh.write(b"</row></sheetData></worksheet>")


def test_a_zip_bomb_workbook_is_refused_quickly_and_cheaply(data_root, tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    _zip_bomb(bomb, 2 * MAX_UNCOMPRESSED_BYTES)
    assert bomb.stat().st_size < 2 * 2 ** 20
    probe = ("import resource, sys, time\n"
             "from qanalysis.data.readers import read_observations\n"
             "from qanalysis.plan.catalogue import read_plan\n"
             "plan = read_plan()\n"
             "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             "t = time.perf_counter()\n"
             "df, probs = read_observations(sys.argv[1], plan)\n"
             "dt = time.perf_counter() - t\n"
             "grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
             "print(dt, grew, probs[0].code, len(df))\n")
    res = subprocess.run([sys.executable, "-c", probe, str(bomb)], capture_output=True, text=True,
                         timeout=120, env=env())
    assert res.returncode == 0, res.stderr
    seconds, grew_kb, code, rows = res.stdout.split()
    assert code == "too_large" and rows == "0"
    assert float(seconds) < 1.0 and int(grew_kb) < 200 * 1024
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1024 * 1024  # the whole child < 1 GB


def test_a_dollar_source_reaches_a_chart_as_text_not_math(data_root, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import qanalysis
    from qanalysis.analysis.assess import assess
    from qanalysis.charts import plots

    f = tmp_path / "math.csv"
    source = r"区局 $\frac{1}{0$ 统计"  # unbalanced: mathtext would raise on drawing
    f.write_text(HEADER + ROW.format(year=2022, value=97.1, source=source), encoding="utf-8")
    assert cli("prepare", "--data", str(f)).returncode == 0
    a = assess(qanalysis.load())
    fig = plots.trajectory(a, "330302", "mfg_product_pass_rate")
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert any("$\\frac{1}{0$" in t for t in texts), texts
    fig.savefig(tmp_path / "chart.png")  # drawn: the text stays text
    assert (tmp_path / "chart.png").stat().st_size > 1000


def test_the_explorer_table_shows_plan_text_as_text_not_markup():
    import qanalysis
    from qanalysis.analysis.assess import assess
    from qanalysis.explore import tables

    a = assess(qanalysis.load())
    rows = a.table[a.table["region"] == str(a.data.plan.city_code)].head(3).copy()
    rows.iloc[0, rows.columns.get_loc("name_zh")] = '<img src=x onerror="alert(1)">质量'
    html = tables.table_view(rows, ["name_zh", "unit", "status_zh"], a.data.catalogue).to_html()
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;质量" in html or "&lt;img src=x" in html
    assert "<img" not in html
