"""Colour response on exact source frames: per bin of source colours, the mean CIELAB colour the app showed.

Devices that showed different source frames cannot be compared pixel to pixel, but their responses can: one
source colour should come out the same on every device running the same candidate (docs/metrics.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final, TypeGuard

import cv2
import numpy as np
import numpy.typing as npt

from harness.errors import AnalysisError, ConfigError
from harness.metrics.codebox import VERSION as CODE_VERSION
from harness.metrics.color import check_rgb_uint8, delta_e_ciede2000, srgb_to_lab
from harness.metrics.indexcode import band_top
from harness.metrics.sticker import default_search_region
from harness.metrics.visual_common import Box, Region, align_to, clip_box, resolve_region

RESPONSE_BINS: Final = 8
"""Bins per sRGB channel the runner uses: 8^3 = 512 cells, each 32 code values wide."""
MIN_BINS: Final = 2
MAX_BINS: Final = 32
FLAT_WINDOW_PX: Final = 5
FLAT_TOLERANCE: Final = 8
"""A source pixel counts only where its colour lies within FLAT_TOLERANCE codes (every channel) of the mean of
its FLAT_WINDOW_PX square. At edges, rescaling and 4:2:0 chroma mix neighbouring colours into the output:
JPEG 88 after a 0.6x rescale scored 0.66 ΔE00 with edges and 0.23 without (tests/test_response.py)."""
DEFAULT_MIN_BIN_PIXELS: Final = 50
"""A bin is compared only when both sides have at least this many pixels in it (docs/metrics.md)."""
MIN_COMMON_BINS: Final = 20
"""Fewer common bins than this give no verdict: the outputs share too few colours to speak for the picture."""
LAB_DECIMALS: Final = 2  # stored means: 0.01 in L*, a*, b* is far below any ΔE00 that matters

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class ColourResponse:
    """Per source-colour bin: how many pixels fell in it and the sum of their output CIELAB values.

    Bin k covers source colours (r, g, b) with ``(r * bins // 256) * bins**2 + (g * bins // 256) * bins +
    b * bins // 256 == k``. Sums (not means) make merging frames exact.
    """

    bins: int
    counts: IntArray  # (bins**3,)
    lab_sums: FloatArray  # (bins**3, 3)
    frames: int

    @property
    def n_pixels(self) -> int:
        return int(self.counts.sum())

    @property
    def n_bins(self) -> int:
        """Bins holding at least one pixel."""
        return int(np.count_nonzero(self.counts))

    def mean_lab(self) -> FloatArray:
        """(bins**3, 3) mean output Lab per bin; NaN where a bin is empty."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.lab_sums / self.counts[:, None]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ColourResponse):
            return NotImplemented
        return (self.bins == other.bins and self.frames == other.frames
                and np.array_equal(self.counts, other.counts) and np.allclose(self.lab_sums, other.lab_sums))

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``{"bins", "frames", "pixels", "cells": ["bin count L a b", ...]}``, one string per
        non-empty bin with its mean output Lab to LAB_DECIMALS (one line per bin in details.json)."""
        means = self.mean_lab()
        cells = [f"{k} {self.counts[k]} " + " ".join(f"{v:.{LAB_DECIMALS}f}" for v in means[k])
                 for k in np.flatnonzero(self.counts)]
        return {"bins": self.bins, "frames": self.frames, "pixels": self.n_pixels, "cells": cells}

    @classmethod
    def from_dict(cls, data: Any, *, source: str, key: str = "colour_response") -> ColourResponse:
        """The inverse of to_dict; ConfigError naming `source` and the key path of the first bad value."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"expected a mapping with keys bins, frames, cells, got {type(data).__name__}; "
                              "allowed: the mapping ColourResponse.to_dict writes", file=source, key_path=key)
        bins, frames, cells = data.get("bins"), data.get("frames"), data.get("cells")
        if not _is_int(bins) or not MIN_BINS <= bins <= MAX_BINS:
            raise ConfigError(f"{bins!r} is not allowed; allowed: an integer {MIN_BINS}..{MAX_BINS}",
                              file=source, key_path=f"{key}.bins")
        if not _is_int(frames) or frames < 0:
            raise ConfigError(f"{frames!r} is not allowed; allowed: an integer >= 0", file=source,
                              key_path=f"{key}.frames")
        if not isinstance(cells, list):
            raise ConfigError(f"expected a list, got {type(cells).__name__}; allowed: a list of "
                              "'bin count L a b' strings", file=source, key_path=f"{key}.cells")
        size = bins**3
        counts = np.zeros(size, dtype=np.int64)
        sums = np.zeros((size, 3), dtype=np.float64)
        for i, cell in enumerate(cells):
            parsed = _parse_cell(cell, size=size)
            if parsed is None or counts[parsed[0]]:
                raise ConfigError(f"{cell!r} is not allowed; allowed: 'bin count L a b' with a bin "
                                  f"0..{size - 1} named once, a count >= 1 and finite L, a, b", file=source,
                                  key_path=f"{key}.cells[{i}]")
            k, n, lab = parsed
            counts[k] = n
            sums[k] = np.asarray(lab, dtype=np.float64) * n
        return cls(bins=bins, counts=counts, lab_sums=sums, frames=frames)


