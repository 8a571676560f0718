"""The thin DB-API layer under the results store: what a backend (SQLite, PostgreSQL) must offer, where a store
target points, and how credentials in a store URL are hidden.

SQL is written once with `?` placeholders; a backend whose driver wants another style converts it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, Protocol
from urllib.parse import urlsplit

from harness.errors import ConfigError
from harness.secrets import mask_secrets

Param = str | int | float | bool | None
Params = Sequence[Param]
Row = tuple[Any, ...]
Dialect = Literal["sqlite", "postgresql"]

POSTGRES_SCHEMES: Final = ("postgresql", "postgres")
ALLOWED_TARGETS: Final = (
    "a file path (SQLite, e.g. reports/results.db), sqlite:///path/to/results.db, "
    "or postgresql://host:port/dbname (user and password from the URL or PGUSER / PGPASSWORD)"
)

def mask_url(text: str) -> str:
    """`text` with every URL's `user:password@` and every `password=...` replaced by *** (the one rule:
    `harness.secrets.mask_secrets`).

    `postgresql://bob:s3cret@db:5432/h` -> `postgresql://***@db:5432/h`;
    `postgresql://db/h?password=s3cret` -> `postgresql://db/h?password=***`.
    """
    return mask_secrets(text)


@dataclass(frozen=True)
class Target:
    """Where a store lives: a SQLite file, or a PostgreSQL database given by URL."""

    dialect: Dialect
    location: str  # the SQLite file path, or the PostgreSQL URL (with any credentials: never print it)

    @property
    def display(self) -> str:
        """The location with credentials masked: safe to print and log."""
        return mask_url(self.location)


def parse_target(url_or_path: str | Path) -> Target:
    """A file path or `sqlite:///path` -> SQLite; `postgresql://...` or `postgres://...` -> PostgreSQL."""
    if isinstance(url_or_path, Path):
        return Target("sqlite", str(url_or_path))
    text = url_or_path.strip()
    if not text:
        raise ConfigError(f"empty store location; allowed: {ALLOWED_TARGETS}", key_path="store")
    if "://" not in text:
        return Target("sqlite", text)
    scheme = text.split("://", 1)[0].lower()
    if scheme in POSTGRES_SCHEMES:
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError as exc:
            raise ConfigError(
                f"store URL {mask_url(text)} is malformed ({mask_url(str(exc))}); allowed: {ALLOWED_TARGETS}",
                key_path="store",
            ) from None
        if not parts.hostname and "host=" not in parts.query:
            raise ConfigError(
                f"store URL {mask_url(text)} names no host; allowed: {ALLOWED_TARGETS}", key_path="store"
            )
        return Target("postgresql", text)
    if scheme == "sqlite":
        path = text.split("://", 1)[1]
        if not path.startswith("/") or path == "/":
            raise ConfigError(
                f"store URL {text} needs an absolute path after sqlite:// (three slashes: sqlite:///abs/path); "
                f"allowed: {ALLOWED_TARGETS}",
                key_path="store",
            )
        return Target("sqlite", path)
    raise ConfigError(
        f"store URL scheme {scheme!r} is not supported ({mask_url(text)}); allowed: {ALLOWED_TARGETS}",
        key_path="store",
    )


class Transaction(Protocol):
    """Statements inside one open write transaction."""

    def execute(self, sql: str, params: Params = ()) -> list[Row]: ...

    def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...


class Backend(Protocol):
    """One open connection to a store database.

    `query` runs a read on its own; `transaction` opens a write transaction that takes the database's write lock
    first (SQLite: BEGIN IMMEDIATE) and, with `lock_key`, also an advisory lock on that key where the database has
    them (PostgreSQL: pg_advisory_xact_lock), so concurrent writers of the same thing queue instead of racing.
    """

    dialect: Dialect
    target: Target

    def query(self, sql: str, params: Params = ()) -> list[Row]: ...

    def transaction(self, *, lock_key: str | None = None) -> AbstractContextManager[Transaction]: ...

    def close(self) -> None: ...


@functools.lru_cache(maxsize=256)
def qmark_to_format(sql: str) -> str:
    """`?` placeholders -> `%s` (psycopg's style); a literal `%` becomes `%%`; quoted text is left alone."""
    out: list[str] = []
    for quoted, other in _split_quoted(sql):
        if quoted:
            out.append(other.replace("%", "%%"))
        else:
            out.append(other.replace("%", "%%").replace("?", "%s"))
    return "".join(out)


def _split_quoted(sql: str) -> Iterator[tuple[bool, str]]:
    """Pieces of `sql`: (True, '...') for single-quoted literals and "..." identifiers, (False, text) between."""
    pos = 0
    for match in re.finditer(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", sql):
        if match.start() > pos:
            yield False, sql[pos : match.start()]
        yield True, match.group(0)
        pos = match.end()
    if pos < len(sql):
        yield False, sql[pos:]
