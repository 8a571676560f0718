"""`harness analyze` never guesses a clip's length: a version 2 recording carries it in every frame's code; a
version 1 recording of a clip longer than the default is refused (exit 2) unless --clip-info says how long it is.
`harness clip` writes portrait and landscape MP4s within a farm's size limit, holding the bitrate when it must."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.capture.clip import clip_info, write_video
from harness.clipspec import CLIP_VERSION, ClipSpec

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")

SIZE = ("--size", "240x428")  # the smallest portrait size the clip allows, rounded to even: fast to write and read


def _harness(*args: str | Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "harness.cli", *(str(a) for a in args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)


def _analyze(*args: str | Path) -> dict[str, Any]:
    proc = _harness("analyze", *args, "--json")
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _played_once(result: dict[str, Any], frames: int, fps: int) -> None:
    assert [f["source_index"] for f in result["frames"]] == list(range(frames))
    assert result["content_fps"] == pytest.approx(fps, rel=1e-3)
    assert (result["dropped_frames"], result["repeated_frames"], result["freezes"]) == (0, 0, [])


def test_a_60_s_clip_reads_right_with_and_without_clip_info(tmp_path: Path) -> None:
    # The harness's own 60 s clip (at 10 fps: 600 frames, to keep the test short). Version 1 read without clip
    # info assumed the default 300 frames and reported a 30 s freeze here; the version 2 code carries the length.
    out = tmp_path / "long.mp4"
    proc = _harness("clip", "--out", out, "--seconds", "60", "--fps", "10", *SIZE)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"clip: .*long\.mp4 \(\d+\.\d\d MB, H\.264 CRF 18, limit 15 MB\)", proc.stdout), proc.stdout
    without = _analyze(out)
    _played_once(without, 600, 10)
    assert without["clip"] == {"version": CLIP_VERSION, "frames": 600, "fps": 10}
    _played_once(_analyze(out, "--clip-info", tmp_path / "long.mp4.json"), 600, 10)


def test_a_long_version_1_clip_without_clip_info_is_refused(tmp_path: Path) -> None:
    spec = ClipSpec(width=240, height=428, fps=10, frames=600, version=1)
    video = write_video(spec, tmp_path / "old.mp4")
    proc = _harness("analyze", video, "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"harness: error: --clip-info: {video} shows a version 1 clip longer than the default "
                           "300 frames (index 599 read)")
    assert "pass --clip-info FILE.json" in line
    # An old clip-info file (version 1, as the harness wrote it before clip versions 2) reads it exactly.
    info = clip_info(spec)
    assert info["clip_version"] == 1
    (tmp_path / "old.json").write_text(json.dumps(info), encoding="utf-8")
    result = _analyze(video, "--clip-info", tmp_path / "old.json")
    _played_once(result, 600, 10)
    assert result["clip"] == {"version": 1, "frames": 600, "fps": 10}


def test_a_short_version_1_clip_reads_as_before_without_clip_info(tmp_path: Path) -> None:
    # Every index below the default 300 frames: read as the default version 1 clip, as before version 2.
    video = write_video(ClipSpec(width=240, height=428, frames=45, version=1), tmp_path / "short.mp4")
    result = _analyze(video)
    assert [f["source_index"] for f in result["frames"]] == list(range(45))
    assert result["clip"] == {"version": 1, "frames": 300, "fps": 30}


def test_landscape_clip_within_a_size_limit_that_needs_a_lower_bitrate(tmp_path: Path) -> None:
    # 2 s of the 640x360 landscape clip at CRF 18 is ~0.09 MB; a 0.06 MB limit makes the command hold the
    # average bitrate to fit it (the portrait default is written in tests/test_cli_offline.py).
    out = tmp_path / "landscape.mp4"
    proc = _harness("clip", "--out", out, "--seconds", "2", "--orientation", "landscape", "--max-mb", "0.06")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"H\.264 \d+ kbit/s, limit 0\.06 MB", proc.stdout), proc.stdout
    assert out.stat().st_size <= 60_000
    info = json.loads((tmp_path / "landscape.mp4.json").read_text(encoding="utf-8"))
    assert (info["width"], info["height"], info["clip_version"]) == (640, 360, CLIP_VERSION)
    _played_once(_analyze(out), 60, 30)  # every frame still shows its index at the lower bitrate
