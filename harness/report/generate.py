"""Builds a run's Allure 3 report: one index.html that opens from disk, with trends from a shared history.

Runs the project's Allure 3 (npm `allure`, pure Node) with an allurerc.mjs written into the run directory.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Final

from harness import procs
from harness.errors import ConfigError, HarnessError, InfrastructureError
from harness.report.allure_meta import allure3_category_rules, mask_allure_results
from harness.report.known import known_issue_category_rules
from harness.results import RESULTS_JSON, RESULTS_JSONL, ItemRecord, load_results

log = logging.getLogger(__name__)

ALLURE_BIN_RELATIVE: Final = Path(".tools/node_modules/.bin/allure")
REPORT_DIR_NAME: Final = "allure-report"
RC_NAME: Final = "allurerc.mjs"
PERF_FILE_NAME: Final = "harness-perf.json"
_SETTINGS_PLACEHOLDER: Final = "/*@SETTINGS@*/ null"
_PLATFORM_RE: Final = re.compile(r"^[A-Za-z0-9_.-]+$")


# Allure 3.18's awesome template always embeds a Google Analytics tag; a report of device-lab results that
# opens from disk should not call out to the network, so generate_report removes it.
_ANALYTICS_RE: Final = re.compile(
    r"\s*<script async src=\"https://www\.googletagmanager\.com/gtag/js\?id=[^\"]*\"></script>"
    r"\s*<script>\s*window\.dataLayer = window\.dataLayer \|\| \[\];.*?</script>",
    re.DOTALL,
)
_REPORT_DATA_RE: Final = re.compile(r'd\("([^"]+)","([^"]*)"\)')


def find_allure_bin(project_root: Path) -> Path:
    """The project's Allure 3 command, .tools/node_modules/.bin/allure, installed by scripts/setup.sh."""
    path = project_root / ALLURE_BIN_RELATIVE
    if not path.exists():
        raise InfrastructureError(f"Allure 3 not found at {path}: run `make setup` to install it")
    if not os.access(path, os.X_OK):
        raise InfrastructureError(f"Allure 3 at {path} is not executable: run `make setup` to reinstall it")
    return path


