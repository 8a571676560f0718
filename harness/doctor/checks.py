"""What each device in devices.yaml needs before a run, as small checks: Appium and the platform's driver, adb and
an authorised phone, the iOS tools, Chromium + chromedriver + ffmpeg, a reachable remote server, free fixed ports.

Every check returns a `Check(name, ok, detail, fix)`; the machine is only reached through harness.doctor.probes,
so the decisions here are tested on recorded outputs of `adb devices -l` and `appium driver list`.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.config.devices import Device
from harness.config.errors_fmt import mask_credentials
from harness.devices.appium_server import APPIUM_BIN_ENV, appium_binary, appium_home
from harness.devices.capabilities import CHROMEDRIVER_BINARY, CHROMIUM_BINARY
from harness.doctor.probes import CommandResult, HttpResult, Probes, read_json

# The Appium driver each platform is driven with (its name in `appium driver list`).
DRIVERS = {"web": "chromium", "android": "uiautomator2", "ios": "xcuitest"}
DRIVER_PACKAGES = {"chromium": "appium-chromium-driver", "uiautomator2": "appium-uiautomator2-driver",
                   "xcuitest": "appium-xcuitest-driver"}
STATUS_TIMEOUT_S = 5.0
SETUP = "run `make setup` (scripts/setup.sh)"
PHONES_DOC = "docs/phones.md"


@dataclass(frozen=True, kw_only=True)
class Check:
    """One thing a device needs: whether it holds, what was found, and how to fix it when it does not."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True, kw_only=True)
class DeviceReport:
    device: str
    platform: str
    connection: str  # masked
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


# --- recorded outputs -> facts -----------------------------------------------------------------------------------

ADB_STATES = ("device", "unauthorized", "offline", "no permissions", "authorizing", "connecting", "recovery",
              "rescue", "sideload", "bootloader", "host", "unknown")
_ADB_LINE = re.compile(r"^(?P<serial>\S+)\s+(?P<state>" + "|".join(ADB_STATES) + r")\b(?P<rest>.*)$")


@dataclass(frozen=True, kw_only=True)
class AdbDevice:
    serial: str
    state: str
    details: dict[str, str] = field(default_factory=dict)  # usb, product, model, device, transport_id


def parse_adb_devices(text: str) -> list[AdbDevice]:
    """The devices in `adb devices [-l]` output; daemon start-up lines and the header are skipped."""
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("*") or line.startswith("List of devices"):
            continue
        if "\t" in line:  # `adb devices`: serial TAB state (a serial a reporter masked may hold spaces)
            serial, rest = (part.strip() for part in line.split("\t", 1))
            line = f"{serial.replace(' ', '_')} {rest}"
        match = _ADB_LINE.match(line)
        if match is None:
            continue
        rest = match.group("rest")
        details = dict(part.split(":", 1) for part in rest.split() if ":" in part and "(" not in rest)
        found.append(AdbDevice(serial=match.group("serial"), state=match.group("state"), details=details))
    return found


def parse_driver_list(text: str) -> dict[str, str]:
    """Installed drivers -> version, from `appium driver list --installed --json`."""
    data = read_json(text[text.find("{"):] if "{" in text else text)
    if not isinstance(data, dict):
        return {}
    return {str(name): str(info.get("version", "")) for name, info in data.items()
            if isinstance(info, dict) and info.get("installed", True)}


# --- checks ------------------------------------------------------------------------------------------------------


def check_appium(probes: Probes, root: Path) -> Check:
    binary = appium_binary(root)
    if probes.exists(binary):
        return Check(name="appium", ok=True, detail=f"installed at {binary}")
    where = f" (${APPIUM_BIN_ENV})" if binary != root / ".tools" / "node_modules" / ".bin" / "appium" else ""
    return Check(name="appium", ok=False, detail=f"not installed at {binary}{where}", fix=SETUP)


def check_driver(listing: CommandResult, platform: str) -> Check:
    driver = DRIVERS[platform]
    name = f"appium driver {driver}"
    if not listing.ok:
        reason = listing.error or (listing.stderr.strip().splitlines() or [f"exit {listing.returncode}"])[-1]
        return Check(name=name, ok=False, detail=f"`appium driver list` failed: {reason}", fix=SETUP)
    installed = parse_driver_list(listing.stdout)
    if driver in installed:
        return Check(name=name, ok=True, detail=f"{DRIVER_PACKAGES[driver]} {installed[driver]} installed")
    return Check(name=name, ok=False,
                 detail=f"not installed (installed: {', '.join(sorted(installed)) or 'none'})",
                 fix=f"APPIUM_HOME=.tools/appium-home .tools/node_modules/.bin/appium driver install --source=npm "
                     f"{DRIVER_PACKAGES[driver]}" + ("" if platform == "ios" else f", or {SETUP}"))


