"""Scenario files: the default scenarios load, steps and thresholds behave, and bad input has exact "
"messages."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from harness.config import (
    STEP_ACTIONS,
    STEP_LOCATORS,
    LaunchStep,
    Scenario,
    SetBeautyStep,
    Threshold,
    load_scenario,
    load_scenarios,
    parse_scenario,
)
from harness.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
SOURCE = Path("scenarios/test.yaml")


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def scenario(steps: list[Any], **extra: Any) -> Scenario:
    return parse_scenario({"name": "t", "kind": "custom", "steps": steps, **extra}, source=SOURCE)


def fails(message: str, steps: list[Any], **extra: Any) -> None:
    with pytest.raises(ConfigError, match=exactly(f"{SOURCE}: {message}")):
        scenario(steps, **extra)


# --- the default scenarios ----------------------------------------------------------------------------


def test_default_scenarios_load_sorted_by_file_name() -> None:
    loaded = load_scenarios(SCENARIOS)
    # beauty.yaml, effect.yaml, filter.yaml, record.yaml, startup.yaml
    assert [s.name for s in loaded] == ["beauty-70", "effect-crown", "filter-warm", "record-3s", "startup"]
    assert [s.source.name for s in loaded] == sorted(s.source.name for s in loaded)


def test_default_scenarios_content() -> None:
    by_name = {s.name: s for s in load_scenarios(SCENARIOS)}
    # Expected values are those written in scenarios/*.yaml.
    startup = by_name["startup"]
    assert [s.describe() for s in startup.steps] == [
        "launch: {mode: cold, iterations: 5}",
        "capture: 2",
        "launch: {mode: warm, iterations: 3}",
        "launch: {mode: hot, iterations: 3}",
    ]
    assert startup.expect["startup_cold_ms"].describe() == "<= 8000"
    warm = by_name["filter-warm"]
    assert warm.kind == "filter"
    assert [s.describe() for s in warm.steps] == [
        "launch: cold",
        "select_filter: warm",
        "wait: 1",
        "capture: 3",
    ]
    assert {k: t.describe() for k, t in warm.expect.items()} == {
        "content_fps": ">= 10",
        "filter_delta_e": "<= 4",
    }
    record = by_name["record-3s"]
    assert record.locator_keys() == (
        "preview",
        "select_filter",
        "start_recording",
        "stop_recording",
        "recording_result",
    )
    assert record.expect["recording_duration_ms"].min == 2000
    beauty = by_name["beauty-70"]
    assert isinstance(beauty.steps[1], SetBeautyStep)
    assert beauty.steps[1].arg == 70


def test_select_by_name_and_unknown_name() -> None:
    assert [s.name for s in load_scenarios(SCENARIOS, names=["startup", "beauty-70"])] == [
        "beauty-70",
        "startup",
    ]
    known = "beauty-70, effect-crown, filter-warm, record-3s, startup"
    message = f"--scenario: unknown scenario 'nope'; allowed: {known}"
    with pytest.raises(ConfigError, match=exactly(message)):
        load_scenarios(SCENARIOS, names=["startup", "nope"])


# --- steps -------------------------------------------------------------------------------------------------


def test_step_forms() -> None:
    loaded = scenario(
        [
            {"launch": {"mode": "warm", "iterations": 5}},
            {"tap": "shutter"},
            "start_recording",
            {"wait": 0},
            {"stop_recording": None},
            {"record": 2.5},
            {"apply_effect": "crown"},
        ]
    )
    assert [s.describe() for s in loaded.steps] == [
        "launch: {mode: warm, iterations: 5}",
        "tap: shutter",
        "start_recording",
        "wait: 0",
        "stop_recording",
        "record: 2.5",
        "apply_effect: crown",
    ]
    launch = loaded.steps[0]
    assert isinstance(launch, LaunchStep)
    assert (launch.mode, launch.iterations) == ("warm", 5)
    assert loaded.steps[1].locator_keys() == ("shutter",)
    assert loaded.locator_keys() == (
        "preview",
        "shutter",
        "start_recording",
        "stop_recording",
        "recording_result",
        "apply_effect",
    )


def test_every_action_has_a_locator_entry() -> None:
    assert set(STEP_LOCATORS) == set(STEP_ACTIONS)
    assert STEP_LOCATORS["record"] == ("start_recording", "stop_recording", "recording_result")


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            [{"launch": "cold"}, {"wait": 1}, {"set_beauty": 170}],
            "steps[2].set_beauty: 170 is too large; allowed: an integer level from 0 to 100",
        ),
        (
            [{"launch": "cold"}, {"set_beauty": "high"}],
            "steps[1].set_beauty: expected an integer, got 'high'; allowed: an integer level from 0 to 100",
        ),
        (
            [{"launch": "cold"}, {"set_beuty": 70}],
            "steps[1].set_beuty: unknown step 'set_beuty'; allowed: launch, select_filter, set_beauty, "
            "apply_effect, wait, capture, record, start_recording, stop_recording, tap",
        ),
        (
            [{"launch": "clod"}],
            "steps[0].launch: 'clod' is not allowed; allowed: cold, warm, hot",
        ),
        (
            [{"launch": {"mode": "cold", "iterations": 100}}],
            "steps[0].launch.iterations: 100 is too large; allowed: an integer from 1 to 50",
        ),
        (
            [{"launch": "cold", "iterations": 3}],
            "steps[0]: a step has exactly one key, got 2 (launch, iterations); allowed: one step per list "
            "item; "
            "launch options go in a mapping: launch: {mode: cold, iterations: 3}",
        ),
        (
            ["launch"],
            "steps[0].launch: launch needs a value; allowed: launch: cold, warm, hot, or {mode: cold|warm|hot, "
            "iterations: 1..50}",
        ),
        (
            [{"launch": "cold"}, {"capture": 0.1}],
            "steps[1].capture: 0.1 is too small; allowed: seconds, from 0.5 to 120",
        ),
        (
            [{"launch": "cold"}, {"select_filter": 1977}],
            "steps[1].select_filter: expected a string, got the number 1977; allowed: a name: letters, "
            "digits, "
            "'_', '.' and '-'; put it in quotes: select_filter: \"1977\"",
        ),
        (
            [{"launch": "cold"}, {"start_recording": 3}],
            "steps[1].start_recording: start_recording takes no value, got 3; allowed: '- start_recording' "
            "alone",
        ),
        (
            [{"launch": "cold"}, 42],
            "steps[1]: expected a step, got 42; allowed: a one-key mapping such as 'wait: 1.0' or a bare "
            "step "
            "name; steps: launch, select_filter, set_beauty, apply_effect, wait, capture, record, "
            "start_recording, stop_recording, tap",
        ),
        (
            [{"wait": 1}, {"launch": "cold"}],
            "steps[0]: the first step is 'wait: 1'; allowed: launch as the first step (launch: cold or "
            "launch: warm)",
        ),
        (
            [{"launch": "cold"}, "stop_recording"],
            "steps[1].stop_recording: no recording is running; allowed: start_recording before "
            "stop_recording",
        ),
        (
            [{"launch": "cold"}, "start_recording", {"record": 2}],
            "steps[2].record: a recording is already running since steps[1]; allowed: stop_recording before "
            "starting another recording",
        ),
        (
            [{"launch": "cold"}, "start_recording", {"wait": 2}],
            "steps[1].start_recording: this recording is never stopped; allowed: a stop_recording step after "
            "it",
        ),
        (
            [],
            "steps: must not be empty; allowed: a list of steps starting with launch",
        ),
    ],
)
def test_bad_step(steps: list[Any], message: str) -> None:
    fails(message, steps)


# --- top-level keys and thresholds -------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"expect": {"content_fps": {"min": 30, "max": 20}}},
            "expect.content_fps: min 30 is greater than max 20; allowed: min <= max",
        ),
        (
            {"expect": {"content_fps": {}}},
            "expect.content_fps: no bound given; allowed: min, max or both, e.g. {min: 15}",
        ),
        (
            {"expect": {"content_fps": 15}},
            "expect.content_fps: expected a mapping, got 15; allowed: a mapping with keys min, max",
        ),
        (
            {"expect": {"content_fps": {"minimum": 15}}},
            "expect.content_fps.minimum: unknown key 'minimum'; allowed: min, max",
        ),
        (
            {"expect": {"Content-FPS": {"min": 15}}},
            "expect.Content-FPS: key 'Content-FPS' is not allowed; allowed: a metric name: lowercase, "
            "digits, '_'",
        ),
        (
            {"kind": "filters"},
            "kind: 'filters' is not allowed; allowed: startup, filter, beauty, effect, record, custom",
        ),
        (
            {"name": "Filter Warm"},
            "name: 'Filter Warm' is not allowed; allowed: lowercase letters, digits and '-', starting with a "
            "letter or digit",
        ),
        (
            {"source": "elsewhere.yaml"},
            "source: unknown key 'source'; allowed: name, description, kind, steps, expect, tags",
        ),
    ],
)
def test_bad_scenario_keys(extra: dict[str, Any], message: str) -> None:
    fails(message, [{"launch": "cold"}], **extra)


def test_threshold_check_and_describe() -> None:
    both = Threshold(min=15, max=30)
    assert both.describe() == "15..30"
    # Bounds are inclusive; NaN (a metric that could not be measured) never passes.
    assert [both.check(v) for v in (14.99, 15.0, 30.0, 30.01, math.nan)] == [False, True, True, False, False]
    assert Threshold(min=15).describe() == ">= 15"
    assert Threshold(max=6).describe() == "<= 6"
    assert Threshold(max=6).check(-1e9) is True
    assert Threshold(min=0.5).describe() == ">= 0.5"


# --- files and folders -------------------------------------------------------------------------------------


def test_bad_yaml_in_a_scenario(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nsteps:\n  - launch: cold\n  - wait: [1\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: line 5, column 1: YAML syntax error: "):
        load_scenario(path)


def test_empty_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    message = (
        f"{path}: the file is empty; allowed: a mapping with keys name, description, kind, steps, expect, "
        "tags "
        "(see docs/scenarios.md)"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        load_scenario(path)


def test_empty_directory(tmp_path: Path) -> None:
    message = (
        f"{tmp_path}: no scenario files (*.yaml) in this folder; allowed: at least one, see docs/scenarios.md"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        load_scenarios(tmp_path)


def test_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(
        ConfigError,
        match=exactly(f"{missing}: not a directory; allowed: a folder of scenario files (*.yaml)"),
    ):
        load_scenarios(missing)


def test_duplicate_name_across_files(tmp_path: Path) -> None:
    text = (SCENARIOS / "filter.yaml").read_text()
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(text)
    message = (
        f"{tmp_path / 'b.yaml'}: name: scenario name 'filter-warm' is already used by {tmp_path / 'a.yaml'}; "
        "allowed: a name unique across scenario files"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        load_scenarios(tmp_path)


def test_bad_step_in_a_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "beauty.yaml"
    path.write_text("name: b\nkind: beauty\nsteps:\n  - launch: cold\n  - set_beauty: 101\n")
    message = f"{path}: steps[1].set_beauty: 101 is too large; allowed: an integer level from 0 to 100"
    with pytest.raises(ConfigError, match=exactly(message)) as info:
        load_scenarios(tmp_path)
    assert (info.value.file, info.value.key_path) == (str(path), "steps[1].set_beauty")
