"""Frame-timing statistics on synthetic timelines whose drops, repeats and holds sit at known positions."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest

from harness.errors import AnalysisError, ConfigError
from harness.metrics import stats
from harness.metrics.frames import FrameTiming, analyze_timeline

P30 = 1000.0 / 30.0


def steady(n: int, *, start: int = 0, period_ms: float = P30, clip: int = 300) -> tuple[list[float], list[int]]:
    return [k * period_ms for k in range(n)], [(start + k) % clip for k in range(n)]


def run(t: Sequence[float], idx: Sequence[int | None], **kw: float) -> FrameTiming:
    options: dict = {"source_fps": 30.0, "clip_frames": 300, **kw}
    return analyze_timeline(t, idx, **options)


def test_steady_30fps_capture_of_30fps_source() -> None:
    t, idx = steady(300)
    r = run(t, idx)
    # 300 frames 33.33 ms apart span 300 intervals = 10 s: both rates are exactly 30 (up to float rounding).
    assert r.frames == r.decoded_frames == r.content_updates == 300
    assert r.duration_ms == pytest.approx(10_000.0)
    assert r.content_fps == pytest.approx(30.0)
    assert r.presented_fps == pytest.approx(30.0)
    assert (r.dropped_frames, r.repeated_frames, r.backward_jumps) == (0, 0, 0)
    assert r.frame_time_ms is not None
    assert r.frame_time_ms["p50"] == pytest.approx(P30)
    assert r.frame_time_ms["max"] == pytest.approx(P30)
    assert r.freezes == ()
    assert (r.jank_count, r.big_jank_count, r.stutter_ratio) == (0, 0, 0.0)


def test_30fps_source_on_60hz_screen_repeats_every_frame() -> None:
    t = [k * 1000.0 / 60.0 for k in range(600)]
    idx: list[int | None] = [k // 2 for k in range(600)]
    r = run(t, idx, refresh_hz=60.0)
    assert r.repeated_frames == 300  # every second presented frame repeats its predecessor
    assert r.content_updates == 300
    assert r.content_fps == pytest.approx(30.0)
    assert r.presented_fps == pytest.approx(60.0)
    assert r.presented_intervals_vsync == {1: 599}
    assert r.frame_time_vsync == {2: 299}


def test_24fps_content_with_3_2_pulldown_on_60hz() -> None:
    # 3:2 pulldown: source frames alternately shown for 3 and 2 refreshes -> 24 fps on average.
    idx: list[int | None] = []
    k = 0
    while len(idx) < 600:
        idx.extend([k % 300] * (3 if k % 2 == 0 else 2))
        k += 1
    idx = idx[:600]
    t = [n * 1000.0 / 60.0 for n in range(600)]
    r = analyze_timeline(t, idx, source_fps=24.0, clip_frames=300, refresh_hz=60.0)
    assert abs(r.content_fps - 24.0) <= 0.5
    assert r.frame_time_vsync == {3: 120, 2: 119}
    assert r.dropped_frames == 0


def test_jittery_timestamps_still_give_the_frame_rate() -> None:
    rng = np.random.default_rng(1)
    t = list(np.cumsum(rng.uniform(P30 - 4, P30 + 4, 450)) - P30)
    _, idx = steady(450)
    r = run([float(x) for x in t], list(idx))
    assert abs(r.content_fps - 30.0) <= 0.5


def test_drops_at_known_positions() -> None:
    t, idx = steady(100)
    shown: list[int | None] = [i for i in idx if i not in (10, 11, 50)]
    times = t[: len(shown)]
    r = run(times, shown)
    assert r.dropped_frames == 3  # 9 -> 12 skips two, 49 -> 51 skips one
    assert r.repeated_frames == 0
    assert r.backward_jumps == 0


def test_hold_is_a_freeze_and_a_big_jank() -> None:
    # Index 100 stays on screen for 10 presented frames (333.3 ms), then the content carries on where it was.
    idx = [*range(100), *([100] * 10), *range(101, 150)]
    t = [k * P30 for k in range(len(idx))]
    r = run(t, idx)
    assert r.repeated_frames == 9
    assert r.dropped_frames == 0
    assert len(r.freezes) == 1
    freeze = r.freezes[0]
    assert freeze.index == 100
    assert freeze.start_ms == pytest.approx(100 * P30)
    assert freeze.duration_ms == pytest.approx(10 * P30)
    assert not freeze.open_ended
    # PerfDog: 333 ms > 2 x 33.3 ms and > 125 ms -> one jank that is also a big jank.
    assert (r.jank_count, r.big_jank_count) == (1, 1)
    assert r.stutter_ratio == pytest.approx(10 * P30 / (len(idx) * P30))


def test_jank_thresholds_follow_perfdog() -> None:
    # Frame times (ms): 3 x 33.3 then 100 (jank, not big: > 84, < 125), 3 x 33.3 then 80 (> 2x mean but < 84).
    times = [P30] * 3 + [100.0] + [P30] * 3 + [80.0] + [P30] * 3
    t = [0.0]
    for ft in times:
        t.append(t[-1] + ft)
    idx: list[int | None] = list(range(len(t)))
    r = run(t, idx)
    assert (r.jank_count, r.big_jank_count) == (1, 0)
    assert r.freezes == ()


def test_no_jank_when_recent_frames_were_already_slow() -> None:
    # 150 ms after three 100 ms frames: not > 2 x 100 ms, so no jank; and 150 ms is not > 150 ms: no freeze.
    times = [100.0, 100.0, 100.0, 150.0, 100.0]
    t = [0.0]
    for ft in times:
        t.append(t[-1] + ft)
    r = run(t, list(range(len(t))))
    assert (r.jank_count, r.big_jank_count, len(r.freezes)) == (0, 0, 0)


def test_loop_wraparound_is_not_a_jump() -> None:
    t, idx = steady(20, start=290)
    r = run(t, list(idx))
    assert idx[9:12] == [299, 0, 1]
    assert (r.dropped_frames, r.backward_jumps) == (0, 0)


def test_backward_jump() -> None:
    idx: list[int | None] = [50, 51, 52, 40, 41, 42]
    r = run([k * P30 for k in range(6)], idx)
    assert r.backward_jumps == 1
    assert r.dropped_frames == 0
    assert r.content_updates == 6


def test_undecoded_frames_are_skipped_not_repeats() -> None:
    idx: list[int | None] = [0, 1, None, None, 2, 3, None, 3, 4]
    r = run([k * P30 for k in range(9)], idx)
    assert (r.frames, r.decoded_frames, r.undecoded_frames) == (9, 6, 3)
    assert r.repeated_frames == 1  # the second 3 (None in between does not break the repeat)
    assert r.dropped_frames == 0
    assert r.to_dict()["undecoded_frames"] == 3


def test_capture_ending_in_a_freeze_reports_an_open_ended_one() -> None:
    idx = [0, 1, 2, *([3] * 12)]
    r = run([k * P30 for k in range(15)], idx)
    assert len(r.freezes) == 1
    assert r.freezes[0].open_ended
    assert r.freezes[0].duration_ms == pytest.approx(12 * P30)  # a lower bound: the capture ended


def test_to_dict_is_json() -> None:
    t, idx = steady(30)
    r = run(t, list(idx), refresh_hz=90.0)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["presented_intervals_vsync"] == {"3": 29}
    assert set(d["frame_time_ms"]) == {"p50", "p90", "p99", "mean", "max"}


def test_bad_input_is_refused() -> None:
    with pytest.raises(AnalysisError, match="3 timestamps but 2 indices"):
        run([0.0, 1.0, 2.0], [0, 1])
    with pytest.raises(AnalysisError, match=r"t_ms\[2\] = 5.0 is earlier than t_ms\[1\] = 10.0"):
        run([0.0, 10.0, 5.0], [0, 1, 2])
    with pytest.raises(AnalysisError, match=r"indices\[1\] = 300 is outside the clip; allowed 0\.\.299"):
        run([0.0, 10.0], [0, 300])
    with pytest.raises(AnalysisError, match="none of the 3 presented frames carried a readable index code"):
        run([0.0, 10.0, 20.0], [None, None, None])
    with pytest.raises(AnalysisError, match="at least 2 are needed"):
        run([0.0], [0])
    with pytest.raises(ConfigError, match="source_fps=0 is not allowed"):
        analyze_timeline([0.0, 1.0], [0, 1], source_fps=0, clip_frames=300)
    with pytest.raises(ConfigError, match="clip_frames=1 is not allowed"):
        analyze_timeline([0.0, 1.0], [0, 1], source_fps=30, clip_frames=1)
    with pytest.raises(ConfigError, match=r"refresh_hz=-60\.0 is not allowed"):
        analyze_timeline([0.0, 1.0], [0, 1], source_fps=30, clip_frames=300, refresh_hz=-60.0)


# --- harness.metrics.stats: the summary helpers the frame and startup statistics use ---------------------
def test_percentile_matches_numpy_linear() -> None:
    rng = np.random.default_rng(2)
    for n in (1, 2, 5, 17, 100):
        values = list(rng.normal(100, 20, n))
        for q in (0, 1, 25, 50, 90, 99, 100):
            assert stats.percentile(values, q) == pytest.approx(float(np.percentile(values, q)), abs=1e-9)


def test_summary_golden_values() -> None:
    # By hand: values 10, 12, 14, 20 -> mean 14, sample variance (16 + 4 + 0 + 36) / 3 = 56/3,
    # stdev 4.3205, cv 0.30861; median (12 + 14) / 2 = 13; p90 rank 2.7 -> 14 + 0.7 * 6 = 18.2.
    values = [20.0, 10.0, 14.0, 12.0]
    assert stats.median(values) == 13.0
    assert stats.mean(values) == 14.0
    assert stats.stdev(values) == pytest.approx(4.320494, abs=1e-6)
    assert stats.coefficient_of_variation(values) == pytest.approx(0.308607, abs=1e-6)
    assert stats.percentile(values, 90) == pytest.approx(18.2)
    assert (stats.minimum(values), stats.maximum(values)) == (10.0, 20.0)
    assert stats.stdev([5.0]) == 0.0  # Macrobenchmark reports 0 for a single run


def test_bootstrap_ci_is_seeded_and_brackets_the_median() -> None:
    rng = np.random.default_rng(4)
    values = list(rng.normal(500, 40, 25))
    low, high = stats.bootstrap_ci(values, n_resamples=2000, seed=0)
    assert (low, high) == stats.bootstrap_ci(values, n_resamples=2000, seed=0)
    # Bootstrap medians of an odd-sized sample are sample values, so the bounds are two of the values.
    assert low in values
    assert high in values
    assert low <= stats.median(values) <= high
    # A 95% CI of a median of 25 draws with sigma 40 is roughly +-1.25*1.96*40/5 = +-20 ms wide.
    assert 10 < high - low < 60
    summary = stats.summarize(values)
    assert summary["n"] == 25
    assert summary["median_ci95"] == [low, high]


def test_stats_refuse_bad_input() -> None:
    with pytest.raises(AnalysisError, match="cannot summarise empty values"):
        stats.median([])
    with pytest.raises(AnalysisError, match="not finite"):
        stats.mean([1.0, float("nan")])
    with pytest.raises(ConfigError, match=r"percentile q=101 is not allowed; allowed 0\.\.100"):
        stats.percentile([1.0], 101)
    with pytest.raises(ConfigError, match="n_resamples=0 is not allowed"):
        stats.bootstrap_ci([1.0, 2.0], n_resamples=0)
