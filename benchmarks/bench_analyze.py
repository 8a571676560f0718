"""Throughput of `harness analyze` on one CPU core, next to decoding alone (the floor) and a naive per-frame OpenCV
loop, for 720x1280 and 1080x1920 H.264 recordings of the reference clip (10 s and 60 s, 30 fps), plus the peak
memory of the analyze process. Run: `.venv/bin/python benchmarks/bench_analyze.py [--quick]`."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2

from harness.capture.clip import clip_info, write_video
from harness.capture.video import iter_frames, probe
from harness.cli import main as cli_main
from harness.clipspec import ClipSpec
from harness.metrics.frames import analyze_timeline
from harness.metrics.indexcode import decode_index
from harness.paths import cache_dir

FPS = 30
LOOP_S = 10  # the clip is a 10 s loop; the 60 s recordings show it six times, as a looping fake camera does
SIZES = {"720p": (720, 1280), "1080p": (1080, 1920)}
LENGTHS_S = (10, 60)
GOAL_X_REALTIME = 10.0
GOAL_VS_DECODE = 1.5


@dataclass(frozen=True)
class Recording:
    name: str
    video: Path
    info: Path
    frames: int
    duration_s: float


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float
    peak_rss_kb: int | None = None


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def ensure_recording(root: Path, size: str, length_s: int) -> Recording:
    """The clip at `size` as 30 fps H.264 of `length_s` seconds, written once into `root` and reused."""
    width, height = SIZES[size]
    spec = ClipSpec(width=width, height=height, fps=FPS, frames=LOOP_S * FPS)
    loop = root / f"clip-{size}-{LOOP_S}s.mp4"
    info = root / f"clip-{size}.json"
    if not loop.is_file():
        tmp = root / f".{loop.name}.{os.getpid()}.mp4"
        write_video(spec, tmp)
        tmp.replace(loop)
    if not info.is_file():
        info.write_text(json.dumps(clip_info(spec)), encoding="utf-8")
    video = loop
    if length_s != LOOP_S:
        video = root / f"clip-{size}-{length_s}s.mp4"
        if not video.is_file():
            tmp = root / f".{video.name}.{os.getpid()}.mp4"
            _ffmpeg("-stream_loop", str(length_s // LOOP_S - 1), "-i", str(loop), "-c", "copy", str(tmp))
            tmp.replace(video)
    found = probe(video)
    if found.frame_count != length_s * FPS:
        raise SystemExit(f"{video}: {found.frame_count} frames, expected {length_s * FPS}; delete it and rerun")
    return Recording(f"{size} {length_s}s", video, info, found.frame_count, found.duration_s)


def run_command(cmd: list[str]) -> Timing:
    """Wall and CPU time (the command and every process it waited for) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace")  # small: nothing but the peak RSS line or an error
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()[-400:]}")
    lines = err.strip().splitlines()
    peak = int(lines[-1]) if lines and lines[-1].isdigit() else None
    return Timing(wall, usage.ru_utime + usage.ru_stime, peak)


def naive_opencv(video: Path, info: Path) -> None:
    """The straightforward approach: OpenCV reads every frame, the full frame is decoded, then the statistics."""
    spec = ClipSpec.from_info(json.loads(info.read_text(encoding="utf-8")))
    cap = cv2.VideoCapture(str(video), cv2.CAP_FFMPEG)
    t_ms: list[float] = []
    indices: list[int | None] = []
    try:
        while True:
            ok, frame_bgr = cap.read()
            if not ok:
                break
            t_ms.append(float(cap.get(cv2.CAP_PROP_POS_MSEC)))
            found = decode_index(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB), spec=spec)
            indices.append(None if found is None else found.index)
    finally:
        cap.release()
    if None in indices:
        raise SystemExit(f"naive loop: {indices.count(None)} of {len(indices)} frames unread in {video}")
    analyze_timeline(t_ms, indices, source_fps=float(spec.fps), clip_frames=spec.frames)


def full_size_path(video: Path, info: Path) -> None:
    """What `harness analyze` did before its fast pass: every frame at full size in RGB through iter_frames."""
    spec = ClipSpec.from_info(json.loads(info.read_text(encoding="utf-8")))
    t_ms: list[float] = []
    indices: list[int | None] = []
    for t, frame in iter_frames(video):
        found = decode_index(frame, spec=spec)
        t_ms.append(t)
        indices.append(None if found is None else found.index)
    analyze_timeline(t_ms, indices, source_fps=float(spec.fps), clip_frames=spec.frames)


def harness_analyze(video: Path, info: Path) -> None:
    """`harness analyze VIDEO --clip-info INFO --json`, through the command's own entry point."""
    code = cli_main(["analyze", str(video), "--clip-info", str(info), "--json"])
    if code != 0:
        raise SystemExit(f"harness analyze {video} exited with {code}")


METHODS: dict[str, Callable[[Path, Path], None]] = {
    "naive": naive_opencv,
    "full-size": full_size_path,
    "analyze": harness_analyze,
}


def peak_rss_kb() -> int:
    """This process's peak RSS since exec (VmHWM; ru_maxrss would count the parent's memory at fork time)."""
    with Path("/proc/self/status").open(encoding="ascii") as status:
        return int(next(line.split()[1] for line in status if line.startswith("VmHWM:")))


FLOOR = "decode only: ffmpeg -threads 1 -f null"  # the floor
NAIVE = "naive: cv2.VideoCapture + full-frame decode_index"
BEFORE = "full-size RGB: iter_frames + decode_index"
ANALYZE = "harness analyze --json"


