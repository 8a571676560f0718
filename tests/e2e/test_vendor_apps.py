"""The demo apps on third-party SDKs (apps/mediapipe), launched as a run launches them (real Appium server,
headless Chromium, the reference clip as camera): the SDK finds the clip's face where the clip says it is, and
the page loads everything (scripts, WebAssembly, models) from the harness's own server on 127.0.0.1."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.capture.clip import face_box
from harness.config import load_config, load_scenarios
from harness.platforms.factory import platform_for
from harness.run import Run

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "devices.yaml")
VENDOR = [c.id for c in CONFIG.candidates if c.app.web is not None and c.app.web.url.startswith("mediapipe/")]
TRACK_TIMEOUT_S = 30.0
# What each build reports per face: Face Mesh 0.4 adds the refined eyes and lips (refineLandmarks) to the 468
# mesh points; Face Detection gives six keypoints.
POINTS = {"face_mesh@0.3.1620248508": 468, "face_mesh@0.4.1633559619": 478,
          "face_detection@0.3.1620248423": 6, "face_detection@0.4.1646425229": 6}


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    with tempfile.TemporaryDirectory(prefix="harness-vendor-") as tmp:
        (Path(tmp) / "logs").mkdir()
        r = Run(run_id="vendor", run_dir=Path(tmp), config=CONFIG, scenarios=load_scenarios(REPO / "scenarios"),
                devices=[CONFIG.device("pixel7")], candidates=list(CONFIG.candidates), write_files=False)
        yield r
        r.stop()


def test_every_third_party_sdk_is_shipped() -> None:
    assert sorted(VENDOR) == sorted(POINTS)
    assert {CONFIG.candidate(c).sdk for c in VENDOR} == {"face_mesh", "face_detection"}


@pytest.mark.parametrize("candidate_id", VENDOR)
def test_the_sdk_tracks_the_clip_face_with_nothing_from_outside(run: Run, candidate_id: str) -> None:
    candidate = CONFIG.candidate(candidate_id)
    platform = platform_for(services=run.services(), device=CONFIG.device("pixel7"), candidate=candidate,
                            label=candidate_id)
    try:
        platform.launch("cold")
        session = platform.session
        assert session is not None
        deadline = time.monotonic() + TRACK_TIMEOUT_S
        box = None
        while box is None and time.monotonic() < deadline:
            box = session.script("return window.mediapipeDemo.tracking.box;")
            time.sleep(0.2)
        assert box is not None, f"{candidate_id} found no face in {TRACK_TIMEOUT_S:g} s"
        assert session.script("return window.mediapipeDemo.version;") == candidate.version
        assert session.script("return window.mediapipeDemo.tracking.landmarks;") == POINTS[candidate_id]
        urls = session.script("return [location.href, ...performance.getEntriesByType('resource')"
                              ".map(e => e.name)];")
    finally:
        platform.close()
    # The clip's face box moves with its pan and zoom (x 114..141, y 45..66, size 100..108 px over the clip):
    # frame 0's box, with half a face of tolerance, holds every frame's.
    x, y, w, h = face_box(run.clip_spec, 0)
    cx, cy = box["x"] + box["w"] / 2, box["y"] + box["h"] / 2
    assert abs(cx - (x + w / 2)) < 0.5 * w
    assert abs(cy - (y + h / 2)) < 0.5 * h
    assert 0.6 * w < box["w"] < 1.5 * w
    base = run.app_base_url()
    assert any("/vendor/" in u for u in urls)  # the SDK did come from the vendor mount
    assert [u for u in urls if not u.startswith(base)] == []
