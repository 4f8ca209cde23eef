"""``qanalysis charts``: the chart set of a region as PNG and SVG."""
from __future__ import annotations

import argparse
from pathlib import Path

from .. import config
from ..charts.plots import write_region_charts
from .common import load_assessment


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", required=True, help="region code, e.g. 330300 (the city) or 330302")
    parser.add_argument("--out", default=None, help="output folder (default reports/charts/REGION)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--model", default="linear", help="forecast model (default linear)")
    parser.add_argument("--data-dir", default=None, help="data folder holding raw/ and processed/")
    parser.add_argument("--formats", default="png,svg", help="comma-separated: png,svg,pdf")


def run(args: argparse.Namespace) -> int:
    assessment = load_assessment(args)
    out = Path(args.out) if args.out else config.REPORTS_DIR / "charts" / str(args.region)
    paths = write_region_charts(assessment, str(args.region), out, lang=args.lang,
                                formats=[f.strip() for f in args.formats.split(",") if f.strip()])
    print(f"wrote {len(paths)} files to {out}")
    return 0
