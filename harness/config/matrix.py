"""Loads devices.yaml into a MatrixConfig, checks ids and apps across it, and checks it against scenarios."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from harness.config.devices import PLATFORMS, Candidate, Device, DevicesFile, Platform
from harness.config.errors_fmt import config_error, show
from harness.config.scenarios import Scenario, SelectFilterStep
from harness.config.yamlfile import read_yaml
from harness.errors import ConfigError


class Selection(NamedTuple):
    """The devices and candidates a run uses, in devices.yaml order."""

    devices: tuple[Device, ...]
    candidates: tuple[Candidate, ...]


def _pick(kind: str, option: str, wanted: Sequence[str] | None, known: dict[str, Any]) -> tuple[Any, ...]:
    if not wanted:
        return tuple(known.values())
    for item in wanted:
        if item not in known:
            raise ConfigError(f"unknown {kind} {show(item)}; allowed: {', '.join(known)}", key_path=option)
    chosen = set(wanted)
    return tuple(value for key, value in known.items() if key in chosen)


@dataclass(frozen=True)
class MatrixConfig:
    """A validated devices.yaml: the devices, the candidates, and the file they came from."""

    devices: tuple[Device, ...]
    candidates: tuple[Candidate, ...]
    source: Path

    def device(self, device_id: str) -> Device:
        """The device with this id; ConfigError (key path `--device`) listing the known ids otherwise."""
        return _pick("device", "--device", [device_id], {d.id: d for d in self.devices})[0]

    def candidate(self, candidate_id: str) -> Candidate:
        """The candidate with this id; ConfigError (key path `--candidate`) listing the known ids if none."""
        known = {c.id: c for c in self.candidates}
        return _pick("candidate", "--candidate", [candidate_id], known)[0]

    def select(self, devices: Sequence[str] | None, candidates: Sequence[str] | None) -> Selection:
        """The devices and candidates named (None or empty: all), in file order; unknown ids: ConfigError."""
        return Selection(
            devices=_pick("device", "--device", devices, {d.id: d for d in self.devices}),
            candidates=_pick("candidate", "--candidate", candidates, {c.id: c for c in self.candidates}),
        )

    @property
    def platforms(self) -> tuple[Platform, ...]:
        """The platforms the devices use, in PLATFORMS order."""
        used = {d.platform for d in self.devices}
        return tuple(p for p in PLATFORMS if p in used)


_EXPECTED_FILE = "a mapping with keys devices, candidates (see docs/config.md)"


def _cross_check(parsed: DevicesFile, *, file: str) -> None:
    """Unique ids, and an app on every platform the devices use, for every candidate."""
    first_device: dict[str, int] = {}
    for i, device in enumerate(parsed.devices):
        if device.id in first_device:
            raise ConfigError(
                f"device id '{device.id}' is already used by devices[{first_device[device.id]}]; "
                "allowed: a unique id",
                file=file,
                key_path=f"devices[{i}].id",
            )
        first_device[device.id] = i
    first_candidate: dict[str, int] = {}
    for i, candidate in enumerate(parsed.candidates):
        first = first_candidate.get(candidate.id)
        if first is not None:
            raise ConfigError(
                f"candidate id '{candidate.id}' is already used by candidates[{first}]; "
                "allowed: a unique id (default sdk@version; set id: to tell two builds apart)",
                file=file,
                key_path=f"candidates[{i}].id",
            )
        first_candidate[candidate.id] = i
    for i, candidate in enumerate(parsed.candidates):
        for j, device in enumerate(parsed.devices):
            if candidate.app.for_platform(device.platform) is None:
                raise ConfigError(
                    f"no {device.platform} app, but device '{device.id}' (devices[{j}]) needs one; "
                    f"allowed: add app.{device.platform} to candidate '{candidate.id}', or remove the device",
                    file=file,
                    key_path=f"candidates[{i}].app",
                )


def parse_config(data: Any, *, source: Path) -> MatrixConfig:
    """Validates the content of a devices file; LUT paths are resolved against `source`'s folder."""
    file = str(source)
    if not isinstance(data, dict):
        raise ConfigError(
            f"expected a mapping at the top level, got {show(data)}; allowed: {_EXPECTED_FILE}", file=file
        )
    try:
        parsed = DevicesFile.model_validate(data, context={"base_dir": source.resolve().parent})
    except ValidationError as exc:
        raise config_error(exc, root=DevicesFile, file=file) from None
    _cross_check(parsed, file=file)
    return MatrixConfig(devices=tuple(parsed.devices), candidates=tuple(parsed.candidates), source=source)


def load_config(path: Path) -> MatrixConfig:
    """Reads and validates a devices.yaml; any problem is a one-line ConfigError naming the file and key."""
    return parse_config(read_yaml(path, expected=_EXPECTED_FILE), source=path)


def validate_matrix(
    config: MatrixConfig,
    scenarios: Sequence[Scenario],
    *,
    devices: Sequence[Device] | None = None,
    candidates: Sequence[Candidate] | None = None,
) -> None:
    """Raises ConfigError (at `candidates[i].locators` / `.filters` in devices.yaml) for the first gap found.

    A candidate needs every locator key its steps use (see STEP_LOCATORS). A candidate that lists `filters:`
    must list every filter a scenario selects; one without `filters:` is not checked (no reference LUT).
    `candidates` (default: all) limits the check to a selection; `devices` (default: all) must have an app in
    each checked candidate (load_config already checks this for the whole file).
    """
    file = str(config.source)
    chosen = {c.id for c in (config.candidates if candidates is None else candidates)}
    for i, candidate in enumerate(config.candidates):
        if candidate.id not in chosen:
            continue
        for device in config.devices if devices is None else devices:
            if candidate.app.for_platform(device.platform) is None:
                raise ConfigError(
                    f"no {device.platform} app, but device '{device.id}' needs one; "
                    f"allowed: add app.{device.platform} to candidate '{candidate.id}', or leave the device "
                    "out",
                    file=file,
                    key_path=f"candidates[{i}].app",
                )
        for scenario in scenarios:
            _check_candidate(candidate, i, scenario, file=file)


def _check_candidate(candidate: Candidate, index: int, scenario: Scenario, *, file: str) -> None:
    for j, step in enumerate(scenario.steps):
        where = f"{scenario.source}: steps[{j}] ({step.describe()})"
        for key in step.locator_keys():
            if key not in candidate.locators:
                raise ConfigError(
                    f"candidate '{candidate.id}' has no locator '{key}', needed by {where}; "
                    f'allowed: add {key}: "<strategy>=<value>" to its locators',
                    file=file,
                    key_path=f"candidates[{index}].locators",
                )
        if isinstance(step, SelectFilterStep) and candidate.filters and step.arg not in candidate.filters:
            raise ConfigError(
                f"candidate '{candidate.id}' has no filter '{step.arg}', selected by {where}; "
                f"allowed: add {step.arg}: {{lut: <file>.cube}} to its filters "
                f"(it has {', '.join(candidate.filters)})",
                file=file,
                key_path=f"candidates[{index}].filters",
            )
