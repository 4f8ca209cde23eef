"""Incremental reports: after a one-county delivery a plain `qanalysis reports` rebuilds only the
reports whose inputs changed, says which and why, and leaves every other file byte-identical.

Real processes throughout (`python -m qanalysis prepare --data …`, `python -m qanalysis reports`) on a
scratch data tree (the `data_root` fixture, as in test_delivery_end_to_end.py). The first test uses a
small fixture notebook that shows its region's and the city's values; the second the real county
report on three regions.
"""
import hashlib
import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import docx
import pytest

pytestmark = pytest.mark.slow  # real report batches: left out of `make check`

FIX = Path(__file__).parent / "fixtures" / "notebooks"
CITY, COUNTY, OTHER, THIRD = "330300", "330302", "330303", "330304"
IND, YEAR, VALUE = "mfg_product_pass_rate", 2024, 97.31


def qa(*args, timeout=900):
    res = subprocess.run([sys.executable, "-m", "qanalysis", *args], capture_output=True, text=True,
                         timeout=timeout)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def shas(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (the report folders, summary.xlsx)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def by_region(files: dict[str, str], code: str) -> dict[str, str]:
    return {k: v for k, v in files.items() if k.startswith(code + "/")}


def deliver(tmp_path: Path) -> None:
    """One value of one county, as a long CSV a county bureau sends."""
    csv = tmp_path / "鹿城区2024报送.csv"
    csv.write_text("地区,指标,年份,数值,数据状态,来源\n"
                   f"鹿城区,制造业产品质量合格率,{YEAR},{VALUE},初步,区市场监管局快报\n", encoding="utf-8")
    assert "kept delivery 001" in qa("prepare", "--data", str(csv)).stdout


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_one_county_delivery_rebuilds_that_county_and_the_city_only(data_root, tmp_path):
    out = tmp_path / "reports"
    regions = ["--region", CITY, COUNTY, OTHER, THIRD]
    run = ["reports", *regions, "--out", str(out), "--notebook", str(FIX / "shows_city.ipynb"),
           "--jobs", "2", "--no-progress", "--timeout", "120"]
    qa("prepare")
    qa(*run)
    first = shas(out)
    m = manifest(out)
    assert sorted(m["ran"]) == sorted([CITY, COUNTY, OTHER, THIRD])
    assert (out / "summary.xlsx").is_file()
    # the manifest records each region's input fingerprint: its own rows, the regions it shows
    assert set(m["regions"][COUNTY]["inputs"]["shows"]) == {CITY}
    assert set(m["regions"][CITY]["inputs"]["shows"]) >= {COUNTY, OTHER, THIRD}
    assert "observations.csv" in m["regions"][COUNTY]["inputs"]["own"]
    assert "indicators.csv" in m["regions"][COUNTY]["inputs"]["shared"]

    # nothing changed: nothing rebuilt, every file (summary.xlsx too) byte-identical
    err = qa(*run).stderr
    assert "all 4 report(s) up to date" in err
    assert manifest(out)["ran"] == [] and shas(out) == first

    deliver(tmp_path)
    err = qa(*run).stderr
    m = manifest(out)
    assert sorted(m["ran"]) == sorted([COUNTY, CITY])
    assert m["kept_unchanged"] == [OTHER, THIRD]
    # it says which and why
    assert "rebuilding 2 of 4 report(s); 2 unchanged" in err
    assert re.search(rf"{COUNTY} \S+: its data changed \([^)]*observations\.csv", err), err
    assert re.search(rf"{CITY} \S+: data it shows of {COUNTY} changed", err), err
    assert OTHER not in err.split("rebuilding", 1)[1]
    assert m["rebuilt_because"][COUNTY][0].startswith("its data changed")
    now = shas(out)
    for code in (OTHER, THIRD):
        assert by_region(now, code) == by_region(first, code), code
    for code in (COUNTY, CITY):
        assert by_region(now, code) != by_region(first, code), code
    assert now["summary.xlsx"] != first["summary.xlsx"]  # the workbook covers every region
    # the rebuilt reports show the delivered value; the city's too (it shows the county's)
    for code in (COUNTY, CITY):
        page = text_of((out / code / f"{code}.html").read_text(encoding="utf-8"))
        assert f"VALUE {COUNTY} {YEAR} {VALUE} provisional" in page, code

    # --force (alias --all) rebuilds every region asked
    err = qa(*run, "--all").stderr
    assert sorted(manifest(out)["ran"]) == sorted([CITY, COUNTY, OTHER, THIRD])
    assert "--force" in err


def test_real_county_report_kept_when_its_inputs_are_the_same(data_root, tmp_path):
    """The real county report on three regions: the rebuild follows what each report showed."""
    out = tmp_path / "reports"
    run = ["reports", "--region", CITY, COUNTY, OTHER, "--out", str(out), "--jobs", "2",
           "--no-progress", "--no-summary"]
    qa(*run)
    first = shas(out)
    m = manifest(out)
    # what each report showed, as its notebook's report_timing recorded it
    assert COUNTY in m["regions"][COUNTY]["charts_shown"]
    assert OTHER in m["regions"][OTHER]["charts_shown"]
    other_shows_all = "*" in m["regions"][OTHER]["charts_shown"]  # e.g. the heatmap of every region

    assert "all 3 report(s) up to date" in qa(*run).stderr
    assert shas(out) == first

    deliver(tmp_path)
    err = qa(*run).stderr
    m = manifest(out)
    expected = {COUNTY, CITY} | ({OTHER} if other_shows_all else set())
    assert set(m["ran"]) == expected, err
    assert re.search(rf"{COUNTY} \S+: its data changed", err), err
    assert re.search(rf"{CITY} \S+: data it shows of {COUNTY} changed", err), err
    now = shas(out)
    if other_shows_all:  # its deck or page shows every county: it must be rebuilt, and says why
        assert re.search(rf"{OTHER} \S+: data it shows of {COUNTY} changed", err), err
    else:
        assert by_region(now, OTHER) == by_region(first, OTHER)
    # the rebuilt county's Word report names the delivery (read back with python-docx)
    doc = docx.Document(str(out / COUNTY / f"{COUNTY}.docx"))
    text = "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for t in doc.tables for row in t.rows for c in row.cells])
    assert "报送数据 001" in text
