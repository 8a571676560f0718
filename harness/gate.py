"""The nightly gate: a run of the new SDK version compared with the last accepted baseline in the results store,
one verdict (pass / regression / infrastructure) and exit code, written as gate.json, gate.html and JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from harness.compare import CompareConfig, compare_rows, is_confirmed_regression, rows_from_mappings
from harness.compare.engine import UpgradeReport
from harness.errors import ConfigError
from harness.store import Store

EXIT_PASS, EXIT_REGRESSION, EXIT_INFRA = 0, 1, 3
GATE_JSON: Final = "gate.json"
GATE_HTML: Final = "gate.html"
ALL: Final = "*"


@dataclass(frozen=True, kw_only=True)
class BaselineRef:
    """The run a (sdk, scenario) of the new run is compared with, and why (an acceptance, or named explicitly)."""

    run_id: str
    sdk: str
    scenario: str  # the acceptance's scope ('*' = every scenario)
    accepted_at: str | None
    accepted_by: str | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "sdk": self.sdk, "scenario": self.scenario, "accepted_at": self.accepted_at,
                "accepted_by": self.accepted_by, "note": self.note}


@dataclass(frozen=True, kw_only=True)
class GateRequest:
    """What the nightly gate needs, settled before any device is touched."""

    store_url: str
    baselines: Mapping[tuple[str, str], BaselineRef]
    config: CompareConfig
    junit_path: Path | None


def resolve_baselines(
    store: Store, cells: Iterable[tuple[str, str]], *, explicit_run: str | None
) -> dict[tuple[str, str], BaselineRef]:
    """The baseline of every (sdk, scenario) the run will measure: `explicit_run` for all of them when given, else
    the newest acceptance covering each. Raises ConfigError, before any device is touched, naming what has none."""
    cells = sorted(set(cells))
    if explicit_run is not None:
        info = store.run(explicit_run)  # ConfigError listing stored runs when unknown
        return {cell: BaselineRef(run_id=info.run_id, sdk=cell[0], scenario=ALL, accepted_at=None,
                                  accepted_by=None, note="named with --baseline") for cell in cells}
    out: dict[tuple[str, str], BaselineRef] = {}
    missing: list[str] = []
    for sdk, scenario in cells:
        found = store.baseline_for(sdk, scenario=scenario)
        if found is None:
            missing.append(f"{sdk}/{scenario}")
            continue
        out[(sdk, scenario)] = BaselineRef(run_id=found.run_id, sdk=sdk, scenario=found.scenario,
                                           accepted_at=found.accepted_at, accepted_by=found.accepted_by,
                                           note=found.note)
    if missing:
        recent = ", ".join(r.run_id for r in store.runs(limit=5)) or "none stored yet"
        raise ConfigError(
            f"no accepted baseline for {', '.join(missing)} in {store.url}; allowed: accept one first with "
            f"`harness baseline accept RUN_ID --sdk SDK` (newest stored runs: {recent}), "
            "or name a run with --baseline RUN_ID",
            key_path="baseline",
        )
    return out


def _regressions(sdk: str, report: UpgradeReport, new_rows: Sequence[Any], base_rows: Sequence[Any]
                 ) -> list[dict[str, Any]]:
    def candidate(rows: Sequence[Any], device: str, scenario: str) -> str:
        names = sorted({r.candidate for r in rows if r.device == device and r.scenario == scenario})
        return ", ".join(names)

    out = []
    for cell in report.cells:
        common: dict[str, Any] = {"sdk": sdk, "device": cell.device, "scenario": cell.scenario,
                  "candidate": candidate(new_rows, cell.device, cell.scenario),
                  "base_candidate": candidate(base_rows, cell.device, cell.scenario)}
        if cell.newly_failing:
            out.append({**common, "metric": None,
                        "message": f"{cell.device} {cell.scenario}: passed on the baseline, {cell.new_status} now"})
        for comparison in cell.comparisons:
            if comparison.verdict in ("regression", "environment"):
                out.append({**common, "metric": comparison.metric,
                            "confirmed": is_confirmed_regression(comparison),
                            "environment": comparison.verdict == "environment",
                            "message": f"{cell.device} {cell.scenario}: {comparison.message}"})
    return out


def _clip_mismatch(store: Store, run_id: str, base_run: str) -> str | None:
    """A warning when the two runs were fed different reference clips (the store's run metadata `clip_version`):
    figures that depend on the clip's motion (tracking, sticker jitter) then differ for that reason alone."""
    versions = [store.run(r).metadata.get("clip_version") for r in (run_id, base_run)]
    if None in versions or versions[0] == versions[1]:
        return None
    return (f"baseline run {base_run} was measured on reference clip version {versions[1]}, this run on version "
            f"{versions[0]}: figures that depend on the clip's motion are not comparable; accept a new baseline "
            "(docs/compare.md, \"Reference clip versions\")")


def evaluate_gate(
    store: Store, *, run_id: str, baselines: Mapping[tuple[str, str], BaselineRef], config: CompareConfig,
    run_failed: str | None = None,
) -> dict[str, Any]:
    """Compares the stored run `run_id` with its baselines (grouped by sdk and baseline run) and returns the
    gate.json document. `run_failed`: why the run itself did not finish (pytest's
    internal error, interrupt), which makes the verdict `infrastructure` unless a regression was found anyway."""
    new_all = rows_from_mappings(store.cell_rows(run_id), source=f"store run {run_id}")
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)  # (sdk, baseline run) -> scenarios
    for (sdk, scenario), ref in sorted(baselines.items()):
        groups[(sdk, ref.run_id)].append(scenario)
    comparisons: list[dict[str, Any]] = []
    regressions: list[dict[str, Any]] = []
    unconfirmed: list[dict[str, Any]] = []  # over the threshold with one value a side: no test was possible
    environment: list[dict[str, Any]] = []  # frame-rate differences on cells the machine limited (not the SDK's)
    warnings: list[str] = []
    for (sdk, base_run), scenarios in groups.items():
        new_rows = [r for r in new_all if r.sdk == sdk and r.scenario in scenarios]
        if not new_rows:
            continue
        base_rows = [r for r in rows_from_mappings(store.cell_rows(base_run, sdk=sdk), source=f"store run {base_run}")
                     if r.scenario in scenarios]
        if not base_rows:
            warnings.append(f"{sdk}: baseline run {base_run} has no items for {', '.join(scenarios)}")
        clip_note = _clip_mismatch(store, run_id, base_run)
        if clip_note is not None and clip_note not in warnings:
            warnings.append(clip_note)
        report = compare_rows(base_rows, new_rows, config=config)
        ref = baselines[(sdk, scenarios[0])]
        comparisons.append({
            "sdk": sdk, "new_candidates": sorted({r.candidate for r in new_rows}),
            "baseline": {**ref.to_dict(), "candidates": sorted({r.candidate for r in base_rows})},
            "scenarios": scenarios,
            "report": report.to_dict(),
        })
        found = _regressions(sdk, report, new_rows, base_rows)
        # Over a frame-rate threshold while the machine limited this run's frame rate: the machine's, not the SDK's.
        environment += [r for r in found if r.get("environment")]
        found = [r for r in found if not r.get("environment")]
        regressions += [r for r in found if r.get("confirmed", True)]
        unconfirmed += [r for r in found if not r.get("confirmed", True)]
        warnings += [w for w in report.warnings if w not in warnings]
        if report.only_base:
            cells = ", ".join(f"{d} {s}" for d, s in report.only_base)
            warnings.append(f"{sdk}: not measured in this run but in the baseline: {cells}")
    broken = [r for r in new_all if r.status == "broken"]
    if broken:
        warnings.append(f"{len(broken)} item(s) broken by the infrastructure: "
                        + ", ".join(r.name or f"{r.scenario}[{r.device}-{r.candidate}]" for r in broken[:10]))
    if run_failed:
        warnings.append(f"the run did not finish: {run_failed}")
    if regressions:
        verdict, code = "regression", EXIT_REGRESSION
    elif broken or run_failed or not new_all:
        verdict, code = "infrastructure", EXIT_INFRA
    else:
        verdict, code = "pass", EXIT_PASS
    gate = {"kind": "gate", "run_id": run_id, "verdict": verdict, "exit_code": code, "alpha": config.alpha,
            "comparisons": comparisons, "regressions": regressions, "unconfirmed": unconfirmed,
            "environment": environment, "warnings": warnings,
            "items": {"total": len(new_all), "broken": len(broken),
                      "failed": sum(r.status == "failed" for r in new_all)}}
    return gate


