"""Tests for harness.store on real databases: a SQLite file and a throwaway PostgreSQL server (tests/pg_server.py).
Migrations from empty and on re-open, ingest of run directories written by the real ResultsWriter, idempotent
re-ingest, queries, baselines, two processes writing at once, device fingerprints and credential masking."""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pg_server import PgServer

from harness.capture.clip import render_frame
from harness.clipspec import ClipSpec
from harness.compare import adaptation_matrix, default_config
from harness.compare.rows import load_run_rows, rows_from_mappings
from harness.config import Candidate, Device, parse_config
from harness.errors import ConfigError, InfrastructureError
from harness.hostcap import HostCapacity
from harness.metrics.frames import analyze_timeline
from harness.metrics.response import RESPONSE_BINS, colour_response, response_region
from harness.results import CheckRecord, ItemRecord, ResultsWriter
from harness.results import item_dir_name as safe_name
from harness.store import MIGRATIONS, Migration, Store, fingerprint_device, mask_url, open_store, parse_target
from harness.store.db import qmark_to_format
from harness.store.ingest import content_frame_times_ms
from harness.store.schema import migrate
from harness.store.sqlite import SqliteBackend

BACKENDS = ["sqlite", "postgresql"]
RUN_A, RUN_B = "20260101-100000", "20260102-100000"

# --- run directories, written as the runner writes them -----------------------------------------------------------

MATRIX = parse_config(
    {
        "devices": [
            {"id": "pixel7", "name": "Google Pixel 7 (web profile)", "platform": "web", "refresh_hz": 60,
             "tags": {"tier": "flagship", "new": False},
             "emulation": {"viewport": {"width": 412, "height": 915}, "pixel_ratio": 2.625,
                           "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 7)", "cpu_throttling": 1}},
            {"id": "galaxy-s24", "name": "Samsung Galaxy S24", "platform": "android", "refresh_hz": 120,
             "tags": {"tier": "flagship", "new": True}, "native": {"os_version": "14"}},
        ],
        "candidates": [
            {"vendor": "Lumen Labs", "sdk": "glfx", "version": v, "engine": "WebGL shader pipeline",
             "app": {"web": {"url": f"glfx/{v}/index.html"}, "android": {"package": "com.lumen.glfx"}},
             "locators": {"preview": "css=canvas"}}
            for v in ("1.0", "2.0")
        ],
    },
    source=Path("devices.yaml"),
)
DEVICES: tuple[Device, ...] = MATRIX.devices
CANDIDATES: tuple[Candidate, ...] = MATRIX.candidates
# A capture's timeline: index 3 shown twice (a repeat), one undecodable frame (None).
TIMELINE_T_MS = [0.0, 33.3, 66.7, 100.0, 150.0, 183.3, 216.7]
TIMELINE_INDEX: list[int | None] = [1, 2, 3, 3, None, 5, 6]


def record(run_id: str, device: str, version: str, scenario: str, *, status: str = "passed",
           metrics: dict[str, float] | None = None, error: dict[str, str] | None = None,
           checks: list[CheckRecord] | None = None, minute: int = 0, started_at: str | None = None,
           defects: list[dict[str, Any]] | None = None) -> ItemRecord:
    name = f"{scenario}[{device}-glfx@{version}]"
    tags: dict[str, str | bool] = {"tier": "flagship", "new": device == "galaxy-s24"}
    return ItemRecord(
        run_id=run_id, item_id=f"scenarios/{scenario}.yaml::{name}", name=name, scenario=scenario, device=device,
        device_name=next(d.name for d in DEVICES if d.id == device),
        platform=next(d.platform for d in DEVICES if d.id == device), tags=tags, candidate=f"glfx@{version}",
        vendor="Lumen Labs", sdk="glfx", version=version, status=status,  # type: ignore[arg-type]
        metrics=metrics or {}, checks=checks or [], error=error, defects=defects or [],
        started_at=started_at or f"{run_id[:4]}-{run_id[4:6]}-{run_id[6:8]}T10:{minute:02d}:00.000+00:00",
        duration_s=12.5,
    )


