"""The device-output parsers on REAL captured outputs (../shared/fixtures/device-outputs, provenance in its
SOURCES.md): every file parses to the values read by hand from it (each expected number names where it came from),
or, for failure outputs, to the documented status. Nothing here talks to a device: these files are what phones,
tablets and emulators printed for other people, which is the closest real thing to a phone on this machine."""

from __future__ import annotations

import pytest
from device_outputs import FIXTURES

from harness.parse import (
    INT64_MAX,
    Kind,
    ParseError,
    android_fingerprint,
    detect_kind,
    find_camera_layer,
    parse_am_start,
    parse_display,
    parse_getprop,
    parse_gfxinfo,
    parse_ios_fps,
    parse_logcat,
    parse_sf_latency,
    parse_sf_list,
    read_text,
)


def text(rel: str) -> str:
    return read_text(FIXTURES / rel)


# Every fixture file, with the kind it is: the tests below cover each (test_every_fixture_is_covered checks).
KIND_OF = {
    "am_start/argent_issue615_timeout_api36_emulator.txt": Kind.AM_START,
    "am_start/encapp_portal_cold_ok.txt": Kind.AM_START,
    "am_start/potato_issue62_thistime_annotated.txt": Kind.AM_START,
    "am_start/rn_deeplink_unable_to_resolve_error.txt": Kind.AM_START,
    "am_start/settings_timeout_emulator.txt": Kind.AM_START,
    "framestats/androidviewclient_android6_oldlayout_rows.txt": Kind.GFXINFO,
    "framestats/mobileqq_framestats_utf8.txt": Kind.GFXINFO,
    "framestats/oneplus6_blog_oldlayout_excerpt.txt": Kind.GFXINFO,
    "framestats/samsung120hz_soundvis_framestats.txt": Kind.GFXINFO,
    "framestats/samsung120hz_soundvis_framestats_stay.txt": Kind.GFXINFO,
    "framestats/solox249_issue_excerpt_newlayout.txt": Kind.GFXINFO,
    "framestats/topicon_t865_all_processes_framestats.txt": Kind.GFXINFO,
    "getprop_display/asus_tf201_getprop.txt": Kind.GETPROP,
    "getprop_display/mtk_480x800_dumpsys_display.txt": Kind.DISPLAY,
    "getprop_display/poco_f6_peridot_getprop.txt": Kind.GETPROP,
    "getprop_display/qcom_120hz_dumpsys_surfaceflinger.txt": Kind.DISPLAY,
    "gfxinfo_summary/android14plus_emulator_frontend_gfxinfo.txt": Kind.GFXINFO,
    "gfxinfo_summary/androidtv_nuvio_gfxinfo.txt": Kind.GFXINFO,
    "gfxinfo_summary/droidmonitor_android6_chrome_gfxinfo.txt": Kind.GFXINFO,
    "gfxinfo_summary/droidmonitor_android7_settings_gfxinfo.txt": Kind.GFXINFO,
    "gfxinfo_summary/droidmonitor_android9_chrome_gfxinfo.txt": Kind.GFXINFO,
    "ios/ios17_hearthstone_pymobiledevice3_fps_log.txt": Kind.IOS_FPS,
    "logcat/dotnet_android_pr2974_displayed_lines.txt": Kind.LOGCAT,
    "logcat/settings_timeout_atm_displayed_fullydrawn_abbrev.txt": Kind.LOGCAT,
    "sf_latency/oneplus6_blog_latency_excerpt.txt": Kind.SF_LATENCY,
    "sf_latency/solox249_hzm_surfaceview_blast_latency_excerpt.txt": Kind.SF_LATENCY,
    "sf_latency/solox249_jiujius_surfaceview_zeros_excerpt.txt": Kind.SF_LATENCY,
    "sf_latency/ztt_refresh_only_utf8.txt": Kind.SF_LATENCY,
    "sf_list/solox249_hzm_android12plus_list_findstr.txt": Kind.SF_LIST,
    "sf_list/solox303_android15_list_grep_requestedlayerstate.txt": Kind.SF_LIST,
    "sf_list/tecno_pubg_sf_list_utf8.txt": Kind.SF_LIST,
}


def test_every_fixture_is_covered() -> None:
    on_disk = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.txt")}
    assert on_disk == set(KIND_OF), "a fixture was added or removed: give it a kind and a test here"


