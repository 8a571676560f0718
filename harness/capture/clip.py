"""The deterministic reference camera clip: a moving portrait photo, colour patches, a motion indicator and a
per-frame index code, rendered frame by frame and written as Y4M (Chromium's fake camera) or MP4/WebM (farms).

Every frame is a pure function of (ClipSpec, index), and where the face and patches are is known exactly.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from skimage import data as skdata

from harness.clipspec import ClipSpec
from harness.errors import ConfigError, InfrastructureError
from harness.metrics import codebox, indexcode

UInt8Array = npt.NDArray[np.uint8]
BoolArray = npt.NDArray[np.bool_]
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class _Layout:
    """Vertical layout as fractions of the clip height (rows [top, bottom)); the code band follows the strip."""

    photo_bottom: float
    patch_row_a: tuple[float, float]
    patch_row_b: tuple[float, float]
    motion_strip: tuple[float, float]


LAYOUT_V1 = _Layout(0.70, (0.70, 0.75), (0.75, 0.80), (0.80, indexcode.BAND_TOP_FRACTION))
LAYOUT_V2_PORTRAIT = _Layout(0.50, (0.50, 0.55), (0.55, 0.60), (0.60, codebox.BAND_PORTRAIT[0]))
LAYOUT_V2_LANDSCAPE = _Layout(0.37, (0.37, 0.43), (0.43, 0.49), (0.49, codebox.BAND_LANDSCAPE[0]))
# Version 1 names, kept for readers of the old layout.
PHOTO_BOTTOM = LAYOUT_V1.photo_bottom
PATCH_ROW_A = LAYOUT_V1.patch_row_a
PATCH_ROW_B = LAYOUT_V1.patch_row_b
MOTION_STRIP = LAYOUT_V1.motion_strip
STRIP_GREY = 40
TRACK_FRACTION = 0.75  # the moving square runs in the left 75% of the strip; the index is printed on the right

SOURCE_SIZE = 512  # skimage.data.astronaut() is 512x512 RGB
# Face of skimage.data.astronaut(): cv2's haarcascade_frontalface_default.xml with detectMultiScale defaults
# (scaleFactor 1.1, minNeighbors 3) on the grey photo gives exactly one box, (177, 66, 95, 95) (OpenCV 4.12).
SOURCE_FACE_BOX = (177, 66, 95, 95)
# Landmarks (pixel centres in the source photo): eye centres are the centres of haarcascade_eye.xml boxes
# found inside the face region ((187, 85, 30, 30) and (233, 89, 28, 28)); the mouth is the centre of the
# haarcascade_smile.xml box (196, 130, 55, 27); the nose tip was read off a 4x enlargement.
# "left" means image left.
SOURCE_LANDMARKS: dict[str, tuple[float, float]] = {
    "left_eye": (202.0, 100.0),
    "right_eye": (247.0, 103.0),
    "nose_tip": (222.5, 122.5),
    "mouth": (223.5, 143.5),
}
_SOURCE_EYE_BOXES = ((187, 85, 30, 30), (233, 89, 28, 28))
_SOURCE_MOUTH_BOX = (196, 130, 55, 27)
# Face ellipse for the skin mask: centre and semi-axes (source pixels), from the same enlargement.
_SOURCE_FACE_ELLIPSE = ((225, 122), (46, 58))

# Photo motion, one full cycle per loop so the clip loops seamlessly; theta = 2*pi*index/frames:
# zoom = ZOOM_BASE + ZOOM_AMPLITUDE*sin(theta);
# centre = (FOCUS_X + PAN_X*cos(theta), FOCUS_Y + PAN_Y*sin(2*theta)).
# The zoom is relative to the smallest scale at which the photo fills the photo area.
ZOOM_BASE = 1.25
ZOOM_AMPLITUDE = 0.04
FOCUS_X = 225.0
FOCUS_Y = 220.0
PAN_X = 12.0
PAN_Y = 6.0
# Version 3 adds a fast pan, so that a tracker's lag shows: the photo also circles once a second (an integer number
# of turns per loop, round(frames / fps)), FAST_PAN_X / FAST_PAN_Y source pixels wide, around a focus moved so
# that the circle stays inside the photo and the face sits lower (room above it for a hat or a crown), at a closer
# zoom: centre = (FOCUS_X_V3 + PAN_X*cos(theta) + FAST_PAN_X*sin(phi), FOCUS_Y_V3 + PAN_Y*sin(2*theta) +
# FAST_PAN_Y*cos(phi)), phi = 2*pi*turns*index/frames, zoom = ZOOM_BASE_V3 + ZOOM_AMPLITUDE*sin(theta). On the
# default 360x640 clip the face moves 3-6 px per frame (30 fps) and changes direction continuously, so a 100 ms lag
# puts a tracked sticker 9-18 px behind the face.
ZOOM_BASE_V3 = 1.5
FOCUS_X_V3 = 256.0
FOCUS_Y_V3 = 176.0
FAST_PAN_X = 24.0
FAST_PAN_Y = 12.0

# Colour patches (sRGB). Skin tones: ColorChecker "dark skin" and "light skin" (X-Rite sRGB values) and a
# pale tone.
PATCHES_A: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("red", (255, 0, 0)),
    ("green", (0, 255, 0)),
    ("blue", (0, 0, 255)),
    ("cyan", (0, 255, 255)),
    ("magenta", (255, 0, 255)),
    ("yellow", (255, 255, 0)),
    ("skin_pale", (241, 200, 176)),
    ("skin_light", (194, 150, 130)),
    ("skin_dark", (115, 82, 68)),
)
GREY_STEPS = 8
PATCHES_B: tuple[tuple[str, tuple[int, int, int]], ...] = tuple(
    (f"grey_{k}", (round(k * 255 / (GREY_STEPS - 1)),) * 3) for k in range(GREY_STEPS)
)


def _rows(spec: ClipSpec, span: tuple[float, float]) -> tuple[int, int]:
    return round(span[0] * spec.height), round(span[1] * spec.height)


def _layout(spec: ClipSpec) -> _Layout:
    if spec.version == 1:
        return LAYOUT_V1
    return LAYOUT_V2_PORTRAIT if spec.height >= spec.width else LAYOUT_V2_LANDSCAPE


def band_top(spec: ClipSpec) -> int:
    """First clip row of the code band: every row from here down is code or padding, never picture."""
    return indexcode.band_top(spec.height, spec.width, version=spec.version)


def photo_height(spec: ClipSpec) -> int:
    return round(_layout(spec).photo_bottom * spec.height)


def layout(spec: ClipSpec) -> dict[str, Box]:
    """Boxes (x, y, w, h) of the clip's regions: photo, patch rows, motion strip and the code band; version 2 adds
    the code box (ring included) inside the band and the footer below it (a grey ramp, padding that a phone's
    camera controls may cover)."""
    w = spec.width
    lay = _layout(spec)
    a0, a1 = _rows(spec, lay.patch_row_a)
    b0, b1 = _rows(spec, lay.patch_row_b)
    s0, s1 = _rows(spec, lay.motion_strip)
    top = band_top(spec)
    boxes = {
        "photo": (0, 0, w, photo_height(spec)),
        "patches_a": (0, a0, w, a1 - a0),
        "patches_b": (0, b0, w, b1 - b0),
        "motion_strip": (0, s0, w, s1 - s0),
        "code_band": (0, top, w, spec.height - top),
    }
    if spec.version != 1:
        bottom = codebox.band_rows(spec.width, spec.height)[1]
        boxes["code_band"] = (0, top, w, bottom - top)
        boxes["code_box"] = codebox.box_rect(spec.width, spec.height)
        boxes["footer"] = (0, bottom, w, spec.height - bottom)
    return boxes


def patch_boxes(spec: ClipSpec) -> dict[str, Box]:
    """Box (x, y, w, h) of every colour patch; colours in PATCHES_A / PATCHES_B (clip_info has both)."""
    boxes: dict[str, Box] = {}
    lay = _layout(spec)
    for row_span, patches in ((lay.patch_row_a, PATCHES_A), (lay.patch_row_b, PATCHES_B)):
        y0, y1 = _rows(spec, row_span)
        n = len(patches)
        for k, (name, _) in enumerate(patches):
            x0, x1 = round(k * spec.width / n), round((k + 1) * spec.width / n)
            boxes[name] = (x0, y0, x1 - x0, y1 - y0)
    return boxes


def patch_colours() -> dict[str, tuple[int, int, int]]:
    return dict(PATCHES_A + PATCHES_B)


@lru_cache(maxsize=1)
def _source_photo() -> UInt8Array:
    photo: UInt8Array = np.ascontiguousarray(skdata.astronaut())
    return photo


@dataclass(frozen=True)
class _Motion:
    scale: float  # source pixels -> clip pixels
    cx: float  # source point (continuous coordinates) drawn at the photo area's centre
    cy: float


def _base_scale(spec: ClipSpec) -> float:
    return max(spec.width, photo_height(spec)) / SOURCE_SIZE


def fast_pan_turns(spec: ClipSpec) -> int:
    """Turns of the version 3 fast pan per loop: one a second, at least one."""
    return max(1, round(spec.frames / spec.fps))


def _motion(spec: ClipSpec, index: float) -> _Motion:
    """The photo's zoom and centre at frame `index`; a fractional index gives the continuous path between frames."""
    theta = 2.0 * math.pi * index / spec.frames
    fast = spec.version >= 3
    zoom = (ZOOM_BASE_V3 if fast else ZOOM_BASE) + ZOOM_AMPLITUDE * math.sin(theta)
    scale = _base_scale(spec) * zoom
    half_w, half_h = spec.width / 2 / scale, photo_height(spec) / 2 / scale
    cx = (FOCUS_X_V3 if fast else FOCUS_X) + PAN_X * math.cos(theta)
    cy = (FOCUS_Y_V3 if fast else FOCUS_Y) + PAN_Y * math.sin(2.0 * theta)
    if fast:
        phi = theta * fast_pan_turns(spec)
        cx += FAST_PAN_X * math.sin(phi)
        cy += FAST_PAN_Y * math.cos(phi)
    # Keep the visible window inside the photo (only bites for unusual aspect ratios).
    cx = min(max(cx, half_w), SOURCE_SIZE - half_w) if half_w <= SOURCE_SIZE / 2 else SOURCE_SIZE / 2
    cy = min(max(cy, half_h), SOURCE_SIZE - half_h) if half_h <= SOURCE_SIZE / 2 else SOURCE_SIZE / 2
    return _Motion(scale=scale, cx=cx, cy=cy)


