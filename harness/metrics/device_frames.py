"""Frame-time metrics from a device's own clocks (the "second clocks" beside the harness's video): SurfaceFlinger
present times of a layer (`dumpsys SurfaceFlinger --latency`) and HWUI framestats (`dumpsys gfxinfo framestats`).
Arrays in, numbers out; which rows are valid is decided by the parser (harness.parse), not here.

Definitions (docs/metrics.md, "Android second clocks"):
- present interval: actualPresent[k] - actualPresent[k-1] of consecutive valid frames; fps = (n - 1) / (last -
  first present). refreshes_per_interval = round(interval / refresh period); an interval of n >= 2 refreshes is a
  jank (the display showed the previous frame again n - 1 times; those are missed_refreshes). PerfDog's Jank /
  BigJank / Stutter on the same intervals (harness.metrics.frames.perfdog_janks).
- framestats duration: FrameCompleted - IntendedVsync; slow frames: duration > the refresh period (the frame could
  not be shown at the next vsync); deadline overrun (Android 12+): FrameCompleted - FrameDeadline, > 0 = missed,
  as Macrobenchmark's frameOverrunMs.
Percentiles: harness.metrics.stats.percentile (linear interpolation, rank = q/100 x (n - 1)), as everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from harness.errors import AnalysisError, ConfigError
from harness.metrics import stats
from harness.metrics.frames import perfdog_janks

PERCENTILES = (50, 90, 95, 99)


def summarize_ms(values: Sequence[float]) -> dict[str, float] | None:
    """{p50, p90, p95, p99, mean, max} of `values` (ms), None when there are none."""
    if not values:
        return None
    out = {f"p{q}": stats.percentile(values, q) for q in PERCENTILES}
    out["mean"] = stats.mean(values)
    out["max"] = stats.maximum(values)
    return out


@dataclass(frozen=True)
class PresentStats:
    """Present-to-present statistics of one layer. fps and interval_ms are None with fewer than 2 frames."""

    frames: int
    span_ms: float
    fps: float | None
    interval_ms: dict[str, float] | None
    refresh_period_ms: float
    jank_count: int
    missed_refreshes: int
    perfdog_jank_count: int
    perfdog_big_jank_count: int
    stutter_ratio: float


def _check_period(name: str, value: float) -> None:
    if not value > 0:
        raise ConfigError(f"{name}={value!r} is not allowed; allowed a number > 0", key_path=name)


def present_intervals_ms(actual_present_ns: Sequence[int]) -> list[float]:
    """Intervals (ms) between consecutive present times; the times must strictly increase (AnalysisError
    otherwise, naming the first offending index)."""
    for k, (a, b) in enumerate(pairwise(actual_present_ns), start=1):
        if b <= a:
            raise AnalysisError(f"present times must increase: actual_present_ns[{k}] = {b} <= [{k - 1}] = {a}")
    return [(b - a) / 1e6 for a, b in pairwise(actual_present_ns)]


def present_stats(actual_present_ns: Sequence[int], *, refresh_period_ns: float) -> PresentStats:
    """Statistics of a layer's valid present times (SfLatency.valid_frames' actual_present_ns, in order) on a
    display with `refresh_period_ns` (the --latency first line). See the module's docstring."""
    _check_period("refresh_period_ns", refresh_period_ns)
    intervals = present_intervals_ms(actual_present_ns)
    period_ms = refresh_period_ns / 1e6
    refreshes = [max(1, round(dt / period_ms)) for dt in intervals]
    span_ms = (actual_present_ns[-1] - actual_present_ns[0]) / 1e6 if len(actual_present_ns) >= 2 else 0.0
    jank, big_jank, jank_time_ms = perfdog_janks(intervals)
    return PresentStats(
        frames=len(actual_present_ns),
        span_ms=span_ms,
        fps=(len(actual_present_ns) - 1) / (span_ms / 1000.0) if span_ms > 0 else None,
        interval_ms=summarize_ms(intervals),
        refresh_period_ms=period_ms,
        jank_count=sum(1 for n in refreshes if n >= 2),
        missed_refreshes=sum(n - 1 for n in refreshes),
        perfdog_jank_count=jank,
        perfdog_big_jank_count=big_jank,
        stutter_ratio=jank_time_ms / span_ms if span_ms > 0 else 0.0,
    )


@dataclass(frozen=True)
class FramestatsStats:
    """HWUI frame statistics of valid framestats rows. duration_ms / overrun_ms are None without values;
    deadline_frames counts the frames that had a deadline (Android 12+), missed_deadline_count those of them
    completed after it."""

    frames: int
    duration_ms: dict[str, float] | None
    refresh_period_ms: float
    slow_frame_count: int
    slow_frame_ratio: float | None
    deadline_frames: int
    missed_deadline_count: int
    overrun_ms: dict[str, float] | None


def frame_overruns_ms(frame_completed_ns: Sequence[int], frame_deadline_ns: Sequence[int | None]) -> list[float]:
    """(FrameCompleted - FrameDeadline) / 1e6 per frame whose deadline is known (None: no deadline, e.g. a layout
    without the column or Android's INT64_MAX)."""
    if len(frame_completed_ns) != len(frame_deadline_ns):
        raise AnalysisError(f"{len(frame_completed_ns)} completion times but {len(frame_deadline_ns)} deadlines")
    return [(c - d) / 1e6 for c, d in zip(frame_completed_ns, frame_deadline_ns, strict=True) if d is not None]


def framestats_stats(durations_ms: Sequence[float], *, refresh_period_ms: float,
                     overruns_ms: Sequence[float] = ()) -> FramestatsStats:
    """Statistics of valid frames' durations (FrameStat.duration_ms of rows with valid True) against the display's
    refresh period (ms), and of their deadline overruns (frame_overruns_ms) when the layout has deadlines."""
    _check_period("refresh_period_ms", refresh_period_ms)
    bad = [d for d in durations_ms if not d >= 0]
    if bad:
        raise AnalysisError(f"frame durations must be >= 0 ms; got {bad[0]}")
    slow = sum(1 for d in durations_ms if d > refresh_period_ms)
    return FramestatsStats(
        frames=len(durations_ms),
        duration_ms=summarize_ms(durations_ms),
        refresh_period_ms=refresh_period_ms,
        slow_frame_count=slow,
        slow_frame_ratio=slow / len(durations_ms) if durations_ms else None,
        deadline_frames=len(overruns_ms),
        missed_deadline_count=sum(1 for o in overruns_ms if o > 0),
        overrun_ms=summarize_ms(overruns_ms),
    )


def median_interval_ns(frame_intervals_ns: Sequence[int | None]) -> float | None:
    """The refresh period a process's frames were scheduled at: the median of framestats' frame intervals
    (Android 12+; None entries skipped), None when there are none."""
    known = [float(v) for v in frame_intervals_ns if v is not None]
    return stats.median(known) if known else None
