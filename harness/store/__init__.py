"""The results store: every run's items, metrics and raw samples kept in SQLite (reports/results.db) or a shared
PostgreSQL database, for trends, accepted baselines and run-to-run comparisons. See docs/store.md."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from harness.errors import ConfigError
from harness.paths import project_root
from harness.store.db import mask_url, parse_target
from harness.store.fingerprint import DeviceFingerprint, fingerprint_device, fingerprint_record
from harness.store.meta import run_metadata
from harness.store.models import Baseline, DeviceInfo, ItemInfo, MetricRow, RunInfo, SeriesPoint
from harness.store.schema import MIGRATIONS, Migration
from harness.store.store import ALL, Store, open_store

DEFAULT_STORE: Final = Path("reports") / "results.db"  # relative to the project root (harness.paths)


def default_store_path() -> Path:
    """reports/results.db under the project root ($HARNESS_HOME or this checkout)."""
    return project_root() / DEFAULT_STORE



def run_store_url(option: str | None, run_dir: Path) -> str:
    """The store a run is added to: the --store option, else results.db beside the run folder."""
    return option or str(run_dir.parent / "results.db")


def open_existing_store(location: str | None) -> Store:
    """The store of earlier runs (default: default_store_path()), for commands that only read or annotate it. A
    missing SQLite file is a ConfigError, not a new empty database."""
    location = location or str(default_store_path())
    target = parse_target(location)
    if target.dialect == "sqlite" and target.location != ":memory:" and not Path(target.location).is_file():
        raise ConfigError(
            f"{target.location}: no such results store, so no runs are stored yet; allowed: an existing SQLite "
            "file written by `harness run` (reports/results.db by default) or a postgresql:// URL",
            key_path="--store")
    return open_store(location)


__all__ = [
    "ALL",
    "DEFAULT_STORE",
    "MIGRATIONS",
    "Baseline",
    "DeviceFingerprint",
    "DeviceInfo",
    "ItemInfo",
    "MetricRow",
    "Migration",
    "RunInfo",
    "SeriesPoint",
    "Store",
    "default_store_path",
    "fingerprint_device",
    "fingerprint_record",
    "mask_url",
    "open_existing_store",
    "open_store",
    "parse_target",
    "run_metadata",
    "run_store_url",
]
