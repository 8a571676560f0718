"""The host-capacity rule (harness.hostcap.judge_cell, pure): which frame-rate findings the machine explains."""

from __future__ import annotations

from pathlib import Path

from harness import hostcap
from harness.hostcap import HostCapacity, judge_cell


def capacity(*, fps: float | None = 29.7, p90_ms: float = 36.0, load: float = 0.8, cores: int = 2) -> HostCapacity:
    return HostCapacity(device="pixel7", cpu_throttling=1.0, source_fps=30.0, content_fps=fps,
                        frame_time_p50_ms=33.3, frame_time_p90_ms=p90_ms, dropped_frames=0.0, load1_before=load,
                        load1_after=load, cores=cores, measured_at_epoch_s=0.0, duration_s=5.0)


def test_capable_quiet_host_keeps_the_sdk_finding() -> None:
    verdict = judge_cell(capacity(), defects=["frame_drops"], content_fps=11.5, cell_load1=0.9)
    assert not verdict.limited


def test_pass_through_below_the_camera_rate_makes_frame_drops_environmental() -> None:
    verdict = judge_cell(capacity(fps=18.0), defects=["frame_drops", "freeze"], content_fps=15.0, cell_load1=1.0)
    assert verdict.environment == ("frame_drops", "freeze")
    assert "pass-through itself reached only 18.0 fps" in verdict.message()
    assert verdict.message().startswith("[environment] frame_drops, freeze limited by the machine")
    assert verdict.evidence["capacity"]["content_fps"] == 18.0


def test_load_above_the_cores_during_the_capture() -> None:
    verdict = judge_cell(capacity(), defects=["frame_drops"], content_fps=21.9, cell_load1=2.49)
    assert verdict.environment == ("frame_drops",)
    assert "load average 2.49 above the 2 cores during the capture" in verdict.reasons


def test_cell_far_below_the_pass_through_is_the_sdks_cost_even_on_a_loaded_host() -> None:
    # 11.5 fps is 39 % of the pass-through's 29.7 on the same profile: below SDK_COST_SHARE (0.6).
    assert not judge_cell(capacity(load=3.0), defects=["frame_drops"], content_fps=11.5, cell_load1=3.1).limited
    # at exactly the share it is the machine's
    edge = hostcap.SDK_COST_SHARE * 29.7
    assert judge_cell(capacity(load=3.0), defects=["frame_drops"], content_fps=edge, cell_load1=3.1).limited


def test_only_frame_rate_defects_are_ever_attributed() -> None:
    verdict = judge_cell(capacity(fps=10.0), defects=["colour_cast", "jank", "slow_start"], content_fps=9.0,
                         cell_load1=3.0)
    assert verdict.environment == ("jank",)
    assert not judge_cell(capacity(fps=10.0), defects=["rotation"], content_fps=9.0, cell_load1=3.0).limited


def test_unknown_capacity_attributes_nothing() -> None:
    assert not judge_cell(None, defects=["frame_drops"], content_fps=5.0, cell_load1=9.0).limited
    assert not judge_cell(capacity(fps=None), defects=["frame_drops"], content_fps=5.0, cell_load1=9.0).limited


def test_expected_rate_above_the_pass_through_and_jittery_pass_through() -> None:
    limits = hostcap.host_limits(capacity(fps=24.0, p90_ms=60.0), cell_load1=None, expected_fps=25.0)
    assert any("below the expected 25" in r for r in limits)
    assert any("p90 60.0 ms exceeds 1.5 x 33.3 ms" in r for r in limits)
    assert hostcap.host_limits(capacity(), cell_load1=1.9, expected_fps=10.0) == []


def test_capacity_book_measures_each_web_device_once(tmp_path: Path) -> None:
    class Dev:
        def __init__(self, id_: str, platform: str) -> None:
            self.id, self.platform = id_, platform

    book = hostcap.CapacityBook(tmp_path)
    calls: list[str] = []

    def measure() -> HostCapacity:
        calls.append("x")
        return capacity()

    web = Dev("pixel7", "web")
    assert book.get(web, measure) == book.get(web, measure) == capacity()
    assert calls == ["x"]
    assert book.get(Dev("p8", "android"), measure) is None
    assert hostcap.load_capacities(tmp_path) == [capacity()]


def test_passthrough_page_and_its_candidate_exist() -> None:
    candidate = hostcap.passthrough_candidate()
    root = Path(__file__).resolve().parents[1]
    page = (root / "apps" / hostcap.PASSTHROUGH_URL).read_text(encoding="utf-8")
    assert 'id="passthrough-output"' in page
    assert candidate.locators["preview"] == "css=canvas#passthrough-output"
    assert [s.action for s in hostcap.passthrough_scenario(root).steps] == ["launch", "capture"]


def test_describe_names_the_figures() -> None:
    text = capacity(load=2.5).describe()
    assert text == ("pass-through on pixel7: 29.7 fps, frame time p50 33.3 ms / p90 36.0 ms, load average "
                    "2.50 -> 2.50 on 2 cores")