@pytest.mark.parametrize(("rel", "kind"), sorted(KIND_OF.items()))
def test_detect_kind_on_every_fixture(rel: str, kind: Kind) -> None:
    assert detect_kind(text(rel), source=rel) is kind


# ---- am start -W -------------------------------------------------------------------------------------------------

def test_am_start_cold_ok() -> None:
    # encapp README.dev.md: Status ok, LaunchState COLD, TotalTime 1479, WaitTime 1482, Complete; the Activity line
    # names the launcher (what was shown), the Intent's cmp= what was asked for.
    a = parse_am_start(text("am_start/encapp_portal_cold_ok.txt"))
    assert (a.status, a.launch_state, a.total_time_ms, a.wait_time_ms, a.this_time_ms) == ("ok", "COLD", 1479, 1482,
                                                                                           None)
    assert a.activity == "com.facebook.alohaapps.launcher/com.facebook.aloha.app.home.touch.HomeActivity"
    assert a.component == "com.facebook.encapp/.MainActivity"
    assert a.complete
    assert a.error is None


def test_am_start_timeout_api36_with_wrapper_prefix() -> None:
    # argent#615: "am start failed: " prefix before Starting:, Status timeout, LaunchState UNKNOWN (-1) -> None,
    # no TotalTime, WaitTime 11639, no Complete line.
    a = parse_am_start(text("am_start/argent_issue615_timeout_api36_emulator.txt"))
    assert (a.status, a.launch_state, a.total_time_ms, a.wait_time_ms) == ("timeout", None, None, 11639)
    assert a.component == "com.anonymous.myapp/.MainActivity"
    assert not a.complete


def test_am_start_timeout_trampoline() -> None:
    # settings_timeout_emulator: asked for .Settings, shown .homepage.SettingsHomepageActivity; WaitTime 12447.
    a = parse_am_start(text("am_start/settings_timeout_emulator.txt"))
    assert (a.status, a.wait_time_ms, a.total_time_ms) == ("timeout", 12447, None)
    assert a.component == "com.android.settings/.Settings"
    assert a.activity == "com.android.settings/.homepage.SettingsHomepageActivity"


def test_am_start_thistime_with_annotations() -> None:
    # Potato#62 (pre-Android 10, -S): ThisTime 1131, TotalTime 4171, WaitTime 4190; the author's // lines and
    # trailing spaces are ignored; no LaunchState line.
    a = parse_am_start(text("am_start/potato_issue62_thistime_annotated.txt"))
    assert (a.status, a.launch_state, a.this_time_ms, a.total_time_ms, a.wait_time_ms) == ("ok", None, 1131, 4171,
                                                                                           4190)
    assert a.activity == "com.ziipin.softkeyboard.uzbekistan/com.ziipin.setting.GuideActivity"
    assert a.line == 1  # the block starts at "Stopping:"


def test_am_start_unable_to_resolve_is_status_error() -> None:
    # react-navigation-deep-linking#1: no Status line, one Error: line.
    a = parse_am_start(text("am_start/rn_deeplink_unable_to_resolve_error.txt"))
    assert a.status == "error"
    assert a.error is not None
    assert a.error.startswith("Error: Activity not started, unable to resolve Intent {")
    assert (a.total_time_ms, a.wait_time_ms, a.activity) == (None, None, None)


# ---- logcat ------------------------------------------------------------------------------------------------------

def test_logcat_displayed_activitymanager_threadtime() -> None:
    # dotnet/android#2974: five ActivityManager Displayed lines: +136ms, +145ms, +1s255ms, +580ms, +469ms.
    ev = parse_logcat(text("logcat/dotnet_android_pr2974_displayed_lines.txt"))
    assert [e.duration_ms for e in ev.displayed] == [136, 145, 1255, 580, 469]
    assert [e.line for e in ev.displayed] == [1, 2, 3, 4, 5]
    assert ev.displayed[3].component == "org.androworks.meteorgram/.MeteorgramActivity"
    assert ev.displayed[0].time == "04-05 15:50:00.421"
    assert all(e.total_ms is None for e in ev.displayed)
    assert (ev.fully_drawn, ev.crashes, ev.anrs) == ([], [], [])


