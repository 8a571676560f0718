"""Time to the first output frame with a newly selected effect applied, from the probe's per-frame thumbnails.

Each output frame names its source frame (index code), so its thumbnail can be compared with the same source frame
scaled alike. Before the tap that difference stays at the level of what was already on; the first frame after the
tap whose difference leaves that level (and the next decoded frame stays out) shows the new effect. The region
compared follows the effect: the whole picture for a colour filter, the face for beauty, around the face for
stickers.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from harness.capture.clip import band_top as clip_band_top
from harness.capture.clip import face_box, render_frame
from harness.clipspec import ClipSpec
from harness.metrics.sticker import default_search_region

# Least rise of the mean absolute difference (0..255 RGB scale) that counts as a change, over the baseline maximum.
MIN_RISE = 4.0
# A sticker's change is measured over the quarter of the region's pixels that differ most (frame_difference).
EFFECT_TOP_SHARE = 0.25


@dataclass(frozen=True)
class Onset:
    """The first frame showing the change: its page-clock time and how it was judged."""

    t_ms: float
    seq: int
    threshold: float
    baseline_max: float
    value: float


@functools.lru_cache(maxsize=512)
def source_thumb(spec: ClipSpec, index: int, width: int, height: int) -> np.ndarray:
    return cv2.resize(render_frame(spec, index), (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)


def region_box(kind: str, spec: ClipSpec, index: int) -> tuple[int, int, int, int]:
    """(x, y, w, h) in clip pixels of what a change of `kind` (filter | beauty | effect) shows in."""
    if kind == "beauty":
        return face_box(spec, index)
    if kind == "effect":
        x, y, w, h = default_search_region(face_box(spec, index))
        x0, y0 = max(0, x), max(0, y)
        return x0, y0, min(spec.width, x + w) - x0, min(clip_band_top(spec), y + h) - y0
    return 0, 0, spec.width, clip_band_top(spec)


def frame_difference(thumb: np.ndarray, *, spec: ClipSpec, index: int, kind: str) -> float:
    """Mean absolute RGB difference between an output thumbnail and its source frame, inside the kind's region;
    for a sticker, the mean over the EFFECT_TOP_SHARE of the region's pixels that differ most (a sticker covers a
    small part of the region around the face, often cut by the picture's top: over the whole region its rise
    could stay within noise for seconds)."""
    th, tw = thumb.shape[:2]
    src = source_thumb(spec, index, tw, th)
    x, y, w, h = region_box(kind, spec, index)
    sx, sy = tw / spec.width, th / spec.height
    x0, y0 = int(x * sx), int(y * sy)
    x1, y1 = max(x0 + 1, int(np.ceil((x + w) * sx))), max(y0 + 1, int(np.ceil((y + h) * sy)))
    diff = np.abs(thumb[y0:y1, x0:x1].astype(np.float32) - src[y0:y1, x0:x1])
    if kind != "effect":
        return float(diff.mean())
    per_pixel = np.sort(diff.mean(axis=2), axis=None)
    top = per_pixel[-max(1, round(EFFECT_TOP_SHARE * per_pixel.size)):]
    return float(top.mean())


def find_onset(seqs: Sequence[int], t_ms: Sequence[float], indices: Sequence[int | None], thumbs: np.ndarray, *,
               spec: ClipSpec, tap_seq: int, kind: str) -> Onset | None:
    """The first frame at or after `tap_seq` that differs from its source more than every baseline frame did."""
    values: list[tuple[int, float, float]] = []
    for seq, t, idx, thumb in zip(seqs, t_ms, indices, thumbs, strict=True):
        if idx is not None:
            values.append((seq, t, frame_difference(thumb, spec=spec, index=idx, kind=kind)))
    baseline = [v for s, _, v in values if s < tap_seq]
    after = [(s, t, v) for s, t, v in values if s >= tap_seq]
    if len(baseline) < 3 or len(after) < 2:
        return None
    spread = float(np.std(baseline))
    threshold = max(baseline) + max(MIN_RISE, 4.0 * spread)
    for (seq, t, v), (_, _, v_next) in itertools.pairwise(after):
        if v > threshold and v_next > threshold:
            return Onset(t_ms=t, seq=seq, threshold=threshold, baseline_max=max(baseline), value=v)
    return None
