"""Selenium Grid 4 configuration for the harness's devices: one relay node per Appium server, one stereotype per
device, written as the TOML files the Grid server jar reads (`hub --config`, `node --config`).

Pure functions: devices in, TOML text out. The processes are started by harness.devices.grid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from harness.errors import ConfigError

# adb treats 5555-5585 as emulator console/adb ports: a Grid or node port there confuses it.
ADB_PORTS = range(5555, 5586)

# The capability that ties a session request to one device's slot. Grid matches extension capabilities of a
# stereotype against the request (prefixes goog:, moz:, ms:, se: excepted), so a request carrying
# `harness:device: pixel7` only lands on pixel7's slot.
DEVICE_CAPABILITY = "harness:device"


def stereotype_for(device: Any) -> dict[str, Any]:
    """The slot stereotype of one device. A native (android/ios) stereotype carries NO browserName: Grid merges the
    stereotype into the session request and would start a browser instead of the app (SeleniumHQ/selenium#14216)."""
    if device.platform == "web":
        return {"platformName": "linux", "browserName": "chrome", "appium:automationName": "Chromium",
                DEVICE_CAPABILITY: device.id}
    if device.platform == "android":
        return {"platformName": "Android", "appium:automationName": "UiAutomator2", DEVICE_CAPABILITY: device.id}
    return {"platformName": "iOS", "appium:automationName": "XCUITest", DEVICE_CAPABILITY: device.id}


@dataclass(frozen=True)
class EventBus:
    """The hub's ZeroMQ event bus; nodes publish and subscribe there."""

    publish_port: int
    subscribe_port: int
    host: str = "127.0.0.1"

    @property
    def publish(self) -> str:
        return f"tcp://{self.host}:{self.publish_port}"

    @property
    def subscribe(self) -> str:
        return f"tcp://{self.host}:{self.subscribe_port}"


@dataclass(frozen=True)
class NodePlan:
    """One relay node: its own port, the Appium server it relays to, and the devices (stereotypes) it offers."""

    name: str
    port: int
    appium_port: int
    device_ids: tuple[str, ...]
    stereotypes: tuple[dict[str, Any], ...]
    sessions_per_device: int = 1

    @property
    def max_sessions(self) -> int:
        return self.sessions_per_device * len(self.stereotypes)


def check_port(port: int, *, option: str) -> int:
    if not 1024 <= port <= 65535 or port in ADB_PORTS:
        raise ConfigError(f"{port} is not allowed; allowed: 1024..65535 outside 5555-5585 (adb's emulator ports)",
                          key_path=option)
    return port


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def hub_toml(*, host: str, port: int, bus: EventBus) -> str:
    return (
        "# Selenium Grid 4 hub, written by `harness grid up`.\n"
        "[server]\n"
        f"host = {_toml_str(host)}\n"
        f"port = {port}\n\n"
        "[events]\n"
        f"publish = {_toml_str(bus.publish)}\n"
        f"subscribe = {_toml_str(bus.subscribe)}\n"
    )


def node_toml(node: NodePlan, *, host: str, hub_url: str, bus: EventBus) -> str:
    """A relay node in front of one Appium server: detect-drivers off, one config entry per device stereotype."""
    configs: list[str] = []
    for stereotype in node.stereotypes:
        configs += [_toml_str(str(node.sessions_per_device)), _toml_str(json.dumps(stereotype, sort_keys=True))]
    return (
        f"# Selenium Grid 4 relay node for {', '.join(node.device_ids)}, written by `harness grid up`.\n"
        "[server]\n"
        f"host = {_toml_str(host)}\n"
        f"port = {node.port}\n\n"
        "[events]\n"
        f"publish = {_toml_str(bus.publish)}\n"
        f"subscribe = {_toml_str(bus.subscribe)}\n\n"
        "[node]\n"
        "detect-drivers = false\n"
        "selenium-manager = false\n"
        f"max-sessions = {node.max_sessions}\n"
        f"grid-url = {_toml_str(hub_url)}\n\n"
        "[relay]\n"
        f"url = {_toml_str(f'http://{host}:{node.appium_port}')}\n"
        'status-endpoint = "/status"\n'
        'protocol-version = "HTTP/1.1"\n'
        f"configs = [{', '.join(configs)}]\n"
    )
