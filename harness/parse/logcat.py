"""Launch, crash and ANR events in `adb logcat` text (threadtime, time, brief, tag and long formats, and lines
reduced to "time message").

Events (messages as Android prints them):
- `ActivityManager` / `ActivityTaskManager`: `Displayed pkg/.Act: +1s234ms` (optionally ` (total +2s5ms)`; Android
  14+ prints `Displayed pkg/.Act for user 0: +1s234ms`): time to initial display, and `Fully drawn pkg/.Act:
  +3s493ms`: time to `reportFullyDrawn()`.
- `AndroidRuntime`: `FATAL EXCEPTION: main`, then `Process: pkg, PID: n` (Android 5+), then the exception line.
- native: `libc`: `Fatal signal 11 (SIGSEGV), code 1 ..., pid 1200 (pkg)`, and `DEBUG`'s tombstone starting with
  `*** *** ***`, then `pid: n, tid: n, name: x  >>> pkg <<<` and `signal 11 (SIGSEGV) ...`. One crash prints both;
  they count once (same pid).
- `ActivityManager`: `ANR in pkg (pkg/.Act)`, then `PID: n` and `Reason: ...`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from harness.errors import ParseError
from harness.parse._text import parse_duration_ms, split_lines

_DURATION = r"[+-]?(?:\d+[dhms]|\d+ms)+"
# threadtime: "04-05 15:50:00.421  1201  1239 I ActivityManager: msg" (optionally with a year, or a uid column)
_THREADTIME = re.compile(
    r"^(?P<time>(?:\d{4}-)?\d\d-\d\d\s+\d\d:\d\d:\d\d\.\d+)\s+(?:\S+\s+)??(?P<pid>\d+)\s+(?P<tid>\d+)\s+"
    r"(?P<level>[VDIWEFAS])\s+(?P<tag>.*?)\s*: (?P<msg>.*)$"
)
# time: "04-05 15:50:00.421 I/ActivityManager( 1201): msg"; brief: "I/ActivityManager( 1201): msg"; tag: "I/Tag: msg"
_BRIEF = re.compile(
    r"^(?:(?P<time>(?:\d{4}-)?\d\d-\d\d\s+\d\d:\d\d:\d\d\.\d+)\s+)?(?P<level>[VDIWEFAS])/(?P<tag>[^(:]*?)\s*"
    r"(?:\(\s*(?P<pid>\d+)\))?: (?P<msg>.*)$"
)
# long: "[ 04-05 15:50:00.421  1201: 1239 I/ActivityManager ]", the message on the lines after it
_LONG = re.compile(
    r"^\[\s*(?P<time>(?:\d{4}-)?\d\d-\d\d\s+\d\d:\d\d:\d\d\.\d+)\s+(?P<pid>\d+):\s*(?P<tid>\S+)\s+"
    r"(?P<level>[VDIWEFAS])/(?P<tag>.*?)\s*\]\s*$"
)
# a line reduced to "14:11:32.480 message" (excerpts in reports)
_TIME_ONLY = re.compile(r"^(?P<time>\d\d:\d\d:\d\d\.\d+)\s+(?P<msg>.*)$")
_SKIP = re.compile(r"^-+ beginning of ")

_DISPLAYED = re.compile(
    rf"^Displayed (?P<cmp>\S+/\S+?)(?: for user (?P<user>\d+))?: (?P<dur>{_DURATION})"
    rf"(?:\s+\(total (?P<total>{_DURATION})\))?\s*$"
)
_FULLY_DRAWN = re.compile(rf"^Fully drawn (?P<cmp>\S+/\S+?): (?P<dur>{_DURATION})\s*$")
_FATAL = re.compile(r"^FATAL EXCEPTION: (?P<thread>.*)$")
_PROCESS = re.compile(r"^Process: (?P<proc>[^,\s]+), PID: (?P<pid>\d+)")
_EXCEPTION = re.compile(r"^(?:Caused by: )?(?P<cls>(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*)(?::\s.*)?$")
_FATAL_SIGNAL = re.compile(
    r"^Fatal signal (?P<num>\d+) \((?P<sig>\w+)\).*?(?:pid (?P<pid>\d+) \((?P<proc>[^)]*)\))?\s*$"
)
_TOMBSTONE = re.compile(r"^\*\*\* \*\*\* \*\*\*")
_TOMBSTONE_PID = re.compile(r"^pid: (?P<pid>\d+), tid: \d+, name: .*?>>> (?P<proc>\S+) <<<")
_TOMBSTONE_SIGNAL = re.compile(r"^signal (?P<num>\d+) \((?P<sig>\w+)\)")
_ANR = re.compile(r"^ANR in (?P<proc>\S+)(?:\s+\((?P<act>[^)]*)\))?")
_ANR_PID = re.compile(r"^PID: (?P<pid>\d+)")
_ANR_REASON = re.compile(r"^Reason: (?P<reason>.*)$")
_LAUNCH_TAGS = ("ActivityManager", "ActivityTaskManager")
_LOOKAHEAD = 40  # lines searched after FATAL EXCEPTION / ANR / *** for the lines that complete the event


@dataclass(frozen=True)
class DisplayedEvent:
    """`Displayed component: +duration [(total +t)]`: time to initial display (ms); total_ms when Android printed
    a `(total ...)` (several activities in one launch). line: 1-based line in the text; user: the Android user
    (Android 14+ prints it)."""

    component: str
    duration_ms: int
    total_ms: int | None
    line: int
    time: str | None = None
    user: int | None = None


@dataclass(frozen=True)
class FullyDrawnEvent:
    """`Fully drawn component: +duration`: time to full display (the app called reportFullyDrawn()), ms."""

    component: str
    duration_ms: int
    line: int
    time: str | None = None


@dataclass(frozen=True)
class CrashEvent:
    """A crash: kind "java" (AndroidRuntime FATAL EXCEPTION) or "native" (Fatal signal / tombstone).

    process/pid: the crashed process when the log names it (None otherwise); exception: the exception class
    (java) or the signal name, e.g. SIGSEGV (native); first_line: the exception line (java) or the Fatal signal /
    signal line (native); line: 1-based line where the crash report starts."""

    process: str | None
    pid: int | None
    exception: str | None
    first_line: str | None
    line: int
    kind: Literal["java", "native"] = "java"
    time: str | None = None


@dataclass(frozen=True)
class AnrEvent:
    """`ANR in process (activity)`, with its `Reason:` line when the log holds it."""

    process: str
    reason: str | None
    line: int
    pid: int | None = None
    activity: str | None = None
    time: str | None = None


@dataclass(frozen=True)
class LogcatEvents:
    displayed: list[DisplayedEvent] = field(default_factory=list)
    fully_drawn: list[FullyDrawnEvent] = field(default_factory=list)
    crashes: list[CrashEvent] = field(default_factory=list)
    anrs: list[AnrEvent] = field(default_factory=list)
    lines: int = 0


@dataclass(frozen=True)
class LogLine:
    """One logcat line split into its fields (None where the format has none)."""

    line: int
    message: str
    tag: str | None = None
    pid: int | None = None
    level: str | None = None
    time: str | None = None


def is_long_header(raw: str) -> bool:
    """Whether a line is a `logcat -v long` entry header ("[ 04-05 15:50:00.421  1201: 1239 I/Tag ]")."""
    return _LONG.match(raw) is not None


def split_logcat_line(raw: str, line: int) -> LogLine | None:
    """The fields of one logcat line in threadtime, time, brief or tag format, or reduced to "time message";
    None when it is in none of them."""
    m = _THREADTIME.match(raw) or _BRIEF.match(raw)
    if m:
        pid = m.group("pid")
        return LogLine(line=line, message=m.group("msg").strip(), tag=m.group("tag").strip(),
                       pid=int(pid) if pid else None, level=m.group("level"), time=m.group("time"))
    t = _TIME_ONLY.match(raw)
    if t:
        return LogLine(line=line, message=t.group("msg").strip(), time=t.group("time"))
    return None


def parse_logcat(text: str, *, source: str = "<text>") -> LogcatEvents:
    """Launch, crash and ANR events (see the module's docstring); in the long format an event's line is its message
    line. Lines in no logcat format are skipped; text with
    lines but none in a logcat format is a ParseError (line 1). Empty text is an empty log."""
    entries: list[LogLine] = []
    seen_lines = 0
    header: LogLine | None = None  # -v long: the header the following message lines belong to
    for k, raw in enumerate(split_lines(text), start=1):
        if not raw.strip():
            header = None
            continue
        if _SKIP.match(raw):
            continue
        seen_lines += 1
        if (long := _LONG.match(raw)) is not None:
            header = LogLine(line=k, message="", tag=long.group("tag").strip(), pid=int(long.group("pid")),
                             level=long.group("level"), time=long.group("time"))
            entries.append(header)
            continue
        entry = replace(header, line=k, message=raw.strip()) if header is not None else split_logcat_line(raw, k)
        if entry is not None:
            entries.append(entry)
    if seen_lines and not entries:
        raise ParseError("no logcat line found; allowed threadtime, time, brief or tag format "
                         "(adb logcat -v threadtime)", source=source, line=1)
    return _events(entries, source=source)


def _follow(entries: list[LogLine], start: int, anchor: LogLine) -> list[LogLine]:
    """The lines after entries[start] that belong to the same report: same tag and pid when the format has them."""
    out = []
    for entry in entries[start + 1 : start + 1 + _LOOKAHEAD]:
        if anchor.tag is not None and entry.tag != anchor.tag:
            continue
        if anchor.pid is not None and entry.pid != anchor.pid:
            continue
        out.append(entry)
    return out


def _duration(text: str, *, source: str, line: int) -> int:
    try:
        return parse_duration_ms(text)
    except ValueError as exc:
        raise ParseError(str(exc), source=source, line=line) from None


def _events(entries: list[LogLine], *, source: str) -> LogcatEvents:
    displayed: list[DisplayedEvent] = []
    fully_drawn: list[FullyDrawnEvent] = []
    crashes: list[CrashEvent] = []
    anrs: list[AnrEvent] = []
    native_pids: set[int] = set()
    for i, e in enumerate(entries):
        msg = e.message
        launch_tag = e.tag is None or e.tag in _LAUNCH_TAGS
        if launch_tag and (m := _DISPLAYED.match(msg)):
            total = m.group("total")
            displayed.append(DisplayedEvent(
                component=m.group("cmp"), duration_ms=_duration(m.group("dur"), source=source, line=e.line),
                total_ms=_duration(total, source=source, line=e.line) if total else None, line=e.line, time=e.time,
                user=int(m.group("user")) if m.group("user") else None))
        elif launch_tag and (m := _FULLY_DRAWN.match(msg)):
            fully_drawn.append(FullyDrawnEvent(component=m.group("cmp"), line=e.line, time=e.time,
                                               duration_ms=_duration(m.group("dur"), source=source, line=e.line)))
        elif _FATAL.match(msg):
            crashes.append(_java_crash(entries, i))
        elif m := _FATAL_SIGNAL.match(msg):
            pid = int(m.group("pid")) if m.group("pid") else e.pid
            if pid is not None:
                native_pids.add(pid)
            crashes.append(CrashEvent(process=m.group("proc"), pid=pid, exception=m.group("sig"), first_line=msg,
                                      line=e.line, kind="native", time=e.time))
        elif _TOMBSTONE.match(msg):
            crash = _tombstone(entries, i)
            if crash.pid is None or crash.pid not in native_pids:
                crashes.append(crash)
                if crash.pid is not None:
                    native_pids.add(crash.pid)
        elif (m := _ANR.match(msg)) and (e.tag is None or e.tag in _LAUNCH_TAGS):
            pid = reason = None
            for f in _follow(entries, i, e):
                if pid is None and (p := _ANR_PID.match(f.message)):
                    pid = int(p.group("pid"))
                elif reason is None and (r := _ANR_REASON.match(f.message)):
                    reason = r.group("reason")
                    break
            anrs.append(AnrEvent(process=m.group("proc"), reason=reason, line=e.line, pid=pid,
                                 activity=m.group("act"), time=e.time))
    return LogcatEvents(displayed=displayed, fully_drawn=fully_drawn, crashes=crashes, anrs=anrs,
                        lines=len(entries))


def _java_crash(entries: list[LogLine], i: int) -> CrashEvent:
    anchor = entries[i]
    process: str | None = None
    pid = anchor.pid
    exception = first_line = None
    for f in _follow(entries, i, anchor):
        if _FATAL.match(f.message):
            break
        if process is None and (p := _PROCESS.match(f.message)):
            process, pid = p.group("proc"), int(p.group("pid"))
        elif (x := _EXCEPTION.match(f.message)) is not None:
            exception, first_line = x.group("cls"), f.message
            break
    return CrashEvent(process=process, pid=pid, exception=exception, first_line=first_line, line=anchor.line,
                      kind="java", time=anchor.time)


def _tombstone(entries: list[LogLine], i: int) -> CrashEvent:
    anchor = entries[i]
    process = signal = first_line = None
    pid: int | None = None
    for f in _follow(entries, i, anchor):
        if _TOMBSTONE.match(f.message):
            break
        if pid is None and (p := _TOMBSTONE_PID.match(f.message)):
            pid, process = int(p.group("pid")), p.group("proc")
        elif signal is None and (s := _TOMBSTONE_SIGNAL.match(f.message)):
            signal, first_line = s.group("sig"), f.message
        if pid is not None and signal is not None:
            break
    return CrashEvent(process=process, pid=pid, exception=signal, first_line=first_line, line=anchor.line,
                      kind="native", time=anchor.time)
