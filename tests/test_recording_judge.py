"""The app's recording judged against the request (harness.metrics.recording) on known numbers."""

from __future__ import annotations

import pytest

from harness.errors import AnalysisError
from harness.metrics.recording import judge_recording


def test_a_good_recording_has_no_findings() -> None:
    j = judge_recording(requested_ms=3000, duration_ms=3100, content_fps=29.5, source_fps=30, frames=93,
                        dropped_frames=1)
    assert j.findings == ()
    assert j.duration_error_pct == pytest.approx(3.33, abs=0.01)


def test_a_3_s_request_yielding_5_4_s_at_9_8_fps_is_a_finding() -> None:
    j = judge_recording(requested_ms=3000, duration_ms=5400, content_fps=9.8, source_fps=30, frames=53,
                        dropped_frames=109)
    assert j.duration_error_pct == pytest.approx(80.0)
    assert j.fps_share == pytest.approx(9.8 / 30, abs=1e-4)
    assert [f.split(":")[0] for f in j.findings] == ["recording_duration", "recording_frame_rate", "recording_drops"]
    assert "5.40 s recorded for 3.00 s requested (+80 %" in j.findings[0]


def test_too_short_is_a_finding_too_and_bad_input_is_refused() -> None:
    assert judge_recording(requested_ms=3000, duration_ms=2000, content_fps=30, source_fps=30, frames=60,
                           dropped_frames=0).findings[0].startswith("recording_duration")
    with pytest.raises(AnalysisError, match="must be positive"):
        judge_recording(requested_ms=0, duration_ms=1, content_fps=1, source_fps=30, frames=1, dropped_frames=0)
