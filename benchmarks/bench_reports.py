"""The county report batch: ``run_reports`` vs a plain shell loop of papermill calls.

Prints, side by side on the same notebook and data:
  * the batch (``qanalysis.reports.batch.run_reports``, warm workers; every default
    deliverable: executed notebook, HTML, Word, PowerPoint, summary.xlsx, manifest);
  * a plain sequential ``for r in …; do papermill …; done`` shell loop over the same
    notebook (it writes the Word report and the deck too; no HTML, no summary);
  * the floor: a bare kernel that imports pandas and matplotlib and saves one figure,
    run by the papermill command line (what every report of the plain loop pays at least)
    and inside a warm kernel;
  * where the batch's time goes: per report, kernel start, data, charts, the Word
    report, the deck and the HTML export (the notebook's ``report_timing`` output
    and the manifest), per-cell durations, and the peak memory of each worker.
The machine may be shared: the load average is printed with the figures.

Usage: .venv/bin/python benchmarks/bench_reports.py [--regions N] [--jobs N] [--skip-loop]
Needs the library (qanalysis.load/assess/plots). Timing lives here, never in tests.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qanalysis import config
from qanalysis.reports import batch as reports  # noqa: E402

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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--regions", type=int, default=0, help="first N regions only (default all)")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--skip-loop", action="store_true")
    args = ap.parse_args()

    codes = [c for c, _ in reports.resolve_regions(None)]
    if args.regions:
        codes = codes[: args.regions]
    py = str(Path(sys.executable))
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="agg")
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    print(f"{len(codes)} reports, {os.cpu_count()} CPUs, notebook {config.COUNTY_REPORT_NOTEBOOK.name}, "
          f"scratch {tmp}")

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
    per = [r.get("elapsed_s", 0) for r in s.results.values()]
    print(f"  per report inside a worker: median {statistics.median(per):.1f} s, "
          f"min {min(per):.1f}, max {max(per):.1f}")
    cells: dict[str, list[float]] = defaultdict(list)
    for c in codes:
        nbp = tmp / "batch" / c / f"{c}.ipynb"
        if not nbp.is_file():
            continue
        nb = json.loads(nbp.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            tags = cell["metadata"].get("tags", [])
            if cell["cell_type"] != "code" or "parameters" in tags or "injected-parameters" in tags:
                continue
            src = "".join(cell["source"]).strip().splitlines()
            key = next((ln for ln in src if ln and not ln.startswith("#")), "?")[:70]
            cells[key].append(cell["metadata"].get("papermill", {}).get("duration") or 0.0)
    print("  where the time goes (sum over reports, per cell):")
    for key, ds in sorted(cells.items(), key=lambda kv: -sum(kv[1])):
        print(f"    {sum(ds):7.1f} s  mean {statistics.mean(ds):5.2f}  {key}")
    html = [r.get("timing", {}).get("html", 0) for r in s.results.values()]
    print(f"    {sum(html):7.1f} s  HTML export (nbconvert basic template, page, font subset)")
    print("  per report (s): kernel = waiting for a warm kernel; data = load + assess (cached in a warm "
          "kernel); charts = drawn and rendered once (PNG 160 dpi); docx/pptx = assembly only")
    print(f"    {'region':8} {'total':>6} {'kernel':>6} {'data':>6} {'charts':>6} {'docx':>6} {'pptx':>6} "
          f"{'html':>6}  charts drawn")
    for c in codes:
        r = s.results.get(c, {})
        nbp = tmp / "batch" / c / f"{c}.ipynb"
        kt: dict = {}
        if nbp.is_file():
            last = json.loads(nbp.read_text(encoding="utf-8"))["cells"][-1]
            out = [o for o in last.get("outputs", []) if o.get("output_type") == "execute_result"]
            if out:
                kt = ast.literal_eval("".join(out[0]["data"]["text/plain"]))
        t = r.get("timing", {})
        print(f"    {c:8} {r.get('elapsed_s', 0):6.1f} {t.get('kernel', 0):6.1f} {kt.get('data', 0):6.1f} "
              f"{kt.get('charts', 0):6.1f} {kt.get('docx', 0):6.1f} {kt.get('pptx', 0):6.1f} "
              f"{t.get('html', 0):6.1f}  {kt.get('charts_drawn', {})}")
    peaks: dict = defaultdict(lambda: [0.0, 0.0])
    for r in s.results.values():
        pk = peaks[r.get("worker_pid")]
        pk[0] = max(pk[0], r.get("worker_peak_mb") or 0)
        pk[1] = max(pk[1], r.get("kernel_peak_mb") or 0)
    print("  peak memory per worker, VmHWM (worker process + its kernel): "
          + ", ".join(f"{w:.0f} + {k:.0f} = {w + k:.0f} MB" for w, k in peaks.values()))

    if args.skip_loop:
        return 0
    # --- plain loop: the same notebook, data and chart output, one papermill CLI call per region
    loop_out = tmp / "loop"
    loop_out.mkdir()
    regions_sh = " ".join(codes)
    cmd = (f"for r in {regions_sh}; do mkdir -p {loop_out}/$r && "
           f"{pm} {shlex.quote(str(config.COUNTY_REPORT_NOTEBOOK))} {loop_out}/$r/$r.ipynb "
           f"-r region $r -r out_dir {loop_out}/$r -r data_dir '' -r lang zh -r chart_files '' "
           "--no-progress-bar; done")
    load1 = os.getloadavg()
    loop = sh(cmd, env)
    ok = sum((loop_out / c / f"{c}.docx").is_file() and (loop_out / c / f"{c}.pptx").is_file() for c in codes)
    print(f"\nplain loop of papermill CLI calls: {loop:.1f} s ({loop / len(codes):.2f} s a report), "
          f"{ok}/{len(codes)} notebooks with their docx and pptx (no HTML, no summary); "
          f"load average before: {load1}, after: {os.getloadavg()}")
    print(f"\nspeed-up batch vs loop: {loop / batch:.2f}x (goal ≥ 4x); batch {batch:.0f} s (goal ≤ 120 s)")
    print(f"floor share: a plain-loop report costs {loop / len(codes):.1f} s, of which the floor "
          f"(bare kernel + pandas/matplotlib + 1 figure) is {statistics.median(floor_cli):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