def test_logcat_abbreviated_displayed_and_fully_drawn() -> None:
    # settings_timeout report: line 3 "Displayed com.android.settings/.Settings: +31s584ms", line 4 "Fully drawn
    # ...: +31s584ms" -> 31 * 1000 + 584 = 31584 ms each.
    ev = parse_logcat(text("logcat/settings_timeout_atm_displayed_fullydrawn_abbrev.txt"))
    assert [(e.component, e.duration_ms, e.line) for e in ev.displayed] == [("com.android.settings/.Settings", 31584,
                                                                             3)]
    assert [(e.component, e.duration_ms, e.line) for e in ev.fully_drawn] == [("com.android.settings/.Settings",
                                                                               31584, 4)]
    assert ev.crashes == []


# ---- gfxinfo summaries -------------------------------------------------------------------------------------------

def test_gfxinfo_android14_summary() -> None:
    # Frontend-Native gfxinfo.txt lines 4-20: pid 7871, 139 frames, janky 9 (6.47%), legacy 91 (65.47%), 25/34/34/65
    # ms, counters 0/256/5/0/5, deadline missed 9 (legacy 9), 99th gpu percentile 4950ms (4 frames in that bucket).
    g = parse_gfxinfo(text("gfxinfo_summary/android14plus_emulator_frontend_gfxinfo.txt"))
    s = g.summary
    assert s is not None
    assert g.package == "com.tungdzai123.Frontend"
    assert g.processes[0].pid == 7871
    assert (s.total_frames, s.janky_frames, s.janky_percent) == (139, 9, 6.47)
    assert (s.janky_frames_legacy, s.janky_legacy_percent) == (91, 65.47)
    assert (s.p50_ms, s.p90_ms, s.p95_ms, s.p99_ms) == (25, 34, 34, 65)
    assert (s.missed_vsync, s.high_input_latency, s.slow_ui_thread, s.slow_bitmap_uploads,
            s.slow_issue_draw_commands) == (0, 256, 5, 0, 5)
    assert (s.frame_deadline_missed, s.frame_deadline_missed_legacy) == (9, 9)
    assert (s.gpu_p50_ms, s.gpu_p99_ms) == (16, 4950)
    assert s.stats_since_ns == 714728958534
    assert s.package == "com.tungdzai123.Frontend"
    assert g.framestats == []
    window = g.processes[0].windows[0]
    assert (window.title, window.visibility) == ("com.tungdzai123.Frontend/com.tungdzai123.Frontend.MainActivity", 0)


def test_gfxinfo_android_tv_with_legacy_profile_table() -> None:
    # NuvioTV gfxinfo.txt: 2903 frames, janky 772 (26.59%), 9/73/109/150 ms, 279/1857/414/0/32, deadline 422; the
    # Draw/Prepare/Process/Execute table is not framestats.
    g = parse_gfxinfo(text("gfxinfo_summary/androidtv_nuvio_gfxinfo.txt"))
    s = g.summary
    assert s is not None
    assert g.package == "com.nuvio.tv"
    assert (s.total_frames, s.janky_frames, s.janky_percent) == (2903, 772, 26.59)
    assert (s.p50_ms, s.p90_ms, s.p95_ms, s.p99_ms) == (9, 73, 109, 150)
    assert (s.missed_vsync, s.high_input_latency, s.slow_ui_thread, s.slow_bitmap_uploads,
            s.slow_issue_draw_commands, s.frame_deadline_missed) == (279, 1857, 414, 0, 32, 422)
    assert s.janky_frames_legacy is None
    assert g.framestats == []


def test_gfxinfo_android6_has_no_50th_percentile_and_a_window_summary() -> None:
    # droid-monitor SAMPLE_GFXINFO_6: 3 frames, janky 2 (66.67%), no 50th line, 90/95/99th 101 ms, counters
    # 2/0/2/0/1, no "Frame deadline missed" (Android 9+); the window block repeats the numbers.
    g = parse_gfxinfo(text("gfxinfo_summary/droidmonitor_android6_chrome_gfxinfo.txt"))
    s = g.summary
    assert s is not None
    assert g.processes[0].pid == 9702
    assert (s.total_frames, s.janky_frames, s.janky_percent) == (3, 2, 66.67)
    assert (s.p50_ms, s.p90_ms, s.p95_ms, s.p99_ms) == (None, 101, 101, 101)
    assert (s.missed_vsync, s.high_input_latency, s.slow_ui_thread, s.slow_bitmap_uploads,
            s.slow_issue_draw_commands, s.frame_deadline_missed) == (2, 0, 2, 0, 1, None)
    w = g.processes[0].windows[0]
    assert w.title == "com.android.chrome/org.chromium.chrome.browser.firstrun.FirstRunActivityStaging"
    assert w.summary is not None
    assert w.summary.total_frames == 3
    assert w.summary.window == w.title


