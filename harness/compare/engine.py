"""Comparisons between sets of rows: an SDK version against its baseline version (per device, scenario and
metric), and candidates side by side (which one is better, per metric)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, TypeVar

import numpy as np

from harness.compare.rows import FRAME_TIME_SAMPLES, Row, is_frame_rate_metric
from harness.compare.stats import Comparison, compare_samples, mann_whitney_u, smallest_p
from harness.compare.thresholds import CompareConfig, Direction
from harness.errors import ConfigError

# Severity of a status when repeats of one cell disagree: the worst one stands for the cell.
STATUS_SEVERITY: Final = {"failed": 3, "broken": 2, "passed": 1, "skipped": 0}
# Metrics measured once per item whose test of significance runs on the observations behind them: each frame's
# time (the time between consecutive content updates, harness.metrics.frames.analyze_timeline) decides whether
# the frame pacing changed at all; the metric's own medians and threshold decide by how much.
SIGNIFICANCE_SERIES: Final = {
    metric: FRAME_TIME_SAMPLES
    for metric in ("content_fps", "presented_fps", "dropped_frames", "frame_time_p50_ms", "frame_time_p90_ms",
                   "frame_time_p99_ms", "stutter_ratio", "jank_count", "big_jank_count")
}
_CELL_VERDICT_ORDER: Final = ("regression", "environment", "improvement", "noise", "unchanged", "insufficient_data")

T = TypeVar("T")
CellKey = tuple[str, str, str]  # (device, candidate, scenario)


def group_rows(rows: Iterable[Row]) -> dict[CellKey, list[Row]]:
    """Rows per (device, candidate, scenario), in the order given; repeats of a cell pool their samples."""
    out: dict[CellKey, list[Row]] = defaultdict(list)
    for row in rows:
        out[(row.device, row.candidate, row.scenario)].append(row)
    return dict(out)


def pooled(rows: Sequence[Row], metric: str) -> list[float]:
    """Every sample of `metric` over the rows (a row without samples adds its one value)."""
    return [v for row in rows for v in row.values(metric)]


def worst_status(rows: Sequence[Row]) -> str:
    """The most severe status among repeats (failed > broken > passed > skipped)."""
    return max((r.status for r in rows), key=lambda s: STATUS_SEVERITY.get(s, 0))


def _ordered(values: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(values))


@dataclass(frozen=True, kw_only=True)
class UpgradeCell:
    """One device and scenario: the baseline's and the new version's status and a Comparison per threshold."""

    device: str
    scenario: str
    base_status: str
    new_status: str
    base_runs: int
    new_runs: int
    comparisons: tuple[Comparison, ...]
    warnings: tuple[str, ...]
    sdk: str = ""
    base_candidates: tuple[str, ...] = ()
    new_candidates: tuple[str, ...] = ()
    # Why the machine limited the new version's frame rate in this cell (Row.host_limit evidence); empty when not.
    host_limit: tuple[str, ...] = ()

    @property
    def newly_failing(self) -> bool:
        """The baseline passed and the new version failed (a product failure; `broken` is the infrastructure's and
        only gives a warning)."""
        return self.base_status == "passed" and self.new_status == "failed"

    @property
    def verdict(self) -> str:
        """The cell's headline: `regression` if any metric regressed or a passing cell now fails, else the first
        of environment, improvement, noise, unchanged, insufficient_data that occurs."""
        if self.newly_failing:
            return "regression"
        verdicts = {c.verdict for c in self.comparisons}
        return next((v for v in _CELL_VERDICT_ORDER if v in verdicts), "insufficient_data")

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device, "scenario": self.scenario, "base_status": self.base_status,
            "new_status": self.new_status, "base_runs": self.base_runs, "new_runs": self.new_runs,
            "newly_failing": self.newly_failing, "verdict": self.verdict,
            "comparisons": [c.to_dict() for c in self.comparisons], "warnings": list(self.warnings),
            "host_limit": list(self.host_limit), "sdk": self.sdk, "base_candidates": list(self.base_candidates),
            "new_candidates": list(self.new_candidates),
        }


@dataclass(frozen=True, kw_only=True)
class UpgradeReport:
    """A new set of rows against a baseline set, matched by device, sdk and scenario."""

    base_label: str
    new_label: str
    alpha: float
    cells: tuple[UpgradeCell, ...]
    only_base: tuple[tuple[str, str], ...]  # (device, scenario) measured only for the baseline
    only_new: tuple[tuple[str, str], ...]
    warnings: tuple[str, ...]

    @property
    def regressions(self) -> list[tuple[UpgradeCell, Comparison]]:
        return [(cell, c) for cell in self.cells for c in cell.comparisons if c.verdict == "regression"]

    @property
    def failed(self) -> bool:
        """True when a metric regressed or a cell that passed on the baseline fails now."""
        return any(cell.verdict == "regression" for cell in self.cells)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "upgrade", "base": self.base_label, "new": self.new_label, "alpha": self.alpha,
            "failed": self.failed, "cells": [c.to_dict() for c in self.cells],
            "only_base": [list(k) for k in self.only_base], "only_new": [list(k) for k in self.only_new],
            "warnings": list(self.warnings),
        }


def _fingerprint_warning(device: str, base: Sequence[Row], new: Sequence[Row], labels: tuple[str, str]) -> str | None:
    base_fp = sorted({r.fingerprint for r in base if r.fingerprint})
    new_fp = sorted({r.fingerprint for r in new if r.fingerprint})
    if base_fp and new_fp and base_fp != new_fp:
        return (f"{device}: baseline from a different machine: {labels[1]} measured on {', '.join(new_fp)} VS "
                f"{labels[0]} on {', '.join(base_fp)}; differences may come from the device, not the SDK")
    if len(new_fp) > 1 or len(base_fp) > 1:
        side, fps = (labels[1], new_fp) if len(new_fp) > 1 else (labels[0], base_fp)
        return f"{device}: {side} pools repeats from different machines ({', '.join(fps)})"
    return None


def _broken_warning(device: str, scenario: str, base: Sequence[Row], new: Sequence[Row],
                    labels: tuple[str, str]) -> str | None:
    broken = [(label, rows) for label, rows in zip(labels, (base, new), strict=True)
              if any(r.status == "broken" for r in rows)]
    if not broken:
        return None
    sides = "; ".join(f"{label} broken in {sum(r.status == 'broken' for r in rows)} of {len(rows)} run(s)"
                      for label, rows in broken)
    return f"{device} {scenario}: {sides} (infrastructure, not the SDK): its metrics may be incomplete"


def _host_warning(device: str, scenario: str, base: Sequence[Row], new: Sequence[Row]) -> str | None:
    """A warning when only the baseline's frame rate was limited by the machine (when the new rows are limited too,
    their frame-rate regressions are set aside and the cell says so)."""
    evidence = host_evidence(base)
    if not evidence or host_evidence(new):
        return None
    return (f"{device} {scenario}: the machine limited the baseline {_label(base, 'baseline')}'s frame rate "
            f"({evidence[0]}): its frame-rate figures understate the SDK, so an improvement on them may be the "
            "machine's")


def _compare_metrics(base: Sequence[Row], new: Sequence[Row], config: CompareConfig) -> list[Comparison]:
    metrics = _ordered([m for r in [*base, *new] for m in [*r.metrics, *r.samples]])
    out = []
    for metric in metrics:
        series = SIGNIFICANCE_SERIES.get(metric)
        proxy = (pooled_series(base, series), pooled_series(new, series)) if series else None
        for threshold in config.thresholds_for(metric):
            out.append(compare_samples(pooled(base, metric), pooled(new, metric), threshold=threshold,
                                       metric=metric, alpha=config.alpha,
                                       bootstrap_resamples=config.bootstrap_resamples, seed=config.seed,
                                       test_samples=proxy, test_series=series))
    return out


def host_evidence(rows: Sequence[Row]) -> tuple[str, ...]:
    """The evidence lines of the rows that the machine limited (Row.host_limit), each line once."""
    return tuple(_ordered(line for r in rows if r.host_limit is not None for line in r.host_limit.evidence))


def set_aside_host_limited(comparisons: Sequence[Comparison], evidence: Sequence[str]) -> list[Comparison]:
    """A frame-rate metric (is_frame_rate_metric) over its threshold while the machine limited the new rows'
    frame rate is the environment's, not an SDK regression: its verdict becomes `environment`, its note names the
    evidence. Nothing changes without evidence."""
    if not evidence:
        return list(comparisons)
    why = f"host limited, not an SDK regression: {'; '.join(evidence)}"
    return [replace(c, verdict="environment", note=f"{c.note}; {why}" if c.note else why)
            if c.verdict == "regression" and is_frame_rate_metric(c.metric) else c for c in comparisons]


def pooled_series(rows: Sequence[Row], series: str) -> list[float]:
    """Every sample of a raw series (e.g. frame_time_ms) over the rows; no fallback to a metric value."""
    return [v for row in rows for v in row.samples.get(series, ())]


def _label(rows: Sequence[Row], fallback: str) -> str:
    names = _ordered(r.candidate for r in rows)
    return ", ".join(names) if names else fallback


def compare_rows(base_rows: Sequence[Row], new_rows: Sequence[Row], *, config: CompareConfig) -> UpgradeReport:
    """New rows against baseline rows, cell by cell (device id + sdk + scenario), one Comparison per metric and
    threshold (metrics without a threshold are not compared). Repeats of a cell pool their samples. A frame-rate
    regression in a cell whose new rows the machine limited is `environment` (set_aside_host_limited)."""
    def by_cell(rows: Sequence[Row]) -> dict[tuple[str, str, str], list[Row]]:
        out: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
        for r in rows:
            out[(r.device, r.sdk, r.scenario)].append(r)
        return out

    base, new = by_cell(base_rows), by_cell(new_rows)
    labels = (_label(base_rows, "baseline"), _label(new_rows, "new"))
    cells, warnings = [], []
    for key in [k for k in new if k in base]:
        device, sdk, scenario = key
        cell_warnings = [w for w in (_fingerprint_warning(device, base[key], new[key], labels),
                                     _broken_warning(device, scenario, base[key], new[key], labels),
                                     _host_warning(device, scenario, base[key], new[key])) if w]
        warnings += [w for w in cell_warnings if w not in warnings]
        evidence = host_evidence(new[key])
        cells.append(UpgradeCell(
            device=device, scenario=scenario, base_status=worst_status(base[key]),
            new_status=worst_status(new[key]), base_runs=len(base[key]), new_runs=len(new[key]),
            comparisons=tuple(set_aside_host_limited(_compare_metrics(base[key], new[key], config), evidence)),
            warnings=tuple(cell_warnings), host_limit=evidence, sdk=sdk,
            base_candidates=tuple(_ordered(r.candidate for r in base[key])),
            new_candidates=tuple(_ordered(r.candidate for r in new[key])),
        ))
    return UpgradeReport(
        base_label=labels[0], new_label=labels[1], alpha=config.alpha, cells=tuple(cells),
        only_base=tuple((k[0], k[2]) for k in base if k not in new),
        only_new=tuple((k[0], k[2]) for k in new if k not in base), warnings=tuple(warnings),
    )


def compare_upgrade(
    rows: Iterable[Row], *, sdk: str, base_version: str, new_version: str, config: CompareConfig
) -> UpgradeReport:
    """`sdk` at `new_version` against `base_version` on the same devices and scenarios (see compare_rows)."""
    rows = list(rows)
    base = [r for r in rows if r.sdk == sdk and r.version == base_version]
    new = [r for r in rows if r.sdk == sdk and r.version == new_version]
    for version, side in ((base_version, base), (new_version, new)):
        if not side:
            known = ", ".join(_ordered(f"{r.sdk}@{r.version}" for r in rows)) or "none"
            raise ConfigError(f"no rows for {sdk}@{version}; allowed: a candidate present in the rows ({known})",
                              key_path="version")
    return compare_rows(base, new, config=config)


@dataclass(frozen=True, kw_only=True)
class VendorMetric:
    """One metric across candidates: each one's median and sample count, and the better one by the direction."""

    metric: str
    direction: Direction
    medians: Mapping[str, float]  # candidate -> median (only candidates that measured it)
    counts: Mapping[str, int]
    best: str | None  # None: neutral metric, a tie, or fewer than two candidates measured it
    margin_pct: float | None  # how much better the best is than the runner-up, in % of the runner-up
    p_value: float | None  # Mann-Whitney best vs runner-up, when both sides have enough samples
    significant: bool | None

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "direction": self.direction, "medians": dict(self.medians),
                "counts": dict(self.counts), "best": self.best, "margin_pct": self.margin_pct,
                "p_value": self.p_value, "significant": self.significant}


