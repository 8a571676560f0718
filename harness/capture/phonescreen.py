"""A synthetic phone screen recording of the reference clip: what a phone's screen recorder would capture while a
camera app previews the clip (shown on a monitor in front of the phone, or injected into its camera by a farm).

The clip is scaled into the screen aspect-filled (the overflow cropped) or letterboxed (bars of a surround
colour), a status bar and a camera-controls panel are drawn over it (opaque, non-uniform: text, icons, buttons, a
ticking recording timer), each clip frame stays on screen for the refreshes its rate gives at `refresh_hz`, and
the result is encoded by FFmpeg as a constant-rate H.264 (.mp4) or VP8/VP9 (.webm) video. Drops and holds are
planted exactly: `screen_schedule` says which clip frame every refresh shows, so tests know the truth.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from harness.capture.clip import UInt8Array, render_frame
from harness.clipspec import ClipSpec
from harness.errors import ConfigError, InfrastructureError

Fit = Literal["fill", "letterbox"]
Codec = Literal["h264", "vp8", "vp9"]
SURROUND_RGB = (38, 52, 71)  # letterbox bars: a dark slate blue, not black
_CODECS: dict[str, tuple[str, list[str]]] = {
    "h264": (".mp4", ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"]),
    "vp8": (".webm", ["-c:v", "libvpx", "-b:v", "4M", "-deadline", "realtime", "-cpu-used", "8",
                      "-pix_fmt", "yuv420p"]),
    "vp9": (".webm", ["-c:v", "libvpx-vp9", "-b:v", "3M", "-deadline", "realtime", "-cpu-used", "8",
                      "-row-mt", "1", "-pix_fmt", "yuv420p"]),
}


def screen_schedule(spec: ClipSpec, *, refresh_hz: int = 60, drops: Sequence[int] = (),
                    holds: Mapping[int, int] | None = None, frames: int | None = None) -> list[int]:
    """The clip frame every screen refresh shows: frames 0..frames-1 (default: the whole clip) in order, each for
    the refreshes its rate gives (refresh_hz / fps, a cadence such as 3:2 when that is not whole), except that a
    frame in `holds` stays for exactly holds[index] refreshes and a frame in `drops` is never shown (the frame
    before it stays on screen for its refreshes)."""
    holds = dict(holds or {})
    count = spec.frames if frames is None else frames
    if not 1 <= count <= spec.frames:
        raise ConfigError(f"frames={count} is not allowed; allowed 1..{spec.frames}", key_path="frames")
    if refresh_hz < 1:
        raise ConfigError(f"refresh_hz={refresh_hz} is not allowed; allowed >= 1", key_path="refresh_hz")
    bad = sorted(i for i in (*drops, *holds) if not 0 <= i < count)
    if bad:
        raise ConfigError(f"drops/holds: index {bad[0]} is not shown; allowed 0..{count - 1}", key_path="drops")
    if 0 in drops:
        raise ConfigError(f"drops: frame 0 cannot be dropped (no frame before it stays on screen); allowed "
                          f"1..{count - 1}", key_path="drops")
    if any(n < 1 for n in holds.values()):
        raise ConfigError("holds: every hold must be >= 1 refresh", key_path="holds")
    per_frame = Fraction(refresh_hz, spec.fps)
    shown: list[int] = []
    for index in range(count):
        slots = holds.get(index, int((index + 1) * per_frame) - int(index * per_frame))
        if index in drops:
            shown += [shown[-1]] * slots
        else:
            shown += [index] * slots
    return shown


def _gradient(height: int, width: int, top_rgb: tuple[int, int, int], bottom_rgb: tuple[int, int, int]
              ) -> UInt8Array:
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    column = (1 - t) * np.array(top_rgb) + t * np.array(bottom_rgb)
    return np.broadcast_to(column, (height, width, 3)).round().astype(np.uint8).copy()


def status_bar_rgb(width: int, height: int) -> UInt8Array:
    """Clock, notification dots, signal bars, Wi-Fi arcs and a battery on a dark gradient."""
    bar = _gradient(height, width, (18, 18, 24), (58, 60, 70))
    u = max(1, height // 10)
    scale = height / 60
    cv2.putText(bar, "12:34", (3 * u, 7 * u), cv2.FONT_HERSHEY_SIMPLEX, scale, (245, 245, 245), max(1, u // 2),
                cv2.LINE_AA)
    for k, colour in enumerate(((66, 133, 244), (234, 67, 53), (52, 168, 83))):
        cv2.circle(bar, (int(width * 0.3) + k * 3 * u, 5 * u), u, colour, -1, cv2.LINE_AA)
    x = int(width * 0.72)
    for k in range(4):
        cv2.rectangle(bar, (x + k * 2 * u, 8 * u - (k + 1) * u), (x + k * 2 * u + u, 8 * u), (230, 230, 230), -1)
    cv2.ellipse(bar, (int(width * 0.83), 8 * u), (3 * u, 3 * u), 0, 225, 315, (230, 230, 230), max(1, u // 2))
    bx = int(width * 0.88)
    cv2.rectangle(bar, (bx, 3 * u), (bx + 7 * u, 7 * u), (230, 230, 230), max(1, u // 3))
    cv2.rectangle(bar, (bx + u // 2 + 1, 3 * u + u // 2 + 1), (bx + 5 * u, 7 * u - u // 2 - 1), (120, 220, 120), -1)
    return bar


def controls_rgb(width: int, height: int) -> UInt8Array:
    """Mode labels, a gallery thumbnail, the shutter button and a switch-camera icon on a dark gradient."""
    panel = _gradient(height, width, (30, 30, 34), (8, 8, 10))
    u = max(1, height // 40)
    scale = height / 300
    for k, (label, colour) in enumerate((("PHOTO", (200, 200, 200)), ("VIDEO", (255, 200, 0)),
                                         ("PORTRAIT", (200, 200, 200)))):
        cv2.putText(panel, label, (int(width * (0.12 + 0.3 * k)), 7 * u), cv2.FONT_HERSHEY_SIMPLEX, scale, colour,
                    max(1, u // 2), cv2.LINE_AA)
    cy, r = int(height * 0.6), int(height * 0.22)
    cv2.circle(panel, (width // 2, cy), r, (250, 250, 250), max(2, u), cv2.LINE_AA)
    cv2.circle(panel, (width // 2, cy), int(r * 0.8), (220, 40, 40), -1, cv2.LINE_AA)
    tx = int(width * 0.12)
    panel[cy - r // 2 : cy + r // 2, tx : tx + r] = (150, 110, 70)
    cv2.rectangle(panel, (tx, cy - r // 2), (tx + r, cy + r // 2), (240, 240, 240), max(1, u // 2))
    cv2.circle(panel, (int(width * 0.85), cy), r // 2, (90, 90, 96), -1, cv2.LINE_AA)
    cv2.ellipse(panel, (int(width * 0.85), cy), (r // 3, r // 3), 0, 20, 160, (240, 240, 240), max(1, u // 2))
    cv2.ellipse(panel, (int(width * 0.85), cy), (r // 3, r // 3), 0, 200, 340, (240, 240, 240), max(1, u // 2))
    return panel


def preview_place(spec: ClipSpec, screen: tuple[int, int], fit: Fit) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the scaled clip on the screen, centred; beyond the screen's edges for an aspect fill."""
    sw, sh = screen
    scale = (max if fit == "fill" else min)(sw / spec.width, sh / spec.height)
    w, h = round(spec.width * scale), round(spec.height * scale)
    return (sw - w) // 2, (sh - h) // 2, w, h


