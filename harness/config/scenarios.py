"""The scenario schema (scenarios/*.yaml): the step vocabulary, expectations on metrics, and the loader.

Every key and step is described in docs/scenarios.md.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from harness.config.errors_fmt import Allowed, Loc, config_error, describe, fail, key_path, show
from harness.config.yamlfile import read_yaml
from harness.errors import ConfigError
from harness.metric_names import METRIC_NAMES, METRIC_PATTERN_TEXT, closest_metrics, is_metric

Kind = Literal["startup", "filter", "beauty", "effect", "record", "custom"]
LaunchMode = Literal["cold", "warm", "hot"]

# Locator keys each step needs from a candidate's locator map. `tap` needs the key given as its argument.
STEP_LOCATORS: dict[str, tuple[str, ...]] = {
    "launch": ("preview",),
    "select_filter": ("select_filter",),
    "set_beauty": ("set_beauty",),
    "apply_effect": ("apply_effect",),
    "wait": (),
    "capture": ("preview",),
    "record": ("start_recording", "stop_recording", "recording_result"),
    "start_recording": ("start_recording",),
    "stop_recording": ("stop_recording", "recording_result"),
    "tap": (),
}
# Locator keys a step uses when the candidate has them (a panel to open first; an in-app stats readout).
OPTIONAL_STEP_LOCATORS: dict[str, tuple[str, ...]] = {
    "select_filter": ("open_filter_panel",),
    "set_beauty": ("open_beauty_panel",),
    "apply_effect": ("open_effect_panel",),
    "capture": ("stats",),
}
OPTIONAL_LOCATOR_KEYS: tuple[str, ...] = (
    "open_filter_panel",
    "open_beauty_panel",
    "open_effect_panel",
    "stats",
)

MAX_ID_CHARS = 64  # scenario names, item names, locator keys and tags: they become file and report names
MAX_DESCRIPTION_CHARS = 2000
MAX_STEPS = 200
_NAME_TEXT = "lowercase letters, digits and '-', starting with a letter or digit"


def _known_metric(name: str) -> str:
    if not is_metric(name):
        near = closest_metrics(name)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise fail(
            f"{show(name)} is not a metric the harness measures{hint}",
            "a metric of docs/metrics.md: " + ", ".join(sorted(METRIC_NAMES)) + ", " + METRIC_PATTERN_TEXT,
        )
    return name


ScenarioName = Annotated[
    str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=MAX_ID_CHARS), Allowed(_NAME_TEXT)
]
MetricName = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=MAX_ID_CHARS),
    AfterValidator(_known_metric),
    Allowed("a metric name: lowercase, digits, '_'"),
]
ItemName = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=MAX_ID_CHARS),
    Allowed("a name: letters, digits, '_', '.' and '-'"),
]
LocatorKey = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=MAX_ID_CHARS),
    Allowed("a locator key: lowercase, digits, '_'"),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _seconds(low: float, high: float) -> Any:
    return Annotated[float, Field(ge=low, le=high), Allowed(f"seconds, from {low:g} to {high:g}")]


class LaunchSpec(_Model):
    """How `launch` starts the app: cold (process killed first) or warm, measured `iterations` times."""

    mode: LaunchMode
    iterations: Annotated[int, Field(ge=1, le=50)] = 1


class Step(_Model):
    """One scenario step; subclasses fix the action and the type of its argument."""

    action: str = ""
    arg: Any = None

    def describe(self) -> str:
        """The step as written in YAML, e.g. `select_filter: warm`."""
        if self.arg is None:
            return self.action
        if isinstance(self.arg, LaunchSpec):
            if self.arg.iterations == 1:
                return f"launch: {self.arg.mode}"
            return f"launch: {{mode: {self.arg.mode}, iterations: {self.arg.iterations}}}"
        if isinstance(self.arg, float):
            return f"{self.action}: {self.arg:g}"
        return f"{self.action}: {self.arg}"

    def locator_keys(self) -> tuple[str, ...]:
        """The locator keys this step needs from the candidate."""
        if isinstance(self, TapStep):
            return (self.arg,)
        return STEP_LOCATORS[self.action]


class LaunchStep(Step):
    action: Literal["launch"] = "launch"
    arg: LaunchSpec

    @property
    def mode(self) -> LaunchMode:
        return self.arg.mode

    @property
    def iterations(self) -> int:
        return self.arg.iterations


class SelectFilterStep(Step):
    action: Literal["select_filter"] = "select_filter"
    arg: str


class SetBeautyStep(Step):
    action: Literal["set_beauty"] = "set_beauty"
    arg: int


class ApplyEffectStep(Step):
    action: Literal["apply_effect"] = "apply_effect"
    arg: str


class WaitStep(Step):
    action: Literal["wait"] = "wait"
    arg: float


class CaptureStep(Step):
    action: Literal["capture"] = "capture"
    arg: float


class RecordStep(Step):
    action: Literal["record"] = "record"
    arg: float


class StartRecordingStep(Step):
    action: Literal["start_recording"] = "start_recording"
    arg: None = None


class StopRecordingStep(Step):
    action: Literal["stop_recording"] = "stop_recording"
    arg: None = None


class TapStep(Step):
    action: Literal["tap"] = "tap"
    arg: str


# action -> (step class, the type its YAML argument is validated against; None: the step takes no argument)
_STEP_TYPES: dict[str, tuple[type[Step], Any]] = {
    "launch": (LaunchStep, Annotated[Any, Allowed("cold, warm, hot, or {mode: cold|warm|hot, iterations: 1..50}")]),
    "select_filter": (SelectFilterStep, ItemName),
    "set_beauty": (
        SetBeautyStep,
        Annotated[int, Field(ge=0, le=100), Allowed("an integer level from 0 to 100")],
    ),
    "apply_effect": (ApplyEffectStep, ItemName),
    "wait": (WaitStep, _seconds(0, 600)),
    "capture": (CaptureStep, _seconds(0.5, 120)),
    "record": (RecordStep, _seconds(0.5, 120)),
    "start_recording": (StartRecordingStep, None),
    "stop_recording": (StopRecordingStep, None),
    "tap": (TapStep, LocatorKey),
}
STEP_ACTIONS: tuple[str, ...] = tuple(_STEP_TYPES)
_STRICT = ConfigDict(strict=True)
_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    action: TypeAdapter(tp, config=_STRICT) for action, (_, tp) in _STEP_TYPES.items() if tp is not None
}


def _step_usage(action: str) -> str:
    arg_type = _STEP_TYPES[action][1]
    return f"{action}" if arg_type is None else f"{action}: {describe(arg_type)}"


class Threshold(_Model):
    """Bounds on one metric: `{min: x}`, `{max: y}` or both (inclusive)."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Threshold:
        if self.min is None and self.max is None:
            raise fail("no bound given", "min, max or both, e.g. {min: 15}")
        for name in ("min", "max"):
            bound = getattr(self, name)
            if bound is not None and not math.isfinite(bound):
                raise fail(f"{name} is {bound}", "a finite number", key=name)
        if self.min is not None and self.max is not None and self.min > self.max:
            raise fail(f"min {self.min:g} is greater than max {self.max:g}", "min <= max")
        return self

    def check(self, value: float) -> bool:
        """True when `value` lies within the bounds (NaN never does)."""
        if math.isnan(value):
            return False
        if self.min is not None and value < self.min:
            return False
        return not (self.max is not None and value > self.max)

    def describe(self) -> str:
        """`>= 15`, `<= 6` or `15..30`."""
        if self.min is not None and self.max is not None:
            return f"{self.min:g}..{self.max:g}"
        if self.min is not None:
            return f">= {self.min:g}"
        return f"<= {self.max:g}"


