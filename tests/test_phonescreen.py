"""`harness analyze` on phone screen recordings of the clip: aspect-filled and letterboxed previews under a status
bar and camera controls, portrait and landscape, scaled up and down, at 30/60/90/120 Hz, through H.264, VP8 and
VP9, with drops and holds planted at known refreshes. Every presented frame must be read, and the counts exact.

No phone runs here: the recordings come from harness.capture.phonescreen, which composes the clip into a phone
screen the way a camera app's preview and a screen recorder do (tests/test_cli_offline.py covers plain
recordings)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import pytest

from harness.analyze import analyze_video
from harness.capture.clip import clip_info
from harness.capture.phonescreen import Codec, Fit, phone_recording, screen_schedule
from harness.clipspec import CLIP_VERSION, ClipSpec
from harness.errors import ConfigError
from harness.metrics.frames import FREEZE_THRESHOLD_MS

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")

PORTRAIT = ClipSpec(width=360, height=640, fps=30, frames=90)
LANDSCAPE = ClipSpec(width=640, height=360, fps=30, frames=90)


@dataclass(frozen=True)
class Case:
    spec: ClipSpec
    screen: tuple[int, int]
    fit: Fit
    refresh_hz: int
    codec: Codec = "h264"
    frames: int = 36
    drops: Sequence[int] = ()
    holds: Mapping[int, int] = field(default_factory=dict)


CASES = {
    # 360x640 clip aspect-filled into a 1080x2400 screen: 10 % of each side cropped, scaled x3.75.
    "portrait-fill-1080x2400-60hz-h264": Case(PORTRAIT, (1080, 2400), "fill", 60, frames=16, drops=(5,),
                                              holds={9: 12}),
    # Letterboxed in slate-blue bars; the status bar and the controls lie over the bars and the picture.
    "portrait-letterbox-720x1600-90hz-vp9": Case(PORTRAIT, (720, 1600), "letterbox", 90, "vp9", frames=24,
                                                 drops=(10, 11), holds={16: 20}),
    # Landscape clip on a landscape screen, aspect-filled: top and bottom 10 % of the clip cropped.
    "landscape-fill-1600x720-120hz-h264": Case(LANDSCAPE, (1600, 720), "fill", 120, frames=24, drops=(7,),
                                               holds={15: 24}),
    "landscape-letterbox-960x540-30hz-h264": Case(LANDSCAPE, (960, 540), "letterbox", 30, drops=(12, 13),
                                                  holds={20: 6}),
    # A downscaled recording: the clip shown smaller than it was drawn (x0.94), through VP8.
    "portrait-fill-270x600-60hz-vp8": Case(PORTRAIT, (270, 600), "fill", 60, "vp8", frames=20, drops=(3, 15),
                                           holds={8: 10}),
    # A 24 fps clip at 60 Hz: 3:2 cadence, each frame on screen for 3 then 2 refreshes.
    "portrait-fill-24fps-540x1200-60hz": Case(ClipSpec(fps=24, frames=72), (540, 1200), "fill", 60, frames=24,
                                              drops=(17,)),
}


@dataclass(frozen=True)
class Truth:
    dropped: int
    repeated: int
    content_fps: float
    freezes_ms: list[float]


def truth_of(shown: list[int], case: Case) -> Truth:
    """What the schedule planted, from the schedule alone: runs of one frame on screen."""
    runs = [(index, len(list(group))) for index, group in groupby(shown)]
    duration_s = len(shown) / case.refresh_hz
    freezes = [1000.0 * n / case.refresh_hz for _, n in runs if 1000.0 * n / case.refresh_hz > FREEZE_THRESHOLD_MS]
    return Truth(dropped=len(case.drops), repeated=len(shown) - len(runs), content_fps=len(runs) / duration_s,
                 freezes_ms=freezes)


def _info(spec: ClipSpec, path: Path) -> Path:
    path.write_text(json.dumps(clip_info(spec)), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", list(CASES))
def test_phone_recording_is_read_exactly(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    suffix = ".mp4" if case.codec == "h264" else ".webm"
    video = phone_recording(case.spec, tmp_path / f"screen{suffix}", screen=case.screen, fit=case.fit,
                            refresh_hz=case.refresh_hz, drops=case.drops, holds=case.holds, frames=case.frames,
                            codec=case.codec)
    shown = screen_schedule(case.spec, refresh_hz=case.refresh_hz, drops=case.drops, holds=case.holds,
                            frames=case.frames)
    truth = truth_of(shown, case)
    result = analyze_video(video)  # no clip info: the version 2 code carries the clip's length and rate
    assert [f["source_index"] for f in result["frames"]] == shown  # every refresh read, none misread
    assert result["clip"] == {"version": CLIP_VERSION, "frames": case.spec.frames, "fps": case.spec.fps}
    assert result["dropped_frames"] == truth.dropped
    assert result["repeated_frames"] == truth.repeated
    # Within 0.1 %: WebM keeps times in whole milliseconds (a 90 Hz refresh is 11.11 ms).
    assert result["content_fps"] == pytest.approx(truth.content_fps, rel=1e-3)
    assert result["presented_fps"] == pytest.approx(case.refresh_hz, rel=1e-3)
    assert [f["duration_ms"] for f in result["freezes"]] == pytest.approx(truth.freezes_ms, abs=1.0)


def test_schedule_plants_drops_holds_and_cadence() -> None:
    assert screen_schedule(PORTRAIT, refresh_hz=60, frames=4) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert screen_schedule(PORTRAIT, refresh_hz=90, frames=2) == [0, 0, 0, 1, 1, 1]
    assert screen_schedule(ClipSpec(fps=24), refresh_hz=60, frames=4) == [0, 0, 1, 1, 1, 2, 2, 3, 3, 3]
    assert screen_schedule(PORTRAIT, refresh_hz=60, frames=5, drops=(2,), holds={3: 5}) == [
        0, 0, 1, 1, 1, 1, 3, 3, 3, 3, 3, 4, 4]  # fmt: skip
    with pytest.raises(ConfigError, match="drops: frame 0 cannot be dropped"):
        screen_schedule(PORTRAIT, drops=(0,))
    with pytest.raises(ConfigError, match=r"index 40 is not shown; allowed 0\.\.35"):
        screen_schedule(PORTRAIT, frames=36, holds={40: 3})


def _harness(*args: str | Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "harness.cli", *(str(a) for a in args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def test_analyze_command_on_a_phone_recording_with_and_without_clip_info(tmp_path: Path) -> None:
    case = Case(PORTRAIT, (360, 800), "fill", 60, frames=30, drops=(12,), holds={20: 10})
    video = phone_recording(case.spec, tmp_path / "screen.mp4", screen=case.screen, refresh_hz=60,
                            drops=case.drops, holds=case.holds, frames=case.frames)
    shown = screen_schedule(case.spec, refresh_hz=60, drops=case.drops, holds=case.holds, frames=case.frames)
    for extra in ((), ("--clip-info", _info(case.spec, tmp_path / "clip.json"))):
        proc = _harness("analyze", video, "--json", *extra)
        assert proc.returncode == 0, proc.stderr
        result: dict[str, Any] = json.loads(proc.stdout)
        assert [f["source_index"] for f in result["frames"]] == shown
        assert (result["dropped_frames"], result["repeated_frames"]) == (1, len(shown) - 29)
    # Clip info of another clip than the one shown: refused, naming both.
    other = _info(ClipSpec(frames=120), tmp_path / "other.json")
    proc = _harness("analyze", video, "--clip-info", other)
    assert proc.returncode == 2
    assert "shows a clip of 90 frames at 30 fps, but" in proc.stderr
    assert "other.json describes 120 frames at 30 fps" in proc.stderr
