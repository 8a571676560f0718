"""The app's own recording judged against what was asked of it: its length against the requested one, its frame
rate against the camera's, its dropped frames. Pure functions on numbers measured from the decoded clip
(harness.scenario.measure.measure_recording_file)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import AnalysisError

# A recording is "off" when its length differs from the request by more than this share, its content rate is
# below this share of the camera's, or more than this share of the camera frames it spans are missing.
DEFAULT_MAX_DURATION_ERROR = 0.20
DEFAULT_MIN_FPS_SHARE = 0.75
DEFAULT_MAX_DROPPED_SHARE = 0.20


@dataclass(frozen=True)
class RecordingJudgement:
    duration_error_pct: float  # (recorded - requested) / requested * 100: +80 = 80 % too long
    fps_share: float  # content fps / camera fps
    dropped_share: float  # dropped / (kept + dropped) camera frames
    findings: tuple[str, ...]


def judge_recording(*, requested_ms: float, duration_ms: float, content_fps: float, source_fps: float,
                    frames: int, dropped_frames: int,
                    max_duration_error: float = DEFAULT_MAX_DURATION_ERROR,
                    min_fps_share: float = DEFAULT_MIN_FPS_SHARE,
                    max_dropped_share: float = DEFAULT_MAX_DROPPED_SHARE) -> RecordingJudgement:
    if requested_ms <= 0 or source_fps <= 0:
        raise AnalysisError(f"requested_ms and source_fps must be positive, got {requested_ms} and {source_fps}")
    error = (duration_ms - requested_ms) / requested_ms
    share = content_fps / source_fps
    spanned = frames + dropped_frames
    dropped = dropped_frames / spanned if spanned > 0 else 0.0
    findings: list[str] = []
    if abs(error) > max_duration_error:
        findings.append(f"recording_duration: {duration_ms / 1000:.2f} s recorded for {requested_ms / 1000:.2f} s "
                        f"requested ({error * 100:+.0f} %, limit ±{max_duration_error * 100:.0f} %)")
    if share < min_fps_share:
        findings.append(f"recording_frame_rate: {content_fps:.1f} fps of a {source_fps:.0f} fps camera "
                        f"(limit >= {min_fps_share * source_fps:.1f} fps)")
    if dropped > max_dropped_share:
        findings.append(f"recording_drops: {dropped_frames} of {spanned} camera frames missing "
                        f"({dropped * 100:.0f} %, limit <= {max_dropped_share * 100:.0f} %)")
    return RecordingJudgement(round(error * 100, 2), round(share, 4), round(dropped, 4), tuple(findings))
