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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.errors import AnalysisError
from harness.metrics.stats import percentile
from harness.metrics.sticker import StickerBox

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


# --- a sticker's path against the face's path (the face-tracked effect in an app's output) ----------------------

FacePathAt = Callable[[npt.NDArray[np.float64]], tuple[npt.NDArray[np.float64], npt.NDArray[np.float64],
                                                        npt.NDArray[np.float64]]]
"""Face centre x, centre y and size (px) at fractional clip frame indices (capture.clip.face_path)."""

# Lags searched (ms): a tracker that predicts may lead a little; past 500 ms a sticker is not following at all.
MIN_LAG_MS = -100.0
MAX_LAG_MS = 500.0
MIN_TRACK_FRAMES = 8


@dataclass(frozen=True)
class StickerTrack:
    """How a face-tracked sticker followed the face over a capture (docs/metrics.md, "Face tracking").

    anchor_*: where the sticker sits relative to the face centre, in face sizes (median over frames once the lag is
    taken out: the app's intended placement). error: distance from that placement on the face as it is on the
    same frame (what a viewer sees, lag included). jitter: frame-to-frame change of what is left once the lag and
    the placement are taken out (shake). lag_ms: how far the sticker's path trails the face's path.
    """

    frames: int
    placed_frames: int
    anchor_dx_face: float
    anchor_dy_face: float
    error_px_p50: float
    error_px_p95: float
    error_pct_p50: float
    error_pct_p95: float
    jitter_px_p50: float | None
    jitter_px_p95: float | None
    jitter_pct_p50: float | None
    jitter_pct_p95: float | None
    lag_ms: float
    lag_fit_px: float  # mean distance left at the best lag: how well "the face's path, lag_ms late" explains it


def sticker_points(boxes: Sequence[StickerBox | None]) -> list[tuple[float, float] | None]:
    """One point per frame that moves with the sticker, from its blob boxes: per axis, the box's centre when the
    sticker is never cut on that axis; the far edge when it is cut on one side only on some frames (a crown cut by
    the top of the picture: its bottom edge); the centre of the frames not cut when cut on both sides (NaN on the
    others). The centre of the box, not the blob's centroid, which moves with whatever the sticker covers (on the
    reference crown it wandered by 1.3 px in step with the face's motion). None where no sticker was found."""
    seen = [b for b in boxes if b is not None]

    def rule(low: str, high: str) -> str:
        lo, hi = any(getattr(b, low) for b in seen), any(getattr(b, high) for b in seen)
        return "centre" if not (lo or hi) else "high" if lo and not hi else "low" if hi and not lo else "uncut"

    rules = (rule("cut_left", "cut_right"), rule("cut_top", "cut_bottom"))

    def coordinate(how: str, start: float, size: float, cut: bool) -> float:
        if how == "high":
            return start + size
        if how == "low":
            return start
        return math.nan if how == "uncut" and cut else start + size / 2.0

    return [None if b is None else
            (coordinate(rules[0], b.x, b.w, b.cut_left or b.cut_right),
             coordinate(rules[1], b.y, b.h, b.cut_top or b.cut_bottom)) for b in boxes]


