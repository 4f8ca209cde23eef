"""The layout holds: no import cycle, no module too big to read, the doc names what exists.

Static (ast over the package files): imports inside functions count too, so a
cycle cannot hide behind one.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from qanalysis import config
from qanalysis.fingerprint import imported_modules

PKG = config.PACKAGE_DIR
ROOT = config.PROJECT_DIR
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out[".".join(parts)] = p
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    # A package's __init__ is imported by every module below it: not an edge worth a cycle.
    return {name: {m for m in imported_modules(path, name) if not name.startswith(m + ".")}
            for name, path in mods.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_sees_imports_inside_functions():
    g = _graph()
    # qanalysis.load() imports the loader inside the function (start-up speed)
    assert "qanalysis.data.load" in g["qanalysis"]
    assert "qanalysis.analysis.status" in g["qanalysis.reports.notebook"]


def test_no_import_cycle_among_qanalysis_modules():
    assert _cycles(_graph()) == []


def test_no_module_is_too_long_to_read():
    lengths = {name: len(p.read_text(encoding="utf-8").splitlines()) for name, p in _modules().items()}
    assert max(lengths.values()) > 100  # the count is real
    assert {n: k for n, k in lengths.items() if k > MAX_LINES} == {}


def test_imports_inside_functions_say_why():
    """An import inside a function is there for start-up speed (or to keep a heavy package
    out of a light process); the function or the import line says so."""
    unexplained = []
    for name, path in _modules().items():
        src = path.read_text(encoding="utf-8")
        lines = src.splitlines()
        tree = ast.parse(src)
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                # relative and absolute alike (worker.py's `import papermill as pm` inside a function)
                if isinstance(node, (ast.Import, ast.ImportFrom)) and not _explained(lines, fn, node):
                    unexplained.append(f"{name}:{node.lineno}")
    assert unexplained == []


def _explained(lines: list[str], fn: ast.AST, node: ast.AST) -> bool:
    """A comment on the import line or on the line(s) just above it (a block of imports
    under one comment counts)."""
    i = node.lineno - 1
    if "#" in lines[i]:
        return True
    while i > 0 and lines[i - 1].strip().startswith(("from ", "import ")):
        i -= 1
    return i > 0 and lines[i - 1].strip().startswith("#")


# ------------------------------------------------------------------ docs/architecture.md

def _doc_modules() -> set[str]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Modules", 1)[1].split("\n## ", 1)[0]
    return {m.group(1) for m in re.finditer(r"`((?:[a-z_0-9]+/)*[a-z_0-9]+\.py)`", section)}


def test_every_module_named_in_the_architecture_doc_exists_and_every_module_is_named():
    named = _doc_modules()
    assert "dataset.py" in named  # the parse found the table
    files = {str(p.relative_to(PKG)) for p in PKG.rglob("*.py")}
    assert sorted(named - files) == [], "docs/architecture.md names modules that do not exist"
    assert sorted(files - named) == [], "modules missing from docs/architecture.md"
