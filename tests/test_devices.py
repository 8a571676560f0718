"""Capabilities per platform (pure), the locator syntax, and the real Appium server's lifecycle (no browser)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from harness.config import load_config, parse_config
from harness.devices.appium_server import AppiumServer, free_port
from harness.devices.capabilities import CHROMEDRIVER_BINARY, SessionPlan, capabilities_for
from harness.devices.session import STRATEGIES, is_crash, split_locator
from harness.errors import ConfigError, InfrastructureError

ROOT = Path(__file__).resolve().parents[1]

NATIVE = {
    "devices": [
        {"id": "s23", "name": "Galaxy S23", "platform": "android", "connection": "http://127.0.0.1:4723",
         "tags": {"tier": "flagship"}, "native": {"udid": "R5CT123ABC", "os_version": "14"},
         "capabilities": {"appium:mjpegServerPort": 7810}},
        {"id": "ip15", "name": "iPhone 15", "platform": "ios", "connection": "http://127.0.0.1:4723",
         "tags": {"tier": "flagship", "new": True}, "native": {"udid": "00008120-0001", "wda_local_port": 8101}},
    ],
    "candidates": [
        {"vendor": "Lumen Labs", "sdk": "glfx", "version": "2.0",
         "app": {"android": {"package": "com.lumen.glfx", "activity": ".Main", "apk": "glfx.apk"},
                 "ios": {"bundle_id": "com.lumen.glfx", "ipa": "glfx.ipa"}},
         "locators": {"preview": "accessibility_id=preview"}},
    ],
}


def test_web_capabilities_follow_the_profile() -> None:
    config = load_config(ROOT / "devices.yaml")
    device, candidate = config.device("moto-e13"), config.candidate("glfx@2.0")
    caps = capabilities_for(device, candidate, SessionPlan(clip_path=Path("/tmp/c.y4m"), chromedriver_port=9611))
    assert caps["appium:automationName"] == "Chromium"
    assert caps["appium:executable"] == CHROMEDRIVER_BINARY
    assert caps["appium:autodownloadEnabled"] is False
    assert caps["appium:chromedriverPort"] == 9611
    opts = caps["goog:chromeOptions"]
    assert "--use-file-for-fake-video-capture=/tmp/c.y4m" in opts["args"]
    assert "--headless=new" in opts["args"]
    metrics = opts["mobileEmulation"]["deviceMetrics"]
    assert (metrics["width"], metrics["height"], metrics["pixelRatio"]) == (360, 800, 2.0)
    assert "moto e13" in opts["mobileEmulation"]["userAgent"]


def test_native_capabilities_and_overrides() -> None:
    config = parse_config(NATIVE, source=ROOT / "devices.yaml")
    cand = config.candidate("glfx@2.0")
    android = capabilities_for(config.device("s23"), cand, SessionPlan(clip_path=None, system_port=8201))
    assert android["platformName"] == "Android"
    assert android["appium:automationName"] == "UiAutomator2"
    assert android["appium:appPackage"] == "com.lumen.glfx"
    assert android["appium:appActivity"] == ".Main"
    assert android["appium:udid"] == "R5CT123ABC"
    assert android["appium:platformVersion"] == "14"
    assert android["appium:systemPort"] == 8201
    assert android["appium:mjpegServerPort"] == 7810  # the device's own override is merged last
    ios = capabilities_for(config.device("ip15"), cand, SessionPlan(clip_path=None))
    assert ios["appium:automationName"] == "XCUITest"
    assert ios["appium:bundleId"] == "com.lumen.glfx"
    assert ios["appium:wdaLocalPort"] == 8101
    assert ios["appium:udid"] == "00008120-0001"


def test_locator_syntax() -> None:
    assert split_locator("css=#a[data-x='1']") == (STRATEGIES["css"], "#a[data-x='1']")
    assert split_locator("xpath=//a[@b='c=d']") == (STRATEGIES["xpath"], "//a[@b='c=d']")
    with pytest.raises(ConfigError, match=r"locator 'byid=x' must be STRATEGY=VALUE; allowed strategies: css, xpath"):
        split_locator("byid=x")


def test_crash_messages_are_sdk_defects() -> None:
    assert is_crash(Exception("unknown error: session deleted because of page crash"))
    assert is_crash(Exception("tab crashed"))
    assert not is_crash(Exception("no such element: Unable to locate element"))


def _appium_installed() -> bool:
    return (ROOT / ".tools/node_modules/.bin/appium").exists()


@pytest.mark.skipif(not _appium_installed(), reason="Appium is installed by `make setup`")
def test_real_appium_server_starts_answers_and_stops(tmp_path: Path) -> None:
    server = AppiumServer(project_root=ROOT, log_path=tmp_path / "logs" / "appium.log")
    with server:
        assert server.version.startswith("3.")
        assert server.status() is not None
        url = server.url
    assert server.status() is None, f"{url} still answers after stop"
    assert (tmp_path / "logs" / "appium.log").stat().st_size > 0


def test_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        server = AppiumServer(project_root=ROOT, log_path=tmp_path / "appium.log", port=port)
        if not _appium_installed():
            pytest.skip("Appium is installed by `make setup`")
        with pytest.raises(InfrastructureError, match=rf"port 127.0.0.1:{port} is already taken"):
            server.start()


def test_missing_appium_names_the_fix(tmp_path: Path) -> None:
    server = AppiumServer(project_root=tmp_path, log_path=tmp_path / "appium.log", port=free_port())
    with pytest.raises(InfrastructureError, match=r"Appium is not installed at .*; run `make setup`"):
        server.start()
