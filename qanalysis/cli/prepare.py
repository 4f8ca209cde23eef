"""``qanalysis prepare``: raw → processed, atomically."""
from __future__ import annotations

from pathlib import Path

from ..data.prepare import prepare, summary
from ..data.validate import expand_paths
from .common import plan_from_files


def configure_parser(parser) -> None:
    parser.add_argument("--data", nargs="+", default=[], metavar="FILE",
                        help="yearly values (long CSV/Excel or the filled template), or folders of them: "
                             "each accepted file is kept as a delivery under data/raw/deliveries/ and used "
                             "by every later prepare (see `qanalysis deliveries`)")
    parser.add_argument("--no-fill", dest="fill", action="store_false", default=None,
                        help="do not fill gaps with illustrative values")
    parser.add_argument("--out", default=None, help="processed data root (default data/processed)")


def run(args) -> int:
    files = expand_paths(args.data)
    plan_from_files(args, files)
    data, path = prepare(getattr(args, "plan", None), files, Path(args.out) if args.out else None, args.fill)
    print(summary(data))
    print(f"written: {path}")
    return 0
