"""`harness locators check`: opens a candidate's app on one device, through the same Appium session and launch a
run uses, and reports for every locator in its map whether it finds an element, and what it matched.

`{name}` is filled with each filter / effect name the scenarios use, translated by the candidate's `names:` map;
`{level}` with 50. The panel of a control (open_filter_panel, ...) is tapped first, as a scenario step does, and
`recording_result` is looked for after a one-second recording (start_recording, stop_recording), since most
apps create it then. Exit 0 when every locator is found, 1 when one is missing, 2 bad input, 3 infrastructure.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from harness.config import load_config, load_scenarios, validate_matrix
from harness.config.devices import Candidate, Device
from harness.config.scenarios import ApplyEffectStep, Scenario, SelectFilterStep
from harness.devices.session import DeviceSession
from harness.errors import ConfigError, InfrastructureError, SdkDefectError
from harness.exitcodes import EXIT_FAILED, EXIT_OK

PANEL_OF = {"select_filter": "open_filter_panel", "set_beauty": "open_beauty_panel",
            "apply_effect": "open_effect_panel"}
NAME_KIND: dict[str, Literal["filter", "effect"]] = {"select_filter": "filter", "apply_effect": "effect"}
FIND_TIMEOUT_S = 3.0
LEVEL = 50


@dataclass(frozen=True)
class LocatorResult:
    """One locator as checked: the key, the value filled in, and what it matched (None fields when missing)."""

    key: str
    locator: str
    found: bool
    tag: str = ""
    ident: str = ""  # '#id.class1.class2' of the element, or its resource id on a phone
    text: str = ""
    displayed: bool = False

    def line(self) -> str:
        if not self.found:
            return f"MISSING {self.key:<18} {self.locator}"
        shown = "displayed" if self.displayed else "hidden"
        text = f' "{self.text}"' if self.text else ""
        return f"found   {self.key:<18} {self.locator} -> <{self.tag}{self.ident}>{text} ({shown})"


def names_to_fill(candidate: Candidate, scenarios: list[Scenario], key: str) -> list[str]:
    """The app's names `{name}` takes for `key`: every filter (effect) the scenarios select, translated."""
    kind = NAME_KIND.get(key)
    if kind is None:
        return []
    step_type = SelectFilterStep if kind == "filter" else ApplyEffectStep
    wanted = dict.fromkeys(str(step.arg) for s in scenarios for step in s.steps if isinstance(step, step_type))
    return [candidate.app_name(kind, n) for n in wanted if n != "none"]


def planned(candidate: Candidate, scenarios: list[Scenario]) -> list[tuple[str, dict[str, Any]]]:
    """(key, placeholder values) for every check, in the map's order; recording_result last."""
    out: list[tuple[str, dict[str, Any]]] = []
    for key, text in candidate.locators.items():
        if key == "recording_result":
            continue
        if "{name}" in text:
            out += [(key, {"name": n, "level": LEVEL}) for n in names_to_fill(candidate, scenarios, key) or ["none"]]
        else:
            out.append((key, {"name": "", "level": LEVEL}))
    if "recording_result" in candidate.locators:
        out.append(("recording_result", {"name": "", "level": LEVEL}))
    return out


_DESCRIBE_JS = ("const e = arguments[0]; const cls = (typeof e.className === 'string' ? e.className : '')"
                ".trim().split(/\\s+/).filter(Boolean).map(c => '.' + c).join('');"
                "return [e.tagName.toLowerCase(), (e.id ? '#' + e.id : '') + cls,"
                " (e.innerText || e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 40)];")