def test_gfxinfo_android7_and_android9() -> None:
    # droid-monitor SAMPLE_GFXINFO_7: 24 frames, 14 (58.33%), 19/65/150/300, 3/0/5/1/12.
    s7 = parse_gfxinfo(text("gfxinfo_summary/droidmonitor_android7_settings_gfxinfo.txt")).summary
    assert s7 is not None
    assert (s7.total_frames, s7.janky_frames, s7.janky_percent, s7.p50_ms, s7.p90_ms, s7.p95_ms, s7.p99_ms) == (
        24, 14, 58.33, 19, 65, 150, 300)
    assert (s7.missed_vsync, s7.high_input_latency, s7.slow_ui_thread, s7.slow_bitmap_uploads,
            s7.slow_issue_draw_commands, s7.frame_deadline_missed) == (3, 0, 5, 1, 12, None)
    # SAMPLE_GFXINFO_9: 43 frames, 7 (16.28%), 5/69/150/200, 5/14/5/0/1, deadline missed 5.
    s9 = parse_gfxinfo(text("gfxinfo_summary/droidmonitor_android9_chrome_gfxinfo.txt")).summary
    assert s9 is not None
    assert (s9.total_frames, s9.janky_frames, s9.janky_percent, s9.p50_ms, s9.p90_ms, s9.p95_ms, s9.p99_ms) == (
        43, 7, 16.28, 5, 69, 150, 200)
    assert (s9.missed_vsync, s9.high_input_latency, s9.slow_ui_thread, s9.slow_bitmap_uploads,
            s9.slow_issue_draw_commands, s9.frame_deadline_missed) == (5, 14, 5, 0, 1, 5)


# ---- framestats --------------------------------------------------------------------------------------------------

def test_framestats_samsung_120hz_new_layout() -> None:
    # Sound-to-Visualiation framestats.txt: pid 31667, summary 516 frames / janky 113 (21.90%); one window with
    # 120 rows, all Flags 0. Row 1 (line 78): IntendedVsync 314856675367713, FrameCompleted 314856686928950
    # -> 11.561237 ms; FrameDeadline 314856692012826; DisplayPresentTime 314856700213169; the value under the
    # "FrameStartTime" header is 8311780 ns: the 120 Hz interval (header/value order quirk, SOURCES.md).
    g = parse_gfxinfo(text("framestats/samsung120hz_soundvis_framestats.txt"))
    assert g.summary is not None
    assert (g.summary.total_frames, g.summary.janky_frames) == (516, 113)
    assert g.processes[0].pid == 31667
    assert len(g.processes) == 1
    assert len(g.framestats) == 120
    assert all(f.valid for f in g.framestats)
    f = g.framestats[0]
    assert f.line == 78
    assert f.flags == 0
    assert (f.intended_vsync_ns, f.frame_completed_ns) == (314856675367713, 314856686928950)
    assert f.duration_ms == pytest.approx(11.561237, abs=1e-9)
    assert (f.frame_deadline_ns, f.display_present_ns, f.frame_interval_ns) == (314856692012826, 314856700213169,
                                                                                8311780)
    assert f.frame_timeline_vsync_id == 27432918
    assert f.window == "com.soundvisualization.accessibility/com.soundvisualization.accessibility.MainActivity"
    window = g.processes[0].windows[0]
    assert window.summary is not None
    assert window.summary.total_frames == 516


def test_framestats_samsung_stay() -> None:
    # framestats_stay.txt: pid 16473, 134 frames, janky 20 (14.93%), 9/38/109/129 ms; 120 rows, all Flags 0.
    g = parse_gfxinfo(text("framestats/samsung120hz_soundvis_framestats_stay.txt"))
    s = g.summary
    assert s is not None
    assert g.processes[0].pid == 16473
    assert (s.total_frames, s.janky_frames, s.janky_percent, s.p50_ms, s.p90_ms, s.p95_ms, s.p99_ms) == (
        134, 20, 14.93, 9, 38, 109, 129)
    assert len(g.framestats) == 120
    assert sum(f.valid for f in g.framestats) == 120


