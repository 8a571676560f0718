"""Where one item's time goes, and what the harness adds: one `filter-warm` item on pixel7 x glfx@1.0 through
`harness run` next to a bare Appium-Python-Client script doing the same steps with the same capture.

    flock /tmp/e2e.lock .venv/bin/python benchmarks/bench_item_overhead.py [--runs 3] [--json FILE]

Harness side: one `harness run --repeat R+1 --no-report` process; item #1 also starts the Appium server, so the
items #2..#R+1 are compared (record duration_s), each split by its details.json `timing_s` (session, launch,
steps, capture, analysis, logs; writing comes after the item's clock). Bare side: R times, against an Appium server
and app server started once beforehand (not counted): new session with the same capabilities (capabilities_for),
the same CPU throttling and probe (WebProbe), open the app URL, wait for the first camera frame, tap the filter,
wait the scenario's 1.0 s, capture 3 s through the probe (recording + 3 key frames + frame timeline), quit.
Prints the medians, the split and the overhead (harness / bare - 1).
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from appium import webdriver  # noqa: E402
from appium.options.common import AppiumOptions  # noqa: E402

from harness.appserver import AppServer  # noqa: E402
from harness.capture.clip import ensure_clip  # noqa: E402
from harness.capture.web import WebProbe  # noqa: E402
from harness.clipspec import ClipSpec  # noqa: E402
from harness.config import load_config  # noqa: E402
from harness.devices.appium_server import AppiumServer, free_port  # noqa: E402
from harness.devices.capabilities import SessionPlan, capabilities_for  # noqa: E402
from harness.devices.session import split_locator  # noqa: E402
from harness.paths import apps_dir, cache_dir, vendor_sdk_dir  # noqa: E402
from harness.results import item_dir, load_results  # noqa: E402
from harness.scenario.spans import Spans  # noqa: E402

DEVICE, CANDIDATE, SCENARIO = "pixel7", "glfx@1.0", "filter-warm"
WAIT_S, CAPTURE_S = 1.0, 3.0  # scenarios/filter.yaml


class _Raw:
    """The three calls WebProbe makes, straight on the Appium-Python-Client driver."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def cdp(self, cmd: str, params: dict[str, Any] | None = None) -> Any:
        return self.driver.execute("executeCdp", {"cmd": cmd, "params": params or {}}).get("value")

    def script(self, source: str, *args: Any) -> Any:
        return self.driver.execute_script(source, *args)

    def async_script(self, source: str, *args: Any, timeout_s: float = 30.0) -> Any:
        self.driver.set_script_timeout(timeout_s)
        return self.driver.execute_async_script(source, *args)


def bare_item(appium_url: str, app_url: str, device: Any, candidate: Any, clip: Path,
              out: Path) -> tuple[float, dict[str, float]]:
    spec = ClipSpec()
    spans = Spans()
    started = time.monotonic()
    options = AppiumOptions()
    options.load_capabilities(capabilities_for(device, candidate, SessionPlan(clip_path=clip,
                                                                             chromedriver_port=free_port())))
    with spans.span("session"):
        driver = webdriver.Remote(appium_url, options=options)
    try:
        _bare_steps(driver, app_url, device, candidate, spec, spans, out)
    finally:
        with spans.span("session"):
            driver.quit()
    return time.monotonic() - started, spans.to_dict()


def _bare_steps(driver: Any, app_url: str, device: Any, candidate: Any, spec: ClipSpec, spans: Spans,
                out: Path) -> None:
    with spans.span("launch"):
        driver.command_executor.add_command("executeCdp", "POST", "/session/$sessionId/goog/cdp/execute")
        raw = _Raw(driver)
        rate = float(device.emulation.cpu_throttling)
        if rate > 1:
            raw.cdp("Emulation.setCPUThrottlingRate", {"rate": rate})
        probe = WebProbe(raw, spec)
        probe.install(candidate.locators["preview"])
        driver.get(app_url)
        first, _ = probe.wait_first_camera_frame(timeout_s=20)
        assert first is not None, "no first camera frame"
    with spans.span("steps"):
        name = candidate.app_name("filter", "warm")
        target = split_locator(candidate.locators["select_filter"].format(name=name))
        panel = candidate.locators.get("open_filter_panel")
        shown = [e for e in driver.find_elements(*target) if e.is_displayed()]
        if panel and not shown:
            driver.find_element(*split_locator(panel)).click()
        driver.find_element(*target).click()
        time.sleep(WAIT_S)
    with spans.span("capture"):
        seq = int(probe.info().get("frameCount", 0))
        recording = probe.start_recording()
        capture_start = time.monotonic()
        for fraction in (0.25, 0.5, 0.75):
            delay = capture_start + CAPTURE_S * fraction - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            probe.snapshot()
        rest = capture_start + CAPTURE_S - time.monotonic()
        if rest > 0:
            time.sleep(rest)
        frames = probe.frames(seq)
        assert frames.t_ms, "no frames captured"
        if recording:
            probe.stop_recording(out / "capture.webm")


