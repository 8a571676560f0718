"""The parsers' rules on small texts written in Android's documented formats (the shared fixtures hold no crash,
ANR, `-R` block or broken file, so these pin the rules directly): durations, crash and ANR events, repeated
launches, and the exact one-line errors for bad input (source and line named)."""

from __future__ import annotations

import random

import pytest

from harness.parse import (
    Kind,
    ParseError,
    android_fingerprint,
    decode,
    detect_kind,
    find_camera_layer,
    format_duration_ms,
    merge_latency,
    parse_am_start,
    parse_am_start_all,
    parse_display,
    parse_duration_ms,
    parse_getprop,
    parse_gfxinfo,
    parse_ios_fps,
    parse_logcat,
    parse_sf_latency,
    parse_sf_list,
    parse_sf_timestats,
    surface_view_layers,
)

# ---- durations ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "ms"), [
    ("+1s234ms", 1234), ("+234ms", 234), ("+1m2s3ms", 62003), ("+2h0m1s5ms", 7201005), ("+1d0h0m0s1ms", 86400001),
    ("+31s584ms", 31584), ("0", 0), ("+0ms", 0), ("-12ms", -12), ("+5s", 5000), ("+3m", 180000),
])
def test_durations_as_android_prints_them(text: str, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "+", "1.5s", "+1ms2s", "+12", "+1s 2ms", "+ms", "1sec"])
def test_not_durations(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a duration; allowed e\.g\. "):
        parse_duration_ms(text)


def test_durations_round_trip_property() -> None:
    """Property: for 2000 random durations from 0 to 3 days (seeded), formatting them as TimeUtils.formatDuration
    does and parsing them back gives the same milliseconds; so does the same inside a logcat Displayed line."""
    rng = random.Random(20261204)
    values = [rng.choice([rng.randrange(1000), rng.randrange(120_000), rng.randrange(3 * 86_400_000)])
              for _ in range(2000)]
    for ms in values:
        assert parse_duration_ms(format_duration_ms(ms)) == ms
        assert parse_duration_ms(format_duration_ms(-ms)) == -ms
    lines = "\n".join(f"I/ActivityTaskManager(  600): Displayed com.x/.A: {format_duration_ms(ms)}" for ms in values)
    assert [e.duration_ms for e in parse_logcat(lines).displayed] == values


# ---- am start ----------------------------------------------------------------------------------------------------

REPEATED = """Stopping: com.example.app
Starting: Intent { cmp=com.example.app/.Main }
Status: ok
LaunchState: COLD
Activity: com.example.app/.Main
TotalTime: 812
WaitTime: 830
Complete
Stopping: com.example.app
Starting: Intent { cmp=com.example.app/.Main }
Status: ok
LaunchState: COLD
Activity: com.example.app/.Main
TotalTime: 790
WaitTime: 801
Complete
"""


def test_am_start_repeated_blocks() -> None:
    launches = parse_am_start_all(REPEATED)
    assert [(a.total_time_ms, a.wait_time_ms, a.line) for a in launches] == [(812, 830, 1), (790, 801, 9)]
    with pytest.raises(ParseError, match=r"^<text>:9: 2 launch blocks \(am start -R\?\); parse_am_start_all"):
        parse_am_start(REPEATED)


def test_am_start_without_stop_repeats_on_each_starting_line() -> None:
    text = REPEATED.replace("Stopping: com.example.app\n", "")
    assert [a.line for a in parse_am_start_all(text)] == [1, 8]


def test_am_start_hot_with_warning_and_relaunch() -> None:
    a = parse_am_start("Starting: Intent { cmp=p/.A }\nWarning: Activity not started, its current task has been "
                       "brought to the front\nStatus: ok\nLaunchState: HOT\nActivity: p/.A\nTotalTime: 41\n"
                       "WaitTime: 45\nComplete\n")
    assert (a.launch_state, a.total_time_ms, a.warning) == ("HOT", 41, "Activity not started, its current task has "
                                                            "been brought to the front")
    assert parse_am_start("Status: ok\nLaunchState: RELAUNCH\nWaitTime: 3\n").launch_state == "RELAUNCH"


def test_am_start_class_does_not_exist() -> None:
    a = parse_am_start("Starting: Intent { cmp=p/.Nope }\nError type 3\nError: Activity class {p/p.Nope} does not "
                       "exist.\n")
    assert a.status == "error"
    assert a.error == "Error type 3\nError: Activity class {p/p.Nope} does not exist."


@pytest.mark.parametrize(("text", "message"), [
    ("", r"^launch.txt:1: no `am start` output found"),
    ("Starting: Intent { cmp=p/.A }\n", r"^launch.txt:1: a launch block without a Status: or Error: line \(was"),
    ("Status: ok\nTotalTime: 12ms\n", r"^launch.txt:2: TotalTime is '12ms'; allowed an integer$"),
    ("Status: done\n", r"^launch.txt:1: Status is 'done'; allowed ok or timeout$"),
    ("Status: ok\nLaunchState: LUKEWARM\n", r"^launch.txt:2: LaunchState is 'LUKEWARM'; allowed COLD, WARM"),
])
def test_am_start_errors_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        parse_am_start(text, source="launch.txt")
    assert info.value.source == "launch.txt"


# ---- logcat ------------------------------------------------------------------------------------------------------

CRASHES = """--------- beginning of crash
06-01 10:00:00.100  4242  4242 E AndroidRuntime: FATAL EXCEPTION: main
06-01 10:00:00.100  4242  4242 E AndroidRuntime: Process: com.vendor.beauty, PID: 4242
06-01 10:00:00.100  1000  1000 I SomethingElse: interleaved line from another process
06-01 10:00:00.100  4242  4242 E AndroidRuntime: java.lang.IllegalStateException: GL context lost
06-01 10:00:00.100  4242  4242 E AndroidRuntime: \tat com.vendor.beauty.Render.draw(Render.java:42)
06-01 10:00:01.000  5151  5170 F libc    : Fatal signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0 in tid \
5170 (GLThread 12), pid 5151 (com.vendor.ar)
06-01 10:00:01.100  5200  5200 F DEBUG   : *** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***
06-01 10:00:01.100  5200  5200 F DEBUG   : Build fingerprint: 'google/oriole/oriole:14/UQ1A/1:user/release-keys'
06-01 10:00:01.100  5200  5200 F DEBUG   : pid: 5151, tid: 5170, name: GLThread 12  >>> com.vendor.ar <<<
06-01 10:00:01.100  5200  5200 F DEBUG   : signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0
06-01 10:00:02.100  5300  5300 F DEBUG   : *** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***
06-01 10:00:02.100  5300  5300 F DEBUG   : pid: 6161, tid: 6161, name: camera.worker  >>> com.vendor.filters <<<
06-01 10:00:02.100  5300  5300 F DEBUG   : signal 6 (SIGABRT), code -1 (SI_QUEUE), fault addr --------
06-01 10:00:03.000  1500  1520 E ActivityManager: ANR in com.vendor.beauty (com.vendor.beauty/.CameraActivity)
06-01 10:00:03.000  1500  1520 E ActivityManager: PID: 4343
06-01 10:00:03.000  1500  1520 E ActivityManager: Reason: Input dispatching timed out (Waited 5001ms)
06-01 10:00:04.000  1500  1520 I ActivityTaskManager: Displayed com.vendor.beauty/.CameraActivity: +1s234ms \
(total +2s5ms)
06-01 10:00:05.000  1500  1520 I ActivityTaskManager: Fully drawn com.vendor.beauty/.CameraActivity: +3s493ms
"""


def test_logcat_crashes_anr_and_launch_events() -> None:
    ev = parse_logcat(CRASHES.replace("\\\n", ""))
    java, native, tombstone = ev.crashes
    assert (java.kind, java.process, java.pid, java.exception, java.line) == (
        "java", "com.vendor.beauty", 4242, "java.lang.IllegalStateException", 2)
    assert java.first_line == "java.lang.IllegalStateException: GL context lost"
    # the Fatal signal and its tombstone (same pid 5151) are one crash; the tombstone of pid 6161 is another
    assert (native.kind, native.process, native.pid, native.exception, native.line) == (
        "native", "com.vendor.ar", 5151, "SIGSEGV", 7)
    assert (tombstone.process, tombstone.pid, tombstone.exception, tombstone.line) == (
        "com.vendor.filters", 6161, "SIGABRT", 12)
    (anr,) = ev.anrs
    assert (anr.process, anr.pid, anr.activity, anr.line) == ("com.vendor.beauty", 4343,
                                                              "com.vendor.beauty/.CameraActivity", 15)
    assert anr.reason == "Input dispatching timed out (Waited 5001ms)"
    (shown,) = ev.displayed
    assert (shown.duration_ms, shown.total_ms) == (1234, 2005)
    assert ev.fully_drawn[0].duration_ms == 3493


def test_logcat_brief_format_and_old_crash_without_process_line() -> None:
    text = ("E/AndroidRuntime(  812): FATAL EXCEPTION: main\n"
            "E/AndroidRuntime(  812): java.lang.NullPointerException\n"
            "I/ActivityManager(  300): Displayed com.a/.B: +480ms\n")
    ev = parse_logcat(text)
    (crash,) = ev.crashes
    assert (crash.process, crash.pid, crash.exception, crash.first_line) == (None, 812,
                                                                            "java.lang.NullPointerException",
                                                                            "java.lang.NullPointerException")
    assert [(e.component, e.duration_ms) for e in ev.displayed] == [("com.a/.B", 480)]


def test_logcat_displayed_from_another_tag_is_not_a_launch() -> None:
    ev = parse_logcat("06-01 10:00:00.000  1  1 I MyApp   : Displayed com.a/.B: +480ms\n")
    assert ev.displayed == []


def test_logcat_errors() -> None:
    assert parse_logcat("").displayed == []
    with pytest.raises(ParseError, match=r"^log.txt:1: no logcat line found; allowed threadtime, time, brief"):
        parse_logcat("hello\nworld\n", source="log.txt")
    # units out of order: the line has the shape of a launch event, its duration does not read
    with pytest.raises(ParseError, match=r"^<text>:2: '\+1ms2s' is not a duration"):
        parse_logcat("I/ActivityManager(1): Displayed a/.B: +1ms\nI/ActivityManager(1): Fully drawn a/.B: +1ms2s\n")


# ---- gfxinfo -----------------------------------------------------------------------------------------------------

HEADER = "Flags,IntendedVsync,Vsync,FrameCompleted,"


@pytest.mark.parametrize(("text", "message"), [
    ("hello\n", r"^g.txt:1: no gfxinfo summary \(Total frames rendered:\) and no framestats block"),
    ("Applications Graphics Acceleration Info:\nNo process found for: com.cam\n",
     r"^g.txt:2: No process found for: com.cam \(the app was not running when gfxinfo was dumped\)$"),
    ("---PROFILEDATA---\nFlags,Vsync,\n---PROFILEDATA---\n",
     r"^g.txt:2: framestats header lacks IntendedVsync, FrameCompleted; it needs Flags"),
    (f"---PROFILEDATA---\n{HEADER}\n0,100,100,\n", r"^g.txt:3: framestats row has 3 values, the header names 4"),
    (f"---PROFILEDATA---\n{HEADER}\n0,100,x100,200,\n", r"^g.txt:3: Vsync is 'x100'; allowed an integer$"),
    ("---PROFILEDATA---\n0,1,2,3,\n", r"^g.txt:2: a framestats row before its header line"),
    ("Total frames rendered: 10\nJanky frames: lots\n", r"^g.txt:2: Janky frames is 'lots'; allowed 'N \(P%\)'"),
    ("Total frames rendered: 10\n90th percentile: 12\n", r"^g.txt:2: 90th percentile is '12'; allowed '<N>ms'"),
])
def test_gfxinfo_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_gfxinfo(text, source="g.txt")


def test_gfxinfo_summary_skips_counters_it_does_not_know() -> None:
    s = parse_gfxinfo("Total frames rendered: 10\nJanky frames: 1 (10.00%)\nNumber Future counter: 4\n"
                      "99th percentile: 40ms\nNumber Missed Vsync: 2\n").summary
    assert s is not None
    assert (s.total_frames, s.janky_frames, s.p99_ms, s.missed_vsync) == (10, 1, 40, 2)


def test_framestats_rows_columns_by_name_in_any_order() -> None:
    # The same frame in two made-up column orders reads the same: columns are found by name.
    a = parse_gfxinfo("---PROFILEDATA---\nFlags,IntendedVsync,FrameCompleted,\n0,1000000,17666666,\n")
    b = parse_gfxinfo("---PROFILEDATA---\nFlags,FrameCompleted,Vsync,IntendedVsync\n0,17666666,5,1000000\n")
    assert a.framestats[0].duration_ms == b.framestats[0].duration_ms == pytest.approx(16.666666)
    assert b.framestats[0].vsync_ns == 5


# ---- SurfaceFlinger ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("", r"^l.txt:1: empty: no refresh period line"),
    ("\n\n16666667 5\n", r"^l.txt:3: first line '16666667 5' is not the refresh period"),
    ("0\n", r"^l.txt:1: refresh period is 0 ns; allowed > 0$"),
    ("16666667\n1 2\n", r"^l.txt:2: latency row has 2 values; allowed 3"),
    ("16666667\n1 2 x\n", r"^l.txt:2: latency value is 'x'; allowed an integer$"),
])
def test_sf_latency_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_sf_latency(text, source="l.txt")