def measure(rec: Recording, repeat: int, *, skip_slow: bool) -> dict[str, Timing]:
    """Best (smallest) wall and CPU time of each method over `repeat` interleaved rounds; the largest peak RSS."""
    commands: dict[str, Callable[[], Timing]] = {
        FLOOR: lambda: run_command(
            ["ffmpeg", "-hide_banner", "-nostdin", "-threads", "1", "-i", str(rec.video), "-f", "null", "-"]
        ),
        NAIVE: lambda: run_command([sys.executable, __file__, "--run", "naive", str(rec.video), str(rec.info)]),
        BEFORE: lambda: run_command([sys.executable, __file__, "--run", "full-size", str(rec.video), str(rec.info)]),
        ANALYZE: lambda: run_command([sys.executable, __file__, "--run", "analyze", str(rec.video), str(rec.info)]),
    }
    if skip_slow:
        del commands[BEFORE]
    best: dict[str, Timing] = {}
    for _ in range(repeat):
        for name, run in commands.items():
            got = run()
            old = best.get(name, got)
            peaks = [p for p in (old.peak_rss_kb, got.peak_rss_kb) if p is not None]
            best[name] = Timing(min(old.wall_s, got.wall_s), min(old.cpu_s, got.cpu_s), max(peaks, default=None))
    return best


def check_analyze_output(rec: Recording) -> None:
    """The benchmark only counts if analyze read every frame."""
    out = subprocess.run(
        [sys.executable, "-m", "harness.cli", "analyze", str(rec.video), "--clip-info", str(rec.info), "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout)
    unread = sum(f["source_index"] is None for f in result["frames"])
    if len(result["frames"]) != rec.frames or unread or result["dropped_frames"] or result["repeated_frames"]:
        raise SystemExit(f"analyze misread {rec.video}: {len(result['frames'])} frames, {unread} unread")


def print_table(rows: list[tuple[Recording, dict[str, Timing]]]) -> None:
    print("| recording | method | wall s | CPU s | frames/s (CPU) | x real time (CPU) | CPU vs decode only "
          "| peak RSS MB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for rec, timings in rows:
        floor = timings[FLOOR]
        for name, t in timings.items():
            rss = f"{t.peak_rss_kb / 1024:.0f}" if t.peak_rss_kb else "-"
            print(
                f"| {rec.name} | {name} | {t.wall_s:.2f} | {t.cpu_s:.2f} | {rec.frames / t.cpu_s:.0f} | "
                f"{rec.duration_s / t.cpu_s:.1f} | {t.cpu_s / floor.cpu_s:.2f} | {rss} |"
            )


def print_summary(rows: list[tuple[Recording, dict[str, Timing]]]) -> None:
    print()
    rss: dict[str, dict[str, int]] = {}
    for rec, timings in rows:
        analyze, floor, naive = timings[ANALYZE], timings[FLOOR], timings[NAIVE]
        x_rt = rec.duration_s / analyze.cpu_s
        vs_decode = analyze.cpu_s / floor.cpu_s
        before = ""
        if BEFORE in timings:
            before = f", {timings[BEFORE].cpu_s / analyze.cpu_s:.1f}x faster than full-size RGB"
        print(
            f"{rec.name}: analyze {x_rt:.1f}x real time (goal >= {GOAL_X_REALTIME:g}x: "
            f"{'met' if x_rt >= GOAL_X_REALTIME else 'not met'}; decoding alone {rec.duration_s / floor.cpu_s:.1f}x), "
            f"{vs_decode:.2f}x the CPU of decoding alone (goal <= {GOAL_VS_DECODE:g}x: "
            f"{'met' if vs_decode <= GOAL_VS_DECODE else 'not met'}), {naive.cpu_s / analyze.cpu_s:.1f}x the speed of "
            f"naive{before}"
        )
        size, length = rec.name.split()
        rss.setdefault(size, {})[length] = analyze.peak_rss_kb or 0
    for size, by_length in rss.items():
        if len(by_length) > 1:
            text = ", ".join(f"{length} {kb / 1024:.0f} MB" for length, kb in by_length.items())
            print(f"{size}: analyze peak RSS {text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="720p 10 s only, one repetition")
    parser.add_argument("--repeat", type=int, help="rounds; each method's best time is kept (default 3, --quick 1)")
    parser.add_argument("--skip-slow", action="store_true", help="leave out the full-size RGB path (slowest row)")
    parser.add_argument("--cpu", type=int, default=0, help="the one CPU core everything runs on (default 0)")
    parser.add_argument("--cache", type=Path, default=cache_dir() / "bench", help="where the recordings are kept")
    parser.add_argument("--run", choices=sorted(METHODS), help=argparse.SUPPRESS)  # one method, in a child
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:  # one measured method, in its own process (run_command times it and reads the peak RSS)
        cv2.setNumThreads(1)
        METHODS[args.run](*args.paths)
        print(peak_rss_kb(), file=sys.stderr)
        return 0
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg is not on PATH")
    os.sched_setaffinity(0, {args.cpu})  # children (ffmpeg, the analyze command) inherit the one core
    cv2.setNumThreads(1)
    args.cache.mkdir(parents=True, exist_ok=True)
    cases = [("720p", 10)] if args.quick else [(s, n) for s in SIZES for n in LENGTHS_S]
    repeat = args.repeat or (1 if args.quick else 3)
    print(f"# {platform.node()}: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"pinned to CPU {args.cpu}, best of {repeat}, load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    rows = []
    for size, length in cases:
        rec = ensure_recording(args.cache, size, length)
        check_analyze_output(rec)
        rows.append((rec, measure(rec, repeat, skip_slow=args.skip_slow)))
    print_table(rows)
    print_summary(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
