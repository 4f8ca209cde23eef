"""``qanalysis validate``: check input files without writing anything."""
from __future__ import annotations

from ..data.validate import check_files, expand_paths, summary
from ..errors import problem_lines
from ..plan.catalogue import read_plan
from .common import plan_from_files


def configure_parser(parser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="CSV or Excel files (long table or the template's wide sheets), or folders of them")


def run(args) -> int:
    paths = expand_paths(args.files)
    plan_from_files(args, paths)
    plan_data = read_plan(getattr(args, "plan", None))
    obs, problems = check_files(paths, plan_data)
    for line in problem_lines(problems):
        print(line)
    print(summary(len(paths), obs, problems))
    return 1 if any(p.severity == "error" for p in problems) else 0
