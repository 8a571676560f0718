"""The Android platform's use of the parsers, fed the REAL captured outputs of ../shared/fixtures through a recorded
shell (no phone exists on this machine: the shell returns what real devices printed for each command). Pins the
contract between harness.platforms.android and harness.parse: launch clocks, crash detection, frame clocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from device_outputs import FIXTURES

from harness.errors import AppCrashError, SdkDefectError
from harness.parse import parse_logcat, read_text
from harness.platforms.android import LOGCAT_DUMP, am_start_launch, device_frame_clocks, raise_for_logcat


class RecordedShell:
    """Answers adb shell commands with recorded outputs, by command prefix; records what was asked."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.commands: list[str] = []

    def __call__(self, command: str, timeout_s: float = 20.0) -> str:
        self.commands.append(command)
        for prefix, text in self.answers.items():
            if command.startswith(prefix):
                return text
        return ""


def test_cold_launch_clocks_from_real_outputs() -> None:
    # am start: encapp README (TotalTime 1479, WaitTime 1482, COLD); logcat: dotnet/android#2974, whose line 5 is
    # "Displayed org.mozilla.firefox/org.mozilla.gecko.BrowserApp: +469ms".
    shell = RecordedShell({"am start -W": read_text(FIXTURES / "am_start/encapp_portal_cold_ok.txt"),
                           LOGCAT_DUMP: read_text(FIXTURES / "logcat/dotnet_android_pr2974_displayed_lines.txt")})
    clocks = am_start_launch(shell, component="org.mozilla.firefox/org.mozilla.gecko.BrowserApp",
                             package="org.mozilla.firefox", mode="cold", label="phone")
    expected = {"total_time_ms": 1479, "wait_time_ms": 1482, "launch_state": "COLD", "displayed_ms": 469.0}
    assert {key: clocks[key] for key in expected} == expected
    assert isinstance(clocks["started_epoch_ms"], float)  # the harness clock when `am start` was sent
    assert shell.commands[0] == "am force-stop org.mozilla.firefox"


def test_timeout_launch_is_an_sdk_defect() -> None:
    # argent#615: Status timeout, no TotalTime.
    shell = RecordedShell({"am start -W": read_text(FIXTURES / "am_start/argent_issue615_timeout_api36_emulator.txt")})
    with pytest.raises(SdkDefectError, match=r"timed out on phone: the app drew no first frame"):
        am_start_launch(shell, component="com.anonymous.myapp/.MainActivity", package="com.anonymous.myapp",
                        mode="cold", label="phone")


def test_a_crash_in_logcat_fails_the_item() -> None:
    events = parse_logcat("06-01 10:00:00.100  4242  4242 E AndroidRuntime: FATAL EXCEPTION: main\n"
                          "06-01 10:00:00.100  4242  4242 E AndroidRuntime: Process: com.cam, PID: 4242\n"
                          "06-01 10:00:00.100  4242  4242 E AndroidRuntime: java.lang.IllegalStateException: x\n")
    with pytest.raises(AppCrashError, match=r"the app crashed after 'capture' on phone: java.lang.IllegalStateExc"):
        raise_for_logcat(events, package="com.cam", where="capture", label="phone")
    raise_for_logcat(events, package="com.other", where="capture", label="phone")  # another app's crash


def test_frame_clocks_from_real_outputs(tmp_path: Path) -> None:
    # --list: zTT temp.txt (PUBG's BLAST SurfaceView #17189); --latency: SoloX#249 BLAST excerpt (25 valid rows,
    # refresh 16666667); gfxinfo: Sound-to-Visualiation framestats.txt (120 rows).
    shell = RecordedShell({
        "dumpsys SurfaceFlinger --list": read_text(FIXTURES / "sf_list/tecno_pubg_sf_list_utf8.txt"),
        "dumpsys SurfaceFlinger --latency": read_text(
            FIXTURES / "sf_latency/solox249_hzm_surfaceview_blast_latency_excerpt.txt"),
        "dumpsys gfxinfo": read_text(FIXTURES / "framestats/samsung120hz_soundvis_framestats.txt"),
    })
    layer = "SurfaceView[com.tencent.ig/com.epicgames.ue4.GameActivity](BLAST)#17189"
    out = device_frame_clocks(shell, "com.tencent.ig", tmp_path)
    sf = out["surfaceflinger"]
    assert {key: sf[key] for key in ("layer", "refresh_period_ns", "valid_frames")} == {
        "layer": layer, "refresh_period_ns": 16666667, "valid_frames": 25}
    assert sf["present"]["frames"] == 25  # present-to-present statistics over the same 25 valid rows
    assert out["gfxinfo_framestats_rows"] == 120
    assert f"dumpsys SurfaceFlinger --latency '{layer}'" in shell.commands
