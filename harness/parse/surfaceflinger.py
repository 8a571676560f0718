"""`dumpsys SurfaceFlinger --latency <layer>` (present times of a layer's last frames) and `dumpsys SurfaceFlinger
--list` (layer names), with the choice of the layer that shows an app's camera preview.

--latency prints the refresh period (ns) on its first line, then up to 127 rows `desiredPresent actualPresent
frameReady` (ns, tab separated). A row is a presented frame only when 0 < actualPresent < INT64_MAX (INT64_MAX:
the present fence has not signalled yet; 0: the slot is unused). A wrong layer, a layer without buffers (the
non-BLAST SurfaceView container on Android 12+) and some Android 16 builds print all-zero rows: that is zero valid
frames, not an error. Layer names on Android 12+ look like `SurfaceView[pkg/pkg.Act](BLAST)#123` (Android 13+:
`SurfaceView[pkg/pkg.Act]@0(BLAST)#123`, sometimes after a hex id), before that `SurfaceView - pkg/pkg.Act#0`;
Android 15 --list may wrap each name as `RequestedLayerState{<name> parentId=..}`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.errors import ParseError
from harness.parse._text import INT64_MAX, split_lines, to_int

_DOTS = re.compile(r"^(?:\.{3,}|…+)$")  # an excerpt's cut mark
# "RequestedLayerState{<name>#<id> parentId=.. z=..}" or "... visible=true}": the name ends at the layer id
_REQUESTED = re.compile(r"^RequestedLayerState\{(?P<name>.*#\d+)(?:\s+\w+=[^}]*)?\}\s*$")
_REQUESTED_LOOSE = re.compile(r"^RequestedLayerState\{(?P<name>.*)\}\s*$")
# "[<hash> ]SurfaceView[pkg/Act][@n][(BLAST)][#id]" (Android 12+; "@n" numbers the window's SurfaceViews, Android
# 13+) or "SurfaceView - pkg/Act[#id]" (Android 11 and before)
_SURFACE_VIEW = re.compile(
    r"^(?:[0-9a-f]+ )?SurfaceView(?:\[(?P<bracket>[^\]]*)\](?:@\d+)?(?P<blast>\(BLAST\))?| - (?P<dash>\S+?))"
    r"(?:#(?P<id>\d+))?$"
)


@dataclass(frozen=True)
class SfFrame:
    """One --latency row (ns, the device's monotonic clock). valid: 0 < actual_present_ns < INT64_MAX."""

    desired_present_ns: int
    actual_present_ns: int
    frame_ready_ns: int
    line: int = 0

    @property
    def valid(self) -> bool:
        return 0 < self.actual_present_ns < INT64_MAX


@dataclass(frozen=True)
class SfLatency:
    """A --latency dump: the display's refresh period and the rows in the order printed (oldest first)."""

    refresh_period_ns: int
    frames: list[SfFrame] = field(default_factory=list)

    @property
    def valid_frames(self) -> list[SfFrame]:
        """Rows that are presented frames (see SfFrame.valid), in order."""
        return [f for f in self.frames if f.valid]

    @property
    def refresh_hz(self) -> float:
        return 1e9 / self.refresh_period_ns


def parse_sf_latency(text: str, *, source: str = "<text>") -> SfLatency:
    """The refresh period and rows of `dumpsys SurfaceFlinger --latency <layer>`. Separators may be tabs or spaces;
    a line of dots (an excerpt's cut mark) is skipped. Empty text, a first line that is not one positive integer, or
    a row that is not three integers is a ParseError naming the line."""
    period: int | None = None
    frames: list[SfFrame] = []
    for k, raw in enumerate(split_lines(text), start=1):
        parts = raw.split()
        if not parts or _DOTS.match(raw.strip()):
            continue
        if period is None:
            if len(parts) != 1:
                raise ParseError(f"first line {raw.strip()!r} is not the refresh period; allowed one integer (ns)",
                                 source=source, line=k)
            period = to_int(parts[0], source=source, line=k, what="refresh period")
            if period <= 0:
                raise ParseError(f"refresh period is {period} ns; allowed > 0", source=source, line=k)
            continue
        if len(parts) != 3:
            raise ParseError(f"latency row has {len(parts)} values; allowed 3 (desiredPresent actualPresent "
                             "frameReady, ns)", source=source, line=k)
        desired, actual, ready = (to_int(p, source=source, line=k, what="latency value") for p in parts)
        frames.append(SfFrame(desired_present_ns=desired, actual_present_ns=actual, frame_ready_ns=ready, line=k))
    if period is None:
        raise ParseError("empty: no refresh period line (is the layer name right?)", source=source, line=1)
    return SfLatency(refresh_period_ns=period, frames=frames)


def merge_latency(dumps: Sequence[SfLatency]) -> SfLatency:
    """Successive --latency polls of one layer as one: the valid frames of all of them, each once (same
    actualPresent), in present order. The refresh period is the last dump's. Polls must overlap (127 rows cover
    about 2 s at 60 Hz, 1 s at 120 Hz), or frames between them are missed."""
    if not dumps:
        raise ValueError("merge_latency needs at least one dump")
    seen: dict[int, SfFrame] = {}
    for dump in dumps:
        for f in dump.valid_frames:
            seen.setdefault(f.actual_present_ns, f)
    return SfLatency(refresh_period_ns=dumps[-1].refresh_period_ns, frames=[seen[t] for t in sorted(seen)])


def unwrap_layer_name(line: str) -> str:
    """A layer name as --latency takes it: Android 15's `RequestedLayerState{<name>#<id> parentId=.. z=..}` (or
    `... visible=true}`) gives `<name>#<id>`; other lines are returned stripped."""
    text = line.strip()
    m = _REQUESTED.match(text) or _REQUESTED_LOOSE.match(text)
    return m.group("name").strip() if m else text


def parse_sf_list(text: str, *, source: str = "<text>") -> list[str]:
    """Layer names of `dumpsys SurfaceFlinger --list` (or of its lines filtered by grep/findstr), in order, with
    Android 15's RequestedLayerState wrapping removed. Empty text is a ParseError."""
    names = [unwrap_layer_name(raw) for raw in split_lines(text) if raw.strip()]
    if not names:
        raise ParseError("empty: no layer names", source=source, line=1)
    return names


def surface_view_layers(layers: Sequence[str], package: str) -> list[str]:
    """The SurfaceView layers of `package`, best first: the BLAST layer (Android 12+, the one that receives the
    buffers), then `SurfaceView - pkg/...` (Android 11 and before), then the plain `SurfaceView[pkg/...]` container;
    within a kind, the newest (highest #id) first. `Background for ...` and `Bounds for ...` layers are not
    SurfaceViews. The package must match exactly (com.a does not match com.ab)."""
    ranked: list[tuple[int, int, str]] = []
    for raw in layers:
        name = unwrap_layer_name(raw)
        m = _SURFACE_VIEW.match(name)
        if m is None:
            continue
        owner = m.group("bracket") if m.group("bracket") is not None else m.group("dash")
        if owner is None or owner.split("/", 1)[0] != package:
            continue
        kind = 0 if m.group("blast") else 1 if m.group("dash") is not None else 2
        ranked.append((kind, -int(m.group("id") or 0), name))
    return [name for _, _, name in sorted(ranked)]


def find_camera_layer(layers: Sequence[str], package: str) -> str | None:
    """The layer to pass to --latency for `package`'s camera preview (a SurfaceView): the first of
    surface_view_layers, or None when the app shows no SurfaceView (its preview is then drawn by the View system,
    e.g. a TextureView, and gfxinfo framestats sees it)."""
    found = surface_view_layers(layers, package)
    return found[0] if found else None
