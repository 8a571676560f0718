"""The platform interface (DevicePlatform) and the typed values it hands to the scenario runner.

One implementation per platform (web.py, android.py, ios.py; native.py holds what Android and iOS share). The
controls (tap, slider, text through the locator map) are not here: they live in harness.devices.session, which
every platform opens and hands out as `session`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from harness.clipspec import ClipSpec
from harness.config.devices import Device
from harness.devices.session import DeviceSession
from harness.errors import SdkDefectError
from harness.platforms.ports import PortAllocator

LaunchMode = Literal["cold", "warm", "hot"]
RgbFrame = npt.NDArray[np.uint8]
_STATS_PAIR = re.compile(r"([a-z_]+)=(-?\d+(?:\.\d+)?)")


def parse_stats(text: str) -> dict[str, float]:
    """`frames=812 cost_ms=3.41 fps=29.9` -> {'frames': 812.0, ...}: the key=value report vendor SDKs print."""
    return {key: float(value) for key, value in _STATS_PAIR.findall(text)}


@dataclass(frozen=True)
class PlatformServices:
    """What every item of a run shares: where sessions go, where web apps are served, the camera clip, ports."""

    server_url_for: Callable[[Device], str]
    app_base_url: str
    clip_spec: ClipSpec
    clip_path: Path | None
    ports: PortAllocator
    project_root: Path


@dataclass(frozen=True)
class LaunchTiming:
    """One launch and every clock that observed it, all in ms from the launch command.

    `observed_ms` is the start-up the harness reports (docs/metrics.md: to the first frame showing the camera
    image) and `observed_source` names the clock it came from; the others are kept beside it when observable.
    """

    mode: LaunchMode
    observed_ms: float
    observed_source: str
    app_reported_ms: float | None = None  # the app's own first_frame_ms report (its `stats` control)
    total_time_ms: float | None = None  # am start -W TotalTime (Android)
    wait_time_ms: float | None = None  # am start -W WaitTime (Android)
    launch_state: str | None = None  # am start -W LaunchState: COLD | WARM | HOT (Android 10+)
    displayed_ms: float | None = None  # logcat ActivityTaskManager "Displayed ... +Nms" (Android)
    fully_drawn_ms: float | None = None  # logcat "Fully drawn ... +Nms" (Android, after reportFullyDrawn)
    first_frame_ms: float | None = None  # first frame showing the camera image in a screen recording
    command_ms: float | None = None  # round trip of the launch command itself

    def clocks(self) -> dict[str, float | str | None]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class KeyFrame:
    """One whole output frame: its time (ms on the capture's timeline) and its RGB pixels."""

    t_ms: float
    rgb: RgbFrame


@dataclass(frozen=True)
class Capture:
    """A frame capture: the video file, how its timeline maps to the harness clock, and what it shows.

    `t_ms[i]` is frame i's time on the capture's own timeline; harness epoch ms = clock_offset_ms + t_ms[i].
    `source_index[i]` is the reference clip frame it shows (None: unreadable). `key_frames` are whole frames for
    the visual checks, taken during the capture (web) or read back from the video (phones).
    """

    video: Path | None
    source: str  # "probe" (web in-page) | "screen_recording" | "replay"
    clock_offset_ms: float | None
    t_ms: list[float]
    source_index: list[int | None]
    key_frames: list[KeyFrame] = field(default_factory=list)
    thumbs: Any = None  # web only: per-frame thumbnails (effect-latency onsets)


@dataclass(frozen=True)
class AppRecording:
    """The clip the app itself recorded, fetched to the harness, and the duration the app reported (or None)."""

    path: Path
    app_duration_ms: float | None = None


@dataclass(frozen=True)
class ChangeLatency:
    """Time from a tap to the first output frame showing its effect, or why it was not measured."""

    latency_ms: float | None
    detail: dict[str, float] | str


@dataclass(frozen=True)
class DeviceFingerprint:
    """What device actually ran the item (farms allocate by pattern): read from the device, not devices.yaml."""

    platform: str
    manufacturer: str | None = None
    model: str | None = None
    os_version: str | None = None
    build: str | None = None
    soc: str | None = None
    refresh_hz: float | None = None
    screen: tuple[int, int] | None = None
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items() if v is not None}


class FirstFrameMissing(SdkDefectError):
    """No output frame showed the camera within the start-up timeout; `frame` is what the output showed."""

    def __init__(self, message: str, *, frame: RgbFrame | None) -> None:
        super().__init__(message)
        self.frame = frame


class DevicePlatform(Protocol):
    """What the scenario runner needs from a device, whatever its platform."""

    name: str
    session: DeviceSession | None  # the controls of the open app (None before the first launch)
    refresh_hz: float  # the display's refresh rate used for timeline analysis
    notes: dict[str, Any]  # per-item facts worth keeping (clocks that were unavailable and why, ports, ...)

    def open(self) -> DeviceSession: ...
    def close(self) -> None: ...
    def launch(self, mode: LaunchMode) -> LaunchTiming: ...
    def stop_app(self) -> None: ...
    def start_capture(self) -> None: ...
    def key_frame(self) -> None: ...
    def stop_capture(self, out_dir: Path) -> Capture: ...
    def timed_change(self, kind: str, act: Callable[[], None]) -> ChangeLatency: ...
    def fetch_app_recording(self, out_dir: Path) -> AppRecording: ...
    def collect_logs(self, out_dir: Path) -> list[Path]: ...
    def check_crash(self, where: str) -> None: ...
    def fingerprint(self) -> DeviceFingerprint: ...
