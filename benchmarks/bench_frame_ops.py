"""Time per call of the per-frame operations the analysis is built on, median of N calls after one warm-up call
(which fills their caches):

- `render_frame`: one frame of the reference clip at its own size (360x640);
- `decode_index`: read the index code, upright at 360x640 and at 1080x1920, in bars, mirrored, rotated by 90 degrees
  (the version 2 clip; "v1" rows: the version 1 clip, as before version 2); on a 1080x2400 phone screen (the clip
  aspect-filled under a status bar and camera controls): found by the code-box finder, and read at the box the
  previous frame gave (what every frame after the first costs);
- `estimate_geometry`: recover the geometry of a frame turned by 90 degrees and JPEG-compressed, at 360x640.

Run: `.venv/bin/python benchmarks/bench_frame_ops.py [--repeats N] [--json]`."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable

import cv2
import numpy as np

from harness.capture.clip import render_frame
from harness.capture.phonescreen import compose_preview, controls_rgb, preview_place, status_bar_rgb
from harness.clipspec import ClipSpec
from harness.metrics.geometry import estimate_geometry
from harness.metrics.indexcode import decode_index

SPEC = ClipSpec()
V1 = ClipSpec(version=1)
# Budgets: what the analysis of a 30 fps capture can afford per frame on one core of a CI machine.
BUDGET_MS = {"render_frame": 5.0, "decode_index upright": 1.5, "decode_index upright 1080p": 3.0,
             "estimate_geometry": 60.0}  # fmt: skip


def _jpeg(image: np.ndarray, quality: int = 85) -> np.ndarray:
    ok, buffer = cv2.imencode(".jpg", np.ascontiguousarray(image[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.ascontiguousarray(cv2.imdecode(buffer, cv2.IMREAD_COLOR)[..., ::-1])


def cases() -> dict[str, Callable[[], object]]:
    frame = render_frame(SPEC, 5)
    bars = np.zeros((frame.shape[0] + 200, frame.shape[1], 3), np.uint8)
    bars[100:-100] = frame
    big = cv2.resize(frame, (1080, 1920))
    mirrored = np.ascontiguousarray(frame[:, ::-1])
    rotated = np.ascontiguousarray(np.rot90(frame))
    source = render_frame(SPEC, 37)
    turned = _jpeg(np.ascontiguousarray(np.rot90(source, k=-1)))
    for image in (frame, bars, big, mirrored, rotated):
        assert decode_index(image, spec=SPEC) is not None
    old = render_frame(V1, 5)
    old_bars = np.zeros((old.shape[0] + 200, old.shape[1], 3), np.uint8)
    old_bars[100:-100] = old
    screen = np.zeros((2400, 1080, 3), np.uint8)
    phone = compose_preview(frame, screen, preview_place(SPEC, (1080, 2400), "fill"))
    phone[:144] = status_bar_rgb(1080, 144)
    phone[-360:] = controls_rgb(1080, 360)
    first = decode_index(phone, spec=SPEC)
    assert first is not None
    assert decode_index(old, spec=V1) is not None
    assert decode_index(old_bars, spec=V1) is not None
    counter = iter(range(10**9))
    return {
        "render_frame": lambda: render_frame(SPEC, next(counter) % SPEC.frames),
        "decode_index upright": lambda: decode_index(frame, spec=SPEC),
        "decode_index upright 1080p": lambda: decode_index(big, spec=SPEC),
        "decode_index in bars": lambda: decode_index(bars, spec=SPEC),
        "decode_index mirrored": lambda: decode_index(mirrored, spec=SPEC),
        "decode_index rotated 90": lambda: decode_index(rotated, spec=SPEC),
        "decode_index v1 upright": lambda: decode_index(old, spec=V1),
        "decode_index v1 in bars": lambda: decode_index(old_bars, spec=V1),
        "decode_index phone 1080x2400, finder": lambda: decode_index(phone, spec=SPEC),
        "decode_index phone 1080x2400, box remembered": lambda: decode_index(phone, spec=SPEC, prefer=first),
        "estimate_geometry": lambda: estimate_geometry(turned, source),
    }


def timings_ms(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    call()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1000, float(np.min(times)) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=100, help="calls per operation (default 100)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    results = {name: timings_ms(call, args.repeats) for name, call in cases().items()}
    over = [name for name, (median, _) in results.items() if median > BUDGET_MS.get(name, float("inf"))]
    if args.json:
        print(json.dumps({"python": platform.python_version(), "repeats": args.repeats, "over_budget": over,
                          "ms": {k: {"median": round(m, 3), "min": round(n, 3), "budget": BUDGET_MS.get(k)}
                                 for k, (m, n) in results.items()}}))  # fmt: skip
    else:
        load = os.getloadavg()[0]
        print(f"# {platform.machine()}, Python {platform.python_version()}, {args.repeats} calls, load {load:.2f}")
        print("| operation | median ms | min ms | budget ms |\n|---|---|---|---|")
        for name, (median, low) in results.items():
            budget = BUDGET_MS.get(name)
            print(f"| {name} | {median:.3f} | {low:.3f} | {'' if budget is None else f'{budget:g}'} |")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
