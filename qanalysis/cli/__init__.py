"""``qanalysis`` command line: one subcommand a module (``qanalysis/cli/<command>.py``),
imported only when used.

Each module named in :data:`COMMANDS` provides ``configure_parser(parser)`` and
``run(args) -> int``. Importing lazily keeps ``qanalysis --help`` fast (papermill
alone costs seconds to import). Errors the user can act on
(:class:`~qanalysis.errors.QAnalysisError`) are printed without a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .common import PLAN_COMMANDS, add_plan_option, use_plan

# subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "plan": ("qanalysis.cli.plan", "a new plan folder: plan init / plan import (target sentences) / plan check"),
    "prepare": ("qanalysis.cli.prepare", "raw → processed: parse, validate, write atomically"),
    "validate": ("qanalysis.cli.validate", "check input files without writing anything"),
    "deliveries": ("qanalysis.cli.deliveries", "list the kept deliveries (报送数据) or remove one"),
    "template": ("qanalysis.cli.template", "write the wide Excel sheet for analysts to fill"),
    "catalogue": ("qanalysis.cli.catalogue", "print the plan's indicator catalogue"),
    "assess": ("qanalysis.cli.assess", "trend, progress and target-year forecast for every series"),
    "evaluate": ("qanalysis.cli.evaluate", "the final evaluation (终期评估): the plan's completion table"),
    "review13": ("qanalysis.cli.review13", "assess the previous plan's targets (表1)"),
    "backtest": ("qanalysis.cli.backtest", "rolling-origin evaluation of the forecasts"),
    "charts": ("qanalysis.cli.charts", "write the chart set for a region as PNG and SVG"),
    "gallery": ("qanalysis.cli.gallery", "render every chart type for one region to look at"),
    "reports": ("qanalysis.cli.reports", "run the county report notebook for every region"),
    "explore": ("qanalysis.cli.explore", "the explorer as a web page on 127.0.0.1 (Voilà)"),
    "deck": ("qanalysis.cli.deck", "a PowerPoint deck of chosen charts (regions × indicators)"),
}


class _Parser(argparse.ArgumentParser):
    """Argument errors in one line (which argument, why), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="qanalysis",
        description="Track the indicators of a five-year quality plan: 质量强市规划指标监测.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == only:
            importlib.import_module(module).configure_parser(p)
            if name in PLAN_COMMANDS:
                add_plan_option(p)
    return parser


def os_error_line(exc: OSError) -> str:
    """An operating-system error as one line: where, why, and what to do."""
    # stdlib, only when something failed
    import errno
    import os

    from ..errors import printable  # lazy, as in main

    why = os.strerror(exc.errno) if exc.errno else str(exc)
    where = exc.filename if exc.filename is not None else "a file"
    hint = {errno.ENOSPC: "the disk is full: free some space or write elsewhere",
            errno.EDQUOT: "the disk quota is used up: free some space or write elsewhere",
            errno.EROFS: "the file system is read-only: write elsewhere",
            errno.EACCES: "no permission there: write elsewhere or fix the folder's permissions",
            errno.EPERM: "no permission there: write elsewhere or fix the folder's permissions",
            }.get(exc.errno)
    if hint is None:
        return printable(f"{where}: {why}")
    return printable(f"cannot write {where}: {why} — {hint}; nothing half-written was left in place")


def main(argv: list[str] | None = None) -> int:
    from ..errors import QAnalysisError  # lazy: nothing but argparse before a command is chosen

    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    parser = build_parser(only=command)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        use_plan(getattr(args, "plan", None))
        return int(module.run(args) or 0)
    except QAnalysisError as exc:
        print(f"qanalysis {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `qanalysis assess --csv | head`: the reader left, not an error
        # stdlib, needed only on this path
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a full disk, a read-only folder, no permission: one line, no traceback
        print(f"qanalysis {args.command}: {os_error_line(exc)}", file=sys.stderr)
        # a writer's half-written file (openpyxl's zip) is closed again when collected and fails
        # again on the full disk: that second failure is the same one, already said in one line
        sys.unraisablehook = lambda unraisable: None
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left in place", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
