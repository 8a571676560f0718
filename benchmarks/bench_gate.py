"""How often the nightly gate cries wolf, and how long a nightly takes: one accepted baseline run of a clean
candidate, then N clean nightlies of the same version against it, on the real stack (Appium 3, Chromium, SQLite).

    .venv/bin/python benchmarks/bench_gate.py --nightlies 8 [--candidate pixkit@1.5] [--device pixel7] [--repeat N]
        [--gate FILE] [--scenarios gate|DIR] [--planted-slow-start MS]

Every clean nightly is a rerun of the baseline's version, so every regression it reports is a false alarm.
`--device all` runs every device of devices.yaml; `--scenarios scenarios` the shipped scenarios (default: the
end-to-end gate test's one scenario). `--planted-slow-start MS` first runs one nightly of the candidate's next
version ("1.6" for 1.5), built with the slow-start fault switch (apps/README.md): the gate must exit 1 on it.
Prints one line per nightly and a summary (false alarms, unconfirmed differences, wall time per nightly), and
writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
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
from tests.e2e.test_gate import SCENARIO  # noqa: E402  (the end-to-end gate test's scenario, measured here)


def _harness(*args: str | Path) -> tuple[int, float, str]:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "harness.cli", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    return proc.returncode, time.monotonic() - start, proc.stdout + proc.stderr


def _inputs(tmp: Path, candidate: str, planted_ms: int | None) -> tuple[Path, str | None]:
    """devices.yaml for the run (with the planted version added when asked) and the planted candidate's id. The
    file sits in `tmp` beside a link to the shipped apps/, so its relative paths (LUTs) still resolve."""
    if planted_ms is None:
        return ROOT / "devices.yaml", None
    data = yaml.safe_load((ROOT / "devices.yaml").read_text(encoding="utf-8"))
    sdk, version = candidate.split("@", 1)
    clean = next(c for c in data["candidates"] if c["sdk"] == sdk and str(c["version"]) == version)
    major, _, minor = version.partition(".")
    planted_version = f"{major}.{int(minor or 0) + 1}"
    url = clean["app"]["web"]["url"]
    fault = f"fault=slow_start&slow_start_ms={planted_ms}"
    planted = {**clean, "version": planted_version,
               "app": {**clean["app"], "web": {"url": f"{url}{'&' if '?' in url else '?'}{fault}"}}}
    data["candidates"].append(planted)
    (tmp / "apps").symlink_to(ROOT / "apps", target_is_directory=True)
    devices = tmp / "devices.yaml"
    devices.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return devices, f"{sdk}@{planted_version}"


def _night(run_dir: Path, code: int, wall_s: float) -> dict[str, Any]:
    gate = json.loads((run_dir / "gate.json").read_text()) if (run_dir / "gate.json").is_file() else {}
    comparisons = [c for comp in gate.get("comparisons", []) for cell in comp["report"]["cells"]
                   for c in cell["comparisons"]]
    return {"exit": code, "wall_s": round(wall_s, 1), "verdict": gate.get("verdict"),
            "regressions": [r["message"] for r in gate.get("regressions", [])],
            "unconfirmed": [r["message"] for r in gate.get("unconfirmed", [])],
            "comparisons": len(comparisons),
            "significant": sorted(c["metric"] for c in comparisons if c["significant"]),
            "threshold_only": sorted(c["metric"] for c in comparisons if c["basis"] == "threshold_only"),
            "delta_pct": {f"{cell['device']}/{cell['scenario']}/{c['metric']}": c["delta_pct"]
                          for comp in gate.get("comparisons", []) for cell in comp["report"]["cells"]
                          for c in cell["comparisons"] if c["delta_pct"] is not None}}


def _print(label: str, night: dict[str, Any]) -> None:
    print(f"{label}: exit {night['exit']} {night['verdict']} in {night['wall_s']:.1f} s; "
          f"{night['comparisons']} comparisons, regressions {len(night['regressions'])}, unconfirmed "
          f"{len(night['unconfirmed'])}, significant {night['significant']}", flush=True)
    for line in night["regressions"] + night["unconfirmed"]:
        print(f"    {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nightlies", type=int, default=8)
    parser.add_argument("--candidate", default="pixkit@1.5")
    parser.add_argument("--device", action="append", default=None,
                        help="device id, repeatable; 'all' for every device (default pixel7)")
    parser.add_argument("--repeat", type=int, default=1, help="run every cell N times (baseline and nightlies)")
    parser.add_argument("--gate", default=None, metavar="FILE", help="gate file (thresholds) for every nightly")
    parser.add_argument("--scenarios", default="gate", metavar="gate|DIR",
                        help="'gate' (the end-to-end gate test's scenario) or a scenarios folder, e.g. scenarios")
    parser.add_argument("--planted-slow-start", type=int, default=None, metavar="MS",
                        help="first run one nightly of the next version with the slow-start fault of MS ms")
    parser.add_argument("--out", default=None, metavar="FILE.json")
    args = parser.parse_args()
    devices_arg = args.device or ["pixel7"]

    tmp = Path(tempfile.mkdtemp(prefix="bench-gate-"))
    if args.scenarios == "gate":
        scenarios = tmp / "scenarios"
        scenarios.mkdir()
        (scenarios / "gate.yaml").write_text(yaml.safe_dump(SCENARIO, sort_keys=False))
    else:
        scenarios = Path(args.scenarios).resolve()
    devices, planted = _inputs(tmp, args.candidate, args.planted_slow_start)
    store = tmp / "reports" / "results.db"
    device_args: list[str | Path] = [] if "all" in devices_arg else [a for d in devices_arg for a in ("--device", d)]
    common: list[str | Path] = ["--devices", devices, "--scenarios", scenarios, "--store", store, *device_args,
                                "--known-issues", "", "--no-report", "--repeat", str(args.repeat)]
    gate_args: list[str | Path] = ["--gate", Path(args.gate).resolve()] if args.gate else []
    code, base_s, out = _harness("run", *common, "--candidate", args.candidate, "--run-dir", tmp / "reports" / "base")
    if code not in (0, 1):  # 1: some cells failed their expectations, which the baseline records as they are
        print(out[-3000:])
        return 1
    print(f"baseline: exit {code} in {base_s:.1f} s", flush=True)
    code, _, out = _harness("baseline", "accept", tmp / "reports" / "base", "--store", store)
    if code != 0:
        print(out)
        return 1
    planted_night = None
    if planted is not None:
        run_dir = tmp / "reports" / "planted"
        code, wall_s, out = _harness("nightly", *common, "--candidate", planted, *gate_args, "--run-dir", run_dir)
        planted_night = _night(run_dir, code, wall_s)
        _print(f"planted {planted} (+{args.planted_slow_start} ms slow start)", planted_night)
    nights: list[dict[str, Any]] = []
    for n in range(args.nightlies):
        run_dir = tmp / "reports" / f"night{n}"
        code, wall_s, out = _harness("nightly", *common, "--candidate", args.candidate, *gate_args,
                                     "--run-dir", run_dir)
        nights.append(_night(run_dir, code, wall_s))
        _print(f"night {n}", nights[-1])
    false_alarms = sum(1 for n in nights if n["exit"] == 1)
    summary = {
        "candidate": args.candidate, "devices": devices_arg, "scenarios": args.scenarios, "repeat": args.repeat,
        "nightlies": len(nights), "planted": planted_night,
        "baseline_run_s": round(base_s, 1),
        "false_alarm_nightlies": false_alarms,
        "exit_codes": [n["exit"] for n in nights],
        "unconfirmed_total": sum(len(n["unconfirmed"]) for n in nights),
        "wall_s_median": round(statistics.median(n["wall_s"] for n in nights), 1) if nights else None,
        "comparisons_per_nightly": nights[0]["comparisons"] if nights else None,
        "max_abs_delta_pct": {m: round(max(abs(n["delta_pct"].get(m, 0.0)) for n in nights), 1)
                              for m in sorted({m for n in nights for m in n["delta_pct"]})},
        "nights": nights,
    }
    print(json.dumps({k: v for k, v in summary.items() if k not in ("nights", "max_abs_delta_pct", "planted")},
                     indent=1))
    out_path = Path(args.out) if args.out else tmp / "bench_gate.json"
    out_path.write_text(json.dumps(summary, indent=1))
    print(f"figures: {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
