"""Frame sources for phones: the device's screen recording through Appium, or a replayed video file.

Both give an MP4 whose frame i shows the screen at `start_epoch_ms + t_ms[i]` on the harness's clock (the screen
recording starts when Appium's start command returns, so its clock offset is late by the recorder's own start-up,
tens of ms). The video is read by the same code as `harness analyze` (harness.analyze.decode_timeline).

`ReplaySource` is for testing the harness without a phone: it hands out the stretch of a file that the time
between start and stop covers, as if the screen had been recorded.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from harness.capture.video import iter_frames
from harness.errors import InfrastructureError

# Appium's screen recording stops by itself after 180 s (timeLimit); segments are restarted before that.
RECORDING_LIMIT_S = 180
RESTART_AFTER_S = 170.0


class ScreenRecorder(Protocol):
    """The session's screen-recording commands (harness.devices.session.DeviceSession)."""

    def start_screen_recording(self, **options: object) -> None: ...
    def stop_screen_recording(self) -> bytes: ...


class FrameSource(Protocol):
    name: str
    live: bool  # True: shows the device as it runs (start-up can be read from it); False: a replayed file

    def start(self) -> float: ...
    def stop(self, out: Path) -> Path: ...


def _ffmpeg(*args: str) -> None:
    proc = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise InfrastructureError(f"[infrastructure] ffmpeg {' '.join(args)} failed: {proc.stderr.strip()[:400]}")


@dataclass
class ScreenRecording:
    """Appium's start_recording_screen / stop_recording_screen; a timer restarts it every `restart_after_s`
    (before the 180 s limit) and the segments are joined (the gap between two is lost and shows as a freeze)."""

    recorder: ScreenRecorder
    bit_rate: int = 20_000_000
    restart_after_s: float = RESTART_AFTER_S
    name: str = "screen_recording"
    live: bool = True
    _segments: list[bytes] = field(default_factory=list, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _timer: threading.Timer | None = field(default=None, init=False)

    def start(self) -> float:
        self._segments = []
        return self._start_segment()

    def _start_segment(self) -> float:
        self.recorder.start_screen_recording(timeLimit=str(RECORDING_LIMIT_S), bitRate=str(self.bit_rate),
                                             forceRestart=True)
        started = time.time() * 1000.0
        self._timer = threading.Timer(self.restart_after_s, self.keep_alive)
        self._timer.daemon = True
        self._timer.start()
        return started

    def keep_alive(self) -> None:
        """Closes the running segment and starts the next (called by the timer)."""
        with self._lock:
            if self._timer is None:
                return
            self._segments.append(self.recorder.stop_screen_recording())
            self._start_segment()

    def stop(self, out: Path) -> Path:
        with self._lock:
            timer, self._timer = self._timer, None
            if timer is not None:
                timer.cancel()
            self._segments.append(self.recorder.stop_screen_recording())
        out.parent.mkdir(parents=True, exist_ok=True)
        if len(self._segments) == 1:
            out.write_bytes(self._segments[0])
            return out
        parts = []
        for n, data in enumerate(self._segments):
            part = out.with_name(f"{out.stem}.part{n}.mp4")
            part.write_bytes(data)
            parts.append(part)
        listing = out.with_name(f"{out.stem}.parts.txt")
        listing.write_text("".join(f"file '{p.name}'\n" for p in parts), encoding="utf-8")
        _ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(out))
        for p in [*parts, listing]:
            p.unlink()
        return out


@dataclass
class ReplaySource:
    """A video file of a phone screen played as if it were being recorded: stop() returns the stretch the time
    since start() covers, from the file's start (looped when longer). For testing the harness without a phone."""

    file: Path
    name: str = "replay"
    live: bool = False
    _started: float = field(default=0.0, init=False)

    def start(self) -> float:
        if not self.file.is_file():
            raise InfrastructureError(f"[infrastructure] replay file {self.file} does not exist")
        self._started = time.monotonic()
        return time.time() * 1000.0

    def stop(self, out: Path) -> Path:
        elapsed_s = max(0.5, time.monotonic() - self._started)
        out.parent.mkdir(parents=True, exist_ok=True)
        _ffmpeg("-stream_loop", "-1", "-i", str(self.file), "-t", f"{elapsed_s:.3f}", "-c", "copy", str(out))
        return out


def frames_at(video: Path, times_ms: list[float]) -> list[tuple[float, npt.NDArray[np.uint8]]]:
    """The frame shown at each of `times_ms` (ms on the video's timeline): the last frame presented at or before
    it (the first frame for times before it)."""
    wanted = sorted(times_ms)
    out: list[tuple[float, npt.NDArray[np.uint8]]] = []
    previous: tuple[float, npt.NDArray[np.uint8]] | None = None
    for t, frame in iter_frames(video):
        while wanted and t > wanted[0]:
            wanted.pop(0)
            chosen = previous if previous is not None else (t, frame)
            out.append(chosen)
        previous = (t, frame)
        if not wanted:
            break
    if previous is not None:
        out.extend(previous for _ in wanted)
    return out


def first_camera_frame_ms(t_ms: list[float], indices: list[int | None], *, since_ms: float) -> float | None:
    """The time of the first frame showing the camera (a decodable index) that follows a frame without it, both at
    or after `since_ms` (all on the recording's timeline). A launch first takes the camera away (launcher, blank
    window) and then shows it again; a preview still on screen from before the launch is not its first frame.
    None when the recording shows no such gap and return."""
    gap = False
    for t, index in zip(t_ms, indices, strict=True):
        if t < since_ms:
            continue
        if index is None:
            gap = True
        elif gap:
            return t
    return None