def _source_to_clip(spec: ClipSpec, m: _Motion, x: float, y: float) -> tuple[float, float]:
    """Continuous source coordinates -> continuous clip coordinates (pixel i spans [i, i+1))."""
    return m.scale * (x - m.cx) + spec.width / 2, m.scale * (y - m.cy) + photo_height(spec) / 2


def _warp_matrix(spec: ClipSpec, m: _Motion, pre_scale: float) -> np.ndarray:
    """cv2.warpAffine matrix (pixel-centre convention) from a source image pre-scaled by `pre_scale`."""
    zoom = m.scale / pre_scale
    tx = zoom * 0.5 - m.scale * m.cx + spec.width / 2 - 0.5
    ty = zoom * 0.5 - m.scale * m.cy + photo_height(spec) / 2 - 0.5
    return np.array([[zoom, 0.0, tx], [0.0, zoom, ty]], dtype=np.float64)


@dataclass(frozen=True)
class _Layers:
    base: UInt8Array  # patches, strip background; photo and band are drawn per frame
    photo: UInt8Array  # source photo pre-scaled to the clip's base scale
    pre_scale: float
    band_rows: npt.NDArray[np.intp]  # cell row of every pixel row of the code grid
    band_cols: npt.NDArray[np.intp]  # cell column of every pixel column of the code grid
    code_origin: tuple[int, int]  # (row, column) of the grid's top-left pixel
    skin_source: UInt8Array  # 0/1 skin mask in source pixels