def test_sf_latency_pending_fence_is_not_a_frame_and_polls_merge() -> None:
    big = 9223372036854775807
    first = parse_sf_latency(f"16666667\n10 100 5\n20 200 15\n30 {big} 25\n")
    assert [f.actual_present_ns for f in first.valid_frames] == [100, 200]
    second = parse_sf_latency("8333333\n20 200 15\n30 300 25\n0 0 0\n")
    merged = merge_latency([first, second])
    assert [f.actual_present_ns for f in merged.frames] == [100, 200, 300]
    assert merged.refresh_period_ns == 8333333


def test_camera_layer_naming_across_releases() -> None:
    # Android 11 and before: "SurfaceView - pkg/Act#0"; 12+: "...(BLAST)#n" preferred over the container; 15:
    # wrapped in RequestedLayerState{...}.
    assert find_camera_layer(["SurfaceView - com.cam/com.cam.Main#0", "com.cam/com.cam.Main#0"], "com.cam") == (
        "SurfaceView - com.cam/com.cam.Main#0")
    android15 = parse_sf_list(
        "RequestedLayerState{SurfaceView[com.cam/com.cam.Main]#120 parentId=119}\n"
        "RequestedLayerState{SurfaceView[com.cam/com.cam.Main](BLAST)#121 parentId=120}\n"
        "RequestedLayerState{Background for SurfaceView[com.cam/com.cam.Main]#122 parentId=120}\n"
        "RequestedLayerState{SurfaceView[com.other/com.other.Main](BLAST)#9 visible=true}\n")
    assert find_camera_layer(android15, "com.cam") == "SurfaceView[com.cam/com.cam.Main](BLAST)#121"
    assert find_camera_layer(android15, "com.other") == "SurfaceView[com.other/com.other.Main](BLAST)#9"
    two = ["SurfaceView[com.cam/com.cam.Main](BLAST)#7", "SurfaceView[com.cam/com.cam.Main](BLAST)#30"]
    assert surface_view_layers(two, "com.cam") == two[::-1]
    assert find_camera_layer(["SurfaceView[com.camera/com.camera.Main](BLAST)#1"], "com.cam") is None
    with pytest.raises(ParseError, match=r"^<text>:1: empty: no layer names"):
        parse_sf_list("\n\n")