def test_framestats_mobileqq_two_windows_and_a_backwards_row() -> None:
    # LinkADB frame_data.txt (UTF-16LE -> UTF-8, CRLF): window Alias5SplashActivity with 120 rows, window Toast with
    # a header and no rows (its summary: 0 frames, percentiles printed as the 4950ms bucket -> None).
    # Row at line 172 has Flags 0 but FrameCompleted 99936226482917 < IntendedVsync 99940218350546: invalid.
    # Row 1 (line 78): 99937002033177 - 99936994959929 = 7.073248 ms; interval 16532952 ns (60 Hz).
    g = parse_gfxinfo(text("framestats/mobileqq_framestats_utf8.txt"))
    proc = g.processes[0]
    assert (proc.pid, proc.package) == (13893, "com.tencent.mobileqq")
    assert [(w.title, len(w.framestats)) for w in proc.windows] == [
        ("com.tencent.mobileqq/com.tencent.mobileqq.activity.Alias5SplashActivity", 120), ("Toast", 0)]
    toast = proc.windows[1].summary
    assert toast is not None
    assert toast.total_frames == 0
    assert toast.p50_ms is None
    assert toast.p99_ms is None
    assert len(g.framestats) == 120
    assert sum(f.valid for f in g.framestats) == 119
    bad = next(f for f in g.framestats if not f.valid)
    assert (bad.line, bad.flags, bad.duration_ms) == (172, 0, None)
    assert bad.invalid_reason == "FrameCompleted before IntendedVsync"
    first = g.framestats[0]
    assert first.duration_ms == pytest.approx(7.073248, abs=1e-9)
    assert first.frame_interval_ns == 16532952


def test_framestats_topicon_all_processes_kept_apart() -> None:
    # aNavMode gfxinfo.txt: 13 PROFILEDATA blocks in 6 processes. Rows per process and valid rows (Flags 0 and
    # FrameCompleted >= IntendedVsync > 0) counted independently with awk over the file:
    # 17477: 120/116, 1955: 267/91, 2018: 240/149, 2345: 86/83, 26131: 117/81, 1652: 261/240 (1091 rows, 323 with
    # Flags != 0, 5 with FrameCompleted 0). The first process (aNavMode) has no stats: the top level is empty.
    g = parse_gfxinfo(text("framestats/topicon_t865_all_processes_framestats.txt"))
    assert g.package == "de.codevoid.aNavMode"
    assert g.summary is None
    assert g.framestats == []
    counts = {p.pid: (len(p.framestats), sum(f.valid for f in p.framestats)) for p in g.processes if p.framestats}
    assert counts == {17477: (120, 116), 1955: (267, 91), 2018: (240, 149), 2345: (86, 83), 26131: (117, 81),
                      1652: (261, 240)}
    rows = [f for p in g.processes for f in p.framestats]
    assert len(rows) == 1091
    assert sum(f.flags != 0 for f in rows) == 323
    assert sum(f.frame_completed_ns == 0 for f in rows) == 5
    assert all(f.duration_ms is None and not f.valid for f in rows if f.frame_completed_ns == 0)
    settings = g.process("com.android.settings")
    assert settings is not None
    assert [len(w.framestats) for w in settings.windows] == [67, 80, 120]
    systemui = g.process("com.android.systemui")
    assert systemui is not None
    assert [w.title for w in systemui.windows] == ["ShellDropTarget", "ScreenDecorOverlay",
                                                   "ScreenDecorOverlayBottom", "NotificationShade", "StatusBar"]
    # the systemui process summary (7309 frames) and StatusBar's own (4696 frames) stay apart
    assert systemui.summary is not None
    assert systemui.summary.total_frames == 7309
    status_bar = systemui.windows[-1].summary
    assert status_bar is not None
    assert status_bar.total_frames == 4696
    assert status_bar.window == "StatusBar"
    system = g.process("system")
    assert system is not None
    assert system.summary is not None
    assert system.summary.total_frames == 0


