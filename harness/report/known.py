"""Known vendor tickets in the Allure results: failed items whose cell matches an open known issue get the
ticket's link, `known: true` and a "[known issue TICKET]" message prefix; plus the report categories that sort
them (and performance / visual regressions) ahead of the harness's own categories."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from harness.errors import ConfigError
from harness.known_issues import KnownIssue, KnownIssues
from harness.pagekit import Cell, Table, TableRow, render_page
from harness.report.allure_meta import Category, allure2_categories
from harness.results import ItemRecord

log = logging.getLogger(__name__)

KNOWN_TAG: Final = "known-issue"
LINK_TYPE: Final = "issue"
FAILED_STATUSES: Final = ("failed", "broken")
_PREFIX_RE: Final = re.compile(r"^\[known issue [^\]]+\] ")

# Adaptation defects (docs/metrics.md) as they appear in the runner's message "adaptation defects on D / C:
# <defect>: <summary>; ...". Performance ones first in the list of categories, so a mixed message sorts there.
PERFORMANCE_DEFECTS: Final = ("frame_drops", "freeze", "jank", "slow_start")
VISUAL_DEFECTS: Final = (
    "rotation", "mirroring", "aspect_stretch", "limited_range", "rb_swap", "bt601_bt709_mismatch",
    "colour_cast", "black_frames", "green_frames", "uniform_frames", "effect_not_applied", "colour_fidelity",
    "beauty_quality", "effect_placement",
)

# Meant to go FIRST, before allure_meta.CATEGORIES: both Allure 2 and 3 stop at the first matching category.
KNOWN_CATEGORIES: Final[tuple[Category, ...]] = (
    Category(
        name="Known issue",
        statuses=FAILED_STATUSES,
        message_pattern=r"^\[known issue [^\]]+\] ",
        description="An open vendor ticket in known-issues.yaml covers the failure (linked on the item).",
    ),
    Category(
        name="Environment limited",
        statuses=("skipped", "passed"),
        message_pattern=r"\[environment\] ",
        description="The machine, not the SDK, limited the frame rate: the pass-through page could not reach it on "
                    "this profile, or the load average was above the cores (harness.hostcap; not an SDK failure).",
    ),
    Category(
        name="Performance regression",
        statuses=FAILED_STATUSES,
        message_pattern=r"adaptation defects on .*\b(?:" + "|".join(PERFORMANCE_DEFECTS) + r"): ",
        description="Frame rate, freezes, jank or start-up fell below the scenario's limits on this device.",
    ),
    Category(
        name="Visual regression",
        statuses=FAILED_STATUSES,
        message_pattern=r"adaptation defects on .*\b(?:" + "|".join(VISUAL_DEFECTS) + r"): ",
        description="The output looks wrong on this device: orientation, stretch, colour range or cast, "
                    "black/green frames, an effect not applied.",
    ),
    Category(
        name="Device not supported",
        statuses=("skipped", "broken"),
        message_pattern=r"\[unsupported\]|[Nn]ot supported (?:on|by) ",
        description="The candidate or scenario does not support this device; nothing was measured.",
    ),
)


def known_issue_category_rules() -> list[dict[str, Any]]:
    """KNOWN_CATEGORIES as Allure 3 config rules, the same shape as allure_meta.allure3_category_rules();
    put them first: `[*known_issue_category_rules(), *allure3_category_rules()]`."""
    return [{"id": c.name, "name": c.name, "matchers": {"statuses": list(c.statuses),
                                                        "message": c.message_pattern}}
            for c in KNOWN_CATEGORIES]


def known_issue_categories_allure2() -> list[dict[str, Any]]:
    """KNOWN_CATEGORIES in Allure 2's categories.json form (messageRegex matches the whole message there)."""
    return [{"name": c.name, "description": c.description, "matchedStatuses": list(c.statuses),
             "messageRegex": f"(?s).*(?:{c.message_pattern}).*"} for c in KNOWN_CATEGORIES]