# ---- getprop / display / iOS -------------------------------------------------------------------------------------

def test_getprop_errors_and_fingerprint_requirements() -> None:
    with pytest.raises(ParseError, match=r"^p.txt:2: 'adb: device offline' is not a property line"):
        parse_getprop("[a]: [1]\nadb: device offline\n", source="p.txt")
    with pytest.raises(ParseError, match=r"^p.txt:2: the value of \[b\] never ends"):
        parse_getprop("[a]: [1]\n[b]: [line one\nline two\n", source="p.txt")
    with pytest.raises(ParseError, match=r"^p.txt: no SDK level: none of ro.build.version.sdk is set$"):
        android_fingerprint({"ro.product.model": "X"}, source="p.txt")
    props = {"ro.build.version.sdk": "34", "ro.product.vendor.manufacturer": "Acme", "ro.product.vendor.model": "A1",
             "ro.product.vendor.device": "a1", "ro.hardware": "mt6893", "ro.build.version.release": "14",
             "ro.vendor.build.fingerprint": "acme/a1/a1:14/X/1:user/release-keys"}
    fp = android_fingerprint(props)
    assert (fp.manufacturer, fp.model, fp.soc, fp.soc_source, fp.sdk_level) == ("Acme", "A1", "mt6893",
                                                                                "ro.hardware", 34)
    with pytest.raises(ParseError, match=r"ro.build.version.sdk is 'S'; allowed an integer"):
        android_fingerprint({**props, "ro.build.version.sdk": "S"})


