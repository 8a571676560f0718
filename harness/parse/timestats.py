"""`adb shell dumpsys SurfaceFlinger --timestats -dump`: SurfaceFlinger's per-layer frame statistics since
`--timestats -clear -enable`, with no 127-frame window (unlike --latency), so one dump covers a whole capture.

Format (TimeStatsHelper.cpp): a global section (`SurfaceFlinger TimeStats:`, `statsStart = ..`, `totalFrames =
..`, histograms), then per layer a block starting `layerName = <name>` with `packageName =`, `totalFrames =`,
`droppedFrames =`, optional `displayRefreshRate = 60 fps` / `renderRate =` / `uid =` / `gameMode =` lines (newer
releases print some before `layerName`), `averageFPS = %.3f` (1000 / the mean present-to-present time) and
`<name> histogram is as below:` each followed by one line of `<bucket>ms=<count>` pairs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.errors import ParseError
from harness.parse._text import split_lines, to_float, to_int

_KEY = re.compile(r"^(?P<key>\w+) = (?P<value>.*?)\s*$")
_HIST_HEAD = re.compile(r"^(?P<name>\w+) histogram is as below:\s*$")
_BUCKET = re.compile(r"(?P<ms>\d+)ms=(?P<n>\d+)")
_HZ = re.compile(r"^(?P<hz>[\d.]+)(?: fps)?$")
_PREFIX_KEYS = ("displayRefreshRate", "renderRate", "uid", "gameMode")


@dataclass(frozen=True)
class TimeStatsLayer:
    """One layer's TimeStats. histograms: name (e.g. "present2present") -> {bucket lower edge ms: count}.
    average_fps: SurfaceFlinger's averageFPS line (None when it printed none: no present2present deltas).
    display_refresh_hz: the `displayRefreshRate` printed with the layer on newer releases, else None."""

    name: str
    package: str | None
    total_frames: int | None
    dropped_frames: int | None
    average_fps: float | None
    histograms: dict[str, dict[int, int]] = field(default_factory=dict)
    display_refresh_hz: float | None = None
    line: int = 0

    @property
    def present_intervals(self) -> int:
        """How many present-to-present intervals the histogram holds."""
        return sum(self.histograms.get("present2present", {}).values())


@dataclass(frozen=True)
class SfTimeStats:
    layers: list[TimeStatsLayer] = field(default_factory=list)
    total_frames: int | None = None

    def layer(self, name: str) -> TimeStatsLayer | None:
        return next((x for x in self.layers if x.name == name), None)


def parse_sf_timestats(text: str, *, source: str = "<text>") -> SfTimeStats:
    """Every layer block of a --timestats -dump (see the module's docstring). A dump without any `layerName =` line
    and without the `SurfaceFlinger TimeStats:` heading is a ParseError; so is a number that does not read."""
    lines = split_lines(text)
    heading = any(line.strip() == "SurfaceFlinger TimeStats:" for line in lines)
    layers: list[dict[str, object]] = []
    pending: dict[str, object] = {}  # keys printed before the next layerName
    global_frames: int | None = None
    k = 0
    while k < len(lines):
        raw = lines[k].strip()
        line = k + 1
        k += 1
        if (h := _HIST_HEAD.match(raw)) is not None:
            row = lines[k] if k < len(lines) else ""
            buckets = {int(b.group("ms")): int(b.group("n")) for b in _BUCKET.finditer(row)}
            if layers:
                layers[-1].setdefault("histograms", {})[h.group("name")] = buckets  # type: ignore[index]
            k += 1
            continue
        m = _KEY.match(raw)
        if m is None:
            continue
        key, value = m.group("key"), m.group("value")
        if key == "layerName":
            layers.append({**pending, "name": value, "line": line})
            pending = {}
        elif key in _PREFIX_KEYS and (not layers or "averageFPS" in layers[-1] or "histograms" in layers[-1]):
            pending[key] = (value, line)
        elif layers:
            layers[-1][key] = (value, line)
        elif key == "totalFrames" and global_frames is None:
            global_frames = to_int(value, source=source, line=line, what=key)
    if not layers and not heading:
        raise ParseError("no TimeStats found (no 'layerName =' line); allowed `dumpsys SurfaceFlinger --timestats "
                         "-dump` output", source=source, line=1)
    return SfTimeStats(layers=[_layer(d, source=source) for d in layers], total_frames=global_frames)


def _layer(d: dict[str, object], *, source: str) -> TimeStatsLayer:
    def text(key: str) -> tuple[str, int] | None:
        value = d.get(key)
        return (str(value[0]), int(value[1])) if isinstance(value, tuple) else None

    def integer(key: str) -> int | None:
        found = text(key)
        return None if found is None else to_int(found[0], source=source, line=found[1], what=key)

    fps = text("averageFPS")
    package = text("packageName")
    refresh = text("displayRefreshRate")
    rate = _HZ.match(refresh[0]) if refresh else None
    histograms = d.get("histograms", {})
    assert isinstance(histograms, dict)
    return TimeStatsLayer(
        name=str(d["name"]),
        package=package[0] or None if package else None,
        total_frames=integer("totalFrames"),
        dropped_frames=integer("droppedFrames"),
        average_fps=None if fps is None else to_float(fps[0], source=source, line=fps[1], what="averageFPS"),
        histograms=histograms,
        display_refresh_hz=float(rate.group("hz")) if rate else None,
        line=int(str(d["line"])),
    )
