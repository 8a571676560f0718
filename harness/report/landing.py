"""The run's landing page: which SDK is best on which device, what failed and why, in one look.

One HTML fragment, written as run_dir/overview.html and as the first of the report's global attachments (its home
page): the verdict counts, the best candidate per device, the device x candidate x scenario matrix with a key
number and verdict per cell, the failures with their reasons (known issues marked), the environment-limited cells
with the host-capacity evidence, the adaptation matrix with values and reasons, and the evidence images and
frame-time charts of the cells that did not pass. Inline styles and data: URIs only (Allure shows HTML attachments
in a sandboxed frame)."""

from __future__ import annotations

import base64
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import cv2
import numpy as np

from harness import pagekit
from harness.compare import AdaptationMatrix
from harness.compare.heatmap import short_reason
from harness.compare.render import ADAPTATION_COLOURS
from harness.hostcap import HostCapacity
from harness.pagekit import escape
from harness.pagekit import page as standalone_page
from harness.report.summary import status_word
from harness.results import ItemRecord

VERDICT_COLOURS: Final = {"PASS": "#b7e1b9", "ENV": "#cfe3ff", "FAIL": "#f19a9a", "BROKEN": "#ffd57a",
                          "SKIP": "#e4e4e4"}
EVIDENCE_WIDTH_PX: Final = 420
MAX_EVIDENCE_ITEMS: Final = 12
# The harness's one stylesheet, plus what Allure's description frame needs: its own table rules keep text on one
# line, so reasons would run off the page.
STYLE: Final = (pagekit.STYLE + "body{font-size:13px;margin:12px}td,th{white-space:normal!important}"
                "table.wrap{table-layout:fixed;width:100%}"
                "td.cell{white-space:nowrap!important}.num{font-weight:600}h1{font-size:17px}h2{font-size:15px}")


e = escape


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """What the page shows for one cell that did not pass: a picture (PNG/JPEG bytes) and a frame-time chart."""

    image: bytes | None = None
    image_name: str = ""
    frame_time_svg: str | None = None


def key_number(record: ItemRecord) -> str:
    """The cell's headline number: content fps where measured, start-up otherwise."""
    m = record.metrics
    parts = []
    if "content_fps" in m:
        parts.append(f'<span class="num">{m["content_fps"]:.1f}</span> fps')
    if "startup_ms" in m:
        parts.append(f"{m['startup_ms']:.0f} ms" if parts else f'<span class="num">{m["startup_ms"]:.0f}</span> ms')
    return " · ".join(parts)


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


def _matrix(records: Sequence[ItemRecord], known: Mapping[str, str]) -> list[str]:
    scenarios = list(dict.fromkeys(r.scenario for r in records))
    rows = list(dict.fromkeys((r.device, r.candidate) for r in records))
    cells = {(r.device, r.candidate, r.scenario): r for r in records}
    out = ["<table><tr><th>device</th><th>candidate</th>" + "".join(f"<th>{e(s)}</th>" for s in scenarios)
           + "</tr>"]
    for device, candidate in rows:
        tds = []
        for scenario in scenarios:
            rec = cells.get((device, candidate, scenario))
            if rec is None:
                tds.append("<td>-</td>")
                continue
            word = status_word(rec)
            ticket = known.get(rec.name)
            mark = f' <span class="small">known {e(ticket)}</span>' if ticket else ""
            tds.append(f'<td class="cell" style="background:{VERDICT_COLOURS[word]}" title="{e(_reason(rec))}">'
                       f"<b>{word}</b>{mark}<br>{key_number(rec)}</td>")
        out.append(f"<tr><td>{e(device)}</td><td>{e(candidate)}</td>{''.join(tds)}</tr>")
    out.append("</table>")
    return out


def _adaptation(matrix: AdaptationMatrix) -> list[str]:
    out = ["<h2>New-device adaptation (each device against the reference devices of its tier)</h2>",
           '<table class="wrap"><tr><th>device</th>' + "".join(f"<th>{e(c)}</th>" for c in matrix.candidates)
           + "</tr>"]
    for device in matrix.devices:
        role = " (new)" if device in matrix.new_devices else " (ref)" if device in matrix.reference_devices else ""
        tds = []
        for candidate in matrix.candidates:
            cell = matrix.cell(device, candidate)
            reasons = [short_reason(r) for r in cell.reasons if "status only" not in r][:3]
            more = len(cell.reasons) - len(reasons)
            text = "<br>".join(e(r if len(r) <= 140 else r[:139] + "…") for r in reasons)
            if more > 0 and cell.verdict != "ok":
                text += f'<br><span class="small">+{more} more</span>'
            tds.append(f'<td style="background:{ADAPTATION_COLOURS[cell.verdict]}"><b>{e(cell.verdict)}</b>'
                       f'<div class="small">{text}</div></td>')
        out.append(f"<tr><td>{e(device + role)}</td>{''.join(tds)}</tr>")
    out.append("</table>")
    return out