class ScenarioFile(_Model):
    """A scenario file as written; steps are parsed separately so their errors name the step."""

    name: ScenarioName
    description: Annotated[
        str, Field(max_length=MAX_DESCRIPTION_CHARS), Allowed("text")
    ] = ""
    kind: Kind
    steps: Annotated[
        list[Any],
        Field(min_length=1, max_length=MAX_STEPS),
        Allowed("a list of steps starting with launch"),
    ]
    expect: dict[MetricName, Threshold] = Field(default_factory=dict)
    tags: list[
        Annotated[
            str,
            Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=MAX_ID_CHARS),
            Allowed("lowercase tags"),
        ]
    ] = Field(default_factory=list)


class Scenario(_Model):
    """One validated scenario and the file it came from."""

    INTERNAL_FIELDS: ClassVar[tuple[str, ...]] = ("source",)

    name: str
    description: str
    kind: Kind
    steps: list[Step]
    expect: dict[str, Threshold]
    tags: list[str]
    source: Path

    def locator_keys(self) -> tuple[str, ...]:
        """Every locator key the steps need, in first-use order."""
        return tuple(dict.fromkeys(key for step in self.steps for key in step.locator_keys()))


def _step_error(file: str, loc: Loc, what: str, allowed: str) -> ConfigError:
    return ConfigError(f"{what}; allowed: {allowed}", file=file, key_path=key_path(loc))


