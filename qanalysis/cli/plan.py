"""``qanalysis plan init|import|check ID``: a new plan folder from the plan's own words.

``init`` writes a minimal, neutral folder (plan.toml, regions.csv, an empty indicators.csv);
``import`` reads the targets as the plan writes them (sentences, one a line, or a .csv / .xlsx /
.docx table) into indicators.csv and lists every line it could not read; ``check`` lists every
problem of the folder at once. See docs/plan-format.md.
"""
from __future__ import annotations

import sys

from .. import config


def configure_parser(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = sub.add_parser("init", help="write a new, minimal plan folder under data/raw/plans/ID")
    init.add_argument("id", metavar="ID", help="the plan's folder name, e.g. jiashi-2023-2027")
    init.add_argument("--title", required=True, help="the plan's title, e.g. 甲市质量强市建设规划")
    where = init.add_mutually_exclusive_group(required=True)
    where.add_argument("--regions", metavar="FILE",
                       help="regions file: CSV with code,name_zh or 'code name' lines, the city first")
    where.add_argument("--region", nargs="+", action="extend", metavar="CODE=NAME",
                       help="regions as code=name pairs, the city first (110100=甲市 110101=乙区 …)")
    init.add_argument("--base-year", type=int, required=True, help="the plan's base year (基期), e.g. 2022")
    init.add_argument("--target-year", type=int, required=True, help="the plan's target year, e.g. 2027")
    imp = sub.add_parser("import", help="read the plan's targets (sentences or a table) into indicators.csv")
    imp.add_argument("id", metavar="ID", help="plan folder name or path")
    imp.add_argument("file", metavar="FILE", help=".txt (one target sentence a line) or .csv/.xlsx/.docx table")
    chk = sub.add_parser("check", help="list every problem of a plan folder")
    chk.add_argument("id", metavar="ID", help="plan folder name or path")


def run(args) -> int:
    from ..plan import authoring  # lazy: pandas only when a plan command runs

    if args.action == "init":
        folder = authoring.init_plan(args.id, args.title, args.regions or args.region,
                                     args.base_year, args.target_year)
        print(f"wrote {folder}: plan.toml, regions.csv, indicators.csv (empty)")
        print(f"next: qanalysis plan import {args.id} TARGETS.txt")
        return 0
    if args.action == "import":
        r = authoring.import_targets(args.id, args.file)
        kinds = {}
        for row in r.rows:
            kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
        print(f"wrote {r.path}: {len(r.rows)} target(s) "
              f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})")
        for row in r.rows:
            year = row["target_year"] or "plan"
            print(f"  {row['id']:<14} {row['name_zh']}  {row['comparator']} {row['target_text']}  "
                  f"[{row['kind']}, {year}]")
        for n, name, why in r.warnings:
            print(f"  note, line {n} {name}: {why}")
        if r.milestones:
            print("milestones (several target years) — not yet assessed one by one: the plan's target "
                  "year is assessed, the other year is named in the note: " + "、".join(r.milestones))
        for n, text, why in r.unread:
            print(f"{args.file}, line {n}: not read ({why}): {text}", file=sys.stderr)
        if r.unread:
            print(f"{len(r.unread)} line(s) not read: write them as in the examples of "
                  "docs/plan-format.md and import again (ids stay the same)", file=sys.stderr)
        print(f"next: qanalysis plan check {args.id}")
        return 1 if r.unread else 0
    problems = authoring.check_plan(args.id)
    for p in problems:
        print(p)
    errors = [p for p in problems if p.severity == "error"]
    print(f"{config.plan_dir(args.id)}: {len(errors)} error(s), {len(problems) - len(errors)} warning(s)"
          + (" — ready: qanalysis prepare --plan " + str(args.id) if not errors else ""))
    return 1 if errors else 0
