"""Small SVG charts for the report (frame time per frame, start-up distributions, deltas against a baseline),
returned as strings: no dependencies, no scripts, inline styles only, so they open anywhere an image does."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np

from harness.errors import AnalysisError
from harness.pagekit import escape as _e

FREEZE_MS: Final = 150.0  # WebRTC's freeze threshold (docs/metrics.md: freezes from 150 ms are counted)
# A content update later than 1.5 budgets means at least one camera frame was skipped in between.
SKIP_FACTOR: Final = 1.5
WIDTH_PX: Final = 760
FONT: Final = "font-family:system-ui,Helvetica,Arial,sans-serif"
INK: Final = "#222222"
GRID: Final = "#e3e3e3"
AXIS: Final = "#888888"
BAR: Final = "#5b8def"
OVER_BUDGET: Final = "#f0a020"
FREEZE: Final = "#d9363e"
REGRESSION: Final = "#d9363e"
NEUTRAL_BAR: Final = "#8fb3e8"
CHAR_W_PX: Final = 6.4  # rough width of one 11 px character, to size label columns


def _num(value: float) -> str:
    """A coordinate for an attribute: one decimal, no trailing '.0'."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _label(value: float) -> str:
    """A tick or value label: up to 4 significant digits, integers plainly."""
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    return f"{value:.4g}"


def nice_ticks(low: float, high: float, *, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if not (math.isfinite(low) and math.isfinite(high)) or high < low:
        raise AnalysisError(f"axis range [{low}, {high}] is not allowed; allowed: finite low <= high")
    if high == low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _text(x: float, y: float, text: object, *, anchor: str = "start", size_px: int = 11, bold: bool = False,
          fill: str = INK, cls: str | None = None) -> str:
    weight = ";font-weight:bold" if bold else ""
    klass = f' class="{cls}"' if cls else ""
    return (f'<text{klass} x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" '
            f'style="{FONT};font-size:{size_px}px;fill:{fill}{weight}">{_e(text)}</text>')


def _line(x1: float, y1: float, x2: float, y2: float, *, stroke: str, width: float = 1.0,
          dash: str | None = None, cls: str | None = None) -> str:
    klass = f' class="{cls}"' if cls else ""
    dashes = f";stroke-dasharray:{dash}" if dash else ""
    return (f'<line{klass} x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" '
            f'style="stroke:{stroke};stroke-width:{width}{dashes}"/>')


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(width)}" height="{_num(height)}" '
            f'viewBox="0 0 {_num(width)} {_num(height)}" role="img" aria-label="{_e(title)}">\n'
            f"<title>{_e(title)}</title>\n"
            f'<rect x="0" y="0" width="{_num(width)}" height="{_num(height)}" style="fill:#ffffff"/>\n'
            + "\n".join(body) + "\n</svg>\n")


def _fit(text: str, width_px: float) -> str:
    """`text` shortened with an ellipsis to about `width_px` pixels."""
    chars = max(int(width_px / CHAR_W_PX), 4)
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _finite(values: Sequence[float], *, what: str) -> list[float]:
    out = [float(v) for v in values]
    bad = [v for v in out if not math.isfinite(v)]
    if bad:
        raise AnalysisError(f"{what}: {bad[0]} is not allowed; allowed: finite numbers")
    return out


