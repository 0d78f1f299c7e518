# One way to run, test, lint and benchmark. A fresh clone needs only Python 3.11+ and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run demo test lint bench clean

$(VENV)/.runtime: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PIP) install -e '.[dev]'
	touch $@

## run: the API on http://127.0.0.1:8000 with an embedded PostgreSQL in .data/ (DEMO=1 loads demo data)
run: $(VENV)/.runtime
	$(BIN)/dpr serve $(if $(DEMO),--demo)

## test: the whole test suite against a real PostgreSQL started for the run
test: $(VENV)/.dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## lint: formatting, lint rules, types and the dependency contracts
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## bench: every benchmark in bench/
bench: $(VENV)/.dev
	for script in bench/[!_]*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
