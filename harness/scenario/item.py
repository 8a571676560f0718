"""Runs one matrix cell for the pytest plugin: label it, run the scenario, judge the expectations, and write the
record at once (also when the item fails or breaks), with its evidence attached."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import allure
import pytest

from harness import hostcap, stopsignals
from harness.config.devices import Candidate, Device
from harness.config.scenarios import Scenario
from harness.devices.connection import end_session
from harness.devices.session import as_infrastructure
from harness.diskcheck import disk_error, is_disk_error
from harness.errors import AppCrashError, SdkDefectError
from harness.report.allure_meta import allure_item_labels, attach_file, attach_metrics
from harness.results import CheckRecord, ItemRecord, Status, error_info, item_dir_name, utc_now_iso
from harness.scenario.context import NullReporter, Outcome
from harness.scenario.runner import ScenarioRunner
from harness.scenario.spans import Spans
from harness.secrets import mask_data

if TYPE_CHECKING:
    from harness.run import Run


class ScenarioItem(Protocol):
    """What running a matrix cell needs of its test item (the pytest plugin's item is one); the scenario layer
    names it here so that it never imports the plugin above it."""

    @property
    def name(self) -> str: ...
    @property
    def nodeid(self) -> str: ...
    @property
    def scenario(self) -> Scenario: ...
    @property
    def device(self) -> Device: ...
    @property
    def candidate(self) -> Candidate: ...


class AllureSteps:
    """StepReporter backed by Allure: each scenario step is an Allure step, files become attachments.

    Videos are not inlined into the single-file report: they stay beside it in the run folder and the item gets a
    link to them (relative to allure-report/index.html). Of the key frames only the first is attached; all stay
    in the item's folder."""

    def __init__(self, run_dir: Path | None = None) -> None:
        self.run_dir = run_dir
        self.key_frames = 0

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        with allure.step(title):
            yield

    def attach(self, path: Path, name: str) -> None:
        if path.suffix.lower() in LINKED_SUFFIXES and self.run_dir is not None:
            with contextlib.suppress(ValueError):  # a file outside the run folder is attached as before
                rel = path.resolve().relative_to(self.run_dir.resolve()).as_posix()
                allure.dynamic.link(f"../{rel}", link_type="link", name=f"{name}: {rel}")
                return
        if name.startswith("key frame"):
            self.key_frames += 1
            if self.key_frames > MAX_KEY_FRAME_ATTACHMENTS:
                return
        attach_file(path, name)


LINKED_SUFFIXES = (".webm", ".mp4", ".mkv", ".mov")
MAX_KEY_FRAME_ATTACHMENTS = 1


# The defect class an unmet expectation points to, by the metric's name (first match wins).
EXPECTATION_DEFECTS: tuple[tuple[str, str], ...] = (
    ("startup", "slow_start"),
    ("app_first_frame", "slow_start"),
    ("content_fps", "frame_drops"),
    ("dropped_frames", "frame_drops"),
    ("freeze", "freeze"),
    ("jank", "jank"),
    ("big_jank", "jank"),
    ("stutter", "jank"),
    ("filter_delta_e", "colour_fidelity"),
    ("filter", "effect_not_applied"),
    ("beauty", "beauty_quality"),
    ("effect", "effect_placement"),
    ("recording", "recording"),
)


def expectation_defect(metric: str) -> str:
    return next((d for prefix, d in EXPECTATION_DEFECTS if metric.startswith(prefix)), "expectation")


def judge(scenario: Scenario, metrics: dict[str, float], *,
          not_applicable: Mapping[str, str] | None = None) -> list[CheckRecord]:
    """The scenario's expectations against the measured metrics; a metric not measured fails its check, unless it
    cannot exist for this candidate (`not_applicable`: metric -> why), which is not judged."""
    checks = []
    for metric, threshold in scenario.expect.items():
        if metric in (not_applicable or {}) and metric not in metrics:
            continue
        value = metrics.get(metric)
        ok = value is not None and threshold.check(value)
        checks.append(CheckRecord(name=f"expect {metric}", metric=metric,
                                  value=None if value is None else float(value),
                                  threshold=threshold.describe(), verdict="pass" if ok else "fail",
                                  unit=_unit(metric)))
    return checks


def _unit(metric: str) -> str:
    from harness.report.allure_meta import metric_unit

    return metric_unit(metric)


def _label_item(item: ScenarioItem) -> None:
    """The item's Allure labels (its cell) and title."""
    device, candidate, scenario = item.device, item.candidate, item.scenario
    allure_item_labels(scenario=scenario.name, scenario_kind=scenario.kind, device=device.id,
                       platform=device.platform, sdk=candidate.sdk, version=candidate.version,
                       tags=_tags(device), device_name=device.name, repeat=getattr(item, "repeat", 1))
    allure.dynamic.title(item.name)


def _cell(run: Run, item: ScenarioItem) -> dict[str, Any]:
    """The ItemRecord fields that name the item and its cell."""
    device, candidate = item.device, item.candidate
    return {"run_id": run.run_id, "item_id": item.nodeid, "name": item.name, "scenario": item.scenario.name,
            "device": device.id, "device_name": device.name, "platform": device.platform, "tags": _tags(device),
            "candidate": candidate.id, "vendor": candidate.vendor, "sdk": candidate.sdk,
            "version": candidate.version}


def run_item(run: Run, item: ScenarioItem) -> None:
    device, candidate, scenario = item.device, item.candidate, item.scenario
    item_dir = run.run_dir / "items" / item_dir_name(item.name)
    spans = Spans()
    capacity: hostcap.HostCapacity | None = None
    started_at, started = utc_now_iso(), time.monotonic()
    _label_item(item)
    if scenario.description:
        allure.dynamic.description(scenario.description)
    outcome = Outcome()
    status: Status = "passed"
    error: dict[str, str] | None = None
    environment: dict[str, Any] | None = None
    checks: list[CheckRecord] = []
    runner: ScenarioRunner | None = None
    try:
        with spans.span("host_capacity"):  # once per web device, before its first item's clock starts
            capacity = _capacity(run, device)  # inside the try: a failure here still writes the item's record
        started_at, started = utc_now_iso(), time.monotonic()
        with spans.span("setup"):
            runner = ScenarioRunner(services=run.services(), device=device, candidate=candidate, scenario=scenario,
                                    item_dir=item_dir, reporter=AllureSteps(run.run_dir), spans=spans)
        outcome = runner.outcome
        try:
            runner.run(keep_open=True)
        except SdkDefectError as exc:
            if not str(exc).startswith(FINAL_DEFECTS_PREFIX):
                raise  # stopped mid-scenario: not a finding the host capacity can explain
        runner_defects = {d["defect"] for d in outcome.defects}  # found by the runner, before the expectations
        checks = judge(scenario, outcome.metrics, not_applicable=outcome.not_applicable)
        if outcome.not_applicable:
            outcome.details["not_applicable"] = dict(outcome.not_applicable)
        failed = [c for c in checks if c.verdict == "fail"]
        for c in failed:
            outcome.add_defect(expectation_defect(c.metric), value=c.value, unit=c.unit, threshold=c.threshold,
                               summary=f"{c.metric} = {'not measured' if c.value is None else f'{c.value:g}'} "
                                       f"(expected {c.threshold})")
        verdict = hostcap.judge_cell(capacity, defects=[d["defect"] for d in outcome.defects],
                                     content_fps=outcome.metrics.get("content_fps"), cell_load1=hostcap.load1(),
                                     expected_fps=_expected_fps(scenario))
        environment = _set_aside(outcome, verdict)
        failed = [c for c in failed if expectation_defect(c.metric) not in verdict.environment]
        sdk_defects = [d for d in outcome.defects if d["defect"] in runner_defects]
        if sdk_defects:
            raise SdkDefectError(f"{FINAL_DEFECTS_PREFIX} {runner.label}: "
                                 + "; ".join(d["summary"] for d in sdk_defects))
        if failed:
            raise AssertionError("[expectation] " + "; ".join(
                f"{c.metric} = {'not measured' if c.value is None else f'{c.value:g}'} (expected {c.threshold})"
                for c in failed))
    except BaseException as exc:
        # KeyboardInterrupt and the like (SIGTERM, SIGHUP: harness.stopsignals) are not Exceptions: the item is
        # broken, what it took is kept. A transport failure or a full disk is an infrastructure fault, one line.
        mapped = _infrastructure(exc, run, item)
        status = "failed" if isinstance(mapped, AssertionError) else "broken"
        if isinstance(mapped, AppCrashError):
            outcome.add_defect("crash", value=None, unit="", threshold="the app keeps running", summary=str(exc))
        error = error_info(mapped)
        if mapped is not exc:
            raise mapped from None
        raise
    finally:
        with stopsignals.held():  # a stop signal waits until the record is written
            _finish_item(run, item, runner, outcome, status=status, error=error, checks=checks,
                         started_at=started_at, started=started, item_dir=item_dir, environment=environment,
                         spans=spans)
    if environment is not None:
        pytest.skip(str(environment["message"]))


def _infrastructure(exc: BaseException, run: Run, item: ScenarioItem) -> BaseException:
    """The exception as the record and the console show it: transport failures and run-folder write failures
    become one-line infrastructure errors (harness.devices.session, harness.diskcheck)."""
    if is_disk_error(exc):
        assert isinstance(exc, OSError)
        return disk_error(exc, f"{item.name}: the run folder cannot be written")
    url = run.appium.url if run.appium is not None and item.device.connection == "local" else "the server"
    return as_infrastructure(exc, server_url=url, label=item.device.id) or exc


def _finish_item(run: Run, item: ScenarioItem, runner: ScenarioRunner | None, outcome: Outcome, *, status: Status,
                 error: dict[str, str] | None, checks: list[CheckRecord], started_at: str, started: float,
                 item_dir: Path, environment: dict[str, Any] | None, spans: Spans) -> None:
    """Closes the item's session and writes its record (results.jsonl, results.json, details.json)."""
    try:
        if runner is not None:
            _end_session(runner, item, status, error)
    finally:
        writing = time.monotonic()
        record = ItemRecord(
            **_cell(run, item), status=status, metrics=dict(outcome.metrics),
            checks=checks + [CheckRecord(**c) for c in outcome.checks],
            error=error, started_at=started_at, duration_s=round(time.monotonic() - started, 3),
            attachments=[str(p.relative_to(run.run_dir)) for p in outcome.attachments if p.exists()],
            defects=list(outcome.defects), environment=environment,
        )
        run.writer.add(record)  # first: the record is what a run must never lose
        try:
            spans.seconds["writing"] = time.monotonic() - writing  # details.json itself comes after
            outcome.details["timing_s"] = {**spans.to_dict(), "item": record.duration_s}
            _write_details(item_dir, outcome)
            attach_metrics(outcome.metrics)
        except OSError as exc:
            if is_disk_error(exc):
                raise disk_error(exc, f"{item.name}: details not written") from None
            raise


FINAL_DEFECTS_PREFIX = "[sdk] adaptation defects on"


def _capacity(run: Any, device: Any) -> hostcap.HostCapacity | None:
    """The host's capacity on this web profile, measured before the device's first item (None elsewhere)."""
    def measure_now() -> hostcap.HostCapacity:
        def make_runner(*, candidate: Any, scenario: Any, item_dir: Path) -> ScenarioRunner:
            return ScenarioRunner(services=run.services(), device=device, candidate=candidate, scenario=scenario,
                                  item_dir=item_dir, reporter=NullReporter())
        return hostcap.measure(device, make_runner=make_runner, source_fps=float(run.clip_spec.fps),
                               item_dir=run.run_dir / "host-capacity" / device.id)
    return hostcap.book_for(run.run_dir).get(device, measure_now)


def _expected_fps(scenario: Any) -> float | None:
    threshold = scenario.expect.get("content_fps")
    low = getattr(threshold, "min", None)
    return float(low) if isinstance(low, int | float) else None


def _set_aside(outcome: Outcome, verdict: hostcap.CellVerdict) -> dict[str, Any] | None:
    """Moves the defects the machine explains out of the outcome's defects into the record's `environment`."""
    if not verdict.limited:
        return None
    moved = [d for d in outcome.defects if d["defect"] in verdict.environment]
    outcome.defects[:] = [d for d in outcome.defects if d["defect"] not in verdict.environment]
    return {"message": verdict.message(), "defects": moved, "reasons": list(verdict.reasons), **verdict.evidence}


def _end_session(runner: ScenarioRunner, item: ScenarioItem, status: Status, error: dict[str, str] | None) -> None:
    """Closes the item's last session; on a farm, first names it and marks it passed or failed there, and keeps
    its dashboard link (details.json `farm_session`, an Allure link)."""
    session = runner.platform.session
    driver = session.driver if session is not None else None
    try:
        farm = end_session(item.device, driver, status=status, reason=(error or {}).get("message", status),
                           name=item.name)
    finally:
        runner.close()
    if farm is not None:
        runner.outcome.details["farm_session"] = dataclasses.asdict(farm)
        if farm.link:
            allure.dynamic.link(farm.link, name=f"{farm.farm} session")


def unsupported_reason(candidate: Candidate, device: Device) -> str:
    """Why a candidate is not run on a device: its vendor declares the device unsupported."""
    return (f"[unsupported] {candidate.id} is not supported on {device.id} ({device.name}): the candidate's "
            f"`unsupported` list in devices.yaml names it ({', '.join(candidate.unsupported)})")


def skip_unsupported(run: Run, item: ScenarioItem) -> None:
    """Records a device the candidate does not support as a skipped item (category "Device not supported"),
    without starting anything, and skips it."""
    reason = unsupported_reason(item.candidate, item.device)
    _label_item(item)
    run.writer.add(ItemRecord(**_cell(run, item), status="skipped", error={"kind": "config", "message": reason},
                              started_at=utc_now_iso(), duration_s=0.0))
    pytest.skip(reason)


def _tags(device: Device) -> dict[str, str | bool]:
    tags = device.tags.as_dict()
    return {str(k): v if isinstance(v, bool) else str(v) for k, v in tags.items()}


def _write_details(item_dir: Path, outcome: Outcome) -> None:
    item_dir.mkdir(parents=True, exist_ok=True)
    (item_dir / "details.json").write_text(
        json.dumps(mask_data({"metrics": outcome.metrics, "details": outcome.details}), indent=1, default=str),
        encoding="utf-8",
    )