def parse_step(raw: Any, *, file: str, loc: Loc) -> Step:
    """One step from its YAML form (`wait: 1.0`, `start_recording`, `launch: {mode: cold}`)."""
    actions = ", ".join(STEP_ACTIONS)
    if isinstance(raw, str):
        action, value, has_value = raw, None, False
    elif isinstance(raw, dict) and len(raw) == 1:
        ((action, value),) = raw.items()
        has_value = value is not None
    elif isinstance(raw, dict):
        keys = ", ".join(str(k) for k in raw)
        raise _step_error(
            file,
            loc,
            f"a step has exactly one key, got {len(raw)} ({keys})",
            "one step per list item; launch options go in a mapping: launch: {mode: cold, iterations: 3}",
        )
    else:
        raise _step_error(
            file,
            loc,
            f"expected a step, got {show(raw)}",
            f"a one-key mapping such as 'wait: 1.0' or a bare step name; steps: {actions}",
        )
    if not isinstance(action, str) or action not in _STEP_TYPES:
        raise _step_error(file, (*loc, str(action)), f"unknown step {show(action)}", actions)
    step_class, arg_type = _STEP_TYPES[action]
    here = (*loc, action)
    if arg_type is None:
        if has_value:
            raise _step_error(
                file, here, f"{action} takes no value, got {show(value)}", f"'- {action}' alone"
            )
        return step_class()
    if not has_value:
        raise _step_error(file, here, f"{action} needs a value", _step_usage(action))
    if action == "launch":
        return LaunchStep(arg=_parse_launch(value, file=file, loc=here))
    try:
        arg = _ADAPTERS[action].validate_python(value)
    except ValidationError as exc:
        raise config_error(exc, root=arg_type, file=file, prefix=here) from None
    return step_class(arg=arg)


def _parse_launch(value: Any, *, file: str, loc: Loc) -> LaunchSpec:
    try:
        if isinstance(value, str):
            return LaunchSpec(mode=_MODE_ADAPTER.validate_python(value))
        if isinstance(value, dict):
            return LaunchSpec.model_validate(value)
    except ValidationError as exc:
        root: Any = LaunchMode if isinstance(value, str) else LaunchSpec
        raise config_error(exc, root=root, file=file, prefix=loc) from None
    raise _step_error(
        file, loc, f"expected cold, warm, hot or a mapping, got {show(value)}", _step_usage("launch")
    )


_MODE_ADAPTER: TypeAdapter[LaunchMode] = TypeAdapter(LaunchMode, config=_STRICT)


