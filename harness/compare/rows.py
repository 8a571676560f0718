"""Plain rows for comparisons: one measured matrix cell each (device, sdk, version, scenario, status, metrics,
repeated samples, the colour response and whether the machine limited its frame rate), read from a run's
results.json, details.json and host_capacity.json or from any mapping with the same keys."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path, PurePosixPath
from typing import Any, Final

from harness.errors import ConfigError, HarnessError
from harness.hostcap import HostCapacity, capacity_evidence, cell_limits, load_capacities
from harness.metrics.response import ColourResponse
from harness.results import STATUSES, ItemRecord, item_dir, load_results

REQUIRED_KEYS: Final = ("device", "sdk", "version", "scenario", "status")
OPTIONAL_KEYS: Final = ("candidate", "vendor", "tags", "metrics", "samples", "fingerprint", "error", "run_id",
                        "name", "colour_response", "environment", "host_limit")
# Metrics whose repeats details.json keeps: each entry of startup_runs holds the launches of one launch step.
SAMPLED_METRICS: Final = ("startup_ms", "app_first_frame_ms")
# Each frame's time (between consecutive content updates): the observations behind the frame metrics.
FRAME_TIME_SAMPLES: Final = "frame_time_ms"


# Metrics the machine's frame rate sets: on a host-limited row (Row.host_limit) their differences are the
# environment's, not the SDK's. Colour, visual, start-up and latency metrics are not among them.
FRAME_RATE_METRICS: Final = frozenset({
    "dropped_frames", "repeated_frames", "missed_refreshes", "stutter_ratio", "freeze_count", "jank_count",
    "big_jank_count", "janky_frames", "slow_frame_count", "slow_frame_ratio", "missed_deadline_count",
    "perfdog_jank_count", "perfdog_big_jank_count",
})


def is_frame_rate_metric(metric: str) -> bool:
    """True for the metrics the machine's frame rate sets: fps (`*_fps`), frame times (`frame_time_*_ms`),
    dropped or repeated frames, jank and freezes (FRAME_RATE_METRICS). The one rule of which differences a host
    limit explains, used by the adaptation matrix and by version comparisons (compare, the nightly gate)."""
    return (metric in FRAME_RATE_METRICS or metric.endswith("_fps")
            or (metric.startswith("frame_time_") and metric.endswith("_ms")))


@dataclass(frozen=True, kw_only=True)
class HostLimit:
    """Why the machine, not the SDK, set a cell's frame rate (harness.hostcap, docs/metrics.md "Host capacity"):
    the item's environment finding, or its device profile's measured host capacity."""

    evidence: tuple[str, ...]

    def describe(self) -> str:
        return "; ".join(self.evidence)


@dataclass(frozen=True, kw_only=True)
class Row:
    """One measured cell of the matrix. `samples` holds the repeats behind a metric (e.g. every launch behind
    `startup_ms`); a metric without samples counts as one sample, its value."""

    device: str
    sdk: str
    version: str
    scenario: str
    status: str
    candidate: str
    vendor: str = ""
    tags: Mapping[str, str | bool] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    samples: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    fingerprint: str | None = None
    error: Mapping[str, str] | None = None
    run_id: str = ""
    name: str = ""
    # Source colour -> output colour on the key frames (harness.metrics.response); None when not measured.
    colour_response: ColourResponse | None = None
    # Set when the host could not deliver the frame rate on this device profile: frame-rate differences are then
    # the environment's, not the SDK's (harness.compare.adaptation).
    host_limit: HostLimit | None = None

    def values(self, metric: str) -> list[float]:
        """The samples of `metric`, or its single value, or nothing when not measured."""
        if self.samples.get(metric):
            return list(self.samples[metric])
        return [self.metrics[metric]] if metric in self.metrics else []


def _need(condition: bool, message: str, *, source: str, key: str) -> None:
    if not condition:
        raise ConfigError(message, file=source, key_path=key)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def row_from_mapping(data: Any, *, source: str, index: int) -> Row:
    """A Row from a plain mapping (an ItemRecord's dict, a store row); errors name `source` and `[index].key`."""
    at = f"[{index}]"
    _need(isinstance(data, Mapping), f"expected a mapping, got {type(data).__name__}; allowed: a mapping with "
          f"keys {', '.join(REQUIRED_KEYS)}", source=source, key=at)
    for key in REQUIRED_KEYS:
        _need(key in data, f"missing required key '{key}'; allowed: a row with keys {', '.join(REQUIRED_KEYS)} "
              f"(optional: {', '.join(OPTIONAL_KEYS)})", source=source, key=at)
        _need(isinstance(data[key], str) and bool(data[key]), f"expected a non-empty string, got {data[key]!r}; "
              "allowed: a non-empty string", source=source, key=f"{at}.{key}")
    _need(data["status"] in STATUSES, f"status {data['status']!r} is not allowed; allowed: {', '.join(STATUSES)}",
          source=source, key=f"{at}.status")
    metrics = data.get("metrics") or {}
    _need(isinstance(metrics, Mapping), "expected a mapping of metric to number; allowed: a mapping",
          source=source, key=f"{at}.metrics")
    for metric, value in metrics.items():
        _need(_number(value), f"{value!r} is not allowed; allowed: a finite number", source=source,
              key=f"{at}.metrics.{metric}")
    raw_samples = data.get("samples") or {}
    _need(isinstance(raw_samples, Mapping), "expected a mapping of metric to a list of numbers; allowed: a mapping",
          source=source, key=f"{at}.samples")
    samples: dict[str, tuple[float, ...]] = {}
    for metric, values in raw_samples.items():
        ok = isinstance(values, Sequence) and not isinstance(values, str) and all(_number(v) for v in values)
        _need(ok, "expected a list of finite numbers; allowed: a list of finite numbers", source=source,
              key=f"{at}.samples.{metric}")
        samples[str(metric)] = tuple(float(v) for v in values)
    tags = data.get("tags") or {}
    _need(isinstance(tags, Mapping) and all(isinstance(v, str | bool) for v in tags.values()),
          "expected a mapping of tag to string or true/false; allowed: a mapping", source=source, key=f"{at}.tags")
    fingerprint = data.get("fingerprint")
    _need(fingerprint is None or isinstance(fingerprint, str), f"expected a string, got {fingerprint!r}; "
          "allowed: a string or nothing", source=source, key=f"{at}.fingerprint")
    error = data.get("error")
    _need(error is None or (isinstance(error, Mapping) and {"kind", "message"} <= set(error)),
          "expected a mapping with keys kind, message; allowed: a mapping or nothing", source=source,
          key=f"{at}.error")
    raw_response = data.get("colour_response")
    response = (raw_response if raw_response is None or isinstance(raw_response, ColourResponse)
                else ColourResponse.from_dict(raw_response, source=source, key=f"{at}.colour_response"))
    return Row(
        device=data["device"], sdk=data["sdk"], version=data["version"], scenario=data["scenario"],
        status=data["status"], candidate=str(data.get("candidate") or f"{data['sdk']}@{data['version']}"),
        vendor=str(data.get("vendor") or ""), tags=dict(tags),
        metrics={str(k): float(v) for k, v in metrics.items()}, samples=samples, fingerprint=fingerprint,
        error=dict(error) if error is not None else None, run_id=str(data.get("run_id") or ""),
        name=str(data.get("name") or ""), colour_response=response,
        host_limit=_host_limit(data, source=source, at=at),
    )


def _host_limit(data: Mapping[str, Any], *, source: str, at: str) -> HostLimit | None:
    """`host_limit` (a HostLimit, or its evidence lines as a results store keeps them), else the record's
    `environment` finding ({"message", "reasons", ...}: its reasons are the evidence), else None."""
    given = data.get("host_limit")
    if isinstance(given, Sequence) and not isinstance(given, str):  # a results store's evidence lines
        _need(bool(given) and all(isinstance(line, str) and line for line in given),
              "expected a non-empty list of evidence lines (strings); allowed: a HostLimit, its evidence lines or "
              "nothing", source=source, key=f"{at}.host_limit")
        return HostLimit(evidence=tuple(given))
    _need(given is None or isinstance(given, HostLimit), f"expected a HostLimit, got {type(given).__name__}; "
          "allowed: a HostLimit, its evidence lines or nothing", source=source, key=f"{at}.host_limit")
    if isinstance(given, HostLimit):
        return given
    environment = data.get("environment")
    if environment is None:
        return None
    _need(isinstance(environment, Mapping), f"expected a mapping, got {type(environment).__name__}; allowed: "
          "the environment finding of an item record (message, reasons) or nothing", source=source,
          key=f"{at}.environment")
    reasons = environment.get("reasons") or []
    message = environment.get("message")
    ok = (isinstance(reasons, Sequence) and not isinstance(reasons, str) and all(isinstance(r, str) for r in reasons)
          and (message is None or isinstance(message, str)) and bool(reasons or message))
    _need(ok, "expected a message or a list of reasons (strings); allowed: the environment finding of an item "
          "record", source=source, key=f"{at}.environment")
    return HostLimit(evidence=tuple(reasons) if reasons else (str(message),))


def with_host_capacity(rows: Iterable[Row], capacities: Sequence[HostCapacity]) -> list[Row]:
    """The rows, each row without a host limit of its own given one when its device's measured capacity says the
    machine set its frame rate (harness.hostcap.cell_limits, with the row's content fps)."""
    by_device = {c.device: c for c in capacities}
    out = []
    for row in rows:
        capacity = by_device.get(row.device)
        reasons = (cell_limits(capacity, content_fps=row.metrics.get("content_fps"), cell_load1=None)
                   if capacity is not None and row.host_limit is None else [])
        if capacity is not None and reasons:
            evidence = (*reasons[:3], capacity_evidence(capacity, row.metrics.get("content_fps")))
            row = replace(row, host_limit=HostLimit(evidence=evidence))
        out.append(row)
    return out


def rows_from_mappings(items: Iterable[Any], *, source: str) -> list[Row]:
    """Rows from plain mappings (e.g. a results store's query result)."""
    return [row_from_mapping(item, source=source, index=i) for i, item in enumerate(items)]


def _item_dir(run_dir: Path, record: ItemRecord) -> Path:
    """The item's folder: where its attachments are, else the runner's rule for folder names."""
    for rel in record.attachments:
        parts = PurePosixPath(rel).parts
        if len(parts) >= 3 and parts[0] == "items":
            return run_dir / parts[0] / parts[1]
    return run_dir / "items" / re.sub(r"[^A-Za-z0-9@._-]+", "_", record.name).strip("_")


def content_frame_times_ms(t_ms: Sequence[float], indices: Sequence[int | None]) -> list[float]:
    """Times between consecutive content updates, as harness.metrics.frames.analyze_timeline defines them:
    undecoded frames (None) are skipped, a frame showing the same index as the previous decoded one is a repeat."""
    updates: list[float] = []
    previous: int | None = None
    for t, index in zip(t_ms, indices, strict=True):
        if index is None or index == previous:
            continue
        updates.append(float(t))
        previous = index
    return [b - a for a, b in pairwise(updates)]


def samples_from_details(details: Mapping[str, Any]) -> dict[str, tuple[float, ...]]:
    """Repeats kept in details.json: every launch of each launch step, and each frame's time. A step of mode M gives
    the samples of `startup_M_ms` and `app_first_frame_M_ms`; the first step also those of `startup_ms` and
    `app_first_frame_ms` (the runner sets those from the scenario's first launch step). The capture's timeline
    gives `frame_time_ms` (content_frame_times_ms), the observations behind the frame metrics."""
    inner = details.get("details") or {}
    runs = inner.get("startup_runs") or []
    out: dict[str, tuple[float, ...]] = {}
    timeline = inner.get("timeline")
    if isinstance(timeline, Mapping):
        t_ms, indices = timeline.get("t_ms"), timeline.get("source_index")
        if (isinstance(t_ms, list) and isinstance(indices, list) and len(t_ms) == len(indices)
                and all(_number(t) for t in t_ms)
                and all(i is None or (isinstance(i, int) and not isinstance(i, bool)) for i in indices)):
            frame_times = content_frame_times_ms(t_ms, indices)
            if frame_times:
                out[FRAME_TIME_SAMPLES] = tuple(frame_times)
    for position, run in enumerate(runs):
        if not isinstance(run, Mapping):
            continue
        mode = str(run.get("mode", ""))
        for metric in SAMPLED_METRICS:
            values = run.get(metric) or []
            if not (isinstance(values, list) and values and all(_number(v) for v in values)):
                continue
            sample = tuple(float(v) for v in values)
            if mode:
                out.setdefault(metric.replace("_ms", f"_{mode}_ms"), sample)
            if position == 0:
                out[metric] = sample
    return out


def read_details(run_dir: Path, record: ItemRecord) -> Mapping[str, Any] | None:
    """The item's parsed details.json, or None when it wrote none (e.g. a skipped item)."""
    details_path = item_dir(run_dir, record) / "details.json"
    if not details_path.is_file():
        return None
    try:
        details = json.loads(details_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not readable JSON ({exc}); allowed: the details.json the runner writes",
                          file=str(details_path)) from exc
    if not isinstance(details, Mapping):
        raise ConfigError(f"expected a JSON object, got {type(details).__name__}; allowed: the details.json the "
                          "runner writes", file=str(details_path))
    return details


def colour_response_from_details(details: Mapping[str, Any], *, source: str) -> ColourResponse | None:
    """The colour response in a parsed details.json (ConfigError naming `source` and the key when malformed), or
    None when the item measured none."""
    inner = details.get("details")
    if not isinstance(inner, Mapping) or inner.get("colour_response") is None:
        return None
    return ColourResponse.from_dict(inner["colour_response"], source=source, key="details.colour_response")


def row_from_record(run_dir: Path, record: ItemRecord, details: Mapping[str, Any] | None, *, index: int) -> Row:
    """One item's row: its record, with the samples and the colour response of its details.json (None: none)."""
    data: dict[str, Any] = record.to_dict()
    if details is not None:
        data["samples"] = samples_from_details(details)
        response = colour_response_from_details(details, source=str(item_dir(run_dir, record) / "details.json"))
        if response is not None:
            data["colour_response"] = response
    return row_from_mapping(data, source=str(run_dir), index=index)


def run_capacities(run_dir: Path) -> list[HostCapacity]:
    """The run's measured host capacities (host_capacity.json; none when it measured none); a malformed file is a
    ConfigError naming it."""
    try:
        return load_capacities(run_dir)
    except HarnessError as exc:
        raise ConfigError(f"{exc}; allowed: the host capacity list the run writes") from exc


def load_run_rows(run_dir: Path) -> list[Row]:
    """A run's rows: results.json (or results.jsonl), with samples and the colour response from each item's
    details.json where present, and the host limits of its host_capacity.json (with_host_capacity)."""
    rows = [row_from_record(run_dir, record, read_details(run_dir, record), index=index)
            for index, record in enumerate(load_results(run_dir))]
    return with_host_capacity(rows, run_capacities(run_dir))


__all__ = [
    "FRAME_RATE_METRICS",
    "FRAME_TIME_SAMPLES",
    "SAMPLED_METRICS",
    "HostLimit",
    "Row",
    "colour_response_from_details",
    "content_frame_times_ms",
    "is_frame_rate_metric",
    "load_run_rows",
    "read_details",
    "row_from_mapping",
    "row_from_record",
    "rows_from_mappings",
    "run_capacities",
    "samples_from_details",
    "with_host_capacity",
]