def _capacity(capacities: Sequence[HostCapacity]) -> list[str]:
    out = ["<h2>Host capacity (pass-through page, no SDK, same probe and capture)</h2>",
           "<table><tr><th>device profile</th><th>CPU throttling</th><th>content fps</th><th>frame time p50 / p90"
           "</th><th>load average before -> after</th><th>cores</th></tr>"]
    for c in capacities:
        fps = "not measured: " + e(c.error) if c.content_fps is None else f"{c.content_fps:.1f}"
        times = ("-" if c.frame_time_p50_ms is None or c.frame_time_p90_ms is None
                 else f"{c.frame_time_p50_ms:.1f} / {c.frame_time_p90_ms:.1f} ms")
        out.append(f"<tr><td>{e(c.device)}</td><td>{c.cpu_throttling:g}x</td><td>{fps}</td><td>{times}</td>"
                   f"<td>{c.load1_before:.2f} -> {c.load1_after:.2f}</td><td>{c.cores}</td></tr>")
    out.append("</table>")
    return out


def landing_html(records: Sequence[ItemRecord], *, run_id: str, capacities: Sequence[HostCapacity] = (),
                 matrix: AdaptationMatrix | None = None, known: Mapping[str, str] | None = None,
                 evidence: Mapping[str, Evidence] | None = None, notes: Sequence[str] = ()) -> str:
    """The landing page as an HTML fragment (a <style> and the body's content)."""
    known, evidence = known or {}, evidence or {}
    words = [status_word(r) for r in records]
    counts = {w: words.count(w) for w in VERDICT_COLOURS if words.count(w)}
    summary = ", ".join(f"{n} {w}" for w, n in counts.items()) or "no items"
    out = [f"<style>{STYLE}</style>", f"<h1>Run {e(run_id)}: {len(records)} cells: {e(summary)}</h1>",
           '<p class="small">FAIL: an SDK finding (counted as a failure); ENV: frame rate limited by the machine, '
           "with its evidence (not an SDK failure); cells show content fps (start-up where no capture ran); hover "
           "a cell for its reason.</p>"]
    best = best_by_device(records)
    if best:
        out.append("<h2>Best candidate per device</h2><table><tr><th>device</th><th>best</th>"
                   "<th>cells without an SDK finding</th><th>median content fps</th></tr>")
        out += [f"<tr><td>{e(d)}</td><td><b>{e(c)}</b></td><td>{clean} of {total}</td>"
                f"<td>{'-' if fps is None else f'{fps:.1f}'}</td></tr>" for d, c, clean, total, fps in best]
        out.append("</table>")
    out.append("<h2>Device x candidate x scenario</h2>")
    out += _matrix(records, known)
    failed = [r for r in records if r.status in ("failed", "broken")]
    if failed:
        out.append(f'<h2>What failed and why ({len(failed)})</h2><table class="wrap"><tr><th style="width:34%">cell'
                   "</th><th>reason</th></tr>")
        out += [f"<tr><td>{e(r.name)}{'<br><b>known ' + e(known[r.name]) + '</b>' if r.name in known else ''}"
                f"</td><td>{e(_reason(r))}</td></tr>" for r in failed]
        out.append("</table>")
    limited = [r for r in records if r.environment is not None]
    if limited:
        out.append(f"<h2>Environment limited ({len(limited)}): the machine, not the SDK</h2>"
                   '<table class="wrap"><tr><th style="width:34%">cell</th><th>evidence</th></tr>')
        out += [f"<tr><td>{e(r.name)}</td><td>{e(_reason(r))}</td></tr>" for r in limited]
        out.append("</table>")
    if capacities:
        out += _capacity(capacities)
    if matrix is not None:
        out += _adaptation(matrix)
    shown = [(name, ev) for name, ev in evidence.items() if ev.image or ev.frame_time_svg][:MAX_EVIDENCE_ITEMS]
    if shown:
        out.append("<h2>Evidence of the cells that did not pass</h2>")
        for name, ev in shown:
            parts = [f"<div><b>{e(name)}</b></div>"]
            if ev.image:
                uri = "data:image/jpeg;base64," + base64.b64encode(ev.image).decode("ascii")
                parts.append(f'<img alt="{e(ev.image_name)}" src="{uri}"><div class="small">{e(ev.image_name)}</div>')
            if ev.frame_time_svg:
                parts.append(ev.frame_time_svg)
            out.append(f'<div class="ev">{"".join(parts)}</div>')
    if notes:
        out.append("<h2>Not drawn</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    return "\n".join(out)


def landing_page(fragment: str, *, title: str) -> str:
    """The fragment as a standalone page (run_dir/overview.html)."""
    return standalone_page(title, fragment)
