"""Android phones through Appium's UiAutomator2 driver, with adb (harness.devices.adb) for what Appium does not
report: `am start -W` launch clocks, logcat (Displayed, Fully drawn, crashes, ANRs), getprop, the display's refresh
rate, SurfaceFlinger and gfxinfo frame clocks.

Launch protocol (docs/metrics.md, after Jetpack Macrobenchmark and `am start -W`): cold = `am force-stop`, then
`am start -W -n PKG/ACT`; warm = the process kept, the task cleared and the activity started again
(`am start -W --activity-clear-task`); hot = HOME, then `am start -W` brings the existing activity back. Warm and
hot get one unmeasured warm-up launch (the runner's). Logcat is cleared once, when the item's session
opens. Output is read by harness.parse (one parser per format).
Without a shell (no adb here, the server does not allow `adb_shell`) the launch falls back to Appium's
app-management commands and the adb clocks are noted as not observed.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness.config.devices import Candidate, Device
from harness.devices.adb import AdbError, AdbTransport, choose_transport
from harness.devices.capabilities import SessionPlan
from harness.errors import AnalysisError, AppCrashError, InfrastructureError, ParseError, SdkDefectError
from harness.metrics import device_frames
from harness.parse import (
    LogcatEvents,
    android_fingerprint,
    find_camera_layer,
    parse_am_start,
    parse_display,
    parse_getprop,
    parse_gfxinfo,
    parse_logcat,
    parse_sf_latency,
    parse_sf_list,
)
from harness.platforms.base import Capture, DeviceFingerprint, LaunchMode, PlatformServices
from harness.platforms.native import NativePlatform

LOGCAT_DUMP = "logcat -d -v threadtime"


Shell = Callable[..., str]  # AdbTransport.shell: (command, *, timeout_s) -> stdout


class AndroidPlatform(NativePlatform):
    """An Android phone or emulator; implements harness.platforms.base.DevicePlatform."""

    name = "android"

    def __init__(self, *, services: PlatformServices, device: Device, candidate: Candidate, label: str) -> None:
        super().__init__(services=services, device=device, candidate=candidate, label=label)
        app = candidate.app.android
        if app is None:
            raise InfrastructureError(f"[infrastructure] {candidate.id} has no android app")
        self.app = app
        self.adb: AdbTransport | None = None
        self._activity: str | None = app.activity

    @property
    def app_id(self) -> str:
        return self.app.package

    def plan(self, server_url: str) -> SessionPlan:
        native = self.device.native
        fixed = native.model_dump() if native is not None else {}
        return SessionPlan(
            clip_path=None,
            system_port=self.lease(server_url, "system_port", fixed.get("system_port")),
            mjpeg_port=self.lease(server_url, "mjpeg_server_port", fixed.get("mjpeg_server_port")),
            chromedriver_port=self.lease(server_url, "chromedriver_port", fixed.get("chromedriver_port")),
        )

    # --- the shell --------------------------------------------------------------------------------------------
    def after_open(self) -> None:
        session = self.live()
        udid = (self.device.native.udid if self.device.native else None) or \
            session.capabilities_returned().get("udid") or session.capabilities_returned().get("deviceUDID")
        transport = choose_transport(session=session, udid=str(udid) if udid else None,
                                     server_is_local=self.server_is_local)
        try:
            transport.shell("echo ok", timeout_s=10.0)
        except AdbError as exc:
            self.notes.setdefault("not_observed", {}).setdefault("adb_shell", f"{transport.name}: {exc}")
            self.adb = None
            return
        self.adb = transport
        self.notes["adb_transport"] = transport.name
        self.shell("logcat -c")  # the item's logcat starts here
        if not self.refresh_hz_configured:
            try:
                self.refresh_hz = display_refresh_hz(self.shell)  # 90/120 Hz phones are not capped at 60
            except ParseError as exc:
                self.notes["refresh_hz_source"] = f"devices.yaml default ({exc})"
                return
            self.notes["refresh_hz_source"] = "dumpsys display"

    def shell(self, command: str, *, timeout_s: float = 20.0) -> str:
        if self.adb is None:
            raise InfrastructureError(f"[infrastructure] no adb shell on {self.label}")
        return self.adb.shell(command, timeout_s=timeout_s)

    def component(self) -> str:
        if self._activity is None:
            out = self.shell(f"cmd package resolve-activity --brief {shlex.quote(self.app.package)}")
            lines = [ln.strip() for ln in out.splitlines() if "/" in ln]
            if not lines:
                raise InfrastructureError(f"[infrastructure] {self.app.package} has no launchable activity on "
                                          f"{self.label}; set app.android.activity in devices.yaml")
            self._activity = lines[-1].split("/", 1)[1]
        act = self._activity
        return f"{self.app.package}/{act}" if "/" not in act else act

    # --- launch -----------------------------------------------------------------------------------------------
    def launch_command(self, mode: LaunchMode) -> dict[str, Any]:
        if self.adb is None:
            return self.appium_launch(mode)
        return am_start_launch(self.shell, component=self.component(), package=self.app.package, mode=mode,
                               label=self.label)

    # --- frames: SurfaceFlinger and gfxinfo as second clocks ----------------------------------------------------
    def start_capture(self) -> None:
        if self.adb is not None:
            self.shell(f"dumpsys gfxinfo {shlex.quote(self.app.package)} reset")
        super().start_capture()

    def stop_capture(self, out_dir: Path) -> Capture:
        capture = super().stop_capture(out_dir)
        if self.adb is not None:
            self.notes["device_frame_clocks"] = device_frame_clocks(self.shell, self.app.package, out_dir)
        return capture

    # --- the app's own output, logs, health -------------------------------------------------------------------
    def recordings_path(self) -> str | None:
        return self.app.recordings

    def newest_recording(self, folder: str) -> str:
        if self.adb is None or not folder.endswith("/"):
            return folder
        names = [n.strip() for n in self.shell(f"ls -t {shlex.quote(folder)}").splitlines() if n.strip()]
        if not names:
            raise SdkDefectError(f"[sdk] the app saved no recording in {folder} on {self.label}")
        return folder + names[0]

    def collect_logs(self, out_dir: Path) -> list[Path]:
        if self.adb is None:
            return []
        path = out_dir / "logcat.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.shell(LOGCAT_DUMP, timeout_s=60.0), encoding="utf-8")
        return [path]

    def check_crash(self, where: str) -> None:
        if self.adb is None:
            super().check_crash(where)
            return
        events = parse_logcat(self.shell(LOGCAT_DUMP, timeout_s=60.0), source="logcat")
        raise_for_logcat(events, package=self.app.package, where=where, label=self.label)
        if not self._app_stopped and not self.shell(f"pidof {shlex.quote(self.app.package)} || true").strip():
            raise AppCrashError(f"[sdk] the app's process is gone after '{where}' on {self.label}")

    def fingerprint(self) -> DeviceFingerprint:
        if self.adb is None:
            return super().fingerprint()
        fp = android_fingerprint(parse_getprop(self.shell("getprop"), source="getprop"))
        return DeviceFingerprint(platform="android", manufacturer=fp.manufacturer, model=fp.model,
                                 os_version=fp.release, build=fp.build_fingerprint, soc=fp.soc,
                                 refresh_hz=self.refresh_hz, source="getprop")


def display_refresh_hz(shell: Shell) -> float:
    """The active display mode's refresh rate (Hz) from `dumpsys display`."""
    return float(parse_display(shell("dumpsys display"), source="dumpsys display").refresh_hz)