# --- frame time per frame -----------------------------------------------------------------------------------
def frame_time_svg(timeline_ms: Sequence[float], *, title: str, budget_ms: float | None) -> str:
    """Frame time per frame index as bars (`class="frame"`, one per value, in order), a dashed budget line
    (`class="budget"`, e.g. 33.3 ms for a 30 fps camera) when given, and a dotted line at the 150 ms freeze
    threshold when the data reaches it. Bars over 1.5 budgets (a camera frame skipped) are orange, freezes
    (>= 150 ms) red, the others blue.

    Raises AnalysisError for no values, a negative or non-finite value, or a budget that is not > 0.
    """
    values = _finite(timeline_ms, what="frame times (ms)")
    if not values:
        raise AnalysisError("frame_time_svg: no frame times to draw; allowed: at least one value")
    if min(values) < 0:
        raise AnalysisError(f"frame times (ms): {min(values)} is not allowed; allowed: values >= 0")
    if budget_ms is not None and not (math.isfinite(budget_ms) and budget_ms > 0):
        raise AnalysisError(f"budget_ms {budget_ms} is not allowed; allowed: a finite number > 0 or None")
    left, right, top, bottom, height = 64.0, 20.0, 48.0, 46.0, 320.0
    plot_w, plot_h = WIDTH_PX - left - right, height - top - bottom
    peak = max([*values, budget_ms or 0.0])
    y_ticks = nice_ticks(0.0, peak)
    y_max = y_ticks[-1]

    def y_of(ms: float) -> float:
        return top + plot_h * (1.0 - ms / y_max)

    n = len(values)
    bar_w = plot_w / n
    skip_ms = math.inf if budget_ms is None else SKIP_FACTOR * budget_ms
    skipped = sum(FREEZE_MS > v > skip_ms for v in values)
    freezes = sum(v >= FREEZE_MS for v in values)
    budget_text = "" if budget_ms is None else (f", {skipped} over {_label(SKIP_FACTOR)} x the "
                                                f"{_label(round(budget_ms, 1))} ms budget")
    summary = (f"{n} frames, median {_label(round(float(np.median(values)), 1))} ms, "
               f"max {_label(round(max(values), 1))} ms{budget_text}, "
               f"{freezes} freeze(s) >= {_label(FREEZE_MS)} ms")
    body = [_text(left, 20, title, size_px=14, bold=True),
            _text(left, 37, summary, size_px=11, fill="#555555")]
    for tick in y_ticks:
        y = y_of(tick)
        body.append(_line(left, y, left + plot_w, y, stroke=GRID))
        body.append(_text(left - 6, y + 4, _label(tick), anchor="end", size_px=10))
    for i, value in enumerate(values):
        colour = FREEZE if value >= FREEZE_MS else OVER_BUDGET if value > skip_ms else BAR
        y = y_of(value)
        width = max(bar_w - (1 if bar_w > 3 else 0), 0.5)
        body.append(f'<rect class="frame" x="{_num(left + i * bar_w)}" y="{_num(y)}" width="{_num(width)}" '
                    f'height="{_num(top + plot_h - y)}" style="fill:{colour}"/>')
    if budget_ms is not None:
        y = y_of(budget_ms)
        body.append(_line(left, y, left + plot_w, y, stroke=INK, width=1.5, dash="6 4", cls="budget"))
        body.append(_text(left + plot_w - 4, y - 4, f"budget {_label(round(budget_ms, 1))} ms", anchor="end",
                          size_px=10))
    if peak >= FREEZE_MS:
        y = y_of(FREEZE_MS)
        body.append(_line(left, y, left + plot_w, y, stroke=FREEZE, dash="2 3", cls="freeze"))
        body.append(_text(left + 4, y - 4, f"freeze {_label(FREEZE_MS)} ms", size_px=10, fill=FREEZE))
    for tick in nice_ticks(1.0, float(n), count=8):
        if 1 <= tick <= n and tick == int(tick):
            x = left + (tick - 0.5) * bar_w
            body.append(_line(x, top + plot_h, x, top + plot_h + 4, stroke=AXIS))
            body.append(_text(x, top + plot_h + 16, _label(tick), anchor="middle", size_px=10))
    body.append(_line(left, top + plot_h, left + plot_w, top + plot_h, stroke=AXIS))
    body.append(_line(left, top, left, top + plot_h, stroke=AXIS))
    body.append(_text(left + plot_w / 2, height - 8, "frame (index of content update)", anchor="middle"))
    mid_y = _num(top + plot_h / 2)
    body.append(f'<text x="14" y="{mid_y}" text-anchor="middle" transform="rotate(-90 14 {mid_y})" '
                f'style="{FONT};font-size:11px;fill:{INK}">frame time (ms)</text>')
    return _svg(WIDTH_PX, height, title, body)


# --- distributions ------------------------------------------------------------------------------------------
def startup_distribution_svg(samples: Mapping[str, Sequence[float]], *, title: str, unit: str = "ms") -> str:
    """One row per key (e.g. "pixel7 · glfx@2.0"): every sample as a dot (`class="sample"`), the interquartile
    range as a box (`class="box"`) and the median as a bar (`class="median"`), with n and the median as text.
    The value axis starts at 0. Keys without samples get a row saying so.

    Raises AnalysisError when no key has a sample, or for a negative or non-finite sample.
    """
    rows = {str(k): _finite(v, what=f"samples of {k}") for k, v in samples.items()}
    every = [v for values in rows.values() for v in values]
    if not every:
        raise AnalysisError("startup_distribution_svg: no samples to draw; "
                            "allowed: at least one key with samples")
    if min(every) < 0:
        raise AnalysisError(f"samples ({unit}): {min(every)} is not allowed; allowed: values >= 0")
    row_h, top, bottom, right = 28.0, 48.0, 44.0, 130.0
    left = min(max(max(len(k) for k in rows) * CHAR_W_PX + 16, 100.0), 300.0)
    plot_w = WIDTH_PX - left - right
    height = top + row_h * len(rows) + bottom
    x_ticks = nice_ticks(0.0, max(every))
    x_max = x_ticks[-1]

    def x_of(value: float) -> float:
        return left + plot_w * value / x_max

    body = [_text(16, 20, title, size_px=14, bold=True),
            _text(16, 37, f"{len(every)} samples in {len(rows)} row(s); box: quartiles, bar: median",
                  size_px=11, fill="#555555")]
    plot_bottom = top + row_h * len(rows)
    for tick in x_ticks:
        x = x_of(tick)
        body.append(_line(x, top, x, plot_bottom, stroke=GRID))
        body.append(_text(x, plot_bottom + 14, _label(tick), anchor="middle", size_px=10))
    for i, (key, values) in enumerate(rows.items()):
        mid = top + row_h * (i + 0.5)
        body.append(_text(left - 8, mid + 4, _fit(key, left - 16), anchor="end"))
        if not values:
            body.append(_text(left + 4, mid + 4, "no samples", fill="#888888"))
            continue
        q1, median, q3 = (float(q) for q in np.percentile(values, [25, 50, 75]))
        body.append(f'<rect class="box" x="{_num(x_of(q1))}" y="{_num(mid - 8)}" '
                    f'width="{_num(max(x_of(q3) - x_of(q1), 1.0))}" height="16" '
                    f'style="fill:#dbe6fb;stroke:{BAR};stroke-width:1"/>')
        for j, value in enumerate(values):
            jitter = ((j % 5) - 2) * 2.5  # deterministic spread so that equal values stay visible
            body.append(f'<circle class="sample" cx="{_num(x_of(value))}" cy="{_num(mid + jitter)}" r="3" '
                        f'style="fill:{BAR};fill-opacity:0.75"/>')
        x_median = x_of(median)
        body.append(_line(x_median, mid - 11, x_median, mid + 11, stroke=INK, width=2.5, cls="median"))
        body.append(_text(left + plot_w + 8, mid + 4,
                          f"n={len(values)}, median {_label(round(median, 1))} {unit}", size_px=10))
    body.append(_line(left, plot_bottom, left + plot_w, plot_bottom, stroke=AXIS))
    body.append(_text(left + plot_w / 2, height - 10, f"value ({unit})", anchor="middle"))
    return _svg(WIDTH_PX, height, title, body)


