"""The ticket as a document of plain blocks (paragraphs, tables, lists, code, images), built once from the
facts and rendered twice: Markdown for the ticket text, one self-contained HTML page for the excerpt."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.known_issues import KnownIssue
from harness.report.allure_meta import format_metric_value, metric_unit
from harness.results import ItemRecord
from harness.ticket.applog import LogExcerpt
from harness.ticket.baseline import BaselineFacts
from harness.ticket.facts import DeviceFacts, ScenarioFacts


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Items:
    items: tuple[str, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Image:
    member: str  # its path inside the bundle
    caption: str
    mime: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Images:
    images: tuple[Image, ...]


Block = Para | Table | Items | Code | Images


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    html_only: bool = False  # long material (the log excerpt) that the ticket text only points to


@dataclass(frozen=True)
class Document:
    title: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class TicketFacts:
    """Everything the document says, gathered by harness.ticket.bundle."""

    record: ItemRecord
    device: DeviceFacts
    scenario: ScenarioFacts
    baseline: BaselineFacts
    known: tuple[KnownIssue, ...]  # open tickets covering the cell
    closed: tuple[KnownIssue, ...]  # fixed or won't-fix tickets covering it
    environment: dict[str, str]
    reproduce: str
    log: LogExcerpt | None
    log_note: str  # why there is no log excerpt, or ""
    console_source: str | None
    frames: tuple[Image, ...]
    evidence: tuple[Image, ...]
    members: tuple[tuple[str, str], ...]  # (member path, what it is), in bundle order


def _value(value: Any, unit: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{format_metric_value(float(value))} {unit}".rstrip()
    return "not measured" if value is None else str(value)


def headline(record: ItemRecord, *, regression: str | None = None) -> str:
    """The cell and what went wrong, e.g. `pixel7 / glfx@2.0 / filter-warm: colour_cast 3.62 Δa*b* (limit <=
    3.0)`. `regression`: the baseline comparison's first regression, the headline of an item that passed its own
    checks but regressed against the baseline."""
    cell = f"{record.device} / {record.candidate} / {record.scenario}"
    if regression and record.status == "passed":
        return f"{cell}: regression against the baseline: {regression}"
    if record.defects:
        d = record.defects[0]
        value = d.get("value")
        shown = (
            f"{value:.3g}"
            if isinstance(value, int | float) and not isinstance(value, bool)
            else "not measured"
        )
        more = f" (+{len(record.defects) - 1} more)" if len(record.defects) > 1 else ""
        return (
            f"{cell}: {d.get('defect')} {shown} {d.get('unit', '')}".rstrip()
            + f" (limit {d.get('threshold')}){more}"
        )
    failed = [c for c in record.checks if c.verdict == "fail"]
    if failed:
        c = failed[0]
        return f"{cell}: {c.metric} {_value(c.value, c.unit)} (expected {c.threshold})"
    if record.error:
        return f"{cell}: {record.status}: {record.error['message'].splitlines()[0][:160]}"
    return f"{cell}: {record.status}"


def expected_vs_actual(record: ItemRecord) -> Table:
    """Defects first, then failed checks, then the checks that passed."""
    rows = [
        (
            str(d.get("defect")),
            f"limit {d.get('threshold')}",
            _value(d.get("value"), str(d.get("unit", ""))),
            "DEFECT",
            str(d.get("summary", "")),
        )
        for d in record.defects
    ]
    checks = sorted(record.checks, key=lambda c: c.verdict != "fail")
    rows += [
        (c.name, c.threshold, _value(c.value, c.unit), "FAIL" if c.verdict == "fail" else "pass", c.metric)
        for c in checks
    ]
    return Table(("what", "expected", "actual", "verdict", "detail"), tuple(rows))


def _known_section(facts: TicketFacts) -> Section:
    blocks: list[Block] = []
    for issue in facts.known:
        url = f" {issue.url}" if issue.url else ""
        since = f", open since {issue.opened.isoformat()}" if issue.opened else ""
        blocks.append(Para(f"Already reported as {issue.ticket}{url}: {issue.title}{since}."))
    if not facts.known:
        blocks.append(Para("No open ticket in the known issues matches this cell."))
    for issue in facts.closed:
        fixed = f" (fixed in {issue.fixed_in})" if issue.fixed_in else ""
        blocks.append(
            Para(f"Earlier ticket {issue.ticket} ({issue.status}{fixed}) covers this cell: {issue.title}.")
        )
    return Section("Known issue", tuple(blocks))


def _device_section(facts: TicketFacts) -> Section:
    d, r = facts.device, facts.record
    rows = [("Device model", d.model), ("Device id", d.device_id), ("Platform", d.platform), ("OS", d.os)]
    if d.browser:
        rows.append(("Browser", d.browser))
    rows += [
        ("SoC", d.soc),
        ("Tier", d.tier),
        ("Screen", d.screen),
        ("SDK", f"{r.vendor} {r.sdk} {r.version} (candidate {r.candidate})"),
    ]
    if d.engine:
        rows.append(("SDK engine", d.engine))
    error = f" ({r.error['kind']})" if r.error else ""
    rows += [
        ("Run", r.run_id),
        ("Item", r.name),
        ("Started (UTC)", r.started_at),
        ("Duration", f"{r.duration_s:g} s"),
        ("Status", f"{r.status}{error}"),
    ]
    return Section("Device and SDK", (Table(("", ""), tuple(rows)), Para(f"Device facts from {d.source}.")))


def _scenario_section(s: ScenarioFacts) -> Section:
    intro = f"{s.name} ({s.kind}): {s.description}" if s.kind else s.name
    blocks: list[Block] = [Para(intro)]
    if s.steps:
        blocks.append(Items(s.steps, ordered=True))
    if s.expect:
        blocks.append(Para("Expectations: " + "; ".join(f"{m} {t}" for m, t in s.expect)))
    blocks.append(Para(s.source[:1].upper() + s.source[1:] + "."))
    return Section("Scenario steps", tuple(blocks))


def _result_section(r: ItemRecord) -> Section:
    blocks: list[Block] = [expected_vs_actual(r)]
    if r.error:
        blocks.append(Para(f"Error ({r.error['kind']}): {r.error['message']}"))
    return Section("Expected vs actual", tuple(blocks))


def _baseline_section(b: BaselineFacts) -> Section:
    if not b.found:
        return Section("Baseline comparison", (Para(f"No baseline comparison: {b.source}."),))
    blocks: list[Block] = [Para(f"{b.summary}. Source: {b.source}.")]
    blocks.append(
        Items(tuple(f"REGRESSION: {m}" if v == "regression" else m for v, m in b.lines))
        if b.lines
        else Para("The comparison has no metric for this cell.")
    )
    if b.warnings:
        blocks.append(Items(tuple(f"warning: {w}" for w in b.warnings)))
    return Section("Baseline comparison", tuple(blocks))


def _metrics_section(r: ItemRecord) -> Section:
    rows = tuple((name, format_metric_value(value), metric_unit(name)) for name, value in r.metrics.items())
    return Section(
        "All metrics of the item",
        (Table(("metric", "value", "unit"), rows) if rows else Para("No metric was measured."),),
    )


def _logs_section(facts: TicketFacts) -> Section:
    log = facts.log
    items = []
    if log is not None:
        sessions = ", ".join(log.sessions) or "none found"
        items.append(
            f"logs/appium.log: Appium server lines of this item (sessions {sessions}), "
            f"{log.shown_lines} of {log.total_lines} lines"
        )
        items += [f"note: {n}" for n in log.notes]
    else:
        items.append(f"no Appium log excerpt: {facts.log_note}")
    items.append(
        f"logs/console.log: app console from {facts.console_source}"
        if facts.console_source
        else "no app console or logcat was captured for this item"
    )
    return Section("Logs", (Items(tuple(items)),))


def _environment_section(env: dict[str, str]) -> Section:
    keys = (
        ("harness.version", "Harness"),
        ("python.version", "Python"),
        ("appium.server.version", "Appium server"),
        ("chromium.version", "Chromium"),
    )
    rows = tuple((label, env[key]) for key, label in keys if env.get(key))
    return Section(
        "Environment",
        (
            Table(("", ""), rows)
            if rows
            else Para("The run folder records no environment (no environment.properties)."),
        ),
    )


def build_document(facts: TicketFacts) -> Document:
    r = facts.record
    sections = [
        _known_section(facts),
        _device_section(facts),
        _scenario_section(facts.scenario),
        _result_section(r),
        _baseline_section(facts.baseline),
        Section(
            "Reproduce",
            (
                Code(facts.reproduce),
                Para("Run from the project folder with the devices file and scenario of the run."),
            ),
        ),
    ]
    pictures = [
        Section(title, (Images(images),))
        for title, images in (("Key frames", facts.frames), ("Evidence", facts.evidence))
        if images
    ]
    sections += pictures
    sections += [
        _metrics_section(r),
        _logs_section(facts),
        _environment_section(facts.environment),
        Section("Files in this bundle", (Table(("file", "content"), facts.members),)),
    ]
    if facts.log is not None and facts.log.lines:
        sections.append(Section("Appium log excerpt", (Code("\n".join(facts.log.lines)),), html_only=True))
    regression = next((text for verdict, text in facts.baseline.lines if verdict == "regression"), None)
    return Document(title=headline(r, regression=regression), sections=tuple(sections))


def map_text(doc: Document, fn: Callable[[str], str]) -> Document:
    """The document with `fn` applied to every piece of text (not to image data): one place for masking."""

    def block(b: Block) -> Block:
        if isinstance(b, Para | Code):
            return dataclasses.replace(b, text=fn(b.text))
        if isinstance(b, Table):
            return Table(tuple(map(fn, b.header)), tuple(tuple(map(fn, row)) for row in b.rows))
        if isinstance(b, Items):
            return Items(tuple(map(fn, b.items)), b.ordered)
        return Images(
            tuple(dataclasses.replace(i, member=fn(i.member), caption=fn(i.caption)) for i in b.images)
        )

    def section(s: Section) -> Section:
        return Section(fn(s.title), tuple(block(b) for b in s.blocks), s.html_only)

    return Document(fn(doc.title), tuple(section(s) for s in doc.sections))


def plain_sections(doc: Document, *, html: bool) -> Sequence[Section]:
    return [s for s in doc.sections if html or not s.html_only]


__all__ = [
    "Block",
    "Code",
    "Document",
    "Image",
    "Images",
    "Items",
    "Para",
    "Section",
    "Table",
    "TicketFacts",
    "build_document",
    "expected_vs_actual",
    "headline",
    "map_text",
    "plain_sections",
]
