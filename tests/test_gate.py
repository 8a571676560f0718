"""Tests for the nightly gate (harness.gate) and the `baseline` / `nightly` commands on a real SQLite store: baselines
resolved or refused before any device is touched, verdicts and exit codes on seeded runs with known answers, the
JUnit XML a CI server reads."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_store import CANDIDATES, DEVICES, details, record, write_run

from harness.cli import main
from harness.compare import default_config
from harness.errors import ConfigError
from harness.gate import (
    EXIT_INFRA,
    EXIT_PASS,
    EXIT_REGRESSION,
    BaselineRef,
    evaluate_gate,
    format_gate,
    junit_xml,
    resolve_baselines,
    write_gate_files,
)
from harness.hostcap import HostCapacity
from harness.store import Store, open_store

ROOT = Path(__file__).resolve().parents[1]
BASE, CLEAN, SLOW, BROKEN = "20260101-100000", "20260102-100000", "20260103-100000", "20260104-100000"
# Five cold starts a side: the exact Mann-Whitney test can reach p = 2/252 = 0.0079 < 0.05.
BASE_LAUNCHES = [452.0, 447.0, 460.0, 441.0, 455.0]


def _run(root: Path, run_id: str, version: str, launches: list[float], *, fps: float = 30.0,
         status: str = "passed") -> Path:
    median = sorted(launches)[len(launches) // 2] if launches else 0.0
    metrics = {"startup_ms": median, "content_fps": fps} if status != "broken" else {}
    error = {"kind": "infrastructure", "message": "InfrastructureError: Appium server gone"} \
        if status == "broken" else None
    return write_run(root, run_id, [
        (record(run_id, "pixel7", version, "startup", status=status, metrics=metrics, error=error),
         details(launches) if status != "broken" else None),
    ])


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same seeded runs in a SQLite file and in a database on a throwaway PostgreSQL server."""
    url = str(tmp_path / "results.db") if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))
    opened = open_store(url)
    for run_id, launches in ((BASE, BASE_LAUNCHES), (CLEAN, [449.0, 458.0, 444.0, 451.0, 462.0]),
                             (SLOW, [v + 300 for v in BASE_LAUNCHES])):
        version = "2.0" if run_id == SLOW else "1.0"
        opened.ingest_run(_run(tmp_path / "runs", run_id, version, launches), devices=DEVICES,
                          candidates=CANDIDATES, metadata={})
    opened.ingest_run(_run(tmp_path / "runs", BROKEN, "2.0", [], status="broken"), devices=DEVICES,
                      candidates=CANDIDATES, metadata={})
    yield opened
    opened.close()


def _baselines(store: Store) -> dict[tuple[str, str], BaselineRef]:
    store.accept_baseline(BASE, sdk="glfx", accepted_by="lead")
    return resolve_baselines(store, [("glfx", "startup")], explicit_run=None)


def test_missing_baseline_is_refused_with_what_to_do(store: Store) -> None:
    with pytest.raises(ConfigError, match=r"no accepted baseline for glfx/startup .*harness baseline accept"):
        resolve_baselines(store, [("glfx", "startup")], explicit_run=None)
    with pytest.raises(ConfigError, match=r"no run '19990101-000000' in the results store"):
        resolve_baselines(store, [("glfx", "startup")], explicit_run="19990101-000000")


def test_accepted_baseline_is_resolved_per_scenario(store: Store) -> None:
    refs = _baselines(store)
    assert refs[("glfx", "startup")].run_id == BASE
    assert refs[("glfx", "startup")].accepted_by == "lead"
    store.accept_baseline(CLEAN, sdk="glfx", scenario="startup")  # newer and narrower: wins for startup
    assert resolve_baselines(store, [("glfx", "startup")], explicit_run=None)[("glfx", "startup")].run_id == CLEAN


