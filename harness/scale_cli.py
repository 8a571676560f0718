"""`harness grid up | down | status` (a local Selenium Grid 4 in front of the Appium servers) and `harness upload`
(an app or the reference clip to a device farm). Exit codes as for every `harness` command."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.exitcodes import EXIT_INFRA, EXIT_OK


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; allowed: seconds, more than 0 and up to 3600")
    return value


def add_parsers(subparsers: Any) -> None:
    grid = subparsers.add_parser("grid", help="a local Selenium Grid 4: one relay node per Appium server")
    grid.add_argument("action", choices=("up", "down", "status"))
    grid.add_argument("--devices", default="devices.yaml", metavar="FILE",
                      help="up: serve the devices with connection 'grid' (else the local ones) of this file")
    grid.add_argument("--hub-port", type=int, default=4444, metavar="N", help="up: the hub's port")
    grid.add_argument("--timeout", type=_seconds, default=90.0, metavar="S",
                      help="up: seconds to wait for every node to register")
    upload = subparsers.add_parser("upload", help="upload an APK/IPA or the reference clip to a device farm and "
                                   "print the reference for devices.yaml")
    upload.add_argument("file", metavar="FILE")
    upload.add_argument("--farm", required=True, choices=("browserstack", "saucelabs", "lambdatest",
                                                            "aws-device-farm"), help="the farm (required)")
    upload.add_argument("--region", default="us-west-1", help="saucelabs: the data centre")


def main(args: argparse.Namespace) -> int:
    if args.command == "upload":
        from harness.devices.farm_upload import upload

        print(upload(args.farm, Path(args.file), region=args.region))
        return EXIT_OK
    from harness.devices import grid

    if args.action == "up":
        from harness.config import load_config

        matrix = load_config(Path(args.devices).resolve())
        state = grid.grid_up(matrix.devices, hub_port=args.hub_port, register_timeout_s=args.timeout)
        for planned in state.nodes:
            print(f"node {planned['name']}: http://{grid.HOST}:{planned['port']} -> Appium "
                  f"http://{grid.HOST}:{planned['appium_port']} ({', '.join(planned['devices'])})")
        print(f"state: {grid.GridState.path()}")
        print(f"hub: {state.hub_url}")
        return EXIT_OK
    if args.action == "down":
        stopped = grid.grid_down()
        if stopped is None:
            print(f"no grid recorded ({grid.GridState.path()} missing)")
            return EXIT_OK
        for proc in stopped:
            print(f"stopped {proc.role} {proc.name} (pid {proc.pid}, port {proc.port})")
        return EXIT_OK
    recorded = grid.GridState.load()
    if recorded is None:
        raise ConfigError(f"no grid is up ({grid.GridState.path()} missing); allowed: `harness grid up` first",
                          key_path="grid status")
    status = grid.hub_status(recorded.hub_url)
    if status is None:
        print(f"hub: {recorded.hub_url} not answering")
        return EXIT_INFRA
    print(f"hub: {recorded.hub_url} ready={'yes' if status.ready else 'no'} ({status.message})")
    for node in status.nodes:
        print(f"node {node.uri}: {node.availability}, slots {node.slots_busy}/{node.slots_total} busy, "
              f"devices {', '.join(node.devices)}")
    total = sum(n.slots_total for n in status.nodes)
    busy = sum(n.slots_busy for n in status.nodes)
    print(f"nodes: {len(status.nodes)}, slots: {total} ({busy} busy)")
    return EXIT_OK if status.ready else EXIT_INFRA
