# make run  : a virtualenv, the package, the schema, demo data, and the API on 127.0.0.1:8000
# make test : a virtualenv with the dev extras, then the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/dom migrate
	$(BIN)/dom demo
	$(BIN)/dom serve --host 127.0.0.1 --port 8000

test: install
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy models optimizer lifecycle storage api dom connectors geo planner broker

bench: install
	$(BIN)/python -m benchmarks.sourcing --quick

# HTTP load on a real server: SQLite and PostgreSQL (127.0.0.1:5432), 1 and N workers (~2 min)
.PHONY: bench-load
bench-load: install
	$(BIN)/python -m benchmarks.load --quick

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache dom.db dom.db-wal dom.db-shm