def write_categories_with_known(results_dir: Path) -> Path:
    """Write categories.json with KNOWN_CATEGORIES first, then allure_meta's categories. Returns the path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / "categories.json"
    data = [*known_issue_categories_allure2(), *allure2_categories()]
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def classify_with_known(status: str, message: str | None, categories: Sequence[Category]) -> str | None:
    """The first of KNOWN_CATEGORIES + `categories` matching (status, message), as Allure applies them."""
    for category in (*KNOWN_CATEGORIES, *categories):
        if status in category.statuses and re.search(category.message_pattern, message or ""):
            return category.name
    return None


# --- matching Allure results to records ---------------------------------------------------------------------
def _unquote(value: Any) -> str:
    """A parameter value as allure-pytest writes it (repr(): "'pixel7'") back to the plain string."""
    text = str(value)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def result_cell(data: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(device, candidate, scenario) of an Allure result from what allure_item_labels writes: parameters
    device, sdk, version and the `suite` label (the scenario). None when one of them is missing."""
    params = {p.get("name"): _unquote(p.get("value")) for p in data.get("parameters") or []
              if isinstance(p, dict)}
    suites = [lb.get("value") for lb in data.get("labels") or []
              if isinstance(lb, dict) and lb.get("name") == "suite"]
    if not all(params.get(k) for k in ("device", "sdk", "version")) or not suites or not suites[0]:
        return None
    return params["device"], f"{params['sdk']}@{params['version']}", str(suites[0])


