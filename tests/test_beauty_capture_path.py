"""Skin smoothing judged through a phone's capture path: scaling and H.264 compression of a screen recording remove
skin texture on their own (an untouched face scores about 0.85 raw), so the ratio is divided by the capture path's
loss measured where no beauty effect acts. The frames are the reference clip's, passed through the real encoder."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from harness.capture.clip import face_box, photo_height, render_frame, skin_mask
from harness.clipspec import ClipSpec
from harness.metrics import beauty

SPEC = ClipSpec()
INDEX = 120


def through_phone_recording(rgb: np.ndarray, tmp: Path, *, crf: int) -> np.ndarray:
    """Upscaled 2x into a phone-size frame, encoded with libx264 (yuv420p) at `crf`, decoded and scaled back."""
    big = cv2.resize(rgb, (SPEC.width * 2, SPEC.height * 2), interpolation=cv2.INTER_LINEAR)
    cv2.imwrite(str(tmp / "in.png"), cv2.cvtColor(big, cv2.COLOR_RGB2BGR))
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(tmp / "in.png"), "-c:v",
                    "libx264", "-crf", str(crf), "-pix_fmt", "yuv420p", str(tmp / "rec.mp4")], check=True)
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(tmp / "rec.mp4"),
                    str(tmp / "out.png")], check=True)
    out = cv2.cvtColor(cv2.imread(str(tmp / "out.png")), cv2.COLOR_BGR2RGB)
    return cv2.resize(out, (SPEC.width, SPEC.height), interpolation=cv2.INTER_AREA)


def smoothed_skin(rgb: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """A beauty effect: two bilateral passes on the skin pixels only."""
    out = rgb.copy()
    smooth = cv2.bilateralFilter(cv2.bilateralFilter(rgb, 9, 60, 7), 9, 60, 7)
    out[skin] = smooth[skin]
    return out


@pytest.fixture(scope="module")
def source() -> tuple[np.ndarray, tuple[int, int, int, int], np.ndarray, np.ndarray]:
    src = render_frame(SPEC, INDEX)
    box = face_box(SPEC, INDEX)
    return src, box, skin_mask(SPEC, INDEX), beauty.untouched_reference_mask(src, box,
                                                                              picture_height=photo_height(SPEC))


def test_an_untouched_face_in_a_lossy_recording_is_not_taken_for_beauty(source, tmp_path: Path) -> None:
    src, box, skin, reference = source
    out = through_phone_recording(src, tmp_path, crf=23)
    raw = beauty.skin_smoothing_ratio(out, src, face_box=box, skin_mask=skin)
    assert raw.value < 0.9  # the codec alone would pass as "smoothing on": the false negative this guards against
    judged = beauty.skin_smoothing_ratio(out, src, face_box=box, skin_mask=skin, reference_mask=reference)
    assert not judged.passed
    assert 0.95 <= judged.value <= 1.05
    assert judged.detail["capture_path_ratio"] < 0.9


def test_beauty_is_still_found_through_the_same_recording(source, tmp_path: Path) -> None:
    src, box, skin, reference = source
    out = through_phone_recording(smoothed_skin(src, skin), tmp_path, crf=23)
    judged = beauty.skin_smoothing_ratio(out, src, face_box=box, skin_mask=skin, reference_mask=reference)
    assert judged.passed, judged


def test_lossless_frames_are_judged_as_before(source) -> None:
    src, box, skin, reference = source
    out = smoothed_skin(src, skin)
    plain = beauty.skin_smoothing_ratio(out, src, face_box=box, skin_mask=skin)
    judged = beauty.skin_smoothing_ratio(out, src, face_box=box, skin_mask=skin, reference_mask=reference)
    assert judged.detail["capture_path_ratio"] == pytest.approx(1.0, abs=1e-9)  # nothing outside the skin moved
    assert judged.value == pytest.approx(plain.value, rel=1e-9)