def check_file(name: str, path: Path, probes: Probes, *, fix: str) -> Check:
    if probes.exists(path):
        return Check(name=name, ok=True, detail=f"found at {path}")
    return Check(name=name, ok=False, detail=f"{path} not found", fix=fix)


def check_on_path(name: str, probes: Probes, *, fix: str) -> Check:
    found = probes.which(name)
    if found is not None:
        return Check(name=name, ok=True, detail=f"found at {found}")
    return Check(name=name, ok=False, detail=f"{name} is not on PATH", fix=fix)


def check_android_device(listing: CommandResult, udid: str | None) -> Check:
    """The phone is connected and authorised: state `device` in `adb devices -l`, for the udid in devices.yaml or
    the only phone connected."""
    name = "android device"
    if not listing.ok:
        reason = listing.error or (listing.stderr.strip().splitlines() or [f"exit {listing.returncode}"])[-1]
        return Check(name=name, ok=False, detail=f"`adb devices -l` failed: {reason}",
                     fix="adb kill-server && adb start-server, then run doctor again")
    devices = parse_adb_devices(listing.stdout)
    listed = ", ".join(f"{d.serial} ({d.state})" for d in devices) or "none"
    if udid is not None:
        device = next((d for d in devices if d.serial == udid), None)
        if device is None:
            return Check(name=name, ok=False, detail=f"{udid} is not connected (connected: {listed})",
                         fix=f"plug the phone in over USB, enable USB debugging ({PHONES_DOC}); or correct "
                             "native.udid in devices.yaml")
    elif not devices:
        return Check(name=name, ok=False, detail="no Android device connected",
                     fix=f"plug the phone in over USB with developer options and USB debugging on ({PHONES_DOC})")
    elif len(devices) > 1:
        return Check(name=name, ok=False, detail=f"{len(devices)} devices connected and no native.udid: {listed}",
                     fix="set native.udid in devices.yaml to one of them")
    else:
        device = devices[0]
    return _adb_state(name, device)


def _adb_state(name: str, device: AdbDevice) -> Check:
    model = device.details.get("model", "").replace("_", " ")
    label = f"{device.serial}" + (f" ({model})" if model else "")
    if device.state == "device":
        return Check(name=name, ok=True, detail=f"{label} connected and authorised")
    fixes = {
        "unauthorized": "unlock the phone and accept 'Allow USB debugging?' for this computer (tick 'Always "
                        "allow'); no prompt: Developer options > Revoke USB debugging authorisations, replug",
        "offline": "replug the cable (a data cable, not charge-only), then adb kill-server && adb start-server",
        "no permissions": "add a udev rule for the phone's USB vendor id and put this user in the plugdev group "
                          "(Debian: apt-get install android-sdk-platform-tools-common), then replug",
        "authorizing": "wait a few seconds and run doctor again",
        "connecting": "wait a few seconds and run doctor again",
    }
    return Check(name=name, ok=False, detail=f"{label} is {device.state}",
                 fix=fixes.get(device.state, f"boot the phone into Android (it is in {device.state} mode)"))


def check_ios_tools(probes: Probes, udid: str | None) -> list[Check]:
    """Xcode's command-line tools and the device: local iOS devices need macOS."""
    if probes.os_name != "darwin":
        return [Check(name="ios tools", ok=False,
                      detail=f"local iOS devices need macOS with Xcode (xcrun); this machine is {probes.os_name}",
                      fix="run this device from a Mac with Xcode, or give it a remote connection: (the URL of an "
                          f"Appium server on a Mac, or a device farm) ({PHONES_DOC})")]
    xcrun = check_on_path("xcrun", probes, fix="install Xcode and run `xcode-select --install`")
    if not xcrun.ok:
        return [xcrun]
    listing = probes.run(["xcrun", "xctrace", "list", "devices"], timeout_s=60.0)
    if not listing.ok:
        reason = listing.error or (listing.stderr.strip().splitlines() or [f"exit {listing.returncode}"])[-1]
        return [xcrun, Check(name="ios device", ok=False, detail=f"`xcrun xctrace list devices` failed: {reason}",
                             fix="open Xcode once to finish its set-up, then run doctor again")]
    if udid is None:
        return [xcrun, Check(name="ios device", ok=True,
                             detail="no native.udid: Appium picks the connected device (xcrun xctrace list devices)")]
    if udid in listing.stdout:
        return [xcrun, Check(name="ios device", ok=True, detail=f"{udid} listed by xcrun xctrace")]
    return [xcrun, Check(name="ios device", ok=False, detail=f"{udid} is not listed by `xcrun xctrace list devices`",
                         fix="plug the iPhone in, unlock it and trust this Mac; enable Developer Mode "
                             f"(Settings > Privacy & Security) ({PHONES_DOC})")]


