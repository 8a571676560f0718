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

from harness.capture.clip import ClipSpec
from harness.capture.video import colour_filter, probe, stream_frames
from harness.errors import AnalysisError, ConfigError
from harness.metrics.frames import analyze_timeline
from harness.metrics.indexcode import decode_index

UInt8Array = npt.NDArray[np.uint8]

FAST_SHORT_SIDE_PX = 240
"""The fast pass shrinks frames by the largest whole factor that keeps their shorter side >= this: code cells
stay >= 9 px even for a portrait clip pillarboxed in a landscape recording (a 1920x1080 frame becomes 480x270)."""
MAX_SELECT_RANGES = 64  # beyond this many separate unread stretches, the full-size pass converts every frame


def load_clip_spec(clip_info_path: Path | None) -> ClipSpec:
    """The clip described by a `harness clip` .json file; the default clip when None."""
    if clip_info_path is None:
        return ClipSpec()
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


def decode_timeline(video: Path, spec: ClipSpec) -> tuple[list[float], list[int | None]]:
    """Presentation time (ms after the first frame) and clip index (None: unreadable) of every frame of `video`.

    A fast pass reads every frame shrunk and in grey (the code's cells are large and black or white); only the
    frames it cannot read are decoded again at full size in colour, with the stream's own colour range and
    matrix (tinted, small or low-contrast codes), so the result is that of reading every frame at full size.
    """
    pts: list[Fraction] = []
    indices: list[int | None] = []
    prefer: tuple[int, bool] | None = None
    try:
        for p, grey in stream_frames(video, filters=FAST_FILTERS, pix_fmt="gray", channels=1,
                               decoder_options=FAST_DECODER_OPTIONS):
            found = decode_index(np.broadcast_to(grey, (*grey.shape[:2], 3)), spec=spec, prefer=prefer)
            if found is not None:
                prefer = (found.rotation_deg, found.mirrored)
            pts.append(p)
            indices.append(None if found is None else found.index)
    except AnalysisError:
        probe(video)  # says what is wrong with a file that is no video at all (missing, not media, no frames)
        raise
    missing = [k for k, i in enumerate(indices) if i is None]
    if missing:
        position = {pts[k]: k for k in reversed(missing)}
        filters = f"{_select_filter(missing)}{colour_filter(probe(video).to_dict())},format=rgb24"
        for p, frame in stream_frames(video, filters=filters, pix_fmt="rgb24", channels=3):
            k = position.get(p)
            if k is None or indices[k] is not None:
                continue
            found = decode_index(frame, spec=spec, prefer=prefer)
            indices[k] = None if found is None else found.index
    t_ms = [float((p - pts[0]) * 1000) for p in pts]
    for k in range(1, len(t_ms)):
        if t_ms[k] < t_ms[k - 1]:
            raise AnalysisError(f"{video}: presentation times go backwards at frame {k} "
                                f"({t_ms[k]:.3f} ms after {t_ms[k - 1]:.3f} ms)")
    return t_ms, indices


def analyze_video(video: Path, *, clip_info_path: Path | None = None, refresh_hz: float | None = None
                  ) -> dict[str, Any]:
    """Frame timing of ``video``; AnalysisError when it is not a video or shows no index code."""
    spec = load_clip_spec(clip_info_path)
    t_ms, indices = decode_timeline(video, spec)
    if not any(i is not None for i in indices):
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
    return result
