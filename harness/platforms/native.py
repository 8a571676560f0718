"""What Android and iOS devices share: an Appium session on a phone, frames from its screen recording (or a
replayed file, for testing without a phone), key frames read back from that video, launch through Appium's
app-management commands, crash detection from the app's state, the app's own recording pulled from the device.

Subclasses (android.py, ios.py) add their ports, their launch commands and their clocks. A command the driver
does not implement is noted once in `notes` (what was not measured and why) and never taken for an app defect.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.analyze import decode_timeline
from harness.capture.phone import FrameSource, ReplaySource, ScreenRecording, first_camera_frame_ms, frames_at
from harness.config.devices import Candidate, Device
from harness.devices.capabilities import SessionPlan, capabilities_for
from harness.devices.connection import begin_session
from harness.devices.session import CommandUnsupported, DeviceSession
from harness.errors import AppCrashError, InfrastructureError, SdkDefectError
from harness.platforms.base import (
    AppRecording,
    Capture,
    ChangeLatency,
    DeviceFingerprint,
    KeyFrame,
    LaunchMode,
    LaunchTiming,
    PlatformServices,
)
from harness.platforms.common import app_first_frame_ms
from harness.platforms.ports import host_of

LAUNCH_RECORD_S = 4.0  # how long the screen is recorded after a launch command, to find the first camera frame
HOT_BACKGROUND_S = 1.0
RUNNING_FOREGROUND = 4  # queryAppState: 4 = running in foreground


class NativePlatform:
    """An app on an Android or iOS device through Appium (base of AndroidPlatform and IosPlatform)."""

    name = "native"

    def __init__(self, *, services: PlatformServices, device: Device, candidate: Candidate, label: str) -> None:
        self.services = services
        self.device = device
        self.candidate = candidate
        self.label = label
        self.session: DeviceSession | None = None
        self.refresh_hz = float(device.refresh_hz)
        self.refresh_hz_configured = "refresh_hz" in device.model_fields_set
        self.notes: dict[str, Any] = {}
        self._server_url = ""
        self._ports: list[int] = []
        self._source: FrameSource | None = None
        self._capture_epoch_ms = 0.0
        self._key_times_ms: list[float] = []
        self._app_stopped = True

    # --- what subclasses fill in ------------------------------------------------------------------------------
    @property
    def app_id(self) -> str:
        raise NotImplementedError

    def plan(self, server_url: str) -> SessionPlan:
        raise NotImplementedError

    def launch_command(self, mode: LaunchMode) -> dict[str, Any]:
        """Launches the app in `mode`; returns the clocks the launch command itself reports (ms)."""
        return self.appium_launch(mode)

    def after_open(self) -> None:
        return None

    # --- session ----------------------------------------------------------------------------------------------
    def lease(self, server_url: str, kind: str, fixed: int | None) -> int:
        port = self.services.ports.lease(server_url, kind, fixed=fixed)
        self._ports.append(port)
        return port

    def open(self) -> DeviceSession:
        self.close()
        self._server_url = self.services.server_url_for(self.device)
        plan = self.plan(self._server_url)
        self.notes["session_ports"] = {k: v for k, v in plan.__dict__.items() if k.endswith("_port") and v}
        session = DeviceSession(server_url=self._server_url,
                                capabilities=capabilities_for(self.device, self.candidate, plan),
                                locators=dict(self.candidate.locators), platform=self.device.platform,
                                label=self.label)
        try:
            session.open()
        except InfrastructureError:
            self._release()
            raise
        self.notes.setdefault("session_create_s", []).append(round(session.created_s, 3))
        self.session = session
        self._app_stopped = False
        begin_session(self.device, session.driver)  # a farm's camera injection, where configured
        self.after_open()
        return session

    @property
    def server_is_local(self) -> bool:
        return host_of(self._server_url) == "127.0.0.1"

    def close(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            session.quit()
        self._release()

    def _release(self) -> None:
        if self._ports:
            self.services.ports.release(self._server_url, self._ports)
            self._ports = []

    def live(self) -> DeviceSession:
        if self.session is None:
            raise InfrastructureError("[infrastructure] no app is running: the scenario must launch first")
        return self.session

    def unsupported(self, what: str, exc: CommandUnsupported) -> None:
        """Notes once per item that `what` was not observed because the driver lacks a command."""
        self.notes.setdefault("not_observed", {}).setdefault(what, str(exc))

    # --- frames -----------------------------------------------------------------------------------------------
    def frame_source(self) -> FrameSource:
        capture = self.device.capture
        if capture is not None and capture.source == "replay":
            assert capture.file is not None
            return ReplaySource(capture.file)
        return ScreenRecording(self.live())

    def start_capture(self) -> None:
        self._source = self.frame_source()
        self._capture_epoch_ms = self._source.start()
        self._key_times_ms = []

    def key_frame(self) -> None:
        """Marks the moment; the frame itself is read back from the capture video when it stops."""
        if self._source is None:
            raise InfrastructureError("[infrastructure] a key frame needs a running capture")
        self._key_times_ms.append(time.time() * 1000.0 - self._capture_epoch_ms)

    def stop_capture(self, out_dir: Path) -> Capture:
        if self._source is None:
            raise InfrastructureError("[infrastructure] stop_capture without start_capture")
        source, self._source = self._source, None
        video = source.stop(out_dir / "capture.mp4")
        t_ms, indices = decode_timeline(video, self.services.clip_spec)
        keys = [KeyFrame(t, rgb) for t, rgb in frames_at(video, self._key_times_ms)] if self._key_times_ms else []
        return Capture(video=video, source=source.name, clock_offset_ms=self._capture_epoch_ms, t_ms=t_ms,
                       source_index=indices, key_frames=keys)

    def timed_change(self, kind: str, act: Callable[[], None]) -> ChangeLatency:
        act()
        return ChangeLatency(None, f"not measured on {self.device.platform}: tap-to-effect latency needs per-frame "
                                   "thumbnails while the tap happens, which only the web probe gives")

    # --- launch -----------------------------------------------------------------------------------------------
    def launch(self, mode: LaunchMode) -> LaunchTiming:
        if self.session is None:
            session = self.open()  # creating the session starts the app
            if mode == "cold" and not self._can_manage_apps():
                command_ms = session.created_s * 1000.0  # the new-session round trip, server start-up excluded
                return LaunchTiming(mode=mode, observed_ms=command_ms, observed_source="appium_session_start",
                                    command_ms=command_ms, app_reported_ms=app_first_frame_ms(self.session))
        source = self.frame_source()
        recording = source.live and "screen_recording" not in self.notes.get("not_observed", {})
        rec_epoch_ms = 0.0
        if recording:
            try:
                rec_epoch_ms = source.start()
            except CommandUnsupported as exc:
                self.unsupported("screen_recording", exc)
                recording = False
        t0_ms = time.time() * 1000.0
        try:
            clocks = self.launch_command(mode)
        except BaseException:
            if recording:
                with tempfile.TemporaryDirectory(prefix="harness-launch-") as tmp:
                    source.stop(Path(tmp) / "launch.mp4")
            raise
        started_ms = float(clocks.pop("started_epoch_ms", t0_ms))  # just before the start command itself
        self._app_stopped = False
        first_frame_ms = None
        if recording:
            time.sleep(max(0.0, LAUNCH_RECORD_S - (time.time() * 1000.0 - t0_ms) / 1000.0))
            with tempfile.TemporaryDirectory(prefix="harness-launch-") as tmp:
                video = source.stop(Path(tmp) / "launch.mp4")
                t_ms, indices = decode_timeline(video, self.services.clip_spec)
            first = first_camera_frame_ms(t_ms, indices, since_ms=t0_ms - rec_epoch_ms)
            if first is not None:
                first_frame_ms = rec_epoch_ms + first - started_ms
            else:
                self.notes.setdefault("not_observed", {}).setdefault(
                    "launch_first_frame", "the screen recording showed no launch (camera away, then back)")
        if first_frame_ms is not None:
            observed, observed_source = first_frame_ms, "screen_recording_first_camera_frame"
        elif clocks.get("total_time_ms") is not None:
            observed, observed_source = float(clocks["total_time_ms"]), "am_start_total_time"
        elif clocks.get("command_ms") is not None:
            observed, observed_source = float(clocks["command_ms"]), "launch_command"
        else:
            raise SdkDefectError(f"[sdk] no clock observed the {mode} launch on {self.label}")
        return LaunchTiming(mode=mode, observed_ms=observed, observed_source=observed_source,
                            app_reported_ms=app_first_frame_ms(self.session), first_frame_ms=first_frame_ms,
                            **clocks)

    def _can_manage_apps(self) -> bool:
        try:
            self.live().query_app_state(self.app_id)
        except CommandUnsupported as exc:
            self.unsupported("app_management", exc)
            return False
        return True

    def appium_launch(self, mode: LaunchMode) -> dict[str, Any]:
        """Launch through Appium's app-management commands: cold/warm = terminate then activate; hot = the app
        sent to the background for HOT_BACKGROUND_S, then activated. Returns the command's round trip."""
        session = self.live()
        try:
            if mode == "hot":
                session.mobile("backgroundApp", {"seconds": -1})
                time.sleep(HOT_BACKGROUND_S)
            else:
                session.terminate_app(self.app_id)
            started = time.monotonic()
            started_epoch_ms = time.time() * 1000.0
            session.activate_app(self.app_id)
        except CommandUnsupported as exc:
            if mode != "cold":
                raise CommandUnsupported(f"[infrastructure] a {mode} launch on {self.label} needs Appium's "
                                         f"app-management commands: {exc}", command=exc.command) from exc
            self.unsupported("app_management", exc)
            session = self.open()  # without app management, a cold launch is a new session (Appium starts the app)
            return {"command_ms": session.created_s * 1000.0}
        return {"command_ms": (time.monotonic() - started) * 1000.0, "started_epoch_ms": started_epoch_ms}

    def stop_app(self) -> None:
        session = self.live()
        self._app_stopped = True
        try:
            session.terminate_app(self.app_id)
        except CommandUnsupported:
            self.close()

    # --- the app's own output, logs, health -------------------------------------------------------------------
    def recordings_path(self) -> str | None:
        raise NotImplementedError

    def newest_recording(self, folder: str) -> str:
        """The device path of the newest recording in `folder` (platforms with a shell list it)."""
        return folder

    def fetch_app_recording(self, out_dir: Path) -> AppRecording:
        folder = self.recordings_path()
        if not folder:
            raise InfrastructureError(
                f"[infrastructure] {self.candidate.id} names no recordings folder for {self.device.platform} "
                f"(app.{self.device.platform}.recordings in devices.yaml): the app's recording cannot be fetched")
        device_path = self.newest_recording(folder)
        data = self.live().pull_file(device_path)
        if not data:
            raise SdkDefectError(f"[sdk] the app's recording {device_path} on {self.label} is empty")
        path = out_dir / f"recording{Path(device_path).suffix or '.mp4'}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return AppRecording(path=path)

    def collect_logs(self, out_dir: Path) -> list[Path]:
        return []

    def check_crash(self, where: str) -> None:
        if self.session is None or self._app_stopped or "app_state" in self.notes.get("not_observed", {}):
            return
        try:
            state = self.session.query_app_state(self.app_id)
        except CommandUnsupported as exc:
            self.unsupported("app_state", exc)
            return
        if state < RUNNING_FOREGROUND:
            raise AppCrashError(f"[sdk] the app is no longer in the foreground after '{where}' on {self.label} "
                                f"(app state {state})")

    def fingerprint(self) -> DeviceFingerprint:
        caps = self.live().capabilities_returned()

        def cap(*names: str) -> str | None:
            for name in names:
                value = caps.get(name) or caps.get(f"appium:{name}")
                if value:
                    return str(value)
            return None

        size = cap("deviceScreenSize")
        screen = tuple(int(v) for v in size.split("x")) if size and "x" in size else None
        return DeviceFingerprint(
            platform=self.device.platform, manufacturer=cap("deviceManufacturer"),
            model=cap("deviceModel", "deviceName"),
            os_version=cap("platformVersion"), refresh_hz=self.refresh_hz,
            screen=(screen[0], screen[1]) if screen and len(screen) == 2 else None,
            source="session capabilities")