def test_planted_slowdown_is_a_regression_with_numbers(store: Store) -> None:
    gate = evaluate_gate(store, run_id=SLOW, baselines=_baselines(store), config=default_config())
    assert gate["verdict"] == "regression"
    assert gate["exit_code"] == EXIT_REGRESSION
    (reg,) = [r for r in gate["regressions"] if r["metric"] == "startup_ms"]
    assert reg["candidate"] == "glfx@2.0"
    assert reg["base_candidate"] == "glfx@1.0"
    # medians 452 -> 752: +300 ms, +66.4 %; all five new launches above all five old ones: exact p = 2/252
    assert "452 -> 752" in reg["message"]
    assert "+66.4 %" in reg["message"]
    comparison = next(c for c in gate["comparisons"][0]["report"]["cells"][0]["comparisons"]
                      if c["metric"] == "startup_ms")
    assert comparison["p_value"] == pytest.approx(2 / 252)
    assert len(gate["comparisons"]) == 1
    assert gate["comparisons"][0]["report"]["failed"]
    assert "REGRESSION glfx@2.0" in format_gate(gate)


def test_same_version_rerun_passes(store: Store) -> None:
    gate = evaluate_gate(store, run_id=CLEAN, baselines=_baselines(store), config=default_config())
    assert gate["verdict"] == "pass"
    assert gate["exit_code"] == EXIT_PASS
    assert gate["regressions"] == []


def test_broken_run_is_infrastructure_not_a_pass(store: Store) -> None:
    gate = evaluate_gate(store, run_id=BROKEN, baselines=_baselines(store), config=default_config())
    assert gate["verdict"] == "infrastructure"
    assert gate["exit_code"] == EXIT_INFRA
    assert any("broken" in w for w in gate["warnings"])
    interrupted = evaluate_gate(store, run_id=CLEAN, baselines=_baselines(store), config=default_config(),
                                   run_failed="pytest stopped with exit status 2 (INTERRUPTED)")
    assert interrupted["verdict"] == "infrastructure"


def test_junit_xml_has_a_failure_per_regressed_cell(store: Store, tmp_path: Path) -> None:
    gate = evaluate_gate(store, run_id=SLOW, baselines=_baselines(store), config=default_config())
    paths = write_gate_files(tmp_path / "out", gate, junit_path=tmp_path / "out" / "junit.xml")
    assert [p.name for p in paths] == ["gate.json", "gate.html", "junit.xml"]
    page = (tmp_path / "out" / "gate.html").read_text()
    assert "startup_ms 452 -&gt; 752" in page  # the regressions table, html-escaped
    assert "<svg" in page  # the deltas chart
    root = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "1", "0")
    case = suite.find("testcase")
    assert case is not None
    assert case.get("name") == "startup[pixel7-glfx@2.0]"
    failure = case.find("failure")
    assert failure is not None
    assert "startup_ms 452 -> 752" in (failure.text or "")
    assert json.loads((tmp_path / "out" / "gate.json").read_text())["verdict"] == "regression"
    passing = evaluate_gate(store, run_id=CLEAN, baselines=_baselines(store), config=default_config())
    suite_ok = ET.fromstring(junit_xml(passing)).find("testsuite")
    assert suite_ok is not None
    assert suite_ok.get("failures") == "0"


def test_baseline_command_accepts_and_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = str(tmp_path / "cli.db")
    with open_store(url) as store:
        store.ingest_run(_run(tmp_path / "runs", BASE, "1.0", BASE_LAUNCHES), devices=DEVICES,
                         candidates=CANDIDATES, metadata={})
    assert main(["baseline", "accept", BASE, "--sdk", "glfx", "--by", "lead", "--note", "signed off",
                 "--store", url]) == 0
    assert main(["baseline", "list", "--store", url]) == 0
    out = capsys.readouterr().out
    assert f"run {BASE} for sdk glfx" in out
    assert "signed off" in out
    assert main(["baseline", "accept", BASE, "--sdk", "nosuch", "--store", url]) == 2
    assert "has no items for sdk nosuch" in capsys.readouterr().err
    assert main(["baseline", "list", "--store", str(Path(url).parent / "missing.db")]) == 2


def test_nightly_without_baseline_stops_before_any_device(tmp_path: Path) -> None:
    """Exit 2 and a clear message, and no run folder: the Appium server and browser were never started."""
    run_dir = tmp_path / "reports" / "night"
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "nightly", "--devices", str(ROOT / "devices.yaml"),
         "--candidate", "pixkit@1.5", "--scenario", "startup", "--device", "pixel7", "--run-dir", str(run_dir),
         "--store", str(tmp_path / "empty.db"), "--no-report"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no accepted baseline for pixkit/startup" in proc.stdout + proc.stderr
    assert not (run_dir / "logs" / "appium.log").exists()


