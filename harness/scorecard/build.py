"""Builds the vendor scorecard from the results store: each SDK version's devices passing in its latest run,
the life of every adaptation defect across versions (open with its ticket and age, fixed in a version, or not
verified), and the release cadence. Definitions: docs/scorecard.md."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from harness.config import version_sort_key
from harness.errors import ConfigError
from harness.known_issues import KnownIssue, KnownIssues
from harness.scorecard.model import (
    DEFECT_STATUSES,
    Defect,
    DefectStatus,
    FailingDevice,
    Scorecard,
    SdkCard,
    VendorCard,
    VersionRow,
)
from harness.store import ItemInfo, RunInfo, Store

_RAN = ("passed", "failed")  # statuses that give the SDK a verdict on a cell; broken and skipped do not


def _utc(text: str) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(text)
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def _run_start(run: RunInfo) -> str:
    """A run's start; a run stored without one counts from when it was ingested."""
    return run.started_at or run.ingested_at


def defect_names(item: ItemInfo) -> dict[str, str]:
    """The item's adaptation defects, name -> one-line summary; a failed item without a named defect gives
    failed:<error kind>."""
    found = {str(d["defect"]): str(d.get("summary") or "") for d in item.defects if d.get("defect")}
    if not found and item.status == "failed":
        found[f"failed:{item.error_kind or 'unknown'}"] = item.error_message or ""
    return found


@dataclass
class _Cell:
    """One device and scenario in a version's latest run."""

    ran: bool = False  # an item passed or failed there (a verdict, so an absent defect counts as absent)
    defects: dict[str, str] = field(default_factory=dict)


@dataclass
class _Version:
    version: str
    candidate: str
    first_start: dt.datetime
    first_start_text: str
    latest_run: str
    latest_start_text: str
    latest_items: list[ItemInfo] = field(default_factory=list)

    def cells(self) -> dict[tuple[str, str], _Cell]:
        out: dict[tuple[str, str], _Cell] = defaultdict(_Cell)
        for item in self.latest_items:
            cell = out[(item.device_id, item.scenario)]
            cell.ran = cell.ran or item.status in _RAN
            for name, summary in defect_names(item).items():
                cell.defects.setdefault(name, summary)
        return dict(out)


@dataclass(frozen=True)
class _Seen:
    """One stored item that showed a defect."""

    start: dt.datetime
    run_id: str
    version: str


@dataclass
class _Lineage:
    """Everything read for one vendor's SDK."""

    vendor: str
    sdk: str
    versions: dict[str, _Version] = field(default_factory=dict)
    seen: dict[tuple[str, str, str], list[_Seen]] = field(default_factory=lambda: defaultdict(list))

    def add(self, run: RunInfo, item: ItemInfo) -> None:
        start_text = _run_start(run)
        start = _utc(start_text)
        found = self.versions.get(item.version)
        if found is None:  # runs arrive newest first: the first run met is the version's latest
            found = self.versions[item.version] = _Version(
                version=item.version, candidate=item.candidate_id, first_start=start,
                first_start_text=start_text, latest_run=run.run_id, latest_start_text=start_text)
        elif start <= found.first_start:
            found.first_start, found.first_start_text = start, start_text
        if found.latest_run == run.run_id:
            found.latest_items.append(item)
        for name in defect_names(item):
            self.seen[(item.device_id, item.scenario, name)].append(_Seen(start, run.run_id, item.version))

    def ordered(self) -> list[_Version]:
        return sorted(self.versions.values(), key=lambda v: (v.first_start, version_sort_key(v.version)))


def _version_row(version: _Version) -> VersionRow:
    by_device: dict[str, list[ItemInfo]] = defaultdict(list)
    for item in version.latest_items:
        if item.status != "skipped":
            by_device[item.device_id].append(item)
    passing: list[str] = []
    failing: list[FailingDevice] = []
    for device, items in sorted(by_device.items()):
        if all(i.status == "passed" for i in items):
            passing.append(device)
            continue
        failing.append(FailingDevice(
            device=device,
            failed=tuple(sorted({i.scenario for i in items if i.status == "failed"})),
            broken=tuple(sorted({i.scenario for i in items if i.status == "broken"}))))
    return VersionRow(
        version=version.version, candidate=version.candidate, first_seen_at=version.first_start_text,
        first_seen=version.first_start.date(), run_id=version.latest_run,
        run_started_at=version.latest_start_text, devices=tuple(sorted(by_device)), passing=tuple(passing),
        failing=tuple(failing))


def _ticket(known: KnownIssues, *, vendor: str, device: str, candidate: str, scenario: str, defect: str,
            include_closed: bool) -> KnownIssue | None:
    """The first matching known issue whose vendor (when it names one) is this vendor."""
    for issue in known.match(device=device, candidate=candidate, scenario=scenario, defects=(defect,),
                             include_closed=include_closed):
        if issue.vendor is None or issue.vendor.casefold() == vendor.casefold():
            return issue
    return None


@dataclass
class _Episode:
    start: int  # index of the version the defect (re)appeared in
    seen_in: list[int]
    no_verdict: list[int] = field(default_factory=list)


