"""Key-frame checks for what a vendor's demo offers beyond LUT files: a filter written as a formula (no
reference LUT) and a sticker fixed to the screen (`effects: {NAME: {anchor: screen}}`). The frames are the
reference clip's, transformed by known functions; every measurement is the real one."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.capture.clip import band_top, render_frame
from harness.clipspec import ClipSpec
from harness.scenario.context import AppState, ItemContext, NullReporter, Outcome
from harness.scenario.measure import key_frame_checks

SPEC = ClipSpec()
FRAMES = (40, 120, 200)


def sepia(rgb: np.ndarray) -> np.ndarray:
    """CSS sepia(1) (Filter Effects Module Level 1 matrix), clamped and rounded to 8 bits."""
    m = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])
    return np.clip(np.rint(rgb.astype(np.float64) @ m.T), 0, 255).astype(np.uint8)


def badge(rgb: np.ndarray) -> np.ndarray:
    """A solid 120x60 badge on the right of the photograph, below and beside the face (rows 16-113)."""
    out = rgb.copy()
    out[200:260, 228:348] = (224, 36, 94)
    return out


def context(tmp_path: Path, state: AppState, anchors: dict[str, str] | None = None) -> ItemContext:
    return ItemContext(spec=SPEC, state=state, filter_luts={}, item_dir=tmp_path, outcome=Outcome(),
                       reporter=NullReporter(), label="web / vendor@1", effect_anchors=anchors or {})


def test_a_formula_filter_without_a_lut_is_judged_applied_not_broken(tmp_path: Path) -> None:
    ctx = context(tmp_path, AppState(filter="warm"))
    key_frame_checks(ctx, [(float(i), sepia(render_frame(SPEC, i))) for i in FRAMES])
    assert ctx.outcome.metrics["key_frames_decoded"] == 3.0
    assert ctx.outcome.metrics["filter_applied_delta_e"] > 5.0  # the output changed as a filter changes it
    assert "filter_delta_e" not in ctx.outcome.metrics  # no reference: no exact colour check
    assert "no reference LUT" in ctx.outcome.not_applicable["filter_delta_e"]  # so an expectation on it is not judged
    assert ctx.outcome.defects == []  # its colour shift is the filter, not a cast or a swap
    assert ctx.outcome.details["colour_response"]["frames"] == 3  # kept for the cross-device comparison


def test_a_filter_that_does_nothing_is_found_without_a_lut(tmp_path: Path) -> None:
    ctx = context(tmp_path, AppState(filter="warm"))
    key_frame_checks(ctx, [(float(i), render_frame(SPEC, i)) for i in FRAMES])
    assert ctx.outcome.metrics["filter_applied_delta_e"] < 1.0
    verdicts = {c["metric"]: c["verdict"] for c in ctx.outcome.checks}
    assert verdicts["filter_applied_delta_e"] == "fail"
    assert [d["defect"] for d in ctx.outcome.defects] == ["effect_not_applied"]


def test_a_screen_sticker_is_looked_for_over_the_picture(tmp_path: Path) -> None:
    frames = [(float(i), badge(render_frame(SPEC, i))) for i in FRAMES]
    at_face = context(tmp_path / "face", AppState(effect="live"))
    key_frame_checks(at_face, frames)
    on_screen = context(tmp_path / "screen", AppState(effect="live"), {"live": "screen"})
    key_frame_checks(on_screen, frames)
    share = on_screen.outcome.metrics["effect_changed_share"]
    assert share > 0.02  # found where it is
    assert at_face.outcome.metrics["effect_changed_share"] < 0.02  # not around the face
    picture_h = band_top(SPEC)
    assert abs(on_screen.outcome.metrics["effect_offset_x_face"] - ((228 + 348) / 2 / SPEC.width - 0.5)) < 0.05
    assert abs(on_screen.outcome.metrics["effect_offset_y_face"] - ((200 + 260) / 2 / picture_h - 0.5)) < 0.05
