"""Tests for harness.metrics.lut (.cube parsing, trilinear LUT application) and harness.metrics.color."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from scipy.interpolate import RegularGridInterpolator
from skimage import color as skcolor
from skimage import data

from harness.errors import AnalysisError, ConfigError
from harness.metrics.color import delta_e_ciede2000, srgb_to_lab
from harness.metrics.lut import (
    Lut3D,
    apply_lut,
    identity_lut,
    load_cube,
    lut_from_function,
    parse_cube,
    to_cube_text,
)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """skimage's astronaut photograph (512x512 RGB) plus a ramp row holding every 8-bit code per channel."""
    image = data.astronaut()
    ramp = np.zeros((3, 512, 3), dtype=np.uint8)
    codes = np.arange(512) % 256
    ramp[0, :, 0] = codes
    ramp[1, :, 1] = codes
    ramp[2, :, 2] = codes
    return np.vstack([image, ramp])


def _max_abs_diff(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())


# ---------------------------------------------------------------------------------------------- apply_lut


@pytest.mark.parametrize("size", [2, 17, 33])
def test_identity_lut_is_exact(photo: np.ndarray, size: int) -> None:
    # An identity LUT maps every code to itself; trilinear interpolation of a linear map is exact.
    assert _max_abs_diff(apply_lut(photo, identity_lut(size)), photo) <= 1


def test_channel_swap_lut_matches_analytic_everywhere(photo: np.ndarray) -> None:
    # (r, g, b) -> (b, r, g) is linear, so trilinear interpolation reproduces it exactly between grid points.
    lut = lut_from_function(17, lambda rgb: rgb[..., [2, 0, 1]])
    assert _max_abs_diff(apply_lut(photo, lut), photo[..., [2, 0, 1]]) <= 1


def _gamma(codes: np.ndarray) -> np.ndarray:
    return np.rint(255.0 * (codes / 255.0) ** 2.2).astype(np.uint8)


def test_gamma_lut_exact_at_grid_points() -> None:
    # With 18 grid points, the grid sits on codes 0, 15, 30, ..., 255 (255 / 17 = 15), where the LUT holds
    # the analytic value; every combination of grid codes must come out as round(255 (v / 255) ^ 2.2).
    lut = lut_from_function(18, lambda rgb: rgb**2.2)
    grid = np.arange(0, 256, 15)
    r, g, b = np.meshgrid(grid, grid, grid, indexing="ij")
    image = np.stack([r, g, b], axis=-1).reshape(1, -1, 3).astype(np.uint8)
    assert _max_abs_diff(apply_lut(image, lut), _gamma(image)) <= 1


def test_gamma_lut_between_grid_points_within_interpolation_error(photo: np.ndarray) -> None:
    # Linear interpolation error of f(x) = x^2.2 on a grid of spacing h is at most max|f''| h^2 / 8
    # = 2.64 / (8 * 16^2) = 0.0013 of full scale = 0.33 LSB for 17 points; plus 0.5 LSB of rounding: <= 1 LSB.
    lut = lut_from_function(17, lambda rgb: rgb**2.2)
    assert _max_abs_diff(apply_lut(photo, lut), _gamma(photo)) <= 1


def test_apply_lut_matches_scipy_trilinear_interpolation(photo: np.ndarray) -> None:
    # Independent implementation: scipy's RegularGridInterpolator (method "linear" = trilinear on a 3D grid).
    rng = np.random.default_rng(7)
    table = rng.random((9, 9, 9, 3)).astype(np.float32)  # [b][g][r] -> RGB, deliberately non-smooth
    lut = Lut3D(size=9, table=table)
    axis = np.linspace(0.0, 1.0, 9)
    pixels = photo.reshape(-1, 3)[::7]
    points = pixels[:, ::-1].astype(np.float64) / 255.0  # (b, g, r) to match the table's axis order
    expected = np.empty(pixels.shape, dtype=np.float64)
    for c in range(3):
        expected[:, c] = RegularGridInterpolator((axis, axis, axis), table[..., c].astype(np.float64))(points)
    expected_u8 = np.rint(np.clip(expected * 255.0, 0, 255)).astype(np.uint8)
    assert _max_abs_diff(apply_lut(pixels, lut), expected_u8) <= 1


