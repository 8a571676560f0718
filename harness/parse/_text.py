"""Text plumbing shared by the device-output parsers: decoding a captured file (UTF-8 or UTF-16, with or without a
byte-order mark), splitting it into lines that keep their 1-based numbers, and reading numbers with an error that
names the source and the line."""

from __future__ import annotations

import re
from pathlib import Path

from harness.errors import ParseError

INT64_MAX = 9223372036854775807  # what Android prints for "no such time" (std::numeric_limits<int64_t>::max())

_DURATION = re.compile(r"^([+-])?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$")


def decode(data: bytes) -> str:
    """Device output as text. PowerShell and some Windows tools write UTF-16LE (with or without a BOM); adb writes
    UTF-8. Bytes that are not UTF-8 become U+FFFD (logcat carries whatever apps print)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    head = data[:400]
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) == 0:
        return data.decode("utf-16-le", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def read_text(path: Path) -> str:
    """A captured file's text (see `decode`); a missing or unreadable file is a ParseError naming it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read the file: {exc.strerror or exc}", source=str(path)) from None
    return decode(data)


def split_lines(text: str) -> list[str]:
    """Lines without their ends (LF or CRLF) and without a leading BOM; index k is line k + 1 of the file.

    Only LF splits a line (str.splitlines would also split on form feeds and other separators, which would shift
    the line numbers that errors report)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def to_int(value: str, *, source: str, line: int, what: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ParseError(f"{what} is {value.strip()!r}; allowed an integer", source=source, line=line) from None


def to_float(value: str, *, source: str, line: int, what: str) -> float:
    try:
        return float(value.strip())
    except ValueError:
        raise ParseError(f"{what} is {value.strip()!r}; allowed a number", source=source, line=line) from None


def parse_duration_ms(text: str) -> int:
    """Milliseconds of an Android duration as TimeUtils.formatDuration prints it (logcat `Displayed`, `Fully
    drawn`): an optional sign, then days, hours, minutes, seconds and milliseconds, each optional but at least one
    present, in that order: "+1s234ms", "+234ms", "+1m2s3ms", "+2h0m1s5ms", "0ms". ValueError if it is not one."""
    if text.strip() in ("0", "+0"):  # formatDuration's zero
        return 0
    m = _DURATION.match(text.strip())
    if m is None or not any(m.group(k) for k in range(2, 7)):
        raise ValueError(f"{text!r} is not a duration; allowed e.g. +1s234ms, +234ms, +1m2s3ms")
    days, hours, minutes, seconds, millis = (int(m.group(k) or 0) for k in range(2, 7))
    total = (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000 + millis
    return -total if m.group(1) == "-" else total


def format_duration_ms(ms: int) -> str:
    """The inverse of parse_duration_ms, in TimeUtils.formatDuration's form ("+1s234ms"; zero fields before the
    first non-zero one are left out, later ones kept: "+1m0s5ms")."""
    sign = "-" if ms < 0 else "+"
    rest = abs(ms)
    parts: list[str] = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        count, rest = divmod(rest, size)
        if count or parts:
            parts.append(f"{count}{unit}")
    parts.append(f"{rest}ms")
    return sign + "".join(parts)
