"""`harness doctor`: the checks' decisions on recorded real outputs of `adb devices -l` and `appium driver list`
(tests/fixtures/doctor/SOURCES.md), and the real command on this machine: the shipped devices.yaml passes, phones
that are not here fail with their fix, a closed loopback port fails, a real local HTTP server answering /status
passes (and receives the credentials the URL carries, which the output never shows)."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.config import load_config
from harness.config.errors_fmt import mask_credentials
from harness.doctor.checks import (
    Doctor,
    check_android_device,
    check_driver,
    check_ios_tools,
    check_ports,
    fixed_ports,
    format_reports,
    judge_status,
    parse_adb_devices,
    parse_driver_list,
    status_url,
)
from harness.doctor.probes import CommandResult, HttpResult, split_userinfo

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "doctor"


def _out(name: str) -> CommandResult:
    return CommandResult(returncode=0, stdout=(FIXTURES / name).read_text(encoding="utf-8"))


# --- recorded outputs -------------------------------------------------------------------------------------------


def test_parse_adb_devices_long_form() -> None:
    (device,) = parse_adb_devices((FIXTURES / "adb_devices_l_mi8.txt").read_text())
    assert (device.serial, device.state) == ("a0737173", "device")
    assert device.details == {"usb": "1-1", "product": "dipper", "model": "MI_8", "device": "dipper",
                              "transport_id": "2"}


@pytest.mark.parametrize(("name", "serial", "state"), [
    ("adb_devices_unauthorized.txt", "8XV5000A20007972", "unauthorized"),
    ("adb_devices_offline.txt", "emulator-5554", "offline"),
    ("adb_devices_no_permissions.txt", "<ID_removed>", "no permissions"),
])
def test_parse_adb_devices_states(name: str, serial: str, state: str) -> None:
    (device,) = parse_adb_devices((FIXTURES / name).read_text())
    assert (device.serial, device.state) == (serial, state)


def test_parse_adb_devices_none_and_daemon_lines() -> None:
    stdout = (FIXTURES / "adb_devices_l_none.txt").read_text()
    stderr = (FIXTURES / "adb_devices_l_none.stderr.txt").read_text()
    assert parse_adb_devices(stdout) == []
    assert parse_adb_devices(stderr + stdout) == []  # 2>&1 as some wrappers capture it


def test_parse_driver_list_recorded() -> None:
    installed = parse_driver_list((FIXTURES / "appium_driver_list_installed.json").read_text())
    assert installed == {"chromium": "3.1.1", "uiautomator2": "8.7.0", "fake": "6.2.4"}
    assert parse_driver_list("not json") == {}


# --- checks on recorded outputs ---------------------------------------------------------------------------------


def test_driver_check_per_platform() -> None:
    listing = _out("appium_driver_list_installed.json")
    assert check_driver(listing, "web").ok
    assert check_driver(listing, "android").detail == "appium-uiautomator2-driver 8.7.0 installed"
    ios = check_driver(listing, "ios")
    assert not ios.ok
    assert ios.detail == "not installed (installed: chromium, fake, uiautomator2)"
    assert "appium driver install --source=npm appium-xcuitest-driver" in ios.fix
    broken = check_driver(CommandResult(returncode=None, error="Appium is not installed at /x"), "web")
    assert not broken.ok
    assert "Appium is not installed at /x" in broken.detail


def test_android_device_connected_and_authorised() -> None:
    check = check_android_device(_out("adb_devices_l_mi8.txt"), None)
    assert check.ok, check
    assert check.detail == "a0737173 (MI 8) connected and authorised"
    assert check_android_device(_out("adb_devices_l_mi8.txt"), "a0737173").ok


@pytest.mark.parametrize(("name", "detail", "fix"), [
    ("adb_devices_unauthorized.txt", "8XV5000A20007972 is unauthorized", "Allow USB debugging?"),
    ("adb_devices_offline.txt", "emulator-5554 is offline", "adb kill-server && adb start-server"),
    ("adb_devices_no_permissions.txt", "is no permissions", "udev rule"),
    ("adb_devices_l_none.txt", "no Android device connected", "USB debugging"),
])
def test_android_device_not_ready_says_why_and_the_fix(name: str, detail: str, fix: str) -> None:
    check = check_android_device(_out(name), None)
    assert not check.ok
    assert detail in check.detail
    assert fix in check.fix


def test_android_device_udid_choice() -> None:
    # Two real lines from the recordings above, as adb lists two phones.
    two = CommandResult(returncode=0, stdout=(FIXTURES / "adb_devices_l_mi8.txt").read_text().rstrip("\n")
                        + "\n8XV5000A20007972    unauthorized\n\n")
    several = check_android_device(two, None)
    assert not several.ok
    assert several.detail == ("2 devices connected and no native.udid: a0737173 (device), "
                              "8XV5000A20007972 (unauthorized)")
    assert check_android_device(two, "a0737173").ok
    assert not check_android_device(two, "8XV5000A20007972").ok
    missing = check_android_device(two, "R5CT123ABC")
    assert not missing.ok
    assert missing.detail.startswith("R5CT123ABC is not connected")
    failed = check_android_device(CommandResult(returncode=1, stderr="error: cannot connect to daemon\n"), None)
    assert not failed.ok
    assert "cannot connect to daemon" in failed.detail


@dataclass
class RecordedProbes:
    """The machine as recorded outputs (unit tests of the decisions only)."""

    os_name: str = "linux"
    files: set[str] = field(default_factory=set)
    outputs: dict[str, CommandResult] = field(default_factory=dict)
    taken_ports: set[int] = field(default_factory=set)
    calls: list[list[str]] = field(default_factory=list)

    def which(self, name: str) -> Path | None:
        return Path(f"/usr/bin/{name}") if f"/usr/bin/{name}" in self.files else None

    def exists(self, path: Path) -> bool:
        return str(path) in self.files

    def run(self, argv: list[str], *, env: dict[str, str] | None = None, timeout_s: float = 20.0) -> CommandResult:
        self.calls.append(argv)
        return self.outputs.get(" ".join(argv[1:]), CommandResult(returncode=None, error=f"{argv[0]} not found"))

    def http_get(self, url: str, *, timeout_s: float) -> HttpResult:
        return HttpResult(status=None, error="Connection refused")

    def adb_devices(self, adb: Path) -> CommandResult:
        return self.run([str(adb), "devices", "-l"])

    def port_free(self, port: int) -> bool:
        return port not in self.taken_ports


def test_ios_needs_macos_on_linux() -> None:
    (check,) = check_ios_tools(RecordedProbes(os_name="linux"), "00008110-001A2B3C4D5E6F7A")
    assert not check.ok
    assert "need macOS with Xcode" in check.detail
    assert "this machine is linux" in check.detail
    assert "remote connection" in check.fix


def test_ios_on_macos_looks_the_udid_up() -> None:
    probes = RecordedProbes(os_name="darwin", files={"/usr/bin/xcrun"},
                            outputs={"xctrace list devices": CommandResult(returncode=0, stdout="== Devices ==\n")})
    xcrun, device = check_ios_tools(probes, "00008110-001A2B3C4D5E6F7A")
    assert xcrun.ok
    assert not device.ok
    assert "is not listed" in device.detail
    assert "Developer Mode" in device.fix


def _devices_yaml(tmp_path: Path, devices: str) -> Path:
    """The shipped devices.yaml with its devices: list replaced."""
    text = (ROOT / "devices.yaml").read_text(encoding="utf-8")
    head, rest = text.split("devices:\n", 1)
    tail = rest[rest.index("\n# Locator maps"):]
    path = tmp_path / "devices.yaml"
    path.write_text(head + "devices:\n" + devices + tail, encoding="utf-8")
    for app_dir in ("apps",):
        link = tmp_path / app_dir
        if not link.exists():
            link.symlink_to(ROOT / app_dir)
    return path


PHONES = """\
  - id: pixel-8
    name: Google Pixel 8 over USB
    platform: android
    tags: {tier: flagship}
    native: {system_port: SYSTEM_PORT}
    capabilities: {"appium:mjpegServerPort": MJPEG_PORT}
  - id: iphone-15
    name: iPhone 15 over USB
    platform: ios
    tags: {tier: flagship}
    native: {udid: 00008120-001A2B3C4D5E6F7A, wda_local_port: 8100, mjpeg_server_port: 9210}
