"""What one test item works with: the run's shared services and the item's own plan, state and outcome."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness.clipspec import ClipSpec


class StepReporter(Protocol):
    """Where the runner reports steps and evidence (Allure in a run, a list in unit tests)."""

    def step(self, title: str) -> contextlib.AbstractContextManager[Any]: ...

    def attach(self, path: Path, name: str) -> None: ...


class NullReporter:
    """A reporter that keeps titles and attachments in lists."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.attachments: list[tuple[Path, str]] = []

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.steps.append(title)
        yield

    def attach(self, path: Path, name: str) -> None:
        self.attachments.append((path, name))


@dataclass
class AppState:
    """What the scenario has asked the app to do so far: the expected look of the output."""

    filter: str = "none"
    beauty: int = 0
    effect: str = "none"


@dataclass
class Outcome:
    """Everything an item measured and kept, filled in as the steps run (so a failure keeps what was taken)."""

    metrics: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    attachments: list[Path] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    defects: list[dict[str, Any]] = field(default_factory=list)
    # Metrics that cannot exist for this candidate, and why (a filter without a reference LUT has no fidelity):
    # a scenario's expectation on one is not judged, and details.json says why.
    not_applicable: dict[str, str] = field(default_factory=dict)

    def add_defect(self, defect: str, *, value: float | None, unit: str, threshold: str, summary: str) -> None:
        """Records an adaptation defect once (the first sighting keeps its numbers)."""
        if all(d["defect"] != defect for d in self.defects):
            self.defects.append({"defect": defect, "value": value, "unit": unit, "threshold": threshold,
                                 "summary": summary})


@dataclass
class ItemContext:
    """What the measurements of one item read and write: the clip, the expected look, the filters' reference LUTs,
    the item folder, the outcome and the reporter (harness.scenario.measure takes this, not the runner)."""

    spec: ClipSpec
    state: AppState
    filter_luts: dict[str, Path]
    item_dir: Path
    outcome: Outcome
    reporter: StepReporter
    label: str
    effect_anchors: dict[str, str] = field(default_factory=dict)  # effect -> "face" | "screen" (candidate.effects)

    def tracks_face(self, effect: str) -> bool:
        """Whether `effect` is a sticker that follows the face (every effect but "none" and those fixed to the
        screen)."""
        return effect != "none" and self.effect_anchors.get(effect) != "screen"
