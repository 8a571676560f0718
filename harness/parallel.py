"""Devices in parallel inside one pytest session (`harness run --parallel N`): one run id, one run folder, one report.

The items are grouped into lanes, one per device, each lane's items in collection order; up to N lanes run at once,
each on a thread of its own that calls pytest's own `pytest_runtest_protocol` per item, so the report hooks, Allure
and the progress lines work as in a serial run. A device is never used by two sessions at once.

Local web devices share this machine's CPU with the browser that measures them, so by default they all share ONE
lane (one at a time, still alongside the remote lanes); `--parallel-local` gives each its own lane.

What the threads share is made safe here or where it lives: pytest's setup/teardown stack is kept per thread
(`_ThreadSetupState`), the report hooks (terminal, progress, Allure's log hooks) run one at a time (`_ReportLock`),
the results writer, the run's services and the port allocator hold their own locks, and allure-pytest keeps each
thread's test results apart itself (allure_commons' ThreadContextItems). pytest's output capture is one per
process: in a parallel run an item's captured stdout/stderr may hold another item's lines.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

LOCAL_WEB_LANE = "local web devices"


@dataclass(frozen=True)
class Lane:
    """Items that run one after another on one worker: one device's, or every local web device's."""

    name: str
    items: tuple[Any, ...]


def shares_host(device: Any) -> bool:
    """A local web device: its browser runs on this machine, beside the measuring harness."""
    return getattr(device, "platform", None) == "web" and getattr(device, "connection", "local") == "local"


def lanes(items: Sequence[Any], *, parallel_local: bool = False) -> list[Lane]:
    """The items grouped by device (in order of first appearance), each lane in collection order; without
    `parallel_local` every local web device's items share one lane. Items without a device run in a lane of
    their own each."""
    groups: dict[str, list[Any]] = {}
    for index, item in enumerate(items):
        device = getattr(item, "device", None)
        if device is None:
            key = f"item {index}"
        elif shares_host(device) and not parallel_local:
            key = LOCAL_WEB_LANE
        else:
            key = str(device.id)
        groups.setdefault(key, []).append(item)
    return [Lane(name=key, items=tuple(group)) for key, group in groups.items()]


class _ThreadSetupState:
    """pytest's SetupState (the stack of set-up nodes), one per thread: each lane sets up and tears down its own
    items as a serial session does."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self._local = threading.local()

    def _state(self) -> Any:
        state = getattr(self._local, "state", None)
        if state is None:
            state = self._local.state = self._factory()
        return state

    def __getattr__(self, name: str) -> Any:
        return getattr(self._state(), name)


class _ReportLock:
    """Runs the per-item report hooks of the whole session one at a time (they write the terminal and shared
    counters)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()

    @contextmanager
    def _held(self) -> Iterator[None]:
        with self.lock:
            yield

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> Generator[None, None, None]:
        with self._held():
            return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> Generator[None, None, None]:
        with self._held():
            return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> Generator[None, None, None]:
        with self._held():
            return (yield)


@contextmanager
def _allure_threads(config: pytest.Config) -> Iterator[None]:
    """allure-pytest keeps each thread's results apart (allure_commons' ThreadContextItems), but a thread's first
    look at an empty context copies the starting thread's last item and fails (StopIteration) when that thread
    holds none, as in a session of items without fixtures. A placeholder container on the starting thread, for the
    loop's duration, gives the workers something to copy that no test result, step or label ever lands in."""
    listener = config.pluginmanager.get_plugin("allure_listener")
    items = getattr(getattr(listener, "allure_logger", None), "_items", None)
    contexts = getattr(items, "_thread_context", None)
    if contexts is None:
        yield
        return
    from allure_commons.model2 import TestResultContainer

    key = f"harness-parallel-{uuid.uuid4()}"
    contexts[items._init_thread][key] = TestResultContainer(uuid=key)  # type: ignore[union-attr]
    try:
        yield
    finally:
        for context in list(contexts.values()):
            context.pop(key, None)


def _stopping(session: pytest.Session) -> bool:
    return bool(session.shouldfail or session.shouldstop)


def _run_lane(session: pytest.Session, lane: Lane) -> None:
    for index, item in enumerate(lane.items):
        if _stopping(session):
            return
        nextitem = lane.items[index + 1] if index + 1 < len(lane.items) else None
        item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)


def run_lanes(session: pytest.Session, *, workers: int, parallel_local: bool = False) -> None:
    """Runs the session's items in lanes on up to `workers` threads; raises as pytest's own loop does when the
    session is to fail or stop."""
    from _pytest.runner import SetupState

    plan = lanes(session.items, parallel_local=parallel_local)
    progress = session.config.pluginmanager.get_plugin("harness-progress")
    if progress is not None:
        progress.workers = max(1, min(workers, len(plan)))
    report_lock = _ReportLock()
    session.config.pluginmanager.register(report_lock, "harness-parallel-report-lock")
    saved = session._setupstate
    session._setupstate = _ThreadSetupState(SetupState)  # type: ignore[assignment]
    try:
        with _allure_threads(session.config), ThreadPoolExecutor(max_workers=max(1, min(workers, len(plan))),
                                thread_name_prefix="harness-lane") as pool:
            futures: list[Future[None]] = [pool.submit(_run_lane, session, lane) for lane in plan]
            try:
                done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            except KeyboardInterrupt:
                session.shouldstop = "interrupted: the items already started finish, no new one starts"
                wait(futures)
                raise
            for future in done:
                if future.exception() is not None:
                    session.shouldstop = f"a worker stopped: {future.exception()}"
                    wait(futures)
                    future.result()
    finally:
        session._setupstate = saved
        session.config.pluginmanager.unregister(report_lock)
    if session.shouldfail:
        raise session.Failed(session.shouldfail)
    if session.shouldstop:
        raise session.Interrupted(session.shouldstop)
