"""Evidence image labels are drawn in ASCII: OpenCV's Hershey fonts show '?' for a Greek delta."""

from __future__ import annotations

import numpy as np

from harness.metrics.visual_common import drawable_label, evidence_image


def test_delta_is_drawn_as_d() -> None:
    assert drawable_label("ΔE00") == "dE00"
    assert drawable_label("|Δ| luma ≤ 4") == "|d| luma <= 4"
    assert drawable_label("naïve") == "na?ve"


def test_panel_label_with_delta_draws_like_its_ascii_form_not_a_question_mark() -> None:
    rng = np.random.default_rng(0)
    src = rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)
    out = rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)
    greek = evidence_image(src, out, labels=("a", "b", "ΔE00"), diff_full_scale=10.0)
    ascii_ = evidence_image(src, out, labels=("a", "b", "dE00"), diff_full_scale=10.0)
    unknown = evidence_image(src, out, labels=("a", "b", "?E00"), diff_full_scale=10.0)
    assert np.array_equal(greek, ascii_)
    assert not np.array_equal(greek, unknown)
