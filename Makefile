# Quick start: `make run` runs the default matrix and ends with the report's path; `make test` runs the test suite.
# Both install what is missing first (scripts/setup.sh: pinned, idempotent, seconds when all is there).
VENV := .venv
PY := $(VENV)/bin/python
HARNESS := $(VENV)/bin/harness

.PHONY: setup run test lint unit e2e clean

setup:
	@bash scripts/setup.sh

# `make run ARGS="--device pixel7"` passes options on. On failure make prints the harness's code in its last line
# (`make: *** [Makefile:..: run] Error 3`) but exits 2 itself, as GNU make does for any failing recipe:
# CI that needs 0/1/2/3 runs scripts/run.sh, which is this same recipe.
run:
	@bash scripts/run.sh $(ARGS)

lint: setup
	$(VENV)/bin/ruff check harness tests
	$(VENV)/bin/mypy

# Unit tests run on both cores (pytest-xdist); browser tests one at a time, after them.
unit: setup
	$(PY) -m pytest -m "not e2e" -n 2

e2e: setup
	$(PY) -m pytest -m e2e

test: setup lint
	$(PY) -m pytest -m "not e2e" -n 2
	$(PY) -m pytest -m e2e

clean:
	rm -rf reports/*/ reports/history.jsonl .cache
