"""Device-farm presets and the grid connection, pure logic: the capability shape each farm documents, credentials
from the environment only, camera-injection limits checked before any session, app references, status scripts,
and the Grid node configuration. Expected shapes are the farms' documented ones (docs/scale.md lists the pages)."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.config import load_config
from harness.config.matrix import MatrixConfig
from harness.devices import farms
from harness.devices.capabilities import SessionPlan, capabilities_for
from harness.devices.connection import connection_capabilities, preflight, server_url
from harness.devices.grid_config import EventBus, NodePlan, check_port, node_toml, stereotype_for
from harness.errors import ConfigError

CREDS = {
    "BROWSERSTACK_USERNAME": "bs-user-1", "BROWSERSTACK_ACCESS_KEY": "bsKEY9x8y7",
    "SAUCE_USERNAME": "sauce-user-2", "SAUCE_ACCESS_KEY": "sauceKEY6f5e",
    "LT_USERNAME": "lt-user-3", "LT_ACCESS_KEY": "ltKEY4d3c",
    "HARNESS_AWS_DEVICE_FARM_URL": "https://devicefarm.example/remote/abc?signature=SIGzz11",
}

WEB = {"id": "pixel7", "name": "Pixel 7", "platform": "web", "tags": {"tier": "flagship"},
       "emulation": {"viewport": {"width": 412, "height": 915}, "pixel_ratio": 2.625, "user_agent": "UA"}}
ANDROID = {"id": "s23", "name": "Galaxy S23", "platform": "android", "tags": {"tier": "flagship"},
           "native": {"os_version": "14"}}
CANDIDATE = {"vendor": "Lumen Labs", "sdk": "glfx", "version": "1.0",
             "app": {"web": {"url": "glfx/1.0/index.html"},
                     "android": {"package": "com.lumen.glfx", "apk": "bs://f7c874f21852ba57"}},
             "locators": {"preview": "css=canvas"}}


def _matrix(tmp_path: Path, *devices: dict[str, Any], candidate: dict[str, Any] | None = None) -> MatrixConfig:
    path = tmp_path / "devices.yaml"
    path.write_text(yaml.safe_dump({"devices": list(devices), "candidates": [candidate or CANDIDATE]}))
    return load_config(path)


def _dev(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    out.update(changes)
    return out


@pytest.fixture
def creds(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in CREDS.items():
        monkeypatch.setenv(name, value)
    return CREDS


def _caps(matrix: MatrixConfig) -> dict[str, Any]:
    return capabilities_for(matrix.devices[0], matrix.candidates[0], SessionPlan(clip_path=None))


# --- capability shapes --------------------------------------------------------------------------------------------
def test_browserstack_capability_shape(tmp_path: Path, creds: dict[str, str]) -> None:
    media = tmp_path / "clip.mp4"
    media.write_bytes(b"\0" * 1000)
    farm = {"project": "sdk-harness", "build": "nightly-42", "camera_injection": "video", "media": str(media),
            "media_url": "media://abc123", "device_name": "Samsung Galaxy S23"}
    matrix = _matrix(tmp_path, _dev(ANDROID, connection="browserstack", farm=farm))
    caps = _caps(matrix)
    assert caps["bstack:options"] == {
        "userName": "bs-user-1", "accessKey": "bsKEY9x8y7", "projectName": "sdk-harness",
        "buildName": "nightly-42", "sessionName": "s23 / glfx@1.0", "enableCameraVideoInjection": True,
    }
    assert caps["appium:app"] == "bs://f7c874f21852ba57"
    assert caps["appium:deviceName"] == "Samsung Galaxy S23"
    assert caps["platformName"] == "Android"
    assert server_url(matrix.devices[0], lambda: "unused") == "https://hub-cloud.browserstack.com/wd/hub"
    assert farms.injection_script(matrix.devices[0]) == (
        'browserstack_executor: {"action": "cameraVideoInjection", "arguments": {"videoUrl": "media://abc123"}}')


def test_saucelabs_capability_shape_and_region(tmp_path: Path, creds: dict[str, str]) -> None:
    image = tmp_path / "frame.png"
    image.write_bytes(b"PNGDATA")
    farm = {"region": "eu-central-1", "build": "b7", "camera_injection": "image", "media": str(image)}
    candidate = copy.deepcopy(CANDIDATE)
    candidate["app"]["android"]["apk"] = "storage:filename=glfx-1.0.apk"
    matrix = _matrix(tmp_path, _dev(ANDROID, connection="saucelabs", farm=farm), candidate=candidate)
    caps = _caps(matrix)
    assert caps["sauce:options"] == {"username": "sauce-user-2", "accessKey": "sauceKEY6f5e", "build": "b7",
                                     "name": "s23 / glfx@1.0"}
    assert caps["appium:sauceLabsImageInjectionEnabled"] is True
    assert caps["appium:app"] == "storage:filename=glfx-1.0.apk"
    assert server_url(matrix.devices[0], lambda: "") == "https://ondemand.eu-central-1.saucelabs.com/wd/hub"
    assert farms.injection_script(matrix.devices[0]) == "sauce:inject-image=UE5HREFUQQ=="  # base64 of the file


def test_lambdatest_capability_shape(tmp_path: Path, creds: dict[str, str]) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0" * 10)
    farm = {"build": "b1", "project": "p1", "camera_injection": "video", "media": str(clip),
            "media_url": "lt://MEDIA123"}
    candidate = copy.deepcopy(CANDIDATE)
    candidate["app"]["android"]["apk"] = "lt://APP100200"
    matrix = _matrix(tmp_path, _dev(ANDROID, connection="lambdatest", farm=farm), candidate=candidate)
    caps = _caps(matrix)
    assert caps["lt:options"] == {"username": "lt-user-3", "accessKey": "ltKEY4d3c", "name": "s23 / glfx@1.0",
                                  "build": "b1", "project": "p1", "enableVideoInjection": True}
    assert server_url(matrix.devices[0], lambda: "") == "https://mobile-hub.lambdatest.com/wd/hub"


def test_aws_device_farm_is_plain_appium_at_the_signed_endpoint(tmp_path: Path, creds: dict[str, str]) -> None:
    candidate = copy.deepcopy(CANDIDATE)
    candidate["app"]["android"]["apk"] = "arn:aws:devicefarm:us-west-2:123:upload:abc/def"
    matrix = _matrix(tmp_path, _dev(ANDROID, connection="aws-device-farm"), candidate=candidate)
    caps = _caps(matrix)
    assert not [k for k in caps if k.endswith(":options")]
    assert caps["appium:app"].startswith("arn:aws:devicefarm:")
    assert server_url(matrix.devices[0], lambda: "") == CREDS["HARNESS_AWS_DEVICE_FARM_URL"]
    preflight(matrix.devices, matrix.candidates)


def test_user_capabilities_override_farm_options(tmp_path: Path, creds: dict[str, str]) -> None:
    matrix = _matrix(tmp_path, _dev(WEB, connection="lambdatest",
                                    capabilities={"lt:options": {"name": "custom", "w3c": True}}))
    options = _caps(matrix)["lt:options"]
    assert (options["name"], options["w3c"], options["username"]) == ("custom", True, "lt-user-3")


def test_grid_connection_adds_the_routing_capability(tmp_path: Path) -> None:
    matrix = _matrix(tmp_path, _dev(WEB, connection="grid"))
    assert _caps(matrix)["harness:device"] == "pixel7"
    plain = _matrix(tmp_path, WEB)
    assert "harness:device" not in _caps(plain)
    assert connection_capabilities(plain.devices[0], plain.candidates[0], {"a": 1}) == {"a": 1}


# --- credentials and pre-flight ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("farm", "missing"), [
    ("browserstack", "BROWSERSTACK_ACCESS_KEY"), ("saucelabs", "SAUCE_USERNAME"), ("lambdatest", "LT_ACCESS_KEY"),
    ("aws-device-farm", "HARNESS_AWS_DEVICE_FARM_URL"),
])
def test_missing_credential_names_the_variable(tmp_path: Path, creds: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                               farm: str, missing: str) -> None:
    monkeypatch.delenv(missing)
    matrix = _matrix(tmp_path, _dev(WEB, connection=farm))
    message = (f"{matrix.source}: connection: {farm} needs the environment variable {missing}, which is not set; "
               f"allowed: set {missing} (credentials are read only from the environment)")
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        preflight(matrix.devices, matrix.candidates, file=str(matrix.source))


def test_credentials_never_in_repr(creds: dict[str, str]) -> None:
    found = farms.farm_credentials("browserstack")
    assert "bsKEY9x8y7" not in repr(found)
    assert "bs-user-1" not in repr(found)


def test_grid_connection_without_a_running_grid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_GRID_DIR", str(tmp_path / "no-grid"))
    matrix = _matrix(tmp_path, _dev(WEB, connection="grid"))
    message = (f"{matrix.source}: connection: 'grid' is not allowed while no grid is up; allowed: start one with "
               "`harness grid up --devices FILE`, or give the hub's URL")
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        preflight(matrix.devices, matrix.candidates, file=str(matrix.source))


def test_farm_options_need_a_farm_connection(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape(
            "devices[0].farm: farm options need a farm connection, this device's is 'local'; allowed: connection: "
            "one of browserstack, saucelabs, lambdatest, aws-device-farm, or no farm key")):
        _matrix(tmp_path, _dev(WEB, farm={"build": "b"}))


def test_unknown_farm_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("devices[0].farm.bild: unknown key 'bild'; allowed: region, "
                                                    "project, build, session_name, device_name, camera_injection")):
        _matrix(tmp_path, _dev(WEB, connection="browserstack", farm={"bild": "b"}))


@pytest.mark.parametrize(("farm", "apk", "message"), [
    ("saucelabs", "bs://abc", "'bs://abc' is a browserstack app reference but devices[s23] connects to saucelabs"),
    ("browserstack", "apps/glfx.apk", "'apps/glfx.apk' is a local file, which browserstack cannot install"),
])
def test_app_reference_must_belong_to_the_farm(tmp_path: Path, creds: dict[str, str], farm: str, apk: str,
                                               message: str) -> None:
    candidate = copy.deepcopy(CANDIDATE)
    candidate["app"]["android"]["apk"] = apk
    matrix = _matrix(tmp_path, _dev(ANDROID, connection=farm), candidate=candidate)
    with pytest.raises(ConfigError, match=re.escape(f"candidates[glfx@1.0].app.android: {message}")):
        preflight(matrix.devices, matrix.candidates)


# --- camera injection limits ----------------------------------------------------------------------------------
def _media(tmp_path: Path, name: str, size: int) -> str:
    path = tmp_path / name
    with path.open("wb") as fh:
        fh.truncate(size)
    return str(path)


@pytest.mark.parametrize(("connection", "kind", "name", "size", "os_version", "message"), [
    ("browserstack", "video", "clip.mp4", 15_000_001, "14",
     "farm.media: clip.mp4 is 15.0 MB; allowed: at most 15 MB for browserstack video injection"),
    ("browserstack", "video", "clip.mov", 100, "14",
     "farm.media: clip.mov is not allowed for browserstack video injection; allowed: .mp4 files"),
    ("browserstack", "video", "clip.mp4", 100, "8",
     "native.os_version: android 8 is too old for browserstack video injection; allowed: android 9 or later"),
    ("saucelabs", "image", "frame.png", 5_000_001, "14",
     "farm.media: frame.png is 5.0 MB; allowed: at most 5 MB for saucelabs image injection"),
    ("saucelabs", "video", "clip.mp4", 100, "14",
     "farm.camera_injection: video injection is not offered by saucelabs; allowed: image"),
    ("lambdatest", "video", "clip.mp4", 100, "12",
     "native.os_version: android 12 is too old for lambdatest video injection; allowed: android 13 or later"),
    ("aws-device-farm", "image", "frame.png", 100, "14",
     "farm.camera_injection: image injection is not offered by aws-device-farm; allowed: none (this farm has no "
     "camera injection)"),
])
def test_camera_injection_limits_before_any_session(tmp_path: Path, creds: dict[str, str], connection: str,
                                                    kind: str, name: str, size: int, os_version: str,
                                                    message: str) -> None:
    farm = {"camera_injection": kind, "media": _media(tmp_path, name, size), "media_url": "media://m"}
    device = _dev(ANDROID, connection=connection, farm=farm, native={"os_version": os_version})
    candidate = copy.deepcopy(CANDIDATE)
    del candidate["app"]["android"]["apk"]
    matrix = _matrix(tmp_path, device, candidate=candidate)
    with pytest.raises(ConfigError, match=f"^{re.escape(f'{matrix.source}: devices[s23].{message}')}$"):
        preflight(matrix.devices, matrix.candidates, file=str(matrix.source))


def test_camera_injection_within_limits_passes(tmp_path: Path, creds: dict[str, str]) -> None:
    farm = {"camera_injection": "video", "media": _media(tmp_path, "clip.mp4", 15_000_000), "media_url": "media://m"}
    device = _dev(ANDROID, connection="browserstack", farm=farm, native={"os_version": "9"})
    matrix = _matrix(tmp_path, device)
    preflight(matrix.devices, matrix.candidates)


def test_camera_injection_on_web_device_is_refused(tmp_path: Path, creds: dict[str, str]) -> None:
    farm = {"camera_injection": "image", "media": _media(tmp_path, "f.png", 10), "media_url": "media://m"}
    matrix = _matrix(tmp_path, _dev(WEB, connection="browserstack", farm=farm))
    with pytest.raises(ConfigError, match="camera injection is for native apps, this device is web"):
        preflight(matrix.devices, matrix.candidates)


# --- end-of-item status ---------------------------------------------------------------------------------------
def test_status_scripts_per_farm() -> None:
    assert farms.status_scripts("browserstack", status="failed", reason="x" * 300, name="filter[pixel7]") == [
        'browserstack_executor: {"action": "setSessionName", "arguments": {"name": "filter[pixel7]"}}',
        'browserstack_executor: {"action": "setSessionStatus", "arguments": {"status": "failed", "reason": "'
        + "x" * 255 + '"}}',
    ]
    assert farms.status_scripts("saucelabs", status="passed", reason="", name="n") == [
        "sauce:job-name=n", "sauce:job-result=passed"]
    assert farms.status_scripts("lambdatest", status="broken", reason="", name=None) == ["lambda-status=failed"]
    assert farms.status_scripts("aws-device-farm", status="passed", reason="", name="n") == []


# --- grid node configuration ------------------------------------------------------------------------------------
def test_node_toml_is_the_relay_configuration(tmp_path: Path) -> None:
    matrix = _matrix(tmp_path, WEB, ANDROID)
    node = NodePlan(name="node-a", port=5700, appium_port=4723, device_ids=("pixel7", "s23"),
                    stereotypes=tuple(stereotype_for(d) for d in matrix.devices), sessions_per_device=1)
    text = node_toml(node, host="127.0.0.1", hub_url="http://127.0.0.1:4444",
                     bus=EventBus(publish_port=4442, subscribe_port=4443))
    parsed = tomllib.loads(text)
    assert parsed["server"] == {"host": "127.0.0.1", "port": 5700}
    assert parsed["node"] == {"detect-drivers": False, "selenium-manager": False, "max-sessions": 2,
                              "grid-url": "http://127.0.0.1:4444"}
    assert parsed["relay"]["url"] == "http://127.0.0.1:4723"
    assert parsed["relay"]["status-endpoint"] == "/status"
    assert parsed["relay"]["protocol-version"] == "HTTP/1.1"
    configs = parsed["relay"]["configs"]
    assert configs[0::2] == ["1", "1"]
    web, native = (yaml.safe_load(c) for c in configs[1::2])
    assert (web["browserName"], web["harness:device"]) == ("chrome", "pixel7")
    # A native stereotype carries no browserName (SeleniumHQ/selenium#14216).
    assert "browserName" not in native
    assert (native["platformName"], native["harness:device"]) == ("Android", "s23")
    assert parsed["events"] == {"publish": "tcp://127.0.0.1:4442", "subscribe": "tcp://127.0.0.1:4443"}


@pytest.mark.parametrize("port", [5555, 5585, 80])
def test_grid_ports_avoid_adb(port: int) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"--hub-port: {port} is not allowed; allowed: 1024..65535 "
                                                    "outside 5555-5585 (adb's emulator ports)")):
        check_port(port, option="--hub-port")


# --- doctor ---------------------------------------------------------------------------------------------------------
def test_doctor_checks_presets_like_the_run(tmp_path: Path, creds: dict[str, str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.doctor.checks import check_preset
    from harness.doctor.probes import SystemProbes

    monkeypatch.setenv("HARNESS_GRID_DIR", str(tmp_path / "no-grid"))
    matrix = _matrix(tmp_path, _dev(WEB, connection="browserstack"), _dev(WEB, id="g1", connection="grid"))
    farm, on_grid = (check_preset(SystemProbes(), d) for d in matrix.devices)
    assert [c.ok for c in farm] == [True]
    assert [c.ok for c in on_grid] == [False]
    assert on_grid[0].detail.startswith("'grid' is not allowed while no grid is up")
    monkeypatch.delenv("BROWSERSTACK_USERNAME")
    (missing,) = check_preset(SystemProbes(), matrix.devices[0])
    assert not missing.ok
    assert "BROWSERSTACK_USERNAME" in missing.detail


@pytest.mark.parametrize(("farm_name", "options_key", "flag"), [
    ("browserstack", "bstack:options", "enableCameraImageInjection"),
    ("lambdatest", "lt:options", "enableImageInjection"),
])
def test_image_injection_flag_per_farm(tmp_path: Path, creds: dict[str, str], farm_name: str, options_key: str,
                                       flag: str) -> None:
    image = tmp_path / "frame.png"
    image.write_bytes(b"PNGDATA")
    farm = {"camera_injection": "image", "media": str(image)}
    caps = _caps(_matrix(tmp_path, _dev(ANDROID, connection=farm_name, farm=farm)))
    assert caps[options_key][flag] is True
    assert not {k for k in caps[options_key] if "Video" in k}  # image only
