# Quick start: `make run` runs the default matrix and ends with the report's path; `make test` runs the test suite.
# Both install what is missing first (scripts/setup.sh: pinned, idempotent, seconds when all is there).
VENV := .venv
PY := $(VENV)/bin/python
HARNESS := $(VENV)/bin/harness

.PHONY: setup run test lint unit e2e clean

setup:
	@bash scripts/setup.sh

run: setup
	$(HARNESS) run -v

lint: setup
	$(VENV)/bin/ruff check harness tests
	$(VENV)/bin/mypy

unit: setup
	$(PY) -m pytest -m "not e2e"

e2e: setup
	$(PY) -m pytest -m e2e

test: setup lint
	$(PY) -m pytest

clean:
	rm -rf reports/*/ reports/history.jsonl .cache
