"""Video files in, (presentation time, RGB frame) out: probing and streaming decode of mp4/webm/mkv/y4m.

Decoding runs FFmpeg with the colour range and matrix the stream declares (OpenCV's reader ignores both, so a
full-range BT.709 MediaRecorder WebM comes out with stretched greys) and takes each frame's real presentation
time from FFmpeg's showinfo filter, so variable-frame-rate WebM without duration or cues is timed correctly.
"""

from __future__ import annotations

import json
import queue
import re
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from harness.errors import AnalysisError, ConfigError, InfrastructureError

UInt8Array = npt.NDArray[np.uint8]

# ffprobe color_space -> FFmpeg scale filter in_color_matrix. Untagged streams get FFmpeg's default (BT.601).
_MATRICES = {
    "bt709": "bt709",
    "smpte170m": "bt601",
    "bt470bg": "bt601",
    "fcc": "fcc",
    "smpte240m": "smpte240m",
    "bt2020nc": "bt2020",
    "bt2020c": "bt2020",
}
_FRAME_LINE = re.compile(
    rb"Parsed_showinfo_\d+ @ \S+\] n:\s*(\d+) pts:\s*(-?\d+|NOPTS)\s+pts_time:(\S+).*? s:(\d+)x(\d+)"
)
_TIMEBASE_LINE = re.compile(rb"Parsed_showinfo_\d+ @ \S+\] config in time_base: (\d+)/(\d+)")
_STDERR_TAIL = 20
_LINE_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class VideoInfo:
    """What probe() found: display size (rotation applied), timing from packet timestamps, colour tags."""

    path: str
    container: str
    codec: str
    width: int
    height: int
    rotation_deg: int  # display-matrix rotation, counter-clockwise (ffprobe's convention); frames come upright
    frame_count: int
    duration_s: float  # first to last presentation time plus one mean frame interval
    fps: float  # mean rate from packet timestamps: (frame_count - 1) / (last pts - first pts)
    nominal_fps: float | None  # the container's average frame rate when it declares one
    pix_fmt: str
    color_range: str | None
    color_space: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise InfrastructureError(f"{name} is not on PATH; it is needed to read videos (Debian package ffmpeg)")
    return found


def _check_path(path: Path) -> None:
    if not path.is_file():
        raise AnalysisError(f"{path} is not a video: no such file")


def _ffprobe(path: Path, entries: str, *extra: str) -> dict[str, Any]:
    cmd = [_tool("ffprobe"), "-v", "error", "-select_streams", "v:0", *extra, "-show_entries", entries]
    proc = subprocess.run([*cmd, "-of", "json", str(path)], capture_output=True, check=False)
    reason = proc.stderr.decode(errors="replace").strip().splitlines()
    if proc.returncode != 0:
        raise AnalysisError(f"{path} is not a video: ffprobe says {reason[-1] if reason else proc.returncode}")
    parsed: dict[str, Any] = json.loads(proc.stdout or b"{}")
    if not parsed.get("streams"):
        raise AnalysisError(f"{path} is not a video: it has no video stream")
    return parsed


def _rate(text: str | None) -> float | None:
    if not text or "/" not in text:
        return None
    num, den = text.split("/", 1)
    if not num.isdigit() or not den.isdigit() or int(den) == 0 or int(num) == 0:
        return None
    return int(num) / int(den)


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list", []) or []:
        if "rotation" in side:
            return round(float(side["rotation"])) % 360
    rotate = (stream.get("tags") or {}).get("rotate")
    return int(rotate) % 360 if rotate else 0


_STREAM_ENTRIES = (
    "stream=codec_name,width,height,pix_fmt,color_range,color_space,avg_frame_rate"
    ":stream_side_data=rotation:stream_tags=rotate:format=format_name"
)


def probe(path: Path) -> VideoInfo:
    """Size, frame count, frame rate and colour tags of a video file; AnalysisError naming it if none."""
    path = Path(path)
    _check_path(path)
    parsed = _ffprobe(path, _STREAM_ENTRIES + ":packet=pts_time")
    stream = parsed["streams"][0]
    times = sorted(float(p["pts_time"]) for p in parsed.get("packets", []) if "pts_time" in p)
    if not times or "width" not in stream:
        raise AnalysisError(f"{path} is not a video: its video stream has no frames")
    n = len(times)
    span_s = times[-1] - times[0]
    fps = (n - 1) / span_s if n > 1 and span_s > 0 else 0.0
    nominal = _rate(stream.get("avg_frame_rate"))
    rotation = _rotation(stream)
    width, height = int(stream["width"]), int(stream["height"])
    if rotation in (90, 270):
        width, height = height, width
    return VideoInfo(
        path=str(path),
        container=str(parsed.get("format", {}).get("format_name", "")),
        codec=str(stream.get("codec_name", "")),
        width=width,
        height=height,
        rotation_deg=rotation,
        frame_count=n,
        duration_s=span_s + (span_s / (n - 1) if n > 1 else (1.0 / nominal if nominal else 0.0)),
        fps=fps,
        nominal_fps=nominal,
        pix_fmt=str(stream.get("pix_fmt", "")),
        color_range=stream.get("color_range"),
        color_space=stream.get("color_space"),
    )


