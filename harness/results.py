"""One record per finished test item, written durably as it finishes (results.jsonl, results.json), read back.

A crash mid-run never loses a finished item: each record is appended and fsynced to results.jsonl, and
results.json (the list of all records so far) is replaced atomically after each one.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, Final, Literal, Protocol, get_args

from harness.diskcheck import disk_error
from harness.errors import AnalysisError, ConfigError, HarnessError, InfrastructureError, SdkDefectError
from harness.secrets import mask_data, mask_secrets

log = logging.getLogger(__name__)

Status = Literal["passed", "failed", "broken", "skipped"]
Verdict = Literal["pass", "fail"]
ErrorKind = Literal["sdk", "expectation", "infrastructure", "config", "analysis"]

STATUSES: Final[tuple[str, ...]] = get_args(Status)
VERDICTS: Final[tuple[str, ...]] = get_args(Verdict)
ERROR_KINDS: Final[tuple[str, ...]] = get_args(ErrorKind)

RESULTS_JSON: Final = "results.json"
RESULTS_JSONL: Final = "results.jsonl"


def item_dir_name(name: str) -> str:
    """The folder name of an item under <run>/items/: its readable name with unsafe characters as '_'."""
    return re.sub(r"[^A-Za-z0-9@._-]+", "_", name).strip("_")


def item_dir(run_dir: Path, record: ItemRecord) -> Path:
    """An item's folder: where its attachments are, else the folder its name gives."""
    for rel in record.attachments:
        parts = PurePosixPath(rel).parts
        if len(parts) >= 3 and parts[0] == "items":
            return run_dir / parts[0] / parts[1]
    return run_dir / "items" / item_dir_name(record.name)


