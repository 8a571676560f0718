"""Phone screen recordings of the reference clip (harness.capture.phonescreen): how many presented frames
`harness analyze` reads, and its CPU time per frame, for each kind of recording; the version 1 clip in the same
recordings shows what the harness read before clip version 2.

Run: `.venv/bin/python benchmarks/bench_phone.py [--seconds S] [--cache DIR]` (recordings are written once)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

from harness.capture.clip import clip_info
from harness.capture.phonescreen import phone_recording, screen_schedule
from harness.clipspec import ClipSpec
from harness.paths import cache_dir

KINDS: dict[str, dict[str, object]] = {
    "portrait fill 1080x2400 60 Hz H.264": {"screen": (1080, 2400), "fit": "fill", "refresh_hz": 60},
    "portrait letterbox 720x1600 90 Hz VP9": {"screen": (720, 1600), "fit": "letterbox", "refresh_hz": 90,
                                              "codec": "vp9"},
    "portrait fill 540x1200 (downscaled) 120 Hz H.264": {"screen": (540, 1200), "fit": "fill", "refresh_hz": 120},
    "landscape fill 2400x1080 30 Hz H.264": {"screen": (2400, 1080), "fit": "fill", "refresh_hz": 30,
                                             "landscape": True},
}


def _cpu_s() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> int:
    from harness.analyze import analyze_video

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="clip length shown (default 10)")
    parser.add_argument("--cache", type=Path, default=None, help="where recordings are kept (default .cache/bench)")
    args = parser.parse_args(argv)
    root = args.cache or cache_dir() / "bench"
    root.mkdir(parents=True, exist_ok=True)
    print(f"# {platform.machine()}, Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}")
    print("| recording | clip | frames read / presented | analyze CPU ms per frame |")
    print("|---|---|---|---|")
    for name, kind in KINDS.items():
        for version in (1, 2):
            landscape = bool(kind.get("landscape"))
            size = (640, 360) if landscape else (360, 640)
            spec = ClipSpec(width=size[0], height=size[1], frames=30 * args.seconds, version=version)
            options = {k: v for k, v in kind.items() if k != "landscape"}
            suffix = ".webm" if options.get("codec", "h264") != "h264" else ".mp4"
            slug = name.split(" H.")[0].split(" VP")[0].replace(" ", "-").replace("(", "").replace(")", "")
            video = root / f"phone-{slug}-v{version}-{args.seconds}s{suffix}"
            if not video.is_file():
                tmp = video.with_name(f".{video.stem}.{os.getpid()}{suffix}")
                phone_recording(spec, tmp, **options)  # type: ignore[arg-type]
                tmp.replace(video)
            info = root / f"clip-v{version}-{size[0]}x{size[1]}-{args.seconds}s.json"
            info.write_text(json.dumps(clip_info(spec)), encoding="utf-8")
            shown = screen_schedule(spec, refresh_hz=int(options["refresh_hz"]))  # type: ignore[call-overload]
            start = _cpu_s()
            t0 = time.perf_counter()
            try:
                result = analyze_video(video, clip_info_path=info)
                read = [f["source_index"] for f in result["frames"]]
                exact = sum(a == b for a, b in zip(read, shown, strict=True))
            except Exception as exc:
                exact = 0
                print(f"<!-- v{version} {name}: {exc} -->")
            cpu_ms = (_cpu_s() - start) * 1000 / len(shown)
            wall = time.perf_counter() - t0
            print(f"| {name} | v{version} | {exact} / {len(shown)} | {cpu_ms:.2f} (wall {wall:.1f} s) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
