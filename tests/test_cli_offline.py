"""`harness clip` and `harness analyze` run as real commands: the files they write, the JSON contract, accuracy on
encoded recordings with holds and drops planted at known positions, and exit code 2 with one line for bad input."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.capture.clip import UInt8Array, clip_info, render_frame
from harness.clipspec import ClipSpec

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")

VSYNC_MS = 1000.0 / 60.0  # the recordings below are 60 Hz screens


def _harness(*args: str | Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "harness.cli", *(str(a) for a in args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def _analyze(video: Path, info: Path) -> dict[str, Any]:
    proc = _harness("analyze", video, "--clip-info", info, "--json")
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _encode(frames: Iterable[UInt8Array], path: Path, *, vf: str = "null", rate_hz: int = 60) -> Path:
    """Encode RGB frames as H.264 at a constant `rate_hz` (one frame per refresh), as a screen recorder does."""
    stream = iter(frames)
    first = next(stream)
    height, width = first.shape[:2]
    cmd = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(rate_hz), "-i", "-",
        "-vf", vf, "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
        "-r", str(rate_hz), "-fps_mode", "cfr", str(path),
    ]  # fmt: skip
    with subprocess.Popen(cmd, stdin=subprocess.PIPE) as proc:
        assert proc.stdin is not None
        for frame in itertools.chain([first], stream):
            proc.stdin.write(frame.tobytes())
        proc.stdin.close()
        assert proc.wait() == 0
    return path


def _screen(spec: ClipSpec, shown: list[int], path: Path, *, vf: str) -> Path:
    """A 60 Hz screen recording that shows clip frame shown[k] at refresh k."""
    rendered = {index: render_frame(spec, index) for index in set(shown)}
    return _encode((rendered[i] for i in shown), path, vf=vf)


def _info(spec: ClipSpec, path: Path) -> Path:
    path.write_text(json.dumps(clip_info(spec)), encoding="utf-8")
    return path


def _indices(result: dict[str, Any]) -> list[int | None]:
    return [f["source_index"] for f in result["frames"]]


# --- harness clip -------------------------------------------------------------------------------------------


def test_clip_y4m_writes_clip_and_info_that_decode_back(tmp_path: Path) -> None:
    out = tmp_path / "ref.y4m"
    proc = _harness("clip", "--out", out, "--seconds", "2")
    assert proc.returncode == 0, proc.stderr
    info = json.loads((tmp_path / "ref.y4m.json").read_text(encoding="utf-8"))
    # --seconds 2 at the default 30 fps and 360x640: 60 frames.
    assert (info["width"], info["height"], info["fps"], info["frames"]) == (360, 640, 30, 60)
    result = _analyze(out, tmp_path / "ref.y4m.json")
    assert _indices(result) == list(range(60))
    assert [f["t_ms"] for f in result["frames"]] == pytest.approx([k * 1000 / 30 for k in range(60)], abs=1e-3)
    assert result["content_fps"] == pytest.approx(30.0, abs=0.5)
    assert (result["dropped_frames"], result["repeated_frames"], result["freezes"]) == (0, 0, [])


def test_clip_mp4_at_60_fps_and_720x1280_decodes_back(tmp_path: Path) -> None:
    out = tmp_path / "ref.mp4"
    proc = _harness("clip", "--out", out, "--fps", "60", "--size", "720x1280", "--seconds", "1")
    assert proc.returncode == 0, proc.stderr
    info_path = tmp_path / "ref.mp4.json"
    info = json.loads(info_path.read_text(encoding="utf-8"))
    assert (info["width"], info["height"], info["fps"], info["frames"]) == (720, 1280, 60, 60)
    result = _analyze(out, info_path)
    assert _indices(result) == list(range(60))
    assert result["content_fps"] == pytest.approx(60.0, abs=0.5)
    assert result["presented_fps"] == pytest.approx(60.0, abs=0.5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "720by1280"], r"--size: '720by1280' is not a size; allowed: WIDTHxHEIGHT"),
        (["--size", "721x1280"], r"clip size 721x1280 is not allowed"),
        (["--seconds", "0"], r"--seconds: 0\.0 is not allowed; allowed a length that gives 2\.\.65535 frames"),
        (["--out", "{tmp}/clip.avi"], r"extension '\.avi' not allowed; allowed \.y4m, \.mp4, \.mkv, \.webm"),
        (["--out", "{tmp}/no/such/dir/clip.y4m"], r"no/such/dir: no such folder"),
        (["--orientation", "landscape", "--size", "360x640"],
         r"--size: 360x640 is not a landscape size; allowed with --orientation landscape: width > height"),
        (["--out", "{tmp}/clip.mp4", "--seconds", "4", "--max-mb", "0.01"],
         r"--seconds: a 4 s 360x640 30 fps clip is .* MB at \d+ kbit/s, over the farm's 0\.01 MB video limit "
         r"\(BrowserStack: \.mp4 <= 15 MB\); allowed: a shorter --seconds or a smaller --size"),
    ],
)
def test_clip_bad_options_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    args = [a.format(tmp=tmp_path) for a in args]
    out = [] if "--out" in args else ["--out", str(tmp_path / "clip.y4m")]
    proc = _harness("clip", *out, *args)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("harness: error: ")
    assert re.search(message, proc.stderr), proc.stderr


# --- harness analyze: accuracy on screen recordings with planted holds and drops ---------------------------

# A 30 fps clip on a 60 Hz phone screen: every source frame shown for 2 vsyncs, except
# - frame 30 held 12 vsyncs (200 ms): a freeze (> 150 ms), a jank and a big jank (200 > 2 x 33.3 and > 125 ms);
# - frames 50 and 51 dropped: frame 49 stays on screen for their slots too (6 vsyncs = 100 ms): a jank
#   (100 > 2 x 33.3 and > 84 ms), not a big jank, not a freeze;
# - frame 80 dropped: frame 79 shown 4 vsyncs (66.7 ms): neither jank (< 84 ms) nor freeze.
# Shown: frames 0..99 minus 3 = 97 distinct frames over 97 x 2 + 10 + 4 + 2 = 210 vsyncs = 3.5 s.
HOLD_SPEC = ClipSpec(width=360, height=640, fps=30, frames=120)
HOLD_VSYNCS = {30: 12, 49: 6, 79: 4}
DROPPED = {50, 51, 80}
HOLD_FRAMES = 210
HOLD_UPDATES = 97
HOLD_TRUTH: dict[str, float] = {
    "dropped": 3,
    "repeated": HOLD_FRAMES - HOLD_UPDATES,  # every presented frame that is not a content update
    "content_fps": HOLD_UPDATES / 3.5,  # 27.714
    "freeze_start_ms": 30 * 2 * VSYNC_MS,  # frames 0..29 took 2 vsyncs each: 1000 ms
    "freeze_ms": 200.0,
    "jank": 2,
    "big_jank": 1,
    "stutter": (200.0 + 100.0) / 3500.0,
}


def _held_and_dropped() -> list[int]:
    shown: list[int] = []
    for index in range(100):
        if index not in DROPPED:
            shown += [index] * HOLD_VSYNCS.get(index, 2)
    return shown


@pytest.fixture(scope="module")
def phone_recording(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The schedule above, scaled to 1080x1920 and letterboxed into a 1080x2400 screen with black bars."""
    root = tmp_path_factory.mktemp("phone")
    shown = _held_and_dropped()
    assert len(shown) == HOLD_FRAMES
    video = _screen(HOLD_SPEC, shown, root / "screen.mp4",
                    vf="scale=1080:1920:flags=bicubic,pad=1080:2400:0:240:black")  # fmt: skip
    return {"shown": shown, "result": _analyze(video, _info(HOLD_SPEC, root / "clip.json"))}


