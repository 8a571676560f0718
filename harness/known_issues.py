"""Known issues: vendor tickets already filed, matched to cells (device / candidate / scenario / defect) so that a
report shows a failure as known, links its ticket, and a scorecard can age it. Read from known-issues.yaml."""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from harness.config.yamlfile import read_yaml
from harness.errors import ConfigError

DEFAULT_FILE: Final = "known-issues.yaml"
STATUSES: Final = ("open", "fixed", "wontfix")
_KEYS: Final = ("ticket", "title", "url", "vendor", "device", "candidate", "scenario", "defect", "opened", "status",
                "fixed_in")


@dataclass(frozen=True, kw_only=True)
class KnownIssue:
    """One vendor ticket and the cells it covers. `device`, `candidate` and `scenario` are fnmatch patterns
    (`*` = any); `defect`, when set, must be among the item's defects (names as in docs/metrics.md)."""

    ticket: str
    title: str
    url: str | None = None
    vendor: str | None = None
    device: str = "*"
    candidate: str = "*"
    scenario: str = "*"
    defect: str | None = None
    opened: dt.date | None = None
    status: str = "open"
    fixed_in: str | None = None

    def matches(self, *, device: str, candidate: str, scenario: str, defects: Iterable[str] = ()) -> bool:
        if not (fnmatch.fnmatchcase(device, self.device) and fnmatch.fnmatchcase(candidate, self.candidate)
                and fnmatch.fnmatchcase(scenario, self.scenario)):
            return False
        return self.defect is None or self.defect in set(defects)

    def age_days(self, *, today: dt.date) -> int | None:
        """Days since the ticket was opened (None without an `opened` date)."""
        return None if self.opened is None else (today - self.opened).days

    def to_dict(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "title": self.title, "url": self.url, "vendor": self.vendor,
                "device": self.device, "candidate": self.candidate, "scenario": self.scenario,
                "defect": self.defect, "opened": self.opened.isoformat() if self.opened else None,
                "status": self.status, "fixed_in": self.fixed_in}


@dataclass(frozen=True)
class KnownIssues:
    """Every known issue of one file, in file order."""

    issues: tuple[KnownIssue, ...] = ()
    source: Path | None = None
    _index: dict[str, KnownIssue] = field(default_factory=dict, compare=False, repr=False)

    def match(self, *, device: str, candidate: str, scenario: str, defects: Iterable[str] = (),
              include_closed: bool = False) -> list[KnownIssue]:
        """The issues covering this cell (open ones only unless include_closed)."""
        defects = tuple(defects)
        return [i for i in self.issues
                if (include_closed or i.status == "open")
                and i.matches(device=device, candidate=candidate, scenario=scenario, defects=defects)]

    def get(self, ticket: str) -> KnownIssue | None:
        return next((i for i in self.issues if i.ticket == ticket), None)

    def __len__(self) -> int:
        return len(self.issues)


def _text(value: Any, *, file: Path | str, key: str, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise ConfigError("missing; allowed: a non-empty string", file=str(file), key_path=key)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float) or not str(value).strip():
        raise ConfigError(f"{value!r} is not allowed; allowed: a non-empty string", file=str(file), key_path=key)
    return str(value).strip()


def _date(value: Any, *, file: Path | str, key: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{value!r} is not a date; allowed: YYYY-MM-DD", file=str(file), key_path=key) from None


def _issue(raw: Any, *, file: Path | str, index: int, url_template: str | None) -> KnownIssue:
    where = f"issues[{index}]"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{type(raw).__name__} is not allowed; allowed: a mapping with {', '.join(_KEYS)}",
                          file=str(file), key_path=where)
    unknown = sorted(set(map(str, raw)) - set(_KEYS))
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; allowed: {', '.join(_KEYS)}", file=str(file),
                          key_path=f"{where}.{unknown[0]}")
    ticket = str(_text(raw.get("ticket"), file=file, key=f"{where}.ticket", required=True))
    title = str(_text(raw.get("title"), file=file, key=f"{where}.title", required=True))
    status = _text(raw.get("status"), file=str(file), key=f"{where}.status") or "open"
    if status not in STATUSES:
        raise ConfigError(f"{status!r} is not allowed; allowed: {', '.join(STATUSES)}", file=str(file),
                          key_path=f"{where}.status")
    url = _text(raw.get("url"), file=str(file), key=f"{where}.url")
    if url is None and url_template:
        url = url_template.replace("{ticket}", str(ticket))
    return KnownIssue(
        ticket=ticket, title=title, url=url,
        vendor=_text(raw.get("vendor"), file=str(file), key=f"{where}.vendor"),
        device=_text(raw.get("device"), file=str(file), key=f"{where}.device") or "*",
        candidate=_text(raw.get("candidate"), file=str(file), key=f"{where}.candidate") or "*",
        scenario=_text(raw.get("scenario"), file=str(file), key=f"{where}.scenario") or "*",
        defect=_text(raw.get("defect"), file=str(file), key=f"{where}.defect"),
        opened=_date(raw.get("opened"), file=str(file), key=f"{where}.opened"),
        status=status,
        fixed_in=_text(raw.get("fixed_in"), file=str(file), key=f"{where}.fixed_in"),
    )


def load_known_issues(path: Path) -> KnownIssues:
    """Reads a known-issues file. Every error names the file, the key and what is allowed (ConfigError)."""
    data = read_yaml(path, expected="a mapping with 'issues' (a list) and optionally 'url_template'",
                     allow_empty=True)
    if not data:
        return KnownIssues((), path)
    if not isinstance(data, Mapping):
        raise ConfigError("allowed: a mapping with 'issues' (a list) and optionally 'url_template'", file=str(path))
    unknown = sorted(set(map(str, data)) - {"issues", "url_template"})
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; allowed: issues, url_template", file=str(path),
                          key_path=unknown[0])
    template = _text(data.get("url_template"), file=str(path), key="url_template")
    if template is not None and "{ticket}" not in template:
        raise ConfigError(f"{template!r} has no {{ticket}}; allowed: a URL containing {{ticket}}", file=str(path),
                          key_path="url_template")
    raw_issues = data.get("issues") or []
    if not isinstance(raw_issues, list):
        raise ConfigError(f"{type(raw_issues).__name__} is not allowed; allowed: a list of issues", file=str(path),
                          key_path="issues")
    issues = tuple(_issue(raw, file=str(path), index=i, url_template=template) for i, raw in enumerate(raw_issues))
    seen: dict[str, int] = {}
    for i, issue in enumerate(issues):
        if issue.ticket in seen:
            raise ConfigError(f"ticket {issue.ticket!r} is listed twice (also issues[{seen[issue.ticket]}]); "
                              "allowed: one entry per ticket", file=str(path), key_path=f"issues[{i}].ticket")
        seen[issue.ticket] = i
    return KnownIssues(issues, path)


def resolve_known_issues(option: str | None, *, root: Path) -> KnownIssues:
    """The known issues for a run: the file given (must exist), else `known-issues.yaml` in `root` when present,
    else none. `option == ""` turns them off."""
    if option == "":
        return KnownIssues()
    if option:
        path = Path(option)
        if not path.is_file():
            raise ConfigError(f"{path}: no such file; allowed: a known-issues YAML file",
                              key_path="--known-issues")
        return load_known_issues(path)
    default = root / DEFAULT_FILE
    return load_known_issues(default) if default.is_file() else KnownIssues()
