"""How an output frame shows its source frame: rotation, mirroring, per-axis scale and crop, estimated by matching
image features between the two (ORB + ratio test + RANSAC affine fit), independent of the frames' sizes and colours.

The clip's index code (harness.metrics.indexcode) already gives quarter-turn orientation and the content rectangle;
this measures the continuous geometry (a 3° tilt, a 4:3 stretch, an aspect-fill crop) and confirms the code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from harness.errors import AnalysisError
from harness.metrics import indexcode
from harness.metrics.color import check_rgb_uint8
from harness.metrics.visual_common import CheckResult, EvidenceMode, evidence_image, wants_evidence

# Pass conditions of the verdict (the adaptation defects "rotation", "mirroring", "aspect_stretch").
MAX_ROTATION_DEG = 2.0
MAX_ASPECT_ERROR = 0.03

# Matching parameters. 600 ORB features on a 360x640 frame leave ~500 matches on a clean frame and 200+ on a 4:3
# stretch; 0.8 is Lowe's ratio test bound (Lowe 2004, "Distinctive image features..."); a 3 px RANSAC bound at
# the source's resolution keeps JPEG/VP8 jitter (< 1 px) in and mismatches out.
ORB_FEATURES = 600
ORB_FAST_THRESHOLD = 12
RATIO_TEST = 0.8
RANSAC_REPROJ_PX = 3.0
MIN_INLIERS = 12
# The output is resampled to about the source's pixel count before matching when their areas differ by more
# than this factor (ORB's pyramid then needs to bridge only the residual scale; it also keeps 1080p fast).
RESAMPLE_AREA_FACTOR = 1.25
_CHANNEL_MEAN = np.full((1, 3), 1.0 / 3.0, dtype=np.float32)
_NO_MASK = np.empty((0, 0), dtype=np.uint8)  # OpenCV reads an empty mask as "no mask"

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class GeometryResult:
    """Where the source sits in the output: output = rotate(scale(mirror(source))) + translation.

    rotation_deg: clockwise on screen, in (-180, 180]; mirrored: left-right flip applied first; scale_x, scale_y:
    output pixels per source pixel along the source's x and y axes (shear removed, see detail); aspect_error =
    scale_y / scale_x - 1 (0 for an undistorted picture; -0.25 for a 4:3 horizontal stretch of 360x640 to 480x640).
    crop: the part of the source visible in the output, (x, y, w, h) as fractions of the source's width/height.
    inliers: feature matches consistent with the fit; residual_px: their RMS reprojection error in output pixels.
    matrix: the 2x3 affine map source pixel -> output pixel (pixel centres at integers), mirror included.
    check: the verdict (passes when |rotation| <= 2°, not mirrored and |aspect_error| < 0.03).
    """

    rotation_deg: float
    mirrored: bool
    scale_x: float
    scale_y: float
    aspect_error: float
    crop: tuple[float, float, float, float]
    inliers: int
    residual_px: float
    matrix: tuple[tuple[float, float, float], tuple[float, float, float]]
    source_size: tuple[int, int]  # (width, height) of the source the fit refers to
    check: CheckResult = field(compare=False)

    @property
    def passed(self) -> bool:
        return self.check.passed

    @property
    def quarter_turn_deg(self) -> int:
        """The rotation rounded to the nearest quarter turn, as 0, 90, 180 or 270 (indexcode's convention)."""
        return (round(self.rotation_deg / 90.0) * 90) % 360

    def is_quarter_turn_of_whole(self, *, max_off_deg: float = 0.5, min_visible: float = 0.98) -> bool:
        """Whether the output shows the whole source turned by a multiple of 90° (within ``max_off_deg``), the
        case that can be undone exactly; ``min_visible`` is the smallest visible share of each source axis."""
        off = abs((self.rotation_deg - self.quarter_turn_deg + 180.0) % 360.0 - 180.0)
        return off <= max_off_deg and min(self.crop[2], self.crop[3]) >= min_visible

    def summary(self) -> str:
        return self.check.summary()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rotation_deg": round(self.rotation_deg, 3),
            "mirrored": self.mirrored,
            "scale_x": round(self.scale_x, 5),
            "scale_y": round(self.scale_y, 5),
            "aspect_error": round(self.aspect_error, 5),
            "crop": [round(v, 5) for v in self.crop],
            "inliers": self.inliers,
            "residual_px": round(self.residual_px, 4),
            "matrix": [list(row) for row in self.matrix],
            "source_size": list(self.source_size),
        }


