"""Lifecycle of a local Appium 3 server: start on a free loopback port, wait until ready, log to the run folder,
stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from harness import procs
from harness.errors import InfrastructureError, ServiceUnavailableError

APPIUM_BIN_ENV = "HARNESS_APPIUM_BIN"  # another Appium executable than the project's .tools one


def appium_binary(project_root: Path) -> Path:
    """The Appium executable the harness starts: $HARNESS_APPIUM_BIN, else .tools/node_modules/.bin/appium."""
    env = os.environ.get(APPIUM_BIN_ENV)
    return Path(env) if env else project_root / ".tools" / "node_modules" / ".bin" / "appium"


def appium_home(project_root: Path) -> Path:
    """APPIUM_HOME, where the harness's Appium drivers are installed."""
    return project_root / ".tools" / "appium-home"

ALLOW_INSECURE = "uiautomator2:adb_shell"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


@dataclass
class AppiumServer:
    """A local Appium server process; use as a context manager so it stops on failure and Ctrl-C too."""

    project_root: Path
    log_path: Path
    port: int = 0
    host: str = "127.0.0.1"
    start_timeout_s: float = 60.0
    # A detached server outlives the command that started it (`harness grid up`, whose state file owns it): no
    # parent-death signal, no pid file. A run's own server is never detached.
    detached: bool = False
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _owned: procs.OwnedProcess | None = field(default=None, init=False, repr=False)
    version: str = field(default="", init=False)

    @property
    def appium_home(self) -> Path:
        return appium_home(self.project_root)

    @property
    def binary(self) -> Path:
        return appium_binary(self.project_root)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> AppiumServer:
        if not self.binary.exists():
            where = f" (${APPIUM_BIN_ENV})" if os.environ.get(APPIUM_BIN_ENV) else ""
            raise ServiceUnavailableError(
                f"[infrastructure] Appium is not installed at {self.binary}{where}; run `make setup` "
                "(scripts/setup.sh) first"
            )
        if self.port == 0:
            self.port = free_port(self.host)
        elif not port_is_free(self.port, self.host):
            raise InfrastructureError(f"cannot start Appium: port {self.host}:{self.port} is already taken")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["APPIUM_HOME"] = str(self.appium_home)
        env["APPIUM_SKIP_CHROMEDRIVER_INSTALL"] = "1"
        cmd = [
            str(self.binary), "server",
            "--address", self.host, "--port", str(self.port),
            "--log", str(self.log_path), "--log-no-colors", "--log-timestamp",
            "--local-timezone", "--log-level", "info:debug",
            # `mobile: shell` for Android phones whose adb is on the server's machine, not ours (the
            # UiAutomator2 driver checks the feature named ADB_SHELL_FEATURE = 'adb_shell').
            "--allow-insecure", ALLOW_INSECURE,
        ]
        with (self.log_path.parent / "appium.stdout.log").open("ab") as out:
            # Its own process group (chromedriver and the browsers it starts join it), SIGTERMed if the harness
            # dies, and a pid file so that the next run ends what a killed run left (harness.procs).
            self._proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True, preexec_fn=None if self.detached else procs.die_with_parent,
            )
        if not self.detached:
            self._owned = procs.record("appium", self._proc.pid)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ServiceUnavailableError(
                    f"[infrastructure] Appium server exited during start-up with code {self._proc.returncode}; "
                    f"see {self.log_path} and {self.log_path.parent / 'appium.stdout.log'}"
                )
            status = self.status()
            if status is not None:
                value = status.get("value")
                build = value.get("build", {}) if isinstance(value, dict) else {}
                self.version = str(build.get("version", ""))
                return self
            time.sleep(0.2)
        self.stop()
        raise ServiceUnavailableError(
            f"[infrastructure] Appium server did not answer /status within {self.start_timeout_s:.0f} s; "
            f"see {self.log_path}"
        )

    def status(self) -> dict[str, object] | None:
        try:
            with urllib.request.urlopen(f"{self.url}/status", timeout=2) as resp:
                data: dict[str, object] = json.loads(resp.read().decode())
                return data
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            return None

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ends the server's whole process group (chromedriver, browsers), also when the server itself died."""
        proc, self._proc = self._proc, None
        owned, self._owned = self._owned, None
        if proc is None:
            return
        if owned is not None:
            procs.end_group(owned, timeout_s=timeout_s)
        elif proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=timeout_s)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        procs.forget(owned)

    def __enter__(self) -> AppiumServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