@lru_cache(maxsize=8)
def _layers(spec: ClipSpec) -> _Layers:
    base = np.full((spec.height, spec.width, 3), STRIP_GREY, dtype=np.uint8)
    colours = patch_colours()
    for name, (x, y, w, h) in patch_boxes(spec).items():
        base[y : y + h, x : x + w] = colours[name]
    size = round(SOURCE_SIZE * _base_scale(spec))
    pre_scale = size / SOURCE_SIZE
    interp = cv2.INTER_AREA if size < SOURCE_SIZE else cv2.INTER_CUBIC
    photo = np.asarray(cv2.resize(_source_photo(), (size, size), interpolation=interp), dtype=np.uint8)
    if spec.version == 1:
        xs, ys = indexcode.cell_edges(spec.width, spec.height)
    else:
        xs, ys = codebox.grid_edges(spec.width, spec.height)
        codebox.draw_band(base, np.zeros((codebox.ROWS, codebox.COLS), dtype=bool))
        bottom = codebox.band_rows(spec.width, spec.height)[1]
        base[bottom:] = np.linspace(0, 255, spec.width).round().astype(np.uint8)[None, :, None]  # footer ramp
    band_rows = np.searchsorted(np.array(ys[1:]), np.arange(ys[0], ys[-1]), side="right").astype(np.intp)
    band_cols = np.searchsorted(np.array(xs[1:]), np.arange(xs[0], xs[-1]), side="right").astype(np.intp)
    return _Layers(base, photo, pre_scale, band_rows, band_cols, (ys[0], xs[0]), _source_skin_mask())


