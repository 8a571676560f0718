"""End to end through a farm preset: one web item (a Pixel-7-like profile, glfx 1.0, filter-warm) run by
`harness run` on a device with `connection: browserstack`, whose `farm.hub_url` points at a local HTTP endpoint.

No farm can be reached from here: the local endpoint (tests/farm_recorder.py) STANDS IN FOR THE FARM. It records
every request (method, path, headers, body), answers the farm-only executor scripts itself and forwards every
other WebDriver command to a real local Appium 3 server driving real headless Chromium. The test asserts the
new-session body has BrowserStack's documented capability shape, the end-of-item status and name calls were made,
the session link was kept for the report, and that the credentials, set as environment variables here, appear in
no output file of the run (results, Allure results and report, logs, store, history) nor on the console."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from farm_recorder import FarmRecorder

from harness.devices.appium_server import AppiumServer

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e

SECRETS = {"BROWSERSTACK_USERNAME": "farmuser-3f9a1c", "BROWSERSTACK_ACCESS_KEY": "AK-7Q2x9LmPz4Rt8Wv1"}


def _devices_file(tmp_path: Path, hub_url: str) -> Path:
    data = yaml.safe_load((ROOT / "devices.yaml").read_text())
    data = {k: v for k, v in data.items() if not k.startswith("x-")}
    pixel7 = next(d for d in data["devices"] if d["id"] == "pixel7")
    pixel7.update(connection="browserstack",
                  farm={"project": "sdk-harness", "build": "farm-e2e", "hub_url": hub_url})
    data["devices"] = [pixel7]
    for cand in data["candidates"]:
        for spec in (cand.get("filters") or {}).values():
            spec["lut"] = str(ROOT / spec["lut"])
    path = tmp_path / "devices.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def farm_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.CompletedProcess[str], Path,
                                                                          FarmRecorder]]:
    tmp = tmp_path_factory.mktemp("farm")
    appium = AppiumServer(project_root=ROOT, log_path=tmp / "appium" / "appium.log").start()
    recorder = FarmRecorder(forward_to=appium.url).start()
    try:
        devices = _devices_file(tmp, f"{recorder.url}/wd/hub")
        run_dir = tmp / "reports" / "run1"
        env = {**os.environ, **SECRETS}
        cmd = [sys.executable, "-m", "harness.cli", "run", "--devices", str(devices), "--scenarios",
               str(ROOT / "scenarios"), "--scenario", "filter-warm", "--candidate", "glfx@1.0",
               "--run-dir", str(run_dir), "-v"]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
        yield proc, run_dir, recorder
    finally:
        recorder.stop()
        appium.stop()


def _new_session_body(recorder: FarmRecorder) -> dict[str, Any]:
    (req,) = [r for r in recorder.requests if r.method == "POST" and r.path == "/wd/hub/session"]
    return dict(req.json()["capabilities"]["alwaysMatch"])


def test_item_ran_through_the_farm_endpoint(farm_run: tuple[subprocess.CompletedProcess[str], Path,
                                                            FarmRecorder]) -> None:
    proc, run_dir, recorder = farm_run
    records = json.loads((run_dir / "results.json").read_text())
    assert len(records) == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert records[0]["status"] in ("passed", "failed"), records[0]
    assert records[0]["metrics"]["content_fps"] > 5
    paths = {r.path for r in recorder.requests}
    assert "/wd/hub/session" in paths
    assert any(p.endswith("/execute/sync") for p in paths)


def test_new_session_has_browserstack_capability_shape(farm_run: tuple[subprocess.CompletedProcess[str], Path,
                                                                       FarmRecorder]) -> None:
    _, _, recorder = farm_run
    caps = _new_session_body(recorder)
    assert caps["bstack:options"] == {"userName": SECRETS["BROWSERSTACK_USERNAME"],
                                      "accessKey": SECRETS["BROWSERSTACK_ACCESS_KEY"], "projectName": "sdk-harness",
                                      "buildName": "farm-e2e", "sessionName": "pixel7 / glfx@1.0"}
    assert caps["platformName"] == "linux"
    assert caps["browserName"] == "chrome"


def test_status_and_name_set_at_item_end(farm_run: tuple[subprocess.CompletedProcess[str], Path,
                                                         FarmRecorder]) -> None:
    _, run_dir, recorder = farm_run
    record = json.loads((run_dir / "results.json").read_text())[0]
    scripts = [r.json()["script"] for r in recorder.requests if r.path.endswith("/execute/sync")]
    farm_scripts = [s for s in scripts if s.startswith("browserstack_executor:")]
    assert [json.loads(s.split(":", 1)[1])["action"] for s in farm_scripts] == ["setSessionName",
                                                                                "setSessionStatus"]
    status = json.loads(farm_scripts[1].split(":", 1)[1])["arguments"]
    assert status["status"] == record["status"]
    name = json.loads(farm_scripts[0].split(":", 1)[1])["arguments"]["name"]
    assert name == record["name"]
    # The status comes before the session ends.
    order = [(r.method, r.path) for r in recorder.requests]
    delete = max(i for i, (m, p) in enumerate(order) if m == "DELETE")
    last_script = max(i for i, r in enumerate(recorder.requests) if r.path.endswith("/execute/sync")
                      and r.json()["script"].startswith("browserstack_executor:"))
    assert last_script < delete
    item_dirs = list((run_dir / "items").iterdir())
    details = json.loads((item_dirs[0] / "details.json").read_text())
    session_id = _session_id(recorder)
    assert details["details"]["farm_session"] == {
        "farm": "browserstack", "session_id": session_id, "status": record["status"], "status_error": None,
        "link": f"https://app-automate.browserstack.com/dashboard/v2/sessions/{session_id}"}


def _session_id(recorder: FarmRecorder) -> str:
    paths = [r.path for r in recorder.requests if r.path.startswith("/wd/hub/session/")]
    return paths[0].split("/")[4]


def test_credentials_in_no_output(farm_run: tuple[subprocess.CompletedProcess[str], Path, FarmRecorder]) -> None:
    proc, run_dir, _ = farm_run
    scanned = 0
    for path in run_dir.parent.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        scanned += 1
        for secret in SECRETS.values():
            assert secret.encode() not in data, f"{secret[:3]}... found in {path}"
    assert scanned > 20  # results, Allure results and report, logs, store, history
    for secret in SECRETS.values():
        assert secret not in proc.stdout
        assert secret not in proc.stderr
