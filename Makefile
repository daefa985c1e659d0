# Copro: `make run` starts the platform on SQLite with a demo project; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Test processes per database run (pytest-xdist); TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2
export COPRO_VAR_DIR ?= $(CURDIR)/var

.PHONY: bench run install test test-install system-deps lint typecheck migrations-check test-sqlite test-postgres messages worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Runtime install (editable, so the source tree is what runs) and compiled Welsh catalogues.
$(VENV)/.installed: $(BIN)/python pyproject.toml setup.py
	$(BIN)/pip install --quiet -e .
	@touch $@

install: $(VENV)/.installed messages

messages: $(BIN)/python
	$(BIN)/python scripts/compile_messages.py copro

run: install
	@mkdir -p var
	COPRO_DEBUG=1 $(BIN)/copro migrate --noinput
	COPRO_DEBUG=1 $(BIN)/copro demo
	@echo "Copro is starting on http://127.0.0.1:$(PORT) (background tasks run alongside; Ctrl+C stops both)."
	@COPRO_DEBUG=1 $(BIN)/copro db_worker --queue-name '*' --no-reload & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  COPRO_DEBUG=1 $(BIN)/copro runserver 127.0.0.1:$(PORT)

worker: install
	COPRO_DEBUG=1 $(BIN)/copro db_worker --queue-name '*'

# --- Tests ----------------------------------------------------------------------------------------

$(VENV)/.test-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

system-deps:
	bash scripts/system_deps.sh

test-install: system-deps $(VENV)/.test-installed messages

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.test-installed
	COPRO_TESTING=1 $(BIN)/mypy copro

migrations-check: $(VENV)/.test-installed
	COPRO_TESTING=1 COPRO_VAR_DIR=$$(mktemp -d) $(BIN)/copro makemigrations --check --dry-run

test-sqlite: test-install
	COPRO_TESTING=1 COPRO_REQUIRE_BROWSER=1 $(BIN)/pytest -p no:cacheprovider -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-postgres: test-install
	bash scripts/postgres.sh start
	COPRO_TESTING=1 COPRO_REQUIRE_BROWSER=1 DATABASE_URL=$$(bash scripts/postgres.sh url) $(BIN)/pytest -p no:cacheprovider -n $(TEST_WORKERS) $(PYTEST_ARGS); \
	  status=$$?; bash scripts/postgres.sh stop; exit $$status

test: test-install lint typecheck migrations-check test-sqlite test-postgres
	@echo "All checks passed on SQLite and PostgreSQL."

clean:
	rm -rf $(VENV) var build *.egg-info

bench: $(VENV)/.test-installed messages
	# A throwaway database each run: the benchmarks never touch var/ (the make run database).
	# pb.py needs pabutools (a test-only dependency): it is the baseline the counting rules are measured against.
	COPRO_VAR_DIR=$$(mktemp -d) $(BIN)/python benchmarks/foundation.py
	COPRO_VAR_DIR=$$(mktemp -d) $(BIN)/python benchmarks/decisions.py
	$(BIN)/python benchmarks/pb.py
	COPRO_VAR_DIR=$$(mktemp -d) $(BIN)/python benchmarks/listening.py
	$(BIN)/python benchmarks/unconference.py
	COPRO_VAR_DIR=$$(mktemp -d) $(BIN)/python benchmarks/live.py
	COPRO_VAR_DIR=$$(mktemp -d) $(BIN)/python benchmarks/followthrough.py
