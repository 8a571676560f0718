"""What the results store's queries return: plain frozen rows (runs, items, metric rows with their samples, series
points, baselines)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    """One stored run."""

    run_id: str
    kind: str
    started_at: str | None
    finished_at: str | None
    harness_version: str | None
    host: str | None
    git_commit: str | None
    git_branch: str | None
    git_dirty: bool | None
    metadata: Mapping[str, Any]
    ingested_at: str
    item_count: int


@dataclass(frozen=True, kw_only=True)
class ItemInfo:
    """One stored item: `id` is the store's key (for samples()); `node_id` is the pytest node id."""

    id: int
    run_id: str
    node_id: str
    name: str
    fingerprint: str
    device_id: str
    candidate_id: str
    vendor: str
    sdk: str
    version: str
    scenario: str
    status: str
    error_kind: str | None
    error_message: str | None
    started_at: str
    duration_s: float
    tags: Mapping[str, str | bool]
    metrics: Mapping[str, float]
    defects: tuple[Mapping[str, Any], ...] = ()  # adaptation defects found (ItemRecord.defects)


@dataclass(frozen=True, kw_only=True)
class MetricRow:
    """One metric of one item, flat, for comparisons. An item that measured nothing (broken, skipped) appears
    once with metric and value None, so its status still counts."""

    item_id: int
    run_id: str
    fingerprint: str
    device_id: str
    candidate_id: str
    vendor: str
    sdk: str
    version: str
    scenario: str
    status: str
    metric: str | None
    value: float | None
    samples: tuple[float, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SeriesPoint:
    """One value of a metric in the history of a matrix cell."""

    run_id: str
    kind: str
    started_at: str | None
    item_id: int
    fingerprint: str
    device_id: str
    candidate_id: str
    sdk: str
    version: str
    scenario: str
    status: str
    value: float


@dataclass(frozen=True, kw_only=True)
class Baseline:
    """An accepted baseline: run `run_id` is the reference for `sdk` ('*': every sdk) and `scenario` ('*': all)."""

    id: int
    run_id: str
    sdk: str
    scenario: str
    accepted_at: str
    accepted_by: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class DeviceInfo:
    """One stored device configuration (see harness.store.fingerprint)."""

    fingerprint: str
    partial: bool
    model: str
    platform: str
    os_version: str | None
    viewport_width: int | None
    viewport_height: int | None
    pixel_ratio: float | None
    refresh_hz: float | None
    cpu_throttling: float | None
    tier: str | None
    is_new: bool | None
    first_seen_at: str
    device_ids: tuple[str, ...] = field(default=())
