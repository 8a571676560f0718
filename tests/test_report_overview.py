"""Tests for the report's overview: SVG charts (parsed as XML, checked against the data they draw), known
issues marked in Allure results, the run overview as the report's global attachments (no test result), and the real
Allure 3 generator showing it all."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from harness.compare.thresholds import parse_compare_config
from harness.errors import AnalysisError, InfrastructureError
from harness.hostcap import HostCapacity
from harness.known_issues import KnownIssue, KnownIssues
from harness.report import generate
from harness.report.allure_meta import CATEGORIES, allure2_categories
from harness.report.charts import (
    FREEZE,
    OVER_BUDGET,
    REGRESSION,
    deltas_svg,
    frame_time_svg,
    nice_ticks,
    startup_distribution_svg,
)
from harness.report.known import (
    KNOWN_TAG,
    apply_known_issues,
    classify_with_known,
    known_issue_categories_allure2,
    known_issue_category_rules,
    write_categories_with_known,
)
from harness.report.overview import FRAME_TIME_ATTACHMENT, LANDING_ATTACHMENT, gate_deltas, write_overview
from harness.results import ItemRecord, item_dir_name

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
PERF_MESSAGE = ("harness.errors.SdkDefectError: [sdk] adaptation defects on {device} / {candidate}: "
                "frame_drops: 12.1 fps (limit >= 22.5 fps and dropped share <= 20%)")
PF77 = KnownIssue(ticket="PF-77", title="Beauty drops below 22.5 fps on the low-end profile",
                  url="https://support.example.com/tickets/PF-77", vendor="Pixel Forge", device="moto-e13",
                  candidate="pixkit@*", scenario="beauty-70", defect="frame_drops")


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if cls in (e.get("class") or "").split()]


def _fill(element: ET.Element) -> str:
    match = re.search(r"fill:(#[0-9a-fA-F]{6})", element.get("style", ""))
    assert match, element.attrib
    return match.group(1)


# --- charts -------------------------------------------------------------------------------------------------
def test_nice_ticks_round_the_axis_up() -> None:
    # By hand: range 56.7 over 5 ticks -> raw step 11.34 -> next of 1, 2, 2.5, 5 x 10 is 20.
    assert nice_ticks(0.0, 56.7) == [0.0, 20.0, 40.0, 60.0]
    # raw step 0.2 exactly -> 2 x 0.1
    assert nice_ticks(0.0, 1.0) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])


def test_frame_time_svg_draws_one_bar_per_frame_and_the_budget_line() -> None:
    timeline_ms = [33.3, 20.0, 60.0, 200.0, 33.3]
    root = _parse(frame_time_svg(timeline_ms, title="pixel7 frame time", budget_ms=33.3))
    bars = _by_class(root, "rect", "frame")
    assert len(bars) == 5
    heights = [float(b.get("height", "nan")) for b in bars]
    # Bar heights are proportional to the values: 200 ms is 10x the 20 ms bar (to the 0.1 px rounding).
    assert heights[3] / heights[1] == pytest.approx(10.0, rel=0.01)
    (budget,) = _by_class(root, "line", "budget")
    # A frame exactly at the budget reaches the budget line.
    assert float(budget.get("y1", "nan")) == pytest.approx(float(bars[0].get("y", "nan")), abs=0.11)
    # 60 ms is over 1.5 x 33.3 = 50 ms (a camera frame skipped); 200 ms is a freeze (>= 150 ms).
    assert [_fill(b) for b in bars][2:4] == [OVER_BUDGET, FREEZE]
    assert _fill(bars[1]) != OVER_BUDGET
    assert len(_by_class(root, "line", "freeze")) == 1
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "frame time (ms)" in texts
    assert "budget 33.3 ms" in texts
    assert "1 freeze(s)" in texts


def test_frame_time_svg_without_budget_and_bad_input() -> None:
    root = _parse(frame_time_svg([10.0, 12.0], title="t", budget_ms=None))
    assert _by_class(root, "line", "budget") == []
    assert _by_class(root, "line", "freeze") == []  # the data stays below 150 ms
    with pytest.raises(AnalysisError, match=r"no frame times to draw; allowed: at least one value"):
        frame_time_svg([], title="t", budget_ms=33.3)
    with pytest.raises(AnalysisError, match=r"-1.0 is not allowed; allowed: values >= 0"):
        frame_time_svg([5.0, -1.0], title="t", budget_ms=None)
    with pytest.raises(AnalysisError, match=r"budget_ms 0.0 is not allowed"):
        frame_time_svg([5.0], title="t", budget_ms=0.0)


def test_startup_distribution_svg_encodes_samples_and_medians() -> None:
    samples = {"pixel7 · glfx@2.0": [300.0, 100.0, 200.0], "moto-e13 · glfx@2.0": [900.0, 1100.0],
               "pixel-fold · glfx@2.0": []}
    root = _parse(startup_distribution_svg(samples, title="startup", unit="ms"))
    dots = _by_class(root, "circle", "sample")
    assert len(dots) == 5
    medians = _by_class(root, "line", "median")
    assert len(medians) == 2  # the row without samples has none
    # The median of [300, 100, 200] is 200, the second dot drawn for that row.
    assert float(medians[0].get("x1", "nan")) == pytest.approx(float(dots[2].get("cx", "nan")))
    # Two samples: the median (1000) is half-way between them.
    x900, x1100 = (float(d.get("cx", "nan")) for d in dots[3:5])
    assert float(medians[1].get("x1", "nan")) == pytest.approx((x900 + x1100) / 2, abs=0.11)
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "n=3, median 200 ms" in texts
    assert "no samples" in texts
    assert "value (ms)" in texts
    with pytest.raises(AnalysisError, match=r"no samples to draw"):
        startup_distribution_svg({"a": []}, title="t")


def test_deltas_svg_centres_bars_at_zero_and_colours_regressions() -> None:
    entries = [("pixel7 · startup · startup_ms", 25.0, True),
               ("pixel7 · startup · content_fps", -10.0, False),
               ("moto-e13 · startup · dropped_frames", math.inf, True)]
    root = _parse(deltas_svg(entries, title="glfx against its baseline"))
    bars = _by_class(root, "rect", "bar")
    assert len(bars) == 3
    assert [("regression" in (b.get("class") or "")) for b in bars] == [True, False, True]
    assert _fill(bars[0]) == REGRESSION
    assert _fill(bars[1]) != REGRESSION
    (zero,) = _by_class(root, "line", "zero")
    zero_x = float(zero.get("x1", "nan"))

    def x_w(bar: ET.Element) -> tuple[float, float]:
        return float(bar.get("x", "nan")), float(bar.get("width", "nan"))

    x0, w0 = x_w(bars[0])
    x1, w1 = x_w(bars[1])
    assert x0 == pytest.approx(zero_x)  # a rise starts at zero and goes right
    assert x1 + w1 == pytest.approx(zero_x, abs=0.11)  # a fall ends at zero
    # Axis limit: the largest finite |delta| (25) rounded up by nice_ticks(0, 25, count=4) (step 10) is 30.
    # So +25 % spans 25/30 of the half width, -10 % 10/30 of it: the ratio is 2.5.
    assert w0 / w1 == pytest.approx(2.5, rel=0.01)
    _, w2 = x_w(bars[2])
    assert w2 > w0  # +inf is drawn to the end of the axis
    assert "+inf %" in [t.text for t in root.iter(f"{SVG}text")]
    with pytest.raises(AnalysisError, match=r"delta of 'x' is NaN"):
        deltas_svg([("x", math.nan, False)], title="t")


# --- known issues in Allure results -------------------------------------------------------------------------
def make_record(*, device: str, candidate: str, scenario: str, status: str = "passed",
                tier: str = "flagship", new: bool = False, defects: tuple[str, ...] = (),
                metrics: dict[str, float] | None = None, run_id: str = "20261125-204105") -> ItemRecord:
    sdk, version = candidate.split("@")
    name = f"{scenario}[{device}-{candidate}]"
    return ItemRecord(
        run_id=run_id, item_id=f"scenarios/{scenario}.yaml::{name}", name=name, scenario=scenario,
        device=device, device_name=device, platform="web", tags={"tier": tier, "new": new},
        candidate=candidate, vendor="v", sdk=sdk, version=version, status=status,  # type: ignore[arg-type]
        metrics={"startup_ms": 500.0, "content_fps": 30.0} if metrics is None else metrics,
        error=None if status == "passed" else {"kind": "sdk", "message": "SdkDefectError: defects"},
        started_at="2026-11-25T20:41:05.000+00:00", duration_s=5.0,
        defects=[{"defect": d, "value": 1.0, "unit": "", "threshold": "", "summary": d} for d in defects],
    )


def write_allure_result(results_dir: Path, record: ItemRecord, *, with_params: bool = True) -> Path:
    """A result as allure-pytest writes it for an item (parameters repr()'d, suite = scenario)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    params = [{"name": "device", "value": repr(record.device)}, {"name": "platform", "value": "'web'"},
              {"name": "sdk", "value": repr(record.sdk)}, {"name": "version", "value": repr(record.version)}]
    data: dict[str, Any] = {
        "name": record.name, "status": record.status, "uuid": f"uuid-{item_dir_name(record.name)}",
        "historyId": f"h-{item_dir_name(record.name)}", "fullName": f"scenarios.x#{record.scenario}",
        "start": 1795639539294, "stop": 1795639549013, "attachments": [],
        "parameters": params if with_params else [],
        "labels": [{"name": "parentSuite", "value": "web"}, {"name": "suite", "value": record.scenario},
                   {"name": "subSuite", "value": record.device}, {"name": "platform", "value": "web"}],
    }
    if record.status != "passed":
        message = PERF_MESSAGE.format(device=record.device, candidate=record.candidate)
        data["statusDetails"] = {"message": message, "trace": "..."}
    path = results_dir / f"{data['uuid']}-result.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_apply_known_issues_marks_only_failed_matching_results(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    known_fail = make_record(device="moto-e13", candidate="pixkit@1.5", scenario="beauty-70",
                             status="failed", defects=("frame_drops",))
    other_defect = make_record(device="moto-e13", candidate="pixkit@1.4", scenario="beauty-70",
                               status="failed", defects=("colour_cast",))
    other_cell = make_record(device="pixel7", candidate="pixkit@1.5", scenario="beauty-70",
                             status="failed", defects=("frame_drops",))
    passed = make_record(device="moto-e13", candidate="pixkit@1.3", scenario="beauty-70")
    by_name = make_record(device="moto-e13", candidate="pixkit@2.0", scenario="beauty-70", status="broken",
                          defects=("frame_drops",))
    paths = {r.name: write_allure_result(results, r, with_params=r is not by_name)
             for r in (known_fail, other_defect, other_cell, passed, by_name)}
    before = {name: p.read_bytes() for name, p in paths.items()}
    known = KnownIssues((PF77,), None)

    pairs = apply_known_issues(results, [known_fail, other_defect, other_cell, passed, by_name], known)

    assert sorted(pairs) == sorted([(by_name.name, "PF-77"), (known_fail.name, "PF-77")])
    data = json.loads(paths[known_fail.name].read_text(encoding="utf-8"))
    assert data["links"] == [{"type": "issue", "name": "PF-77", "url": "https://support.example.com/tickets/PF-77"}]
    assert data["statusDetails"]["known"] is True
    assert data["statusDetails"]["message"].startswith("[known issue PF-77] harness.errors.SdkDefectError: ")
    assert {"name": "tag", "value": KNOWN_TAG} in data["labels"]
    # The result without parameters is matched by its name.
    assert json.loads(paths[by_name.name].read_text())["statusDetails"]["known"] is True
    for untouched in (other_defect, other_cell, passed):
        assert paths[untouched.name].read_bytes() == before[untouched.name]
    # Applying again changes nothing: one link, one prefix, one tag.
    again = apply_known_issues(results, [known_fail], known)
    assert again == [(known_fail.name, "PF-77")]
    data2 = json.loads(paths[known_fail.name].read_text(encoding="utf-8"))
    assert data2 == data


