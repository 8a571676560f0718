"""End to end, devices in parallel on a real Selenium Grid 4: `harness grid up` starts the hub, two real Appium 3
servers and a relay node in front of each (two web devices, `connection: grid`), and `harness run --parallel 2`
drives a small matrix (1 scenario x 2 candidates x 2 devices) through it with one worker per device, into ONE run
folder with ONE report. `harness grid down` must leave no process. Nothing here is mocked; the "devices" are
headless Chromium sessions with phone profiles, as everywhere on this machine."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from tests.e2e.test_grid import DEVICES

pytestmark = pytest.mark.e2e
CANDIDATES = ("glfx@1.0", "pixkit@1.5")


@pytest.fixture
def parallel_run(grid_run: dict[str, object]) -> dict[str, object]:
    """The grid run of tests/e2e/conftest.py: `--parallel 2`, one worker per device."""
    return grid_run


def _records(run: dict[str, object]) -> list[dict[str, object]]:
    run_dir = run["run_dir"]
    assert isinstance(run_dir, Path)
    return json.loads((run_dir / "results.json").read_text())  # type: ignore[no-any-return]


def test_one_run_id_every_item_recorded_once(parallel_run: dict[str, object]) -> None:
    proc = parallel_run["run"]
    records = _records(parallel_run)
    assert len({r["run_id"] for r in records}) == 1, proc
    cells = [(r["device"], r["candidate"]) for r in records]
    assert sorted(cells) == sorted((d, c) for d in DEVICES for c in CANDIDATES), proc
    run_dir = parallel_run["run_dir"]
    assert isinstance(run_dir, Path)
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["item_id"] for line in lines] == [r["item_id"] for r in records]
    assert "broken" not in {r["status"] for r in records}, [r.get("error") for r in records]
    for r in records:  # measured in each worker
        assert r["metrics"]["content_fps"] > 5, r["metrics"]
    latencies = {r["device"]: r["metrics"]["filter_latency_ms"] for r in records if "filter_latency_ms" in r["metrics"]}
    assert set(latencies) == set(DEVICES), records  # the filter's onset found on both devices' output
    assert all(0 < v < 3000 for v in latencies.values()), latencies


def test_one_report_and_one_allure_result_per_item(parallel_run: dict[str, object]) -> None:
    proc, reports = parallel_run["run"], parallel_run["reports"]
    assert isinstance(reports, Path)
    assert [p.name for p in reports.iterdir() if p.is_dir()] == ["run1"]
    run_dir = reports / "run1"
    assert (run_dir / "allure-report" / "index.html").is_file()
    assert str(proc.stdout).count("report:  ") == 1, proc.stdout  # type: ignore[attr-defined]
    results = [json.loads(p.read_text()) for p in (run_dir / "allure-results").glob("*-result.json")]
    assert len(list((run_dir / "allure-results").glob("*-globals.json"))) == 1  # the overview, written once
    assert len(results) == len(DEVICES) * len(CANDIDATES)  # one result per cell, none for the overview
    for result in results:  # each item's labels and steps stayed with that item, not the other worker's
        labels = {lab["name"]: lab["value"] for lab in result["labels"]}
        assert f"[{labels['device']}-" in result["name"], result["name"]
        assert result["steps"], result["name"]


def test_both_devices_ran_at_the_same_time(parallel_run: dict[str, object]) -> None:
    spans: dict[str, tuple[float, float]] = {}
    for r in _records(parallel_run):
        start = datetime.fromisoformat(str(r["started_at"])).timestamp()
        end = start + float(r["duration_s"])  # type: ignore[arg-type]
        low, high = spans.get(str(r["device"]), (start, end))
        spans[str(r["device"])] = (min(low, start), max(high, end))
    (a_start, a_end), (b_start, b_end) = spans.values()
    overlap_s = min(a_end, b_end) - max(a_start, b_start)
    assert overlap_s > 0.5 * min(a_end - a_start, b_end - b_start), spans


def test_grid_down_leaves_no_process(parallel_run: dict[str, object]) -> None:
    down = parallel_run["down"]
    assert down.returncode == 0, down.stderr  # type: ignore[attr-defined]
    assert parallel_run["left"] == []
