"""The app's own recording judged for the effect, not only found: WebM recordings written by ffmpeg from the
reference clip with the filter's real LUT applied, without it, and with a crown, read back by the step the runner
calls after fetching the app's recording (scenario.measure.measure_recording_file)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from test_tracking_lag import crowned, write_vp8

from harness.capture.clip import render_frame
from harness.clipspec import ClipSpec
from harness.metrics.lut import apply_lut, load_cube
from harness.scenario.context import AppState, ItemContext, NullReporter, Outcome
from harness.scenario.measure import measure_recording_file

ROOT = Path(__file__).resolve().parents[1]
COOL = ROOT / "apps" / "glfx" / "luts" / "cool.cube"
SPEC = ClipSpec()
pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is installed by scripts/setup.sh")


def recording(tmp_path: Path, draw: Callable[[int], np.ndarray], frames: int = 60) -> Path:
    return write_vp8(tmp_path / "recording.webm", (draw(i) for i in range(frames)), bitrate="1500k")


def judged(tmp_path: Path, state: AppState, draw: Callable[[int], np.ndarray]) -> ItemContext:
    ctx = ItemContext(spec=SPEC, state=state, filter_luts={"cool": COOL}, item_dir=tmp_path, outcome=Outcome(),
                      reporter=NullReporter(), label="web / vendor@1")
    measure_recording_file(ctx, recording(tmp_path, draw))
    return ctx


def test_a_recording_with_the_filter_passes(tmp_path: Path) -> None:
    lut = load_cube(COOL)
    ctx = judged(tmp_path, AppState(filter="cool"), lambda i: apply_lut(render_frame(SPEC, i), lut))
    assert ctx.outcome.metrics["recording_effect_share"] == 1.0
    assert ctx.outcome.defects == []


def test_a_recording_without_the_filter_is_a_defect_naming_the_recording(tmp_path: Path) -> None:
    ctx = judged(tmp_path, AppState(filter="cool"), lambda i: render_frame(SPEC, i))
    assert ctx.outcome.metrics["recording_effect_share"] == 0.0
    [defect] = ctx.outcome.defects
    assert defect["defect"] == "effect_not_applied"
    assert "the app's recording shows the cool filter on 0 of 5 frames" in defect["summary"]
    assert (tmp_path / "evidence_recording_effect.jpg").exists()


def test_a_sticker_in_the_recording_is_seen(tmp_path: Path) -> None:
    ctx = judged(tmp_path, AppState(effect="crown"), lambda i: crowned(i, lag_ms=0.0))
    assert ctx.outcome.metrics["recording_effect_share"] == 1.0
    assert ctx.outcome.defects == []


def test_a_recording_with_nothing_switched_on_is_not_judged_for_an_effect(tmp_path: Path) -> None:
    ctx = judged(tmp_path, AppState(), lambda i: render_frame(SPEC, i))
    assert "recording_effect_share" not in ctx.outcome.metrics
    assert ctx.outcome.metrics["recording_frames"] == 60
