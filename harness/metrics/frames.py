"""Frame-timing statistics of a capture: which source frame each presented frame showed, turned into content
frame rate, drops, repeats, freezes and jank.

Input is one entry per presented output frame: its timestamp and the clip index decoded from it (None when
unreadable). Where a definition exists elsewhere we use it and say so:
- WebRTC's frame analyzer (rtc_tools/frame_analyzer, which decoded per-frame barcodes): a presented frame
  whose index equals the previous one is a repeated frame; the source indices skipped between two shown frames
  are skipped (here: dropped) frames. The freeze threshold is WebRTC's kFreezeThreshold of 150 ms
  (test/pc/e2e DefaultVideoQualityAnalyzer), applied as a plain threshold: WebRTC's analyzer itself also
  requires the gap to exceed 3x and 150 ms + the mean gap, which matters only for very low frame rates.
- PerfDog (Tencent): Jank = a frame time longer than twice the mean of the previous three frame times AND
  longer than two film frames (84 ms); BigJank = the same with three film frames (125 ms); Stutter = the sum
  of jank frame times divided by the total time.
- Jetpack Macrobenchmark (FrameTimingMetric): frame times reported as P50/P90/P99 (linear percentiles).
Here a frame time is the time between two consecutive CONTENT changes (a new source index appearing), which
measures what the viewer sees of the camera pipeline, not how often the screen was refreshed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from harness.errors import AnalysisError, ConfigError
from harness.metrics import stats

FREEZE_THRESHOLD_MS = 150.0  # WebRTC frame analyzer
JANK_MIN_MS = 84.0  # PerfDog: two film frames at 24 fps (2 * 41.7 ms)
BIG_JANK_MIN_MS = 125.0  # PerfDog: three film frames at 24 fps
JANK_HISTORY = 3  # PerfDog compares with the mean of the previous three frame times
JANK_FACTOR = 2.0


@dataclass(frozen=True)
class Freeze:
    """One source frame on screen for longer than FREEZE_THRESHOLD_MS.

    start_ms is the time it appeared (input timestamps); open_ended means the capture ended while it was still
    shown, so duration_ms is a lower bound.
    """

    start_ms: float
    duration_ms: float
    index: int
    open_ended: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_ms": round(self.start_ms, 3),
            "duration_ms": round(self.duration_ms, 3),
            "index": self.index,
            "open_ended": self.open_ended,
        }


@dataclass(frozen=True)
class FrameTiming:
    """Frame-timing statistics of one capture; every field is defined in analyze_timeline's docstring."""

    frames: int
    decoded_frames: int
    duration_ms: float
    presented_fps: float
    content_updates: int
    content_fps: float
    source_fps: float
    dropped_frames: int
    repeated_frames: int
    backward_jumps: int
    frame_time_ms: dict[str, float] | None
    freezes: tuple[Freeze, ...]
    jank_count: int
    big_jank_count: int
    stutter_ratio: float
    refresh_hz: float | None = None
    presented_intervals_vsync: dict[int, int] | None = None
    frame_time_vsync: dict[int, int] | None = None
    frame_times_ms: tuple[float, ...] = field(default=(), repr=False)

    @property
    def undecoded_frames(self) -> int:
        return self.frames - self.decoded_frames

    def to_dict(self) -> dict[str, Any]:
        def hist(h: dict[int, int] | None) -> dict[str, int] | None:
            return None if h is None else {str(k): v for k, v in sorted(h.items())}

        return {
            "frames": self.frames,
            "decoded_frames": self.decoded_frames,
            "undecoded_frames": self.undecoded_frames,
            "duration_ms": round(self.duration_ms, 3),
            "presented_fps": round(self.presented_fps, 3),
            "content_updates": self.content_updates,
            "content_fps": round(self.content_fps, 3),
            "source_fps": self.source_fps,
            "dropped_frames": self.dropped_frames,
            "repeated_frames": self.repeated_frames,
            "backward_jumps": self.backward_jumps,
            "frame_time_ms": None
            if self.frame_time_ms is None
            else {k: round(v, 3) for k, v in self.frame_time_ms.items()},
            "freezes": [f.to_dict() for f in self.freezes],
            "freeze_count": len(self.freezes),
            "jank_count": self.jank_count,
            "big_jank_count": self.big_jank_count,
            "stutter_ratio": round(self.stutter_ratio, 5),
            "refresh_hz": self.refresh_hz,
            "presented_intervals_vsync": hist(self.presented_intervals_vsync),
            "frame_time_vsync": hist(self.frame_time_vsync),
        }


