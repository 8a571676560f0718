"""The one HTML toolkit (harness.pagekit): every page writer renders through its jinja2 templates, so each page
carries the one stylesheet exactly once, escapes what it is given, and a missing template variable is an error.
Pure logic: pages are rendered in memory from hand-built results (no browser needed to read markup)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest

from harness import pagekit
from harness.compare import adaptation_matrix, compare_upgrade, compare_vendors, default_config, html_page
from harness.known_issues import KnownIssue, KnownIssues
from harness.report.known import KnownMatch, known_issues_html
from harness.report.landing import Evidence, landing_html, landing_page
from harness.report.overview import gate_html
from harness.scorecard.model import Defect, FailingDevice, Scorecard, SdkCard, VendorCard, VersionRow
from harness.scorecard.render import scorecard_html, scorecard_section
from harness.ticket.content import Document, Image, Images, Items, Para, Section, Table
from harness.ticket.html import render_html
from tests.test_compare import row
from tests.test_report import make_record

HARNESS = Path(__file__).resolve().parents[1] / "harness"
HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
TODAY = dt.date(2026, 1, 31)


def _compare() -> str:
    rows = [row("pixel7", "glfx@1.0", metrics={"startup_ms": 400}),
            row("pixel7", "glfx@2.0", metrics={"startup_ms": 420}),
            row(HOSTILE, "glfx@1.0", metrics={"startup_ms": 410}, tier="flagship"),
            row(HOSTILE, "glfx@2.0", metrics={"startup_ms": 900}, new=True)]
    config = default_config()
    return html_page(title="compare", adaptation=adaptation_matrix(rows, config=config, match_tag="tier"),
                     upgrade=compare_upgrade(rows, sdk="glfx", base_version="1.0", new_version="2.0", config=config),
                     vendors=compare_vendors(rows, candidates=["glfx@1.0", "glfx@2.0"], config=config))


def _gate() -> str:
    gate = {"run_id": "n1", "verdict": "regression", "exit_code": 1, "warnings": ["baseline from another host"],
            "regressions": [{"sdk": "glfx", "device": HOSTILE, "scenario": "filter-warm", "candidate": "glfx@2.0",
                             "base_candidate": "glfx@1.0", "metric": "startup_ms", "message": "slower"}],
            "comparisons": [{"sdk": "glfx", "baseline": {"run_id": "b1", "accepted_at": "2026-01-01",
                                                         "accepted_by": "ci"},
                             "report": {"new": "2.0", "base": "1.0", "cells": [
                                 {"device": HOSTILE, "scenario": "filter-warm", "comparisons": [
                                     {"metric": "startup_ms", "threshold": "+10%", "base_median": 400,
                                      "new_median": 900, "delta_pct": 125.0, "p_value": 0.001,
                                      "verdict": "regression", "message": "slower"}]}]}}]}
    return gate_html(gate, {"glfx": "<svg><title>deltas</title></svg>"})


def _known() -> str:
    issue = KnownIssue(ticket="LUM-7", title="drops", url="https://tickets.example.com/LUM-7", device=HOSTILE)
    idle = KnownIssue(ticket="LUM-8", title=HOSTILE, device="*")
    record = make_record(device=HOSTILE, status="failed")
    return known_issues_html([KnownMatch(record=record, issues=(issue,))], KnownIssues(issues=(issue, idle)),
                             today=TODAY)


def _scorecard_model() -> Scorecard:
    version = VersionRow(version="2.0", candidate="glfx@2.0", first_seen_at="2026-01-01T00:00:00Z",
                         first_seen=dt.date(2026, 1, 1), run_id="r1", run_started_at="2026-01-01T00:00:00Z",
                         devices=(HOSTILE, "pixel7"), passing=("pixel7",),
                         failing=(FailingDevice(device=HOSTILE, failed=("filter-warm",)),))
    defect = Defect(device=HOSTILE, scenario="filter-warm", defect="frame_drops", status="open", seen_in=("2.0",),
                    first_seen_version="2.0", first_seen=dt.date(2026, 1, 1), first_seen_run="r1",
                    last_seen_version="2.0", age_days=30, ticket="LUM-7", ticket_title=HOSTILE,
                    ticket_url="https://tickets.example.com/LUM-7", ticket_status="open")
    card = SdkCard(vendor="Lumen", sdk="glfx", versions=(version,), defects=(defect,), cadence_days=(),
                   median_cadence_days=None)
    return Scorecard(store="sqlite:///x.db", today=TODAY, known_issues=None, run_count=1,
                     vendors=(VendorCard(vendor="Lumen", sdks=(card,)),))


def _ticket() -> str:
    image = Image(member="frames/key.png", caption=HOSTILE, mime="image/png", data=b"\x89PNG")
    doc = Document(title=f"FAIL on {HOSTILE}", sections=(
        Section(title="What", blocks=(Para(HOSTILE), Table(header=("device", "verdict"), rows=((HOSTILE, "FAIL"),)),
                                      Items(items=(HOSTILE,)))),
        Section(title="Evidence", blocks=(Images(images=(image,)),)),
        Section(title="Log", blocks=(Para("log"),), html_only=True)))
    return render_html(doc)


def _landing() -> str:
    records = [make_record(device=HOSTILE, status="failed", metrics={"content_fps": 8.4},
                           error={"kind": "sdk", "message": "frame_drops"}), make_record(device="pixel7")]
    return landing_html(records, run_id="r1", known={records[0].name: "LUM-7"},
                        evidence={records[0].name: Evidence(image=b"jpeg", image_name=HOSTILE)},
                        notes=[HOSTILE])


PAGES: dict[str, Callable[[], str]] = {
    "comparison": _compare,
    "gate": _gate,
    "known issues": _known,
    "scorecard": lambda: scorecard_html(_scorecard_model()),
    "ticket excerpt": _ticket,
    "landing page": lambda: landing_page(_landing(), title="Run r1"),
}
FRAGMENTS: dict[str, Callable[[], str]] = {
    "landing (Allure description)": _landing,
    "scorecard section": lambda: scorecard_section(_scorecard_model()),
}


@pytest.mark.parametrize("name", PAGES)
def test_every_page_is_the_base_template_with_the_stylesheet_once(name: str) -> None:
    page = PAGES[name]()
    assert page.startswith("<!DOCTYPE html>\n")
    assert page.count(f'<meta name="generator" content="{pagekit.TOOLKIT_MARKER}">') == 1
    assert page.count(pagekit.style_block()) == 1
    assert len(re.findall(r"<style\b", page)) == 1
    assert page.rstrip().endswith("</body></html>")


@pytest.mark.parametrize("name", FRAGMENTS)
def test_every_fragment_starts_with_the_stylesheet_once(name: str) -> None:
    fragment = FRAGMENTS[name]()
    assert fragment.startswith(pagekit.style_block())
    assert len(re.findall(r"<style\b", fragment)) == 1
    assert "<html" not in fragment
    assert "<head" not in fragment


@pytest.mark.parametrize("name", [*PAGES, *FRAGMENTS])
def test_hostile_names_are_escaped_on_every_page(name: str) -> None:
    page = {**PAGES, **FRAGMENTS}[name]()
    assert ESCAPED in page
    assert "<script" not in page


def test_charts_drawn_by_the_harness_are_kept_as_markup() -> None:
    assert "<svg><title>deltas</title></svg>" in _gate()


def test_stylesheet_comes_from_the_real_css_file() -> None:
    css = (HARNESS / "pagekit" / "templates" / "style.css").read_text(encoding="utf-8")
    assert pagekit.STYLESHEET == css
    assert pagekit.style_block() == f"<style>{css}</style>"
    for outside in ("url(", "@import"):  # pages stay self-contained
        assert outside not in css


def test_no_page_markup_or_css_is_built_outside_the_toolkit_templates() -> None:
    """Grep over the harness source: no style element, document skeleton or stylesheet rule in Python code; the
    only style element is the toolkit's _style.html."""
    skeleton = re.compile(r"(?<!\?P)<(?:style|html|head|body)\b|<!doctype", re.IGNORECASE)  # not (?P<head>...)
    rule = re.compile(r"border-collapse|font:\s*\d+px")
    offenders = [f"{p.relative_to(HARNESS.parent)}:{n}" for p in sorted(HARNESS.rglob("*.py"))
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if skeleton.search(line) or rule.search(line)]
    assert offenders == []
    templates = sorted(p.name for p in (HARNESS / "pagekit" / "templates").iterdir()
                       if re.search(r"<style\b", p.read_text(encoding="utf-8")))
    assert templates == ["_style.html"]