def test_analyze_json_contract(phone_recording: dict[str, Any]) -> None:
    result = phone_recording["result"]
    for key in ("content_fps", "presented_fps", "stutter_ratio"):
        assert isinstance(result[key], float), key
    for key in ("dropped_frames", "repeated_frames", "jank_count", "big_jank_count"):
        assert isinstance(result[key], int), key
    assert set(result["frame_time_ms"]) >= {"p50", "p90", "p99"}
    assert all(isinstance(v, float) for v in result["frame_time_ms"].values())
    assert all(set(f) >= {"start_ms", "duration_ms"} for f in result["freezes"])
    assert all(set(f) == {"t_ms", "source_index"} for f in result["frames"])
    assert [f["t_ms"] for f in result["frames"]] == pytest.approx(
        [k * VSYNC_MS for k in range(HOLD_FRAMES)], abs=1e-3
    )


def test_analyze_finds_every_planted_hold_and_drop(phone_recording: dict[str, Any]) -> None:
    result = phone_recording["result"]
    assert _indices(result) == phone_recording["shown"]  # every presented frame read, none misread
    assert result["dropped_frames"] == HOLD_TRUTH["dropped"]
    assert result["repeated_frames"] == HOLD_TRUTH["repeated"]
    assert result["content_fps"] == pytest.approx(HOLD_TRUTH["content_fps"], abs=0.5)
    assert result["presented_fps"] == pytest.approx(60.0, abs=0.5)
    (freeze,) = result["freezes"]
    assert freeze["start_ms"] == pytest.approx(HOLD_TRUTH["freeze_start_ms"], abs=VSYNC_MS)
    assert freeze["duration_ms"] == pytest.approx(HOLD_TRUTH["freeze_ms"], abs=VSYNC_MS)
    assert (result["jank_count"], result["big_jank_count"]) == (HOLD_TRUTH["jank"], HOLD_TRUTH["big_jank"])
    assert result["stutter_ratio"] == pytest.approx(HOLD_TRUTH["stutter"], abs=1e-3)
    assert result["frame_time_ms"]["p50"] == pytest.approx(2 * VSYNC_MS, abs=0.01)


