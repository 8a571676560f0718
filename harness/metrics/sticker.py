"""AR sticker checks: is a sticker drawn around the face, where relative to the face, and how steady it is.

Presence is measured by difference against what the frame would be without the effect, so an absent sticker
scores ~0 by construction (template matching can report full confidence for an absent image).
Positions are normalised by the face box, which makes them comparable across output resolutions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from harness.errors import AnalysisError, ConfigError
from harness.metrics.color import delta_e_ciede2000, srgb_to_lab
from harness.metrics.visual_common import (
    Box,
    CheckResult,
    EvidenceMode,
    align_to,
    clip_box,
    evidence_image,
    wants_evidence,
)

# Default search region around the face box, in face widths / heights: half a face to each side, a full face
# above (hats, ears, halos) and a quarter below (beards, necklaces).
SEARCH_MARGINS = (0.5, 1.0, 0.5, 0.25)  # left, top, right, bottom
# A pixel "changed strongly" when ΔE00 > 20 after a 3x3 blur of both frames. VP8/JPEG capture of the same
# frame reaches ΔE00 ~20 only on isolated edge pixels (p99 8.3, max 21.8 on the reference frame), which the
# 3x3 blur and the morphological opening below remove; a drawn sticker differs by far more.
DEFAULT_CHANGED_DELTA_E = 20.0
DEFAULT_MIN_CHANGED_SHARE = 0.02
DEFAULT_MAX_JITTER = 0.05  # RMS wobble of the sticker centroid, in face sizes
STICKER_PART_SHARE = 0.1  # blobs this large against the largest count as parts of the sticker (sticker_box)
_OPEN_KERNEL = np.ones((3, 3), dtype=np.uint8)


def default_search_region(face_box: Box) -> Box:
    """The box around ``face_box`` searched for a sticker by default (SEARCH_MARGINS), unclipped."""
    fx, fy, fw, fh = face_box
    left, top, right, bottom = SEARCH_MARGINS
    x0, y0 = fx - round(left * fw), fy - round(top * fh)
    return (x0, y0, fx + fw + round(right * fw) - x0, fy + fh + round(bottom * fh) - y0)


def sticker_presence(
    output: np.ndarray,
    expected_without_effect: np.ndarray,
    *,
    face_box: Box,
    search_region: Box | None = None,
    min_changed_share: float = DEFAULT_MIN_CHANGED_SHARE,
    changed_delta_e: float = DEFAULT_CHANGED_DELTA_E,
    evidence: EvidenceMode = "on_fail",
) -> CheckResult:
    """Share of the search region that differs strongly from the frame without the effect, and where.

    ``expected_without_effect`` is the source frame, or the source with the expected filter applied when a
    filter is on too. value = changed share of the search region (default: around and above the face);
    passes if >= ``min_changed_share`` (default 0.02). detail gives the largest changed blob's centroid
    relative to the face centre, in face sizes: ``centroid_dx`` = (cx - face_cx) / face_w, ``centroid_dy`` =
    (cy - face_cy) / face_h (negative dy = above the face centre), or None when nothing changed.
    """
    out = align_to(output, expected_without_effect, names=("output", "expected_without_effect"))
    shape = expected_without_effect.shape
    fx, fy, fw, fh = clip_box(face_box, shape, name="face_box")
    region = search_region if search_region is not None else default_search_region((fx, fy, fw, fh))
    sx, sy, sw, sh = clip_box(region, shape, name="search_region")
    crop_out = cv2.blur(out[sy : sy + sh, sx : sx + sw], (3, 3))
    crop_ref = cv2.blur(np.ascontiguousarray(expected_without_effect[sy : sy + sh, sx : sx + sw]), (3, 3))
    de = delta_e_ciede2000(srgb_to_lab(crop_out), srgb_to_lab(crop_ref))
    changed = cv2.morphologyEx((de > changed_delta_e).astype(np.uint8), cv2.MORPH_OPEN, _OPEN_KERNEL)
    share = float(changed.mean())
    detail: dict[str, object] = {
        "changed_share": share,
        "centroid_dx": None,
        "centroid_dy": None,
        "blob_box": None,
        "sticker_box": None,
        "blob_pixels": 0,
        "search_region": (sx, sy, sw, sh),
    }
    count, _labels, stats, centroids = cv2.connectedComponentsWithStats(changed, connectivity=8)
    if count > 1:
        biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        cx, cy = centroids[biggest]
        bx, by, bw, bh, area = (int(v) for v in stats[biggest])
        # The sticker's extent: every blob of at least STICKER_PART_SHARE of the largest one's area (a sticker
        # whose colours match what is behind it in places falls apart into several blobs).
        parts = [k for k in range(1, count) if stats[k, cv2.CC_STAT_AREA] >= STICKER_PART_SHARE * area]
        x0 = min(int(stats[k, cv2.CC_STAT_LEFT]) for k in parts)
        y0 = min(int(stats[k, cv2.CC_STAT_TOP]) for k in parts)
        x1 = max(int(stats[k, cv2.CC_STAT_LEFT] + stats[k, cv2.CC_STAT_WIDTH]) for k in parts)
        y1 = max(int(stats[k, cv2.CC_STAT_TOP] + stats[k, cv2.CC_STAT_HEIGHT]) for k in parts)
        detail.update(
            centroid_dx=float((sx + cx - (fx + fw / 2.0)) / fw),
            centroid_dy=float((sy + cy - (fy + fh / 2.0)) / fh),
            blob_box=(sx + bx, sy + by, bw, bh),
            blob_pixels=area,
            sticker_box=(sx + x0, sy + y0, x1 - x0, y1 - y0),
        )
    passed = share >= min_changed_share
    image = None
    if wants_evidence(evidence, passed):
        diff = np.zeros(shape[:2], dtype=np.float32)
        diff[sy : sy + sh, sx : sx + sw] = de
        image = evidence_image(
            expected_without_effect,
            out,
            diff=diff,
            labels=("without effect", "output", "dE00"),
            diff_full_scale=2 * changed_delta_e,
            boxes=[(fx, fy, fw, fh), (sx, sy, sw, sh)],
        )
    return CheckResult(
        name="sticker_presence",
        value=share,
        unit="share",
        threshold=f">= {min_changed_share}",
        passed=passed,
        detail=detail,
        evidence=image,
    )


@dataclass(frozen=True)
class StickerBox:
    """The bounding box of a sticker's blob in frame pixels, and which of its sides lie on the edge of the searched
    region (the picture's edge or the region's): there the sticker may go on beyond what is seen."""

    x: float
    y: float
    w: float
    h: float
    cut_left: bool
    cut_top: bool
    cut_right: bool
    cut_bottom: bool


def sticker_box(result: CheckResult) -> StickerBox | None:
    """The sticker's box from a `sticker_presence` result (every blob of at least STICKER_PART_SHARE of the
    largest one's area); None when no sticker was found."""
    blob, region = result.detail.get("sticker_box"), result.detail.get("search_region")
    if not result.passed or not isinstance(blob, tuple) or not isinstance(region, tuple):
        return None
    bx, by, bw, bh = blob
    sx, sy, sw, sh = region
    return StickerBox(float(bx), float(by), float(bw), float(bh), cut_left=bx <= sx, cut_top=by <= sy,
                      cut_right=bx + bw >= sx + sw, cut_bottom=by + bh >= sy + sh)


