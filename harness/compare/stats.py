"""Two-sample statistics for comparisons: the Mann-Whitney U test (two-sided, exact or normal approximation with
tie correction), a seeded bootstrap interval of the difference of medians, and the per-metric verdict."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

import numpy as np
from scipy import stats as scipy_stats

from harness.compare.thresholds import Threshold
from harness.errors import AnalysisError, ConfigError

# `environment`: over the threshold on a frame-rate metric while the machine limited the new run's frame rate
# (harness.compare.engine sets it; never a regression).
Verdict = Literal["regression", "environment", "improvement", "noise", "unchanged", "insufficient_data"]
Basis = Literal["mann_whitney", "threshold_only", "none"]
Method = Literal["exact", "asymptotic"]
Samples = Sequence[float] | np.ndarray

# Exact p-values (no ties) up to this many samples per side: the null distribution has n1 * n2 + 1 terms.
EXACT_MAX_N: Final = 30


@dataclass(frozen=True, kw_only=True)
class MannWhitney:
    """U of the first sample, the two-sided p-value and how it was computed."""

    u: float
    p_value: float
    method: Method
    ties: bool


def _finite(values: Samples, what: str) -> np.ndarray:
    data = np.asarray([float(v) for v in values], dtype=float)
    if data.size and not np.all(np.isfinite(data)):
        raise AnalysisError(f"{what}: {int(np.sum(~np.isfinite(data)))} value(s) are not finite numbers")
    return data


def mann_whitney_u(x: Samples, y: Samples) -> MannWhitney:
    """Two-sided Mann-Whitney U test of x against y, by scipy.stats.mannwhitneyu.

    Exact p when neither sample has more than EXACT_MAX_N values and there are no ties (`method="exact"`);
    otherwise the normal approximation with tie correction and a 0.5 continuity correction
    (`method="asymptotic"`). Every value equal: nothing to tell apart, p = 1.
    """
    a, b = _finite(x, "first sample"), _finite(y, "second sample")
    n1, n2 = a.size, b.size
    if n1 == 0 or n2 == 0:
        raise AnalysisError(f"Mann-Whitney U needs values on both sides; got {n1} and {n2}")
    both = np.concatenate([a, b])
    ties = bool(np.unique(both).size < both.size)
    method: Method = "exact" if not ties and max(n1, n2) <= EXACT_MAX_N else "asymptotic"
    if np.all(both == both[0]):
        return MannWhitney(u=n1 * n2 / 2.0, p_value=1.0, method=method, ties=ties)
    result = scipy_stats.mannwhitneyu(a, b, alternative="two-sided", method=method, use_continuity=True)
    return MannWhitney(u=float(result.statistic), p_value=min(1.0, float(result.pvalue)), method=method, ties=ties)


def smallest_p(n1: int, n2: int) -> float:
    """The smallest two-sided p-value the test can reach with these sample sizes (all of one sample above the
    other, no ties): 2 / C(n1 + n2, n1)."""
    return min(1.0, 2.0 / math.comb(n1 + n2, n1))


def bootstrap_median_diff_ci(
    base: Samples, new: Samples, *, confidence: float, n_resamples: int, seed: int
) -> tuple[float, float]:
    """Percentile bootstrap interval of median(new) - median(base): both samples resampled with replacement,
    independently, `n_resamples` times (numpy PCG64 seeded with `seed`)."""
    a, b = _finite(base, "baseline sample"), _finite(new, "new sample")
    if a.size == 0 or b.size == 0:
        raise AnalysisError(f"a bootstrap interval needs values on both sides; got {a.size} and {b.size}")
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence {confidence} is not allowed; allowed: a number between 0 and 1 (exclusive)")
    if n_resamples < 1:
        raise ConfigError(f"n_resamples {n_resamples} is not allowed; allowed: an integer >= 1")
    rng = np.random.default_rng(seed)
    base_medians = np.median(a[rng.integers(0, a.size, size=(n_resamples, a.size))], axis=1)
    new_medians = np.median(b[rng.integers(0, b.size, size=(n_resamples, b.size))], axis=1)
    diffs = new_medians - base_medians
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(diffs, [tail, 100.0 - tail])
    return float(low), float(high)


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """One metric, baseline against new, judged against one threshold."""

    metric: str
    threshold: str  # as configured, e.g. "+10%"
    base_n: int
    new_n: int
    base_median: float | None
    new_median: float | None
    delta: float | None  # new_median - base_median
    delta_pct: float | None  # delta / |base_median| * 100; None when the baseline median is 0
    p_value: float | None
    ci_low: float | None  # bootstrap interval of the difference of medians (new - base)
    ci_high: float | None
    significant: bool
    over_threshold: bool
    verdict: Verdict
    basis: Basis
    method: Method | None
    note: str
    tested_on: str | None = None  # the sample series the significance test used, when not the metric's own

    @property
    def message(self) -> str:
        """One line, e.g. `startup_ms 450 -> 585 (+135, +30.0 %), over +10%; p=0.0001 (exact): regression`."""
        if self.base_median is None or self.new_median is None or self.delta is None:
            return f"{self.metric}: {self.verdict} ({self.note})"
        pct = f", {self.delta_pct:+.1f} %" if self.delta_pct is not None else ""
        where = "over" if self.over_threshold else "within"
        text = (f"{self.metric} {_num(self.base_median)} -> {_num(self.new_median)} ({self.delta:+.4g}{pct}), "
                f"{where} {self.threshold}")
        if self.p_value is not None:
            on = f" on {self.tested_on}" if self.tested_on else ""
            text += f"; p={self.p_value:.2g} ({self.method}{on})"
        if self.ci_low is not None and self.ci_high is not None:
            text += f", CI [{self.ci_low:+.4g}, {self.ci_high:+.4g}]"
        text += f": {self.verdict}"
        return text + (f" ({self.note})" if self.basis == "threshold_only" or self.verdict == "environment" else "")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["message"] = self.message
        return data


def is_confirmed_regression(c: Comparison | Mapping[str, Any]) -> bool:
    """THE regression rule, shared by compare, the nightly gate, the report and the CLI: a comparison whose verdict
    is `regression` (significant AND over its threshold) and whose basis is a test of significance. A difference
    over the threshold with one value a side (`basis: threshold_only`) is unconfirmed: repeat to decide. Takes a
    Comparison or its to_dict() form (as gate.json stores it)."""
    if isinstance(c, Mapping):
        verdict, basis = c.get("verdict"), c.get("basis")
    else:
        verdict, basis = c.verdict, c.basis
    return verdict == "regression" and basis != "threshold_only"


def _num(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


def compare_samples(
    base: Samples,
    new: Samples,
    *,
    threshold: Threshold,
    metric: str | None = None,
    alpha: float = 0.05,
    bootstrap_resamples: int = 2000,
    seed: int = 0,
    test_samples: tuple[Samples, Samples] | None = None,
    test_series: str | None = None,
) -> Comparison:
    """Baseline samples against new samples of one metric.

    Verdicts: `regression` = significant (Mann-Whitney p < alpha) AND over the threshold; `improvement` =
    significant AND beyond the threshold the other way; `noise` = only one of the two; `unchanged` = neither;
    `insufficient_data` = a side without values. When a side has one value, or the sizes cannot reach p < alpha
    (2 / C(n1 + n2, n1) > alpha), the verdict rests on the threshold alone (`basis: threshold_only`): over it is a
    regression, beyond it the other way an improvement, anything else unchanged. `metric` names the metric when
    the threshold is a pattern (default: the threshold's own metric).

    `test_samples` (base, new) with `test_series`: the observations behind a metric that has one value a side, e.g.
    each frame's time behind content_fps or frame_time_p90_ms. When the metric's own samples cannot be tested,
    the test of significance runs on these instead (Mann-Whitney, no interval: it would be in the series' unit),
    while medians, delta and threshold stay the metric's.
    """
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha {alpha} is not allowed; allowed: a number between 0 and 1 (exclusive)")
    name = metric or threshold.metric
    a, b = _finite(base, f"{name} baseline"), _finite(new, f"{name} new")
    empty: dict[str, Any] = {
        "metric": name, "threshold": threshold.text, "base_n": a.size, "new_n": b.size,
        "p_value": None, "ci_low": None, "ci_high": None, "significant": False, "over_threshold": False,
        "method": None,
    }
    if a.size == 0 or b.size == 0:
        side = "baseline" if a.size == 0 else "new"
        return Comparison(**empty, base_median=float(np.median(a)) if a.size else None,
                          new_median=float(np.median(b)) if b.size else None, delta=None, delta_pct=None,
                          verdict="insufficient_data", basis="none", note=f"no {side} values")
    base_median, new_median = float(np.median(a)), float(np.median(b))
    delta = new_median - base_median
    delta_pct = delta / abs(base_median) * 100.0 if base_median != 0 else None
    over = threshold.is_over(base_median=base_median, new_median=new_median)
    better = threshold.is_better_beyond(base_median=base_median, new_median=new_median)
    fields: dict[str, Any] = {**empty, "base_median": base_median, "new_median": new_median, "delta": delta,
                              "delta_pct": delta_pct, "over_threshold": over}
    floor_p = smallest_p(a.size, b.size)
    untestable = min(a.size, b.size) < 2 or floor_p > alpha
    if untestable and test_samples is not None:
        ta, tb = _finite(test_samples[0], f"{test_series} baseline"), _finite(test_samples[1], f"{test_series} new")
        if min(ta.size, tb.size) >= 2 and smallest_p(ta.size, tb.size) <= alpha:
            return _judge(fields, mann_whitney_u(tb, ta), alpha=alpha, over=over, better=better, ci=(None, None),
                          tested_on=f"{test_series} ({ta.size} vs {tb.size})")
    if untestable:
        why = ("one value on a side" if min(a.size, b.size) < 2
               else f"{a.size} and {b.size} values cannot reach p < {alpha:g} (smallest p {floor_p:.3g})")
        verdict: Verdict = "regression" if over else ("improvement" if better else "unchanged")
        return Comparison(**{**fields, "verdict": verdict, "basis": "threshold_only",
                             "note": f"threshold only: {why}, no test of significance"})
    ci = bootstrap_median_diff_ci(a, b, confidence=1.0 - alpha, n_resamples=bootstrap_resamples, seed=seed)
    return _judge(fields, mann_whitney_u(b, a), alpha=alpha, over=over, better=better, ci=ci, tested_on=None)


def _judge(fields: dict[str, Any], test: MannWhitney, *, alpha: float, over: bool, better: bool,
           ci: tuple[float | None, float | None], tested_on: str | None) -> Comparison:
    significant = test.p_value < alpha
    verdict: Verdict
    if significant and over:
        verdict = "regression"
    elif significant and better:
        verdict = "improvement"
    elif significant or over or better:
        verdict = "noise"
    else:
        verdict = "unchanged"
    note = {
        "regression": "significant and over the threshold",
        "improvement": "significant and beyond the threshold in the better direction",
        "noise": ("significant but within the threshold" if significant
                  else "beyond the threshold but not significant"),
        "unchanged": "not significant and within the threshold",
    }[verdict]
    if tested_on:
        note += f"; tested on {tested_on}"
    return Comparison(**{**fields, "p_value": test.p_value, "ci_low": ci[0], "ci_high": ci[1],
                         "significant": significant, "verdict": verdict, "basis": "mann_whitney",
                         "method": test.method, "note": note, "tested_on": tested_on})


__all__ = [
    "EXACT_MAX_N",
    "Basis",
    "Comparison",
    "MannWhitney",
    "Samples",
    "Verdict",
    "bootstrap_median_diff_ci",
    "compare_samples",
    "is_confirmed_regression",
    "mann_whitney_u",
    "smallest_p",
]
