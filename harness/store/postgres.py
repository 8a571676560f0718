"""The PostgreSQL backend of the results store (psycopg 3), for teams sharing one history: a URL such as
postgresql://user@host:5432/harness; writers of the same run queue on an advisory lock."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urlsplit

from harness.errors import ConfigError, InfrastructureError
from harness.store.db import Dialect, Params, Row, Target, mask_url, qmark_to_format

if TYPE_CHECKING:
    import psycopg

PSYCOPG_PIN: Final = "psycopg[binary]==3.2.13"
CONNECT_TIMEOUT_S: Final = 10


def advisory_key(text: str) -> int:
    """A stable signed 64-bit key for pg_advisory_xact_lock, from any text (first 8 bytes of its SHA-256)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


class _Tx:
    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self._cur = cur

    def execute(self, sql: str, params: Params = ()) -> list[Row]:
        self._cur.execute(qmark_to_format(sql), tuple(params))
        return self._cur.fetchall() if self._cur.description is not None else []

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if rows:
            self._cur.executemany(qmark_to_format(sql), [tuple(r) for r in rows])


class PostgresBackend:
    """A connection to one PostgreSQL database. Errors show the URL with its credentials masked."""

    dialect: Dialect = "postgresql"

    def __init__(self, target: Target) -> None:
        try:
            import psycopg
        except ImportError:
            raise ConfigError(
                f"a postgresql:// store needs the psycopg package; install it with: pip install '{PSYCOPG_PIN}'",
                key_path="store",
            ) from None
        self.target = target
        self._secret = unquote(urlsplit(target.location).password or "")
        try:
            self._conn = psycopg.connect(target.location, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            # `from None`: the driver's own exception may carry the connection string.
            raise InfrastructureError(
                f"cannot connect to the results store {target.display}: {self._scrub(str(exc))}"
            ) from None

    def _scrub(self, text: str) -> str:
        masked = mask_url(text)
        return masked.replace(self._secret, "***") if self._secret else masked

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        import psycopg

        try:
            with self._conn.cursor() as cur:
                cur.execute(qmark_to_format(sql), tuple(params))
                return cur.fetchall() if cur.description is not None else []
        except psycopg.OperationalError as exc:
            raise InfrastructureError(f"results store {self.target.display}: {self._scrub(str(exc))}") from None

    @contextmanager
    def transaction(self, *, lock_key: str | None = None) -> Iterator[_Tx]:
        """One transaction; with `lock_key`, an advisory lock on it first (released at commit or rollback)."""
        import psycopg

        try:
            with self._conn.transaction(), self._conn.cursor() as cur:
                if lock_key is not None:
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(lock_key),))
                yield _Tx(cur)
        except psycopg.OperationalError as exc:
            raise InfrastructureError(f"results store {self.target.display}: {self._scrub(str(exc))}") from None

    def close(self) -> None:
        self._conn.close()
