"""Tests for the visual checks (harness.metrics.visual, beauty, sticker) on a real photograph.

The test frame is built here (not from the clip generator): a 360x640 portrait frame with skimage's
astronaut photograph in the upper part, colour patches, and a black/white code band in the bottom 12.5 %.
Each check sees the photo with a known transform applied and must pass or fail accordingly; the untouched
frame is the no-effect case. JPEG quality 75 (4:2:0) stands in for lossy capture: on this frame it costs
mean 2.1 / p95 7.1 ΔE00, harsher than a 2.5 Mbit/s VP8 capture (mean 1.4 / p95 4.3, measured with ffmpeg).
"""

from __future__ import annotations

import dataclasses
import itertools
import re

import cv2
import numpy as np
import pytest
from skimage import color as skcolor
from skimage import data

from harness.errors import AnalysisError, ConfigError
from harness.metrics import visual as V
from harness.metrics.color import delta_e_ciede2000, srgb_to_lab
from harness.metrics.lut import apply_lut, lut_from_function

FRAME_H, FRAME_W = 640, 360
PICTURE = (0, 0, 360, 560)  # everything above the code band (bottom 80 rows = 12.5 %)
# The classic sepia tone matrix (RGB out = SEPIA @ RGB in), as a 33-point LUT below.
SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])
PATCHES = [  # sRGB values of a 24-patch colour chart, approximate
    (115, 82, 68), (194, 150, 130), (98, 122, 157), (87, 108, 67), (133, 128, 177), (103, 189, 170),
    (214, 126, 44), (80, 91, 166), (193, 90, 99), (94, 60, 108), (157, 188, 64), (224, 163, 46),
    (56, 61, 150), (70, 148, 73), (175, 54, 60), (231, 199, 31), (187, 86, 149), (8, 133, 161),
    (243, 243, 242), (200, 200, 200), (160, 160, 160), (122, 122, 121), (85, 85, 85), (52, 52, 52),
]  # fmt: skip


def make_frame(code: int = 0) -> np.ndarray:
    frame = np.full((FRAME_H, FRAME_W, 3), 48, dtype=np.uint8)
    frame[:360] = cv2.resize(data.astronaut(), (360, 360), interpolation=cv2.INTER_AREA)
    for i, rgb in enumerate(PATCHES):
        row, col = divmod(i, 6)
        frame[372 + row * 46 : 414 + row * 46, 4 + col * 59 : 59 + col * 59] = rgb
    for bit in range(16):
        frame[560:, bit * 22 : bit * 22 + 22] = 255 if (code >> bit) & 1 else 0
    return frame


def jpeg(image: np.ndarray, quality: int = 75) -> np.ndarray:
    ok, buffer = cv2.imencode(
        ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    decoded = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    assert ok
    assert decoded is not None
    return np.asarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB))


def shift_lab(
    image: np.ndarray, mask: np.ndarray, *, d_l: float = 0.0, d_a: float = 0.0, d_b: float = 0.0
) -> np.ndarray:
    """``image`` with CIELAB L*, a*, b* shifted inside ``mask`` (skimage's conversion, rounded to uint8)."""
    lab = skcolor.rgb2lab(image)
    lab[mask] += (d_l, d_a, d_b)
    return np.rint(np.clip(skcolor.lab2rgb(lab), 0, 1) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def frame() -> np.ndarray:
    return make_frame()


@pytest.fixture(scope="module")
def face_box(frame: np.ndarray) -> tuple[int, int, int, int]:
    cascade_dir: str = cv2.data.haarcascades  # type: ignore[attr-defined]
    cascade = cv2.CascadeClassifier(cascade_dir + "haarcascade_frontalface_default.xml")
    faces = cascade.detectMultiScale(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), scaleFactor=1.1, minNeighbors=5)
    assert len(faces) == 1
    x, y, w, h = (int(v) for v in faces[0])
    return (x, y, w, h)


@pytest.fixture(scope="module")
def sepia(frame: np.ndarray) -> np.ndarray:
    return apply_lut(frame, lut_from_function(33, lambda rgb: np.clip(rgb @ SEPIA.T, 0, 1)))


