"""Fixtures shared by the results-store tests (test_store, test_gate, test_scorecard): a throwaway PostgreSQL
server, and an empty store on SQLite or on PostgreSQL."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_server import PgServer, find_pg_bin, start_pg_server

from harness.store import Store, open_store

# --- PostgreSQL server -------------------------------------------------------------------------------------------


def _postgres_or_skip() -> Path:
    """The PostgreSQL bin folder. Missing binaries or psycopg skip the test, unless HARNESS_REQUIRE_POSTGRES is set
    (CI sets it), where they fail it."""
    bin_dir = find_pg_bin()
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing = "the psycopg package"
    else:
        missing = "" if bin_dir is not None else "PostgreSQL's initdb/pg_ctl (apt-get install postgresql)"
    if missing:
        if os.environ.get("HARNESS_REQUIRE_POSTGRES", "") not in ("", "0"):
            pytest.fail(f"HARNESS_REQUIRE_POSTGRES is set but {missing} is not installed")
        pytest.skip(f"{missing} not installed")
    assert bin_dir is not None
    return bin_dir


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = start_pg_server(_postgres_or_skip())
    yield server
    server.stop()


_db_numbers = itertools.count(1)


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A new, empty database on the throwaway server."""
    return pg_server.create_database(f"t{next(_db_numbers)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where an empty store goes: a SQLite file (not yet created), or a new database on the throwaway server."""
    if request.param == "sqlite":
        return str(tmp_path / "store" / "results.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An empty store at store_url, closed after the test."""
    with open_store(store_url) as opened:
        yield opened
