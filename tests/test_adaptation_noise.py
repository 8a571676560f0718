"""Noise floors of the adaptation matrix (harness.compare.adaptation.min_abs_delta): a difference over its
threshold but smaller than the metric's floor does not degrade a cell."""

from __future__ import annotations

import pytest

from harness.compare import adaptation_matrix, default_config
from harness.compare.adaptation import min_abs_delta
from tests.test_compare import row


@pytest.mark.parametrize(("metric", "floor"), [
    ("app_cost_ms", 1.0), ("startup_cold_ms", 100.0), ("frame_time_p90_ms", 4.0), ("filter_latency_ms", 34.0),
    ("content_fps", 2.0), ("startup_cold_cv", 0.05), ("filter_delta_e", 0.5), ("recording_duration_ms", 5.0),
    ("key_frames_decoded", 0.0),
])
def test_floors(metric: str, floor: float) -> None:
    assert min_abs_delta(metric) == floor


def _cell(new_cost_ms: float) -> tuple[str, tuple[str, ...]]:
    rows = [row("pixel7", "glfx@2.0", metrics={"app_cost_ms": 1.68}),
            row("pixel-fold", "glfx@2.0", metrics={"app_cost_ms": new_cost_ms}, new=True)]
    cell = adaptation_matrix(rows, config=default_config(), match_tag="tier").cell("pixel-fold", "glfx@2.0")
    return cell.verdict, cell.reasons


def test_a_sixth_of_a_millisecond_of_cost_does_not_degrade() -> None:
    verdict, reasons = _cell(1.85)  # +10 %: over a +10 % threshold, 0.17 ms from the reference
    assert verdict == "ok"
    assert any("within the noise floor of 1" in r for r in reasons)


def test_a_real_cost_difference_still_degrades() -> None:
    verdict, reasons = _cell(4.2)
    assert verdict == "degraded"
    assert any(r.startswith("filter-warm: app_cost_ms 4.2 vs reference median 1.68") for r in reasons)
