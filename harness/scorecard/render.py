"""The vendor scorecard as terminal text tables and as one self-contained HTML page (inline CSS, no scripts,
no external files) that the Allure report embeds and `harness scorecard --html` writes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from harness.pagekit import STYLE, escape
from harness.scorecard.model import Defect, DefectStatus, Scorecard, SdkCard

_CSS: Final = STYLE


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


def _cell_html(text: str) -> str:
    if text.lstrip("-").isdigit():
        return f'<td class="num">{escape(text)}</td>'
    return f"<td>{escape(text)}</td>"


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, row_class: Sequence[str],
                links: Sequence[str | None] = ()) -> str:
    """A table of escaped text; `links[i]`, when given, replaces row i's "ticket" cell (already HTML)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    ticket_col = headers.index("ticket") if "ticket" in headers else -1
    body = []
    for i, row in enumerate(rows):
        cells = [_cell_html(c) for c in row]
        if i < len(links) and links[i] is not None:
            cells[ticket_col] = f"<td>{links[i]}</td>"
        body.append(f'<tr class="{row_class[i]}">{"".join(cells)}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _pass_class(passing: int, devices: int) -> str:
    if devices and passing == devices:
        return "all"
    return "some" if passing else "none"


def _ticket_link(d: Defect) -> str | None:
    if d.ticket is None or d.ticket_url is None:
        return None
    return (f'<a href="{escape(d.ticket_url)}" title="{escape(d.ticket_title or "")}">'
            f"{escape(_ticket_text(d))}</a>")


def _sdk_html(vendor: str, sdk: SdkCard) -> list[str]:
    out = [f"<h2>{escape(vendor)}: {escape(sdk.sdk)}</h2>", "<h3>Devices passing per version</h3>"]
    classes = [_pass_class(len(v.passing), len(v.devices)) for v in sdk.versions]
    out.append(_html_table(_VERSION_HEADERS, _version_rows(sdk, one_line=True), row_class=classes))
    for title, headers, rows, status in _sections(sdk):
        links = [_ticket_link(d) for d in sdk.with_status(status)]
        out += [f"<h3>{escape(title)}</h3>",
                _html_table(headers, rows, row_class=[status] * len(rows), links=links)]
    if not sdk.defects:
        out.append("<p>No adaptation defects seen.</p>")
    out.append(f"<p><b>Release cadence:</b> {escape(sdk.cadence_label)}</p>")
    return out


def scorecard_section(card: Scorecard) -> str:
    """The scorecard as one HTML fragment (a <section> with its own scoped <style>), to put in a page."""
    out = [f"<section class=\"scorecard\"><style>{_CSS}</style>", "<h1>Vendor scorecard</h1>",
           f'<p class="meta">{escape(_header(card))}</p>']
    if not card.vendors:
        out.append("<p>No runs are stored yet.</p>")
    for vendor in card.vendors:
        for sdk in vendor.sdks:
            out += _sdk_html(vendor.vendor, sdk)
    out.append("</section>")
    return "\n".join(out)


def scorecard_html(card: Scorecard) -> str:
    """The scorecard as one standalone HTML page: inline CSS, no scripts, no external files."""
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Vendor scorecard</title>'
            f"</head><body>\n{scorecard_section(card)}\n</body></html>\n")