def infrastructure_gate(run_id: str, reason: str) -> dict[str, Any]:
    """The gate.json of a run that could not be compared at all (not stored, store unreachable)."""
    return {"kind": "gate", "run_id": run_id, "verdict": "infrastructure", "exit_code": EXIT_INFRA,
            "comparisons": [], "regressions": [], "unconfirmed": [], "environment": [], "warnings": [reason],
            "items": {}}


def format_gate(gate: Mapping[str, Any]) -> str:
    """The gate's verdict for the terminal: headline, each regression with its numbers, warnings."""
    lines = [f"Nightly gate: {str(gate['verdict']).upper()} (exit {gate['exit_code']}), run {gate['run_id']}"]
    for comp in gate.get("comparisons", []):
        base = comp["baseline"]
        lines.append(f"  {', '.join(comp['new_candidates'])} against {', '.join(base['candidates']) or comp['sdk']}"
                     f" of run {base['run_id']} (accepted {base.get('accepted_at') or 'by --baseline'})")
        verdicts: dict[str, int] = defaultdict(int)
        for cell in comp["report"]["cells"]:
            verdicts[cell["verdict"]] += 1
        lines.append("    cells: " + (", ".join(f"{v} {n}" for v, n in sorted(verdicts.items())) or "none compared"))
    for reg in gate.get("regressions", []):
        lines.append(f"  REGRESSION {reg['candidate']}: {reg['message']}")
    for reg in gate.get("unconfirmed", []):
        lines.append(f"  unconfirmed (one value a side, repeat to decide) {reg['candidate']}: {reg['message']}")
    for reg in gate.get("environment", []):
        lines.append(f"  environment (the machine limited the frame rate, not an SDK regression) {reg['candidate']}: "
                     f"{reg['message']}")
    lines += [f"  warning: {w}" for w in gate.get("warnings", [])]
    return "\n".join(lines)


