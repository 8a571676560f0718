"""The results store: runs ingested from their run directories into SQLite or PostgreSQL, and the queries that
trends, baselines and run-to-run comparisons need."""

from __future__ import annotations

import getpass
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from harness.config import Candidate, Device
from harness.errors import ConfigError
from harness.results import CheckRecord
from harness.store.db import Backend, Param, Row, Transaction, parse_target
from harness.store.ingest import ItemData, RunData, read_run, utc_ms
from harness.store.models import Baseline, DeviceInfo, ItemInfo, MetricRow, RunInfo, SeriesPoint
from harness.store.schema import migrate, schema_version

ALL: Final = "*"  # a baseline's scope covering every sdk / every scenario
_ITEM_COLS: Final = (
    "i.id, r.run_id, i.node_id, i.name, d.fingerprint, i.device_id, i.candidate_id, c.vendor, c.sdk, c.version, "
    "i.scenario, i.status, i.error_kind, i.error_message, i.started_at, i.duration_s, i.tags_json, i.defects_json"
)
_ITEM_JOINS: Final = (
    "FROM items i JOIN runs r ON r.id = i.run_pk JOIN devices d ON d.id = i.device_pk "
    "JOIN candidates c ON c.id = i.candidate_pk"
)
_RUN_COLS: Final = (
    "r.run_id, r.kind, r.started_at, r.finished_at, r.harness_version, r.host, r.git_commit, r.git_branch, "
    "r.git_dirty, r.metadata_json, r.ingested_at, (SELECT COUNT(*) FROM items i WHERE i.run_pk = r.id)"
)
_NEWEST_FIRST: Final = "COALESCE(r.started_at, r.ingested_at) DESC, r.id DESC"
_BASELINE_COLS: Final = "b.id, r.run_id, b.sdk, b.scenario, b.accepted_at, b.accepted_by, b.note"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _opt_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _where(filters: Sequence[tuple[str, Param | None]]) -> tuple[str, list[Param]]:
    """`AND col = ?` for each filter whose value is not None."""
    used = [(col, value) for col, value in filters if value is not None]
    return "".join(f" AND {col} = ?" for col, _ in used), [value for _, value in used]


