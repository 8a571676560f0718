"""Where an item's wall time goes: named time.monotonic spans, each counted once (a span inside another is taken out
of the outer one), written to the item's details.json as `timing_s` (docs/scale.md, "Where an item's time goes")."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

PARTS = ("setup", "host_capacity", "session", "launch", "steps", "capture", "analysis", "logs", "writing")


class Spans:
    """Exclusive seconds per part: `with spans.span("launch"): ...`; nested spans count for the inner part only."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._stack: list[list[float]] = []  # [start, seconds taken by nested spans]
        self.seconds: dict[str, float] = {}

    @contextmanager
    def span(self, name: str) -> Iterator[None]:
        frame = [self._clock(), 0.0]
        self._stack.append(frame)
        try:
            yield
        finally:
            self._stack.pop()
            total = self._clock() - frame[0]
            self.seconds[name] = self.seconds.get(name, 0.0) + total - frame[1]
            if self._stack:
                self._stack[-1][1] += total

    def wrap(self, name: str, fn: F) -> F:
        """`fn` with every call counted as part `name`."""
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.span(name):
                return fn(*args, **kwargs)
        return timed  # type: ignore[return-value]

    def to_dict(self) -> dict[str, float]:
        return {name: round(seconds, 3) for name, seconds in self.seconds.items()}
