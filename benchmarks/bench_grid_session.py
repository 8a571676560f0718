"""What Selenium Grid costs per session: new-session time through a real Grid 4 hub and relay node vs straight to
the same Appium server, on the harness's own web capabilities (headless Chromium, pixel7 profile).

    flock /tmp/e2e.lock .venv/bin/python benchmarks/bench_grid_session.py [--sessions 10] [--json FILE]

Starts `grid up` for one web device (hub + one Appium server + one relay node) in a folder of its own, then
creates and quits N sessions each way, interleaved (grid, direct, grid, ...), so a busy moment hits both alike.
Session time = `webdriver.Remote(...)` returning (DeviceSession.created_s, monotonic clock); quit is not counted.
Prints the grid start-up time, median / min / max per route and the median difference, and stops everything.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.capture.clip import ensure_clip  # noqa: E402
from harness.clipspec import ClipSpec  # noqa: E402
from harness.config import load_config  # noqa: E402
from harness.devices import grid  # noqa: E402
from harness.devices.appium_server import free_port  # noqa: E402
from harness.devices.capabilities import SessionPlan, capabilities_for  # noqa: E402
from harness.devices.session import DeviceSession  # noqa: E402
from harness.paths import cache_dir  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    matrix = load_config(ROOT / "devices.yaml")
    device = next(d for d in matrix.devices if d.id == "pixel7")
    candidate = matrix.candidates[0]
    clip = ensure_clip(ClipSpec(), cache_dir() / "clips")
    times: dict[str, list[float]] = {"grid": [], "direct": []}
    with tempfile.TemporaryDirectory(prefix="harness-bench-grid-") as tmp:
        os.environ["HARNESS_GRID_DIR"] = tmp
        started = time.monotonic()
        state = grid.grid_up([device], hub_port=free_port())
        up_s = time.monotonic() - started
        try:
            direct_url = f"http://{grid.HOST}:{state.nodes[0]['appium_port']}"
            routes = {"grid": (state.hub_url, {"harness:device": device.id}), "direct": (direct_url, {})}
            for _ in range(args.sessions):
                for route, (url, extra) in routes.items():
                    caps = {**capabilities_for(device, candidate, SessionPlan(clip_path=clip,
                                                                              chromedriver_port=free_port())),
                            **extra}
                    session = DeviceSession(server_url=url, capabilities=caps, locators={}, platform="web",
                                            label=f"{device.id} via {route}").open()
                    times[route].append(session.created_s)
                    session.quit()
        finally:
            grid.stop_all(state)
    rows = {route: {"median_s": statistics.median(v), "min_s": min(v), "max_s": max(v), "n": len(v)}
            for route, v in times.items()}
    print(f"grid up (hub + 1 Appium + 1 relay node, registered): {up_s:.1f} s")
    for route, row in rows.items():
        print(f"{route:6} new session: median {row['median_s']:.3f} s, min {row['min_s']:.3f}, "
              f"max {row['max_s']:.3f} (n={row['n']})")
    overhead = rows["grid"]["median_s"] - rows["direct"]["median_s"]
    print(f"grid overhead (median difference): {overhead * 1000:+.0f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps({"grid_up_s": up_s, "routes": rows, "raw_s": times,
                                               "overhead_ms": overhead * 1000}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
