"""Tests for harness.metrics.geometry: rotation, mirroring, per-axis scale and crop recovered from real clip frames.

Frames come from the clip generator (clip.render_frame). Every transformation is applied here with numpy/OpenCV,
so the expected geometry is known by construction: np.rot90(k=-1) turns clockwise by exactly 90°, a resize of
360x640 to 480x640 scales x by 4/3 and y by 1 (aspect_error = 1 / (4/3) - 1 = -0.25), and so on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from harness.capture.clip import render_frame
from harness.clipspec import ClipSpec
from harness.errors import AnalysisError
from harness.metrics.geometry import estimate_geometry, to_source_frame
from harness.metrics.lut import apply_lut, load_cube

SPEC = ClipSpec()
ROOT = Path(__file__).resolve().parents[1]
LUTS = sorted([*ROOT.glob("apps/glfx/luts/*.cube"), *ROOT.glob("apps/pixkit/looks/*.cube")])


def jpeg(image: np.ndarray, quality: int = 85) -> np.ndarray:
    ok, buffer = cv2.imencode(".jpg", np.ascontiguousarray(image[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    assert ok
    assert decoded is not None
    return np.ascontiguousarray(decoded[..., ::-1])


def rotate_about_centre(image: np.ndarray, clockwise_deg: float) -> np.ndarray:
    """Rotate on screen clockwise (OpenCV's angle is counter-clockwise), same size, reflected border."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), -clockwise_deg, 1.0)
    return np.asarray(cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT101))


@pytest.fixture(scope="module")
def source() -> np.ndarray:
    return render_frame(SPEC, 37)


def test_untouched_frame_is_identity_and_passes(source: np.ndarray) -> None:
    g = estimate_geometry(source, source)
    assert g.passed
    assert g.check.evidence is None  # evidence only on failure by default
    assert abs(g.rotation_deg) < 0.1
    assert not g.mirrored
    assert g.scale_x == pytest.approx(1.0, abs=0.005)
    assert g.scale_y == pytest.approx(1.0, abs=0.005)
    assert g.crop == pytest.approx((0.0, 0.0, 1.0, 1.0), abs=0.005)
    assert g.inliers >= 100
    assert g.residual_px < 0.5
    assert np.allclose(g.matrix, [[1, 0, 0], [0, 1, 0]], atol=0.05)


@pytest.mark.parametrize(
    ("size", "scale"),
    [((180, 320), 0.5), ((240, 426), 240 / 360), ((1080, 1920), 3.0)],
    ids=["half", "two_thirds", "1080p"],
)
def test_uniform_scaling_passes_and_measures_the_scale(source: np.ndarray, size: tuple[int, int], scale: float) -> None:
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    g = estimate_geometry(jpeg(cv2.resize(source, size, interpolation=interpolation)), source)
    assert g.passed, g.summary()
    assert g.scale_x == pytest.approx(scale, rel=0.01)
    assert g.scale_y == pytest.approx(scale, rel=0.01)
    assert abs(g.aspect_error) < 0.01


@pytest.mark.parametrize(
    ("k", "expected_deg"),
    [(-1, 90.0), (1, -90.0), (2, 180.0)],
    ids=["cw90", "ccw90", "180"],
)
def test_quarter_turns(source: np.ndarray, k: int, expected_deg: float) -> None:
    out = np.ascontiguousarray(np.rot90(source, k=k))  # k < 0 turns clockwise
    g = estimate_geometry(out, source)
    assert not g.passed
    assert abs((g.rotation_deg - expected_deg + 180) % 360 - 180) < 0.5
    assert g.quarter_turn_deg == expected_deg % 360
    assert not g.mirrored
    assert abs(g.aspect_error) < 0.01
    assert g.is_quarter_turn_of_whole()
    assert g.check.evidence is not None  # failed: an image for the report
    # The top-left source pixel ends at the top-right after a clockwise quarter turn: (0, 0) -> (639, 0).
    if k == -1:
        x, y = np.array(g.matrix) @ [0.0, 0.0, 1.0]
        assert (x, y) == pytest.approx((639.0, 0.0), abs=1.5)


