"""The reference clip as an MP4 a device farm accepts for camera injection: H.264 within the farm's file-size
limit (BrowserStack: .mp4 <= 15 MB), its index code checked readable on every frame of the written file.

The clip is first written at `harness clip`'s constant quality (CRF 18). When that file is over the limit it is
written again at the average bitrate that fills 92 % of the limit over the clip's length; when even that file is
over the limit, or any of its frames no longer shows its own index, the length cannot fit and a ConfigError says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.capture.clip import write_video
from harness.capture.video import stream_frames
from harness.clipspec import ClipSpec
from harness.errors import ConfigError
from harness.metrics.indexcode import decode_index

FARM_LIMIT_BYTES = 15_000_000  # BrowserStack camera-injection videos: .mp4 up to 15 MB
FILL_FRACTION = 0.92  # of the limit, for the bitrate when the constant-quality file is too big (container, overshoot)


@dataclass(frozen=True)
class FarmClip:
    """What was written: the file, its size, and the bitrate it was held to (None: constant quality, CRF 18)."""

    path: Path
    size_bytes: int
    bitrate_kbps: int | None


def _unreadable_frames(spec: ClipSpec, path: Path) -> int:
    """How many frames of the written file do not show their own index (read in grey at full size)."""
    bad = 0
    prefer = None
    for k, (_, grey) in enumerate(stream_frames(path, filters="format=gray", pix_fmt="gray", channels=1)):
        found = decode_index(np.broadcast_to(grey, (*grey.shape[:2], 3)), spec=spec, prefer=prefer)
        prefer = found or prefer
        bad += found is None or found.index != k
    return bad


def write_farm_mp4(spec: ClipSpec, path: Path, *, limit_bytes: int = FARM_LIMIT_BYTES) -> FarmClip:
    """Write `spec` as an MP4 of at most `limit_bytes` whose every frame reads back; ConfigError if it cannot fit."""
    path = Path(path)
    if path.suffix.lower() != ".mp4":
        raise ConfigError(f"{path.name}: a farm clip must be .mp4; allowed: a FILE.mp4", key_path="--out")
    write_video(spec, path)
    size = path.stat().st_size
    kbps: int | None = None
    if size > limit_bytes:
        kbps = int(limit_bytes * 8 * FILL_FRACTION / spec.duration_s / 1000)
        write_video(spec, path, bitrate_kbps=kbps)
        size = path.stat().st_size
    limit_mb = limit_bytes / 1e6
    what = f"a {spec.duration_s:g} s {spec.width}x{spec.height} {spec.fps} fps clip"
    if size > limit_bytes:
        path.unlink(missing_ok=True)
        raise ConfigError(f"{what} is {size / 1e6:.2f} MB at {kbps} kbit/s, over the farm's {limit_mb:g} MB video "
                          "limit (BrowserStack: .mp4 <= 15 MB); allowed: a shorter --seconds or a smaller --size",
                          key_path="--seconds")
    unreadable = _unreadable_frames(spec, path)
    if unreadable:
        path.unlink(missing_ok=True)
        raise ConfigError(f"{what} fits the farm's {limit_mb:g} MB video limit (BrowserStack: .mp4 <= 15 MB) only "
                          f"at {kbps} kbit/s, where {unreadable} of {spec.frames} frames lose their index code; "
                          "allowed: a shorter --seconds or a smaller --size", key_path="--seconds")
    return FarmClip(path, size, kbps)