def _parse_cell(cell: Any, *, size: int) -> tuple[int, int, tuple[float, float, float]] | None:
    """(bin, count, (L, a, b)) from one 'bin count L a b' string, or None when it is not one."""
    parts = cell.split() if isinstance(cell, str) else []
    if len(parts) != 5:
        return None
    try:
        k, n = int(parts[0]), int(parts[1])
        lab = (float(parts[2]), float(parts[3]), float(parts[4]))
    except ValueError:
        return None
    if not 0 <= k < size or n < 1 or not all(math.isfinite(v) for v in lab):
        return None
    return k, n, lab


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_bins(bins: int) -> None:
    if not _is_int(bins) or not MIN_BINS <= bins <= MAX_BINS:
        raise ConfigError(f"bins {bins!r} is not allowed; allowed: an integer {MIN_BINS}..{MAX_BINS} "
                          "per channel")


def flat_mask(source_rgb: np.ndarray) -> npt.NDArray[np.bool_]:
    """HxW: source pixels within FLAT_TOLERANCE codes (every channel) of their FLAT_WINDOW_PX box mean."""
    src = check_rgb_uint8(source_rgb, name="source_rgb")
    box = cv2.blur(src, (FLAT_WINDOW_PX, FLAT_WINDOW_PX), borderType=cv2.BORDER_REFLECT_101)
    spread = cv2.absdiff(box, src).max(axis=2)
    return np.asarray(spread <= FLAT_TOLERANCE)


def response_region(width: int, height: int, *, exclude: Box | None, version: int = CODE_VERSION
                    ) -> npt.NDArray[np.bool_]:
    """HxW mask of a clip frame's picture: every row above the index-code band (band_top), minus `exclude`
    (e.g. the face box, where beauty or an effect works spatially), or None to keep it."""
    mask = np.zeros((height, width), dtype=bool)
    mask[: band_top(height, width, version=version)] = True
    if exclude is not None:
        x, y, w, h = clip_box(exclude, (height, width), name="exclude")
        mask[y : y + h, x : x + w] = False
    return mask


def spatial_exclusion(face_box: Box, *, beauty_on: bool, effect_on: bool) -> Box | None:
    """What a response leaves out where beauty or an effect works spatially (a pixel's output depends on its
    neighbours, or is replaced): with an effect the sticker's search region around the face
    (sticker.default_search_region), with beauty the face box; None for a plain filter."""
    if effect_on:
        return default_search_region(face_box)
    return face_box if beauty_on else None


def colour_response(source_rgb: np.ndarray, output_rgb: np.ndarray, *, region: Region,
                    bins: int) -> ColourResponse:
    """The response of one output frame to its exact source frame over `region` (None, a box or a bool mask),
    flat source pixels only (flat_mask). The output is resized to the source first if their sizes differ."""
    _check_bins(bins)
    source = check_rgb_uint8(source_rgb, name="source_rgb")
    output = align_to(output_rgb, source, names=("output_rgb", "source_rgb"))
    selection = resolve_region(region, source.shape)
    keep = selection.crop(flat_mask(source))
    if selection.mask is not None:
        keep = keep & selection.mask
    src = selection.crop(source)[keep].astype(np.int32)
    lab = srgb_to_lab(np.ascontiguousarray(selection.crop(output)[keep])).astype(np.float64)
    q = src * bins // 256
    index = (q[:, 0] * bins + q[:, 1]) * bins + q[:, 2]
    size = bins**3
    counts = np.bincount(index, minlength=size).astype(np.int64)
    sums = np.stack([np.bincount(index, weights=lab[:, c], minlength=size) for c in range(3)],
                    axis=1).astype(np.float64)
    return ColourResponse(bins=bins, counts=counts, lab_sums=sums, frames=1)


