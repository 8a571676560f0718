"""Web devices: headless Chromium with a phone profile through Appium's chromium driver, the camera fed by the
reference clip, frames read by the in-page probe (capture/web.py).

Launch modes: cold = a new browser process with a fresh profile, then the app's URL; warm = the same browser, the
page unloaded (about:blank) and loaded again; hot = the page stays loaded, another tab takes the foreground for
HOT_BACKGROUND_S, then the app's tab comes back. Start-up runs to the first output frame showing a camera frame.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

from harness.capture.latency import find_onset
from harness.capture.web import WebProbe
from harness.config.devices import Candidate, Device
from harness.devices.capabilities import SessionPlan, capabilities_for
from harness.devices.session import DeviceSession
from harness.errors import AppCrashError, InfrastructureError, SdkDefectError
from harness.platforms.base import (
    AppRecording,
    Capture,
    ChangeLatency,
    DeviceFingerprint,
    FirstFrameMissing,
    KeyFrame,
    LaunchMode,
    LaunchTiming,
    PlatformServices,
)
from harness.platforms.common import app_first_frame_ms, recording_source_js

STARTUP_TIMEOUT_S = 20.0
EFFECT_TIMEOUT_S = 3.0
HOT_BACKGROUND_S = 1.0


class WebPlatform:
    """A Chromium phone profile; implements harness.platforms.base.DevicePlatform."""

    name = "web"

    def __init__(self, *, services: PlatformServices, device: Device, candidate: Candidate, label: str) -> None:
        if device.emulation is None or candidate.app.web is None:
            raise InfrastructureError(f"[infrastructure] {label}: a web device needs emulation and a web app")
        self.services = services
        self.device = device
        self.candidate = candidate
        self.label = label
        self.session: DeviceSession | None = None
        self.probe: WebProbe | None = None
        self.refresh_hz = float(device.refresh_hz)
        self.notes: dict[str, object] = {}
        self._server_url = ""
        self._ports: list[int] = []
        self._capture_seq = 0
        self._recording = False
        self._key_frames: list[KeyFrame] = []

    # --- session ----------------------------------------------------------------------------------------------
    @property
    def app_url(self) -> str:
        assert self.candidate.app.web is not None
        url = str(self.candidate.app.web.url)
        if re.match(r"^https?://", url):
            return url
        return urljoin(self.services.app_base_url, url.lstrip("/"))

    def open(self) -> DeviceSession:
        self.close()
        self._server_url = self.services.server_url_for(self.device)
        port = self.services.ports.lease(self._server_url, "chromedriver_port")
        self._ports = [port]
        plan = SessionPlan(clip_path=self.services.clip_path, chromedriver_port=port)
        session = DeviceSession(server_url=self._server_url,
                                capabilities=capabilities_for(self.device, self.candidate, plan),
                                locators=dict(self.candidate.locators), platform="web", label=self.label).open()
        created = self.notes.setdefault("session_create_s", [])
        assert isinstance(created, list)
        created.append(round(session.created_s, 3))
        assert self.device.emulation is not None
        rate = float(self.device.emulation.cpu_throttling)
        if rate > 1:
            session.cdp("Emulation.setCPUThrottlingRate", {"rate": rate})
        self.probe = WebProbe(session, self.services.clip_spec)
        self.probe.install(self.candidate.locators["preview"])
        self.session = session
        return session

    def close(self) -> None:
        session, self.session, self.probe = self.session, None, None
        if session is not None:
            session.quit()
        if self._ports:
            self.services.ports.release(self._server_url, self._ports)
            self._ports = []

    def _live(self) -> tuple[DeviceSession, WebProbe]:
        if self.session is None or self.probe is None:
            raise InfrastructureError("[infrastructure] no app is running: the scenario must launch first")
        return self.session, self.probe

    # --- launch -----------------------------------------------------------------------------------------------
    def launch(self, mode: LaunchMode) -> LaunchTiming:
        if mode == "hot":
            return LaunchTiming(mode=mode, observed_ms=self._hot_launch(), observed_source="probe_first_camera_frame")
        if mode == "cold" or self.session is None:
            self.open()
        session, probe = self._live()
        if mode != "cold":
            session.call(lambda: session.driver.get("about:blank"))
        launched_epoch_ms = time.time() * 1000.0
        session.call(lambda: session.driver.get(self.app_url))
        first_t, _ = probe.wait_first_camera_frame(timeout_s=STARTUP_TIMEOUT_S)
        info = probe.info()
        if first_t is None:
            shot = probe.snapshot()
            reason = info.get("error") or (
                "the preview element was never found" if not info.get("attached")
                else f"{info.get('frameCount', 0)} output frames, none showing the camera image"
            )
            raise FirstFrameMissing(
                f"[sdk] no processed camera frame reached the preview within {STARTUP_TIMEOUT_S:g} s "
                f"on {self.label}: {reason}", frame=shot[1] if shot is not None else None)
        observed_ms = float(info["timeOrigin"]) + first_t - launched_epoch_ms
        return LaunchTiming(mode=mode, observed_ms=observed_ms, observed_source="probe_first_camera_frame",
                            app_reported_ms=app_first_frame_ms(session))

    def _hot_launch(self) -> float:
        session, probe = self._live()
        origin, _ = probe.page_now_ms()
        driver = session.driver
        app_window = session.call(lambda: driver.current_window_handle)
        session.call(lambda: driver.switch_to.new_window("tab"))  # the app goes to the background
        time.sleep(HOT_BACKGROUND_S)
        resumed_epoch_ms = time.time() * 1000.0
        session.call(driver.close)
        session.call(lambda: driver.switch_to.window(app_window))
        session.cdp("Page.bringToFront")
        since_ms = resumed_epoch_ms - origin
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        seq = int(probe.info().get("frameCount", 0)) - 60
        while time.monotonic() < deadline:
            frames = probe.frames(max(0, seq))
            for t, idx in zip(frames.t_ms, frames.indices, strict=True):
                if idx is not None and t >= since_ms:
                    return origin + t - resumed_epoch_ms
            time.sleep(0.05)
        raise SdkDefectError(f"[sdk] no camera frame reached the preview within {STARTUP_TIMEOUT_S:g} s "
                             f"after the app was resumed on {self.label}")

    def stop_app(self) -> None:
        self.close()

    # --- frames -----------------------------------------------------------------------------------------------
    def start_capture(self) -> None:
        _, probe = self._live()
        self._capture_seq = int(probe.info().get("frameCount", 0))
        self._key_frames = []
        self._recording = probe.start_recording()

    def key_frame(self) -> None:
        _, probe = self._live()
        shot = probe.snapshot()
        if shot is not None:
            self._key_frames.append(KeyFrame(t_ms=shot[0], rgb=shot[1]))

    def stop_capture(self, out_dir: Path) -> Capture:
        _, probe = self._live()
        frames = probe.frames(self._capture_seq)
        clip = probe.stop_recording(out_dir / "capture.webm") if self._recording else None
        origin, _ = probe.page_now_ms()
        return Capture(video=clip, source="probe", clock_offset_ms=origin, t_ms=list(frames.t_ms),
                       source_index=list(frames.indices), key_frames=list(self._key_frames), thumbs=frames.thumbs)

    def timed_change(self, kind: str, act: Callable[[], None]) -> ChangeLatency:
        """Does `act` (a tap) and times it to the first output frame showing the change (capture/latency.py)."""
        _, probe = self._live()
        tap_seq = int(probe.info().get("frameCount", 0))
        tapped_epoch_ms = time.time() * 1000.0
        act()
        first_seq = max(0, tap_seq - 15)
        deadline = time.monotonic() + EFFECT_TIMEOUT_S
        onset = None
        while onset is None and time.monotonic() < deadline:
            time.sleep(0.15)
            frames = probe.frames(first_seq)
            if frames.thumbs is None or not frames.t_ms:
                continue
            seqs = list(range(frames.first_seq, frames.first_seq + len(frames.t_ms)))
            onset = find_onset(seqs, frames.t_ms, frames.indices, frames.thumbs, spec=self.services.clip_spec,
                               tap_seq=tap_seq, kind=kind)
        if onset is None:
            return ChangeLatency(None, f"no output frame showed the change within {EFFECT_TIMEOUT_S:g} s")
        origin, _ = probe.page_now_ms()
        return ChangeLatency(origin + onset.t_ms - tapped_epoch_ms,
                             {"threshold": onset.threshold, "baseline_max": onset.baseline_max,
                              "value": onset.value, "frames_after_tap": float(onset.seq - tap_seq)})

    # --- the app's own output, logs, health -------------------------------------------------------------------
    def fetch_app_recording(self, out_dir: Path) -> AppRecording:
        """The clip the app offers in its recording_result control (a media element, or a download link to a
        blob: or file URL), fetched from the page as a file."""
        session, _ = self._live()
        element = session.find("recording_result", timeout_s=10.0, visible=False)
        src = ""
        for _ in range(50):
            src = str(session.script(recording_source_js(), element))
            if src:
                break
            time.sleep(0.1)
        if not src:
            raise SdkDefectError(f"[sdk] the app showed no recorded clip after stop_recording on {self.label}")
        data = session.async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(r => r.blob()).then(b => { const f = new FileReader();"
            " f.onload = () => done(String(f.result).split(',')[1] || ''); f.readAsDataURL(b); })"
            ".catch(e => done('ERROR ' + e));",
            src, timeout_s=30.0,
        )
        if not data or str(data).startswith("ERROR"):
            raise SdkDefectError(f"[sdk] the recorded clip could not be read on {self.label}: {data}")
        path = out_dir / "recording.webm"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        app_duration = session.script("return Number(arguments[0].dataset.durationMs || -1);", element)
        duration = float(app_duration) if isinstance(app_duration, int | float) and app_duration >= 0 else None
        return AppRecording(path=path, app_duration_ms=duration)

    def collect_logs(self, out_dir: Path) -> list[Path]:
        return []  # the browser's console is not kept; the Appium server log is in the run's logs/

    def check_crash(self, where: str) -> None:
        if self.session is None or self.probe is None:
            return
        info = self.probe.info()
        if info and not info.get("elementAlive", True):
            raise AppCrashError(f"[sdk] the app's preview disappeared after '{where}' on {self.label}")

    def fingerprint(self) -> DeviceFingerprint:
        caps = self.session.capabilities_returned() if self.session is not None else {}
        assert self.device.emulation is not None
        emu = self.device.emulation
        return DeviceFingerprint(
            platform="web", model=self.device.name, os_version=str(caps.get("browserVersion") or "") or None,
            refresh_hz=self.refresh_hz,
            screen=(round(emu.viewport.width * emu.pixel_ratio), round(emu.viewport.height * emu.pixel_ratio)),
            source="devices.yaml emulation profile + session capabilities (browserVersion)")