def describe(session: DeviceSession, key: str, values: dict[str, Any]) -> LocatorResult:
    text = session.locators[key]
    shown = text.format(**values)
    try:
        element = session.find(key, timeout_s=FIND_TIMEOUT_S, visible=False, **values)
    except SdkDefectError:
        return LocatorResult(key, shown, False)
    if session.platform == "web":
        tag, ident, label = session.script(_DESCRIBE_JS, element)
    else:
        tag, ident, label = element.tag_name, str(element.get_attribute("resource-id") or ""), element.text
    return LocatorResult(key, shown, True, str(tag), str(ident), " ".join(str(label).split()),
                         bool(element.is_displayed()))


def check_candidate(session: DeviceSession, candidate: Candidate, scenarios: list[Scenario]) -> list[LocatorResult]:
    """Checks every locator of the running app (the app must be launched)."""
    results: list[LocatorResult] = []
    for key, values in planned(candidate, scenarios):
        panel = PANEL_OF.get(key)
        if panel and session.has(panel) and not session.visible(key, **values):
            try:
                session.tap(panel)
            except SdkDefectError:
                pass  # the panel's own line reports it missing
        if key == "recording_result" and session.has("start_recording") and session.has("stop_recording"):
            try:
                session.tap("start_recording")
                time.sleep(1.0)
                session.tap("stop_recording")
            except SdkDefectError:
                pass
        results.append(describe(session, key, values))
    return results


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               formatter: type[argparse.HelpFormatter]) -> None:
    loc = sub.add_parser("locators", formatter_class=formatter, help="check a candidate app's locator map")
    what = loc.add_subparsers(dest="locators_command", required=True)
    check = what.add_parser("check", formatter_class=formatter,
                            help="open the app and report, for every locator, found or missing and what it matched")
    check.add_argument("--candidate", required=True, metavar="ID", help="the candidate whose app is opened")
    check.add_argument("--device", metavar="ID", help="the device (default: the first one the candidate runs on)")
    check.add_argument("--devices", default="devices.yaml", metavar="FILE",
                       help="the devices file naming the candidate and its devices")
    check.add_argument("--scenarios", default="scenarios", metavar="DIR",
                       help="where the filter and effect names that fill {name} come from")


def _pick_device(devices: tuple[Device, ...], candidate: Candidate, wanted: str | None) -> Device:
    if wanted is not None:
        for d in devices:
            if d.id == wanted:
                return d
    usable = [d for d in devices if d.platform in candidate.app.platforms]
    if not usable:
        raise ConfigError(f"--device: no device in the file runs candidate '{candidate.id}'; allowed: "
                          f"a device of platform {', '.join(candidate.app.platforms)}", key_path="--device")
    return usable[0]


def main(args: argparse.Namespace) -> int:
    from harness.platforms.factory import platform_for
    from harness.run import Run

    config = load_config(Path(args.devices))
    scenarios = load_scenarios(Path(args.scenarios))
    selection = config.select([args.device] if args.device else None, [args.candidate])
    candidate = selection.candidates[0]
    device = _pick_device(selection.devices, candidate, args.device)
    validate_matrix(config, scenarios, devices=[device], candidates=[candidate])
    label = f"{candidate.label} on {device.id}"
    with tempfile.TemporaryDirectory(prefix="harness-locators-") as tmp:
        (Path(tmp) / "logs").mkdir()
        run = Run(run_id="locators", run_dir=Path(tmp), config=config, scenarios=scenarios, devices=[device],
                  candidates=[candidate], write_files=False)
        platform = platform_for(services=run.services(), device=device, candidate=candidate, label=label)
        try:
            platform.launch("cold")
            if platform.session is None:
                raise InfrastructureError(f"[infrastructure] no session after launching the app on {label}")
            results = check_candidate(platform.session, candidate, scenarios)
        finally:
            platform.close()
            run.stop()
    for r in results:
        print(r.line())
    missing = [r for r in results if not r.found]
    print(f"{label}: {len(results) - len(missing)} of {len(results)} locators found"
          + (f", missing: {', '.join(dict.fromkeys(r.key for r in missing))}" if missing else ""))
    return EXIT_FAILED if missing else EXIT_OK
