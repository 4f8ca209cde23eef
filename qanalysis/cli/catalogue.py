"""``qanalysis catalogue``: print the plan's indicator catalogue (or 表1)."""
from __future__ import annotations

import sys

import pandas as pd

from ..plan.catalogue import read_plan


def configure_parser(parser) -> None:
    parser.add_argument("--csv", action="store_true", help="CSV on stdout (UTF-8)")
    parser.add_argument("--review", action="store_true",
                        help="the previous plan's table (表1) instead of this plan's catalogue")


def run(args) -> int:
    data = read_plan(getattr(args, "plan", None))
    df = data.review if args.review else data.catalogue
    if args.csv:
        df.to_csv(sys.stdout, index=False)
    else:
        cols = (["id", "name_zh", "target_text", "achieved_text"] if args.review else
                ["id", "name_zh", "unit", "kind", "comparator", "baseline", "target", "source"])
        with pd.option_context("display.max_rows", None, "display.width", 200,
                               "display.max_colwidth", 40):
            print(df[cols].to_string(index=False))
    return 0
