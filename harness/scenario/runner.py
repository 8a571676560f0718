"""Runs one scenario on one device x candidate: each step becomes actions on the app's controls (through the
candidate's locator map) and measurements of its output (through the capture probe), recorded as they are taken."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from harness.capture.clip import ClipSpec
from harness.capture.web import ProbeFrames, WebProbe
from harness.devices.capabilities import SessionPlan, capabilities_for
from harness.devices.session import DeviceSession
from harness.errors import AnalysisError, AppCrashError, InfrastructureError, SdkDefectError
from harness.metrics import stats
from harness.metrics.frames import analyze_timeline
from harness.scenario import measure
from harness.scenario.context import AppState, Outcome, StepReporter
from harness.scenario.latency import find_onset

STARTUP_TIMEOUT_S = 20.0
EFFECT_TIMEOUT_S = 3.0
HOT_BACKGROUND_S = 1.0
_STATS_PAIR = re.compile(r"([a-z_]+)=(-?\d+(?:\.\d+)?)")

PANEL_FOR_STEP = {
    "select_filter": "open_filter_panel",
    "set_beauty": "open_beauty_panel",
    "apply_effect": "open_effect_panel",
}


@dataclass(frozen=True)
class RunServices:
    """What every item of a run shares: where sessions go, where apps are served, the camera clip."""

    server_url_for: Callable[[Any], str]
    app_base_url: str
    clip_spec: ClipSpec
    clip_path: Path | None
    free_port: Callable[[], int]
    project_root: Path


def parse_stats(text: str) -> dict[str, float]:
    """`frames=812 cost_ms=3.41 fps=29.9` -> {'frames': 812.0, ...}: the key=value report vendor SDKs print."""
    return {key: float(value) for key, value in _STATS_PAIR.findall(text)}


class ScenarioRunner:
    """Executes one scenario's steps on one device x candidate and fills an Outcome."""

    def __init__(self, *, services: RunServices, device: Any, candidate: Any, scenario: Any,
                 item_dir: Path, reporter: StepReporter) -> None:
        self.services = services
        self.device = device
        self.candidate = candidate
        self.scenario = scenario
        self.item_dir = item_dir
        self.reporter = reporter
        self.state = AppState()
        self.outcome = Outcome()
        self.session: DeviceSession | None = None
        self.probe: WebProbe | None = None
        self.launches = 0
        self._pending_timing: dict[str, Any] = {}
        self.label = f"{device.id} / {candidate.id}"
        self._handlers: dict[str, Callable[[Any], None]] = {
            "launch": self._launch,
            "select_filter": self._select_filter,
            "set_beauty": self._set_beauty,
            "apply_effect": self._apply_effect,
            "wait": self._wait,
            "capture": self._capture,
            "record": self._record,
            "start_recording": self._start_recording,
            "stop_recording": self._stop_recording,
            "tap": self._tap,
        }

    # --- driving ----------------------------------------------------------------------------------------------
    def run(self) -> Outcome:
        self.item_dir.mkdir(parents=True, exist_ok=True)
        try:
            for step in self.scenario.steps:
                with self.reporter.step(step.describe()):
                    self._handlers[step.action](step)
                    self._check_alive(step.describe())
        finally:
            self.close()
        if self.outcome.defects:
            # Found along the way (key frames, frame timing); every step still ran, so all of them are listed.
            raise SdkDefectError(f"[sdk] adaptation defects on {self.label}: "
                                 + "; ".join(d["summary"] for d in self.outcome.defects))
        return self.outcome

    def close(self) -> None:
        if self.session is not None:
            self.session.quit()
            self.session = None

    @property
    def app_url(self) -> str:
        url = str(self.candidate.app.web.url)
        if re.match(r"^https?://", url):
            return url
        return urljoin(self.services.app_base_url, url.lstrip("/"))

    def _new_session(self) -> DeviceSession:
        plan = SessionPlan(
            clip_path=self.services.clip_path,
            chromedriver_port=self.services.free_port() if self.device.platform == "web" else None,
            system_port=self.services.free_port() if self.device.platform == "android" else None,
            wda_local_port=self.services.free_port() if self.device.platform == "ios" else None,
        )
        caps = capabilities_for(self.device, self.candidate, plan)
        session = DeviceSession(
            server_url=self.services.server_url_for(self.device),
            capabilities=caps,
            locators=dict(self.candidate.locators),
            platform=self.device.platform,
            label=self.label,
        ).open()
        self.outcome.details.setdefault("session_create_s", []).append(round(session.created_s, 3))
        if self.device.platform == "web":
            rate = float(self.device.emulation.cpu_throttling)
            if rate > 1:
                session.cdp("Emulation.setCPUThrottlingRate", {"rate": rate})
            self.probe = WebProbe(session, self.services.clip_spec)
            self.probe.install(self.candidate.locators["preview"])
        return session

    def _require_web(self, what: str) -> WebProbe:
        if self.device.platform != "web" or self.probe is None or self.session is None:
            raise InfrastructureError(
                f"[infrastructure] {what} on {self.device.platform} devices needs a screen recording source, "
                "which this run has not configured"
            )
        return self.probe

    # --- launch and start-up ----------------------------------------------------------------------------------
    def _launch(self, step: Any) -> None:
        mode, iterations = step.mode, step.iterations
        samples: list[float] = []
        app_samples: list[float] = []
        if mode != "cold" and self.session is None:
            self._launch_once(mode="cold")  # unmeasured warm-up: warm and hot launches need a running app
        for _ in range(iterations):
            observed, app_reported = self._launch_once(mode=mode)
            samples.append(observed)
            if app_reported is not None:
                app_samples.append(app_reported)
        m = self.outcome.metrics
        p = f"startup_{mode}"
        m[f"{p}_ms"] = round(stats.median(samples), 1)
        m.setdefault("startup_ms", m[f"{p}_ms"])  # the scenario's first launch, whatever its mode
        if iterations > 1:
            m[f"{p}_min_ms"] = round(min(samples), 1)
            m[f"{p}_max_ms"] = round(max(samples), 1)
            m[f"{p}_cv"] = round(stats.coefficient_of_variation(samples), 4)
            low, high = stats.bootstrap_ci(samples, n_resamples=2000, seed=0)
            m[f"{p}_ci95_low_ms"], m[f"{p}_ci95_high_ms"] = round(low, 1), round(high, 1)
        if app_samples:
            m[f"app_first_frame_{mode}_ms"] = round(stats.median(app_samples), 1)
            m.setdefault("app_first_frame_ms", m[f"app_first_frame_{mode}_ms"])
        self.outcome.details.setdefault("startup_runs", []).append(
            {"mode": mode, "startup_ms": samples, "app_first_frame_ms": app_samples}
        )

    def _launch_once(self, *, mode: str) -> tuple[float, float | None]:
        """One launch; returns (observed start-up ms, the app's own first-frame report or None).

        cold: a new browser process with a fresh profile, then the app's URL. warm: the same browser, the page
        unloaded (about:blank) and loaded again. hot: the page stays loaded; another tab takes the foreground for
        HOT_BACKGROUND_S, then the app's tab comes back, and the time runs to its first camera frame after that.
        """
        if mode == "hot":
            return self._hot_launch(), None
        if mode == "cold":
            self.close()
            self.session = self._new_session()
        elif self.session is None:
            raise InfrastructureError("[infrastructure] a warm launch needs an open session")
        session = self.session
        self.state = AppState()
        if mode != "cold":
            session.call(lambda: session.driver.get("about:blank"))
        launched_epoch_ms = time.time() * 1000.0
        session.call(lambda: session.driver.get(self.app_url))
        probe = self._require_web("start-up timing")
        first_t, _ = probe.wait_first_camera_frame(timeout_s=STARTUP_TIMEOUT_S)
        info = probe.info()
        self.launches += 1
        if first_t is None:
            shot = probe.snapshot()
            diagnosis = measure.diagnose_frame(self, shot[1]) if shot is not None else []
            reason = info.get("error") or (
                "the preview element was never found" if not info.get("attached")
                else f"{info.get('frameCount', 0)} output frames, none showing the camera image"
            )
            raise SdkDefectError(
                f"[sdk] no processed camera frame reached the preview within {STARTUP_TIMEOUT_S:g} s "
                f"on {self.label}: {reason}" + (f"; the output shows: {'; '.join(diagnosis)}" if diagnosis else "")
            )
        observed_ms = float(info["timeOrigin"]) + first_t - launched_epoch_ms
        return observed_ms, self._app_first_frame()

    def _hot_launch(self) -> float:
        probe = self._require_web("start-up timing")
        session = self._session()
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
                    self.launches += 1
                    return origin + t - resumed_epoch_ms
            time.sleep(0.05)
        raise SdkDefectError(f"[sdk] no camera frame reached the preview within {STARTUP_TIMEOUT_S:g} s "
                             f"after the app was resumed on {self.label}")

    def _app_first_frame(self) -> float | None:
        if self.session is None or not self.session.has("stats"):
            return None
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            value = parse_stats(self.session.text("stats")).get("first_frame_ms")
            if value is not None and value >= 0:
                return value
            time.sleep(0.1)
        return None

    # --- controls ---------------------------------------------------------------------------------------------
    def _open_panel_for(self, action: str, item_key: str, **values: object) -> None:
        assert self.session is not None
        panel = PANEL_FOR_STEP.get(action)
        if panel and self.session.has(panel) and not self.session.visible(item_key, **values):
            self.session.tap(panel)

    def _select_filter(self, step: Any) -> None:
        session = self._session()
        name = self.candidate.app_name("filter", str(step.arg))
        self._open_panel_for("select_filter", "select_filter", name=name)
        self._timed_change("filter", step.arg != "none", lambda: session.tap("select_filter", name=name))
        self.state.filter = str(step.arg)

    def _set_beauty(self, step: Any) -> None:
        session = self._session()
        self._open_panel_for("set_beauty", "set_beauty")
        self._timed_change("beauty", int(step.arg) > 0, lambda: session.set_slider("set_beauty", int(step.arg)))
        self.state.beauty = int(step.arg)

    def _apply_effect(self, step: Any) -> None:
        session = self._session()
        name = self.candidate.app_name("effect", str(step.arg))
        self._open_panel_for("apply_effect", "apply_effect", name=name)
        self._timed_change("effect", step.arg != "none", lambda: session.tap("apply_effect", name=name))
        self.state.effect = str(step.arg)

    def _timed_change(self, kind: str, visible: bool, act: Callable[[], None]) -> None:
        """Does `act` (a tap) and measures `<kind>_latency_ms`: from the tap to the first output frame showing it."""
        probe = self.probe
        if probe is None or not visible:
            act()
            return
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
        key = f"{kind}_latency_ms"
        if onset is None:
            self.outcome.details[key] = f"no output frame showed the change within {EFFECT_TIMEOUT_S:g} s"
            return
        origin, _ = probe.page_now_ms()
        self.outcome.metrics[key] = round(origin + onset.t_ms - tapped_epoch_ms, 1)
        self.outcome.details[key] = {"threshold": onset.threshold, "baseline_max": onset.baseline_max,
                                     "value": onset.value, "frames_after_tap": onset.seq - tap_seq}

    def _tap(self, step: Any) -> None:
        self._session().tap(str(step.arg))

    def _wait(self, step: Any) -> None:
        time.sleep(float(step.arg))

    def _session(self) -> DeviceSession:
        if self.session is None:
            raise InfrastructureError("[infrastructure] no app is running: the scenario must launch first")
        return self.session

    def _check_alive(self, where: str) -> None:
        if self.session is None or self.probe is None:
            return
        info = self.probe.info()
        if info and not info.get("elementAlive", True):
            raise AppCrashError(f"[sdk] the app's preview disappeared after '{where}' on {self.label}")

    # --- capture and measurement ------------------------------------------------------------------------------
    def _capture(self, step: Any) -> None:
        probe = self._require_web("capture")
        seconds = float(step.arg)
        start_seq = int(probe.info().get("frameCount", 0))
        recording = probe.start_recording()
        key_frames: list[tuple[float, Any]] = []
        started = time.monotonic()
        for fraction in (0.25, 0.5, 0.75):
            delay = started + seconds * fraction - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            shot = probe.snapshot()
            if shot is not None:
                key_frames.append(shot)
        rest = started + seconds - time.monotonic()
        if rest > 0:
            time.sleep(rest)
        frames = probe.frames(start_seq)
        clip = probe.stop_recording(self.item_dir / "capture.webm") if recording else None
        self._timing_metrics(frames)
        if clip is not None:
            self.outcome.attachments.append(clip)
            self.reporter.attach(clip, "captured output (WebM)")
        self._stats_metrics()
        measure.key_frame_checks(self, key_frames)
        measure.timing_defects(self, self._pending_timing)

    def _timing_metrics(self, frames: ProbeFrames) -> None:
        spec = self.services.clip_spec
        try:
            timing = analyze_timeline(frames.t_ms, frames.indices, source_fps=float(spec.fps),
                                      clip_frames=spec.frames, refresh_hz=float(self.device.refresh_hz))
        except AnalysisError as exc:
            raise SdkDefectError(f"[sdk] the preview's output cannot be timed on {self.label}: {exc}") from exc
        d = timing.to_dict()
        m = self.outcome.metrics
        m["content_fps"] = round(float(d["content_fps"]), 2)
        m["presented_fps"] = round(float(d["presented_fps"]), 2)
        m["dropped_frames"] = float(d["dropped_frames"])
        m["repeated_frames"] = float(d["repeated_frames"])
        m["undecoded_frames"] = float(d["frames"] - d["decoded_frames"])
        if d["frame_time_ms"]:
            for q in ("p50", "p90", "p99"):
                m[f"frame_time_{q}_ms"] = round(float(d["frame_time_ms"][q]), 2)
        m["freeze_count"] = float(len(d["freezes"]))
        m["jank_count"] = float(d["jank_count"])
        m["big_jank_count"] = float(d["big_jank_count"])
        m["stutter_ratio"] = round(float(d["stutter_ratio"]), 4)
        self.outcome.details["frame_timing"] = d
        self.outcome.details["timeline"] = {"t_ms": frames.t_ms, "source_index": frames.indices}
        self._pending_timing = d

    def _stats_metrics(self) -> None:
        if self.session is None or not self.session.has("stats"):
            return
        values = parse_stats(self.session.text("stats"))
        for key, metric in (("cost_ms", "app_cost_ms"), ("fps", "app_fps")):
            if key in values:
                self.outcome.metrics[metric] = values[key]

    # --- recording --------------------------------------------------------------------------------------------
    def _start_recording(self, step: Any) -> None:
        self._session().tap("start_recording")
        self.outcome.details["recording_started_epoch_ms"] = time.time() * 1000.0

    def _stop_recording(self, step: Any) -> None:
        session = self._session()
        session.tap("stop_recording")
        measure.fetch_and_measure_recording(self)

    def _record(self, step: Any) -> None:
        self._start_recording(step)
        time.sleep(float(step.arg))
        self._stop_recording(step)
