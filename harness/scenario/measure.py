"""Visual measurements on what the app showed: key frames from a capture and the app's own recordings.

Every output frame names its source frame through the index code, so each check compares exact frame pairs: the
output against the same source frame (regenerated from the clip), the filter's own LUT applied to it, its known face
box and skin. Each check becomes a metric (units in the name), a check record, and evidence where it fails.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from harness.analyze import decode_timeline
from harness.capture.clip import band_top as clip_band_top
from harness.capture.clip import face_box, face_path, photo_height, render_frame, skin_mask
from harness.capture.video import iter_frames
from harness.clipspec import ClipSpec
from harness.errors import AnalysisError, SdkDefectError
from harness.metrics import adaptation, beauty, recording, response, sticker, tracking, visual
from harness.metrics.adaptation import Finding
from harness.metrics.frames import analyze_timeline
from harness.metrics.indexcode import decode_index, to_clip_frame
from harness.metrics.lut import Lut3D, apply_lut, load_cube
from harness.metrics.visual_common import CheckResult, EvidenceMode
from harness.scenario.context import ItemContext

_LUTS: dict[Path, Lut3D] = {}
MIN_FREEZE_DEFECT_MS = 500.0


def _lut(path: Path) -> Lut3D:
    if path not in _LUTS:
        _LUTS[path] = load_cube(path)
    return _LUTS[path]


def save_rgb(path: Path, rgb: np.ndarray, *, quality: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if quality is not None else []
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    return path


# Detectors of defects: when one fires, the item fails as an SDK defect. `any`: one key frame is enough (a black
# flash is a defect); `majority`: more than half of the key frames (a sticker may blink out for one frame).
DETECTORS: dict[str, str] = {
    "black_frame_luma_p99": "any",
    "green_frame_share": "any",
    "filter_applied_delta_e": "majority",
    "beauty_smoothing_ratio": "majority",
    "effect_changed_share": "majority",
}
# The adaptation defect each detector names (docs/metrics.md).
DETECTOR_DEFECTS: dict[str, str] = {
    "black_frame_luma_p99": "black_frames",
    "green_frame_share": "green_frames",
    "filter_applied_delta_e": "effect_not_applied",
    "beauty_smoothing_ratio": "effect_not_applied",
    "effect_changed_share": "effect_not_applied",
}
# Colour findings a sticker or a beauty retouch can cause on its own; not judged while one is on.
COLOUR_ONLY = ("colour_cast", "bt601_bt709_mismatch")


class KeyFrameJudge:
    """Collects per-key-frame check results and folds them into metrics, check records and defects.

    Every result becomes a metric (the mean over key frames). Detectors also become check records, and a fired
    detector is a defect; the other results are quality measures, judged by the scenario's `expect` thresholds.
    """

    def __init__(self, ctx: ItemContext) -> None:
        self.ctx = ctx
        self.results: dict[str, list[CheckResult]] = {}

    def add(self, metric: str, result: CheckResult) -> None:
        self.results.setdefault(metric, []).append(result)

    def finish(self) -> list[str]:
        """Writes metrics, checks, evidence and the defects of fired detectors; returns one line per one fired."""
        outcome = self.ctx.outcome
        defects: list[str] = []
        for metric, results in self.results.items():
            value = float(statistics.fmean(r.value for r in results))
            outcome.metrics[metric] = round(value, 4)
            failed = [r for r in results if not r.passed]
            rule = DETECTORS.get(metric)
            if rule is None:
                continue
            fired = bool(failed) if rule == "any" else len(failed) * 2 > len(results)
            shown = failed[0] if failed else results[0]
            outcome.checks.append({
                "name": f"visual {shown.name}", "metric": metric, "value": round(value, 4),
                "threshold": shown.threshold, "verdict": "fail" if fired else "pass", "unit": shown.unit,
            })
            if fired:
                text = (f"{shown.name} on {len(failed)} of {len(results)} key frames "
                        f"({metric} = {value:.4g}, pass if {shown.threshold})")
                defects.append(text)
                outcome.add_defect(DETECTOR_DEFECTS[metric], value=round(value, 4), unit=shown.unit,
                                   threshold=shown.threshold, summary=text)
            evidence = failed[0].evidence if failed else None
            if evidence is not None:
                path = save_rgb(self.ctx.item_dir / f"evidence_{metric}.jpg", evidence, quality=90)
                outcome.attachments.append(path)
                self.ctx.reporter.attach(path, f"evidence: {metric}")
        return defects


def filter_lut(ctx: ItemContext) -> Path | None:
    """The reference LUT of the selected filter, None when no filter is on or the candidate gives none (its
    colours are then not known)."""
    lut_path = ctx.filter_luts.get(ctx.state.filter) if ctx.state.filter != "none" else None
    return Path(lut_path) if lut_path is not None else None


def filtered(ctx: ItemContext, source: np.ndarray) -> np.ndarray:
    """The clip frame `source` as the selected filter should make it: its reference LUT applied when the candidate
    gives one, else `source` itself (no filter, or a filter whose colours are not known)."""
    lut_path = filter_lut(ctx)
    return apply_lut(source, _lut(lut_path)) if lut_path is not None else source


def effect_detector(ctx: ItemContext, output: np.ndarray, *, source: np.ndarray, base: np.ndarray, index: int,
                    evidence: EvidenceMode = "on_fail") -> tuple[str, CheckResult] | None:
    """The one detector that says whether what the app has switched on shows in `output` (clip geometry, showing
    clip frame `index`): a sticker (effect_changed_share; around the face, or the whole picture for an effect fixed
    to the screen), else beauty (beauty_smoothing_ratio), else a filter (filter_applied_delta_e); None when nothing
    is on. `base` is the source with the filter's LUT applied when one is known. Key frames and the app's own
    recording are judged by it alike."""
    spec: ClipSpec = ctx.spec
    state = ctx.state
    region = (0, 0, spec.width, clip_band_top(spec))  # everything but the index-code band
    if state.effect != "none":
        box = face_box(spec, index) if ctx.tracks_face(state.effect) else region
        return "effect_changed_share", sticker.sticker_presence(output, base, face_box=box, evidence=evidence)
    if state.beauty > 0:
        box = face_box(spec, index)
        reference = beauty.untouched_reference_mask(base, box, picture_height=photo_height(spec))
        return "beauty_smoothing_ratio", beauty.skin_smoothing_ratio(output, base, face_box=box,
                                                                     skin_mask=skin_mask(spec, index),
                                                                     reference_mask=reference, evidence=evidence)
    if state.filter != "none":
        return "filter_applied_delta_e", visual.filter_applied(output, source, region=region, evidence=evidence)
    return None


def key_frame_checks(ctx: ItemContext, key_frames: Sequence[tuple[float, np.ndarray]]) -> None:
    """Checks each key frame against its own source frame, for what the scenario has switched on."""
    spec: ClipSpec = ctx.spec
    state = ctx.state
    judge = KeyFrameJudge(ctx)
    seen: list[int] = []
    positions: list[tuple[float, float] | None] = []
    findings: dict[str, list[Finding]] = {}
    responses: list[response.ColourResponse] = []
    region = (0, 0, spec.width, clip_band_top(spec))  # everything but the index-code band
    for n, (_t, frame) in enumerate(key_frames, start=1):
        if n == 1:
            shot = save_rgb(ctx.item_dir / "key_frame_1.png", frame)
            ctx.outcome.attachments.append(shot)
            jpg = save_rgb(ctx.item_dir / "key_frame_1.jpg", frame, quality=88)
            ctx.reporter.attach(jpg, "key frame (output)")
        judge.add("black_frame_luma_p99", visual.black_frame(frame))
        judge.add("green_frame_share", visual.green_frame(frame))
        found = decode_index(frame, spec=spec)
        if found is None:
            continue
        seen.append(found.index)
        output = to_clip_frame(frame, found, width=spec.width, height=spec.height)
        source = render_frame(spec, found.index)
        exclude = response.spatial_exclusion(face_box(spec, found.index), beauty_on=state.beauty > 0,
                                             effect_on=state.effect != "none")
        responses.append(response.colour_response(
            source, output, region=response.response_region(spec.width, spec.height, exclude=exclude,
                                                                  version=spec.version),
            bins=response.RESPONSE_BINS))
        lut_path = filter_lut(ctx)
        base = filtered(ctx, source)
        plain_filter = state.beauty == 0 and state.effect == "none"
        # Without a reference LUT the filter's colours are not known: it is judged as applied (filter_applied),
        # consistent across devices (colour_response) and stable over key frames, not by colour findings.
        colour_known = state.filter == "none" or lut_path is not None
        for finding in adaptation.classify_frame(
            frame, source=source, expected=base if (lut_path is not None and plain_filter) else None,
            decoded=found, effect_expected=state.filter != "none" and plain_filter and lut_path is not None,
        ):
            if (plain_filter and colour_known) or finding.defect not in COLOUR_ONLY:
                findings.setdefault(finding.defect, []).append(finding)
        detected = effect_detector(ctx, output, source=source, base=base, index=found.index)
        if detected is not None:
            judge.add(*detected)
        if plain_filter and lut_path is not None:
            judge.add("filter_delta_e", visual.filter_fidelity(output, base, region=region))
        elif plain_filter and state.filter != "none":
            ctx.outcome.not_applicable["filter_delta_e"] = (
                f"the {state.filter} filter has no reference LUT for this candidate: it is judged as applied, "
                "consistent across devices and stable, not against a LUT")
        if state.beauty > 0 and state.effect == "none":
            box = face_box(spec, found.index)
            skin = skin_mask(spec, found.index)
            judge.add("beauty_whitening_dl", beauty.whitening_delta_l(output, base, skin_mask=skin))
            judge.add("beauty_detail_ratio", beauty.detail_preserved(output, base,
                                                                     regions=beauty.face_regions(box)))
        if detected is not None and detected[0] == "effect_changed_share":
            dx, dy = detected[1].detail.get("centroid_dx"), detected[1].detail.get("centroid_dy")
            positions.append(None if dx is None or dy is None else (float(dx), float(dy)))
    valid = [p for p in positions if p is not None]
    if len(valid) >= 2:  # jitter needs two placements; fewer is judged by the presence detector
        judge.add("effect_jitter", sticker.sticker_jitter(positions))
    if valid:
        ctx.outcome.metrics["effect_offset_x_face"] = round(statistics.fmean(p[0] for p in valid), 4)
        ctx.outcome.metrics["effect_offset_y_face"] = round(statistics.fmean(p[1] for p in valid), 4)
    # A frame defect counts when more than half of the decoded key frames show it.
    defects = []
    for name, found_in in findings.items():
        if len(found_in) * 2 > len(seen):
            first = found_in[0]
            text = f"{first.summary()} on {len(found_in)} of {len(seen)} key frames"
            defects.append(text)
            ctx.outcome.add_defect(name, value=round(first.value, 4), unit=first.unit,
                                      threshold=first.threshold, summary=text)
            if first.evidence is not None:
                path = save_rgb(ctx.item_dir / f"evidence_{name}.jpg", first.evidence, quality=90)
                ctx.outcome.attachments.append(path)
                ctx.reporter.attach(path, f"evidence: {name}")
    judge.finish()
    ctx.outcome.metrics["key_frames_decoded"] = float(len(seen))
    ctx.outcome.details["key_frame_indices"] = seen
    if responses:  # source colour -> output colour on the decoded key frames, for comparisons across devices
        ctx.outcome.details["colour_response"] = response.merge_responses(responses).to_dict()
    if key_frames and not seen and not ctx.outcome.defects:
        for _t, frame in key_frames[:1]:
            diagnose_frame(ctx, frame)


# At most this many output frames of a capture are read for face tracking (5 s at 30 fps).
MAX_TRACKING_FRAMES = 150


def _face_at(spec: ClipSpec) -> tracking.FacePathAt:
    def at(indices: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        path = face_path(spec, indices)
        return path.cx, path.cy, path.size
    return at


def sticker_tracking(ctx: ItemContext, video: Path) -> None:
    """Face tracking of a face-anchored effect over every output frame of a capture: the sticker's centre on each
    frame (sticker_presence on the frame against its own source frame) against where the clip has the face,
    as `tracking_*` metrics (docs/metrics.md, "Face tracking"). A frame whose index code cannot be read is left
    out (unknown); a repeated output frame counts once. Nothing is measured when the effect is fixed to the screen
    or fewer than tracking.MIN_TRACK_FRAMES frames show a sticker (the presence detector judges those)."""
    spec: ClipSpec = ctx.spec
    state = ctx.state
    if not ctx.tracks_face(state.effect):
        return
    indices: list[float] = []
    placed: list[sticker.StickerBox | None] = []
    last: int | None = None
    read = 0
    try:
        for _t, frame in iter_frames(video, max_frames=MAX_TRACKING_FRAMES):
            read += 1
            found = decode_index(frame, spec=spec)
            if found is None or found.index == last:
                continue
            last = found.index
            output = to_clip_frame(frame, found, width=spec.width, height=spec.height)
            base = filtered(ctx, render_frame(spec, found.index))
            box = face_box(spec, found.index)
            result = sticker.sticker_presence(output, base, face_box=box, evidence="never")
            indices.append(float(found.index))
            placed.append(sticker.sticker_box(result))
    except AnalysisError as exc:
        ctx.outcome.details["tracking"] = f"not measured: the capture could not be read ({exc})"
        return
    try:
        track = tracking.sticker_track(indices, tracking.sticker_points(placed), _face_at(spec),
                                       fps=float(spec.fps))
    except AnalysisError as exc:
        ctx.outcome.details["tracking"] = f"not measured: {exc}"
        return
    m = ctx.outcome.metrics
    m["tracking_lag_ms"] = track.lag_ms
    for name in ("error", "jitter"):
        for unit in ("px", "pct"):
            for q in ("p50", "p95"):
                value = getattr(track, f"{name}_{unit}_{q}")
                if value is not None:  # tracking_error_p50_px, ... (the unit last, as everywhere)
                    m[f"tracking_{name}_{q}_{unit}"] = value
    m["tracking_placed_share"] = round(track.placed_frames / track.frames, 4)
    ctx.outcome.details["tracking"] = {**dataclasses.asdict(track), "frames_read": read}


def timing_defects(ctx: ItemContext, timing: dict[str, Any]) -> None:
    """Frame drops and long freezes of a capture, as adaptation defects (the item fails when its steps end)."""
    spec: ClipSpec = ctx.spec
    for finding in adaptation.classify_timeline(timing, source_fps=float(spec.fps)):
        # A single hitch of a few hundred ms is jank (its own metrics); a frozen preview is held much longer.
        if finding.defect == "freeze" and finding.value < MIN_FREEZE_DEFECT_MS:
            continue
        ctx.outcome.add_defect(finding.defect, value=round(finding.value, 3), unit=finding.unit,
                                  threshold=finding.threshold, summary=finding.summary())


def diagnose_frame(ctx: ItemContext, frame: np.ndarray) -> list[str]:
    """What one output frame shows when no camera frame could be decoded in time: geometry or broken frames."""
    spec: ClipSpec = ctx.spec
    save = save_rgb(ctx.item_dir / "diagnosis_frame.png", frame)
    ctx.outcome.attachments.append(save)
    found = decode_index(frame, spec=spec)
    out: list[str] = []
    if found is not None:
        for finding in adaptation.classify_frame(frame, source=render_frame(spec, found.index), decoded=found):
            ctx.outcome.add_defect(finding.defect, value=round(finding.value, 4), unit=finding.unit,
                                      threshold=finding.threshold, summary=finding.summary())
            out.append(finding.summary())
        return out
    for name, check in (("black_frames", visual.black_frame(frame)), ("green_frames", visual.green_frame(frame)),
                        ("uniform_frames", visual.uniform_frame(frame))):
        if not check.passed:
            ctx.outcome.add_defect(name, value=round(check.value, 4), unit=check.unit,
                                      threshold=check.threshold, summary=check.summary())
            out.append(check.summary())
            break
    return out


# Frames of the app's recording checked for the effect: spread evenly over the frames whose code was read.
RECORDING_EFFECT_FRAMES = 5


def recording_effect(ctx: ItemContext, path: Path, indices: Sequence[int | None]) -> None:
    """Whether what was switched on shows in the app's own recording: the same detector as on key frames
    (effect_detector) on up to RECORDING_EFFECT_FRAMES decoded frames spread over it, as
    `recording_effect_share`; shown on half of them or fewer, the item gets the defect `effect_not_applied`
    naming the recording (an app that previews the effect but records without it)."""
    spec: ClipSpec = ctx.spec
    state = ctx.state
    if state.filter == "none" and state.beauty == 0 and state.effect == "none":
        return
    readable = [n for n, i in enumerate(indices) if i is not None]
    if not readable:
        return
    count = min(RECORDING_EFFECT_FRAMES, len(readable))
    wanted = {readable[round((k + 0.5) * len(readable) / count - 0.5)] for k in range(count)}
    results: list[tuple[str, CheckResult]] = []
    for n, (_t, frame) in enumerate(iter_frames(path, max_frames=max(wanted) + 1)):
        if n not in wanted:
            continue
        found = decode_index(frame, spec=spec)
        if found is None:
            continue
        output = to_clip_frame(frame, found, width=spec.width, height=spec.height)
        source = render_frame(spec, found.index)
        detected = effect_detector(ctx, output, source=source, base=filtered(ctx, source), index=found.index)
        if detected is not None:
            results.append(detected)
    if not results:
        return
    seen = sum(r.passed for _name, r in results)
    ctx.outcome.metrics["recording_effect_share"] = round(seen / len(results), 4)
    if seen * 2 <= len(results):
        what = {"effect_changed_share": f"the {state.effect} effect", "beauty_smoothing_ratio": "beauty",
                "filter_applied_delta_e": f"the {state.filter} filter"}[results[0][0]]
        shown = next(r for _name, r in results if not r.passed)
        text = (f"the app's recording shows {what} on {seen} of {len(results)} frames checked "
                f"({shown.name} {shown.value:.4g}, pass if {shown.threshold})")
        ctx.outcome.add_defect("effect_not_applied", value=round(seen / len(results), 4), unit="share",
                               threshold="> 0.5 of the frames checked", summary=text)
        if shown.evidence is not None:
            evidence = save_rgb(ctx.item_dir / "evidence_recording_effect.jpg", shown.evidence, quality=90)
            ctx.outcome.attachments.append(evidence)
            ctx.reporter.attach(evidence, "evidence: effect missing from the app's recording")


def measure_recording_file(ctx: ItemContext, path: Path) -> None:
    """Frames, duration, content rate and drops of the clip the app recorded (decoded as `harness analyze` does)."""
    spec: ClipSpec = ctx.spec
    try:
        t_ms, indices = decode_timeline(path, spec)
    except AnalysisError as exc:
        raise SdkDefectError(f"[sdk] the app's recording on {ctx.label} is not a playable video: {exc}") from exc
    m = ctx.outcome.metrics
    m["recording_frames"] = float(len(t_ms))
    decoded = [i for i in indices if i is not None]
    if len(t_ms) < 2 or not decoded:
        raise SdkDefectError(f"[sdk] the recorded clip on {ctx.label} holds {len(t_ms)} frames, "
                             f"{len(decoded)} showing the camera image")
    timing = analyze_timeline(t_ms, indices, source_fps=float(spec.fps), clip_frames=spec.frames).to_dict()
    interval = (t_ms[-1] - t_ms[0]) / (len(t_ms) - 1)
    m["recording_duration_ms"] = round(t_ms[-1] - t_ms[0] + interval, 1)
    m["recording_content_fps"] = round(float(timing["content_fps"]), 2)
    m["recording_dropped_frames"] = float(timing["dropped_frames"])
    recording_effect(ctx, path, indices)
    requested = ctx.outcome.details.get("recording_requested_ms")
    if isinstance(requested, int | float) and requested > 0:  # a `record: SECONDS` step asked for this length
        judged = recording.judge_recording(
            requested_ms=float(requested), duration_ms=m["recording_duration_ms"],
            content_fps=m["recording_content_fps"], source_fps=float(spec.fps), frames=len(t_ms),
            dropped_frames=int(timing["dropped_frames"]))
        m["recording_duration_error_pct"] = judged.duration_error_pct
        m["recording_fps_share"] = judged.fps_share
        ctx.outcome.details["recording_findings"] = list(judged.findings)
