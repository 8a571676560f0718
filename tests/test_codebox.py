"""The version 2 index code: its payload round-trips, wrong readings never validate, and its box is found and
read inside busy phone-like frames (cropped, scaled, under UI, rotated, mirrored) but never invented."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from harness.capture.clip import render_frame
from harness.capture.phonescreen import controls_rgb, status_bar_rgb
from harness.clipspec import ClipSpec
from harness.metrics import codebox
from harness.metrics.indexcode import decode_index, to_clip_frame

SPEC = ClipSpec()


def test_payload_round_trips_index_length_and_rate() -> None:
    rng = np.random.default_rng(1)
    for _ in range(3000):
        frames = int(rng.integers(2, 65536))
        index, fps = int(rng.integers(0, frames)), int(rng.integers(1, 256))
        cells = codebox.code_cells(index, frames=frames, fps=fps)
        assert codebox.payload_from_cells(cells) == codebox.Payload(index, frames, fps)


def test_wrong_orientations_and_single_cell_errors_never_validate() -> None:
    rng = np.random.default_rng(2)
    for _ in range(300):
        frames = int(rng.integers(2, 65536))
        cells = codebox.code_cells(int(rng.integers(0, frames)), frames=frames, fps=30)
        for flipped in (cells[:, ::-1], cells[::-1, :], cells[::-1, ::-1]):
            assert codebox.payload_from_cells(flipped) is None
            assert int((flipped != cells).reshape(-1)[codebox.FIXED_FLAT].sum()) >= 8  # fixed cells alone say so
        r, c = int(rng.integers(0, codebox.ROWS)), int(rng.integers(0, codebox.COLS))
        bad = cells.copy()
        bad[r, c] = ~bad[r, c]
        assert codebox.payload_from_cells(bad) is None


def test_random_grids_in_the_box_give_none_or_their_own_reading() -> None:
    # Random cells, half with the fixed cells forced right: only the CRC-16 is left to reject those.
    rng = np.random.default_rng(5)
    frame = render_frame(SPEC, 0)
    for k in range(1000):
        cells = rng.integers(0, 2, (codebox.ROWS, codebox.COLS)).astype(bool)
        if k % 2:
            cells.reshape(-1)[codebox.FIXED_FLAT] = codebox.FIXED_VALUES
        codebox.draw_band(frame, cells)
        found = decode_index(frame, spec=None)
        assert found is None or codebox.payload_from_cells(cells) is not None


def test_covered_or_smeared_box_gives_none() -> None:
    frame = render_frame(SPEC, 42)
    x, y, w, h = codebox.box_rect(SPEC.width, SPEC.height)
    half = frame.copy()
    half[y + h // 2 :] = (30, 30, 30)  # camera controls over the lower half of the box
    assert decode_index(half, spec=None) is None
    smeared = frame.copy()
    smeared[y : y + h, x : x + w] = cv2.GaussianBlur(frame[y : y + h, x : x + w], (0, 0), 12)
    assert decode_index(smeared, spec=None) is None


def _screen(picture: np.ndarray, screen: tuple[int, int], *, fill: bool, seed: int, controls: float = 0.15
            ) -> np.ndarray:
    """The picture centred in a noisy screen (aspect fill or fit), a status bar and controls drawn over it."""
    sw, sh = screen
    ph, pw = picture.shape[:2]
    k = (max if fill else min)(sw / pw, sh / ph)
    w, h = round(pw * k), round(ph * k)
    scaled = cv2.resize(picture, (w, h), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    out = np.random.default_rng(seed).integers(0, 256, (sh, sw, 3), dtype=np.uint8)
    x, y = (sw - w) // 2, (sh - h) // 2
    x0, y0 = max(0, x), max(0, y)
    out[y0 : y0 + min(h, sh), x0 : x0 + min(w, sw)] = scaled[y0 - y : y0 - y + min(h, sh), x0 - x : x0 - x + min(w, sw)]
    bar, ctl = round(0.06 * sh), round(controls * sh)
    out[:bar] = status_bar_rgb(sw, bar)
    out[sh - ctl :] = controls_rgb(sw, ctl)
    return out


@pytest.mark.parametrize(
    ("spec", "screen", "fill", "turn"),
    [
        (SPEC, (1080, 2400), True, None),  # sides cropped 10 % each
        (SPEC, (1000, 2400), True, None),  # sides cropped 12.5 % each: the limit the box is placed for
        (SPEC, (360, 800), False, None),  # letterboxed in noise
        (SPEC, (200, 420), True, None),  # shown smaller than drawn
        (ClipSpec(width=640, height=360), (2400, 1080), True, None),  # top and bottom cropped 10 %
        (ClipSpec(width=640, height=360), (1280, 720), False, None),
        # A front camera's portrait picture turned onto a landscape screen: the screen's top and bottom now lie
        # over the clip's sides, so the controls are kept to 8 % (15 % would cover the box's end: 14 % in).
        (SPEC, (1600, 720), False, "mirror_rot90"),
    ],
)
def test_box_is_found_in_a_busy_phone_screen(spec: ClipSpec, screen: tuple[int, int], fill: bool,
                                             turn: str | None) -> None:
    for index in (0, 7, 150, 299):
        picture = render_frame(spec, index)
        if turn == "mirror_rot90":
            picture = np.ascontiguousarray(np.rot90(picture[:, ::-1], k=-1))
        frame = _screen(picture, screen, fill=fill, seed=index, controls=0.08 if turn else 0.15)
        found = decode_index(frame, spec=spec)
        assert found is not None, f"index {index} not found"
        assert (found.index, found.clip_frames, found.clip_fps) == (index, spec.frames, spec.fps)
        assert (found.rotation_deg, found.mirrored) == ((90, True) if turn else (0, False))
        if turn is None:
            # The clip's place comes back from the box alone: undoing it gives the clip frame back.
            restored = to_clip_frame(frame, found, width=spec.width, height=spec.height)
            x, y, w, h = codebox.box_rect(spec.width, spec.height)
            diff = np.abs(restored[y : y + h, x : x + w].astype(int) - picture[y : y + h, x : x + w]).mean()
            assert diff < 25


def test_another_clips_code_is_not_taken_for_this_one() -> None:
    frame = render_frame(ClipSpec(frames=600), 10)
    assert decode_index(frame, spec=SPEC) is None  # clip info says 300 frames; the code says 600
    found = decode_index(frame, spec=None)
    assert found is not None
    assert (found.index, found.clip_frames) == (10, 600)


def test_the_last_frames_box_is_read_first() -> None:
    frame = _screen(render_frame(SPEC, 3), (720, 1600), fill=True, seed=1)
    first = decode_index(frame, spec=SPEC)
    assert first is not None
    assert first.code_rect is not None
    nxt = _screen(render_frame(SPEC, 4), (720, 1600), fill=True, seed=2)
    again = decode_index(nxt, spec=SPEC, prefer=first)
    assert again is not None
    assert (again.index, again.code_rect) == (4, first.code_rect)


def test_box_is_found_on_a_dim_screen() -> None:
    # A dim display: white shows as 110 of 255, below the finder's mid-grey threshold; Otsu's threshold finds it.
    frame = _screen(render_frame(SPEC, 21), (720, 1600), fill=True, seed=3)
    dim = (frame.astype(np.float32) * (110 / 255)).round().astype(np.uint8)
    found = decode_index(dim, spec=SPEC)
    assert found is not None
    assert found.index == 21
