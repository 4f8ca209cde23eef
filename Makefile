# Two commands do all set-up on a fresh machine:
#   make reports   — prepare the data and write every county report (the main job)
#   make test      — the whole test suite, notebooks included
# Each creates the virtual environment .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?=

.PHONY: reports test check prepare bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (qanalysis)" >/dev/null
	touch $(STAMP)

prepare: $(STAMP)
	$(BIN)/qanalysis prepare

reports: prepare
	$(BIN)/qanalysis reports $(if $(JOBS),--jobs $(JOBS),)

# the whole suite (CI): every test, then every notebook under nbval
test: prepare
	$(BIN)/python -m pytest -n 2 --dist loadscope tests
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg -p no:randomly notebooks

# the inner loop: everything but the tests marked slow (report batches, browsers, servers,
# LibreOffice, concurrent processes, kill faults); `make test` before you land
check: prepare
	$(BIN)/python -m pytest -n 2 --dist loadscope -m "not slow" -q tests

bench: prepare
	$(BIN)/python benchmarks/bench_assess.py
	$(BIN)/python benchmarks/bench_charts.py
	$(BIN)/python benchmarks/bench_reports.py

clean:
	rm -rf $(VENV) reports data/processed/*/