@dataclass(frozen=True, kw_only=True)
class VendorCell:
    device: str
    scenario: str
    statuses: Mapping[str, str]  # candidate -> worst status; "not_run" when it has no row
    metrics: tuple[VendorMetric, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "scenario": self.scenario, "statuses": dict(self.statuses),
                "metrics": [m.to_dict() for m in self.metrics]}


@dataclass(frozen=True, kw_only=True)
class VendorReport:
    candidates: tuple[str, ...]
    alpha: float
    cells: tuple[VendorCell, ...]

    @property
    def wins(self) -> dict[str, int]:
        """How many (device, scenario, metric) entries each candidate is best at."""
        out = dict.fromkeys(self.candidates, 0)
        for cell in self.cells:
            for m in cell.metrics:
                if m.best is not None:
                    out[m.best] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "vendors", "candidates": list(self.candidates), "alpha": self.alpha, "wins": self.wins,
                "cells": [c.to_dict() for c in self.cells]}


def _vendor_metric(metric: str, values: Mapping[str, list[float]], config: CompareConfig) -> VendorMetric:
    direction = config.direction(metric)
    medians = {c: float(np.median(v)) for c, v in values.items()}
    counts = {c: len(v) for c, v in values.items()}
    best = margin = p = significant = None
    if direction != "neutral" and len(medians) >= 2:
        ranked = sorted(medians, key=lambda c: medians[c], reverse=direction == "higher")
        first, second = ranked[0], ranked[1]
        if medians[first] != medians[second]:
            best = first
            if medians[second] != 0:
                margin = abs(medians[first] - medians[second]) / abs(medians[second]) * 100.0
            n1, n2 = counts[first], counts[second]
            if min(n1, n2) >= 2 and smallest_p(n1, n2) <= config.alpha:
                p = mann_whitney_u(values[first], values[second]).p_value
                significant = p < config.alpha
    return VendorMetric(metric=metric, direction=direction, medians=medians, counts=counts, best=best,
                        margin_pct=margin, p_value=p, significant=significant)


