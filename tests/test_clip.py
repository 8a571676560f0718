"""The reference clip: deterministic frames, known face and patches, files Chromium's fake camera reads."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from harness import clipspec
from harness.capture import clip
from harness.capture.clip import (
    clip_info,
    ensure_clip,
    face_box,
    face_landmarks,
    patch_boxes,
    patch_colours,
    render_frame,
    skin_mask,
    write_video,
    write_y4m,
    y4m_size,
)
from harness.clipspec import CLIP_VERSION, ClipSpec
from harness.errors import ConfigError
from harness.metrics import codebox, indexcode

SPEC = ClipSpec()
SMALL = ClipSpec(width=240, height=320, fps=10, frames=4)


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / (aw * ah + bw * bh - inter)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 361}, r"clip size 361x640 is not allowed; width and height must be even and >= 240"),
        ({"width": 200}, r"clip size 200x640 is not allowed"),
        ({"height": 100}, r"clip size 360x100 is not allowed"),
        ({"fps": 0}, r"clip fps 0 is not allowed; allowed 1\.\.240"),
        ({"fps": 241}, r"clip fps 241 is not allowed"),
        ({"frames": 1}, r"clip frames 1 is not allowed; allowed 2\.\.65535"),
        ({"frames": 65536}, r"clip frames 65536 is not allowed"),
        ({"fps": 30.0}, r"clip fps must be an integer, got 30\.0"),
    ],
)
def test_spec_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ClipSpec(**kwargs)


def test_frames_are_deterministic_and_all_differ() -> None:
    a = render_frame(SPEC, 123)
    assert a.shape == (640, 360, 3)
    assert a.dtype == np.uint8
    assert np.array_equal(a, render_frame(SPEC, 123))
    ph = clip.photo_height(SPEC)
    previous = render_frame(SPEC, 0)
    for index in range(1, SPEC.frames, 7):
        frame = render_frame(SPEC, index)
        assert not np.array_equal(frame[:ph], previous[:ph]), f"photo of frame {index} did not move"
        previous = frame


def test_loop_is_seamless() -> None:
    # The last frame leads into frame 0 as smoothly as any other pair of neighbours (photo region).
    ph = clip.photo_height(SPEC)

    def step(i: int, j: int) -> float:
        return float(np.abs(render_frame(SPEC, i)[:ph].astype(int) - render_frame(SPEC, j)[:ph]).mean())

    assert step(SPEC.frames - 1, 0) <= 1.5 * step(0, 1)


def test_static_layers_are_built_once() -> None:
    # Per-frame work is the photo and the code band only; the rest is cached (timed in benchmarks/bench_frame_ops.py).
    clip._layers.cache_clear()
    for index in range(5):
        render_frame(SPEC, index)
    info = clip._layers.cache_info()
    assert (info.misses, info.hits) == (1, 4)


def test_version_1_code_band_is_reserved_and_carries_the_index() -> None:
    spec = ClipSpec(version=1)
    top = indexcode.band_top(spec.height, version=1)
    assert top == 560  # 0.875 * 640
    xs, ys = indexcode.cell_edges(spec.width, spec.height)
    for index in (0, 1, 150, 299):
        band = render_frame(spec, index)[top:]
        assert set(np.unique(band)) <= {0, 255}
        cells = indexcode.code_cells(index)
        for r in range(indexcode.GRID_ROWS):
            for c in range(indexcode.GRID_COLS):
                block = render_frame(spec, index)[ys[r] : ys[r + 1], xs[c] : xs[c + 1]]
                assert np.all(block == (255 if cells[r, c] else 0))


@pytest.mark.parametrize(("size", "band", "box"), [
    ((360, 640), (410, 538), (50, 420, 260, 108)),  # rows 0.64..0.84 of 640; box 0.14..0.86 of 360 wide
    ((640, 360), (198, 284), (90, 205, 460, 72)),  # landscape: rows 0.55..0.79 of 360
])
def test_version_2_code_band_is_reserved_and_carries_length_and_rate(
    size: tuple[int, int], band: tuple[int, int], box: tuple[int, int, int, int]
) -> None:
    spec = ClipSpec(width=size[0], height=size[1], fps=24, frames=1234)
    assert clip.band_top(spec) == band[0]
    assert codebox.band_rows(*size) == band
    assert codebox.box_rect(*size) == box
    xs, ys = codebox.grid_edges(*size)
    x, y, w, h = box
    ring = round(codebox.RING * h)
    for index in (0, 1, 617, 1233):
        frame = render_frame(spec, index)
        assert set(np.unique(frame[band[0] : band[1]])) <= {0, 255}
        assert np.all(frame[y : y + ring, x : x + w] == 255)  # the ring's top edge
        assert np.all(frame[band[0] : y] == 0)  # black above the box
        cells = codebox.code_cells(index, frames=1234, fps=24)
        for r in range(codebox.ROWS):
            for c in range(codebox.COLS):
                block = frame[ys[r] : ys[r + 1], xs[c] : xs[c + 1]]
                assert np.all(block == (255 if cells[r, c] else 0))
        assert codebox.payload_from_cells(cells) == codebox.Payload(index, 1234, 24)


def test_version_1_frames_are_the_old_pixels() -> None:
    # SHA-256 (first 12 hex digits) of frames 0, 17 and 89 as the version 1 harness drew them, before version 2.
    import hashlib

    for spec, digests in (
        (ClipSpec(version=1), ["70367a5d02b9", "1bc4d1143443", "f8e3e4c66b0b"]),
        (ClipSpec(width=640, height=360, frames=90, version=1), ["d79fee0b411a", "ad1cdef0ed2c", "9194c748e377"]),
    ):
        got = [hashlib.sha256(render_frame(spec, i).tobytes()).hexdigest()[:12] for i in (0, 17, 89)]
        assert got == digests


def test_patches_have_their_declared_colours() -> None:
    frame = render_frame(SPEC, 10)
    colours = patch_colours()
    boxes = patch_boxes(SPEC)
    assert len(boxes) == 17
    for name, (x, y, w, h) in boxes.items():
        assert w >= 20
        assert h >= 20
        assert np.all(frame[y : y + h, x : x + w] == colours[name]), name


def test_face_box_matches_opencv_face_detector() -> None:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")  # type: ignore[attr-defined]
    for index in (0, 75, 150, 225):
        grey = cv2.cvtColor(render_frame(SPEC, index), cv2.COLOR_RGB2GRAY)
        found = cascade.detectMultiScale(grey, scaleFactor=1.05, minNeighbors=5, minSize=(60, 60))
        assert len(found) >= 1
        boxes = [(int(x), int(y), int(w), int(h)) for x, y, w, h in found]
        best = max(_iou(box, face_box(SPEC, index)) for box in boxes)
        assert best > 0.75, f"frame {index}: face box {face_box(SPEC, index)} vs detected {boxes}"


def test_face_moves_and_landmarks_sit_inside_it() -> None:
    boxes = {face_box(SPEC, i) for i in range(0, SPEC.frames, 30)}
    assert len(boxes) > 5
    for index in (0, 100, 200):
        x, y, w, h = face_box(SPEC, index)
        marks = face_landmarks(SPEC, index)
        assert set(marks) == {"left_eye", "right_eye", "nose_tip", "mouth"}
        for mx, my in marks.values():
            assert x < mx < x + w
            assert y < my < y + h
        assert marks["left_eye"][0] < marks["right_eye"][0]
        assert marks["left_eye"][1] < marks["nose_tip"][1] < marks["mouth"][1]


def test_skin_mask_is_skin_inside_the_face() -> None:
    for index in (0, 150):
        mask = skin_mask(SPEC, index)
        assert mask.shape == (SPEC.height, SPEC.width)
        x, y, w, h = face_box(SPEC, index)
        inside = mask[y - h // 4 : y + h + h // 4, x : x + w].sum()
        assert mask.sum() > 0.3 * w * h
        assert inside / mask.sum() > 0.97
        pixels = render_frame(SPEC, index)[mask].astype(float)
        r, g, b = pixels.mean(axis=0)
        assert r > g > b  # skin: red above green above blue


def test_clip_info_round_trips_through_json() -> None:
    info = json.loads(json.dumps(clip_info(SPEC)))
    assert ClipSpec.from_info(info) == SPEC
    assert info["face"]["boxes"][17] == list(face_box(SPEC, 17))
    assert len(info["face"]["boxes"]) == SPEC.frames
    assert info["clip_version"] == CLIP_VERSION
    assert info["index_code"]["fixed_pattern"] == list(codebox.FIXED_PATTERN)
    assert info["layout"]["code_band"] == [0, 410, 360, 128]
    assert info["layout"]["code_box"] == [50, 420, 260, 108]
    old = json.loads(json.dumps(clip_info(ClipSpec(version=1))))
    assert old["clip_version"] == 1
    assert old["index_code"]["fixed_pattern"] == list(indexcode.FIXED_PATTERN)
    assert old["layout"]["code_band"] == [0, 560, 360, 80]
    assert ClipSpec.from_info(old) == ClipSpec(version=1)
    del old["clip_version"]  # files from before clip versions were written are version 1
    assert ClipSpec.from_info(old) == ClipSpec(version=1)
    info["clip_version"] = clipspec.CLIP_VERSION + 1
    with pytest.raises(ConfigError, match="clip info is for clip version"):
        ClipSpec.from_info(info)
    with pytest.raises(ConfigError, match="clip info lacks fps"):
        ClipSpec.from_info({"width": 360, "height": 640, "frames": 300})


def test_out_of_range_index_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"clip frame index 300 is out of range; allowed 0\.\.299"):
        render_frame(SPEC, 300)
    with pytest.raises(ConfigError, match="out of range"):
        face_box(SPEC, -1)


def _read_y4m(path: Path, spec: ClipSpec) -> tuple[bytes, list[np.ndarray]]:
    raw = path.read_bytes()
    header, _, body = raw.partition(b"\n")
    size = spec.width * spec.height * 3 // 2
    frames = []
    for k in range(spec.frames):
        chunk = body[k * (6 + size) : (k + 1) * (6 + size)]
        assert chunk[:6] == b"FRAME\n"
        frames.append(np.frombuffer(chunk[6:], np.uint8))
    return header, frames


def test_y4m_is_limited_range_bt601_i420(tmp_path: Path) -> None:
    path = write_y4m(SMALL, tmp_path / "clip.y4m")
    assert path.stat().st_size == y4m_size(SMALL)
    header, frames = _read_y4m(path, SMALL)
    assert header == b"YUV4MPEG2 W240 H320 F10:1 Ip A1:1 C420jpeg XCOLORRANGE=LIMITED"
    w, h = SMALL.width, SMALL.height
    boxes = patch_boxes(SMALL)
    luma = frames[2][: w * h].reshape(h, w)
    for name, expected_y in (("grey_0", 16), ("grey_7", 235), ("grey_1", 47)):
        # Limited range: Y = 16 + 219 * v / 255 (grey 36 -> 46.9).
        x, y, bw, bh = boxes[name]
        assert abs(int(luma[y + bh // 2, x + bw // 2]) - expected_y) <= 1, name
    # Back to RGB with the inverse (limited-range BT.601) conversion: the rendered frame, up to rounding.
    i420 = frames[2].reshape(h * 3 // 2, w)
    rgb = cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)
    assert np.abs(rgb.astype(int) - render_frame(SMALL, 2)).mean() < 2.0


def test_ensure_clip_writes_once_and_reuses(tmp_path: Path) -> None:
    first = ensure_clip(SMALL, tmp_path)
    assert first.name.startswith("refclip-v")
    assert "240x320-10fps-4f" in first.name
    stamp = first.stat().st_mtime_ns
    again = ensure_clip(SMALL, tmp_path)
    assert again == first
    assert again.stat().st_mtime_ns == stamp
    other = ensure_clip(ClipSpec(width=240, height=320, fps=10, frames=5), tmp_path)
    assert other != first
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, other.name])


def test_write_video_refuses_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"extension '\.avi' not allowed; allowed \.y4m, \.mp4, \.mkv, \.webm"):
        write_video(SMALL, tmp_path / "clip.avi")


def test_clip_limits_match_the_index_code_widths() -> None:
    """The clip's description keeps its own limits (it imports nothing from metrics/); they are the code's widths."""
    assert clipspec.MAX_FRAMES == indexcode.MAX_INDEX
    assert clipspec.MAX_FPS_V2 == (1 << codebox.FPS_BITS) - 1
