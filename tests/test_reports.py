"""The papermill batch runner on tiny fixture notebooks (no library parts needed)."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from qanalysis import cli, config
from qanalysis.reports import batch as reports
from qanalysis.reports import notebook, pool
from qanalysis.reports.jobs import REPORT_PARAMETERS
from qanalysis.errors import QAnalysisError

FIX = Path(__file__).parent / "fixtures" / "notebooks"
REGIONS = [("330300", "温州市"), ("330302", "鹿城区"), ("330303", "龙湾区"), ("01", "测试区")]


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    rows = ["code,name_zh,name_en,level,parent,weight"]
    rows += [f"{c},{n},x,{'city' if c == '330300' else 'county'},,1" for c, n in REGIONS]
    (d / "regions.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return d


@pytest.fixture
def behaviour(tmp_path, monkeypatch):
    """What mixed.ipynb does per region: {"330302": "fail", …}; read when each report runs."""
    path = tmp_path / "behaviour.json"
    monkeypatch.setenv("QA_FIXTURE_BEHAVIOUR", str(path))

    def set_(mapping):
        path.write_text(json.dumps(mapping))
    set_({})
    return set_


def _run(data_dir, out, notebook="mixed.ipynb", **kw):
    kw.setdefault("jobs", 2)
    kw.setdefault("timeout", 30)
    return reports.run_reports(data_dir=data_dir, out_dir=out, notebook=FIX / notebook,
                               progress=False, summary=False, **kw)


def _manifest(out):
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_ok_outputs_manifest_and_str_parameters(data_dir, tmp_path, monkeypatch):
    out = tmp_path / "out"
    # a worker retires after 3 jobs (its memory grows): the 4th report gets a new one
    monkeypatch.setenv("QANALYSIS_REPORT_JOBS_PER_WORKER", "3")
    s = _run(data_dir, out, notebook="ok.ipynb", jobs=1)
    assert s.exit_code == 0 and sorted(s.ok) == sorted(c for c, _ in REGIONS)
    m = _manifest(out)
    assert len({r["worker_pid"] for r in m["regions"].values()}) == 2
    # the data hash is the sha256 of the data files, computed independently here
    sha = hashlib.sha256((data_dir / "regions.csv").read_bytes()).hexdigest()
    assert m["data"]["files"] == {str(data_dir / "regions.csv"): sha}
    assert m["python_version"] and m["package_version"] and m["jobs"] == 1
    for code, _ in REGIONS:
        folder = out / code
        nb = json.loads((folder / f"{code}.ipynb").read_text(encoding="utf-8"))
        html = (folder / f"{code}.html").read_text(encoding="utf-8")
        assert f"REPORT-BODY {code}" in html          # outputs shown
        assert "params.json" not in html              # code hidden
        assert "TEMPLATE-NOTE-FOR-ANALYSTS" not in html  # cells tagged report-hide left out
        assert "<script" not in html and "mathjax" not in html.lower()  # no CDN script (issue 11)
        assert m["regions"][code]["status"] == "ok"
        params = json.loads((folder / "params.json").read_text())
        assert params["region"] == code and params["type"] == "str"  # "01" stays "01"
        injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
        assert f'region = "{code}"' in "".join(injected[0]["source"])
        assert 'chart_files = ""' in "".join(injected[0]["source"])  # no PNG/SVG files by default
        counts = [c["execution_count"] for c in nb["cells"] if c["cell_type"] == "code"]
        assert counts == list(range(1, len(counts) + 1))  # as in a fresh kernel
    # no temporary folders left behind
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_charts_switch_writes_every_chart_of_the_real_report(tmp_path, capsys):
    """`qanalysis reports --charts --lang en` on the real county report: beside the documents, every
    chart of the region as a 300 dpi PNG and an SVG, one trajectory per quantified indicator and one
    panel per category, named as `plots.write_region_charts` names them, drawn in English (the
    charts' language; the prose stays Chinese, docs/reports.md)."""
    import qanalysis
    from PIL import Image

    from qanalysis.analysis.assess import assess
    from qanalysis.charts import plots

    region, as_of = "330326", "2025-06-30"
    out = tmp_path / "out"
    code = cli.main(["reports", "--region", region, "--charts", "--lang", "en", "--out", str(out), "--jobs", "1",
                     "--no-progress", "--no-summary", "--as-of", as_of])
    assert code == 0, capsys.readouterr().err
    a = assess(qanalysis.load(), as_of=as_of)
    rows = a.table[a.table["region"] == region]
    stems = [f"{region}_{i}_trajectory" for i in plots.quantified_indicators(a, region)]
    folder = out / region / "charts"
    got = sorted(p.name for p in folder.iterdir())
    panels = [n for n in got if n.endswith("_small_multiples.png")]
    assert len(panels) == rows["category"].nunique() and len(stems) > 10
    want = sorted(f"{s}.{f}" for s in stems + [n[:-4] for n in panels] for f in ("png", "svg"))
    assert got == want
    with Image.open(folder / f"{stems[0]}.png") as im:
        assert [round(d) for d in im.info["dpi"]] == [300, 300]
    svg = (folder / f"{stems[0]}.svg").read_text(encoding="utf-8")
    words = re.findall(r"<!-- (.*?) -->", svg)        # the chart's text, drawn as outlines
    assert svg.lstrip().startswith("<?xml") and any("Pingyang County" in w for w in words)
    # Chinese only in the 示例数据 mark, which every chart carries in both languages
    assert not [w for w in words if re.search(r"[\u4e00-\u9fff]", w.replace("示例数据", ""))]
    nb = json.loads((out / region / f"{region}.ipynb").read_text(encoding="utf-8"))
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert 'chart_files = "png,svg"' in "".join(injected[0]["source"])


@pytest.mark.slow
def test_failures_resume_and_atomic_rerun(data_dir, tmp_path, behaviour, capsys):
    out = tmp_path / "out"
    behaviour({"330302": "fail", "330303": "hang"})
    rc = cli.main(["reports", "--data-dir", str(data_dir), "--out", str(out), "--notebook",
                   str(FIX / "mixed.ipynb"), "--timeout", "5", "--jobs", "2", "--no-progress",
                   "--no-summary", "--as-of", "2025-06-30"])  # a monitoring run, as _run's below
    err = capsys.readouterr().err
    assert rc == 1
    m = _manifest(out)
    st = {c: r["status"] for c, r in m["regions"].items()}
    assert st == {"330300": "ok", "330302": "failed", "330303": "timeout", "01": "ok"}
    assert m["regions"]["330302"]["error_kind"] == "cell_error"
    assert "boom in 330302" in m["regions"]["330302"]["error"]
    # the failures are listed at the end with where to read why
    assert "330302" in err and "330303" in err and "_failed" in err
    failed_nb = json.loads((out / "_failed" / "330302" / "330302.ipynb").read_text())
    assert any(o.get("ename") == "ValueError" for c in failed_nb["cells"] for o in c.get("outputs", []))
    assert (out / "_failed" / "330303" / "330303.partial.ipynb").is_file()
    assert not (out / "330302").exists() and not (out / "330303").exists()

    # --resume reruns only the two that failed
    good = (out / "330300" / "330300.ipynb").read_bytes()
    behaviour({"330300": "fail"})  # would fail if it were rerun
    s = _run(data_dir, out, resume=True)
    m = _manifest(out)
    assert sorted(m["ran"]) == ["330302", "330303"]
    assert s.exit_code == 0 and all(r["status"] == "ok" for r in m["regions"].values())
    assert not (out / "_failed" / "330302").exists()  # superseded by the good report
    assert (out / "330300" / "330300.ipynb").read_bytes() == good

    # the data change: --resume reruns everything asked and says why; a failed rerun
    # leaves the previous good report untouched and records the failure
    with open(data_dir / "regions.csv", "a", encoding="utf-8") as fh:
        fh.write("330304,瓯海区,x,county,,1\n")
    capsys.readouterr()
    s = _run(data_dir, out, resume=True, regions=["330300", "01"])
    assert "data_sha256" in s.rerun_all_reason
    # said even without a progress bar (_run passes progress=False)
    assert "rerunning every region" in capsys.readouterr().err
    m = _manifest(out)
    assert sorted(m["ran"]) == ["01", "330300"]
    assert s.exit_code == 1 and m["regions"]["330300"]["status"] == "failed"
    assert (out / "330300" / "330300.ipynb").read_bytes() == good
    assert (out / "_failed" / "330300" / "330300.ipynb").is_file()
    assert m["regions"]["01"]["status"] == "ok"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_parent_kills_a_frozen_worker(data_dir, tmp_path, behaviour, monkeypatch):
    # the notebook stops its own worker (SIGSTOP): only the parent's wall clock can end it
    monkeypatch.setattr(pool, "KILL_GRACE", 0.5)
    # the healthy report's limit comes from its own measured run on this machine, however loaded
    # (a fixed 5 s from job start failed on a busy 2-core box): six times that, plus 10 s
    alone = _run(data_dir, tmp_path / "alone", regions=["01"], timeout=300).results["01"]
    assert alone["status"] == "ok"
    limit = 6 * alone["wall_s"] + 10
    behaviour({"330302": "freeze"})
    out = tmp_path / "out"
    s = _run(data_dir, out, regions=["330302", "01"], timeout=limit)
    assert s.results["01"]["status"] == "ok"
    r = s.results["330302"]
    assert r["status"] == "timeout" and r["error_kind"] == "wall_clock"
    assert r["elapsed_s"] >= limit   # killed by its clock, not before
    assert (out / r["details"] / "error.txt").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_kernel_start_failure_is_retried_and_reported(data_dir, tmp_path):
    s = _run(data_dir, tmp_path / "out", notebook="bad_kernel.ipynb", regions=["01"])
    r = s.results["01"]
    assert r["status"] == "failed" and r["error_kind"] == "kernel_start" and r["attempts"] == 2


@pytest.mark.parametrize("bad", ["../x", "999999", "330302/../../etc", 330302])
def test_bad_region_rejected_before_any_path(data_dir, tmp_path, bad):
    out = tmp_path / "out"
    with pytest.raises(QAnalysisError, match="region"):
        _run(data_dir, out, regions=[bad])
    assert not out.exists()


@pytest.mark.slow
def test_dask_cluster_same_results(data_dir, tmp_path, behaviour):
    import distributed  # a declared dependency: a missing one must fail, not skip

    behaviour({"330302": "fail"})
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        s = _run(data_dir, out, regions=["330302", "01"], scheduler=cluster.scheduler_address)
    assert s.exit_code == 1
    assert {c: r["status"] for c, r in s.results.items()} == {"330302": "failed", "01": "ok"}
    assert (out / "01" / "01.html").is_file()
    assert (out / "_failed" / "330302" / "error.txt").is_file()
    assert _manifest(out)["scheduler"] == cluster.scheduler_address


def test_county_report_parameters_match_the_runner():
    import papermill

    params = papermill.inspect_notebook(str(config.COUNTY_REPORT_NOTEBOOK))
    assert tuple(params) == REPORT_PARAMETERS
    assert all(p["inferred_type_name"] == "str" and p["default"].startswith('"')
               for p in params.values())


def test_headline_counts_and_data_note():
    import pandas as pd

    from qanalysis.analysis.status import STATUS_ORDER

    table = pd.DataFrame({
        "region": ["a", "a", "a", "b"],
        "status": ["on_track", "on_track", "at_risk", "achieved"],
        "has_illustrative": [True, False, False, False],
    })
    c = notebook.headline_counts(table, "a").set_index("status")["count"]
    assert c["on_track"] == 2 and c["at_risk"] == 1 and c["achieved"] == 0 and c["total"] == 3
    assert set(STATUS_ORDER) <= set(c.index)
    assert "示例数据" in notebook.data_note(table, "a")
    assert "示例数据" not in notebook.data_note(table, "b")


def test_assessment_view_shows_increments_as_their_running_sum():
    """An increment's target is the plan period's total: the table shows that total beside it."""

    _, a = notebook.load_assessment(None)
    t = a.table
    row = t[(t["region"] == "330300") & (t["kind"] == "increment")].iloc[0]
    view = notebook.assessment_view(t, "330300", "zh").data
    shown = view.loc[view["指标"] == row["name_zh"], "最新值(新增类为期内累计)"].iloc[0]
    assert shown == row["cumulative"] and shown != row["latest"]


@pytest.mark.parametrize("notebook,status,kind", [
    ("failing.ipynb", "failed", "cell_error"),      # a cell raises
    ("hanging.ipynb", "timeout", "cell_timeout"),   # a cell never returns
    ("slow_start.ipynb", "ok", None),               # slow, but inside its limit
])
@pytest.mark.slow
def test_a_failing_a_hanging_and_a_slow_notebook(data_dir, tmp_path, notebook, status, kind):
    out = tmp_path / "out"
    s = _run(data_dir, out, notebook=notebook, regions=["01"], jobs=1, timeout=6)
    r = s.results["01"]
    assert (r["status"], r.get("error_kind")) == (status, kind)
    if status == "ok":
        assert json.loads((out / "01" / "params.json").read_text())["region"] == "01"
        assert "REPORT-BODY 01" in (out / "01" / "01.html").read_text(encoding="utf-8")
    else:
        assert not (out / "01").exists()  # nothing half-made in place
        error_txt = (out / r["details"] / "error.txt").read_text(encoding="utf-8")
        assert "\x1b" not in error_txt  # a file to read: no terminal colour codes
    if kind == "cell_error":
        assert "boom in 01" in r["error"]
        assert "ValueError" in error_txt and "boom in 01" in error_txt  # the traceback is kept
    if kind == "cell_timeout":
        assert (out / "_failed" / "01" / "01.partial.ipynb").is_file()
        assert "exceeded its limit of 6 s" in r["error"] and "import time" in r["error"]  # names the cell
