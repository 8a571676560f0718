"""Face-tracking metrics (harness.metrics.tracking) on synthetic boxes with known error, jitter and lag."""

from __future__ import annotations

import math

import pytest

from harness.errors import AnalysisError
from harness.metrics.tracking import (
    Box,
    estimate_lag_frames,
    face_size_px,
    time_to_first_track_ms,
    tracking_quality,
)


def moving_face(n: int) -> list[Box]:
    """A 100x100 face moving 4 px/frame to the right and turning back every 15 frames (a zig-zag)."""
    out: list[Box] = []
    x = 50.0
    for i in range(n):
        out.append((x, 80.0, 100.0, 100.0))
        x += 4.0 if (i // 15) % 2 == 0 else -4.0
    return out


def test_a_tracker_that_follows_exactly_has_no_error_and_no_jitter() -> None:
    truth = moving_face(60)
    q = tracking_quality(list(truth), truth)
    assert (q.error_px_p95, q.jitter_px_p95, q.tracked_frames, q.lost_frames) == (0.0, 0.0, 60, 0)


def test_a_constant_offset_is_an_error_but_not_jitter() -> None:
    truth = moving_face(30)
    tracked: list[Box | None] = [(x + 3.0, y + 4.0, w, h) for x, y, w, h in truth]  # 5 px off
    q = tracking_quality(tracked, truth)
    assert q.error_px_p50 == pytest.approx(5.0)
    assert q.error_pct_p50 == pytest.approx(5.0)  # 5 px of a 100 px face
    assert q.jitter_px_p95 == pytest.approx(0.0)


def test_shake_on_a_still_face_is_jitter() -> None:
    truth: list[Box] = [(100.0, 100.0, 80.0, 120.0)] * 20
    tracked: list[Box | None] = [(100.0 + (2.0 if i % 2 else -2.0), 100.0, 80.0, 120.0) for i in range(20)]
    q = tracking_quality(tracked, truth)
    assert q.jitter_px_p50 == pytest.approx(4.0)
    assert q.jitter_pct_p50 == pytest.approx(100 * 4.0 / math.sqrt(80 * 120), abs=1e-3)
    assert q.error_px_p95 == pytest.approx(2.0)


def test_lost_frames_are_left_out_and_break_jitter_pairs() -> None:
    truth: list[Box] = [(0.0, 0.0, 50.0, 50.0)] * 4
    tracked: list[Box | None] = [(1.0, 0.0, 50.0, 50.0), None, (11.0, 0.0, 50.0, 50.0), (11.0, 0.0, 50.0, 50.0)]
    q = tracking_quality(tracked, truth)
    assert (q.tracked_frames, q.lost_frames) == (3, 1)
    assert q.jitter_px_p95 == 0.0  # only the pair (2, 3) counts; 1 -> 11 spans the lost frame
    with pytest.raises(AnalysisError, match="no frame of 2 has a tracked face box"):
        tracking_quality([None, None], truth[:2])
    with pytest.raises(AnalysisError, match="differ in number"):
        tracking_quality([None], truth)


def test_time_to_first_track() -> None:
    t = [0.0, 33.3, 66.7, 100.0]
    boxes: list[Box | None] = [None, None, (0.0, 0.0, 1.0, 1.0), (0.0, 0.0, 1.0, 1.0)]
    assert time_to_first_track_ms(t, boxes) == pytest.approx(66.7)
    assert time_to_first_track_ms(t, boxes, face_visible_from_ms=33.3) == pytest.approx(33.4)
    assert time_to_first_track_ms(t, [None] * 4) is None


@pytest.mark.parametrize("lag", [0, 1, 3, 5])
def test_the_lag_of_a_delayed_tracker_is_found_on_a_zigzag(lag: int) -> None:
    truth = moving_face(90)
    tracked: list[Box | None] = [truth[max(0, i - lag)] for i in range(90)]
    assert estimate_lag_frames(tracked, truth, max_lag=8) == lag


def test_face_size_needs_a_real_box() -> None:
    assert face_size_px((0, 0, 40, 90)) == pytest.approx(60.0)
    with pytest.raises(AnalysisError, match="positive width"):
        face_size_px((0, 0, 0, 10))
