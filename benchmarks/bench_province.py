"""A province-sized plan through the report batch, locally and on Dask.

Generates a synthetic plan into a scratch data tree: the shipped Wenzhou plan (its catalogue,
targets and 表1) with ``--regions N`` regions in all — the city and its 12 counties, then
synthetic counties 示例县001… (codes 339001…) with illustrative values from the seeded
generator. One level below the top, as the plan format has it: a province of ~100 counties
costs the same per report. Then:
  * ``qanalysis prepare`` (timed),
  * ``qanalysis reports`` with the local warm workers (``--jobs``, default the CPUs),
  * ``qanalysis reports --scheduler`` on a ``distributed.LocalCluster`` (as many single-thread
    worker processes as ``--jobs``) started here,
and prints for each: reports per minute per core, seconds a report, peak memory per report
worker (VmHWM of the worker process and its kernel) and, for Dask, of each Dask worker process.
The machine may be shared: the load average is printed with the figures.

Usage: python benchmarks/bench_province.py [--regions N] [--jobs N] [--skip-dask] [--skip-local]
Default N = 100 (a province). On a small or shared machine start with ``--regions 4``.
Timing lives here, never in tests.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAN = "wenzhou-2021-2025"
SYNTH = "synthetic-province-2021-2025"


def make_plan(tmp: Path, n: int) -> dict:
    """The scratch data tree with the synthetic plan of ``n`` regions; its environment."""
    root = tmp / "data"
    shutil.copytree(ROOT / "data" / "raw", root / "raw", ignore=shutil.ignore_patterns("deliveries"))
    src, dst = root / "raw" / "plans" / PLAN, root / "raw" / "plans" / SYNTH
    shutil.copytree(src, dst)
    toml = (dst / "plan.toml").read_text(encoding="utf-8")
    toml = re.sub(r'^id = ".*"$', f'id = "{SYNTH}"', toml, count=1, flags=re.M)
    toml = re.sub(r'^name_zh = "(.*)"$', r'name_zh = "\1（合成省级规模示例）"', toml, count=1, flags=re.M)
    (dst / "plan.toml").write_text(toml, encoding="utf-8")
    with open(src / "regions.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if n < len(rows):
        rows = rows[:max(n, 2)]
        keep = {r["code"] for r in rows}
        ct = (dst / "county_targets.csv").read_text(encoding="utf-8").splitlines()
        (dst / "county_targets.csv").write_text(
            "\n".join([ct[0]] + [ln for ln in ct[1:] if ln.split(",", 1)[0] in keep]) + "\n", encoding="utf-8")
        pub = root / "raw" / "observations" / "published.csv"  # a smaller plan: its regions' values only
        with open(pub, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            fields, kept = reader.fieldnames, [r for r in reader if r["region"] in keep]
        with open(pub, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(kept)
    for k in range(1, n - len(rows) + 1):
        rows.append({"code": f"{339000 + k}", "name_zh": f"示例县{k:03d}", "name_en": f"Synthetic County {k:03d}",
                     "level": "county", "parent": rows[0]["code"], "weight": "1"})
    with open(dst / "regions.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    env = {"QANALYSIS_DATA": str(root), "QANALYSIS_DELIVERIES": str(root / "deliveries"),
           "QANALYSIS_PLAN": SYNTH}
    os.environ.update(env)  # the Dask workers started here inherit it
    return dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="agg")


def run_batch(env: dict, out: Path, processed: Path, jobs: int, scheduler: str | None) -> tuple[float, dict, str]:
    cmd = [sys.executable, "-m", "qanalysis", "reports", "--out", str(out), "--data-dir", str(processed),
           "--jobs", str(jobs), "--no-progress", "--force"]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    t = time.perf_counter()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8")) if (out / "manifest.json").is_file() else {}
    said = (res.stdout.strip().splitlines() or res.stderr.strip().splitlines() or [""])[0]
    return elapsed, m, f"exit {res.returncode}: {said}"


def describe(label: str, elapsed: float, m: dict, cores: int) -> None:
    regs = m.get("regions", {})
    ok = sum(r.get("status") == "ok" for r in regs.values())
    per = sorted(r.get("elapsed_s", 0) for r in regs.values() if r.get("status") == "ok")
    print(f"{label}: {elapsed:.1f} s for {ok}/{len(regs)} reports ok (summary.xlsx "
          f"{(m.get('summary_xlsx') or {}).get('status')}), {cores} core(s): "
          f"{ok / (elapsed / 60) / cores:.2f} reports per minute per core; "
          f"median {per[len(per) // 2] if per else 0:.1f} s a report inside a worker")
    peaks: dict = defaultdict(lambda: [0.0, 0.0])
    for r in regs.values():
        pk = peaks[(r.get("host"), r.get("worker_pid"))]
        pk[0] = max(pk[0], r.get("worker_peak_mb") or 0)
        pk[1] = max(pk[1], r.get("kernel_peak_mb") or 0)
    print("  peak memory per report worker, VmHWM (worker + kernel): "
          + ", ".join(f"{w:.0f} + {k:.0f} = {w + k:.0f} MB" for w, k in peaks.values()))


def _peak_mb() -> float:
    import resource  # runs inside each Dask worker process
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--regions", type=int, default=100, help="regions of the synthetic plan (default 100)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--skip-local", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-province-"))
    env = make_plan(tmp, args.regions)
    processed = tmp / "data" / "processed" / SYNTH
    cores = min(args.jobs, os.cpu_count() or 1)
    print(f"synthetic plan {SYNTH}: {args.regions} regions ({min(args.regions, 13)} of Wenzhou, the rest 示例县), "
          f"{os.cpu_count()} CPUs, {args.jobs} workers, scratch {tmp}; load average {os.getloadavg()}")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qanalysis", "prepare"], env=env, check=True, stdout=subprocess.DEVNULL)
    with open(processed / "observations.csv", encoding="utf-8") as fh:
        n_obs = sum(1 for _ in fh) - 1
    print(f"prepare: {time.perf_counter() - t:.1f} s ({n_obs} observations)")

    if not args.skip_local:
        elapsed, m, last = run_batch(env, tmp / "local", processed, args.jobs, None)
        describe(f"local ({args.jobs} warm workers)", elapsed, m, cores)
        print(f"  {last}; load average after: {os.getloadavg()}")
    if not args.skip_dask:
        from distributed import Client, LocalCluster  # only for this part of the benchmark
        with LocalCluster(n_workers=args.jobs, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            elapsed, m, last = run_batch(env, tmp / "dask", processed, args.jobs, cluster.scheduler_address)
            describe(f"Dask LocalCluster ({args.jobs} worker processes × 1 thread)", elapsed, m, cores)
            print(f"  {last}; load average after: {os.getloadavg()}")
            print("  peak memory per Dask worker process (ru_maxrss, its report workers apart): "
                  + ", ".join(f"{v:.0f} MB" for v in client.run(_peak_mb).values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
