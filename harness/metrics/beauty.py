"""Beauty-effect checks: skin smoothing, detail kept in eyes / mouth / hairline, and skin whitening (ΔL*).

All compare the output with the untouched source frame inside regions derived from the face box the harness
knows for that source frame, so they measure what the effect did rather than what the picture contains.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np
import numpy.typing as npt

from harness.errors import AnalysisError, ConfigError
from harness.metrics.color import check_rgb_uint8, luma_bt601, srgb_to_lab
from harness.metrics.visual_common import (
    Box,
    CheckResult,
    EvidenceMode,
    align_to,
    clip_box,
    evidence_image,
    wants_evidence,
)

# Regions as fractions of the face box (x0, y0, x1, y1), for a frontal face box such as OpenCV's Haar
# cascade returns: its top edge sits at the hair fringe, the eyes at ~30-50 % of its height and the mouth at
# ~70-90 % (checked by eye on skimage's astronaut photograph).
FACE_REGION_FRACTIONS: Mapping[str, tuple[float, float, float, float]] = {
    "eyes": (0.10, 0.30, 0.90, 0.50),
    "mouth": (0.25, 0.70, 0.75, 0.90),
    "hairline": (0.0, -0.15, 1.0, 0.15),
}
SKIN_AREA_FRACTIONS = (0.10, 0.10, 0.90, 0.95)  # minus the eyes and mouth regions
# Skin colour in YCrCb (Chai & Ngan, "Face segmentation using skin-color map", IEEE TCSVT 9(4), 1999).
SKIN_CR = (133, 173)
SKIN_CB = (77, 127)
MIN_SKIN_PIXELS = 50
# Band-pass for "texture energy": difference of Gaussians with sigmas 1 and 2 px of the source frame. On the
# 360x640 reference frame it is insensitive to capture compression (VP8: ratio 0.995, JPEG q75: 1.003) yet
# drops under smoothing (bilateral sigmaColor 40: 0.91; Gaussian blend 50 %: 0.64), measured with this code.
BAND_SIGMAS_PX = (1.0, 2.0)
DEFAULT_MAX_SMOOTHING_RATIO = 0.9
DEFAULT_MIN_DETAIL_RATIO = 0.8
DEFAULT_MIN_DELTA_L = 1.5  # L* units; lossy capture moves mean skin L* by well under 0.5


def face_regions(face_box: Box) -> dict[str, Box]:
    """The eyes, mouth and hairline boxes (x, y, w, h) for a face box, from FACE_REGION_FRACTIONS.

    Boxes may extend past the frame (the hairline starts above the face box); checks clip them.
    """
    fx, fy, fw, fh = face_box
    if fw <= 0 or fh <= 0:
        raise ConfigError(f"face_box {face_box!r} must have positive width and height")
    regions: dict[str, Box] = {}
    for name, (x0, y0, x1, y1) in FACE_REGION_FRACTIONS.items():
        left, top = fx + round(x0 * fw), fy + round(y0 * fh)
        regions[name] = (left, top, fx + round(x1 * fw) - left, fy + round(y1 * fh) - top)
    return regions


def face_skin_mask(source: np.ndarray, face_box: Box) -> npt.NDArray[np.bool_]:
    """Skin of a face: the face box's inner area minus eyes and mouth, where the source is skin-coloured.

    The mask is computed on the untouched ``source`` so that it does not depend on what the effect did.
    """
    check_rgb_uint8(source, name="source")
    fx, fy, fw, fh = clip_box(face_box, source.shape, name="face_box")
    x0, y0, x1, y1 = SKIN_AREA_FRACTIONS
    area = np.zeros(source.shape[:2], dtype=bool)
    area[fy + round(y0 * fh) : fy + round(y1 * fh), fx + round(x0 * fw) : fx + round(x1 * fw)] = True
    for name in ("eyes", "mouth"):
        rx, ry, rw, rh = face_regions((fx, fy, fw, fh))[name]
        area[max(ry, 0) : ry + rh, max(rx, 0) : rx + rw] = False
    ys, xs = np.nonzero(area)
    if ys.size == 0:
        raise AnalysisError(f"face box {face_box!r} is too small to hold a skin area (it is {fw}x{fh} px)")
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    ycc = cv2.cvtColor(np.ascontiguousarray(source[top:bottom, left:right]), cv2.COLOR_RGB2YCrCb)
    cr, cb = ycc[..., 1], ycc[..., 2]
    skin = (cr >= SKIN_CR[0]) & (cr <= SKIN_CR[1]) & (cb >= SKIN_CB[0]) & (cb <= SKIN_CB[1])
    area[top:bottom, left:right] &= skin
    if int(area.sum()) < MIN_SKIN_PIXELS:
        raise AnalysisError(
            f"face box {face_box!r}: only {int(area.sum())} skin-coloured pixels (need {MIN_SKIN_PIXELS}); "
            "is the box on the face?"
        )
    return area


def high_frequency_energy(image: np.ndarray, mask: npt.NDArray[np.bool_]) -> float:
    """Mean squared band-pass (difference of Gaussians, BAND_SIGMAS_PX) of BT.601 luma over ``mask``.

    Only the mask's bounding box plus a margin is filtered, so small regions cost little.
    """
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        raise ConfigError("high_frequency_energy: the mask selects no pixels")
    margin = int(np.ceil(4 * BAND_SIGMAS_PX[1]))
    top, left = max(int(ys.min()) - margin, 0), max(int(xs.min()) - margin, 0)
    bottom = min(int(ys.max()) + 1 + margin, image.shape[0])
    right = min(int(xs.max()) + 1 + margin, image.shape[1])
    luma = luma_bt601(image[top:bottom, left:right])
    fine = cv2.GaussianBlur(luma, (0, 0), BAND_SIGMAS_PX[0], borderType=cv2.BORDER_REFLECT)
    coarse = cv2.GaussianBlur(luma, (0, 0), BAND_SIGMAS_PX[1], borderType=cv2.BORDER_REFLECT)
    band: np.ndarray = (np.asarray(fine) - np.asarray(coarse))[mask[top:bottom, left:right]]
    return float(np.mean(band * band))


def _energy_ratio(
    out: np.ndarray, source: np.ndarray, mask: npt.NDArray[np.bool_]
) -> tuple[float, float, float]:
    source_energy = high_frequency_energy(source, mask)
    output_energy = high_frequency_energy(out, mask)
    if source_energy <= 1e-6:
        raise AnalysisError("the source region has no texture (band-pass energy 0): cannot compare detail")
    return output_energy / source_energy, output_energy, source_energy


def _skin(
    source: np.ndarray, face_box: Box | None, skin_mask: npt.NDArray[np.bool_] | None, *, check: str
) -> npt.NDArray[np.bool_]:
    if skin_mask is None:
        if face_box is None:
            raise ConfigError(f"{check}: give face_box or skin_mask to say where the skin is")
        return face_skin_mask(source, face_box)
    if (
        not isinstance(skin_mask, np.ndarray)
        or skin_mask.dtype != np.bool_
        or skin_mask.shape != source.shape[:2]
    ):
        raise ConfigError(
            f"{check}: skin_mask must be a boolean array of the source's shape {source.shape[:2]}, "
            f"got {getattr(skin_mask, 'dtype', type(skin_mask).__name__)} {getattr(skin_mask, 'shape', '')}"
        )
    if not skin_mask.any():
        raise ConfigError(f"{check}: skin_mask selects no pixels")
    return skin_mask


def _outline(mask: npt.NDArray[np.bool_]) -> Box:
    ys, xs = np.nonzero(mask)
    return (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))


def skin_smoothing_ratio(
    output: np.ndarray,
    source: np.ndarray,
    *,
    face_box: Box,
    skin_mask: npt.NDArray[np.bool_] | None = None,
    reference_mask: npt.NDArray[np.bool_] | None = None,
    max_ratio: float = DEFAULT_MAX_SMOOTHING_RATIO,
    evidence: EvidenceMode = "on_fail",
) -> CheckResult:
    """Texture energy in the skin of the output divided by that of the source: 1.0 untouched, lower smoother.

    Skin is ``skin_mask`` if given, else ``face_skin_mask(source, face_box)``. Passes (smoothing is on)
    when the ratio <= ``max_ratio`` (default 0.9; an untouched lossless or near-lossless frame scores
    0.99-1.01).

    ``reference_mask`` names textured pixels that no beauty effect touches (the picture away from the face and
    from skin colours). The capture path's own loss of texture there (scaling and compression of a phone's
    screen recording: an untouched face in an H.264 recording at CRF 23 scores about 0.85) divides the skin's
    ratio out, so only what the effect removed on top of the capture path counts.
    """
    out = align_to(output, source, names=("output", "source"))
    skin = _skin(source, face_box, skin_mask, check="skin_smoothing_ratio")
    raw, out_energy, src_energy = _energy_ratio(out, source, skin)
    ratio, path = raw, None
    if reference_mask is not None and int(reference_mask.sum()) > 0:
        path = _energy_ratio(out, source, reference_mask & ~skin)[0]
        if path > 1e-6:
            ratio = raw / path
    passed = ratio <= max_ratio
    image = None
    if wants_evidence(evidence, passed):
        image = evidence_image(source, out, boxes=[face_box, _outline(skin)])
    return CheckResult(
        name="skin_smoothing_ratio",
        value=ratio,
        unit="ratio",
        threshold=f"<= {max_ratio}",
        passed=passed,
        detail={"output_energy": out_energy, "source_energy": src_energy, "skin_pixels": int(skin.sum()),
                "raw_ratio": raw, "capture_path_ratio": path},
        evidence=image,
    )


def untouched_reference_mask(source: np.ndarray, face_box: Box, *, picture_height: int,
                             margin: float = 0.5) -> npt.NDArray[np.bool_]:
    """Pixels of the picture (rows above ``picture_height``) outside the face box grown by ``margin`` of its size
    on every side and not skin-coloured: where no beauty effect acts, so what changed there is the capture path."""
    check_rgb_uint8(source, name="source")
    h, w = source.shape[:2]
    fx, fy, fw, fh = face_box
    mask = np.zeros((h, w), dtype=bool)
    mask[: max(0, min(picture_height, h)), :] = True
    mx, my = round(fw * margin), round(fh * margin)
    mask[max(0, fy - my): fy + fh + my, max(0, fx - mx): fx + fw + mx] = False
    ycc = cv2.cvtColor(np.ascontiguousarray(source), cv2.COLOR_RGB2YCrCb)
    cr, cb = ycc[..., 1], ycc[..., 2]
    skin = (cr >= SKIN_CR[0]) & (cr <= SKIN_CR[1]) & (cb >= SKIN_CB[0]) & (cb <= SKIN_CB[1])
    return mask & ~skin


def detail_preserved(
    output: np.ndarray,
    source: np.ndarray,
    *,
    regions: Mapping[str, Box],
    min_ratio: float = DEFAULT_MIN_DETAIL_RATIO,
    evidence: EvidenceMode = "on_fail",
) -> CheckResult:
    """Texture energy ratio (output / source) in each detail region, e.g. ``face_regions(face_box)``.

    A good beauty effect smooths skin but keeps eyes, mouth and hair edges sharp (ratios near 1). value =
    the lowest ratio; passes if >= ``min_ratio`` (default 0.8). Regions are clipped to the frame.
    """
    if not regions:
        raise ConfigError("detail_preserved: regions is empty; give at least one (x, y, w, h) box")
    out = align_to(output, source, names=("output", "source"))
    ratios: dict[str, float] = {}
    clipped: dict[str, Box] = {}
    for name, box in regions.items():
        x, y, w, h = clip_box(box, source.shape, name=f"regions[{name!r}]")
        clipped[name] = (x, y, w, h)
        mask = np.zeros(source.shape[:2], dtype=bool)
        mask[y : y + h, x : x + w] = True
        ratios[name] = _energy_ratio(out, source, mask)[0]
    worst = min(ratios, key=lambda k: ratios[k])
    passed = ratios[worst] >= min_ratio
    image = None
    if wants_evidence(evidence, passed):
        image = evidence_image(source, out, boxes=list(clipped.values()))
    return CheckResult(
        name="detail_preserved",
        value=ratios[worst],
        unit="ratio",
        threshold=f">= {min_ratio}",
        passed=passed,
        detail={"ratios": ratios, "worst_region": worst, "regions": clipped},
        evidence=image,
    )


def whitening_delta_l(
    output: np.ndarray,
    source: np.ndarray,
    *,
    face_box: Box | None = None,
    skin_mask: npt.NDArray[np.bool_] | None = None,
    min_delta_l: float = DEFAULT_MIN_DELTA_L,
    evidence: EvidenceMode = "on_fail",
) -> CheckResult:
    """Mean change of CIELAB L* in the skin (output - source): how much a whitening effect brightened it.

    Skin is ``skin_mask`` if given, else ``face_skin_mask(source, face_box)`` (one of the two is required).
    Passes when ΔL* >= ``min_delta_l`` (default 1.5 L*; an untouched frame scores 0, a lossy capture
    within ~0.3). detail also has the mean Δa*, Δb*: a whitening that turns skin pink or grey shows there.
    """
    out = align_to(output, source, names=("output", "source"))
    skin = _skin(source, face_box, skin_mask, check="whitening_delta_l")
    diff = srgb_to_lab(out[skin]) - srgb_to_lab(source[skin])
    d_l, d_a, d_b = (float(v) for v in diff.mean(axis=0))
    passed = d_l >= min_delta_l
    image = None
    if wants_evidence(evidence, passed):
        boxes = [face_box] if face_box is not None else []
        image = evidence_image(source, out, boxes=[*boxes, _outline(skin)])
    return CheckResult(
        name="whitening_delta_l",
        value=d_l,
        unit="ΔL*",
        threshold=f">= {min_delta_l}",
        passed=passed,
        detail={"delta_a": d_a, "delta_b": d_b, "skin_pixels": int(skin.sum())},
        evidence=image,
    )
