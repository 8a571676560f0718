"""SIGTERM and SIGHUP (what `timeout`, a CI cancelling a job and systemd send) stop a run the way Ctrl-C does.

The signal raises RunStopped, a KeyboardInterrupt, in the main thread: pytest ends the item in flight (it is
recorded as broken with the one-line reason "the run was stopped by SIGTERM"), keeps the finished ones, and the
plugin writes the results and the report and exits 3. While a record is being written or the run is finishing,
a signal is held and acted on afterwards, so that it never tears a file.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGHUP)


class RunStopped(KeyboardInterrupt):
    """The run was asked to stop by a signal."""

    def __init__(self, signame: str) -> None:
        super().__init__(f"the run was stopped by {signame}")
        self.signame = signame


class _State:
    held = 0
    pending: str | None = None
    finishing = False
    received: str | None = None


_state = _State()


def _handler(signum: int, frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    _state.received = _state.received or name
    if _state.finishing:
        return  # the results and report are being written: finish them, then exit
    if _state.held:
        _state.pending = name
        return
    raise RunStopped(name)


def install() -> None:
    """Handles SIGTERM and SIGHUP in this process (main thread only; elsewhere it does nothing)."""
    if threading.current_thread() is not threading.main_thread():
        return
    _state.held, _state.pending, _state.finishing, _state.received = 0, None, False, None
    for sig in STOP_SIGNALS:
        signal.signal(sig, _handler)


def finishing() -> None:
    """From here on a stop signal is noted, not raised: the run is writing its results and report."""
    _state.finishing = True


def received() -> str | None:
    """The first stop signal received, if any (e.g. "SIGTERM")."""
    return _state.received


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Holds a stop signal while the block runs (writing a record), then raises it."""
    _state.held += 1
    try:
        yield
    finally:
        _state.held -= 1
        if not _state.held and _state.pending and not _state.finishing:
            name, _state.pending = _state.pending, None
            raise RunStopped(name)