def compare_vendors(rows: Iterable[Row], *, candidates: Sequence[str], config: CompareConfig) -> VendorReport:
    """Candidates side by side on the devices and scenarios that at least two of them ran: per metric each one's
    median and the better one (direction from configuration or the unit; neutral metrics name none)."""
    if len(set(candidates)) < 2:
        raise ConfigError(f"{list(candidates)} is not allowed; allowed: at least two different candidates "
                          "(sdk@version)", key_path="candidates")
    groups = group_rows(r for r in rows if r.candidate in candidates)
    missing = [c for c in candidates if not any(k[1] == c for k in groups)]
    if missing:
        raise ConfigError(f"no rows for {', '.join(missing)}; allowed: candidates present in the rows",
                          key_path="candidates")
    places = _ordered((k[0], k[2]) for k in groups)
    cells = []
    for device, scenario in places:
        present = {c: groups[(device, c, scenario)] for c in candidates if (device, c, scenario) in groups}
        if len(present) < 2:
            continue
        metrics = _ordered(m for rs in present.values() for r in rs for m in r.metrics)
        entries = []
        for metric in metrics:
            values = {c: pooled(rs, metric) for c, rs in present.items() if pooled(rs, metric)}
            if len(values) >= 2:
                entries.append(_vendor_metric(metric, values, config))
        statuses = {c: worst_status(present[c]) if c in present else "not_run" for c in candidates}
        cells.append(VendorCell(device=device, scenario=scenario, statuses=statuses, metrics=tuple(entries)))
    return VendorReport(candidates=tuple(candidates), alpha=config.alpha, cells=tuple(cells))


__all__ = [
    "CellKey",
    "UpgradeCell",
    "UpgradeReport",
    "VendorCell",
    "VendorMetric",
    "VendorReport",
    "compare_rows",
    "compare_upgrade",
    "compare_vendors",
    "group_rows",
    "host_evidence",
    "pooled",
    "set_aside_host_limited",
    "worst_status",
]
