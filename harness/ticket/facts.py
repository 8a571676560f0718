"""What a ticket says about one item of a run: which record it is, the device and scenario behind it, the
run's environment, the command that reproduces it, and the item's files (frames, evidence, clip, console)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final

from harness.config import load_config, load_scenario
from harness.config.devices import Device
from harness.errors import ConfigError
from harness.results import ItemRecord, item_dir

FAILING: Final = ("failed", "broken")
IMAGE_SUFFIXES: Final = (".png", ".jpg", ".jpeg")
CLIP_SUFFIXES: Final = (".webm", ".mp4", ".mkv", ".mov")
CONSOLE_FILES: Final = ("console.log", "console.txt", "logcat.log", "logcat.txt")
CONSOLE_KEYS: Final = (
    "console",
    "logcat",
)  # keys of details.json's "details" that may hold app console lines


@dataclass(frozen=True)
class DeviceFacts:
    """The device as a vendor needs it: model, OS, SoC, tier and screen."""

    device_id: str
    model: str
    platform: str
    os: str
    soc: str
    tier: str
    screen: str
    browser: str | None
    engine: str | None  # the candidate's rendering engine, from devices.yaml
    source: str  # where these facts come from


@dataclass(frozen=True)
class ScenarioFacts:
    """The scenario's steps and expectations, as its file gives them (or why they are unknown)."""

    name: str
    description: str
    kind: str
    steps: tuple[str, ...]
    expect: tuple[tuple[str, str], ...]
    source: str
    path: Path | None


@dataclass(frozen=True)
class ItemFiles:
    """The item's files that go into a ticket, each list sorted by name."""

    frames: tuple[Path, ...]
    evidence: tuple[Path, ...]
    clips: tuple[Path, ...]
    console: tuple[str, ...]  # app console / logcat lines
    console_source: str | None


def _item_keys(run_dir: Path, record: ItemRecord) -> set[str]:
    return {record.name, record.item_id, item_dir(run_dir, record).name}


def find_item(records: Sequence[ItemRecord], item: str, *, run_dir: Path, force: bool,
              regressed: Collection[tuple[str, str, str]] = ()) -> ItemRecord:
    """The record named `item` (its name, its items/ folder or its pytest node id); the last one when the run
    repeated it. An unknown item, or one that did not fail without `force`, is a ConfigError. `regressed`:
    (device, candidate, scenario) cells the nightly gate found regressed, which count as failing even when the
    item itself passed."""
    def failing_cell(r: ItemRecord) -> bool:
        return r.status in FAILING or (r.device, r.candidate, r.scenario) in regressed

    failing = [r.name for r in records if failing_cell(r)]
    failing_text = ", ".join(failing) if failing else "none: every item of this run passed or was skipped"
    matches = [r for r in records if item in _item_keys(run_dir, r)]
    if not matches:
        raise ConfigError(
            f"no item {item!r} in run {run_dir.name}; allowed: an item's name, its items/ folder or "
            f"its node id; failing items: {failing_text}",
            key_path="ITEM",
        )
    record = matches[-1]
    if not failing_cell(record) and not force:
        raise ConfigError(
            f"item {record.name!r} {record.status} in run {run_dir.name}: a ticket is for a failing "
            f"item; allowed: a failed or broken item ({failing_text}), or --force",
            key_path="ITEM",
        )
    return record


def read_json_object(path: Path, *, what: str) -> dict[str, Any] | None:
    """A JSON object file written by the harness (`what` names it in errors), or None when there is no file."""
    if not path.is_file():
        return None
    allowed = f"allowed: the {what}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not readable JSON ({exc}); {allowed}", file=str(path)) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"expected a JSON object, got {type(data).__name__}; {allowed}", file=str(path))
    return data


def read_details(path: Path) -> dict[str, Any] | None:
    """An item's details.json, or None when the item has none."""
    return read_json_object(path, what="details.json the runner writes")


_PROPERTY_ESCAPES: Final = {"n": "\n", "r": "\r", "t": "\t"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _PROPERTY_ESCAPES.get(m.group(1), m.group(1)), text)


def read_environment(run_dir: Path) -> dict[str, str]:
    """The run's environment.properties (harness, Python, Appium, Chromium versions, devices file), if any."""
    path = run_dir / "allure-results" / "environment.properties"
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "!")):
            continue
        match = re.match(r"((?:\\.|[^=\\])*)=(.*)", line)
        if match:
            out[_unescape(match.group(1))] = _unescape(match.group(2))
    return out


