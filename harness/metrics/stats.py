"""Small, pure summary statistics for repeated measurements (startup times, frame times): percentiles,
spread and a seeded bootstrap confidence interval of the median.

Definitions follow Jetpack Macrobenchmark's MetricResult (androidx.benchmark): linear-interpolation
percentiles (numpy's default), sample standard deviation (n - 1), coefficient of variation = stdev / mean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from harness.errors import AnalysisError, ConfigError


def _values(values: Sequence[float], what: str = "values") -> list[float]:
    out = [float(v) for v in values]
    if not out:
        raise AnalysisError(f"cannot summarise empty {what}: at least one value is needed")
    bad = [v for v in out if not math.isfinite(v)]
    if bad:
        raise AnalysisError(f"cannot summarise {what}: {len(bad)} value(s) are not finite (first {bad[0]})")
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (q in 0..100) with linear interpolation between closest ranks (numpy's default,
    Macrobenchmark's getPercentile): rank = q / 100 * (n - 1)."""
    if not 0.0 <= q <= 100.0:
        raise ConfigError(f"percentile q={q} is not allowed; allowed 0..100", key_path="q")
    data = sorted(_values(values))
    rank = q / 100.0 * (len(data) - 1)
    lo = math.floor(rank)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (rank - lo)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50.0)


def minimum(values: Sequence[float]) -> float:
    return min(_values(values))


def maximum(values: Sequence[float]) -> float:
    return max(_values(values))


def mean(values: Sequence[float]) -> float:
    data = _values(values)
    return math.fsum(data) / len(data)


def stdev(values: Sequence[float]) -> float:
    """Sample standard deviation (divides by n - 1); 0 for a single value, as Macrobenchmark reports it."""
    data = _values(values)
    if len(data) == 1:
        return 0.0
    m = math.fsum(data) / len(data)
    return math.sqrt(math.fsum((v - m) ** 2 for v in data) / (len(data) - 1))


def coefficient_of_variation(values: Sequence[float]) -> float:
    """stdev / mean (sample stdev); 0 when the mean is 0."""
    m = mean(values)
    return 0.0 if m == 0.0 else stdev(values) / m


def bootstrap_ci(
    values: Sequence[float], *, n_resamples: int = 2000, seed: int = 0, confidence: float = 0.95
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of the median: resample the values with replacement
    `n_resamples` times (numpy PCG64 seeded with `seed`, so the interval is reproducible), take each
    resample's median, and return the (1 - confidence) / 2 and (1 + confidence) / 2 percentiles of those."""
    data = np.asarray(_values(values), dtype=np.float64)
    if n_resamples < 1:
        raise ConfigError(f"n_resamples={n_resamples} is not allowed; allowed >= 1", key_path="n_resamples")
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence={confidence} is not allowed; allowed strictly between 0 and 1")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, data.size, size=(n_resamples, data.size))
    medians = np.median(data[picks], axis=1)
    tail = (1.0 - confidence) / 2.0
    low = float(np.percentile(medians, 100.0 * tail))
    high = float(np.percentile(medians, 100.0 * (1.0 - tail)))
    return low, high


def summarize(values: Sequence[float], *, seed: int = 0) -> dict[str, float | int | list[float]]:
    """What a report shows for a set of runs: n, min, median, max, mean, stdev, cv, p90, median 95% CI."""
    data = _values(values)
    low, high = bootstrap_ci(data, seed=seed)
    return {
        "n": len(data),
        "min": min(data),
        "median": median(data),
        "max": max(data),
        "mean": mean(data),
        "stdev": stdev(data),
        "cv": coefficient_of_variation(data),
        "p90": percentile(data, 90.0),
        "median_ci95": [low, high],
    }
