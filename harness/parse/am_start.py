"""`adb shell am start -W [-S] [-R n]` output: launch status, launch state and the system-measured times.

What Android prints (ActivityManagerShellCommand): `Starting: Intent { ... }`, then with -W `Status: ok|timeout`,
`LaunchState: COLD|WARM|HOT|RELAUNCH|UNKNOWN (n)` (Android 10+), `Activity: pkg/.Act` (the activity that was shown,
which may differ from the one asked for: a trampoline), `ThisTime:` (before Android 10), `TotalTime:` (launch ->
first frame, ms), `WaitTime:` (includes the shell's overhead, ms), `Complete`. With -S a `Stopping: pkg` line comes
first; -R n repeats the whole block. A failed launch prints `Error: ...` lines instead of a status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from harness.errors import ParseError
from harness.parse._text import split_lines, to_int

Status = Literal["ok", "timeout", "error"]
LaunchState = Literal["COLD", "WARM", "HOT", "RELAUNCH"]

_STARTING = re.compile(r"(?:^|:\s)Starting: Intent \{(?P<intent>.*)\}\s*$")
_STOPPING = re.compile(r"^\s*Stopping: (?P<pkg>\S+)\s*$")
_KEY = re.compile(r"^\s*(?P<key>Status|LaunchState|Activity|ThisTime|TotalTime|WaitTime):\s*(?P<value>.*?)\s*$")
_ERROR = re.compile(r"^\s*(?:Error\b|Exception occurred|Security exception|java\.lang\.\w+(?:Exception|Error))")
_WARNING = re.compile(r"^\s*Warning: (?P<text>.*?)\s*$")
_COMPONENT = re.compile(r"\bcmp=(?P<cmp>\S+?)(?:\s|\}|$)")
_LAUNCH_STATES: tuple[LaunchState, ...] = ("COLD", "WARM", "HOT", "RELAUNCH")


@dataclass(frozen=True)
class AmStart:
    """One `am start -W` launch.

    status: "ok", "timeout" (Android gave up waiting; times other than WaitTime are then usually absent) or "error"
    (the activity was not started: see `error`). launch_state: None when absent (before Android 10) or UNKNOWN.
    Times are milliseconds as printed, None when absent. component: the `cmp=` asked for in the Intent line, when
    given; activity: the `Activity:` line (what was shown). warning: Android's `Warning:` line, e.g. "Activity not
    started, its current task has been brought to the front". line: 1-based line where this launch's block starts.
    """

    status: Status
    launch_state: LaunchState | None
    activity: str | None
    total_time_ms: int | None
    wait_time_ms: int | None
    this_time_ms: int | None
    error: str | None
    component: str | None = None
    warning: str | None = None
    complete: bool = False
    line: int = 1


@dataclass
class _Block:
    line: int
    started: bool = False
    component: str | None = None
    status: str | None = None
    status_line: int = 0
    launch_state: LaunchState | None = None
    activity: str | None = None
    times: dict[str, int] | None = None
    errors: list[str] | None = None
    warning: str | None = None
    complete: bool = False
    has_content: bool = False


def parse_am_start_all(text: str, *, source: str = "<text>") -> list[AmStart]:
    """Every launch block of `am start -W [-S] [-R n]` output, in order. Lines that belong to no known form (an
    author's `// ...` notes, wrapper prefixes before `Starting:`) are ignored; a malformed value is a ParseError
    naming the line. No block at all, or a block with neither a Status nor an Error line, is a ParseError."""
    blocks: list[_Block] = []
    current: _Block | None = None

    def new_block(line_no: int) -> _Block:
        block = _Block(line=line_no)
        blocks.append(block)
        return block

    for k, raw in enumerate(split_lines(text), start=1):
        if not raw.strip():
            continue
        if _STOPPING.match(raw):
            current = new_block(k)
            current.has_content = True
            continue
        starting = _STARTING.search(raw)
        if starting:
            if current is None or current.started:
                current = new_block(k)
            current.started = current.has_content = True
            cmp = _COMPONENT.search(starting.group("intent"))
            current.component = cmp.group("cmp") if cmp else None
            continue
        if current is None:
            current = new_block(k)
        key = _KEY.match(raw)
        if key:
            _apply_key(current, key.group("key"), key.group("value"), source=source, line=k)
        elif _ERROR.match(raw):
            current.errors = [*(current.errors or []), raw.strip()]
            current.has_content = True
        elif (warning := _WARNING.match(raw)) is not None:
            current.warning = warning.group("text")
            current.has_content = True
        elif raw.strip() == "Complete":
            current.complete = current.has_content = True
    return [_finish(b, source=source) for b in blocks if b.has_content] or _none(source)


def _none(source: str) -> list[AmStart]:
    raise ParseError("no `am start` output found (no Starting:, Status: or Error: line)", source=source, line=1)


def _apply_key(block: _Block, key: str, value: str, *, source: str, line: int) -> None:
    block.has_content = True
    if key == "Status":
        if value not in ("ok", "timeout"):
            raise ParseError(f"Status is {value!r}; allowed ok or timeout", source=source, line=line)
        block.status, block.status_line = value, line
    elif key == "LaunchState":
        # Android prints UNKNOWN (-1) when it could not tell; that is no launch state.
        block.launch_state = next((s for s in _LAUNCH_STATES if value == s), None)
        if block.launch_state is None and not value.startswith("UNKNOWN"):
            raise ParseError(f"LaunchState is {value!r}; allowed COLD, WARM, HOT, RELAUNCH or UNKNOWN (n)",
                             source=source, line=line)
    elif key == "Activity":
        block.activity = value or None
    else:
        block.times = {**(block.times or {}), key: to_int(value, source=source, line=line, what=key)}


def _finish(block: _Block, *, source: str) -> AmStart:
    times = block.times or {}
    if block.errors:
        status: Status = "error"
    elif block.status in ("ok", "timeout"):
        status = "ok" if block.status == "ok" else "timeout"
    else:
        raise ParseError("a launch block without a Status: or Error: line (was `am start` run with -W?)",
                         source=source, line=block.line)
    return AmStart(
        status=status,
        launch_state=block.launch_state,
        activity=block.activity,
        total_time_ms=times.get("TotalTime"),
        wait_time_ms=times.get("WaitTime"),
        this_time_ms=times.get("ThisTime"),
        error="\n".join(block.errors) if block.errors else None,
        component=block.component,
        warning=block.warning,
        complete=block.complete,
        line=block.line,
    )


def parse_am_start(text: str, *, source: str = "<text>") -> AmStart:
    """The one launch of `am start -W [-S]` output (see parse_am_start_all); output of `-R n` with several blocks is
    a ParseError naming the second block's line: use parse_am_start_all for it."""
    launches = parse_am_start_all(text, source=source)
    if len(launches) > 1:
        raise ParseError(f"{len(launches)} launch blocks (am start -R?); parse_am_start_all reads them all",
                         source=source, line=launches[1].line)
    return launches[0]
