"""The `harness scorecard` subcommand: reads the results store and prints each vendor's scorecard as text or
JSON, optionally writing the HTML page. Bad input is a ConfigError (`harness` maps it to exit code 2)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.errors import ConfigError
from harness.known_issues import resolve_known_issues
from harness.paths import project_root
from harness.scorecard.build import build_scorecard
from harness.scorecard.render import format_scorecard, scorecard_html
from harness.store import open_existing_store


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Registers `scorecard` and its options on the `harness` command's subparsers."""
    parser = subparsers.add_parser(
        "scorecard", help="per vendor: devices passing per SDK version, open defects with tickets and age, "
                          "fixes and release cadence, from the results store")
    parser.add_argument("--store", default=None, metavar="URL",
                        help="results store: SQLite path or postgresql://... (default reports/results.db)")
    parser.add_argument("--vendor", metavar="NAME", help="only this vendor (its name as in devices.yaml)")
    parser.add_argument("--known-issues", metavar="FILE",
                        help="known-issues YAML (default: known-issues.yaml in the project when "
                             "present; '' for none)")
    parser.add_argument("--json", action="store_true", help="print the scorecard as JSON")
    parser.add_argument("--html", metavar="FILE", help="also write the scorecard as one HTML page")


def main(args: argparse.Namespace) -> int:
    """Runs `harness scorecard` with parsed `args`; returns 0 (a ConfigError for bad input)."""
    opened = open_existing_store(args.store)
    known = resolve_known_issues(args.known_issues, root=project_root())
    html_path = Path(args.html) if args.html else None
    if html_path is not None and not html_path.parent.is_dir():
        raise ConfigError(f"{html_path.parent}: no such folder; allowed: a file in an existing folder",
                          key_path="--html")
    with opened as store:
        card = build_scorecard(store, known_issues=known, vendor=args.vendor)
    if html_path is not None:
        try:
            html_path.write_text(scorecard_html(card), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{html_path}: cannot write ({exc.strerror}); allowed: a writable file",
                              key_path="--html") from None
    if args.json:
        print(json.dumps(card.to_dict(), indent=1))
    else:
        print(format_scorecard(card), end="")
        if html_path is not None:
            print(f"scorecard: {html_path}")
    return 0
