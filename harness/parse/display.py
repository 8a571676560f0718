"""The display's refresh rate, its supported rates and its size, from `adb shell dumpsys display` or `adb shell
dumpsys SurfaceFlinger`. Nothing is capped: 90, 120 and 144 Hz panels report what they run at.

dumpsys display: the first built-in display's `DisplayDeviceInfo{... modeId N ... supportedModes [{id=N,
width=W, height=H, fps=F, ...}, ...]}` gives the active mode (modeId) and the supported ones; when that line is
missing, `mActiveSfDisplayMode=DisplayMode{... refreshRate=F ...}` and the `DisplayModeRecord{mMode={id=..}}`
lines do. dumpsys SurfaceFlinger: `activeMode=120.00 Hz (...)` (or `activeMode={... refreshRate=..}`), else the
DisplayDevice's `refresh-rate : 60.00 Hz`, else the scheduler's `VSYNC period: N ns`; supported rates from the
first `displayModes=` list (`{id=0, hwcId=0, resolution=WxH, refreshRate=120.00 Hz, ...}`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from harness.errors import ParseError
from harness.parse._text import split_lines

_DEVICE_INFO = re.compile(r"DisplayDeviceInfo\{.*?uniqueId=\"local:[^\"]*\".*?\bmodeId (?P<mode>\d+)")
_MODE = re.compile(r"\{id=(?P<id>\d+), width=(?P<w>\d+), height=(?P<h>\d+), fps=(?P<fps>[\d.]+)")
_SF_MODE_DM = re.compile(r"mActiveSfDisplayMode=DisplayMode\{.*?width=(?P<w>\d+), height=(?P<h>\d+),.*?"
                         r"refreshRate=(?P<fps>[\d.]+)")
_RECORD = re.compile(r"DisplayModeRecord\{mMode=\{id=(?P<id>\d+), width=(?P<w>\d+), height=(?P<h>\d+), "
                     r"fps=(?P<fps>[\d.]+)")
_ACTIVE_MODE_ID = re.compile(r"^\s*mActiveModeId=(?P<id>\d+)")
_SF_ACTIVE = re.compile(r"^\s*activeMode=(?:(?P<hz>[\d.]+) Hz|\{.*?refreshRate=(?P<hz2>[\d.]+))")
_SF_REFRESH = re.compile(r"^\s*refresh-rate\s*:\s*(?P<hz>[\d.]+)")
_SF_VSYNC = re.compile(r"VSYNC period:\s*(?P<ns>\d+) ns")
_SF_MODE = re.compile(r"^\s*\{id=(?P<id>\d+),.*?resolution=(?P<w>\d+)x(?P<h>\d+), refreshRate=(?P<hz>[\d.]+)")


@dataclass(frozen=True)
class DisplayInfo:
    """refresh_hz: the active mode's refresh rate; supported_refresh_hz: the distinct rates of the display's modes,
    ascending (rates within 0.01 Hz count once); width_px/height_px: the active mode's size (None when the dump
    does not say). source_kind: which dump it came from; line: the 1-based line that gave refresh_hz."""

    refresh_hz: float
    supported_refresh_hz: tuple[float, ...]
    width_px: int | None
    height_px: int | None
    source_kind: Literal["dumpsys display", "dumpsys SurfaceFlinger"] = "dumpsys display"
    line: int = 0

    @property
    def refresh_period_ns(self) -> float:
        return 1e9 / self.refresh_hz


def _distinct(rates: list[float]) -> tuple[float, ...]:
    out: list[float] = []
    for r in sorted(rates):
        if not out or abs(r - out[-1]) > 0.01:
            out.append(r)
    return tuple(out)


def is_surfaceflinger_dump(text: str) -> bool:
    return "Build configuration: [sf" in text or "VSYNC period:" in text or "displayModes=" in text


def parse_display(text: str, *, source: str = "<text>") -> DisplayInfo:
    """Refresh rate, supported rates and size from either dump (see the module's docstring). A dump where none of
    the lines named there is found is a ParseError; so is a refresh rate of 0."""
    lines = split_lines(text)
    if "DISPLAY MANAGER" in text or "DisplayDeviceInfo{" in text or "mActiveSfDisplayMode=" in text:
        info = _from_display(lines)
    elif is_surfaceflinger_dump(text):
        info = _from_surfaceflinger(lines)
    else:
        info = None
    if info is None:
        raise ParseError("no refresh rate found; allowed `dumpsys display` (DisplayDeviceInfo / "
                         "mActiveSfDisplayMode) or `dumpsys SurfaceFlinger` (activeMode / refresh-rate / VSYNC "
                         "period) output", source=source, line=1)
    if not info.refresh_hz > 0:
        raise ParseError(f"refresh rate is {info.refresh_hz} Hz; allowed > 0", source=source, line=info.line)
    return info


def _from_display(lines: list[str]) -> DisplayInfo | None:
    for k, raw in enumerate(lines, start=1):
        m = _DEVICE_INFO.search(raw)
        if m is None:
            continue
        modes = {int(x.group("id")): x for x in _MODE.finditer(raw[raw.find("supportedModes"):])}
        active = modes.get(int(m.group("mode")))
        if active is not None:
            return DisplayInfo(refresh_hz=float(active.group("fps")),
                               supported_refresh_hz=_distinct([float(x.group("fps")) for x in modes.values()]),
                               width_px=int(active.group("w")), height_px=int(active.group("h")), line=k)
    records: dict[int, tuple[int, re.Match[str]]] = {}
    active_id: int | None = None
    sf_mode: tuple[int, re.Match[str]] | None = None
    for k, raw in enumerate(lines, start=1):
        if (r := _RECORD.search(raw)) is not None:
            records.setdefault(int(r.group("id")), (k, r))
        elif active_id is None and (a := _ACTIVE_MODE_ID.match(raw)) is not None:
            active_id = int(a.group("id"))
        elif sf_mode is None and (s := _SF_MODE_DM.search(raw)) is not None:
            sf_mode = (k, s)
    supported = _distinct([float(r.group("fps")) for _, r in records.values()])
    if sf_mode is not None:
        k, s = sf_mode
        return DisplayInfo(refresh_hz=float(s.group("fps")), supported_refresh_hz=supported or (float(s.group("fps")),),
                           width_px=int(s.group("w")), height_px=int(s.group("h")), line=k)
    if active_id is not None and active_id in records:
        k, r = records[active_id]
        return DisplayInfo(refresh_hz=float(r.group("fps")), supported_refresh_hz=supported,
                           width_px=int(r.group("w")), height_px=int(r.group("h")), line=k)
    return None


def _from_surfaceflinger(lines: list[str]) -> DisplayInfo | None:
    modes: list[re.Match[str]] = []
    in_modes = False
    refresh: tuple[int, float, int] | None = None  # (priority, Hz, line): 0 activeMode, 1 refresh-rate, 2 VSYNC
    for k, raw in enumerate(lines, start=1):
        if raw.strip() == "displayModes=" and not modes:
            in_modes = True
            continue
        if in_modes:
            if (m := _SF_MODE.match(raw)) is not None:
                modes.append(m)
                continue
            in_modes = False
        if (a := _SF_ACTIVE.match(raw)) is not None:
            candidate = (0, float(a.group("hz") or a.group("hz2")), k)
        elif (r := _SF_REFRESH.match(raw)) is not None:
            candidate = (1, float(r.group("hz")), k)
        elif (v := _SF_VSYNC.search(raw)) is not None and int(v.group("ns")) > 0:
            candidate = (2, 1e9 / int(v.group("ns")), k)
        else:
            continue
        if refresh is None or candidate[0] < refresh[0]:
            refresh = candidate
    if refresh is None:
        return None
    _, hz, line = refresh
    sized = [m for m in modes if abs(float(m.group("hz")) - hz) <= 0.01] or modes
    return DisplayInfo(
        refresh_hz=hz,
        supported_refresh_hz=_distinct([float(m.group("hz")) for m in modes]) or (hz,),
        width_px=int(sized[0].group("w")) if sized else None,
        height_px=int(sized[0].group("h")) if sized else None,
        source_kind="dumpsys SurfaceFlinger",
        line=line,
    )
