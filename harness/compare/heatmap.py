"""The adaptation matrix as a PNG heatmap drawn with OpenCV: devices as rows, candidates as columns, each cell
coloured by its verdict and labelled with cv2.putText: the verdict, then its first reasons, shortened (the
scenario, the metric and its values), so the picture says why without the HTML page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import cv2
import numpy as np

from harness.compare.adaptation import AdaptationMatrix
from harness.compare.render import ADAPTATION_COLOURS
from harness.errors import ConfigError, HarnessError

FONT: Final = cv2.FONT_HERSHEY_SIMPLEX
SCALE: Final = 0.5
THICKNESS: Final = 1
PAD_PX: Final = 10
CELL_H_PX: Final = 36
ROW_H_PX: Final = 58  # a device row: the verdict and two lines of reasons
MIN_CELL_W_PX: Final = 300
SMALL_SCALE: Final = 0.36
REASON_LINES: Final = 2
INK_BGR: Final = (34, 34, 34)
GRID_BGR: Final = (160, 160, 160)


def hex_to_bgr(colour: str) -> tuple[int, int, int]:
    """'#rrggbb' -> (b, g, r)."""
    value = colour.lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return b, g, r


VERDICT_BGR: Final = {verdict: hex_to_bgr(colour) for verdict, colour in ADAPTATION_COLOURS.items()}


def _text_w(text: str) -> int:
    (width, _), _ = cv2.getTextSize(text, FONT, SCALE, THICKNESS)
    return int(width)


def _put(image: np.ndarray, text: str, x: int, y_mid: int) -> None:
    (_, height), _ = cv2.getTextSize(text, FONT, SCALE, THICKNESS)
    cv2.putText(image, text, (x, y_mid + height // 2), FONT, SCALE, INK_BGR, THICKNESS, cv2.LINE_AA)


_NOISE = re.compile(r"(?:failed|broken): \w+: (?:\w+Error: )?(?:\[\w+\] )?(?:adaptation defects on [^:]+: )?")


def short_reason(reason: str) -> str:
    """A cell reason without the parts the picture already says: `beauty-70: frame_drops: 8.417 fps (limit ...`."""
    return _NOISE.sub("", reason)


def _fit(text: str, width_px: int) -> str:
    """`text` cut (with '~') to fit `width_px` in the small font."""
    while text and cv2.getTextSize(text, FONT, SMALL_SCALE, THICKNESS)[0][0] > width_px:
        text = text[:-2] + "~"
    return text


def _ascii(text: str) -> str:
    """Hershey fonts draw ASCII only: anything else becomes '?'."""
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)


@dataclass(frozen=True)
class _Layout:
    labels: list[str]
    heads: list[str]
    label_w: int
    cell_w: int


def _layout(matrix: AdaptationMatrix) -> _Layout:
    labels = [_ascii(d + (" (new)" if d in matrix.new_devices else " (ref)" if d in matrix.reference_devices
                          else "")) for d in matrix.devices]
    heads = [_ascii(c) for c in matrix.candidates]
    label_w = max([_text_w("device"), *(_text_w(t) for t in labels)]) + 2 * PAD_PX
    cell_w = max([MIN_CELL_W_PX, *(_text_w(t) + 2 * PAD_PX for t in heads)])
    return _Layout(labels, heads, label_w, cell_w)


def adaptation_heatmap(matrix: AdaptationMatrix) -> np.ndarray:
    """The heatmap as a BGR uint8 image: a header row of candidates, one row per device (new devices marked),
    a legend below. Cell (row i, column j) is filled with VERDICT_BGR of matrix.cell(device_i, candidate_j)."""
    lay = _layout(matrix)
    width = lay.label_w + lay.cell_w * max(len(lay.heads), 1) + PAD_PX
    height = CELL_H_PX * 2 + ROW_H_PX * len(lay.labels) + PAD_PX
    image = np.full((height, width, 3), 255, dtype=np.uint8)
    _put(image, "device", PAD_PX, CELL_H_PX // 2)
    for j, head in enumerate(lay.heads):
        _put(image, head, lay.label_w + j * lay.cell_w + PAD_PX, CELL_H_PX // 2)
    for i, device in enumerate(matrix.devices):
        top = CELL_H_PX + ROW_H_PX * i
        _put(image, lay.labels[i], PAD_PX, top + ROW_H_PX // 2)
        for j, candidate in enumerate(matrix.candidates):
            cell = matrix.cell(device, candidate)
            x0 = lay.label_w + j * lay.cell_w
            corner = (x0 + lay.cell_w - 1, top + ROW_H_PX - 1)
            cv2.rectangle(image, (x0, top), corner, VERDICT_BGR[cell.verdict], -1)
            cv2.rectangle(image, (x0, top), corner, GRID_BGR, 1)
            _put(image, cell.verdict, x0 + PAD_PX, top + 12)
            if cell.verdict in ("ok", "not_run"):
                continue
            for k, reason in enumerate(cell.reasons[:REASON_LINES]):
                text = _fit(_ascii(short_reason(reason)), lay.cell_w - 2 * PAD_PX)
                y = top + 30 + 14 * k
                cv2.putText(image, text, (x0 + PAD_PX, y), FONT, SMALL_SCALE, INK_BGR, THICKNESS, cv2.LINE_AA)
    legend_top = CELL_H_PX + ROW_H_PX * len(lay.labels) + PAD_PX // 2
    x = PAD_PX
    for name, bgr in VERDICT_BGR.items():
        cv2.rectangle(image, (x, legend_top + 8), (x + 16, legend_top + 24), bgr, -1)
        cv2.rectangle(image, (x, legend_top + 8), (x + 16, legend_top + 24), GRID_BGR, 1)
        _put(image, name, x + 22, legend_top + 16)
        x += 22 + _text_w(name) + 2 * PAD_PX
    return image


def cell_centre(matrix: AdaptationMatrix, device: str, candidate: str) -> tuple[int, int]:
    """A pixel (x, y) inside the heatmap cell of (device, candidate), right of its label: for checking colours."""
    lay = _layout(matrix)
    i, j = matrix.devices.index(device), matrix.candidates.index(candidate)
    return lay.label_w + (j + 1) * lay.cell_w - 6, CELL_H_PX + ROW_H_PX * i + 6


def write_adaptation_png(matrix: AdaptationMatrix, path: Path) -> Path:
    """Write adaptation_heatmap(matrix) to `path` (.png) and return it."""
    if path.suffix.lower() != ".png":
        raise ConfigError(f"{path.name!r} is not allowed; allowed: a file name ending in .png", file=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), adaptation_heatmap(matrix)):
        raise HarnessError(f"{path}: OpenCV could not write the PNG (check that the folder is writable)")
    return path


__all__ = ["VERDICT_BGR", "adaptation_heatmap", "cell_centre", "hex_to_bgr", "write_adaptation_png"]
