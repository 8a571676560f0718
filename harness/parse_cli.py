"""`harness parse [KIND] FILE [--json]`: read a captured device output, recognise its kind (or take KIND), print
a readable summary or the parsed result as JSON. Exit 0 when it parsed, 2 (one line naming the file and line)
when the file cannot be read or parsed."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from harness.errors import ParseError
from harness.parse import (
    KINDS,
    Kind,
    android_fingerprint,
    detect_kind,
    parse_am_start_all,
    parse_display,
    parse_getprop,
    parse_gfxinfo,
    parse_ios_fps,
    parse_logcat,
    parse_sf_latency,
    parse_sf_list,
    parse_sf_timestats,
    read_text,
)
from harness.parse_summary import metrics_of, summary_lines

EXIT_OK, EXIT_USAGE = 0, 2

PARSERS: dict[Kind, Callable[..., Any]] = {
    Kind.AM_START: parse_am_start_all,
    Kind.LOGCAT: parse_logcat,
    Kind.GFXINFO: parse_gfxinfo,
    Kind.SF_LATENCY: parse_sf_latency,
    Kind.SF_LIST: parse_sf_list,
    Kind.SF_TIMESTATS: parse_sf_timestats,
    Kind.GETPROP: parse_getprop,
    Kind.DISPLAY: parse_display,
    Kind.IOS_FPS: parse_ios_fps,
}


def add_parser(sub: Any) -> None:
    """The `parse` subcommand on the harness's subparsers."""
    p = sub.add_parser("parse", help="parse a captured device output (am start, logcat, gfxinfo, SurfaceFlinger, "
                       "getprop, display, SurfaceFlinger timestats, iOS fps log) and print a summary or JSON")
    p.add_argument("kind", nargs="?", metavar="KIND", help=f"one of {', '.join(KINDS)} (default: from the content)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the parsed result as JSON")


def to_jsonable(value: Any) -> Any:
    """Dataclasses (with their computed properties valid / duration / refresh_hz where they have them), lists,
    tuples, dicts, enums and datetimes as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in ("valid", "refresh_hz", "refresh_period_ns", "present_intervals"):
            attr = getattr(type(value), name, None)
            if isinstance(attr, property):
                out[name] = to_jsonable(getattr(value, name))
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def run(kind_text: str | None, file: str, *, as_json: bool) -> int:
    """Parse `file` and print it; return the exit code (errors go to stderr as one line)."""
    try:
        if kind_text is not None and kind_text not in KINDS:
            print(f"harness: error: KIND: {kind_text!r} is not allowed; allowed: {', '.join(KINDS)}", file=sys.stderr)
            return EXIT_USAGE
        path = Path(file)
        if not path.is_file():
            raise ParseError("is a folder; allowed a file" if path.is_dir() else "no such file", source=file)
        text = read_text(path)
        kind = Kind(kind_text) if kind_text else detect_kind(text, source=file)
        result = PARSERS[kind](text, source=file)
        extra: dict[str, Any] = {}
        if kind is Kind.GETPROP:
            extra["fingerprint"] = to_jsonable(_fingerprint_or_none(result, file))
        metrics = metrics_of(kind, result)
    except ParseError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if as_json:
        print(json.dumps({"kind": kind.value, "source": file, "result": to_jsonable(result), **extra,
                          "metrics": metrics}, indent=1))
    else:
        print(f"{file}: {kind.value}")
        for line in summary_lines(kind, result):
            print(f"  {line}")
        for name, value in metrics.items():
            print(f"  {name}: {value}")
    return EXIT_OK


def _fingerprint_or_none(props: dict[str, str], file: str) -> Any:
    try:
        return android_fingerprint(props, source=file)
    except ParseError:
        return None


def main(args: argparse.Namespace) -> int:
    return run(args.kind, args.file, as_json=args.json)