@pytest.mark.parametrize(("source_fps", "vsyncs"), [(24, (3, 2)), (30, (2, 2))], ids=["24fps-3:2", "30fps-2:2"])
def test_known_source_rate_on_a_60_hz_landscape_screen_mirrored(
    tmp_path: Path, source_fps: int, vsyncs: tuple[int, int]
) -> None:
    # Each source frame stays on screen for vsyncs[0], then vsyncs[1] refreshes, alternately (3:2 pulldown
    # for 24 fps): 3 s of source = 3 * source_fps frames over 180 refreshes, so content_fps is source_fps exactly.
    # The recording is the portrait clip turned 90 degrees clockwise and mirrored, pillarboxed in grey bars
    # inside a 720x480 landscape frame.
    frames = 3 * source_fps
    spec = ClipSpec(width=360, height=640, fps=source_fps, frames=frames)
    shown = [i for i in range(frames) for _ in range(vsyncs[i % 2])]
    assert len(shown) == 180
    video = _screen(spec, shown, tmp_path / "landscape.mp4", vf="hflip,transpose=1,pad=720:480:40:60:0x505050")
    result = _analyze(video, _info(spec, tmp_path / "clip.json"))
    assert _indices(result) == shown
    assert result["content_fps"] == pytest.approx(source_fps, abs=0.5)
    assert (result["dropped_frames"], result["repeated_frames"], result["freezes"]) == (0, 180 - frames, [])


def test_frames_the_fast_grey_pass_cannot_read_are_read_again_at_full_size(tmp_path: Path) -> None:
    # 90 frames at 30 fps: 0-9 black (no code at all: unreadable however read); 30-39 and 60-64 tinted pure blue:
    # white cells become RGB (0, 0, 255), whose luma (0.114 x 255 = 29) is below the decoder's contrast floor
    # of 40/255 in grey, while their R+G+B sum (255) is well above it in colour: only the full-size colour
    # re-read can read those. Every other frame is the plain clip.
    spec = ClipSpec(width=360, height=640, fps=30, frames=90)
    black = np.zeros((640, 360, 3), dtype=np.uint8)

    def frame(k: int) -> UInt8Array:
        if k < 10:
            return black
        picture = render_frame(spec, k)
        if 30 <= k < 40 or 60 <= k < 65:
            picture[..., :2] = 0
        return picture

    video = _encode((frame(k) for k in range(90)), tmp_path / "tinted.mp4", rate_hz=30)
    result = _analyze(video, _info(spec, tmp_path / "clip.json"))
    assert _indices(result) == [None] * 10 + list(range(10, 90))
    assert result["content_fps"] == pytest.approx(80 / 3, abs=0.01)  # 80 updates in 3 s


# --- harness analyze: inputs that are not recordings of the clip -----------------------------------------


def _text_as_mp4(root: Path) -> Path:
    path = root / "notes.mp4"
    path.write_text("these are meeting notes, not a video\n", encoding="utf-8")
    return path


def _testsrc(root: Path) -> Path:
    path = root / "testsrc.mp4"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30",
         "-t", "1", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _one_frame(root: Path) -> Path:
    return _encode([render_frame(ClipSpec(), 0)], root / "one.mp4", rate_hz=30)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_text_as_mp4, r"notes\.mp4 is not a video: ffprobe says .*Invalid data found"),
        (lambda root: root / "missing.mp4", r"missing\.mp4 is not a video: no such file"),
        (_testsrc, r"testsrc\.mp4: no frame shows the reference clip's index code \(30 frames read\)"),
        (_one_frame, r"one\.mp4: timeline: 1 presented frame\(s\); at least 2 are needed"),
    ],
    ids=["text-renamed-mp4", "missing-file", "no-index-code", "one-frame"],
)
def test_analyze_bad_input_exit_2_with_one_line_naming_the_file(tmp_path: Path, make: Any, message: str) -> None:
    video: Path = make(tmp_path)
    proc = _harness("analyze", video, "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"harness: error: {video}")
    assert re.search(message, lines[0]), lines[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", r"clip\.json: .*allowed: the \.json file written by `harness clip`"),
        ('{"clip_version": 1, "width": 360}', r"clip\.json: .*lacks height, fps, frames"),
    ],
)
def test_analyze_bad_clip_info_exit_2(tmp_path: Path, content: str, message: str) -> None:
    info = tmp_path / "clip.json"
    info.write_text(content, encoding="utf-8")
    proc = _harness("analyze", _text_as_mp4(tmp_path), "--clip-info", info)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert re.search(message, lines[0]), lines[0]
