"""The adaptation matrix against the host's capacity: a frame-rate difference on a device profile the machine could
not render at full rate is an environment finding with its evidence, never an SDK defect; colour and visual
differences still degrade the cell. Rows are built in code (pure logic, no device)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from harness.compare import adaptation_matrix, default_config, html_page
from harness.compare.adaptation import VERDICT_RANK, is_frame_rate_metric
from harness.compare.heatmap import VERDICT_BGR, adaptation_heatmap, cell_centre
from harness.compare.render import ADAPTATION_COLOURS, format_adaptation
from harness.compare.rows import HostLimit, Row, load_run_rows, with_host_capacity
from harness.errors import ConfigError
from harness.hostcap import HostCapacity
from tests.test_compare import row

EVIDENCE = ("the pass-through itself reached only 12.0 fps on this profile (< 22.5 = 0.75 x the camera's 30)",
            "pass-through on moto-e13: 12.0 fps, frame time p50 80.0 ms / p90 95.0 ms, load average 1.10 -> 1.30 on "
            "2 cores")
LIMIT = HostLimit(evidence=EVIDENCE)
REF = "pixel7"
NEW = "moto-e13"
CAND = "glfx@2.0"


def _rows(new_metrics: dict[str, float], *, host_limit: HostLimit | None) -> list[Row]:
    """pixel7 (reference) and moto-e13 (new) on the same tier; frame_time_p90_ms 35 ms and content_fps 30 on the
    reference, with `new_metrics` on the new device."""
    ref = row(REF, CAND, metrics={"frame_time_p90_ms": 35.0, "content_fps": 30.0, "filter_delta_e": 0.8})
    new = row(NEW, CAND, metrics={"frame_time_p90_ms": 35.0, "content_fps": 30.0, "filter_delta_e": 0.8,
                                  **new_metrics}, new=True)
    return [ref, replace(new, host_limit=host_limit)]


def _cell(new_metrics: dict[str, float], *, host_limit: HostLimit | None) -> tuple[str, tuple[str, ...]]:
    matrix = adaptation_matrix(_rows(new_metrics, host_limit=host_limit), config=default_config(),
                               match_tag="tier")
    cell = matrix.cell(NEW, CAND)
    return cell.verdict, cell.reasons


def test_host_limited_frame_time_regression_is_an_environment_finding() -> None:
    # frame_time_p90_ms 60 vs 35 ms: +71 %, beyond +20 % and the 4 ms floor. The host could not deliver the rate.
    verdict, reasons = _cell({"frame_time_p90_ms": 60.0}, host_limit=LIMIT)
    assert verdict == "environment"
    assert reasons[0].startswith("filter-warm: frame_time_p90_ms 60 vs reference median 35 (+25, +71.4 %), "
                                 "beyond +20%")
    assert reasons[0].endswith("host limited, not an SDK defect")
    assert reasons[1] == f"filter-warm: environment: {'; '.join(EVIDENCE)}"


def test_the_same_regression_without_a_host_limit_degrades() -> None:
    verdict, reasons = _cell({"frame_time_p90_ms": 60.0}, host_limit=None)
    assert verdict == "degraded"
    assert reasons[0].startswith("filter-warm: frame_time_p90_ms 60 vs reference median 35 (+25, +71.4 %)")
    assert not any("environment" in r for r in reasons)


def test_host_limited_colour_regression_still_degrades() -> None:
    # filter_delta_e 2.5 vs 0.8: +1.7, beyond +1.0 and its 0.5 floor: the SDK's look, whatever the frame rate.
    verdict, reasons = _cell({"filter_delta_e": 2.5, "frame_time_p90_ms": 60.0}, host_limit=LIMIT)
    assert verdict == "degraded"
    assert reasons[0].startswith("filter-warm: filter_delta_e 2.5 vs reference median 0.8")
    # The frame-time part is still told as the machine's, after the SDK's finding.
    assert any(r.startswith("filter-warm: frame_time_p90_ms 60") and r.endswith("not an SDK defect")
               for r in reasons[1:])


def test_host_limited_fps_drop_is_an_environment_finding() -> None:
    verdict, _ = _cell({"content_fps": 14.0}, host_limit=LIMIT)  # -16 fps, beyond -2 and the 2 fps floor
    assert verdict == "environment"
    assert _cell({"content_fps": 14.0}, host_limit=None)[0] == "degraded"


def test_host_limited_without_a_frame_rate_difference_is_ok_and_says_so() -> None:
    verdict, reasons = _cell({}, host_limit=LIMIT)
    assert verdict == "ok"
    assert any(r.startswith("filter-warm: host limited, no frame-rate difference") for r in reasons)


def test_noise_floor_still_applies_to_a_host_limited_row() -> None:
    # frame_time_p90_ms 38 vs 35: +8.6 %, within +20 %: no regression at all, nothing to set aside.
    assert _cell({"frame_time_p90_ms": 38.0}, host_limit=LIMIT)[0] == "ok"


@pytest.mark.parametrize(("metric", "expected"), [
    ("content_fps", True), ("presented_fps", True), ("app_fps", True), ("frame_time_p50_ms", True),
    ("frame_time_p99_ms", True), ("dropped_frames", True), ("jank_count", True), ("stutter_ratio", True),
    ("freeze_count", True), ("filter_delta_e", False), ("visual_consistency_delta_e", False),
    ("startup_ms", False), ("app_cost_ms", False), ("black_frames", False), ("filter_latency_ms", False),
])
def test_frame_rate_metrics(metric: str, expected: bool) -> None:
    assert is_frame_rate_metric(metric) is expected


def test_environment_ranks_between_ok_and_degraded() -> None:
    assert VERDICT_RANK["ok"] < VERDICT_RANK["not_run"] < VERDICT_RANK["environment"] < VERDICT_RANK["degraded"]
    assert VERDICT_RANK["degraded"] < VERDICT_RANK["fails"]


def test_matrix_cell_takes_environment_over_ok_but_not_over_degraded() -> None:
    rows = _rows({"frame_time_p90_ms": 60.0}, host_limit=LIMIT)
    rows += [row(REF, CAND, scenario="beauty-70", metrics={"startup_ms": 400.0}),
             row(NEW, CAND, scenario="beauty-70", metrics={"startup_ms": 410.0}, new=True)]
    cell = adaptation_matrix(rows, config=default_config(), match_tag="tier").cell(NEW, CAND)
    assert cell.verdict == "environment"
    assert [s.verdict for s in cell.scenarios] == ["environment", "ok"]
    assert cell.scenarios[0].host_limit == EVIDENCE
    assert cell.scenarios[0].to_dict()["host_limit"] == list(EVIDENCE)
    rows[-1] = row(NEW, CAND, scenario="beauty-70", metrics={"startup_ms": 900.0}, new=True)
    assert adaptation_matrix(rows, config=default_config(), match_tag="tier").cell(NEW, CAND).verdict == "degraded"


def test_heatmap_png_html_and_text_show_the_environment_verdict() -> None:
    matrix = adaptation_matrix(_rows({"frame_time_p90_ms": 60.0}, host_limit=LIMIT), config=default_config(),
                               match_tag="tier")
    image = adaptation_heatmap(matrix)
    x, y = cell_centre(matrix, NEW, CAND)
    assert tuple(int(v) for v in image[y, x]) == VERDICT_BGR["environment"]
    assert VERDICT_BGR["environment"] not in {VERDICT_BGR[v] for v in ("ok", "degraded", "fails", "not_run")}
    # The legend has a swatch of the new colour below the grid.
    legend = image[-30:]
    assert np.all(legend == np.array(VERDICT_BGR["environment"], dtype=np.uint8), axis=2).any()
    page = html_page(title="t", adaptation=matrix)
    assert f'class="cell verdict-environment" data-device="{NEW}"' in page
    assert ADAPTATION_COLOURS["environment"] in page
    assert "environment: the pass-through itself reached only 12.0 fps" in page
    assert "ENVIRONMENT moto-e13 glfx@2.0:" in format_adaptation(matrix)


def test_row_takes_the_records_environment_finding() -> None:
    data = {"device": NEW, "sdk": "glfx", "version": "2.0", "scenario": "filter-warm", "status": "passed",
            "environment": {"message": "[environment] frame_drops limited by the machine, not the SDK: x",
                            "defects": [], "reasons": list(EVIDENCE), "capacity": {}}}
    from harness.compare.rows import row_from_mapping

    assert row_from_mapping(data, source="t", index=0).host_limit == LIMIT
    only_message = {**data, "environment": {"message": "limited"}}
    assert row_from_mapping(only_message, source="t", index=0).host_limit == HostLimit(evidence=("limited",))
    with pytest.raises(ConfigError, match=r"^t: \[0\]\.environment: expected a message or a list of reasons "
                                          r"\(strings\); allowed: the environment finding of an item record$"):
        row_from_mapping({**data, "environment": {"reasons": [3]}}, source="t", index=0)


def _capacity(device: str, *, content_fps: float) -> HostCapacity:
    return HostCapacity(device=device, cpu_throttling=4.0, source_fps=30.0, content_fps=content_fps,
                        frame_time_p50_ms=1000 / content_fps, frame_time_p90_ms=1000 / content_fps + 10,
                        dropped_frames=0.0, load1_before=0.5, load1_after=0.6, cores=2,
                        measured_at_epoch_s=0.0, duration_s=3.0)


def test_with_host_capacity_marks_rows_of_a_limited_profile_only() -> None:
    rows = _rows({"content_fps": 11.0, "frame_time_p90_ms": 60.0}, host_limit=None)
    limited = with_host_capacity(rows, [_capacity(NEW, content_fps=12.0), _capacity(REF, content_fps=30.0)])
    assert limited[0].host_limit is None  # the reference's profile delivered 30 fps
    assert limited[1].host_limit is not None
    evidence = limited[1].host_limit.evidence
    assert evidence[0].startswith("the pass-through itself reached only 12.0 fps on this profile")
    assert evidence[-1].endswith("the cell's 11.0 fps is 92% of the pass-through's 12.0")
    matrix = adaptation_matrix(limited, config=default_config(), match_tag="tier")
    assert matrix.cell(NEW, CAND).verdict == "environment"


def test_with_host_capacity_keeps_the_sdks_own_cost() -> None:
    # 5 fps on a profile whose pass-through reached 12: below 0.6 x 12 = 7.2 fps, the SDK's own cost (hostcap).
    rows = _rows({"content_fps": 5.0, "frame_time_p90_ms": 200.0}, host_limit=None)
    (_, new) = with_host_capacity(rows, [_capacity(NEW, content_fps=12.0)])
    assert new.host_limit is None
    assert adaptation_matrix([rows[0], new], config=default_config(), match_tag="tier").cell(NEW, CAND).verdict \
        == "degraded"


def test_load_run_rows_reads_the_runs_host_capacity(tmp_path: Path) -> None:
    records = []
    for device, fps, new in ((REF, 30.0, False), (NEW, 11.0, True)):
        records.append({"run_id": "r1", "item_id": f"t::{device}", "name": f"filter-warm[{device}-{CAND}]",
                        "scenario": "filter-warm", "device": device, "device_name": device, "platform": "web",
                        "tags": {"tier": "flagship", "new": new}, "candidate": CAND, "vendor": "v", "sdk": "glfx",
                        "version": "2.0", "status": "passed", "metrics": {"content_fps": fps},
                        "started_at": "2026-12-04T00:00:00+00:00", "duration_s": 1.0})
    (tmp_path / "results.json").write_text(json.dumps(records), encoding="utf-8")
    (tmp_path / "host_capacity.json").write_text(json.dumps([_capacity(NEW, content_fps=12.0).to_dict()]),
                                                 encoding="utf-8")
    rows = load_run_rows(tmp_path)
    assert [r.host_limit is not None for r in rows] == [False, True]
    (tmp_path / "host_capacity.json").write_text('[{"device": "moto-e13"}]', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"host_capacity.json: not a host capacity list"):
        load_run_rows(tmp_path)


def test_row_takes_the_evidence_lines_a_results_store_keeps() -> None:
    from harness.compare.rows import row_from_mapping

    data = {"device": NEW, "sdk": "glfx", "version": "2.0", "scenario": "filter-warm", "status": "passed",
            "host_limit": list(EVIDENCE)}
    assert row_from_mapping(data, source="store", index=0).host_limit == LIMIT
    for bad in ([], ["ok", 3], [""]):
        with pytest.raises(ConfigError, match=r"^store: \[0\]\.host_limit: expected a non-empty list of evidence "
                                              r"lines \(strings\)"):
            row_from_mapping({**data, "host_limit": bad}, source="store", index=0)
    with pytest.raises(ConfigError, match=r"^store: \[0\]\.host_limit: expected a HostLimit, got int"):
        row_from_mapping({**data, "host_limit": 3}, source="store", index=0)


def _version_rows(*, new_fps: float, new_limit: HostLimit | None, base_limit: HostLimit | None = None,
                  new_delta_e: float = 0.8) -> tuple[list[Row], list[Row]]:
    """glfx 1.0 -> 2.0 on moto-e13: 90 frame times a side (30 fps on the baseline, `new_fps` on the new version),
    so that a frame-rate difference is significant, not threshold-only."""
    def side(version: str, fps: float, limit: HostLimit | None, delta_e: float) -> list[Row]:
        frames = [1000.0 / fps + (i % 5) * 0.4 for i in range(90)]
        r = row(NEW, f"glfx@{version}", metrics={"content_fps": fps, "filter_delta_e": delta_e},
                samples={"frame_time_ms": frames}, new=True)
        return [replace(r, host_limit=limit)]
    return side("1.0", 30.0, base_limit, 0.8), side("2.0", new_fps, new_limit, new_delta_e)


def test_a_version_comparison_sets_aside_frame_rate_differences_the_machine_caused() -> None:
    from harness.compare import compare_rows, format_upgrade, is_confirmed_regression

    base, new = _version_rows(new_fps=20.0, new_limit=None)
    (cell,) = compare_rows(base, new, config=default_config()).cells
    fps = next(c for c in cell.comparisons if c.metric == "content_fps")
    assert fps.verdict == "regression", fps.message
    assert is_confirmed_regression(fps)
    assert cell.verdict == "regression"

    base, new = _version_rows(new_fps=20.0, new_limit=LIMIT, new_delta_e=3.5)
    report = compare_rows(base, new, config=default_config())
    (cell,) = report.cells
    fps = next(c for c in cell.comparisons if c.metric == "content_fps")
    assert fps.verdict == "environment", fps.message
    assert not is_confirmed_regression(fps)
    assert fps.message.endswith(f"host limited, not an SDK regression: {'; '.join(EVIDENCE)})"), fps.message
    # A colour difference on the same host-limited cell is still the SDK's.
    colour = next(c for c in cell.comparisons if c.metric == "filter_delta_e")
    assert colour.verdict == "regression", colour.message
    assert cell.host_limit == EVIDENCE
    assert cell.to_dict()["host_limit"] == list(EVIDENCE)
    assert "HOST LIMITED moto-e13 filter-warm" in format_upgrade(report)

    base, new = _version_rows(new_fps=20.0, new_limit=LIMIT)
    (cell,) = compare_rows(base, new, config=default_config()).cells
    assert cell.verdict == "environment"


def test_a_host_limited_baseline_is_named_and_does_not_hide_a_regression() -> None:
    from harness.compare import compare_rows

    base, new = _version_rows(new_fps=20.0, new_limit=None, base_limit=LIMIT)
    report = compare_rows(base, new, config=default_config())
    (cell,) = report.cells
    assert cell.verdict == "regression"
    assert [w for w in report.warnings if "machine limited" in w] == [
        f"moto-e13 filter-warm: the machine limited the baseline glfx@1.0's frame rate ({EVIDENCE[0]}): its "
        "frame-rate figures understate the SDK, so an improvement on them may be the machine's"]
    # Both sides limited: the cell itself says so (environment), no second warning.
    base, new = _version_rows(new_fps=20.0, new_limit=LIMIT, base_limit=LIMIT)
    both = compare_rows(base, new, config=default_config())
    assert not any("machine limited" in w for w in both.warnings)
    assert both.cells[0].verdict == "environment"


def test_the_terminal_table_names_each_cells_candidates() -> None:
    from harness.compare import compare_rows, format_upgrade

    base, new = _version_rows(new_fps=20.0, new_limit=LIMIT)
    text = format_upgrade(compare_rows(base, new, config=default_config()))
    header = next(line for line in text.splitlines() if line.startswith("device"))
    assert header.split()[:4] == ["device", "scenario", "candidate", "metric"]
    fps = next(line for line in text.splitlines() if " content_fps " in line)
    assert fps.split()[:6] == ["moto-e13", "filter-warm", "glfx@1.0", "->", "glfx@2.0", "content_fps"]
    assert "HOST LIMITED moto-e13 filter-warm glfx@2.0 (its frame-rate differences are the machine's" in text
    (cell,) = compare_rows(base, new, config=default_config()).cells
    assert (cell.sdk, cell.base_candidates, cell.new_candidates) == ("glfx", ("glfx@1.0",), ("glfx@2.0",))
