"""New-device adaptation: every device against the reference devices (tag `new: false`) for the same candidate and
scenario, with a verdict per cell (ok, environment, degraded, fails, not_run) and the reasons, as a devices x
candidates matrix. Besides the metrics, a cell compares the device's colour response with the references'
(consistency). A frame-rate difference on a device profile the machine could not render at full rate is an
environment finding with its evidence, never an SDK defect."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

from harness.compare.engine import group_rows, pooled, worst_status
from harness.compare.rows import FRAME_RATE_METRICS, Row, is_frame_rate_metric
from harness.compare.stats import compare_samples
from harness.compare.thresholds import CompareConfig
from harness.metrics.response import (
    DEFAULT_MIN_BIN_PIXELS,
    MIN_COMMON_BINS,
    ResponseDistance,
    merge_responses,
    response_delta_e,
)

AdaptationVerdict = Literal["ok", "environment", "degraded", "fails", "not_run"]
# A matrix cell shows its worst scenario: a cell with a scenario not run cannot be signed off as ok; a frame-rate
# difference the machine explains (environment) is no SDK defect, so it ranks below degraded.
VERDICT_RANK: Final[Mapping[str, int]] = {"ok": 0, "not_run": 1, "environment": 2, "degraded": 3, "fails": 4}
MEASURED_STATUSES: Final = ("passed", "failed")  # reference rows whose metrics count (broken/skipped do not)
REFERENCE_TAG: Final = "new"
CONSISTENCY_METRIC: Final = "visual_consistency_delta_e"  # its thresholds: CompareConfig (default max:2.0)

# The smallest difference from the references that can degrade a cell, per metric (first match of the metric's
# name: exact, then prefix, then suffix). Smaller differences are within the noise of one run on a shared host
# (docs/compare.md, "Noise floors"): e.g. app_cost_ms 1.68 -> 1.85 ms is no adaptation defect.
MIN_ABS_DELTA_EXACT: Final[Mapping[str, float]] = {
    "app_cost_ms": 1.0, "dropped_frames": 3.0, "repeated_frames": 3.0, "undecoded_frames": 3.0,
    "freeze_count": 1.0, "jank_count": 2.0, "big_jank_count": 1.0, "stutter_ratio": 0.05,
    "tracking_lag_ms": 17.0,  # half a clip frame interval at 30 fps
    "tracking_error_p95_pct": 2.0,
}
MIN_ABS_DELTA_PREFIX: Final[tuple[tuple[str, float], ...]] = (  # milliseconds: prefix and `_ms`
    ("startup_", 100.0), ("app_first_frame", 100.0), ("frame_time_", 4.0),
)
MIN_ABS_DELTA_SUFFIX: Final[tuple[tuple[str, float], ...]] = (
    ("_latency_ms", 34.0), ("_fps", 2.0), ("_cv", 0.05), ("_delta_e", 0.5), ("_ms", 5.0), ("_share", 0.02),
    ("_ratio", 0.02),
)


def min_abs_delta(metric: str) -> float:
    """The noise floor of `metric` in the adaptation matrix (0: any difference over its threshold counts)."""
    if metric in MIN_ABS_DELTA_EXACT:
        return MIN_ABS_DELTA_EXACT[metric]
    for prefix, floor in MIN_ABS_DELTA_PREFIX:
        if metric.startswith(prefix) and metric.endswith("_ms"):
            return floor
    return next((floor for suffix, floor in MIN_ABS_DELTA_SUFFIX if metric.endswith(suffix)), 0.0)


def _flag(tags: Mapping[str, str | bool], name: str) -> bool | None:
    value = tags.get(name)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def is_reference(row: Row) -> bool:
    """A reference device is one tagged `new: false` (bool, or the string "false")."""
    return _flag(row.tags, REFERENCE_TAG) is False


@dataclass(frozen=True, kw_only=True)
class MetricDelta:
    """A device's median of one metric against the reference median, judged against one threshold."""

    metric: str
    value: float | None
    reference_median: float | None
    delta: float | None
    delta_pct: float | None
    threshold: str
    verdict: str  # the Comparison verdict: regression here means "worse than the references"
    basis: str
    p_value: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class ScenarioCell:
    device: str
    candidate: str
    scenario: str
    verdict: AdaptationVerdict
    status: str  # worst status over repeats, or "not_run"
    runs: int
    reasons: tuple[str, ...]
    deltas: tuple[MetricDelta, ...]
    references: tuple[str, ...]  # the reference devices this cell was compared with
    # The device's colour response against the pooled references' (visual_consistency_delta_e), if both exist.
    consistency: ResponseDistance | None = None
    # Why the machine limited the frame rate of this device's runs (Row.host_limit); empty when it did not.
    host_limit: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "candidate": self.candidate, "scenario": self.scenario,
                "verdict": self.verdict, "status": self.status, "runs": self.runs, "reasons": list(self.reasons),
                "deltas": [d.to_dict() for d in self.deltas], "references": list(self.references),
                "consistency": self.consistency.to_dict() if self.consistency is not None else None,
                "host_limit": list(self.host_limit)}


