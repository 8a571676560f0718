"""Host capacity: what the machine rendering a web device profile can deliver, and which frame-rate findings it
explains.

Before a web device's first item, the run loads a PASS-THROUGH page (apps/passthrough: the camera drawn to a canvas
once per camera frame, no effect) with that device's profile and measures it with the same probe and capture as
a candidate: content fps and frame-time p50/p90, with the load average around it. `judge_cell` (pure) then decides
whether a cell's frame-rate findings (`frame_drops`, `freeze`, `jank`) are the SDK's or the machine's. The rule
is documented in docs/metrics.md ("Host capacity").
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from harness.config.devices import Candidate
from harness.config.scenarios import CaptureStep, LaunchSpec, LaunchStep, Scenario
from harness.errors import HarnessError

FRAME_RATE_DEFECTS: Final = ("frame_drops", "freeze", "jank")
# The pass-through must reach this share of the camera's fps: the same bound as the `frame_drops` defect.
CAPACITY_FPS_SHARE: Final = 0.75
# A cell below this share of the pass-through's fps on the same profile in the same run has a cost of its own:
# its frame-rate findings stay SDK findings even on a loaded machine.
SDK_COST_SHARE: Final = 0.6
# The pass-through's frame-time p90 above this many camera frame intervals: the machine itself janks.
CAPACITY_P90_BUDGETS: Final = 1.5
CAPTURE_S: Final = 3.0
HOST_CAPACITY_JSON: Final = "host_capacity.json"
PASSTHROUGH_URL: Final = "passthrough/index.html"


@dataclass(frozen=True, kw_only=True)
class HostCapacity:
    """The pass-through's figures on one device profile (None: not measured; `error` says why)."""

    device: str
    cpu_throttling: float
    source_fps: float
    content_fps: float | None
    frame_time_p50_ms: float | None
    frame_time_p90_ms: float | None
    dropped_frames: float | None
    load1_before: float
    load1_after: float
    cores: int
    measured_at_epoch_s: float
    duration_s: float
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def load1_max(self) -> float:
        return max(self.load1_before, self.load1_after)

    def describe(self) -> str:
        if self.content_fps is None:
            return f"pass-through on {self.device} not measured: {self.error}"
        return (f"pass-through on {self.device}: {self.content_fps:.1f} fps, frame time p50 "
                f"{_num(self.frame_time_p50_ms)} ms / p90 {_num(self.frame_time_p90_ms)} ms, load average "
                f"{self.load1_before:.2f} -> {self.load1_after:.2f} on {self.cores} cores")


