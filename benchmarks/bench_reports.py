"""The county report batch: ``run_reports`` vs a parallel loop of papermill CLI calls.

Prints, side by side on the same notebook and data, every side writing the executed
notebook, the Word report, the deck and the HTML page:
  * the batch (``qanalysis.reports.batch.run_reports``, warm workers; also summary.xlsx and
    the manifest);
  * the loop an analyst with N cores writes: ``xargs -P N`` over ``papermill`` + ``jupyter
    nbconvert --to html --no-input`` per region (N = the batch's workers), and the ratio;
  * with ``--sequential``: the plain sequential ``for`` loop too (slow: a second line);
  * the floor: a bare kernel that imports pandas and matplotlib and saves one figure, by the
    papermill CLI and inside a warm kernel;
  * where a report's time goes (the notebook's ``report_timing`` and the manifest): kernel,
    load, assess, charts by kind, docx, pptx, HTML; the peak memory of each worker;
  * incremental: one county delivers one value (``qanalysis prepare --data``), then a plain
    ``qanalysis reports``: its time as a share of the full batch (goal ≤ 20 %).
Everything runs on a scratch copy of data/raw (the repository's data are not touched).
The machine may be shared: the load average is printed with the figures.

Usage: python benchmarks/bench_reports.py [--regions N] [--jobs N] [--skip-loop] [--sequential]
                                          [--skip-incremental]
Timing lives here, never in tests. A province-sized plan: benchmarks/bench_province.py.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOOR_NB = {
    "cells": [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "execution_count": None,
         "outputs": [], "source": 'region = "330302"\nout_dir = "."'},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": "import pandas as pd\nimport matplotlib\nmatplotlib.use('agg')\n"
                   "import matplotlib.pyplot as plt\nfrom pathlib import Path\n"
                   "fig, ax = plt.subplots()\nax.plot(pd.Series([1, 2, 3]))\n"
                   "fig.savefig(Path(out_dir, 'floor.png'))\nplt.close(fig)"},
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                 "language_info": {"name": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def sh(cmd: str, env=None) -> float:
    t = time.perf_counter()
    subprocess.run(["bash", "-c", cmd], check=False, cwd=ROOT, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def scratch_data(tmp: Path) -> dict:
    """A copy of data/raw (no deliveries) under ``tmp``; the environment that points at it."""
    root = tmp / "data"
    shutil.copytree(ROOT / "data" / "raw", root / "raw", ignore=shutil.ignore_patterns("deliveries"))
    env = {"QANALYSIS_DATA": str(root), "QANALYSIS_DELIVERIES": str(root / "deliveries")}
    os.environ.update(env)  # before qanalysis.config is imported: this process uses it too
    return dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="agg")


def report_timing(nb_path: Path) -> dict:
    """The notebook's last cell output (``report_timing``), {} when absent."""
    if not nb_path.is_file():
        return {}
    last = json.loads(nb_path.read_text(encoding="utf-8"))["cells"][-1]
    out = [o for o in last.get("outputs", []) if o.get("output_type") == "execute_result"]
    return ast.literal_eval("".join(out[0]["data"]["text/plain"])) if out else {}


