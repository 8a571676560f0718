"""Fixtures shared by end-to-end modules: one real Selenium Grid run, checked by test_grid.py and
test_grid_parallel.py (starting a Grid and its Java nodes takes most of a minute)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_grid import grid_run_in


@pytest.fixture(scope="session")
def grid_run() -> Iterator[dict[str, object]]:
    # A folder of its own, not pytest's shared temporary root (other test sessions prune that one).
    with tempfile.TemporaryDirectory(prefix="harness-grid-e2e-") as name:
        yield grid_run_in(Path(name))
