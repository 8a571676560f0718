"""The per-frame index code of the reference clip: its layout, encoder and fast, orientation-aware decoder.

Version 1 (clips of CLIP_VERSION 1): a 3x16 grid of black/white cells in the bottom 12.5% of the clip: 16 fixed
cells (an asymmetric marker that doubles as black/white references for an adaptive threshold) and 32 data cells
holding the 16-bit frame index and its CRC-16, both whitened. Version 2 (codebox.py) moves the code into a framed
box away from the clip's edges and adds the clip's length and rate. A misread gives None, never a wrong index.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

from harness.errors import AnalysisError, ConfigError
from harness.metrics import codebox

if TYPE_CHECKING:
    from harness.clipspec import ClipSpec

UInt8Array = npt.NDArray[np.uint8]
IntArray = npt.NDArray[np.intp]

BAND_TOP_FRACTION = 0.875
"""Version 1: the code band fills clip rows [round(0.875 * height), height); nothing else is ever drawn there."""
GRID_ROWS = 3
GRID_COLS = 16
# Fixed cells: 1 = white, 0 = black, '.' = data. Chosen by a search so that reading the grid with its columns
# reversed, its rows reversed, or both (what a wrong mirror/rotation hypothesis does) mismatches 8 of the 16
# fixed cells; every fixed column and the top and bottom rows hold both colours (no uniform clip edge).
FIXED_PATTERN = (
    "1....0....0....1",
    "0.0..0.10.1..1.1",
    "0....1....1....0",
)
INDEX_BITS = 16
CRC_BITS = 16
# XOR mask over the 32 data bits (index then CRC) so that no index draws a uniform band.
WHITENING_MASK = 0xB5E24C93
MAX_INDEX = (1 << INDEX_BITS) - 1

# Decoder thresholds. Cell values are R+G+B sums (0..765): invariant to channel swaps, robust to tints.
MIN_CONTRAST_SUM = 3 * 40  # white references must be >= 40/255 brighter than black ones
AMBIGUITY_MARGIN = 0.2  # a cell whose level sits within 0.5 +- 0.2 of the black..white span is unreadable
SAMPLE_OFFSETS = (-0.22, 0.0, 0.22)  # 3x3 sample points per cell, in cell sizes from the cell's centre
EDGE_SAMPLES = 64  # points sampled along each frame edge to detect letterbox bars
BAR_TOLERANCE = 24  # max per-channel deviation of a bar pixel from the bar's colour
SCAN_LINES = 48  # points sampled along a line when measuring a bar's thickness
BAR_COARSE_LINES = 64  # lines looked at by the coarse pass of the bar measurement

# Orientations in the order they are tried: upright first, then the front-camera mirror, then the rest.
ORIENTATIONS: tuple[tuple[int, bool], ...] = (
    (0, False),
    (0, True),
    (180, False),
    (180, True),
    (90, False),
    (270, False),
    (90, True),
    (270, True),
)


def _fixed_cells() -> tuple[list[tuple[int, int, int]], list[tuple[int, int]]]:
    fixed: list[tuple[int, int, int]] = []
    data: list[tuple[int, int]] = []
    for r, row in enumerate(FIXED_PATTERN):
        for c, ch in enumerate(row):
            if ch == ".":
                data.append((r, c))
            else:
                fixed.append((r, c, int(ch)))
    return fixed, data


_FIXED, _DATA = _fixed_cells()
assert len(_DATA) == INDEX_BITS + CRC_BITS
_FIXED_FLAT = np.array([r * GRID_COLS + c for r, c, _ in _FIXED], dtype=np.intp)
_FIXED_VALUES = np.array([v for _, _, v in _FIXED], dtype=bool)
_DATA_FLAT = np.array([r * GRID_COLS + c for r, c in _DATA], dtype=np.intp)
_FIXED_BLACK = _FIXED_FLAT[~_FIXED_VALUES]
_FIXED_WHITE = _FIXED_FLAT[_FIXED_VALUES]
_BIT_WEIGHTS = np.array([1 << (31 - k) for k in range(32)], dtype=np.int64)


crc16_ccitt = codebox.crc16_ccitt  # one checksum for both code layouts


def crc16(value: int) -> int:
    """The code's checksum of an index: CRC-16/CCITT-FALSE of the index as two big-endian bytes."""
    return crc16_ccitt(value.to_bytes(2, "big"))


