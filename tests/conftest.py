"""Shared fixtures: the shipped plan read once, and a scratch copy of the data tree."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qanalysis import config

FIXTURES = Path(__file__).parent / "fixtures"
SECOND_PLAN = FIXTURES / "plans" / "lishui-demo-2026-2030"


@pytest.fixture(scope="session")
def plan_data():
    """The shipped plan (catalogue, regions, targets, review), no observations."""
    from qanalysis.plan.catalogue import read_plan

    return read_plan()


@pytest.fixture(scope="session")
def dataset():
    """The default dataset, built in memory from the raw files (nothing written)."""
    from qanalysis.data.prepare import build

    return build()


@pytest.fixture
def plan_copy(tmp_path) -> Path:
    """A writable copy of the shipped plan folder, for breaking it on purpose."""
    dst = tmp_path / "plan"
    shutil.copytree(config.plan_dir(), dst)
    return dst
