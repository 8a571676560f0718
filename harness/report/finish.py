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


def finish_run(run: Any, *, report_name: str) -> Path | None:
    """Writes metadata, generates the report once, writes summary.txt; returns the report's index.html."""
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
    try:
        return generate_report(run.run_dir, results_dir=results_dir,
                               history_path=run.run_dir.parent / "history.jsonl",
                               report_name=f"{report_name} · {run.run_id}",
                               allure_bin=find_allure_bin(project_root()))
    except HarnessError as exc:
        run.report_error = str(exc)
        return None
