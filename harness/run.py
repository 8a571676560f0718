"""One run of the matrix: its folder, its shared services (Appium server, app server, camera clip) and its results.

Services start when the first item needs them and stop at the end of the run, on failure and on Ctrl-C too.
Every finished item is written to results.jsonl/results.json at once, so nothing taken is lost if the run dies.
"""

from __future__ import annotations

import atexit
import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.appserver import AppServer
from harness.capture.clip import ensure_clip
from harness.clipspec import ClipSpec
from harness.config.devices import Candidate, Device
from harness.config.matrix import MatrixConfig
from harness.config.scenarios import Scenario
from harness.devices.appium_server import AppiumServer
from harness.devices.capabilities import CHROMEDRIVER_BINARY, CHROMIUM_BINARY
from harness.devices.connection import server_url
from harness.errors import InfrastructureError, ServiceUnavailableError
from harness.paths import apps_dir, cache_dir, project_root, vendor_sdk_dir
from harness.platforms.base import PlatformServices
from harness.platforms.ports import PortAllocator
from harness.results import ResultsWriter

if TYPE_CHECKING:
    from harness.gate import GateRequest
    from harness.known_issues import KnownIssues


def check_local_browser() -> None:
    """Chromium and its driver must be there before a local web session is asked for."""
    for binary in (Path(CHROMIUM_BINARY), Path(CHROMEDRIVER_BINARY)):
        if not binary.exists():
            raise ServiceUnavailableError(f"[infrastructure] {binary} not found: local web devices need Debian's "
                                      "chromium and chromium-driver; run `make setup`")


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%d-%H%M%S")


@dataclass
class Run:
    """The state of one matrix run, shared by all its items."""

    run_id: str
    run_dir: Path
    config: MatrixConfig
    scenarios: list[Scenario]
    devices: Sequence[Device]
    candidates: Sequence[Candidate]
    clip_spec: ClipSpec = field(default_factory=ClipSpec)
    write_files: bool = True  # False for a collect-only session: no run folder, no results
    writer: ResultsWriter = field(init=False)
    appium: AppiumServer | None = field(default=None, init=False)
    app_server: AppServer | None = field(default=None, init=False)
    _appium_error: InfrastructureError | None = field(default=None, init=False)
    _clip_path: Path | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    ports: PortAllocator = field(default_factory=PortAllocator, init=False)
    appium_version: str = field(default="", init=False)
    report_path: Path | None = field(default=None, init=False)
    report_error: str | None = field(default=None, init=False)
    store_location: str | None = field(default=None, init=False)
    store_error: str | None = field(default=None, init=False)
    kind: str = field(default="run", init=False)  # "run" or "nightly" (stored with the run)
    known_issues: KnownIssues | None = field(default=None, init=False)
    gate_request: GateRequest | None = field(default=None, init=False)  # when the nightly gate runs
    gate_result: dict[str, Any] | None = field(default=None, init=False)  # gate.json once evaluated
    run_failed: str | None = field(default=None, init=False)  # why the session itself stopped early
    known_matches: list[tuple[str, str]] = field(default_factory=list, init=False)  # (item name, ticket)
    report_notes: list[str] = field(default_factory=list, init=False)  # parts of the report left out, and why

    def __post_init__(self) -> None:
        if not self.write_files:
            return
        for sub in ("allure-results", "logs", "items"):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        self.writer = ResultsWriter(self.run_dir)
        atexit.register(self.stop)

    @property
    def results_dir(self) -> Path:
        return self.run_dir / "allure-results"

    @property
    def total_items(self) -> int:
        return len(self.scenarios) * len(self.devices) * len(self.candidates)

    # --- services ---------------------------------------------------------------------------------------------
    def appium_url(self) -> str:
        with self._lock:
            if self._appium_error is not None:
                raise self._appium_error
            if self.appium is not None and self.appium.status() is None:
                # The server died under us: start a fresh one rather than failing every item left.
                self.appium.stop()
                self.appium = None
            if self.appium is None:
                server = AppiumServer(project_root=project_root(), log_path=self.run_dir / "logs" / "appium.log")
                try:
                    self.appium = server.start()
                    self.appium_version = self.appium.version
                except InfrastructureError as exc:
                    self._appium_error = exc
                    raise
            return self.appium.url

    def server_url_for(self, device: Device) -> str:
        if device.connection == "local" and device.platform == "web":
            check_local_browser()
        return server_url(device, self.appium_url)

    def app_base_url(self) -> str:
        with self._lock:
            if self.app_server is None:
                self.app_server = AppServer(apps_dir(), mounts={"vendor": vendor_sdk_dir()}).start()
            return self.app_server.base_url

    def clip_path(self) -> Path:
        with self._lock:
            if self._clip_path is None:
                self._clip_path = ensure_clip(self.clip_spec, cache_dir() / "clips")
            return self._clip_path

    def services(self) -> PlatformServices:
        return PlatformServices(
            server_url_for=self.server_url_for,
            app_base_url=self.app_base_url(),
            clip_spec=self.clip_spec,
            clip_path=self.clip_path(),
            ports=self.ports,
            project_root=project_root(),
        )

    def stop(self) -> None:
        if self.appium is not None:
            self.appium.stop()
            self.appium = None
        if self.app_server is not None:
            self.app_server.stop()
            self.app_server = None