def am_start_launch(shell: Shell, *, component: str, package: str, mode: LaunchMode, label: str) -> dict[str, Any]:
    """One launch by `am start -W` in `mode`; the clocks it and logcat report (ms)."""
    if mode == "cold":
        shell(f"am force-stop {shlex.quote(package)}")
        command = f"am start -W -n {shlex.quote(component)}"
    elif mode == "warm":
        command = f"am start -W --activity-clear-task -n {shlex.quote(component)}"
    else:
        shell("input keyevent KEYCODE_HOME")
        command = f"am start -W -n {shlex.quote(component)}"
    started_epoch_ms = time.time() * 1000.0
    am = parse_am_start(shell(command, timeout_s=60.0), source=command)
    if am.status == "error":
        raise InfrastructureError(f"[infrastructure] {command} failed on {label}: {am.error}")
    if am.status == "timeout":
        raise SdkDefectError(f"[sdk] {command} timed out on {label}: the app drew no first frame")
    clocks: dict[str, Any] = {"total_time_ms": am.total_time_ms, "wait_time_ms": am.wait_time_ms,
                              "launch_state": am.launch_state, "started_epoch_ms": started_epoch_ms}
    events = parse_logcat(shell(LOGCAT_DUMP, timeout_s=60.0), source="logcat")
    # The item's logcat is kept whole (cleared once, at item start): this launch's lines are the last ones.
    ours = [e for e in events.displayed if e.component.startswith(package)]
    if ours:
        clocks["displayed_ms"] = float(ours[-1].duration_ms)
    drawn = [e for e in events.fully_drawn if e.component.startswith(package)]
    if drawn:
        clocks["fully_drawn_ms"] = float(drawn[-1].duration_ms)
    raise_for_logcat(events, package=package, where=f"launch: {mode}", label=label)
    return {k: v for k, v in clocks.items() if v is not None}