def code_cells(spec: ClipSpec, index: int) -> npt.NDArray[np.bool_]:
    """The cell colours (True = white) frame `index` of the clip carries, in its version's code."""
    if spec.version == 1:
        return indexcode.code_cells(index)
    return codebox.code_cells(index, frames=spec.frames, fps=spec.fps)


def _source_skin_mask() -> UInt8Array:
    """Skin in the source photo: inside the face ellipse, skin-coloured in YCrCb, minus eyes and mouth."""
    photo = _source_photo()
    ycrcb = cv2.cvtColor(photo, cv2.COLOR_RGB2YCrCb)
    skin = cv2.inRange(ycrcb, np.array([60, 135, 85], np.uint8), np.array([255, 180, 135], np.uint8))
    ellipse = np.zeros(photo.shape[:2], dtype=np.uint8)
    cv2.ellipse(ellipse, _SOURCE_FACE_ELLIPSE[0], _SOURCE_FACE_ELLIPSE[1], 0, 0, 360, 255, thickness=-1)
    mask = ((skin > 0) & (ellipse > 0)).astype(np.uint8)
    for x, y, w, h in (*_SOURCE_EYE_BOXES, _SOURCE_MOUTH_BOX):
        mask[y : y + h, x : x + w] = 0
    return mask


def _check_index(spec: ClipSpec, index: int) -> None:
    if not 0 <= index < spec.frames:
        raise ConfigError(f"clip frame index {index} is out of range; allowed 0..{spec.frames - 1}", key_path="index")


def render_frame(spec: ClipSpec, index: int) -> UInt8Array:
    """Frame `index` of the clip: an HxWx3 uint8 RGB array, a pure function of (spec, index)."""
    _check_index(spec, index)
    layers = _layers(spec)
    frame = layers.base.copy()
    ph = photo_height(spec)
    m = _motion(spec, index)
    frame[:ph] = cv2.warpAffine(
        layers.photo,
        _warp_matrix(spec, m, layers.pre_scale),
        (spec.width, ph),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REFLECT101,
    )
    _draw_motion_strip(frame, spec, index)
    band = code_cells(spec, index)[layers.band_rows[:, None], layers.band_cols[None, :]]
    y0, x0 = layers.code_origin
    frame[y0 : y0 + band.shape[0], x0 : x0 + band.shape[1]] = (band * np.uint8(255))[..., None]
    return frame


def motion_box(spec: ClipSpec, index: int) -> Box:
    """Box of the moving white square in the motion strip: a triangle wave, out and back once a second."""
    s0, s1 = _rows(spec, _layout(spec).motion_strip)
    size = max(2, round(0.6 * (s1 - s0)))
    track = round(TRACK_FRACTION * spec.width)
    margin = (s1 - s0 - size) // 2
    cycles = max(1, round(spec.frames / spec.fps))
    phase = (index * cycles / spec.frames) % 1.0
    tri = 1.0 - abs(2.0 * phase - 1.0)
    x = margin + round(tri * (track - 2 * margin - size))
    return (x, s0 + margin, size, size)


def _draw_motion_strip(frame: UInt8Array, spec: ClipSpec, index: int) -> None:
    x, y, w, h = motion_box(spec, index)
    frame[y : y + h, x : x + w] = 255
    s0, s1 = _rows(spec, _layout(spec).motion_strip)
    text_x0 = round(TRACK_FRACTION * spec.width)
    scale, thickness = _text_scale(spec.width - text_x0, s1 - s0)
    cv2.putText(
        frame, f"{index:05d}", (text_x0 + 2, round(s0 + 0.7 * (s1 - s0))), cv2.FONT_HERSHEY_SIMPLEX, scale,
        (255, 255, 255), thickness, cv2.LINE_AA,
    )  # fmt: skip