def _relative(path: Path, root: Path) -> Path | None:
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        return None


def devices_file(environment: Mapping[str, str], *, project_root: Path) -> Path:
    """The devices file the run used (environment.properties records it), else the project's devices.yaml."""
    recorded = environment.get("devices.yaml")
    if recorded and Path(recorded).is_file():
        return Path(recorded)
    return project_root / "devices.yaml"


def _web_os(user_agent: str) -> str:
    """`Android 14 (emulated: ...)` from a phone profile's user agent; the page really runs in Chromium."""
    system = re.search(r"\(([^)]*)\)", user_agent)
    inside = system.group(1) if system else user_agent
    release = re.search(r"Android [\d.]+|(?:iPhone )?OS [\d_]+", inside)
    name = release.group(0).replace("_", ".") if release else "unknown"
    return f"{name} (emulated: Chromium phone profile, user agent \"{inside}\")"


def device_facts(
    record: ItemRecord, *, devices_path: Path, environment: Mapping[str, str], project_root: Path
) -> DeviceFacts:
    """The device of `record`: the run's record, completed from the devices file if it still lists it."""
    device: Device | None = None
    engine: str | None = None
    shown = _relative(devices_path, project_root)
    where = str(shown) if shown is not None else devices_path.name
    try:
        config = load_config(devices_path)
        device = next((d for d in config.devices if d.id == record.device), None)
        candidate = next((c for c in config.candidates if c.id == record.candidate), None)
        engine = candidate.engine if candidate is not None else None
        source = (
            f"the run's record and {where} (read now; the run does not keep a copy)"
            if device
            else f"the run's record ({where} has no device {record.device!r} any more)"
        )
    except ConfigError as exc:
        source = f"the run's record ({where} not readable now: {exc.detail})"
    soc = str(record.tags.get("soc") or record.tags.get("chipset") or "unknown")
    tier = str(record.tags.get("tier", "unknown"))
    browser = None
    screen = "unknown"
    if device is not None and device.emulation is not None:
        emu = device.emulation
        width, height, ratio = emu.viewport.width, emu.viewport.height, emu.pixel_ratio
        screen = (
            f"{width}x{height} CSS px at {ratio:g}x ({round(width * ratio)}x{round(height * ratio)} px), "
            f"{device.refresh_hz:g} Hz"
        )
        if emu.cpu_throttling > 1:
            screen += f", CPU throttled {emu.cpu_throttling:g}x"
        os_text = _web_os(emu.user_agent)
    elif device is not None:
        name = {"android": "Android", "ios": "iOS"}.get(device.platform, device.platform)
        version = device.native.os_version if device.native is not None else None
        os_text = f"{name} {version}" if version else f"{name}, version unknown (native.os_version not set)"
        screen = f"{device.refresh_hz:g} Hz"
    else:
        os_text = f"{record.platform}, version unknown"
    if record.platform == "web":
        browser = environment.get("chromium.version") or "Chromium, version unknown"
    return DeviceFacts(
        device_id=record.device,
        model=record.device_name,
        platform=record.platform,
        os=os_text,
        soc=soc,
        tier=tier,
        screen=screen,
        browser=browser,
        engine=engine,
        source=source,
    )


def _scenario_paths(record: ItemRecord, project_root: Path, run_dir: Path | None) -> list[Path]:
    """Where the scenario file may be: the run's own copy (inputs/scenarios/), the file named by the node id, then
    scenarios/<name>.yaml."""
    paths: list[Path] = []
    if run_dir is not None:
        paths.append(run_dir / "inputs" / "scenarios" / f"{record.scenario}.yaml")
    node_file = record.item_id.split("::", 1)[0]
    if node_file.endswith((".yaml", ".yml")):
        posix = PurePosixPath(node_file)
        paths.append(Path(posix) if posix.is_absolute() else project_root / posix)
        paths.append(Path.cwd() / posix)
    paths.append(project_root / "scenarios" / f"{record.scenario}.yaml")
    paths.extend(sorted((project_root / "scenarios").glob("*.yaml")))
    return list(dict.fromkeys(paths))