class Store:
    """An open results store. Use `open_store`; close it (or use it as a context manager) when done."""

    def __init__(self, backend: Backend) -> None:
        self._db = backend
        try:
            migrate(backend)
        except BaseException:
            backend.close()
            raise

    @property
    def url(self) -> str:
        """Where the store is, with credentials masked: safe to print."""
        return self._db.target.display

    @property
    def dialect(self) -> str:
        return self._db.dialect

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def schema_version(self) -> int:
        return schema_version(self._db)

    # --- writing -------------------------------------------------------------------------------------------------
    def ingest_run(
        self,
        run_dir: Path,
        *,
        devices: Sequence[Device] | None,
        candidates: Sequence[Candidate] | None,
        kind: str = "run",
        metadata: Mapping[str, Any],
    ) -> str:
        """Store the run in `run_dir` (results.json + items/*/details.json) and return its run id.

        `devices` / `candidates`: the devices.yaml entries the run used (None: fingerprint devices from
        results.json alone, see harness.store.fingerprint). `metadata`: started_at, finished_at, harness_version,
        host, git_commit, git_branch (strings), git_dirty (bool) go to their columns, anything else is kept as
        JSON; credentials in it are masked. Ingesting a run again replaces its items, so nothing is duplicated.
        """
        data = read_run(run_dir, devices=devices, candidates=candidates, kind=kind, metadata=metadata)
        with self._db.transaction(lock_key=f"run:{data.run_id}") as tx:
            run_pk = self._upsert_run(tx, data)
            device_pks = self._device_pks(tx, data.items)
            candidate_pks = self._candidate_pks(tx, data.items)
            existing = {str(node): int(pk) for pk, node in tx.execute(
                "SELECT id, node_id FROM items WHERE run_pk = ?", (run_pk,))}
            keep = {item.record.item_id for item in data.items}
            for node, pk in sorted(existing.items()):
                if node not in keep:
                    tx.execute("DELETE FROM items WHERE id = ?", (pk,))
            for item in sorted(data.items, key=lambda i: i.record.item_id):
                item_pk = self._write_item(
                    tx, item, run_pk=run_pk, existing_pk=existing.get(item.record.item_id),
                    device_pk=device_pks[item.fingerprint.hash],
                    candidate_pk=candidate_pks[(item.record.vendor, item.record.sdk, item.record.version)],
                )
                self._write_values(tx, item, item_pk)
        return data.run_id

    def _upsert_run(self, tx: Transaction, data: RunData) -> int:
        cols = data.columns
        rows = tx.execute(
            "INSERT INTO runs (run_id, kind, started_at, finished_at, harness_version, host, git_commit, git_branch, "
            "git_dirty, metadata_json, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (run_id) DO UPDATE SET kind = excluded.kind, started_at = excluded.started_at, "
            "finished_at = excluded.finished_at, harness_version = excluded.harness_version, host = excluded.host, "
            "git_commit = excluded.git_commit, git_branch = excluded.git_branch, git_dirty = excluded.git_dirty, "
            "metadata_json = excluded.metadata_json RETURNING id",
            (data.run_id, data.kind, cols["started_at"], cols["finished_at"], cols["harness_version"], cols["host"],
             cols["git_commit"], cols["git_branch"], cols["git_dirty"],
             json.dumps(data.extra_metadata, sort_keys=True, allow_nan=False), _now()),
        )
        return int(rows[0][0])

    def _device_pks(self, tx: Transaction, items: Sequence[ItemData]) -> dict[str, int]:
        """Devices by fingerprint, added when new; in sorted order, so concurrent writers lock rows alike."""
        out: dict[str, int] = {}
        for fp in sorted({i.fingerprint.hash: i.fingerprint for i in items}.items()):
            key, f = fp
            tx.execute(
                "INSERT INTO devices (fingerprint, partial, model, platform, os_version, viewport_width, "
                "viewport_height, pixel_ratio, refresh_hz, cpu_throttling, tier, is_new, first_seen_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING",
                (key, f.partial, f.model, f.platform, f.os_version, f.viewport_width, f.viewport_height,
                 f.pixel_ratio, f.refresh_hz, f.cpu_throttling, f.tier, f.is_new, _now()),
            )
            out[key] = int(tx.execute("SELECT id FROM devices WHERE fingerprint = ?", (key,))[0][0])
        return out

    def _candidate_pks(self, tx: Transaction, items: Sequence[ItemData]) -> dict[tuple[str, str, str], int]:
        engines: dict[tuple[str, str, str], str | None] = {}
        for item in items:
            key = (item.record.vendor, item.record.sdk, item.record.version)
            engines[key] = engines.get(key) or item.engine
        out: dict[tuple[str, str, str], int] = {}
        for key, engine in sorted(engines.items()):
            tx.execute(
                "INSERT INTO candidates (vendor, sdk, version, engine) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (vendor, sdk, version) DO NOTHING",
                (*key, engine),
            )
            pk = int(tx.execute("SELECT id FROM candidates WHERE vendor = ? AND sdk = ? AND version = ?", key)[0][0])
            if engine is not None:
                tx.execute("UPDATE candidates SET engine = ? WHERE id = ? AND engine IS NULL", (engine, pk))
            out[key] = pk
        return out

    def _write_item(
        self, tx: Transaction, item: ItemData, *, run_pk: int, existing_pk: int | None, device_pk: int,
        candidate_pk: int,
    ) -> int:
        r = item.record
        values: tuple[Param, ...] = (
            r.name, device_pk, r.device, candidate_pk, r.candidate, r.scenario, r.status,
            r.error["kind"] if r.error else None, r.error["message"] if r.error else None, utc_ms(r.started_at),
            float(r.duration_s), json.dumps(r.tags, sort_keys=True),
            json.dumps(r.defects, sort_keys=True, default=str),
        )
        if existing_pk is None:
            rows = tx.execute(
                "INSERT INTO items (name, device_pk, device_id, candidate_pk, candidate_id, scenario, status, "
                "error_kind, error_message, started_at, duration_s, tags_json, defects_json, run_pk, node_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (*values, run_pk, r.item_id),
            )
            return int(rows[0][0])
        tx.execute(
            "UPDATE items SET name = ?, device_pk = ?, device_id = ?, candidate_pk = ?, candidate_id = ?, "
            "scenario = ?, status = ?, error_kind = ?, error_message = ?, started_at = ?, duration_s = ?, "
            "tags_json = ?, defects_json = ? WHERE id = ?",
            (*values, existing_pk),
        )
        for table in ("metrics", "checks", "samples", "colour_responses", "host_limits"):
            tx.execute(f"DELETE FROM {table} WHERE item_pk = ?", (existing_pk,))  # fixed table names
        return existing_pk

    def _write_values(self, tx: Transaction, item: ItemData, item_pk: int) -> None:
        r = item.record
        tx.executemany(
            "INSERT INTO metrics (item_pk, name, value) VALUES (?, ?, ?)",
            [(item_pk, name, float(value)) for name, value in sorted(r.metrics.items())],
        )
        tx.executemany(
            "INSERT INTO checks (item_pk, seq, name, metric, value, threshold, verdict, unit) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(item_pk, seq, c.name, c.metric, c.value, c.threshold, c.verdict, c.unit)
             for seq, c in enumerate(r.checks)],
        )
        tx.executemany(
            "INSERT INTO samples (item_pk, metric, seq, value) VALUES (?, ?, ?, ?)",
            [(item_pk, metric, seq, value) for metric, values in sorted(item.samples.items())
             for seq, value in enumerate(values)],
        )
        if item.colour_response is not None:
            tx.execute("INSERT INTO colour_responses (item_pk, response_json) VALUES (?, ?)",
                       (item_pk, json.dumps(item.colour_response, separators=(",", ":"))))
        if item.host_limit:
            tx.execute("INSERT INTO host_limits (item_pk, evidence_json) VALUES (?, ?)",
                       (item_pk, json.dumps(list(item.host_limit))))

    def accept_baseline(
        self, run_id: str, *, sdk: str | None = None, scenario: str | None = None, accepted_by: str | None = None,
        note: str = "",
    ) -> Baseline:
        """Make `run_id` the baseline for `sdk` (None: every sdk) and `scenario` (None: every scenario). Earlier
        acceptances stay as history; the newest matching one is the baseline."""
        self._require_run(run_id)
        where, params = _where([("c.sdk", sdk), ("i.scenario", scenario)])
        count = self._db.query(f"SELECT COUNT(*) {_ITEM_JOINS} WHERE r.run_id = ?{where}", (run_id, *params))
        if int(count[0][0]) == 0:
            have = self._db.query(
                f"SELECT DISTINCT c.sdk, i.scenario {_ITEM_JOINS} WHERE r.run_id = ? ORDER BY c.sdk, i.scenario",
                (run_id,))
            allowed = ", ".join(f"{s}/{sc}" for s, sc in have) or "nothing (the run has no items)"
            raise ConfigError(
                f"run {run_id} has no items for sdk {sdk or ALL} and scenario {scenario or ALL}; "
                f"it has (sdk/scenario): {allowed}",
                key_path="baseline",
            )
        by = accepted_by or getpass.getuser()
        with self._db.transaction() as tx:
            rows = tx.execute(
                "INSERT INTO baselines (sdk, scenario, run_pk, accepted_at, accepted_by, note) "
                "SELECT ?, ?, id, ?, ?, ? FROM runs WHERE run_id = ? RETURNING id",
                (sdk or ALL, scenario or ALL, _now(), by, note, run_id),
            )
        found = self._db.query(f"SELECT {_BASELINE_COLS} FROM baselines b JOIN runs r ON r.id = b.run_pk "
                               "WHERE b.id = ?", (int(rows[0][0]),))
        return _baseline(found[0])

    # --- reading -------------------------------------------------------------------------------------------------
    def baseline_for(self, sdk: str, *, scenario: str | None = None) -> Baseline | None:
        """The newest acceptance covering `sdk` (its own or '*') and `scenario` (its own or '*'; None: only
        acceptances for every scenario), or None when nothing was accepted."""
        scopes = (scenario, ALL) if scenario is not None else (ALL, ALL)
        rows = self._db.query(
            f"SELECT {_BASELINE_COLS} FROM baselines b JOIN runs r ON r.id = b.run_pk "
            "WHERE b.sdk IN (?, ?) AND b.scenario IN (?, ?) ORDER BY b.accepted_at DESC, b.id DESC LIMIT 1",
            (sdk, ALL, *scopes),
        )
        return _baseline(rows[0]) if rows else None

    def baselines(self) -> list[Baseline]:
        """Every acceptance, newest first."""
        rows = self._db.query(f"SELECT {_BASELINE_COLS} FROM baselines b JOIN runs r ON r.id = b.run_pk "
                              "ORDER BY b.accepted_at DESC, b.id DESC")
        return [_baseline(row) for row in rows]

    def runs(self, *, kind: str | None = None, sdk: str | None = None, limit: int | None = None) -> list[RunInfo]:
        """Stored runs, newest start first; only those of `kind` / with items of `sdk` when given."""
        where, params = _where([("r.kind", kind)])
        if sdk is not None:
            where += (" AND EXISTS (SELECT 1 FROM items i JOIN candidates c ON c.id = i.candidate_pk "
                      "WHERE i.run_pk = r.id AND c.sdk = ?)")
            params.append(sdk)
        sql = f"SELECT {_RUN_COLS} FROM runs r WHERE 1 = 1{where} ORDER BY {_NEWEST_FIRST}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [_run(row) for row in self._db.query(sql, params)]

    def run(self, run_id: str) -> RunInfo:
        rows = self._db.query(f"SELECT {_RUN_COLS} FROM runs r WHERE r.run_id = ?", (run_id,))
        if not rows:
            self._require_run(run_id)
        return _run(rows[0])

    def last_run(self, *, kind: str | None = None, sdk: str | None = None, before: str | None = None) -> RunInfo | None:
        """The newest run (of `kind`, with items of `sdk`), or the newest that started before run `before`."""
        if before is None:
            found = self.runs(kind=kind, sdk=sdk, limit=1)
            return found[0] if found else None
        pivot = self.run(before)
        older = [r for r in self.runs(kind=kind, sdk=sdk)
                 if r.run_id != before and (r.started_at or "") < (pivot.started_at or "")]
        return older[0] if older else None

    def items(self, run_id: str) -> list[ItemInfo]:
        """The run's items with their metrics, in start order."""
        self._require_run(run_id)
        rows = self._db.query(f"SELECT {_ITEM_COLS} {_ITEM_JOINS} WHERE r.run_id = ? ORDER BY i.started_at, i.id",
                              (run_id,))
        metrics: dict[int, dict[str, float]] = defaultdict(dict)
        for item_pk, name, value in self._db.query(
            "SELECT m.item_pk, m.name, m.value FROM metrics m JOIN items i ON i.id = m.item_pk "
            "JOIN runs r ON r.id = i.run_pk WHERE r.run_id = ? ORDER BY m.name", (run_id,)
        ):
            metrics[int(item_pk)][str(name)] = float(value)
        return [_item(row, metrics.get(int(row[0]), {})) for row in rows]

    def items_by_run(self) -> dict[str, list[ItemInfo]]:
        """Every stored item with its metrics, by run id, each run's in start order: what items() gives run by
        run, read in two queries whatever the number of runs (for views across the whole history)."""
        rows = self._db.query(f"SELECT {_ITEM_COLS} {_ITEM_JOINS} ORDER BY r.id, i.started_at, i.id")
        metrics: dict[int, dict[str, float]] = defaultdict(dict)
        for item_pk, name, value in self._db.query("SELECT item_pk, name, value FROM metrics ORDER BY name"):
            metrics[int(item_pk)][str(name)] = float(value)
        out: dict[str, list[ItemInfo]] = {}
        for row in rows:
            out.setdefault(str(row[1]), []).append(_item(row, metrics.get(int(row[0]), {})))
        return out

    def samples(self, item_id: int, metric: str) -> tuple[float, ...]:
        """The raw repeats behind `metric` of item `item_id` (ItemInfo.id), in the order taken; () when none."""
        rows = self._db.query("SELECT value FROM samples WHERE item_pk = ? AND metric = ? ORDER BY seq",
                              (int(item_id), metric))
        return tuple(float(v) for (v,) in rows)

    def checks(self, item_id: int) -> list[CheckRecord]:
        """The threshold checks of item `item_id` (ItemInfo.id), in the order the record listed them."""
        rows = self._db.query("SELECT name, metric, value, threshold, verdict, unit FROM checks WHERE item_pk = ? "
                              "ORDER BY seq", (int(item_id),))
        return [CheckRecord(name=r[0], metric=r[1], value=None if r[2] is None else float(r[2]), threshold=r[3],
                            verdict=r[4], unit=r[5]) for r in rows]

    def metric_rows(self, run_id: str, *, sdk: str | None = None, scenario: str | None = None) -> list[MetricRow]:
        """One row per (item, metric) of the run, with the metric's samples: what a comparison reads."""
        self._require_run(run_id)
        where, params = _where([("c.sdk", sdk), ("i.scenario", scenario)])
        rows = self._db.query(
            "SELECT i.id, r.run_id, d.fingerprint, i.device_id, i.candidate_id, c.vendor, c.sdk, c.version, "
            f"i.scenario, i.status, m.name, m.value {_ITEM_JOINS} LEFT JOIN metrics m ON m.item_pk = i.id "
            f"WHERE r.run_id = ?{where} ORDER BY i.device_id, i.candidate_id, i.scenario, i.id, m.name",
            (run_id, *params),
        )
        samples = self._run_samples(run_id)
        return [
            MetricRow(item_id=int(row[0]), run_id=row[1], fingerprint=row[2], device_id=row[3], candidate_id=row[4],
                      vendor=row[5], sdk=row[6], version=row[7], scenario=row[8], status=row[9], metric=row[10],
                      value=None if row[11] is None else float(row[11]),
                      samples=samples.get((int(row[0]), row[10]), ()))
            for row in rows
        ]

    def cell_rows(self, run_id: str, *, sdk: str | None = None, scenario: str | None = None) -> list[dict[str, Any]]:
        """One mapping per item, with the keys harness.compare.rows.row_from_mapping reads (device, sdk, version,
        scenario, status, candidate, vendor, tags, metrics, samples, fingerprint, error, run_id, name, and
        colour_response and host_limit (the evidence lines) when the item has them)."""
        by_item: dict[int, dict[str, list[float]]] = defaultdict(dict)
        for (item_pk, metric), values in self._run_samples(run_id).items():
            by_item[item_pk][metric] = list(values)
        responses = self._run_responses(run_id)
        limits = self._run_host_limits(run_id)
        out = []
        for item in self.items(run_id):
            if (sdk is not None and item.sdk != sdk) or (scenario is not None and item.scenario != scenario):
                continue
            out.append({
                "run_id": item.run_id, "name": item.name, "device": item.device_id, "fingerprint": item.fingerprint,
                "candidate": item.candidate_id, "vendor": item.vendor, "sdk": item.sdk, "version": item.version,
                "scenario": item.scenario, "status": item.status, "tags": dict(item.tags),
                "metrics": dict(item.metrics),
                "samples": by_item.get(item.id, {}),
                "error": None if item.error_kind is None
                else {"kind": item.error_kind, "message": item.error_message or ""},
                **({"colour_response": responses[item.id]} if item.id in responses else {}),
                **({"host_limit": limits[item.id]} if item.id in limits else {}),
            })
        return out

    def colour_response(self, item_id: int) -> dict[str, Any] | None:
        """One item's colour response (ColourResponse.to_dict), None when it has none."""
        rows = self._db.query("SELECT response_json FROM colour_responses WHERE item_pk = ?", (item_id,))
        return dict(json.loads(rows[0][0])) if rows else None

    def _run_responses(self, run_id: str) -> dict[int, dict[str, Any]]:
        return {int(item_pk): json.loads(text) for item_pk, text in self._db.query(
            "SELECT c.item_pk, c.response_json FROM colour_responses c JOIN items i ON i.id = c.item_pk "
            "JOIN runs r ON r.id = i.run_pk WHERE r.run_id = ?", (run_id,))}

    def host_limit(self, item_id: int) -> list[str]:
        """Why the machine set one item's frame rate (evidence lines); empty when it did not."""
        rows = self._db.query("SELECT evidence_json FROM host_limits WHERE item_pk = ?", (item_id,))
        return [str(line) for line in json.loads(rows[0][0])] if rows else []

    def _run_host_limits(self, run_id: str) -> dict[int, list[str]]:
        return {int(item_pk): [str(line) for line in json.loads(text)] for item_pk, text in self._db.query(
            "SELECT h.item_pk, h.evidence_json FROM host_limits h JOIN items i ON i.id = h.item_pk "
            "JOIN runs r ON r.id = i.run_pk WHERE r.run_id = ?", (run_id,))}

    def _run_samples(self, run_id: str) -> dict[tuple[int, str], tuple[float, ...]]:
        grouped: dict[tuple[int, str], list[float]] = defaultdict(list)
        for item_pk, metric, value in self._db.query(
            "SELECT s.item_pk, s.metric, s.value FROM samples s JOIN items i ON i.id = s.item_pk "
            "JOIN runs r ON r.id = i.run_pk WHERE r.run_id = ? ORDER BY s.item_pk, s.metric, s.seq", (run_id,)
        ):
            grouped[(int(item_pk), str(metric))].append(float(value))
        return {key: tuple(values) for key, values in grouped.items()}

    def metric_series(
        self, metric: str, *, device: str | None = None, fingerprint: str | None = None,
        candidate: str | None = None, sdk: str | None = None, version: str | None = None,
        scenario: str | None = None, kind: str | None = None, limit: int | None = None,
    ) -> list[SeriesPoint]:
        """The history of `metric`, oldest first (the newest `limit` points when given), narrowed by device id,
        device fingerprint, candidate id, sdk, version, scenario and run kind."""
        where, params = _where([("i.device_id", device), ("d.fingerprint", fingerprint), ("i.candidate_id", candidate),
                                ("c.sdk", sdk), ("c.version", version), ("i.scenario", scenario), ("r.kind", kind)])
        sql = (
            "SELECT r.run_id, r.kind, r.started_at, i.id, d.fingerprint, i.device_id, i.candidate_id, c.sdk, "
            f"c.version, i.scenario, i.status, m.value {_ITEM_JOINS} JOIN metrics m ON m.item_pk = i.id "
            f"WHERE m.name = ?{where} ORDER BY {_NEWEST_FIRST}, i.id DESC"
        )
        all_params: list[Param] = [metric, *params]
        if limit is not None:
            sql += " LIMIT ?"
            all_params.append(int(limit))
        points = [
            SeriesPoint(run_id=row[0], kind=row[1], started_at=row[2], item_id=int(row[3]), fingerprint=row[4],
                        device_id=row[5], candidate_id=row[6], sdk=row[7], version=row[8], scenario=row[9],
                        status=row[10], value=float(row[11]))
            for row in self._db.query(sql, all_params)
        ]
        return points[::-1]

    def devices(self) -> list[DeviceInfo]:
        """Every device configuration seen, with the device ids it ran under."""
        ids: dict[int, set[str]] = defaultdict(set)
        for pk, device_id in self._db.query("SELECT DISTINCT device_pk, device_id FROM items"):
            ids[int(pk)].add(str(device_id))
        rows = self._db.query(
            "SELECT id, fingerprint, partial, model, platform, os_version, viewport_width, viewport_height, "
            "pixel_ratio, refresh_hz, cpu_throttling, tier, is_new, first_seen_at FROM devices ORDER BY id"
        )
        return [
            DeviceInfo(fingerprint=r[1], partial=bool(r[2]), model=r[3], platform=r[4], os_version=r[5],
                       viewport_width=r[6], viewport_height=r[7], pixel_ratio=r[8], refresh_hz=r[9],
                       cpu_throttling=r[10], tier=r[11], is_new=_opt_bool(r[12]), first_seen_at=r[13],
                       device_ids=tuple(sorted(ids.get(int(r[0]), ()))))
            for r in rows
        ]

    def _require_run(self, run_id: str) -> None:
        if self._db.query("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)):
            return
        recent = [r[0] for r in self._db.query(f"SELECT r.run_id FROM runs r ORDER BY {_NEWEST_FIRST} LIMIT 5")]
        raise ConfigError(
            f"no run {run_id!r} in the results store {self.url}; allowed: a stored run id "
            f"(newest: {', '.join(recent) or 'none, the store is empty'})",
            key_path="run_id",
        )


def _run(row: Row) -> RunInfo:
    return RunInfo(run_id=row[0], kind=row[1], started_at=row[2], finished_at=row[3], harness_version=row[4],
                   host=row[5], git_commit=row[6], git_branch=row[7], git_dirty=_opt_bool(row[8]),
                   metadata=json.loads(row[9]), ingested_at=row[10], item_count=int(row[11]))


def _item(row: Row, metrics: Mapping[str, float]) -> ItemInfo:
    return ItemInfo(id=int(row[0]), run_id=row[1], node_id=row[2], name=row[3], fingerprint=row[4], device_id=row[5],
                    candidate_id=row[6], vendor=row[7], sdk=row[8], version=row[9], scenario=row[10], status=row[11],
                    error_kind=row[12], error_message=row[13], started_at=row[14], duration_s=float(row[15]),
                    tags=json.loads(row[16]), defects=tuple(json.loads(row[17])), metrics=dict(metrics))


def _baseline(row: Row) -> Baseline:
    return Baseline(id=int(row[0]), run_id=row[1], sdk=row[2], scenario=row[3], accepted_at=row[4],
                    accepted_by=row[5], note=row[6])


def open_store(url_or_path: str | Path) -> Store:
    """Open (creating and migrating as needed) the store at a SQLite file path, `sqlite:///path`, or
    `postgresql://user@host:port/db`. Errors show the location with credentials masked."""
    target = parse_target(url_or_path)
    if target.dialect == "postgresql":
        from harness.store.postgres import PostgresBackend

        return Store(PostgresBackend(target))
    from harness.store.sqlite import SqliteBackend

    return Store(SqliteBackend(target))