def _defects(lineage: _Lineage, order: Sequence[_Version], rows: Sequence[VersionRow], *, known: KnownIssues,
             today: dt.date) -> list[Defect]:
    cells = [v.cells() for v in order]
    index = {v.version: i for i, v in enumerate(order)}
    keys = sorted({(d, s, name) for per in cells for (d, s), cell in per.items() for name in cell.defects})
    out: list[Defect] = []
    for key in keys:
        device, scenario, name = key
        episode: _Episode | None = None
        for i, per in enumerate(cells):
            cell = per.get((device, scenario))
            if cell is not None and name in cell.defects:
                if episode is None:
                    episode = _Episode(start=i, seen_in=[])
                episode.seen_in.append(i)
                episode.no_verdict.clear()
            elif episode is not None and cell is not None and cell.ran:
                out.append(_defect(lineage, key, episode, end=i, order=order, rows=rows, cells=cells,
                                   index=index, known=known, today=today))
                episode = None
            elif episode is not None:
                episode.no_verdict.append(i)
        if episode is not None:
            out.append(_defect(lineage, key, episode, end=None, order=order, rows=rows, cells=cells,
                               index=index, known=known, today=today))
    rank = {status: i for i, status in enumerate(DEFECT_STATUSES)}
    return sorted(out, key=lambda d: (rank[d.status], d.device, d.scenario, d.defect, d.first_seen))


def _defect(lineage: _Lineage, key: tuple[str, str, str], episode: _Episode, *, end: int | None,
            order: Sequence[_Version], rows: Sequence[VersionRow],
            cells: Sequence[Mapping[tuple[str, str], _Cell]], index: Mapping[str, int], known: KnownIssues,
            today: dt.date) -> Defect:
    device, scenario, name = key
    stop = len(order) if end is None else end
    shown = [s for s in lineage.seen[key] if episode.start <= index[s.version] < stop]
    first = min(shown, key=lambda s: (s.start, s.run_id))
    last = episode.seen_in[-1]
    status: DefectStatus = "fixed"
    if end is None:
        status = "open" if last == len(order) - 1 else "not_verified"
    candidate = order[last].candidate
    issue = _ticket(known, vendor=lineage.vendor, device=device, candidate=candidate, scenario=scenario,
                    defect=name, include_closed=status != "open")
    fixed_on = None if end is None else rows[end].first_seen
    return Defect(
        device=device, scenario=scenario, defect=name, status=status,
        seen_in=tuple(order[i].version for i in episode.seen_in),
        first_seen_version=order[episode.start].version,
        first_seen=first.start.date(), first_seen_run=first.run_id, last_seen_version=order[last].version,
        summary=cells[last][(device, scenario)].defects[name],
        age_days=None if status == "fixed" else (today - first.start.date()).days,
        ticket=issue.ticket if issue else None, ticket_title=issue.title if issue else None,
        ticket_url=issue.url if issue else None, ticket_status=issue.status if issue else None,
        ticket_opened=issue.opened if issue else None,
        ticket_age_days=issue.age_days(today=today) if issue else None,
        fixed_in=None if end is None else order[end].version, fixed_on=fixed_on,
        days_to_fix=None if fixed_on is None else max(0, (fixed_on - first.start.date()).days),
        unverified_in=tuple(order[i].version for i in episode.no_verdict),
    )


def _sdk_card(lineage: _Lineage, *, known: KnownIssues, today: dt.date) -> SdkCard:
    order = lineage.ordered()
    rows = [_version_row(v) for v in order]
    cadence = tuple((b.first_seen - a.first_seen).days for a, b in itertools.pairwise(rows))
    return SdkCard(
        vendor=lineage.vendor, sdk=lineage.sdk, versions=tuple(rows),
        defects=tuple(_defects(lineage, order, rows, known=known, today=today)), cadence_days=cadence,
        median_cadence_days=float(statistics.median(cadence)) if cadence else None)


def build_scorecard(store: Store, *, known_issues: KnownIssues, vendor: str | None = None,
                    today: dt.date | None = None) -> Scorecard:
    """The scorecard of every vendor in `store` (only `vendor` when given, matched ignoring case), with open
    defects matched to `known_issues` and aged relative to `today` (default: the local date)."""
    today = dt.date.today() if today is None else today
    runs = store.runs()
    items = store.items_by_run()
    lineages: dict[tuple[str, str], _Lineage] = {}
    for run in runs:
        for item in items.get(run.run_id, []):
            key = (item.vendor, item.sdk)
            if key not in lineages:
                lineages[key] = _Lineage(vendor=item.vendor, sdk=item.sdk)
            lineages[key].add(run, item)
    vendors = sorted({v for v, _ in lineages})
    if vendor is not None:
        chosen = [v for v in vendors if v.casefold() == vendor.strip().casefold()]
        if not chosen:
            raise ConfigError(
                f"no runs of vendor {vendor!r} in the results store {store.url}; allowed: "
                f"{', '.join(vendors) or 'none, the store has no runs'}", key_path="--vendor")
        vendors = chosen
    cards = tuple(
        VendorCard(vendor=name, sdks=tuple(_sdk_card(lineages[key], known=known_issues, today=today)
                                           for key in sorted(lineages) if key[0] == name))
        for name in vendors)
    return Scorecard(store=store.url, today=today,
                     known_issues=None if known_issues.source is None else str(known_issues.source),
                     run_count=len(runs), vendors=cards)
