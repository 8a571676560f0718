"""What every visual check shares: the CheckResult it returns, input alignment and regions, evidence images.

Checks compare a captured output frame with a frame computed from the reference clip; the output may have a
different size (it is resized to the reference's size with cv2.INTER_AREA) and callers pass regions to
exclude parts such as the clip's index-code band.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from harness.errors import ConfigError
from harness.metrics.color import check_rgb_uint8

Box = tuple[int, int, int, int]
"""(x, y, w, h) in pixels of the reference (source) frame."""
Region = Box | npt.NDArray[np.bool_] | None
"""A part of the frame: an (x, y, w, h) box, a boolean HxW mask, or None for the whole frame."""
EvidenceMode = Literal["never", "on_fail", "always"]
_EVIDENCE_MODES = ("never", "on_fail", "always")


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one visual check.

    ``value`` in ``unit`` is the check's headline number; ``threshold`` states the pass condition on it in
    words (e.g. ``'<= 3.0'``); ``detail`` holds the secondary numbers; ``evidence`` (optional) is an RGB
    image (reference | output | difference heatmap) for a report.
    """

    name: str
    value: float
    unit: str
    threshold: str
    passed: bool
    detail: Mapping[str, Any] = field(default_factory=dict)
    evidence: npt.NDArray[np.uint8] | None = field(default=None, compare=False, repr=False)

    def summary(self) -> str:
        """One line for logs and failures, e.g. ``filter_fidelity: 1.23 ΔE00 (pass if <= 3.0): passed``."""
        verdict = "passed" if self.passed else "FAILED"
        return f"{self.name}: {self.value:.4g} {self.unit} (pass if {self.threshold}): {verdict}"


def align_to(output: np.ndarray, reference: np.ndarray, *, names: tuple[str, str]) -> np.ndarray:
    """Check both are HxWx3 uint8 RGB and return ``output`` resized (INTER_AREA) to ``reference``'s size."""
    out: np.ndarray = check_rgb_uint8(output, name=names[0])
    ref = check_rgb_uint8(reference, name=names[1])
    if out.shape != ref.shape:
        out = cv2.resize(out, (ref.shape[1], ref.shape[0]), interpolation=cv2.INTER_AREA)
    return out


def clip_box(box: Box, shape: tuple[int, ...], *, name: str) -> Box:
    """``box`` intersected with the frame; ConfigError if it is malformed or lies outside the frame."""
    if len(box) != 4:
        raise ConfigError(f"{name}: expected an (x, y, w, h) box, got {box!r}")
    x, y, w, h = (round(float(v)) for v in box)
    if w <= 0 or h <= 0:
        raise ConfigError(f"{name}: box {box!r} must have positive width and height")
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, shape[1]), min(y + h, shape[0])
    if x1 <= x0 or y1 <= y0:
        raise ConfigError(f"{name}: box {box!r} lies outside the {shape[1]}x{shape[0]} frame")
    return (x0, y0, x1 - x0, y1 - y0)


@dataclass(frozen=True, eq=False)
class Selection:
    """A resolved region: its bounding ``box`` (x, y, w, h) and, for masks, the mask cropped to that box.

    Box regions are read as slices (views, no copy), which keeps whole-frame checks fast.
    """

    box: Box
    frame_shape: tuple[int, int]
    mask: npt.NDArray[np.bool_] | None = None

    @property
    def n_pixels(self) -> int:
        return int(self.mask.sum()) if self.mask is not None else self.box[2] * self.box[3]

    def crop(self, image: np.ndarray) -> np.ndarray:
        """The bounding box of ``image`` (a view)."""
        x, y, w, h = self.box
        return image[y : y + h, x : x + w]

    def pixels(self, image: np.ndarray) -> np.ndarray:
        """The selected pixels as (N, C) (or (N,) for a single-channel image)."""
        crop = self.crop(image)
        if self.mask is not None:
            return crop[self.mask]
        return crop.reshape(-1, crop.shape[2]) if crop.ndim == 3 else crop.reshape(-1)

    def mask_u8(self) -> np.ndarray | None:
        """The cropped mask as uint8 (for OpenCV's ``mask=`` arguments), None for a plain box."""
        return None if self.mask is None else self.mask.astype(np.uint8)

    def scatter(self, values: np.ndarray) -> np.ndarray:
        """Per-pixel scalars from ``pixels`` back into a full-frame HxW map, 0 outside the selection."""
        out = np.zeros(self.frame_shape, dtype=values.dtype)
        x, y, w, h = self.box
        if self.mask is None:
            out[y : y + h, x : x + w] = values.reshape(h, w)
        else:
            out[y : y + h, x : x + w][self.mask] = values
        return out


