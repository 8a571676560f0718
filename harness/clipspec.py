"""What the reference camera clip is (size, rate, length, layout version), without drawing it: the clip's
description that the frame sources (capture/clip.py renders it) and the index-code readers (metrics/) share.

Imports nothing above harness.errors, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import ConfigError

CLIP_VERSION = 3
"""Bump whenever a pixel of any frame changes: it is part of cached clip file names and of clip_info().
Version 2 moved the index code into a framed box away from the clip's edges (codebox.py), where a phone's status
bar, camera controls and aspect-fill cropping leave it visible, and made it carry the clip's length and rate.
Version 3 keeps version 2's layout and code and adds a fast pan (the photo circles once a second), so that a face
tracker's lag and placement error can be measured (capture/clip.py FAST_PAN_X, docs/metrics.md "Face tracking").
Versions 1 and 2 are still drawn and read (ClipSpec(version=N), clip-info files with "clip_version": N)."""
CLIP_VERSIONS = (1, 2, 3)

MAX_FRAMES = (1 << 16) - 1
"""The longest clip: the index code carries the frame index in 16 bits (metrics/indexcode.py INDEX_BITS)."""
MAX_FPS_V2 = (1 << 8) - 1
"""The highest rate a version 2 clip can carry: its code holds the rate in 8 bits (metrics/codebox.py FPS_BITS)."""


@dataclass(frozen=True)
class ClipSpec:
    """Size, rate, length and layout version of the reference clip (defaults: portrait 360x640, 30 fps, a 10 s
    loop, the current CLIP_VERSION)."""

    width: int = 360
    height: int = 640
    fps: int = 30
    frames: int = 300
    version: int = CLIP_VERSION

    def __post_init__(self) -> None:
        if self.version not in CLIP_VERSIONS:
            allowed = ", ".join(map(str, CLIP_VERSIONS))
            raise ConfigError(f"clip version {self.version!r} is not allowed; allowed {allowed}",
                              key_path="clip_version")
        for name in ("width", "height", "fps", "frames"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigError(f"clip {name} must be an integer, got {value!r}", key_path=f"clip.{name}")
        if self.width < 240 or self.width % 2 or self.height < 240 or self.height % 2:
            raise ConfigError(
                f"clip size {self.width}x{self.height} is not allowed; width and height must be even and >= 240",
                key_path="clip.width",
            )
        if not 1 <= self.fps <= (240 if self.version == 1 else min(240, MAX_FPS_V2)):
            raise ConfigError(f"clip fps {self.fps} is not allowed; allowed 1..240", key_path="clip.fps")
        if not 2 <= self.frames <= MAX_FRAMES:
            raise ConfigError(
                f"clip frames {self.frames} is not allowed; allowed 2..{MAX_FRAMES}",
                key_path="clip.frames",
            )

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> ClipSpec:
        """The spec recorded by clip_info() (any version in CLIP_VERSIONS; a file without one is version 1, the
        only version that wrote none)."""
        version = info.get("clip_version", 1)
        if version not in CLIP_VERSIONS:
            raise ConfigError(
                f"clip info is for clip version {version!r}; this harness reads versions "
                f"{', '.join(map(str, CLIP_VERSIONS))}",
                key_path="clip_version",
            )
        missing = [k for k in ("width", "height", "fps", "frames") if k not in info]
        if missing:
            raise ConfigError(f"clip info lacks {', '.join(missing)}", key_path=missing[0])
        return cls(width=info["width"], height=info["height"], fps=info["fps"], frames=info["frames"],
                   version=version)

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps
