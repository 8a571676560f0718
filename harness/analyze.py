"""Offline analysis of a recording of the reference clip (an in-page capture, a phone's screen recording, a farm
video): which source frame every output frame shows, and the frame-timing statistics that follow from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.capture.clip import ClipSpec
from harness.capture.video import iter_frames, probe
from harness.errors import AnalysisError
from harness.metrics.frames import analyze_timeline
from harness.metrics.indexcode import decode_index


def load_clip_spec(clip_info_path: Path | None) -> ClipSpec:
    if clip_info_path is None:
        return ClipSpec()
    try:
        info = json.loads(clip_info_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AnalysisError(f"{clip_info_path}: cannot read the clip info ({exc}); "
                            "allowed: the .json file written by `harness clip`") from exc
    return ClipSpec.from_info(info)


def decode_timeline(video: Path, spec: ClipSpec) -> tuple[list[float], list[int | None]]:
    t_ms: list[float] = []
    indices: list[int | None] = []
    for t, frame in iter_frames(video):
        found = decode_index(frame, spec=spec)
        t_ms.append(t)
        indices.append(None if found is None else int(found.index))
    return t_ms, indices


def analyze_video(video: Path, *, clip_info_path: Path | None = None, refresh_hz: float | None = None
                  ) -> dict[str, Any]:
    """Frame timing of ``video``; AnalysisError when it is not a video or shows no index code."""
    spec = load_clip_spec(clip_info_path)
    probe(video)
    t_ms, indices = decode_timeline(video, spec)
    if not any(i is not None for i in indices):
        raise AnalysisError(f"{video}: no frame shows the reference clip's index code "
                            f"({len(indices)} frames read); was the clip playing into the camera?")
    timing = analyze_timeline(t_ms, indices, source_fps=float(spec.fps), clip_frames=spec.frames,
                              refresh_hz=refresh_hz)
    result = timing.to_dict()
    result["frame_count"] = result["frames"]
    result["frames"] = [{"t_ms": round(t, 3), "source_index": i} for t, i in zip(t_ms, indices, strict=True)]
    result["video"] = str(video)
    return result
