"""Video decoding: every frame of real encoded files back, with its true presentation time and colours."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from harness.capture.clip import patch_boxes, patch_colours, render_frame, write_video, write_y4m
from harness.capture.video import iter_frames, probe
from harness.clipspec import ClipSpec
from harness.errors import AnalysisError
from harness.metrics.indexcode import decode_frames

SPEC = ClipSpec(frames=60)
P30 = 1000.0 / 30.0

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("videos")
    y4m = write_y4m(SPEC, root / "clip.y4m")
    mp4 = write_video(SPEC, root / "clip.mp4")
    vp8 = root / "clip_vp8_1M.webm"
    _ffmpeg("-i", str(y4m), "-c:v", "libvpx", "-b:v", "1M", "-deadline", "realtime", "-cpu-used", "8", str(vp8))
    # What Chromium's MediaRecorder writes: VP8, full range, BT.709 tags, variable frame rate, no duration or
    # cues.
    # Frame k is presented at 33k + 40*floor((k+4)/7) + 100*[k > 20] ms: a 40 ms hiccup every 7th frame, a
    # 100 ms stall after frame 20.
    vfr = root / "mediarecorder_like.webm"
    _ffmpeg(
        "-i", str(y4m),
        "-vf", "settb=1/1000,setpts=33*N+40*floor((N+4)/7)+100*gt(N\\,20),"
        "scale=out_range=full:out_color_matrix=bt709,format=yuv420p",
        "-fps_mode", "passthrough", "-enc_time_base", "1/1000", "-color_range", "pc", "-colorspace", "bt709",
        "-c:v", "libvpx", "-b:v", "2M", "-deadline", "realtime", "-cpu-used", "8", "-f", "webm", "-live", "1",
        str(vfr),
    )  # fmt: skip
    # A phone recording held in portrait: the picture stored turned 90 degrees clockwise (landscape) with a
    # display matrix that turns it back 90 degrees counter-clockwise (ffprobe reports rotation=90).
    rotated = root / "rotated.mp4"
    _ffmpeg("-i", str(mp4), "-vf", "transpose=1", "-c:v", "libx264", "-crf", "18", str(root / "landscape.mp4"))
    _ffmpeg("-i", str(root / "landscape.mp4"), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))
    return {"y4m": y4m, "mp4": mp4, "vp8": vp8, "vfr": vfr, "rotated": rotated}


@pytest.mark.parametrize("kind", ["y4m", "mp4", "vp8"])
def test_every_frame_decodes_with_constant_rate_times(videos: dict[str, Path], kind: str) -> None:
    out = list(decode_frames(iter_frames(videos[kind]), spec=SPEC))
    assert len(out) == SPEC.frames
    assert [d.index if d else None for _, d in out] == list(range(SPEC.frames))
    # WebM stores milliseconds: 33.333 ms ticks come back rounded to whole ms.
    tolerance = 0.5 if kind == "vp8" else 1e-6
    assert max(abs(t - k * P30) for k, (t, _) in enumerate(out)) <= tolerance


def test_lossless_y4m_keeps_colours(videos: dict[str, Path]) -> None:
    for t_ms, frame in iter_frames(videos["y4m"], max_frames=3):
        index = round(t_ms / P30)
        error = np.abs(frame.astype(int) - render_frame(SPEC, index))
        assert error.mean() < 1.0  # chroma subsampling blurs colour edges only


def test_variable_frame_rate_webm_gives_real_presentation_times(videos: dict[str, Path]) -> None:
    expected = [33 * k + 40 * ((k + 4) // 7) + 100 * (k > 20) for k in range(SPEC.frames)]
    out = list(decode_frames(iter_frames(videos["vfr"]), spec=SPEC))
    assert [t for t, _ in out] == pytest.approx(expected, abs=1e-6)
    assert [d.index if d else None for _, d in out] == list(range(SPEC.frames))
    # The same times as ffprobe's per-frame pts.
    cmd = [
        "ffprobe",
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        "frame=pts_time",
        "-of",
        "csv=p=0",
    ]
    listed = subprocess.run([*cmd, str(videos["vfr"])], capture_output=True, text=True, check=True).stdout.split()
    assert [float(x) * 1000 for x in listed] == pytest.approx(expected, abs=1e-6)


def test_full_range_bt709_stream_comes_back_with_true_colours(videos: dict[str, Path]) -> None:
    info = probe(videos["vfr"])
    assert (info.color_range, info.color_space) == ("pc", "bt709")
    colours = patch_colours()
    for t_ms, frame in iter_frames(videos["vfr"], max_frames=1):
        assert t_ms == 0.0
        for name, (x, y, w, h) in patch_boxes(SPEC).items():
            got = frame[y + h // 2, x + w // 2].astype(int)
            # Read as limited-range BT.601 (OpenCV's behaviour) grey 36 would come back as 23 and 219 as 236.
            assert np.abs(got - colours[name]).max() <= 6, (name, got.tolist())


def test_rotation_metadata_is_applied(videos: dict[str, Path]) -> None:
    info = probe(videos["rotated"])
    assert info.rotation_deg == 90
    assert (info.width, info.height) == (360, 640)
    out = list(decode_frames(iter_frames(videos["rotated"], max_frames=5), spec=SPEC))
    assert [d.index if d else None for _, d in out] == [0, 1, 2, 3, 4]
    assert all(d is not None and d.rotation_deg == 0 and not d.mirrored for _, d in out)


def test_probe_reports_size_rate_and_count(videos: dict[str, Path]) -> None:
    info = probe(videos["mp4"])
    assert (info.width, info.height, info.frame_count, info.codec) == (360, 640, 60, "h264")
    assert info.fps == pytest.approx(30.0)
    assert info.nominal_fps == pytest.approx(30.0)
    assert info.duration_s == pytest.approx(2.0)
    vfr = probe(videos["vfr"])
    assert vfr.frame_count == SPEC.frames
    # fps comes from the frames' own times, not the 30 fps the muxer declared (a real MediaRecorder file
    # declares none: avg_frame_rate 0/0).
    assert vfr.nominal_fps == pytest.approx(30.0)
    last_ms = 33 * 59 + 40 * 9 + 100
    assert vfr.fps == pytest.approx(59 / (last_ms / 1000))


def test_max_frames_and_early_stop(videos: dict[str, Path]) -> None:
    assert len(list(iter_frames(videos["mp4"], max_frames=7))) == 7
    frames = iter_frames(videos["mp4"])
    t_ms, frame = next(frames)
    assert (t_ms, frame.shape) == (0.0, (640, 360, 3))
    frames.close()  # stops the decoder without error


def test_not_a_video_is_named(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("these are not moving pictures\n" * 20)
    with pytest.raises(AnalysisError, match=r"notes\.mp4 is not a video"):
        probe(text)
    with pytest.raises(AnalysisError, match=r"notes\.mp4 is not a video"):
        list(iter_frames(text))
    with pytest.raises(AnalysisError, match=r"missing\.webm is not a video: no such file"):
        probe(tmp_path / "missing.webm")