@lru_cache(maxsize=8)
def _text_scale(box_w: int, box_h: int) -> tuple[float, int]:
    """Font scale and thickness at which five digits fill at most 90% of the box width, 50% of its height."""
    (text_w, text_h), _ = cv2.getTextSize("00000", cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1)
    scale = min(0.9 * box_w / text_w, 0.5 * box_h / text_h)
    return scale, max(1, round(scale * 1.5))


def face_box(spec: ClipSpec, index: int) -> Box:
    """(x, y, w, h) of the face in frame `index`: SOURCE_FACE_BOX carried through the frame's pan and zoom."""
    _check_index(spec, index)
    m = _motion(spec, index)
    fx, fy, fw, fh = SOURCE_FACE_BOX
    x0, y0 = _source_to_clip(spec, m, fx, fy)
    x1, y1 = _source_to_clip(spec, m, fx + fw, fy + fh)
    ph = photo_height(spec)
    xa, ya = min(max(round(x0), 0), spec.width), min(max(round(y0), 0), ph)
    xb, yb = min(max(round(x1), 0), spec.width), min(max(round(y1), 0), ph)
    return (xa, ya, xb - xa, yb - ya)


@dataclass(frozen=True)
class FacePath:
    """Where the face is at (fractional) clip frame indices: centre and size (sqrt(w * h) of the face box) in clip
    pixels, unrounded and unclipped, so that a tracker's path can be compared between frames (lag)."""

    cx: npt.NDArray[np.float64]
    cy: npt.NDArray[np.float64]
    size: npt.NDArray[np.float64]


def face_path(spec: ClipSpec, indices: npt.ArrayLike) -> FacePath:
    """The face's centre and size at each of `indices` (floats allowed, taken modulo the clip's length: the clip
    loops): SOURCE_FACE_BOX carried through the continuous pan and zoom."""
    fx, fy, fw, fh = SOURCE_FACE_BOX
    points = np.asarray(indices, dtype=np.float64).reshape(-1) % spec.frames
    cx = np.empty_like(points)
    cy = np.empty_like(points)
    size = np.empty_like(points)
    for k, index in enumerate(points):
        m = _motion(spec, float(index))
        cx[k], cy[k] = _source_to_clip(spec, m, fx + fw / 2.0, fy + fh / 2.0)
        size[k] = m.scale * math.sqrt(fw * fh)
    return FacePath(cx, cy, size)


def face_landmarks(spec: ClipSpec, index: int) -> dict[str, tuple[float, float]]:
    """Eye, nose-tip and mouth centres in frame `index` (clip pixels; pixel centres at integers)."""
    _check_index(spec, index)
    m = _motion(spec, index)
    out: dict[str, tuple[float, float]] = {}
    for name, (x, y) in SOURCE_LANDMARKS.items():
        cx, cy = _source_to_clip(spec, m, x + 0.5, y + 0.5)
        out[name] = (round(cx - 0.5, 2), round(cy - 0.5, 2))
    return out


def skin_mask(spec: ClipSpec, index: int) -> BoolArray:
    """HxW bool mask of facial skin in frame `index` (face ellipse, skin-coloured, minus eyes and mouth)."""
    _check_index(spec, index)
    layers = _layers(spec)
    m = _motion(spec, index)
    ph = photo_height(spec)
    warped = cv2.warpAffine(
        layers.skin_source, _warp_matrix(spec, m, 1.0), (spec.width, ph), flags=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_CONSTANT, borderValue=0,
    )  # fmt: skip
    mask = np.zeros((spec.height, spec.width), dtype=bool)
    mask[:ph] = warped > 0
    return mask


def iter_frames(spec: ClipSpec) -> Iterator[UInt8Array]:
    """Every frame of the clip in order, rendered one at a time."""
    for index in range(spec.frames):
        yield render_frame(spec, index)


def y4m_header(spec: ClipSpec) -> bytes:
    size = f"W{spec.width} H{spec.height} F{spec.fps}:1"
    return f"YUV4MPEG2 {size} Ip A1:1 C420jpeg XCOLORRANGE=LIMITED\n".encode()


