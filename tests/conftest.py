"""Shared fixtures: the shipped plan read once, and a scratch copy of the data tree."""
from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def shipped_assessment(dataset):
    """The monitoring assessment of the shipped data (the library's default: no date), computed once."""
    from qanalysis.analysis.assess import assess

    return assess(dataset)


@pytest.fixture(scope="session")
def briefing_charts(shipped_assessment):
    """One chart cache for the Word and deck tests (grouped on one worker below): each chart drawn once,
    at 60 dpi: the tests read structure, not pixels."""
    from qanalysis.briefing.charts import ChartProvider

    return ChartProvider(shipped_assessment, dpi=60)


@pytest.fixture
def plan_copy(tmp_path) -> Path:
    """A writable copy of the shipped plan folder, for breaking it on purpose."""
    dst = tmp_path / "plan"
    shutil.copytree(config.plan_dir(), dst)
    return dst


@pytest.fixture(autouse=True, scope="session")
def _no_user_deliveries(tmp_path_factory):
    """Tests never read nor write the user's kept deliveries (data/raw/deliveries)."""
    old = os.environ.get("QANALYSIS_DELIVERIES")
    os.environ["QANALYSIS_DELIVERIES"] = str(tmp_path_factory.mktemp("no-deliveries"))
    yield
    if old is None:
        os.environ.pop("QANALYSIS_DELIVERIES", None)
    else:
        os.environ["QANALYSIS_DELIVERIES"] = old


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    """A scratch data tree (raw copied, processed and deliveries empty) the library and the CLI both use."""
    root = tmp_path / "data"
    shutil.copytree(config.RAW_DIR, root / "raw", ignore=shutil.ignore_patterns("deliveries"))
    monkeypatch.setattr(config, "DATA_DIR", root)
    monkeypatch.setattr(config, "RAW_DIR", root / "raw")
    monkeypatch.setattr(config, "PROCESSED_DIR", root / "processed")
    monkeypatch.setattr(config, "PLANS_DIR", root / "raw" / "plans")
    monkeypatch.setattr(config, "OBSERVATIONS_RAW_DIR", root / "raw" / "observations")
    monkeypatch.setenv("QANALYSIS_DATA", str(root))
    monkeypatch.setenv("QANALYSIS_DELIVERIES", str(root / "deliveries"))
    return root


# ---------------------------------------------------------------- browser tests
_BROWSER_SKIPS: list[str] = []


def browser_required() -> bool:
    """CI (``CI`` set) or ``QANALYSIS_REQUIRE_BROWSER=1`` (.ci/run exports it): a missing browser fails."""
    return bool(os.environ.get("CI")) or os.environ.get("QANALYSIS_REQUIRE_BROWSER") == "1"


def missing_browser() -> str:
    """Why the Selenium tests cannot run here ('' when they can)."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install -e '.[test]')"
    if not ((shutil.which("chromium") or os.path.exists("/usr/bin/chromium"))
            and (shutil.which("chromedriver") or os.path.exists("/usr/bin/chromedriver"))):
        return "no chromium/chromedriver (apt-get install chromium chromium-driver)"
    return ""


@pytest.fixture(scope="session")
def browser_available():
    """Fails where a browser is required (CI), else skips with the reason, listed in the summary."""
    why = missing_browser()
    if why and browser_required():
        pytest.fail(f"browser tests required (CI / QANALYSIS_REQUIRE_BROWSER=1) but {why}", pytrace=False)
    if why:
        _BROWSER_SKIPS.append(why)
        pytest.skip(f"browser test skipped locally: {why}")


def pytest_terminal_summary(terminalreporter):
    if _BROWSER_SKIPS:
        terminalreporter.write_sep("!", f"browser tests SKIPPED: {_BROWSER_SKIPS[0]} — "
                                        "set QANALYSIS_REQUIRE_BROWSER=1 to make this a failure")


# ---------------------------------------------------------------- which worker runs what
# `make test` and `make check` run `-n 2 --dist loadscope`: each test module runs whole on one
# worker, so a module-scoped fixture (a report batch, a served explorer) is built once. The
# modules named here share a costly session fixture (the shipped assessment and its drawn charts,
# above) and run on one worker as if they were one module. (`--dist loadgroup` would say this with
# marks, but under pytest 9 xdist 3.8 no longer puts the group into the test id; this hook works.)
SHARED_WORKER = {"test_briefing_docx": "briefing", "test_briefing_pptx": "briefing",
                 "test_briefing_text": "briefing"}


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedModules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return SHARED_WORKER.get(Path(module).stem, module)

    return SharedModules(config, log)
