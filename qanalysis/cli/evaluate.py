"""``qanalysis evaluate``: the final evaluation (终期评估) — the plan's completion table (表1 shape)."""
from __future__ import annotations

import argparse
import sys

import pandas as pd

from ..errors import QAnalysisError
from .common import load_data


def as_of_date(text: str):
    """``--as-of YYYY-MM-DD``: a bad date is one line and exit status 2 (argparse)."""
    from ..analysis.evaluation import parse_as_of  # lazy: `qanalysis --help` stays fast

    try:
        return parse_as_of(text)
    except QAnalysisError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_as_of(parser) -> None:
    parser.add_argument("--as-of", type=as_of_date, default=None, metavar="YYYY-MM-DD",
                        help="evaluate as of this date (default: today); after the plan's target year "
                             "the rows are final evaluations")


def configure_parser(parser) -> None:
    parser.add_argument("--data", nargs="+", metavar="FILE", help="observation files (CSV/Excel) to use")
    parser.add_argument("--region", nargs="+", metavar="CODE", help="region codes (default: the city)")
    add_as_of(parser)
    parser.add_argument("--csv", action="store_true",
                        help="one row per (region, indicator) as CSV on stdout (every region unless --region)")
    parser.add_argument("--xlsx", metavar="OUT", help="write the completion tables as Excel")
    parser.add_argument("--docx", metavar="OUT", help="write the completion tables as Word")


def run(args) -> int:
    from ..analysis.assess import assess  # lazy, as every command: `qanalysis --help` stays fast
    from ..analysis.evaluation import CSV_COLUMNS, evaluate, parse_as_of  # lazy: see above

    as_of = parse_as_of(args.as_of)
    data = load_data(args)  # --plan is every data command's (cli/common.py)
    known = set(data.regions["code"].astype(str))
    bad = [r for r in (args.region or []) if str(r) not in known]
    if bad:
        raise QAnalysisError(f"unknown region code(s) {', '.join(bad)} (known: {', '.join(sorted(known))})")
    ev = evaluate(assess(data, regions=args.region, as_of=as_of), as_of)
    shown = args.region or ([data.plan.city_code] if not args.csv else list(dict.fromkeys(ev.table["region"])))
    if args.xlsx:
        ev.to_excel(args.xlsx, regions=shown)
        print(f"wrote {args.xlsx}", file=sys.stderr)
    if args.docx:
        from ..briefing.evaluation import write_docx  # python-docx only when asked for

        write_docx(ev, args.docx, regions=shown)
        print(f"wrote {args.docx}", file=sys.stderr)
    if args.csv:
        ev.table[ev.table["region"].isin(shown)][CSV_COLUMNS].to_csv(sys.stdout, index=False)
        return 0
    print(ev.title())
    if not ev.period_over:
        print(f"注意：评估基准日{ev.as_of.isoformat()}，规划期（至{ev.target_year}年）尚未结束，以下为当前实测，非终期结论。")
    for r in shown:
        rows = ev.rows(r)
        print(f"\n{rows['region_name'].iloc[0]}（{r}）：{ev.summary_sentence(r)}")
        with pd.option_context("display.max_rows", None, "display.width", 250, "display.max_colwidth", 40):
            print(ev.completion_table(r).to_string(index=False))
    if ev.table["illustrative"].any():
        print("注意：含示例数据(illustrative)，非公开发布数据。")
    return 0
