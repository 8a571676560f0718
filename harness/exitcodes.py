"""The exit codes a CI can trust, one rule for `harness run`, `nightly`, `compare` and plain pytest runs of the
matrix: 0 passed, 1 an item failed (or a regression), 2 bad input or usage, 3 infrastructure failure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INFRA = 0, 1, 2, 3
MEANING = {EXIT_OK: "passed", EXIT_FAILED: "failed", EXIT_USAGE: "bad input", EXIT_INFRA: "infrastructure"}

# pytest's own exit statuses (pytest.ExitCode), spelt out so that this module needs no pytest.
_PYTEST_OK, _PYTEST_FAILED, _PYTEST_INTERRUPTED, _PYTEST_USAGE, _PYTEST_NO_TESTS = 0, 1, 2, 4, 5


class _Record(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def error(self) -> dict[str, str] | None: ...


def broke_on_infrastructure(record: _Record) -> bool:
    """An item that broke because the infrastructure failed (not the SDK, not an expectation)."""
    return record.status == "broken" and (record.error or {}).get("kind") == "infrastructure"


def run_exit_code(pytest_status: int, records: Iterable[_Record], *, stopped: str | None = None) -> int:
    """The matrix run's exit code from pytest's status and the items' records. Infrastructure wins over failures:
    a run whose infrastructure failed is not a verdict on the SDK, so a CI must not read it as one."""
    if pytest_status in (_PYTEST_USAGE, _PYTEST_NO_TESTS):
        return EXIT_USAGE
    if stopped or pytest_status not in (_PYTEST_OK, _PYTEST_FAILED):
        return EXIT_INFRA
    if any(broke_on_infrastructure(r) for r in records):
        return EXIT_INFRA
    return EXIT_OK if pytest_status == _PYTEST_OK else EXIT_FAILED
