"""The console log of an iOS performance run through pymobiledevice3's DVT services (sysmontap + the
CoreAnimation fps graphics probe), as tools such as iOS17_perf print it: one Python dict per line,
`{'currentTime': '2024-12-09 13:08:46.321178', 'fps': 29}` per second of CoreAnimation fps, and
`{'Pid': 37027, 'Name': 'hearthstone', 'CPU': '42.7 %', 'Memory': '1.37 GiB', ...}` per process sample. Other
lines (tunnel set-up, logging) are skipped."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from datetime import datetime

from harness.errors import ParseError
from harness.parse._text import split_lines

_FPS = re.compile(r"^\{'currentTime': '(?P<time>[^']+)', 'fps': (?P<fps>-?\d+(?:\.\d+)?)\}\s*$")
_PROC = re.compile(r"^\{'Pid': \d+, .*\}\s*$")
_PERCENT = re.compile(r"^(?P<v>[\d.]+) %$")


@dataclass(frozen=True)
class IosFpsSample:
    """One fps sample: CoreAnimation frames counted over the second before `time`; t_s: seconds since the first
    sample of the log."""

    time: datetime
    t_s: float
    fps: float
    line: int


@dataclass(frozen=True)
class IosProcessSample:
    """One sysmontap process sample: cpu_percent as printed (100 = one core), memory as printed (e.g. '1.37 GiB')."""

    pid: int
    name: str
    cpu_percent: float | None
    memory: str | None
    threads: int | None
    line: int


@dataclass(frozen=True)
class IosFps:
    samples: list[IosFpsSample] = field(default_factory=list)
    processes: list[IosProcessSample] = field(default_factory=list)


def parse_ios_fps(text: str, *, source: str = "<text>") -> IosFps:
    """fps and process samples (see the module's docstring). A log without any fps sample is a ParseError; so is a
    sample whose time or dict does not read."""
    samples: list[IosFpsSample] = []
    processes: list[IosProcessSample] = []
    first: datetime | None = None
    for k, raw in enumerate(split_lines(text), start=1):
        line = raw.strip()
        if (m := _FPS.match(line)) is not None:
            try:
                when = datetime.fromisoformat(m.group("time"))
            except ValueError:
                raise ParseError(f"currentTime {m.group('time')!r} is not a date and time", source=source,
                                 line=k) from None
            first = first or when
            samples.append(IosFpsSample(time=when, t_s=(when - first).total_seconds(), fps=float(m.group("fps")),
                                        line=k))
        elif _PROC.match(line):
            processes.append(_process(line, source=source, line=k))
    if not samples:
        raise ParseError("no fps sample ({'currentTime': ..., 'fps': N} line) found", source=source, line=1)
    return IosFps(samples=samples, processes=processes)


def _process(text: str, *, source: str, line: int) -> IosProcessSample:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ParseError("process sample is not a Python dict literal", source=source, line=line) from None
    if not isinstance(value, dict) or not isinstance(value.get("Pid"), int):
        raise ParseError("process sample lacks an integer 'Pid'", source=source, line=line)
    cpu = _PERCENT.match(str(value.get("CPU", "")))
    threads = value.get("Threads")
    return IosProcessSample(pid=value["Pid"], name=str(value.get("Name", "")),
                            cpu_percent=float(cpu.group("v")) if cpu else None,
                            memory=str(value["Memory"]) if "Memory" in value else None,
                            threads=threads if isinstance(threads, int) else None, line=line)
