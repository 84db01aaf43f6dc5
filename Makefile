# Spectrum Sync. Quick start: `make run` (demo) and `make test` (whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Tests run against real PostgreSQL and Redis on loopback (started when installed but stopped).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/spectrum_sync
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
TEST_ENV := DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) OUTBOUND_ALLOWED_HOSTS=127.0.0.1,localhost

.PHONY: run test venv system-deps lint typecheck migrations-check pytest bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# System packages the tests need (ODBC stack, Chromium). Installs only what is missing.
system-deps:
	@bash .ci/system-deps.sh

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap_demo
	$(PY) manage.py runstack

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

migrations-check: venv
	$(PY) manage.py makemigrations --check --dry-run

pytest: venv system-deps
	$(TEST_ENV) $(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint typecheck migrations-check pytest

bench: venv
	$(TEST_ENV) $(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

# Seeded randomised fault run (tests/faults/test_randomised.py): `make faults SEED=42 RUNS=10`.
SEED ?= 9
RUNS ?= 5
faults: venv
	$(TEST_ENV) FAULTS_SEED=$(SEED) FAULTS_RUNS=$(RUNS) $(VENV)/bin/pytest tests/faults/test_randomised.py -q -p no:randomly