def test_display_android14_multi_mode_line() -> None:
    # DisplayDeviceInfo as Android 14 prints it for a 60/120 Hz panel running at 120 Hz (modeId 2).
    line = ('  DisplayDeviceInfo{"Built-in Screen": uniqueId="local:4619827259835644672", 1080 x 2400, modeId 2, '
            'renderFrameRate 120.00001, defaultModeId 1, supportedModes [{id=1, width=1080, height=2400, '
            'fps=60.000004, alternativeRefreshRates=[120.00001], supportedHdrTypes=[2, 3, 4]}, {id=2, width=1080, '
            'height=2400, fps=120.00001, alternativeRefreshRates=[60.000004], supportedHdrTypes=[2, 3, 4]}], '
            'colorMode 0}')
    d = parse_display(f"DISPLAY MANAGER (dumpsys display)\n{line}\n")
    assert (d.refresh_hz, d.supported_refresh_hz, d.width_px, d.height_px, d.line) == (
        120.00001, (60.000004, 120.00001), 1080, 2400, 2)
    with pytest.raises(ParseError, match=r"^d.txt:1: no refresh rate found; allowed `dumpsys display`"):
        parse_display("DISPLAY MANAGER (dumpsys display)\nnothing\n", source="d.txt")


def test_ios_errors() -> None:
    with pytest.raises(ParseError, match=r"^i.txt:1: no fps sample"):
        parse_ios_fps("tunnel created\n", source="i.txt")
    with pytest.raises(ParseError, match=r"^i.txt:2: currentTime 'yesterday' is not a date and time"):
        parse_ios_fps("x\n{'currentTime': 'yesterday', 'fps': 3}\n", source="i.txt")


