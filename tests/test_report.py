"""Tests for harness.report: durable results, secret masking, failure categories, the terminal summary,
and the real Allure 3 generator end to end (inner pytest session with allure-pytest, two generates sharing
one history file)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from allure_commons.types import AttachmentType

from harness.errors import ConfigError, HarnessError, InfrastructureError, SdkDefectError
from harness.report.allure_meta import (
    CATEGORIES,
    allure2_categories,
    attachment_type_for,
    classify_failure,
    device_tag_labels,
    mask_allure_results,
    mask_secrets,
    write_categories,
    write_environment,
    write_executor,
)
from harness.report.generate import (
    embedded_report_files,
    find_allure_bin,
    generate_report,
    write_perf_metrics,
)
from harness.report.summary import format_progress, format_summary
from harness.results import (
    CheckRecord,
    ItemRecord,
    MemoryResultsWriter,
    ResultsWriter,
    error_info,
    item_dir,
    load_results,
)

pytest_plugins = ["pytester"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def make_record(
    *,
    device: str = "pixel7",
    candidate: str = "glfx@2.0",
    scenario: str = "filter-warm",
    status: str = "passed",
    metrics: dict[str, float] | None = None,
    error: dict[str, str] | None = None,
    checks: list[CheckRecord] | None = None,
) -> ItemRecord:
    sdk, version = candidate.split("@")
    name = f"{scenario}[{device}-{candidate}]"
    return ItemRecord(
        run_id="20251125-120000",
        item_id=f"scenarios/{scenario}.yaml::{name}",
        name=name,
        scenario=scenario,
        device=device,
        device_name=f"{device} (web profile)",
        platform="web",
        tags={"tier": "flagship", "new": False},
        candidate=candidate,
        vendor="Lumen Labs",
        sdk=sdk,
        version=version,
        status=status,  # type: ignore[arg-type]
        metrics={"startup_ms": 812.0, "content_fps": 29.7} if metrics is None else metrics,
        checks=checks or [],
        error=error,
        started_at="2025-11-25T12:00:00.000+00:00",
        duration_s=4.25,
        attachments=["items/0001/preview.png"],
    )


# --- records --------------------------------------------------------------------------------------
def test_record_round_trips_through_dict() -> None:
    check = CheckRecord(
        name="fps", metric="content_fps", value=29.7, threshold=">= 20", verdict="pass", unit="fps"
    )
    record = make_record(checks=[check], error={"kind": "sdk", "message": "SdkDefectError: black preview"})
    again = ItemRecord.from_dict(json.loads(json.dumps(record.to_dict())))
    assert again == record
    assert again.checks[0].threshold == ">= 20"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "ok"}, "status 'ok' is not one of passed, failed, broken, skipped"),
        ({"metrics": {"content_fps": float("nan")}}, "metric 'content_fps' is nan; metrics must be finite"),
        ({"error": {"kind": "oops", "message": "x"}}, "error kind 'oops' is not one of sdk, expectation"),
        ({"started_at": "2025-11-25T12:00:00+02:00"}, "must be UTC"),
        ({"attachments": ["../outside.png"]}, "must be relative to the run directory"),
    ],
)
def test_record_rejects_bad_values(changes: dict[str, object], message: str) -> None:
    data = make_record().to_dict() | changes
    with pytest.raises(HarnessError, match=re.escape(message)):
        ItemRecord.from_dict(data)


def test_error_info_maps_the_exception_tree_and_masks() -> None:
    assert error_info(SdkDefectError("no preview"))["kind"] == "sdk"
    assert error_info(AssertionError("fps 12 < 20"))["kind"] == "expectation"
    info = error_info(InfrastructureError("POST https://me:k3y@hub.example.com/wd/hub refused"))
    assert info == {
        "kind": "infrastructure",
        "message": "InfrastructureError: POST https://***@hub.example.com/wd/hub refused",
    }


# --- durable writer -------------------------------------------------------------------------------
_KILL_SCRIPT = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from test_report import make_record
from harness.results import ResultsWriter
writer = ResultsWriter(Path({run_dir!r}))
for i in range(5):
    writer.add(make_record(device=f"dev{{i}}"))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_writer_keeps_every_finished_item_when_the_process_is_killed(tmp_path: Path) -> None:
    script = _KILL_SCRIPT.format(tests=str(Path(__file__).parent), run_dir=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == -9, proc.stderr  # really killed, no clean shutdown
    records = load_results(tmp_path)
    assert [r.device for r in records] == ["dev0", "dev1", "dev2", "dev3", "dev4"]
    assert len(json.loads((tmp_path / "results.json").read_text())) == 5
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 5
    assert not list(tmp_path.glob(".results.json*.tmp"))


def test_corrupt_results_json_falls_back_to_jsonl(tmp_path: Path) -> None:
    writer = ResultsWriter(tmp_path)
    for device in ("a", "b", "c"):
        writer.add(make_record(device=device))
    (tmp_path / "results.json").write_text('[{"run_id": "20251125', encoding="utf-8")
    assert [r.device for r in load_results(tmp_path / "results.json")] == ["a", "b", "c"]


def test_torn_last_jsonl_line_is_skipped(tmp_path: Path) -> None:
    writer = ResultsWriter(tmp_path)
    writer.add(make_record(device="a"))
    writer.add(make_record(device="b"))
    (tmp_path / "results.json").unlink()
    with (tmp_path / "results.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"run_id": "20251125-120000", "item_id": "scen')  # the write a crash interrupted
    assert [r.device for r in load_results(tmp_path)] == ["a", "b"]


def test_writer_resuming_after_a_torn_line_starts_a_new_line(tmp_path: Path) -> None:
    ResultsWriter(tmp_path).add(make_record(device="a"))
    with (tmp_path / "results.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"run_id": "20251125-120000", "item_id": "scen')
    ResultsWriter(tmp_path).add(make_record(device="b"))
    assert [r.device for r in load_results(tmp_path / "results.jsonl")] == ["a", "b"]


def test_corrupt_jsonl_line_in_the_middle_is_an_error(tmp_path: Path) -> None:
    line = json.dumps(make_record().to_dict())
    (tmp_path / "results.jsonl").write_text(f"{line}\nnot json\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"results\.jsonl: line 2 is not JSON"):
        load_results(tmp_path)


def test_missing_results_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no results\.json or results\.jsonl found"):
        load_results(tmp_path)


def test_bad_record_in_results_json_names_its_index(tmp_path: Path) -> None:
    good = make_record().to_dict()
    bad = good | {"status": "exploded"}
    (tmp_path / "results.json").write_text(json.dumps([good, bad]), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"results\.json: \[1\]: .*status 'exploded'"):
        load_results(tmp_path / "results.json")


def test_writer_continues_a_run_directory(tmp_path: Path) -> None:
    ResultsWriter(tmp_path).add(make_record(device="a"))
    second = ResultsWriter(tmp_path)
    second.add(make_record(device="b"))
    assert [r.device for r in second.records] == ["a", "b"]
    assert [r["device"] for r in json.loads((tmp_path / "results.json").read_text())] == ["a", "b"]


def test_memory_writer_writes_what_the_file_writer_writes(tmp_path: Path) -> None:
    records = [make_record(device="a"), make_record(device="b", status="failed")]
    memory, disk = MemoryResultsWriter(), ResultsWriter(tmp_path)
    for record in records:
        memory.add(record)
        disk.add(record)
    assert memory.records == disk.records == records
    assert memory.lines == (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()


# --- masking --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:key@hub.browserstack.com/wd/hub", "https://***@hub.browserstack.com/wd/hub"),
        ("http://token@farm.local:4444", "http://***@farm.local:4444"),
        ("?accessKey=abc123&device=pixel7", "?accessKey=***&device=pixel7"),
        ('{"accessKey": "abc123", "device": "pixel7"}', '{"accessKey": "***", "device": "pixel7"}'),
        ("SAUCE_ACCESS_KEY=s3cr3t ./run", "SAUCE_ACCESS_KEY=*** ./run"),
        ("password: hunter2", "password: ***"),
        ("api_token='t0k3n'", "api_token='***'"),
        ("Authorization: Bearer abcdefgh12345", "Authorization: Bearer ***"),
        # nothing secret: kept as is
        ("keyframe: 30 on http://127.0.0.1:4723/wd/hub", "keyframe: 30 on http://127.0.0.1:4723/wd/hub"),
        ("content_fps=29.7 startup_ms=812", "content_fps=29.7 startup_ms=812"),
    ],
)
def test_mask_secrets(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected


def test_environment_properties_are_masked_and_escaped(tmp_path: Path) -> None:
    path = write_environment(
        tmp_path,
        harness_version="0.1.0",
        python_version="3.11.9",
        appium_version="3.8.0",
        chromium_version=None,
        platform="linux",
        run_id="20251125-120000",
        devices_path=Path("/work/devices.yaml"),
        extra={"farm url": "https://me:k@hub.example.com/wd/hub", "farm.accessKey": "plain-looking-value"},
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "chromium.version=not used" in lines
    assert "run.id=20251125-120000" in lines
    assert "farm\\ url=https://***@hub.example.com/wd/hub" in lines
    assert "farm.accessKey=***" in lines


def test_executor_json(tmp_path: Path) -> None:
    data = json.loads(write_executor(tmp_path, run_id="r1", report_name="Matrix").read_text())
    assert data == {"name": "sdk-harness", "type": "local", "buildName": "r1", "reportName": "Matrix"}


def test_mask_allure_results_rewrites_only_files_with_secrets(tmp_path: Path) -> None:
    result = {"name": "t", "statusDetails": {"message": "Err: https://u:p@hub/wd", "trace": "x"}, "uuid": "1"}
    (tmp_path / "a-result.json").write_text(json.dumps(result), encoding="utf-8")
    (tmp_path / "b-result.json").write_text(json.dumps({"name": "clean"}), encoding="utf-8")
    (tmp_path / "c-attachment.log").write_text("caps: accessKey=zzz\n", encoding="utf-8")
    run_globals = {"attachments": [], "errors": [{"message": "gate: https://u:p@hub/wd not reached"}]}
    (tmp_path / "d-globals.json").write_text(json.dumps(run_globals), encoding="utf-8")
    assert mask_allure_results(tmp_path) == 3
    masked = json.loads((tmp_path / "a-result.json").read_text())
    assert masked["statusDetails"]["message"] == "Err: https://***@hub/wd"
    masked_globals = json.loads((tmp_path / "d-globals.json").read_text())
    assert masked_globals["errors"] == [{"message": "gate: https://***@hub/wd not reached"}]
    assert (tmp_path / "c-attachment.log").read_text() == "caps: accessKey=***\n"


# --- categories and labels ------------------------------------------------------------------------
# Messages as allure-pytest writes them: "<module>.<ExceptionClass>: <text>".
@pytest.mark.parametrize(
    ("status", "message", "category"),
    [
        ("broken", "harness.errors.SdkDefectError: preview stayed black", "SDK defect"),
        ("failed", "AssertionError: [sdk] filter warm not applied", "SDK defect"),
        ("broken", "harness.errors.InfrastructureError: chromedriver crashed", "Infrastructure failure"),
        (
            "broken",
            "selenium.common.exceptions.SessionNotCreatedException: Message: session not created",
            "Infrastructure failure",
        ),
        ("broken", "urllib3.exceptions.MaxRetryError: HTTPConnectionPool", "Infrastructure failure"),
        ("broken", "harness.errors.ConfigError: devices.yaml: devices[2].platform", "Configuration error"),
        ("broken", "harness.errors.AnalysisError: no frame index code found", "Capture not analysable"),
        ("failed", "AssertionError: content_fps 12.3 < 20", "Expectation not met"),
        ("broken", "KeyError: 'preview'", None),
        ("passed", "", None),
    ],
)
def test_classify_failure(status: str, message: str, category: str | None) -> None:
    assert classify_failure(status, message) == category


def test_allure2_regexes_match_whole_multiline_messages(tmp_path: Path) -> None:
    # Allure 2 applies messageRegex to the whole message (Java String.matches), as Python's fullmatch does.
    rules = json.loads(write_categories(tmp_path).read_text())
    assert rules == allure2_categories()
    assert [r["name"] for r in rules] == [c.name for c in CATEGORIES]
    sdk_rule = rules[0]["messageRegex"]
    assert re.fullmatch(sdk_rule, "harness.errors.SdkDefectError: black preview\non pixel7")
    assert not re.fullmatch(sdk_rule, "harness.errors.InfrastructureError: down\n")


def test_device_tags_and_attachment_types() -> None:
    assert device_tag_labels({"tier": "flagship", "new": False}) == ["tier=flagship", "new=false"]
    assert attachment_type_for(Path("shot.png")) is AttachmentType.PNG
    assert attachment_type_for(Path("capture.bin"), "webm") is AttachmentType.WEBM
    assert attachment_type_for(Path("appium.log")) is AttachmentType.TEXT
    with pytest.raises(ConfigError, match="kind 'y4m' is not supported; allowed: csv, html"):
        attachment_type_for(Path("clip.y4m"))


def test_perf_metrics_are_series_not_single_numbers(tmp_path: Path) -> None:
    record = make_record(metrics={"startup_ms": 812.0, "content_fps": 29.7})
    series = {"startup_ms": [812.0, 790.5, 845.1], "frame_time_ms": [33.3, 33.4, 66.7, 33.2],
              "startup_warm_ms": [400.0]}  # one value: no series
    config = write_perf_metrics(tmp_path, [record], lambda r: series)
    assert sorted(config["metrics"]) == ["filter-warm[pixel7-glfx@2.0] frame_time_ms",
                                         "filter-warm[pixel7-glfx@2.0] startup_ms"]
    startup = config["metrics"]["filter-warm[pixel7-glfx@2.0] startup_ms"]
    assert (startup["unit"], startup["better"]) == ("ms", "lower")
    samples = json.loads((tmp_path / "harness-perf.json").read_text())
    assert [s["value"] for s in samples if s["key"].endswith("startup_ms")] == [812.0, 790.5, 845.1]
    assert len(samples) == 7
    assert write_perf_metrics(tmp_path, [record]) == {"groups": {}, "metrics": {}}
    assert not (tmp_path / "harness-perf.json").exists()
    write_perf_metrics(tmp_path, [record], lambda r: series)
    # 2025-11-25T12:00:00Z = 1764072000 s since the epoch (date -d @1764072000 -u); duration 4.25 s.
    assert samples[0]["start"] == 1764072000000
    assert samples[0]["stop"] == 1764072004250


# --- terminal summary -----------------------------------------------------------------------------
DEVICES = ("pixel7", "moto-e13", "pixel-fold")
CANDIDATES = ("glfx@1.0", "glfx@2.0", "pixkit@1.4", "pixkit@1.5")
SCENARIOS = ("startup-cold", "filter-warm", "beauty-level-5", "effect-glasses", "record-10s")


def matrix_records() -> list[ItemRecord]:
    records = []
    for device in DEVICES:
        for candidate in CANDIDATES:
            for scenario in SCENARIOS:
                records.append(make_record(device=device, candidate=candidate, scenario=scenario))
    # Worst-case widths: 4-digit startup and a broken item; one SDK failure with a failed check.
    records[0] = make_record(
        device="pixel7",
        candidate="glfx@1.0",
        scenario="startup-cold",
        status="broken",
        metrics={"startup_ms": 2412.4, "content_fps": 8.25},
        error={"kind": "infrastructure", "message": "InfrastructureError: Appium session not created"},
    )
    records[-1] = make_record(
        device="pixel-fold",
        candidate="pixkit@1.5",
        scenario="record-10s",
        status="failed",
        metrics={"content_fps": 12.3},
        error={"kind": "sdk", "message": "SdkDefectError: recording is 1080x1920, preview is 841x701"},
        checks=[
            CheckRecord(
                name="fps", metric="content_fps", value=12.3, threshold=">= 20", verdict="fail", unit="fps"
            )
        ],
    )
    return records


def test_summary_table_for_the_full_matrix() -> None:
    text = format_summary(matrix_records())
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 160
    header = lines[1]
    assert header.split() == ["device", "candidate", "|", *" | ".join(SCENARIOS).split()]
    rows = [line for line in lines if line.startswith(DEVICES)]
    assert len(rows) == 12  # 3 devices x 4 candidates
    # Formats from summary.KEY_METRICS: 812.0 ms -> "812ms", 29.7 -> "29.7fps", 2412.4 -> "2412ms",
    # 8.25 -> "8.2fps" (Python rounds the exact binary 8.25 half to even).
    assert rows[0].split(" | ")[1].strip() == "BROKEN 2412ms 8.2fps"
    assert rows[1].split(" | ")[1].strip() == "PASS 812ms 29.7fps"
    assert rows[-1].split(" | ")[-1].strip() == "FAIL 12.3fps"
    assert "Totals: 60 items: 58 passed, 1 failed, 1 broken" in lines
    assert "Failures by cause: infrastructure 1, sdk 1" in lines
    assert lines[-1] == (
        "  FAIL   record-10s[pixel-fold-pixkit@1.5]  sdk: "
        "SdkDefectError: recording is 1080x1920, preview is 841x701"
    )


def test_summary_of_nothing() -> None:
    assert format_summary([]) == "No items finished.\n"


def test_progress_lines() -> None:
    records = matrix_records()
    # duration 4.25 s -> "4.2s" (half to even, as above)
    assert format_progress(records[1], 2, 60) == (
        "[ 2/60] PASS   filter-warm[pixel7-glfx@1.0]  4.2s 812ms 29.7fps"
    )
    line = format_progress(records[-1], 60, 60)
    assert len(line) == 160  # cut to the terminal width, the cut marked with "~"
    assert line == (
        "[60/60] FAIL   record-10s[pixel-fold-pixkit@1.5]  4.2s 12.3fps"
        "  fail: content_fps 12.3 fps (needs >= 20)"
        "  sdk: SdkDefectError: recording is 1080x1920, preview ~"
    )


# --- the real Allure 3 generator ------------------------------------------------------------------
def test_find_allure_bin_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InfrastructureError, match=r"Allure 3 not found at .*: run `make setup`"):
        find_allure_bin(tmp_path)


def test_generate_report_timeout_names_the_log(tmp_path: Path) -> None:
    try:
        allure_bin = find_allure_bin(PROJECT_ROOT)
    except InfrastructureError as exc:
        pytest.skip(f"Allure 3 is not installed: {exc}")
    (tmp_path / "allure-results").mkdir()
    log_path = tmp_path / "logs" / "allure.log"
    expected = rf"took over 0\.05 s and was stopped; see {re.escape(str(log_path))}"
    with pytest.raises(InfrastructureError, match=expected):
        generate_report(
            tmp_path,
            results_dir=tmp_path / "allure-results",
            history_path=tmp_path / "history.jsonl",
            report_name="t",
            allure_bin=allure_bin,
            timeout_s=0.05,  # Node alone needs longer than this to start
        )
    assert log_path.read_text().endswith("== killed after 0.05 s\n")


INNER_TESTS = textwrap.dedent(
    """
    from harness.errors import InfrastructureError, SdkDefectError
    from harness.report.allure_meta import allure_item_labels, attach_metrics

    def test_filter_warm_pixel7():
        allure_item_labels(scenario="filter-warm", scenario_kind="filter", device="pixel7", platform="web",
                           sdk="glfx", version="2.0", tags={"tier": "flagship", "new": False})
        attach_metrics({"startup_ms": 812.0, "content_fps": 29.7})
        raise SdkDefectError("filter warm not applied (farm https://me:s3cret@farm.example.com)")

    def test_filter_warm_moto():
        allure_item_labels(scenario="filter-warm", scenario_kind="filter", device="moto-e13", platform="web",
                           sdk="glfx", version="2.0", tags={"tier": "low", "new": False})
        raise InfrastructureError("Appium session not created: ECONNREFUSED 127.0.0.1:4723")
    """
)


def test_allure_report_end_to_end(pytester: pytest.Pytester) -> None:
    try:
        allure_bin = find_allure_bin(PROJECT_ROOT)
    except InfrastructureError as exc:
        pytest.skip(f"Allure 3 is not installed: {exc}")
    run_dir = pytester.path / "run"
    results_dir = run_dir / "allure-results"
    history = pytester.path / "history.jsonl"
    pytester.makepyfile(test_inner=INNER_TESTS)
    # The project's own pytest plugin is switched off: the inner session is plain allure-pytest.
    inner = pytester.runpytest_subprocess(
        f"--alluredir={results_dir}", "-p", "no:sdk_harness", "-p", "no:cacheprovider"
    )
    inner.assert_outcomes(failed=2)
    write_categories(results_dir)
    write_executor(results_dir, run_id="run-1", report_name="e2e")
    writer = ResultsWriter(run_dir)
    record = make_record(device="pixel7", status="broken")  # metrics: startup_ms 812, content_fps 29.7
    writer.add(record)
    details = item_dir(run_dir, record) / "details.json"
    details.parent.mkdir(parents=True, exist_ok=True)
    details.write_text(json.dumps({"metrics": {}, "details": {"startup_runs": [
        {"mode": "cold", "startup_ms": [812.0, 790.0, 845.0], "app_first_frame_ms": []}]}}), encoding="utf-8")

    durations_s = []
    for _ in range(2):
        started = time.perf_counter()
        index = generate_report(
            run_dir, results_dir=results_dir, history_path=history, report_name="e2e", allure_bin=allure_bin
        )
        durations_s.append(time.perf_counter() - started)
    print(f"allure generate: {durations_s[0]:.2f} s, then {durations_s[1]:.2f} s")  # shown with -s

    assert index == run_dir / "allure-report" / "index.html"
    html = index.read_text(encoding="utf-8")
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    external = [ref for ref in refs if not ref.startswith("data:")]
    assert external == []  # scripts, styles and data are all inlined: the one file is the report
    assert "googletagmanager" not in html
    assert "s3cret" not in html
    assert len(history.read_text(encoding="utf-8").splitlines()) == 2

    files = embedded_report_files(index)
    tests = {v["name"]: v for k, v in files.items() if k.startswith("data/test-results/")}
    assert set(tests) == {"test_filter_warm_pixel7", "test_filter_warm_moto"}
    params = [p for t in tests.values() for p in t["parameters"]]
    devices = {p["value"].strip("'") for p in params if p["name"] == "device"}  # allure-pytest repr()s values
    assert devices == {"pixel7", "moto-e13"}
    assert [c["name"] for c in tests["test_filter_warm_pixel7"]["categories"]] == ["SDK defect"]
    assert [c["name"] for c in tests["test_filter_warm_moto"]["categories"]] == ["Infrastructure failure"]
    assert {t["environment"] for t in tests.values()} == {"web"}
    pixel7_steps = tests["test_filter_warm_pixel7"]["steps"]
    assert [(s["type"], s["link"]["name"]) for s in pixel7_steps] == [
        ("attachment", "metrics.json"),
        ("attachment", "metrics (table)"),
    ]
    assert set(files["widgets/tree-filters.json"]["tags"]) == {"tier=flagship", "tier=low", "new=false"}
    assert all(len(t["history"]) == 1 for t in tests.values())  # the first generate, seen from the second
    metrics = files["widgets/metrics.json"]  # series only: each launch of the cell, not single numbers
    assert {m["key"] for m in metrics["current"]} == {"filter-warm[pixel7-glfx@2.0] startup_ms"}
    assert "allure generate --config" in (run_dir / "logs" / "allure.log").read_text()
