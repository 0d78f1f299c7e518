# One way to run, test, lint and benchmark. A fresh clone needs only Python 3.11+ and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
UV_VERSION := 0.13.9

.PHONY: run test lint bench lock check-lock clean

# Installs exactly the locks (versions and hashes); the project itself goes in editable, without its deps.
$(VENV)/.runtime: requirements.lock pyproject.toml
	@$(PYTHON) .ci/lock.py check
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --require-hashes --no-deps -r requirements.lock
	$(PIP) install --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(PIP) install --require-hashes --no-deps -r requirements-dev.lock
	$(BIN)/python -m pip check
	touch $@

## run: the API on http://127.0.0.1:8000 with an embedded PostgreSQL in .data/ (DEMO=1 loads demo data, PORT=… another port)
run: $(VENV)/.runtime
	$(BIN)/dpr serve $(if $(DEMO),--demo) $(if $(PORT),--port $(PORT))

## test: the whole test suite against a real PostgreSQL started for the run, one worker per core
PYTEST_ARGS ?= -n auto
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

## lock: refresh requirements.lock and requirements-dev.lock from pyproject.toml (needs the package index)
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install uv==$(UV_VERSION)
	$(BIN)/python .ci/lock.py refresh $(BIN)/uv

## check-lock: fail when the locks no longer match pyproject.toml
check-lock:
	$(PYTHON) .ci/lock.py check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
