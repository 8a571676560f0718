"""The run's landing page: which SDK is best on which device, what failed and why, in one look.

One HTML fragment, written as run_dir/overview.html and as the first of the report's global attachments (its home
page): the verdict counts, the best candidate per device, the device x candidate x scenario matrix with a key
number and verdict per cell, the failures with their reasons (known issues marked), the environment-limited cells
with the host-capacity evidence, the adaptation matrix with values and reasons, and the evidence images and
frame-time charts of the cells that did not pass. Drawn by the page toolkit's landing.html as a fragment carrying
the one stylesheet and data: URIs only (Allure shows HTML attachments in a sandboxed frame)."""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import cv2
import numpy as np
from markupsafe import Markup

from harness.compare import AdaptationMatrix
from harness.compare.heatmap import short_reason
from harness.compare.render import ADAPTATION_COLOURS
from harness.hostcap import HostCapacity
from harness.pagekit import (
    BAD_BG,
    ENV_BG,
    OK_BG,
    WARN_BG,
    Cell,
    Table,
    TableRow,
    data_uri,
    page_from_fragment,
    render_fragment,
    text_table,
    trusted,
)
from harness.report.summary import status_word
from harness.results import ItemRecord

VERDICT_COLOURS: Final = {"PASS": OK_BG, "ENV": ENV_BG, "FAIL": BAD_BG, "BROKEN": WARN_BG, "SKIP": "#e4e4e4"}
EVIDENCE_WIDTH_PX: Final = 420
MAX_EVIDENCE_ITEMS: Final = 12
@dataclass(frozen=True, kw_only=True)
class Evidence:
    """What the page shows for one cell that did not pass: a picture (PNG/JPEG bytes) and a frame-time chart."""

    image: bytes | None = None
    image_name: str = ""
    frame_time_svg: str | None = None


def key_number(record: ItemRecord) -> tuple[str | None, str | None]:
    """The cell's headline numbers as text: (content fps, start-up ms), each None when not measured; the page
    shows content fps where measured, start-up otherwise (and both when both are)."""
    m = record.metrics
    fps = f"{m['content_fps']:.1f}" if "content_fps" in m else None
    startup = f"{m['startup_ms']:.0f}" if "startup_ms" in m else None
    return fps, startup


_PREFIX = re.compile(r"^(?:\w+Error: )?(?:\[\w+\] )?(?:adaptation defects on [^:]+: )?")


def compact_reason(record: ItemRecord) -> str:
    """The cell's reason without the exception class, tag and cell name the page already shows, e.g.
    `sdk: frame_drops: 8.4 fps (limit >= 22.5 fps ...)`."""
    if record.environment is not None:
        return str(record.environment.get("message", "")).removeprefix("[environment] ")
    if record.error:
        return f"{record.error['kind']}: {_PREFIX.sub('', record.error['message'].strip())}"
    return ""


_reason = compact_reason


def best_by_device(records: Sequence[ItemRecord]) -> list[tuple[str, str, int, int, float | None]]:
    """(device, best candidate, cells without an SDK finding, cells, median content fps) per device: most cells
    without an SDK finding first (passed or environment-limited), then the higher median content fps."""
    out = []
    for device in dict.fromkeys(r.device for r in records):
        scores = []
        for candidate in dict.fromkeys(r.candidate for r in records if r.device == device):
            cells = [r for r in records if r.device == device and r.candidate == candidate]
            clean = sum(r.status == "passed" for r in cells)
            fps = [r.metrics["content_fps"] for r in cells if "content_fps" in r.metrics]
            median = statistics.median(fps) if fps else None
            scores.append((clean, median if median is not None else -1.0, candidate, len(cells), median))
        clean, _, candidate, total, median = max(scores)
        out.append((device, candidate, clean, total, median))
    return out


