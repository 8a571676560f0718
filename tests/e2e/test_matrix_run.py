"""End to end: `harness run` on a small matrix through the real Appium 3 server and real headless Chromium, then
assertions on the results.json and the Allure report it wrote. Nothing here is mocked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.report.generate import embedded_report_files

ROOT = Path(__file__).resolve().parents[2]
HARNESS = [sys.executable, "-m", "harness.cli"]

pytestmark = pytest.mark.e2e


def _require_stack() -> None:
    missing = [
        p
        for p in (
            Path("/usr/bin/chromium"),
            Path("/usr/bin/chromedriver"),
            ROOT / ".tools/node_modules/.bin/appium",
            ROOT / ".tools/node_modules/.bin/allure",
        )
        if not p.exists()
    ]
    if missing:
        pytest.fail(f"the real stack is not installed ({', '.join(map(str, missing))}); run `make setup`")


@pytest.fixture(scope="module")
def matrix_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    _require_stack()
    run_dir = tmp_path_factory.mktemp("reports") / "run1"
    cmd = [
        *HARNESS,
        "run",
        "--devices",
        str(ROOT / "devices.yaml"),
        "--scenarios",
        str(ROOT / "scenarios"),
        "--device",
        "pixel7",
        "--device",
        "moto-e13",
        "--candidate",
        "glfx@2.0",
        "--candidate",
        "pixkit@1.5",
        "--scenario",
        "startup",
        "--scenario",
        "filter-warm",
        "--run-dir",
        str(run_dir),
        "-v",
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    (run_dir.parent / "stdout.txt").write_text(proc.stdout + "\n---stderr---\n" + proc.stderr)
    return proc, run_dir


def _records(run_dir: Path) -> list[dict]:
    return json.loads((run_dir / "results.json").read_text())


def test_run_exit_code_and_summary(matrix_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, run_dir = matrix_run
    statuses = {r["status"] for r in _records(run_dir)}
    # 0 when every item passed, 1 when an item failed; never broken: the infrastructure worked.
    assert proc.returncode == (1 if "failed" in statuses else 0), proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "broken" not in statuses
    assert "SDK matrix" in proc.stdout
    assert str(run_dir / "allure-report" / "index.html") in proc.stdout


def test_results_json_has_every_cell_with_measurements(
    matrix_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, run_dir = matrix_run
    records = _records(run_dir)
    cells = {(r["scenario"], r["device"], r["candidate"]) for r in records}
    assert cells == {
        (s, d, c)
        for s in ("startup", "filter-warm")
        for d in ("pixel7", "moto-e13")
        for c in ("glfx@2.0", "pixkit@1.5")
    }
    for r in records:
        assert set(r) >= {"device", "platform", "vendor", "sdk", "version", "scenario", "status", "metrics"}
        # What may fail: an expectation; on the 4x throttled low-end profile, frame drops (it cannot keep up with a
        # 30 fps camera once a filter runs: a real finding); and the one look defect the reference apps ship (next
        # test). Nothing else: the apps work on every profile.
        defects = {d["defect"] for d in r["defects"]}
        if r["status"] != "passed" and (r["scenario"], r["candidate"]) != ("filter-warm", "glfx@2.0"):
            low_end_drops = r["device"] == "moto-e13" and defects <= {"frame_drops", "freeze"}
            assert r["error"]["kind"] == "expectation" or low_end_drops, r
        m = r["metrics"]
        # Start-up is a real duration: the camera, the app's engine and the first processed frame take time.
        assert 50 < m["startup_ms"] < 15000, r
        assert m["content_fps"] > 5, r


def test_camera_rate_on_flagship_profile(matrix_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, run_dir = matrix_run
    for r in _records(run_dir):
        if r["device"] == "pixel7" and r["scenario"] == "filter-warm":
            # The fake camera delivers 30 fps; an unthrottled profile keeps up with it, or nearly.
            assert 20 <= r["metrics"]["content_fps"] <= 31, r["metrics"]


def test_low_end_profile_measurably_differs(
    matrix_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, run_dir = matrix_run
    by = {(r["scenario"], r["device"], r["candidate"]): r["metrics"] for r in _records(run_dir)}
    for cand in ("glfx@2.0", "pixkit@1.5"):
        flagship = by[("filter-warm", "pixel7", cand)]
        low = by[("filter-warm", "moto-e13", cand)]
        # 4x CPU throttling must show from outside the app: slower start-up and more time per processed frame.
        # One launch a side, so start-up is only required to be slower: across the default-matrix runs in
        # benchmarks/README.md the low-end/flagship start-up ratio was 1.21-2.44 (the camera and the GPU process
        # are not throttled) and the per-frame cost ratio 1.52-4.21.
        assert low["startup_ms"] > flagship["startup_ms"], (cand, flagship, low)
        assert low["app_cost_ms"] > 1.2 * flagship["app_cost_ms"], (cand, flagship, low)
        # Fewer camera frames are shown only when the throttled per-frame cost no longer fits in the camera's frame
        # interval (33.3 ms at 30 fps): with 46 ms a frame the content rate was 12-17 fps lower; with 20.5 ms a frame
        # (a faster host) the throttled profile kept up at 27.5 fps against 30.0. Either way it never shows more
        # frames than the unthrottled profile (1.5 fps of measurement spread allowed).
        interval_ms = 1000.0 / 30
        if low["app_cost_ms"] > 1.2 * interval_ms:
            assert low["content_fps"] < flagship["content_fps"] - 3, (cand, flagship, low)
        assert low["content_fps"] <= flagship["content_fps"] + 1.5, (cand, flagship, low)


def test_glfx_2_0_warm_look_differs_from_its_lut(matrix_run: tuple[subprocess.CompletedProcess[str], Path]
                                                 ) -> None:
    # glfx 2.0 applies its warm look at 70 % strength (apps/README.md): against warm.cube that is a colour cast,
    # found on every device, while pixkit's warm matches its LUT exactly.
    _, run_dir = matrix_run
    for r in _records(run_dir):
        if r["scenario"] != "filter-warm":
            continue
        defects = [d["defect"] for d in r["defects"]]
        if r["candidate"] == "glfx@2.0":
            assert r["status"] == "failed", r
            assert "colour_cast" in defects, r["defects"]
        else:
            assert "colour_cast" not in defects, r["defects"]


def test_filter_is_really_applied(matrix_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, run_dir = matrix_run
    for r in _records(run_dir):
        if r["scenario"] == "filter-warm":
            m = r["metrics"]
            assert m["filter_applied_delta_e"] > 2.0, m  # the output differs from the untouched camera frame
            assert m["filter_delta_e"] < 3.0, m  # and matches the filter's own LUT applied to that frame


def test_allure_report_and_metadata(matrix_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, run_dir = matrix_run
    index = run_dir / "allure-report" / "index.html"
    assert index.is_file()
    assert index.stat().st_size > 100_000
    results = run_dir / "allure-results"
    assert (results / "environment.properties").is_file()
    assert (results / "executor.json").is_file()
    found = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    assert len(found) == 8  # one per cell: the overview is no test result
    (overview,) = [json.loads(p.read_text()) for p in results.glob("*-globals.json")]
    assert {"adaptation heatmap (PNG)", "adaptation matrix (HTML)"} <= {a["name"] for a in overview["attachments"]}
    assert (run_dir / "adaptation.png").is_file()
    assert (run_dir / "overview.html").is_file()
    # The generated report (real Allure 3, single file): its total is the 8 cells, the overview on its home page.
    report = embedded_report_files(index)
    assert report["widgets/statistic.json"]["total"] == 8
    assert len([k for k in report if k.startswith("data/test-results/")]) == 8
    home = report["widgets/globals.json"]["attachments"]
    assert [a["name"] for a in home][:2] == ["run overview (HTML)", "adaptation heatmap (PNG)"]
    assert not any(a["missed"] for a in home)
    assert {"adaptation heatmap (PNG)", "adaptation matrix (HTML)"} <= {a["name"] for a in home}
    # glfx 2.0's weaker warm look is listed in the shipped known-issues.yaml: its failure is marked as known.
    cast = next(r for r in found if r["name"] == "filter-warm[pixel7-glfx@2.0]")
    assert cast["statusDetails"]["known"] is True
    assert [link["name"] for link in cast["links"] if link["type"] == "issue"] == ["LUMEN-142"]
    # The captured video is a file beside the report, linked from the item (not inlined).
    assert any(link["type"] == "link" and link["name"].startswith("captured output") for link in cast["links"])
    assert cast["statusDetails"]["message"].startswith("[known issue LUMEN-142] ")
    for res in found:
        params = {p["name"]: p["value"] for p in res["parameters"]}
        assert set(params) >= {"device", "platform", "sdk", "version"}
    assert (run_dir.parent / "history.jsonl").read_text().count("\n") >= 1


def test_bad_devices_file_stops_before_any_browser(tmp_path: Path) -> None:
    _require_stack()
    bad = tmp_path / "devices.yaml"
    text = (ROOT / "devices.yaml").read_text().replace("platform: web", "platform: webos", 1)
    bad.write_text(text)
    run_dir = tmp_path / "run"
    before = _browser_pids()
    proc = subprocess.run(
        [*HARNESS, "run", "--devices", str(bad), "--run-dir", str(run_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert str(bad) in lines[0]
    assert "devices[0].platform" in lines[0]
    assert "webos" in lines[0]
    assert not run_dir.exists()
    assert _browser_pids() <= before


def _browser_pids() -> set[int]:
    if not shutil.which("pgrep"):
        return set()
    out = subprocess.run(
        ["pgrep", "-f", "chromium|chromedriver|appium"], capture_output=True, text=True, check=False
    )
    return {int(p) for p in out.stdout.split()} - {os.getpid()}


def test_host_capacity_measured_per_web_device(matrix_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    """The pass-through page ran once per web profile through the real Appium server and Chromium, and every cell
    whose frame rate the machine explains carries that evidence (docs/metrics.md, "Host capacity")."""
    proc, run_dir = matrix_run
    capacities = {c["device"]: c for c in json.loads((run_dir / "host_capacity.json").read_text())}
    assert set(capacities) == {"pixel7", "moto-e13"}
    for capacity in capacities.values():
        assert capacity["error"] is None, capacity
        assert 5 < capacity["content_fps"] <= 31, capacity  # the camera's 30 fps, or what the host delivers
        assert capacity["frame_time_p50_ms"] > 0
        assert capacity["cores"] >= 1
    for r in _records(run_dir):
        if r.get("environment"):
            assert r["environment"]["capacity"]["device"] == r["device"], r
            assert "[environment]" in r["environment"]["message"]
            set_aside = {d["defect"] for d in r["environment"]["defects"]}
            assert set_aside, r["environment"]
            assert not set_aside & {d["defect"] for d in r["defects"]}, r  # never also counted as the SDK's
            if r["status"] == "passed":
                assert f"ENV    {r['name']}" in proc.stdout
            else:  # an SDK finding of its own (e.g. a colour cast) still fails the cell
                assert r["status"] == "failed", r
                assert r["defects"], r
