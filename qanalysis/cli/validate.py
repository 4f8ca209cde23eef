"""``qanalysis validate``: check input files without writing anything."""
from __future__ import annotations

from ..data.validate import check_files, expand_paths, summary
from ..errors import problem_lines
from ..plan.catalogue import read_plan


def configure_parser(parser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="CSV or Excel files (long table or the template's wide sheets), or folders of them")
    parser.add_argument("--plan", default=None, help="plan folder name or path (default: the configured plan)")


def run(args) -> int:
    plan_data = read_plan(args.plan)
    paths = expand_paths(args.files)
    obs, problems = check_files(paths, plan_data)
    for line in problem_lines(problems):
        print(line)
    print(summary(len(paths), obs, problems))
    return 1 if any(p.severity == "error" for p in problems) else 0
