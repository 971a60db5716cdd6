# mlpath: `make run` to use it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint setup lock bench fuzz clean

# The stamps make a second `make run` skip the install when the locks have not changed.
$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "mlpath needs Python 3.11"' \
		|| { echo "Python 3.11 is required (found: $(PYTHON))."; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV): on Debian run 'apt-get install python3-venv'."; exit 1; }

$(VENV)/.runtime: requirements.lock | $(VENV)/bin/python
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	@touch $@

$(VENV)/.dev: requirements-dev.lock | $(VENV)/bin/python
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@touch $@ $(VENV)/.runtime

setup: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_catalog

run: setup
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	@# The production settings must pass Django's deploy check with no warnings at all.
	DEBUG=0 SECRET_KEY=lint-only-$$(date +%s)-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ \
		ALLOWED_HOSTS=mlpath.example $(PY) manage.py check --deploy --fail-level WARNING

# The loader fuzzing test with 1,000 fresh broken catalogs per property (the suite runs 200).
fuzz: $(VENV)/.dev
	LOADER_FUZZ_PROFILE=fuzz $(PY) -m pytest -q tests/test_fuzz_loader.py $(PYTEST_ARGS)

bench: $(VENV)/.dev
	$(PY) -m tests.bench $(BENCH_ARGS)

# Regenerate both lock files from pyproject.toml (needs the registry).
lock: $(VENV)/bin/python
	$(PY) -m pip install -q uv
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements-dev.lock

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
