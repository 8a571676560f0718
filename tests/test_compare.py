"""Tests for harness.compare: threshold parsing and its error messages, the Mann-Whitney U test against hand-computed
values and scipy, verdicts on seeded data with planted shifts, upgrade / adaptation / vendor comparisons on
hand-made rows, and the text, HTML and PNG renderings."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import scipy.stats

from harness.compare.adaptation import adaptation_matrix, is_reference
from harness.compare.engine import compare_rows, compare_upgrade, compare_vendors
from harness.compare.heatmap import VERDICT_BGR, adaptation_heatmap, cell_centre, write_adaptation_png
from harness.compare.render import format_adaptation, format_upgrade, format_vendors, html_page, write_html
from harness.compare.rows import Row, load_run_rows, row_from_mapping, rows_from_mappings
from harness.compare.stats import (
    bootstrap_median_diff_ci,
    compare_samples,
    mann_whitney_u,
    smallest_p,
)
from harness.compare.thresholds import (
    ALLOWED_FORMS,
    CompareConfig,
    default_config,
    direction_of,
    load_compare_config,
    parse_threshold,
    parse_thresholds,
    thresholds_for,
)
from harness.errors import AnalysisError, ConfigError
from harness.results import ItemRecord, ResultsWriter

STARTUP_10PCT = parse_threshold("+10%", metric="startup_ms", file=None, key="startup_ms")
FPS_MINUS_2 = parse_threshold(-2, metric="content_fps", file=None, key="content_fps")


# ---------------------------------------------------------------- thresholds


def test_parse_thresholds_reads_every_form() -> None:
    parsed = parse_thresholds(
        {"startup_ms": "+10%", "content_fps": -2, "filter_delta_e": "+1.0", "dropped_frames": 5,
         "app_cost_ms": ["+10%", "max:50"], "app_fps": "min: 20", "*_ms": "+25%"},
        file="gate.yaml",
    )
    got = [(t.metric, t.kind, t.value, t.worse, t.text) for t in parsed]
    assert got == [
        ("startup_ms", "percent", 10.0, "higher", "+10%"),
        ("content_fps", "difference", 2.0, "lower", "-2"),
        ("filter_delta_e", "difference", 1.0, "higher", "+1"),
        ("dropped_frames", "difference", 5.0, "higher", "+5"),
        ("app_cost_ms", "percent", 10.0, "higher", "+10%"),
        ("app_cost_ms", "max", 50.0, "higher", "max:50"),
        ("app_fps", "min", 20.0, "lower", "min:20"),
        ("*_ms", "percent", 25.0, "higher", "+25%"),
    ]


def _msg(file: str, key: str, text: str) -> str:
    return "^" + re.escape(f"{file}: {key}: {text}") + "$"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("10%", f"'10%' is not a threshold; allowed: {ALLOWED_FORMS}; a string needs its sign: write '+10%' for a "
                "rise or '-10%' for a fall"),
        ("fast", f"'fast' is not a threshold; allowed: {ALLOWED_FORMS}"),
        (True, f"true is not a threshold; allowed: {ALLOWED_FORMS}"),
        ({"max": 3}, f"a mapping is not a threshold; allowed: {ALLOWED_FORMS}"),
        (0, f"the number 0 has no direction; allowed: {ALLOWED_FORMS}; write '+0' or '-0' for any rise or fall"),
        ("-100%", "'-100%' can never be exceeded: a positive metric cannot fall by 100 % or more; allowed: a fall "
                  "of less than 100 %, e.g. '-50%'"),
        ([], f"the list is empty; allowed: {ALLOWED_FORMS}"),
    ],
)
def test_parse_thresholds_errors_name_file_key_and_forms(value: Any, text: str) -> None:
    with pytest.raises(ConfigError, match=_msg("gate.yaml", "compare.thresholds.startup_ms", text)):
        parse_thresholds({"startup_ms": value}, file="gate.yaml", section="compare.thresholds")


def test_parse_thresholds_error_in_a_list_names_the_index() -> None:
    with pytest.raises(ConfigError, match=_msg("gate.yaml", "thresholds.startup_ms[1]",
                                               f"'x' is not a threshold; allowed: {ALLOWED_FORMS}")):
        parse_thresholds({"startup_ms": ["+10%", "x"]}, file="gate.yaml")


def test_parse_thresholds_rejects_bad_keys_and_non_mappings() -> None:
    with pytest.raises(ConfigError, match=_msg("g.yaml", "thresholds", "key 'start up' is not a metric name; "
                                               "allowed: a metric name such as startup_ms, or a pattern with * "
                                               "such as *_ms")):
        parse_thresholds({"start up": "+10%"}, file="g.yaml")
    with pytest.raises(ConfigError, match=_msg("g.yaml", "thresholds", "expected a mapping of metric name to "
                                               f"threshold, got a list; allowed: {ALLOWED_FORMS}")):
        parse_thresholds(["+10%"], file="g.yaml")


def test_threshold_excess_by_kind() -> None:
    # Hand-computed: 450 -> 500 is +11.1 %, 1.1 points over +10 %; 30 -> 27 is a fall of 3, 1 over -2.
    assert STARTUP_10PCT.excess(base_median=450, new_median=500) == pytest.approx(50 / 450 * 100 - 10)
    assert STARTUP_10PCT.is_over(base_median=450, new_median=500)
    assert not STARTUP_10PCT.is_over(base_median=450, new_median=495)  # exactly +10 % is not "more than"
    assert FPS_MINUS_2.excess(base_median=30, new_median=27) == pytest.approx(1.0)
    assert not FPS_MINUS_2.is_over(base_median=30, new_median=35)
    assert FPS_MINUS_2.is_better_beyond(base_median=30, new_median=33)
    limit = parse_threshold("max:1500", metric="startup_ms", file=None, key="k")
    assert limit.is_over(base_median=0, new_median=1501)
    assert not limit.is_over(base_median=2000, new_median=1500)
    assert limit.is_better_beyond(base_median=1600, new_median=1400)
    # A zero baseline: any rise is infinitely many percent (pytest-benchmark's PercentageRegressionCheck).
    assert STARTUP_10PCT.excess(base_median=0, new_median=1) == math.inf
    assert not STARTUP_10PCT.is_over(base_median=0, new_median=0)


def test_thresholds_for_prefers_exact_names_then_the_longest_pattern() -> None:
    table = parse_thresholds({"*_ms": "+30%", "frame_time_*_ms": "+20%", "startup_ms": "+10%"}, file=None)
    assert [t.text for t in thresholds_for("startup_ms", table)] == ["+10%"]
    assert [t.text for t in thresholds_for("frame_time_p90_ms", table)] == ["+20%"]
    assert [t.text for t in thresholds_for("app_cost_ms", table)] == ["+30%"]
    assert thresholds_for("content_fps", table) == []


@pytest.mark.parametrize(
    ("metric", "direction"),
    [("startup_ms", "lower"), ("content_fps", "higher"), ("filter_delta_e", "lower"), ("dropped_frames", "lower"),
     ("freeze_count", "lower"), ("stutter_ratio", "lower"), ("beauty_smoothing_ratio", "neutral"),
     ("green_frame_share", "neutral"), ("filter_applied_delta_e", "neutral"), ("beauty_whitening_dl", "neutral")],
)
def test_direction_from_the_unit(metric: str, direction: str) -> None:
    assert direction_of(metric) == direction


def test_direction_override() -> None:
    assert direction_of("beauty_smoothing_ratio", {"beauty_smoothing_ratio": "lower"}) == "lower"


def test_load_compare_config(tmp_path: Path) -> None:
    gate = tmp_path / "gate.yaml"
    gate.write_text("compare:\n  alpha: 0.01\n  thresholds:\n    startup_ms: +5%\n    content_fps: -1\n"
                    "  directions:\n    beauty_smoothing_ratio: lower\nother_tool: {x: 1}\n", encoding="utf-8")
    config = load_compare_config(gate)
    assert config.alpha == 0.01
    assert [t.text for t in config.thresholds_for("startup_ms")] == ["+5%"]
    assert [t.text for t in config.thresholds_for("content_fps")] == ["-1"]
    assert [t.text for t in config.thresholds_for("dropped_frames")] == ["+5"]  # from the default table
    assert config.direction("beauty_smoothing_ratio") == "lower"
    gate.write_text("compare:\n  use_defaults: false\n  thresholds: {startup_ms: +5%}\n", encoding="utf-8")
    assert [t.metric for t in load_compare_config(gate).thresholds] == ["startup_ms"]


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("gate: {}\n", None, "missing required key 'compare'; allowed: a 'compare:' mapping with keys thresholds, "
                             "use_defaults, directions, alpha, bootstrap_resamples, seed"),
        ("compare: {treshold: {}}\n", "compare", "unknown key 'treshold'; allowed: thresholds, use_defaults, "
                                                 "directions, alpha, bootstrap_resamples, seed"),
        ("compare: {alpha: 5}\n", "compare.alpha", "5 is not allowed; allowed: a number between 0 and 1 "
                                                   "(exclusive), e.g. 0.05"),
        ("compare: {directions: {startup_ms: down}}\n", "compare.directions.startup_ms",
         "'down' is not allowed; allowed: lower, higher, neutral"),
        ("compare: {thresholds: {startup_ms: 10%}}\n", "compare.thresholds.startup_ms",
         f"'10%' is not a threshold; allowed: {ALLOWED_FORMS}; a string needs its sign: write '+10%' for a rise or "
         "'-10%' for a fall"),
        ("compare: {seed: -1}\n", "compare.seed", "-1 is not allowed; allowed: an integer >= 0"),
    ],
)
def test_load_compare_config_errors(tmp_path: Path, text: str, key: str | None, message: str) -> None:
    gate = tmp_path / "gate.yaml"
    gate.write_text(text, encoding="utf-8")
    where = f"{gate}: {key}: " if key else f"{gate}: "
    with pytest.raises(ConfigError, match="^" + re.escape(where + message) + "$"):
        load_compare_config(gate)


# ---------------------------------------------------------------- Mann-Whitney U


def test_mann_whitney_hand_computed_exact() -> None:
    # Hand-computed: x entirely below y, 3 vs 3: U_x = 0; only 1 of C(6,3) = 20 orderings is as extreme on each
    # side, so two-sided p = 2/20 = 0.1. 4 vs 4: 2/C(8,4) = 2/70.
    result = mann_whitney_u([1, 2, 3], [4, 5, 6])
    assert (result.u, result.method, result.p_value) == (0.0, "exact", pytest.approx(0.1))
    assert mann_whitney_u([1, 2, 3, 4], [5, 6, 7, 8]).p_value == pytest.approx(2 / 70)
    # x = [1,3,5], y = [2,4,6]: ranks of x 1+3+5 = 9, U_x = 9 - 6 = 3, U_max = 6. The null counts of U for 3 vs 3
    # are 1,1,2,3,3,3,3,2,1,1 (U = 0..9), so P(U >= 6) = (3+2+1+1)/20 and p = 2 * 7/20 = 0.7.
    assert mann_whitney_u([1, 3, 5], [2, 4, 6]).p_value == pytest.approx(0.7)


def test_mann_whitney_hand_computed_ties() -> None:
    # Hand-computed normal approximation: x = [1,2,2,3], y = [2,3,3,4]; mid-ranks 1; 3,3,3; 6,6,6; 8, so R_x = 13,
    # U_x = 13 - 10 = 3, U_max = 13, mean 8; tie term (2 * (27 - 3)) / (8 * 7) = 6/7;
    # variance = 16/12 * (9 - 6/7) = 10.857; z = (13 - 8 - 0.5) / sqrt(10.857) = 1.3657; p = erfc(z / sqrt 2).
    expected = math.erfc((13 - 8 - 0.5) / math.sqrt(16 / 12 * (9 - 6 / 7)) / math.sqrt(2))
    result = mann_whitney_u([1, 2, 2, 3], [2, 3, 3, 4])
    assert (result.u, result.method, result.ties) == (3.0, "asymptotic", True)
    assert result.p_value == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.17203, abs=1e-5)


def test_mann_whitney_matches_scipy() -> None:
    rng = np.random.default_rng(7)
    for trial in range(60):
        n1, n2 = (int(v) for v in rng.integers(1, 26, size=2))
        if trial % 2:
            x, y = rng.normal(0, 1, n1), rng.normal(0.7, 1, n2)  # continuous: no ties, exact
        else:
            x, y = rng.integers(0, 5, n1).astype(float), rng.integers(1, 6, n2).astype(float)  # ties
        ours = mann_whitney_u(x, y)
        ref = scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method=ours.method)
        assert ours.u == pytest.approx(float(ref.statistic))
        if not math.isnan(float(ref.pvalue)):
            assert ours.p_value == pytest.approx(float(ref.pvalue), rel=1e-9, abs=1e-15)
    assert mann_whitney_u(rng.normal(size=40), rng.normal(size=40)).method == "asymptotic"  # beyond EXACT_MAX_N


def test_mann_whitney_all_equal_and_empty() -> None:
    assert mann_whitney_u([5, 5, 5], [5, 5]).p_value == 1.0
    with pytest.raises(AnalysisError, match=r"^Mann-Whitney U needs values on both sides; got 0 and 2$"):
        mann_whitney_u([], [1, 2])
    with pytest.raises(AnalysisError, match=r"^first sample: 1 value\(s\) are not finite numbers$"):
        mann_whitney_u([1, math.nan], [1, 2])


def test_smallest_p() -> None:
    assert smallest_p(3, 3) == pytest.approx(0.1)  # 2 / C(6, 3)
    assert smallest_p(4, 4) == pytest.approx(2 / 70)


def test_bootstrap_interval_is_seeded_and_covers_the_shift() -> None:
    rng = np.random.default_rng(3)
    base, new = rng.normal(450, 10, 12), rng.normal(500, 10, 12)
    first = bootstrap_median_diff_ci(base, new, confidence=0.95, n_resamples=2000, seed=0)
    assert first == bootstrap_median_diff_ci(base, new, confidence=0.95, n_resamples=2000, seed=0)
    assert first[0] < 50 < first[1]
    assert bootstrap_median_diff_ci([1, 1], [1, 1], confidence=0.95, n_resamples=100, seed=0) == (0.0, 0.0)


# ---------------------------------------------------------------- verdicts


def _startup(rng: np.random.Generator, *, median_ms: float, n: int) -> np.ndarray:
    return median_ms * (1 + 0.05 * rng.standard_normal(n))  # 5 % multiplicative noise


def test_planted_30pct_startup_shift_is_a_regression() -> None:
    rng = np.random.default_rng(2024)
    base, new = _startup(rng, median_ms=450, n=10), _startup(rng, median_ms=585, n=10)
    c = compare_samples(base, new, threshold=STARTUP_10PCT)
    assert (c.verdict, c.basis, c.method, c.significant, c.over_threshold) == (
        "regression", "mann_whitney", "exact", True, True)
    assert c.p_value is not None
    assert c.p_value < 0.001
    assert c.delta_pct is not None
    assert 20 < c.delta_pct < 40
    assert c.ci_low is not None
    assert c.ci_high is not None
    assert 0 < c.ci_low < 135 < c.ci_high
    assert c.message.startswith("startup_ms ")
    assert c.message.endswith(": regression")


def test_planted_shift_detected_in_nearly_every_repeat() -> None:
    rng = np.random.default_rng(11)
    verdicts = [compare_samples(_startup(rng, median_ms=450, n=10), _startup(rng, median_ms=585, n=10),
                                threshold=STARTUP_10PCT, bootstrap_resamples=200).verdict for _ in range(200)]
    assert verdicts.count("regression") >= 195  # measured: 200 of 200


def test_same_distribution_false_alarm_rate() -> None:
    rng = np.random.default_rng(12)
    results = [compare_samples(_startup(rng, median_ms=450, n=10), _startup(rng, median_ms=450, n=10),
                               threshold=STARTUP_10PCT, bootstrap_resamples=200) for _ in range(200)]
    verdicts = [c.verdict for c in results]
    assert verdicts.count("regression") / 200 <= 0.05  # measured: 0 of 200
    assert set(verdicts) <= {"noise", "unchanged"}
    assert sum(c.significant for c in results) / 200 <= 0.05  # the test alone; measured: 5 of 200


def test_significant_but_small_shift_is_noise() -> None:
    rng = np.random.default_rng(5)
    base, new = 450 * (1 + 0.005 * rng.standard_normal(10)), 468 * (1 + 0.005 * rng.standard_normal(10))
    c = compare_samples(base, new, threshold=STARTUP_10PCT)  # +4 %, tight: significant, within +10 %
    assert (c.verdict, c.significant, c.over_threshold, c.note) == (
        "noise", True, False, "significant but within the threshold")


def test_over_threshold_but_not_significant_is_noise() -> None:
    base, new = [400, 600, 420, 580, 450], [470, 620, 500, 650, 420]  # medians 450 -> 500 (+11 %), overlapping
    c = compare_samples(base, new, threshold=STARTUP_10PCT)
    assert (c.verdict, c.significant, c.over_threshold) == ("noise", False, True)


def test_improvement_needs_significance_and_the_mirrored_threshold() -> None:
    rng = np.random.default_rng(6)
    c = compare_samples(_startup(rng, median_ms=450, n=10), _startup(rng, median_ms=300, n=10),
                        threshold=STARTUP_10PCT)
    assert (c.verdict, c.significant) == ("improvement", True)


@pytest.mark.parametrize(
    ("base", "new", "verdict"),
    [([450], [500], "regression"), ([450], [470], "unchanged"), ([450], [380], "improvement"),
     ([450, 455, 460], [520, 530, 540], "regression")],  # 3 vs 3: smallest p is 0.1 > 0.05
)
def test_threshold_only_without_repeats(base: list[float], new: list[float], verdict: str) -> None:
    c = compare_samples(base, new, threshold=STARTUP_10PCT)
    assert (c.verdict, c.basis, c.p_value, c.ci_low) == (verdict, "threshold_only", None, None)
    assert c.note.startswith("threshold only: ")


def test_fps_fall_and_insufficient_data() -> None:
    assert compare_samples([30.0], [27.0], threshold=FPS_MINUS_2).verdict == "regression"  # fell by 3 > 2
    assert compare_samples([30.0], [29.0], threshold=FPS_MINUS_2).verdict == "unchanged"
    c = compare_samples([30.0], [], threshold=FPS_MINUS_2)
    assert (c.verdict, c.basis, c.note, c.new_median) == ("insufficient_data", "none", "no new values", None)


def test_compare_samples_rejects_bad_alpha() -> None:
    with pytest.raises(ConfigError, match=r"^alpha 1.5 is not allowed; allowed: a number between 0 and 1"):
        compare_samples([1.0], [2.0], threshold=STARTUP_10PCT, alpha=1.5)


# ---------------------------------------------------------------- rows


def row(device: str, candidate: str, *, scenario: str = "filter-warm", status: str = "passed",
        metrics: dict[str, float] | None = None, samples: dict[str, list[float]] | None = None,
        new: bool | None = False, tier: str = "flagship", fingerprint: str | None = None,
        error: dict[str, str] | None = None) -> Row:
    sdk, version = candidate.split("@")
    tags: dict[str, Any] = {"tier": tier}
    if new is not None:
        tags["new"] = new
    data = {"device": device, "sdk": sdk, "version": version, "scenario": scenario, "status": status,
            "metrics": metrics or {}, "samples": samples or {}, "tags": tags, "fingerprint": fingerprint,
            "error": error}
    return row_from_mapping(data, source="test", index=0)


def test_row_from_mapping_errors() -> None:
    with pytest.raises(ConfigError, match=r"^store: \[3\]: missing required key 'status'; allowed: a row with keys "
                                          r"device, sdk, version, scenario, status \(optional: "):
        row_from_mapping({"device": "d", "sdk": "s", "version": "1", "scenario": "x"}, source="store", index=3)
    base = {"device": "d", "sdk": "s", "version": "1", "scenario": "x", "status": "passed"}
    with pytest.raises(ConfigError, match=r"^store: \[0\]\.status: status 'ok' is not allowed; allowed: passed, "
                                          r"failed, broken, skipped$"):
        row_from_mapping({**base, "status": "ok"}, source="store", index=0)
    with pytest.raises(ConfigError, match=r"^store: \[0\]\.metrics\.startup_ms: nan is not allowed; allowed: a "
                                          r"finite number$"):
        row_from_mapping({**base, "metrics": {"startup_ms": math.nan}}, source="store", index=0)
    parsed = rows_from_mappings([base], source="store")[0]
    assert (parsed.candidate, parsed.values("startup_ms")) == ("s@1", [])


def _record(device: str, candidate: str, metrics: dict[str, float]) -> ItemRecord:
    sdk, version = candidate.split("@")
    name = f"filter-warm[{device}-{candidate}]"
    return ItemRecord(run_id="r1", item_id=f"scenarios/f.yaml::{name}", name=name, scenario="filter-warm",
                      device=device, device_name=device, platform="web", tags={"tier": "flagship", "new": False},
                      candidate=candidate, vendor="V", sdk=sdk, version=version, status="passed", metrics=metrics,
                      started_at="2026-01-01T00:00:00.000+00:00", duration_s=1.0)


def test_load_run_rows_takes_samples_from_details(tmp_path: Path) -> None:
    writer = ResultsWriter(tmp_path)
    writer.add(_record("pixel7", "glfx@2.0", {"startup_ms": 900.0, "startup_cold_ms": 900.0, "startup_warm_ms": 450.0,
                                              "app_first_frame_warm_ms": 410.0, "content_fps": 29.9}))
    writer.add(_record("pixel7", "glfx@1.0", {"startup_ms": 500.0}))
    item = tmp_path / "items" / "filter-warm_pixel7-glfx@2.0"  # the runner's folder name for this item
    item.mkdir(parents=True)
    details = {"metrics": {}, "details": {"startup_runs": [
        {"mode": "cold", "startup_ms": [900.0], "app_first_frame_ms": []},
        {"mode": "warm", "startup_ms": [440.0, 450.0, 470.0], "app_first_frame_ms": [400.0, 410.0, 420.0]}]}}
    (item / "details.json").write_text(json.dumps(details), encoding="utf-8")
    rows = load_run_rows(tmp_path)
    # startup_ms is the scenario's first launch step; each mode's metric has its own step's launches.
    assert rows[0].values("startup_cold_ms") == [900.0]
    assert rows[0].values("startup_warm_ms") == [440.0, 450.0, 470.0]
    assert rows[0].values("app_first_frame_warm_ms") == [400.0, 410.0, 420.0]
    assert rows[0].values("startup_ms") == [900.0]
    assert rows[0].values("content_fps") == [29.9]
    assert rows[1].values("startup_ms") == [500.0]  # no details.json: the metric is its one sample


# ---------------------------------------------------------------- upgrade


def test_upgrade_matches_cells_and_flags_regressions() -> None:
    rng = np.random.default_rng(1)
    base_startup = list(_startup(rng, median_ms=450, n=10))
    rows = [
        row("pixel7", "glfx@1.0", metrics={"startup_ms": 450, "content_fps": 30}, samples={"startup_ms": base_startup},
            fingerprint="chromium-156/x86"),
        row("pixel7", "glfx@2.0", metrics={"startup_ms": 585, "content_fps": 29.5},
            samples={"startup_ms": list(_startup(rng, median_ms=585, n=10))}, fingerprint="chromium-157/x86"),
        row("moto-e13", "glfx@1.0", metrics={"startup_ms": 800}),
        row("moto-e13", "glfx@2.0", status="failed", metrics={"startup_ms": 810},
            error={"kind": "sdk", "message": "SdkDefectError: crashed"}),
        row("pixel7", "glfx@1.0", scenario="beauty-70", metrics={"startup_ms": 450}),
        row("pixel-fold", "glfx@2.0", metrics={"startup_ms": 500}, new=True),
    ]
    report = compare_upgrade(rows, sdk="glfx", base_version="1.0", new_version="2.0", config=default_config())
    assert [(c.device, c.scenario) for c in report.cells] == [("pixel7", "filter-warm"), ("moto-e13", "filter-warm")]
    pixel7, moto = report.cells
    assert {c.metric: c.verdict for c in pixel7.comparisons} == {"startup_ms": "regression", "content_fps": "unchanged"}
    assert pixel7.comparisons[0].basis == "mann_whitney"
    assert report.warnings[0] == (
        "pixel7: baseline from a different machine: glfx@2.0 measured on chromium-157/x86 VS glfx@1.0 on "
        "chromium-156/x86; differences may come from the device, not the SDK")
    assert moto.newly_failing
    assert moto.verdict == "regression"
    assert report.only_base == (("pixel7", "beauty-70"),)
    assert report.only_new == (("pixel-fold", "filter-warm"),)
    assert report.failed
    text = format_upgrade(report)
    assert "WARNING pixel7: baseline from a different machine" in text
    assert "NEWLY FAILING moto-e13 filter-warm: passed -> failed" in text
    json.dumps(report.to_dict(), allow_nan=False)


def test_upgrade_broken_run_is_a_warning_not_a_regression() -> None:
    rows = [row("pixel7", "glfx@1.0", metrics={"startup_ms": 450}),
            row("pixel7", "glfx@2.0", status="broken", metrics={"startup_ms": 455},
                error={"kind": "infrastructure", "message": "InfrastructureError: lost"})]
    report = compare_rows(rows[:1], rows[1:], config=default_config())
    assert not report.failed
    assert report.warnings == ("pixel7 filter-warm: glfx@2.0 broken in 1 of 1 run(s) (infrastructure, not the SDK): "
                               "its metrics may be incomplete",)


def test_upgrade_unknown_version() -> None:
    rows = [row("pixel7", "glfx@1.0", metrics={"startup_ms": 450})]
    with pytest.raises(ConfigError, match=r"^version: no rows for glfx@3.0; allowed: a candidate present in the rows "
                                          r"\(glfx@1.0\)$"):
        compare_upgrade(rows, sdk="glfx", base_version="1.0", new_version="3.0", config=default_config())


# ---------------------------------------------------------------- adaptation


def _adaptation_rows() -> list[Row]:
    ok = {"startup_ms": 460.0, "content_fps": 29.8}
    return [
        row("pixel7", "glfx@2.0", metrics={"startup_ms": 450, "content_fps": 30}),
        row("galaxy-s23", "glfx@2.0", metrics={"startup_ms": 470, "content_fps": 29.6}),
        row("moto-e13", "glfx@2.0", metrics={"startup_ms": 1100, "content_fps": 14}, tier="low"),
        row("pixel7", "pixkit@1.5", metrics={"startup_ms": 500, "content_fps": 30}),
        row("galaxy-s23", "pixkit@1.5", metrics={"startup_ms": 520, "content_fps": 30}),
        row("pixel7", "lumo@3.1", metrics={"startup_ms": 480, "content_fps": 30}),
        row("pixel7", "vivid@1.0", metrics={"startup_ms": 480, "content_fps": 30}),
        row("pixel-fold", "glfx@2.0", metrics=ok, new=True),  # within 10 % of the reference median
        row("pixel-fold", "pixkit@1.5", metrics={"startup_ms": 720, "content_fps": 24.0}, new=True),
        row("pixel-fold", "lumo@3.1", status="failed", metrics={"startup_ms": 480}, new=True,
            error={"kind": "sdk", "message": "SdkDefectError: shader failed to compile\nstack..."}),
    ]


def test_adaptation_verdicts_and_reasons() -> None:
    matrix = adaptation_matrix(_adaptation_rows(), config=default_config(), match_tag="tier")
    assert matrix.reference_devices == ("pixel7", "galaxy-s23", "moto-e13")
    assert matrix.new_devices == ("pixel-fold",)
    verdicts = {c: matrix.cell("pixel-fold", c).verdict for c in matrix.candidates}
    assert verdicts == {"glfx@2.0": "ok", "pixkit@1.5": "degraded", "lumo@3.1": "fails", "vivid@1.0": "not_run"}
    # Hand-computed: reference samples 500 and 520 (median 510); 720 - 510 = +210 = +41.2 %, beyond +10 %; fps
    # 24 vs median 30 is a fall of 6, beyond -2. One value per device: threshold only.
    assert matrix.cell("pixel-fold", "pixkit@1.5").reasons == (
        "filter-warm: startup_ms 720 vs reference median 510 (+210, +41.2 %), beyond +10%; threshold only",
        "filter-warm: content_fps 24 vs reference median 30 (-6, -20.0 %), beyond -2; threshold only",
    )
    assert matrix.cell("pixel-fold", "lumo@3.1").reasons == (
        "filter-warm: failed: sdk: SdkDefectError: shader failed to compile",)
    assert matrix.cell("pixel-fold", "vivid@1.0").reasons == ("filter-warm: not run",)
    # moto-e13 (tier low) has no reference of its tier: status only, so ok despite being far slower.
    moto = matrix.cell("moto-e13", "glfx@2.0")
    assert moto.verdict == "ok"
    assert moto.reasons == ("filter-warm: status only: no other reference device with tier=low ran it",)
    ok_cell = matrix.cell("pixel-fold", "glfx@2.0").scenarios[0]
    assert ok_cell.references == ("pixel7", "galaxy-s23")
    assert {d.metric: d.reference_median for d in ok_cell.deltas} == {"startup_ms": 460.0, "content_fps": 29.8}
    json.dumps(matrix.to_dict(), allow_nan=False)


def test_adaptation_without_tag_matching_pools_every_reference() -> None:
    matrix = adaptation_matrix(_adaptation_rows(), config=default_config(), match_tag=None)
    # References for pixel-fold glfx: 450, 470, 1100 -> median 470; 460 is within: ok. moto-e13 against pixel7
    # and galaxy-s23 (median 460): +139 %: degraded.
    assert matrix.cell("pixel-fold", "glfx@2.0").verdict == "ok"
    assert matrix.cell("moto-e13", "glfx@2.0").verdict == "degraded"


def test_adaptation_matrix_cell_takes_the_worst_scenario() -> None:
    rows = [row("pixel7", "glfx@2.0", scenario=s, metrics={"startup_ms": 450}) for s in ("a", "b")]
    rows.append(row("pixel-fold", "glfx@2.0", scenario="a", metrics={"startup_ms": 455}, new=True))
    cell = adaptation_matrix(rows, config=default_config(), match_tag=None).cell("pixel-fold", "glfx@2.0")
    assert (cell.verdict, cell.reasons) == ("not_run", ("b: not run",))
    assert [s.verdict for s in cell.scenarios] == ["ok", "not_run"]


def test_adaptation_broken_references_do_not_count() -> None:
    rows = [row("pixel7", "glfx@2.0", status="broken", metrics={"startup_ms": 300},
                error={"kind": "infrastructure", "message": "InfrastructureError: session lost"}),
            row("pixel-fold", "glfx@2.0", metrics={"startup_ms": 900}, new=True)]
    matrix = adaptation_matrix(rows, config=default_config(), match_tag=None)
    assert matrix.cell("pixel-fold", "glfx@2.0").verdict == "ok"
    assert matrix.cell("pixel-fold", "glfx@2.0").reasons == (
        "filter-warm: status only: no measured run on the reference devices (pixel7)",)
    assert matrix.cell("pixel7", "glfx@2.0").reasons == (
        "filter-warm: broken: infrastructure: InfrastructureError: session lost",
        "filter-warm: status only: no other reference device ran it",
    )


def test_is_reference_reads_bool_and_string_tags() -> None:
    assert is_reference(row("a", "x@1", new=False))
    assert not is_reference(row("a", "x@1", new=True))
    assert not is_reference(row("a", "x@1", new=None))
    as_text = {"device": "a", "sdk": "x", "version": "1", "scenario": "s", "status": "passed", "tags": {"new": "False"}}
    assert is_reference(row_from_mapping(as_text, source="store", index=0))


# ---------------------------------------------------------------- vendors


def test_vendors_best_per_metric_by_direction() -> None:
    rows = [
        row("pixel7", "glfx@2.0", metrics={"startup_ms": 450, "content_fps": 24, "beauty_smoothing_ratio": 0.5}),
        row("pixel7", "pixkit@1.5", metrics={"startup_ms": 520, "content_fps": 30, "beauty_smoothing_ratio": 0.4}),
        row("moto-e13", "glfx@2.0", metrics={"startup_ms": 900}),
    ]
    report = compare_vendors(rows, candidates=["glfx@2.0", "pixkit@1.5"], config=default_config())
    assert len(report.cells) == 1  # moto-e13 ran only one candidate
    best = {m.metric: (m.best, m.direction) for m in report.cells[0].metrics}
    assert best == {"startup_ms": ("glfx@2.0", "lower"), "content_fps": ("pixkit@1.5", "higher"),
                    "beauty_smoothing_ratio": (None, "neutral")}
    startup = report.cells[0].metrics[0]
    assert startup.margin_pct == pytest.approx(70 / 520 * 100)  # hand-computed: (520 - 450) / 520
    assert report.wins == {"glfx@2.0": 1, "pixkit@1.5": 1}
    configured = CompareConfig(thresholds=(), directions={"beauty_smoothing_ratio": "lower"})
    again = compare_vendors(rows, candidates=["glfx@2.0", "pixkit@1.5"], config=configured)
    assert again.cells[0].metrics[2].best == "pixkit@1.5"
    assert "startup_ms" in format_vendors(report)
    with pytest.raises(ConfigError, match=r"^candidates: \['glfx@2.0'\] is not allowed; allowed: at least two"):
        compare_vendors(rows, candidates=["glfx@2.0"], config=default_config())


# ---------------------------------------------------------------- rendering


def test_text_adaptation_table() -> None:
    matrix = adaptation_matrix(_adaptation_rows(), config=default_config(), match_tag="tier")
    lines = format_adaptation(matrix).splitlines()
    assert lines[1].split() == ["device", "glfx@2.0", "pixkit@1.5", "lumo@3.1", "vivid@1.0"]
    assert next(line for line in lines if line.startswith("pixel-fold")).split() == [
        "pixel-fold", "(new)", "OK", "DEGRADED", "FAILS", "NOT_RUN"]


def test_html_contains_the_cells(tmp_path: Path) -> None:
    rows = [*_adaptation_rows(), row("pixel7", "glfx@1.0", metrics={"startup_ms": 400}),
            row("galaxy-s23", "glfx@1.0", scenario="<b>x</b>", metrics={"startup_ms": 400})]
    matrix = adaptation_matrix(rows, config=default_config(), match_tag="tier")
    upgrade = compare_upgrade(rows, sdk="glfx", base_version="1.0", new_version="2.0", config=default_config())
    page = html_page(title="Compare <run>", upgrade=upgrade, adaptation=matrix)
    assert page.lower().startswith("<!doctype html>")
    assert "<title>Compare &lt;run&gt;</title>" in page
    assert re.search(r"(?i)<(script|link)\b|src=|https?://", page) is None  # standalone: no external assets
    cell = re.search(r'<td class="cell verdict-degraded" data-device="pixel-fold" data-candidate="pixkit@1.5" '
                     r'style="background:#ffd57a"><b>degraded</b><ul class="reasons"><li>filter-warm: startup_ms 720',
                     page)
    assert cell is not None
    assert 'data-device="pixel-fold" data-candidate="lumo@3.1" style="background:#f19a9a"><b>fails</b>' in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page  # names are escaped
    assert "<td>startup_ms</td>" in page
    assert ">regression (threshold only)</td>" in page
    path = write_html(tmp_path / "compare.html", title="t", adaptation=matrix)
    assert "verdict-not_run" in path.read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match=r"compare\.txt: 'compare\.txt' is not allowed; allowed: a file name "
                                          r"ending in \.html$"):
        write_html(tmp_path / "compare.txt", title="t")


def test_png_heatmap_cells_have_verdict_colours(tmp_path: Path) -> None:
    matrix = adaptation_matrix(_adaptation_rows(), config=default_config(), match_tag="tier")
    image = adaptation_heatmap(matrix)
    assert image.dtype == np.uint8
    assert image.shape[2] == 3
    for candidate in matrix.candidates:
        x, y = cell_centre(matrix, "pixel-fold", candidate)
        assert tuple(int(v) for v in image[y, x]) == VERDICT_BGR[matrix.cell("pixel-fold", candidate).verdict]
    x, y = cell_centre(matrix, "pixel7", "glfx@2.0")
    assert tuple(int(v) for v in image[y, x]) == VERDICT_BGR["ok"]
    path = write_adaptation_png(matrix, tmp_path / "heat.png")
    read = cv2.imread(str(path))
    assert read is not None
    assert np.array_equal(read, image)  # PNG is lossless
    assert np.any(image[:36, :, 0] < 100)  # the header row has text drawn on it


# --- frame metrics tested on their frame times --------------------------------------------------------------------


def _frame_row(version: str, fps: float, frame_times: list[float]) -> Row:
    return Row(device="pixel7", sdk="pixkit", version=version, scenario="filter-warm", status="passed",
               candidate=f"pixkit@{version}", metrics={"content_fps": fps},
               samples={"frame_time_ms": tuple(frame_times)})


def test_one_fps_value_a_side_is_tested_on_the_frame_times() -> None:
    """content_fps is one number per item; the frames behind it decide significance. 90 frames at 33.3 +- 1 ms
    against 90 at 50 +- 1 ms (seeded): every new frame is slower, so p is tiny; 30 -> 20 fps is over -2."""
    rng = np.random.default_rng(7)
    base = list(33.3 + rng.uniform(-1, 1, 90))
    slow = list(50.0 + rng.uniform(-1, 1, 90))
    report = compare_rows([_frame_row("1.5", 30.0, base)], [_frame_row("1.6", 20.0, slow)],
                          config=default_config())
    fps = next(c for c in report.cells[0].comparisons if c.metric == "content_fps")
    assert fps.verdict == "regression"
    assert fps.basis == "mann_whitney"
    assert fps.tested_on == "frame_time_ms (90 vs 90)"
    assert fps.p_value is not None
    assert fps.p_value < 1e-20
    assert fps.ci_low is None  # no interval: it would be in ms, not fps
    assert "on frame_time_ms (90 vs 90)" in fps.message


def test_fps_gap_without_a_frame_time_shift_is_noise() -> None:
    """The same frame-time distribution on both sides (seeded draws of one distribution) but fps values 2.5 apart:
    over the threshold, not significant -> noise, never a regression."""
    rng = np.random.default_rng(8)
    same = [list(33.3 + rng.uniform(-3, 3, 90)) for _ in range(2)]
    report = compare_rows([_frame_row("1.5", 30.0, same[0])], [_frame_row("1.6", 27.5, same[1])],
                          config=default_config())
    fps = next(c for c in report.cells[0].comparisons if c.metric == "content_fps")
    assert fps.over_threshold
    assert not fps.significant
    assert fps.verdict == "noise"
