"""What `harness parse` prints for each kind of device output: a few readable lines, and the frame metrics of the
device's own clocks (harness.metrics.device_frames) where the output has frames."""

from __future__ import annotations

import dataclasses
from typing import Any

from harness.errors import ParseError
from harness.metrics import device_frames, stats
from harness.parse import (
    AmStart,
    DisplayInfo,
    GfxInfo,
    GfxProcess,
    IosFps,
    Kind,
    LogcatEvents,
    SfLatency,
    SfTimeStats,
    android_fingerprint,
)


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def _gfx_metrics(proc: GfxProcess) -> dict[str, Any] | None:
    valid = [f for f in proc.framestats if f.valid and f.duration_ms is not None]
    if not proc.framestats:
        return None
    period_ns = device_frames.median_interval_ns([f.frame_interval_ns for f in valid])
    out: dict[str, Any] = {"rows": len(proc.framestats), "valid_frames": len(valid)}
    durations = [f.duration_ms for f in valid if f.duration_ms is not None]
    if period_ns is None:
        out["duration_ms"] = device_frames.summarize_ms(durations)
        out["refresh_period_ms"] = None
    else:
        overruns = device_frames.frame_overruns_ms([f.frame_completed_ns for f in valid],
                                                   [f.frame_deadline_ns for f in valid])
        result = device_frames.framestats_stats(durations, refresh_period_ms=period_ns / 1e6, overruns_ms=overruns)
        out.update(dataclasses.asdict(result))
    return _round(out)


def metrics_of(kind: Kind, result: Any) -> dict[str, Any]:
    """Frame metrics of a parsed output (empty for kinds without frames)."""
    if kind is Kind.SF_LATENCY:
        assert isinstance(result, SfLatency)
        valid = result.valid_frames
        if not valid:
            return {"valid_frames": 0}
        ps = device_frames.present_stats([f.actual_present_ns for f in valid],
                                         refresh_period_ns=result.refresh_period_ns)
        return {"valid_frames": len(valid), **_round(dataclasses.asdict(ps))}
    if kind is Kind.GFXINFO:
        assert isinstance(result, GfxInfo)
        per_process = {f"{p.package or '-'} (pid {p.pid})": m for p in result.processes
                       if (m := _gfx_metrics(p)) is not None}
        return {"framestats": per_process} if per_process else {}
    if kind is Kind.IOS_FPS:
        assert isinstance(result, IosFps)
        fps = [s.fps for s in result.samples]
        return _round({"samples": len(fps), "fps_mean": stats.mean(fps), "fps_median": stats.median(fps),
                       "fps_min": min(fps), "fps_max": max(fps)})
    return {}


def summary_lines(kind: Kind, result: Any) -> list[str]:
    """A few readable lines describing a parsed output."""
    if kind is Kind.AM_START:
        return [f"launch {k + 1}: status={a.status} launch_state={a.launch_state} activity={a.activity} "
                f"total_time_ms={a.total_time_ms} wait_time_ms={a.wait_time_ms} this_time_ms={a.this_time_ms}"
                + (f" error={a.error!r}" if a.error else "") for k, a in enumerate(_launches(result))]
    if kind is Kind.LOGCAT:
        assert isinstance(result, LogcatEvents)
        out = [f"{result.lines} logcat lines: {len(result.displayed)} displayed, {len(result.fully_drawn)} fully "
               f"drawn, {len(result.crashes)} crashes, {len(result.anrs)} ANRs"]
        out += [f"line {e.line}: displayed {e.component} {e.duration_ms} ms" for e in result.displayed]
        out += [f"line {e.line}: fully drawn {e.component} {e.duration_ms} ms" for e in result.fully_drawn]
        out += [f"line {c.line}: {c.kind} crash {c.process} (pid {c.pid}): {c.exception}" for c in result.crashes]
        out += [f"line {a.line}: ANR in {a.process}: {a.reason}" for a in result.anrs]
        return out
    if kind is Kind.GFXINFO:
        assert isinstance(result, GfxInfo)
        out = []
        for p in result.processes:
            s = p.summary
            head = f"process {p.package or '-'} (pid {p.pid}): {len(p.windows)} windows, {len(p.framestats)} rows"
            if s is not None:
                head += (f"; {s.total_frames} frames, janky {s.janky_frames} ({s.janky_percent}%), p50/p90/p95/p99 "
                         f"{s.p50_ms}/{s.p90_ms}/{s.p95_ms}/{s.p99_ms} ms")
            out.append(head)
        return out
    if kind is Kind.SF_LATENCY:
        assert isinstance(result, SfLatency)
        return [f"refresh period {result.refresh_period_ns} ns ({result.refresh_hz:.2f} Hz), {len(result.frames)} "
                f"rows, {len(result.valid_frames)} valid frames"]
    if kind is Kind.SF_LIST:
        assert isinstance(result, list)
        views = [name for name in result if "SurfaceView" in name]
        return [f"{len(result)} layers, {len(views)} SurfaceView layers", *views]
    if kind is Kind.SF_TIMESTATS:
        assert isinstance(result, SfTimeStats)
        return [f"{len(result.layers)} layers", *(
            f"{x.name}: {x.total_frames} frames, {x.dropped_frames} dropped, average {x.average_fps} fps"
            for x in result.layers if x.total_frames)]
    if kind is Kind.GETPROP:
        assert isinstance(result, dict)
        try:
            fp = android_fingerprint(result)
        except ParseError as exc:
            return [f"{len(result)} properties", f"fingerprint: unknown ({exc.detail})"]
        return [f"{len(result)} properties",
                f"fingerprint: {fp.manufacturer} {fp.model} ({fp.device}), SoC {fp.soc} ({fp.soc_source}), Android "
                f"{fp.release} (SDK {fp.sdk_level})", f"build: {fp.build_fingerprint}"]
    if kind is Kind.DISPLAY:
        assert isinstance(result, DisplayInfo)
        return [f"{result.source_kind}: refresh {result.refresh_hz:g} Hz, supported "
                f"{', '.join(f'{r:g}' for r in result.supported_refresh_hz)} Hz, {result.width_px}x{result.height_px}"]
    assert isinstance(result, IosFps)
    return [f"{len(result.samples)} fps samples over {result.samples[-1].t_s:.1f} s, "
            f"{len(result.processes)} process samples"]


def _launches(result: Any) -> list[AmStart]:
    assert isinstance(result, list)
    return result