def details(startup_ms: list[float] | None = None) -> dict[str, Any]:
    """details.json as ScenarioRunner writes it (see harness.scenario.item._write_details)."""
    inner: dict[str, Any] = {"session_create_s": [0.81, 0.77]}
    if startup_ms is not None:
        inner["startup_runs"] = [
            {"mode": "cold", "startup_ms": startup_ms, "app_first_frame_ms": [s - 100 for s in startup_ms]},
            {"mode": "warm", "startup_ms": [999.0], "app_first_frame_ms": []},  # a later step: not the headline
        ]
    inner["timeline"] = {"t_ms": TIMELINE_T_MS, "source_index": TIMELINE_INDEX}
    return {"metrics": {}, "details": inner}


def write_run(root: Path, run_id: str, items: list[tuple[ItemRecord, dict[str, Any] | None]]) -> Path:
    run_dir = root / run_id
    writer = ResultsWriter(run_dir)
    for rec, det in items:
        if det is not None:
            item_dir = run_dir / "items" / safe_name(rec.name)  # the runner's own folder rule
            item_dir.mkdir(parents=True, exist_ok=True)
            (item_dir / "details.json").write_text(json.dumps(det), encoding="utf-8")
        writer.add(rec)
    return run_dir


def standard_run(root: Path, run_id: str, *, startup_shift_ms: float = 0.0) -> Path:
    """Four items: passed (with samples), failed expectation, broken (no metrics), skipped."""
    launches = [610.0 + startup_shift_ms, 590.0 + startup_shift_ms, 600.0 + startup_shift_ms]
    fps_check = CheckRecord(name="expect content_fps", metric="content_fps", value=12.0, threshold=">= 20",
                            verdict="fail", unit="fps")
    drops = {"defect": "frame_drops", "value": 12.0, "unit": "fps", "threshold": ">= 20",
             "summary": "content_fps = 12 (expected >= 20)"}
    return write_run(root, run_id, [
        (record(run_id, "pixel7", "2.0", "startup", metrics={"startup_ms": 600.0 + startup_shift_ms,
                                                               "content_fps": 29.5}), details(launches)),
        (record(run_id, "pixel7", "1.0", "filter-warm", status="failed", metrics={"content_fps": 12.0},
                checks=[fps_check], error={"kind": "expectation", "message": "content_fps = 12 (expected >= 20)"},
                minute=1, defects=[drops]), details()),
        (record(run_id, "galaxy-s24", "2.0", "startup", status="broken", minute=2,
                error={"kind": "infrastructure", "message": "InfrastructureError: Appium server gone"}), None),
        (record(run_id, "galaxy-s24", "1.0", "filter-warm", status="skipped", minute=3), None),
    ])


def ingest(store: Store, run_dir: Path, **kw: Any) -> str:
    return store.ingest_run(run_dir, devices=DEVICES, candidates=CANDIDATES,
                            metadata=kw.pop("metadata", {"git_commit": "abc123", "git_dirty": False}), **kw)


# --- migrations --------------------------------------------------------------------------------------------------


def test_migrations_from_empty_and_reopen(store_url: str) -> None:
    with open_store(store_url) as first:
        assert first.schema_version() == len(MIGRATIONS) == 3
        assert first.runs() == []
    with open_store(store_url) as again:
        assert again.schema_version() == 3
        assert migrate(again._db) == []  # nothing left to apply


def test_added_step_applies_once_and_newer_store_is_refused(store_url: str) -> None:
    extra = Migration(4, "known issues", ("CREATE TABLE known_issues (id {pk}, pattern TEXT NOT NULL)",))
    with open_store(store_url) as store:
        assert migrate(store._db, (*MIGRATIONS, extra)) == [4]
        assert migrate(store._db, (*MIGRATIONS, extra)) == []
        assert store.schema_version() == 4
    with pytest.raises(ConfigError, match=r"has schema version 4, newer than this harness knows \(3\)"):
        open_store(store_url)
    memory = SqliteBackend(parse_target(":memory:"))
    with pytest.raises(ConfigError, match=r"must be 1, 2, 3, \.\.\. in order, got \[1, 2, 3, 5\]"):
        migrate(memory, (*MIGRATIONS, Migration(5, "gap", ())))
    memory.close()