def test_apply_lut_keeps_shape_and_clips() -> None:
    lut = lut_from_function(5, lambda rgb: rgb * 1.5 - 0.25)  # leaves 0..1 on both ends
    image = np.array([[[0, 100, 255]]], dtype=np.uint8)
    out = apply_lut(image, lut)
    assert out.shape == image.shape
    assert out.dtype == np.uint8
    # By hand (the map is linear, so interpolation is exact): 0 -> -0.25, clipped to 0;
    # 100 -> 255 * (1.5 * 100 / 255 - 0.25) = 86.25 -> 86; 255 -> 1.25 * 255, clipped to 255.
    assert out.tolist() == [[[0, 86, 255]]]


def test_apply_lut_domain_scales_input() -> None:
    # A LUT over DOMAIN 0..2 whose entries are the grid coordinates: input v / 255 in [0, 1] is looked up in
    # the lower half of the grid and must come out unchanged (exact, as the map is linear).
    axis = np.linspace(0.0, 2.0, 5, dtype=np.float32)
    b, g, r = np.meshgrid(axis, axis, axis, indexing="ij")
    lut = Lut3D(size=5, table=np.stack([r, g, b], axis=-1), domain_min=(0, 0, 0), domain_max=(2, 2, 2))
    image = np.arange(256, dtype=np.uint8).repeat(3).reshape(1, 256, 3)
    assert _max_abs_diff(apply_lut(image, lut), image) == 0


def test_apply_lut_rejects_float_input() -> None:
    with pytest.raises(
        AnalysisError, match=re.escape("apply_lut: expected a uint8 RGB array of shape (..., 3)")
    ):
        apply_lut(np.zeros((2, 2, 3), dtype=np.float32), identity_lut(2))


# --------------------------------------------------------------------------------------------- .cube files

HAND_WRITTEN_CUBE = """# written by hand for this test
TITLE "order test"

LUT_3D_SIZE 2
DOMAIN_MIN 0.0 0.0 0.0
DOMAIN_MAX 1.0 1.0 1.0
0.0 0.0 0.0
1.0 0.1 0.0
0.0 1.0 0.2
1.0 1.0 0.3
# comments may sit between data lines
0.0 0.0 1.0
1.0 0.0 1.0
0.0 1.0 1.0
1.0 1.0 1.0
"""


def test_parse_cube_reads_red_fastest_into_bgr_order() -> None:
    lut = parse_cube(HAND_WRITTEN_CUBE, file="order.cube")
    assert lut.title == "order test"
    assert lut.size == 2
    assert lut.source == "order.cube"
    # Data line k holds grid point r = k % 2, g = (k // 2) % 2, b = k // 4 (Adobe Cube LUT spec 1.0).
    assert lut.table[0, 0, 1].tolist() == pytest.approx([1.0, 0.1, 0.0])  # line 2: r=1, g=0, b=0
    assert lut.table[0, 1, 0].tolist() == pytest.approx([0.0, 1.0, 0.2])  # line 3: r=0, g=1, b=0
    assert lut.table[0, 1, 1].tolist() == pytest.approx([1.0, 1.0, 0.3])  # line 4: r=1, g=1, b=0
    assert lut.table[1, 0, 0].tolist() == pytest.approx([0.0, 0.0, 1.0])  # line 5: r=0, g=0, b=1


def test_parse_cube_resolve_input_range() -> None:
    text = "LUT_3D_INPUT_RANGE 0.0 2.0\nLUT_3D_SIZE 2\n" + "0 0 0\n" * 8
    lut = parse_cube(text, file="resolve.cube")
    assert lut.domain_min == (0.0, 0.0, 0.0)
    assert lut.domain_max == (2.0, 2.0, 2.0)


