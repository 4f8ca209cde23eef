"""``qanalysis review13``: the previous plan's targets (表1), met or not."""
from __future__ import annotations

import sys

import pandas as pd

from ..analysis.review import review
from ..vocab import REVIEW_HEADERS_ZH
from .common import load_data


def configure_parser(parser) -> None:
    parser.add_argument("--csv", action="store_true", help="CSV on stdout (met as true/false)")
    parser.add_argument("--data", nargs="+", metavar="FILE",
                        help="observation files (the review does not use them; accepted for symmetry)")


def _csv_bool(s: pd.Series) -> pd.Series:
    return s.map({True: "true", False: "false"}).astype(object).where(s.notna(), "")


def run(args) -> int:
    table = review(load_data(args))
    if args.csv:
        out = table.copy()
        for c in ("met", "named_missed_in_plan", "agrees_with_plan"):
            out[c] = _csv_bool(table[c])
        out.to_csv(sys.stdout, index=False)
        return 0
    show = table[["indicator", "name_zh", "unit", "target_text", "achieved_text", "met",
                  "named_missed_in_plan"]].rename(columns=REVIEW_HEADERS_ZH)
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(show.to_string(index=False))
    n_met = int(table["met"].sum())
    print(f"\n完成 {n_met} / {int(table['met'].notna().sum())} 项；"
          f"与规划表1注释一致: {int(table['agrees_with_plan'].sum())} / {len(table)}")
    return 0