def harness_items(runs: int, tmp: Path) -> tuple[list[dict[str, Any]], float]:
    run_dir = tmp / "harness-run"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--device", DEVICE, "--candidate", CANDIDATE,
                           "--scenario", SCENARIO, "--repeat", str(runs + 1), "--no-report", "-q",
                           "--run-dir", str(run_dir), "--store", str(tmp / "bench.db")],
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=1800)
    wall_s = time.monotonic() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"harness run failed ({proc.returncode}): {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    out = []
    for record in load_results(run_dir):
        details = json.loads((item_dir(run_dir, record) / "details.json").read_text())["details"]
        out.append({"name": record.name, "duration_s": record.duration_s, "timing_s": details.get("timing_s", {})})
    return out, wall_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    matrix = load_config(ROOT / "devices.yaml")
    device = next(d for d in matrix.devices if d.id == DEVICE)
    candidate = next(c for c in matrix.candidates if c.id == CANDIDATE)
    clip = ensure_clip(ClipSpec(), cache_dir() / "clips")
    with tempfile.TemporaryDirectory(prefix="harness-bench-overhead-") as name:
        tmp = Path(name)
        items, harness_wall_s = harness_items(args.runs, tmp)
        appium = AppiumServer(project_root=ROOT, log_path=tmp / "appium.log").start()
        apps = AppServer(apps_dir(), mounts={"vendor": vendor_sdk_dir()}).start()
        try:
            assert candidate.app.web is not None
            app_url = apps.base_url.rstrip("/") + "/" + str(candidate.app.web.url).lstrip("/")
            bare_runs = [bare_item(appium.url, app_url, device, candidate, clip, tmp) for _ in range(args.runs)]
        finally:
            apps.stop()
            appium.stop()
    bare = [b for b, _ in bare_runs]
    bare_parts = sorted({k for _, split in bare_runs for k in split})
    bare_split = {k: round(statistics.median(split.get(k, 0.0) for _, split in bare_runs), 3) for k in bare_parts}
    warm = items[1:]
    harness_s = statistics.median(i["duration_s"] for i in warm)
    bare_s = statistics.median(bare)
    parts = sorted({k for i in warm for k in i["timing_s"]})
    split = {k: round(statistics.median(i["timing_s"].get(k, 0.0) for i in warm), 3) for k in parts}
    result = {"harness_item_s": round(harness_s, 3), "bare_script_s": round(bare_s, 3),
              "overhead": round(harness_s / bare_s - 1, 4), "harness_first_item_s": items[0]["duration_s"],
              "harness_first_item_timing_s": items[0]["timing_s"], "harness_split_s": split, "bare_split_s": bare_split,
              "harness_items_s": [i["duration_s"] for i in warm], "bare_s": [round(b, 3) for b in bare],
              "harness_process_wall_s": round(harness_wall_s, 1), "runs": args.runs}
    print(f"harness item (median of {len(warm)}, Appium up): {harness_s:.2f} s   bare script: {bare_s:.2f} s   "
          f"overhead: {100 * (harness_s / bare_s - 1):+.1f} %")
    print("harness split (median s): " + ", ".join(f"{k} {v:.2f}" for k, v in split.items()))
    print("bare split (median s): " + ", ".join(f"{k} {v:.2f}" for k, v in bare_split.items()))
    print(f"first item (starts Appium): {items[0]['duration_s']:.2f} s {items[0]['timing_s']}")
    print(f"whole `harness run` process for {len(items)} items: {harness_wall_s:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