def merge_responses(responses: Iterable[ColourResponse]) -> ColourResponse:
    """The response of several frames (or runs) together: counts and Lab sums added bin by bin."""
    items = list(responses)
    if not items:
        raise AnalysisError("merge_responses: no responses given; allowed: one or more ColourResponse")
    bins = items[0].bins
    if any(r.bins != bins for r in items):
        raise AnalysisError(f"merge_responses: bins differ ({sorted({r.bins for r in items})}); "
                            "allowed: responses with the same bins")
    counts = np.asarray(np.sum([r.counts for r in items], axis=0), dtype=np.int64)
    sums = np.asarray(np.sum([r.lab_sums for r in items], axis=0), dtype=np.float64)
    return ColourResponse(bins=bins, counts=counts, lab_sums=sums, frames=sum(r.frames for r in items))


@dataclass(frozen=True, kw_only=True)
class ResponseDistance:
    """How far a device's colour response lies from the reference response, over the bins both have.

    ``delta_e`` is the mean CIEDE2000 between the two mean output colours of each common bin, weighted by the
    device's pixel count in the bin; None without a common bin. ``coverage`` is the share of the device's
    pixels that lie in common bins.
    """

    delta_e: float | None
    median_delta_e: float | None
    max_delta_e: float | None
    common_bins: int
    compared_pixels: int
    coverage: float
    min_count: int

    @property
    def enough(self) -> bool:
        """Whether there are at least MIN_COMMON_BINS common bins, enough for a verdict."""
        return self.common_bins >= MIN_COMMON_BINS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _weighted_median(values: FloatArray, weights: FloatArray) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def response_delta_e(device: ColourResponse, reference: ColourResponse, *,
                     min_count: int) -> ResponseDistance:
    """`device` against `reference` over the bins where both hold at least `min_count` pixels."""
    if device.bins != reference.bins:
        raise AnalysisError(f"response_delta_e: the device response has {device.bins} bins per channel, the "
                            f"reference {reference.bins}; allowed: responses with the same bins")
    if not _is_int(min_count) or min_count < 1:
        raise ConfigError(f"min_count {min_count!r} is not allowed; allowed: an integer >= 1")
    common = (device.counts >= min_count) & (reference.counts >= min_count)
    n_common = int(common.sum())
    compared = int(device.counts[common].sum())
    coverage = compared / device.n_pixels if device.n_pixels else 0.0
    if n_common == 0:
        return ResponseDistance(delta_e=None, median_delta_e=None, max_delta_e=None, common_bins=0,
                                compared_pixels=0, coverage=coverage, min_count=min_count)
    de = delta_e_ciede2000(device.mean_lab()[common], reference.mean_lab()[common]).astype(np.float64)
    weights = device.counts[common].astype(np.float64)
    return ResponseDistance(delta_e=float(np.average(de, weights=weights)),
                            median_delta_e=_weighted_median(de, weights), max_delta_e=float(de.max()),
                            common_bins=n_common, compared_pixels=compared, coverage=coverage,
                            min_count=min_count)


def bin_of(rgb: Sequence[int], *, bins: int) -> int:
    """The bin index of one source colour (r, g, b) in 0..255."""
    _check_bins(bins)
    r, g, b = (int(v) * bins // 256 for v in rgb)
    return (r * bins + g) * bins + b


__all__ = [
    "DEFAULT_MIN_BIN_PIXELS",
    "FLAT_TOLERANCE",
    "FLAT_WINDOW_PX",
    "MIN_COMMON_BINS",
    "RESPONSE_BINS",
    "ColourResponse",
    "ResponseDistance",
    "bin_of",
    "colour_response",
    "flat_mask",
    "merge_responses",
    "response_delta_e",
    "response_region",
    "spatial_exclusion",
]