def test_cube_round_trip_through_a_file(tmp_path: Path) -> None:
    lut = lut_from_function(17, lambda rgb: rgb**0.8, title="gamma 0.8")
    path = tmp_path / "gamma.cube"
    path.write_text(to_cube_text(lut), encoding="utf-8")
    loaded = load_cube(path)
    assert loaded.title == "gamma 0.8"
    assert loaded.size == 17
    assert np.abs(loaded.table - lut.table).max() < 1e-6  # 6 decimals written


def _cube(*lines: str) -> str:
    return "\n".join(lines) + "\n"


EIGHT_ROWS = ["0 0 0"] * 8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _cube("LUT_3D_SIZE 2", "0 0", *EIGHT_ROWS[1:]),
            "bad.cube: line 2: expected an R G B data line (3 numbers), got 2: '0 0'",
        ),
        (
            _cube("LUT_3D_SIZE 2", "0 abc 0", *EIGHT_ROWS[1:]),
            "bad.cube: line 2: expected an R G B data line (3 numbers), got '0 abc 0'",
        ),
        (
            _cube("LUT_3D_SIZE 2", *EIGHT_ROWS[:7], "0 nan 0"),
            "bad.cube: line 9: an R G B data line must be finite numbers, got '0 nan 0'",
        ),
        (_cube("LUT_3D_SIZE 2", *EIGHT_ROWS[:7]), "bad.cube: LUT_3D_SIZE 2 needs 8 data lines, found 7"),
        (
            _cube('TITLE "x"', *EIGHT_ROWS),
            "bad.cube: line 2: data line before LUT_3D_SIZE; the size keyword must come first",
        ),
        (_cube('TITLE "x"'), "bad.cube: no LUT_3D_SIZE line; this reader accepts 3D LUTs only"),
        (_cube("LUT_3D_SIZE 1", "0 0 0"), "bad.cube: line 1: LUT_3D_SIZE 1 is out of range; allowed 2..256"),
        (_cube("LUT_3D_SIZE two"), "bad.cube: line 1: LUT_3D_SIZE must be one integer, got 'two'"),
        (_cube("LUT_3D_SIZE 2", "LUT_3D_SIZE 2"), "bad.cube: line 2: LUT_3D_SIZE given twice"),
        (
            _cube("LUT_3D_SIZE 2", *EIGHT_ROWS, 'TITLE "late"'),
            "bad.cube: line 10: keyword TITLE after the data lines; keywords must precede the data",
        ),
        (
            _cube("LUT_1D_SIZE 4"),
            "bad.cube: line 1: LUT_1D_SIZE: 1D LUTs are not supported; only 3D LUTs (LUT_3D_SIZE) are",
        ),
        (_cube("TITLE no quotes"), "bad.cube: line 1: TITLE must be a quoted string, got 'no quotes'"),
        (
            _cube("DOMAIN_MIN 0 0", "LUT_3D_SIZE 2"),
            "bad.cube: line 1: expected DOMAIN_MIN (3 numbers), got 2: 'DOMAIN_MIN 0 0'",
        ),
        (
            _cube("LUT_3D_SIZE 2", "DOMAIN_MIN 0 0 0", "DOMAIN_MAX 1 0 1", *EIGHT_ROWS),
            "bad.cube: DOMAIN_MAX (1.0, 0.0, 1.0) must exceed DOMAIN_MIN (0.0, 0.0, 0.0) in every channel",
        ),
    ],
)
def test_malformed_cube_gives_exact_message(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_cube(text, file="bad.cube")
    assert str(caught.value) == message
    assert caught.value.file == "bad.cube"


def test_load_cube_missing_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.cube"
    with pytest.raises(ConfigError, match=re.escape(f"{missing}: cannot read LUT file: ")):
        load_cube(missing)


def test_lut3d_checks_its_table_shape() -> None:
    with pytest.raises(ConfigError, match=re.escape("LUT table has shape (2, 2, 2), expected (2, 2, 2, 3)")):
        Lut3D(size=2, table=np.zeros((2, 2, 2), dtype=np.float32))


# ------------------------------------------------------------------------------------- colour conversions

# Sharma, Wu & Dalal, "The CIEDE2000 color-difference formula: implementation notes, supplementary test
# data, and mathematical observations", Color Research & Application 30(1):21-30, 2005, Table 1: all 34
# pairs as (L1, a1, b1, L2, a2, b2, ΔE00), published to 4 decimals.
SHARMA_2005_TABLE_1 = [
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615),
    (50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412),
    (50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461),
    (50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977),
    (50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030),
    (50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
    (63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630),
    (61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731),
    (35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645),
    (22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373),
    (36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146),
    (90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441),
    (90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381),
    (6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377),
    (2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082),
]


def _sharma_arrays(dtype: type[np.floating]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    table = np.array(SHARMA_2005_TABLE_1, dtype=np.float64)
    return table[:, 0:3].astype(dtype), table[:, 3:6].astype(dtype), table[:, 6]


def test_ciede2000_matches_sharma_2005_table_1() -> None:
    lab1, lab2, expected = _sharma_arrays(np.float64)
    got = delta_e_ciede2000(lab1, lab2)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, atol=5e-5 + 1e-12)  # published values are rounded to 1e-4


def test_ciede2000_float32_path_close_to_table() -> None:
    lab1, lab2, expected = _sharma_arrays(np.float32)
    got = delta_e_ciede2000(lab1, lab2)
    assert got.dtype == np.float32
    # Pair 14 has hues exactly 180 degrees apart, where the formula itself is discontinuous (Sharma et al.,
    # section "Mathematical observations"); float32 rounding may land on either side, i.e. on the value of
    # pair 13/14 (4.8045) or of pair 15 (4.7461). Every other pair must match closely.
    others = np.arange(34) != 13
    np.testing.assert_allclose(got[others], expected[others], atol=2e-3)
    assert min(abs(float(got[13]) - 4.8045), abs(float(got[13]) - 4.7461)) < 2e-3


def test_ciede2000_is_symmetric_for_the_table() -> None:
    lab1, lab2, _ = _sharma_arrays(np.float64)
    np.testing.assert_allclose(delta_e_ciede2000(lab1, lab2), delta_e_ciede2000(lab2, lab1), atol=1e-9)


def test_ciede2000_agrees_with_skimage_on_random_colours() -> None:
    rng = np.random.default_rng(3)
    rgb1 = rng.integers(0, 256, (4000, 3), dtype=np.uint8)
    rgb2 = rng.integers(0, 256, (4000, 3), dtype=np.uint8)
    lab1, lab2 = skcolor.rgb2lab(rgb1), skcolor.rgb2lab(rgb2)
    reference = skcolor.deltaE_ciede2000(lab1, lab2, kL=1, kC=1, kH=1)
    np.testing.assert_allclose(delta_e_ciede2000(lab1, lab2), reference, atol=1e-9)


def test_srgb_to_lab_agrees_with_skimage() -> None:
    rng = np.random.default_rng(5)
    rgb = np.vstack(
        [
            rng.integers(0, 256, (20000, 3), dtype=np.uint8),
            np.array([[0, 0, 0], [255, 255, 255], [1, 2, 3]], np.uint8),
        ]
    )
    lab = srgb_to_lab(rgb)
    assert lab.dtype == np.float32
    np.testing.assert_allclose(lab, skcolor.rgb2lab(rgb), atol=1e-3)


def test_srgb_to_lab_white_and_black() -> None:
    # By definition of CIELAB with the D65 white point: white is L* = 100, a* = b* = 0; black is 0, 0, 0.
    lab = srgb_to_lab(np.array([[255, 255, 255], [0, 0, 0]], dtype=np.uint8))
    np.testing.assert_allclose(lab, [[100.0, 0.0, 0.0], [0.0, 0.0, 0.0]], atol=1e-2)


def test_srgb_to_lab_rejects_float_input() -> None:
    with pytest.raises(
        AnalysisError, match=re.escape("srgb_to_lab: expected a uint8 array of shape (..., 3)")
    ):
        srgb_to_lab(np.zeros((2, 3), dtype=np.float64))