def sticker_jitter(
    positions: Sequence[tuple[float, float] | None], *, max_jitter: float = DEFAULT_MAX_JITTER
) -> CheckResult:
    """How much the sticker wobbles relative to the face across frames.

    ``positions`` are (centroid_dx, centroid_dy) from ``sticker_presence`` per frame (None where no sticker
    was found; those are counted, not used). value = RMS distance of the positions from their mean, in face
    sizes (sqrt(var dx + var dy)); passes if <= ``max_jitter`` (default 0.05 = 5 % of the face).
    """
    valid: list[tuple[float, float]] = []
    for i, position in enumerate(positions):
        if position is None:
            continue
        if len(position) != 2 or not all(math.isfinite(float(v)) for v in position):
            raise ConfigError(
                f"sticker_jitter: positions[{i}] must be a finite (dx, dy) pair, got {position!r}"
            )
        valid.append((float(position[0]), float(position[1])))
    if len(valid) < 2:
        raise AnalysisError(f"sticker_jitter: need at least 2 frames with a sticker, got {len(valid)}")
    arr: npt.NDArray[np.float64] = np.asarray(valid, dtype=np.float64)
    std_dx, std_dy = (float(v) for v in arr.std(axis=0))
    jitter = math.hypot(std_dx, std_dy)
    return CheckResult(
        name="sticker_jitter",
        value=jitter,
        unit="face sizes",
        threshold=f"<= {max_jitter}",
        passed=jitter <= max_jitter,
        detail={
            "std_dx": std_dx,
            "std_dy": std_dy,
            "mean_dx": float(arr[:, 0].mean()),
            "mean_dy": float(arr[:, 1].mean()),
            "n_frames": len(valid),
            "n_missing": len(positions) - len(valid),
        },
    )
