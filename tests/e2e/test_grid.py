"""End to end on a real Selenium Grid 4: `harness grid up` starts the hub, two real Appium 3 servers and one relay
node in front of each (two web devices), `harness run` drives a small matrix through `connection: grid` into one
run folder and one report, and `harness grid down` leaves no process behind. A failed `grid up` leaves none
either. Nothing here is mocked. The grid and its run (`grid_run`, tests/e2e/conftest.py) are shared with
test_grid_parallel.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.devices.appium_server import free_port

ROOT = Path(__file__).resolve().parents[2]
HARNESS = [sys.executable, "-m", "harness.cli"]
pytestmark = pytest.mark.e2e
DEVICES = ("pixel7", "moto-e13")


def _devices_file(tmp: Path, connection: str = "grid") -> Path:
    data = yaml.safe_load((ROOT / "devices.yaml").read_text())
    data = {k: v for k, v in data.items() if not k.startswith("x-")}
    data["devices"] = [dict(d, connection=connection) for d in data["devices"] if d["id"] in DEVICES]
    for cand in data["candidates"]:
        for spec in (cand.get("filters") or {}).values():
            if spec and "lut" in spec:  # a filter written as a formula has no reference LUT
                spec["lut"] = str(ROOT / spec["lut"])
    path = tmp / f"devices-{connection}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _harness(*args: str, env: dict[str, str], timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HARNESS, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s,
                          check=False)


def _processes_under(marker: str) -> list[str]:
    """Every live process whose command line names `marker` (the grid's folder)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().split(") ", 1)[-1][:1]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(f"{proc.name}: {cmdline[:160]}")
    return found


def grid_run_in(tmp: Path) -> dict[str, object]:
    """`grid up` on the two devices, a small matrix through it with one worker per device (`--parallel 2`), then
    `grid down`: what this module and test_grid_parallel.py both check (tests/e2e/conftest.py runs it once)."""
    grid_dir = tmp / "grid"
    env = {**os.environ, "HARNESS_GRID_DIR": str(grid_dir)}
    devices = _devices_file(tmp)
    hub_port = free_port()
    up = _harness("grid", "up", "--devices", str(devices), "--hub-port", str(hub_port), env=env)
    out: dict[str, object] = {"up": up, "grid_dir": grid_dir, "hub_port": hub_port, "env": env, "tmp": tmp,
                              "devices": devices, "reports": tmp / "reports"}
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        out["status"] = _harness("grid", "status", env=env)
        run_dir = tmp / "reports" / "run1"
        out["run_dir"] = run_dir
        out["run"] = _harness("run", "--devices", str(devices), "--scenarios", str(ROOT / "scenarios"),
                              "--scenario", "filter-warm", "--candidate", "glfx@1.0", "--candidate", "pixkit@1.5",
                              "--run-dir", str(run_dir), "--parallel", "2", env=env, timeout_s=900)
    finally:
        out["down"] = _harness("grid", "down", env=env)
        out["left"] = _processes_under(str(grid_dir))
    return out


def test_grid_up_prints_hub_and_registers_every_node(grid_run: dict[str, object]) -> None:
    up = grid_run["up"]
    assert isinstance(up, subprocess.CompletedProcess)
    assert up.stdout.strip().splitlines()[-1] == f"hub: http://127.0.0.1:{grid_run['hub_port']}"
    status = grid_run["status"]
    assert isinstance(status, subprocess.CompletedProcess)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "nodes: 2, slots: 2 (0 busy)" in status.stdout
    for device in DEVICES:
        assert f"devices {device}" in status.stdout


def test_matrix_through_grid_one_run_one_report(grid_run: dict[str, object]) -> None:
    proc, run_dir = grid_run["run"], grid_run["run_dir"]
    assert isinstance(proc, subprocess.CompletedProcess)
    assert isinstance(run_dir, Path)
    records = json.loads((run_dir / "results.json").read_text())
    assert {(r["device"], r["candidate"]) for r in records} == {
        (d, c) for d in DEVICES for c in ("glfx@1.0", "pixkit@1.5")}, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "broken" not in {r["status"] for r in records}, [r.get("error") for r in records]
    assert proc.returncode == (1 if any(r["status"] == "failed" for r in records) else 0)
    assert (run_dir / "allure-report" / "index.html").is_file()
    for r in records:
        assert r["metrics"]["content_fps"] > 5, r


def test_each_device_ran_on_its_own_appium_server(grid_run: dict[str, object]) -> None:
    """The hub routed each device's sessions to that device's node (the `harness:device` stereotype): each Appium
    log holds its own device's user agent, never the other's."""
    grid_dir = grid_run["grid_dir"]
    assert isinstance(grid_dir, Path)
    agents = {"pixel7": "Android 14; Pixel 7)", "moto-e13": "Android 13; moto e13)"}
    for device, agent in agents.items():
        log = (grid_dir / "logs" / device / "appium.log").read_text(errors="replace")
        assert agent in log, device
        assert "harness:device" in log, device
        other = next(a for d, a in agents.items() if d != device)
        assert other not in log, device


def test_grid_down_leaves_no_process(grid_run: dict[str, object]) -> None:
    down = grid_run["down"]
    assert isinstance(down, subprocess.CompletedProcess)
    assert down.returncode == 0, down.stderr
    assert sum(line.startswith("stopped ") for line in down.stdout.splitlines()) == 5  # hub, 2 nodes, 2 Appium
    assert grid_run["left"] == []
    grid_dir = grid_run["grid_dir"]
    assert isinstance(grid_dir, Path)
    assert not (grid_dir / "state.json").exists()


def test_grid_connection_without_grid_is_a_config_error(grid_run: dict[str, object]) -> None:
    env, devices = grid_run["env"], grid_run["devices"]
    assert isinstance(env, dict)
    assert isinstance(devices, Path)
    proc = _harness("run", "--devices", str(devices), "--scenario", "filter-warm", "--candidate", "glfx@1.0",
                    "--no-report", env=env)
    assert proc.returncode == 2
    assert (f"{devices}: connection: 'grid' is not allowed while no grid is up; allowed: start one with "
            "`harness grid up --devices FILE`, or give the hub's URL") in proc.stdout + proc.stderr


def test_failed_grid_up_leaves_no_process(tmp_path: Path) -> None:
    grid_dir = tmp_path / "grid"
    env = {**os.environ, "HARNESS_GRID_DIR": str(grid_dir)}
    proc = _harness("grid", "up", "--devices", str(_devices_file(tmp_path)), "--hub-port", str(free_port()),
                    "--timeout", "0.5", env=env)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Grid nodes registered with" in proc.stderr
    assert _processes_under(str(grid_dir)) == []
    assert not (grid_dir / "state.json").exists()
