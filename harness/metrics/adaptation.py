"""Names the device-adaptation defect an output frame or a capture's timing shows (rotation, mirroring, stretch,
range and matrix mix-ups, R/B swap, colour cast, broken frames, effect not applied, drops, freezes, slow start).

Frame findings combine the index code (indexcode.Decoded), feature-matched geometry (metrics.geometry) and the
visual checks of metrics.visual, after undoing the geometry; colour is compared at the lower of the output's and
the source's resolutions, outside the code band. A defect that is only a consequence of an earlier one is not
reported (see analyse_frame).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from harness.errors import AnalysisError, ConfigError
from harness.metrics import indexcode
from harness.metrics import visual as V
from harness.metrics.color import check_rgb_uint8
from harness.metrics.frames import FREEZE_THRESHOLD_MS, FrameTiming
from harness.metrics.geometry import (
    MAX_ASPECT_ERROR,
    MAX_ROTATION_DEG,
    GeometryResult,
    estimate_geometry,
    fit_for_display,
    to_source_frame,
)
from harness.metrics.indexcode import Decoded
from harness.metrics.visual_common import CheckResult, EvidenceMode, check_evidence_mode, evidence_image

FRAME_DEFECTS = (
    "black_frames", "green_frames", "uniform_frames", "rotation", "mirroring", "aspect_stretch", "effect_not_applied",
    "rb_swap", "limited_range", "bt601_bt709_mismatch", "colour_cast",
)  # fmt: skip
"""Frame defects in the order they are judged and listed."""
TIMELINE_DEFECTS = ("frame_drops", "freeze", "slow_start")

# effect_not_applied is judged only when the expected look is itself this far from the source (mean ΔE00; JPEG q85
# of a clean frame alone costs ~1.5), and the output must then stay within half of that distance of the source.
MIN_EFFECT_DELTA_E = 3.0
# BT.601 / BT.709 mix-up: compared on flat pixels (5x5 morphological gradient < FLAT_LEVEL in every channel) where
# the two matrices' results differ by >= DISCRIMINATIVE_LEVEL in some channel; JPEG q85 moves such pixels by ~1-2.
FLAT_LEVEL = 12
DISCRIMINATIVE_LEVEL = 6.0
MIN_DISCRIMINATIVE_PIXELS = 200
MIN_MATRIX_ERROR_RATIO = 2.0
MIN_MATRIX_ERROR_GAIN = 2.0  # levels of median error the mismatch hypothesis must remove
# Timeline limits (the project's choices): content below 75 % of the camera's rate or more than 20 % of the camera's
# frames dropped; a start more than 50 % + 300 ms slower than the baseline. A clean app on a busy 2-core host was
# seen at 26 fps with 11 % dropped over 2 s; the limits sit clear of that and of a defect dropping 30 %.
MIN_CONTENT_FPS_RATIO = 0.75
MAX_DROPPED_SHARE = 0.20
SLOW_START_FACTOR = 1.5
SLOW_START_MARGIN_MS = 300.0
_RANGE_MEANINGS = {
    "compressed": "limited-range (16-235) data shown as full range: washed out",
    "expanded": "full-range data decoded as limited range: crushed blacks and whites",
}
BAND_MARGIN_ROWS = 2  # rows above the code band also left out (resampling blurs the band into them)

# Evidence panel labels in ASCII: OpenCV's Hershey fonts draw "?" for a Greek delta.
ABS_DIFF = "|diff|"
ABS_DIFF_LUMA = "|diff| luma"


def _ycbcr_from_rgb(kr: float, kb: float) -> npt.NDArray[np.float64]:
    """The R'G'B' -> Y'CbCr matrix of ITU-R BT.601 (kr 0.299, kb 0.114) or BT.709 (0.2126, 0.0722)."""
    kg = 1.0 - kr - kb
    return np.array([
        [kr, kg, kb],
        [-kr / (2 * (1 - kb)), -kg / (2 * (1 - kb)), 0.5],
        [0.5, -kg / (2 * (1 - kr)), -kb / (2 * (1 - kr))],
    ])  # fmt: skip


_BT601, _BT709 = _ycbcr_from_rgb(0.299, 0.114), _ycbcr_from_rgb(0.2126, 0.0722)
# RGB -> RGB through the wrong decoder (same range on both sides, so offsets cancel and greys stay grey).
MATRIX_MISMATCHES: dict[str, npt.NDArray[np.float64]] = {
    "bt709_decoded_as_bt601": np.linalg.inv(_BT601) @ _BT709,
    "bt601_decoded_as_bt709": np.linalg.inv(_BT709) @ _BT601,
}


@dataclass(frozen=True)
class Finding:
    """One defect found: ``value`` in ``unit`` against ``threshold`` (in words); ``detail`` says why."""

    defect: str
    value: float
    unit: str
    threshold: str
    detail: dict[str, Any] = field(default_factory=dict)
    evidence: npt.NDArray[np.uint8] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", float(self.value))
        if self.defect not in FRAME_DEFECTS + TIMELINE_DEFECTS:
            allowed = ", ".join(FRAME_DEFECTS + TIMELINE_DEFECTS)
            raise ConfigError(f"unknown defect {self.defect!r}; allowed: {allowed}", key_path="defect")

    def summary(self) -> str:
        return f"{self.defect}: {self.value:.4g} {self.unit} (limit {self.threshold})"

    def to_dict(self) -> dict[str, Any]:
        """Everything but the evidence image, for results files."""
        return {name: getattr(self, name) for name in ("defect", "value", "unit", "threshold", "detail")}


@dataclass(frozen=True)
class FrameReport:
    """Everything analyse_frame looked at: the findings, the geometry fit, the checks it ran, and notes on what
    could not be judged and why."""

    findings: tuple[Finding, ...]
    geometry: GeometryResult | None
    checks: tuple[CheckResult, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Pose:
    """How the output shows the source, merged from the index code and the feature fit."""

    rotation_deg: float  # clockwise, (-180, 180]
    mirrored: bool
    aspect_error: float | None  # None: not measurable
    scale: float  # output pixels per source pixel (smaller axis)
    geometry_used: bool  # the feature fit agrees with the code (or there is no code): its map may be used
    basis: str
    detail: dict[str, Any]


def _signed(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0 if (deg + 180.0) % 360.0 else 180.0


def _content_scales(rect: tuple[int, int, int, int], quarter: int, src_w: int, src_h: int) -> tuple[float, float]:
    w, h = rect[2], rect[3]
    return (h / src_w, w / src_h) if quarter in (90, 270) else (w / src_w, h / src_h)


def _pose(out: np.ndarray, src_shape: tuple[int, ...], decoded: Decoded | None, geo: GeometryResult | None) -> _Pose:
    src_h, src_w = src_shape[:2]
    detail: dict[str, Any] = {"geometry": None if geo is None else geo.to_dict()}
    if decoded is not None:
        detail["decoded"] = decoded.to_dict()
    if geo is not None and (
        decoded is None
        or (geo.mirrored == decoded.mirrored and abs(_signed(geo.rotation_deg - decoded.rotation_deg)) <= 10.0)
    ):
        basis = "feature matching" if decoded is None else "index code, confirmed by feature matching"
        scale = min(geo.scale_x, geo.scale_y)
        return _Pose(geo.rotation_deg, geo.mirrored, geo.aspect_error, scale, True, basis, detail)
    if decoded is not None:
        sx, sy = _content_scales(decoded.content_rect, decoded.rotation_deg, src_w, src_h)
        basis = "index code" + ("" if geo is None else " (feature matching disagrees; the code is trusted)")
        return _Pose(_signed(decoded.rotation_deg), decoded.mirrored, sy / sx - 1.0, min(sx, sy), False, basis, detail)
    scale = min(out.shape[1] / src_w, out.shape[0] / src_h)
    return _Pose(0.0, False, None, scale, False, "none: no index code and no feature match; assumed upright", detail)


def _aligned(
    out: np.ndarray, src_shape: tuple[int, ...], pose: _Pose, decoded: Decoded | None, geo: GeometryResult | None
) -> tuple[np.ndarray, npt.NDArray[np.bool_]]:
    """The output mapped onto the source's grid at min(1, scale) of its size, and the mask of valid pixels: by the
    index code when the fit adds nothing (quarter turn, whole picture), else by the fit, else by resizing."""
    f = min(1.0, pose.scale)
    tw, th = max(16, round(src_shape[1] * f)), max(16, round(src_shape[0] * f))
    if decoded is not None and (geo is None or not pose.geometry_used or geo.is_quarter_turn_of_whole()):
        return indexcode.to_clip_frame(out, decoded, width=tw, height=th), np.ones((th, tw), dtype=bool)
    if geo is not None and pose.geometry_used:
        return to_source_frame(out, geo, width=tw, height=th)
    resized = np.asarray(cv2.resize(out, (tw, th), interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return resized, np.ones((th, tw), dtype=bool)


def _resized(image: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if image.shape[:2] == shape[:2]:
        return image
    return np.asarray(cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA), dtype=np.uint8)


def bt_matrix_mismatch(output: np.ndarray, expected: np.ndarray, *, region: npt.NDArray[np.bool_]) -> CheckResult:
    """Whether ``output`` is ``expected`` decoded through the wrong Y'CbCr matrix (BT.601 vs BT.709).

    Three hypotheses predict each pixel: expected as is, and expected through each mismatch (MATRIX_MISMATCHES).
    On flat pixels of ``region`` where the hypotheses differ visibly, the median (over pixels) of the mean
    absolute channel error is taken per hypothesis. value = error(as is) / error(best mismatch); suspected (fail)
    when >= 2 and the mismatch removes >= 2 levels of error. Inconclusive (passed) on fewer than 200 such pixels
    (e.g. a grey look: the matrices agree on greys).
    """
    out = V.align_to(output, expected, names=("output", "expected"))
    if region.dtype != np.bool_ or region.shape != expected.shape[:2]:
        raise ConfigError(
            f"region must be a boolean mask of shape {expected.shape[:2]}, got {region.dtype} {region.shape}"
        )
    gradient = _channel_max(cv2.morphologyEx(expected, cv2.MORPH_GRADIENT, np.ones((5, 5), np.uint8)))
    # cv2.transform on uint8 rounds and saturates: the 8-bit RGB a wrong decoder would produce.
    predictions = {name: cv2.transform(expected, m) for name, m in MATRIX_MISMATCHES.items()}
    spread = np.maximum.reduce([_channel_max(cv2.absdiff(p, expected)) for p in predictions.values()])
    keep = region & (gradient < FLAT_LEVEL) & (spread >= DISCRIMINATIVE_LEVEL)
    n = int(np.count_nonzero(keep))
    observed = out[keep].astype(np.int16)

    def error(prediction: np.ndarray) -> float:
        return float(np.median(np.abs(observed - prediction[keep]).mean(axis=1))) if n else 0.0

    direct = error(expected)
    errors = {name: error(p) for name, p in predictions.items()}
    best = min(errors, key=lambda k: errors[k])
    ratio = direct / max(errors[best], 0.5)
    conclusive = n >= MIN_DISCRIMINATIVE_PIXELS
    suspected = conclusive and ratio >= MIN_MATRIX_ERROR_RATIO and direct - errors[best] >= MIN_MATRIX_ERROR_GAIN
    return CheckResult(
        name="bt_matrix_mismatch",
        value=ratio,
        unit="error ratio",
        threshold=f"< {MIN_MATRIX_ERROR_RATIO} (no BT.601/BT.709 mix-up)",
        passed=not suspected,
        detail={
            "suspected": suspected,
            "conclusive": conclusive,
            "best": best,
            "direct_error": direct,
            "mismatch_errors": errors,
            "n_pixels": n,
        },
    )


def _channel_max(image: np.ndarray) -> np.ndarray:
    r, g, b = cv2.split(image)
    return np.asarray(cv2.max(cv2.max(r, g), b))


def _finding(defect: str, check: CheckResult, evidence: np.ndarray | None = None, **extra: Any) -> Finding:
    return Finding(
        defect, check.value, check.unit, check.threshold, {"check": check.name, **check.detail, **extra}, evidence
    )


def _broken(image: np.ndarray, source: np.ndarray, region: V.Region, checks: list[CheckResult]) -> Finding | None:
    """The first broken-frame defect (black, green, uniform) the checks detect, or None."""
    for defect, check in (
        ("black_frames", V.black_frame),
        ("green_frames", V.green_frame),
        ("uniform_frames", V.uniform_frame),
    ):
        result = check(image, source, region=region)
        checks.append(result)
        if not result.passed:
            return _finding(defect, result)
    return None


def _geometry_findings(pose: _Pose) -> list[Finding]:
    detail = {"basis": pose.basis, **pose.detail}
    found = []
    if abs(pose.rotation_deg) > MAX_ROTATION_DEG:
        found.append(
            Finding("rotation", pose.rotation_deg, "deg clockwise", f"|rotation| <= {MAX_ROTATION_DEG}", detail)
        )
    if pose.mirrored:
        found.append(Finding("mirroring", 1.0, "flag", "0 (not mirrored)", detail))
    if pose.aspect_error is not None and abs(pose.aspect_error) >= MAX_ASPECT_ERROR:
        found.append(
            Finding("aspect_stretch", pose.aspect_error, "scale_y/scale_x - 1", f"|value| < {MAX_ASPECT_ERROR}", detail)
        )
    return found


def _effect_missing(
    aligned: np.ndarray,
    source: np.ndarray,
    expected: np.ndarray,
    sparse: npt.NDArray[np.bool_],
    checks: list[CheckResult],
    notes: list[str],
) -> Finding | None:
    gap = V.filter_fidelity(expected, source, region=sparse, evidence="never")
    checks.append(gap)
    if gap.value < MIN_EFFECT_DELTA_E:
        notes.append(
            f"effect_not_applied not judged: the expected look is only {gap.value:.2f} ΔE00 from the "
            f"source (< {MIN_EFFECT_DELTA_E})"
        )
        return None
    applied = V.filter_applied(aligned, source, region=sparse, min_mean_delta_e=gap.value / 2.0, evidence="never")
    to_expected = V.filter_fidelity(aligned, expected, region=sparse, evidence="never")
    checks += [applied, to_expected]
    if applied.passed or applied.value >= to_expected.value:
        return None
    return _finding(
        "effect_not_applied", applied, delta_e_to_expected=to_expected.value, delta_e_expected_vs_source=gap.value
    )


def _colour_findings(
    aligned: np.ndarray,
    reference: np.ndarray,
    region: npt.NDArray[np.bool_],
    sparse: npt.NDArray[np.bool_],
    checks: list[CheckResult],
    notes: list[str],
) -> list[Finding]:
    found = []
    rb = V.rb_swap_suspected(aligned, reference, region=region)
    checks.append(rb)
    if not rb.passed:
        found.append(_finding("rb_swap", rb))
    try:
        range_reference = np.ascontiguousarray(reference[..., ::-1]) if found else reference
        fit = V.range_compression(aligned, range_reference, region=region)
        checks.append(fit)
        if fit.detail["classification"] in _RANGE_MEANINGS:
            found.append(
                _finding(
                    "limited_range",
                    fit,
                    meaning=_RANGE_MEANINGS[fit.detail["classification"]],
                    against_rb_swapped=bool(found),
                )
            )
    except AnalysisError as exc:
        notes.append(f"limited_range not judged: {exc}")
    if found:
        return found
    bt = bt_matrix_mismatch(aligned, reference, region=region)
    checks.append(bt)
    if not bt.passed:
        return [_finding("bt601_bt709_mismatch", bt)]
    if not bt.detail["conclusive"]:
        notes.append(
            f"bt601_bt709_mismatch not judged: {bt.detail['n_pixels']} discriminating pixels (< "
            f"{MIN_DISCRIMINATIVE_PIXELS}; greys look the same through both matrices)"
        )
    cast = V.colour_cast(aligned, reference, region=sparse)
    checks.append(cast)
    return [] if cast.passed else [_finding("colour_cast", cast)]


def _with_evidence(findings: list[Finding], image: np.ndarray | None) -> list[Finding]:
    return findings if image is None else [dataclasses.replace(f, evidence=image) for f in findings]


def analyse_frame(
    output: np.ndarray,
    *,
    source: np.ndarray,
    expected: np.ndarray | None = None,
    decoded: Decoded | None = None,
    effect_expected: bool = False,
    evidence: EvidenceMode = "on_fail",
) -> FrameReport:
    """Judge one output frame against the source clip frame it shows (and the frame the SDK should have made).

    ``source``: the clip frame (clip.render_frame at the decoded index); ``expected``: what the SDK should have
    drawn (e.g. apply_lut(source, lut)) if known, same size as source; ``decoded``: indexcode.decode_index of this
    output (its orientation is trusted; feature matching refines and confirms it); ``effect_expected``: a visible
    effect was requested, so an output that still looks like the source is "effect_not_applied"; ``evidence``:
    "never" or "on_fail"/"always" (each finding then carries an image: source or expected | output | difference).

    Order, and what is left out as a consequence of an earlier finding:
    1. black_frames, green_frames, uniform_frames, on the whole output, then on the aligned picture: the first one
       found is the only finding (a black or green frame is also uniform, and nothing else can be judged).
    2. rotation (|deg| > 2), mirroring, aspect_stretch (|scale_y/scale_x - 1| >= 0.03).
    3. effect_not_applied (only with effect_expected): the output is nearer the source than the expected frame and
       within half their distance. Colour is then compared with the source instead of the expected frame.
    4. rb_swap; limited_range (range_compression "compressed" or "expanded", against the R/B-swapped reference when
       rb_swap was found); bt601_bt709_mismatch only when neither was found; colour_cast only when none of the three
       was found (each of them shifts mean a*b*, so a cast is their consequence).
    Colour is compared after undoing the geometry, at min(1, output scale) of the source's size, without the code
    band (indexcode.band_top) and the rows next to it.
    """
    want = check_evidence_mode(evidence) != "never"
    out = check_rgb_uint8(output, name="output")
    src = check_rgb_uint8(source, name="source")
    if expected is not None and check_rgb_uint8(expected, name="expected").shape != src.shape:
        raise ConfigError(f"expected frame has shape {expected.shape}; it must match the source's {src.shape}")
    if effect_expected and expected is None:
        raise ConfigError("effect_expected=True needs the expected frame (expected=...)", key_path="expected")
    checks: list[CheckResult] = []
    notes: list[str] = []
    shrink = math.sqrt(src.shape[0] * src.shape[1] / (out.shape[0] * out.shape[1]))
    probe = out if shrink > 0.7 else cv2.resize(out, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
    broken = _broken(np.asarray(probe, dtype=np.uint8), src, None, checks)
    if broken is not None:
        image = evidence_image(src, out, labels=("source", "output", ABS_DIFF_LUMA)) if want else None
        return FrameReport(tuple(_with_evidence([broken], image)), None, tuple(checks), ())
    reference = src if expected is None else expected
    try:
        geo: GeometryResult | None = estimate_geometry(out, reference, evidence="never")
    except AnalysisError as exc:
        geo = None
        notes.append(f"geometry not measured: {exc}")
    pose = _pose(out, src.shape, decoded, geo)
    if pose.basis.startswith("none"):
        notes.append("rotation, mirroring and aspect not judged: " + pose.basis)
    aligned, region = _aligned(out, src.shape, pose, decoded, geo)
    region[max(0, indexcode.band_top(aligned.shape[0], aligned.shape[1]) - BAND_MARGIN_ROWS) :] = False
    sparse = region.copy()  # every other row and column: the same means from a quarter of the CIEDE2000 work
    sparse[1::2] = False
    sparse[:, 1::2] = False
    src_small, ref_small = _resized(src, aligned.shape), _resized(reference, aligned.shape)
    broken = _broken(aligned, src_small, region, checks)
    if broken is not None:
        image = (evidence_image(src_small, aligned, labels=("source", "output (aligned)", ABS_DIFF_LUMA))
                 if want else None)
        return FrameReport(tuple(_with_evidence([broken], image)), geo, tuple(checks), tuple(notes))

    findings = _geometry_findings(pose)
    if findings and want:
        shown = fit_for_display(out, src.shape[1], src.shape[0])
        findings = _with_evidence(findings, evidence_image(src, shown,
                                                           labels=("source", "output (as shown)", ABS_DIFF)))
    label = "expected" if expected is not None else "source"
    if effect_expected and expected is not None:
        missing = _effect_missing(aligned, src_small, ref_small, sparse, checks, notes)
        if missing is not None:
            image = (evidence_image(ref_small, aligned, labels=("expected", "output (aligned)", ABS_DIFF))
                     if want else None)
            findings += _with_evidence([missing], image)
            ref_small, label = src_small, "source"  # judge colour against what the output actually shows
    colour = _colour_findings(aligned, ref_small, region, sparse, checks, notes)
    if colour and want:
        colour = _with_evidence(colour, evidence_image(ref_small, aligned,
                                                       labels=(label, "output (aligned)", ABS_DIFF)))
    return FrameReport(tuple(findings + colour), geo, tuple(checks), tuple(notes))


def classify_frame(
    output: np.ndarray,
    *,
    source: np.ndarray,
    expected: np.ndarray | None = None,
    decoded: Decoded | None = None,
    effect_expected: bool = False,
    evidence: EvidenceMode = "on_fail",
) -> list[Finding]:
    """The findings of analyse_frame (same arguments), in FRAME_DEFECTS order; [] for a correct frame."""
    report = analyse_frame(
        output, source=source, expected=expected, decoded=decoded, effect_expected=effect_expected, evidence=evidence
    )
    return list(report.findings)


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name}={value!r} is not allowed; allowed a finite number >= 0", key_path=name)
    return float(value)


def classify_timeline(
    frame_timing: Mapping[str, Any] | FrameTiming,
    *,
    source_fps: float,
    startup_ms: float | None = None,
    baseline_startup_ms: float | None = None,
) -> list[Finding]:
    """Timing findings of one capture from frames.analyze_timeline's result (FrameTiming or its to_dict()).

    - frame_drops: content_fps < 0.85 x source_fps, or dropped share > 10 % (dropped_frames / (dropped_frames +
      content_updates): the camera frames that never reached the screen). value = content_fps.
    - freeze: any frame on screen longer than FREEZE_THRESHOLD_MS (150 ms, WebRTC); value = the longest, in ms.
      A freeze also lowers content_fps, so frame_drops may accompany it.
    - slow_start: startup_ms > 1.5 x baseline_startup_ms + 300 ms; judged only when both are given.
    """
    timing = frame_timing.to_dict() if isinstance(frame_timing, FrameTiming) else dict(frame_timing)
    fps = _number(source_fps, "source_fps")
    if fps <= 0:
        raise ConfigError(f"source_fps={source_fps!r} is not allowed; allowed a number > 0", key_path="source_fps")
    missing = [k for k in ("content_fps", "content_updates", "dropped_frames", "freezes") if k not in timing]
    if missing:
        raise AnalysisError(f"frame timing lacks {', '.join(missing)}; pass frames.analyze_timeline(...).to_dict()")
    content_fps = float(timing["content_fps"])
    dropped, updates = int(timing["dropped_frames"]), int(timing["content_updates"])
    share = dropped / (dropped + updates) if dropped + updates else 0.0
    found: list[Finding] = []
    why = []
    if content_fps < MIN_CONTENT_FPS_RATIO * fps:
        why.append(f"content {content_fps:.2f} fps < {MIN_CONTENT_FPS_RATIO} x {fps:g} fps")
    if share > MAX_DROPPED_SHARE:
        why.append(f"{dropped} of {dropped + updates} camera frames dropped ({share:.1%} > {MAX_DROPPED_SHARE:.0%})")
    if why:
        limit = f">= {MIN_CONTENT_FPS_RATIO * fps:g} fps and dropped share <= {MAX_DROPPED_SHARE:.0%}"
        detail = {
            "why": "; ".join(why),
            "content_fps": content_fps,
            "source_fps": fps,
            "dropped_frames": dropped,
            "content_updates": updates,
            "dropped_share": share,
        }
        found.append(Finding("frame_drops", content_fps, "fps", limit, detail))
    freezes = [dict(f) for f in timing["freezes"]]
    if freezes:
        worst = max(freezes, key=lambda f: float(f["duration_ms"]))
        text = (
            f"{len(freezes)} frame(s) on screen > {FREEZE_THRESHOLD_MS:g} ms; the longest {worst['duration_ms']} ms"
            f" (index {worst['index']}{', until the capture ended' if worst.get('open_ended') else ''})"
        )
        found.append(
            Finding(
                "freeze",
                worst["duration_ms"],
                "ms",
                f"<= {FREEZE_THRESHOLD_MS:g} ms",
                {"why": text, "freezes": freezes},
            )
        )
    if startup_ms is not None and baseline_startup_ms is not None:
        start, base = _number(startup_ms, "startup_ms"), _number(baseline_startup_ms, "baseline_startup_ms")
        limit_ms = SLOW_START_FACTOR * base + SLOW_START_MARGIN_MS
        if start > limit_ms:
            text = f"start-up {start:g} ms > {SLOW_START_FACTOR} x baseline {base:g} ms + {SLOW_START_MARGIN_MS:g} ms"
            found.append(
                Finding(
                    "slow_start",
                    start,
                    "ms",
                    f"<= {limit_ms:g} ms",
                    {"why": text, "startup_ms": start, "baseline_startup_ms": base},
                )
            )
    return found
