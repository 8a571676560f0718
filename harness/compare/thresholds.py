"""Regression thresholds and metric directions for comparisons, parsed from configuration in the style of
pytest-benchmark's `--benchmark-compare-fail` (`startup_ms: +10%`, `content_fps: -2`, `max:1500`)."""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, get_args

from harness.config.errors_fmt import show
from harness.config.yamlfile import read_yaml
from harness.errors import ConfigError

Kind = Literal["percent", "difference", "max", "min"]
Worse = Literal["higher", "lower"]
Direction = Literal["lower", "higher", "neutral"]
DIRECTIONS: Final[tuple[str, ...]] = get_args(Direction)

ALLOWED_FORMS: Final = (
    "'+N%' or '-N%' (a rise or fall of more than N percent of the baseline median is a regression), "
    "'+N' or '-N' or a signed number (a rise or fall of more than N units), "
    "'max:N' or 'min:N' (a limit on the new median), or a list of these"
)
_METRIC_KEY = re.compile(r"^[A-Za-z_*][A-Za-z0-9_*]*$")
_RELATIVE = re.compile(r"^(?P<sign>[+-])\s*(?P<num>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?P<pct>%?)$")
_LIMIT = re.compile(r"^(?P<kind>max|min)\s*:\s*(?P<num>[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)$")

# The default table. Origins: startup +10 % follows flashlight's percentage deltas and the 45 ms run-to-run
# spread of a ~450 ms start seen in focus-android#6923 (about 10 %); -2 fps and +5 dropped frames are about
# one and five source frames' worth at the 30 fps camera rate; ΔE00 +1.0 is the "imperceptible" step of CIEDE2000.
# visual_consistency_delta_e is a distance from the reference devices (theirs from themselves is 0), so it takes a
# limit: max:2.0, where CIEDE2000 turns "visible at a glance" (2-10), about 8x the 0.25 that lossy captures of the
# same output from other source frames score (docs/metrics.md, tests/test_response.py).
DEFAULT_THRESHOLDS: Final[Mapping[str, Any]] = {
    "startup_ms": "+10%",
    "app_first_frame_ms": "+10%",
    "content_fps": -2,
    "app_fps": -2,
    "dropped_frames": +5,
    "frame_time_p90_ms": "+20%",
    "app_cost_ms": "+10%",
    "filter_delta_e": +1.0,
    "visual_consistency_delta_e": "max:2.0",
    # A sticker trailing the face by one more clip frame interval (33 ms at 30 fps), or off the face by 5 % more of
    # its size at the 95th percentile, is a tracking regression a user sees (docs/metrics.md, "Face tracking").
    "tracking_lag_ms": +33,
    "tracking_error_p95_pct": +5,
}

# Metrics whose better direction the unit suffix gets wrong or does not tell (see direction_of).
DEFAULT_DIRECTIONS: Final[Mapping[str, Direction]] = {
    "filter_applied_delta_e": "neutral",  # distance from the unfiltered source: larger means "filter visible"
    "stutter_ratio": "lower",  # PerfDog stutter: share of time spent in jank
    "key_frames_decoded": "higher",
    "recording_frames": "neutral",
    "black_frame_luma_p99": "neutral",
    **{f"tracking_{what}_{q}_{unit}": "lower" for what in ("error", "jitter") for q in ("p50", "p95")
       for unit in ("px", "pct")},
    "tracking_placed_share": "higher",
}
_LOWER_SUFFIXES: Final = ("_ms", "_delta_e", "_count")
_HIGHER_SUFFIXES: Final = ("_fps",)
_LOWER_WORDS: Final = ("dropped", "repeated", "undecoded", "freeze", "jank")


