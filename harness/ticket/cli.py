"""The `ticket` subcommand: argument wiring only; the work is harness.ticket.bundle.build_ticket."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.known_issues import resolve_known_issues
from harness.paths import project_root
from harness.ticket.bundle import build_ticket, resolve_run_dir


def add_parser(subparsers: Any) -> None:
    """Register `ticket RUN ITEM` on the `harness` command's subparsers."""
    ticket = subparsers.add_parser(
        "ticket",
        help="write one zip for a vendor ticket about one failing item of a run",
        description="Write one zip for a vendor ticket about one failing item: Markdown summary, one-page "
        "HTML, "
        "key frames, evidence, clip, log excerpts and results, with credentials and private paths "
        "masked.",
    )
    ticket.add_argument("run", metavar="RUN", help="a run folder, or a run id under ./reports")
    ticket.add_argument(
        "item",
        metavar="ITEM",
        help="the item's name (e.g. 'filter-warm[pixel7-glfx@2.0]'), items/ folder or node id",
    )
    ticket.add_argument(
        "--out", metavar="FILE.zip", help="where to write the zip (default RUN/tickets/<item>.zip)"
    )
    ticket.add_argument(
        "--baseline",
        metavar="RUN_B",
        help="compare the cell with this run when RUN has no gate.json (a folder or a run id)",
    )
    ticket.add_argument(
        "--known-issues",
        metavar="FILE",
        help="known vendor tickets (default: known-issues.yaml of the project; '' = none)",
    )
    ticket.add_argument("--force", action="store_true", help="also write a ticket for an item that passed")


def main(args: argparse.Namespace) -> int:
    """Run `harness ticket`; prints the zip's path and its headline. Bad input raises ConfigError (exit 2)."""
    root = project_root()
    run_dir = resolve_run_dir(args.run, project_root=root)
    baseline = (
        resolve_run_dir(args.baseline, option="--baseline", project_root=root) if args.baseline else None
    )
    result = build_ticket(
        run_dir,
        args.item,
        out=Path(args.out) if args.out else None,
        baseline_run=baseline,
        known_issues=resolve_known_issues(args.known_issues, root=root),
        project_root=root,
        force=args.force,
    )
    print(f"ticket: {result.path} — {result.headline}")
    for ticket in result.known:
        print(f"already reported as {ticket}")
    return 0


__all__ = ["add_parser", "main"]
