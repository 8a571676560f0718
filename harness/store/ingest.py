"""Reading one run directory for the results store: its item records (results.json, else results.jsonl), the raw
repeated samples in each item's details.json, the device fingerprints and whether the machine limited each item's
frame rate (host_capacity.json), checked before anything is written."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from harness.compare.rows import (
    FRAME_TIME_SAMPLES,
    content_frame_times_ms,
    read_details,
    row_from_record,
    run_capacities,
    with_host_capacity,
)
from harness.compare.rows import samples_from_details as startup_samples
from harness.config import Candidate, Device
from harness.errors import ConfigError
from harness.results import ItemRecord, item_dir, load_results
from harness.secrets import mask_value
from harness.store.fingerprint import DeviceFingerprint, fingerprint_device, fingerprint_record

DETAILS_JSON: Final = "details.json"
# details.json -> samples: the launches of each start-up step (per mode, and the first step's behind startup_ms and
# app_first_frame_ms: harness.compare.rows.samples_from_details), each session creation, and the frame times of
# the last capture's timeline.
STARTUP_SAMPLED: Final = ("startup_ms", "app_first_frame_ms")
SESSION_SAMPLES: Final = "session_create_s"
RUN_COLUMNS: Final = ("started_at", "finished_at", "harness_version", "host", "git_commit", "git_branch", "git_dirty")
KINDS: Final = ("run", "nightly")


@dataclass(frozen=True, kw_only=True)
class ItemData:
    """One record ready to store: the record, its device fingerprint, its candidate's engine, its samples."""

    record: ItemRecord
    fingerprint: DeviceFingerprint
    engine: str | None
    samples: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    # The item's colour response as ColourResponse.to_dict() (checked on reading), None when it has none.
    colour_response: Mapping[str, Any] | None = None
    # Why the machine, not the SDK, set the item's frame rate (harness.compare.rows.HostLimit's evidence: its
    # environment finding, or its device's measured host capacity); empty when it did not.
    host_limit: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RunData:
    """One run ready to store: run columns (see RUN_COLUMNS), the other metadata, and its items."""

    run_id: str
    kind: str
    columns: Mapping[str, str | bool | None]
    extra_metadata: Mapping[str, Any]
    items: tuple[ItemData, ...]


def utc_ms(text: str) -> str:
    """An ISO 8601 UTC time in one spelling (+00:00, milliseconds), so that stored times sort as text."""
    return datetime.fromisoformat(text).astimezone(UTC).isoformat(timespec="milliseconds")


def _numbers(values: Any, *, file: Path, key: str) -> tuple[float, ...]:
    ok = isinstance(values, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
    )
    if not ok:
        raise ConfigError(f"expected a list of finite numbers, got {str(values)[:80]}", file=str(file), key_path=key)
    return tuple(float(v) for v in values)


def samples_from_details(details: Any, *, file: Path) -> dict[str, tuple[float, ...]]:
    """The raw repeats in one parsed details.json (see the module's constants for which)."""
    if not isinstance(details, Mapping):
        raise ConfigError(f"expected a JSON object, got {type(details).__name__}", file=str(file))
    inner = details.get("details") or {}
    if not isinstance(inner, Mapping):
        raise ConfigError(f"expected an object, got {type(inner).__name__}", file=str(file), key_path="details")
    runs = inner.get("startup_runs") or []
    if not isinstance(runs, list) or not all(isinstance(run, Mapping) for run in runs):
        raise ConfigError("expected a list of objects", file=str(file), key_path="details.startup_runs")
    for i, run in enumerate(runs):
        for metric in STARTUP_SAMPLED:
            _numbers(run.get(metric) or [], file=file, key=f"details.startup_runs[{i}].{metric}")
    out: dict[str, tuple[float, ...]] = dict(startup_samples(details))
    if inner.get(SESSION_SAMPLES):
        out[SESSION_SAMPLES] = _numbers(inner[SESSION_SAMPLES], file=file, key=f"details.{SESSION_SAMPLES}")
    timeline = inner.get("timeline")
    if timeline:
        if not isinstance(timeline, Mapping) or not {"t_ms", "source_index"} <= set(timeline):
            raise ConfigError("expected an object with t_ms and source_index", file=str(file),
                              key_path="details.timeline")
        t_ms = _numbers(timeline["t_ms"], file=file, key="details.timeline.t_ms")
        indices = timeline["source_index"]
        if not isinstance(indices, list) or len(indices) != len(t_ms) or not all(
            i is None or (isinstance(i, int) and not isinstance(i, bool)) for i in indices
        ):
            raise ConfigError(f"expected {len(t_ms)} integers or nulls (one per t_ms)", file=str(file),
                              key_path="details.timeline.source_index")
        frame_times = content_frame_times_ms(t_ms, indices)
        if frame_times:
            out[FRAME_TIME_SAMPLES] = tuple(frame_times)
    return out


def _latest_records(records: Sequence[ItemRecord]) -> list[ItemRecord]:
    """One record per item: a resumed run may list an item twice, and its last record is the one that counts."""
    latest: dict[str, ItemRecord] = {}
    for record in records:
        latest.pop(record.item_id, None)
        latest[record.item_id] = record
    return list(latest.values())


