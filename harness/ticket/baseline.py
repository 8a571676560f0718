"""The baseline comparison of one item's cell: from the run's gate.json when the nightly gate wrote one, else
computed against a baseline run given on the command line (harness.compare), else none."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from harness.compare import compare_rows, default_config, load_run_rows
from harness.compare.rows import Row
from harness.config import version_sort_key
from harness.errors import ConfigError
from harness.results import ItemRecord
from harness.ticket.facts import read_json_object

GATE_JSON: Final = "gate.json"
NO_BASELINE: Final = "no baseline comparison"


@dataclass(frozen=True)
class BaselineFacts:
    """What the baseline comparison says about the cell: one line per metric compared, regressions first."""

    found: bool
    source: str  # where the comparison comes from, or why there is none
    summary: str  # the two candidates and the verdict, in one line
    lines: tuple[tuple[str, str], ...]  # (verdict, message)
    warnings: tuple[str, ...]
    excerpt: dict[str, Any] | None  # what the bundle keeps of it (gate.json's cell, or the computed cell)
    excerpt_name: str | None  # its member name in the bundle


def none(reason: str) -> BaselineFacts:
    return BaselineFacts(
        found=False,
        source=reason,
        summary=NO_BASELINE,
        lines=(),
        warnings=(),
        excerpt=None,
        excerpt_name=None,
    )


def _regressions_first(lines: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(lines, key=lambda line: line[0] != "regression"))


def _not_gate(expected: str, value: Any, *, file: Path, key: str) -> ConfigError:
    return ConfigError(f"expected {expected}, got {type(value).__name__}; allowed: the gate.json the nightly gate "
                       "writes (docs/ticket.md)", file=str(file), key_path=key)


def _mapping(value: Any, *, file: Path, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _not_gate("a mapping", value, file=file, key=key)
    return value


def _list(value: Any, *, file: Path, key: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _not_gate("a list", value, file=file, key=key)
    return value


def read_gate(run_dir: Path) -> Mapping[str, Any] | None:
    return read_json_object(run_dir / GATE_JSON, what="gate.json the nightly gate writes (docs/gate.md)")


def gate_regressed(run_dir: Path) -> set[tuple[str, str, str]]:
    """(device, candidate, scenario) of every regression the run's gate.json lists (none without a gate)."""
    gate = read_gate(run_dir)
    out: set[tuple[str, str, str]] = set()
    for entry in (gate or {}).get("regressions", []) or []:
        if isinstance(entry, Mapping):
            for candidate in str(entry.get("candidate", "")).split(", "):
                out.add((str(entry.get("device")), candidate, str(entry.get("scenario"))))
    return out


def _same_cell(entry: Any, record: ItemRecord) -> bool:
    """A gate.json regression entry about the item's sdk, device and scenario."""
    return isinstance(entry, Mapping) and (entry.get("sdk"), entry.get("device"), entry.get("scenario")) == (
        record.sdk, record.device, record.scenario)


def _comparison_lines(cell: Mapping[str, Any], *, file: Path, key: str) -> list[tuple[str, str]]:
    lines = []
    for j, comparison in enumerate(_list(cell.get("comparisons"), file=file, key=f"{key}.comparisons")):
        c = _mapping(comparison, file=file, key=f"{key}.comparisons[{j}]")
        verdict = str(c.get("verdict", "unknown"))
        lines.append((verdict, str(c.get("message") or f"{c.get('metric')}: {verdict}")))
    return lines


