"""The one boundary to adb: shell commands on an Android phone, behind a small transport interface.

`LocalAdb` runs `adb -s UDID shell ...` on this machine (the Appium server is local and adb is installed);
`AppiumShell` sends the same command through the Appium session's `mobile: shell` (the phone hangs off a remote
server's adb; the server must allow the insecure feature `uiautomator2:adb_shell`, as the harness's own server does).
Nothing else in the harness runs adb.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Protocol

from harness.devices.session import DeviceSession
from harness.errors import InfrastructureError

DEFAULT_TIMEOUT_S = 20.0


class AdbError(InfrastructureError):
    """An adb shell command could not be run (no device, no adb, the server refused `mobile: shell`)."""


class AdbTransport(Protocol):
    """Runs one shell command on the phone and returns its standard output as text."""

    name: str

    def shell(self, command: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> str: ...


class LocalAdb:
    """`adb -s UDID shell COMMAND` through the adb binary on this machine."""

    name = "local adb"

    def __init__(self, udid: str, *, adb: str = "adb") -> None:
        self.udid = udid
        self.adb = adb

    @staticmethod
    def available(adb: str = "adb") -> bool:
        return shutil.which(adb) is not None

    def shell(self, command: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> str:
        try:
            proc = subprocess.run([self.adb, "-s", self.udid, "shell", command], capture_output=True, text=True,
                                  timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AdbError(f"[infrastructure] adb -s {self.udid} shell {command!r} failed: {exc}") from exc
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise AdbError(f"[infrastructure] adb -s {self.udid} shell {command!r} exited {proc.returncode}: "
                           f"{detail[0] if detail else 'no output'}")
        return proc.stdout


def list_devices(adb: str = "adb", *, timeout_s: float = 30.0) -> subprocess.CompletedProcess[str]:
    """`adb devices -l` on this machine, as run (`harness doctor` reads it); OSError / TimeoutExpired propagate."""
    return subprocess.run([adb, "devices", "-l"], capture_output=True, text=True, timeout=timeout_s, check=False,
                          stdin=subprocess.DEVNULL)


class AppiumShell:
    """`mobile: shell` of a UiAutomator2 session (the server runs adb)."""

    name = "appium mobile: shell"

    def __init__(self, session: DeviceSession) -> None:
        self.session = session

    def shell(self, command: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> str:
        try:
            out = self.session.mobile("shell", {"command": command, "args": [], "timeout": int(timeout_s * 1000)})
        except InfrastructureError as exc:
            raise AdbError(f"[infrastructure] mobile: shell {command!r} on {self.session.label} failed: {exc}. "
                           "The Appium server must run with --allow-insecure uiautomator2:adb_shell") from exc
        return str(out or "")


def choose_transport(*, session: DeviceSession, udid: str | None, server_is_local: bool) -> AdbTransport:
    """Local adb when the server is on this machine, adb is installed and the phone's udid is known; else
    Appium's `mobile: shell`."""
    if server_is_local and udid and LocalAdb.available():
        return LocalAdb(udid)
    return AppiumShell(session)
