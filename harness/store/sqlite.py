"""The SQLite backend of the results store (stdlib sqlite3): one file, WAL journal, writers queued by
BEGIN IMMEDIATE with a busy timeout, so several processes can write the same file without "database is locked"."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from harness.errors import ConfigError, InfrastructureError
from harness.store.db import Dialect, Params, Row, Target

BUSY_TIMEOUT_MS: Final = 30_000
MIN_SQLITE: Final = (3, 35, 0)  # RETURNING and ON CONFLICT ... DO UPDATE


class _Tx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Params = ()) -> list[Row]:
        return self._conn.execute(sql, tuple(params)).fetchall()

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        self._conn.executemany(sql, [tuple(r) for r in rows])


class SqliteBackend:
    """A connection to one SQLite file (created with its folder when missing)."""

    dialect: Dialect = "sqlite"

    def __init__(self, target: Target, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            need = ".".join(map(str, MIN_SQLITE))
            raise InfrastructureError(f"SQLite {sqlite3.sqlite_version} is too old for the results store; need {need}+")
        self.target = target
        path = Path(target.location)
        if target.location != ":memory:":
            if path.is_dir():
                raise ConfigError(f"{path} is a folder; allowed: the path of a SQLite file", key_path="store")
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: no implicit transactions; writes open BEGIN IMMEDIATE themselves.
            self._conn = sqlite3.connect(target.location, timeout=busy_timeout_ms / 1000, isolation_level=None)
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._set_wal(busy_timeout_ms / 1000)
            self._conn.execute("PRAGMA synchronous = NORMAL")  # durable in WAL mode except on power loss
        except sqlite3.DatabaseError as exc:
            raise InfrastructureError(f"cannot open the results store {target.display}: {exc}") from exc

    def _set_wal(self, timeout_s: float) -> None:
        """Switch to WAL (stays set in the file); a concurrent first open can briefly hold the lock it needs."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        if str(mode).lower() not in ("wal", "memory"):
            raise InfrastructureError(
                f"the results store {self.target.display} cannot use WAL journaling (got {mode!r}); "
                "put it on a local file system"
            )

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            return self._conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.OperationalError as exc:
            raise InfrastructureError(f"results store {self.target.display}: {exc}") from exc

    @contextmanager
    def transaction(self, *, lock_key: str | None = None) -> Iterator[_Tx]:
        """BEGIN IMMEDIATE takes the file's write lock at once (waiting up to the busy timeout), so a transaction
        never has to upgrade a read lock, which SQLite refuses with "database is locked" instead of waiting.
        `lock_key` needs nothing more here: the write lock is already exclusive."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # still locked after the busy timeout
            raise InfrastructureError(f"results store {self.target.display}: {exc}") from exc
        try:
            yield _Tx(self._conn)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()
