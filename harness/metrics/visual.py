"""Visual checks on captured output frames: filter fidelity, broken frames, colour adaptation defects.

Pure functions (arrays in, CheckResult out). Each takes the captured output first and the frame it should be
compared with second (the reference clip frame, or that frame with the expected filter applied), options
keyword-only, and runs in well under 20 ms on a 360x640 frame. The beauty and sticker checks live in
``harness.metrics.beauty`` and ``harness.metrics.sticker`` and are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from harness.errors import AnalysisError, ConfigError
from harness.metrics.beauty import (
    detail_preserved,
    face_regions,
    face_skin_mask,
    high_frequency_energy,
    skin_smoothing_ratio,
    whitening_delta_l,
)
from harness.metrics.color import check_rgb_uint8, delta_e_ciede2000, srgb_to_lab
from harness.metrics.sticker import sticker_jitter, sticker_presence
from harness.metrics.visual_common import (
    Box,
    CheckResult,
    EvidenceMode,
    Region,
    Selection,
    align_to,
    evidence_image,
    resolve_region,
    wants_evidence,
)

__all__ = [
    "Box",
    "CheckResult",
    "Region",
    "black_frame",
    "colour_cast",
    "delta_e_map",
    "detail_preserved",
    "evidence_image",
    "face_regions",
    "face_skin_mask",
    "filter_applied",
    "filter_fidelity",
    "frozen_output",
    "green_frame",
    "high_frequency_energy",
    "range_compression",
    "rb_swap_suspected",
    "skin_smoothing_ratio",
    "sticker_jitter",
    "sticker_presence",
    "uniform_frame",
    "whitening_delta_l",
]

# Defaults, with where they come from. A lossless (PNG) capture of a correct output scores ~0-1 ΔE00 mean. A
# VP8 capture (libvpx 2.5 Mbit/s, 4:2:0) of the 360x640 reference frame scored mean 1.4 / p95 4.3 ΔE00 and a
# JPEG quality 75 round trip mean 2.1 / p95 7.1 (measured with this module; 4:2:0 chroma at colour edges
# dominates the tail). ΔE00 <= 1 is imperceptible and 2-10 "visible at a glance" (ANCHORS.md).
DEFAULT_MAX_MEAN_DELTA_E = 3.0
DEFAULT_MAX_P95_DELTA_E = 10.0
DEFAULT_MIN_APPLIED_DELTA_E = 4.0  # about twice the lossy-capture noise above
DEFAULT_MAX_BLACK_LUMA = 24.0  # p99 luma; limited-range black is 16
DEFAULT_MIN_GREEN_SHARE = 0.6
DEFAULT_MIN_LUMA_STD = 4.0
DEFAULT_MAX_FROZEN_DIFF = 0.5  # mean |ΔRGB| between consecutive frames, 0..255 scale
DEFAULT_MAX_CAST = 3.0  # chroma of the mean (Δa*, Δb*) shift
LIMITED_RANGE_GAIN = 219.0 / 255.0  # 16..235 shown as 0..255 data: out = 219/255 * in + 16
LIMITED_RANGE_OFFSET = 16.0


def delta_e_map(output: np.ndarray, expected: np.ndarray, *, selection: Selection) -> npt.NDArray[np.float32]:
    """CIEDE2000 per selected pixel (flat array) between two same-size uint8 RGB frames."""
    return delta_e_ciede2000(srgb_to_lab(selection.pixels(output)), srgb_to_lab(selection.pixels(expected)))


def filter_fidelity(
    output: np.ndarray,
    expected: np.ndarray,
    *,
    region: Region = None,
    max_mean_delta_e: float = DEFAULT_MAX_MEAN_DELTA_E,
    max_p95_delta_e: float = DEFAULT_MAX_P95_DELTA_E,
    evidence: EvidenceMode = "on_fail",
) -> CheckResult:
    """How closely the output matches the expected filtered frame (``apply_lut(source, lut)``).

    value = mean CIEDE2000 over the region; passes if mean <= ``max_mean_delta_e`` (default 3.0) and the 95th
    percentile <= ``max_p95_delta_e`` (default 10.0), both above what a lossy VP8 capture alone costs.
    """
    out = align_to(output, expected, names=("output", "expected"))
    sel = resolve_region(region, expected.shape)
    de = delta_e_map(out, expected, selection=sel)
    mean, p95 = float(de.mean()), float(np.percentile(de, 95))
    passed = mean <= max_mean_delta_e and p95 <= max_p95_delta_e
    detail = {
        "mean_delta_e": mean,
        "p95_delta_e": p95,
        "max_delta_e": float(de.max()),
        "n_pixels": int(de.size),
    }
    image = None
    if wants_evidence(evidence, passed):
        diff = sel.scatter(de)
        image = evidence_image(
            expected, out, diff=diff, labels=("expected", "output", "dE00"), diff_full_scale=20.0
        )
    return CheckResult(
        name="filter_fidelity",
        value=mean,
        unit="ΔE00",
        threshold=f"<= {max_mean_delta_e} (p95 <= {max_p95_delta_e})",
        passed=passed,
        detail=detail,
        evidence=image,
    )


def filter_applied(
    output: np.ndarray,
    source: np.ndarray,
    *,
    region: Region = None,
    min_mean_delta_e: float = DEFAULT_MIN_APPLIED_DELTA_E,
    evidence: EvidenceMode = "on_fail",
) -> CheckResult:
    """Whether the output differs from the unprocessed source at all (catches "effect silently not applied").

    value = mean CIEDE2000 between output and source; passes if >= ``min_mean_delta_e`` (default 4.0, about
    twice lossy-capture noise). For a subtle filter, pass a lower bound (not under ~2.5 on lossy captures).
    """
    out = align_to(output, source, names=("output", "source"))
    sel = resolve_region(region, source.shape)
    de = delta_e_map(out, source, selection=sel)
    mean = float(de.mean())
    passed = mean >= min_mean_delta_e
    image = None
    if wants_evidence(evidence, passed):
        diff = sel.scatter(de)
        image = evidence_image(
            source, out, diff=diff, labels=("source", "output", "dE00"), diff_full_scale=20.0
        )
    return CheckResult(
        name="filter_applied",
        value=mean,
        unit="ΔE00",
        threshold=f">= {min_mean_delta_e}",
        passed=passed,
        detail={"mean_delta_e": mean, "p95_delta_e": float(np.percentile(de, 95)), "n_pixels": int(de.size)},
        evidence=image,
    )


def _luma_u8(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)  # BT.601 weights, rounded


def _percentile_u8(values: np.ndarray, q: float) -> float:
    """Percentile of uint8 values via a histogram (lower-nearest rank), much faster than np.percentile."""
    counts = np.bincount(values.ravel(), minlength=256)
    rank = math.floor(q / 100.0 * (values.size - 1))
    return float(np.searchsorted(np.cumsum(counts), rank, side="right"))


def _single_frame(output: np.ndarray, region: Region) -> tuple[np.ndarray, Selection]:
    out = check_rgb_uint8(output, name="output")
    return out, resolve_region(region, out.shape)


def _region_luma(image: np.ndarray, sel: Selection) -> np.ndarray:
    """BT.601 luma (uint8) of the selected pixels, flat."""
    luma = _luma_u8(np.ascontiguousarray(sel.crop(image)))
    return luma[sel.mask] if sel.mask is not None else luma.reshape(-1)


def _source_view(source: np.ndarray | None, output: np.ndarray) -> np.ndarray | None:
    if source is None:
        return None
    src = check_rgb_uint8(source, name="source")
    if src.shape != output.shape:
        src = np.asarray(cv2.resize(src, (output.shape[1], output.shape[0]), interpolation=cv2.INTER_AREA))
    return src


def black_frame(
    output: np.ndarray,
    source: np.ndarray | None = None,
    *,
    region: Region = None,
    max_luma: float = DEFAULT_MAX_BLACK_LUMA,
) -> CheckResult:
    """Detects an (almost) black output: 99th-percentile BT.601 luma <= ``max_luma`` (default 24 of 255).

    value = p99 luma; passes if the frame is not black. With ``source`` (resized to the output's size), a
    frame is only flagged when the source region itself is not black.
    """
    out, sel = _single_frame(output, region)
    luma = _region_luma(out, sel)
    p99 = _percentile_u8(luma, 99.0)
    src = _source_view(source, out)
    source_p99 = None if src is None else _percentile_u8(_region_luma(src, sel), 99.0)
    detected = p99 <= max_luma and (source_p99 is None or source_p99 > max_luma)
    return CheckResult(
        name="black_frame",
        value=p99,
        unit="luma p99",
        threshold=f"> {max_luma} (not black)",
        passed=not detected,
        detail={
            "detected": detected,
            "mean_luma": float(luma.mean()),
            "source_p99": source_p99,
        },
    )


_SIXTY_PERCENT = ((np.arange(256) * 3) // 5).astype(np.uint8)  # floor(0.6 v): r <= it  <=>  5 r <= 3 g


def _green_share(image: np.ndarray, sel: Selection) -> float:
    r, g, b = cv2.split(np.ascontiguousarray(sel.crop(image)))
    limit = cv2.LUT(g, _SIXTY_PERCENT)
    green = (g >= 40) & (r <= limit) & (b <= limit)  # G dominant, R and B at most 60 % of G
    if sel.mask is not None:
        return float(np.count_nonzero(green & sel.mask)) / sel.n_pixels
    return float(np.count_nonzero(green)) / green.size


def green_frame(
    output: np.ndarray,
    source: np.ndarray | None = None,
    *,
    region: Region = None,
    min_green_share: float = DEFAULT_MIN_GREEN_SHARE,
) -> CheckResult:
    """Detects the green frame of a broken YUV->RGB path (zero chroma planes decode to G ~ 135, R = B ~ 0).

    A pixel is green-dominant when G >= 40 and R, B <= 0.6 G. value = share of such pixels; the frame is
    flagged when the share >= ``min_green_share`` (default 0.6) and, given ``source``, exceeds the source's
    own share by that much (a green scene is not a defect).
    """
    out, sel = _single_frame(output, region)
    share = _green_share(out, sel)
    src = _source_view(source, out)
    source_share = None if src is None else _green_share(src, sel)
    excess = share - (source_share or 0.0)
    detected = share >= min_green_share and excess >= min_green_share
    return CheckResult(
        name="green_frame",
        value=share,
        unit="share",
        threshold=f"< {min_green_share} (not green)",
        passed=not detected,
        detail={"detected": detected, "source_share": source_share},
    )


def uniform_frame(
    output: np.ndarray,
    source: np.ndarray | None = None,
    *,
    region: Region = None,
    min_luma_std: float = DEFAULT_MIN_LUMA_STD,
) -> CheckResult:
    """Detects a flat frame (any single colour, including black or green): std of luma < ``min_luma_std``.

    value = standard deviation of BT.601 luma (0..255 scale) in the region; default bound 4.0. With
    ``source``, a frame is only flagged when the source region is not flat itself.
    """
    out, sel = _single_frame(output, region)
    std = float(_region_luma(out, sel).std())
    src = _source_view(source, out)
    source_std = None if src is None else float(_region_luma(src, sel).std())
    detected = std < min_luma_std and (source_std is None or source_std >= min_luma_std)
    return CheckResult(
        name="uniform_frame",
        value=std,
        unit="luma std",
        threshold=f">= {min_luma_std} (not uniform)",
        passed=not detected,
        detail={"detected": detected, "source_std": source_std},
    )


def frozen_output(
    frames_rgb: Sequence[np.ndarray],
    *,
    region: Region = None,
    max_mean_abs_diff: float = DEFAULT_MAX_FROZEN_DIFF,
) -> CheckResult:
    """Detects output that stopped updating: every consecutive pair differs by < ``max_mean_abs_diff``.

    value = the largest mean absolute RGB difference (0..255) between consecutive frames. The reference clip
    changes every frame (at least its index-code band), so keep the changing part inside ``region``.
    """
    if len(frames_rgb) < 2:
        raise ConfigError(f"frozen_output needs at least 2 frames, got {len(frames_rgb)}")
    first = check_rgb_uint8(frames_rgb[0], name="frames_rgb[0]")
    sel = resolve_region(region, first.shape)
    mask_u8 = sel.mask_u8()
    diffs: list[float] = []
    previous = first
    for i, frame in enumerate(frames_rgb[1:], start=1):
        current = check_rgb_uint8(frame, name=f"frames_rgb[{i}]")
        if current.shape != first.shape:
            raise AnalysisError(
                f"frozen_output: frames_rgb[{i}] has shape {current.shape}, frame 0 {first.shape}"
            )
        abs_diff = cv2.absdiff(
            np.ascontiguousarray(sel.crop(current)), np.ascontiguousarray(sel.crop(previous))
        )
        channel_means = np.asarray(cv2.mean(abs_diff, mask=mask_u8))[:3]
        diffs.append(float(channel_means.mean()))
        previous = current
    largest = max(diffs)
    detected = largest < max_mean_abs_diff
    return CheckResult(
        name="frozen_output",
        value=largest,
        unit="mean |ΔRGB|",
        threshold=f">= {max_mean_abs_diff} (changing)",
        passed=not detected,
        detail={"detected": detected, "n_frames": len(frames_rgb), "pair_diffs": diffs},
    )


def _mean_lab(pixels: np.ndarray) -> np.ndarray:
    """Mean L*, a*, b* of (N, 3) uint8 pixels (cv2.mean accumulates in double precision)."""
    return np.asarray(cv2.mean(srgb_to_lab(pixels).reshape(1, -1, 3)))[:3]


_CAST_NAMES = ("red", "orange", "yellow", "yellow-green", "green", "cyan", "blue", "magenta")


def colour_cast(
    output: np.ndarray,
    expected: np.ndarray,
    *,
    region: Region,
    max_cast: float = DEFAULT_MAX_CAST,
) -> CheckResult:
    """Mean shift in a*, b* from expected to output, as a vector: its length and hue angle.

    value = hypot(mean Δa*, mean Δb*) (CIELAB units); passes if <= ``max_cast`` (default 3.0). detail has
    delta_a, delta_b, delta_l, hue_deg (0 = +a* red, 90 = +b* yellow, 180 = green, 270 = blue) and a name.
    """
    out = align_to(output, expected, names=("output", "expected"))
    sel = resolve_region(region, expected.shape)
    diff = _mean_lab(sel.pixels(out)) - _mean_lab(sel.pixels(expected))  # mean of differences
    d_l, d_a, d_b = (float(v) for v in diff)
    cast = math.hypot(d_a, d_b)
    hue = math.degrees(math.atan2(d_b, d_a)) % 360.0
    direction = _CAST_NAMES[int(((hue + 22.5) % 360.0) // 45.0)]
    return CheckResult(
        name="colour_cast",
        value=cast,
        unit="Δa*b*",
        threshold=f"<= {max_cast}",
        passed=cast <= max_cast,
        detail={"delta_l": d_l, "delta_a": d_a, "delta_b": d_b, "hue_deg": hue, "direction": direction},
    )


def rb_swap_suspected(
    output: np.ndarray,
    expected: np.ndarray,
    *,
    region: Region = None,
    min_ratio: float = 2.0,
) -> CheckResult:
    """Whether the output looks like the expected frame with red and blue swapped.

    value = mean |output - expected| / mean |output - expected with R and B swapped|; suspected (fail) when
    it is >= ``min_ratio`` (default 2) and the direct error is visible (>= 3 levels). Inconclusive (and
    passed) when the region has too little R/B contrast to tell (mean |R - B| < 5 levels).
    """
    out = align_to(output, expected, names=("output", "expected"))
    sel = resolve_region(region, expected.shape)
    o = np.ascontiguousarray(sel.crop(out))
    e = np.ascontiguousarray(sel.crop(expected))
    mask_u8 = sel.mask_u8()

    def mean_abs(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.asarray(cv2.mean(cv2.absdiff(a, b), mask=mask_u8))[:3].mean())

    direct = mean_abs(o, e)
    swapped = mean_abs(o, cv2.cvtColor(e, cv2.COLOR_RGB2BGR))
    rb_contrast = float(
        np.asarray(cv2.mean(cv2.absdiff(e[..., 0].copy(), e[..., 2].copy()), mask=mask_u8))[0]
    )
    ratio = direct / max(swapped, 0.5)
    conclusive = rb_contrast >= 5.0
    suspected = conclusive and direct >= 3.0 and ratio >= min_ratio
    return CheckResult(
        name="rb_swap_suspected",
        value=ratio,
        unit="error ratio",
        threshold=f"< {min_ratio} (no R/B swap)",
        passed=not suspected,
        detail={
            "suspected": suspected,
            "direct_error": direct,
            "swapped_error": swapped,
            "conclusive": conclusive,
            "rb_contrast": rb_contrast,
        },
    )


def _classify_range(gain: float, offset: float, tolerance: float) -> str:
    offset_tolerance = 255.0 * tolerance / 2.0
    if abs(gain - 1.0) <= tolerance and abs(offset) <= offset_tolerance:
        return "full"
    if abs(gain - LIMITED_RANGE_GAIN) <= tolerance and abs(offset - LIMITED_RANGE_OFFSET) <= offset_tolerance:
        return "compressed"  # limited-range data shown as full: washed out
    expanded_gain = 1.0 / LIMITED_RANGE_GAIN
    expanded_offset = -LIMITED_RANGE_OFFSET * expanded_gain
    if abs(gain - expanded_gain) <= tolerance and abs(offset - expanded_offset) <= offset_tolerance:
        return "expanded"  # full-range data decoded as limited: crushed blacks and whites
    return "other"


def range_compression(
    output: np.ndarray,
    expected: np.ndarray,
    *,
    region: Region = None,
    tolerance: float = 0.05,
) -> CheckResult:
    """Least-squares fit output = gain * expected + offset per channel, to spot limited/full range mix-ups.

    Pixels clipped in the output (0 or 255) are left out of the fit. Classification of the mean fit:
    "full" (gain ~1, offset ~0: correct), "compressed" (gain ~219/255, offset ~16: limited range shown as
    full, washed out), "expanded" (gain ~255/219, offset ~-18.6: full range decoded as limited, crushed) or
    "other"; gains within ``tolerance`` (default 0.05), offsets within 255 * tolerance / 2. value = mean gain.
    """
    out = align_to(output, expected, names=("output", "expected"))
    sel = resolve_region(region, expected.shape)
    o_planes = cv2.split(np.ascontiguousarray(sel.crop(out)))
    e_planes = cv2.split(np.ascontiguousarray(sel.crop(expected)))
    gains: list[float] = []
    offsets: list[float] = []
    for c in range(3):
        # Moments over unclipped output pixels of the region, as dot products (fast on whole frames).
        keep = (o_planes[c] > 0) & (o_planes[c] < 255)
        if sel.mask is not None:
            keep &= sel.mask
        w = keep.astype(np.float32).ravel()
        x = e_planes[c].astype(np.float32).ravel() - 128.0  # centred: smaller sums, less float32 rounding
        y = o_planes[c].astype(np.float32).ravel() - 128.0
        n = float(w.sum())
        wx = w * x
        sx, sy = float(wx.sum()), float(w @ y)
        var_x = float(wx @ x) / max(n, 1.0) - (sx / max(n, 1.0)) ** 2
        if n < 16 or var_x < 64.0:
            raise AnalysisError(
                f"range_compression: channel {'RGB'[c]} of the expected frame has too little contrast "
                f"(std {math.sqrt(max(var_x, 0.0)):.1f} < 8 levels over {int(n)} unclipped pixels) to fit"
            )
        cov_xy = float(wx @ y) / n - (sx / n) * (sy / n)
        gain = cov_xy / var_x
        gains.append(gain)
        offsets.append(sy / n - gain * sx / n + 128.0 * (1.0 - gain))
    gain, offset = float(np.mean(gains)), float(np.mean(offsets))
    kind = _classify_range(gain, offset, tolerance)
    return CheckResult(
        name="range_compression",
        value=gain,
        unit="gain",
        threshold=f"{1 - tolerance:.2f} <= gain <= {1 + tolerance:.2f} (full range)",
        passed=kind == "full",
        detail={"classification": kind, "offset": offset, "gains_rgb": gains, "offsets_rgb": offsets},
    )
