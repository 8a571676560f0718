"""The platform layer without a device: per-host port allocation, native capabilities with fixed ports from
devices.yaml, the replay frame source and key frames read back from a phone-size video (real FFmpeg, real clip
frames), and the runner <-> platform boundary (the runner module imports no platform-specific code)."""

from __future__ import annotations

import ast
import subprocess
import time
from pathlib import Path

import pytest

from harness.capture.clip import write_video
from harness.capture.phone import ReplaySource, ScreenRecording, first_camera_frame_ms, frames_at
from harness.clipspec import ClipSpec
from harness.config import parse_config
from harness.devices.capabilities import capabilities_for
from harness.errors import ConfigError, InfrastructureError
from harness.metrics.indexcode import decode_index
from harness.platforms.base import PlatformServices
from harness.platforms.factory import platform_for
from harness.platforms.ports import REMOTE_RANGES, PortAllocator, host_of

ROOT = Path(__file__).resolve().parents[1]
SPEC = ClipSpec(frames=60)

MATRIX = {
    "devices": [
        {"id": "s23", "name": "Galaxy S23", "platform": "android", "connection": "http://10.1.2.3:4723",
         "tags": {"tier": "flagship"}, "native": {"udid": "R5CT123ABC", "mjpeg_server_port": 7811}},
        {"id": "ip15", "name": "iPhone 15", "platform": "ios", "connection": "local",
         "tags": {"tier": "flagship"}, "native": {"udid": "00008120-0001", "derived_data_path": "/wda/ip15"}},
    ],
    "candidates": [
        {"vendor": "Lumen Labs", "sdk": "glfx", "version": "2.0",
         "app": {"android": {"package": "com.lumen.glfx", "activity": ".Main", "recordings": "/sdcard/DCIM/glfx/"},
                 "ios": {"bundle_id": "com.lumen.glfx"}},
         "locators": {"preview": "accessibility_id=preview"}},
    ],
}


def services(ports: PortAllocator) -> PlatformServices:
    return PlatformServices(server_url_for=lambda d: str(d.connection) if d.connection != "local"
                            else "http://127.0.0.1:4723", app_base_url="", clip_spec=SPEC, clip_path=None,
                            ports=ports, project_root=ROOT)


def test_host_of_names_loopback_once() -> None:
    assert host_of("http://localhost:4723") == "127.0.0.1"
    assert host_of("http://127.0.0.1:1") == "127.0.0.1"
    assert host_of("https://user:key@hub.example.com/wd/hub") == "hub.example.com"


def test_remote_ports_come_from_the_range_and_never_twice_on_one_host() -> None:
    ports = PortAllocator()
    url = "http://10.1.2.3:4723"
    low, high = REMOTE_RANGES["system_port"]
    got = [ports.lease(url, "system_port") for _ in range(high - low + 1)]
    assert got == list(range(low, high + 1))
    with pytest.raises(InfrastructureError, match=r"every system_port in 8200-8299 on 10\.1\.2\.3 is in use"):
        ports.lease(url, "system_port")
    assert ports.lease("http://10.9.9.9:4723", "system_port") == low  # another host has its own ports
    ports.release(url, [8250])
    assert ports.lease(url, "system_port") == 8250


def test_loopback_ports_are_free_and_distinct() -> None:
    ports = PortAllocator()
    got = {ports.lease("http://127.0.0.1:4723", "mjpeg_server_port") for _ in range(20)}
    assert len(got) == 20
    assert ports.leased("http://localhost:9") == got


def test_loopback_skips_a_port_already_leased() -> None:
    offered = iter([5001, 5001, 5002])
    ports = PortAllocator(os_free_port=lambda: next(offered), is_free=lambda p: True)
    assert ports.lease("http://127.0.0.1:1", "system_port") == 5001
    assert ports.lease("http://127.0.0.1:1", "system_port") == 5002


def test_android_session_plan_fixed_ports_win() -> None:
    config = parse_config(MATRIX, source=ROOT / "devices.yaml")
    ports = PortAllocator()
    device, cand = config.device("s23"), config.candidate("glfx@2.0")
    platform = platform_for(services=services(ports), device=device, candidate=cand, label="s23 / glfx")
    plan = platform.plan("http://10.1.2.3:4723")  # type: ignore[attr-defined]
    caps = capabilities_for(device, cand, plan)
    assert caps["appium:mjpegServerPort"] == 7811  # fixed in devices.yaml
    assert caps["appium:systemPort"] == REMOTE_RANGES["system_port"][0]
    assert caps["appium:chromedriverPort"] == REMOTE_RANGES["chromedriver_port"][0]
    assert caps["appium:udid"] == "R5CT123ABC"
    assert ports.leased("http://10.1.2.3:4723") == {7811, 8200, 9520}
    second = capabilities_for(device, cand, platform.plan("http://10.1.2.3:4723"))  # type: ignore[attr-defined]
    assert second["appium:systemPort"] == 8201  # a second live session on that host gets its own port


def test_ios_session_plan() -> None:
    config = parse_config(MATRIX, source=ROOT / "devices.yaml")
    device, cand = config.device("ip15"), config.candidate("glfx@2.0")
    platform = platform_for(services=services(PortAllocator()), device=device, candidate=cand, label="ip15")
    caps = capabilities_for(device, cand, platform.plan("http://127.0.0.1:4723"))  # type: ignore[attr-defined]
    assert caps["platformName"] == "iOS"
    assert caps["appium:automationName"] == "XCUITest"
    assert caps["appium:udid"] == "00008120-0001"
    assert caps["appium:derivedDataPath"] == "/wda/ip15"
    assert isinstance(caps["appium:wdaLocalPort"], int)
    assert isinstance(caps["appium:mjpegServerPort"], int)
    assert caps["appium:wdaLocalPort"] != caps["appium:mjpegServerPort"]