@dataclass(frozen=True, kw_only=True)
class MatrixCell:
    """One device and candidate: the worst of its scenarios' verdicts and their reasons, prefixed by scenario."""

    device: str
    candidate: str
    verdict: AdaptationVerdict
    reasons: tuple[str, ...]
    scenarios: tuple[ScenarioCell, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "candidate": self.candidate, "verdict": self.verdict,
                "reasons": list(self.reasons), "scenarios": [s.to_dict() for s in self.scenarios]}


@dataclass(frozen=True, kw_only=True)
class AdaptationMatrix:
    devices: tuple[str, ...]
    candidates: tuple[str, ...]
    scenarios: tuple[str, ...]
    reference_devices: tuple[str, ...]
    new_devices: tuple[str, ...]
    match_tag: str | None
    cells: Mapping[tuple[str, str], MatrixCell]  # (device, candidate) -> cell

    def cell(self, device: str, candidate: str) -> MatrixCell:
        return self.cells[(device, candidate)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "adaptation", "devices": list(self.devices), "candidates": list(self.candidates),
            "scenarios": list(self.scenarios), "reference_devices": list(self.reference_devices),
            "new_devices": list(self.new_devices), "match_tag": self.match_tag,
            "cells": [self.cells[(d, c)].to_dict() for d in self.devices for c in self.candidates],
        }


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def _failure_reasons(rows: Sequence[Row]) -> list[str]:
    bad = [r for r in rows if r.status in ("failed", "broken")]
    prefix = f"{len(bad)} of {len(rows)} runs: " if len(rows) > 1 else ""
    out = []
    for row in bad:
        if row.error:
            text = f"{row.status}: {row.error.get('kind', '?')}: {_first_line(row.error.get('message', ''))}"
        else:
            text = f"{row.status} (no error recorded)"
        if text not in out:
            out.append(text)
    return [prefix + text for text in out]


def _reference_devices(device: str, tags: Mapping[str, str | bool], rows: Sequence[Row],
                       match_tag: str | None) -> list[str]:
    out = []
    for row in rows:
        if row.device == device or not is_reference(row) or row.device in out:
            continue
        if match_tag is not None and row.tags.get(match_tag) != tags.get(match_tag):
            continue
        out.append(row.device)
    return out


def _consistency(rows: Sequence[Row], ref_rows: Sequence[Row], *,
                 config: CompareConfig) -> tuple[ResponseDistance | None, list[str], list[str]]:
    """The device's colour response (its measured repeats, merged) against the reference rows' responses
    (pooled): (distance, degraded reasons, notes); nothing without a device response or a reference run."""
    own = [r.colour_response for r in rows if r.status in MEASURED_STATUSES and r.colour_response is not None]
    if not own or not ref_rows:
        return None, [], []
    device = merge_responses(own)
    theirs = [r.colour_response for r in ref_rows if r.colour_response is not None]
    if not theirs:
        refs = ", ".join(dict.fromkeys(r.device for r in ref_rows))
        return None, [], [f"{CONSISTENCY_METRIC} not compared: no reference run has a colour response "
                           f"({refs})"]
    same = [c for c in theirs if c.bins == device.bins]
    if not same:
        return None, [], [f"{CONSISTENCY_METRIC} not compared: the references' colour responses use "
                          f"{theirs[0].bins} bins per channel, this device's {device.bins}"]
    distance = response_delta_e(device, merge_responses(same), min_count=DEFAULT_MIN_BIN_PIXELS)
    if not distance.enough or distance.delta_e is None:
        return distance, [], [f"{CONSISTENCY_METRIC} not judged: {distance.common_bins} common colour "
                              f"bins with >= {DEFAULT_MIN_BIN_PIXELS} pixels on each side, {MIN_COMMON_BINS} "
                              "needed"]
    text = (f"{CONSISTENCY_METRIC} {distance.delta_e:.2f} vs reference devices "
            f"({distance.common_bins} common colour bins)")
    thresholds = config.thresholds_for(CONSISTENCY_METRIC)
    if not thresholds:
        return distance, [], [f"{text}; no threshold"]
    degraded, notes = [], []
    for threshold in thresholds:
        if threshold.kind == "percent":  # a share of the references' own distance, which is 0
            notes.append(f"{CONSISTENCY_METRIC}: threshold {threshold.text} does not apply to a distance "
                         "from the references; use max:N")
        elif threshold.is_over(base_median=0.0, new_median=distance.delta_e):
            degraded.append(f"{text}, beyond {threshold.text}")
        else:
            notes.append(f"{text}, within {threshold.text}")
    return distance, degraded, notes


