"""The one registry of metric names the harness measures (docs/metrics.md), with the unit each name's suffix
stands for. A scenario's `expect:` may name only these; the report reads units from here.

Imports nothing from the harness: the config layer checks names with it before anything runs.
"""

from __future__ import annotations

import re
from typing import Final

LAUNCH_MODES: Final = ("cold", "warm", "hot")
_MODE = "(?:" + "|".join(LAUNCH_MODES) + ")"

# Exact names, as written to results.json `metrics` (docs/metrics.md, one table row each).
METRIC_NAMES: Final = frozenset(
    {
        # start-up
        "startup_ms",
        "app_first_frame_ms",
        "filter_latency_ms",
        "beauty_latency_ms",
        "effect_latency_ms",
        # frame timing (capture)
        "content_fps",
        "presented_fps",
        "dropped_frames",
        "repeated_frames",
        "undecoded_frames",
        "frame_time_p50_ms",
        "frame_time_p90_ms",
        "frame_time_p99_ms",
        "freeze_count",
        "jank_count",
        "big_jank_count",
        "stutter_ratio",
        # visual checks (capture, key frames)
        "black_frame_luma_p99",
        "green_frame_share",
        "filter_applied_delta_e",
        "filter_delta_e",
        "beauty_smoothing_ratio",
        "beauty_whitening_dl",
        "beauty_detail_ratio",
        "effect_changed_share",
        "effect_offset_x_face",
        "effect_offset_y_face",
        "effect_jitter",
        "key_frames_decoded",
        # recording
        "recording_frames",
        "recording_duration_ms",
        "recording_content_fps",
        "recording_dropped_frames",
        "app_recording_duration_ms",
        "recording_duration_error_pct",
        "recording_fps_share",
        "recording_effect_share",
        # face tracking (capture, every output frame of a face-anchored effect)
        "tracking_lag_ms",
        "tracking_error_p50_px",
        "tracking_error_p95_px",
        "tracking_error_p50_pct",
        "tracking_error_p95_pct",
        "tracking_jitter_p50_px",
        "tracking_jitter_p95_px",
        "tracking_jitter_p50_pct",
        "tracking_jitter_p95_pct",
        "tracking_placed_share",
        "time_to_first_track_ms",
        # app-reported
        "app_cost_ms",
        "app_fps",
    }
)
# Names with a launch mode in them (`startup_cold_ms`, `startup_warm_cv`, `app_first_frame_hot_ms`).
METRIC_PATTERNS: Final = (
    re.compile(rf"^startup_{_MODE}_ms$"),
    re.compile(rf"^startup_{_MODE}_(?:min|max|ci95_low|ci95_high)_ms$"),
    re.compile(rf"^startup_{_MODE}_cv$"),
    re.compile(rf"^app_first_frame_{_MODE}_ms$"),
)
METRIC_PATTERN_TEXT: Final = (
    "startup_<mode>_ms, startup_<mode>_{min,max,ci95_low,ci95_high}_ms, startup_<mode>_cv, "
    "app_first_frame_<mode>_ms with <mode> cold, warm or hot"
)

_UNITS_BY_SUFFIX: Final = {"ms": "ms", "s": "s", "fps": "fps", "hz": "Hz", "pct": "%", "mb": "MB", "px": "px"}


def is_metric(name: str) -> bool:
    """True for a metric the harness measures (an exact name or a launch-mode pattern)."""
    return name in METRIC_NAMES or any(pattern.match(name) for pattern in METRIC_PATTERNS)


def metric_unit(metric: str) -> str:
    """The unit named by a metric's suffix (`startup_ms` -> "ms", `content_fps` -> "fps"); "" if none."""
    return _UNITS_BY_SUFFIX.get(metric.rsplit("_", 1)[-1].lower(), "") if "_" in metric else ""


def closest_metrics(name: str, *, limit: int = 3) -> list[str]:
    """Known metric names that look like `name` (for "did you mean" in an error)."""
    import difflib

    return difflib.get_close_matches(name, sorted(METRIC_NAMES), n=limit, cutoff=0.6)


__all__ = ["LAUNCH_MODES", "METRIC_NAMES", "METRIC_PATTERNS", "METRIC_PATTERN_TEXT", "closest_metrics",
           "is_metric", "metric_unit"]