def test_framestats_android6_old_layout_two_blocks() -> None:
    # AndroidViewClient dumpsystests2.py: 14-column M layout; block 1 rows (Flags 0):
    # 1539087148465 - 1538750837982 = 336.310483 ms, 1808922659568 - 1808866542439 = 56.117129 ms; block 2: one
    # Flags=1 row, kept but invalid. No FrameInterval column in this layout.
    g = parse_gfxinfo(text("framestats/androidviewclient_android6_oldlayout_rows.txt"))
    assert [f.duration_ms for f in g.framestats[:2]] == [pytest.approx(336.310483, abs=1e-9),
                                                         pytest.approx(56.117129, abs=1e-9)]
    assert [f.valid for f in g.framestats] == [True, True, False]
    assert g.framestats[2].invalid_reason == "Flags=1"
    assert g.framestats[2].duration_ms is not None
    assert all(f.frame_interval_ns is None and f.gpu_completed_ns is None for f in g.framestats)
    assert g.summary is None
    assert g.processes[0].pid is None


def test_framestats_oneplus6_old_layout_cut_excerpt() -> None:
    # Blog excerpt: 16-column layout, 2 rows then "......" and no closing marker:
    # 594399837228514 - 594399833469194 = 3.759320 ms; 594429854321679 - 594429840570165 = 13.751514 ms.
    g = parse_gfxinfo(text("framestats/oneplus6_blog_oldlayout_excerpt.txt"))
    assert [f.duration_ms for f in g.framestats] == [pytest.approx(3.75932, abs=1e-9),
                                                     pytest.approx(13.751514, abs=1e-9)]
    assert all(f.valid for f in g.framestats)


def test_framestats_solox_excerpt_sentinels() -> None:
    # SoloX#249 excerpt (new layout, no closing marker): row 1 Flags=1 (invalid); row 2: 268898179479 - 268895186527
    # = 2.992952 ms, interval 16653763 ns; row 3: FrameTimelineVsyncId -1, FrameDeadline INT64_MAX -> no deadline,
    # DisplayPresentTime -2 -> no present time; 268923149063 - 268920843750 = 2.305313 ms.
    g = parse_gfxinfo(text("framestats/solox249_issue_excerpt_newlayout.txt"))
    one, two, three = g.framestats
    assert (one.flags, one.valid) == (1, False)
    assert two.valid
    assert two.duration_ms == pytest.approx(2.992952, abs=1e-9)
    assert two.frame_interval_ns == 16653763
    assert three.valid
    assert three.duration_ms == pytest.approx(2.305313, abs=1e-9)
    assert (three.frame_timeline_vsync_id, three.frame_deadline_ns, three.display_present_ns) == (-1, None, None)
    assert INT64_MAX == 9223372036854775807


# ---- SurfaceFlinger --latency / --list ---------------------------------------------------------------------------

def test_sf_latency_oneplus6_tabs_and_cut_mark() -> None:
    # Blog excerpt: refresh 16666666 ns, 13 tab-separated rows, then "......". Row 7's actualPresent
    # 597043747090734 follows row 6's 597043463546203 by 283.544531 ms.
    lat = parse_sf_latency(text("sf_latency/oneplus6_blog_latency_excerpt.txt"))
    assert lat.refresh_period_ns == 16666666
    assert len(lat.frames) == 13
    assert len(lat.valid_frames) == 13
    assert lat.frames[0].actual_present_ns == 597043380168807
    assert lat.frames[0].line == 2
    assert lat.frames[6].actual_present_ns - lat.frames[5].actual_present_ns == 283544531
    assert lat.refresh_hz == pytest.approx(60.0000024, abs=1e-6)


def test_sf_latency_blast_surfaceview() -> None:
    # SoloX#249 (hzm): refresh 16666667, 25 rows (single spaces), all valid; first row
    # 495498343153455 495498379510686 495498371345532, last actualPresent 495499372982686.
    lat = parse_sf_latency(text("sf_latency/solox249_hzm_surfaceview_blast_latency_excerpt.txt"))
    assert lat.refresh_period_ns == 16666667
    assert len(lat.valid_frames) == 25
    first = lat.frames[0]
    assert (first.desired_present_ns, first.actual_present_ns, first.frame_ready_ns) == (495498343153455,
                                                                                         495498379510686,
                                                                                         495498371345532)
    assert lat.frames[-1].actual_present_ns == 495499372982686