@pytest.fixture(scope="module")
def soft_skin(frame: np.ndarray, face_box: tuple[int, int, int, int]) -> np.ndarray:
    """A feathered skin mask (HxWx1 float) such as a beauty effect blends its smoothing with."""
    skin = V.face_skin_mask(frame, face_box).astype(np.float32)
    return cv2.GaussianBlur(skin, (0, 0), 3)[..., None]


def blend(frame: np.ndarray, processed: np.ndarray, weight: np.ndarray) -> np.ndarray:
    return np.rint(frame * (1.0 - weight) + processed * weight).astype(np.uint8)


# ------------------------------------------------------------------------------------------ filter checks


def test_filter_fidelity_exact_lossy_and_resized_outputs_pass(sepia: np.ndarray) -> None:
    exact = V.filter_fidelity(sepia, sepia, region=PICTURE)
    assert (exact.passed, exact.value, exact.evidence) == (True, 0.0, None)
    lossy = V.filter_fidelity(jpeg(sepia), sepia, region=PICTURE)
    assert lossy.passed
    assert 0.5 < lossy.value < 3.0
    assert lossy.detail["p95_delta_e"] < 10.0
    upscaled = V.filter_fidelity(cv2.resize(sepia, (720, 1280), interpolation=cv2.INTER_CUBIC), sepia)
    assert upscaled.passed
    assert upscaled.value < 1.0


def test_filter_fidelity_fails_when_filter_missing_or_wrong(frame: np.ndarray, sepia: np.ndarray) -> None:
    missing = V.filter_fidelity(frame, sepia, region=PICTURE)
    assert not missing.passed
    assert missing.value > 10.0
    assert missing.evidence is not None
    assert missing.evidence.shape == (FRAME_H + 16, 3 * FRAME_W + 8, 3)
    grey = apply_lut(
        frame, lut_from_function(17, lambda rgb: (rgb @ [0.299, 0.587, 0.114])[..., None].repeat(3, -1))
    )
    assert not V.filter_fidelity(grey, sepia, region=PICTURE).passed


def test_filter_fidelity_with_a_mask_region(sepia: np.ndarray) -> None:
    # A non-rectangular mask (every other pixel of the picture): the value must be the mean ΔE00 of exactly
    # those pixels, computed here directly.
    lossy = jpeg(sepia)
    mask = np.zeros(sepia.shape[:2], dtype=bool)
    mask[:560] = (np.add.outer(np.arange(560), np.arange(FRAME_W)) % 2) == 0
    direct = delta_e_ciede2000(srgb_to_lab(lossy[mask]), srgb_to_lab(sepia[mask])).mean()
    assert V.filter_fidelity(lossy, sepia, region=mask).value == pytest.approx(float(direct), rel=1e-6)


def test_filter_applied(frame: np.ndarray, sepia: np.ndarray) -> None:
    assert V.filter_applied(sepia, frame, region=PICTURE).passed
    untouched = V.filter_applied(frame, frame, region=PICTURE)
    assert not untouched.passed
    assert untouched.value == 0.0
    lossy = V.filter_applied(jpeg(frame), frame, region=PICTURE)
    assert not lossy.passed  # capture noise alone never counts as an applied filter
    assert lossy.value < 2.5


def test_region_errors_name_the_problem(frame: np.ndarray) -> None:
    with pytest.raises(
        ConfigError, match=re.escape("region: box (400, 0, 10, 10) lies outside the 360x640 frame")
    ):
        V.filter_fidelity(frame, frame, region=(400, 0, 10, 10))
    with pytest.raises(
        ConfigError, match=re.escape("region: a mask must be a boolean array of shape (640, 360)")
    ):
        V.filter_fidelity(frame, frame, region=np.ones((10, 10), dtype=bool))
    with pytest.raises(AnalysisError, match=re.escape("output: expected an HxWx3 uint8 RGB array")):
        V.filter_fidelity(frame.astype(np.float32), frame)


# ---------------------------------------------------------------------------------------- broken frames


def test_black_frame(frame: np.ndarray) -> None:
    black = V.black_frame(np.zeros_like(frame))
    assert not black.passed
    assert black.detail["detected"] is True
    assert not V.black_frame(np.full_like(frame, 16)).passed  # limited-range black
    assert V.black_frame(frame).passed
    dark_scene = np.full_like(frame, 10)
    assert V.black_frame(np.zeros_like(frame), dark_scene).passed  # the source is dark too: not a defect


