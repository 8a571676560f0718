"""A device the vendor declares unsupported (a candidate's `unsupported` list) is recorded as a skipped item in the
"Device not supported" category, and nothing is started for it: no Appium server, no browser."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from harness.config import parse_config
from harness.report.allure_meta import CATEGORIES
from harness.report.known import classify_with_known

ROOT = Path(__file__).resolve().parents[1]


def test_candidate_supports_by_pattern() -> None:
    base = yaml.safe_load((ROOT / "devices.yaml").read_text())
    cand = next(c for c in base["candidates"] if c["sdk"] == "pixkit")
    config = parse_config({"devices": base["devices"][:1],
                           "candidates": [{**cand, "filters": {}, "unsupported": ["moto-*"]}]},
                          source=ROOT / "devices.yaml")
    (candidate,) = config.candidates
    assert not candidate.supports("moto-e13")
    assert candidate.supports("pixel7")


def test_unsupported_device_is_skipped_without_starting_anything(tmp_path: Path) -> None:
    base = yaml.safe_load((ROOT / "devices.yaml").read_text())
    device = next(d for d in base["devices"] if d["id"] == "pixel7")
    cand = next(c for c in base["candidates"] if c["sdk"] == "pixkit" and str(c["version"]) == "1.5")
    cand = {**cand, "filters": {}, "unsupported": ["pixel*"]}
    devices = tmp_path / "devices.yaml"
    devices.write_text(yaml.safe_dump({"devices": [device], "candidates": [cand]}, sort_keys=False))
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--devices", str(devices), "--scenario", "startup",
         "--run-dir", str(run_dir), "--no-report", "--known-issues", "", "--store", str(tmp_path / "s.db")],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (record,) = json.loads((run_dir / "results.json").read_text())
    assert record["status"] == "skipped"
    assert record["error"]["message"].startswith("[unsupported] pixkit@1.5 is not supported on pixel7")
    assert not (run_dir / "logs" / "appium.log").exists()
    results = [json.loads(p.read_text()) for p in (run_dir / "allure-results").glob("*-result.json")]
    skipped = [r for r in results if r["status"] == "skipped"]
    assert len(skipped) == 1
    message = skipped[0]["statusDetails"]["message"]
    assert classify_with_known("skipped", message, CATEGORIES) == "Device not supported"


def test_repeat_makes_separate_items_and_results(tmp_path: Path) -> None:
    """--repeat 3 gives each cell three items (#2, #3 after the first), each its own record and Allure result
    (a `repeat` parameter keeps them apart from retries). An unsupported device keeps the run browser-free."""
    base = yaml.safe_load((ROOT / "devices.yaml").read_text())
    device = next(d for d in base["devices"] if d["id"] == "pixel7")
    cand = next(c for c in base["candidates"] if c["sdk"] == "pixkit" and str(c["version"]) == "1.5")
    devices = tmp_path / "devices.yaml"
    devices.write_text(yaml.safe_dump({"devices": [device], "candidates": [{**cand, "filters": {},
                                                                            "unsupported": ["pixel7"]}]}))
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--devices", str(devices), "--scenario", "startup",
         "--repeat", "3", "--run-dir", str(run_dir), "--no-report", "--known-issues", "",
         "--store", str(tmp_path / "s.db")],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = [r["name"] for r in json.loads((run_dir / "results.json").read_text())]
    assert names == ["startup[pixel7-pixkit@1.5]", "startup[pixel7-pixkit@1.5]#2", "startup[pixel7-pixkit@1.5]#3"]
    results = [json.loads(p.read_text()) for p in (run_dir / "allure-results").glob("*-result.json")]
    results = [r for r in results if r["name"].startswith("startup[")]  # not the run overview
    repeats = sorted(next((p["value"] for p in r["parameters"] if p["name"] == "repeat"), "1") for r in results)
    assert repeats == ["1", "2", "3"]
    assert len({r["historyId"] for r in results}) == 3
    bad = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--devices", str(devices), "--repeat", "0"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2
    assert "--repeat: 0 is not allowed; allowed: an integer from 1 to 100" in bad.stderr
