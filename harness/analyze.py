"""Offline analysis of a recording of the reference clip (an in-page capture, a phone's screen recording, a farm
video): which source frame every output frame shows, and the frame-timing statistics that follow from it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from harness.capture.video import colour_filter, probe, stream_frames
from harness.clipspec import ClipSpec
from harness.errors import AnalysisError, ConfigError
from harness.metrics import indexcode
from harness.metrics.frames import analyze_timeline
from harness.metrics.indexcode import Decoded, decode_index

UInt8Array = npt.NDArray[np.uint8]

FAST_SHORT_SIDE_PX = 240
"""The fast pass shrinks frames by the largest whole factor that keeps their shorter side >= this: code cells
stay >= 9 px even for a portrait clip pillarboxed in a landscape recording (a 1920x1080 frame becomes 480x270)."""
MAX_SELECT_RANGES = 64  # beyond this many separate unread stretches, the full-size pass converts every frame


def load_clip_spec(clip_info_path: Path | None) -> ClipSpec | None:
    """The clip described by a `harness clip` .json file; None (unknown: read from the code) when no file."""
    if clip_info_path is None:
        return None
    try:
        info = json.loads(clip_info_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AnalysisError(f"{clip_info_path}: cannot read the clip info ({exc}); "
                            "allowed: the .json file written by `harness clip`") from exc
    if not isinstance(info, dict):
        raise AnalysisError(f"{clip_info_path}: holds a JSON {type(info).__name__}, not an object; "
                            "allowed: the .json file written by `harness clip`")
    try:
        return ClipSpec.from_info(info)
    except ConfigError as exc:
        raise ConfigError(exc.detail, file=str(clip_info_path), key_path=exc.key_path) from exc


# The fast pass: frames shrunk by a whole factor (FFmpeg works it out from the frame size) to grey, decoded
# without the in-loop deblocking filter (it smooths block edges, not the flat cells of the code, and takes about
# a sixth of H.264 decoding time). A frame this makes unreadable fails the code's checks and is read again.
_FACTOR = f"max(1,floor(min(iw,ih)/{FAST_SHORT_SIDE_PX}))"
FAST_FILTERS = f"scale=w='iw/{_FACTOR}':h='ih/{_FACTOR}':flags=fast_bilinear,format=gray"
FAST_DECODER_OPTIONS = ("-skip_loop_filter", "all")


def _select_filter(positions: Sequence[int]) -> str:
    """An FFmpeg select filter keeping the frames at `positions` (sorted), or '' to keep every frame."""
    ranges: list[list[int]] = []
    for k in positions:
        if ranges and ranges[-1][1] == k - 1:
            ranges[-1][1] = k
        else:
            ranges.append([k, k])
    if len(ranges) > MAX_SELECT_RANGES:
        return ""
    return "select=" + "+".join(f"between(n\\,{a}\\,{b})" for a, b in ranges) + ","


def decode_timeline(video: Path, spec: ClipSpec | None) -> tuple[list[float], list[int | None]]:
    """Presentation time (ms after the first frame) and clip index (None: unreadable) of every frame of `video`.
    With a version 2 spec, a frame showing another clip's code (another length or rate) counts as unreadable;
    spec None reads any version 2 clip (read_timeline says which)."""
    t_ms, found = read_timeline(video, spec)
    if spec is None or spec.version == 1:
        return t_ms, [None if d is None else d.index for d in found]
    ours = (spec.frames, spec.fps)
    return t_ms, [d.index if d is not None and (d.clip_frames, d.clip_fps) == ours else None for d in found]


def read_timeline(video: Path, spec: ClipSpec | None) -> tuple[list[float], list[Decoded | None]]:
    """Presentation time (ms after the first frame) and what was read (None: unreadable) of every frame of `video`.

    A fast pass reads every frame shrunk and in grey (the code's cells are large and black or white); only the
    frames it cannot read are decoded again at full size in colour, with the stream's own colour range and
    matrix (tinted, small or low-contrast codes), so the result is that of reading every frame at full size.
    A version 1 spec reads version 1 codes of that clip; otherwise version 2 codes of any clip are read (each
    carries its clip's length and rate), the code box found again only when the last frame's place fails.
    """
    read_spec = spec if spec is not None and spec.version == 1 else None
    pts: list[Fraction] = []
    found: list[Decoded | None] = []
    prefer: Decoded | None = None
    try:
        for p, grey in stream_frames(video, filters=FAST_FILTERS, pix_fmt="gray", channels=1,
                               decoder_options=FAST_DECODER_OPTIONS):
            got = decode_index(np.broadcast_to(grey, (*grey.shape[:2], 3)), spec=read_spec, prefer=prefer)
            prefer = got or prefer
            pts.append(p)
            found.append(got)
    except AnalysisError:
        probe(video)  # says what is wrong with a file that is no video at all (missing, not media, no frames)
        raise
    missing = [k for k, d in enumerate(found) if d is None]
    if missing:
        position = {pts[k]: k for k in reversed(missing)}
        filters = f"{_select_filter(missing)}{colour_filter(probe(video).to_dict())},format=rgb24"
        orientation = None if prefer is None else (prefer.rotation_deg, prefer.mirrored)  # boxes differ in scale
        full: Decoded | tuple[int, bool] | None = orientation
        for p, frame in stream_frames(video, filters=filters, pix_fmt="rgb24", channels=3):
            k = position.get(p)
            if k is None or found[k] is not None:
                continue
            found[k] = decode_index(frame, spec=read_spec, prefer=full)
            full = found[k] or full
    t_ms = [float((p - pts[0]) * 1000) for p in pts]
    for k in range(1, len(t_ms)):
        if t_ms[k] < t_ms[k - 1]:
            raise AnalysisError(f"{video}: presentation times go backwards at frame {k} "
                                f"({t_ms[k]:.3f} ms after {t_ms[k - 1]:.3f} ms)")
    return t_ms, found


def _clip_of(video: Path, found: Sequence[Decoded | None], spec: ClipSpec | None,
             clip_info_path: Path | None) -> ClipSpec:
    """The clip a version 2 recording shows, from its codes; checked against the clip info when there is one."""
    clips = sorted({(d.clip_frames, d.clip_fps) for d in found if d is not None and d.clip_frames and d.clip_fps})
    if len(clips) > 1:
        listed = ", ".join(f"{n} frames at {f} fps" for n, f in clips)
        raise AnalysisError(f"{video}: the frames show codes of different clips ({listed}); "
                            "allowed: a recording of one clip")
    frames, fps = clips[0]
    if spec is not None and (spec.frames, spec.fps) != (frames, fps):
        raise AnalysisError(f"{video}: the recording shows a clip of {frames} frames at {fps} fps, but "
                            f"{clip_info_path} describes {spec.frames} frames at {spec.fps} fps; "
                            "allowed: the clip info written with the clip that was shown")
    return spec if spec is not None else ClipSpec(frames=frames, fps=fps)


def _read_version_1(video: Path) -> tuple[list[float], list[Decoded | None], ClipSpec]:
    """A recording with no version 2 code and no clip info: a version 1 clip is read only if it is the default
    clip; a larger index means a longer clip whose length the code does not carry (it would be guessed)."""
    default = ClipSpec(version=1)
    t_ms, found = read_timeline(video, ClipSpec(version=1, frames=indexcode.MAX_INDEX))
    highest = max((d.index for d in found if d is not None), default=-1)
    if highest >= default.frames:
        raise ConfigError(
            f"{video} shows a version 1 clip longer than the default {default.frames} frames (index {highest} "
            "read), and version 1 codes do not carry the clip's length; pass --clip-info FILE.json, the file "
            "`harness clip` wrote next to the clip",
            key_path="--clip-info",
        )
    return t_ms, found, default


def analyze_video(video: Path, *, clip_info_path: Path | None = None, refresh_hz: float | None = None
                  ) -> dict[str, Any]:
    """Frame timing of ``video``; AnalysisError when it is not a video or shows no index code, ConfigError (a
    missing --clip-info) when a version 1 clip longer than the default is read without its clip info."""
    spec = load_clip_spec(clip_info_path)
    t_ms, found = read_timeline(video, spec)
    if spec is None and not any(d is not None for d in found):
        t_ms, found, spec = _read_version_1(video)
    elif spec is None or spec.version != 1:
        if any(d is not None for d in found):
            spec = _clip_of(video, found, spec, clip_info_path)
    indices = [None if d is None else d.index for d in found]
    if spec is None or not any(i is not None for i in indices):
        raise AnalysisError(f"{video}: no frame shows the reference clip's index code "
                            f"({len(indices)} frames read); was the clip playing into the camera?")
    try:
        timing = analyze_timeline(t_ms, indices, source_fps=float(spec.fps), clip_frames=spec.frames,
                                  refresh_hz=refresh_hz)
    except AnalysisError as exc:
        raise AnalysisError(f"{video}: {exc}") from exc
    result = timing.to_dict()
    result["frame_count"] = result["frames"]
    result["frames"] = [{"t_ms": round(t, 3), "source_index": i} for t, i in zip(t_ms, indices, strict=True)]
    result["video"] = str(video)
    result["clip"] = {"version": spec.version, "frames": spec.frames, "fps": spec.fps}
    return result
