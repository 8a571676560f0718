"""The harness's exception tree: every error the harness raises on purpose is one of these."""

from __future__ import annotations


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""


class ConfigError(HarnessError):
    """Bad input: devices.yaml, a scenario file or a command-line option. Raised before any device is touched."""

    def __init__(self, message: str, *, file: str | None = None, key_path: str | None = None) -> None:
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
