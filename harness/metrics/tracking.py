"""Face-tracking quality from per-frame boxes: where the SDK put the face against where the reference clip has it
(capture.clip.face_box), as pure functions on (x, y, w, h) boxes.

Definitions (docs/metrics.md):
- placement error: distance between the centres of the tracked box and the true face box, in px and in % of
  the true face size (sqrt(w * h) of the true box: one number for the face's scale, independent of aspect);
- jitter: frame-to-frame change of the error vector (tracked centre - true centre), in px and % of face size.
  The face's own motion cancels out, so a tracker that follows a moving face exactly has zero jitter, and one
  that shakes on a still face has its shake measured;
- time to first track: from the first frame the face was visible to the first frame with a tracked box (ms);
- lag: the shift (in frames) of the tracked centres against the true ones that minimises the mean placement
  error, searched over 0..max_lag frames.
Percentiles are linear-interpolation ones (harness.metrics.stats.percentile). A frame with no tracked box
(None) is left out of errors and jitter (jitter needs both frames of a pair) and counted as lost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from harness.errors import AnalysisError
from harness.metrics.stats import percentile

Box = tuple[float, float, float, float]  # x, y, w, h in px


@dataclass(frozen=True)
class TrackingQuality:
    frames: int
    tracked_frames: int
    error_px_p50: float
    error_px_p95: float
    error_pct_p50: float
    error_pct_p95: float
    jitter_px_p50: float | None  # None when no two consecutive frames were tracked
    jitter_px_p95: float | None
    jitter_pct_p50: float | None
    jitter_pct_p95: float | None

    @property
    def lost_frames(self) -> int:
        return self.frames - self.tracked_frames


def _centre(box: Box) -> tuple[float, float]:
    x, y, w, h = box
    return x + w / 2.0, y + h / 2.0


def face_size_px(box: Box) -> float:
    """The face's scale: sqrt(w * h) of its box."""
    _, _, w, h = box
    if w <= 0 or h <= 0:
        raise AnalysisError(f"a face box needs a positive width and height, got {box}")
    return math.sqrt(w * h)


def error_vector(tracked: Box, truth: Box) -> tuple[float, float]:
    (tx, ty), (fx, fy) = _centre(tracked), _centre(truth)
    return tx - fx, ty - fy


def tracking_quality(tracked: Sequence[Box | None], truth: Sequence[Box]) -> TrackingQuality:
    """Placement error and jitter over frames aligned one to one (tracked[i] was made from the frame truth[i])."""
    if len(tracked) != len(truth):
        raise AnalysisError(f"tracked and true boxes differ in number: {len(tracked)} vs {len(truth)}")
    errors_px: list[float] = []
    errors_pct: list[float] = []
    jitter_px: list[float] = []
    jitter_pct: list[float] = []
    previous: tuple[float, float] | None = None
    for got, want in zip(tracked, truth, strict=True):
        if got is None:
            previous = None
            continue
        size = face_size_px(want)
        ex, ey = error_vector(got, want)
        errors_px.append(math.hypot(ex, ey))
        errors_pct.append(100.0 * math.hypot(ex, ey) / size)
        if previous is not None:
            step = math.hypot(ex - previous[0], ey - previous[1])
            jitter_px.append(step)
            jitter_pct.append(100.0 * step / size)
        previous = (ex, ey)
    if not errors_px:
        raise AnalysisError(f"no frame of {len(truth)} has a tracked face box")

    def pct(values: list[float], q: float) -> float | None:
        return round(percentile(values, q), 3) if values else None

    return TrackingQuality(
        frames=len(truth), tracked_frames=len(errors_px),
        error_px_p50=round(percentile(errors_px, 50), 3), error_px_p95=round(percentile(errors_px, 95), 3),
        error_pct_p50=round(percentile(errors_pct, 50), 3), error_pct_p95=round(percentile(errors_pct, 95), 3),
        jitter_px_p50=pct(jitter_px, 50), jitter_px_p95=pct(jitter_px, 95),
        jitter_pct_p50=pct(jitter_pct, 50), jitter_pct_p95=pct(jitter_pct, 95),
    )


def time_to_first_track_ms(t_ms: Sequence[float], tracked: Sequence[Box | None], *,
                           face_visible_from_ms: float | None = None) -> float | None:
    """ms from the face's first appearance (default: the first frame's time) to the first tracked frame; None
    when no frame is tracked."""
    if len(t_ms) != len(tracked):
        raise AnalysisError(f"times and boxes differ in number: {len(t_ms)} vs {len(tracked)}")
    if not t_ms:
        return None
    start = t_ms[0] if face_visible_from_ms is None else face_visible_from_ms
    for t, box in zip(t_ms, tracked, strict=True):
        if box is not None and t >= start:
            return round(t - start, 3)
    return None


def estimate_lag_frames(tracked: Sequence[Box | None], truth: Sequence[Box], *, max_lag: int) -> int:
    """The lag L in 0..max_lag (frames) for which tracked[i] best matches truth[i - L] (least mean centre
    distance). Only measurable when the face moves by more than the tracker's jitter within L frames and its
    velocity changes (a constant velocity turns a lag into a constant offset)."""
    if max_lag < 0:
        raise AnalysisError(f"max_lag must be >= 0, got {max_lag}")
    best_lag, best_cost = 0, math.inf
    for lag in range(max_lag + 1):
        costs = [math.hypot(*error_vector(got, truth[i - lag]))
                 for i, got in enumerate(tracked) if got is not None and i - lag >= 0]
        if not costs:
            continue
        cost = sum(costs) / len(costs)
        if cost < best_cost - 1e-9:
            best_lag, best_cost = lag, cost
    if best_cost == math.inf:
        raise AnalysisError("no tracked frame to estimate the lag from")
    return best_lag
