"""The Android platform's adb layer, replayed: real recorded device outputs (/work/shared/fixtures/device-outputs,
provenance in its SOURCES.md) answer the shell commands the platform sends, through a ReplayTransport that maps
each command to a fixture file. No phone is involved; the parsers (harness.parse) and frame statistics
(harness.metrics.device_frames) are the real ones. The adb boundary itself (LocalAdb) runs a stand-in `adb`
script that echoes its arguments."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from harness.devices.adb import AdbError, AdbTransport, LocalAdb
from harness.errors import InfrastructureError, SdkDefectError

FIXTURES = Path(os.environ.get("HARNESS_DEVICE_OUTPUTS", "/work/shared/fixtures/device-outputs"))


class ReplayTransport:
    """An AdbTransport whose answers are recorded outputs: command prefix -> fixture file ('' for empty)."""

    name = "replay"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.sent: list[str] = []

    def shell(self, command: str, *, timeout_s: float = 20.0) -> str:
        self.sent.append(command)
        for prefix, fixture in self.answers.items():
            if command.startswith(prefix):
                return (FIXTURES / fixture).read_text(encoding="utf-8-sig") if fixture else ""
        raise AdbError(f"[infrastructure] no recorded output for {command!r}")


def _transport_type_check(t: ReplayTransport) -> AdbTransport:
    return t  # ReplayTransport satisfies the transport interface (checked by mypy where tests are typed)


def _needs(*files: str) -> None:
    missing = [f for f in files if not (FIXTURES / f).is_file()]
    if missing:
        pytest.skip(f"recorded device outputs not present: {missing}")


def test_local_adb_runs_shell_on_the_named_device(tmp_path: Path) -> None:
    adb = tmp_path / "adb"
    adb.write_text('#!/bin/sh\necho "$@"\n[ "$4" = "false" ] && { echo "error: device offline" >&2; exit 1; }\n'
                   "exit 0\n")
    adb.chmod(adb.stat().st_mode | stat.S_IEXEC)
    transport = LocalAdb("R5CT123ABC", adb=str(adb))
    assert transport.shell("getprop ro.product.model").strip() == "-s R5CT123ABC shell getprop ro.product.model"
    with pytest.raises(AdbError, match=r"adb -s R5CT123ABC shell 'false' exited 1: error: device offline"):
        transport.shell("false")
    with pytest.raises(AdbError, match=r"adb -s X shell 'ls' failed"):
        LocalAdb("X", adb=str(tmp_path / "missing-adb")).shell("ls")


def test_replay_transport_refuses_unknown_commands() -> None:
    replay = ReplayTransport({})
    with pytest.raises(AdbError, match="no recorded output for 'reboot'"):
        _transport_type_check(replay).shell("reboot")


# --- recorded outputs through the platform's adb layer --------------------------------------------------------------
def test_cold_launch_reads_am_start_and_logcat_clocks() -> None:
    from harness.platforms.android import am_start_launch

    _needs("am_start/encapp_portal_cold_ok.txt", "logcat/settings_timeout_atm_displayed_fullydrawn_abbrev.txt")
    replay = ReplayTransport({"am force-stop": "", "logcat -c": "", "am start -W": "am_start/encapp_portal_cold_ok.txt",
                              "logcat -d": "logcat/settings_timeout_atm_displayed_fullydrawn_abbrev.txt"})
    clocks = am_start_launch(replay.shell, component="com.android.settings/.Settings",
                             package="com.android.settings", mode="cold", label="replay")
    started = clocks.pop("started_epoch_ms")  # the harness's clock just before `am start`
    assert abs(started - time.time() * 1000.0) < 5000
    # encapp README: TotalTime 1479, WaitTime 1482, LaunchState COLD; the logcat: Displayed and Fully drawn +31s584ms.
    assert clocks == {"total_time_ms": 1479, "wait_time_ms": 1482, "launch_state": "COLD",
                      "displayed_ms": 31584.0, "fully_drawn_ms": 31584.0}
    assert replay.sent == ["am force-stop com.android.settings", "am start -W -n com.android.settings/.Settings",
                           "logcat -d -v threadtime"]


def test_warm_and_hot_launch_commands() -> None:
    from harness.platforms.android import am_start_launch

    _needs("am_start/encapp_portal_cold_ok.txt")
    for mode, expected in (("warm", ["am start -W --activity-clear-task -n p.q/.A"]),
                           ("hot", ["input keyevent KEYCODE_HOME", "am start -W -n p.q/.A"])):
        replay = ReplayTransport({"input": "", "logcat -c": "", "am start": "am_start/encapp_portal_cold_ok.txt",
                                  "logcat -d": ""})
        am_start_launch(replay.shell, component="p.q/.A", package="p.q", mode=mode, label="r")  # type: ignore[arg-type]
        assert replay.sent[:-1] == expected


def test_launch_timeout_is_an_sdk_defect_and_unresolved_intent_is_infrastructure() -> None:
    from harness.platforms.android import am_start_launch

    _needs("am_start/settings_timeout_emulator.txt", "am_start/rn_deeplink_unable_to_resolve_error.txt")
    timeout = ReplayTransport({"am force-stop": "", "logcat -c": "",
                               "am start": "am_start/settings_timeout_emulator.txt"})
    with pytest.raises(SdkDefectError, match="timed out on s23: the app drew no first frame"):
        am_start_launch(timeout.shell, component="com.android.settings/.Settings", package="com.android.settings",
                        mode="cold", label="s23")
    error = ReplayTransport({"am force-stop": "", "logcat -c": "",
                             "am start": "am_start/rn_deeplink_unable_to_resolve_error.txt"})
    with pytest.raises(InfrastructureError, match="unable to resolve Intent"):
        am_start_launch(error.shell, component="com.deeplinking/.Main", package="com.deeplinking", mode="cold",
                        label="s23")


def test_surfaceflinger_and_gfxinfo_clocks_of_the_camera_layer(tmp_path: Path) -> None:
    from harness.platforms.android import device_frame_clocks

    _needs("sf_list/solox249_hzm_android12plus_list_findstr.txt",
           "sf_latency/solox249_hzm_surfaceview_blast_latency_excerpt.txt",
           "framestats/samsung120hz_soundvis_framestats.txt")
    replay = ReplayTransport({
        "dumpsys SurfaceFlinger --list": "sf_list/solox249_hzm_android12plus_list_findstr.txt",
        "dumpsys SurfaceFlinger --latency": "sf_latency/solox249_hzm_surfaceview_blast_latency_excerpt.txt",
        "dumpsys gfxinfo": "framestats/samsung120hz_soundvis_framestats.txt",
    })
    clocks = device_frame_clocks(replay.shell, "com.KST.CS4Like_development", tmp_path)
    sf = clocks["surfaceflinger"]
    assert sf["layer"].startswith("SurfaceView[com.KST.CS4Like_development/")
    assert sf["refresh_period_ns"] == 16666667
    assert sf["valid_frames"] == 25  # the excerpt's 25 complete rows, all presented
    assert clocks["gfxinfo_framestats_rows"] > 0
    assert sf["present"]["frames"] == 25
    assert sf["present"]["refresh_period_ms"] == pytest.approx(16.666667)
    # The Samsung phone runs at 120 Hz: framestats' own frame interval says so (~8.3 ms).
    assert clocks["gfxinfo"]["refresh_period_ms"] == pytest.approx(8.3, abs=0.1)
    assert (tmp_path / "sf_latency.txt").is_file()


def test_a_crash_or_anr_of_the_app_in_logcat_is_an_app_crash() -> None:
    """A java crash in the format AndroidRuntime prints (parsed by the real parser); another process's crash and
    an ANR of another app are not the app's."""
    from harness.errors import AppCrashError
    from harness.parse import parse_logcat
    from harness.platforms.android import raise_for_logcat

    ours = ("12-04 10:00:01.000  4321  4321 E AndroidRuntime: FATAL EXCEPTION: main\n"
            "12-04 10:00:01.000  4321  4321 E AndroidRuntime: Process: com.lumen.glfx, PID: 4321\n"
            "12-04 10:00:01.000  4321  4321 E AndroidRuntime: java.lang.IllegalStateException: GL context lost\n")
    with pytest.raises(AppCrashError, match=r"the app crashed after 'capture: 3' on s23: .*IllegalStateException"):
        raise_for_logcat(parse_logcat(ours, source="logcat"), package="com.lumen.glfx", where="capture: 3",
                         label="s23")
    other = ours.replace("com.lumen.glfx", "com.android.systemui")
    raise_for_logcat(parse_logcat(other, source="logcat"), package="com.lumen.glfx", where="x", label="s23")


@pytest.mark.parametrize(("fixture", "expected_hz"), [
    # SOURCES.md: a 120/90/60 Hz Qualcomm phone whose VSYNC period was 16666666 ns when captured (60 Hz active);
    # a MediaTek phone whose single mode is fps=57.999996 (read as is, not rounded to 60).
    ("getprop_display/qcom_120hz_dumpsys_surfaceflinger.txt", 60.0),
    ("getprop_display/mtk_480x800_dumpsys_display.txt", 58.0),
])
def test_display_refresh_rate_is_the_active_mode(fixture: str, expected_hz: float) -> None:
    from harness.parse import parse_display
    from harness.platforms.android import display_refresh_hz

    _needs(fixture)
    replay = ReplayTransport({"dumpsys display": fixture})
    found = display_refresh_hz(replay.shell)
    assert found == parse_display((FIXTURES / fixture).read_text(encoding="utf-8-sig")).refresh_hz
    assert found == pytest.approx(expected_hz, abs=0.01)
