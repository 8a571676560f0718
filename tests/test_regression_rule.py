"""One regression rule (harness.compare.is_confirmed_regression), used by compare, the gate, the report and the CLI."""

from __future__ import annotations

from pathlib import Path

from harness.compare import Threshold, compare_samples, is_confirmed_regression, parse_thresholds
from harness.report.overview import gate_deltas


def _threshold() -> Threshold:
    return parse_thresholds({"startup_ms": "+10%"}, file=None)[0]


def test_significant_and_over_is_a_regression_in_both_forms() -> None:
    c = compare_samples([800.0, 810, 805, 795, 802, 808], [900.0, 910, 905, 895, 902, 908], threshold=_threshold())
    assert (c.verdict, c.basis) == ("regression", "mann_whitney")
    assert is_confirmed_regression(c)
    assert is_confirmed_regression(c.to_dict())


def test_one_value_a_side_is_unconfirmed() -> None:
    c = compare_samples([800.0], [1000.0], threshold=_threshold())
    assert (c.verdict, c.basis) == ("regression", "threshold_only")
    assert not is_confirmed_regression(c)
    assert not is_confirmed_regression({"verdict": "noise", "basis": "mann_whitney"})


def test_report_deltas_follow_the_rule() -> None:
    comparison = {"report": {"cells": [{"device": "pixel7", "scenario": "startup", "comparisons": [
        {"metric": "startup_ms", "delta_pct": 25.0, "verdict": "regression", "basis": "threshold_only"},
        {"metric": "content_fps", "delta_pct": -30.0, "verdict": "regression", "basis": "mann_whitney"}]}]}}
    assert gate_deltas(comparison) == [("pixel7 · startup · startup_ms", 25.0, False),
                                       ("pixel7 · startup · content_fps", -30.0, True)]


def test_the_rule_is_written_once() -> None:
    root = Path(__file__).resolve().parents[1] / "harness"
    writers = [p.relative_to(root).as_posix() for p in root.rglob("*.py")
               if '!= "threshold_only"' in p.read_text(encoding="utf-8")]
    assert writers == ["compare/stats.py"]
