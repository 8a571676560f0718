"""How often the nightly gate cries wolf, and how long a nightly takes: one accepted baseline run of a clean
candidate, then N clean nightlies of the same version against it, on the real stack (Appium 3, Chromium, SQLite).

    .venv/bin/python benchmarks/bench_gate.py --nightlies 8 [--candidate pixkit@1.5] [--device pixel7] [--repeat N]

Every nightly is a clean rerun, so every regression it reports is a false alarm. Prints one line per nightly and a
summary (false alarms, unconfirmed differences, wall time per nightly), and writes the figures as JSON.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nightlies", type=int, default=8)
    parser.add_argument("--candidate", default="pixkit@1.5")
    parser.add_argument("--device", default="pixel7")
    parser.add_argument("--repeat", type=int, default=1, help="run every cell N times (baseline and nightlies)")
    parser.add_argument("--gate", default=None, metavar="FILE", help="gate file (thresholds) for every nightly")
    parser.add_argument("--out", default=None, metavar="FILE.json")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-gate-"))
    scenarios = tmp / "scenarios"
    scenarios.mkdir()
    (scenarios / "gate.yaml").write_text(yaml.safe_dump(SCENARIO, sort_keys=False))
    store = tmp / "reports" / "results.db"
    common: list[str | Path] = ["--devices", ROOT / "devices.yaml", "--scenarios", scenarios, "--store", store,
                                "--candidate", args.candidate, "--device", args.device, "--known-issues", "",
                                "--no-report", "--repeat", str(args.repeat)]
    code, base_s, out = _harness("run", *common, "--run-dir", tmp / "reports" / "base")
    if code != 0:
        print(out[-3000:])
        return 1
    code, _, out = _harness("baseline", "accept", tmp / "reports" / "base", "--store", store)
    if code != 0:
        print(out)
        return 1
    nights: list[dict[str, Any]] = []
    for n in range(args.nightlies):
        run_dir = tmp / "reports" / f"night{n}"
        gate_args: list[str | Path] = ["--gate", Path(args.gate).resolve()] if args.gate else []
        code, wall_s, out = _harness("nightly", *common, *gate_args, "--run-dir", run_dir)
        gate = json.loads((run_dir / "gate.json").read_text()) if (run_dir / "gate.json").is_file() else {}
        comparisons = [c for comp in gate.get("comparisons", []) for cell in comp["report"]["cells"]
                       for c in cell["comparisons"]]
        night = {"exit": code, "wall_s": round(wall_s, 1), "verdict": gate.get("verdict"),
                 "regressions": [r["message"] for r in gate.get("regressions", [])],
                 "unconfirmed": [r["message"] for r in gate.get("unconfirmed", [])],
                 "significant": sorted(c["metric"] for c in comparisons if c["significant"]),
                 "threshold_only": sorted(c["metric"] for c in comparisons if c["basis"] == "threshold_only"),
                 "delta_pct": {c["metric"]: c["delta_pct"] for c in comparisons if c["delta_pct"] is not None}}
        nights.append(night)
        print(f"night {n}: exit {code} {night['verdict']} in {wall_s:.1f} s; regressions "
              f"{len(night['regressions'])}, unconfirmed {len(night['unconfirmed'])}, significant "
              f"{night['significant']}", flush=True)
        for line in night["regressions"] + night["unconfirmed"]:
            print(f"    {line}")
    false_alarms = sum(1 for n in nights if n["exit"] == 1)
    summary = {
        "candidate": args.candidate, "device": args.device, "repeat": args.repeat, "nightlies": len(nights),
        "baseline_run_s": round(base_s, 1),
        "false_alarm_nightlies": false_alarms,
        "exit_codes": [n["exit"] for n in nights],
        "unconfirmed_total": sum(len(n["unconfirmed"]) for n in nights),
        "wall_s_median": round(statistics.median(n["wall_s"] for n in nights), 1) if nights else None,
        "max_abs_delta_pct": {m: round(max(abs(n["delta_pct"].get(m, 0.0)) for n in nights), 1)
                              for m in sorted({m for n in nights for m in n["delta_pct"]})},
        "nights": nights,
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "nights"}, indent=1))
    out_path = Path(args.out) if args.out else tmp / "bench_gate.json"
    out_path.write_text(json.dumps(summary, indent=1))
    print(f"figures: {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
