"""`harness parse [KIND] FILE [--json]` as a real command (the installed .venv/bin/harness, or `python -m
harness.cli`) on the real captured outputs in ../shared/fixtures: exit 0 with a summary or JSON, exit 2 with one
line naming the file (and line) for a missing file, a wrong KIND or content that does not parse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from device_outputs import FIXTURES

from harness.cli import main

HARNESS = Path(sys.executable).with_name("harness")


def _harness(*args: str | Path) -> subprocess.CompletedProcess[str]:
    cmd = [str(HARNESS)] if HARNESS.is_file() else [sys.executable, "-m", "harness.cli"]
    return subprocess.run([*cmd, *(str(a) for a in args)], capture_output=True, text=True, timeout=60, check=False)


def _json(*args: str | Path) -> dict[str, Any]:
    proc = _harness("parse", *args, "--json")
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def test_sf_latency_summary_and_json() -> None:
    f = FIXTURES / "sf_latency/oneplus6_blog_latency_excerpt.txt"
    proc = _harness("parse", f)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"{f}: sf-latency"
    assert "13 rows, 13 valid frames" in proc.stdout
    assert "fps: 25.697" in proc.stdout
    data = _json("sf-latency", f)
    assert (data["kind"], data["source"]) == ("sf-latency", str(f))
    assert data["result"]["refresh_period_ns"] == 16666666
    assert data["result"]["frames"][0] == {"desired_present_ns": 597043335926672, "actual_present_ns": 597043380168807,
                                           "frame_ready_ns": 597043346611672, "line": 2, "valid": True}
    assert data["metrics"]["valid_frames"] == 13
    assert data["metrics"]["missed_refreshes"] == 16


def test_every_fixture_parses_from_the_command_line() -> None:
    for f in sorted(FIXTURES.rglob("*.txt")):
        assert main(["parse", str(f)]) == 0, f


def test_json_shapes_per_kind(tmp_path: Path) -> None:
    am = _json(FIXTURES / "am_start/encapp_portal_cold_ok.txt")
    assert am["kind"] == "am-start"
    assert am["result"][0]["total_time_ms"] == 1479
    assert am["metrics"] == {}
    gfx = _json(FIXTURES / "framestats/mobileqq_framestats_utf8.txt")
    first = gfx["result"]["framestats"][0]
    assert (first["line"], first["valid"], first["frame_interval_ns"]) == (78, True, 16532952)
    qq = gfx["metrics"]["framestats"]["com.tencent.mobileqq (pid 13893)"]
    assert (qq["rows"], qq["valid_frames"]) == (120, 119)
    props = _json(FIXTURES / "getprop_display/poco_f6_peridot_getprop.txt")
    assert props["fingerprint"]["soc"] == "SM8635"
    assert props["result"]["ro.build.version.sdk"] == "35"
    display = _json(FIXTURES / "getprop_display/qcom_120hz_dumpsys_surfaceflinger.txt")
    assert display["result"]["supported_refresh_hz"] == [60.0, 90.0, 120.0]
    ios = _json(FIXTURES / "ios/ios17_hearthstone_pymobiledevice3_fps_log.txt")
    assert ios["result"]["samples"][1] == {"time": "2024-12-09T13:08:46.321178", "t_s": 1.023194, "fps": 29.0,
                                           "line": 19}
    assert ios["metrics"]["samples"] == 38
    layers = _json("sf-list", FIXTURES / "sf_list/tecno_pubg_sf_list_utf8.txt")
    assert len(layers["result"]) == 127


def test_bad_inputs_exit_2_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    proc = _harness("parse", missing)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"harness: error: {missing}: no such file\n"

    assert main(["parse", str(tmp_path)]) == 2

    broken = tmp_path / "latency.txt"
    broken.write_text("16666667\n1 2 3\n4 5\n", encoding="utf-8")
    proc = _harness("parse", "sf-latency", broken)
    assert proc.returncode == 2
    assert proc.stderr == (f"harness: error: {broken}:3: latency row has 2 values; allowed 3 (desiredPresent "
                           "actualPresent frameReady, ns)\n")

    unknown = tmp_path / "notes.txt"
    unknown.write_text("shopping list\neggs\n", encoding="utf-8")
    proc = _harness("parse", unknown)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"harness: error: {unknown}:1: cannot tell what this output is; allowed kinds: ")
    assert proc.stderr.count("\n") == 1

    proc = _harness("parse", "gfx", unknown)
    assert proc.returncode == 2
    assert proc.stderr.startswith("harness: error: KIND: 'gfx' is not allowed; allowed: am-start, logcat, ")

    # a kind forced on the wrong content: the parser's own error, naming the file and line
    proc = _harness("parse", "getprop", FIXTURES / "am_start/encapp_portal_cold_ok.txt")
    assert proc.returncode == 2
    assert ":1: 'Starting: Intent" in proc.stderr


def test_utf16_file_as_powershell_writes_it(tmp_path: Path) -> None:
    # The zTT fixtures were UTF-16LE before transcoding (SOURCES.md): the command reads such files directly.
    f = tmp_path / "latency.txt"
    f.write_bytes(b"\xff\xfe" + "16666667\r\n10\t20\t15\r\n".encode("utf-16-le"))
    data = _json(f)
    assert data["kind"] == "sf-latency"
    assert data["result"]["frames"][0]["actual_present_ns"] == 20
