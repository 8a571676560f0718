"""The run overview in the Allure report: the landing page, the adaptation heatmap, the vendor comparison, start-up
distributions, the deltas against the baseline, the known issues and extra pages as the report's global attachments
(one `*-globals.json`, shown on the report's home page, counted as no test); plus a frame-time chart attached to
every item that measured frame timing."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

from markupsafe import Markup

from harness.compare import (
    AdaptationMatrix,
    CompareConfig,
    Row,
    adaptation_matrix,
    compare_vendors,
    default_config,
    html_page,
    is_confirmed_regression,
    write_adaptation_png,
)
from harness.compare.render import UPGRADE_COLOURS
from harness.compare.rows import FRAME_TIME_SAMPLES, read_details, row_from_record, with_host_capacity
from harness.errors import AnalysisError, ConfigError, HarnessError
from harness.hostcap import HostCapacity, load_capacities
from harness.known_issues import KnownIssues
from harness.pagekit import BAD_BG, OK_BG, WARN_BG, Cell, Table, TableRow, render_page, trusted
from harness.report.charts import deltas_svg, frame_time_svg, startup_distribution_svg
from harness.report.generate import report_platforms
from harness.report.known import known_issues_html, match_known, match_results, write_result
from harness.report.landing import Evidence, evidence_file, landing_html, landing_page, thumbnail_jpeg
from harness.results import ItemRecord

log = logging.getLogger(__name__)

LANDING_ATTACHMENT: Final = "run overview (HTML)"
GLOBALS_SUFFIX: Final = "-globals.json"  # Allure 3 reads these as the run's global attachments and errors
FRAME_TIME_ATTACHMENT: Final = "frame time per content update (SVG)"
ADAPTATION_PNG: Final = "adaptation.png"
ADAPTATION_HTML: Final = "adaptation.html"
LANDING_HTML: Final = "overview.html"
MATCH_TAG: Final = "tier"
_NAMESPACE: Final = uuid.UUID("3f1c8a52-6a0e-4d8f-9a51-7c2b7a9e0d11")
_MIME: Final = {"png": "image/png", "svg": "image/svg+xml", "html": "text/html"}
CHART_ERRORS: Final = (HarnessError, ValueError)


@dataclass
class _Attachments:
    """Attachments of one result being written: files in the results folder, and what failed to draw."""

    results_dir: Path
    key: str  # names the attachment files: the same key and name give the same file
    entries: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, name: str, ext: str, content: str | bytes, *, first: bool = False) -> Path:
        source = f"{uuid.uuid5(_NAMESPACE, f'{self.key}/{name}')}-attachment.{ext}"
        path = self.results_dir / source
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        entry = {"name": name, "source": source, "type": _MIME[ext]}
        self.entries.insert(0 if first else len(self.entries), entry)
        return path

    def attempt(self, what: str, draw: Callable[[], None]) -> None:
        """Run one chart; a chart that cannot be drawn is noted, and the others still are."""
        try:
            draw()
        except CHART_ERRORS as exc:
            log.warning("run overview: %s not drawn: %s", what, exc)
            self.problems.append(f"{what}: {type(exc).__name__}: {exc}")


@dataclass(frozen=True, kw_only=True)
class _Item:
    record: ItemRecord
    row: Row
    frame_times_ms: tuple[float, ...]
    budget_ms: float | None


def _budget_ms(details: Mapping[str, Any] | None) -> float | None:
    """The frame budget in ms (1000 / the camera's fps) of an item's details.json, None when unknown."""
    inner = (details or {}).get("details")
    timing = inner.get("frame_timing") if isinstance(inner, Mapping) else None
    fps: Any = timing.get("source_fps") if isinstance(timing, Mapping) else None
    if isinstance(fps, int | float) and not isinstance(fps, bool) and math.isfinite(fps) and fps > 0:
        return 1000.0 / float(fps)
    return None


def _items(run_dir: Path, records: Sequence[ItemRecord], problems: list[str],
           capacities: Sequence[HostCapacity] = ()) -> list[_Item]:
    """Each record with its row (harness.compare.rows: samples, colour response, the host's limit from the record
    or from `capacities`) and its frame times."""
    out = []
    for index, record in enumerate(records):
        try:
            details = read_details(run_dir, record)
            row = row_from_record(run_dir, record, details, index=index)
        except ConfigError as exc:
            problems.append(f"{record.name}: details not read: {exc}")
            details, row = None, row_from_record(run_dir, record, None, index=index)
        (row,) = with_host_capacity([row], capacities)
        out.append(_Item(record=record, row=row, frame_times_ms=row.samples.get(FRAME_TIME_SAMPLES, ()),
                         budget_ms=_budget_ms(details)))
    return out


# --- per item ----------------------------------------------------------------------------------------------
def attach_frame_times(results_dir: Path, items: Sequence[_Item], *, run_id: str) -> tuple[int, list[str]]:
    """Append a frame-time SVG to the Allure result of every item with frame timing (replacing one added
    before). Returns how many results got one, and the charts that could not be drawn."""
    by_record = {id(item.record): item for item in items}
    count, problems = 0, []
    for path, (data, record) in match_results(results_dir, [i.record for i in items]).items():
        item = by_record.get(id(record))
        if item is None or not item.frame_times_ms:
            continue
        files = _Attachments(results_dir, f"{run_id}/{path.name}")
        files.attempt(f"frame time of {record.name}", partial(_frame_chart, files, item))
        problems += files.problems
        if not files.entries:
            continue
        kept = [a for a in data.get("attachments") or [] if a.get("name") != FRAME_TIME_ATTACHMENT]
        write_result(path, {**data, "attachments": [*kept, *files.entries]})
        count += 1
    return count, problems


def _frame_chart(files: _Attachments, item: _Item) -> None:
    svg = frame_time_svg(item.frame_times_ms, title=f"{item.record.name}: frame time per content update",
                         budget_ms=item.budget_ms)
    files.add(FRAME_TIME_ATTACHMENT, "svg", svg)


# --- gate -------------------------------------------------------------------------------------------------
def gate_deltas(comparison: Mapping[str, Any]) -> list[tuple[str, float, bool]]:
    """(device · scenario · metric, delta %, regression) per metric of one gate comparison; a metric checked
    against several thresholds appears once, as a regression if any threshold called it one (threshold-only
    verdicts are unconfirmed, not regressions)."""
    entries: dict[str, tuple[float, bool]] = {}
    for cell in (comparison.get("report") or {}).get("cells") or []:
        for c in cell.get("comparisons") or []:
            pct = c.get("delta_pct")
            if not isinstance(pct, int | float) or isinstance(pct, bool):
                continue
            label = f"{cell.get('device')} · {cell.get('scenario')} · {c.get('metric')}"
            # Only what fails the gate is red: a threshold-only difference is unconfirmed (docs/gate.md).
            regression = is_confirmed_regression(c)
            old = entries.get(label)
            entries[label] = (float(pct), regression) if old is None else (old[0], old[1] or regression)
    return [(label, pct, regression) for label, (pct, regression) in entries.items()]


@dataclass(frozen=True, kw_only=True)
class _GateComparison:
    sdk: str
    new: str
    base: str
    baseline_run: str
    accepted_at: str
    accepted_by: str
    chart: Markup | None
    table: Table


_GATE_REGRESSION_HEADERS: Final = ("sdk", "device", "scenario", "candidate", "baseline", "metric", "message")
_GATE_HEADERS: Final = ("device", "scenario", "metric", "threshold", "base median", "new median", "delta %", "p",
                        "verdict")


def _text(value: object) -> str:
    """A gate.json value as page text; a missing one (null) as "-"."""
    return "-" if value is None else str(value)


def _gate_comparison(comp: Mapping[str, Any], svgs: Mapping[str, str]) -> _GateComparison:
    base = comp.get("baseline") or {}
    report = comp.get("report") or {}
    rows = []
    for cell in report.get("cells") or []:
        for c in cell.get("comparisons") or []:
            pct, p = c.get("delta_pct"), c.get("p_value")
            rows.append(TableRow(cells=[
                *(Cell(text=_text(v)) for v in (cell.get("device"), cell.get("scenario"), c.get("metric"),
                                                c.get("threshold"), c.get("base_median"), c.get("new_median"))),
                Cell(text="-" if pct is None else f"{pct:+.1f}"), Cell(text="-" if p is None else f"{p:.2g}"),
                Cell(text=_text(c.get("verdict")), title=_text(c.get("message", "")),
                     background=UPGRADE_COLOURS.get(str(c.get("verdict")), "#ffffff"))]))
    sdk = _text(comp.get("sdk"))
    return _GateComparison(sdk=sdk, new=_text(report.get("new", "")), base=_text(report.get("base", "")),
                           baseline_run=_text(base.get("run_id", "?")), accepted_at=_text(base.get("accepted_at", "?")),
                           accepted_by=_text(base.get("accepted_by", "?")),
                           chart=trusted(svgs[sdk]) if comp.get("sdk") in svgs else None,
                           table=Table(headers=_GATE_HEADERS, rows=rows))


def gate_html(gate: Mapping[str, Any], svgs: Mapping[str, str]) -> str:
    """The nightly gate as one standalone page (the toolkit's gate.html): verdict, regressions, and per SDK its
    deltas chart (inline SVG, drawn by harness.report.charts) and its metric table."""
    verdict = str(gate.get("verdict", "?"))
    regressions = [TableRow(cells=[Cell(text=_text(v)) for v in (
        r.get("sdk"), r.get("device"), r.get("scenario"), r.get("candidate"), r.get("base_candidate"),
        r.get("metric") or "newly failing", r.get("message"))]) for r in gate.get("regressions") or []]
    return render_page(
        "gate.html", title="Gate", run_id=_text(gate.get("run_id", "")), verdict=verdict,
        colour={"pass": OK_BG, "regression": BAD_BG}.get(verdict, WARN_BG), exit_code=_text(gate.get("exit_code", "?")),
        regressions=Table(headers=_GATE_REGRESSION_HEADERS, rows=regressions),
        warnings=[_text(w) for w in gate.get("warnings") or []],
        comparisons=[_gate_comparison(comp, svgs) for comp in gate.get("comparisons") or []])


def gate_page(gate: Mapping[str, Any]) -> str:
    """gate_html with each SDK's deltas chart; a chart that cannot be drawn is left out of the page."""
    svgs: dict[str, str] = {}
    for comp in gate.get("comparisons") or []:
        entries = gate_deltas(comp)
        if entries:
            sdk = str(comp.get("sdk"))
            with contextlib.suppress(AnalysisError):
                svgs[sdk] = deltas_svg(entries, title=f"{sdk}: change against the accepted baseline")
    return gate_html(gate, svgs)


# --- the overview -----------------------------------------------------------------------------------------
def _adaptation(files: _Attachments, run_dir: Path, rows: Sequence[Row], run_id: str,
                config: CompareConfig, keep: dict[str, AdaptationMatrix]) -> None:
    matrix = adaptation_matrix(rows, config=config, match_tag=MATCH_TAG)
    keep["matrix"] = matrix
    png = write_adaptation_png(matrix, run_dir / ADAPTATION_PNG)
    files.add("adaptation heatmap (PNG)", "png", png.read_bytes())
    page = html_page(title=f"New-device adaptation · run {run_id}", adaptation=matrix)
    (run_dir / ADAPTATION_HTML).write_text(page, encoding="utf-8")
    files.add("adaptation matrix (HTML)", "html", page)


def _vendors(files: _Attachments, rows: Sequence[Row], run_id: str, config: CompareConfig) -> None:
    candidates = list(dict.fromkeys(r.candidate for r in rows))
    if len(candidates) < 2:
        files.problems.append(f"vendor comparison: one candidate only ({', '.join(candidates) or 'none'})")
        return
    report = compare_vendors(rows, candidates=candidates, config=config)
    files.add("vendor comparison (HTML)", "html", html_page(title=f"Candidates side by side · run {run_id}",
                                                            vendors=report))


def _startup(files: _Attachments, rows: Sequence[Row]) -> None:
    for scenario in dict.fromkeys(r.scenario for r in rows):
        samples: dict[str, list[float]] = {}
        for row in rows:
            if row.scenario == scenario:
                samples.setdefault(f"{row.device} · {row.candidate}", []).extend(row.values("startup_ms"))
        if not any(samples.values()):
            continue
        files.attempt(f"startup distribution of {scenario}",
                      partial(_startup_chart, files, scenario, samples))


def _startup_chart(files: _Attachments, scenario: str, samples: Mapping[str, Sequence[float]]) -> None:
    svg = startup_distribution_svg(samples, title=f"{scenario}: startup_ms per device and candidate",
                                   unit="ms")
    files.add(f"startup distribution · {scenario} (SVG)", "svg", svg)


def _gate(files: _Attachments, gate: Mapping[str, Any]) -> None:
    svgs: dict[str, str] = {}
    for comp in gate.get("comparisons") or []:
        sdk = str(comp.get("sdk"))
        entries = gate_deltas(comp)
        if not entries:
            files.problems.append(f"baseline deltas of {sdk}: no metric with a delta in gate.json")
            continue
        files.attempt(f"baseline deltas of {sdk}", partial(_deltas_chart, files, sdk, entries, svgs))
    files.add("gate (HTML)", "html", gate_html(gate, svgs))


def _deltas_chart(files: _Attachments, sdk: str, entries: Sequence[tuple[str, float, bool]],
                  svgs: dict[str, str]) -> None:
    svgs[sdk] = deltas_svg(entries, title=f"{sdk}: change against the accepted baseline")
    files.add(f"baseline deltas · {sdk} (SVG)", "svg", svgs[sdk])


def _capacities(run_dir: Path, problems: list[str]) -> list[HostCapacity]:
    try:
        return load_capacities(run_dir)
    except HarnessError as exc:
        problems.append(f"host capacity: {exc}")
        return []


def _evidence(run_dir: Path, items: Sequence[_Item], problems: list[str]) -> dict[str, Evidence]:
    """Picture and frame-time chart of every cell that did not pass cleanly (failed, broken, environment)."""
    out: dict[str, Evidence] = {}
    for item in items:
        record = item.record
        if (record.status == "passed" and record.environment is None) or record.status == "skipped":
            continue
        path = evidence_file(run_dir, record)
        image = thumbnail_jpeg(path.read_bytes()) if path is not None else None
        svg = None
        if item.frame_times_ms:
            try:
                svg = frame_time_svg(item.frame_times_ms, title=f"{record.name}: frame time per content update",
                                     budget_ms=item.budget_ms)
            except CHART_ERRORS as exc:
                problems.append(f"frame time of {record.name}: {exc}")
        out[record.name] = Evidence(image=image, image_name=path.name if path is not None else "",
                                    frame_time_svg=svg)
    return out


@dataclass(frozen=True, kw_only=True)
class Overview:
    """What write_overview wrote: the globals file and its attachments (in order), the items that got a frame-time
    chart, and what could not be drawn."""

    path: Path  # results_dir/<uuid>-globals.json
    attachments: tuple[str, ...]
    frame_charts: int
    problems: tuple[str, ...]


def globals_path(results_dir: Path, run_id: str) -> Path:
    """The run's globals file: the same name for the same run, so writing it again replaces it."""
    return results_dir / f"{uuid.uuid5(_NAMESPACE, f'{run_id}/globals')}{GLOBALS_SUFFIX}"


def write_overview(run_dir: Path, results_dir: Path, *, records: Sequence[ItemRecord], known: KnownIssues,
                   gate: Mapping[str, Any] | None, extra_pages: Mapping[str, str] | None = None,
                   config: CompareConfig | None = None) -> Overview:
    """Write the run's global attachments into `results_dir` (one `*-globals.json`: no test result, so the
    report's total stays the number of cells): the landing page first (also run_dir/overview.html), then the
    heatmap and the adaptation page (also run_dir/adaptation.png and run_dir/adaptation.html), the vendor
    comparison, start-up charts, the gate, the known issues and `extra_pages`. Attach a frame-time chart to each
    item's result. A chart that cannot be drawn (AnalysisError, ValueError, any HarnessError) is left out, named
    on the landing page and as a global error; the others are still written. The adaptation matrix and the
    vendor comparison judge with `config` (a nightly's gate file), else with the default thresholds. Writing it
    again for the same run replaces it."""
    run_id = records[0].run_id if records else run_dir.name
    files = _Attachments(results_dir, run_id)
    capacities = _capacities(run_dir, files.problems)
    items = _items(run_dir, records, files.problems, capacities)
    rows = [i.row for i in items]
    adaptation: dict[str, AdaptationMatrix] = {}
    if rows:
        thresholds = config or default_config()
        files.attempt("adaptation matrix", partial(_adaptation, files, run_dir, rows, run_id, thresholds,
                                                   adaptation))
        files.attempt("vendor comparison", partial(_vendors, files, rows, run_id, thresholds))
        _startup(files, rows)
    else:
        files.problems.append("adaptation, vendors and start-up: the run has no items")
    if gate is not None:
        files.attempt("gate", partial(_gate, files, gate))
    matches = match_known(records, known)
    files.add("known issues (HTML)", "html", known_issues_html(matches, known, today=dt.date.today()))
    for name, page in (extra_pages or {}).items():
        files.add(f"{name} (HTML)", "html", page)
    frame_charts, frame_problems = attach_frame_times(results_dir, items, run_id=run_id)
    files.problems.extend(frame_problems)
    landing = landing_html(records, run_id=run_id, capacities=capacities, matrix=adaptation.get("matrix"),
                           known={m.record.name: ", ".join(i.ticket for i in m.issues) for m in matches},
                           evidence=_evidence(run_dir, items, files.problems), notes=files.problems)
    page = landing_page(landing, title=f"Run {run_id}")
    (run_dir / LANDING_HTML).write_text(page, encoding="utf-8")
    files.add(LANDING_ATTACHMENT, "html", page, first=True)
    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    # The report's environments are its platforms (generate.py): with one, the overview belongs to it, so it shows
    # when that environment is chosen; with several it is the run's, shown when all are.
    platforms = report_platforms(results_dir)
    where = {"environment": platforms[0]} if len(platforms) == 1 else {}
    path = globals_path(results_dir, run_id)
    write_result(path, {
        "attachments": [{**entry, "timestamp": now_ms, **where} for entry in files.entries],
        "errors": [{"message": f"run overview: {problem}", "timestamp": now_ms, **where}
                   for problem in files.problems],
    })
    log.info("run overview %s: %d global attachment(s), %d chart(s) not drawn", path, len(files.entries),
             len(files.problems))
    return Overview(path=path, attachments=tuple(e["name"] for e in files.entries), frame_charts=frame_charts,
                    problems=tuple(files.problems))


__all__ = ["LANDING_ATTACHMENT", "Overview", "attach_frame_times", "gate_deltas", "gate_html", "gate_page",
           "globals_path", "write_overview"]
