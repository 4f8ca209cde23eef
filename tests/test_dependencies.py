"""Every runtime dependency in pyproject.toml earns its place: the package or a notebook imports it.

Import names are mapped to distributions by the installed packages' own metadata
(``importlib.metadata.packages_distributions``: ``docx`` → python-docx, ``PIL`` →
pillow), not by guessing. The few packages that are used without an import are
listed with the line that uses them, and the test checks that line is there.
"""
from __future__ import annotations

import ast
import importlib.metadata as md
import json
import re

from qanalysis import config
from test_environment import pip_names

ROOT = config.PROJECT_DIR

# distribution → (file, text that must be in it): used, but never imported
USED_WITHOUT_IMPORT = {
    # a data package: fonts.py finds its font file through the import system without importing it
    "mplfonts": ("qanalysis/charts/fonts.py", 'find_spec("mplfonts")'),
    # the Jupyter kernel the notebooks and the report batch run in (kernelspec "python3")
    "ipykernel": ("Makefile", "-m ipykernel install"),
    # the application the README tells a user to open the notebooks with
    "jupyterlab": ("README.md", "jupyter lab"),
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _top_level_imports(source: str) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def _notebook_code(path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    # IPython magics and shell lines are not Python
    return "\n".join(ln for c in cells for ln in c.splitlines() if not ln.lstrip().startswith(("%", "!")))


def imported_modules() -> set[str]:
    mods = set()
    for py in (ROOT / "qanalysis").rglob("*.py"):
        mods |= _top_level_imports(py.read_text(encoding="utf-8"))
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        mods |= _top_level_imports(_notebook_code(nb))
    return mods


def imported_distributions(modules: set[str]) -> set[str]:
    owners = md.packages_distributions()
    return {_norm(d) for m in modules for d in owners.get(m, [])}


def unused(runtime: set[str], imported: set[str], exempt: dict) -> set[str]:
    return {d for d in runtime if _norm(d) not in imported and d not in exempt}


def test_every_runtime_dependency_is_imported_or_used():
    runtime, _ = pip_names()
    imported = imported_distributions(imported_modules())
    assert unused(runtime, imported, USED_WITHOUT_IMPORT) == set(), \
        "declared in pyproject.toml but neither imported by qanalysis/ nor by a notebook"


def test_the_exemptions_are_true_and_needed():
    runtime, _ = pip_names()
    imported = imported_distributions(imported_modules())
    for dist, (path, text) in USED_WITHOUT_IMPORT.items():
        assert dist in runtime, f"{dist} is exempted but not declared"
        assert _norm(dist) not in imported, f"{dist} is imported now: drop its exemption"
        assert text in (ROOT / path).read_text(encoding="utf-8"), f"{path} no longer uses {dist}"


def test_the_libraries_issue_14_names_are_imported():
    mods = imported_modules()
    assert {"seaborn", "statsmodels"} <= mods
    assert {"seaborn", "statsmodels"} <= imported_distributions(mods)


def test_import_names_map_to_distribution_names(tmp_path):
    """The check itself can fail, and maps names through metadata (PIL → pillow)."""
    assert _top_level_imports("import PIL.Image\nfrom scipy import stats\nfrom . import x\n") == {"PIL", "scipy"}
    assert "pillow" in imported_distributions({"PIL"})
    assert unused({"numpy", "left-pad"}, imported_distributions({"numpy"}), {}) == {"left-pad"}
    nb = tmp_path / "x.ipynb"
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "source": ["%matplotlib inline\n", "import numpy"]},
                                        {"cell_type": "markdown", "source": ["import pandas"]}]}))
    assert _top_level_imports(_notebook_code(nb)) == {"numpy"}
