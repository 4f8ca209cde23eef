"""``qanalysis gallery``: every chart type for one region, to look at."""
from __future__ import annotations

import argparse
from pathlib import Path

from .. import config
from ..charts.gallery import render
from .common import load_assessment


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", default=None, help="region code (default: the city)")
    parser.add_argument("--out", default=None, help="output folder (default reports/gallery)")
    parser.add_argument("--model", default="linear")
    parser.add_argument("--data-dir", default=None)


def run(args: argparse.Namespace) -> int:
    assessment = load_assessment(args)
    region = args.region or str(assessment.data.plan.city_code)
    out = Path(args.out) if args.out else config.REPORTS_DIR / "gallery"
    paths = render(assessment, str(region), out)
    print(f"wrote {len(paths)} files to {out}; open {out / 'index.html'}")
    return 0