def report_platforms(results_dir: Path) -> list[str]:
    """The device platforms named by `platform` labels in the Allure results (one report environment each)."""
    platforms: set[str] = set()
    for path in results_dir.glob("*-result.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("skipping unreadable Allure result %s: %s", path, exc)
            continue
        for label in data.get("labels", []) if isinstance(data, dict) else []:
            value = label.get("value") if isinstance(label, dict) else None
            if label.get("name") == "platform" and isinstance(value, str) and _PLATFORM_RE.match(value):
                platforms.add(value)
    return sorted(platforms)


def perf_metric_key(record: ItemRecord, metric: str) -> str:
    """The Metrics-section key of one cell's metric, e.g. `filter-warm[pixel7-glfx@2.0] startup_ms`.

    Allure keeps one value per key and run in the history file, so each key's trend is one cell's metric.
    """
    return f"{record.name} {metric}"


# The series the Metrics section shows: observations with many values per cell (each launch, each frame's time).
PERF_SERIES: Final = ("startup_ms", "startup_warm_ms", "startup_hot_ms", "frame_time_ms")
MIN_SERIES_SAMPLES: Final = 2


def write_perf_metrics(results_dir: Path, records: Iterable[ItemRecord],
                       samples_of: Callable[[ItemRecord], Mapping[str, Sequence[float]]] | None = None,
                       ) -> dict[str, Any]:
    """Write harness-perf.json (Allure 3's metric format) with the cells' series: every launch of a launch step
    (`startup_ms`, `startup_warm_ms`, `startup_hot_ms`) and every frame's time (`frame_time_ms`), from
    `samples_of(record)` (the item's details.json); a series needs at least MIN_SERIES_SAMPLES values. Single
    numbers per cell are left out (results.json has them): the section carries distributions or nothing.
    Returns the matching `performance` config (titles, units, better direction, one group per scenario)."""
    samples: list[dict[str, Any]] = []
    metrics_config: dict[str, dict[str, str]] = {}
    groups: dict[str, dict[str, str]] = {}
    for record in records:
        start_ms = record.started_at_epoch_ms
        stop_ms = start_ms + int(record.duration_s * 1000)
        series = samples_of(record) if samples_of is not None else {}
        for metric in PERF_SERIES:
            values = [float(v) for v in series.get(metric, ()) if math.isfinite(float(v))]
            if len(values) < MIN_SERIES_SAMPLES:
                continue
            key = perf_metric_key(record, metric)
            samples += [{"id": record.item_id, "key": key, "value": v, "start": start_ms, "stop": stop_ms}
                        for v in values]
            entry = {"title": f"{metric} · {record.device} · {record.candidate}", "group": record.scenario,
                     "unit": "ms", "better": "lower"}
            metrics_config[key] = entry
            groups[record.scenario] = {"title": record.scenario}
    path = results_dir / PERF_FILE_NAME
    if samples:
        path.write_text(json.dumps(samples, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    elif path.exists():
        path.unlink()
    return {"groups": groups, "metrics": metrics_config}


def details_samples(run_dir: Path) -> Callable[[ItemRecord], Mapping[str, Sequence[float]]]:
    """samples_of for write_perf_metrics: the series in each item's details.json (none when it is unreadable)."""
    from harness.compare.rows import read_details, samples_from_details

    def samples_of(record: ItemRecord) -> Mapping[str, Sequence[float]]:
        try:
            details = read_details(run_dir, record)
        except ConfigError as exc:
            log.warning("no metric series for %s: %s", record.name, exc)
            return {}
        return samples_from_details(details) if details is not None else {}

    return samples_of


def write_allurerc(
    run_dir: Path,
    *,
    report_name: str,
    output_dir: Path,
    history_path: Path,
    platforms: list[str],
    performance: dict[str, Any],
) -> Path:
    """Write run_dir/allurerc.mjs from the package's template. Returns its path."""
    template = resources.files("harness.report").joinpath(RC_NAME).read_text(encoding="utf-8")
    if template.count(_SETTINGS_PLACEHOLDER) != 1:
        raise HarnessError(f"harness/report/{RC_NAME}: expected the placeholder {_SETTINGS_PLACEHOLDER} once")
    settings = {
        "name": report_name,
        "output": str(output_dir),
        "historyPath": str(history_path),
        "categories": [*known_issue_category_rules(), *allure3_category_rules()],
        "platforms": platforms,
        "performance": performance,
    }
    path = run_dir / RC_NAME
    path.write_text(template.replace(_SETTINGS_PLACEHOLDER, json.dumps(settings, indent=2)), encoding="utf-8")
    return path


def _run_logged(command: list[str], *, cwd: Path, log_path: Path, timeout_s: float) -> int:
    """Run `command` in its own process group with output appended to log_path; kill the group on timeout."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8") as fh:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        fh.write(f"\n== {stamp} $ {' '.join(command)} (cwd {cwd})\n")
        fh.flush()
        proc = subprocess.Popen(command, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=procs.die_with_parent)  # ends with the harness (docs/faults.md)
        try:
            return proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            fh.write(f"== killed after {timeout_s} s\n")
            raise


def generate_report(
    run_dir: Path,
    *,
    results_dir: Path,
    history_path: Path,
    report_name: str,
    allure_bin: Path,
    timeout_s: float = 120,
) -> Path:
    """Generate run_dir/allure-report/index.html (one self-contained file) from `results_dir` and append this
    run to `history_path` (call once per run). Metrics in run_dir/results.json, when present, feed the
    report's Metrics section with per-cell trends. Credentials in the results are masked first.

    Raises InfrastructureError naming run_dir/logs/allure.log when Allure fails or exceeds `timeout_s`.
    """
    run_dir = run_dir.resolve()
    results_dir = results_dir.resolve()
    history_path = history_path.resolve()
    if not results_dir.is_dir():
        raise InfrastructureError(f"Allure results folder {results_dir} does not exist: nothing to report")
    output_dir = run_dir / REPORT_DIR_NAME
    log_path = run_dir / "logs" / "allure.log"
    try:
        history_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the folder of the history file {history_path}: {exc}") from exc

    masked_files = mask_allure_results(results_dir)
    if masked_files:
        log.info("masked credentials in %d Allure result files", masked_files)
    records: list[ItemRecord] = []
    if (run_dir / RESULTS_JSON).exists() or (run_dir / RESULTS_JSONL).exists():
        try:
            records = load_results(run_dir)
        except ConfigError as exc:
            log.warning("report without metrics: %s", exc)
    performance = write_perf_metrics(results_dir, records, details_samples(run_dir))
    rc_path = write_allurerc(
        run_dir,
        report_name=report_name,
        output_dir=output_dir,
        history_path=history_path,
        platforms=report_platforms(results_dir),
        performance=performance,
    )
    command = [str(allure_bin), "generate", "--config", str(rc_path), str(results_dir)]
    started = time.perf_counter()
    try:
        code = _run_logged(command, cwd=run_dir, log_path=log_path, timeout_s=timeout_s)
    except subprocess.TimeoutExpired:
        raise InfrastructureError(
            f"allure generate took over {timeout_s} s and was stopped; see {log_path}"
        ) from None
    except OSError as exc:
        raise InfrastructureError(f"could not start {allure_bin} ({exc}); see {log_path}") from exc
    index = output_dir / "index.html"
    if code != 0:
        raise InfrastructureError(f"allure generate exited with code {code}; see {log_path}")
    if not index.is_file():
        raise InfrastructureError(f"allure generate wrote no {index}; see {log_path}")
    html = index.read_text(encoding="utf-8")
    index.write_text(_ANALYTICS_RE.sub("", html, count=1), encoding="utf-8")
    log.info("Allure report %s generated in %.1f s", index, time.perf_counter() - started)
    return index


def embedded_report_files(index_html: Path) -> dict[str, Any]:
    """The data files a single-file Allure 3 report embeds (widgets/*.json, data/test-results/*.json, ...),
    decoded from JSON; for checking a report's content without a browser."""
    out: dict[str, Any] = {}
    for name, encoded in _REPORT_DATA_RE.findall(index_html.read_text(encoding="utf-8")):
        raw = base64.b64decode(encoded)
        out[name] = json.loads(raw) if name.endswith(".json") else raw
    return out