def index_from_cells(cells: npt.NDArray[np.bool_], *, frames: int) -> int | None:
    """The index a GRID_ROWS x GRID_COLS grid of cell colours encodes, or None if the fixed cells, the CRC or
    the range (index < frames) do not check out."""
    flat = np.asarray(cells, dtype=bool).reshape(-1)
    if not np.array_equal(flat[_FIXED_FLAT], _FIXED_VALUES):
        return None
    word = int(_BIT_WEIGHTS[flat[_DATA_FLAT]].sum()) ^ WHITENING_MASK
    index, crc = word >> CRC_BITS, word & 0xFFFF
    if crc16(index) != crc or index >= frames:
        return None
    return index


def code_cells(index: int) -> npt.NDArray[np.bool_]:
    """The GRID_ROWS x GRID_COLS cell colours (True = white) that encode `index` (0..65535)."""
    if not 0 <= index <= MAX_INDEX:
        raise ConfigError(f"index code: index {index} is out of range; allowed 0..{MAX_INDEX}", key_path="index")
    word = ((index << CRC_BITS) | crc16(index)) ^ WHITENING_MASK
    cells = np.zeros(GRID_ROWS * GRID_COLS, dtype=bool)
    cells[_FIXED_FLAT] = _FIXED_VALUES
    cells[_DATA_FLAT] = [(word >> (31 - k)) & 1 == 1 for k in range(32)]
    return cells.reshape(GRID_ROWS, GRID_COLS)


def band_top(height: int, width: int | None = None, *, version: int = codebox.VERSION) -> int:
    """First clip row of the code band for a clip `height` pixels tall (and `width` wide: a landscape version 2
    clip has its band elsewhere; None means portrait). Every row from here down is code or padding, not picture."""
    if version == 1:
        return round(BAND_TOP_FRACTION * height)
    return codebox.band_rows(height if width is None else width, height)[0]


def band_rect(spec: ClipSpec) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the clip's code: the whole band (version 1) or the code box, ring included (version 2)."""
    if spec.version == 1:
        top = band_top(spec.height, version=1)
        return 0, top, spec.width, spec.height - top
    return codebox.box_rect(spec.width, spec.height)


def cell_edges(width: int, height: int) -> tuple[list[int], list[int]]:
    """Pixel edges of the cell grid in the clip: (x edges, GRID_COLS + 1 of them; y edges, GRID_ROWS + 1)."""
    top = band_top(height, version=1)
    xs = [round(c * width / GRID_COLS) for c in range(GRID_COLS + 1)]
    ys = [top + round(r * (height - top) / GRID_ROWS) for r in range(GRID_ROWS + 1)]
    return xs, ys


@dataclass(frozen=True)
class Decoded:
    """One decoded frame: the clip frame index and how the clip sits in the observed frame.

    The observed frame shows the clip first mirrored left-right (if `mirrored`), then rotated clockwise by
    `rotation_deg`, scaled into `content_rect` (x, y, w, h) of the observed frame. `confidence` is the
    smallest cell margin in 0..1 (1 = every cell exactly at its reference level, 0.4 = the readability limit).
    """

    index: int
    rotation_deg: int
    mirrored: bool
    confidence: float
    content_rect: tuple[int, int, int, int]
    code_rect: tuple[int, int, int, int] | None = None  # version 2: the code box (ring included) in the frame
    clip_frames: int | None = None  # version 2: the clip's length and rate as the code carries them
    clip_fps: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "rotation_deg": self.rotation_deg,
            "mirrored": self.mirrored,
            "confidence": round(self.confidence, 4),
            "content_rect": list(self.content_rect),
        }


def _check_frame(frame_rgb: np.ndarray) -> None:
    if frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3 or frame_rgb.dtype != np.uint8:
        raise AnalysisError(
            f"index code: expected an HxWx3 uint8 RGB frame, got shape {frame_rgb.shape} dtype {frame_rgb.dtype}"
        )
    if frame_rgb.shape[0] < 8 or frame_rgb.shape[1] < 8:
        raise AnalysisError(f"index code: frame {frame_rgb.shape[1]}x{frame_rgb.shape[0]} is too small (min 8x8)")


def _gather(frame_rgb: np.ndarray, rows: IntArray, cols: IntArray) -> np.ndarray:
    """Pixels at (rows[k], cols[k]) as N x 3 (np.take on the flat view is ~4x faster than 2-D indexing)."""
    if frame_rgb.flags.c_contiguous:
        return np.take(frame_rgb.reshape(-1, 3), rows * frame_rgb.shape[1] + cols, axis=0)
    return frame_rgb[rows, cols]