def resolve_region(region: Region, shape: tuple[int, ...], *, name: str = "region") -> Selection:
    """Resolve ``region`` (None = whole frame, a box, or a boolean mask) for a frame of ``shape``.

    ConfigError if the box is malformed or outside the frame, or the mask has the wrong shape or is empty.
    """
    frame_shape = (int(shape[0]), int(shape[1]))
    if region is None:
        return Selection(box=(0, 0, frame_shape[1], frame_shape[0]), frame_shape=frame_shape)
    if isinstance(region, np.ndarray):
        if region.dtype != np.bool_ or region.shape != frame_shape:
            raise ConfigError(
                f"{name}: a mask must be a boolean array of shape {frame_shape}, "
                f"got {region.dtype} {region.shape}"
            )
        rows = np.flatnonzero(region.any(axis=1))
        cols = np.flatnonzero(region.any(axis=0))
        if rows.size == 0:
            raise ConfigError(f"{name}: the mask selects no pixels")
        box = (int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))
        x, y, w, h = box
        cropped = region[y : y + h, x : x + w]
        return Selection(box=box, frame_shape=frame_shape, mask=None if cropped.all() else cropped)
    return Selection(box=clip_box(region, shape, name=name), frame_shape=frame_shape)


def check_evidence_mode(evidence: str) -> EvidenceMode:
    if evidence not in _EVIDENCE_MODES:
        raise ConfigError(f"evidence must be one of {', '.join(_EVIDENCE_MODES)}, got {evidence!r}")
    return evidence  # type: ignore[return-value]


def wants_evidence(evidence: EvidenceMode, passed: bool) -> bool:
    """Whether a check should build its evidence image, given the mode and its verdict."""
    mode = check_evidence_mode(evidence)
    return mode == "always" or (mode == "on_fail" and not passed)


LABEL_BAR_PX = 16
PANEL_GAP_PX = 4


def _inferno_lut() -> np.ndarray:
    """OpenCV's inferno colour map as a 256x1x3 RGB table for cv2.LUT."""
    ramp = np.arange(256, dtype=np.uint8).reshape(256, 1)
    return cv2.cvtColor(cv2.applyColorMap(ramp, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB).reshape(256, 1, 3)


_INFERNO_LUT = _inferno_lut()


def heatmap(diff: np.ndarray, *, full_scale: float) -> np.ndarray:
    """RGB heatmap (inferno colour map) of a non-negative HxW map; ``full_scale`` maps to the top colour."""
    scaled = cv2.convertScaleAbs(np.asarray(diff, dtype=np.float32), alpha=255.0 / max(full_scale, 1e-6))
    return cv2.LUT(cv2.merge([scaled, scaled, scaled]), _INFERNO_LUT)


_GREEK_ASCII = {"Δ": "d", "δ": "d", "≤": "<=", "≥": ">=", "×": "x", "…": "..."}


def drawable_label(text: str) -> str:
    """`text` in the ASCII that OpenCV's Hershey fonts can draw (they show '?' for anything else): ΔE00 -> dE00."""
    out = "".join(_GREEK_ASCII.get(ch, ch) for ch in text)
    return out.encode("ascii", "replace").decode("ascii")


def evidence_image(
    source: np.ndarray,
    output: np.ndarray,
    *,
    diff: np.ndarray | None = None,
    labels: Sequence[str] = ("reference", "output", "difference"),
    diff_full_scale: float | None = None,
    boxes: Sequence[Box] = (),
) -> np.ndarray:
    """Side-by-side RGB image: ``source`` | ``output`` | difference heatmap, each under a small label.

    ``output`` is resized to ``source``'s size. ``diff`` is an HxW per-pixel difference (e.g. ΔE00); by
    default the BT.601-weighted absolute RGB difference. The heatmap's brightest colour is ``diff_full_scale``
    (default: the map's 99th percentile, at least 1), written into the third label. ``boxes`` are outlined
    in all panels. Result: (H + 16) x (3 W + 8) x 3 uint8.
    """
    if len(labels) != 3:
        raise ConfigError(f"evidence_image: labels must name the 3 panels, got {list(labels)!r}")
    src = check_rgb_uint8(source, name="source")
    out = align_to(output, src, names=("output", "source"))
    if diff is None:
        diff = np.asarray(cv2.cvtColor(cv2.absdiff(out, src), cv2.COLOR_RGB2GRAY))
    if diff.shape != src.shape[:2]:
        raise ConfigError(f"evidence_image: diff must have shape {src.shape[:2]}, got {diff.shape}")
    scale = diff_full_scale if diff_full_scale is not None else max(float(np.percentile(diff, 99)), 1.0)
    h, w = src.shape[:2]
    canvas = np.full((h + LABEL_BAR_PX, 3 * w + 2 * PANEL_GAP_PX, 3), 255, dtype=np.uint8)
    panels = (src, out, heatmap(diff, full_scale=scale))
    texts = (labels[0], labels[1], f"{labels[2]} (0..{scale:.3g})")
    for i, (panel, text) in enumerate(zip(panels, texts, strict=True)):
        x0 = i * (w + PANEL_GAP_PX)
        canvas[:LABEL_BAR_PX, x0 : x0 + w] = 32
        cv2.putText(
            canvas, drawable_label(text), (x0 + 3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (235, 235, 235), 1, cv2.LINE_AA
        )
        view = canvas[LABEL_BAR_PX:, x0 : x0 + w]
        view[:] = panel
        for box in boxes:
            bx, by, bw, bh = clip_box(box, src.shape, name="evidence box")
            cv2.rectangle(view, (bx, by), (bx + bw - 1, by + bh - 1), (0, 255, 255), 1)
    return canvas