def colour_filter(stream: dict[str, Any]) -> str:
    """FFmpeg scale filter: the stream's YUV to full-range RGB with its declared matrix and range."""
    pix_fmt = str(stream.get("pix_fmt", ""))
    colour_range = stream.get("color_range")
    full = colour_range == "pc" or (colour_range not in ("tv", "pc") and pix_fmt.startswith("yuvj"))
    options = [f"in_range={'full' if full else 'limited'}", "out_range=full"]
    matrix = _MATRICES.get(str(stream.get("color_space")))
    if matrix:
        options.append(f"in_color_matrix={matrix}")
    options.append("flags=bicubic+accurate_rnd+full_chroma_int")
    return "scale=" + ":".join(options)


def _read_stderr(stream: Any, lines: queue.Queue[tuple[str, Any] | None], tail: deque[str]) -> None:
    """Forward showinfo's frame and time-base lines; keep the last other lines for error messages."""
    for raw in iter(stream.readline, b""):
        frame = _FRAME_LINE.search(raw)
        if frame:
            lines.put(("frame", frame.groups()))
            continue
        tb = _TIMEBASE_LINE.search(raw)
        if tb:
            lines.put(("timebase", Fraction(int(tb.group(1)), int(tb.group(2)))))
            continue
        tail.append(raw.decode(errors="replace").strip())
    lines.put(None)


def _read_exactly(stream: Any, size: int) -> bytearray | None:
    """The next `size` bytes of a pipe, or None at end of stream."""
    buf = bytearray(size)
    view = memoryview(buf)
    filled = 0
    while filled < size:
        got = stream.readinto(view[filled:])
        if not got:
            return None
        filled += got
    return buf


def iter_frames(path: Path, *, max_frames: int | None = None) -> Generator[tuple[float, UInt8Array], None, None]:
    """Yield (t_ms, frame) for every frame of a video in presentation order, one frame in memory at a time.

    t_ms is the frame's presentation timestamp in milliseconds relative to the first frame (exact: pts times
    the stream time base), so variable frame rates are kept; frames are HxWx3 uint8 RGB, rotation metadata
    applied, converted from YUV with the stream's own colour range and matrix.
    """
    path = Path(path)
    _check_path(path)
    if max_frames is not None and max_frames < 1:
        raise ConfigError(f"max_frames must be >= 1 or None, got {max_frames}", key_path="max_frames")
    stream = _ffprobe(path, _STREAM_ENTRIES)["streams"][0]
    first_pts: Fraction | None = None
    last_t_ms = float("-inf")
    frames = stream_frames(
        path, filters=f"{colour_filter(stream)},format=rgb24", pix_fmt="rgb24", channels=3,
        output_options=["-frames:v", str(max_frames)] if max_frames is not None else [],
    )
    for count, (pts, frame) in enumerate(frames):
        first_pts = pts if first_pts is None else first_pts
        t_ms = float((pts - first_pts) * 1000)
        if t_ms < last_t_ms:
            raise AnalysisError(
                f"{path}: presentation times go backwards at frame {count} ({t_ms:.3f} ms after {last_t_ms:.3f} ms)"
            )
        last_t_ms = t_ms
        yield t_ms, frame


def stream_frames(
    video: Path, *, filters: str, pix_fmt: str, channels: int, decoder_options: Sequence[str] = (),
    output_options: Sequence[str] = (),
) -> Iterator[tuple[Fraction, npt.NDArray[np.uint8]]]:
    """(pts in seconds, H x W x channels frame) for every frame that leaves FFmpeg's `filters`, in order."""
    cmd = [
        _tool("ffmpeg"), "-hide_banner", "-nostats", "-nostdin", "-loglevel", "info", *decoder_options,
        "-i", str(video),
        "-map", "0:v:0", "-an", "-sn", "-dn", "-vf", f"{filters},showinfo=checksum=0",
        "-fps_mode", "passthrough", *output_options, "-f", "rawvideo", "-pix_fmt", pix_fmt, "pipe:1",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines: queue.Queue[tuple[str, Any] | None] = queue.Queue()
    tail: deque[str] = deque(maxlen=_STDERR_TAIL)
    reader = threading.Thread(target=_read_stderr, args=(proc.stderr, lines, tail), daemon=True)
    reader.start()
    count = 0
    timebase: Fraction | None = None
    finished = False
    try:
        while True:
            try:
                item = lines.get(timeout=_LINE_TIMEOUT_S)
            except queue.Empty as exc:
                raise AnalysisError(f"{video}: ffmpeg produced no frame for {_LINE_TIMEOUT_S:.0f} s") from exc
            if item is None:
                break
            kind, value = item
            if kind == "timebase":
                timebase = value
                continue
            n_text, pts_text, pts_time_text, w_text, h_text = value
            width, height = int(w_text), int(h_text)
            data = _read_exactly(proc.stdout, width * height * channels)
            if data is None:
                break
            if pts_text == b"NOPTS":
                raise AnalysisError(f"{video}: frame {int(n_text)} has no presentation timestamp")
            pts = Fraction(int(pts_text)) * timebase if timebase else Fraction(pts_time_text.decode())
            count += 1
            yield pts, np.frombuffer(data, dtype=np.uint8).reshape(height, width, channels)
        finished = True
    finally:
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        reader.join(timeout=5)
        assert proc.stdout is not None
        proc.stdout.close()
    if finished and (count == 0 or code != 0):
        why = next((line for line in reversed(tail) if line), f"exit status {code}")
        if count == 0:
            raise AnalysisError(f"{video} is not a video: no frame could be decoded ({why})")
        raise AnalysisError(f"{video}: decoding stopped after {count} frames ({why})")
