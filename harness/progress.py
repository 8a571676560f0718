"""Progress of a matrix run in the terminal: one line per finished item with the elapsed time, an ETA from the
finished items' durations, the item's key numbers and the failures so far. pytest's own per-item characters,
tracebacks and short summary are turned off for matrix runs: each failure is printed once, in full, by the
end-of-run summary (harness.report.summary). Registered by harness.plugin; `--progress off` (`harness run -q`)
keeps only the summary."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import pytest

from harness.report.summary import LINE_WIDTH, key_numbers, status_word
from harness.results import ItemRecord

PLUGIN_NAME: Final = "harness-progress"


def format_clock(seconds: float) -> str:
    """`0:01:23` for 83 s; negative or unknown values as `-:--:--`."""
    if not seconds >= 0:
        return "-:--:--"
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def eta_s(durations_s: list[float], remaining: int, workers: int = 1) -> float | None:
    """Time left: the mean duration of the finished items times the items left, shared by the workers running at
    once (`--parallel`; None before the first)."""
    if not durations_s:
        return None
    return sum(durations_s) / len(durations_s) * max(remaining, 0) / max(workers, 1)


def progress_line(*, done: int, total: int, elapsed_s: float, eta: float | None, record: ItemRecord | None,
                  name: str, outcome: str, duration_s: float, failures: int) -> str:
    """`[ 3/60 0:00:27 ETA 0:08:06] FAIL   beauty-70[pixel7-glfx@1.0]  9.1s  640ms 11.5fps  failures: 1`."""
    width = len(str(total))
    word = status_word(record) if record is not None else outcome.upper()
    head = (f"[{done:>{width}}/{total} {format_clock(elapsed_s)} ETA "
            f"{format_clock(eta) if eta is not None else '-:--:--'}]")
    numbers = " ".join(key_numbers(record)) if record is not None else ""
    text = f"{head} {word:<6} {name}  {duration_s:.1f}s"
    if numbers:
        text += f"  {numbers}"
    text += f"  failures: {failures}"
    return text if len(text) <= LINE_WIDTH else text[: LINE_WIDTH - 1] + "~"


@dataclass(eq=False)  # a pytest plugin must be hashable
class Progress:
    """The pytest hooks of the progress lines; `records` gives the run's records (the item's own is looked up by
    its node id)."""

    records: Callable[[], list[ItemRecord]]
    write_line: Callable[[str], None] | None = None
    clock: Callable[[], float] = time.monotonic
    total: int = 0
    started_s: float | None = None
    durations_s: list[float] = field(default_factory=list)
    failures: int = 0
    workers: int = 1  # items running at once (--parallel, as many as there are lanes)
    _item_started: dict[str, float] = field(default_factory=dict)
    _outcomes: dict[str, str] = field(default_factory=dict)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)
        self.started_s = self.clock()

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self._item_started[nodeid] = self.clock()
        if self.started_s is None:
            self.started_s = self._item_started[nodeid]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed or (report.skipped and report.nodeid not in self._outcomes) or report.when == "call":
            # the worst phase wins: a failed setup or teardown is the item's outcome
            if self._outcomes.get(report.nodeid) != "failed":
                self._outcomes[report.nodeid] = report.outcome
        if report.when == "teardown":
            self._finish(report.nodeid, report.head_line or report.nodeid)

    def _finish(self, nodeid: str, name: str) -> None:
        now = self.clock()
        started = self._item_started.pop(nodeid, now)
        self.durations_s.append(now - started)
        outcome = self._outcomes.pop(nodeid, "passed")
        record = next((r for r in reversed(self.records()) if r.item_id == nodeid), None)
        if outcome == "failed" or (record is not None and record.status in ("failed", "broken")):
            self.failures += 1
        done = len(self.durations_s)
        first = now if self.started_s is None else self.started_s
        line = progress_line(done=done, total=max(self.total, done), elapsed_s=now - first,
                             eta=eta_s(self.durations_s, self.total - done, self.workers), record=record,
                             name=record.name if record is not None else name, outcome=outcome,
                             duration_s=now - started, failures=self.failures)
        if self.write_line is not None:
            self.write_line(line)

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport,
                                 config: pytest.Config) -> tuple[str, str, str] | None:
        """The category pytest counts, with no per-item character or word: the progress line says it."""
        if config.option.verbose > 0:
            return None
        if report.when == "call" or report.outcome != "passed":
            return report.outcome, "", ""
        return None


def install(config: pytest.Config, records: Callable[[], list[ItemRecord]], *, lines: bool) -> None:
    """Wires the progress for a matrix run: pytest's tracebacks and short summary off (the run's summary prints
    each failure once); one line per item unless `lines` is False."""
    config.option.tbstyle = "no"
    config.option.reportchars = ""
    progress = Progress(records=records)
    if lines:
        def write(text: str) -> None:  # the terminal reporter registers after this plugin's configure
            reporter = config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.ensure_newline()
                reporter.write_line(text)
        progress.write_line = write
    config.pluginmanager.register(progress, PLUGIN_NAME)