def matching_grey(image: np.ndarray) -> npt.NDArray[np.uint8]:
    """The image the matcher sees: the mean of R, G and B (unchanged by any channel permutation, so an R/B swap
    looks the same), histogram-equalised (undoes range compression and most tonal curves of a look)."""
    grey = cv2.transform(image, _CHANNEL_MEAN)
    return np.asarray(cv2.equalizeHist(grey), dtype=np.uint8)


@dataclass(frozen=True)
class _Fit:
    affine: Matrix  # 2x3, (possibly flipped) source -> resampled output
    inliers: int
    matches: int
    residual_px: float


def _features(orb: cv2.ORB, grey: np.ndarray) -> tuple[npt.NDArray[np.float32], np.ndarray | None]:
    keypoints, descriptors = orb.detectAndCompute(grey, _NO_MASK)
    points = np.array([kp.pt for kp in keypoints], dtype=np.float32).reshape(-1, 2)
    return points, descriptors


def _fit(
    src: tuple[npt.NDArray[np.float32], np.ndarray | None], out: tuple[npt.NDArray[np.float32], np.ndarray | None]
) -> _Fit | None:
    (src_pts, src_desc), (out_pts, out_desc) = src, out
    if src_desc is None or out_desc is None or len(src_desc) < 2 or len(out_desc) < 2:
        return None
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(src_desc, out_desc, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO_TEST * p[1].distance]
    if len(good) < MIN_INLIERS:
        return None
    p_src = src_pts[[m.queryIdx for m in good]]
    p_out = out_pts[[m.trainIdx for m in good]]
    affine, inlier_mask = cv2.estimateAffine2D(
        p_src, p_out, method=cv2.RANSAC, ransacReprojThreshold=RANSAC_REPROJ_PX, maxIters=2000, confidence=0.995
    )
    if affine is None or inlier_mask is None:
        return None
    keep = inlier_mask.ravel().astype(bool)
    projected = p_src[keep] @ affine[:, :2].T + affine[:, 2]
    errors = np.linalg.norm(projected - p_out[keep], axis=1)
    residual = float(np.sqrt(np.mean(errors**2))) if errors.size else math.inf
    return _Fit(affine=affine.astype(np.float64), inliers=int(keep.sum()), matches=len(good), residual_px=residual)


def _decompose(linear: Matrix) -> tuple[float, float, float, float]:
    """linear = R(theta) @ [[sx, k], [0, sy]]: returns (theta_deg clockwise on screen, sx, sy, shear k / sy)."""
    theta = math.atan2(linear[1, 0], linear[0, 0])
    c, s = math.cos(theta), math.sin(theta)
    sx = math.hypot(linear[0, 0], linear[1, 0])
    k = linear[0, 1] * c + linear[1, 1] * s
    sy = -linear[0, 1] * s + linear[1, 1] * c
    deg = math.degrees(theta)
    deg = deg - 360.0 if deg > 180.0 else deg + 360.0 if deg <= -180.0 else deg
    return deg, float(sx), float(sy), float(k / sy) if sy else math.inf


def _visible_crop(full: Matrix, out_w: int, out_h: int, src_w: int, src_h: int) -> tuple[float, float, float, float]:
    inverse = cv2.invertAffineTransform(full)
    corners = np.array([[-0.5, -0.5], [out_w - 0.5, -0.5], [-0.5, out_h - 0.5], [out_w - 0.5, out_h - 0.5]])
    in_src = corners @ inverse[:, :2].T + inverse[:, 2]
    x0, y0 = np.clip((in_src.min(axis=0) + 0.5) / (src_w, src_h), 0.0, 1.0)
    x1, y1 = np.clip((in_src.max(axis=0) + 0.5) / (src_w, src_h), 0.0, 1.0)
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def fit_for_display(output: np.ndarray, width: int, height: int) -> np.ndarray:
    """``output`` scaled to fit width x height with its aspect kept, centred on grey: how it looks on screen."""
    canvas = np.full((height, width, 3), 96, dtype=np.uint8)
    scale = min(width / output.shape[1], height / output.shape[0])
    w, h = max(1, round(output.shape[1] * scale)), max(1, round(output.shape[0] * scale))
    x0, y0 = (width - w) // 2, (height - h) // 2
    canvas[y0 : y0 + h, x0 : x0 + w] = cv2.resize(output, (w, h), interpolation=cv2.INTER_AREA)
    return canvas


