"""What a vendor scorecard holds: per SDK version the devices passing, each adaptation defect's life (open,
fixed in a version, not verified) with its ticket and age, and the release cadence. Frozen rows, JSON-able."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Final, Literal

DefectStatus = Literal["open", "fixed", "not_verified"]
DEFECT_STATUSES: Final[tuple[str, ...]] = ("open", "not_verified", "fixed")  # the order a card lists them in


def _jsonable(value: Any) -> Any:
    """Dataclasses, tuples and dates -> dicts, lists and ISO text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@dataclass(frozen=True, kw_only=True)
class FailingDevice:
    """A device that did not pass a version: the scenarios whose items failed (the SDK's verdict) and those
    that broke (infrastructure, no verdict)."""

    device: str
    failed: tuple[str, ...] = ()
    broken: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        parts = [f"failed: {', '.join(self.failed)}"] if self.failed else []
        parts += [f"broken: {', '.join(self.broken)}"] if self.broken else []
        return f"{self.device} ({'; '.join(parts)})"


@dataclass(frozen=True, kw_only=True)
class VersionRow:
    """One SDK version: when the store first saw it and how its latest run went, device by device."""

    version: str
    candidate: str  # sdk@version
    first_seen_at: str  # ISO 8601 UTC: the start of the first stored run with an item of this version
    first_seen: dt.date  # its UTC date
    run_id: str  # the latest run with an item of this version: the one the row describes
    run_started_at: str
    devices: tuple[str, ...]  # devices with at least one item that was not skipped in that run
    passing: tuple[str, ...]
    failing: tuple[FailingDevice, ...]

    @property
    def passing_label(self) -> str:
        return f"{len(self.passing)} of {len(self.devices)} devices"


@dataclass(frozen=True, kw_only=True)
class Defect:
    """One adaptation defect on one device and scenario, from the version it (re)appeared in to now or to the
    version that fixed it. Ages and durations are whole days between UTC dates."""

    device: str
    scenario: str
    defect: str  # a defect name (docs/metrics.md), or failed:<error kind> for a failure without one
    status: DefectStatus
    seen_in: tuple[str, ...]  # the versions whose latest run showed it
    first_seen_version: str
    first_seen: dt.date  # UTC date of the earliest stored run that showed it
    first_seen_run: str
    last_seen_version: str
    summary: str = ""  # the newest occurrence's one-line summary
    age_days: int | None = None  # open / not verified: today - first_seen
    ticket: str | None = None
    ticket_title: str | None = None
    ticket_url: str | None = None
    ticket_status: str | None = None
    ticket_opened: dt.date | None = None
    ticket_age_days: int | None = None  # today - ticket_opened
    fixed_in: str | None = None  # the first later version whose latest run ran the cell without it
    fixed_on: dt.date | None = None  # UTC date of the fixing version's first run
    days_to_fix: int | None = None  # fixed_on - first_seen (0 when the fixing version ran first)
    unverified_in: tuple[str, ...] = ()  # later versions whose latest run gave no verdict on the cell

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.device, self.scenario, self.defect)


@dataclass(frozen=True, kw_only=True)
class SdkCard:
    """One SDK of a vendor across its stored versions (oldest first)."""

    vendor: str
    sdk: str
    versions: tuple[VersionRow, ...]
    defects: tuple[Defect, ...]  # open first, then not verified, then fixed
    cadence_days: tuple[int, ...]  # days between the first-seen dates of consecutive versions
    median_cadence_days: float | None  # None with fewer than two versions ("n/a")

    def with_status(self, status: DefectStatus) -> tuple[Defect, ...]:
        return tuple(d for d in self.defects if d.status == status)

    @property
    def cadence_label(self) -> str:
        if self.median_cadence_days is None:
            return "n/a (one version)"
        days = ", ".join(str(d) for d in self.cadence_days)
        return f"{days} days between versions (median {self.median_cadence_days:g})"


@dataclass(frozen=True, kw_only=True)
class VendorCard:
    vendor: str
    sdks: tuple[SdkCard, ...]


@dataclass(frozen=True, kw_only=True)
class Scorecard:
    """Every vendor's card, built from one results store on one day."""

    store: str  # where the store is, credentials masked
    today: dt.date
    known_issues: str | None  # the known-issues file read, None when there was none
    run_count: int  # stored runs read
    vendors: tuple[VendorCard, ...]

    def to_dict(self) -> dict[str, Any]:
        """Every field, dates as ISO text, plus the labels the text and HTML views show."""
        data: dict[str, Any] = _jsonable(self)
        for vendor_data, vendor in zip(data["vendors"], self.vendors, strict=True):
            for sdk_data, card in zip(vendor_data["sdks"], vendor.sdks, strict=True):
                sdk_data["cadence_label"] = card.cadence_label
                for row_data, row in zip(sdk_data["versions"], card.versions, strict=True):
                    row_data["passing_label"] = row.passing_label
        return data
