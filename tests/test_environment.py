"""environment.yml (conda) and pyproject.toml (pip) list the same packages."""
import re
import tomllib

from qanalysis import config

ROOT = config.PROJECT_DIR
# conda's name where it differs from PyPI's
CONDA_TO_PIP = {}


def _name(spec: str) -> str:
    return re.split(r"[<>=!~\[ ;]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pip_names():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(s) for s in meta["dependencies"]}
    test = {_name(s) for s in meta["optional-dependencies"]["test"]}
    return runtime, test


def conda_names():
    names = set()
    section = None
    for line in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        if re.match(r"^[a-z]", line):
            section = line.split(":")[0]
        if section != "dependencies":
            continue
        m = re.match(r"^\s+-\s+([A-Za-z0-9_.\-\[\]]+[^#]*)", line)
        if m and not line.strip().endswith(":"):
            n = _name(m.group(1))
            if n not in ("python", "pip"):
                names.add(CONDA_TO_PIP.get(n, n))
    return names


def test_environment_yml_matches_pyproject():
    runtime, test = pip_names()
    conda = conda_names()
    assert runtime - conda == set(), "in pyproject.toml but not environment.yml"
    assert conda - runtime - test == set(), "in environment.yml but not pyproject.toml"
    assert test <= conda


def test_parser_sees_a_drift(tmp_path, monkeypatch):
    """The check itself can fail: drop a runtime package from a copy of environment.yml."""
    runtime, _ = pip_names()
    env = (ROOT / "environment.yml").read_text(encoding="utf-8")
    dropped = next(n for n in sorted(runtime)
                   if re.search(rf"^  - {re.escape(n)}\b.*\n", env, flags=re.M | re.I))
    text = re.sub(rf"^  - {re.escape(dropped)}\b.*\n", "", env, count=1, flags=re.M | re.I)
    (tmp_path / "environment.yml").write_text(text, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"),
                                             encoding="utf-8")
    monkeypatch.setattr("test_environment.ROOT", tmp_path)
    runtime, _ = pip_names()
    assert runtime - conda_names() == {dropped}
