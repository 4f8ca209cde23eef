"""``qanalysis deck --region CODE… --indicator ID… --out FILE.pptx``: a deck of chosen charts."""
from __future__ import annotations

import sys

from ..briefing.deck import check_choice, write_deck
from ..errors import QAnalysisError
from .common import load_assessment


def configure_parser(parser) -> None:
    # not required= here: a missing option gets the same one-line message as a wrong one
    parser.add_argument("--region", nargs="+", metavar="CODE", help="region codes, e.g. 330300 330326")
    parser.add_argument("--indicator", nargs="+", metavar="ID", help="indicator ids (see `qanalysis catalogue`)")
    parser.add_argument("--out", metavar="FILE.pptx", help="the deck to write")
    parser.add_argument("--data", nargs="+", metavar="FILE", help="observation files (CSV/Excel) to use")


def run(args) -> int:
    if not args.region or not args.indicator or not args.out:
        missing = [o for o, v in (("--region", args.region), ("--indicator", args.indicator),
                                  ("--out", args.out)) if not v]
        print(f"qanalysis deck: missing {', '.join(missing)} "
              "(usage: qanalysis deck --region CODE… --indicator ID… --out FILE.pptx)", file=sys.stderr)
        return 2
    if not str(args.out).lower().endswith(".pptx"):
        print(f"qanalysis deck: --out must name a .pptx file, not {args.out!r}", file=sys.stderr)
        return 2
    assessment = load_assessment(args)
    try:
        check_choice(assessment, [str(r) for r in args.region], [str(i) for i in args.indicator])
    except QAnalysisError as exc:
        print(f"qanalysis deck: {exc}", file=sys.stderr)
        return 2
    path = write_deck(assessment, args.region, args.indicator, args.out)
    n = len(args.region) * len(args.indicator)
    print(f"wrote {path} ({n} chart slide{'s' if n != 1 else ''} + title and data note)")
    return 0
