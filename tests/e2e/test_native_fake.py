"""End to end on the native path: every shipped scenario through `harness run`, the same runner as web, on an
`android` and an `ios` device, both driven by a REAL Appium 3 server through Appium's own fake driver
(@appium/fake-driver 6.2.4; no phone or emulator can run here). The device keys, capabilities, session ports,
controls (accessibility ids in tests/fixtures/fakecam_app.xml), results.json records and the Allure report are real.

What the fake driver does not have, and how this test stands in for it (said here, checked below):
- no camera and no screen recording: both devices use the frame source `capture: {source: replay}` (docs/config.md,
  for testing the harness without a phone) with a phone's screen recording of the reference clip made by
  harness.capture.phonescreen: the clip letterboxed in a 720x1600 screen at 60 Hz, under a status bar and over a
  camera-controls panel drawn like a camera app's (the controls cover the clip's footer). The fake app applies no
  effect, so the filter, beauty and effect scenarios must FAIL with `effect_not_applied`: the key-frame checks
  run on frames of that phone video.
- no app management (activateApp / terminateApp / queryAppState): a cold launch is a new session (Appium starts
  the app), warm and hot launches cannot be made, so the start-up item is broken by the infrastructure after its
  cold launches; crash detection is noted as not observed.
- no `mobile: shell` (the android device names no udid, so the adb transport is Appium's `mobile: shell`, which
  the fake driver refuses) and no pullFile: no adb clocks, and the app's own recording cannot be fetched
  (record-3s is broken with that reason).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from harness.capture.phonescreen import phone_recording
from harness.clipspec import ClipSpec

ROOT = Path(__file__).resolve().parents[2]
APP_XML = ROOT / "tests" / "fixtures" / "fakecam_app.xml"
SCREEN = (720, 1600)

pytestmark = pytest.mark.e2e


def phone_replay(out: Path) -> Path:
    """The reference clip as a phone's screen recording shows it: letterboxed in the screen at 60 Hz, under the
    status bar and over the camera controls."""
    return phone_recording(ClipSpec(), out, screen=SCREEN, fit="letterbox", refresh_hz=60)


def devices_yaml(folder: Path, replay: Path) -> Path:
    fake = {"platformName": "Fake", "appium:automationName": "Fake", "appium:app": str(APP_XML)}
    device = {"connection": "local", "refresh_hz": 60, "tags": {"tier": "mid"},
              "capture": {"source": "replay", "file": replay.name}}
    data = {
        "devices": [
            {**device, "id": "fake-android", "name": "Fake driver as an Android phone", "platform": "android",
             "capabilities": {**fake, "appium:deviceName": "Fake Pixel"}},
            {**device, "id": "fake-ios", "name": "Fake driver as an iPhone", "platform": "ios",
             "native": {"udid": "00008120-FAKE"}, "capabilities": {**fake, "appium:deviceName": "Fake iPhone"}},
        ],
        "candidates": [{
            "vendor": "Fake Camera", "sdk": "fakecam", "version": "1.0",
            "app": {"android": {"package": "com.example.fakecam", "activity": ".Main",
                                "recordings": "/sdcard/DCIM/FakeCam/"},
                    "ios": {"bundle_id": "com.example.fakecam", "recordings": "@com.example.fakecam/Documents/"}},
            "locators": {
                "preview": "accessibility_id=preview",
                "open_filter_panel": "accessibility_id=tab-filters",
                "select_filter": "accessibility_id=filter-{name}",
                "open_beauty_panel": "accessibility_id=tab-beauty",
                "set_beauty": "accessibility_id=beauty-level",
                "open_effect_panel": "accessibility_id=tab-effects",
                "apply_effect": "accessibility_id=effect-{name}",
                "start_recording": "accessibility_id=record",
                "stop_recording": "accessibility_id=record",
                "recording_result": "accessibility_id=recording",
            },
            "filters": {name: {"lut": str(ROOT / "apps" / "glfx" / "luts" / f"{name}.cube")}
                        for name in ("warm", "cool", "mono")},
        }],
    }
    path = folder / "devices.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def native_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path, float]:
    fake = ROOT / ".tools" / "appium-home" / "node_modules" / "@appium" / "fake-driver"
    if not fake.is_dir():
        pytest.fail(f"Appium's fake driver is not installed ({fake}); run `make setup`")
    folder = tmp_path_factory.mktemp("native")
    devices = devices_yaml(folder, phone_replay(folder / "phone_screen.mp4"))
    run_dir = folder / "run"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--devices", str(devices), "--scenarios",
                           str(ROOT / "scenarios"), "--run-dir", str(run_dir), "-v"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1500, check=False)
    wall_s = time.monotonic() - started
    (folder / "stdout.txt").write_text(proc.stdout + "\n---stderr---\n" + proc.stderr)
    return proc, run_dir, wall_s


def records(run_dir: Path) -> dict[tuple[str, str], dict]:
    return {(r["scenario"], r["device"]): r for r in json.loads((run_dir / "results.json").read_text())}


SCENARIOS = ("startup", "filter-warm", "beauty-70", "effect-crown", "record-3s")
DEVICES = ("fake-android", "fake-ios")


def test_every_scenario_ran_on_both_native_devices(native_run: tuple[subprocess.CompletedProcess[str], Path, float]
                                                   ) -> None:
    proc, run_dir, wall_s = native_run
    found = records(run_dir)
    assert set(found) == {(s, d) for s in SCENARIOS for d in DEVICES}, proc.stdout[-3000:] + proc.stderr[-2000:]
    for (_, device), r in found.items():
        assert r["platform"] == device.split("-")[1]
    statuses = {k: r["status"] for k, r in found.items()}
    print(f"native fake-driver run: {len(found)} items, {statuses}, wall {wall_s:.0f} s")
    assert proc.returncode in (1, 3), proc.stdout[-3000:]


def test_visual_checks_run_on_the_phone_video(native_run: tuple[subprocess.CompletedProcess[str], Path, float]
                                              ) -> None:
    _, run_dir, _ = native_run
    for (scenario, device), r in records(run_dir).items():
        if scenario not in ("filter-warm", "beauty-70", "effect-crown"):
            continue
        m = r["metrics"]
        # The replayed phone screen shows the clip's 30 fps (each frame for two 60 Hz refreshes) and every key
        # frame shows a decodable clip frame.
        assert 27 <= m["content_fps"] <= 31, (scenario, device, m)
        assert m["key_frames_decoded"] == 3, (scenario, device, m)
        # The fake app draws no effect: the detectors must say so (a negative control on a phone recording).
        assert r["status"] == "failed", r
        assert "effect_not_applied" in {d["defect"] for d in r["defects"]}, r["defects"]
        assert r["error"]["kind"] == "sdk", r["error"]
        attachments = " ".join(r["attachments"])
        assert "capture.mp4" in attachments, attachments


def test_cold_launches_are_timed_and_warm_needs_app_management(
    native_run: tuple[subprocess.CompletedProcess[str], Path, float],
) -> None:
    _, run_dir, _ = native_run
    for device in DEVICES:
        r = records(run_dir)[("startup", device)]
        m = r["metrics"]
        # Five cold launches, each a new fake-driver session: a real round trip through the Appium server.
        assert 1.0 < m["startup_cold_ms"] < 10000, m
        assert m["startup_cold_min_ms"] <= m["startup_cold_ms"] <= m["startup_cold_max_ms"], m
        assert r["status"] == "broken", r
        assert "app-management" in r["error"]["message"], r["error"]
        assert r["error"]["kind"] == "infrastructure", r["error"]


def test_app_recording_needs_pull_file(native_run: tuple[subprocess.CompletedProcess[str], Path, float]) -> None:
    _, run_dir, _ = native_run
    for device in DEVICES:
        r = records(run_dir)[("record-3s", device)]
        assert r["status"] == "broken", r
        assert "pullFile" in r["error"]["message"], r["error"]


def test_sessions_got_their_own_ports_and_fingerprint(
    native_run: tuple[subprocess.CompletedProcess[str], Path, float],
) -> None:
    _, run_dir, _ = native_run
    for path in (run_dir / "items").glob("filter-warm*/details.json"):
        d = json.loads(path.read_text())["details"]
        ports = d["session_ports"]
        assert len(set(ports.values())) == len(ports) >= 2, ports
        assert d["device_fingerprint"]["platform"] in ("android", "ios")
        assert "app_state" in d["not_observed"]  # the fake driver has no queryAppState: said, not guessed
        assert d["timeline"]["source"] == "replay"
        if d["device_fingerprint"]["platform"] == "android":
            assert "mobile: shell" in d["not_observed"]["adb_shell"], d["not_observed"]


def test_allure_report(native_run: tuple[subprocess.CompletedProcess[str], Path, float]) -> None:
    _, run_dir, _ = native_run
    assert (run_dir / "allure-report" / "index.html").is_file()
    results = [json.loads(p.read_text()) for p in (run_dir / "allure-results").glob("*-result.json")]
    items = results  # the overview is no result: it is the report's global attachments
    assert len(items) == len(SCENARIOS) * len(DEVICES)
    for res in items:
        params = {p["name"]: p["value"] for p in res["parameters"]}
        assert params["platform"].strip("'") in ("android", "ios")  # Allure shows parameter values quoted