# --- deltas against a baseline ------------------------------------------------------------------------------
def deltas_svg(entries: Sequence[tuple[str, float, bool]], *, title: str) -> str:
    """One horizontal bar per (label, delta %, is_regression), from a zero line (`class="zero"`) to the delta:
    rises go right, falls left; regressions are red (`class="bar regression"`), the others blue
    (`class="bar"`). An infinite delta (a zero baseline) is drawn to the axis end and labelled as such.

    Raises AnalysisError for no entries or a NaN delta.
    """
    if not entries:
        raise AnalysisError("deltas_svg: no deltas to draw; "
                            "allowed: at least one (label, delta %, regression)")
    for label, delta, _ in entries:
        if math.isnan(delta):
            raise AnalysisError(f"delta of {label!r} is NaN; allowed: a number (or ±inf for a zero baseline)")
    finite = [abs(d) for _, d, _ in entries if math.isfinite(d)]
    limit = nice_ticks(0.0, max([*finite, 10.0]), count=4)[-1]
    row_h, top, bottom, right = 20.0, 48.0, 44.0, 70.0
    left = min(max(max(len(lbl) for lbl, _, _ in entries) * CHAR_W_PX + 16, 100.0), 340.0)
    plot_w = WIDTH_PX - left - right
    height = top + row_h * len(entries) + bottom
    zero_x = left + plot_w / 2

    def x_of(pct: float) -> float:
        return zero_x + (plot_w / 2) * max(-1.0, min(1.0, pct / limit))

    regressions = sum(bool(r) for _, _, r in entries)
    body = [_text(16, 20, title, size_px=14, bold=True),
            _text(16, 37, f"{len(entries)} deltas against the baseline, {regressions} regression(s) in red",
                  size_px=11, fill="#555555")]
    plot_bottom = top + row_h * len(entries)
    for tick in (-limit, -limit / 2, 0.0, limit / 2, limit):
        x = x_of(tick)
        body.append(_line(x, top, x, plot_bottom, stroke=GRID))
        body.append(_text(x, plot_bottom + 14, f"{'+' if tick > 0 else ''}{_label(tick)}", anchor="middle",
                          size_px=10))
    for i, (label, delta, regression) in enumerate(entries):
        y = top + row_h * i
        x_end = x_of(delta)
        x0, x1 = min(zero_x, x_end), max(zero_x, x_end)
        cls = "bar regression" if regression else "bar"
        colour = REGRESSION if regression else NEUTRAL_BAR
        body.append(_text(left - 8, y + row_h / 2 + 4, _fit(label, left - 16), anchor="end"))
        body.append(f'<rect class="{cls}" x="{_num(x0)}" y="{_num(y + 3)}" width="{_num(max(x1 - x0, 1.0))}" '
                    f'height="{_num(row_h - 6)}" style="fill:{colour}"/>')
        shown = f"{delta:+.1f} %" if math.isfinite(delta) else f"{'+' if delta > 0 else '-'}inf %"
        body.append(_text(left + plot_w + 6, y + row_h / 2 + 4, shown, size_px=10,
                          fill=REGRESSION if regression else INK))
    body.append(_line(zero_x, top - 4, zero_x, plot_bottom, stroke=INK, width=1.5, cls="zero"))
    body.append(_text(zero_x, height - 10, "change against the baseline median (%)", anchor="middle"))
    return _svg(WIDTH_PX, height, title, body)


__all__ = ["FREEZE_MS", "SKIP_FACTOR", "deltas_svg", "frame_time_svg", "nice_ticks",
           "startup_distribution_svg"]