def status_url(connection: str) -> str:
    """The /status page of an Appium server or Grid at `connection` (its base path kept, e.g. /wd/hub/status)."""
    return connection.rstrip("/") + "/status"


def check_remote(probes: Probes, connection: str, *, timeout_s: float = STATUS_TIMEOUT_S) -> Check:
    """A remote Appium server or Grid answers GET /status and says it is ready. Credentials never printed."""
    url = status_url(connection)
    shown = mask_credentials(url)
    return judge_status(probes.http_get(url, timeout_s=timeout_s), shown, timeout_s=timeout_s)


def judge_status(answer: HttpResult, shown_url: str, *, timeout_s: float) -> Check:
    name = "remote server"
    if answer.status is None:
        return Check(name=name, ok=False, detail=f"GET {shown_url}: no answer within {timeout_s:g} s "
                                                 f"({mask_credentials(answer.error or 'no answer')})",
                     fix="start the Appium server or Grid, or correct connection: in devices.yaml (host, port, "
                         "base path such as /wd/hub); from a farm, check the VPN or tunnel")
    if answer.status in (401, 403):
        return Check(name=name, ok=False, detail=f"GET {shown_url}: HTTP {answer.status}, the credentials were "
                                                 "refused", fix="check the user and access key in connection:")
    if answer.status != 200:
        return Check(name=name, ok=False, detail=f"GET {shown_url}: HTTP {answer.status}",
                     fix="is this the URL of an Appium server or Selenium Grid? Check the base path (/wd/hub)")
    data = read_json(answer.body)
    value: Any = data.get("value") if isinstance(data, dict) else None
    if not isinstance(value, dict):
        return Check(name=name, ok=False, detail=f"GET {shown_url}: HTTP 200 but not a WebDriver /status answer",
                     fix="is this the URL of an Appium server or Selenium Grid?")
    message = str(value.get("message", "")).strip()
    build = value.get("build")
    version = build.get("version") if isinstance(build, dict) else None
    what = f"version {version}" if version else (message or "ready")
    if value.get("ready") is False:
        return Check(name=name, ok=False, detail=f"GET {shown_url}: answers but is not ready ({message})",
                     fix="wait for the Grid's nodes to register, or check the farm's status page")
    return Check(name=name, ok=True, detail=f"GET {shown_url}: ready, {what}")


def fixed_ports(device: Device) -> list[tuple[str, int]]:
    """The ports devices.yaml pins for a device: the native ports (system_port, chromedriver_port,
    mjpeg_server_port, wda_local_port) and capabilities ending in Port (appium:mjpegServerPort, ...)."""
    ports: list[tuple[str, int]] = []
    native = device.native
    for key in ("system_port", "chromedriver_port", "mjpeg_server_port", "wda_local_port"):
        value = getattr(native, key, None) if native is not None else None
        if isinstance(value, int):
            ports.append((f"native.{key}", value))
    for key, value in device.capabilities.items():
        if str(key).endswith("Port") and isinstance(value, int) and not isinstance(value, bool):
            ports.append((f"capabilities.{key}", value))
    return ports


def check_ports(probes: Probes, device: Device) -> list[Check]:
    checks = []
    for key, port in fixed_ports(device):
        if probes.port_free(port):
            checks.append(Check(name=f"port {port}", ok=True, detail=f"{key} is free on this machine"))
        else:
            checks.append(Check(name=f"port {port}", ok=False, detail=f"{key} is taken on this machine",
                                fix=f"stop what listens there (`ss -ltnp 'sport = :{port}'` names it) or pick "
                                    f"another port for {key} in devices.yaml"))
    return checks


# --- per device --------------------------------------------------------------------------------------------------