def _scenario_cell(device: str, candidate: str, scenario: str, groups: Mapping[tuple[str, str, str], list[Row]],
                   device_tags: Mapping[str, str | bool], all_rows: Sequence[Row], *, config: CompareConfig,
                   match_tag: str | None) -> ScenarioCell:
    rows = groups.get((device, candidate, scenario), [])
    base: dict[str, Any] = {"device": device, "candidate": candidate, "scenario": scenario, "runs": len(rows)}
    if not rows or all(r.status == "skipped" for r in rows):
        reason = "skipped" if rows else "not run"
        return ScenarioCell(**base, verdict="not_run", status="skipped" if rows else "not_run", reasons=(reason,),
                            deltas=(), references=())
    status = worst_status(rows)
    refs = _reference_devices(device, device_tags, [r for r in all_rows if r.candidate == candidate
                                                    and r.scenario == scenario], match_tag)
    ref_rows = [r for d in refs for r in groups.get((d, candidate, scenario), []) if r.status in MEASURED_STATUSES]
    host_limit = _host_limit(rows)
    deltas: list[MetricDelta] = []
    degraded: list[str] = []
    environment: list[str] = []  # frame-rate regressions the machine explains
    notes: list[str] = []
    metrics = list(dict.fromkeys(m for r in rows for m in r.metrics))
    for metric in metrics if ref_rows else []:
        for threshold in config.thresholds_for(metric):
            c = compare_samples(pooled(ref_rows, metric), pooled(rows, metric), threshold=threshold, metric=metric,
                                alpha=config.alpha, bootstrap_resamples=config.bootstrap_resamples, seed=config.seed)
            if c.verdict == "insufficient_data":
                continue
            deltas.append(MetricDelta(metric=metric, value=c.new_median, reference_median=c.base_median,
                                      delta=c.delta, delta_pct=c.delta_pct, threshold=c.threshold,
                                      verdict=c.verdict, basis=c.basis, p_value=c.p_value))
            within_noise = c.delta is not None and abs(c.delta) < min_abs_delta(metric)
            if c.verdict == "regression" and within_noise:
                notes.append(f"{metric} {c.new_median:.4g} vs reference median {c.base_median:.4g}: beyond "
                             f"{c.threshold} but within the noise floor of {min_abs_delta(metric):g}")
            elif c.verdict == "regression" and c.new_median is not None and c.base_median is not None:
                pct = f", {c.delta_pct:+.1f} %" if c.delta_pct is not None else ""
                basis = "; threshold only" if c.basis == "threshold_only" else f"; p={c.p_value:.2g}"
                text = (f"{metric} {c.new_median:.4g} vs reference median {c.base_median:.4g} "
                        f"({c.delta:+.4g}{pct}), beyond {c.threshold}{basis}")
                if host_limit and is_frame_rate_metric(metric):
                    environment.append(f"{text}; host limited, not an SDK defect")
                else:
                    degraded.append(text)
    consistency, inconsistent, consistency_notes = _consistency(rows, ref_rows, config=config)
    degraded += inconsistent
    reasons = _failure_reasons(rows) if status in ("failed", "broken") else []
    reasons += degraded
    if environment:  # the values first, then the machine's evidence (the heatmap shows the first two lines)
        reasons += [environment[0], f"environment: {'; '.join(host_limit)}", *environment[1:]]
    elif host_limit:
        notes.append(f"host limited, no frame-rate difference from the references: {'; '.join(host_limit)}")
    if not refs:
        tag = f" with {match_tag}={device_tags.get(match_tag)}" if match_tag is not None else ""
        reasons.append(f"status only: no other reference device{tag} ran it")
    elif not ref_rows:
        reasons.append(f"status only: no measured run on the reference devices ({', '.join(refs)})")
    reasons += consistency_notes + notes
    verdict: AdaptationVerdict = ("fails" if status in ("failed", "broken")
                                  else "degraded" if degraded else "environment" if environment else "ok")
    return ScenarioCell(**base, verdict=verdict, status=status, reasons=tuple(reasons), deltas=tuple(deltas),
                        references=tuple(refs), consistency=consistency, host_limit=host_limit)


