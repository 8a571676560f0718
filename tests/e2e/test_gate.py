"""End to end, the nightly gate through the real stack (Appium 3, Chromium, SQLite store, Allure): a baseline run
of pixkit 1.5 is accepted; `harness nightly` on a "1.6" built with the slow-start fault switch (apps/README.md,
+1500 ms before the first frame, off by default) must exit 1 and its ticket bundle must name the regression with
numbers; a clean rerun of 1.5 must exit 0, with no false regression from run-to-run noise."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.report.generate import embedded_report_files
from tests.e2e.test_matrix_run import _require_stack

ROOT = Path(__file__).resolve().parents[2]
HARNESS = [sys.executable, "-m", "harness.cli"]
SLOW_START_MS = 1500

pytestmark = pytest.mark.e2e

# Start-up thresholds for this machine, from its measured noise (benchmarks/README.md#nightly-gate): between clean
# runs of the same build, start-up medians shifted by up to 27 % with p = 0.0079 (five launches a side move
# together with the machine's state), so the default +10 % cries wolf here. +50 % keeps a 2x margin over that and
# stays far below the planted +1500 ms (about +300 %). Every other metric keeps its default threshold.
GATE_FILE = "compare:\n  thresholds:\n    startup_ms: +50%\n    app_first_frame_ms: +50%\n"

SCENARIO = {
    "name": "gate",
    "description": "Five cold starts, then the warm filter on a short capture",
    "kind": "filter",
    "steps": [{"launch": {"mode": "cold", "iterations": 5}}, {"select_filter": "warm"}, {"wait": 0.5},
              {"capture": 2}],
}


def _write_inputs(tmp: Path) -> tuple[Path, Path]:
    base = yaml.safe_load((ROOT / "devices.yaml").read_text())
    device = next(d for d in base["devices"] if d["id"] == "pixel7")
    clean = next(c for c in base["candidates"] if c["sdk"] == "pixkit" and str(c["version"]) == "1.5")
    clean = {**clean, "filters": {"warm": {"lut": str(ROOT / clean["filters"]["warm"]["lut"])}}}
    regressed = {**clean, "version": "1.6",
                 "app": {"web": {"url": f"pixkit/1.5/index.html?fault=slow_start&slow_start_ms={SLOW_START_MS}"}}}
    devices = tmp / "devices.yaml"
    devices.write_text(yaml.safe_dump({"devices": [device], "candidates": [clean, regressed]}, sort_keys=False))
    scenarios = tmp / "scenarios"
    scenarios.mkdir()
    (scenarios / "gate.yaml").write_text(yaml.safe_dump(SCENARIO, sort_keys=False))
    return devices, scenarios


def _harness(*args: str | Path, tmp: Path, name: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*HARNESS, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=900,
                          check=False)
    (tmp / f"{name}.log").write_text(f"exit {proc.returncode}\n{proc.stdout}\n---stderr---\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def gate_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    _require_stack()
    tmp = tmp_path_factory.mktemp("gate")
    devices, scenarios = _write_inputs(tmp)
    store = tmp / "reports" / "results.db"
    common = ["--devices", devices, "--scenarios", scenarios, "--store", store, "--known-issues", ""]
    gate_file = tmp / "gate.yaml"
    gate_file.write_text(GATE_FILE)
    out: dict[str, Any] = {"tmp": tmp, "store": store}

    base = _harness("run", *common, "--candidate", "pixkit@1.5", "--run-dir", tmp / "reports/base",
                    "--no-report", tmp=tmp, name="base")
    assert base.returncode == 0, base.stdout[-3000:] + base.stderr[-3000:]
    accept = _harness("baseline", "accept", tmp / "reports/base", "--sdk", "pixkit", "--by", "e2e",
                      "--store", store, tmp=tmp, name="accept")
    assert accept.returncode == 0, accept.stdout + accept.stderr
    out["regressed"] = _harness("nightly", *common, "--gate", gate_file, "--candidate", "pixkit@1.6", "--run-dir",
                                tmp / "reports/regressed", tmp=tmp, name="regressed")
    out["clean"] = _harness("nightly", *common, "--gate", gate_file, "--candidate", "pixkit@1.5", "--run-dir",
                            tmp / "reports/clean",
                            "--no-report", tmp=tmp, name="clean")
    return out


def _gate(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "gate.json").read_text())


def test_regressed_version_fails_the_gate_with_numbers(gate_runs: dict[str, Any]) -> None:
    proc = gate_runs["regressed"]
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    gate = _gate(gate_runs["tmp"] / "reports/regressed")
    assert gate["verdict"] == "regression"
    startup = [r for r in gate["regressions"] if r["metric"] == "startup_ms"]
    assert startup, gate["regressions"]
    assert startup[0]["candidate"] == "pixkit@1.6"
    assert startup[0]["base_candidate"] == "pixkit@1.5"
    cell = gate["comparisons"][0]["report"]["cells"][0]
    comparison = next(c for c in cell["comparisons"] if c["metric"] == "startup_ms")
    # The fault adds SLOW_START_MS before the first frame: the shift of the medians must show most of it, and five
    # cold starts a side give the exact Mann-Whitney test (smallest p 2/252 = 0.0079).
    assert comparison["delta"] > 0.8 * SLOW_START_MS, comparison
    assert comparison["threshold"] == "+50%"  # from the gate file
    assert comparison["basis"] == "mann_whitney"
    assert comparison["p_value"] < 0.05
    assert "REGRESSION" in proc.stdout


def test_gate_writes_junit_for_ci(gate_runs: dict[str, Any]) -> None:
    root = ET.parse(gate_runs["tmp"] / "reports/regressed/junit.xml").getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert int(suite.get("failures", "0")) >= 1
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert "startup_ms" in (failure.text or "")


def test_ticket_bundle_names_the_regression(gate_runs: dict[str, Any]) -> None:
    tmp: Path = gate_runs["tmp"]
    out = tmp / "ticket.zip"
    proc = _harness("ticket", tmp / "reports/regressed", "gate[pixel7-pixkit@1.6]", "--out", out,
                    "--known-issues", "", tmp=tmp, name="ticket")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(out) as bundle:
        names = bundle.namelist()
        summary = bundle.read("README.md").decode()
        everything = b"".join(bundle.read(n) for n in names)
    assert "pixkit" in summary
    assert "1.6" in summary
    assert "startup_ms" in summary
    assert "regression" in summary.lower()
    assert "launch: {mode: cold, iterations: 5}" in summary  # the run's own copy of the scenario
    assert any(n.endswith(".webm") for n in names), names
    assert str(Path.home()).encode() not in everything
    assert str(tmp).encode() not in everything


def test_clean_rerun_passes_the_gate(gate_runs: dict[str, Any]) -> None:
    proc = gate_runs["clean"]
    gate = _gate(gate_runs["tmp"] / "reports/clean")
    assert proc.returncode == 0, json.dumps(gate["regressions"], indent=1) + proc.stdout[-2000:]
    assert gate["verdict"] == "pass"
    assert gate["regressions"] == []
    cells = gate["comparisons"][0]["report"]["cells"]
    assert [c["device"] for c in cells] == ["pixel7"]


def test_nightly_report_shows_the_gate(gate_runs: dict[str, Any]) -> None:
    run_dir: Path = gate_runs["tmp"] / "reports/regressed"
    assert (run_dir / "gate.html").is_file()
    assert (run_dir / "adaptation.png").is_file()
    files = embedded_report_files(run_dir / "allure-report" / "index.html")
    tests = {v["name"]: v for k, v in files.items() if k.startswith("data/test-results/")}
    assert "Run overview" not in tests  # the overview is on the report's home page, not a test
    shown = {a["name"] for a in files["widgets/globals.json"]["attachments"]}
    assert any(name.startswith("baseline deltas") for name in shown), shown
    assert "gate (HTML)" in shown
    item = tests["gate[pixel7-pixkit@1.6]"]
    assert any(s["link"]["name"].startswith("frame time") for s in item["steps"] if s["type"] == "attachment")
