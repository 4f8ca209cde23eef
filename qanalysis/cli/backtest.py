"""``qanalysis backtest``: rolling-origin evaluation of the forecasts."""
from __future__ import annotations

import sys

import pandas as pd

from .. import atomic
from ..analysis.backtest import evaluate, read_published
from ..errors import QAnalysisError
from .common import load_data


def configure_parser(parser) -> None:
    parser.add_argument("--csv", action="store_true", help="the summary as CSV on stdout")
    parser.add_argument("--forecasts", metavar="OUT", help="also write every forecast row as CSV")
    parser.add_argument("--horizon", type=int, default=5, help="longest horizon in years (default 5)")
    parser.add_argument("--published", metavar="FILE", help="published values CSV "
                        "(default: the files the plan's plan.toml names)")
    parser.add_argument("--data", nargs="+", metavar="FILE", help="observation files for the panel")


def run(args) -> int:
    datasets = {"published": read_published(args.published)}
    bounds = None
    try:
        data = load_data(args)
    except QAnalysisError as exc:
        print(f"qanalysis backtest: the dataset could not be loaded, published values only ({exc})",
              file=sys.stderr)
        data = None
    if data is not None:
        bounds = data.catalogue[["id", "lower_bound", "upper_bound"]]
        o = data.observations
        datasets["illustrative"] = o[o["status"] == "illustrative"]
    fcs, summary = evaluate(datasets, max_horizon=args.horizon, bounds=bounds)
    if args.forecasts:
        atomic.write_csv(fcs, args.forecasts)
    if args.csv:
        summary.to_csv(sys.stdout, index=False)
    else:
        with pd.option_context("display.max_rows", None, "display.width", 200):
            print(summary.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
        print("\ncoverage = share of actual values inside the interval; nominal 0.80 and 0.95. "
              "'illustrative' values are generated, not published.")
    return 0
