"""Effect onset detection on synthetic probe frames made from real clip frames with known switch points."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from harness.capture.clip import face_box, render_frame
from harness.capture.latency import find_onset
from harness.clipspec import ClipSpec
from harness.metrics.lut import apply_lut, load_cube
from harness.paths import apps_dir

SPEC = ClipSpec()


def _thumb(frame: np.ndarray) -> np.ndarray:
    # The probe scales with the browser's drawImage (bilinear); INTER_LINEAR stands in for it here.
    return cv2.resize(frame, (45, 80), interpolation=cv2.INTER_LINEAR)


def _frames(first: int, count: int, switch_at: int, change) -> tuple[list[int], list[float], list[int], np.ndarray]:
    seqs, times, idx, thumbs = [], [], [], []
    for k in range(count):
        index = (first + k) % SPEC.frames
        frame = render_frame(SPEC, index)
        if k >= switch_at:
            frame = change(frame, index)
        seqs.append(k)
        times.append(1000.0 + k * 33.3)
        idx.append(index)
        thumbs.append(_thumb(frame))
    return seqs, times, idx, np.stack(thumbs)


def _crown(frame: np.ndarray, index: int) -> np.ndarray:
    out = frame.copy()
    x, y, w, h = face_box(SPEC, index)
    cv2.rectangle(out, (x + w // 6, max(0, y - h // 4)), (x + 5 * w // 6, y + h // 8), (245, 197, 24), -1)
    return out


def _whiten(frame: np.ndarray, index: int) -> np.ndarray:
    out = frame.astype(np.int16)
    x, y, w, h = face_box(SPEC, index)
    out[y:y + h, x:x + w] += 25
    return np.clip(out, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(("kind", "switch_at"), [("filter", 12), ("effect", 20), ("beauty", 9)])
def test_onset_is_the_planted_switch(kind: str, switch_at: int) -> None:
    lut = load_cube(apps_dir() / "glfx" / "luts" / "warm.cube")
    change = {"filter": lambda f, i: apply_lut(f, lut), "effect": _crown, "beauty": _whiten}[kind]
    seqs, times, idx, thumbs = _frames(40, 40, switch_at, change)
    onset = find_onset(seqs, times, idx, thumbs, spec=SPEC, tap_seq=6, kind=kind)
    assert onset is not None
    assert onset.seq == switch_at  # exact: the first frame that shows it
    assert onset.t_ms == pytest.approx(1000.0 + switch_at * 33.3)


def _cut_crown(frame: np.ndarray, index: int) -> np.ndarray:
    """A crown cut by the top of the picture, as the demo apps draw it: a 14 px strip above the face."""
    out = frame.copy()
    x, _y, w, _h = face_box(SPEC, index)
    cv2.rectangle(out, (x + w // 20, 0), (x + 19 * w // 20, 14), (245, 197, 24), -1)
    return out


def test_a_sticker_cut_by_the_top_of_the_picture_is_found_at_once() -> None:
    """Over the whole region around the face this strip moved the mean difference by less than the 4/255 rise
    (onset found 58 frames late on a real run); over the quarter of pixels that differ most it is plain."""
    seqs, times, idx, thumbs = _frames(40, 40, 15, _cut_crown)
    onset = find_onset(seqs, times, idx, thumbs, spec=SPEC, tap_seq=6, kind="effect")
    assert onset is not None
    assert onset.seq == 15


def test_no_change_gives_no_onset() -> None:
    seqs, times, idx, thumbs = _frames(100, 40, 99, lambda f, i: f)
    for kind in ("filter", "effect", "beauty"):
        assert find_onset(seqs, times, idx, thumbs, spec=SPEC, tap_seq=6, kind=kind) is None


def test_too_little_baseline_is_not_guessed() -> None:
    seqs, times, idx, thumbs = _frames(0, 10, 5, _crown)
    assert find_onset(seqs, times, idx, thumbs, spec=SPEC, tap_seq=1, kind="effect") is None