def test_replay_file_must_exist(tmp_path: Path) -> None:
    data = {**MATRIX, "devices": [{**MATRIX["devices"][0], "capture": {"source": "replay", "file": "x.mp4"}}]}
    with pytest.raises(ConfigError, match=r"devices\[0\]\.capture\.file: file 'x\.mp4' does not exist"):
        parse_config(data, source=tmp_path / "devices.yaml")
    (tmp_path / "x.mp4").write_bytes(b"")
    config = parse_config(data, source=tmp_path / "devices.yaml")
    assert config.device("s23").capture.file == tmp_path / "x.mp4"  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def phone_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clip (60 frames, 30 fps) scaled into a 540x1200 portrait phone screen, as a screen recording shows it."""
    folder = tmp_path_factory.mktemp("phone")
    clip = write_video(SPEC, folder / "clip.mp4")
    out = folder / "phone.mp4"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(clip), "-vf",
                    "scale=540:-2,pad=540:1200:(ow-iw)/2:(oh-ih)/2", "-c:v", "libx264", "-crf", "12",
                    "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


def test_key_frames_are_the_frames_shown_at_those_times(phone_video: Path) -> None:
    # Frame k of a 30 fps video is shown from k * 33.3 ms: at 500 ms frame 15, at 1000 ms frame 30.
    picked = frames_at(phone_video, [500.0, 1000.0, 1500.0])
    found = [decode_index(rgb, spec=SPEC) for _, rgb in picked]
    assert [f.index if f else None for f in found] == [15, 30, 45]
    assert picked[0][1].shape == (1200, 540, 3)


def test_replay_source_hands_out_the_elapsed_stretch(phone_video: Path, tmp_path: Path) -> None:
    from harness.analyze import decode_timeline

    source = ReplaySource(phone_video)
    started_epoch_ms = source.start()
    assert abs(started_epoch_ms - time.time() * 1000.0) < 1000
    time.sleep(1.0)
    out = source.stop(tmp_path / "capture.mp4")
    t_ms, indices = decode_timeline(out, SPEC)
    assert 25 <= len(t_ms) <= 45  # ~1 s of a 30 fps recording (stream copy cuts at whole frames)
    assert indices[:5] == [0, 1, 2, 3, 4]


def test_runner_and_measure_do_not_ask_for_the_platform() -> None:
    """The step runner and the measurements import no platform implementation and no Appium client, and
    measure no longer imports the runner (the old cycle)."""
    for name in ("runner.py", "measure.py"):
        tree = ast.parse((ROOT / "harness" / "scenario" / name).read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {m for m in imported if m.startswith(("harness.platforms.web", "harness.platforms.android",
                                                         "harness.platforms.ios", "harness.capture.web",
                                                         "appium", "selenium"))}, (name, imported)
    measure = ast.parse((ROOT / "harness" / "scenario" / "measure.py").read_text())
    assert "harness.scenario.runner" not in {n.module for n in ast.walk(measure) if isinstance(n, ast.ImportFrom)}
    source = (ROOT / "harness" / "scenario" / "runner.py").read_text()
    assert "platform ==" not in source
    assert '"web"' not in source


class SegmentRecorder:
    """Stands in for the session's recording commands: each stop returns the bytes of a real MP4 (the phone
    video), as Appium returns the recorded file."""

    def __init__(self, video: Path) -> None:
        self.video = video
        self.calls: list[str] = []

    def start_screen_recording(self, **options: object) -> None:
        assert options["timeLimit"] == "180"
        self.calls.append("start")

    def stop_screen_recording(self) -> bytes:
        self.calls.append("stop")
        return self.video.read_bytes()


def test_screen_recording_restarts_and_joins_segments(phone_video: Path, tmp_path: Path) -> None:
    from harness.analyze import decode_timeline

    recorder = SegmentRecorder(phone_video)
    source = ScreenRecording(recorder, restart_after_s=0.4)
    source.start()
    time.sleep(1.0)
    out = source.stop(tmp_path / "capture.mp4")
    segments = recorder.calls.count("stop")
    assert segments >= 2
    assert recorder.calls == ["start", "stop"] * segments
    t_ms, indices = decode_timeline(out, SPEC)
    assert len(t_ms) == 60 * segments  # every segment's frames, in order
    assert indices[:3] == [0, 1, 2]
    assert indices[60:63] == [0, 1, 2]
    assert not list(tmp_path.glob("*.part*"))


def test_launch_first_frame_needs_the_camera_away_and_back() -> None:
    t = [0.0, 33.0, 66.0, 100.0, 133.0, 166.0]
    # The old preview (decodable) is still on screen at the launch (since 30 ms), then the launcher, then the app.
    assert first_camera_frame_ms(t, [5, 6, None, None, 0, 1], since_ms=30.0) == 133.0
    # A frame before `since_ms` without the camera does not count as the gap.
    assert first_camera_frame_ms(t, [None, 6, 7, 8, 9, 10], since_ms=30.0) is None
    assert first_camera_frame_ms(t, [None, None, None, None, None, None], since_ms=0.0) is None
    assert first_camera_frame_ms(t, [None, 1, 2, 3, 4, 5], since_ms=0.0) == 33.0  # cold: nothing, then the camera
