"""Vendor ticket bundles: `harness ticket RUN ITEM` packs one failing item (summary, HTML excerpt, frames,
evidence, clip, log excerpts, results, baseline comparison) into one zip with credentials and private paths
masked. See docs/ticket.md."""

from harness.ticket.bundle import TICKETS_DIR, TicketResult, build_ticket, resolve_run_dir
from harness.ticket.cli import add_parser, main

__all__ = ["TICKETS_DIR", "TicketResult", "add_parser", "build_ticket", "main", "resolve_run_dir"]