def test_known_categories_come_first_and_match_the_prefix(tmp_path: Path) -> None:
    prefixed = "[known issue PF-77] " + PERF_MESSAGE.format(device="moto-e13", candidate="pixkit@1.5")
    assert classify_with_known("failed", prefixed, CATEGORIES) == "Known issue"
    assert classify_with_known("failed", prefixed[len("[known issue PF-77] "):], CATEGORIES) == \
        "Performance regression"
    visual = ("SdkDefectError: [sdk] adaptation defects on pixel7 / glfx@2.0: colour_cast: 3.6 Δa*b* "
              "(limit <= 3.0)")
    assert classify_with_known("failed", visual, CATEGORIES) == "Visual regression"
    assert classify_with_known("failed", "SdkDefectError: [sdk] crash", CATEGORIES) == "SDK defect"
    unsupported = "[unsupported] no camera2 API"
    assert classify_with_known("skipped", unsupported, CATEGORIES) == "Device not supported"
    rules = known_issue_category_rules()
    assert [r["name"] for r in rules][:1] == ["Known issue"]
    assert rules[0]["matchers"]["statuses"] == ["failed", "broken"]
    # Allure 2 matches messageRegex against the WHOLE message (Java String.matches): re.fullmatch is the same.
    allure2 = known_issue_categories_allure2()
    assert re.fullmatch(allure2[0]["messageRegex"], prefixed + "\nsecond line")
    assert not re.fullmatch(allure2[0]["messageRegex"], "x [known issue PF-77] y")
    path = write_categories_with_known(tmp_path)
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written == [*allure2, *allure2_categories()]


