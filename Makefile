# Spectrum Sync. Quick start: `make run` (demo) and `make test` (whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Tests run against real PostgreSQL and Redis on loopback (started when installed but stopped).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/spectrum_sync
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
# Everything make runs is development: DEBUG on (the development keys, loopback simulators allowed).
# Production leaves DJANGO_DEBUG unset, which means off.
export DJANGO_DEBUG ?= true

TEST_ENV := DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) OUTBOUND_ALLOWED_HOSTS=127.0.0.1,localhost

.PHONY: run test venv system-deps lint typecheck imports-check migrations-check pytest bench audit lock clean

# Every package, transitive ones too, is pinned with its hashes in the lock files (see `make lock`).
# The installer's chatter goes to var/install.log; only a failure prints it.
$(STAMP): requirements-bootstrap.txt requirements.txt requirements-dev.txt
	@mkdir -p var
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the locked requirements into $(VENV) (log: var/install.log)…"
	@{ $(PY) -m pip install --quiet --require-hashes -r requirements-bootstrap.txt \
		&& $(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt; } > var/install.log 2>&1 \
		|| { tail -n 40 var/install.log; echo "Installing the requirements failed; see var/install.log"; exit 1; }
	@touch $(STAMP)

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

# Import boundaries between the layers, and no import cycles (contracts in pyproject.toml).
imports-check: venv
	$(VENV)/bin/lint-imports --no-cache --no-logo

test: lint typecheck imports-check migrations-check pytest

# Known vulnerabilities in the locked packages (pip-audit); tools/audit.py explains its exit codes.
audit: venv
	$(PY) tools/audit.py

# Re-lock after editing requirements.in or requirements-dev.in (needs PyPI).
lock: venv
	$(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 requirements-dev.in -o requirements-dev.txt
	$(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 requirements.in -c requirements-dev.txt -o requirements.txt

bench: venv
	$(TEST_ENV) $(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

# Seeded randomised fault run (tests/faults/test_randomised.py): `make faults SEED=42 RUNS=10`.
SEED ?= 9
RUNS ?= 5
faults: venv
	$(TEST_ENV) FAULTS_SEED=$(SEED) FAULTS_RUNS=$(RUNS) $(VENV)/bin/pytest tests/faults/test_randomised.py -q -p no:randomly
