# Two commands do all the set-up on a fresh machine (see README):
#   make demo   – solve the bundled Hertfordshire sample day and write a rota to demo_out/
#   make test   – lint and run the whole test suite (what CI runs)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench install clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,bench,ray]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/hah demo --out demo_out

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -n 2

clean:
	rm -rf $(VENV) demo_out .pytest_cache .hypothesis