# --- the run overview ---------------------------------------------------------------------------------------
def make_run(tmp_path: Path) -> tuple[Path, Path, list[ItemRecord]]:
    """Two devices (pixel7 reference, pixel-fold new, both flagship) x two candidates, scenario `startup`;
    each item has a details.json with 5 launches and a timeline whose 4th content update comes 200 ms late."""
    run_dir = tmp_path / "run"
    results = run_dir / "allure-results"
    records = []
    for device, new in (("pixel7", False), ("pixel-fold", True)):
        for candidate in ("glfx@1.0", "pixkit@1.5"):
            slow = device == "pixel-fold" and candidate == "pixkit@1.5"
            record = make_record(device=device, candidate=candidate, scenario="startup", new=new,
                                 status="failed" if slow else "passed",
                                 defects=("frame_drops",) if slow else ())
            records.append(record)
            base_ms = 900.0 if slow else 450.0
            t_ms = [0.0, 33.3, 66.7, 100.0, 300.0, 333.3]
            details = {"metrics": record.metrics, "details": {
                "startup_runs": [{"mode": "cold", "startup_ms": [base_ms + 10 * i for i in range(5)],
                                  "app_first_frame_ms": []}],
                "timeline": {"t_ms": t_ms, "source_index": list(range(len(t_ms)))},
                "frame_timing": {"source_fps": 30.0}}}
            folder = run_dir / "items" / item_dir_name(record.name)
            folder.mkdir(parents=True)
            (folder / "details.json").write_text(json.dumps(details), encoding="utf-8")
            write_allure_result(results, record)
    return run_dir, results, records


