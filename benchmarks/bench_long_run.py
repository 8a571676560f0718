"""A long run stays flat: N short items (default 1,000) through the real stack (Appium 3 server, headless Chromium)
while the harness's memory, open files and processes are sampled; nothing may be left running at the end.

    flock /tmp/e2e.lock .venv/bin/python benchmarks/bench_long_run.py [--items 1000] [--every 25] [--json FILE]

The run is `harness run --repeat R --no-report` of copies of one tiny scenario (`launch: cold`, `wait: 0.2`)
on pixel7 x glfx@1.0: ceil(N / 100) copies, R = N / copies (--repeat allows at most 100). Every `--every` finished
items (read from results.jsonl) it samples:
- harness_rss_mb: resident memory (VmRSS) of the harness process itself;
- tree_rss_mb: VmRSS summed over the harness, its own process group and the process groups it recorded in
  .cache/pids/ (Appium server, chromedriver, Chromium): shared pages are counted once per process;
- harness_fds: open file descriptors of the harness (/proc/PID/fd);
- processes: processes in those groups.
The slope of each over items (least squares, per 100 items) is printed, with the first and last samples; the
benchmark fails when the harness's RSS grows by more than 2 MB per 100 items, its fds by more than 1 per 100
items, or the process count by more than 1 per 100 items, or when anything of the run is left afterwards.
The first 10 % of samples (warm-up: imports, first browser) are left out of the slopes. --no-report: the Allure
report of a thousand items measures Allure, not the run (the report is exercised in tests/e2e/test_faults.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness import procs  # noqa: E402

SCENARIO = "name: tick\ndescription: shortest item\nkind: startup\nsteps:\n  - launch: cold\n  - wait: 0.2\n"


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def _fds(pid: int) -> int:
    try:
        return sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return 0


def _group(pgid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _owned(harness_pid: int, seen: dict[int, procs.OwnedProcess]) -> None:
    folder = procs.pids_dir()
    for path in folder.glob("*.json") if folder.is_dir() else []:
        owned = procs.load(path)
        if owned is not None and owned.owner_pid == harness_pid:
            seen[owned.pgid] = owned


def _slope_per_100(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    den = sum((x - mx) ** 2 for x in xs)
    return 100.0 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--every", type=int, default=25)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-long-"))
    (work / "scenarios").mkdir()
    # --repeat allows at most 100: N items are ceil(N / 100) identical scenario files x the repeat count.
    files = -(-args.items // 100)
    repeat = -(-args.items // files)
    for i in range(files):
        (work / "scenarios" / f"tick-{i:02d}.yaml").write_text(SCENARIO.replace("name: tick", f"name: tick-{i:02d}"))
    run_dir = work / "run"
    cmd = [sys.executable, "-m", "harness.cli", "run", "--device", "pixel7", "--candidate", "glfx@1.0",
           "--scenarios", str(work / "scenarios"), "--run-dir", str(run_dir), "--store", str(work / "r.db"),
           "--no-report", "--repeat", str(repeat)]
    print(f"load average {os.getloadavg()[0]:.1f}; {args.items} items; {' '.join(cmd[2:])}", flush=True)
    started = time.monotonic()
    with (work / "out.txt").open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    groups: dict[int, procs.OwnedProcess] = {}
    samples: list[dict[str, float]] = []
    next_at = args.every
    jsonl = run_dir / "results.jsonl"
    while proc.poll() is None:
        _owned(proc.pid, groups)
        done = len(jsonl.read_bytes().splitlines()) if jsonl.exists() else 0
        if done >= next_at:
            pids = set(_group(proc.pid)) | {p for g in groups for p in _group(g)}
            sample = {"items": float(done), "elapsed_s": time.monotonic() - started,
                      "harness_rss_mb": _rss_mb(proc.pid), "tree_rss_mb": sum(_rss_mb(p) for p in pids),
                      "harness_fds": float(_fds(proc.pid)), "processes": float(len(pids))}
            samples.append(sample)
            print(" ".join(f"{k}={v:.1f}" for k, v in sample.items()), flush=True)
            next_at = (done // args.every + 1) * args.every
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    time.sleep(2.0)
    left = [p for p in _group(proc.pid)] + [p for o in groups.values() for p in procs.group_members(o)]
    records = [json.loads(x) for x in jsonl.read_text().splitlines()] if jsonl.exists() else []
    statuses = {s: sum(1 for r in records if r["status"] == s) for s in ("passed", "failed", "broken")}
    body = samples[max(1, len(samples) // 10):]
    xs = [s["items"] for s in body]
    slopes = {k: _slope_per_100(xs, [s[k] for s in body]) for k in ("harness_rss_mb", "tree_rss_mb",
                                                                      "harness_fds", "processes")}
    result = {"items": len(records), "exit_code": proc.returncode, "elapsed_s": round(elapsed, 1),
              "s_per_item": round(elapsed / max(1, len(records)), 2), "statuses": statuses,
              "slopes_per_100_items": {k: round(v, 3) for k, v in slopes.items()},
              "first": samples[0] if samples else None, "last": samples[-1] if samples else None,
              "left_running": len(left), "server_groups": len(groups)}
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps({**result, "samples": samples}, indent=1))
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    ok = (proc.returncode == 0 and not left and slopes["harness_rss_mb"] <= 2.0 and slopes["harness_fds"] <= 1.0
          and slopes["processes"] <= 1.0)
    print("FLAT" if ok else "NOT FLAT or not clean: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
