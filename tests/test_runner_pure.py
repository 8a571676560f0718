"""Pure parts of the scenario runner: the stats line parser, expectation judging, and the probe's band decoding."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from harness.capture.clip import render_frame
from harness.capture.web import BAND_H, BAND_W, BandDecoder, band_region, probe_source
from harness.clipspec import ClipSpec
from harness.config import parse_scenario
from harness.results import item_dir_name as safe_name
from harness.scenario.item import judge
from harness.scenario.runner import parse_stats


def test_parse_stats_reads_vendor_key_value_lines() -> None:
    line = "frames=812 cost_ms=3.41 fps=29.9 first_frame_ms=412.3"
    assert parse_stats(line) == {"frames": 812.0, "cost_ms": 3.41, "fps": 29.9, "first_frame_ms": 412.3}
    assert parse_stats("[glfx] first_frame_ms=-1") == {"first_frame_ms": -1.0}
    assert parse_stats("no numbers here") == {}


def test_judge_fails_missing_and_out_of_range_metrics() -> None:
    scenario = parse_scenario(
        {"name": "s", "description": "d", "kind": "filter", "steps": [{"launch": "cold"}],
         "expect": {"content_fps": {"min": 15}, "filter_delta_e": {"max": 4}, "startup_ms": {"max": 900}}},
        source=Path("s.yaml"),
    )
    checks = {c.metric: c for c in judge(scenario, {"content_fps": 29.5, "filter_delta_e": 6.2})}
    assert checks["content_fps"].verdict == "pass"
    assert checks["content_fps"].threshold == ">= 15"
    assert checks["filter_delta_e"].verdict == "fail"
    assert checks["startup_ms"].verdict == "fail"  # not measured: an expectation can never pass silently
    assert checks["startup_ms"].unit == "ms"


def test_an_expectation_on_a_metric_the_candidate_cannot_have_is_not_judged() -> None:
    """filter-warm expects filter_delta_e <= 4; a formula filter without a reference LUT has no such figure: that
    is no failure (its filter is judged as applied instead), while a missing metric that could exist still fails."""
    scenario = parse_scenario(
        {"name": "s", "description": "d", "kind": "filter", "steps": [{"launch": "cold"}],
         "expect": {"filter_delta_e": {"max": 4}, "startup_ms": {"max": 900}}},
        source=Path("s.yaml"),
    )
    checks = {c.metric: c for c in judge(scenario, {}, not_applicable={"filter_delta_e": "no reference LUT"})}
    assert "filter_delta_e" not in checks
    assert checks["startup_ms"].verdict == "fail"
    measured = {c.metric: c for c in judge(scenario, {"filter_delta_e": 6.2},
                                           not_applicable={"filter_delta_e": "no reference LUT"})}
    assert measured["filter_delta_e"].verdict == "fail"  # measured after all: judged as usual


def test_safe_name_keeps_ids_readable() -> None:
    assert safe_name("filter-warm[pixel7-glfx@2.0]") == "filter-warm_pixel7-glfx@2.0"


@pytest.mark.parametrize("index", [0, 1, 77, 150, 299])
@pytest.mark.parametrize("spec", [ClipSpec(), ClipSpec(width=640, height=360), ClipSpec(version=1)],
                         ids=["v2-portrait", "v2-landscape", "v1"])
def test_band_samples_decode_to_their_source_index(index: int, spec: ClipSpec) -> None:
    # The probe keeps the code region (band_region, fractions of the output frame) scaled to BAND_W x BAND_H
    # (drawImage's bilinear scaling), here from an output frame twice the clip's size; emulate it.
    frame = cv2.resize(render_frame(spec, index), (2 * spec.width, 2 * spec.height), interpolation=cv2.INTER_LINEAR)
    h, w = frame.shape[:2]
    left, top, right, bottom = band_region(spec)
    region = frame[int(top * h) : int(np.ceil(bottom * h)), int(left * w) : int(np.ceil(right * w))]
    band = cv2.resize(region, (BAND_W, BAND_H), interpolation=cv2.INTER_AREA)
    assert BandDecoder(spec).decode(band) == index


def test_band_without_code_decodes_to_none() -> None:
    rng = np.random.default_rng(0)
    decoder = BandDecoder(ClipSpec())
    assert decoder.decode(np.zeros((BAND_H, BAND_W, 3), np.uint8)) is None
    assert decoder.decode(rng.integers(0, 256, (BAND_H, BAND_W, 3), dtype=np.uint8)) is None


def test_probe_source_carries_the_preview_locator() -> None:
    src = probe_source("xpath=//div[@class='stage']/canvas")
    assert '"strategy": "xpath"' in src
    assert "//div[@class='stage']/canvas" in src
    assert "window.__harnessProbe" in src
    assert '"bandTop": 0.65625' in src  # the version 2 code box of the default clip: rows 420..528 of 640
    assert '"bandTop": 0.875' in probe_source("css=canvas", ClipSpec(version=1))
