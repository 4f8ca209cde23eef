"""Loading data for a command: the one place a command turns its options into data.

``--plan ID|PATH`` is on every command that reads data (added in ``cli/__init__.py``). The chosen
plan is put in ``$QANALYSIS_PLAN`` for the rest of the run, so every process the command starts
(report workers and their notebook kernels, the explorer's Voilà server) reads the same plan.
Without ``--plan``: ``$QANALYSIS_PLAN``, else the shipped plan (``config.DEFAULT_PLAN``).
"""
from __future__ import annotations

import os

from .. import config
from ..errors import QAnalysisError

# every command that reads a plan or its data takes --plan
PLAN_COMMANDS = ("prepare", "validate", "deliveries", "template", "catalogue", "assess", "review13",
                 "backtest", "charts", "gallery", "reports", "explore", "deck", "evaluate")


def add_plan_option(parser) -> None:
    parser.add_argument("--plan", default=None, metavar="ID|PATH",
                        help="plan folder name under data/raw/plans/ or a path to one "
                             "(default: $QANALYSIS_PLAN, else the shipped plan)")


def use_plan(plan) -> None:
    """Make ``plan`` the plan of this run and of every process it starts; refuse an unknown one."""
    if not plan:
        return
    folder = config.plan_dir(plan)
    if not (folder / "plan.toml").is_file():
        known = sorted(p.name for p in config.PLANS_DIR.glob("*") if (p / "plan.toml").is_file())
        raise QAnalysisError(f"no plan folder {folder} (known plans: {', '.join(known) or 'none'}; "
                             "create one with `qanalysis plan init ID`)")
    os.environ["QANALYSIS_PLAN"] = str(folder)


def load_data(args):
    """The dataset a command works on: ``--data`` files built in memory, else the
    processed folder given by ``--data-dir``, else the plan's processed folder."""
    from .. import load  # lazy, as every command: `qanalysis --help` stays fast

    kw = {"plan": args.plan} if getattr(args, "plan", None) else {}
    files = getattr(args, "data", None) or None
    if files:
        return load(data_files=files, **kw)
    data_dir = getattr(args, "data_dir", None)
    return load(data_dir=data_dir, **kw) if data_dir else load(**kw)


def load_assessment(args):
    """The assessment of every region, for the chart commands."""
    from ..analysis.assess import assess  # lazy: see load_data

    return assess(load_data(args), model=getattr(args, "model", "linear"))


def plan_from_files(args, paths) -> None:
    """Without ``--plan``: the plan a filled template records (``validate``, ``prepare``).

    Two files recording different plans are refused; ``--plan`` given wins and is checked
    against what the files record.
    """
    from ..data.template import recorded_plan  # lazy: openpyxl only when files are given

    recorded = {}
    for p in paths:
        rec = recorded_plan(p)
        if rec:
            recorded.setdefault(rec, str(p))
    if not recorded:
        return
    if len(recorded) > 1:
        raise QAnalysisError("these files were written for different plans: "
                             + "; ".join(f"{f} → {plan}" for plan, f in recorded.items())
                             + " — give them to one plan at a time (--plan)")
    plan, file = next(iter(recorded.items()))
    chosen = getattr(args, "plan", None)
    if chosen:
        if config.plan_dir(chosen).name != plan and _plan_id(chosen) != plan:
            raise QAnalysisError(f"{file}: this template was written for plan {plan!r}, not {chosen!r}")
        return
    args.plan = plan
    use_plan(plan)


def _plan_id(plan) -> str:
    from ..plan.catalogue import read_plan_info  # lazy: only when a recorded plan is compared

    try:
        return read_plan_info(config.plan_dir(plan)).id
    except QAnalysisError:
        return ""
