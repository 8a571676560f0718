"""Wall time of a matrix serial vs `--parallel 2`, through a real Selenium Grid 4 with two nodes and on local web
devices, and how far the measurements move when two devices share this machine.

    flock /tmp/e2e.lock .venv/bin/python benchmarks/bench_parallel.py [--scenario NAME ...] [--json FILE]

The subset: pixel7 and moto-e13 x glfx@1.0 and pixkit@1.5 x the scenarios given (default filter-warm, beauty-70,
effect-crown: 12 items). Grid: `harness grid up` (hub + two Appium servers + two relay nodes, all on this machine),
the devices with `connection: grid`, `harness run` with --parallel 1 then 2. Local: the same devices with
`connection: local`, --parallel 1 then `--parallel 2 --parallel-local`. Every run writes no report (--no-report:
the report is generated once at the end either way, the same time serial or parallel). Prints the `harness run`
process wall times and, per metric, the median over the items of (parallel - serial) for the same cell.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.devices.appium_server import free_port  # noqa: E402

DEVICES = ("pixel7", "moto-e13")
CANDIDATES = ("glfx@1.0", "pixkit@1.5")
METRICS = ("content_fps", "presented_fps", "startup_ms", "filter_latency_ms", "frame_time_p90_ms")


def devices_file(tmp: Path, connection: str) -> Path:
    data = yaml.safe_load((ROOT / "devices.yaml").read_text())
    data = {k: v for k, v in data.items() if not k.startswith("x-")}
    data["devices"] = [dict(d, connection=connection) for d in data["devices"] if d["id"] in DEVICES]
    for cand in data["candidates"]:
        for spec in (cand.get("filters") or {}).values():
            if "lut" in spec:
                spec["lut"] = str(ROOT / spec["lut"])
    path = tmp / f"devices-{connection}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def harness(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False, timeout=3600)


def matrix_run(tmp: Path, name: str, devices: Path, scenarios: list[str], extra: list[str],
               env: dict[str, str]) -> dict[str, Any]:
    run_dir = tmp / name
    args = ["run", "--devices", str(devices), "--run-dir", str(run_dir), "--no-report", "-q",
            "--store", str(tmp / "bench.db"), *extra]
    for c in CANDIDATES:
        args += ["--candidate", c]
    for s in scenarios:
        args += ["--scenario", s]
    started = time.monotonic()
    proc = harness(*args, env=env)
    wall_s = time.monotonic() - started
    records = json.loads((run_dir / "results.json").read_text()) if (run_dir / "results.json").exists() else []
    print(f"{name}: {wall_s:.1f} s, exit {proc.returncode}, {len(records)} items "
          f"({sum(r['status'] == 'broken' for r in records)} broken)", flush=True)
    return {"wall_s": round(wall_s, 1), "exit": proc.returncode, "records": records}


def shifts(serial: list[dict[str, Any]], parallel: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per metric: median of the serial values, median of (parallel - serial) per cell, and that as a %."""
    base = {(r["device"], r["candidate"], r["scenario"]): r["metrics"] for r in serial}
    out: dict[str, dict[str, float]] = {}
    for metric in METRICS:
        pairs = [(base[k][metric], r["metrics"][metric]) for r in parallel
                 if (k := (r["device"], r["candidate"], r["scenario"])) in base
                 and metric in base[k] and metric in r["metrics"]]
        if not pairs:
            continue
        serial_median = statistics.median(s for s, _ in pairs)
        delta = statistics.median(p - s for s, p in pairs)
        out[metric] = {"cells": len(pairs), "serial_median": round(serial_median, 2),
                       "parallel_median": round(statistics.median(p for _, p in pairs), 2),
                       "median_shift": round(delta, 2),
                       "median_shift_pct": round(100 * delta / serial_median, 1) if serial_median else 0.0}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", help="default: filter-warm, beauty-70, effect-crown")
    parser.add_argument("--skip-local", action="store_true", help="only the grid runs")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    scenarios = args.scenario or ["filter-warm", "beauty-70", "effect-crown"]
    result: dict[str, Any] = {"scenarios": scenarios, "devices": DEVICES, "candidates": CANDIDATES}
    with tempfile.TemporaryDirectory(prefix="harness-bench-parallel-") as name:
        tmp = Path(name)
        env = {**os.environ, "HARNESS_GRID_DIR": str(tmp / "grid")}
        grid_devices = devices_file(tmp, "grid")
        started = time.monotonic()
        up = harness("grid", "up", "--devices", str(grid_devices), "--hub-port", str(free_port()), env=env)
        result["grid_up_s"] = round(time.monotonic() - started, 1)
        try:
            if up.returncode != 0:
                raise SystemExit(f"grid up failed: {up.stdout}{up.stderr}")
            runs = {"grid_serial": matrix_run(tmp, "grid-serial", grid_devices, scenarios, ["--parallel", "1"], env),
                    "grid_parallel2": matrix_run(tmp, "grid-parallel2", grid_devices, scenarios,
                                                 ["--parallel", "2"], env)}
        finally:
            harness("grid", "down", env=env)
        if not args.skip_local:
            local = devices_file(tmp, "local")
            runs["local_serial"] = matrix_run(tmp, "local-serial", local, scenarios, ["--parallel", "1"], env)
            runs["local_parallel2"] = matrix_run(tmp, "local-parallel2", local, scenarios,
                                                 ["--parallel", "2", "--parallel-local"], env)
    for key, run in runs.items():
        result[key] = {"wall_s": run["wall_s"], "exit": run["exit"], "items": len(run["records"]),
                       "item_s_sum": round(sum(r["duration_s"] for r in run["records"]), 1)}
    result["grid_shift"] = shifts(runs["grid_serial"]["records"], runs["grid_parallel2"]["records"])
    if "local_serial" in runs:
        result["local_shift"] = shifts(runs["local_serial"]["records"], runs["local_parallel2"]["records"])
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