def test_mirrored_output_is_detected(source: np.ndarray) -> None:
    g = estimate_geometry(np.ascontiguousarray(source[:, ::-1]), source)
    assert g.mirrored
    assert not g.passed
    assert abs(g.rotation_deg) < 0.5
    assert g.check.detail["inliers_other_orientation"] < g.inliers / 5
    # x -> 359 - x: the fitted matrix includes the flip.
    assert np.allclose(g.matrix, [[-1, 0, 359], [0, 1, 0]], atol=0.05 * 360)
    assert np.array(g.matrix)[0, 0] == pytest.approx(-1.0, abs=0.01)


def test_mirrored_then_turned(source: np.ndarray) -> None:
    # indexcode's convention: the clip is mirrored first, then turned clockwise.
    g = estimate_geometry(np.ascontiguousarray(np.rot90(source[:, ::-1], k=-1)), source)
    assert g.mirrored
    assert abs(g.rotation_deg - 90.0) < 0.5


@pytest.mark.parametrize(
    ("size", "sx", "sy"),
    [((480, 640), 4 / 3, 1.0), ((360, 800), 1.0, 1.25), ((1080, 1440), 3.0, 2.25)],
    ids=["4:3_wide", "tall", "1080x1440"],
)
def test_aspect_stretch(source: np.ndarray, size: tuple[int, int], sx: float, sy: float) -> None:
    g = estimate_geometry(cv2.resize(source, size, interpolation=cv2.INTER_NEAREST), source)
    assert not g.passed
    assert g.scale_x == pytest.approx(sx, rel=0.01)
    assert g.scale_y == pytest.approx(sy, rel=0.01)
    assert g.aspect_error == pytest.approx(sy / sx - 1.0, abs=0.01)
    assert abs(g.rotation_deg) < 0.5


def test_small_tilt_is_measured(source: np.ndarray) -> None:
    tilted = estimate_geometry(rotate_about_centre(source, 3.0), source)
    assert tilted.rotation_deg == pytest.approx(3.0, abs=0.2)
    assert not tilted.passed
    assert not tilted.is_quarter_turn_of_whole()
    slight = estimate_geometry(rotate_about_centre(source, -1.5), source)
    assert slight.rotation_deg == pytest.approx(-1.5, abs=0.2)
    assert slight.passed  # within ±2°


def test_aspect_fill_crop_is_a_crop_not_a_stretch(source: np.ndarray) -> None:
    # Rows 80..559 (of 640) shown at full width: y from 80/640 = 0.125, height 480/640 = 0.75, scale 1.
    out = np.ascontiguousarray(source[80:560])
    g = estimate_geometry(out, source)
    assert g.passed
    assert g.crop == pytest.approx((0.0, 0.125, 1.0, 0.75), abs=0.01)
    assert g.scale_x == pytest.approx(1.0, abs=0.01)
    assert not g.is_quarter_turn_of_whole()


def test_letterboxed_output(source: np.ndarray) -> None:
    picture = cv2.resize(source, (180, 320), interpolation=cv2.INTER_AREA)
    out = np.zeros((320, 360, 3), np.uint8)
    out[:, 90:270] = picture
    g = estimate_geometry(out, source)
    assert g.passed
    assert g.scale_x == pytest.approx(0.5, rel=0.01)
    # Pixel centres through INTER_AREA at 1/2: x_out = 0.5 * (x_src + 0.5) - 0.5 + 90, so x_src = 0 -> 89.75.
    assert np.array(g.matrix)[0, 2] == pytest.approx(89.75, abs=1.5)


COLOUR_CHANGES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "limited_range": lambda f: np.rint(16 + f.astype(np.float32) * 219 / 255).astype(np.uint8),
    "rb_swap": lambda f: np.ascontiguousarray(f[..., ::-1]),
    "grey": lambda f: np.repeat(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2),
}