"""


def _with_apps(path: Path) -> None:
    """Give every candidate an android and an ios app, as a devices.yaml for phones has."""
    text = path.read_text(encoding="utf-8")
    text = text.replace("      web: {url: ", "      android: {package: com.example.demo}\n"
                                              "      ios: {bundle_id: com.example.demo}\n      web: {url: ")
    path.write_text(text, encoding="utf-8")


def test_fixed_ports_and_their_check(tmp_path: Path) -> None:
    path = _devices_yaml(tmp_path, PHONES.replace("SYSTEM_PORT", "8201").replace("MJPEG_PORT", "7810"))
    _with_apps(path)
    pixel, iphone = load_config(path).devices
    assert fixed_ports(pixel) == [("native.system_port", 8201), ("capabilities.appium:mjpegServerPort", 7810)]
    assert fixed_ports(iphone) == [("native.mjpeg_server_port", 9210), ("native.wda_local_port", 8100)]
    free, taken = check_ports(RecordedProbes(taken_ports={7810}), pixel)
    assert free.ok
    assert free.name == "port 8201"
    assert not taken.ok
    assert taken.detail == "capabilities.appium:mjpegServerPort is taken on this machine"


def test_doctor_for_a_phone_on_recorded_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_HOME", "/opt/android-sdk")
    monkeypatch.delenv("ANDROID_SDK_ROOT", raising=False)
    path = _devices_yaml(tmp_path, PHONES.replace("SYSTEM_PORT", "8201").replace("MJPEG_PORT", "7810"))
    _with_apps(path)
    pixel, _ = load_config(path).devices
    root = Path("/home/ci/sdk-harness")
    probes = RecordedProbes(
        files={str(root / ".tools/node_modules/.bin/appium"), "/usr/bin/adb", "/usr/bin/java"},
        outputs={"driver list --installed --json": _out("appium_driver_list_installed.json"),
                 "devices -l": _out("adb_devices_unauthorized.txt")})
    report = Doctor(probes, root=root).check_device(pixel)
    assert [(c.name, c.ok) for c in report.checks] == [
        ("appium", True), ("appium driver uiautomator2", True), ("android sdk", True), ("java", True),
        ("adb", True), ("android device", False), ("port 8201", True), ("port 7810", True)]
    assert report.checks[2].detail == "$ANDROID_HOME=/opt/android-sdk"
    text = format_reports([report])
    assert "  FAIL  android device: 8XV5000A20007972 is unauthorized -> fix: unlock the phone" in text
    assert text.endswith("doctor: 7 of 8 checks passed, 1 failed on 1 device(s)")
    monkeypatch.delenv("ANDROID_HOME")
    no_sdk = Doctor(probes, root=root).check_device(pixel).checks[2]
    assert not no_sdk.ok
    assert no_sdk.detail == "neither ANDROID_HOME nor ANDROID_SDK_ROOT is set"


# --- remote /status --------------------------------------------------------------------------------------------


def test_status_url_and_userinfo() -> None:
    assert status_url("https://hub.example.com/wd/hub/") == "https://hub.example.com/wd/hub/status"
    assert split_userinfo("https://alice:k%40y@hub.example.com:443/wd/hub") == (
        "https://hub.example.com:443/wd/hub", "alice:k@y")
    assert split_userinfo("http://127.0.0.1:4723") == ("http://127.0.0.1:4723", "")


@pytest.mark.parametrize(("answer", "ok", "text"), [
    (HttpResult(status=200, body='{"value": {"ready": true, "build": {"version": "3.8.0"}}}'), True,
     "ready, version 3.8.0"),
    (HttpResult(status=200, body='{"value": {"ready": false, "message": "Selenium Grid not ready."}}'), False,
     "not ready (Selenium Grid not ready.)"),
    (HttpResult(status=401, body=""), False, "credentials were refused"),
    (HttpResult(status=404, body="Not Found"), False, "HTTP 404"),
    (HttpResult(status=200, body="<html>"), False, "not a WebDriver /status answer"),
    (HttpResult(status=None, error="[Errno 111] Connection refused"), False, "no answer within 5 s"),
])
def test_judge_status(answer: HttpResult, ok: bool, text: str) -> None:
    check = judge_status(answer, "http://u:***@h/status", timeout_s=5.0)
    assert check.ok is ok
    assert text in check.detail
    assert ok or check.fix


# --- the real command on this machine ---------------------------------------------------------------------------


def _doctor(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", "doctor", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=180, check=False, env={**os.environ, **(env or {})})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def adb_server_port() -> Iterator[dict[str, str]]:
    """A private adb server port: the adb daemon doctor starts is this test's, and is stopped afterwards."""
    port = _free_port()
    yield {"ANDROID_ADB_SERVER_PORT": str(port)}
    subprocess.run(["adb", "-P", str(port), "kill-server"], capture_output=True, check=False, timeout=30)


