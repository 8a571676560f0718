"""Face tracking measured from an app's output frames: a crown drawn on the reference clip's face path, late by a
planted lag, with planted shake, is measured back by the real code (sticker_presence on each frame, then
metrics.tracking.sticker_track), directly and through a real VP8 WebM written by ffmpeg and read back by
scenario.measure.sticker_tracking. The ground truth is the clip's own continuous face path (capture.clip.face_path)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
import pytest

from harness.capture.clip import face_box, face_path, render_frame
from harness.clipspec import ClipSpec
from harness.errors import AnalysisError
from harness.metrics.sticker import sticker_box, sticker_presence
from harness.metrics.tracking import MIN_TRACK_FRAMES, sticker_points, sticker_track
from harness.scenario.context import AppState, ItemContext, NullReporter, Outcome
from harness.scenario.measure import _face_at, sticker_tracking

SPEC = ClipSpec()
FRAME_MS = 1000.0 / SPEC.fps
CROWN_GOLD = (245, 197, 24)


def crowned(index: int, *, lag_ms: float, shake_px: tuple[float, float] = (0.0, 0.0), lift: float = 0.0
            ) -> np.ndarray:
    """Clip frame `index` with a crown (0.9 face sizes wide) on the face as it was `lag_ms` earlier, `lift` face
    sizes higher than it sits by default."""
    frame = render_frame(SPEC, index)
    path = face_path(SPEC, [index - lag_ms * SPEC.fps / 1000.0])
    cx, cy, size = float(path.cx[0]) + shake_px[0], float(path.cy[0]) + shake_px[1], float(path.size[0])
    w, h = 0.9 * size, 0.5 * size
    bottom = cy - (0.35 + lift) * size
    left = cx - w / 2
    points = [(left, bottom)]
    for k in range(11):
        points.append((left + w * k / 10, bottom - h if k % 2 == 0 else bottom - 0.45 * h))
    points.append((left + w, bottom))
    poly = np.round(np.array(points) * 16).astype(np.int32)
    cv2.fillPoly(frame, [poly], CROWN_GOLD, lineType=cv2.LINE_AA, shift=4)
    return frame


def write_vp8(path: Path, frames: Iterable[np.ndarray], *, bitrate: str) -> Path:
    """RGB frames of the clip's size as a VP8 WebM at the clip's rate, through ffmpeg (as a browser records)."""
    proc = subprocess.Popen(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s",
         f"{SPEC.width}x{SPEC.height}", "-r", str(SPEC.fps), "-i", "-", "-c:v", "libvpx", "-b:v", bitrate,
         str(path)], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for frame in frames:
        proc.stdin.write(frame.tobytes())
    proc.stdin.close()
    assert proc.wait() == 0
    return path


def measured(frames: list[tuple[int, np.ndarray]]):  # type: ignore[no-untyped-def]
    indices, placed = [], []
    for index, out in frames:
        box = face_box(SPEC, index)
        result = sticker_presence(out, render_frame(SPEC, index), face_box=box, evidence="never")
        indices.append(float(index))
        placed.append(sticker_box(result))
    return sticker_track(indices, sticker_points(placed), _face_at(SPEC), fps=float(SPEC.fps))


@pytest.mark.parametrize("lag_ms", [0.0, 50.0, 100.0, 250.0])
def test_a_planted_lag_is_measured_within_one_frame_interval(lag_ms: float) -> None:
    frames = [(i, crowned(i, lag_ms=lag_ms)) for i in range(30, 120)]
    track = measured(frames)
    assert abs(track.lag_ms - lag_ms) < FRAME_MS, track
    assert abs(track.lag_ms - lag_ms) <= 3.0, track  # in practice within 1 ms: the path is known exactly
    assert track.placed_frames == len(frames)
    assert track.anchor_dy_face < -0.3  # a crown sits above the face centre


def test_a_late_sticker_is_misplaced_by_the_lag_and_an_on_time_one_is_not() -> None:
    on_time = measured([(i, crowned(i, lag_ms=0.0)) for i in range(0, 60)])
    late = measured([(i, crowned(i, lag_ms=100.0)) for i in range(0, 60)])
    assert on_time.error_px_p50 < 1.5, on_time
    # 100 ms at 3-6 px per frame: 9-18 px behind the face
    assert 8.0 < late.error_px_p50 < 20.0, late
    assert late.error_pct_p50 == pytest.approx(100 * late.error_px_p50 / 100.5, rel=0.1)
    # a smooth trail is lag, not shake
    assert late.jitter_px_p50 is not None
    assert late.jitter_px_p50 < 1.5, late


def test_shake_is_jitter_and_leaves_the_lag_alone() -> None:
    rng = np.random.default_rng(7)
    frames = [(i, crowned(i, lag_ms=100.0, shake_px=tuple(rng.uniform(-4, 4, 2)))) for i in range(0, 90)]
    track = measured(frames)
    assert abs(track.lag_ms - 100.0) < FRAME_MS, track
    assert track.jitter_px_p50 is not None
    assert track.jitter_px_p50 > 2.5, track


def test_a_crown_cut_by_the_top_of_the_picture_is_followed_by_its_bottom_edge() -> None:
    frames = [(i, crowned(i, lag_ms=100.0, lift=0.3)) for i in range(0, 90)]
    boxes = [sticker_box(sticker_presence(out, render_frame(SPEC, i), face_box=face_box(SPEC, i), evidence="never"))
             for i, out in frames]
    assert all(b is not None and b.cut_top for b in boxes)  # cut on every frame, as pixkit's crown is
    track = measured(frames)
    assert abs(track.lag_ms - 100.0) <= 3.0, track
    assert 8.0 < track.error_px_p50 < 20.0, track


def test_too_few_placed_frames_is_not_a_measurement() -> None:
    frames = [(i, render_frame(SPEC, i)) for i in range(0, 30)]  # no sticker at all
    with pytest.raises(AnalysisError, match=f"at least {MIN_TRACK_FRAMES}"):
        measured(frames)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is installed by scripts/setup.sh")
def test_tracking_through_a_vp8_capture_and_the_measure_step(tmp_path: Path) -> None:
    """The web probe records the output as VP8 WebM at 800 kbit/s: the same here, with a 100 ms planted lag, read
    back frame by frame (index code, un-crop, sticker) by the step the runner calls after every capture."""
    # across the clip's loop (299 -> 0)
    video = write_vp8(tmp_path / "capture.webm", (crowned(i % SPEC.frames, lag_ms=100.0) for i in range(280, 370)),
                      bitrate="800k")
    ctx = ItemContext(spec=SPEC, state=AppState(effect="crown"), filter_luts={}, item_dir=tmp_path,
                      outcome=Outcome(), reporter=NullReporter(), label="web / vendor@1")
    sticker_tracking(ctx, video)
    m = ctx.outcome.metrics
    assert abs(m["tracking_lag_ms"] - 100.0) < FRAME_MS, ctx.outcome.details["tracking"]
    assert m["tracking_placed_share"] == 1.0
    assert 8.0 < m["tracking_error_p50_px"] < 20.0
    assert m["tracking_jitter_p50_px"] < 2.0


def test_a_screen_fixed_effect_is_not_tracked(tmp_path: Path) -> None:
    ctx = ItemContext(spec=SPEC, state=AppState(effect="badge"), filter_luts={}, item_dir=tmp_path,
                      outcome=Outcome(), reporter=NullReporter(), label="web / vendor@1",
                      effect_anchors={"badge": "screen"})
    sticker_tracking(ctx, tmp_path / "missing.webm")
    assert not any(k.startswith("tracking_") for k in ctx.outcome.metrics)


def test_the_version_3_face_moves_fast_and_changes_direction_and_loops() -> None:
    path = face_path(SPEC, np.arange(SPEC.frames + 1))
    step = np.hypot(np.diff(path.cx), np.diff(path.cy))
    assert 2.0 < step.min() < step.max() < 6.0  # px per frame at 30 fps
    heading = np.unwrap(np.arctan2(np.diff(path.cy), np.diff(path.cx)))
    assert abs(heading[-1] - heading[0]) > 2 * np.pi * 9  # ten turns a loop: direction always changing
    assert path.cx[0] == pytest.approx(path.cx[-1])  # a seamless loop
    assert path.cy[0] == pytest.approx(path.cy[-1])
    for i in (0, 77, 150, 299):  # the continuous path and the frame's (rounded) box agree
        x, y, w, h = face_box(SPEC, i)
        assert abs(x + w / 2 - path.cx[i]) <= 1.0
        assert abs(y + h / 2 - path.cy[i]) <= 1.0


def test_versions_1_and_2_keep_their_slow_motion() -> None:
    for version in (1, 2):
        path = face_path(ClipSpec(version=version), np.arange(300))
        assert np.hypot(np.diff(path.cx), np.diff(path.cy)).max() < 0.5