GATE: dict[str, Any] = {
    "kind": "gate", "run_id": "20261125-204105", "verdict": "regression", "exit_code": 1,
    "comparisons": [{"sdk": "pixkit", "new_candidates": ["pixkit@1.5"],
                     "baseline": {"run_id": "20261120-010203", "candidates": ["pixkit@1.4"]},
                     "report": {"base": "pixkit@1.4", "new": "pixkit@1.5", "cells": [
                         {"device": "pixel-fold", "scenario": "startup", "comparisons": [
                             {"metric": "startup_ms", "threshold": "+10%", "delta_pct": 100.0,
                              "verdict": "regression", "base_median": 450.0, "new_median": 900.0},
                             {"metric": "startup_ms", "threshold": "max:1500", "delta_pct": 100.0,
                              "verdict": "unchanged"},
                             {"metric": "content_fps", "threshold": "-2", "delta_pct": -1.5,
                              "verdict": "noise"},
                             {"metric": "app_fps", "threshold": "-2", "delta_pct": None,
                              "verdict": "noise"}]}]}}],
    "regressions": [{"sdk": "pixkit", "device": "pixel-fold", "scenario": "startup",
                     "candidate": "pixkit@1.5", "base_candidate": "pixkit@1.4", "metric": "startup_ms",
                     "message": "startup_ms 450 -> 900"}],
    "warnings": [],
}


