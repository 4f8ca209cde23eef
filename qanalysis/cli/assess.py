"""``qanalysis assess``: trend, progress and target-year forecast for every series."""
from __future__ import annotations

import sys

import pandas as pd

from ..analysis import forecast as fc
from ..analysis.assess import assess
from .common import load_data
from .evaluate import add_as_of


CLI_COLUMNS = ["region", "indicator", "latest_year", "latest", "forecast", "pi95_low", "pi95_high",
               "p_attain", "status"]


def configure_parser(parser) -> None:
    parser.add_argument("--data", nargs="+", metavar="FILE", help="observation files (CSV/Excel) to use")
    parser.add_argument("--region", nargs="+", metavar="CODE", help="region codes, e.g. 330302")
    parser.add_argument("--model", choices=fc.MODELS, default="linear")
    parser.add_argument("--csv", action="store_true", help="the whole table as CSV on stdout")
    parser.add_argument("--xlsx", metavar="OUT", help="also write the table as Excel")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="Excel headers")
    add_as_of(parser)


def run(args) -> int:
    data = load_data(args)
    from ..analysis.evaluation import parse_as_of  # lazy, as every command

    a = assess(data, model=args.model, regions=args.region, as_of=parse_as_of(args.as_of))
    years = set(a.table["target_year"].dropna().astype(int)) or {int(data.plan.target_year)}
    # one target year for every row: its year in the column name; rows for several years: "forecast"
    # beside each row's target_year (an indicator's own year, or a milestone)
    name = f"forecast_{next(iter(years))}" if len(years) == 1 else "forecast"
    table = a.table.rename(columns={"forecast": name})
    if args.xlsx:
        a.to_excel(args.xlsx, lang=args.lang)
    if args.csv:
        table.to_csv(sys.stdout, index=False)
    else:
        cols = [c if c != "forecast" else name for c in CLI_COLUMNS] + ["status_zh"]
        cols += ["target_year"] if name == "forecast" else []
        with pd.option_context("display.max_rows", None, "display.width", 200):
            print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        if a.table["has_illustrative"].any():
            print("注意：含示例数据(illustrative)，非公开发布数据。Note: includes illustrative (not published) values.")
    if args.xlsx:
        print(f"wrote {args.xlsx}", file=sys.stderr)
    return 0
