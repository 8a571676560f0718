"""Item time spans (harness.scenario.spans): nested spans are counted once, for the inner part."""

from __future__ import annotations

from harness.scenario.spans import Spans


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_nested_span_is_taken_out_of_the_outer_one() -> None:
    clock = Clock()
    spans = Spans(clock=clock)
    with spans.span("launch"):
        clock.now += 1.0
        with spans.span("session"):
            clock.now += 2.5
        clock.now += 0.5
    with spans.span("launch"):
        clock.now += 1.0
    assert spans.to_dict() == {"launch": 2.5, "session": 2.5}
    assert sum(spans.seconds.values()) == clock.now


def test_wrapped_function_counts_each_call_and_returns_its_value() -> None:
    clock = Clock()
    spans = Spans(clock=clock)

    def work(seconds: float) -> str:
        clock.now += seconds
        return "done"

    timed = spans.wrap("session", work)
    with spans.span("capture"):
        assert timed(1.25) == "done"
        clock.now += 3.0
    assert timed(0.75) == "done"
    assert spans.to_dict() == {"session": 2.0, "capture": 3.0}
