"""The version 2 index code: a framed 4x18 grid in a black band across the clip, placed where a phone's status bar,
camera controls and aspect-fill cropping leave it visible, carrying the frame index AND the clip's length and rate.

Layout (clip pixels; fractions of the clip's height h and width w):
- the code band fills rows [band_top, band_bottom): portrait clips (h >= w) 0.64h..0.84h, landscape clips
  0.55h..0.79h; the band is black.
- inside it the code box spans columns 0.14w..0.86w (a 12.5 % crop of each side keeps all of it) and the band's
  rows minus a black margin of BOX_MARGIN of the band's height above and below;
- the box has a white ring RING of the box's height thick; the cell grid sits INSET of the box's height inside the
  box's outer edge on all four sides (a black gap between ring and grid).
The ring's outer edge is what `find_boxes` looks for in a busy frame: a bright rectangle on black.

Payload: 56 data cells = frame index (16 bits), clip frames (16), clip fps (8) and the CRC-16/CCITT-FALSE of those
five bytes (16), XOR-whitened; 16 fixed cells in columns 0, 6, 11 and 17 give the black/white references and the
orientation (every wrong orientation mismatches 8 of them). A misread gives None, never a wrong index.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from harness.errors import ConfigError

Rect = tuple[int, int, int, int]

VERSION = 2
ROWS = 4
COLS = 18
FIXED_PATTERN = (
    "0.....1....1.....1",
    "1.....1....0.....0",
    "1.....1....0.....0",
    "1.....0....0.....0",
)
FRAMES_BITS = 16
FPS_BITS = 8
PAYLOAD_BITS = 16 + FRAMES_BITS + FPS_BITS + 16
WHITENING_MASK = 0x9E3779B97F4A7C & ((1 << PAYLOAD_BITS) - 1)

BAND_PORTRAIT = (0.64, 0.84)
BAND_LANDSCAPE = (0.55, 0.79)
BOX_X = (0.14, 0.86)
BOX_MARGIN = 0.08  # black above and below the box, as a fraction of the band's height
RING = 0.07  # ring thickness, fraction of the box's height
INSET = 0.15  # grid inset from the box's outer edge, fraction of the box's height (ring + black gap)

# Finder: a candidate box is a bright blob whose outer contour fills >= FILL of its bounding rectangle, with a long
# side between MIN_ASPECT and MAX_ASPECT times its short side, at least MIN_SHORT_PX by MIN_LONG_PX.
FINDER_FILL = 0.85
FINDER_MIN_ASPECT = 2.0
FINDER_MAX_ASPECT = 14.0
FINDER_MIN_SHORT_PX = 10
FINDER_MIN_LONG_PX = 36
FINDER_WORK_SHORT_PX = 360  # frames are subsampled by a whole factor to about this shorter side first
FINDER_MAX_CANDIDATES = 6
FINDER_OTSU_APART = 30  # grey levels between mid grey and Otsu's threshold before the second threshold is tried


def _cells() -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_], npt.NDArray[np.intp]]:
    fixed, values, data = [], [], []
    for r, row in enumerate(FIXED_PATTERN):
        for c, ch in enumerate(row):
            if ch == ".":
                data.append(r * COLS + c)
            else:
                fixed.append(r * COLS + c)
                values.append(ch == "1")
    return np.array(fixed, np.intp), np.array(values, bool), np.array(data, np.intp)


FIXED_FLAT, FIXED_VALUES, DATA_FLAT = _cells()
assert DATA_FLAT.size == PAYLOAD_BITS
FIXED_BLACK = FIXED_FLAT[~FIXED_VALUES]
FIXED_WHITE = FIXED_FLAT[FIXED_VALUES]


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR (both layouts)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _head(index: int, frames: int, fps: int) -> bytes:
    return index.to_bytes(2, "big") + frames.to_bytes(2, "big") + fps.to_bytes(1, "big")


def code_cells(index: int, *, frames: int, fps: int) -> npt.NDArray[np.bool_]:
    """The ROWS x COLS cell colours (True = white) of frame `index` of a clip of `frames` frames at `fps`."""
    if not 0 <= index < frames <= 0xFFFF or not 1 <= fps <= 0xFF:
        raise ConfigError(f"index code v2: index {index} of {frames} frames at {fps} fps is out of range; "
                          "allowed index < frames <= 65535, fps 1..255", key_path="index")
    head = _head(index, frames, fps)
    word = ((int.from_bytes(head, "big") << 16) | crc16_ccitt(head)) ^ WHITENING_MASK
    cells = np.zeros(ROWS * COLS, dtype=bool)
    cells[FIXED_FLAT] = FIXED_VALUES
    cells[DATA_FLAT] = [(word >> (PAYLOAD_BITS - 1 - k)) & 1 == 1 for k in range(PAYLOAD_BITS)]
    return cells.reshape(ROWS, COLS)


_WEIGHTS = [1 << (PAYLOAD_BITS - 1 - k) for k in range(PAYLOAD_BITS)]


@dataclass(frozen=True)
class Payload:
    index: int
    frames: int
    fps: int


def payload_from_cells(cells: npt.NDArray[np.bool_]) -> Payload | None:
    """What a grid of cell colours carries, or None unless fixed cells, CRC and ranges all check out."""
    flat = np.asarray(cells, dtype=bool).reshape(-1)
    if not np.array_equal(flat[FIXED_FLAT], FIXED_VALUES):
        return None
    bits = flat[DATA_FLAT]
    word = sum(w for w, b in zip(_WEIGHTS, bits.tolist(), strict=True) if b) ^ WHITENING_MASK
    head, crc = (word >> 16).to_bytes(5, "big"), word & 0xFFFF
    if crc16_ccitt(head) != crc:
        return None
    index, frames, fps = int.from_bytes(head[:2], "big"), int.from_bytes(head[2:4], "big"), head[4]
    if not (index < frames and frames >= 2 and fps >= 1):
        return None
    return Payload(index, frames, fps)


def band_span(width: int, height: int) -> tuple[float, float]:
    return BAND_PORTRAIT if height >= width else BAND_LANDSCAPE


def band_rows(width: int, height: int) -> tuple[int, int]:
    """Clip rows [top, bottom) of the code band."""
    top, bottom = band_span(width, height)
    return round(top * height), round(bottom * height)


def box_rect(width: int, height: int) -> Rect:
    """(x, y, w, h) of the code box (ring included) in clip pixels."""
    top, bottom = band_rows(width, height)
    margin = round(BOX_MARGIN * (bottom - top))
    x0, x1 = round(BOX_X[0] * width), round(BOX_X[1] * width)
    return x0, top + margin, x1 - x0, bottom - top - 2 * margin


def grid_edges(width: int, height: int) -> tuple[list[int], list[int]]:
    """Pixel edges of the cell grid in the clip: COLS + 1 x edges, ROWS + 1 y edges."""
    x, y, w, h = box_rect(width, height)
    inset = round(INSET * h)
    gx, gy, gw, gh = x + inset, y + inset, w - 2 * inset, h - 2 * inset
    xs = [gx + round(c * gw / COLS) for c in range(COLS + 1)]
    ys = [gy + round(r * gh / ROWS) for r in range(ROWS + 1)]
    return xs, ys


def draw_band(frame: npt.NDArray[np.uint8], cells: npt.NDArray[np.bool_]) -> None:
    """Draw the band, ring and grid of `cells` into an HxWx3 clip frame, in place."""
    height, width = frame.shape[:2]
    top, bottom = band_rows(width, height)
    frame[top:bottom] = 0
    x, y, w, h = box_rect(width, height)
    ring = max(1, round(RING * h))
    frame[y : y + h, x : x + w] = 255
    frame[y + ring : y + h - ring, x + ring : x + w - ring] = 0
    xs, ys = grid_edges(width, height)
    for r in range(ROWS):
        for c in range(COLS):
            if cells[r, c]:
                frame[ys[r] : ys[r + 1], xs[c] : xs[c + 1]] = 255


def find_boxes(frame_rgb: np.ndarray) -> list[Rect]:
    """Candidate code boxes (x, y, w, h) in an observed frame, largest first: bright rectangles on black.

    The frame is subsampled by a whole factor to a shorter side of about FINDER_WORK_SHORT_PX, its brightest
    channel thresholded at mid grey (and at Otsu's threshold when that differs by more than FINDER_OTSU_APART: a
    dim or washed-out screen), and the outer contour of every bright blob kept if it is a filled, elongated
    rectangle (the ring's outer edge). Only a read of the grid inside decides whether one is the code.
    """
    h, w = frame_rgb.shape[:2]
    step = max(1, min(h, w) // FINDER_WORK_SHORT_PX)
    small = frame_rgb[::step, ::step]
    bright = np.ascontiguousarray(small[..., 0] if _is_grey(small) else small.max(axis=2))
    found = _rectangles(bright > 127, step, (w, h))
    otsu, _ = cv2.threshold(bright, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if abs(otsu - 127) > FINDER_OTSU_APART:
        found += [r for r in _rectangles(bright > otsu, step, (w, h)) if r not in found]
    return found[:FINDER_MAX_CANDIDATES]


def _rectangles(mask: npt.NDArray[np.bool_], step: int, size: tuple[int, int]) -> list[Rect]:
    """Bounding rectangles (full-frame pixels) of the filled, elongated bright blobs of a subsampled mask."""
    w, h = size
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    found: list[tuple[int, Rect]] = []
    for contour in contours:
        x, y, cw, ch = cv2.boundingRect(contour)
        short, long = min(cw, ch) * step, max(cw, ch) * step
        if short < FINDER_MIN_SHORT_PX or long < FINDER_MIN_LONG_PX:
            continue
        if not FINDER_MIN_ASPECT <= long / short <= FINDER_MAX_ASPECT:
            continue
        if cv2.contourArea(contour) < FINDER_FILL * (cw - 1) * (ch - 1):
            continue
        found.append((cw * ch, (x * step, y * step, min(w - x * step, cw * step), min(h - y * step, ch * step))))
    found.sort(key=lambda item: -item[0])
    return [rect for _, rect in found[:FINDER_MAX_CANDIDATES]]


def _is_grey(frame: np.ndarray) -> bool:
    """True for a grey frame broadcast to three channels (zero stride: the channels are one array)."""
    return frame.strides[2] == 0
