# Two commands for a fresh machine with Python 3.11: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint test-sqlite test-postgres translations system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The project itself is installed editable (pip install -e .): that gives .venv the `moksori`
# command (pyproject.toml) while the code folder stays what runs.
$(VENV)/.deps: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev-deps: requirements-dev.txt requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(VENV)/.deps $@

translations: $(VENV)/.deps
	$(FLASK) translate compile

run: translations
	$(FLASK) db upgrade
	$(FLASK) run --host 127.0.0.1 --port 5000

# Debian's Chromium and Korean fonts for the browser tests, nginx and tor for the tests of
# deploy/, installed only when missing and only where apt can be used; elsewhere those tests
# say why they skip (outside CI). Daemons are not started by the install (policy-rc.d 101:
# a tor that started would try to reach the Tor network); the tests start their own.
system-deps:
	@missing=""; servers=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	[ -x /usr/sbin/nginx ] || servers="$$servers nginx"; \
	[ -x /usr/sbin/tor ] || servers="$$servers tor"; \
	if [ -n "$$missing$$servers" ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing$$servers"; \
	    policy=""; [ -e /usr/sbin/policy-rc.d ] || { policy=/usr/sbin/policy-rc.d; \
	      printf '#!/bin/sh\nexit 101\n' > $$policy; chmod 755 $$policy; }; \
	    apt-get update -qq \
	    && { [ -z "$$missing" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; } \
	    && { [ -z "$$servers" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	           $$servers >/dev/null; }; \
	    status=$$?; [ -z "$$policy" ] || rm -f $$policy; exit $$status; \
	  else echo "note: could not install$$missing$$servers (no apt or not root)"; fi; \
	fi

# Ruff over the whole tree, then mypy with pyproject.toml's settings (files = app/services), then
# bandit over app/ (each finding is fixed, or justified in place: `# nosec BXXX # why`);
# `make test` runs it first so a finding fails the build before the suites start. Bandit 1.9
# also warns "nosec encountered, but no failed test" on lines with several calls or statements
# over several lines (PyCQA/bandit#1041, #1352): those lines of its output are dropped.
lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/mypy
	set -o pipefail; $(BIN)/bandit -q -r app 2>&1 | { grep -v "nosec encountered" || true; }

test: $(VENV)/.dev-deps system-deps translations lint test-sqlite test-postgres

test-sqlite:
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest

# PostgreSQL runs when TEST_DATABASE_URL is set (CI sets it in .ci/run).
test-postgres:
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL: $$TEST_DATABASE_URL"; \
	  $(BIN)/python -m pytest; \
	else echo "TEST_DATABASE_URL not set: PostgreSQL run skipped (CI sets it)"; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
