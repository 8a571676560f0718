"""Mann-Whitney U values pinned from the harness's own implementation (harness.compare.stats, before it delegated
to scipy.stats.mannwhitneyu): u, two-sided p and method on fixed samples. The values were produced by running that
implementation on these samples; they must not move when the computation changes hands."""

from __future__ import annotations

import numpy as np
import pytest

from harness.compare.stats import mann_whitney_u

PINNED = [
    # name, x, y, u, p, method, ties
    ("exact_separated", [1.0, 2, 3, 4, 5], [6.0, 7, 8, 9, 10], 0.0, 0.007936507936507936, "exact", False),
    ("exact_overlap", [812.0, 790, 805, 830, 799, 820], [840.0, 835, 801, 850, 842], 4.0, 0.05194805194805195,
     "exact", False),
    ("ties_small", [1.0, 2, 2, 3, 3, 3], [2.0, 3, 4, 4, 5], 5.5, 0.08871369199677624, "asymptotic", True),
    ("large_no_ties", [float(x) for x in np.linspace(0, 40, 41)], [float(x) + 0.5 for x in np.linspace(5, 50, 36)],
     494.0, 0.012919215451424583, "asymptotic", False),
    ("all_equal", [5.0, 5, 5], [5.0, 5, 5, 5], 6.0, 1.0, "asymptotic", True),
    ("one_each", [1.0], [2.0], 0.0, 1.0, "exact", False),
    ("frame_times", [33.3, 33.4, 33.2, 33.3, 66.7, 33.3, 33.4, 33.3],
     [33.3, 50.0, 33.4, 66.7, 33.3, 50.1, 33.3, 100.0, 33.2], 27.0, 0.3948380417158678, "asymptotic", True),
]


@pytest.mark.parametrize(("name", "x", "y", "u", "p", "method", "ties"), PINNED, ids=[c[0] for c in PINNED])
def test_mann_whitney_values_pinned(name: str, x: list[float], y: list[float], u: float, p: float, method: str,
                                    ties: bool) -> None:
    result = mann_whitney_u(x, y)
    assert result.u == pytest.approx(u, abs=1e-12)
    assert result.p_value == pytest.approx(p, rel=1e-12, abs=1e-15)
    assert (result.method, result.ties) == (method, ties)
