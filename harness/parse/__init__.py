"""Parsers for what real Android and iOS devices print: `am start -W`, logcat, `dumpsys gfxinfo [framestats]`,
`dumpsys SurfaceFlinger --latency / --list / --timestats`, getprop, `dumpsys display` / `dumpsys SurfaceFlinger`, and
pymobiledevice3 fps logs. Pure functions: text in, frozen dataclasses out; a text that cannot be read is a
ParseError naming the source and the line. Nothing here talks to a device."""

from harness.errors import ParseError
from harness.parse._text import INT64_MAX, decode, format_duration_ms, parse_duration_ms, read_text
from harness.parse.am_start import AmStart, parse_am_start, parse_am_start_all
from harness.parse.detect import KINDS, Kind, detect_kind
from harness.parse.display import DisplayInfo, parse_display
from harness.parse.getprop import AndroidFingerprint, android_fingerprint, parse_getprop
from harness.parse.gfxinfo import FrameStat, GfxInfo, GfxProcess, GfxSummary, GfxWindow, parse_gfxinfo
from harness.parse.ios import IosFps, IosFpsSample, IosProcessSample, parse_ios_fps
from harness.parse.logcat import (
    AnrEvent,
    CrashEvent,
    DisplayedEvent,
    FullyDrawnEvent,
    LogcatEvents,
    parse_logcat,
)
from harness.parse.surfaceflinger import (
    SfFrame,
    SfLatency,
    find_camera_layer,
    merge_latency,
    parse_sf_latency,
    parse_sf_list,
    surface_view_layers,
    unwrap_layer_name,
)
from harness.parse.timestats import SfTimeStats, TimeStatsLayer, parse_sf_timestats

__all__ = [
    "INT64_MAX",
    "KINDS",
    "AmStart",
    "AndroidFingerprint",
    "AnrEvent",
    "CrashEvent",
    "DisplayInfo",
    "DisplayedEvent",
    "FrameStat",
    "FullyDrawnEvent",
    "GfxInfo",
    "GfxProcess",
    "GfxSummary",
    "GfxWindow",
    "IosFps",
    "IosFpsSample",
    "IosProcessSample",
    "Kind",
    "LogcatEvents",
    "ParseError",
    "SfFrame",
    "SfLatency",
    "SfTimeStats",
    "TimeStatsLayer",
    "android_fingerprint",
    "decode",
    "detect_kind",
    "find_camera_layer",
    "format_duration_ms",
    "merge_latency",
    "parse_am_start",
    "parse_am_start_all",
    "parse_display",
    "parse_duration_ms",
    "parse_getprop",
    "parse_gfxinfo",
    "parse_ios_fps",
    "parse_logcat",
    "parse_sf_latency",
    "parse_sf_list",
    "parse_sf_timestats",
    "read_text",
    "surface_view_layers",
    "unwrap_layer_name",
]