def thumbnail_jpeg(data: bytes, *, width_px: int = EVIDENCE_WIDTH_PX) -> bytes | None:
    """A PNG/JPEG scaled down to `width_px` (never up) as JPEG q80; None when it cannot be decoded."""
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None
    h, w = image.shape[:2]
    if w > width_px:
        image = cv2.resize(image, (width_px, max(1, round(h * width_px / w))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return bytes(buf) if ok else None


def evidence_file(run_dir: Path, record: ItemRecord) -> Path | None:
    """The item's first evidence image (a failed check's), else its first key frame."""
    files = [run_dir / a for a in record.attachments if a.lower().endswith((".png", ".jpg", ".jpeg"))]
    ranked = sorted(files, key=lambda p: (0 if "evidence" in p.name else 1))
    return next((p for p in ranked if p.is_file()), None)


@dataclass(frozen=True, kw_only=True)
class _MatrixCell:
    word: str
    colour: str
    reason: str
    ticket: str | None
    fps: str | None
    startup: str | None


@dataclass(frozen=True, kw_only=True)
class _MatrixRow:
    device: str
    candidate: str
    cells: Sequence[_MatrixCell | None]


@dataclass(frozen=True, kw_only=True)
class _Reason:
    name: str
    reason: str
    ticket: str | None = None


@dataclass(frozen=True, kw_only=True)
class _AdaptationCell:
    verdict: str
    colour: str
    reasons: Sequence[str]
    more: int


@dataclass(frozen=True, kw_only=True)
class _AdaptationRow:
    label: str
    cells: Sequence[_AdaptationCell]


@dataclass(frozen=True, kw_only=True)
class _AdaptationView:
    candidates: Sequence[str]
    rows: Sequence[_AdaptationRow]


@dataclass(frozen=True, kw_only=True)
class _EvidenceView:
    name: str
    image_name: str
    image_uri: str | None
    chart: Markup | None


def _matrix(records: Sequence[ItemRecord], known: Mapping[str, str]) -> tuple[list[str], list[_MatrixRow]]:
    scenarios = list(dict.fromkeys(r.scenario for r in records))
    rows = list(dict.fromkeys((r.device, r.candidate) for r in records))
    cells = {(r.device, r.candidate, r.scenario): r for r in records}
    out = []
    for device, candidate in rows:
        row: list[_MatrixCell | None] = []
        for scenario in scenarios:
            rec = cells.get((device, candidate, scenario))
            if rec is None:
                row.append(None)
                continue
            word = status_word(rec)
            fps, startup = key_number(rec)
            row.append(_MatrixCell(word=word, colour=VERDICT_COLOURS[word], reason=_reason(rec),
                                   ticket=known.get(rec.name), fps=fps, startup=startup))
        out.append(_MatrixRow(device=device, candidate=candidate, cells=row))
    return scenarios, out


def _adaptation(matrix: AdaptationMatrix) -> _AdaptationView:
    rows = []
    for device in matrix.devices:
        role = " (new)" if device in matrix.new_devices else " (ref)" if device in matrix.reference_devices else ""
        cells = []
        for candidate in matrix.candidates:
            cell = matrix.cell(device, candidate)
            reasons = [short_reason(r) for r in cell.reasons if "status only" not in r][:3]
            more = len(cell.reasons) - len(reasons)
            cells.append(_AdaptationCell(verdict=cell.verdict, colour=ADAPTATION_COLOURS[cell.verdict],
                                         reasons=[r if len(r) <= 140 else r[:139] + "…" for r in reasons],
                                         more=more if more > 0 and cell.verdict != "ok" else 0))
        rows.append(_AdaptationRow(label=device + role, cells=cells))
    return _AdaptationView(candidates=matrix.candidates, rows=rows)


_CAPACITY_HEADERS: Final = ("device profile", "CPU throttling", "content fps", "frame time p50 / p90",
                            "load average before -> after", "cores")


def _capacity(capacities: Sequence[HostCapacity]) -> Table:
    rows = []
    for c in capacities:
        fps = f"not measured: {c.error}" if c.content_fps is None else f"{c.content_fps:.1f}"
        times = ("-" if c.frame_time_p50_ms is None or c.frame_time_p90_ms is None
                 else f"{c.frame_time_p50_ms:.1f} / {c.frame_time_p90_ms:.1f} ms")
        rows.append([c.device, f"{c.cpu_throttling:g}x", fps, times, f"{c.load1_before:.2f} -> {c.load1_after:.2f}",
                     str(c.cores)])
    return text_table(_CAPACITY_HEADERS, rows)


def _best(records: Sequence[ItemRecord]) -> Table:
    return Table(headers=("device", "best", "cells without an SDK finding", "median content fps"),
                 rows=[TableRow(cells=[Cell(text=d), Cell(text=c, css="best"), Cell(text=f"{clean} of {total}"),
                                       Cell(text="-" if fps is None else f"{fps:.1f}")])
                       for d, c, clean, total, fps in best_by_device(records)])


def _evidence(evidence: Mapping[str, Evidence]) -> list[_EvidenceView]:
    shown = [(name, ev) for name, ev in evidence.items() if ev.image or ev.frame_time_svg][:MAX_EVIDENCE_ITEMS]
    return [_EvidenceView(name=name, image_name=ev.image_name,
                          image_uri=data_uri(ev.image, mime="image/jpeg") if ev.image else None,
                          chart=trusted(ev.frame_time_svg) if ev.frame_time_svg else None) for name, ev in shown]


def landing_html(records: Sequence[ItemRecord], *, run_id: str, capacities: Sequence[HostCapacity] = (),
                 matrix: AdaptationMatrix | None = None, known: Mapping[str, str] | None = None,
                 evidence: Mapping[str, Evidence] | None = None, notes: Sequence[str] = ()) -> str:
    """The landing page as an HTML fragment (the toolkit's stylesheet and the page's content)."""
    known = known or {}
    words = [status_word(r) for r in records]
    counts = {w: words.count(w) for w in VERDICT_COLOURS if words.count(w)}
    scenarios, rows = _matrix(records, known)
    return render_fragment(
        "landing.html", run_id=run_id, cell_count=len(records),
        summary=", ".join(f"{n} {w}" for w, n in counts.items()) or "no items",
        best=_best(records), scenarios=scenarios, matrix=rows,
        failed=[_Reason(name=r.name, reason=_reason(r), ticket=known.get(r.name)) for r in records
                if r.status in ("failed", "broken")],
        limited=[_Reason(name=r.name, reason=_reason(r)) for r in records if r.environment is not None],
        capacity=_capacity(capacities), adaptation=None if matrix is None else _adaptation(matrix),
        evidence=_evidence(evidence or {}), notes=notes)


def landing_page(fragment: str, *, title: str) -> str:
    """The fragment as a standalone page (run_dir/overview.html), its stylesheet kept once."""
    return page_from_fragment(fragment, title=title)
