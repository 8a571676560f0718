"""The `harness doctor` subcommand: its options, and the run over the selected devices."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from harness.exitcodes import EXIT_FAILED, EXIT_OK


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               formatter: type[argparse.HelpFormatter]) -> None:
    doctor = sub.add_parser("doctor", formatter_class=formatter,
                            help="check what each device needs on this machine (exit 0 all hold, 1 not, 2 bad input)")
    doctor.add_argument("--devices", default="devices.yaml", metavar="FILE", help="the device matrix")
    doctor.add_argument("--device", action="append", metavar="ID", help="only this device (repeatable; default: all)")
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")


def main(args: argparse.Namespace) -> int:
    from harness.config import load_config
    from harness.doctor import Doctor, SystemProbes, format_reports
    from harness.paths import project_root

    matrix = load_config(Path(args.devices).resolve())  # ConfigError -> exit 2
    devices, _ = matrix.select(args.device or None, None)
    doctor = Doctor(SystemProbes(), root=project_root())
    reports = [doctor.check_device(device) for device in devices]
    if args.json:
        print(json.dumps([asdict(r) | {"ok": r.ok} for r in reports], indent=1))
    else:
        print(format_reports(reports))
    return EXIT_OK if all(r.ok for r in reports) else EXIT_FAILED
