"""The grid's bookkeeping without Java: which devices `grid up` serves, the state file, `connection: grid` on a stale
state, and stopping exactly the recorded process groups (a real `sleep` process stands in for a server: a pid whose
command line no longer names the grid's files is never signalled)."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from harness.config import load_config
from harness.devices import grid
from harness.errors import ConfigError

WEB = {"name": "W", "platform": "web", "tags": {"tier": "mid"},
       "emulation": {"viewport": {"width": 400, "height": 800}, "pixel_ratio": 2.0, "user_agent": "UA"}}
CANDIDATE = {"vendor": "V", "sdk": "glfx", "version": "1.0", "app": {"web": {"url": "a.html"}},
             "locators": {"preview": "css=canvas"}}


@pytest.fixture(autouse=True)
def grid_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HARNESS_GRID_DIR", str(tmp_path / "grid"))
    return tmp_path / "grid"


def _devices(tmp_path: Path, *connections: str) -> list[object]:
    devices = [dict(WEB, id=f"d{i}", connection=c) for i, c in enumerate(connections)]
    path = tmp_path / "devices.yaml"
    path.write_text(yaml.safe_dump({"devices": devices, "candidates": [CANDIDATE]}))
    return list(load_config(path).devices)


def test_grid_serves_grid_devices_else_local_ones(tmp_path: Path) -> None:
    assert [d.id for d in grid.grid_devices(_devices(tmp_path, "local", "grid", "http://h:1"))] == ["d1"]
    assert [d.id for d in grid.grid_devices(_devices(tmp_path, "local", "http://h:1", "local"))] == ["d0", "d2"]


def test_grid_up_refuses_a_file_without_such_devices(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("--devices: no device with connection 'grid' or 'local' to "
                                                    "serve")):
        grid.grid_up(_devices(tmp_path, "http://h:1"))


def test_state_round_trip_and_stale_state(grid_dir: Path) -> None:
    state = grid.GridState(hub_url="http://127.0.0.1:4999", hub_port=4999, directory=str(grid_dir), started_at=1.0,
                           processes=[grid.StartedProcess("hub", "hub", 999_999, 4999, str(grid_dir / "hub.toml"))])
    state.save()
    loaded = grid.GridState.load()
    assert loaded == state
    # The recorded hub is not running: `connection: grid` is a config error, not a dead URL.
    with pytest.raises(ConfigError, match="'grid' is not allowed while no grid is up"):
        grid.running_hub_url()
    assert grid.grid_down() == []
    assert grid.GridState.load() is None


def test_stop_signals_only_a_process_that_is_still_ours(grid_dir: Path) -> None:
    marker = str(grid_dir / "node-x.toml")
    proc = subprocess.Popen(["bash", "-c", "sleep 60; :", marker], start_new_session=True)
    try:
        stranger = grid.StartedProcess("node", "x", proc.pid, 1, str(grid_dir / "other.toml"))
        grid.stop_process(stranger)
        time.sleep(0.2)
        assert proc.poll() is None  # the command line does not name the recorded file: left alone
        started = time.monotonic()
        grid.stop_process(grid.StartedProcess("node", "x", proc.pid, 1, marker))
        assert time.monotonic() - started < 5  # SIGTERM ended it (SIGKILL would follow after 10 s)
        assert not Path(f"/proc/{proc.pid}").exists()  # gone, and reaped
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
