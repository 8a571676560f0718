"""`harness ticket`: one zip per failing item for a vendor's ticket (Markdown summary, single-file HTML
excerpt, results, key frames, evidence, clip, log excerpts), with every credential and private path masked."""

from __future__ import annotations

import datetime as dt
import json
import mimetypes
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from harness.errors import ConfigError
from harness.known_issues import KnownIssues
from harness.results import ItemRecord, item_dir, load_results
from harness.ticket import applog
from harness.ticket.baseline import baseline_facts, gate_regressed
from harness.ticket.content import Image, TicketFacts, build_document, headline, map_text
from harness.ticket.facts import (
    device_facts,
    devices_file,
    find_item,
    item_files,
    read_details,
    read_environment,
    recorded_sessions,
    reproduce_command,
    scenario_facts,
)
from harness.ticket.html import render_html
from harness.ticket.markdown import render_markdown
from harness.ticket.redact import Redactor

TICKETS_DIR: Final = "tickets"
_MEDIA_SUFFIXES: Final = (".png", ".jpg", ".jpeg", ".webm", ".mp4", ".mkv", ".mov")
_DATA_URI_RE: Final = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]*")


@dataclass(frozen=True)
class TicketResult:
    """The bundle written: where, its one-line headline, and its Markdown summary (README.md)."""

    path: Path
    headline: str
    markdown: str
    members: tuple[str, ...]
    known: tuple[str, ...]  # open tickets that already cover the cell, "LUMEN-142 <url>"


def resolve_run_dir(run: str, *, option: str = "RUN", project_root: Path | None = None) -> Path:
    """A run folder given as a path, or as a run id under ./reports/ (then under the project's reports/)."""
    candidates = [Path(run), Path.cwd() / "reports" / run]
    if project_root is not None:
        candidates.append(project_root / "reports" / run)
    for path in candidates:
        if path.is_dir():
            return path
    raise ConfigError(
        f"{run!r} is neither a run folder nor a run id under ./reports; allowed: a folder with "
        "results.json, or its run id",
        key_path=option,
    )


def _workspace(run_dir: Path) -> Path:
    """The folder the run was made in: the one holding reports/<run-id>, else the run folder's parent."""
    resolved = run_dir.resolve()
    return resolved.parent.parent if resolved.parent.name == "reports" else resolved.parent


def _redactor(run_dir: Path, project_root: Path, extra: Sequence[Path]) -> Redactor:
    roots: list[tuple[Path, str]] = [
        (project_root, "<project>"),
        (Path.home(), "~"),
        (_workspace(run_dir), "<workspace>"),
    ]
    roots += [(folder, "<folder>") for folder in extra]
    return Redactor.for_paths(roots=roots)


def _image(path: Path, member: str, caption: str) -> Image:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Image(member=member, caption=caption, mime=mime, data=path.read_bytes())


def _html_images(frames: Sequence[Path], prefix: str) -> tuple[Image, ...]:
    """Images for the HTML page: a JPEG copy where one exists beside a PNG of the same frame (a tenth of the
    size), the PNG otherwise; the bundle keeps every file."""
    by_stem: dict[str, Path] = {}
    for path in frames:
        keep = by_stem.get(path.stem)
        if keep is None or path.suffix.lower() in (".jpg", ".jpeg"):
            by_stem[path.stem] = path
    return tuple(
        _image(p, f"{prefix}/{p.name}", p.stem.replace("_", " ")) for _, p in sorted(by_stem.items())
    )


def _zip_time(record: ItemRecord) -> tuple[int, int, int, int, int, int]:
    """Every member carries the item's start time, so the same item gives the same bytes."""
    t = max(dt.datetime.fromisoformat(record.started_at), dt.datetime(1980, 1, 1, tzinfo=dt.UTC))
    return (t.year, t.month, t.day, t.hour, t.minute, t.second)