def utc_now_iso() -> str:
    """The current time as ISO 8601 UTC with milliseconds, e.g. 2025-11-25T18:30:01.123+00:00."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(kw_only=True)
class CheckRecord:
    """One threshold check on a metric, e.g. content_fps 29.7 against '>= 20' -> pass.

    value None: the metric was not measured, and the check fails.
    """

    name: str
    metric: str
    value: float | None
    threshold: str
    verdict: Verdict
    unit: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            allowed = ", ".join(VERDICTS)
            raise HarnessError(f"check {self.name!r}: verdict {self.verdict!r} is not one of {allowed}")
        if self.value is None and self.verdict != "fail":
            raise HarnessError(f"check {self.name!r}: a metric that was not measured cannot pass")
        if self.value is not None and not math.isfinite(self.value):
            raise HarnessError(f"check {self.name!r}: value {self.value} is not a finite number")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckRecord:
        _require_keys(cls, data)
        return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass(kw_only=True)
class ItemRecord:
    """The outcome of one test item: its cell of the matrix, status, metrics, checks and error."""

    run_id: str
    item_id: str  # the pytest node id
    name: str  # readable, e.g. filter-warm[pixel7-glfx@2.0]
    scenario: str
    device: str
    device_name: str
    platform: str
    tags: dict[str, str | bool] = field(default_factory=dict)
    candidate: str  # sdk@version, e.g. glfx@2.0
    vendor: str
    sdk: str
    version: str
    status: Status
    metrics: dict[str, float] = field(default_factory=dict)
    checks: list[CheckRecord] = field(default_factory=list)
    error: dict[str, str] | None = None  # {"kind": one of ERROR_KINDS, "message": ...}
    started_at: str  # ISO 8601, UTC
    duration_s: float
    attachments: list[str] = field(default_factory=list)  # paths relative to the run directory
    # Adaptation defects found, each {"defect": name, "value", "unit", "threshold", "summary"}: see docs/metrics.md
    defects: list[dict[str, Any]] = field(default_factory=list)
    # Frame-rate findings the host explains (harness.hostcap): {"message", "defects", "reasons", "capacity", ...};
    # such a cell is no SDK failure (docs/metrics.md, "Host capacity").
    environment: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise HarnessError(f"{self.name}: status {self.status!r} is not one of {', '.join(STATUSES)}")
        for key, tag in self.tags.items():
            if not isinstance(tag, str | bool):
                raise HarnessError(f"{self.name}: tag {key!r} is {type(tag).__name__}; tags are str or bool")
        for metric, value in self.metrics.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise HarnessError(
                    f"{self.name}: metric {metric!r} is {value!r}; metrics must be finite numbers "
                    "(leave a metric out when it could not be measured)"
                )
        if self.error is not None:
            if set(self.error) != {"kind", "message"}:
                raise HarnessError(f"{self.name}: error needs exactly the keys kind, message: {self.error}")
            if self.error["kind"] not in ERROR_KINDS:
                raise HarnessError(
                    f"{self.name}: error kind {self.error['kind']!r} is not one of {', '.join(ERROR_KINDS)}"
                )
        try:
            started = datetime.fromisoformat(self.started_at)
        except ValueError:
            raise HarnessError(f"{self.name}: started_at {self.started_at!r} is not ISO 8601") from None
        if started.utcoffset() != timedelta(0):
            raise HarnessError(f"{self.name}: started_at {self.started_at!r} must be UTC (+00:00 or Z)")
        if not self.duration_s >= 0:
            raise HarnessError(f"{self.name}: duration_s {self.duration_s} must be >= 0")
        for rel in self.attachments:
            posix = PurePosixPath(rel)
            if posix.is_absolute() or ".." in posix.parts:
                raise HarnessError(f"{self.name}: attachment {rel!r} must be relative to the run directory")

    @property
    def started_at_epoch_ms(self) -> int:
        return int(datetime.fromisoformat(self.started_at).timestamp() * 1000)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["checks"] = [c.to_dict() for c in self.checks]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemRecord:
        _require_keys(cls, data)
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["checks"] = [CheckRecord.from_dict(c) for c in data.get("checks", [])]
        return cls(**values)


def _require_keys(cls: type[CheckRecord] | type[ItemRecord], data: Mapping[str, Any]) -> None:
    if not isinstance(data, Mapping):
        raise HarnessError(f"a {cls.__name__} must be a JSON object, got {type(data).__name__}")
    known = {f.name for f in fields(cls)}
    optional = ({"tags", "metrics", "checks", "error", "attachments", "defects", "environment"}
                if cls is ItemRecord else set())
    missing = sorted(known - optional - set(data))
    unknown = sorted(set(data) - known)
    if missing or unknown:
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"unknown {', '.join(unknown)}"] if unknown else []
        raise HarnessError(f"{cls.__name__}: {'; '.join(parts)} (keys: {', '.join(sorted(known))})")


def error_info(exc: BaseException) -> dict[str, str]:
    """The record's `error` for an exception: kind from the exception tree, message with secrets masked.

    AssertionError counts as an expectation not met; anything outside the tree counts as infrastructure.
    """
    kinds: tuple[tuple[type[BaseException], str], ...] = (
        (SdkDefectError, "sdk"),
        (ConfigError, "config"),
        (InfrastructureError, "infrastructure"),
        (AnalysisError, "analysis"),
        (AssertionError, "expectation"),
    )
    kind = next((k for cls, k in kinds if isinstance(exc, cls)), "infrastructure")
    return {"kind": kind, "message": mask_secrets(f"{type(exc).__name__}: {exc}")}


class ResultsSink(Protocol):
    """Where finished items go: the run directory on disk, or memory in unit tests."""

    def add(self, record: ItemRecord) -> None: ...

    @property
    def records(self) -> list[ItemRecord]: ...


def _dumps(record: ItemRecord) -> str:
    return json.dumps(mask_data(record.to_dict()), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class ResultsWriter:
    """Writes run_dir/results.jsonl (append + fsync per item) and run_dir/results.json (atomic replace).

    Use one writer per run, in the process that sees every item finish (the pytest controller). If the run
    directory already holds a results.jsonl (a resumed run), its records are kept.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.jsonl_path = run_dir / RESULTS_JSONL
        self.json_path = run_dir / RESULTS_JSON
        self._lock = threading.Lock()
        run_dir.mkdir(parents=True, exist_ok=True)
        self._records: list[ItemRecord] = []
        if self.jsonl_path.exists():
            self._records = _read_jsonl(self.jsonl_path)
            _drop_torn_tail(self.jsonl_path)

    @property
    def records(self) -> list[ItemRecord]:
        return list(self._records)

    def add(self, record: ItemRecord) -> None:
        """Appends the record as one whole line and replaces results.json. A write that fails (disk full, folder
        made read-only) leaves both files as they were and raises RunFolderError; the record is kept in memory
        for the summary."""
        line = (_dumps(record) + "\n").encode("utf-8")
        with self._lock:
            self._records.append(record)
            try:
                size = self.jsonl_path.stat().st_size if self.jsonl_path.exists() else 0
                try:
                    with self.jsonl_path.open("ab") as fh:
                        fh.write(line)
                        fh.flush()
                        os.fsync(fh.fileno())
                    self._write_json()
                except OSError:
                    _truncate(self.jsonl_path, size)  # both files keep the same records, whole lines only
                    raise
            except OSError as exc:
                raise disk_error(exc, f"result of {record.name} not written to the run folder {self.run_dir}") from None

    def _write_json(self) -> None:
        tmp = self.json_path.with_name(f".{RESULTS_JSON}.{os.getpid()}.tmp")
        items = [mask_data(r.to_dict()) for r in self._records]
        payload = json.dumps(items, ensure_ascii=False, allow_nan=False, indent=1)
        try:
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write(payload + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(self.json_path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.run_dir, os.O_RDONLY)  # make the rename itself durable
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _truncate(path: Path, size: int) -> None:
    """Cuts a partly appended line off again (best effort: the disk may refuse this too)."""
    try:
        with path.open("r+b") as fh:
            fh.truncate(size)
    except OSError:
        pass


def _drop_torn_tail(path: Path) -> None:
    """Cut an unfinished last line off results.jsonl so that the next append starts on a line of its own."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        log.warning("%s: dropping %d bytes of an unfinished last line", path, len(data) - keep)
        with path.open("r+b") as fh:
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())


class MemoryResultsWriter:
    """The same interface as ResultsWriter, kept in memory (for unit tests of code that reports results)."""

    def __init__(self) -> None:
        self._records: list[ItemRecord] = []
        self.lines: list[str] = []  # what results.jsonl would hold

    @property
    def records(self) -> list[ItemRecord]:
        return list(self._records)

    def add(self, record: ItemRecord) -> None:
        self.lines.append(_dumps(record))
        self._records.append(record)


def _parse_records(items: Any, *, file: Path) -> list[ItemRecord]:
    if not isinstance(items, list):
        raise ConfigError(f"expected a JSON list of item records, got {type(items).__name__}", file=str(file))
    records = []
    for index, item in enumerate(items):
        try:
            records.append(ItemRecord.from_dict(item))
        except HarnessError as exc:
            raise ConfigError(str(exc), file=str(file), key_path=f"[{index}]") from exc
        except TypeError as exc:  # a field of the wrong JSON type reaching a comparison
            raise ConfigError(f"malformed record: {exc}", file=str(file), key_path=f"[{index}]") from exc
    return records


def _read_jsonl(path: Path) -> list[ItemRecord]:
    """Records from results.jsonl; a torn last line (the process died while writing it) is skipped."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    items: list[Any] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if number == len(lines):  # no newline after it: the write never finished
                log.warning("%s: skipping the unfinished last line %d", path, number)
                continue
            raise ConfigError(f"line {number} is not JSON ({exc.msg})", file=str(path)) from exc
    return _parse_records(items, file=path)


def load_results(path: Path) -> list[ItemRecord]:
    """Load a run's records from a run directory, its results.json or its results.jsonl.

    Falls back to results.jsonl when results.json is missing or unreadable (a run killed before or while
    replacing it).
    """
    if path.name == RESULTS_JSONL and path.is_file():
        return _read_jsonl(path)
    run_dir, json_path = (path, path / RESULTS_JSON) if path.is_dir() else (path.parent, path)
    jsonl_path = run_dir / RESULTS_JSONL
    if json_path.exists():
        try:
            return _parse_records(json.loads(json_path.read_text(encoding="utf-8")), file=json_path)
        except (json.JSONDecodeError, UnicodeDecodeError, ConfigError) as exc:
            if not jsonl_path.exists():
                raise ConfigError(
                    f"unreadable ({exc}) and no {RESULTS_JSONL} beside it to fall back on",
                    file=str(json_path),
                ) from exc
            log.warning("%s unreadable (%s); loading %s instead", json_path, exc, jsonl_path)
    if jsonl_path.exists():
        return _read_jsonl(jsonl_path)
    raise ConfigError(f"no {RESULTS_JSON} or {RESULTS_JSONL} found", file=str(run_dir))


def records_by_cell(records: list[ItemRecord]) -> Mapping[tuple[str, str, str], ItemRecord]:
    """The last record per (device, candidate, scenario)."""
    return {(r.device, r.candidate, r.scenario): r for r in records}


__all__ = [
    "ERROR_KINDS",
    "STATUSES",
    "CheckRecord",
    "ErrorKind",
    "ItemRecord",
    "MemoryResultsWriter",
    "ResultsSink",
    "ResultsWriter",
    "Status",
    "Verdict",
    "error_info",
    "load_results",
    "records_by_cell",
    "utc_now_iso",
]
