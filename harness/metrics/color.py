"""Colour science for the visual checks: 8-bit sRGB to CIELAB (D65) and the CIEDE2000 colour difference.

Both are vectorised float32 implementations fast enough for whole 360x640 frames; tests pin them against
scikit-image (``rgb2lab``, ``deltaE_ciede2000``) and the published Sharma, Wu & Dalal (2005) test data.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from harness.errors import AnalysisError

FloatArray = npt.NDArray[np.floating]
UInt8Array = npt.NDArray[np.uint8]

# sRGB (IEC 61966-2-1) linear RGB -> CIE XYZ, D65; the same matrix as skimage.color.colorconv.xyz_from_rgb.
_XYZ_FROM_LINEAR_RGB = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ],
    dtype=np.float64,
)
# D65 white point for the CIE 1931 2-degree observer, as used by skimage.color.rgb2lab's defaults.
_D65_WHITE_XYZ = np.array([0.95047, 1.0, 1.08883], dtype=np.float64)
# Matrix that maps linear RGB straight to XYZ already divided by the white point.
_XYZN_FROM_LINEAR_RGB = (_XYZ_FROM_LINEAR_RGB / _D65_WHITE_XYZ[:, None]).astype(np.float32)


def _srgb_decode_table() -> npt.NDArray[np.float32]:
    """Linear-light value of each 8-bit sRGB code (the IEC 61966-2-1 transfer function)."""
    v = np.arange(256, dtype=np.float64) / 255.0
    linear = np.where(v > 0.04045, ((v + 0.055) / 1.055) ** 2.4, v / 12.92)
    return linear.astype(np.float32)


_SRGB_TO_LINEAR = _srgb_decode_table()
_SRGB_TO_LINEAR_CV = _SRGB_TO_LINEAR.reshape(256, 1)
# (f(X/Xn), f(Y/Yn), f(Z/Zn), 1) -> (L*, a*, b*): the CIE 1976 definitions as one affine matrix.
_LAB_FROM_F = np.array(
    [[0.0, 116.0, 0.0, -16.0], [500.0, -500.0, 0.0, 0.0], [0.0, 200.0, -200.0, 0.0]], np.float32
)
_LAB_EPSILON = (6.0 / 29.0) ** 3  # CIE 1976: below this t, f(t) is the linear segment
_LAB_SLOPE = 1.0 / (3.0 * (6.0 / 29.0) ** 2)
# Python floats (not numpy scalars) so float32 arrays stay float32 under NumPy 2 promotion rules.
_COS30, _SIN30 = math.cos(math.radians(30.0)), math.sin(math.radians(30.0))
_COS6, _SIN6 = math.cos(math.radians(6.0)), math.sin(math.radians(6.0))
_COS63, _SIN63 = math.cos(math.radians(63.0)), math.sin(math.radians(63.0))
_TWO_PI = 2.0 * math.pi
_RAD_30 = math.radians(30.0)
_DEG_PER_RAD = 180.0 / math.pi
_25_POW7 = 25.0**7
_CHUNK_PIXELS = 16384


def check_rgb_uint8(image: np.ndarray, *, name: str) -> UInt8Array:
    """Return ``image`` if it is an HxWx3 uint8 RGB array; raise AnalysisError saying what it is otherwise."""
    if not isinstance(image, np.ndarray):
        raise AnalysisError(f"{name}: expected an HxWx3 uint8 RGB numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise AnalysisError(
            f"{name}: expected an HxWx3 uint8 RGB array, got shape {image.shape} dtype {image.dtype}"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise AnalysisError(f"{name}: image is empty (shape {image.shape})")
    return image


def srgb_to_lab(rgb: np.ndarray) -> npt.NDArray[np.float32]:
    """CIELAB (D65, 2-degree observer) of an 8-bit sRGB array of shape (..., 3); returns float32 (..., 3).

    L* is in 0..100, a* and b* roughly -128..127. Agrees with ``skimage.color.rgb2lab`` to within 1e-3.
    """
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim < 1 or rgb.shape[-1] != 3:
        shape = getattr(rgb, "shape", None)
        dtype = getattr(rgb, "dtype", type(rgb).__name__)
        raise AnalysisError(
            f"srgb_to_lab: expected a uint8 array of shape (..., 3), got shape {shape} {dtype}"
        )
    pixels = rgb.reshape(-1, 3)
    lab = np.empty(pixels.shape, dtype=np.float32)
    for start in range(0, pixels.shape[0], _CHUNK_PIXELS):  # chunked: see delta_e_ciede2000
        chunk = pixels[start : start + _CHUNK_PIXELS]
        lab[start : start + _CHUNK_PIXELS] = _lab_of_pixels(chunk.reshape(1, -1, 3)).reshape(-1, 3)
    return lab.reshape(rgb.shape)


def _lab_of_pixels(pixels: np.ndarray) -> np.ndarray:
    """Lab of a 1xNx3 uint8 image (cv2 wants an image; one long row keeps its per-row overhead low)."""
    linear = cv2.LUT(pixels, _SRGB_TO_LINEAR_CV)
    xyz = cv2.transform(linear, _XYZN_FROM_LINEAR_RGB)  # X/Xn, Y/Yn, Z/Zn
    f = np.cbrt(xyz)
    low = xyz <= _LAB_EPSILON
    if low.any():  # dark colours: the linear segment of f(t)
        f[low] = xyz[low] * _LAB_SLOPE + 4.0 / 29.0
    return np.asarray(cv2.transform(f, _LAB_FROM_F))


def _as_lab(lab: np.ndarray, name: str) -> FloatArray:
    arr = np.asarray(lab)
    if arr.ndim < 1 or arr.shape[-1] != 3 or not np.issubdtype(arr.dtype, np.number):
        raise AnalysisError(
            f"delta_e_ciede2000: {name} must be a numeric array of shape (..., 3), got {arr.shape}"
        )
    return arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float64)


def delta_e_ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> FloatArray:
    """CIEDE2000 colour difference (k_L = k_C = k_H = 1) between two CIELAB arrays of shape (..., 3).

    Follows Sharma, Wu & Dalal, "The CIEDE2000 color-difference formula: implementation notes, supplementary
    test data, and mathematical observations", Color Res. Appl. 30(1), 2005, including their conventions for
    the hue difference and mean hue when one chroma is zero. Computes in float32 when both inputs are float32
    (the frame checks), otherwise in float64.
    """
    arr1, arr2 = _as_lab(lab1, "lab1"), _as_lab(lab2, "lab2")
    dtype = np.result_type(arr1.dtype, arr2.dtype)
    arr1, arr2 = np.broadcast_arrays(arr1, arr2)
    shape = arr1.shape[:-1]
    flat1, flat2 = arr1.reshape(-1, 3), arr2.reshape(-1, 3)
    out = np.empty(flat1.shape[0], dtype=dtype)
    # Chunks of a few 10 kB per temporary: reused from the heap instead of freshly mapped pages, which on a
    # whole frame is ~3x faster than one pass (page faults dominate otherwise).
    for start in range(0, flat1.shape[0], _CHUNK_PIXELS):
        c1 = flat1[start : start + _CHUNK_PIXELS].astype(dtype, copy=False)
        c2 = flat2[start : start + _CHUNK_PIXELS].astype(dtype, copy=False)
        out[start : start + _CHUNK_PIXELS] = _ciede2000(
            c1[:, 0], c1[:, 1], c1[:, 2], c2[:, 0], c2[:, 1], c2[:, 2]
        )
    return out.reshape(shape)


def _ciede2000(
    l1: FloatArray, a1: FloatArray, b1: FloatArray, l2: FloatArray, a2: FloatArray, b2: FloatArray
) -> FloatArray:
    """CIEDE2000 for flat arrays of one float dtype (the body of ``delta_e_ciede2000``)."""
    dtype = l1.dtype
    # Written with plain arithmetic and 0/1 masks instead of np.where / np.hypot: several times faster on
    # whole frames, same values.
    c_mean = (np.sqrt(a1 * a1 + b1 * b1) + np.sqrt(a2 * a2 + b2 * b2)) * 0.5
    c_mean7 = _pow7(c_mean)
    g1 = 1.5 - 0.5 * np.sqrt(c_mean7 / (c_mean7 + _25_POW7))  # 1 + G
    a1p = a1 * g1
    a2p = a2 * g1
    c1p = np.sqrt(a1p * a1p + b1 * b1)
    c2p = np.sqrt(a2p * a2p + b2 * b2)
    h1p = np.arctan2(b1, a1p)  # radians in (-pi, pi]; shifted to [0, 2 pi) below
    h1p += (h1p < 0).astype(dtype) * _TWO_PI
    h2p = np.arctan2(b2, a2p)
    h2p += (h2p < 0).astype(dtype) * _TWO_PI

    c_prod = c1p * c2p
    chroma_nonzero = c_prod != 0
    dhp = h2p - h1p
    dhp -= (dhp > math.pi).astype(dtype) * _TWO_PI
    dhp += (dhp < -math.pi).astype(dtype) * _TWO_PI
    dhp *= chroma_nonzero  # hue difference is 0 when either chroma is 0
    d_h = 2.0 * np.sqrt(c_prod) * np.sin(dhp * 0.5)

    h_sum = h1p + h2p
    # Mean hue: h_sum / 2, moved by pi when the hues lie more than pi apart; the plain sum when a chroma is 0.
    far = (np.abs(h1p - h2p) > math.pi).astype(dtype)
    h_mean = h_sum * 0.5 + far * (math.pi - (h_sum >= _TWO_PI).astype(dtype) * _TWO_PI)
    h_mean += (~chroma_nonzero).astype(dtype) * (h_sum - h_mean)

    # T = 1 - 0.17 cos(h - 30) + 0.24 cos(2h) + 0.32 cos(3h + 6) - 0.20 cos(4h - 63), expanded with
    # multiple-angle identities so only one sin/cos pair is evaluated per pixel.
    cs, sn = np.cos(h_mean), np.sin(h_mean)
    cos2, sin2 = 2.0 * cs * cs - 1.0, 2.0 * sn * cs
    cos3, sin3 = cs * (4.0 * cs * cs - 3.0), sn * (3.0 - 4.0 * sn * sn)
    cos4, sin4 = 2.0 * cos2 * cos2 - 1.0, 2.0 * sin2 * cos2
    t = (
        1.0
        - 0.17 * (cs * _COS30 + sn * _SIN30)
        + 0.24 * cos2
        + 0.32 * (cos3 * _COS6 - sin3 * _SIN6)
        - 0.20 * (cos4 * _COS63 + sin4 * _SIN63)
    )
    h_deg = h_mean * _DEG_PER_RAD
    d_theta = _RAD_30 * np.exp(-(((h_deg - 275.0) * 0.04) ** 2))  # 30 deg * exp(-((h - 275) / 25)^2)
    cp_mean = (c1p + c2p) * 0.5
    cp_mean7 = _pow7(cp_mean)
    r_c = 2.0 * np.sqrt(cp_mean7 / (cp_mean7 + _25_POW7))
    l_mean = (l1 + l2) * 0.5 - 50.0
    l50 = l_mean * l_mean
    s_l = 1.0 + 0.015 * l50 / np.sqrt(20.0 + l50)
    s_c = 1.0 + 0.045 * cp_mean
    s_h = 1.0 + 0.015 * cp_mean * t
    r_t = -np.sin(2.0 * d_theta) * r_c

    tl = (l2 - l1) / s_l
    tc = (c2p - c1p) / s_c
    th = d_h / s_h
    de2 = tl * tl + tc * tc + th * th + r_t * tc * th
    return np.sqrt(np.maximum(de2, 0.0)).astype(dtype, copy=False)


def _pow7(x: FloatArray) -> FloatArray:
    x2 = x * x
    return x2 * x2 * x2 * x


def luma_bt601(rgb: np.ndarray) -> npt.NDArray[np.float32]:
    """Luma Y' = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601 weights) of an 8-bit RGB array, float32 0..255."""
    arr = np.asarray(rgb)
    if arr.ndim < 1 or arr.shape[-1] != 3:
        raise AnalysisError(f"luma_bt601: expected an array of shape (..., 3), got {arr.shape}")
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return (arr.astype(np.float32) @ weights).astype(np.float32, copy=False)