def _bar_colour(line: np.ndarray) -> np.ndarray | None:
    """The colour of a sampled edge line if the line is uniform (a letterbox bar), else None."""
    if int((line.max(axis=0).astype(np.int16) - line.min(axis=0)).max()) > BAR_TOLERANCE:
        return None
    return np.median(line, axis=0).astype(np.int16)


def _lines_are_bar(frame_rgb: np.ndarray, side: str, lines: IntArray, colour: np.ndarray) -> npt.NDArray[np.bool_]:
    """For each line (0 = the frame edge on `side`), whether SCAN_LINES points along it all match `colour`."""
    h, w = frame_rgb.shape[:2]
    if side in ("top", "bottom"):
        line_pos = lines if side == "top" else h - 1 - lines
        across = np.linspace(0, w - 1, min(SCAN_LINES, w)).astype(np.intp)
        rows, cols = np.repeat(line_pos, across.size), np.tile(across, line_pos.size)
    else:
        line_pos = lines if side == "left" else w - 1 - lines
        across = np.linspace(0, h - 1, min(SCAN_LINES, h)).astype(np.intp)
        rows, cols = np.tile(across, line_pos.size), np.repeat(line_pos, across.size)
    pix = _gather(frame_rgb, rows, cols).reshape(lines.size, across.size, 3)
    ok: npt.NDArray[np.bool_] = (np.abs(pix.astype(np.int16) - colour) <= BAR_TOLERANCE).all(axis=(1, 2))
    return ok