def _zero_chroma(frame: np.ndarray) -> np.ndarray:
    """What a YUV->RGB conversion gives when the U and V planes arrive as zeros (a classic broken path)."""
    i420 = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)
    i420[FRAME_H:] = 0
    return cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)


def test_green_frame(frame: np.ndarray) -> None:
    assert not V.green_frame(_zero_chroma(frame), region=PICTURE).passed
    all_zero = cv2.cvtColor(np.zeros((FRAME_H * 3 // 2, FRAME_W), np.uint8), cv2.COLOR_YUV2RGB_I420)
    result = V.green_frame(all_zero)
    assert not result.passed
    assert result.value == 1.0
    healthy = V.green_frame(frame, region=PICTURE)
    assert healthy.passed
    assert healthy.value < 0.05  # only the green chart patch and a few flag pixels
    meadow = np.zeros_like(frame)
    meadow[..., 1] = 180
    assert V.green_frame(meadow, meadow).passed  # a green scene shown as it is


def test_uniform_frame(frame: np.ndarray) -> None:
    flat = V.uniform_frame(np.full_like(frame, 128))
    assert not flat.passed
    assert flat.value == 0.0
    assert V.uniform_frame(frame).passed
    assert V.uniform_frame(jpeg(frame)).passed


def test_frozen_output(frame: np.ndarray) -> None:
    frozen = V.frozen_output([frame, frame.copy(), frame.copy()])
    assert not frozen.passed
    assert frozen.value == 0.0
    assert not V.frozen_output([jpeg(frame)] * 3).passed
    moving = [jpeg(make_frame(code)) for code in (1, 2, 3, 4)]
    assert V.frozen_output(moving).passed
    # Without the code band the reference frames are identical: the changing part must be inside the region.
    assert not V.frozen_output([make_frame(code) for code in (1, 2, 3)], region=PICTURE).passed


def test_frozen_output_input_errors(frame: np.ndarray) -> None:
    with pytest.raises(ConfigError, match=re.escape("frozen_output needs at least 2 frames, got 1")):
        V.frozen_output([frame])
    with pytest.raises(AnalysisError, match=re.escape("frozen_output: frames_rgb[1] has shape (10, 10, 3)")):
        V.frozen_output([frame, np.zeros((10, 10, 3), np.uint8)])


# ------------------------------------------------------------------------------------ colour adaptation


def test_colour_cast_measures_a_known_yellow_cast(
    frame: np.ndarray, face_box: tuple[int, int, int, int]
) -> None:
    # +6 b* applied through skimage's Lab conversion on the face (mid tones, in gamut): measured back within
    # the uint8 rounding of the round trip.
    mask = np.zeros(frame.shape[:2], dtype=bool)
    x, y, w, h = face_box
    mask[y : y + h, x : x + w] = True
    cast = V.colour_cast(shift_lab(frame, mask, d_b=6.0), frame, region=face_box)
    assert not cast.passed
    assert cast.detail["delta_b"] == pytest.approx(6.0, abs=0.5)
    assert cast.detail["delta_a"] == pytest.approx(0.0, abs=0.5)
    assert cast.detail["hue_deg"] == pytest.approx(90.0, abs=5.0)
    assert cast.detail["direction"] == "yellow"
    green = V.colour_cast(shift_lab(frame, mask, d_a=-5.0), frame, region=face_box)
    assert green.value == pytest.approx(5.0, abs=0.5)
    assert green.detail["direction"] == "green"


def test_colour_cast_negatives(frame: np.ndarray) -> None:
    untouched = V.colour_cast(frame, frame, region=PICTURE)
    assert untouched.passed
    assert untouched.value == 0.0
    assert V.colour_cast(jpeg(frame), frame, region=PICTURE).value < 0.5


def test_rb_swap_suspected(frame: np.ndarray, sepia: np.ndarray) -> None:
    swapped = V.rb_swap_suspected(np.ascontiguousarray(sepia[..., ::-1]), sepia, region=PICTURE)
    assert not swapped.passed
    assert swapped.detail["suspected"] is True
    assert V.rb_swap_suspected(sepia, sepia, region=PICTURE).passed
    assert V.rb_swap_suspected(jpeg(frame), frame, region=PICTURE).passed
    grey = np.repeat(frame[..., 1:2], 3, axis=2)  # R == B everywhere: a swap cannot be seen
    inconclusive = V.rb_swap_suspected(grey, grey, region=PICTURE)
    assert inconclusive.passed
    assert inconclusive.detail["conclusive"] is False


def test_range_compression_classifies_range_mix_ups(frame: np.ndarray) -> None:
    # Golden: limited range (16..235, ITU-R BT.601/709 video levels) shown as full is out = 219/255 * in + 16;
    # the reverse mistake is out = 255/219 * (in - 16), clipped.
    levels = frame.astype(np.float64)
    compressed = np.rint(levels * 219.0 / 255.0 + 16.0).astype(np.uint8)
    expanded = np.clip(np.rint((levels - 16.0) * 255.0 / 219.0), 0, 255).astype(np.uint8)
    result = V.range_compression(compressed, frame, region=PICTURE)
    assert result.detail["classification"] == "compressed"
    assert result.value == pytest.approx(219.0 / 255.0, abs=0.01)
    assert result.detail["offset"] == pytest.approx(16.0, abs=1.0)
    assert not result.passed
    result = V.range_compression(expanded, frame, region=PICTURE)
    assert result.detail["classification"] == "expanded"
    assert result.value == pytest.approx(255.0 / 219.0, abs=0.01)
    for healthy in (frame, jpeg(frame)):
        result = V.range_compression(healthy, frame, region=PICTURE)
        assert result.passed
        assert result.detail["classification"] == "full"


def test_range_compression_needs_contrast(frame: np.ndarray) -> None:
    flat = np.full_like(frame, 100)
    with pytest.raises(AnalysisError, match=re.escape("range_compression: channel R of the expected frame")):
        V.range_compression(flat, flat)


# ---------------------------------------------------------------------------------------------- beauty


def test_face_regions_are_fractions_of_the_face_box() -> None:
    # By hand from FACE_REGION_FRACTIONS for a 100 px face at (200, 100).
    regions = V.face_regions((200, 100, 100, 100))
    assert regions == {
        "eyes": (210, 130, 80, 20),
        "mouth": (225, 170, 50, 20),
        "hairline": (200, 85, 100, 30),
    }


def test_skin_smoothing_ratio_falls_monotonically_with_strength(
    frame: np.ndarray, face_box: tuple[int, int, int, int], soft_skin: np.ndarray
) -> None:
    ratios = []
    for sigma_colour in (20, 40, 60, 80, 120):
        smoothed = blend(frame, cv2.bilateralFilter(frame, 9, sigma_colour, 5), soft_skin)
        ratios.append(V.skin_smoothing_ratio(smoothed, frame, face_box=face_box).value)
    assert all(a > b for a, b in itertools.pairwise(ratios)), ratios
    assert ratios[-1] < 0.8
    blurred = cv2.GaussianBlur(frame, (0, 0), 2.0)
    blends = [
        V.skin_smoothing_ratio(blend(frame, blurred, soft_skin * s), frame, face_box=face_box).value
        for s in (0.25, 0.5, 0.75, 1.0)
    ]
    assert all(a > b for a, b in itertools.pairwise(blends)), blends
    assert V.skin_smoothing_ratio(blend(frame, blurred, soft_skin), frame, face_box=face_box).passed


def test_skin_smoothing_ratio_untouched_is_one(
    frame: np.ndarray, face_box: tuple[int, int, int, int]
) -> None:
    untouched = V.skin_smoothing_ratio(frame, frame, face_box=face_box)
    assert untouched.value == pytest.approx(1.0, abs=0.02)
    assert not untouched.passed  # no smoothing: the beauty effect is not on
    assert V.skin_smoothing_ratio(jpeg(frame), frame, face_box=face_box).value == pytest.approx(1.0, abs=0.02)


def test_detail_preserved(
    frame: np.ndarray, face_box: tuple[int, int, int, int], soft_skin: np.ndarray
) -> None:
    regions = V.face_regions(face_box)
    skin_only = blend(frame, cv2.bilateralFilter(frame, 9, 80, 5), soft_skin)
    good = V.detail_preserved(skin_only, frame, regions=regions)
    assert good.passed
    assert set(good.detail["ratios"]) == {"eyes", "mouth", "hairline"}
    everything = V.detail_preserved(cv2.GaussianBlur(frame, (0, 0), 2.0), frame, regions=regions)
    assert not everything.passed
    assert everything.value < 0.5
    untouched = V.detail_preserved(frame, frame, regions=regions)
    assert untouched.value == pytest.approx(1.0, abs=0.02)
    assert V.detail_preserved(jpeg(frame), frame, regions=regions).passed


@pytest.mark.parametrize("delta_l", [2.0, 5.0])
def test_whitening_delta_l_measures_known_shift(
    frame: np.ndarray, face_box: tuple[int, int, int, int], delta_l: float
) -> None:
    skin = V.face_skin_mask(frame, face_box)
    whitened = shift_lab(frame, skin, d_l=delta_l)
    result = V.whitening_delta_l(whitened, frame, face_box=face_box)
    assert result.value == pytest.approx(delta_l, abs=0.5)
    assert result.passed
    assert V.whitening_delta_l(whitened, frame, skin_mask=skin).value == pytest.approx(result.value)


def test_whitening_delta_l_untouched(frame: np.ndarray, face_box: tuple[int, int, int, int]) -> None:
    untouched = V.whitening_delta_l(frame, frame, face_box=face_box)
    assert untouched.value == pytest.approx(0.0, abs=0.1)
    assert not untouched.passed
    assert abs(V.whitening_delta_l(jpeg(frame), frame, face_box=face_box).value) < 0.5


def test_whitening_delta_l_needs_a_skin_region(frame: np.ndarray) -> None:
    with pytest.raises(ConfigError, match=re.escape("whitening_delta_l: give face_box or skin_mask")):
        V.whitening_delta_l(frame, frame)


def test_face_box_off_the_face_is_reported(frame: np.ndarray) -> None:
    with pytest.raises(AnalysisError, match=r"face box \(300, 380, 50, 50\): only \d+ skin-coloured pixels"):
        V.skin_smoothing_ratio(frame, frame, face_box=(300, 380, 50, 50))  # the grey chart patches


# ---------------------------------------------------------------------------------------------- stickers

HAT_ABOVE_FACE_CENTRE_PX = (
    44  # the hat ellipse's centre is 10 px above the face box, i.e. 10 + h/2 above its centre
)


def with_hat(
    image: np.ndarray, face_box: tuple[int, int, int, int], dx_px: int = 0, dy_px: int = 0
) -> np.ndarray:
    """Draw an opaque red ellipse (a hat) centred 10 px above the face box, shifted by (dx_px, dy_px)."""
    x, y, w, _ = face_box
    out = image.copy()
    cv2.ellipse(out, (x + w // 2 + dx_px, y - 10 + dy_px), (28, 14), 0, 0, 360, (220, 30, 40), -1)
    return out


def test_sticker_presence_finds_the_hat(frame: np.ndarray, face_box: tuple[int, int, int, int]) -> None:
    h = face_box[3]
    assert h == 68  # so that the golden centroid below holds
    for output in (with_hat(frame, face_box), jpeg(with_hat(frame, face_box))):
        result = V.sticker_presence(output, frame, face_box=face_box)
        assert result.passed
        assert result.value > 0.05
        # Golden: the ellipse is symmetric about (face centre x, face top - 10), so its centroid relative to
        # the face centre is dx = 0 (up to w // 2 rounding), dy = -(10 + 34) / 68 = -0.647.
        assert result.detail["centroid_dx"] == pytest.approx(0.0, abs=0.02)
        assert result.detail["centroid_dy"] == pytest.approx(-HAT_ABOVE_FACE_CENTRE_PX / h, abs=0.02)


@pytest.mark.parametrize(
    "case", ["untouched", "jpeg75", "jpeg50", "skin smoothing", "whitening", "sepia filter", "sepia lossy"]
)
def test_sticker_absent_never_scores(
    case: str,
    frame: np.ndarray,
    sepia: np.ndarray,
    face_box: tuple[int, int, int, int],
    soft_skin: np.ndarray,
) -> None:
    # Negative controls: nothing was drawn, whatever else the pipeline did, so the share must stay near 0
    # (template matching can report full confidence for an absent image: Airtest #408).
    outputs = {
        "untouched": (frame, frame),
        "jpeg75": (jpeg(frame), frame),
        "jpeg50": (jpeg(frame, 50), frame),
        "skin smoothing": (blend(frame, cv2.bilateralFilter(frame, 9, 120, 5), soft_skin), frame),
        "whitening": (shift_lab(frame, V.face_skin_mask(frame, face_box), d_l=5.0), frame),
        "sepia filter": (sepia, sepia),
        "sepia lossy": (jpeg(sepia), sepia),
    }
    output, without_effect = outputs[case]
    result = V.sticker_presence(output, without_effect, face_box=face_box)
    assert result.value < 0.005
    assert not result.passed


def test_sticker_away_from_the_face_is_not_counted(
    frame: np.ndarray, face_box: tuple[int, int, int, int]
) -> None:
    elsewhere = frame.copy()
    cv2.ellipse(elsewhere, (60, 500), (28, 14), 0, 0, 360, (220, 30, 40), -1)  # on the colour chart
    assert V.sticker_presence(elsewhere, frame, face_box=face_box).value == 0.0


def test_sticker_jitter_from_measured_positions(
    frame: np.ndarray, face_box: tuple[int, int, int, int]
) -> None:
    offsets_px = [(-3, 0), (3, 0), (0, -3), (0, 3), (0, 0)]
    positions = []
    for dx, dy in offsets_px:
        detail = V.sticker_presence(with_hat(frame, face_box, dx, dy), frame, face_box=face_box).detail
        positions.append((detail["centroid_dx"], detail["centroid_dy"]))
    result = V.sticker_jitter([*positions, None])
    # Golden: population std of the offsets is sqrt(18 / 5) = 1.897 px per axis, i.e. 1.897 / 68 face sizes;
    # jitter = sqrt(2) * 1.897 / 68 = 0.0395.
    assert result.value == pytest.approx(np.sqrt(2 * 18 / 5) / 68, abs=0.005)
    assert result.passed
    assert result.detail["n_missing"] == 1
    steady = V.sticker_jitter([positions[-1]] * 10)
    assert steady.value == pytest.approx(0.0, abs=1e-12)


def test_sticker_jitter_synthetic_and_errors() -> None:
    # Positions on an ellipse with radii 0.06 and 0.08 at evenly spaced angles: std = radius / sqrt(2) per
    # axis, so jitter = sqrt(0.06^2 + 0.08^2) / sqrt(2) = 0.0707 (> 0.05: fails).
    angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    result = V.sticker_jitter([(0.06 * np.cos(t), -0.6 + 0.08 * np.sin(t)) for t in angles])
    assert result.value == pytest.approx(0.1 / np.sqrt(2), abs=1e-9)
    assert not result.passed
    with pytest.raises(
        AnalysisError, match=re.escape("sticker_jitter: need at least 2 frames with a sticker, got 1")
    ):
        V.sticker_jitter([(0.0, 0.0), None])
    with pytest.raises(
        ConfigError, match=re.escape("sticker_jitter: positions[1] must be a finite (dx, dy) pair")
    ):
        V.sticker_jitter([(0.0, 0.0), (float("nan"), 0.0)])


# ------------------------------------------------------------------------------------- results, evidence


def test_check_result_is_frozen_and_summarises(frame: np.ndarray) -> None:
    result = V.uniform_frame(frame)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = 0.0  # type: ignore[misc]
    assert result.summary().startswith("uniform_frame: ")
    assert result.summary().endswith("(pass if >= 4.0 (not uniform)): passed")


def test_evidence_image_layout(
    frame: np.ndarray, sepia: np.ndarray, face_box: tuple[int, int, int, int]
) -> None:
    image = V.evidence_image(frame, cv2.resize(sepia, (180, 320)), boxes=[face_box])
    assert image.dtype == np.uint8
    assert image.shape == (FRAME_H + 16, 3 * FRAME_W + 8, 3)
    np.testing.assert_array_equal(
        image[16 + 300, :FRAME_W], frame[300]
    )  # first panel: the reference, untouched
    always = V.skin_smoothing_ratio(frame, frame, face_box=face_box, evidence="always")
    assert always.evidence is not None
    never = V.skin_smoothing_ratio(frame, frame, face_box=face_box, evidence="never")
    assert never.evidence is None
    with pytest.raises(
        ConfigError, match=re.escape("evidence must be one of never, on_fail, always, got 'sometimes'")
    ):
        V.filter_applied(frame, frame, evidence="sometimes")  # type: ignore[arg-type]