def estimate_geometry(output: np.ndarray, source: np.ndarray, *, evidence: EvidenceMode = "on_fail") -> GeometryResult:
    """Estimate how ``output`` (any size, colours possibly filtered) shows ``source`` (both HxWx3 uint8 RGB).

    Matches ORB features of the source and of its mirror image against the output (on ``matching_grey``), fits a
    RANSAC affine map to each and keeps the one with more inliers (the mirror image wins when the output is
    mirrored). Raises AnalysisError when neither fit has MIN_INLIERS (12) inliers: a black, flat or unrelated
    frame. ``evidence`` ("never", "on_fail", "always") controls the image attached to ``check``.
    """
    out = check_rgb_uint8(output, name="output")
    src = check_rgb_uint8(source, name="source")
    src_h, src_w = src.shape[:2]
    out_h, out_w = out.shape[:2]
    grey_src = matching_grey(src)
    grey_out = matching_grey(out)
    factor = math.sqrt((src_w * src_h) / (out_w * out_h))
    if not 1.0 / RESAMPLE_AREA_FACTOR <= factor * factor <= RESAMPLE_AREA_FACTOR:
        size = (max(1, round(out_w * factor)), max(1, round(out_h * factor)))
        interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
        grey_out = np.asarray(cv2.resize(grey_out, size, interpolation=interpolation), dtype=np.uint8)
        fx, fy = size[0] / out_w, size[1] / out_h
    else:
        fx = fy = 1.0
    orb = cv2.ORB.create(nfeatures=ORB_FEATURES, fastThreshold=ORB_FAST_THRESHOLD)
    out_features = _features(orb, grey_out)
    direct = _fit(_features(orb, grey_src), out_features)
    flipped = _fit(_features(orb, np.ascontiguousarray(grey_src[:, ::-1])), out_features)
    candidates = [(fit, mirrored) for fit, mirrored in ((direct, False), (flipped, True)) if fit is not None]
    if not candidates or max(fit.inliers for fit, _ in candidates) < MIN_INLIERS:
        found = ", ".join(f"{'mirrored' if m else 'direct'} {f.inliers}" for f, m in candidates) or "no matches"
        raise AnalysisError(
            f"geometry: the output ({out_w}x{out_h}) cannot be matched to the source ({src_w}x{src_h}): RANSAC "
            f"inliers {found}, at least {MIN_INLIERS} needed (a black, flat or unrelated frame?)"
        )
    best, mirrored = max(candidates, key=lambda c: (c[0].inliers, -c[0].residual_px))
    other = next((fit.inliers for fit, m in candidates if m != mirrored), 0)
    # Back to the output's own pixels (pixel centres at integers): x_out = (x_resampled + 0.5) / f - 0.5.
    undo = np.array([[1.0 / fx, 0.0, 0.5 / fx - 0.5], [0.0, 1.0 / fy, 0.5 / fy - 0.5]])
    affine = undo[:, :2] @ best.affine
    affine[:, 2] += undo[:, 2]
    rotation, sx, sy, shear = _decompose(affine[:, :2])
    full = affine.copy()
    if mirrored:  # the fit maps the flipped source: x_flipped = (src_w - 1) - x
        full[:, 0] = -affine[:, 0]
        full[:, 2] = affine[:, 2] + affine[:, 0] * (src_w - 1)
    aspect_error = sy / sx - 1.0 if sx > 0 else math.inf
    residual = best.residual_px * math.sqrt(1.0 / (fx * fy))
    passed = abs(rotation) <= MAX_ROTATION_DEG and not mirrored and abs(aspect_error) < MAX_ASPECT_ERROR
    crop = _visible_crop(full, out_w, out_h, src_w, src_h)
    detail = {
        "rotation_deg": rotation,
        "mirrored": mirrored,
        "scale_x": sx,
        "scale_y": sy,
        "aspect_error": aspect_error,
        "shear": shear,
        "crop": crop,
        "inliers": best.inliers,
        "matches": best.matches,
        "inliers_other_orientation": other,
        "residual_px": residual,
    }
    image = None
    if wants_evidence(evidence, passed):
        shown = fit_for_display(out, src_w, src_h)
        image = evidence_image(src, shown, labels=("source", "output (as shown)", "|diff| luma"))
    check = CheckResult(
        name="geometry",
        value=abs(rotation),
        unit="deg",
        threshold=f"|rotation| <= {MAX_ROTATION_DEG}°, not mirrored, |aspect_error| < {MAX_ASPECT_ERROR}",
        passed=passed,
        detail=detail,
        evidence=image,
    )
    (a, b, c), (d, e, f) = (tuple(float(v) for v in row) for row in full)
    return GeometryResult(
        rotation_deg=rotation,
        mirrored=mirrored,
        scale_x=sx,
        scale_y=sy,
        aspect_error=aspect_error,
        crop=crop,
        inliers=best.inliers,
        residual_px=residual,
        matrix=((a, b, c), (d, e, f)),
        source_size=(src_w, src_h),
        check=check,
    )


