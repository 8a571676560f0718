"""The one boundary between `harness doctor` and the machine: run a tool, look a binary up, GET a /status page,
try a port. Everything doctor decides is in harness.doctor.checks, on what these return."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from harness.devices.appium_server import port_is_free


@dataclass(frozen=True, kw_only=True)
class CommandResult:
    """What a tool printed; `error` says why it could not run at all (not found, timed out)."""

    returncode: int | None
    stdout: str = ""
    stderr: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.returncode == 0


@dataclass(frozen=True, kw_only=True)
class HttpResult:
    """A GET's answer: the HTTP status and body, or `error` when nothing answered."""

    status: int | None
    body: str = ""
    error: str | None = None


class Probes(Protocol):
    """What doctor asks of the machine."""

    os_name: str  # sys.platform: "linux", "darwin", ...

    def which(self, name: str) -> Path | None: ...

    def exists(self, path: Path) -> bool: ...

    def run(self, argv: list[str], *, env: dict[str, str] | None = None, timeout_s: float = 20.0) -> CommandResult: ...

    def http_get(self, url: str, *, timeout_s: float) -> HttpResult: ...

    def adb_devices(self, adb: Path) -> CommandResult: ...

    def port_free(self, port: int) -> bool: ...


class SystemProbes:
    """The real machine."""

    os_name = sys.platform

    def which(self, name: str) -> Path | None:
        found = shutil.which(name)
        return Path(found) if found else None

    def exists(self, path: Path) -> bool:
        return path.exists()

    def run(self, argv: list[str], *, env: dict[str, str] | None = None, timeout_s: float = 20.0) -> CommandResult:
        full_env = {**os.environ, **(env or {})}
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, env=full_env,
                                  check=False, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            return CommandResult(returncode=None, error=f"{argv[0]} not found")
        except PermissionError:
            return CommandResult(returncode=None, error=f"{argv[0]} is not executable")
        except subprocess.TimeoutExpired:
            return CommandResult(returncode=None, error=f"{' '.join(argv)} did not finish within {timeout_s:g} s")
        return CommandResult(returncode=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)

    def http_get(self, url: str, *, timeout_s: float) -> HttpResult:
        plain, auth = split_userinfo(url)
        request = urllib.request.Request(plain, headers={"Accept": "application/json"})
        if auth:
            request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as resp:
                return HttpResult(status=resp.status, body=resp.read(65536).decode("utf-8", "replace"))
        except urllib.error.HTTPError as exc:
            return HttpResult(status=exc.code, body=exc.read(65536).decode("utf-8", "replace"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return HttpResult(status=None, error=str(reason) or type(exc).__name__)

    def adb_devices(self, adb: Path) -> CommandResult:
        """`adb devices -l`, through the harness's one adb boundary (harness.devices.adb)."""
        from harness.devices.adb import list_devices

        try:
            proc = list_devices(str(adb))
        except FileNotFoundError:
            return CommandResult(returncode=None, error=f"{adb} not found")
        except subprocess.TimeoutExpired:
            return CommandResult(returncode=None, error=f"{adb} devices -l did not finish within 30 s")
        except OSError as exc:
            return CommandResult(returncode=None, error=f"{adb}: {exc}")
        return CommandResult(returncode=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)

    def port_free(self, port: int) -> bool:
        return port_is_free(port)


def split_userinfo(url: str) -> tuple[str, str]:
    """`https://user:key@host/x` -> (`https://host/x`, `user:key`): urllib sends no credentials from the URL."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, ""
    userinfo, host = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=host)), unquote(userinfo)


def read_json(text: str) -> object:
    """JSON, or None when the text is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return None