def test_sf_latency_all_zero_rows_are_zero_valid_frames() -> None:
    # SoloX#249 (JIUJIUs): refresh 16666666 + 56 rows of "0 0 0": parses, 0 valid frames (not an error).
    lat = parse_sf_latency(text("sf_latency/solox249_jiujius_surfaceview_zeros_excerpt.txt"))
    assert (lat.refresh_period_ns, len(lat.frames), len(lat.valid_frames)) == (16666666, 56, 0)


def test_sf_latency_refresh_line_only() -> None:
    # zTT latency.txt (UTF-16LE -> UTF-8, CRLF): only "16666667".
    lat = parse_sf_latency(text("sf_latency/ztt_refresh_only_utf8.txt"))
    assert (lat.refresh_period_ns, lat.frames) == (16666667, [])


def test_sf_list_android12_findstr_and_camera_layer() -> None:
    # SoloX#249 (hzm): 7 lines; the BLAST SurfaceView is the layer with buffers (the plain one gave all zeros).
    layers = parse_sf_list(text("sf_list/solox249_hzm_android12plus_list_findstr.txt"))
    assert len(layers) == 7
    assert find_camera_layer(layers, "com.KST.CS4Like_development") == (
        "SurfaceView[com.KST.CS4Like_development/com.easy.game.GamePlayerActivity](BLAST)#0")
    assert find_camera_layer(layers, "com.KST") is None  # a package prefix is not the package


def test_sf_list_tecno_full_list() -> None:
    # zTT temp.txt (UTF-16LE -> UTF-8, CRLF): 127 layers; line 1 keeps the source's mojibake display name; line 44
    # SurfaceView[com.tencent.ig/com.epicgames.ue4.GameActivity](BLAST)#17189. Settings shows no SurfaceView.
    layers = parse_sf_list(text("sf_list/tecno_pubg_sf_list_utf8.txt"))
    assert len(layers) == 127
    assert layers[0].startswith("Display 0 name=")
    assert layers[0].endswith("#3")
    assert find_camera_layer(layers, "com.tencent.ig") == (
        "SurfaceView[com.tencent.ig/com.epicgames.ue4.GameActivity](BLAST)#17189")
    assert find_camera_layer(layers, "com.android.settings") is None


def test_sf_list_android15_requested_layer_state() -> None:
    # SoloX#303: four RequestedLayerState{...} lines, unwrapped to the names --latency takes; no SurfaceView.
    layers = parse_sf_list(text("sf_list/solox303_android15_list_grep_requestedlayerstate.txt"))
    act = "ctrip.android.view/ctrip.android.publicproduct.home.business.activity.CtripHomeActivity"
    assert layers[0] == f"ff5d6b3 ActivityRecordInputSink {act}#28994"
    assert layers[1].startswith("ActivityRecord{5e6ac22 u0 ")
    assert layers[1].endswith("}#28983")
    assert layers[2:] == [f"54dfae7 {act}#28989", f"{act}#29149"]
    assert find_camera_layer(layers, "ctrip.android.view") is None


# ---- getprop -----------------------------------------------------------------------------------------------------

def test_getprop_poco_f6() -> None:
    # device_xiaomi_peridot getprop.txt: 1067 "[key]: [value" lines; persist.sys.boot.reason.history spans lines
    # 541-544; ro.product.manufacturer Xiaomi, model 24069PC21I, device peridot, ro.soc.model SM8635 (platform
    # pineapple, hardware qcom), SDK 35, release 15, brand POCO, ro.soc.manufacturer QTI.
    props = parse_getprop(text("getprop_display/poco_f6_peridot_getprop.txt"))
    assert len(props) == 1067
    assert props["persist.sys.boot.reason.history"] == (
        "reboot,,1745935181\nshutdown,userrequested,1745815614\nreboot,,1745768086\nreboot,,1745686927")
    fp = android_fingerprint(props)
    assert (fp.manufacturer, fp.model, fp.device, fp.soc, fp.soc_source) == ("Xiaomi", "24069PC21I", "peridot",
                                                                             "SM8635", "ro.soc.model")
    assert (fp.sdk_level, fp.release, fp.brand, fp.soc_manufacturer) == (35, "15", "POCO", "QTI")
    # the build fingerprint says 14 while the release is 15: recorded as printed
    assert fp.build_fingerprint == ("POCO/peridot_global/peridot:14/UKQ1.240624.001/OS2.0.100.0.VNPMIXM:user/"
                                    "release-keys")