def _run_columns(metadata: Mapping[str, Any], items: Sequence[ItemData]) -> dict[str, str | bool | None]:
    columns: dict[str, str | bool | None] = {}
    for key in RUN_COLUMNS:
        value = metadata.get(key)
        if key == "git_dirty":
            if value is not None and not isinstance(value, bool):
                raise ConfigError(f"expected true or false, got {value!r}", key_path="metadata.git_dirty")
            columns[key] = value
        elif value is None:
            columns[key] = None
        elif not isinstance(value, str):
            raise ConfigError(f"expected a string, got {value!r}", key_path=f"metadata.{key}")
        else:
            columns[key] = mask_value(key, value)
    for key in ("started_at", "finished_at"):
        value = columns[key]
        if isinstance(value, str):
            try:
                ok = datetime.fromisoformat(value).utcoffset() == timedelta(0)
            except ValueError:
                ok = False
            if not ok:
                raise ConfigError(f"{value!r} is not allowed; allowed: ISO 8601 UTC, e.g. 2025-11-25T18:30:01+00:00",
                                  key_path=f"metadata.{key}")
            columns[key] = utc_ms(value)
    if items and columns["started_at"] is None:
        columns["started_at"] = utc_ms(min(items, key=lambda i: i.record.started_at_epoch_ms).record.started_at)
    if items and columns["finished_at"] is None:
        ends = [datetime.fromisoformat(i.record.started_at) + timedelta(seconds=i.record.duration_s) for i in items]
        columns["finished_at"] = utc_ms(max(ends).isoformat())
    return columns


def _masked(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        return mask_value(key, value)
    if isinstance(value, Mapping):
        return {str(k): _masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v, key) for v in value]
    return value


def read_run(
    run_dir: Path,
    *,
    devices: Sequence[Device] | None,
    candidates: Sequence[Candidate] | None,
    kind: str,
    metadata: Mapping[str, Any],
) -> RunData:
    """Everything ingest_run stores, read and checked: an unknown device or candidate id, mixed run ids or a
    malformed details.json stop the ingest before anything is written."""
    if kind not in KINDS:
        raise ConfigError(f"run kind {kind!r} is not allowed; allowed: {', '.join(KINDS)}", key_path="kind")
    if not run_dir.is_dir():
        raise ConfigError("not a run directory (no such folder)", file=str(run_dir))
    records = _latest_records(load_results(run_dir))
    run_ids = sorted({r.run_id for r in records})
    if len(run_ids) > 1:
        raise ConfigError(f"records of several runs in one folder: {', '.join(run_ids)}; allowed: one run id",
                          file=str(run_dir))
    run_id = run_ids[0] if run_ids else run_dir.name
    by_device = {d.id: d for d in devices} if devices is not None else None
    by_candidate = {c.id: c for c in candidates} if candidates is not None else None
    capacities = run_capacities(run_dir)
    items = []
    for index, record in enumerate(records):
        if by_device is not None:
            if record.device not in by_device:
                raise ConfigError(
                    f"item {record.name}: device {record.device!r} is not among the given devices; allowed: "
                    f"{', '.join(sorted(by_device))} (pass devices=None to fingerprint from results.json alone)",
                    file=str(run_dir),
                )
            fingerprint = fingerprint_device(by_device[record.device])
        else:
            fingerprint = fingerprint_record(record)
        engine = None
        if by_candidate is not None:
            candidate = by_candidate.get(record.candidate)
            if candidate is None or (candidate.vendor, candidate.sdk, candidate.version) != (
                record.vendor, record.sdk, record.version
            ):
                raise ConfigError(
                    f"item {record.name}: candidate {record.candidate!r} ({record.vendor} {record.sdk} "
                    f"{record.version}) is not among the given candidates; allowed: {', '.join(sorted(by_candidate))}",
                    file=str(run_dir),
                )
            engine = candidate.engine
        details = read_details(run_dir, record)
        path = item_dir(run_dir, record) / DETAILS_JSON
        # The item's row as a comparison of the run folder reads it (its colour response checked, naming
        # details.json), and its host limit by the same rule (harness.compare.rows.load_run_rows).
        (row,) = with_host_capacity([row_from_record(run_dir, record, details, index=index)], capacities)
        items.append(ItemData(record=record, fingerprint=fingerprint, engine=engine,
                              samples=samples_from_details(details, file=path) if details is not None else {},
                              colour_response=None if row.colour_response is None else row.colour_response.to_dict(),
                              host_limit=row.host_limit.evidence if row.host_limit is not None else ()))
    columns = _run_columns(metadata, items)
    extra = {k: v for k, v in metadata.items() if k not in RUN_COLUMNS}
    try:
        json.dumps(extra, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"run metadata must be JSON data ({exc})", key_path="metadata") from None
    return RunData(run_id=run_id, kind=kind, columns=columns, extra_metadata=_masked(extra), items=tuple(items))