# BT.601 limited range ("studio swing"): Y = 16 + 219*Y', Cb/Cr = 128 + 224*(B'-Y')/1.772, 224*(R'-Y')/1.402.
_CHROMA_FROM_RGB = np.array(
    [
        [-0.299 / 1.772, -0.587 / 1.772, 0.886 / 1.772],  # Cb
        [0.701 / 1.402, -0.587 / 1.402, -0.114 / 1.402],  # Cr
    ],
    dtype=np.float32,
) * np.float32(224.0 / 255.0)


def rgb_to_i420(frame: UInt8Array) -> bytes:
    """I420 planes (Y, Cb, Cr) of an RGB frame in limited-range BT.601; chroma = mean of each 2x2 block.

    Chromium's fake camera and FFmpeg both read Y4M samples as limited range whatever the 'C420jpeg' tag says
    (measured: a full-range file came back with grey 36 -> 23 and 219 -> 236), so this is what reproduces the
    rendered colours; the XCOLORRANGE=LIMITED header tag says so explicitly to readers that look.
    """
    h, w = frame.shape[:2]
    luma = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)[:h]  # OpenCV's I420 luma is BT.601 limited range
    small = cv2.resize(frame, (w // 2, h // 2), interpolation=cv2.INTER_AREA).astype(np.float32)
    chroma = np.clip(np.rint(small @ _CHROMA_FROM_RGB.T + 128.0), 0, 255).astype(np.uint8)
    return b"".join((luma.tobytes(), np.ascontiguousarray(chroma[..., 0]).tobytes(), chroma[..., 1].copy().tobytes()))


def y4m_size(spec: ClipSpec) -> int:
    """Exact size in bytes of the clip's Y4M file."""
    return len(y4m_header(spec)) + spec.frames * (6 + spec.width * spec.height * 3 // 2)


def write_y4m(spec: ClipSpec, path: Path) -> Path:
    """Write the clip as Y4M (I420, limited-range BT.601: what Chromium's fake camera expects), streaming."""
    path = Path(path)
    with path.open("wb") as out:
        out.write(y4m_header(spec))
        for frame in iter_frames(spec):
            out.write(b"FRAME\n")
            out.write(rgb_to_i420(frame))
    return path


_ENCODERS: dict[str, list[str]] = {
    ".mp4": [
        "-c:v",
        "libx264",
        "-preset",
        "medium",
        "-crf",
        "18",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
    ],
    ".mkv": ["-c:v", "libx264", "-preset", "medium", "-crf", "18", "-pix_fmt", "yuv420p"],
    ".webm": ["-c:v", "libvpx", "-b:v", "2M", "-deadline", "good", "-cpu-used", "4", "-pix_fmt", "yuv420p"],
}


def _encoder(suffix: str, bitrate_kbps: int | None) -> list[str]:
    args = list(_ENCODERS[suffix])
    if bitrate_kbps is not None and "-crf" in args:
        at = args.index("-crf")
        rate = f"{bitrate_kbps}k"
        args[at : at + 2] = ["-b:v", rate, "-maxrate", rate, "-bufsize", f"{2 * bitrate_kbps}k"]
    return args


def write_video(spec: ClipSpec, path: Path, *, bitrate_kbps: int | None = None) -> Path:
    """Write the clip by extension: .y4m (lossless fake-camera input), .mp4/.mkv (H.264), .webm (VP8).
    `bitrate_kbps` replaces H.264's constant quality (CRF 18) by that average bitrate (to fit a size limit)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".y4m":
        return write_y4m(spec, path)
    if suffix not in _ENCODERS:
        allowed = ", ".join([".y4m", *_ENCODERS])
        raise ConfigError(f"cannot write clip video {path.name}: extension {suffix!r} not allowed; allowed {allowed}")
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise InfrastructureError("ffmpeg is not on PATH; it is needed to write the clip as " + suffix)
    cmd = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{spec.width}x{spec.height}", "-r", str(spec.fps),
        "-i", "-",
        *_encoder(suffix, bitrate_kbps), "-g", str(spec.fps), "-r", str(spec.fps),
        "-colorspace", "smpte170m", "-color_primaries", "smpte170m", "-color_trc", "smpte170m",
        "-color_range", "tv", str(path),
    ]  # fmt: skip
    with subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdin is not None
        assert proc.stderr is not None
        try:
            for frame in iter_frames(spec):
                proc.stdin.write(frame.tobytes())
        except BrokenPipeError:
            pass  # ffmpeg stopped reading: its exit status and stderr below say why
        finally:
            proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace")
        code = proc.wait()
    if code != 0:
        raise InfrastructureError(f"ffmpeg failed ({code}) writing {path}: {err.strip()[-500:]}")
    return path


def spec_hash(spec: ClipSpec) -> str:
    fields = asdict(spec)
    payload = json.dumps({"clip_version": fields.pop("version"), **fields}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def ensure_clip(spec: ClipSpec, cache_dir: Path) -> Path:
    """The clip's Y4M in `cache_dir`, written once (atomically: safe with concurrent callers), then reused."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    size = f"{spec.width}x{spec.height}-{spec.fps}fps-{spec.frames}f"
    name = f"refclip-v{spec.version}-{size}-{spec_hash(spec)}.y4m"
    path = cache_dir / name
    if path.is_file() and path.stat().st_size == y4m_size(spec):
        return path
    tmp = cache_dir / f".{name}.{os.getpid()}.tmp"
    try:
        write_y4m(spec, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def clip_info(spec: ClipSpec) -> dict[str, Any]:
    """JSON-able description of the clip: sizes, layout, index-code layout, patches, motion and face boxes."""
    colours = patch_colours()
    fast = spec.version >= 3  # the fast pan (_motion)
    code_v1 = {
        "band_top_fraction": indexcode.BAND_TOP_FRACTION,
        "grid_rows": indexcode.GRID_ROWS,
        "grid_cols": indexcode.GRID_COLS,
        "fixed_pattern": list(indexcode.FIXED_PATTERN),
        "index_bits": indexcode.INDEX_BITS,
        "crc": "CRC-16/CCITT-FALSE of the index as 2 big-endian bytes",
        "whitening_mask": f"0x{indexcode.WHITENING_MASK:08X}",
    }
    code_v2 = {
        "band_rows": list(codebox.band_rows(spec.width, spec.height)),
        "box": list(codebox.box_rect(spec.width, spec.height)),
        "ring_fraction": codebox.RING,
        "inset_fraction": codebox.INSET,
        "grid_rows": codebox.ROWS,
        "grid_cols": codebox.COLS,
        "fixed_pattern": list(codebox.FIXED_PATTERN),
        "payload": "index (16 bits), frames (16), fps (8), CRC-16/CCITT-FALSE of those 5 big-endian bytes (16)",
        "whitening_mask": f"0x{codebox.WHITENING_MASK:014X}",
    }
    return {
        "clip_version": spec.version,
        "width": spec.width,
        "height": spec.height,
        "fps": spec.fps,
        "frames": spec.frames,
        "duration_s": spec.duration_s,
        "layout": {k: list(v) for k, v in layout(spec).items()},
        "index_code": code_v1 if spec.version == 1 else code_v2,
        "patches": {name: {"box": list(box), "rgb": list(colours[name])} for name, box in patch_boxes(spec).items()},
        "motion": {
            "photo": "theta=2*pi*index/frames; zoom=zoom_base+zoom_amplitude*sin(theta); "
            "centre=(focus_x+pan_x*cos(theta), focus_y+pan_y*sin(2*theta)) in source pixels"
            + ("; plus (fast_pan_x*sin(phi), fast_pan_y*cos(phi)), phi=theta*fast_pan_turns"
               if fast else ""),
            "zoom_base": ZOOM_BASE_V3 if fast else ZOOM_BASE,
            "zoom_amplitude": ZOOM_AMPLITUDE,
            "focus_x": FOCUS_X_V3 if fast else FOCUS_X,
            "focus_y": FOCUS_Y_V3 if fast else FOCUS_Y,
            "pan_x": PAN_X,
            "pan_y": PAN_Y,
            **({"fast_pan_x": FAST_PAN_X, "fast_pan_y": FAST_PAN_Y, "fast_pan_turns": fast_pan_turns(spec)}
               if fast else {}),
            "indicator": "white square, triangle wave over the strip's left 75%, round(frames/fps) sweeps",
        },
        "face": {
            "source": "skimage.data.astronaut()",
            "source_box": list(SOURCE_FACE_BOX),
            "boxes": [list(face_box(spec, i)) for i in range(spec.frames)],
        },
    }
