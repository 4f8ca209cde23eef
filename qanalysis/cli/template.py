"""``qanalysis template OUT.xlsx``: the wide Excel sheet analysts fill."""
from __future__ import annotations

from .. import vocab
from ..data.template import write_template
from ..plan.catalogue import read_plan


def configure_parser(parser) -> None:
    parser.add_argument("out", metavar="OUT.xlsx", help="where to write the workbook")
    parser.add_argument("--region", nargs="+", default=None, metavar="CODE",
                        help="only these region codes (default: the city and every county)")
    parser.add_argument("--lang", choices=sorted(vocab.TEMPLATE_HEADERS), default="zh", help="header language (default zh)")


def run(args) -> int:
    plan_data = read_plan(getattr(args, "plan", None))
    out = write_template(args.out, plan_data, regions=args.region, lang=args.lang)
    n = len(args.region) if args.region else len(plan_data.regions)
    print(f"wrote {out}: {n} region sheet(s) × {len(plan_data.catalogue)} indicators, years "
          f"{plan_data.plan.data_first_year}–{plan_data.plan.target_year}")
    return 0