def _check_options(source_fps: float, clip_frames: int, refresh_hz: float | None) -> None:
    if not (isinstance(source_fps, int | float) and math.isfinite(source_fps) and source_fps > 0):
        raise ConfigError(f"source_fps={source_fps!r} is not allowed; allowed a number > 0", key_path="source_fps")
    if not isinstance(clip_frames, int) or clip_frames < 2:
        raise ConfigError(
            f"clip_frames={clip_frames!r} is not allowed; allowed an integer >= 2", key_path="clip_frames"
        )
    if refresh_hz is not None and not (math.isfinite(refresh_hz) and refresh_hz > 0):
        raise ConfigError(
            f"refresh_hz={refresh_hz!r} is not allowed; allowed a number > 0 or None", key_path="refresh_hz"
        )


def _check_timeline(t_ms: Sequence[float], indices: Sequence[int | None], clip_frames: int) -> None:
    if len(t_ms) != len(indices):
        raise AnalysisError(f"timeline: {len(t_ms)} timestamps but {len(indices)} indices; need one of each per frame")
    if len(t_ms) < 2:
        raise AnalysisError(f"timeline: {len(t_ms)} presented frame(s); at least 2 are needed")
    previous = -math.inf
    for k, t in enumerate(t_ms):
        if not math.isfinite(t):
            raise AnalysisError(f"timeline: t_ms[{k}] = {t} is not a finite number")
        if t < previous:
            raise AnalysisError(f"timeline: t_ms[{k}] = {t} is earlier than t_ms[{k - 1}] = {previous}")
        previous = t
    for k, index in enumerate(indices):
        if index is not None and not 0 <= index < clip_frames:
            raise AnalysisError(f"timeline: indices[{k}] = {index} is outside the clip; allowed 0..{clip_frames - 1}")


def _vsync_histogram(intervals_ms: Sequence[float], refresh_hz: float) -> dict[int, int]:
    period_ms = 1000.0 / refresh_hz
    return dict(Counter(round(dt / period_ms) for dt in intervals_ms))


def perfdog_janks(frame_times_ms: Sequence[float]) -> tuple[int, int, float]:
    """PerfDog's Jank and BigJank over a sequence of frame times (ms): frame time k (k >= 3) is a jank when it is
    > 2 x the mean of frame times k-3..k-1 and > 84 ms, a big jank (also a jank) when also > 125 ms. Returns
    (jank count, big jank count, sum of jank frame times in ms)."""
    jank = big_jank = 0
    jank_time_ms = 0.0
    for k in range(JANK_HISTORY, len(frame_times_ms)):
        ft = frame_times_ms[k]
        recent = math.fsum(frame_times_ms[k - JANK_HISTORY : k]) / JANK_HISTORY
        if ft > JANK_FACTOR * recent and ft > JANK_MIN_MS:
            jank += 1
            jank_time_ms += ft
            if ft > BIG_JANK_MIN_MS:
                big_jank += 1
    return jank, big_jank, jank_time_ms