@dataclass(frozen=True, kw_only=True)
class Threshold:
    """One regression check on a metric: a relative or absolute change, or a limit on the new median.

    `metric` may be an fnmatch pattern (`*_ms`); an exact name wins over a pattern (see thresholds_for).
    """

    metric: str
    kind: Kind
    value: float  # percent or units for a change (>= 0); the limit itself for max/min
    worse: Worse  # the direction that counts as a regression
    text: str  # normalised form, e.g. "+10%", "-2", "max:1500"

    def excess(self, *, base_median: float, new_median: float) -> float:
        """How far beyond the threshold the change (or the new median, for a limit) is; > 0 is over."""
        if self.kind == "max":
            return new_median - self.value
        if self.kind == "min":
            return self.value - new_median
        delta = new_median - base_median
        change = delta if self.worse == "higher" else -delta
        if self.kind == "difference":
            return change - self.value
        if base_median == 0:  # as pytest-benchmark: any move away from a zero baseline is infinitely many percent
            return math.inf if change > 0 else (-math.inf if change < 0 else -self.value)
        return change / abs(base_median) * 100.0 - self.value

    def is_over(self, *, base_median: float, new_median: float) -> bool:
        """True when the change (or the new median) is beyond the threshold in the worse direction."""
        return self.excess(base_median=base_median, new_median=new_median) > 0

    def is_better_beyond(self, *, base_median: float, new_median: float) -> bool:
        """True when the change is beyond the mirrored threshold in the better direction (for a limit: the
        baseline was beyond it and the new median is not)."""
        if self.kind in ("max", "min"):
            return self.is_over(base_median=base_median, new_median=base_median) and not self.is_over(
                base_median=base_median, new_median=new_median
            )
        mirrored = Threshold(metric=self.metric, kind=self.kind, value=self.value,
                             worse="lower" if self.worse == "higher" else "higher", text=self.text)
        return mirrored.is_over(base_median=base_median, new_median=new_median)

    def describe(self) -> str:
        """The threshold in words, e.g. 'a rise of more than 10 %'."""
        if self.kind == "max":
            return f"a new median above {self.value:g}"
        if self.kind == "min":
            return f"a new median below {self.value:g}"
        move = "rise" if self.worse == "higher" else "fall"
        unit = " %" if self.kind == "percent" else " units"
        return f"a {move} of more than {self.value:g}{unit}"


def _signed_number(value: float, *, metric: str, file: str | None, key: str) -> Threshold:
    if value == 0:
        raise ConfigError(
            f"the number 0 has no direction; allowed: {ALLOWED_FORMS}; write '+0' or '-0' for any rise or fall",
            file=file, key_path=key,
        )
    if not math.isfinite(value):
        raise ConfigError(f"{show(value)} is not a finite number; allowed: {ALLOWED_FORMS}", file=file, key_path=key)
    worse: Worse = "higher" if value > 0 else "lower"
    text = f"{'+' if value > 0 else '-'}{abs(value):g}"
    return Threshold(metric=metric, kind="difference", value=abs(float(value)), worse=worse, text=text)