def _fit(indices: npt.NDArray[np.float64], xy: npt.NDArray[np.float64], face_at: FacePathAt, shift: float
         ) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Mean residual (px), anchor (dx, dy in face sizes) and residual vectors with the face `shift` frames late.
    A NaN coordinate (the sticker cut by the picture's edge on that axis) is left out of that axis."""
    cx, cy, size = face_at(indices - shift)
    centre = np.stack([cx, cy], axis=1)
    rel = (xy - centre) / size[:, None]
    anchor = np.nanmedian(rel, axis=0)
    residual = xy - (centre + anchor[None, :] * size[:, None])
    distance = np.sqrt(np.nansum(residual**2, axis=1))
    return float(distance.mean()), anchor, residual


def sticker_track(source_index: Sequence[float], sticker_xy: Sequence[tuple[float, float] | None],
                  face_at: FacePathAt, *, fps: float, min_lag_ms: float = MIN_LAG_MS,
                  max_lag_ms: float = MAX_LAG_MS) -> StickerTrack:
    """The sticker's placement error, jitter and lag from its centre on consecutive output frames.

    `source_index[i]` is the clip frame output frame i shows (index code; `face_at` takes it modulo the clip's
    length), `sticker_xy[i]` the sticker's centre there in clip pixels (None: no sticker found, counted as not
    placed; a NaN coordinate: the sticker touches the picture's edge on that axis, so its centre is unknown there
    and that axis is left out). The lag is the shift of the face's path (continuous, `face_at`) that best
    explains the sticker's positions with one fixed placement relative to the face: searched over
    [min_lag_ms, max_lag_ms] in 5 ms steps, then to 0.5 ms around the best. Raises AnalysisError with fewer than
    MIN_TRACK_FRAMES placed frames.
    """
    if len(source_index) != len(sticker_xy):
        raise AnalysisError(f"source indices and sticker positions differ in number: "
                            f"{len(source_index)} vs {len(sticker_xy)}")
    if fps <= 0:
        raise AnalysisError(f"fps must be positive, got {fps}")
    keep = [i for i, p in enumerate(sticker_xy) if p is not None]
    if len(keep) < MIN_TRACK_FRAMES:
        raise AnalysisError(f"a sticker was found on {len(keep)} of {len(sticker_xy)} frames; tracking needs "
                            f"at least {MIN_TRACK_FRAMES}")
    idx = np.array([float(source_index[i]) for i in keep])
    xy = np.array([sticker_xy[i] for i in keep], dtype=np.float64)
    if np.isnan(xy).all(axis=0).any():
        raise AnalysisError("the sticker is cut by the picture's edge on every frame: its path cannot be followed")
    per_ms = fps / 1000.0

    def cost(lag_ms: float) -> float:
        return _fit(idx, xy, face_at, lag_ms * per_ms)[0]

    coarse = np.arange(min_lag_ms, max_lag_ms + 1e-9, 5.0)
    best = float(coarse[int(np.argmin([cost(float(v)) for v in coarse]))])
    fine = np.arange(max(min_lag_ms, best - 5.0), min(max_lag_ms, best + 5.0) + 1e-9, 0.5)
    lag_ms = float(fine[int(np.argmin([cost(float(v)) for v in fine]))])
    fit_px, anchor, residual = _fit(idx, xy, face_at, lag_ms * per_ms)
    # Error and jitter on the frames where the whole sticker is in the picture (both coordinates known).
    whole: npt.NDArray[np.bool_] = np.asarray(~np.isnan(xy).any(axis=1), dtype=bool)
    if not whole.any():
        raise AnalysisError("the sticker is cut by the picture's edge on every frame: its placement is unknown")
    cx, cy, size = face_at(idx)  # the face as it is on each frame
    expected = np.stack([cx, cy], axis=1) + anchor[None, :] * size[:, None]
    error = np.asarray(np.hypot(*(xy - expected).T), dtype=np.float64)[whole]
    error_pct = 100.0 * error / size[whole]
    # jitter: consecutive output frames that both show the whole sticker
    pairs = [(a, a + 1) for a in range(len(keep) - 1)
             if keep[a + 1] == keep[a] + 1 and bool(whole[a]) and bool(whole[a + 1])]
    steps = [float(np.hypot(*(residual[b] - residual[a]))) for a, b in pairs]
    steps_pct = [100.0 * s / float(size[b]) for s, (_a, b) in zip(steps, pairs, strict=True)]

    def q(values: Sequence[float], p: float) -> float | None:
        return round(percentile(list(values), p), 3) if values else None

    return StickerTrack(
        frames=len(sticker_xy), placed_frames=len(keep),
        anchor_dx_face=round(float(anchor[0]), 4), anchor_dy_face=round(float(anchor[1]), 4),
        error_px_p50=round(percentile(error.tolist(), 50), 3), error_px_p95=round(percentile(error.tolist(), 95), 3),
        error_pct_p50=round(percentile(error_pct.tolist(), 50), 3),
        error_pct_p95=round(percentile(error_pct.tolist(), 95), 3),
        jitter_px_p50=q(steps, 50), jitter_px_p95=q(steps, 95),
        jitter_pct_p50=q(steps_pct, 50), jitter_pct_p95=q(steps_pct, 95),
        lag_ms=round(lag_ms, 1), lag_fit_px=round(fit_px, 3),
    )