def analyze_timeline(
    t_ms: Sequence[float],
    indices: Sequence[int | None],
    *,
    source_fps: float,
    clip_frames: int,
    refresh_hz: float | None = None,
) -> FrameTiming:
    """Frame-timing statistics of a capture (one entry per presented frame, timestamps non-decreasing).

    Definitions (undecodable frames, index None, are skipped by everything except `frames`):
    - duration_ms: t_ms[-1] - t_ms[0] plus the median presented interval (the last frame's own screen
      time), so N evenly spaced frames span exactly N intervals.
    - presented_fps = frames / duration; content_fps = content_updates / duration.
    - content update: a decoded frame whose index differs from the previous decoded frame's (the first decoded
      frame counts as one). content_updates counts them.
    - step between consecutive updates: d = (new - old) mod clip_frames (the clip loops).
      d <= clip_frames // 2 is a forward step and adds d - 1 to dropped_frames; a larger d is a backward jump
      (content went back in time by clip_frames - d) and adds 1 to backward_jumps.
    - repeated_frames: decoded frames showing the same index as the previous decoded frame.
    - frame time: time between consecutive content updates; frame_time_ms = {p50, p90, p99, mean, max} of them
      (None with fewer than two updates).
    - freezes: updates whose frame time exceeds 150 ms, plus the last update if it stays on screen for more
      than 150 ms until the end of the capture (open_ended, a lower bound).
    - jank_count / big_jank_count (PerfDog): frame time k (k >= 3) > 2 x mean(frame times k-3..k-1) and
      > 84 ms / > 125 ms. A big jank is also a jank. stutter_ratio = sum of jank frame times / duration_ms.
    - refresh_hz given: presented_intervals_vsync = histogram {n: count} of presented frame intervals in
      refresh periods (n = round(interval * refresh_hz / 1000)); frame_time_vsync the same for frame times.
    `source_fps` is the clip's nominal rate (reported alongside content_fps for comparison).
    """
    _check_options(source_fps, clip_frames, refresh_hz)
    _check_timeline(t_ms, indices, clip_frames)
    times = [float(t) for t in t_ms]
    presented_intervals = [b - a for a, b in pairwise(times)]
    duration_ms = times[-1] - times[0] + stats.median(presented_intervals)

    decoded = [(t, i) for t, i in zip(times, indices, strict=True) if i is not None]
    if not decoded:
        raise AnalysisError(f"timeline: none of the {len(times)} presented frames carried a readable index code")
    updates: list[tuple[float, int]] = [decoded[0]]
    dropped = repeated = backward = 0
    for t, index in decoded[1:]:
        previous = updates[-1][1]
        if index == previous:
            repeated += 1
            continue
        step = (index - previous) % clip_frames
        if step <= clip_frames // 2:
            dropped += step - 1
        else:
            backward += 1
        updates.append((t, index))

    frame_times = [b[0] - a[0] for a, b in pairwise(updates)]
    freezes = [
        Freeze(start_ms=updates[k][0], duration_ms=ft, index=updates[k][1])
        for k, ft in enumerate(frame_times)
        if ft > FREEZE_THRESHOLD_MS
    ]
    tail_ms = times[0] + duration_ms - updates[-1][0]
    if tail_ms > FREEZE_THRESHOLD_MS:
        freezes.append(Freeze(start_ms=updates[-1][0], duration_ms=tail_ms, index=updates[-1][1], open_ended=True))

    jank, big_jank, jank_time_ms = perfdog_janks(frame_times)

    summary = (
        {
            "p50": stats.percentile(frame_times, 50),
            "p90": stats.percentile(frame_times, 90),
            "p99": stats.percentile(frame_times, 99),
            "mean": stats.mean(frame_times),
            "max": max(frame_times),
        }
        if frame_times
        else None
    )
    duration_s = duration_ms / 1000.0
    return FrameTiming(
        frames=len(times),
        decoded_frames=len(decoded),
        duration_ms=duration_ms,
        presented_fps=len(times) / duration_s if duration_s > 0 else 0.0,
        content_updates=len(updates),
        content_fps=len(updates) / duration_s if duration_s > 0 else 0.0,
        source_fps=float(source_fps),
        dropped_frames=dropped,
        repeated_frames=repeated,
        backward_jumps=backward,
        frame_time_ms=summary,
        freezes=tuple(freezes),
        jank_count=jank,
        big_jank_count=big_jank,
        stutter_ratio=jank_time_ms / duration_ms if duration_ms > 0 else 0.0,
        refresh_hz=refresh_hz,
        presented_intervals_vsync=_vsync_histogram(presented_intervals, refresh_hz) if refresh_hz else None,
        frame_time_vsync=_vsync_histogram(frame_times, refresh_hz) if refresh_hz and frame_times else None,
        frame_times_ms=tuple(frame_times),
    )