def parse_threshold(value: Any, *, metric: str, file: str | None, key: str) -> Threshold:
    """One threshold form (see ALLOWED_FORMS) for `metric`; `key` is the key path used in error messages."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{show(value)} is not a threshold; allowed: {ALLOWED_FORMS}", file=file, key_path=key)
    if isinstance(value, int | float):
        return _signed_number(float(value), metric=metric, file=file, key=key)
    text = value.strip()
    limit = _LIMIT.match(text)
    if limit:
        kind: Kind = "max" if limit["kind"] == "max" else "min"
        number = float(limit["num"])
        return Threshold(metric=metric, kind=kind, value=number, worse="higher" if kind == "max" else "lower",
                         text=f"{kind}:{number:g}")
    relative = _RELATIVE.match(text)
    if not relative:
        hint = ""
        if re.fullmatch(r"[0-9]*\.?[0-9]+%?", text):
            hint = f"; a string needs its sign: write '+{text}' for a rise or '-{text}' for a fall"
        raise ConfigError(
            f"{show(value)} is not a threshold; allowed: {ALLOWED_FORMS}{hint}", file=file, key_path=key
        )
    number = float(relative["num"])
    worse: Worse = "higher" if relative["sign"] == "+" else "lower"
    if relative["pct"]:
        if worse == "lower" and number >= 100:
            raise ConfigError(
                f"{show(value)} can never be exceeded: a positive metric cannot fall by 100 % or more; "
                f"allowed: a fall of less than 100 %, e.g. '-50%'",
                file=file, key_path=key,
            )
        return Threshold(metric=metric, kind="percent", value=number, worse=worse,
                         text=f"{relative['sign']}{number:g}%")
    return Threshold(metric=metric, kind="difference", value=number, worse=worse,
                     text=f"{relative['sign']}{number:g}")


def parse_thresholds(mapping: Any, *, file: str | None, section: str = "thresholds") -> list[Threshold]:
    """Thresholds from a mapping of metric name (or fnmatch pattern) to one form or a list of forms.

    Errors name `file`, the key path under `section` and the allowed forms, e.g.
    `gate.yaml: compare.thresholds.startup_ms: '10%' is not a threshold; allowed: ...`.
    """
    if not isinstance(mapping, Mapping):
        raise ConfigError(
            f"expected a mapping of metric name to threshold, got {show(mapping)}; allowed: {ALLOWED_FORMS}",
            file=file, key_path=section,
        )
    out: list[Threshold] = []
    for metric, forms in mapping.items():
        if not isinstance(metric, str) or not _METRIC_KEY.match(metric):
            raise ConfigError(
                f"key {show(metric)} is not a metric name; allowed: a metric name such as startup_ms, "
                "or a pattern with * such as *_ms",
                file=file, key_path=section,
            )
        key = f"{section}.{metric}" if section else metric
        if isinstance(forms, list):
            if not forms:
                raise ConfigError(f"the list is empty; allowed: {ALLOWED_FORMS}", file=file, key_path=key)
            out += [parse_threshold(f, metric=metric, file=file, key=f"{key}[{i}]") for i, f in enumerate(forms)]
        else:
            out.append(parse_threshold(forms, metric=metric, file=file, key=key))
    return out


def thresholds_for(metric: str, thresholds: Sequence[Threshold]) -> list[Threshold]:
    """The thresholds that apply to `metric`: those naming it exactly, else those of the longest matching pattern."""
    exact = [t for t in thresholds if t.metric == metric]
    if exact:
        return exact
    patterns = [t for t in thresholds if "*" in t.metric and fnmatch.fnmatchcase(metric, t.metric)]
    if not patterns:
        return []
    longest = max(len(t.metric) for t in patterns)
    return [t for t in patterns if len(t.metric) == longest]


def direction_of(metric: str, overrides: Mapping[str, Direction] | None = None) -> Direction:
    """Which way is better for a metric: configured overrides first, then the defaults, then the unit suffix
    (`_ms`, `_delta_e`, counts and dropped/repeated frames lower; `_fps` higher; ratios, shares and the rest
    neutral)."""
    for table in (overrides or {}, DEFAULT_DIRECTIONS):
        if metric in table:
            return table[metric]
    if metric.endswith(_HIGHER_SUFFIXES):
        return "higher"
    if metric.endswith(_LOWER_SUFFIXES) or any(word in metric for word in _LOWER_WORDS):
        return "lower"
    return "neutral"


@dataclass(frozen=True, kw_only=True)
class CompareConfig:
    """Everything that changes a comparison's verdicts: thresholds, metric directions, significance level and the
    bootstrap's resamples and seed."""

    thresholds: tuple[Threshold, ...]
    directions: Mapping[str, Direction] = field(default_factory=dict)
    alpha: float = 0.05
    bootstrap_resamples: int = 2000
    seed: int = 0

    def thresholds_for(self, metric: str) -> list[Threshold]:
        return thresholds_for(metric, self.thresholds)

    def direction(self, metric: str) -> Direction:
        return direction_of(metric, self.directions)