def scenario_facts(record: ItemRecord, *, project_root: Path, run_dir: Path | None = None) -> ScenarioFacts:
    """The scenario's steps: from the copy the run kept (run_dir/inputs/scenarios/), else from its file now."""
    unreadable: list[str] = []
    for path in _scenario_paths(record, project_root, run_dir):
        if not path.is_file():
            continue
        try:
            scenario = load_scenario(path)
        except ConfigError as exc:
            # Perhaps another scenario's file; named in the summary if the scenario is not found elsewhere.
            unreadable.append(f"{path.name}: {exc.detail}")
            continue
        if scenario.name != record.scenario:
            continue
        shown = _relative(path, project_root)
        where = f"{shown} in the project" if shown is not None else path.name
        kept = run_dir is not None and path.parent == run_dir / "inputs" / "scenarios"
        return ScenarioFacts(
            name=scenario.name,
            description=scenario.description,
            kind=scenario.kind,
            steps=tuple(step.describe() for step in scenario.steps),
            expect=tuple((metric, t.describe()) for metric, t in scenario.expect.items()),
            source=(
                f"steps from the run's own copy of the scenario (inputs/scenarios/{path.name})" if kept else
                f"steps from {where}, read now: the run folder keeps no copy of the scenario, so they may "
                "have changed since the run"
            ),
            path=path,
        )
    return ScenarioFacts(
        name=record.scenario,
        description="",
        kind="",
        steps=(),
        expect=(),
        source=f"scenario {record.scenario!r} not found in the project: steps unknown"
        + (f" (files that do not load now: {'; '.join(unreadable)})" if unreadable else ""),
        path=None,
    )


def reproduce_command(
    record: ItemRecord, *, devices_path: Path, scenario_path: Path | None, project_root: Path
) -> str:
    """`harness run ...` for this one cell, with paths relative to the project (never the user's own)."""
    shown = _relative(devices_path, project_root)
    parts = ["harness", "run", "--devices", str(shown) if shown is not None else devices_path.name]
    if scenario_path is not None:
        folder = _relative(scenario_path.parent, project_root)
        name = str(folder) if folder is not None else scenario_path.parent.name
        if name != "scenarios":
            parts += ["--scenarios", name]
    parts += ["--device", record.device, "--candidate", record.candidate, "--scenario", record.scenario]
    return " ".join(parts)


def _console_lines(details: Mapping[str, Any] | None) -> tuple[tuple[str, ...], str | None]:
    inner = details.get("details") if isinstance(details, Mapping) else None
    if not isinstance(inner, Mapping):
        return (), None
    for key in CONSOLE_KEYS:
        value = inner.get(key)
        if isinstance(value, str) and value.strip():
            return tuple(value.splitlines()), f"details.json: details.{key}"
        if isinstance(value, list) and value:
            return tuple(
                v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in value
            ), f"details.json: details.{key}"
    return (), None


def recorded_sessions(details: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Appium session ids the run recorded for the item (details.session_ids), if it did."""
    inner = details.get("details") if isinstance(details, Mapping) else None
    ids = inner.get("session_ids") if isinstance(inner, Mapping) else None
    return tuple(str(s) for s in ids) if isinstance(ids, list) else ()


def item_files(folder: Path, details: Mapping[str, Any] | None) -> ItemFiles:
    """The item folder's key frames, evidence images, clips and app console."""
    files = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    frames = tuple(p for p in images if p.name.startswith("key_frame"))
    evidence = tuple(p for p in images if not p.name.startswith("key_frame"))
    clips = tuple(p for p in files if p.suffix.lower() in CLIP_SUFFIXES)
    console, source = _console_lines(details)
    for name in CONSOLE_FILES:
        path = folder / name
        if not console and path.is_file():
            console = tuple(path.read_text(encoding="utf-8", errors="replace").splitlines())
            source = f"items/{folder.name}/{name}"
    return ItemFiles(frames=frames, evidence=evidence, clips=clips, console=console, console_source=source)


__all__ = [
    "FAILING",
    "DeviceFacts",
    "ItemFiles",
    "ScenarioFacts",
    "device_facts",
    "devices_file",
    "find_item",
    "item_files",
    "read_details",
    "read_environment",
    "recorded_sessions",
    "reproduce_command",
    "scenario_facts",
]