class Doctor:
    """Checks devices on one machine; each tool is asked once per doctor run."""

    def __init__(self, probes: Probes, *, root: Path) -> None:
        self.probes = probes
        self.root = root

    @functools.cached_property
    def driver_listing(self) -> CommandResult:
        binary = appium_binary(self.root)
        if not self.probes.exists(binary):
            return CommandResult(returncode=None, error=f"Appium is not installed at {binary}")
        return self.probes.run([str(binary), "driver", "list", "--installed", "--json"],
                               env={"APPIUM_HOME": str(appium_home(self.root))}, timeout_s=60.0)

    @functools.cached_property
    def adb(self) -> Path | None:
        found = self.probes.which("adb")
        if found is not None:
            return found
        for var in ("ANDROID_HOME", "ANDROID_SDK_ROOT"):
            sdk = os.environ.get(var)
            if sdk and self.probes.exists(Path(sdk) / "platform-tools" / "adb"):
                return Path(sdk) / "platform-tools" / "adb"
        return None

    @functools.cached_property
    def adb_listing(self) -> CommandResult:
        assert self.adb is not None
        return self.probes.adb_devices(self.adb)

    def check_device(self, device: Device) -> DeviceReport:
        platform = str(device.platform)
        connection = str(device.connection)
        checks: list[Check] = []
        if connection != "local":
            checks.append(check_remote(self.probes, connection))
        else:
            checks.append(check_appium(self.probes, self.root))
            checks.append(check_driver(self.driver_listing, platform))
            if platform == "web":
                checks += self._web()
            elif platform == "android":
                checks += self._android(device.native.udid if device.native else None)
            else:
                checks += check_ios_tools(self.probes, device.native.udid if device.native else None)
            checks += check_ports(self.probes, device)
        return DeviceReport(device=str(device.id), platform=platform, connection=mask_credentials(connection),
                            checks=tuple(checks))

    def _web(self) -> list[Check]:
        apt = "apt-get install chromium chromium-driver ffmpeg, or " + SETUP
        return [check_file("chromium", Path(CHROMIUM_BINARY), self.probes, fix=apt),
                check_file("chromedriver", Path(CHROMEDRIVER_BINARY), self.probes, fix=apt),
                check_on_path("ffmpeg", self.probes, fix=apt)]

    def _android(self, udid: str | None) -> list[Check]:
        # The UiAutomator2 driver's own requirements: ANDROID_HOME (or ANDROID_SDK_ROOT) and a Java runtime.
        sdk = next((f"${var}={os.environ[var]}" for var in ("ANDROID_HOME", "ANDROID_SDK_ROOT")
                    if os.environ.get(var)), None)
        checks = [
            Check(name="android sdk", ok=True, detail=sdk) if sdk else Check(
                name="android sdk", ok=False, detail="neither ANDROID_HOME nor ANDROID_SDK_ROOT is set",
                fix="export ANDROID_HOME=<the SDK folder holding platform-tools/> (Debian's android-sdk package: "
                    "/usr/lib/android-sdk)"),
            check_on_path("java", self.probes, fix="apt-get install default-jre-headless (the uiautomator2 driver "
                                                   "needs Java)"),
        ]
        if self.adb is None:
            return [*checks, Check(name="adb", ok=False,
                                   detail="adb is not on PATH (nor in $ANDROID_HOME/platform-tools)",
                                   fix="apt-get install adb, or install Android SDK platform-tools and put them on "
                                       "PATH")]
        return [*checks, Check(name="adb", ok=True, detail=f"found at {self.adb}"),
                check_android_device(self.adb_listing, udid)]


def format_reports(reports: Sequence[DeviceReport]) -> str:
    """One line per check: `PASS name: detail` or `FAIL name: detail -> fix: ...`, under each device."""
    lines = []
    for report in reports:
        lines.append(f"{report.device} ({report.platform}, {report.connection})")
        for c in report.checks:
            line = f"  {'PASS' if c.ok else 'FAIL'}  {c.name}: {c.detail}"
            if not c.ok and c.fix:
                line += f" -> fix: {c.fix}"
            lines.append(line)
    failed = sum(not c.ok for r in reports for c in r.checks)
    total = sum(len(r.checks) for r in reports)
    lines.append(f"doctor: {total - failed} of {total} checks passed"
                 + (f", {failed} failed" if failed else "") + f" on {len(reports)} device(s)")
    return "\n".join(lines)
