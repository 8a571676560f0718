"""Frame metrics of the device's own clocks (harness.metrics.device_frames) against ground truth computed by hand:
planted present timelines, and the real SurfaceFlinger / framestats captures in ../shared/fixtures (values read
from the files, arithmetic shown)."""

from __future__ import annotations

import numpy as np
import pytest
from device_outputs import FIXTURES

from harness.errors import AnalysisError, ConfigError
from harness.metrics import device_frames
from harness.parse import parse_gfxinfo, parse_sf_latency, read_text

PERIOD_60_NS = 16_666_667


def test_even_60hz_presents() -> None:
    # 61 presents one refresh apart: 60 intervals over 1.00000002 s -> 59.9999988 fps, no jank.
    t = [k * PERIOD_60_NS for k in range(61)]
    s = device_frames.present_stats(t, refresh_period_ns=PERIOD_60_NS)
    assert s.frames == 61
    assert s.fps == pytest.approx(60 / (60 * PERIOD_60_NS / 1e9))
    assert (s.jank_count, s.missed_refreshes, s.perfdog_jank_count) == (0, 0, 0)
    assert s.interval_ms is not None
    assert s.interval_ms["p99"] == pytest.approx(16.666667)


def test_planted_repeats_count_as_missed_refreshes() -> None:
    # Presents at refresh 0, 1, 3 (one refresh repeated), 4, 8 (three repeated): intervals 1, 2, 1, 4 refreshes ->
    # 2 janks, 1 + 3 = 4 missed refreshes; 4 intervals over 8 refreshes = 30 fps at 60 Hz.
    t = [k * PERIOD_60_NS for k in (0, 1, 3, 4, 8)]
    s = device_frames.present_stats(t, refresh_period_ns=PERIOD_60_NS)
    assert (s.jank_count, s.missed_refreshes) == (2, 4)
    assert s.fps == pytest.approx(4 / (8 * PERIOD_60_NS / 1e9))
    assert s.span_ms == pytest.approx(8 * 16.666667)


def test_120hz_panel_is_not_capped() -> None:
    period = 8_333_333
    s = device_frames.present_stats([k * period for k in range(121)], refresh_period_ns=period)
    assert s.fps == pytest.approx(120.0, abs=0.001)
    assert s.jank_count == 0


def test_single_or_no_frame_is_unknown_not_zero() -> None:
    one = device_frames.present_stats([5], refresh_period_ns=PERIOD_60_NS)
    assert (one.frames, one.fps, one.interval_ms) == (1, None, None)
    none = device_frames.present_stats([], refresh_period_ns=PERIOD_60_NS)
    assert (none.frames, none.fps) == (0, None)


def test_bad_inputs() -> None:
    with pytest.raises(AnalysisError, match=r"present times must increase: actual_present_ns\[2\] = 10 <= \[1\] = 20"):
        device_frames.present_stats([0, 20, 10], refresh_period_ns=PERIOD_60_NS)
    with pytest.raises(ConfigError, match=r"refresh_period_ns=0 is not allowed; allowed a number > 0"):
        device_frames.present_stats([0, 1], refresh_period_ns=0)
    with pytest.raises(AnalysisError, match=r"frame durations must be >= 0 ms; got -1"):
        device_frames.framestats_stats([-1.0], refresh_period_ms=16.7)
    with pytest.raises(AnalysisError, match=r"2 completion times but 1 deadlines"):
        device_frames.frame_overruns_ms([1, 2], [3])


def test_sf_latency_oneplus6_capture() -> None:
    # Blog excerpt, 13 valid rows: span 597043847152140 - 597043380168807 = 466.983333 ms -> 12 / 0.466983333 s =
    # 25.697 fps. One interval (rows 6 -> 7) is 283.544531 ms = 17.01 refreshes of 16.666666 ms -> 1 jank, 16 missed
    # refreshes; PerfDog: 283.5 > 2 x ~16.6 and > 125 ms -> 1 jank, 1 big jank, stutter 283.544531 / 466.983333.
    lat = parse_sf_latency(read_text(FIXTURES / "sf_latency/oneplus6_blog_latency_excerpt.txt"))
    s = device_frames.present_stats([f.actual_present_ns for f in lat.valid_frames],
                                    refresh_period_ns=lat.refresh_period_ns)
    assert s.span_ms == pytest.approx(466.983333, abs=1e-6)
    assert s.fps == pytest.approx(12 / 0.466983333, abs=1e-6)
    assert (s.jank_count, s.missed_refreshes, s.perfdog_jank_count, s.perfdog_big_jank_count) == (1, 16, 1, 1)
    assert s.interval_ms is not None
    assert s.interval_ms["max"] == pytest.approx(283.544531, abs=1e-9)
    assert s.stutter_ratio == pytest.approx(283.544531 / 466.983333, abs=1e-6)