def test_nightly_refuses_a_bad_gate_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gate_file = tmp_path / "gate.yaml"
    gate_file.write_text("compare:\n  thresholds:\n    startup_ms: '10%'\n")
    code = main(["nightly", "--devices", str(ROOT / "devices.yaml"), "--candidate", "pixkit@1.5",
                 "--gate", str(gate_file), "--store", str(tmp_path / "s.db"), "--run-dir", str(tmp_path / "r")])
    assert code == 2
    assert not (tmp_path / "r" / "logs" / "appium.log").exists()


def test_compare_command_fails_only_on_confirmed_regressions(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`harness compare` judges as the gate does: +300 ms over five launches a side is a regression (exit 1); a
    content_fps drop whose frames did not change (the same timeline both sides) is not significant (exit 0)."""
    base = _run(tmp_path / "runs", BASE, "1.0", BASE_LAUNCHES)
    slow = _run(tmp_path / "runs", SLOW, "2.0", [v + 300 for v in BASE_LAUNCHES])
    assert main(["compare", str(base), str(slow), "--out", str(tmp_path / "c.html")]) == 1
    assert re.search(r"startup_ms\s+452\s+752\s+\+300 .* regression", capsys.readouterr().out)
    assert (tmp_path / "c.html").is_file()
    lower_fps = _run(tmp_path / "runs", CLEAN, "2.0", BASE_LAUNCHES, fps=20.0)
    assert main(["compare", str(base), str(lower_fps), "--out", str(tmp_path / "d.html")]) == 0
    assert re.search(r"content_fps\s+30\s+20\s+-10 .* noise", capsys.readouterr().out)


def test_a_baseline_on_another_reference_clip_is_named_in_the_warnings(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "results.db")) as store:
        for run_id, clip in ((BASE, 2), (CLEAN, 3)):
            store.ingest_run(_run(tmp_path / "runs", run_id, "1.0", BASE_LAUNCHES), devices=DEVICES,
                             candidates=CANDIDATES, metadata={"clip_version": clip})
        gate = evaluate_gate(store, run_id=CLEAN, baselines=_baselines(store), config=default_config())
        assert any("reference clip version 2" in w and "version 3" in w for w in gate["warnings"]), gate["warnings"]
        store.ingest_run(_run(tmp_path / "runs", CLEAN, "1.0", BASE_LAUNCHES), devices=DEVICES,
                         candidates=CANDIDATES, metadata={"clip_version": 2})
        again = evaluate_gate(store, run_id=CLEAN, baselines=_baselines(store), config=default_config())
        assert not any("reference clip" in w for w in again["warnings"]), again["warnings"]


def _fps_run(root: Path, run_id: str, version: str, fps: float, *, capacity_fps: float | None) -> Path:
    """One pixel7 filter-warm item drawing 90 frames at `fps` (its timeline in details.json, as the runner writes
    it) and, when given, the run's measured pass-through rate on pixel7 (host_capacity.json)."""
    t_ms = [i * 1000.0 / fps + (i % 5) * 0.4 for i in range(90)]
    det = {"metrics": {}, "details": {"timeline": {"t_ms": t_ms, "source_index": list(range(1, 91))}}}
    run_dir = write_run(root, run_id, [
        (record(run_id, "pixel7", version, "filter-warm", metrics={"content_fps": fps}), det),
    ])
    if capacity_fps is not None:
        capacity = HostCapacity(device="pixel7", cpu_throttling=1.0, source_fps=30.0, content_fps=capacity_fps,
                                frame_time_p50_ms=1000 / capacity_fps, frame_time_p90_ms=1000 / capacity_fps + 5,
                                dropped_frames=0.0, load1_before=3.1, load1_after=3.4, cores=2,
                                measured_at_epoch_s=0.0, duration_s=3.0)
        (run_dir / "host_capacity.json").write_text(json.dumps([capacity.to_dict()]), encoding="utf-8")
    return run_dir


@pytest.mark.parametrize("limited", [False, True])
def test_a_frame_rate_drop_the_machine_caused_does_not_fail_the_gate(store: Store, tmp_path: Path,
                                                                    limited: bool) -> None:
    # 30 -> 20 fps over 90 frames a side is a confirmed regression of content_fps (threshold -2). On a night whose
    # pass-through on pixel7 only reached 20 fps with the load average above the cores, it is the machine's: the
    # gate passes and lists it under `environment` with the evidence kept in the store.
    base, new = "20260201-100000", "20260202-100000"
    for run_id, version, fps, capacity in ((base, "1.0", 30.0, None), (new, "2.0", 20.0, 20.0 if limited else None)):
        store.ingest_run(_fps_run(tmp_path / "fps", run_id, version, fps, capacity_fps=capacity), devices=DEVICES,
                         candidates=CANDIDATES, metadata={})
    store.accept_baseline(base, sdk="glfx")
    refs = resolve_baselines(store, [("glfx", "filter-warm")], explicit_run=None)
    gate = evaluate_gate(store, run_id=new, baselines=refs, config=default_config())
    fps = [r for r in gate["regressions"] + gate["environment"] if r["metric"] == "content_fps"]
    assert len(fps) == 1, gate
    assert "30 -> 20" in fps[0]["message"]
    if limited:
        assert gate["verdict"] == "pass", gate
        assert gate["exit_code"] == EXIT_PASS
        assert fps[0] in gate["environment"]
        assert "host limited, not an SDK regression: the pass-through itself reached only 20.0 fps" in \
            fps[0]["message"]
        assert "environment (the machine limited the frame rate, not an SDK regression) glfx@2.0" in format_gate(gate)
        suite = ET.fromstring(junit_xml(gate)).find("testsuite")
        assert suite is not None
        assert suite.get("failures") == "0"
        assert suite.findall(".//failure") == []
    else:
        assert gate["verdict"] == "regression", gate
        assert gate["exit_code"] == EXIT_REGRESSION
        assert fps[0] in gate["regressions"]
        assert gate["environment"] == []


def test_compare_reads_stored_runs_after_their_folders_are_gone(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`harness compare --store`: the same verdicts from the store as from the folders, after the folders are
    removed (as `harness prune` does); a frame-rate drop on a host-limited night is `environment` (exit 0), since
    the store keeps the host limit."""
    url = str(tmp_path / "results.db")
    runs = tmp_path / "runs"
    folders = [_run(runs, BASE, "1.0", BASE_LAUNCHES), _run(runs, SLOW, "2.0", [v + 300 for v in BASE_LAUNCHES])]
    fps_base, fps_new = "20260201-100000", "20260202-100000"
    folders += [_fps_run(runs, fps_base, "1.0", 30.0, capacity_fps=None),
                _fps_run(runs, fps_new, "2.0", 20.0, capacity_fps=20.0)]
    assert main(["compare", str(folders[0]), str(folders[1]), "--out", str(tmp_path / "a.html")]) == 1
    from_folders = capsys.readouterr().out
    with open_store(url) as store:
        for folder in folders:
            store.ingest_run(folder, devices=DEVICES, candidates=CANDIDATES, metadata={})
    for folder in folders:
        shutil.rmtree(folder)
    assert main(["compare", BASE, SLOW, "--store", url, "--out", str(tmp_path / "b.html")]) == 1
    from_store = capsys.readouterr().out
    line = next(x for x in from_store.splitlines() if "startup_ms" in x and "regression" in x)
    assert re.search(r"startup_ms\s+452\s+752\s+\+300 .* regression", line)
    assert line in from_folders.splitlines()  # the same figures and verdict as from the folders
    assert (tmp_path / "b.html").is_file()
    assert main(["compare", fps_base, fps_new, "--store", url, "--out", str(tmp_path / "c.html")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"content_fps\s+30\s+20\s+-10 .* environment", out), out
    assert "HOST LIMITED pixel7 filter-warm" in out
    assert main(["compare", BASE, "19990101-000000", "--store", url]) == 2
    assert "no run '19990101-000000' in the results store" in capsys.readouterr().err
