"""End of a run: the run's metadata into the Allure results, the single-file report, and the summary file.

A report that cannot be generated never loses the run: results.json is already on disk, and the error is kept on
the run for the terminal summary.
"""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import Any

from harness import __version__
from harness.errors import HarnessError
from harness.paths import project_root
from harness.report.allure_meta import write_categories, write_environment, write_executor
from harness.report.generate import find_allure_bin, generate_report
from harness.report.summary import format_summary


def chromium_version() -> str | None:
    try:
        out = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=20,
                             check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [ln for ln in out.stdout.splitlines() if "Chromium" in ln]
    return lines[-1].strip() if lines else None


def store_run(run: Any, *, store_url: str | None) -> str:
    """Ingests the run into the results store (default: results.db beside the run folders); returns its location."""
    from harness.store import open_store, run_metadata

    store = open_store(store_url or (run.run_dir.parent / "results.db"))
    try:
        store.ingest_run(run.run_dir, devices=run.devices, candidates=run.candidates, kind="run",
                         metadata=run_metadata(project_root()))
        return str(store.url)
    finally:
        store.close()


def finish_run(run: Any, *, report_name: str, store_url: str | None = None, report: bool = True) -> Path | None:
    """Writes metadata, stores the run, generates the report once, writes summary.txt; returns the index.html."""
    try:
        run.store_location = store_run(run, store_url=store_url)
    except HarnessError as exc:
        run.store_error = str(exc)
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
    write_categories(results_dir)
    (run.run_dir / "summary.txt").write_text(format_summary(run.writer.records) + "\n", encoding="utf-8")
    if not report:
        return None
    try:
        return generate_report(run.run_dir, results_dir=results_dir,
                               history_path=run.run_dir.parent / "history.jsonl",
                               report_name=f"{report_name} · {run.run_id}",
                               allure_bin=find_allure_bin(project_root()))
    except HarnessError as exc:
        run.report_error = str(exc)
        return None