def _check_order(steps: list[Step], file: str) -> None:
    """First step is launch; recordings are started before they are stopped, and stopped by the end."""
    if not isinstance(steps[0], LaunchStep):
        raise _step_error(
            file,
            ("steps", 0),
            f"the first step is '{steps[0].describe()}'",
            "launch as the first step (launch: cold or launch: warm)",
        )
    recording_since: int | None = None
    for i, step in enumerate(steps):
        loc: Loc = ("steps", i, step.action)
        if isinstance(step, StartRecordingStep | RecordStep) and recording_since is not None:
            raise _step_error(
                file,
                loc,
                f"a recording is already running since steps[{recording_since}]",
                "stop_recording before starting another recording",
            )
        if isinstance(step, StopRecordingStep) and recording_since is None:
            raise _step_error(file, loc, "no recording is running", "start_recording before stop_recording")
        if isinstance(step, LaunchStep) and recording_since is not None:
            raise _step_error(
                file,
                loc,
                f"relaunch while recording since steps[{recording_since}]",
                "stop_recording before launch",
            )
        if isinstance(step, StartRecordingStep):
            recording_since = i
        elif isinstance(step, StopRecordingStep):
            recording_since = None
    if recording_since is not None:
        raise _step_error(
            file,
            ("steps", recording_since, "start_recording"),
            "this recording is never stopped",
            "a stop_recording step after it",
        )


def parse_scenario(data: Any, *, source: Path) -> Scenario:
    """Validates the content of one scenario file."""
    file = str(source)
    expected = "a mapping with keys name, description, kind, steps, expect, tags (see docs/scenarios.md)"
    if not isinstance(data, dict):
        raise ConfigError(
            f"expected a mapping at the top level, got {show(data)}; allowed: {expected}", file=file
        )
    try:
        parsed = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, root=ScenarioFile, file=file) from None
    steps = [parse_step(raw, file=file, loc=("steps", i)) for i, raw in enumerate(parsed.steps)]
    _check_order(steps, file)
    return Scenario(
        name=parsed.name,
        description=parsed.description,
        kind=parsed.kind,
        steps=steps,
        expect=parsed.expect,
        tags=parsed.tags,
        source=source,
    )


def load_scenario(path: Path) -> Scenario:
    """Reads and validates one scenario file."""
    expected = "a mapping with keys name, description, kind, steps, expect, tags (see docs/scenarios.md)"
    return parse_scenario(read_yaml(path, expected=expected), source=path)


def load_scenarios(directory: Path, *, names: list[str] | None = None) -> list[Scenario]:
    """Every `*.yaml` scenario in `directory`, sorted by file name; `names` keeps those (by scenario name).

    All files are validated even when `names` selects a few, so a broken or duplicate scenario is found early.
    """
    if not directory.is_dir():
        raise ConfigError(
            "not a directory; allowed: a folder of scenario files (*.yaml)", file=str(directory)
        )
    files = sorted(directory.glob("*.yaml"), key=lambda p: p.name)
    if not files:
        raise ConfigError(
            "no scenario files (*.yaml) in this folder; allowed: at least one, see docs/scenarios.md",
            file=str(directory),
        )
    scenarios: list[Scenario] = []
    by_name: dict[str, Scenario] = {}
    for path in files:
        scenario = load_scenario(path)
        if scenario.name in by_name:
            raise ConfigError(
                f"scenario name '{scenario.name}' is already used by {by_name[scenario.name].source}; "
                "allowed: a name unique across scenario files",
                file=str(path),
                key_path="name",
            )
        by_name[scenario.name] = scenario
        scenarios.append(scenario)
    if not names:
        return scenarios
    for name in names:
        if name not in by_name:
            raise ConfigError(
                f"unknown scenario {show(name)}; allowed: {', '.join(by_name)}", key_path="--scenario"
            )
    wanted = set(names)
    return [s for s in scenarios if s.name in wanted]