def compose_preview(clip_frame: UInt8Array, base: UInt8Array, place: tuple[int, int, int, int]) -> UInt8Array:
    sh, sw = base.shape[:2]
    x, y, w, h = place
    interp = cv2.INTER_AREA if w < clip_frame.shape[1] else cv2.INTER_LINEAR
    scaled = cv2.resize(clip_frame, (w, h), interpolation=interp)
    out = base.copy()
    x0, y0, x1, y1 = max(0, x), max(0, y), min(sw, x + w), min(sh, y + h)
    out[y0:y1, x0:x1] = scaled[y0 - y : y1 - y, x0 - x : x1 - x]
    return out


def phone_recording(
    spec: ClipSpec,
    out: Path,
    *,
    screen: tuple[int, int] = (1080, 2400),
    fit: Fit = "fill",
    refresh_hz: int = 60,
    status_bar_frac: float = 0.06,
    controls_frac: float = 0.15,
    drops: Sequence[int] = (),
    holds: Mapping[int, int] | None = None,
    frames: int | None = None,
    surround_rgb: tuple[int, int, int] = SURROUND_RGB,
    codec: Codec = "h264",
) -> Path:
    """Write `out`: a `refresh_hz` screen recording, `screen` = (width, height) pixels, of a camera app previewing
    `spec`'s clip (frames 0..frames-1, default all) with `fit`, under a status bar (`status_bar_frac` of the
    screen's height, top) and camera controls (`controls_frac`, bottom). Which clip frame each refresh shows is
    `screen_schedule(spec, refresh_hz=..., drops=..., holds=..., frames=...)`. `codec` h264 writes MP4 (the
    suffix of `out` must be .mp4), vp8/vp9 WebM (.webm)."""
    out = Path(out)
    sw, sh = screen
    if sw < 16 or sh < 16 or sw % 2 or sh % 2:
        raise ConfigError(f"screen {sw}x{sh} is not allowed; allowed even sizes >= 16", key_path="screen")
    if fit not in ("fill", "letterbox"):
        raise ConfigError(f"fit={fit!r} is not allowed; allowed fill, letterbox", key_path="fit")
    if codec not in _CODECS or out.suffix.lower() != _CODECS[codec][0]:
        raise ConfigError(f"{out.name}: codec {codec!r} with suffix {out.suffix!r} is not allowed; allowed h264 "
                          "-> .mp4, vp8/vp9 -> .webm", key_path="codec")
    if not (0 <= status_bar_frac < 0.5 and 0 <= controls_frac < 0.5):
        raise ConfigError("status_bar_frac and controls_frac must be in 0..0.5", key_path="status_bar_frac")
    shown = screen_schedule(spec, refresh_hz=refresh_hz, drops=drops, holds=holds, frames=frames)
    base = np.empty((sh, sw, 3), np.uint8)
    base[:] = surround_rgb
    place = preview_place(spec, screen, fit)
    bar_h, ctl_h = round(status_bar_frac * sh), round(controls_frac * sh)
    status = status_bar_rgb(sw, bar_h) if bar_h else None
    controls = controls_rgb(sw, ctl_h) if ctl_h else None
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise InfrastructureError("ffmpeg is not on PATH; it is needed to write a phone recording")
    cmd = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
        "-s", f"{sw}x{sh}", "-r", str(refresh_hz), "-i", "-", *_CODECS[codec][1], "-g", str(refresh_hz),
        "-r", str(refresh_hz), "-fps_mode", "cfr", str(out),
    ]  # fmt: skip
    composed: dict[int, UInt8Array] = {}
    with subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdin is not None
        assert proc.stderr is not None
        try:
            for k, index in enumerate(shown):
                if index not in composed:
                    composed.clear()
                    composed[index] = compose_preview(render_frame(spec, index), base, place)
                frame = composed[index].copy() if (status is not None or controls is not None) else composed[index]
                if status is not None:
                    frame[:bar_h] = status
                    seconds = k // refresh_hz  # the recording timer ticks once a second
                    cv2.putText(frame, f"REC 00:{seconds:02d}", (int(sw * 0.4), int(bar_h * 0.7)),
                                cv2.FONT_HERSHEY_SIMPLEX, bar_h / 70, (255, 80, 80), max(1, bar_h // 25),
                                cv2.LINE_AA)
                if controls is not None:
                    frame[sh - ctl_h :] = controls
                proc.stdin.write(frame.tobytes())
        except BrokenPipeError:
            pass
        finally:
            proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace")
        code = proc.wait()
    if code != 0:
        raise InfrastructureError(f"ffmpeg failed ({code}) writing {out}: {err.strip()[-400:]}")
    return out