def test_a_version_1_store_is_upgraded_and_keeps_its_runs(tmp_path: Path) -> None:
    url = str(tmp_path / "old.db")
    with open_store(url) as store:
        ingest(store, standard_run(tmp_path, RUN_A))
    old = SqliteBackend(parse_target(url))  # turned back into the store version 1 of the schema left
    with old.transaction() as tx:
        tx.execute("DROP TABLE colour_responses")
        tx.execute("DROP TABLE host_limits")
        tx.execute("DELETE FROM schema_version WHERE version >= 2")
    assert old.query("SELECT max(version) FROM schema_version") == [(1,)]
    old.close()
    with open_store(url) as store:
        assert store.schema_version() == 3
        assert [r.run_id for r in store.runs()] == [RUN_A]
        assert len(store.cell_rows(RUN_A)) == 4
        assert all("colour_response" not in row for row in store.cell_rows(RUN_A))  # older runs: none
        assert all("host_limit" not in row for row in store.cell_rows(RUN_A))


# --- ingest ------------------------------------------------------------------------------------------------------


def test_ingest_stores_items_metrics_checks_and_samples(store: Store, tmp_path: Path) -> None:
    run_id = ingest(store, standard_run(tmp_path, RUN_A), metadata={
        "git_commit": "abc123", "git_branch": "main", "git_dirty": True, "host": "ci-7", "harness_version": "0.1.0",
        "grid": "https://alice:hunter2@grid.example.com/wd/hub", "apiToken": "tok-123",
    })
    assert run_id == RUN_A
    (run,) = store.runs()
    assert (run.kind, run.git_commit, run.git_branch, run.git_dirty) == ("run", "abc123", "main", True)
    assert run.host == "ci-7"
    assert run.item_count == 4
    # started_at: the earliest item; finished_at: the last item's start (10:03:00) + 12.5 s.
    assert (run.started_at, run.finished_at) == ("2026-01-01T10:00:00.000+00:00", "2026-01-01T10:03:12.500+00:00")
    assert run.metadata == {"grid": "https://***@grid.example.com/wd/hub", "apiToken": "***"}

    items = {(i.device_id, i.candidate_id, i.scenario): i for i in store.items(RUN_A)}
    passed = items[("pixel7", "glfx@2.0", "startup")]
    assert passed.metrics == {"startup_ms": 600.0, "content_fps": 29.5}
    assert passed.fingerprint == fingerprint_device(DEVICES[0]).hash
    # The scenario's first launch step backs startup_ms (and startup_cold_ms); the warm step has its own.
    assert store.samples(passed.id, "startup_ms") == (610.0, 590.0, 600.0)
    assert store.samples(passed.id, "startup_cold_ms") == (610.0, 590.0, 600.0)
    assert store.samples(passed.id, "startup_warm_ms") == (999.0,)
    assert store.samples(passed.id, "app_first_frame_ms") == (510.0, 490.0, 500.0)
    assert store.samples(passed.id, "session_create_s") == (0.81, 0.77)
    # Content updates at 0, 33.3, 66.7, 183.3, 216.7 ms (the repeat and the None skipped), by hand.
    assert store.samples(passed.id, "frame_time_ms") == pytest.approx((33.3, 33.4, 116.6, 33.4))
    assert store.samples(passed.id, "no_such_metric") == ()

    failed = items[("pixel7", "glfx@1.0", "filter-warm")]
    assert (failed.status, failed.error_kind) == ("failed", "expectation")
    assert [d["defect"] for d in failed.defects] == ["frame_drops"]
    assert [(c.metric, c.value, c.threshold, c.verdict) for c in store.checks(failed.id)] == [
        ("content_fps", 12.0, ">= 20", "fail")]
    broken = items[("galaxy-s24", "glfx@2.0", "startup")]
    assert (broken.status, broken.error_kind, broken.metrics) == ("broken", "infrastructure", {})
    assert broken.tags == {"tier": "flagship", "new": True}

    devices = {d.device_ids: d for d in store.devices()}
    assert devices[("galaxy-s24",)].os_version == "14"
    assert devices[("galaxy-s24",)].refresh_hz == 120.0
    assert devices[("pixel7",)].viewport_width == 412
    assert devices[("pixel7",)].is_new is False


