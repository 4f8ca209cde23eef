"""Every path the project uses, derived from the package location.

Override the data root with the environment variable ``QANALYSIS_DATA`` (a folder
holding ``raw/`` and ``processed/``) and the plan with ``QANALYSIS_PLAN`` (a
folder name under ``raw/plans/`` or a path to a plan folder).
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent

DATA_DIR = Path(os.environ.get("QANALYSIS_DATA", PROJECT_DIR / "data"))
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
PLANS_DIR = RAW_DIR / "plans"
OBSERVATIONS_RAW_DIR = RAW_DIR / "observations"

NOTEBOOKS_DIR = PROJECT_DIR / "notebooks"
REPORTS_DIR = PROJECT_DIR / "reports"
COUNTY_REPORT_NOTEBOOK = NOTEBOOKS_DIR / "county_report.ipynb"

DEFAULT_PLAN = "wenzhou-2021-2025"

# The generator's seed: the illustrative series are reproducible byte for byte.
ILLUSTRATIVE_SEED = 20210101


def plan_dir(plan: str | os.PathLike | None = None) -> Path:
    """The folder of a plan: a name under data/raw/plans/ or a path."""
    plan = plan or os.environ.get("QANALYSIS_PLAN") or DEFAULT_PLAN
    p = Path(plan)
    if p.is_dir():
        return p.resolve()
    return PLANS_DIR / str(plan)


def deliveries_dir(folder: str | os.PathLike | None = None) -> Path:
    """The root of the kept deliveries (报送数据, ``<root>/<plan-id>/<id>/``): ``folder``,
    else ``$QANALYSIS_DELIVERIES``, else data/raw/deliveries/."""
    if folder:
        return Path(folder)
    env = os.environ.get("QANALYSIS_DELIVERIES")
    return Path(env) if env else RAW_DIR / "deliveries"
