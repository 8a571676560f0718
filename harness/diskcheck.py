"""The run folder must take the run: checked before any device is touched (free space, a write probe), and a
write that fails mid-run (disk full, folder made read-only) stops the run with one message instead of a
traceback. The minimum free space is 500 MB (docs/faults.md), or $HARNESS_MIN_FREE_MB.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from harness.errors import ServiceUnavailableError

MIN_FREE_MB_DEFAULT = 500
MIN_FREE_ENV = "HARNESS_MIN_FREE_MB"
# errno values that mean the run folder cannot take more writes (not a fault of the item being written).
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO})


class RunFolderError(ServiceUnavailableError):
    """The run folder cannot be written: every item left would fail the same way, so the run stops."""


def min_free_mb() -> int:
    raw = os.environ.get(MIN_FREE_ENV, "")
    try:
        return max(0, int(raw)) if raw else MIN_FREE_MB_DEFAULT
    except ValueError:
        return MIN_FREE_MB_DEFAULT


def check_run_folder(run_dir: Path, *, need_mb: int | None = None) -> None:
    """Creates the run folder, writes and removes a probe file in it, and checks its free space; one-line
    RunFolderError otherwise."""
    need = min_free_mb() if need_mb is None else need_mb
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / f".write-probe.{os.getpid()}"
        with probe.open("wb") as fh:
            fh.write(b"\0" * 4096)
            fh.flush()
            os.fsync(fh.fileno())
        probe.unlink()
    except OSError as exc:
        raise RunFolderError(f"[infrastructure] run folder {run_dir} is not writable: {describe_os_error(exc)}") \
            from None
    free_mb = shutil.disk_usage(run_dir).free / 1e6
    if free_mb < need:
        raise RunFolderError(f"[infrastructure] run folder {run_dir} has {free_mb:.0f} MB free; a run needs at "
                             f"least {need} MB (${MIN_FREE_ENV} changes it)")


def is_disk_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in DISK_ERRNOS


def describe_os_error(exc: OSError) -> str:
    """`No space left on device (errno 28): /path` on one line."""
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or type(exc).__name__} (errno {exc.errno}){where}"


def disk_error(exc: OSError, what: str) -> RunFolderError:
    return RunFolderError(f"[infrastructure] {what}: {describe_os_error(exc)}")