def test_getprop_asus_tf201_soc_falls_back_to_board_platform() -> None:
    # tf201log getprop.txt (CRLF): 170 properties, no ro.soc.* (Android 3.2.1, SDK 13): soc from ro.board.platform
    # tegra (ro.hardware would be cardhu).
    props = parse_getprop(text("getprop_display/asus_tf201_getprop.txt"))
    assert len(props) == 170
    fp = android_fingerprint(props)
    assert (fp.manufacturer, fp.model, fp.device, fp.soc, fp.soc_source) == ("asus", "TF201", "TF201", "tegra",
                                                                             "ro.board.platform")
    assert (fp.sdk_level, fp.release) == (13, "3.2.1")
    assert fp.build_fingerprint == "asus/JP_epad/TF201:3.2.1/HTK75/JP_epad-8.8.3.33-20111223:user/release-keys"
    assert fp.soc_manufacturer is None


# ---- display -----------------------------------------------------------------------------------------------------

def test_display_mtk_single_58hz_mode() -> None:
    # Healer dumpsys_display.txt line 65: DisplayDeviceInfo local:0, 480 x 800, modeId 1, supportedModes
    # [{id=1, width=480, height=800, fps=57.999996}]: not rounded to 60.
    d = parse_display(text("getprop_display/mtk_480x800_dumpsys_display.txt"))
    assert (d.refresh_hz, d.supported_refresh_hz, d.width_px, d.height_px) == (57.999996, (57.999996,), 480, 800)
    assert (d.source_kind, d.line) == ("dumpsys display", 65)


def test_display_from_surfaceflinger_dump_120hz_panel_at_60() -> None:
    # androidLog sf.txt line 1608 "activeMode=60.00 Hz (60.00 Hz)"; displayModes (lines 1610-1613) at 120, 60, 90,
    # 120 Hz, resolution 1264x2780; "refresh-rate : 60.00 Hz" (line 1990) and "VSYNC period: 16666666 ns" agree.
    d = parse_display(text("getprop_display/qcom_120hz_dumpsys_surfaceflinger.txt"))
    assert (d.refresh_hz, d.supported_refresh_hz, d.width_px, d.height_px) == (60.0, (60.0, 90.0, 120.0), 1264, 2780)
    assert (d.source_kind, d.line) == ("dumpsys SurfaceFlinger", 1608)


# ---- iOS ---------------------------------------------------------------------------------------------------------

def test_ios_fps_log() -> None:
    # iOS17_perf README: 38 "{'currentTime': ..., 'fps': N}" lines (first 13:08:45.297984 fps 0, then 29; last
    # 13:09:22.697114 fps 22 -> 37.39913 s after the first) and 36 hearthstone process samples (pid 37027, first
    # CPU '0 %', Threads 86).
    log = parse_ios_fps(text("ios/ios17_hearthstone_pymobiledevice3_fps_log.txt"))
    assert len(log.samples) == 38
    assert [s.fps for s in log.samples[:3]] == [0.0, 29.0, 30.0]
    assert log.samples[-1].fps == 22.0
    assert log.samples[-1].t_s == pytest.approx(37.39913, abs=1e-6)
    assert len(log.processes) == 36
    p = log.processes[0]
    assert (p.pid, p.name, p.cpu_percent, p.memory, p.threads) == (37027, "hearthstone", 0.0, "1.37 GiB", 86)
    assert log.processes[1].cpu_percent == 42.7


PARSERS = (parse_am_start, parse_logcat, parse_gfxinfo, parse_sf_latency, parse_sf_list, parse_getprop,
           parse_display, parse_ios_fps)


@pytest.mark.parametrize("rel", sorted(KIND_OF))
def test_wrong_or_cut_input_is_a_parse_error_or_a_result(rel: str) -> None:
    """Every parser on every fixture (mostly the wrong kind), and every fixture cut at 25 seeded random places: a
    result or a ParseError naming the source, never another exception."""
    import random

    full = text(rel)
    rng = random.Random(rel)
    inputs = [full, *(full[: rng.randrange(len(full))] for _ in range(25))]
    messages = []
    for parser in PARSERS:
        for sample in inputs:
            try:
                parser(sample, source=rel)
            except ParseError as exc:
                messages.append(str(exc))
    assert messages  # the wrong kinds at least
    assert all(m.startswith(f"{rel}:") and "\n" not in m for m in messages)