def profile(s, out: Path, codes: list[str]) -> None:
    """Per report: where the time goes; the peak memory of each worker."""
    kinds = sorted({k for c in codes for k in report_timing(out / c / f"{c}.ipynb").get("charts_s", {})})
    print("  per report (s): kernel = waiting for a warm kernel; load/assess = 0 when cached in the "
          "kernel; charts by kind = drawn and rendered once (PNG 160 dpi); docx/pptx = assembly only")
    head = ["region", "total", "kernel", "load", "assess", *kinds, "docx", "pptx", "html"]
    print("    " + " ".join(f"{h[:9]:>9}" for h in head) + "  charts drawn")
    sums: dict[str, list[float]] = defaultdict(list)
    for c in codes:
        r = s.results.get(c, {})
        kt = report_timing(out / c / f"{c}.ipynb")
        t = r.get("timing", {})
        row = {"total": r.get("elapsed_s", 0), "kernel": t.get("kernel", 0), "load": kt.get("load", 0),
               "assess": kt.get("assess", 0), **{k: kt.get("charts_s", {}).get(k, 0) for k in kinds},
               "docx": kt.get("docx", 0), "pptx": kt.get("pptx", 0), "html": t.get("html", 0)}
        for k, v in row.items():
            sums[k].append(v)
        print(f"    {c:>9} " + " ".join(f"{row[h]:9.2f}" for h in head[1:]) + f"  {kt.get('charts_drawn', {})}")
    if codes:
        print("    {:>9} ".format("median") + " ".join(f"{statistics.median(sums[h]):9.2f}" for h in head[1:]))
    peaks: dict = defaultdict(lambda: [0.0, 0.0])
    for r in s.results.values():
        pk = peaks[r.get("worker_pid")]
        pk[0] = max(pk[0], r.get("worker_peak_mb") or 0)
        pk[1] = max(pk[1], r.get("kernel_peak_mb") or 0)
    print("  peak memory per worker, VmHWM (worker process + its kernel): "
          + ", ".join(f"{w:.0f} + {k:.0f} = {w + k:.0f} MB" for w, k in peaks.values()))


def loop_cmd(py: str, nb: Path, out: Path, codes: list[str], parallel: int) -> str:
    """The loop an analyst writes: papermill CLI then nbconvert's HTML (code hidden), per region;
    ``parallel`` > 1: ``xargs -P parallel``, else a sequential ``for`` loop."""
    one = (f"mkdir -p {out}/$r && {shlex.quote(py)} -m papermill {shlex.quote(str(nb))} {out}/$r/$r.ipynb "
           f"-r region $r -r out_dir {out}/$r -r data_dir '' -r lang zh -r chart_files '' --no-progress-bar "
           f"&& {shlex.quote(py)} -m jupyter nbconvert --to html --no-input --log-level ERROR "
           f"{out}/$r/$r.ipynb --output-dir {out}/$r")
    if parallel > 1:
        return (f"printf '%s\\n' {' '.join(codes)} | xargs -P {parallel} -I@ "
                f"bash -c {shlex.quote('r=@; ' + one)}")
    return f"for r in {' '.join(codes)}; do {one}; done"


