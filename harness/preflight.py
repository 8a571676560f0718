"""Every command-line option of a matrix run checked before anything starts (docs/config.md "Limits"): a bad value
is one ConfigError naming the option and what is allowed, and no folder, server or browser has been made yet.

Used by `harness run` / `harness nightly` (before pytest starts) and by the pytest plugin (plain pytest runs).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from harness.errors import ConfigError
from harness.secrets import mask_secrets

MAX_REPEAT: Final = 100
MAX_REPORT_NAME_CHARS: Final = 200
MAX_PATH_CHARS: Final = 1024
_RUN_ID_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CONTROL_RE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class RunOptions:
    """The options of a matrix run that name files, folders, stores and counts (None = not given)."""

    run_dir: str | None = None
    store: str | None = None
    repeat: int | None = None
    known_issues: str | None = None
    gate_config: str | None = None
    baseline: str | None = None
    report_name: str | None = None


def _bad(option: str, what: str, allowed: str) -> ConfigError:
    return ConfigError(f"{what}; allowed: {allowed}", key_path=option)


def _show(text: str) -> str:
    shown = mask_secrets(text)
    return repr(shown if len(shown) <= 80 else shown[:77] + "...")


def _plain_text(option: str, text: str, allowed: str) -> None:
    if _CONTROL_RE.search(text):
        raise _bad(option, f"{_show(text)} holds a control character", allowed)
    if len(text) > MAX_PATH_CHARS:
        raise _bad(option, f"a value of {len(text)} characters is too long", allowed)


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def check_output_folder(option: str, text: str) -> Path:
    """A folder the run may create or fill: not an existing file, and its nearest existing parent a writable
    folder."""
    allowed = "a folder path (existing or new) whose parent folder is writable, not a file"
    _plain_text(option, text, allowed)
    if not text.strip():
        raise _bad(option, "empty", allowed)
    path = Path(text).expanduser().absolute()
    if any(len(part.encode()) > 255 for part in path.parts):
        raise _bad(option, f"{_show(text)} has a name longer than 255 bytes", allowed)
    if path.exists() and not path.is_dir():
        raise _bad(option, f"{_show(str(path))} is an existing file", allowed)
    base = _nearest_existing(path)
    if not base.is_dir():
        raise _bad(option, f"{_show(str(base))} (a parent of {_show(text)}) is not a folder", allowed)
    if not os.access(base, os.W_OK | os.X_OK):
        raise _bad(option, f"{_show(str(base))} is not writable", allowed)
    return path


def check_existing_file(option: str, text: str, allowed: str) -> Path:
    _plain_text(option, text, allowed)
    path = Path(text).expanduser()
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "no such file"
        raise _bad(option, f"{_show(text)}: {what}", allowed)
    return path


def check_store(option: str, text: str) -> None:
    """A SQLite path (or sqlite:///path) in a writable folder, or a postgresql:// URL; nothing is opened."""
    from harness.store.db import ALLOWED_TARGETS, parse_target

    _plain_text(option, text, ALLOWED_TARGETS)
    try:
        target = parse_target(text)
    except ConfigError as exc:
        raise _bad(option, exc.detail.split("; allowed:")[0], ALLOWED_TARGETS) from None
    if target.dialect != "sqlite" or target.location == ":memory:":
        return
    path = Path(target.location).expanduser().absolute()
    if path.is_dir():
        raise _bad(option, f"{_show(text)} is a folder", ALLOWED_TARGETS)
    check_output_folder(option, str(path.parent))


def check_repeat(option: str, value: int) -> None:
    if not 1 <= value <= MAX_REPEAT:
        raise _bad(option, f"{value} is not allowed", f"an integer from 1 to {MAX_REPEAT}")


def check_run_options(options: RunOptions) -> None:
    """Every given option, in the order a user reads them; the first bad one is raised."""
    if options.run_dir is not None:
        check_output_folder("--run-dir", options.run_dir)
    if options.store is not None:
        check_store("--store", options.store)
    if options.repeat is not None:
        check_repeat("--repeat", options.repeat)
    if options.known_issues:
        from harness.known_issues import load_known_issues

        load_known_issues(check_existing_file("--known-issues", options.known_issues,
                                              "a known-issues YAML file, or '' for none"))
    if options.gate_config:
        from harness.compare import load_compare_config

        load_compare_config(check_existing_file("--gate", options.gate_config,
                                                "a YAML file with a compare: section (docs/compare.md)"))
    if options.baseline is not None and not _RUN_ID_RE.match(options.baseline) and not Path(
        options.baseline
    ).is_dir():
        raise _bad("--baseline", f"{_show(options.baseline)} is not allowed",
                   "a run id (letters, digits, '.', '_', '-', at most 64 characters) or a run folder")
    if options.report_name is not None:
        allowed = f"text of 1 to {MAX_REPORT_NAME_CHARS} characters without control characters"
        if not options.report_name.strip() or len(options.report_name) > MAX_REPORT_NAME_CHARS:
            raise _bad("--report-name", f"{_show(options.report_name)} is not allowed", allowed)
        _plain_text("--report-name", options.report_name, allowed)


__all__ = ["MAX_REPEAT", "RunOptions", "check_output_folder", "check_repeat", "check_run_options", "check_store"]
