# Two commands do all the set-up on a fresh machine (see README):
#   make demo   – solve the bundled Hertfordshire sample day and write a rota to demo_out/
#   make test   – services, lint, import contracts, types (mypy) and the whole test suite (what CI runs)
#   make unit   – the same checks and tests without PostgreSQL, Redis, Chromium or Ray (a quick local run)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test unit lint bench install clean

# The full suite: web tests on PostgreSQL as well as SQLite, browser tests in Chromium, the
# job queue on Redis with real workers and the capacity sweep on a local Ray instance are
# required, not skipped.
FULL := HAH_TEST_POSTGRES=1 HAH_REQUIRE_BROWSER=1 HAH_REQUIRE_RAY=1 HAH_REQUIRE_REDIS=1

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,bench,ray]"
	$(VENV)/bin/hah compile  # numba's machine code, built once here rather than in a timed solve
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/hah demo --out demo_out

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

test: lint
	bash .ci/services
	$(FULL) $(VENV)/bin/pytest -n 2

unit: lint
	$(VENV)/bin/pytest -n 2

clean:
	rm -rf $(VENV) demo_out .pytest_cache .hypothesis