def test_the_toolkit_stays_at_the_bottom_layer() -> None:
    from tests.test_architecture import package_graph

    assert package_graph()["pagekit"] == {}


def test_a_missing_template_variable_raises() -> None:
    with pytest.raises(jinja2.UndefinedError, match="'title' is undefined"):
        pagekit.render_page("known_issues.html", source="", tickets=0,
                            covered=pagekit.text_table(("a",), []), idle=pagekit.text_table(("a",), []))
    with pytest.raises(jinja2.UndefinedError, match="'sdks' is undefined"):
        pagekit.render_fragment("scorecard.html", header="h")


def test_autoescape_is_on_for_templates_and_table_cells() -> None:
    table = pagekit.Table(headers=(HOSTILE,), rows=[pagekit.TableRow(cells=[
        pagekit.Cell(text=HOSTILE, title='"quoted"', href="https://x.example/?a=1&b=2")])])
    page = pagekit.render_page("known_issues.html", title=HOSTILE, source=HOSTILE, tickets=1, covered=table,
                               idle=table)
    assert "<script" not in page
    assert 'title="&#34;quoted&#34;"' in page
    assert 'href="https://x.example/?a=1&amp;b=2"' in page


def test_page_from_fragment_refuses_text_the_toolkit_did_not_render() -> None:
    with pytest.raises(ValueError, match=r"allowed: a fragment of pagekit\.render_fragment"):
        pagekit.page_from_fragment("<p>hand made</p>", title="t")


def test_images_are_inline_data_uris() -> None:
    page = _ticket()
    assert 'src="data:image/png;base64,iVBORw=="' in page
    assert re.findall(r'\ssrc="([^"]*)"', page) == ["data:image/png;base64,iVBORw=="]
    assert 'src="data:image/jpeg;base64,anBlZw=="' in _landing()
