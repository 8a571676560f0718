"""Progress lines of a matrix run (harness.progress) and the summary's environment / known-issue marks: pure
formatting, with the hooks driven by hand-made pytest reports (no browser)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import pytest

from harness.progress import Progress, eta_s, format_clock, progress_line
from harness.report.summary import format_summary, status_word
from tests.test_report import make_record


def test_clock_and_eta() -> None:
    assert format_clock(83) == "0:01:23"
    assert format_clock(3723.4) == "1:02:03"
    assert format_clock(float("nan")) == "-:--:--"
    assert eta_s([], 5) is None
    assert eta_s([10.0, 14.0], 3) == pytest.approx(36.0)  # mean 12 s x 3 items left


def test_line_has_elapsed_eta_numbers_and_failures() -> None:
    record = make_record(scenario="beauty-70", status="failed", metrics={"startup_ms": 640.0, "content_fps": 11.46})
    line = progress_line(done=3, total=60, elapsed_s=27.0, eta=486.0, record=record, name=record.name,
                         outcome="failed", duration_s=9.14, failures=1)
    assert line == ("[ 3/60 0:00:27 ETA 0:08:06] FAIL   beauty-70[pixel7-glfx@2.0]  9.1s  640ms 11.5fps  "
                    "failures: 1")


def test_environment_limited_cell_reads_env() -> None:
    record = replace(make_record(metrics={"content_fps": 21.9}), environment={"message": "[environment] x"})
    assert status_word(record) == "ENV"
    text = format_summary([record, make_record(scenario="beauty-70")])
    assert "ENV 21.9fps" in text
    assert "Environment limited (the machine, not the SDK; not counted as failures):" in text


def test_summary_marks_known_issues_and_prints_each_failure_once_in_full() -> None:
    long_message = "SdkDefectError: [sdk] adaptation defects on pixel7 / glfx@2.0: " + "frame_drops " * 30
    failed = make_record(scenario="beauty-70", status="failed", metrics={"content_fps": 8.4},
                         error={"kind": "sdk", "message": long_message})
    text = format_summary([failed], known={failed.name: "PF-77"})
    assert "FAIL [PF-77] 8.4fps" in text
    assert text.count("adaptation defects on") == 1
    assert long_message.strip() in text  # not cut to the line width


class _Report:
    def __init__(self, nodeid: str, when: str, outcome: str) -> None:
        self.nodeid, self.when, self.outcome = nodeid, when, outcome
        self.head_line = nodeid
        self.failed, self.skipped = outcome == "failed", outcome == "skipped"


def test_hooks_print_one_line_per_item_with_failures_so_far() -> None:
    now = [0.0]
    lines: list[str] = []
    records = [make_record(scenario="a", status="passed", metrics={"content_fps": 29.9}),
               make_record(scenario="b", status="failed", metrics={"content_fps": 8.0})]
    progress = Progress(records=lambda: records, write_line=lines.append, clock=lambda: now[0])

    class Session:
        items: ClassVar[list[Any]] = [1, 2, 3]

    progress.pytest_collection_finish(Session())  # type: ignore[arg-type]
    for record, outcome, took in ((records[0], "passed", 10.0), (records[1], "failed", 20.0)):
        progress.pytest_runtest_logstart(record.item_id, None)
        now[0] += took
        for when in ("setup", "call", "teardown"):
            progress.pytest_runtest_logreport(_Report(record.item_id, when, outcome if when == "call"
                                                      else "passed"))  # type: ignore[arg-type]
    assert lines == [
        "[1/3 0:00:10 ETA 0:00:20] PASS   a[pixel7-glfx@2.0]  10.0s  29.9fps  failures: 0",
        "[2/3 0:00:30 ETA 0:00:15] FAIL   b[pixel7-glfx@2.0]  20.0s  8.0fps  failures: 1",
    ]