# ---- detection and decoding --------------------------------------------------------------------------------------

def test_detect_kind_cannot_tell() -> None:
    with pytest.raises(ParseError, match=r"^x.txt:2: cannot tell what this output is; allowed kinds: am-start, "):
        detect_kind("\nsome random words\nmore words\n", source="x.txt")
    with pytest.raises(ParseError, match=r"^x.txt:1: empty: nothing to recognise"):
        detect_kind(" \n", source="x.txt")
    assert detect_kind("Status: ok\nWaitTime: 5\n") is Kind.AM_START


def test_decode_utf16_with_and_without_bom() -> None:
    text = "16666667\r\n1 2 3\r\n"
    for data in (text.encode("utf-16"), text.encode("utf-16-le"), b"\xef\xbb\xbf" + text.encode()):
        assert parse_sf_latency(decode(data)).frames[0].frame_ready_ns == 3


def test_logcat_android14_for_user_and_long_format() -> None:
    # Android 14+ ActivityMetricsLogger.logAppDisplayed: "Displayed <component> for user <id>: <duration>"
    ev = parse_logcat("01-02 03:04:05.678  1500  1530 I ActivityTaskManager: Displayed com.cam/.Main for user 0: "
                      "+712ms\n")
    assert [(e.component, e.duration_ms, e.user) for e in ev.displayed] == [("com.cam/.Main", 712, 0)]
    long_format = ("[ 01-02 03:04:05.678  1500: 1530 I/ActivityTaskManager ]\n"
                   "Displayed com.cam/.Main: +1s2ms\n"
                   "\n"
                   "[ 01-02 03:04:06.000  4242: 4242 E/AndroidRuntime ]\n"
                   "FATAL EXCEPTION: main\n"
                   "\n"
                   "[ 01-02 03:04:06.000  4242: 4242 E/AndroidRuntime ]\n"
                   "Process: com.cam, PID: 4242\n"
                   "java.lang.RuntimeException: boom\n")
    ev = parse_logcat(long_format)
    assert [(e.duration_ms, e.line, e.time) for e in ev.displayed] == [(1002, 2, "01-02 03:04:05.678")]
    (crash,) = ev.crashes
    assert (crash.process, crash.pid, crash.exception, crash.line) == ("com.cam", 4242, "java.lang.RuntimeException",
                                                                       5)
    assert detect_kind(long_format) is Kind.LOGCAT


