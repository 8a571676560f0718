"""Helpers every platform shares: the app's own start-up report, read through the controls."""

from __future__ import annotations

import time

from harness.devices.session import DeviceSession
from harness.platforms.base import parse_stats

APP_REPORT_WAIT_S = 3.0


def app_first_frame_ms(session: DeviceSession | None) -> float | None:
    """The app's own `first_frame_ms` from its `stats` control (key=value text), or None when it has none."""
    if session is None or not session.has("stats"):
        return None
    deadline = time.monotonic() + APP_REPORT_WAIT_S
    while time.monotonic() < deadline:
        value = parse_stats(session.text("stats")).get("first_frame_ms")
        if value is not None and value >= 0:
            return value
        time.sleep(0.1)
    return None


def recording_source_js() -> str:
    """Script returning the URL of the clip an element offers: a media element's src, or a download link's href
    (`<a href="blob:..." download>` or a file URL); '' while there is none."""
    return ("const e = arguments[0]; return e.currentSrc || e.src"
            " || (e.getAttribute('href') ? e.href : '') || '';")