def test_reingest_is_idempotent_and_picks_up_a_resumed_run(store: Store, tmp_path: Path) -> None:
    run_dir = standard_run(tmp_path, RUN_A)
    ingest(store, run_dir)
    before = store.items(RUN_A)
    rows_before = store.metric_rows(RUN_A)
    ingest(store, run_dir)
    assert store.items(RUN_A) == before
    assert store.metric_rows(RUN_A) == rows_before
    assert len(store.runs()) == 1
    assert len(store.devices()) == 2

    # The run is resumed: the skipped item is run again (a second record for the same node id) and passes.
    again = record(RUN_A, "galaxy-s24", "1.0", "filter-warm", metrics={"content_fps": 58.0}, minute=9)
    ResultsWriter(run_dir).add(again)
    ingest(store, run_dir)
    after = {i.node_id: i for i in store.items(RUN_A)}
    assert len(after) == 4
    assert after[again.item_id].status == "passed"
    assert after[again.item_id].metrics == {"content_fps": 58.0}
    assert {i.node_id: i.id for i in before} == {n: i.id for n, i in after.items()}  # item ids kept


def test_ingest_refuses_bad_input_before_writing(store: Store, tmp_path: Path) -> None:
    run_dir = standard_run(tmp_path, RUN_A)
    with pytest.raises(ConfigError, match=r"device 'galaxy-s24' is not among the given devices; allowed: pixel7"):
        store.ingest_run(run_dir, devices=DEVICES[:1], candidates=None, metadata={})
    with pytest.raises(ConfigError, match=r"run kind 'weekly' is not allowed; allowed: run, nightly"):
        store.ingest_run(run_dir, devices=None, candidates=None, kind="weekly", metadata={})
    with pytest.raises(ConfigError, match=r"metadata.git_dirty: expected true or false, got 'yes'"):
        store.ingest_run(run_dir, devices=None, candidates=None, metadata={"git_dirty": "yes"})
    details_file = next(run_dir.glob("items/*/details.json"))
    details_file.write_text('{"details": {"startup_runs": [{"startup_ms": ["fast"]}]}}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"details.json: details.startup_runs\[0\].startup_ms: expected a list"):
        store.ingest_run(run_dir, devices=None, candidates=None, metadata={})
    assert store.runs() == []


def test_without_devices_yaml_fingerprints_are_partial_and_kept_apart(store: Store, tmp_path: Path) -> None:
    store.ingest_run(standard_run(tmp_path, RUN_A), devices=None, candidates=None, metadata={})
    ingest(store, standard_run(tmp_path, RUN_B))
    by_id: dict[str, list[bool]] = {}
    for device in store.devices():
        for device_id in device.device_ids:
            by_id.setdefault(device_id, []).append(device.partial)
    assert {k: sorted(v) for k, v in by_id.items()} == {"pixel7": [False, True], "galaxy-s24": [False, True]}


# --- queries -----------------------------------------------------------------------------------------------------


def test_queries_series_last_run_and_comparison_rows(store: Store, tmp_path: Path) -> None:
    ingest(store, standard_run(tmp_path, RUN_A))
    ingest(store, standard_run(tmp_path, RUN_B, startup_shift_ms=50.0), kind="nightly")
    assert [r.run_id for r in store.runs()] == [RUN_B, RUN_A]
    assert [r.run_id for r in store.runs(kind="nightly")] == [RUN_B]
    assert store.last_run().run_id == RUN_B  # type: ignore[union-attr]
    assert store.last_run(before=RUN_B).run_id == RUN_A  # type: ignore[union-attr]
    assert store.last_run(before=RUN_A) is None
    assert store.last_run(kind="run", sdk="nosuch") is None

    series = store.metric_series("startup_ms", device="pixel7", candidate="glfx@2.0", scenario="startup")
    assert [(p.run_id, p.value) for p in series] == [(RUN_A, 600.0), (RUN_B, 650.0)]
    assert [p.run_id for p in store.metric_series("startup_ms", sdk="glfx", limit=1)] == [RUN_B]
    fp = fingerprint_device(DEVICES[0]).hash
    assert len(store.metric_series("content_fps", fingerprint=fp)) == 4

    rows = store.metric_rows(RUN_B)
    startup = next(r for r in rows if r.metric == "startup_ms")
    assert (startup.fingerprint, startup.device_id, startup.candidate_id, startup.vendor, startup.version,
            startup.status, startup.value) == (fp, "pixel7", "glfx@2.0", "Lumen Labs", "2.0", "passed", 650.0)
    assert startup.samples == (660.0, 640.0, 650.0)
    broken = [r for r in rows if r.status in ("broken", "skipped")]
    assert [(r.metric, r.value) for r in broken] == [(None, None), (None, None)]  # still listed, with no metric
    assert [r.scenario for r in store.metric_rows(RUN_B, scenario="filter-warm")] == ["filter-warm"] * 2

    compare_rows = {(r.device, r.candidate, r.scenario): r for r in
                    rows_from_mappings(store.cell_rows(RUN_B), source=store.url)}
    row = compare_rows[("pixel7", "glfx@2.0", "startup")]
    assert row.values("startup_ms") == [660.0, 640.0, 650.0]
    assert row.fingerprint == fp
    assert compare_rows[("galaxy-s24", "glfx@2.0", "startup")].error == {
        "kind": "infrastructure", "message": "InfrastructureError: Appium server gone"}

    with pytest.raises(ConfigError, match=r"no run 'nope' in the results store .*newest: 20260102-100000, 2026"):
        store.items("nope")


def test_baselines_are_scoped_and_the_newest_wins(store: Store, tmp_path: Path) -> None:
    ingest(store, standard_run(tmp_path, RUN_A))
    ingest(store, standard_run(tmp_path, RUN_B))
    assert store.baseline_for("glfx") is None
    everything = store.accept_baseline(RUN_A, accepted_by="lead")
    assert (everything.sdk, everything.scenario, everything.accepted_by) == ("*", "*", "lead")
    assert store.baseline_for("glfx", scenario="startup").run_id == RUN_A  # type: ignore[union-attr]
    store.accept_baseline(RUN_B, sdk="glfx", scenario="startup", accepted_by="lead", note="new device farm")
    assert store.baseline_for("glfx", scenario="startup").run_id == RUN_B  # type: ignore[union-attr]
    assert store.baseline_for("glfx", scenario="filter-warm").run_id == RUN_A  # type: ignore[union-attr]
    assert store.baseline_for("glfx").run_id == RUN_A  # type: ignore[union-attr]
    assert [b.note for b in store.baselines()] == ["new device farm", ""]
    with pytest.raises(ConfigError, match=r"run 20260101-100000 has no items for sdk pixkit and scenario \*; it has "
                                          r"\(sdk/scenario\): glfx/filter-warm, glfx/startup"):
        store.accept_baseline(RUN_A, sdk="pixkit")
    with pytest.raises(ConfigError, match=r"no run 'missing'"):
        store.accept_baseline("missing")


# --- two writers at once -----------------------------------------------------------------------------------------

WRITES_PER_PROCESS = 50


def _writer_process(url: str, runs_root: str, worker: int, ready_dir: str) -> tuple[int, float, float]:
    """Runs in a child process: waits for the other writer, then opens the store (migrating it, concurrently)
    and ingests the shared run and its own runs, one transaction each. Returns (runs written, start, end)."""
    ready = Path(ready_dir)
    (ready / str(worker)).touch()
    deadline = time.monotonic() + 60
    while len(list(ready.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    written = 0
    started = time.time()
    with open_store(url) as store:
        for name in ["shared", *(f"w{worker}-{n:03d}" for n in range(WRITES_PER_PROCESS))]:
            store.ingest_run(Path(runs_root) / name, devices=DEVICES, candidates=CANDIDATES, metadata={})
            written += 1
    return written, started, time.time()


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_writing_at_once_lose_nothing(backend: str, tmp_path: Path,
                                                    request: pytest.FixtureRequest) -> None:
    url = str(tmp_path / "results.db") if backend == "sqlite" else str(request.getfixturevalue("pg_url"))
    runs_root = tmp_path / "runs"
    names = ["shared", *(f"w{w}-{n:03d}" for w in (0, 1) for n in range(WRITES_PER_PROCESS))]
    for minute, name in enumerate(names):
        rec = record(name, "pixel7", "2.0", "startup", metrics={"startup_ms": 600.0},
                     started_at=f"2026-01-01T{minute // 60:02d}:{minute % 60:02d}:00+00:00")
        write_run(runs_root, name, [(rec, details([600.0, 610.0, 620.0]))])
    ready = tmp_path / "ready"
    ready.mkdir()
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_writer_process, url, str(runs_root), w, str(ready)) for w in (0, 1)]
        results = [f.result(timeout=120) for f in futures]
    assert [written for written, _, _ in results] == [WRITES_PER_PROCESS + 1] * 2
    assert max(start for _, start, _ in results) < min(end for _, _, end in results)  # they overlapped
    with open_store(url) as store:
        runs = store.runs()
        assert len(runs) == 2 * WRITES_PER_PROCESS + 1
        assert sum(r.item_count for r in runs) == len(runs)
        rows = [row for r in runs for row in store.metric_rows(r.run_id)]
        assert len(rows) == len(runs)
        assert all(row.samples == (600.0, 610.0, 620.0) for row in rows)
        assert len(store.devices()) == 1
        assert store.schema_version() == len(MIGRATIONS)


def test_items_by_run_is_items_of_every_run(store: Store, tmp_path: Path) -> None:
    assert store.items_by_run() == {}
    ingest(store, standard_run(tmp_path, RUN_A))
    ingest(store, standard_run(tmp_path, RUN_B, startup_shift_ms=50.0))
    by_run = store.items_by_run()
    assert list(by_run) == [RUN_A, RUN_B]
    assert by_run == {run_id: store.items(run_id) for run_id in (RUN_A, RUN_B)}
    assert by_run[RUN_B][0].metrics["startup_ms"] == 650.0


def _response(shift_blue: int, frame: int) -> dict[str, Any]:
    """The colour response of a clip frame through an output that adds `shift_blue` to its blue channel."""
    source = render_frame(ClipSpec(), frame)
    output = source.copy()
    output[..., 2] = np.clip(source[..., 2].astype(int) + shift_blue, 0, 255).astype(np.uint8)
    region = response_region(source.shape[1], source.shape[0], exclude=None)
    return colour_response(source, output, region=region, bins=RESPONSE_BINS).to_dict()


def test_colour_responses_are_stored_and_judged_from_the_store(store: Store, tmp_path: Path) -> None:
    # pixel7 (reference) renders the frames as they are; galaxy-s24 (new) adds 30 to blue: a cast far beyond
    # visual_consistency_delta_e max:2. Built from the store alone, the adaptation matrix must see it.
    reference, cast = _response(0, 10), _response(30, 40)
    scenario = "filter-warm"
    run_dir = write_run(tmp_path, RUN_A, [
        (record(RUN_A, "pixel7", "2.0", scenario, metrics={"content_fps": 30.0}),
         {**details(), "details": {**details()["details"], "colour_response": reference}}),
        (record(RUN_A, "galaxy-s24", "2.0", scenario, metrics={"content_fps": 30.0}, minute=1),
         {**details(), "details": {**details()["details"], "colour_response": cast}}),
    ])
    ingest(store, run_dir)
    mappings = store.cell_rows(RUN_A)
    by_device = {m["device"]: m for m in mappings}
    assert by_device["pixel7"]["colour_response"] == reference
    assert by_device["galaxy-s24"]["colour_response"] == cast
    rows = rows_from_mappings(mappings, source="store")
    matrix = adaptation_matrix(rows, config=default_config(), match_tag="tier")
    cell = matrix.cell("galaxy-s24", "glfx@2.0")
    assert cell.verdict == "degraded", cell.reasons
    assert cell.reasons[0].startswith(f"{scenario}: visual_consistency_delta_e "), cell.reasons
    # Stored as written: the store's distance is the one computed from the run folder.
    from_folder = adaptation_matrix(load_run_rows(run_dir), config=default_config(), match_tag="tier")
    assert from_folder.cell("galaxy-s24", "glfx@2.0").reasons == cell.reasons
    # Ingesting the run again without a response removes the old one (no stale response is left behind).
    (run_dir / "items" / safe_name(f"{scenario}[galaxy-s24-glfx@2.0]") / "details.json").write_text(
        json.dumps(details()), encoding="utf-8")
    ingest(store, run_dir)
    item = next(i for i in store.items(RUN_A) if i.device_id == "galaxy-s24")
    assert store.colour_response(item.id) is None
    assert store.colour_response(next(i for i in store.items(RUN_A) if i.device_id == "pixel7").id) == reference


def test_a_malformed_colour_response_stops_the_ingest(store: Store, tmp_path: Path) -> None:
    bad = {**details(), "details": {**details()["details"], "colour_response": {"bins": 99, "frames": 1,
                                                                                 "cells": []}}}
    run_dir = write_run(tmp_path, RUN_A, [(record(RUN_A, "pixel7", "2.0", "filter-warm"), bad)])
    with pytest.raises(ConfigError, match=r"details\.colour_response\.bins.*99 is not allowed"):
        ingest(store, run_dir)
    assert store.runs() == []


def _capacity(device: str, *, content_fps: float) -> dict[str, Any]:
    """A host_capacity.json entry as the run writes it (harness.hostcap.HostCapacity.to_dict)."""
    return HostCapacity(device=device, cpu_throttling=4.0, source_fps=30.0, content_fps=content_fps,
                        frame_time_p50_ms=1000 / content_fps, frame_time_p90_ms=1000 / content_fps + 10,
                        dropped_frames=0.0, load1_before=0.5, load1_after=0.6, cores=2, measured_at_epoch_s=0.0,
                        duration_s=3.0).to_dict()


def test_host_limits_are_stored_and_come_back_as_the_run_folder_gives_them(store: Store, tmp_path: Path) -> None:
    # pixel7's pass-through reached 12 fps (< 22.5): its filter cell at 11 fps is the machine's (>= 0.6 x 12), its
    # startup cell at 5 fps has a cost of its own (< 7.2). galaxy-s24 has no capacity but an environment finding of
    # its own: its reasons are its evidence.
    load = "load average 4.80 above the 2 cores during the capture"
    run_dir = write_run(tmp_path, RUN_A, [
        (record(RUN_A, "pixel7", "2.0", "filter-warm", metrics={"content_fps": 11.0}), details()),
        (record(RUN_A, "pixel7", "2.0", "startup", metrics={"content_fps": 5.0}, minute=1), details()),
        (replace(record(RUN_A, "galaxy-s24", "2.0", "filter-warm", status="skipped", metrics={"content_fps": 14.0},
                        minute=2),
                 environment={"message": "[environment] frame_drops limited by the machine", "reasons": [load]}),
         details()),
    ])
    (run_dir / "host_capacity.json").write_text(json.dumps([_capacity("pixel7", content_fps=12.0)]),
                                                encoding="utf-8")
    ingest(store, run_dir)
    by_cell = {(m["device"], m["scenario"]): m for m in store.cell_rows(RUN_A)}
    pixel7 = by_cell[("pixel7", "filter-warm")]["host_limit"]
    assert pixel7[0].startswith("the pass-through itself reached only 12.0 fps on this profile"), pixel7
    assert pixel7[-1].startswith("pass-through on pixel7: 12.0 fps"), pixel7
    assert "host_limit" not in by_cell[("pixel7", "startup")]
    assert by_cell[("galaxy-s24", "filter-warm")]["host_limit"] == [load]
    # The same rule as a comparison of the run folder: rows from the store carry the same limits.
    stored = {(r.device, r.scenario): r.host_limit for r in rows_from_mappings(store.cell_rows(RUN_A), source="s")}
    folder = {(r.device, r.scenario): r.host_limit for r in load_run_rows(run_dir)}
    assert stored == folder
    assert stored[("pixel7", "filter-warm")] is not None
    # Ingesting the run again without its capacity file removes the capacity's limit, keeps the finding's.
    (run_dir / "host_capacity.json").unlink()
    ingest(store, run_dir)
    again = {(m["device"], m["scenario"]): m for m in store.cell_rows(RUN_A)}
    assert "host_limit" not in again[("pixel7", "filter-warm")]
    item = next(i for i in store.items(RUN_A) if i.device_id == "galaxy-s24")
    assert store.host_limit(item.id) == [load]


def test_a_malformed_host_capacity_file_stops_the_ingest(store: Store, tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, RUN_A, [(record(RUN_A, "pixel7", "2.0", "filter-warm"), details())])
    (run_dir / "host_capacity.json").write_text('[{"device": "pixel7"}]', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"host_capacity.json: not a host capacity list"):
        ingest(store, run_dir)
    assert store.runs() == []


# --- fingerprints, masking, SQL --------------------------------------------------------------------------------


def test_fingerprint_is_stable_and_follows_what_changes_measurements() -> None:
    pixel7 = DEVICES[0]
    fp = fingerprint_device(pixel7)
    # The canonical text, written out by hand from devices.yaml's pixel7 entry; the hash is its SHA-256 prefix
    # (cc2b5772c4edebcb from `printf %s "<canonical>" | sha256sum`, also the id real runs of pixel7 are stored under).
    canonical = ('{"cpu_throttling":1.0,"model":"Google Pixel 7 (web profile)","os_version":null,"partial":false,'
                 '"pixel_ratio":2.625,"platform":"web","refresh_hz":60.0,"v":1,"viewport":[412,915]}')
    assert fp.canonical() == canonical
    assert fp.hash == hashlib.sha256(canonical.encode()).hexdigest()[:16] == "cc2b5772c4edebcb"

    def variant(device: Device, **changes: Any) -> str:
        return fingerprint_device(device.model_copy(update=changes)).hash

    assert variant(pixel7, id="pixel-7-renamed", tags=pixel7.tags.model_copy(update={"new": True})) == fp.hash
    assert variant(pixel7, refresh_hz=60) == fp.hash  # 60 and 60.0 alike
    assert variant(pixel7, refresh_hz=120.0) != fp.hash
    galaxy = DEVICES[1]
    native = galaxy.native
    assert native is not None
    assert variant(galaxy, native=native.model_copy(update={"os_version": "15"})) != fingerprint_device(galaxy).hash
    assert variant(galaxy, native=native.model_copy(update={"udid": "R5CX30"})) == fingerprint_device(galaxy).hash


def test_store_urls_are_parsed_and_credentials_never_shown(tmp_path: Path) -> None:
    assert mask_url("postgresql://bob:s3cret@db.example.com:5432/h") == "postgresql://***@db.example.com:5432/h"
    assert mask_url("postgresql://db/h?sslmode=require&password=s3cret") == "postgresql://db/h?sslmode=require&password=***"
    assert parse_target(tmp_path / "r.db").dialect == "sqlite"
    assert parse_target("sqlite:///tmp/x.db").location == "/tmp/x.db"
    assert parse_target("postgres://u@h/db").dialect == "postgresql"
    with pytest.raises(ConfigError, match=r"store: store URL scheme 'mysql' is not supported \(mysql://\*\*\*@h/db\)"):
        parse_target("mysql://root:pw@h/db")
    with pytest.raises(ConfigError, match=r"needs an absolute path after sqlite:// \(three slashes"):
        parse_target("sqlite://results.db")
    with pytest.raises(ConfigError, match=r"is a folder; allowed: the path of a SQLite file"):
        open_store(tmp_path)


def test_postgres_errors_and_repr_mask_the_password(pg_server: PgServer, pg_url: str) -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    with pytest.raises(InfrastructureError, match=r"cannot connect to the results store "
                                                  r"postgresql://\*\*\*@127\.0\.0\.1:1/h: ") as info:
        open_store("postgresql://bob:s3cret@127.0.0.1:1/h")
    assert "s3cret" not in str(info.value)
    assert info.value.__cause__ is None
    url = pg_url.replace("harness@", "harness:s3cret@")
    with open_store(url) as store:  # trust authentication: the password is not checked, only carried
        assert repr(store) == f"Store('postgresql://***@127.0.0.1:{pg_server.port}/{url.rsplit('/', 1)[1]}')"


def test_qmark_placeholders_become_psycopg_style_outside_quotes() -> None:
    sql = "SELECT '?', \"a?b\" FROM t WHERE x = ? AND y LIKE '50%' AND z = ?"
    assert qmark_to_format(sql) == "SELECT '?', \"a?b\" FROM t WHERE x = %s AND y LIKE '50%%' AND z = %s"


def test_frame_time_samples_match_the_frame_timing_metric() -> None:
    timing = analyze_timeline(TIMELINE_T_MS, TIMELINE_INDEX, source_fps=30.0, clip_frames=300)
    assert content_frame_times_ms(TIMELINE_T_MS, TIMELINE_INDEX) == list(timing.frame_times_ms)