def default_config() -> CompareConfig:
    """The default table (DEFAULT_THRESHOLDS), alpha 0.05, 2000 bootstrap resamples, seed 0."""
    return CompareConfig(thresholds=tuple(parse_thresholds(DEFAULT_THRESHOLDS, file=None, section="defaults")))


_CONFIG_KEYS: Final = ("thresholds", "use_defaults", "directions", "alpha", "bootstrap_resamples", "seed")


def parse_compare_config(section: Any, *, file: str | None, key: str = "compare") -> CompareConfig:
    """A CompareConfig from the `compare:` section of a gate file (keys: see _CONFIG_KEYS and docs/compare.md)."""
    if not isinstance(section, Mapping):
        raise ConfigError(f"expected a mapping, got {show(section)}; allowed: a mapping with keys "
                          f"{', '.join(_CONFIG_KEYS)}", file=file, key_path=key)
    unknown = [k for k in section if k not in _CONFIG_KEYS]
    if unknown:
        raise ConfigError(f"unknown key {show(unknown[0])}; allowed: {', '.join(_CONFIG_KEYS)}",
                          file=file, key_path=key)
    use_defaults = section.get("use_defaults", True)
    if not isinstance(use_defaults, bool):
        raise ConfigError(f"expected true or false, got {show(use_defaults)}; allowed: true or false",
                          file=file, key_path=f"{key}.use_defaults")
    own = parse_thresholds(section.get("thresholds", {}), file=file, section=f"{key}.thresholds")
    named = {t.metric for t in own}
    defaults = [t for t in default_config().thresholds if t.metric not in named] if use_defaults else []
    alpha = section.get("alpha", 0.05)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ConfigError(f"{show(alpha)} is not allowed; allowed: a number between 0 and 1 (exclusive), "
                          "e.g. 0.05", file=file, key_path=f"{key}.alpha")
    ints: dict[str, int] = {}
    for name, low in (("bootstrap_resamples", 100), ("seed", 0)):
        raw = section.get(name, 2000 if name == "bootstrap_resamples" else 0)
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < low:
            raise ConfigError(f"{show(raw)} is not allowed; allowed: an integer >= {low}",
                              file=file, key_path=f"{key}.{name}")
        ints[name] = raw
    directions = section.get("directions", {})
    if not isinstance(directions, Mapping):
        raise ConfigError(f"expected a mapping of metric name to direction, got {show(directions)}; "
                          f"allowed: {', '.join(DIRECTIONS)} per metric", file=file, key_path=f"{key}.directions")
    for metric, direction in directions.items():
        if direction not in DIRECTIONS:
            raise ConfigError(f"{show(direction)} is not allowed; allowed: {', '.join(DIRECTIONS)}",
                              file=file, key_path=f"{key}.directions.{metric}")
    return CompareConfig(thresholds=tuple(own + defaults), directions=dict(directions), alpha=float(alpha),
                         bootstrap_resamples=ints["bootstrap_resamples"], seed=ints["seed"])


def load_compare_config(path: Path, *, section: str = "compare") -> CompareConfig:
    """The `section:` mapping of a YAML gate file (e.g. gate.yaml) as a CompareConfig; other top-level keys are
    left to their own readers."""
    data = read_yaml(path, expected=f"a mapping with a '{section}:' section")
    if section not in data:
        raise ConfigError(f"missing required key '{section}'; allowed: a '{section}:' mapping with keys "
                          f"{', '.join(_CONFIG_KEYS)}", file=str(path))
    return parse_compare_config(data[section], file=str(path), key=section)


__all__ = [
    "ALLOWED_FORMS",
    "DEFAULT_DIRECTIONS",
    "DEFAULT_THRESHOLDS",
    "CompareConfig",
    "Direction",
    "Threshold",
    "default_config",
    "direction_of",
    "load_compare_config",
    "parse_compare_config",
    "parse_threshold",
    "parse_thresholds",
    "thresholds_for",
]
