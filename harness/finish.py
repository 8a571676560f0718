"""End of a run: the run stored, gated and scored, its metadata into the Allure results, the single-file report,
and the summary file. The run layer (beside run.py), above store, gate, scorecard and report, which only render.

A report that cannot be generated never loses the run: results.json is already on disk, and the error is kept on
the run for the terminal summary.
"""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import __version__
from harness.errors import HarnessError
from harness.known_issues import KnownIssues
from harness.paths import project_root
from harness.report.allure_meta import write_environment, write_executor
from harness.report.generate import find_allure_bin, generate_report
from harness.report.known import write_categories_with_known
from harness.report.scrub import mask_history, mask_run_folder
from harness.report.summary import format_summary

if TYPE_CHECKING:
    from harness.run import Run


def chromium_version() -> str | None:
    try:
        out = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=20,
                             check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [ln for ln in out.stdout.splitlines() if "Chromium" in ln]
    return lines[-1].strip() if lines else None


def store_run(run: Run, *, store_url: str | None) -> str:
    """Ingests the run into the results store (default: results.db beside the run folders); returns its location."""
    from harness.store import open_store, run_metadata, run_store_url

    store = open_store(run_store_url(store_url, run.run_dir))
    try:
        store.ingest_run(run.run_dir, devices=run.devices, candidates=run.candidates,
                         kind=getattr(run, "kind", "run"),
                         metadata={**run_metadata(project_root()), "clip_version": run.clip_spec.version})
        return str(store.url)
    finally:
        store.close()


def gate_run(run: Run) -> dict[str, Any] | None:
    """The nightly gate, when asked for: the stored run against its baselines -> gate.json, gate.html, JUnit XML.
    A run that could not be stored cannot be compared: its verdict is `infrastructure`."""
    request = getattr(run, "gate_request", None)
    if request is None:
        return None
    from harness.gate import evaluate_gate, infrastructure_gate, write_gate_files
    from harness.store import open_store

    if run.store_error:
        gate = infrastructure_gate(run.run_id, f"the run was not stored, so it cannot be compared: {run.store_error}")
    else:
        try:
            with open_store(request.store_url) as store:
                gate = evaluate_gate(store, run_id=run.run_id, baselines=request.baselines,
                                              config=request.config, run_failed=getattr(run, "run_failed", None))
        except HarnessError as exc:
            gate = infrastructure_gate(run.run_id, f"the comparison failed: {exc}")
    write_gate_files(run.run_dir, gate, junit_path=request.junit_path)
    return gate


def _scorecard_page(run: Run, store_target: str) -> dict[str, str]:
    """The vendor scorecard over the store the run was just added to, as an HTML page (none when not stored)."""
    if not run.store_location:
        return {}
    from harness.scorecard import build_scorecard, scorecard_html
    from harness.store import open_store

    with open_store(store_target) as store:
        card = build_scorecard(store, known_issues=run.known_issues or KnownIssues())
    return {"Vendor scorecard": scorecard_html(card)}


def _overview(run: Run, results_dir: Path, store_target: str) -> None:
    """Known issues marked on the items, and the run's overview (the report's global attachments: heatmap, charts,
    gate, scorecard). Neither may lose the run: an error is kept for the terminal and the report is generated
    without them."""
    from harness.report.known import apply_known_issues
    from harness.report.overview import write_overview

    known = run.known_issues or KnownIssues()
    records = run.writer.records
    try:
        run.known_matches = apply_known_issues(results_dir, records, known)
    except (HarnessError, OSError, ValueError) as exc:
        run.report_notes.append(f"known issues not marked: {exc}")
    try:
        pages = _scorecard_page(run, store_target)
    except (HarnessError, OSError, ValueError) as exc:
        pages = {}
        run.report_notes.append(f"scorecard not shown: {exc}")
    try:
        gate_request = getattr(run, "gate_request", None)
        write_overview(run.run_dir, results_dir, records=records, known=known, gate=run.gate_result,
                       extra_pages=pages, config=gate_request.config if gate_request is not None else None)
    except (HarnessError, OSError, ValueError) as exc:
        run.report_notes.append(f"run overview not written: {exc}")


def finish_run(run: Run, *, report_name: str, store_url: str | None = None, report: bool = True) -> Path | None:
    """Writes metadata, stores the run, generates the report once, writes summary.txt; returns the index.html.
    Every text file of the run folder (but inputs/) and history.jsonl are masked before the run is stored and
    reported, and again at the end."""
    history_path = run.run_dir.parent / "history.jsonl"
    mask_run_folder(run.run_dir)
    mask_history(history_path)
    try:
        return _finish(run, report_name=report_name, store_url=store_url, report=report, history_path=history_path)
    finally:
        mask_run_folder(run.run_dir)
        mask_history(history_path)


def _finish(run: Run, *, report_name: str, store_url: str | None, report: bool, history_path: Path) -> Path | None:
    try:
        run.store_location = store_run(run, store_url=store_url)
    except HarnessError as exc:
        run.store_error = str(exc)
    run.gate_result = gate_run(run)
    results_dir: Path = run.results_dir
    platforms = sorted({d.platform for d in run.devices})
    write_environment(
        results_dir,
        harness_version=__version__,
        python_version=platform.python_version(),
        appium_version=run.appium_version or None,
        chromium_version=chromium_version() if "web" in platforms else None,
        platform=",".join(platforms),
        run_id=run.run_id,
        devices_path=Path(run.config.source),
        extra={"devices": ",".join(d.id for d in run.devices),
               "candidates": ",".join(c.id for c in run.candidates),
               "scenarios": ",".join(s.name for s in run.scenarios)},
    )
    write_executor(results_dir, run_id=run.run_id, report_name=report_name)
    write_categories_with_known(results_dir)
    from harness.store import run_store_url

    _overview(run, results_dir, run_store_url(store_url, run.run_dir))
    summary = format_summary(run.writer.records, known=dict(run.known_matches))
    (run.run_dir / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    if not report:
        return None
    try:
        return generate_report(run.run_dir, results_dir=results_dir,
                               history_path=history_path,
                               report_name=f"{report_name} · {run.run_id}",
                               allure_bin=find_allure_bin(project_root()))
    except HarnessError as exc:
        run.report_error = str(exc)
        return None