def read_result(path: Path) -> dict[str, Any]:
    """One *-result.json as a dict; ConfigError naming the file when it is not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"unreadable Allure result ({exc}); allowed: a JSON object",
                          file=str(path)) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"expected a JSON object, got {type(data).__name__}", file=str(path))
    return data


def write_result(path: Path, data: Mapping[str, Any]) -> None:
    """Replace an Allure result file atomically (a report generated meanwhile never reads half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def match_results(results_dir: Path,
                  records: Sequence[ItemRecord]) -> dict[Path, tuple[dict[str, Any], ItemRecord]]:
    """Each *-result.json of `results_dir` that belongs to a record: matched by cell (device, sdk@version,
    scenario) from its parameters and suite label, else by name (the item's title). The last record of a cell
    or name wins, as in a resumed run. Unreadable files are logged and left out."""
    by_cell = {(r.device, r.candidate, r.scenario): r for r in records}
    by_name = {r.name: r for r in records}
    out: dict[Path, tuple[dict[str, Any], ItemRecord]] = {}
    for path in sorted(results_dir.glob("*-result.json")):
        try:
            data = read_result(path)
        except ConfigError as exc:
            log.warning("skipping %s", exc)
            continue
        cell = result_cell(data)
        record = by_cell.get(cell) if cell is not None else None
        if record is None:
            record = by_name.get(str(data.get("name")))
        if record is not None:
            out[path] = (data, record)
    return out


@dataclass(frozen=True, kw_only=True)
class KnownMatch:
    """A failed item and the open known issues covering its cell (and defects)."""

    record: ItemRecord
    issues: tuple[KnownIssue, ...]


def match_known(records: Sequence[ItemRecord], known: KnownIssues) -> list[KnownMatch]:
    """Failed and broken records (the last one per item) that open known issues cover, in record order."""
    latest = {r.item_id: r for r in records}
    out = []
    for record in latest.values():
        if record.status not in FAILED_STATUSES:
            continue
        issues = known.match(device=record.device, candidate=record.candidate, scenario=record.scenario,
                             defects=[str(d.get("defect")) for d in record.defects])
        if issues:
            out.append(KnownMatch(record=record, issues=tuple(issues)))
    return out


def known_prefix(tickets: Sequence[str]) -> str:
    """The message prefix of a known failure: "[known issue PF-77] " (tickets comma-separated)."""
    return f"[known issue {', '.join(tickets)}] "


def mark_known(data: dict[str, Any], issues: Sequence[KnownIssue]) -> dict[str, Any]:
    """`data` (one Allure result) marked as a known failure: an `issue` link per ticket (url when the issue
    has one), statusDetails.known = true, the message prefixed, a `known-issue` tag. Marking twice changes
    nothing."""
    tickets = [i.ticket for i in issues]
    links = [dict(link) for link in data.get("links") or [] if isinstance(link, dict)]
    present = {(link.get("type"), link.get("name")) for link in links}
    for issue in issues:
        if (LINK_TYPE, issue.ticket) not in present:
            url = {"url": issue.url} if issue.url else {}
            links.append({"type": LINK_TYPE, "name": issue.ticket, **url})
    details = dict(data.get("statusDetails") or {})
    message = str(details.get("message") or issues[0].title)
    details["message"] = known_prefix(tickets) + _PREFIX_RE.sub("", message, count=1)
    details["known"] = True
    labels = [dict(lb) for lb in data.get("labels") or [] if isinstance(lb, dict)]
    if not any(lb.get("name") == "tag" and lb.get("value") == KNOWN_TAG for lb in labels):
        labels.append({"name": "tag", "value": KNOWN_TAG})
    return {**data, "links": links, "statusDetails": details, "labels": labels}


def apply_known_issues(results_dir: Path, records: Sequence[ItemRecord],
                       known: KnownIssues) -> list[tuple[str, str]]:
    """Mark every failed or broken Allure result whose cell (and defects) an open known issue covers (see
    mark_known). Passed, skipped and unmatched results are left as they are. Returns (item name, ticket)
    pairs, one per result file and ticket."""
    if not len(known):
        return []
    pairs: list[tuple[str, str]] = []
    for path, (data, record) in match_results(results_dir, records).items():
        if data.get("status") not in FAILED_STATUSES:
            continue
        issues = known.match(device=record.device, candidate=record.candidate, scenario=record.scenario,
                             defects=[str(d.get("defect")) for d in record.defects])
        if not issues:
            continue
        write_result(path, mark_known(data, issues))
        pairs += [(record.name, issue.ticket) for issue in issues]
    return pairs


# --- the known-issues page --------------------------------------------------------------------------------
def _ticket_cell(issue: KnownIssue) -> Cell:
    return Cell(text=issue.ticket, href=issue.url or "")


def known_issues_html(matches: Sequence[KnownMatch], known: KnownIssues, *, today: dt.date) -> str:
    """A standalone page (the page toolkit's known_issues.html): the failed items shown as known (item, status,
    ticket, title, vendor, age), then the open tickets no failure of this run matched (fixed meanwhile, or their
    cells not run)."""
    rows = []
    for m in matches:
        for issue in m.issues:
            age = issue.age_days(today=today)
            rows.append(TableRow(cells=[Cell(text=m.record.name), Cell(text=m.record.status), _ticket_cell(issue),
                                   Cell(text=issue.title), Cell(text=issue.vendor or "-"),
                                   Cell(text="-" if age is None else str(age))]))
    seen = {i.ticket for m in matches for i in m.issues}
    idle = [i for i in known.issues if i.status == "open" and i.ticket not in seen]
    idle_rows = [TableRow(cells=[_ticket_cell(i), Cell(text=i.title), Cell(text=i.device), Cell(text=i.candidate),
                            Cell(text=i.scenario), Cell(text=i.defect or "*")]) for i in idle]
    return render_page(
        "known_issues.html", title="Known issues", source=known.source or "", tickets=len(seen),
        covered=Table(headers=("item", "status", "ticket", "title", "vendor", "age (days)"), rows=rows),
        idle=Table(headers=("ticket", "title", "device", "candidate", "scenario", "defect"), rows=idle_rows))


__all__ = [
    "KNOWN_CATEGORIES",
    "KNOWN_TAG",
    "KnownMatch",
    "apply_known_issues",
    "classify_with_known",
    "known_issue_categories_allure2",
    "known_issue_category_rules",
    "known_issues_html",
    "known_prefix",
    "mark_known",
    "match_known",
    "match_results",
    "result_cell",
    "write_categories_with_known",
]