def test_gate_deltas_one_entry_per_metric() -> None:
    # startup_ms has two thresholds: one entry, a regression because one threshold called it so; app_fps has
    # no delta_pct and is left out.
    assert gate_deltas(GATE["comparisons"][0]) == [("pixel-fold · startup · startup_ms", 100.0, True),
                                                   ("pixel-fold · startup · content_fps", -1.5, False)]


def test_write_overview_writes_global_attachments_and_no_test_result(tmp_path: Path) -> None:
    run_dir, results, records = make_run(tmp_path)
    known = KnownIssues((KnownIssue(ticket="PF-9", title="slow start on foldables", device="pixel-fold",
                                    candidate="pixkit@*"),), None)
    results_before = sorted(p.name for p in results.glob("*-result.json"))
    overview = write_overview(run_dir, results, records=records, known=known, gate=GATE,
                              extra_pages={"vendor scorecard": "<html><body>scorecard</body></html>"})
    # No test result of its own: the results folder holds one result per cell, as before.
    assert sorted(p.name for p in results.glob("*-result.json")) == results_before
    assert len(results_before) == len(records)
    assert overview.path.name.endswith("-globals.json")
    data = json.loads(overview.path.read_text(encoding="utf-8"))
    names = [a["name"] for a in data["attachments"]]
    assert names == [LANDING_ATTACHMENT, "adaptation heatmap (PNG)", "adaptation matrix (HTML)",
                     "vendor comparison (HTML)", "startup distribution · startup (SVG)",
                     "baseline deltas · pixkit (SVG)", "gate (HTML)", "known issues (HTML)",
                     "vendor scorecard (HTML)"]
    assert list(overview.attachments) == names
    for attachment in data["attachments"]:
        assert (results / attachment["source"]).is_file(), attachment
        assert set(attachment) == {"name", "source", "type", "timestamp", "environment"}
        assert isinstance(attachment["timestamp"], int)
        assert attachment["environment"] == "web"  # the run's one platform: the report's environment
    assert data["errors"] == []  # every chart was drawn
    landing = (results / data["attachments"][0]["source"]).read_text(encoding="utf-8")
    assert "Device x candidate x scenario" in landing
    assert (run_dir / "overview.html").read_text(encoding="utf-8") == landing
    assert (run_dir / "adaptation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'data-device="pixel-fold"' in (run_dir / "adaptation.html").read_text(encoding="utf-8")
    known_page = next(a for a in data["attachments"] if a["name"] == "known issues (HTML)")
    assert "startup[pixel-fold-pixkit@1.5]" in (results / known_page["source"]).read_text(encoding="utf-8")
    startup_svg = next(a for a in data["attachments"] if a["name"].startswith("startup distribution"))
    assert len(_by_class(_parse((results / startup_svg["source"]).read_text()), "circle", "sample")) == 20
    assert overview.frame_charts == 4
    # Each item's result got a frame-time chart: 5 frame times from 6 content updates, one of 200 ms.
    for record in records:
        item = json.loads((results / f"uuid-{item_dir_name(record.name)}-result.json").read_text())
        (chart,) = [a for a in item["attachments"] if a["name"] == FRAME_TIME_ATTACHMENT]
        root = _parse((results / chart["source"]).read_text(encoding="utf-8"))
        assert len(_by_class(root, "rect", "frame")) == 5
        assert [_fill(b) for b in _by_class(root, "rect", "frame")].count(FREEZE) == 1
    # Writing it again replaces it: no second globals file, no second chart per item.
    files_before = sorted(p.name for p in results.iterdir())
    assert write_overview(run_dir, results, records=records, known=known, gate=GATE).path == overview.path
    assert sorted(p.name for p in results.iterdir()) == files_before


def test_write_overview_judges_with_the_gate_files_thresholds(tmp_path: Path) -> None:
    # pixel-fold · pixkit starts in 920 ms against the reference's 470 ms (+95.7 %): beyond the default +10 %,
    # within a gate file's +200 %. The adaptation page must say what the nightly's gate would say.
    run_dir, results, records = make_run(tmp_path)
    page = run_dir / "adaptation.html"
    write_overview(run_dir, results, records=records, known=KnownIssues(), gate=None)
    assert "startup_ms 920 vs reference median 470" in page.read_text(encoding="utf-8")
    loose = parse_compare_config({"thresholds": {"startup_ms": "+200%"}, "use_defaults": False}, file="gate.yaml")
    write_overview(run_dir, results, records=records, known=KnownIssues(), gate=None, config=loose)
    text = page.read_text(encoding="utf-8")
    assert "startup_ms 920 vs reference median 470" not in text
    assert 'data-device="pixel-fold" data-candidate="pixkit@1.5"' in text


def test_write_overview_judges_frame_rate_against_the_host_capacity(tmp_path: Path) -> None:
    # pixel-fold · glfx shows 14 fps against the reference's 30: degraded, unless the run's host_capacity.json says
    # the machine itself reached only 15 fps on that profile (< 0.75 x 30); then an environment finding.
    run_dir, results, records = make_run(tmp_path)
    (fold,) = [r for r in records if r.device == "pixel-fold" and r.candidate == "glfx@1.0"]
    fold.metrics["content_fps"] = 14.0
    cell = 'data-device="pixel-fold" data-candidate="glfx@1.0"'
    write_overview(run_dir, results, records=records, known=KnownIssues(), gate=None)
    assert f'class="cell verdict-degraded" {cell}' in (run_dir / "adaptation.html").read_text(encoding="utf-8")
    capacity = HostCapacity(device="pixel-fold", cpu_throttling=4.0, source_fps=30.0, content_fps=15.0,
                            frame_time_p50_ms=66.7, frame_time_p90_ms=80.0, dropped_frames=0.0, load1_before=0.4,
                            load1_after=0.5, cores=2, measured_at_epoch_s=0.0, duration_s=3.0)
    (run_dir / "host_capacity.json").write_text(json.dumps([capacity.to_dict()]), encoding="utf-8")
    write_overview(run_dir, results, records=records, known=KnownIssues(), gate=None)
    page = (run_dir / "adaptation.html").read_text(encoding="utf-8")
    assert f'class="cell verdict-environment" {cell}' in page
    assert "environment: the pass-through itself reached only 15.0 fps on this profile" in page
    assert "<b>environment</b>" in (run_dir / "overview.html").read_text(encoding="utf-8")  # landing page's matrix


def test_write_overview_records_a_chart_it_cannot_draw(tmp_path: Path) -> None:
    run_dir, results, records = make_run(tmp_path)
    bad_gate = json.loads(json.dumps(GATE))
    bad_gate["comparisons"][0]["report"]["cells"][0]["comparisons"][0]["delta_pct"] = math.nan
    overview = write_overview(run_dir, results, records=records, known=KnownIssues(), gate=bad_gate)
    data = json.loads(overview.path.read_text(encoding="utf-8"))
    expected = "baseline deltas of pixkit: AnalysisError: delta of 'pixel-fold · startup · startup_ms' is NaN"
    assert any(expected in p for p in overview.problems), overview.problems
    # A global error of the report, and named on the landing page.
    assert any(e["message"].startswith(f"run overview: {expected}") for e in data["errors"]), data["errors"]
    assert "Not drawn" in (run_dir / "overview.html").read_text(encoding="utf-8")
    names = [a["name"] for a in data["attachments"]]
    assert "baseline deltas · pixkit (SVG)" not in names
    assert {"adaptation heatmap (PNG)", "gate (HTML)", "known issues (HTML)"} <= set(names)


# --- the real Allure 3 generator ----------------------------------------------------------------------------
def test_allure_report_counts_the_cells_and_shows_the_overview_globally(tmp_path: Path) -> None:
    """The real Allure 3 generator (the project's .tools install, single-file awesome report, as the harness runs
    it): the report counts the cells only, and the overview is on its home page as global attachments."""
    try:
        allure_bin = generate.find_allure_bin(PROJECT_ROOT)
    except InfrastructureError as exc:
        pytest.skip(f"Allure 3 is not installed: {exc}")
    run_dir, results, records = make_run(tmp_path)
    known = KnownIssues((KnownIssue(ticket="PF-9", title="slow on foldables", url="https://t.example/PF-9",
                                    device="pixel-fold", candidate="pixkit@*", scenario="startup"),), None)
    assert apply_known_issues(results, records, known) == [("startup[pixel-fold-pixkit@1.5]", "PF-9")]
    extra = make_record(device="pixel7", candidate="pixkit@1.5", scenario="beauty-70", status="failed",
                        defects=("frame_drops",))
    write_allure_result(results, extra)  # not covered by PF-9: a performance regression
    overview = write_overview(run_dir, results, records=[*records, extra], known=known, gate=GATE)
    index = generate.generate_report(run_dir, results_dir=results, history_path=tmp_path / "history.jsonl",
                                     report_name="overview", allure_bin=allure_bin)

    files = generate.embedded_report_files(index)
    tests = {v["name"]: v for k, v in files.items() if k.startswith("data/test-results/")}
    cells = len(records) + 1
    assert len(tests) == cells  # no test of the overview's own
    assert files["widgets/statistic.json"]["total"] == cells
    assert files["widgets/web/statistic.json"]["total"] == cells
    shown = files["widgets/globals.json"]
    names = [a["name"] for a in shown["attachments"]]
    assert names == list(overview.attachments)
    assert names[0] == LANDING_ATTACHMENT
    assert {"adaptation heatmap (PNG)", "gate (HTML)", "baseline deltas · pixkit (SVG)"} <= set(names)
    by_name = {a["name"]: a for a in shown["attachments"]}
    assert by_name["baseline deltas · pixkit (SVG)"]["contentType"] == "image/svg+xml"
    assert not any(a["missed"] for a in shown["attachments"])
    assert [a["name"] for a in shown["attachmentsByEnv"]["web"]] == names  # shown with the run's platform
    embedded = {k.split("/")[-1] for k in files if k.startswith("data/attachments/")}
    assert all(f"{a['id']}{a['ext']}" in embedded for a in shown["attachments"])
    landing = files[f"data/attachments/{by_name[LANDING_ATTACHMENT]['id']}.html"]
    assert b"Device x candidate x scenario" in landing
    assert shown["errors"] == []
    known_item = tests["startup[pixel-fold-pixkit@1.5]"]
    assert known_item["known"] is True
    assert known_item["links"] == [{"name": "PF-9", "url": "https://t.example/PF-9", "type": "issue"}]
    assert [c["name"] for c in known_item["categories"]] == ["Known issue"]
    assert [c["name"] for c in tests[extra.name]["categories"]] == ["Performance regression"]
    item_charts = [s["link"]["name"] for s in known_item["steps"] if s["type"] == "attachment"]
    assert item_charts == [FRAME_TIME_ATTACHMENT]