def test_shipped_devices_pass_on_this_machine() -> None:
    """The web devices of devices.yaml: Appium, its chromium driver, Chromium, chromedriver and ffmpeg are here."""
    proc = _doctor("--devices", ROOT / "devices.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FAIL" not in proc.stdout
    for name in ("appium", "appium driver chromium", "chromium", "chromedriver", "ffmpeg"):
        assert f"  PASS  {name}: " in proc.stdout
    assert proc.stdout.rstrip().endswith("doctor: 15 of 15 checks passed on 3 device(s)")


def test_phones_that_are_not_here_fail_with_each_fix(tmp_path: Path, adb_server_port: dict[str, str]) -> None:
    """An android and an ios phone on this Linux machine without phones: exit 1, every missing piece named."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        path = _devices_yaml(tmp_path, PHONES.replace("SYSTEM_PORT", str(taken)).replace("MJPEG_PORT", "7810"))
        _with_apps(path)
        proc = _doctor("--devices", path, env=adb_server_port)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    android, ios = out.split("iphone-15 (ios, local)")
    assert "pixel-8 (android, local)" in android
    if "  PASS  adb: " in android:  # Debian adb installed: the daemon answers, and no phone is connected
        assert "  FAIL  android device: no Android device connected -> fix: plug the phone in" in android
    else:
        assert "  FAIL  adb: adb is not on PATH" in android
        assert "apt-get install adb" in android
    assert "  PASS  android sdk: " in android or "  FAIL  android sdk: neither ANDROID_HOME" in android
    assert "  PASS  java: " in android or "  FAIL  java: java is not on PATH" in android
    assert f"  FAIL  port {taken}: native.system_port is taken on this machine -> fix: " in android
    assert "  PASS  port 7810: " in android
    assert "  FAIL  ios tools: local iOS devices need macOS with Xcode (xcrun); this machine is linux" in ios
    assert "  FAIL  appium driver xcuitest: not installed" in ios
    assert "driver install --source=npm appium-xcuitest-driver" in ios
    assert "  PASS  appium: " in ios


class _StatusHandler(BaseHTTPRequestHandler):
    seen: list[tuple[str, str]] = []  # noqa: RUF012 (one test server at a time)

    def do_GET(self) -> None:
        type(self).seen.append((self.path, self.headers.get("Authorization", "")))
        body = json.dumps({"value": {"ready": True, "message": "The server is ready to accept new connections",
                                     "build": {"version": "3.8.0"}}}).encode()
        self.send_response(200 if self.path == "/wd/hub/status" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


REMOTE = """\
  - id: farm-s23
    name: Galaxy S23 on a remote Appium server
    platform: android
    connection: "URL"
    tags: {tier: flagship}
"""


def test_remote_server_answering_status_passes(tmp_path: Path) -> None:
    """A real local HTTP server answers /wd/hub/status as Appium does: PASS; it got the URL's credentials as
    Basic auth, and the output shows the user but never the key."""
    _StatusHandler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StatusHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://alice:S3CRET-KEY@127.0.0.1:{server.server_address[1]}/wd/hub"
        path = _devices_yaml(tmp_path, REMOTE.replace("URL", url))
        _with_apps(path)
        proc = _doctor("--devices", path)
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shown = mask_credentials(f"{url}/status")  # the harness's one masking rule
    assert "***@127.0.0.1" in shown
    assert f"  PASS  remote server: GET {shown}: ready, version 3.8.0" in proc.stdout
    assert "S3CRET" not in proc.stdout + proc.stderr
    assert _StatusHandler.seen == [("/wd/hub/status", "Basic " + base64.b64encode(b"alice:S3CRET-KEY").decode())]


def test_unreachable_remote_fails_with_the_fix(tmp_path: Path) -> None:
    port = _free_port()  # closed: nothing listens there
    path = _devices_yaml(tmp_path, REMOTE.replace("URL", f"http://bob:T0KEN@127.0.0.1:{port}"))
    _with_apps(path)
    proc = _doctor("--devices", path, "--device", "farm-s23")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if "remote server" in ln)
    shown = mask_credentials(f"http://bob:T0KEN@127.0.0.1:{port}/status")
    assert line.startswith(f"  FAIL  remote server: GET {shown}: no answer within 5 s")
    assert "-> fix: start the Appium server or Grid, or correct connection: in devices.yaml" in line
    assert "T0KEN" not in proc.stdout + proc.stderr


def test_bad_devices_file_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "devices.yaml"
    bad.write_text((ROOT / "devices.yaml").read_text().replace("platform: web", "platform: webos", 1))
    proc = _doctor("--devices", bad)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "devices[0].platform: 'webos' is not allowed" in proc.stderr
    unknown = _doctor("--devices", ROOT / "devices.yaml", "--device", "nokia-3310")
    assert unknown.returncode == 2
    assert "nokia-3310" in unknown.stderr


def test_json_output(tmp_path: Path) -> None:
    proc = _doctor("--devices", ROOT / "devices.yaml", "--device", "pixel7", "--json")
    assert proc.returncode == 0, proc.stderr
    (report,) = json.loads(proc.stdout)
    assert report["device"] == "pixel7"
    assert report["ok"] is True
    assert [c["name"] for c in report["checks"]] == ["appium", "appium driver chromium", "chromium", "chromedriver",
                                                     "ffmpeg"]
