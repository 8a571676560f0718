"""`harness prune`: removes old run folders, newest kept, by run id order. Only folders named like a run id
(`20261125-190102`, what `harness run` names them) are touched: the results store (results.db) and
history.jsonl are never deleted, so the store keeps every run's numbers for comparisons, the gate and the
scorecard; what goes is the evidence on disk (frames, captures, the Allure report) of the runs removed."""

from __future__ import annotations

import argparse
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ConfigError
from harness.exitcodes import EXIT_OK

RUN_ID = re.compile(r"^\d{8}-\d{6}$")  # harness.run.new_run_id


@dataclass(frozen=True, kw_only=True)
class PruneResult:
    reports: Path
    kept: tuple[Path, ...]
    removed: tuple[Path, ...]
    removed_bytes: int
    dry_run: bool

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        return (f"prune {self.reports}: {verb} {len(self.removed)} run folder(s), {self.removed_bytes / 1e6:.1f} MB; "
                f"kept {len(self.kept)} (the results store and history.jsonl are kept)")


def run_folders(reports: Path) -> list[Path]:
    """The run folders in `reports`, oldest first (run ids sort by time)."""
    if not reports.is_dir():
        return []
    return sorted((p for p in reports.iterdir() if p.is_dir() and not p.is_symlink() and RUN_ID.match(p.name)),
                  key=lambda p: p.name)


def folder_bytes(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                continue
    return total


def prune_runs(reports: Path, *, keep: int, dry_run: bool = False) -> PruneResult:
    """Removes all but the newest `keep` run folders of `reports`."""
    if keep < 1:
        raise ConfigError(f"{keep} is not allowed; allowed: 1 or more run folders to keep", key_path="--keep")
    if not reports.is_dir():
        raise ConfigError(f"{reports}: no such folder; allowed: the folder holding the run folders",
                          key_path="--reports")
    folders = run_folders(reports)
    old, kept = folders[:-keep] if len(folders) > keep else [], folders[-keep:]
    size = 0
    for folder in old:
        size += folder_bytes(folder)
        if not dry_run:
            shutil.rmtree(folder)
    return PruneResult(reports=reports, kept=tuple(kept), removed=tuple(old), removed_bytes=size, dry_run=dry_run)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               formatter: type[argparse.HelpFormatter]) -> None:
    prune = sub.add_parser("prune", formatter_class=formatter,
                           help="remove old run folders, keeping the newest N (the results store keeps their numbers)")
    prune.add_argument("--keep", type=int, required=True, metavar="N", help="how many of the newest run folders stay")
    prune.add_argument("--reports", metavar="DIR", help="the folder of run folders (default: reports/ of the project)")
    prune.add_argument("--dry-run", action="store_true", help="only list what would be removed")


def main(args: argparse.Namespace) -> int:
    from harness.paths import project_root

    reports = Path(args.reports) if args.reports else project_root() / "reports"
    result = prune_runs(reports, keep=args.keep, dry_run=args.dry_run)
    for folder in result.removed:
        print(f"{'would remove' if args.dry_run else 'removed'} {folder}")
    print(result.summary())
    return EXIT_OK
