"""``qanalysis reports``: run the county report notebook for every region."""
from __future__ import annotations

import argparse
from datetime import date
import math
import sys

from .. import config
from ..reports.batch import BatchInterrupted, run_reports
from ..reports.jobs import excerpt
from .evaluate import add_as_of


def _seconds(text: str) -> float:
    """A time limit: a finite number above 0 (nan, inf, 0 and -1 are refused here, not later)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number of seconds above 0")
    return value


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of workers, 1 or more")
    return value


def configure_parser(parser) -> None:
    parser.add_argument("--region", nargs="+", action="extend", metavar="CODE",
                        help="region code(s), e.g. 330302 (default: every region of the plan)")
    parser.add_argument("--jobs", type=_workers, default=None, metavar="N",
                        help="parallel workers (default: number of CPUs)")
    parser.add_argument("--out", default=str(config.REPORTS_DIR), metavar="DIR",
                        help="output folder (default: reports/)")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="processed data folder (default: the plan's, as qanalysis.load())")
    parser.add_argument("--timeout", type=_seconds, default=600, metavar="S",
                        help="wall-clock limit of one report in seconds (default 600)")
    parser.add_argument("--resume", action="store_true",
                        help="the default: rebuild only reports that are missing, failed or whose inputs changed")
    parser.add_argument("--force", "--all", dest="force", action="store_true",
                        help="rebuild every region's report, changed or not")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on a Dask distributed cluster, e.g. tcp://host:8786")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    parser.add_argument("--notebook", default=str(config.COUNTY_REPORT_NOTEBOOK), metavar="PATH",
                        help="the parameterized report notebook")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-summary", action="store_true", help="do not write summary.xlsx")
    parser.add_argument("--charts", action="store_true",
                        help="also write every chart as PNG (300 dpi) + SVG into <region>/charts/ (slow)")
    add_as_of(parser)


def run(args) -> int:
    try:
        s = run_reports(regions=args.region, jobs=args.jobs, out_dir=args.out,
                        data_dir=args.data_dir, notebook=args.notebook, timeout=args.timeout,
                        resume=args.resume, scheduler=args.scheduler, lang=args.lang,
                        progress=not args.no_progress, summary=not args.no_summary, charts=args.charts,
                        force=args.force, as_of=args.as_of or date.today())
    except BatchInterrupted as exc:
        print(f"qanalysis reports: {exc}", file=sys.stderr)
        return exc.exit_code
    ran = [c for c in s.results if s.results[c].get("finished", "") >= s.started]
    print(f"{len(s.ok)} of {len(s.results)} reports ok ({len(ran)} run now, {s.elapsed_s:.1f} s, "
          f"{s.jobs} worker(s)) → {s.out_dir}")
    print(f"manifest: {s.manifest_path}")
    if s.summary_path:
        print(f"summary:  {s.summary_path}")
    if s.summary_status is not None and s.summary_status.get("status") != "ok":
        print(f"summary.xlsx NOT written: {s.summary_status.get('error', '')}", file=sys.stderr)
    if s.failed:
        print(f"\n{len(s.failed)} report(s) failed:", file=sys.stderr)
        for c in s.failed:
            r = s.results[c]
            print(f"  {c} {r.get('region_name', '')}: {r['status']} ({r.get('error_kind')}): "
                  f"{excerpt(r.get('error', ''), 200)}\n      why: {s.out_dir / r.get('details', '')}",
                  file=sys.stderr)
    return s.exit_code
