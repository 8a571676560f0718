"""The harness's exception tree: every error the harness raises on purpose is one of these.

Every message is masked by the one rule (harness.secrets) as the error is made, so no credential reaches a
console, log or report through an error; a ConfigError's message is also one line.
"""

from __future__ import annotations

from typing import Any

from harness.secrets import mask_secrets


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*(mask_secrets(arg) if isinstance(arg, str) else arg for arg in args))


class ConfigError(HarnessError):
    """Bad input: devices.yaml, a scenario file or a command-line option. Raised before any device is touched."""

    def __init__(self, message: str, *, file: str | None = None, key_path: str | None = None) -> None:
        message = _one_line(mask_secrets(message))
        file = _one_line(mask_secrets(file)) if file else file
        self.file = file
        self.key_path = key_path
        self.detail = message
        where = ""
        if file and key_path:
            where = f"{file}: {key_path}: "
        elif file:
            where = f"{file}: "
        elif key_path:
            where = f"{key_path}: "
        super().__init__(f"{where}{message}")


def _one_line(text: str) -> str:
    """A message part on one line, however it was written (a YAML problem, an OS error, a user's value)."""
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


class InfrastructureError(HarnessError):
    """The test infrastructure failed (Appium server, browser, device farm, network): not the SDK's fault."""


class ServiceUnavailableError(InfrastructureError):
    """A service every item of the run needs cannot start at all (Appium not installed or not starting, Chromium
    missing): the run stops at the first one, with this one message, instead of breaking every item left."""


class SdkDefectError(HarnessError, AssertionError):
    """The app or SDK under test misbehaved: it crashed, a control was missing, or its output was wrong.

    It is an AssertionError too, so that test reports count it as a product failure ("failed"), not as a broken
    test; infrastructure errors stay "broken".
    """


class AppCrashError(SdkDefectError):
    """The app under test died (its process or page went away) during a step."""


class AnalysisError(HarnessError):
    """A capture or recording cannot be analysed (not a video, no index code found)."""


class ParseError(HarnessError):
    """A device output (am start, logcat, dumpsys, getprop, an iOS fps log) cannot be read.

    `source` names the text (a file name, or "<text>"), `line` the 1-based line at fault (None when the fault is the
    whole text, e.g. a required key is missing); the message names both: "{source}:{line}: ...".
    """

    def __init__(self, message: str, *, source: str = "<text>", line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.detail = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")