def raise_for_logcat(events: LogcatEvents, *, package: str, where: str, label: str) -> None:
    """An app crash or ANR in the item's logcat is an AppCrashError (the `crash` defect)."""
    for crash in events.crashes:
        if crash.process is None or crash.process.startswith(package):
            raise AppCrashError(f"[sdk] the app crashed after '{where}' on {label}: "
                                f"{crash.exception or crash.first_line or 'see logcat.txt'}")
    for anr in events.anrs:
        if anr.process.startswith(package):
            raise AppCrashError(f"[sdk] the app stopped responding (ANR) after '{where}' on {label}: "
                                f"{anr.reason or 'see logcat.txt'}")


def device_frame_clocks(shell: Shell, package: str, out_dir: Path) -> dict[str, Any]:
    """SurfaceFlinger's present times of the camera layer and gfxinfo framestats, kept as the capture's second
    clocks (raw outputs saved beside the capture; statistics from harness.metrics.device_frames)."""
    out: dict[str, Any] = {}
    layers = parse_sf_list(shell("dumpsys SurfaceFlinger --list"), source="dumpsys SurfaceFlinger --list")
    layer = find_camera_layer(layers, package)
    if layer is not None:
        text = shell(f"dumpsys SurfaceFlinger --latency {shlex.quote(layer)}")
        (out_dir / "sf_latency.txt").write_text(text, encoding="utf-8")
        sf = parse_sf_latency(text, source="dumpsys SurfaceFlinger --latency")
        entry: dict[str, Any] = {"layer": layer, "refresh_period_ns": sf.refresh_period_ns,
                                 "valid_frames": len(sf.valid_frames)}
        try:
            entry["present"] = asdict(device_frames.present_stats(
                [f.actual_present_ns for f in sf.valid_frames], refresh_period_ns=sf.refresh_period_ns))
        except AnalysisError as exc:
            entry["present"] = f"not computed: {exc}"
        out["surfaceflinger"] = entry
    else:
        out["surfaceflinger"] = f"no SurfaceView layer of {package} in dumpsys SurfaceFlinger --list"
    text = shell(f"dumpsys gfxinfo {shlex.quote(package)} framestats")
    (out_dir / "gfxinfo.txt").write_text(text, encoding="utf-8")
    gfx = parse_gfxinfo(text, source="dumpsys gfxinfo framestats")
    out["gfxinfo_framestats_rows"] = len(gfx.framestats)
    valid = [f for f in gfx.framestats if f.valid and f.duration_ms is not None]
    period_ns = device_frames.median_interval_ns([f.frame_interval_ns for f in valid])
    if valid and period_ns:
        stats = device_frames.framestats_stats(
            [float(f.duration_ms) for f in valid if f.duration_ms is not None], refresh_period_ms=period_ns / 1e6,
            overruns_ms=device_frames.frame_overruns_ms([f.frame_completed_ns for f in valid],
                                                        [f.frame_deadline_ns for f in valid]))
        out["gfxinfo"] = asdict(stats)
    return out
