"""The vendor scorecard as terminal text tables and as one self-contained HTML page (the page toolkit's
scorecard.html: inline CSS, no scripts, no external files) that the Allure report embeds and
`harness scorecard --html` writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from harness.pagekit import Cell, Table, TableRow, render_fragment, render_page
from harness.scorecard.model import Defect, DefectStatus, Scorecard, SdkCard


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, indent: str = "  ") -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return (indent + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _opt(value: object) -> str:
    return "-" if value is None else str(value)


def _ticket_text(d: Defect) -> str:
    """The ticket id; for a defect that is not open, with the ticket's status (an open ticket on a fixed
    defect is worth closing)."""
    if d.ticket is None:
        return "none"
    return d.ticket if d.status == "open" else f"{d.ticket} (ticket {d.ticket_status})"


def _version_rows(card: SdkCard, *, one_line: bool) -> list[list[str]]:
    """One row per version; `one_line=False` puts each failing device on a line of its own."""
    rows: list[list[str]] = []
    for v in card.versions:
        failing = [f.label for f in v.failing] or ["-"]
        head = [v.version, v.first_seen.isoformat(), v.run_id, v.passing_label]
        if one_line:
            rows.append([*head, "; ".join(failing)])
        else:
            rows += [[*head, failing[0]], *([""] * len(head) + [label] for label in failing[1:])]
    return rows


def _open_rows(defects: Sequence[Defect]) -> list[list[str]]:
    return [[d.device, d.scenario, d.defect, d.first_seen_version, d.first_seen.isoformat(), _opt(d.age_days),
             _ticket_text(d), _opt(d.ticket_age_days)] for d in defects]


def _fixed_rows(defects: Sequence[Defect]) -> list[list[str]]:
    return [[d.device, d.scenario, d.defect, ", ".join(d.seen_in), d.first_seen.isoformat(), _opt(d.fixed_in),
             _opt(d.days_to_fix), _ticket_text(d)] for d in defects]


def _unverified_rows(defects: Sequence[Defect]) -> list[list[str]]:
    return [[d.device, d.scenario, d.defect, d.last_seen_version, ", ".join(d.unverified_in),
             _opt(d.age_days), _ticket_text(d)] for d in defects]


_VERSION_HEADERS: Final = ("version", "first seen", "latest run", "devices passing", "failing devices")
_OPEN_HEADERS: Final = ("device", "scenario", "defect", "since version", "first seen", "age (days)", "ticket",
                        "ticket age (days)")
_FIXED_HEADERS: Final = ("device", "scenario", "defect", "seen in", "first seen", "fixed in", "days to fix",
                         "ticket")
_UNVERIFIED_HEADERS: Final = ("device", "scenario", "defect", "last seen in", "no verdict in", "age (days)",
                              "ticket")


def _sections(card: SdkCard) -> list[tuple[str, Sequence[str], list[list[str]], DefectStatus]]:
    """(title, headers, rows, status class) of the defect tables, empty ones left out."""
    opened, fixed = card.with_status("open"), card.with_status("fixed")
    unverified = card.with_status("not_verified")
    parts: list[tuple[str, Sequence[str], list[list[str]], DefectStatus]] = [
        (f"Open defects ({len(opened)})", _OPEN_HEADERS, _open_rows(opened), "open"),
        (f"Not verified: no verdict on the cell since ({len(unverified)})", _UNVERIFIED_HEADERS,
         _unverified_rows(unverified), "not_verified"),
        (f"Fixed ({len(fixed)})", _FIXED_HEADERS, _fixed_rows(fixed), "fixed"),
    ]
    return [p for p in parts if p[2]]


def _header(card: Scorecard) -> str:
    issues = card.known_issues or "none"
    return (f"store {card.store}, {card.run_count} run(s), today {card.today.isoformat()}, "
            f"known issues: {issues}")


def format_scorecard(card: Scorecard) -> str:
    """The scorecard as terminal text: per vendor and SDK, the versions, then open, not verified and fixed
    defects, then the release cadence."""
    out = [f"Vendor scorecard ({_header(card)})"]
    if not card.vendors:
        out.append("No runs are stored yet.")
    for vendor in card.vendors:
        for sdk in vendor.sdks:
            out += ["", f"{vendor.vendor}: {sdk.sdk}"]
            out += _table(_VERSION_HEADERS, _version_rows(sdk, one_line=False))
            for title, headers, rows, _ in _sections(sdk):
                out += ["", f"  {title}", *_table(headers, rows, indent="    ")]
            if not sdk.defects:
                out += ["", "  No adaptation defects seen."]
            out += ["", f"  Release cadence: {sdk.cadence_label}"]
    return "\n".join(out) + "\n"


@dataclass(frozen=True, kw_only=True)
class _TitledTable:
    title: str
    table: Table


@dataclass(frozen=True, kw_only=True)
class _SdkView:
    vendor: str
    sdk: str
    versions: Table
    defect_tables: Sequence[_TitledTable]
    cadence: str


def _cell(text: str) -> Cell:
    return Cell(text=text, css="num" if text.lstrip("-").isdigit() else "")


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, row_class: Sequence[str],
                tickets: Sequence[Defect] = ()) -> Table:
    """A table of text cells; row i's "ticket" cell links to `tickets[i]`'s ticket when it has an address."""
    ticket_col = headers.index("ticket") if "ticket" in headers else -1
    out = []
    for i, row in enumerate(rows):
        cells = [_cell(c) for c in row]
        d = tickets[i] if i < len(tickets) else None
        if d is not None and d.ticket is not None and d.ticket_url is not None:
            cells[ticket_col] = Cell(text=_ticket_text(d), href=d.ticket_url, link_title=d.ticket_title or "")
        out.append(TableRow(cells=cells, css=row_class[i]))
    return Table(headers=headers, rows=out, sections=True)


def _pass_class(passing: int, devices: int) -> str:
    if devices and passing == devices:
        return "all"
    return "some" if passing else "none"


def _sdk_view(vendor: str, sdk: SdkCard) -> _SdkView:
    classes = [_pass_class(len(v.passing), len(v.devices)) for v in sdk.versions]
    tables = [_TitledTable(title=title, table=_html_table(headers, rows, row_class=[status] * len(rows),
                                                          tickets=sdk.with_status(status)))
              for title, headers, rows, status in _sections(sdk)]
    return _SdkView(vendor=vendor, sdk=sdk.sdk, cadence=sdk.cadence_label, defect_tables=tables,
                    versions=_html_table(_VERSION_HEADERS, _version_rows(sdk, one_line=True), row_class=classes))


def _views(card: Scorecard) -> list[_SdkView]:
    return [_sdk_view(vendor.vendor, sdk) for vendor in card.vendors for sdk in vendor.sdks]


def scorecard_section(card: Scorecard) -> str:
    """The scorecard as one HTML fragment (the toolkit's stylesheet, then a <section>), to put in a page."""
    return render_fragment("scorecard.html", header=_header(card), sdks=_views(card))


def scorecard_html(card: Scorecard) -> str:
    """The scorecard as one standalone HTML page (the toolkit's scorecard.html): inline CSS, no scripts, no
    external files."""
    return render_page("scorecard.html", title="Vendor scorecard", header=_header(card), sdks=_views(card))
