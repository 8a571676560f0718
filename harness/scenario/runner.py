"""Runs one scenario on one device x candidate: each step becomes actions on the app's controls (through the
candidate's locator map) and measurements of its output (through the device's platform: harness.platforms), recorded
as they are taken. The step handlers never ask which platform they run on."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from harness.config.devices import Candidate, Device
from harness.config.scenarios import LaunchStep, Scenario, Step
from harness.devices.session import DeviceSession
from harness.errors import AnalysisError, HarnessError, InfrastructureError, SdkDefectError
from harness.metrics import stats
from harness.metrics.frames import analyze_timeline
from harness.platforms.base import (
    Capture,
    DevicePlatform,
    FirstFrameMissing,
    LaunchMode,
    LaunchTiming,
    PlatformServices,
)
from harness.platforms.base import parse_stats as parse_stats
from harness.platforms.factory import platform_for
from harness.scenario import measure
from harness.scenario.context import AppState, ItemContext, Outcome, StepReporter
from harness.scenario.spans import Spans

PANEL_FOR_STEP = {
    "select_filter": "open_filter_panel",
    "set_beauty": "open_beauty_panel",
    "apply_effect": "open_effect_panel",
}
KEY_FRAME_FRACTIONS = (0.25, 0.5, 0.75)


class ScenarioRunner:
    """Executes one scenario's steps on one device x candidate and fills an Outcome."""

    def __init__(self, *, services: PlatformServices, device: Device, candidate: Candidate, scenario: Scenario,
                 item_dir: Path, reporter: StepReporter, platform: DevicePlatform | None = None,
                 spans: Spans | None = None) -> None:
        self.services = services
        self.device = device
        self.candidate = candidate
        self.scenario = scenario
        self.item_dir = item_dir
        self.reporter = reporter
        self.label = f"{device.id} / {candidate.id}"
        self.platform = platform or platform_for(services=services, device=device, candidate=candidate,
                                                 label=self.label)
        self.spans = spans or Spans()
        for method in ("open", "close"):  # creating and ending Appium sessions, wherever the platform does it
            if callable(getattr(self.platform, method, None)):
                setattr(self.platform, method, self.spans.wrap("session", getattr(self.platform, method)))
        self.state = AppState()
        self.outcome = Outcome()
        self.ctx = ItemContext(spec=services.clip_spec, state=self.state,
                               filter_luts={name: f.lut for name, f in candidate.filters.items() if f.lut is not None},
                               item_dir=item_dir, outcome=self.outcome, reporter=reporter, label=self.label,
                               effect_anchors={name: e.anchor for name, e in candidate.effects.items()})
        self.launches = 0
        self._handlers: dict[str, Callable[[Step], None]] = {
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
    def run(self, *, keep_open: bool = False) -> Outcome:
        """Runs every step; the app's last session stays open when `keep_open` (the caller closes it)."""
        self.item_dir.mkdir(parents=True, exist_ok=True)
        try:
            for step in self.scenario.steps:
                part = step.action if step.action in ("launch", "capture") else "steps"
                with self.reporter.step(step.describe()), self.spans.span(part):
                    self._handlers[step.action](step)
                    self.platform.check_crash(step.describe())
        finally:
            self._finish(close=not keep_open)
        if self.outcome.defects:
            # Found along the way (key frames, frame timing); every step still ran, so all of them are listed.
            raise SdkDefectError(f"[sdk] adaptation defects on {self.label}: "
                                 + "; ".join(d["summary"] for d in self.outcome.defects))
        return self.outcome

    def _finish(self, *, close: bool = True) -> None:
        """Logs, the device fingerprint and the platform's notes go into the item, then the app is closed."""
        try:
            if self.platform.session is not None:
                # Read after a failure too; what cannot be read is recorded, never allowed to hide the item's error.
                try:
                    with self.spans.span("logs"):
                        self.outcome.details["device_fingerprint"] = self.platform.fingerprint().to_dict()
                        for path in self.platform.collect_logs(self.item_dir):
                            self.outcome.attachments.append(path)
                            self.reporter.attach(path, path.name)
                except HarnessError as exc:
                    self.outcome.details["item_end_error"] = str(exc)
        finally:
            self.outcome.details.update(self.platform.notes)
            if close:
                self.close()

    def close(self) -> None:
        self.platform.close()

    def _session(self) -> DeviceSession:
        if self.platform.session is None:
            raise InfrastructureError("[infrastructure] no app is running: the scenario must launch first")
        return self.platform.session

    # --- launch and start-up ----------------------------------------------------------------------------------
    def _launch(self, step: Step) -> None:
        assert isinstance(step, LaunchStep)
        mode, iterations = step.mode, step.iterations
        samples: list[float] = []
        app_samples: list[float] = []
        if mode != "cold" and self.platform.session is None:
            self._launch_once("cold")  # unmeasured warm-up: warm and hot launches need a running app
        for _ in range(iterations):
            timing = self._launch_once(mode)
            samples.append(timing.observed_ms)
            if timing.app_reported_ms is not None:
                app_samples.append(timing.app_reported_ms)
            self.outcome.details.setdefault("launch_clocks", []).append(timing.clocks())
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

    def _launch_once(self, mode: LaunchMode) -> LaunchTiming:
        if mode != "hot":  # a hot launch resumes the app as it was; the others start it afresh
            self.state.filter, self.state.beauty, self.state.effect = "none", 0, "none"
        try:
            timing = self.platform.launch(mode)
        except FirstFrameMissing as exc:
            diagnosis = measure.diagnose_frame(self.ctx, exc.frame) if exc.frame is not None else []
            if diagnosis:
                raise SdkDefectError(f"{exc}; the output shows: {'; '.join(diagnosis)}") from exc
            raise
        self.launches += 1
        return timing

    # --- controls ---------------------------------------------------------------------------------------------
    def _open_panel_for(self, action: str, item_key: str, **values: object) -> None:
        session = self._session()
        panel = PANEL_FOR_STEP.get(action)
        if panel and session.has(panel) and not session.visible(item_key, **values):
            session.tap(panel)

    def _select_filter(self, step: Step) -> None:
        session = self._session()
        name = self.candidate.app_name("filter", str(step.arg))
        self._open_panel_for("select_filter", "select_filter", name=name)
        self._timed_change("filter", step.arg != "none", lambda: session.tap("select_filter", name=name))
        self.state.filter = str(step.arg)

    def _set_beauty(self, step: Step) -> None:
        session = self._session()
        self._open_panel_for("set_beauty", "set_beauty")
        self._timed_change("beauty", int(step.arg) > 0, lambda: session.set_slider("set_beauty", int(step.arg)))
        self.state.beauty = int(step.arg)

    def _apply_effect(self, step: Step) -> None:
        session = self._session()
        name = self.candidate.app_name("effect", str(step.arg))
        self._open_panel_for("apply_effect", "apply_effect", name=name)
        self._timed_change("effect", step.arg != "none", lambda: session.tap("apply_effect", name=name))
        self.state.effect = str(step.arg)
        latency = self.outcome.metrics.get("effect_latency_ms")
        if latency is not None and self.ctx.tracks_face(str(step.arg)):
            # A face-tracked sticker is drawn once the SDK has a face: its onset is the first track a user sees.
            self.outcome.metrics["time_to_first_track_ms"] = latency

    def _timed_change(self, kind: str, visible: bool, act: Callable[[], None]) -> None:
        """Does `act` (a tap) and measures `<kind>_latency_ms`: from the tap to the first output frame showing it."""
        if not visible:
            act()
            return
        change = self.platform.timed_change(kind, act)
        key = f"{kind}_latency_ms"
        self.outcome.details[key] = change.detail
        if change.latency_ms is not None:
            self.outcome.metrics[key] = round(change.latency_ms, 1)

    def _tap(self, step: Step) -> None:
        self._session().tap(str(step.arg))

    def _wait(self, step: Step) -> None:
        time.sleep(float(step.arg))

    # --- capture and measurement ------------------------------------------------------------------------------
    def _capture(self, step: Step) -> None:
        self._session()
        seconds = float(step.arg)
        self.platform.start_capture()
        started = time.monotonic()
        for fraction in KEY_FRAME_FRACTIONS:
            delay = started + seconds * fraction - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.platform.key_frame()
        rest = started + seconds - time.monotonic()
        if rest > 0:
            time.sleep(rest)
        capture = self.platform.stop_capture(self.item_dir)
        with self.spans.span("analysis"):
            timing = self._timing_metrics(capture)
            if capture.video is not None:
                self.outcome.attachments.append(capture.video)
                self.reporter.attach(capture.video, f"captured output ({capture.source}, {capture.video.suffix[1:]})")
            self._stats_metrics()
            measure.key_frame_checks(self.ctx, [(k.t_ms, k.rgb) for k in capture.key_frames])
            if capture.video is not None:
                measure.sticker_tracking(self.ctx, capture.video)
            measure.timing_defects(self.ctx, timing)

    def _timing_metrics(self, capture: Capture) -> dict[str, object]:
        spec = self.services.clip_spec
        try:
            timing = analyze_timeline(capture.t_ms, capture.source_index, source_fps=float(spec.fps),
                                      clip_frames=spec.frames, refresh_hz=float(self.platform.refresh_hz))
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
        self.outcome.details["timeline"] = {"t_ms": capture.t_ms, "source_index": capture.source_index,
                                            "source": capture.source, "clock_offset_ms": capture.clock_offset_ms}
        return d

    def _stats_metrics(self) -> None:
        session = self._session()
        if not session.has("stats"):
            return
        values = parse_stats(session.text("stats"))
        for key, metric in (("cost_ms", "app_cost_ms"), ("fps", "app_fps")):
            if key in values:
                self.outcome.metrics[metric] = values[key]

    # --- recording --------------------------------------------------------------------------------------------
    def _start_recording(self, step: Step) -> None:
        self._session().tap("start_recording")
        self.outcome.details["recording_started_epoch_ms"] = time.time() * 1000.0

    def _stop_recording(self, step: Step) -> None:
        self._session().tap("stop_recording")
        recording = self.platform.fetch_app_recording(self.item_dir)
        self.outcome.attachments.append(recording.path)
        self.reporter.attach(recording.path, f"the app's own recording ({recording.path.suffix[1:]})")
        if recording.app_duration_ms is not None:
            self.outcome.metrics["app_recording_duration_ms"] = recording.app_duration_ms
        measure.measure_recording_file(self.ctx, recording.path)

    def _record(self, step: Step) -> None:
        self.outcome.details["recording_requested_ms"] = float(step.arg) * 1000.0
        self._start_recording(step)
        time.sleep(float(step.arg))
        self._stop_recording(step)
