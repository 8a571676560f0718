"""W3C capabilities for one device x candidate session, per platform (web Chromium, Android UiAutomator2, iOS XCUITest).

Everything a session needs comes from devices.yaml; the harness adds only what the run decides (ports, the camera
clip, the app URL). The device's `capabilities:` overrides are merged last, so a user can always correct us.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config.devices import Candidate, Device
from harness.devices.connection import connection_capabilities

CHROMIUM_BINARY = "/usr/bin/chromium"
CHROMEDRIVER_BINARY = "/usr/bin/chromedriver"

# Flags measured on this kind of machine (see docs/devices.md): headless, no network chatter, fake camera and
# permission prompts answered, shared memory in /tmp instead of /dev/shm.
CHROMIUM_BASE_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
)


@dataclass(frozen=True)
class SessionPlan:
    """What the run decided for one session: ports and files that must differ between concurrent sessions."""

    clip_path: Path | None
    chromedriver_port: int | None = None
    system_port: int | None = None
    mjpeg_port: int | None = None
    wda_local_port: int | None = None
    derived_data_path: str | None = None
    new_command_timeout_s: int = 120


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def web_capabilities(device: Device, plan: SessionPlan) -> dict[str, Any]:
    """Chromium through Appium's chromium driver, emulating the device's phone profile."""
    emu = device.emulation
    assert emu is not None
    args = list(CHROMIUM_BASE_ARGS)
    if plan.clip_path is not None:
        args.append(f"--use-file-for-fake-video-capture={plan.clip_path}")
    args.append(f"--window-size={emu.viewport.width},{emu.viewport.height}")
    caps: dict[str, Any] = {
        "platformName": "linux",
        "browserName": "chrome",
        "appium:automationName": "Chromium",
        "appium:executable": CHROMEDRIVER_BINARY,
        "appium:autodownloadEnabled": False,
        "appium:newCommandTimeout": plan.new_command_timeout_s,
        "goog:chromeOptions": {
            "binary": CHROMIUM_BINARY,
            "args": args,
            "mobileEmulation": {
                "deviceMetrics": {
                    "width": emu.viewport.width,
                    "height": emu.viewport.height,
                    "pixelRatio": emu.pixel_ratio,
                    "mobile": emu.mobile,
                    "touch": emu.touch,
                },
                "userAgent": emu.user_agent,
            },
        },
    }
    if plan.chromedriver_port is not None:
        caps["appium:chromedriverPort"] = plan.chromedriver_port
    return _deep_merge(caps, dict(device.capabilities))


def _native(device: Device, name: str) -> Any:
    return getattr(device.native, name, None) if device.native is not None else None


def android_capabilities(device: Device, candidate: Candidate, plan: SessionPlan) -> dict[str, Any]:
    """UiAutomator2 on a real phone or emulator; the app from the candidate's apk or installed package."""
    app = candidate.app.android
    assert app is not None
    caps: dict[str, Any] = {
        "platformName": "Android",
        "appium:automationName": "UiAutomator2",
        "appium:appPackage": app.package,
        "appium:autoGrantPermissions": True,
        "appium:newCommandTimeout": plan.new_command_timeout_s,
        "appium:noReset": False,
        "appium:fullReset": False,
    }
    if getattr(app, "activity", None):
        caps["appium:appActivity"] = app.activity
    if getattr(app, "apk", None):
        caps["appium:app"] = str(app.apk)
    for key, value in (("appium:udid", _native(device, "udid")),
                       ("appium:platformVersion", _native(device, "os_version")),
                       ("appium:systemPort", plan.system_port or _native(device, "system_port")),
                       ("appium:mjpegServerPort", plan.mjpeg_port or _native(device, "mjpeg_server_port")),
                       ("appium:chromedriverPort", plan.chromedriver_port or _native(device, "chromedriver_port"))):
        if value:
            caps[key] = value
    return _deep_merge(caps, dict(device.capabilities))


def ios_capabilities(device: Device, candidate: Candidate, plan: SessionPlan) -> dict[str, Any]:
    """XCUITest on a real iPhone or simulator; the app from the candidate's ipa or installed bundle id."""
    app = candidate.app.ios
    assert app is not None
    caps: dict[str, Any] = {
        "platformName": "iOS",
        "appium:automationName": "XCUITest",
        "appium:bundleId": app.bundle_id,
        "appium:autoAcceptAlerts": True,
        "appium:newCommandTimeout": plan.new_command_timeout_s,
    }
    if getattr(app, "ipa", None):
        caps["appium:app"] = str(app.ipa)
    for key, value in (("appium:udid", _native(device, "udid")),
                       ("appium:platformVersion", _native(device, "os_version")),
                       ("appium:wdaLocalPort", plan.wda_local_port or _native(device, "wda_local_port")),
                       ("appium:mjpegServerPort", plan.mjpeg_port or _native(device, "mjpeg_server_port")),
                       ("appium:derivedDataPath", plan.derived_data_path or _native(device, "derived_data_path"))):
        if value:
            caps[key] = value
    return _deep_merge(caps, dict(device.capabilities))


def capabilities_for(device: Device, candidate: Candidate, plan: SessionPlan) -> dict[str, Any]:
    if device.platform == "web":
        caps = web_capabilities(device, plan)
    elif device.platform == "android":
        caps = android_capabilities(device, candidate, plan)
    else:
        caps = ios_capabilities(device, candidate, plan)
    return connection_capabilities(device, candidate, caps)