def _host_limit(rows: Sequence[Row]) -> tuple[str, ...]:
    """The evidence of the measured repeats the machine limited (each line once); empty when none was."""
    lines = [line for r in rows if r.status in MEASURED_STATUSES and r.host_limit is not None
             for line in r.host_limit.evidence]
    return tuple(dict.fromkeys(lines))


def adaptation_matrix(rows: Iterable[Row], *, config: CompareConfig, match_tag: str | None) -> AdaptationMatrix:
    """Every device against the reference devices (tag `new: false`, other than itself) for the same candidate
    and scenario; with `match_tag` (e.g. "tier") only references sharing that tag's value count.

    Per scenario: `fails` when a run failed or broke (reasons: error kind and message), else `degraded` when a
    thresholded metric regressed against the pooled reference samples (compare_samples, references as the
    baseline) beyond its noise floor, or the colour response lies beyond the `visual_consistency_delta_e`
    threshold from the pooled references' response (response_delta_e), else `environment` when only frame-rate
    metrics (is_frame_rate_metric) regressed and the machine limited the device's runs (Row.host_limit; the
    reasons carry the values and "environment: <evidence>"), else `ok`; `not_run` without a run. A matrix cell
    takes its worst scenario (fails > degraded > environment > not_run > ok) over the scenarios that candidate
    ran anywhere.
    """
    rows = list(rows)
    groups = group_rows(rows)
    devices = tuple(dict.fromkeys(r.device for r in rows))
    candidates = tuple(dict.fromkeys(r.candidate for r in rows))
    scenarios = tuple(dict.fromkeys(r.scenario for r in rows))
    tags_of: dict[str, Mapping[str, str | bool]] = {}
    for row in rows:
        tags_of.setdefault(row.device, row.tags)
    cells: dict[tuple[str, str], MatrixCell] = {}
    for candidate in candidates:
        own_scenarios = list(dict.fromkeys(r.scenario for r in rows if r.candidate == candidate))
        for device in devices:
            parts = tuple(_scenario_cell(device, candidate, s, groups, tags_of[device], rows, config=config,
                                         match_tag=match_tag) for s in own_scenarios)
            verdict: AdaptationVerdict = max((p.verdict for p in parts), key=lambda v: VERDICT_RANK[v],
                                             default="not_run")
            reasons = tuple(f"{p.scenario}: {reason}" for p in parts for reason in p.reasons
                            if p.verdict == verdict or verdict == "ok")
            cells[(device, candidate)] = MatrixCell(device=device, candidate=candidate, verdict=verdict,
                                                    reasons=reasons, scenarios=parts)
    return AdaptationMatrix(
        devices=devices, candidates=candidates, scenarios=scenarios,
        reference_devices=tuple(d for d in devices if _flag(tags_of[d], REFERENCE_TAG) is False),
        new_devices=tuple(d for d in devices if _flag(tags_of[d], REFERENCE_TAG) is True),
        match_tag=match_tag, cells=cells,
    )


__all__ = [
    "CONSISTENCY_METRIC",
    "FRAME_RATE_METRICS",
    "VERDICT_RANK",
    "AdaptationMatrix",
    "AdaptationVerdict",
    "MatrixCell",
    "MetricDelta",
    "ScenarioCell",
    "adaptation_matrix",
    "is_frame_rate_metric",
    "is_reference",
    "min_abs_delta",
]