def from_gate(gate: Mapping[str, Any], record: ItemRecord, *, file: Path) -> BaselineFacts:
    """The comparison of the item's sdk that covers its candidate, and in it the cell of its device and
    scenario."""
    comparisons = _list(gate.get("comparisons"), file=file, key="comparisons")
    sdks = []
    why = ""
    for i, raw in enumerate(comparisons):
        comparison = _mapping(raw, file=file, key=f"comparisons[{i}]")
        sdks.append(str(comparison.get("sdk")))
        new_candidates = comparison.get("new_candidates") or [record.candidate]
        if comparison.get("sdk") != record.sdk or record.candidate not in new_candidates:
            continue
        report = _mapping(comparison.get("report"), file=file, key=f"comparisons[{i}].report")
        base = _mapping(comparison.get("baseline") or {}, file=file, key=f"comparisons[{i}].baseline")
        for j, raw_cell in enumerate(
            _list(report.get("cells"), file=file, key=f"comparisons[{i}].report.cells")
        ):
            key = f"comparisons[{i}].report.cells[{j}]"
            cell = _mapping(raw_cell, file=file, key=key)
            if cell.get("device") != record.device or cell.get("scenario") != record.scenario:
                continue
            regressions, unconfirmed = (
                [r for r in _list(gate.get(name), file=file, key=name) if _same_cell(r, record)]
                for name in ("regressions", "unconfirmed")
            )
            lines = _comparison_lines(cell, file=file, key=key)
            if cell.get("newly_failing"):
                failing = next((str(r.get("message")) for r in regressions if r.get("metric") is None), None)
                lines.insert(
                    0,
                    (
                        "regression",
                        failing
                        or f"newly failing: {cell.get('base_status')} on "
                        f"{report.get('base')}, {cell.get('new_status')} on {report.get('new')}",
                    ),
                )
            accepted = ", ".join(
                f"{label} {base[k]}"
                for k, label in (("run_id", "run"), ("accepted_by", "accepted by"), ("accepted_at", "at"))
                if base.get(k)
            )
            summary = (
                f"{report.get('new', record.candidate)} against the accepted baseline "
                f"{report.get('base', '?')}"
                + (f" ({accepted})" if accepted else "")
                + f": cell verdict {cell.get('verdict', 'unknown')}, gate verdict {gate.get('verdict')}"
            )
            excerpt = {
                "kind": "gate-cell",
                "run_id": gate.get("run_id"),
                "verdict": gate.get("verdict"),
                "sdk": comparison.get("sdk"),
                "baseline": dict(base),
                "base": report.get("base"),
                "new": report.get("new"),
                "alpha": report.get("alpha"),
                "cell": dict(cell),
                "regressions": [dict(r) for r in regressions],
                "unconfirmed": [dict(r) for r in unconfirmed],
            }
            return BaselineFacts(
                found=True,
                source=f"{GATE_JSON} of this run (written by the nightly gate)",
                summary=summary,
                lines=_regressions_first(lines),
                warnings=tuple(str(w) for w in _list(cell.get("warnings"), file=file, key=f"{key}.warnings")),
                excerpt=excerpt,
                excerpt_name=GATE_JSON,
            )
        only_new = [
            tuple(k)
            for k in _list(report.get("only_new"), file=file, key=f"comparisons[{i}].report.only_new")
        ]
        # The gate compares an sdk once per baseline run: another comparison of it may hold the cell.
        why = (
            "the baseline did not run this device and scenario"
            if (record.device, record.scenario) in only_new or why.startswith("the baseline")
            else "it has no cell for this device and scenario"
        )
    if why:
        return none(f"{GATE_JSON} compares {record.sdk}, but {why}")
    known = ", ".join(sdks) if sdks else "none"
    return none(f"{GATE_JSON} has no comparison for {record.candidate} (sdks compared: {known})")


def _base_candidate(rows: Sequence[Row], record: ItemRecord) -> str | None:
    """The baseline run's candidate of the same sdk: the item's own if it is the only one, else the newest
    version below the item's, else the newest other."""
    candidates = {r.candidate: r.version for r in rows}
    if not candidates:
        return None
    others = {c: v for c, v in candidates.items() if c != record.candidate}
    if not others:
        return record.candidate
    older = {c: v for c, v in others.items() if version_sort_key(v) < version_sort_key(record.version)}
    pool = older or others
    return max(pool, key=lambda c: version_sort_key(pool[c]))


def from_run(run_dir: Path, baseline_run: Path, record: ItemRecord) -> BaselineFacts:
    """The cell compared against a baseline run with the default thresholds (harness.compare)."""

    def cell_rows(rows: Sequence[Row]) -> list[Row]:
        return [
            r for r in rows if (r.device, r.sdk, r.scenario) == (record.device, record.sdk, record.scenario)
        ]

    base_rows = cell_rows(load_run_rows(baseline_run))
    base_candidate = _base_candidate(base_rows, record)
    if base_candidate is None:
        return none(
            f"baseline run {baseline_run.name} has no {record.sdk} item for {record.device} / "
            f"{record.scenario}"
        )
    base = [r for r in base_rows if r.candidate == base_candidate]
    new = [r for r in cell_rows(load_run_rows(run_dir)) if r.candidate == record.candidate]
    report = compare_rows(base, new, config=default_config())
    cell = report.cells[0]
    lines = [(c.verdict, c.message) for c in cell.comparisons]
    if cell.newly_failing:
        lines.insert(
            0,
            (
                "regression",
                f"newly failing: {cell.base_status} on {base_candidate}, "
                f"{cell.new_status} on {record.candidate}",
            ),
        )
    summary = (
        f"{record.candidate} against {base_candidate} of run {baseline_run.name} (default thresholds): "
        f"cell verdict {cell.verdict}"
    )
    excerpt = {
        "kind": "baseline-cell",
        "baseline_run": baseline_run.name,
        "base": report.base_label,
        "new": report.new_label,
        "alpha": report.alpha,
        "cell": cell.to_dict(),
    }
    return BaselineFacts(
        found=True,
        source=f"--baseline {baseline_run.name}, compared now",
        summary=summary,
        lines=_regressions_first(lines),
        warnings=cell.warnings,
        excerpt=excerpt,
        excerpt_name="baseline.json",
    )


def baseline_facts(run_dir: Path, record: ItemRecord, *, baseline_run: Path | None) -> BaselineFacts:
    """gate.json first; a baseline run when gate.json is absent or has no cell for the item; else none."""
    gate = read_gate(run_dir)
    facts = from_gate(gate, record, file=run_dir / GATE_JSON) if gate is not None else None
    if facts is not None and facts.found:
        return facts
    if baseline_run is not None:
        return from_run(run_dir, baseline_run, record)
    if facts is not None:
        return facts
    return none(f"no {GATE_JSON} in the run and no --baseline run given")


__all__ = [
    "GATE_JSON",
    "NO_BASELINE",
    "BaselineFacts",
    "baseline_facts",
    "from_gate",
    "from_run",
    "read_gate",
]
