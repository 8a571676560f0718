"""`adb shell dumpsys gfxinfo <pkg> [framestats]`: the per-process and per-window summaries (frames rendered,
janky frames, percentiles, the "Number ..." counters) and the framestats CSV between `---PROFILEDATA---` markers.

Layout of a dump: `** Graphics info for pid N [pkg] **` opens a process (a dump of all processes holds many); a
summary block (`Stats since`, `Total frames rendered`, ...) follows; then per window a line
`<title>/android.view.ViewRootImpl@<id> (visibility=n)`, on Android 12+ a `Window: <title>` line and that window's
own summary, then its framestats block. Framestats columns are found by NAME in the header line (`Flags,...`), so
every layout reads the same: Android 6 (14 columns), 7-11 (16: DequeueBufferDuration, QueueBufferDuration),
12+ (FrameTimelineVsyncId, FrameDeadline, GpuCompleted, DisplayPresentTime, ...). Only View-system (HWUI) frames
appear: a SurfaceView / GL / camera preview surface is invisible here (android/ndk-samples#631).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from harness.errors import ParseError
from harness.parse._text import INT64_MAX, split_lines, to_int

MARKER = "---PROFILEDATA---"
_PROCESS = re.compile(r"^\*\* Graphics info for pid (?P<pid>\d+) \[(?P<pkg>[^\]]*)\] \*\*")
_WINDOW = re.compile(r"^\s*(?P<title>.*?)/android\.view\.ViewRootImpl@[0-9a-f]+ \(visibility=(?P<vis>-?\d+)\)\s*$")
_WINDOW_NAME = re.compile(r"^Window: (?P<name>.*?)\s*$")
_SUMMARY_LINE = re.compile(r"^(?P<key>[A-Za-z0-9 ()]+?): (?P<value>.*?)\s*$")
_FRAMES_PERCENT = re.compile(r"^(?P<n>\d+) \((?P<pct>[\d.]+)%\)$")
_MS = re.compile(r"^(?P<ms>\d+)ms$")
_NS = re.compile(r"^(?P<ns>\d+)ns$")
_INTERVAL_MAX_NS = 1_000_000_000  # a frame interval is far below 1 s; a timestamp is far above it

_COUNTERS = {
    "Number Missed Vsync": "missed_vsync",
    "Number High input latency": "high_input_latency",
    "Number Slow UI thread": "slow_ui_thread",
    "Number Slow bitmap uploads": "slow_bitmap_uploads",
    "Number Slow issue draw commands": "slow_issue_draw_commands",
    "Number Frame deadline missed": "frame_deadline_missed",
    "Number Frame deadline missed (legacy)": "frame_deadline_missed_legacy",
}
_PERCENTILES = {
    "50th percentile": "p50_ms", "90th percentile": "p90_ms", "95th percentile": "p95_ms", "99th percentile": "p99_ms",
    "50th gpu percentile": "gpu_p50_ms", "90th gpu percentile": "gpu_p90_ms",
    "95th gpu percentile": "gpu_p95_ms", "99th gpu percentile": "gpu_p99_ms",
}


@dataclass(frozen=True)
class GfxSummary:
    """A gfxinfo summary block, values as printed.

    Percentiles are whole milliseconds from Android's histogram buckets (None when the line is absent, e.g. no
    50th percentile on Android 6, or when no frame was rendered: Android then prints its 4950 ms overflow bucket).
    Counters are None when the release does not print them. janky_frames_legacy: Android 12+'s second count
    (frame time > 16 ms, the pre-12 rule); janky_frames is the new rule (missed its deadline). package: the
    process's package; window: the window's title for a per-window block (Android 12+), None for the process.
    """

    total_frames: int
    janky_frames: int | None = None
    janky_percent: float | None = None
    p50_ms: int | None = None
    p90_ms: int | None = None
    p95_ms: int | None = None
    p99_ms: int | None = None
    missed_vsync: int | None = None
    high_input_latency: int | None = None
    slow_ui_thread: int | None = None
    slow_bitmap_uploads: int | None = None
    slow_issue_draw_commands: int | None = None
    frame_deadline_missed: int | None = None
    frame_deadline_missed_legacy: int | None = None
    janky_frames_legacy: int | None = None
    janky_legacy_percent: float | None = None
    gpu_p50_ms: int | None = None
    gpu_p90_ms: int | None = None
    gpu_p95_ms: int | None = None
    gpu_p99_ms: int | None = None
    stats_since_ns: int | None = None
    package: str | None = None
    window: str | None = None
    line: int = 0


@dataclass(frozen=True)
class FrameStat:
    """One framestats row (times in ns on the device's monotonic clock).

    duration_ms = (FrameCompleted - IntendedVsync) / 1e6, None when the row has no completed frame (FrameCompleted
    0) or completes before its vsync. valid: Flags == 0 and a duration exists; other rows are kept but invalid
    (invalid_reason says why): Android sets Flags for frames that are not steady-state draws (window change, first
    draw after a resize...), and Macrobenchmark and Android's docs skip them. frame_interval_ns: the vsync interval
    the frame was scheduled for (Android 12+); Android prints the FrameInterval / FrameStartTime values in the
    order opposite to their header names, so it is taken from whichever of the two holds a value below 1 s.
    Optional columns are None in layouts without them.
    """

    flags: int
    intended_vsync_ns: int
    frame_completed_ns: int
    duration_ms: float | None
    valid: bool
    invalid_reason: str | None
    line: int
    vsync_ns: int | None = None
    frame_deadline_ns: int | None = None
    frame_interval_ns: int | None = None
    gpu_completed_ns: int | None = None
    display_present_ns: int | None = None
    frame_timeline_vsync_id: int | None = None
    window: str | None = None


@dataclass(frozen=True)
class GfxWindow:
    """One window (ViewRootImpl) of a process: its Android 12+ summary and its framestats rows."""

    title: str | None
    visibility: int | None
    summary: GfxSummary | None
    framestats: list[FrameStat]
    line: int


@dataclass(frozen=True)
class GfxProcess:
    """One `** Graphics info for pid N [pkg] **` section (pid and package None for a bare framestats excerpt).
    framestats: every row of every window of the process, in the order of the dump."""

    pid: int | None
    package: str | None
    summary: GfxSummary | None
    windows: list[GfxWindow]
    framestats: list[FrameStat]
    line: int


@dataclass(frozen=True)
class GfxInfo:
    """A gfxinfo dump. summary, framestats and package are those of the FIRST process in the dump (the one
    `dumpsys gfxinfo <pkg>` was asked for); a dump of several processes lists them all in `processes`, never
    mixed: use `process(package)` for another one."""

    summary: GfxSummary | None
    framestats: list[FrameStat]
    package: str | None
    processes: list[GfxProcess] = field(default_factory=list)

    def process(self, package: str) -> GfxProcess | None:
        return next((p for p in self.processes if p.package == package), None)


@dataclass
class _Proc:
    pid: int | None
    package: str | None
    line: int
    summary: GfxSummary | None = None
    windows: list[_Win] = field(default_factory=list)


@dataclass
class _Win:
    title: str | None
    visibility: int | None
    line: int
    summary: GfxSummary | None = None
    frames: list[FrameStat] = field(default_factory=list)


def parse_gfxinfo(text: str, *, source: str = "<text>") -> GfxInfo:
    """A gfxinfo dump (see the module's docstring): processes, their summaries, windows and framestats. Text with
    neither a summary nor a framestats block is a ParseError; so are a framestats header without Flags,
    IntendedVsync or FrameCompleted, and a row that is short or not made of integers."""
    lines = split_lines(text)
    procs: list[_Proc] = []
    found = False  # a summary or a framestats block
    k = 0
    while k < len(lines):
        raw = lines[k]
        stripped = raw.strip()
        if m := _PROCESS.match(stripped):
            procs.append(_Proc(pid=int(m.group("pid")), package=m.group("pkg"), line=k + 1))
        elif m := _WINDOW.match(raw):
            proc = _current(procs, k)
            proc.windows.append(_Win(title=m.group("title"), visibility=int(m.group("vis")), line=k + 1))
        elif (m := _WINDOW_NAME.match(stripped)) and procs and procs[-1].windows:
            procs[-1].windows[-1].title = m.group("name")
        elif stripped.startswith("Total frames rendered:") or (
            stripped.startswith("Stats since:") and k + 1 < len(lines)
            and lines[k + 1].strip().startswith("Total frames rendered:")
        ):
            proc = _current(procs, k)
            window = proc.windows[-1] if proc.windows else None
            summary, k = _summary(lines, k, proc.package, window.title if window else None, source=source)
            found = True
            if window is not None and window.summary is None:
                window.summary = summary
            elif proc.summary is None and window is None:
                proc.summary = summary
            continue
        elif stripped == MARKER:
            proc = _current(procs, k)
            if not proc.windows:
                proc.windows.append(_Win(title=None, visibility=None, line=k + 1))
            window = proc.windows[-1]
            found = True
            k = _framestats(lines, k + 1, window, source=source)
            continue
        k += 1
    if not found:
        not_running = next((k for k, raw in enumerate(lines, start=1) if raw.startswith("No process found for:")), 0)
        if not_running:
            raise ParseError(f"{lines[not_running - 1].strip()} (the app was not running when gfxinfo was dumped)",
                             source=source, line=not_running)
        raise ParseError("no gfxinfo summary (Total frames rendered:) and no framestats block (---PROFILEDATA---)",
                         source=source, line=1)
    processes = [_freeze(p) for p in procs]
    first = processes[0]
    return GfxInfo(summary=first.summary, framestats=first.framestats, package=first.package, processes=processes)


def _current(procs: list[_Proc], k: int) -> _Proc:
    if not procs:
        procs.append(_Proc(pid=None, package=None, line=k + 1))
    return procs[-1]


def _freeze(p: _Proc) -> GfxProcess:
    windows = [GfxWindow(title=w.title, visibility=w.visibility, summary=w.summary, line=w.line,
                         framestats=[_with_window(f, w.title) for f in w.frames]) for w in p.windows]
    return GfxProcess(pid=p.pid, package=p.package, summary=p.summary, windows=windows, line=p.line,
                      framestats=[f for w in windows for f in w.framestats])


def _with_window(f: FrameStat, title: str | None) -> FrameStat:
    return replace(f, window=title) if title is not None else f


def _summary(lines: list[str], k: int, package: str | None, window: str | None, *,
             source: str) -> tuple[GfxSummary, int]:
    start = k
    values: dict[str, int | float | None] = {}
    while k < len(lines):
        m = _SUMMARY_LINE.match(lines[k].strip())
        if m is None:
            break
        key, value, line = m.group("key"), m.group("value"), k + 1
        if key == "Stats since":
            ns = _NS.match(value)
            values["stats_since_ns"] = int(ns.group("ns")) if ns else None
        elif key == "Total frames rendered":
            values["total_frames"] = to_int(value, source=source, line=line, what=key)
        elif key in ("Janky frames", "Janky frames (legacy)"):
            fp = _FRAMES_PERCENT.match(value)
            if fp is None:
                raise ParseError(f"{key} is {value!r}; allowed 'N (P%)'", source=source, line=line)
            suffix = "" if key == "Janky frames" else "_legacy"
            values[f"janky_frames{suffix}"] = int(fp.group("n"))
            values[f"janky{suffix}_percent"] = float(fp.group("pct"))
        elif key in _PERCENTILES:
            ms = _MS.match(value)
            if ms is None:
                raise ParseError(f"{key} is {value!r}; allowed '<N>ms'", source=source, line=line)
            values[_PERCENTILES[key]] = int(ms.group("ms"))
        elif key in _COUNTERS:
            values[_COUNTERS[key]] = to_int(value, source=source, line=line, what=key)
        elif key not in ("HISTOGRAM", "GPU HISTOGRAM") and not key.startswith("Number "):
            break  # counters a newer release adds ("Number ...") are skipped, anything else ends the block
        k += 1
    if "total_frames" not in values:
        raise ParseError("a summary block without 'Total frames rendered:'", source=source, line=start + 1)
    if values["total_frames"] == 0:  # Android prints its 4950 ms overflow bucket when it has no frame at all
        for name in _PERCENTILES.values():
            if name in values:
                values[name] = None
    return GfxSummary(package=package, window=window, line=start + 1, **values), k  # type: ignore[arg-type]


def _framestats(lines: list[str], k: int, window: _Win, *, source: str) -> int:
    """Read the block after a marker; return the index of the first line after it (after the closing marker, or
    the first line that is not a row: excerpts are cut without one)."""
    columns: dict[str, int] | None = None
    while k < len(lines):
        raw = lines[k].strip()
        if raw == MARKER:
            return k + 1
        if not raw:
            k += 1
            continue
        if raw.startswith("Flags,"):
            columns = _header(raw, source=source, line=k + 1)
        elif re.match(r"^-?\d", raw):
            if columns is None:
                raise ParseError("a framestats row before its header line (Flags,...)", source=source, line=k + 1)
            window.frames.append(_row(raw, columns, source=source, line=k + 1))
        else:
            return k
        k += 1
    return k


def _header(raw: str, *, source: str, line: int) -> dict[str, int]:
    names = [c.strip() for c in raw.split(",")]
    columns = {name: i for i, name in enumerate(names) if name}
    missing = [c for c in ("Flags", "IntendedVsync", "FrameCompleted") if c not in columns]
    if missing:
        raise ParseError(f"framestats header lacks {', '.join(missing)}; it needs Flags, IntendedVsync and "
                         "FrameCompleted", source=source, line=line)
    return columns


def _row(raw: str, columns: dict[str, int], *, source: str, line: int) -> FrameStat:
    fields = raw.split(",")
    if fields and fields[-1].strip() == "":
        fields = fields[:-1]
    if len(fields) < len(columns):
        raise ParseError(f"framestats row has {len(fields)} values, the header names {len(columns)} columns",
                         source=source, line=line)

    def col(name: str) -> int | None:
        i = columns.get(name)
        return None if i is None else to_int(fields[i], source=source, line=line, what=name)

    flags, vsync, completed = (to_int(fields[columns[c]], source=source, line=line, what=c)
                               for c in ("Flags", "IntendedVsync", "FrameCompleted"))  # present: see _header
    duration = (completed - vsync) / 1e6 if completed > 0 and completed >= vsync else None
    reason = None
    if flags != 0:
        reason = f"Flags={flags}"
    elif completed <= 0:
        reason = "FrameCompleted=0 (frame not completed)"
    elif duration is None:
        reason = "FrameCompleted before IntendedVsync"
    intervals = [v for v in (col("FrameInterval"), col("FrameStartTime")) if v is not None and 0 < v < _INTERVAL_MAX_NS]
    deadline = col("FrameDeadline")
    present = col("DisplayPresentTime")
    return FrameStat(
        flags=flags, intended_vsync_ns=vsync, frame_completed_ns=completed, duration_ms=duration,
        valid=reason is None, invalid_reason=reason, line=line, vsync_ns=col("Vsync"),
        frame_deadline_ns=None if deadline is None or deadline >= INT64_MAX else deadline,
        frame_interval_ns=intervals[0] if intervals else None,
        gpu_completed_ns=col("GpuCompleted"),
        display_present_ns=present if present is not None and present > 0 else None,
        frame_timeline_vsync_id=col("FrameTimelineVsyncId"),
    )