def _bar_thickness(frame_rgb: np.ndarray, side: str, colour: np.ndarray) -> int:
    """Number of lines from the edge on `side` that match the bar colour: a coarse pass over BAR_COARSE_LINES
    evenly spaced lines, then every line of the one stride where the picture starts."""
    h, w = frame_rgb.shape[:2]
    n = h if side in ("top", "bottom") else w
    stride = -(-n // BAR_COARSE_LINES)
    coarse = np.arange(0, n, stride, dtype=np.intp)
    is_bar = _lines_are_bar(frame_rgb, side, coarse, colour)
    not_bar = np.flatnonzero(~is_bar)
    if not not_bar.size:
        start, stop = int(coarse[-1]) + 1, n
    else:
        stop = int(coarse[not_bar[0]])
        start = max(0, stop - stride + 1)
        if stop == 0:
            return 0
    fine = np.arange(start, stop, dtype=np.intp)
    fine_bar = _lines_are_bar(frame_rgb, side, fine, colour) if fine.size else np.zeros(0, dtype=bool)
    first = np.flatnonzero(~fine_bar)
    return int(fine[first[0]]) if first.size else stop


def find_content_rect(frame_rgb: np.ndarray) -> tuple[int, int, int, int] | None:
    """The (x, y, w, h) of the picture inside uniform letterbox/pillarbox bars; the whole frame if none.

    A frame edge is a bar when EDGE_SAMPLES points along it are within BAR_TOLERANCE of one colour; the
    bar's thickness is the number of lines from that edge whose SCAN_LINES sampled points all match it.
    Returns None when bars meet (a uniform frame: nothing to decode).
    """
    _check_frame(frame_rgb)
    h, w = frame_rgb.shape[:2]
    xs = np.linspace(0, w - 1, min(EDGE_SAMPLES, w)).astype(np.intp)
    ys = np.linspace(0, h - 1, min(EDGE_SAMPLES, h)).astype(np.intp)
    top_c = _bar_colour(frame_rgb[0, xs])
    bottom_c = _bar_colour(frame_rgb[h - 1, xs])
    left_c = _bar_colour(frame_rgb[ys, 0])
    right_c = _bar_colour(frame_rgb[ys, w - 1])
    if top_c is None and bottom_c is None and left_c is None and right_c is None:
        return (0, 0, w, h)
    top = _bar_thickness(frame_rgb, "top", top_c) if top_c is not None else 0
    bottom = _bar_thickness(frame_rgb, "bottom", bottom_c) if bottom_c is not None else 0
    left = _bar_thickness(frame_rgb, "left", left_c) if left_c is not None else 0
    right = _bar_thickness(frame_rgb, "right", right_c) if right_c is not None else 0
    if top + bottom >= h or left + right >= w:
        return None
    return (left, top, w - left - right, h - top - bottom)


def clip_to_observed(
    u: np.ndarray, v: np.ndarray, *, rotation_deg: int, mirrored: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Map normalised clip coordinates (0..1) to normalised coordinates of the observed picture."""
    if mirrored:
        u = 1.0 - u
    if rotation_deg == 0:
        return u, v
    if rotation_deg == 90:
        return 1.0 - v, u
    if rotation_deg == 180:
        return 1.0 - u, 1.0 - v
    if rotation_deg == 270:
        return v, 1.0 - u
    raise ConfigError(
        f"index code: rotation_deg {rotation_deg} is not allowed; allowed 0, 90, 180, 270",
        key_path="rotation_deg",
    )


@lru_cache(maxsize=64)
def _sample_points(rect: tuple[int, int, int, int], rotation_deg: int, mirrored: bool) -> tuple[IntArray, IntArray]:
    """Pixel rows and columns of the 3x3 sample points of every cell, for one content rect and orientation."""
    off = np.array(SAMPLE_OFFSETS)
    cols = (np.arange(GRID_COLS)[None, :, None, None] + 0.5 + off[None, None, None, :]) / GRID_COLS
    rows = (np.arange(GRID_ROWS)[:, None, None, None] + 0.5 + off[None, None, :, None]) / GRID_ROWS
    u = np.broadcast_to(cols, (GRID_ROWS, GRID_COLS, 3, 3)).reshape(-1)
    v = BAND_TOP_FRACTION + (1.0 - BAND_TOP_FRACTION) * np.broadcast_to(rows, (GRID_ROWS, GRID_COLS, 3, 3))
    uo, vo = clip_to_observed(u, v.reshape(-1), rotation_deg=rotation_deg, mirrored=mirrored)
    x0, y0, w, h = rect
    px = np.clip(np.round(x0 + uo * w - 0.5), x0, x0 + w - 1).astype(np.intp)
    py = np.clip(np.round(y0 + vo * h - 0.5), y0, y0 + h - 1).astype(np.intp)
    return py, px


def _read(
    frame_rgb: np.ndarray, rect: tuple[int, int, int, int], rotation_deg: int, mirrored: bool, frames: int
) -> Decoded | None:
    py, px = _sample_points(rect, rotation_deg, mirrored)
    samples = _gather(frame_rgb, py, px).sum(axis=1, dtype=np.int32)
    levels = samples.reshape(GRID_ROWS * GRID_COLS, 9).mean(axis=1)
    black = float(levels[_FIXED_BLACK].mean())
    white = float(levels[_FIXED_WHITE].mean())
    span = white - black
    if span < MIN_CONTRAST_SUM:
        return None
    p = (levels - black) / span
    margin = np.abs(p - 0.5)
    worst = float(margin.min())
    if worst < AMBIGUITY_MARGIN:
        return None
    index = index_from_cells(p > 0.5, frames=frames)
    if index is None:
        return None
    return Decoded(
        index=index,
        rotation_deg=rotation_deg,
        mirrored=mirrored,
        confidence=min(1.0, 2.0 * worst),
        content_rect=rect,
    )


Orientation = tuple[int, bool]
Prefer = Orientation | Decoded | None
DEFAULT_SIZE = (360, 640)  # clip geometry assumed when the clip is unknown (spec=None): the default clip's


def _order(prefer: Prefer) -> tuple[Orientation, ...]:
    first = (prefer.rotation_deg, prefer.mirrored) if isinstance(prefer, Decoded) else prefer
    return ORIENTATIONS if first is None else (first, *(o for o in ORIENTATIONS if o != first))


def decode_index(frame_rgb: np.ndarray, *, spec: ClipSpec | None, prefer: Prefer = None) -> Decoded | None:
    """Read the clip frame index from an observed RGB frame, or None when no valid code is visible.

    The frame may be the clip at any scale (non-uniform too), inside uniform bars, rotated by a multiple of 90
    degrees and/or mirrored, colour-filtered or lossily compressed. A version 2 clip is also found inside a busy
    screen (a phone's status bar and controls over the picture, non-uniform surround, aspect-fill cropping) by its
    code box. `prefer` is an orientation (rotation_deg, mirrored) to try first, or the previous frame's Decoded
    (its code box is then read first: a recording keeps its layout). Only indices below `spec.frames` are
    accepted, and a version 2 code must carry the spec's frames and fps; spec None reads any version 2 clip.
    """
    if spec is not None and spec.version == 1:
        rect = find_content_rect(frame_rgb)
        if rect is None or rect[2] < 8 or rect[3] < 8:
            return None
        for rotation_deg, mirrored in _order(prefer):
            found = _read(frame_rgb, rect, rotation_deg, mirrored, spec.frames)
            if found is not None:
                return found
        return None
    return _decode_v2(frame_rgb, spec, prefer)


def _decode_v2(frame_rgb: np.ndarray, spec: ClipSpec | None, prefer: Prefer) -> Decoded | None:
    _check_frame(frame_rgb)
    size = DEFAULT_SIZE if spec is None else (spec.width, spec.height)
    box_clip = codebox.box_rect(*size)
    clip_aspect = box_clip[2] / box_clip[3]
    order = _order(prefer)

    def accept(found: Decoded | None) -> Decoded | None:
        if found is None or spec is None:
            return found
        return found if (found.clip_frames, found.clip_fps) == (spec.frames, spec.fps) else None

    if isinstance(prefer, Decoded) and prefer.code_rect is not None:
        box = prefer.code_rect
        found = accept(_read_box(frame_rgb, box, prefer.rotation_deg, prefer.mirrored, _aspect(box), size))
        if found is not None:
            return found
    rect = find_content_rect(frame_rgb)
    if rect is not None and rect[2] >= 8 and rect[3] >= 8:
        for rotation_deg, mirrored in order:
            box = _observed_box(rect, size, rotation_deg, mirrored)
            found = accept(_read_box(frame_rgb, box, rotation_deg, mirrored, clip_aspect, size, rect))
            if found is not None:
                return found
    for box in codebox.find_boxes(frame_rgb):
        tall = box[3] > box[2]
        for rotation_deg, mirrored in order:
            if (rotation_deg in (90, 270)) == tall:
                found = accept(_read_box(frame_rgb, box, rotation_deg, mirrored, _aspect(box), size))
                if found is not None:
                    return found
    return None


def _aspect(box: tuple[int, int, int, int]) -> float:
    return max(box[2], box[3]) / max(1, min(box[2], box[3]))


def _clip_box_fractions(size: tuple[int, int]) -> tuple[float, float, float, float]:
    x, y, w, h = codebox.box_rect(*size)
    return x / size[0], y / size[1], (x + w) / size[0], (y + h) / size[1]


def _box_in_content(size: tuple[int, int], rotation_deg: int, mirrored: bool) -> tuple[float, float, float, float]:
    """The code box as fractions (u0, v0, u1, v1) of the observed content rect."""
    u0, v0, u1, v1 = _clip_box_fractions(size)
    uo, vo = clip_to_observed(np.array([u0, u1]), np.array([v0, v1]), rotation_deg=rotation_deg, mirrored=mirrored)
    return float(uo.min()), float(vo.min()), float(uo.max()), float(vo.max())


def _observed_box(rect: tuple[int, int, int, int], size: tuple[int, int], rotation_deg: int, mirrored: bool
                  ) -> tuple[int, int, int, int]:
    """Where the code box sits in the frame when the clip fills `rect` in this orientation."""
    u0, v0, u1, v1 = _box_in_content(size, rotation_deg, mirrored)
    x, y, w, h = rect
    bx0, by0 = round(x + u0 * w), round(y + v0 * h)
    return bx0, by0, round(x + u1 * w) - bx0, round(y + v1 * h) - by0


def _content_from_box(box: tuple[int, int, int, int], size: tuple[int, int], rotation_deg: int, mirrored: bool
                      ) -> tuple[int, int, int, int]:
    """Where the whole clip sits (possibly beyond the frame's edges) given where its code box was found."""
    u0, v0, u1, v1 = _box_in_content(size, rotation_deg, mirrored)
    x, y, w, h = box
    cw, ch = w / (u1 - u0), h / (v1 - v0)
    return round(x - u0 * cw), round(y - v0 * ch), round(cw), round(ch)


@lru_cache(maxsize=256)
def _box_points(box: tuple[int, int, int, int], rotation_deg: int, mirrored: bool, aspect_milli: int
                ) -> tuple[IntArray, IntArray]:
    """Pixel rows and columns of the 3x3 sample points of every version 2 cell, for one observed code box."""
    inset_v = codebox.INSET
    inset_u = codebox.INSET * 1000 / aspect_milli
    off = np.array(SAMPLE_OFFSETS)
    shape = (codebox.ROWS, codebox.COLS, 3, 3)
    cols = (np.arange(codebox.COLS)[None, :, None, None] + 0.5 + off[None, None, None, :]) / codebox.COLS
    rows = (np.arange(codebox.ROWS)[:, None, None, None] + 0.5 + off[None, None, :, None]) / codebox.ROWS
    u = inset_u + (1.0 - 2 * inset_u) * np.broadcast_to(cols, shape).reshape(-1)
    v = inset_v + (1.0 - 2 * inset_v) * np.broadcast_to(rows, shape).reshape(-1)
    uo, vo = clip_to_observed(u, v, rotation_deg=rotation_deg, mirrored=mirrored)
    x0, y0, w, h = box
    px = np.clip(np.round(x0 + uo * w - 0.5), x0, x0 + w - 1).astype(np.intp)
    py = np.clip(np.round(y0 + vo * h - 0.5), y0, y0 + h - 1).astype(np.intp)
    return py, px


def _read_box(frame_rgb: np.ndarray, box: tuple[int, int, int, int], rotation_deg: int, mirrored: bool,
              aspect: float, size: tuple[int, int], rect: tuple[int, int, int, int] | None = None) -> Decoded | None:
    """Read a version 2 code from the observed box `box`; `aspect` is the box's width / height in clip pixels."""
    fh, fw = frame_rgb.shape[:2]
    x, y, w, h = box
    if w < 8 or h < 8 or x < 0 or y < 0 or x + w > fw or y + h > fh:
        return None
    py, px = _box_points(box, rotation_deg, mirrored, round(aspect * 1000))
    levels = _gather(frame_rgb, py, px).sum(axis=1, dtype=np.int32).reshape(-1, 9).mean(axis=1)
    black = float(levels[codebox.FIXED_BLACK].mean())
    white = float(levels[codebox.FIXED_WHITE].mean())
    span = white - black
    if span < MIN_CONTRAST_SUM:
        return None
    p = (levels - black) / span
    worst = float(np.abs(p - 0.5).min())
    if worst < AMBIGUITY_MARGIN:
        return None
    payload = codebox.payload_from_cells(p > 0.5)
    if payload is None:
        return None
    return Decoded(
        index=payload.index, rotation_deg=rotation_deg, mirrored=mirrored, confidence=min(1.0, 2.0 * worst),
        content_rect=rect if rect is not None else _content_from_box(box, size, rotation_deg, mirrored),
        code_rect=box, clip_frames=payload.frames, clip_fps=payload.fps,
    )  # fmt: skip


def decode_frames(
    frames: Iterable[tuple[float, np.ndarray]], *, spec: ClipSpec | None
) -> Iterator[tuple[float, Decoded | None]]:
    """Decode a stream of (t_ms, frame RGB), trying the last frame's orientation and code box first."""
    prefer: Prefer = None
    for t_ms, frame in frames:
        found = decode_index(frame, spec=spec, prefer=prefer)
        if found is not None:
            prefer = found
        yield t_ms, found


def to_clip_frame(frame_rgb: np.ndarray, decoded: Decoded, *, width: int, height: int) -> UInt8Array:
    """Undo what `decoded` found: crop the content rect, un-rotate, un-mirror and resize to width x height.

    Where the content rect reaches beyond the frame (an aspect-filled preview crops the clip), the missing part
    comes back black."""
    x, y, w, h = decoded.content_rect
    fh, fw = frame_rgb.shape[:2]
    if x < 0 or y < 0 or x + w > fw or y + h > fh:
        top, left = max(0, -y), max(0, -x)
        frame_rgb = cv2.copyMakeBorder(np.ascontiguousarray(frame_rgb), top, max(0, y + h - fh), left,
                                       max(0, x + w - fw), cv2.BORDER_CONSTANT, value=(0, 0, 0))
        x, y = x + left, y + top
    view = frame_rgb[y : y + h, x : x + w]
    # The observed picture is rot_cw(mirror(clip)); np.rot90 with k > 0 turns counter-clockwise.
    view = np.rot90(view, k=decoded.rotation_deg // 90)
    if decoded.mirrored:
        view = view[:, ::-1]
    view = np.ascontiguousarray(view)
    if view.shape[1] == width and view.shape[0] == height:
        return view
    shrink = view.shape[1] > width and view.shape[0] > height
    interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(view, (width, height), interpolation=interpolation), dtype=np.uint8)
