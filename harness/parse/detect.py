"""Which device output a text is, recognised from its content (for `harness parse FILE` without a KIND)."""

from __future__ import annotations

import re
from enum import StrEnum

from harness.errors import ParseError
from harness.parse._text import split_lines
from harness.parse.display import is_surfaceflinger_dump
from harness.parse.logcat import is_long_header, split_logcat_line


class Kind(StrEnum):
    AM_START = "am-start"
    LOGCAT = "logcat"
    GFXINFO = "gfxinfo"
    SF_LATENCY = "sf-latency"
    SF_LIST = "sf-list"
    SF_TIMESTATS = "sf-timestats"
    GETPROP = "getprop"
    DISPLAY = "display"
    IOS_FPS = "ios-fps"


KINDS = tuple(k.value for k in Kind)

_GETPROP = re.compile(r"^\[[^\]]*\]: \[")
_INT = re.compile(r"^\d+$")
_LATENCY_ROW = re.compile(r"^\d+\s+\d+\s+\d+$")
_AM_START = re.compile(r"(?:^|:\s)Starting: Intent \{|^\s*(?:Status: (?:ok|timeout)|LaunchState: |TotalTime: \d)")
_IOS_FPS = re.compile(r"^\{'currentTime': '[^']*', 'fps': ")
_LAYER = re.compile(r"#\d+(?:\s+parentId=[^}]*)?\}?\s*$")
_GFX = ("---PROFILEDATA---", "Graphics info for pid", "Total frames rendered:", "Applications Graphics Acceleration")


def detect_kind(text: str, *, source: str = "<text>") -> Kind:
    """The kind of device output `text` is. The checks run in this order, the first that holds wins:
    ios-fps (a `{'currentTime': ..., 'fps': N}` line), gfxinfo (a PROFILEDATA marker, `Graphics info for pid`,
    `Total frames rendered:`), getprop (first line `[key]: [value`), sf-latency (first line one integer, every
    other line three integers or a cut mark), sf-timestats (`SurfaceFlinger TimeStats:` or `layerName = `),
    display (`dumpsys display` or `dumpsys SurfaceFlinger` markers), logcat (a `-v long` header, or at least half
    the lines in a logcat format), am-start (`Starting: Intent {`, `Status: ok|timeout`), sf-list (at least half
    the lines end in a layer id `#n`). None holds: a ParseError listing the kinds."""
    lines = [(k, line.strip()) for k, line in enumerate(split_lines(text), start=1) if line.strip()]
    if not lines:
        raise ParseError("empty: nothing to recognise", source=source, line=1)
    body = [line for _, line in lines]
    if any(_IOS_FPS.match(line) for line in body):
        return Kind.IOS_FPS
    if any(marker in line for line in body for marker in _GFX):
        return Kind.GFXINFO
    if _GETPROP.match(body[0]):
        return Kind.GETPROP
    if _INT.match(body[0]) and all(_LATENCY_ROW.match(line) or set(line) == {"."} for line in body[1:]):
        return Kind.SF_LATENCY
    if any(line == "SurfaceFlinger TimeStats:" or line.startswith("layerName = ") for line in body):
        return Kind.SF_TIMESTATS
    if "DISPLAY MANAGER" in text or "DisplayDeviceInfo{" in text or is_surfaceflinger_dump(text):
        return Kind.DISPLAY
    if any(is_long_header(line) for line in body) or 2 * sum(
        split_logcat_line(line, k) is not None for k, line in lines
    ) >= len(lines):
        return Kind.LOGCAT
    if any(_AM_START.search(line) for line in body):
        return Kind.AM_START
    if 2 * sum(bool(_LAYER.search(line)) for line in body) >= len(body):
        return Kind.SF_LIST
    raise ParseError(f"cannot tell what this output is; allowed kinds: {', '.join(KINDS)} "
                     "(name the kind: harness parse KIND FILE)", source=source, line=lines[0][0])