def _write_zip(
    path: Path, members: Sequence[tuple[str, bytes]], *, when: tuple[int, int, int, int, int, int]
) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w") as bundle:
            for name, data in members:
                info = zipfile.ZipInfo(name, date_time=when)
                info.external_attr = 0o644 << 16
                media = name.lower().endswith(_MEDIA_SUFFIXES)
                info.compress_type = zipfile.ZIP_STORED if media else zipfile.ZIP_DEFLATED
                bundle.writestr(info, data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode("utf-8")


def _out_path(out: Path | None, run_dir: Path, folder_name: str) -> Path:
    if out is None:
        default = run_dir / TICKETS_DIR / f"{folder_name}.zip"
        default.parent.mkdir(parents=True, exist_ok=True)
        return default
    if out.suffix.lower() != ".zip":
        raise ConfigError(f"{out.name} is not allowed; allowed: a file name ending in .zip", key_path="--out")
    if not out.parent.is_dir():
        raise ConfigError(
            f"{out.parent}: no such folder; allowed: a file in an existing folder", key_path="--out"
        )
    return out


def _mask_html(html: str, redactor: Redactor) -> str:
    """Mask the page's text again, leaving the base64 of its images untouched."""
    pieces, last = [], 0
    for match in _DATA_URI_RE.finditer(html):
        pieces += [redactor.text(html[last : match.start()]), match.group(0)]
        last = match.end()
    return "".join([*pieces, redactor.text(html[last:])])


def build_ticket(
    run_dir: Path,
    item: str,
    *,
    out: Path | None,
    baseline_run: Path | None,
    known_issues: KnownIssues,
    project_root: Path,
    force: bool = False,
) -> TicketResult:
    """Write the ticket bundle of one item of `run_dir` and return where it went; bad input: ConfigError."""
    if not (run_dir / "results.json").is_file() and not (run_dir / "results.jsonl").is_file():
        raise ConfigError(
            "no results.json or results.jsonl; allowed: a run folder written by `harness run`", key_path="RUN"
        )
    record = find_item(load_results(run_dir), item, run_dir=run_dir, force=force, regressed=gate_regressed(run_dir))
    path = _out_path(out, run_dir, item_dir(run_dir, record).name)
    folder = item_dir(run_dir, record)
    details = read_details(folder / "details.json")
    environment = read_environment(run_dir)
    devices_path = devices_file(environment, project_root=project_root)
    scenario = scenario_facts(record, project_root=project_root, run_dir=run_dir)
    files = item_files(folder, details)
    redactor = _redactor(
        run_dir, project_root, [p.parent for p in (devices_path, scenario.path) if p is not None]
    )

    log_path = run_dir / "logs" / "appium.log"
    log, log_note = None, ""
    if log_path.is_file():
        log = applog.excerpt(
            log_path.read_text(encoding="utf-8", errors="replace"),
            start=dt.datetime.fromisoformat(record.started_at),
            duration_s=record.duration_s,
            session_ids=recorded_sessions(details),
        )
    else:
        log_note = "the run folder has no logs/appium.log (a farm or remote server keeps its own)"
    baseline = baseline_facts(run_dir, record, baseline_run=baseline_run)
    defects = [str(d.get("defect")) for d in record.defects]
    matching = known_issues.match(device=record.device, candidate=record.candidate, scenario=record.scenario,
                                  defects=defects, include_closed=True)
    known = tuple(i for i in matching if i.status == "open")
    closed = tuple(i for i in matching if i.status != "open")

    media: list[tuple[str, Path, str]] = (
        [(f"frames/{p.name}", p, "key frame of the capture") for p in files.frames]
        + [(f"evidence/{p.name}", p, "evidence image of a failed check") for p in files.evidence]
        + [(f"clip/{p.name}", p, "the captured clip") for p in files.clips]
    )
    listing: list[tuple[str, str]] = [
        ("README.md", "this summary"),
        ("excerpt.html", "one-page HTML excerpt with the images inline"),
        ("results.json", "the item's record and details.json"),
    ]
    listing += [(member, what) for member, _, what in media]
    if log is not None:
        listing.append(("logs/appium.log", "Appium server log: this item's sessions only"))
    if files.console:
        listing.append(("logs/console.log", f"app console ({files.console_source})"))
    if baseline.excerpt is not None and baseline.excerpt_name:
        listing.append((baseline.excerpt_name, "the baseline comparison of this cell"))

    facts = TicketFacts(
        record=record,
        device=device_facts(
            record, devices_path=devices_path, environment=environment, project_root=project_root
        ),
        scenario=scenario,
        baseline=baseline,
        known=known,
        closed=closed,
        environment=environment,
        reproduce=reproduce_command(
            record, devices_path=devices_path, scenario_path=scenario.path, project_root=project_root
        ),
        log=log,
        log_note=log_note,
        console_source=files.console_source,
        frames=_html_images(files.frames, "frames"),
        evidence=_html_images(files.evidence, "evidence"),
        members=tuple(listing),
    )
    doc = map_text(build_document(facts), redactor.text)
    markdown = redactor.text(render_markdown(doc))
    members: list[tuple[str, bytes]] = [
        ("README.md", markdown.encode("utf-8")),
        ("excerpt.html", _mask_html(render_html(doc), redactor).encode("utf-8")),
        ("results.json", _json_bytes(redactor.value({"item": record.to_dict(), "details": details}))),
    ]
    members += [(member, path.read_bytes()) for member, path, _ in media]
    if log is not None:
        header = (
            f"# Appium server log excerpt: {record.name}, sessions {', '.join(log.sessions) or 'none'}; "
            f"{log.shown_lines} of {log.total_lines} lines" + "".join(f"\n# {n}" for n in log.notes)
        )
        members.append(
            ("logs/appium.log", redactor.text("\n".join([header, *log.lines]) + "\n").encode("utf-8"))
        )
    if files.console:
        members.append(("logs/console.log", redactor.text("\n".join(files.console) + "\n").encode("utf-8")))
    if baseline.excerpt is not None and baseline.excerpt_name:
        members.append((baseline.excerpt_name, _json_bytes(redactor.value(baseline.excerpt))))

    _write_zip(path, members, when=_zip_time(record))
    return TicketResult(
        path=path,
        headline=redactor.text(headline(record, regression=next(
            (text for verdict, text in baseline.lines if verdict == "regression"), None))),
        markdown=markdown,
        members=tuple(name for name, _ in members),
        known=tuple(redactor.text(f"{i.ticket} {i.url}" if i.url else i.ticket) for i in known),
    )


__all__ = ["TICKETS_DIR", "TicketResult", "build_ticket", "resolve_run_dir"]
