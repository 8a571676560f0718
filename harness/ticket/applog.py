"""The Appium server log lines of one item: its sessions (Appium 3 tags each line of a session with the first
8 characters of its id) and, when no other session was active meanwhile, the untagged lines of its window."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

MAX_LINES: Final = 400
HEAD_LINES: Final = 100  # kept from the start of a cut excerpt; the rest comes from its end (the failure)
MAX_LINE_CHARS: Final = 2000
# A session's first line may come this much before the item's recorded start (millisecond rounding). There is
# no slack after the end: the next item starts within milliseconds of it and its session begins right away.
SESSION_SLACK_S: Final = 0.05

# `2026-11-25 20:44:40:532 [6326a364][HTTP] --> ...` (appium.log); appium.stdout.log adds " - " after it.
_ENTRY_RE: Final = re.compile(
    r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}):(\d{3}) (?:- )?(?:\[([0-9a-f]{8})\]\[)?"
)
# `Event 'newSessionRequested' logged at 1795639325572 (...)`: the epoch time of a local timestamp.
_EPOCH_RE: Final = re.compile(r"\blogged at (\d{13})\b")


@dataclass(frozen=True)
class LogEntry:
    """One timestamped log line and the continuation lines after it (multi-line JSON, stack traces)."""

    t: dt.datetime | None  # UTC; None for text before the first timestamp
    session: str | None  # the 8-character session tag, if the line carries one
    lines: tuple[str, ...]


@dataclass(frozen=True)
class LogExcerpt:
    """The lines kept for one item, and how they were chosen."""

    lines: tuple[str, ...]
    sessions: tuple[str, ...]
    total_lines: int  # before the cap
    cut: bool
    notes: tuple[str, ...]

    @property
    def shown_lines(self) -> int:
        """Log lines kept (the marker of a cut is not one of them)."""
        return len(self.lines) - 1 if self.cut else len(self.lines)


def clock_offset(text: str) -> dt.timedelta | None:
    """How far the log's timestamps (local time of the server) are ahead of UTC, from the first line that also
    gives the epoch time; rounded to the quarter hour. None when no line gives it."""
    for line in text.splitlines():
        epoch = _EPOCH_RE.search(line)
        stamp = _ENTRY_RE.match(line)
        if epoch and stamp:
            local = _naive(stamp.group(1), stamp.group(2)).replace(tzinfo=dt.UTC)
            actual = dt.datetime.fromtimestamp(int(epoch.group(1)) / 1000, tz=dt.UTC)
            quarters = round((local - actual).total_seconds() / 900)
            return dt.timedelta(seconds=quarters * 900)
    return None


def _naive(stamp: str, millis: str) -> dt.datetime:
    return dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(microsecond=int(millis) * 1000)


def parse_log(text: str, *, offset: dt.timedelta | None) -> list[LogEntry]:
    """Entries of an Appium log; timestamps become UTC with `offset` (None: this machine's time zone)."""
    entries: list[LogEntry] = []
    t: dt.datetime | None = None
    session: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        match = _ENTRY_RE.match(line)
        if match is None:
            lines.append(line)
            continue
        if lines:
            entries.append(LogEntry(t, session, tuple(lines)))
        local = _naive(match.group(1), match.group(2))
        t = (local - offset).replace(tzinfo=dt.UTC) if offset is not None else local.astimezone(dt.UTC)
        session, lines = match.group(3), [line]
    if lines:
        entries.append(LogEntry(t, session, tuple(lines)))
    return entries


def item_sessions(entries: Sequence[LogEntry], *, start: dt.datetime, end: dt.datetime) -> tuple[str, ...]:
    """Sessions whose first line falls in the item's window [start, end), in order of appearance."""
    slack = dt.timedelta(seconds=SESSION_SLACK_S)
    first: dict[str, dt.datetime] = {}
    for entry in entries:
        if entry.session and entry.t is not None and entry.session not in first:
            first[entry.session] = entry.t
    return tuple(s for s, t in first.items() if start - slack <= t < end)


def _clip_line(line: str) -> str:
    if len(line) <= MAX_LINE_CHARS:
        return line
    return f"{line[:MAX_LINE_CHARS]} [... {len(line) - MAX_LINE_CHARS} characters cut]"


def _cap(lines: list[str], max_lines: int) -> tuple[list[str], bool]:
    if len(lines) <= max_lines:
        return lines, False
    head = min(HEAD_LINES, max_lines // 4)
    tail = max_lines - head
    marker = (
        f"[... {len(lines) - max_lines} lines cut: the excerpt keeps the first {head} and the last {tail} "
        f"of {len(lines)} lines ...]"
    )
    return [*lines[:head], marker, *lines[-tail:]], True


def excerpt(
    text: str,
    *,
    start: dt.datetime,
    duration_s: float,
    session_ids: Iterable[str] = (),
    max_lines: int = MAX_LINES,
) -> LogExcerpt:
    """The lines of the item that ran from `start` (UTC) for `duration_s`.

    Its sessions are `session_ids` when the run recorded them, else the sessions that began in its window.
    Lines
    of those sessions are kept wherever they are (a session cleaned up after a timeout too); untagged lines in
    the window (session creation, server messages) are kept only when no other session logged in the window,
    since with parallel workers they cannot be told apart. At most `max_lines` lines; a cut says so.
    """
    offset = clock_offset(text)
    notes: list[str] = []
    if offset is None:
        notes.append("the log gives no epoch time: its timestamps were read in this machine's time zone")
    entries = parse_log(text, offset=offset)
    end = start + dt.timedelta(seconds=duration_s)
    wanted = tuple(s[:8] for s in session_ids)
    sessions = wanted or item_sessions(entries, start=start, end=end)
    chosen = set(sessions)
    in_window = [e for e in entries if e.t is not None and start <= e.t < end]
    foreign = sorted({e.session for e in in_window if e.session and e.session not in chosen})
    keep_untagged = not foreign
    if foreign:
        notes.append(
            f"untagged server lines of the item's time window left out: other sessions "
            f"({', '.join(foreign)}) "
            "were active at the same time"
        )
    kept: list[str] = []
    for entry in entries:
        mine = (
            entry.session in chosen
            if entry.session
            else (keep_untagged and entry.t is not None and start <= entry.t < end)
        )
        if mine:
            kept.extend(_clip_line(line) for line in entry.lines)
    if not sessions:
        notes.append("no Appium session began in the item's time window")
    total = len(kept)
    lines, cut = _cap(kept, max_lines)
    if cut:
        notes.append(
            f"cut to {max_lines} of {total} lines: the first {min(HEAD_LINES, max_lines // 4)} and the last "
            f"{max_lines - min(HEAD_LINES, max_lines // 4)}"
        )
    return LogExcerpt(lines=tuple(lines), sessions=sessions, total_lines=total, cut=cut, notes=tuple(notes))


__all__ = ["MAX_LINES", "LogEntry", "LogExcerpt", "clock_offset", "excerpt", "item_sessions", "parse_log"]