@pytest.mark.parametrize("change", sorted(COLOUR_CHANGES))
def test_colour_changes_do_not_disturb_matching(source: np.ndarray, change: str) -> None:
    out = jpeg(np.ascontiguousarray(np.rot90(COLOUR_CHANGES[change](source), k=-1)))
    g = estimate_geometry(out, source)
    assert abs(g.rotation_deg - 90.0) < 0.5, change
    assert abs(g.aspect_error) < 0.01
    assert g.inliers >= 50


@pytest.mark.parametrize("lut_path", LUTS, ids=lambda p: f"{p.parts[-3]}-{p.stem}")
def test_every_reference_look_matches(source: np.ndarray, lut_path: Path) -> None:
    filtered = apply_lut(source, load_cube(lut_path))
    g = estimate_geometry(jpeg(filtered), source)
    assert g.passed, g.summary()
    assert g.inliers >= 100
    assert abs(g.aspect_error) < 0.01


def test_reference_looks_exist() -> None:
    assert len(LUTS) == 8  # glfx and pixkit each ship warm, cool, mono, vintage


@pytest.mark.parametrize(
    "frame",
    [np.zeros((640, 360, 3), np.uint8), np.full((640, 360, 3), (0, 135, 0), np.uint8)],
    ids=["black", "green"],
)
def test_unmatchable_frames_raise(source: np.ndarray, frame: np.ndarray) -> None:
    with pytest.raises(AnalysisError, match=r"cannot be matched to the source \(360x640\).*at least 12 needed"):
        estimate_geometry(frame, source)


def test_unrelated_picture_raises(source: np.ndarray) -> None:
    noise = np.random.default_rng(7).integers(0, 256, size=(640, 360, 3), dtype=np.uint8)
    with pytest.raises(AnalysisError, match="cannot be matched"):
        estimate_geometry(noise, source)


def test_input_errors(source: np.ndarray) -> None:
    with pytest.raises(AnalysisError, match=r"output: expected an HxWx3 uint8 RGB array, got shape \(640, 360\)"):
        estimate_geometry(source[..., 0], source)
    with pytest.raises(AnalysisError, match="source: expected an HxWx3 uint8 RGB array"):
        estimate_geometry(source, source.astype(np.float32))


def test_evidence_modes(source: np.ndarray) -> None:
    turned = np.ascontiguousarray(np.rot90(source, k=-1))
    assert estimate_geometry(turned, source, evidence="never").check.evidence is None
    image = estimate_geometry(source, source, evidence="always").check.evidence
    assert image is not None
    assert image.shape == (640 + 16, 3 * 360 + 2 * 4, 3)  # evidence_image: label bar 16 px, two 4 px gaps


def test_result_to_dict_round_numbers(source: np.ndarray) -> None:
    d = estimate_geometry(np.ascontiguousarray(source[:, ::-1]), source).to_dict()
    assert d["mirrored"] is True
    assert d["source_size"] == [360, 640]
    assert set(d) >= {"rotation_deg", "scale_x", "scale_y", "aspect_error", "crop", "inliers", "residual_px"}


def test_to_source_frame_undoes_a_quarter_turn_exactly(source: np.ndarray) -> None:
    out = np.ascontiguousarray(np.rot90(source[:, ::-1], k=-1))
    g = estimate_geometry(out, source)
    back, valid = to_source_frame(out, g, width=360, height=640)
    assert valid.all()
    assert np.array_equal(back, source)


def test_to_source_frame_warps_a_tilt_back(source: np.ndarray) -> None:
    out = rotate_about_centre(source, 3.0)
    g = estimate_geometry(out, source)
    back, valid = to_source_frame(out, g, width=180, height=320)
    small = cv2.resize(source, (180, 320), interpolation=cv2.INTER_AREA)
    assert 0.8 < valid.mean() < 1.0  # the source's corners were turned out of the output's frame
    diff = np.abs(back.astype(int) - small.astype(int)).mean(axis=2)[valid]
    assert np.median(diff) < 4.0