def test_sf_latency_game_at_24fps() -> None:
    # SoloX#249 BLAST excerpt: 25 valid rows, span 495499372982686 - 495498379510686 = 993.472 ms -> 24 / 0.993472 s
    # = 24.158 fps on a 60 Hz display (every interval is 2 or 3 refreshes: all 24 are janks vs the refresh).
    lat = parse_sf_latency(read_text(FIXTURES / "sf_latency/solox249_hzm_surfaceview_blast_latency_excerpt.txt"))
    s = device_frames.present_stats([f.actual_present_ns for f in lat.valid_frames],
                                    refresh_period_ns=lat.refresh_period_ns)
    assert s.fps == pytest.approx(24 / 0.993472, abs=1e-6)
    assert s.jank_count == 24


def test_percentile_rule_is_the_harness_rule() -> None:
    # Linear interpolation, rank = q/100 x (n - 1): numpy's default, Macrobenchmark's getPercentile.
    values = [5.0, 10.0, 20.0, 40.0, 7.5, 12.25]
    summary = device_frames.summarize_ms(values)
    assert summary is not None
    for q in device_frames.PERCENTILES:
        assert summary[f"p{q}"] == pytest.approx(float(np.percentile(values, q)))
    assert device_frames.summarize_ms([]) is None


def test_framestats_slow_frames_and_overruns() -> None:
    # durations 5, 10, 20, 40 ms at 60 Hz (16.667 ms): 20 and 40 are slow (2 of 4); p50 = 15 (between 10 and 20),
    # p90: rank 2.7 -> 20 + 0.7 x 20 = 34. Overruns -3, 2, 0.5 ms: 2 missed deadlines.
    s = device_frames.framestats_stats([5.0, 10.0, 20.0, 40.0], refresh_period_ms=1000 / 60,
                                       overruns_ms=[-3.0, 2.0, 0.5])
    assert (s.frames, s.slow_frame_count, s.slow_frame_ratio) == (4, 2, 0.5)
    assert s.duration_ms is not None
    assert (s.duration_ms["p50"], s.duration_ms["p90"]) == (pytest.approx(15.0), pytest.approx(34.0))
    assert (s.deadline_frames, s.missed_deadline_count) == (3, 2)
    assert device_frames.frame_overruns_ms([10, 20, 30], [12, None, 25]) == [-2e-6, 5e-6]


def test_framestats_samsung_capture() -> None:
    # Sound-to-Visualiation framestats.txt: 120 valid rows; the intervals (the values under FrameStartTime) have
    # median 8311937.5 ns: the 120 Hz panel. Counted independently with Python's csv over columns 3, 10, 12, 17
    # (IntendedVsync, FrameDeadline, interval, FrameCompleted): 119 rows last longer than 8.31 ms, but only 10
    # complete after their FrameDeadline (two periods after the vsync). Row 1: deadline 314856692012826 - completed
    # 314856686928950 -> overrun -5.083876 ms. At 120 Hz the one-period rule (gfxinfo's legacy janky) flags almost
    # every frame; the deadline rule (Android 12+ janky) does not.
    g = parse_gfxinfo(read_text(FIXTURES / "framestats/samsung120hz_soundvis_framestats.txt"))
    valid = [f for f in g.framestats if f.valid]
    period_ns = device_frames.median_interval_ns([f.frame_interval_ns for f in valid])
    assert period_ns == 8311937.5
    overruns = device_frames.frame_overruns_ms([f.frame_completed_ns for f in valid],
                                               [f.frame_deadline_ns for f in valid])
    assert overruns[0] == pytest.approx(-5.083876, abs=1e-9)
    durations = [f.duration_ms for f in valid if f.duration_ms is not None]
    s = device_frames.framestats_stats(durations, refresh_period_ms=period_ns / 1e6, overruns_ms=overruns)
    assert (s.frames, s.slow_frame_count, s.deadline_frames, s.missed_deadline_count) == (120, 119, 120, 10)