def write_gate_files(run_dir: Path, gate: Mapping[str, Any], *, junit_path: Path | None) -> list[Path]:
    """Writes gate.json and gate.html (the page the report's overview shows, harness.report.overview.gate_page)
    into run_dir, and JUnit XML when asked."""
    from harness.report.overview import gate_page

    run_dir.mkdir(parents=True, exist_ok=True)
    written = [run_dir / GATE_JSON, run_dir / GATE_HTML]
    written[0].write_text(json.dumps(gate, indent=1) + "\n", encoding="utf-8")
    written[1].write_text(gate_page(gate), encoding="utf-8")
    if junit_path is not None:
        junit_path.parent.mkdir(parents=True, exist_ok=True)
        junit_path.write_bytes(junit_xml(gate))
        written.append(junit_path)
    return written


def junit_xml(gate: Mapping[str, Any]) -> bytes:
    """JUnit XML (the schema Jenkins, GitLab and GitHub test reporters read): one testcase per compared cell, a
    <failure> per regression with its numbers (threshold-only ones are unconfirmed: system-out only), <error> for
    a cell the infrastructure broke, <skipped> for a baseline cell this run did not measure."""
    suite = ET.Element("testsuite", name="harness nightly gate")
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="run_id", value=str(gate["run_id"]))
    ET.SubElement(props, "property", name="verdict", value=str(gate["verdict"]))
    tests = failures = errors = skipped = 0
    for comp in gate.get("comparisons", []):
        ET.SubElement(props, "property", name=f"baseline.{comp['sdk']}", value=str(comp["baseline"]["run_id"]))
        new = ", ".join(comp["new_candidates"])
        for cell in comp["report"]["cells"]:
            tests += 1
            case = ET.SubElement(suite, "testcase", classname=f"{comp['sdk']}.{cell['device']}",
                                 name=f"{cell['scenario']}[{cell['device']}-{new}]")
            bad = [c for c in cell["comparisons"] if is_confirmed_regression(c)]
            if cell["newly_failing"] or bad:
                failures += 1
                text = "\n".join(
                    ([f"passed on the baseline, {cell['new_status']} now"] if cell["newly_failing"] else [])
                    + [c["message"] for c in bad])
                first = text.splitlines()[0]
                ET.SubElement(case, "failure", message=first, type="regression").text = text
            elif cell["new_status"] == "broken":
                errors += 1
                ET.SubElement(case, "error", message="broken by the infrastructure", type="infrastructure")
            out = "\n".join(c["message"] for c in cell["comparisons"])
            if out:
                ET.SubElement(case, "system-out").text = out
        for device, scenario in comp["report"]["only_base"]:
            tests += 1
            skipped += 1
            case = ET.SubElement(suite, "testcase", classname=f"{comp['sdk']}.{device}",
                                 name=f"{scenario}[{device}-{new}]")
            ET.SubElement(case, "skipped", message="in the baseline, not measured in this run")
    if gate["verdict"] == "infrastructure" and tests == 0:
        tests, errors = 1, 1
        case = ET.SubElement(suite, "testcase", classname="harness", name="nightly run")
        ET.SubElement(case, "error", message="; ".join(gate.get("warnings", []))[:500] or "infrastructure failed",
                      type="infrastructure")
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    root = ET.Element("testsuites", name="harness", tests=str(tests), failures=str(failures), errors=str(errors))
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