def test_parsers_import_only_the_error_tree() -> None:
    """harness.parse is pure: standard library and harness.errors only (no Appium, no other harness layer), and
    metrics.device_frames stays inside metrics."""
    import ast
    from pathlib import Path

    import harness.metrics.device_frames as device_frames_module
    import harness.parse as parse_package

    files = [*Path(parse_package.__file__).parent.glob("*.py"), Path(device_frames_module.__file__)]
    allowed = {"harness.errors", "harness.parse", "harness.metrics"}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.startswith("harness"):
                    assert any(name == a or name.startswith(a + ".") for a in allowed), f"{path.name} imports {name}"
                    if path.parent.name == "parse":
                        assert not name.startswith("harness.metrics"), f"{path.name} imports {name}"
                else:
                    assert name.split(".")[0] in {"__future__", "re", "ast", "dataclasses", "datetime", "enum",
                                                  "pathlib", "typing", "collections", "itertools", "numpy"}, name


def test_camera_layer_android13_window_index_and_hash_prefix() -> None:
    # Android 13+ numbers a window's SurfaceViews ("@0") and some --list outputs put a hex id first.
    layers = ["Background for SurfaceView[com.cam/com.cam.Main]@0#4012",
              "SurfaceView[com.cam/com.cam.Main]@0#4010",
              "a1b2c3 SurfaceView[com.cam/com.cam.Main]@0(BLAST)#4011",
              "com.cam/com.cam.Main$_30153#4006"]
    assert find_camera_layer(layers, "com.cam") == "a1b2c3 SurfaceView[com.cam/com.cam.Main]@0(BLAST)#4011"
    assert surface_view_layers(layers, "com.cam") == [layers[2], layers[1]]


# Written in TimeStatsHelper.cpp's format (AOSP; the shared fixtures hold no --timestats dump): the global section,
# then per layer displayRefreshRate / renderRate / uid before layerName on newer releases.
TIMESTATS = """SurfaceFlinger TimeStats:
Legacy stats are as follows:
statsStart = 1733300000000
statsEnd = 1733300010000
totalFrames = 1207
missedFrames = 3
clientCompositionFrames = 0
displayOnTime = 10000 ms
present2present histogram is as below:
0ms=0 8ms=1200 16ms=7

displayRefreshRate = 120 fps
renderRate = 120 fps
uid = 10021
layerName = StatusBar#55
packageName =
gameMode = Unsupported
totalFrames = 12
droppedFrames = 0
averageFPS = 1.200
present2present histogram is as below:
0ms=0 800ms=11

displayRefreshRate = 120 fps
renderRate = 60 fps
uid = 10234
layerName = SurfaceView[com.cam/com.cam.Main]@0(BLAST)#812
packageName = com.cam
gameMode = Unsupported
totalFrames = 600
droppedFrames = 2
lateAcquireFrames = 0
badDesiredPresentFrames = 0
Jank payload for this layer:
totalTimelineFrames = 600
jankyFrames = 4
SetFrateRate vote for this layer:
frameRate = 0.00
averageFPS = 30.277
present2present histogram is as below:
0ms=0 33ms=598 50ms=1
post2present histogram is as below:
0ms=0 16ms=599
"""


def test_sf_timestats_layers() -> None:
    stats = parse_sf_timestats(TIMESTATS)
    assert stats.total_frames == 1207
    assert [x.name for x in stats.layers] == ["StatusBar#55", "SurfaceView[com.cam/com.cam.Main]@0(BLAST)#812"]
    cam = stats.layer(find_camera_layer([x.name for x in stats.layers], "com.cam") or "")
    assert cam is not None
    assert (cam.package, cam.total_frames, cam.dropped_frames, cam.average_fps) == ("com.cam", 600, 2, 30.277)
    assert cam.histograms["present2present"] == {0: 0, 33: 598, 50: 1}
    assert cam.present_intervals == 599
    assert (cam.display_refresh_hz, cam.line) == (120.0, 27)
    # AOSP's averageFPS = 1000 / mean bucket time: (33 x 598 + 50) / 599 = 33.028 ms -> 30.277 fps
    mean_ms = sum(b * n for b, n in cam.histograms["present2present"].items()) / cam.present_intervals
    assert round(1000 / mean_ms, 3) == cam.average_fps
    assert stats.layers[0].package is None
    assert detect_kind(TIMESTATS) is Kind.SF_TIMESTATS
    with pytest.raises(ParseError, match=r"^t.txt:1: no TimeStats found"):
        parse_sf_timestats("nothing here\n", source="t.txt")
    with pytest.raises(ParseError, match=r"^<text>:4: totalFrames is 'many'; allowed an integer"):
        parse_sf_timestats("x\nx\nlayerName = A#1\ntotalFrames = many\n".replace("x\nx\n", "\n\n"))