def loop_ok(out: Path, codes: list[str]) -> int:
    return sum(all((out / c / f"{c}.{ext}").is_file() for ext in ("ipynb", "docx", "pptx", "html"))
               for c in codes)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--regions", type=int, default=0, help="first N regions only (default all)")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--skip-loop", action="store_true", help="no papermill loop at all")
    ap.add_argument("--sequential", action="store_true", help="also the sequential loop (slow)")
    ap.add_argument("--skip-incremental", action="store_true", help="no one-county delivery")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    env = scratch_data(tmp)
    # after scratch_data: qanalysis.config reads QANALYSIS_DATA when first imported
    from qanalysis import config
    from qanalysis.reports import batch as reports

    subprocess.run([sys.executable, "-m", "qanalysis", "prepare"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    codes = [c for c, _ in reports.resolve_regions(None)]
    if args.regions:
        codes = codes[: args.regions]
    py = str(Path(sys.executable))
    nb = config.COUNTY_REPORT_NOTEBOOK
    print(f"{len(codes)} reports, {os.cpu_count()} CPUs, notebook {nb.name}, scratch {tmp}")

    # --- floor
    floor = tmp / "floor.ipynb"
    floor.write_text(json.dumps(FLOOR_NB))
    (tmp / "floor_out").mkdir()
    pm = f"{shlex.quote(py)} -m papermill"
    floor_cli = [sh(f"{pm} {floor} {tmp}/floor_run.ipynb -r out_dir {tmp}/floor_out --no-progress-bar",
                    env) for _ in range(3)]
    print(f"floor, papermill CLI (python + papermill import + kernel + pandas/matplotlib + 1 figure): "
          f"median {statistics.median(floor_cli):.2f} s of {['%.2f' % x for x in floor_cli]}")
    floor_batch = reports.run_reports(regions=codes[:4], jobs=1, out_dir=tmp / "floor_batch",
                                      notebook=floor, timeout=120, progress=False, summary=False)
    warm = [r["elapsed_s"] for r in floor_batch.results.values()]
    print(f"floor, warm worker: first {warm[0]:.2f} s, then {['%.2f' % x for x in warm[1:]]} s a report "
          f"(papermill execute + HTML; kernel and imports reused)")

    # --- the batch
    load0 = os.getloadavg()
    t = time.perf_counter()
    s = reports.run_reports(regions=codes, jobs=args.jobs, out_dir=tmp / "batch", progress=True)
    batch = time.perf_counter() - t
    print(f"load average before the batch: {load0}; after: {os.getloadavg()}")
    print(f"\nbatch run_reports: {batch:.1f} s for {len(codes)} reports with {s.jobs} workers "
          f"({batch / len(codes):.2f} s a report); ok {len(s.ok)}, failed {s.failed}; "
          f"summary.xlsx: {(s.summary_status or {}).get('status')}")
    profile(s, tmp / "batch", codes)

    # --- the loops: the same notebook, data and documents, HTML by nbconvert
    if not args.skip_loop:
        loop_out = tmp / "loop"
        load1 = os.getloadavg()
        par = sh(loop_cmd(py, nb, loop_out, codes, s.jobs), env)
        print(f"\nparallel loop (xargs -P {s.jobs} over papermill CLI + nbconvert HTML): {par:.1f} s "
              f"({par / len(codes):.2f} s a report), {loop_ok(loop_out, codes)}/{len(codes)} with ipynb, "
              f"docx, pptx and html; load average before: {load1}, after: {os.getloadavg()}")
        print(f"speed-up batch vs parallel loop: {par / batch:.2f}x (goal ≥ 4x)")
        if args.sequential:
            seq_out = tmp / "loop_seq"
            seq = sh(loop_cmd(py, nb, seq_out, codes, 1), env)
            print(f"sequential loop (for … papermill + nbconvert): {seq:.1f} s, "
                  f"{loop_ok(seq_out, codes)}/{len(codes)} complete; batch vs sequential loop: {seq / batch:.2f}x")
        print(f"floor share: a parallel-loop report costs {par / len(codes) * s.jobs:.1f} s of a core, "
              f"of which the floor (bare kernel + pandas/matplotlib + 1 figure) is "
              f"{statistics.median(floor_cli):.1f} s")

    # --- incremental: one county delivers one value, then the plain `qanalysis reports`
    if not args.skip_incremental:
        county = next((c for c in codes[1:]), codes[0])
        name = dict(reports.resolve_regions([county]))[county]
        delivery = tmp / f"{name}报送.csv"
        delivery.write_text("地区,指标,年份,数值,数据状态,来源\n"
                            f"{name},制造业产品质量合格率,2024,97.31,初步,基准测试\n", encoding="utf-8")
        cli = [py, "-m", "qanalysis"]
        t = time.perf_counter()
        subprocess.run([*cli, "prepare", "--data", str(delivery)], env=env, check=True, stdout=subprocess.DEVNULL)
        t_prep = time.perf_counter() - t
        res = subprocess.run([*cli, "reports", "--region", *codes, "--out", str(tmp / "batch"), "--no-progress"],
                             env=env, capture_output=True, text=True)
        t_inc = time.perf_counter() - t
        m = json.loads((tmp / "batch" / "manifest.json").read_text(encoding="utf-8"))
        print(f"\none-county delivery ({county} {name}, one value) then `qanalysis reports`: {t_inc:.1f} s "
              f"(prepare --data {t_prep:.1f} s), rebuilt {m['ran']} of {len(codes)}; "
              f"{t_inc / batch:.0%} of the full batch (goal ≤ 20 %); exit {res.returncode}")
        print("  " + "\n  ".join(ln for ln in res.stderr.splitlines() if ln.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