def _num(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


@dataclass(frozen=True, kw_only=True)
class CellVerdict:
    """Which of a cell's defects the environment explains, and the evidence."""

    environment: tuple[str, ...] = ()  # defect names attributed to the machine
    reasons: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def limited(self) -> bool:
        return bool(self.environment)

    def message(self) -> str:
        return (f"[environment] {', '.join(self.environment)} limited by the machine, not the SDK: "
                + "; ".join(self.reasons))


def host_limits(capacity: HostCapacity, *, cell_load1: float | None, expected_fps: float | None) -> list[str]:
    """Why the machine cannot deliver the frame rate on this profile (empty: it can)."""
    reasons: list[str] = []
    floor_fps = CAPACITY_FPS_SHARE * capacity.source_fps
    if capacity.content_fps is not None:
        if capacity.content_fps < floor_fps:
            reasons.append(f"the pass-through itself reached only {capacity.content_fps:.1f} fps on this profile "
                           f"(< {floor_fps:.1f} = {CAPACITY_FPS_SHARE:g} x the camera's {capacity.source_fps:g})")
        if expected_fps is not None and capacity.content_fps < expected_fps:
            reasons.append(f"the pass-through reached {capacity.content_fps:.1f} fps, below the expected "
                           f"{expected_fps:g}")
        budget_ms = 1000.0 / capacity.source_fps
        p90 = capacity.frame_time_p90_ms
        if p90 is not None and p90 > CAPACITY_P90_BUDGETS * budget_ms:
            reasons.append(f"the pass-through's frame time p90 {p90:.1f} ms exceeds "
                           f"{CAPACITY_P90_BUDGETS:g} x {budget_ms:.1f} ms")
    if capacity.load1_max > capacity.cores:
        reasons.append(f"load average {capacity.load1_max:.2f} above the {capacity.cores} cores while the "
                       "pass-through was measured")
    if cell_load1 is not None and cell_load1 > capacity.cores:
        reasons.append(f"load average {cell_load1:.2f} above the {capacity.cores} cores during the capture")
    return reasons


def cell_limits(capacity: HostCapacity | None, *, content_fps: float | None, cell_load1: float | None,
                expected_fps: float | None = None) -> list[str]:
    """Pure: why the machine, not the SDK, sets this cell's frame rate (empty: it does not).

    The machine sets it when it is limited on this profile (host_limits) AND the cell's content fps is not well
    below the pass-through's (>= SDK_COST_SHARE x capacity, or not measured): a cell far below the pass-through
    has a cost of its own. No capacity (or none measured): empty.
    """
    if capacity is None or capacity.content_fps is None:
        return []
    reasons = host_limits(capacity, cell_load1=cell_load1, expected_fps=expected_fps)
    if not reasons or (content_fps is not None and content_fps < SDK_COST_SHARE * capacity.content_fps):
        return []
    return reasons


def judge_cell(capacity: HostCapacity | None, *, defects: Sequence[str], content_fps: float | None,
               cell_load1: float | None, expected_fps: float | None = None) -> CellVerdict:
    """Pure: the cell's frame-rate defects the machine explains: all of them when the machine sets the cell's
    frame rate (cell_limits), none otherwise. No frame-rate defect: nothing is attributed to the environment.
    """
    rate = tuple(d for d in dict.fromkeys(defects) if d in FRAME_RATE_DEFECTS)
    if capacity is None or capacity.content_fps is None or not rate:
        return CellVerdict()
    reasons = cell_limits(capacity, content_fps=content_fps, cell_load1=cell_load1, expected_fps=expected_fps)
    if not reasons:
        return CellVerdict()
    evidence = {"capacity": capacity.to_dict(), "cell_content_fps": content_fps, "cell_load1": cell_load1,
                "rule": f"host limited and cell content_fps >= {SDK_COST_SHARE:g} x pass-through fps"}
    return CellVerdict(environment=rate, reasons=(*reasons[:3], capacity_evidence(capacity, content_fps)),
                       evidence=evidence)


def capacity_evidence(capacity: HostCapacity, content_fps: float | None) -> str:
    """The pass-through's figures, and the cell's fps as a share of them."""
    if content_fps is None or capacity.content_fps is None:
        return capacity.describe()
    return (f"{capacity.describe()}; the cell's {content_fps:.1f} fps is "
            f"{content_fps / capacity.content_fps:.0%} of the pass-through's {capacity.content_fps:.1f}")


# --- measuring ------------------------------------------------------------------------------------------------
def passthrough_candidate() -> Candidate:
    return Candidate.model_validate({
        "vendor": "none", "sdk": "passthrough", "version": "0", "app": {"web": {"url": PASSTHROUGH_URL}},
        "locators": {"preview": "css=canvas#passthrough-output"},
    })


def passthrough_scenario(project_root: Path) -> Scenario:
    return Scenario(name="host-capacity", description="pass-through page: what the host delivers", kind="startup",
                    steps=[LaunchStep(arg=LaunchSpec(mode="cold")), CaptureStep(arg=CAPTURE_S)], expect={},
                    tags=[], source=project_root / "apps" / "passthrough" / "index.html")


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def measure(device: Any, *, make_runner: Callable[..., Any], source_fps: float, item_dir: Path) -> HostCapacity:
    """Runs the pass-through on `device` through `make_runner(candidate=, scenario=, item_dir=)` (a
    ScenarioRunner) and reads its content fps and frame times. A failure is kept as `error`, never raised."""
    before, started, wall = load1(), time.monotonic(), time.time()
    metrics: Mapping[str, float] = {}
    error = None
    try:
        runner = make_runner(candidate=passthrough_candidate(), scenario=passthrough_scenario(item_dir),
                             item_dir=item_dir)
        try:
            runner.run()
        except HarnessError as exc:  # frame drops of the pass-through are what this measures, not a failure
            if "content_fps" not in runner.outcome.metrics:
                error = str(exc)
        metrics = runner.outcome.metrics
    except HarnessError as exc:
        error = str(exc)
    throttling = float(getattr(getattr(device, "emulation", None), "cpu_throttling", 1) or 1)
    return HostCapacity(
        device=str(device.id), cpu_throttling=throttling, source_fps=source_fps,
        content_fps=metrics.get("content_fps"), frame_time_p50_ms=metrics.get("frame_time_p50_ms"),
        frame_time_p90_ms=metrics.get("frame_time_p90_ms"), dropped_frames=metrics.get("dropped_frames"),
        load1_before=before, load1_after=load1(), cores=cores(), measured_at_epoch_s=round(wall, 3),
        duration_s=round(time.monotonic() - started, 2), error=error)


# Connections whose browser renders on this machine: the harness's own Appium server, or the Grid that
# `harness grid up` starts on loopback. Farms and remote servers render elsewhere; their capacity is not measured.
RENDERED_HERE = ("local", "grid")


class CapacityBook:
    """The run's capacities, one per web device, measured lazily before that device's first item and written to
    run_dir/host_capacity.json as each is taken."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / HOST_CAPACITY_JSON
        self._by_device: dict[str, HostCapacity] = {}
        self._lock = threading.Lock()

    def get(self, device: Any, measure_now: Callable[[], HostCapacity]) -> HostCapacity | None:
        if getattr(device, "platform", None) != "web" or getattr(device, "connection", "local") not in RENDERED_HERE:
            return None  # a phone, or a browser on a farm or a remote server: not this machine's capacity
        with self._lock:
            if device.id not in self._by_device:
                self._by_device[device.id] = measure_now()
                self.path.write_text(json.dumps([c.to_dict() for c in self._by_device.values()], indent=1) + "\n",
                                     encoding="utf-8")
            return self._by_device[device.id]


_BOOKS: dict[str, CapacityBook] = {}
_BOOKS_LOCK = threading.Lock()  # devices run in parallel (harness.parallel) ask for the book at once


def book_for(run_dir: Path) -> CapacityBook:
    """The capacity book of a run folder (one per run, kept for the process)."""
    key = str(run_dir)
    with _BOOKS_LOCK:
        if key not in _BOOKS:
            _BOOKS[key] = CapacityBook(run_dir)
        return _BOOKS[key]


def load_capacities(run_dir: Path) -> list[HostCapacity]:
    """host_capacity.json of a run folder (empty when the run measured none)."""
    path = run_dir / HOST_CAPACITY_JSON
    if not path.exists():
        return []
    try:
        return [HostCapacity(**entry) for entry in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError) as exc:
        raise HarnessError(f"{path}: not a host capacity list: {exc}") from exc