def to_source_frame(
    output: np.ndarray, geometry: GeometryResult, *, width: int, height: int
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """Undo ``geometry`` on ``output``: the picture on the source's grid at width x height (a source of another
    size is scaled), and the mask of its pixels that the output really shows (False outside a crop).

    A quarter turn of the whole picture is undone exactly (crop, np.rot90, flip, resize); anything else is warped
    with the fitted affine map (bilinear, after shrinking an output more than 1.5x larger than the target).
    """
    out = check_rgb_uint8(output, name="output")
    a = np.array(geometry.matrix)
    src_w, src_h = geometry.source_size
    if geometry.is_quarter_turn_of_whole():
        corners = np.array([[-0.5, -0.5, 1.0], [src_w - 0.5, src_h - 0.5, 1.0]]) @ a.T
        x0, y0 = np.clip(np.round(corners.min(axis=0)), 0, None).astype(int)
        x1, y1 = np.minimum(np.round(corners.max(axis=0)), (out.shape[1], out.shape[0])).astype(int)
        # The fit places edges within a pixel or two; the picture's edges (inside any uniform bars) are exact.
        bars = indexcode.find_content_rect(out)
        slack = max(2.0, 0.01 * max(out.shape[:2]))
        if bars is not None and np.allclose(bars, (x0, y0, x1 - x0, y1 - y0), atol=slack):
            x0, y0, x1, y1 = bars[0], bars[1], bars[0] + bars[2], bars[1] + bars[3]
        view = np.rot90(out[y0:y1, x0:x1], k=geometry.quarter_turn_deg // 90)
        view = np.ascontiguousarray(view[:, ::-1] if geometry.mirrored else view)
        shrink = view.shape[1] > width and view.shape[0] > height
        resized = cv2.resize(view, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        return np.asarray(resized, dtype=np.uint8), np.ones((height, width), dtype=bool)
    view = out
    shrink_by = min(1.0, 1.5 * max(width / src_w, height / src_h) / max(min(geometry.scale_x, geometry.scale_y), 1e-6))
    if shrink_by < 1.0:
        size = (max(1, round(out.shape[1] * shrink_by)), max(1, round(out.shape[0] * shrink_by)))
        view = np.asarray(cv2.resize(out, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        gx, gy = size[0] / out.shape[1], size[1] / out.shape[0]
        a = np.diag([gx, gy]) @ a
        a[:, 2] += (0.5 * gx - 0.5, 0.5 * gy - 0.5)
    sx, sy = src_w / width, src_h / height
    target_to_output = a @ np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    warped = cv2.warpAffine(view, target_to_output, (width, height), flags=flags, borderValue=0)
    ones = np.full(view.shape[:2], 255, dtype=np.uint8)
    valid = cv2.warpAffine(
        ones, target_to_output, (width, height), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderValue=0
    )
    valid = cv2.erode(valid, np.ones((5, 5), np.uint8))  # bilinear taps at the edge reach outside the picture
    return np.asarray(warped, dtype=np.uint8), valid > 0
