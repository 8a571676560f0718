"""Comparison results as plain-text tables for the terminal and as one standalone HTML page (the page toolkit's
compare.html: inline CSS, no external assets): the upgrade delta table, the adaptation heatmap and the vendor
side-by-side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from harness.compare.adaptation import AdaptationMatrix
from harness.compare.engine import UpgradeCell, UpgradeReport, VendorReport
from harness.compare.stats import Comparison
from harness.errors import ConfigError
from harness.pagekit import BAD_BG, ENV_BG, NONE_BG, OK_BG, WARN_BG, Cell, Table, TableRow, render_page

# Cell colours (CSS hex) per verdict; the PNG heatmap uses the same ones.
# environment: the landing page's ENV colour (a frame rate the machine limited, not an SDK defect).
ADAPTATION_COLOURS: Final = {"ok": OK_BG, "environment": ENV_BG, "degraded": WARN_BG, "fails": BAD_BG,
                             "not_run": NONE_BG}
UPGRADE_COLOURS: Final = {"regression": BAD_BG, "environment": ENV_BG, "improvement": OK_BG, "noise": "#fff1b8",
                          "unchanged": "#ffffff", "insufficient_data": NONE_BG}


def _fmt(value: float | None, spec: str = ".4g") -> str:
    return "-" if value is None else format(value, spec)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} %"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


_UPGRADE_HEADERS: Final = ("device", "scenario", "candidate", "metric", "base", "new", "delta", "delta %", "p",
                           "CI of delta", "threshold", "verdict")


def _upgrade_cells(c: Comparison) -> list[str]:
    ci = "-" if c.ci_low is None or c.ci_high is None else f"[{c.ci_low:+.4g}, {c.ci_high:+.4g}]"
    verdict = c.verdict + (" (threshold only)" if c.basis == "threshold_only" else "")
    p = "-" if c.p_value is None else f"{c.p_value:.2g}"
    return [c.metric, _fmt(c.base_median), _fmt(c.new_median), _fmt(c.delta, "+.4g"), _pct(c.delta_pct), p, ci,
            c.threshold, verdict]


def _candidates(cell: UpgradeCell) -> str:
    """The cell's candidates, `base -> new` (one name when both sides ran the same one)."""
    base, new = ", ".join(cell.base_candidates), ", ".join(cell.new_candidates)
    return new if base == new else f"{base} -> {new}"


def format_upgrade(report: UpgradeReport) -> str:
    """The upgrade comparison as a terminal table: one line per device, scenario, metric and threshold."""
    regressions = len(report.regressions)
    newly = [c for c in report.cells if c.newly_failing]
    out = [f"Upgrade {report.base_label} -> {report.new_label} (alpha {report.alpha:g}): {regressions} metric "
           f"regression(s), {len(newly)} newly failing cell(s) in {len(report.cells)} cell(s)"]
    out += [f"WARNING {w}" for w in report.warnings]
    rows = [[cell.device, cell.scenario, _candidates(cell), *_upgrade_cells(c)] for cell in report.cells
            for c in cell.comparisons]
    out += _table(_UPGRADE_HEADERS, rows)
    out += [f"NEWLY FAILING {c.device} {c.scenario}: {c.base_status} -> {c.new_status}" for c in newly]
    out += [f"HOST LIMITED {c.device} {c.scenario} {', '.join(c.new_candidates)} (its frame-rate differences are "
            f"the machine's, verdict environment): {'; '.join(c.host_limit)}" for c in report.cells if c.host_limit]
    if report.only_base:
        out.append("Only in the baseline: " + ", ".join(f"{d} {s}" for d, s in report.only_base))
    if report.only_new:
        out.append("Only in the new set: " + ", ".join(f"{d} {s}" for d, s in report.only_new))
    return "\n".join(out) + "\n"


def _device_label(matrix: AdaptationMatrix, device: str) -> str:
    if device in matrix.new_devices:
        return f"{device} (new)"
    return f"{device} (ref)" if device in matrix.reference_devices else device


def format_adaptation(matrix: AdaptationMatrix) -> str:
    """The adaptation matrix as a terminal grid (devices x candidates), then the reasons of every cell not ok."""
    by = f", references matched by {matrix.match_tag}" if matrix.match_tag else ""
    out = [f"Adaptation: {len(matrix.devices)} device(s) x {len(matrix.candidates)} candidate(s), references "
           f"{', '.join(matrix.reference_devices) or 'none'}{by}"]
    rows = [[_device_label(matrix, d), *(matrix.cell(d, c).verdict.upper() for c in matrix.candidates)]
            for d in matrix.devices]
    out += _table(["device", *matrix.candidates], rows)
    for d in matrix.devices:
        for c in matrix.candidates:
            cell = matrix.cell(d, c)
            if cell.verdict != "ok":
                out.append(f"{cell.verdict.upper()} {d} {c}:")
                out += [f"  {reason}" for reason in cell.reasons]
    return "\n".join(out) + "\n"


def format_vendors(report: VendorReport) -> str:
    """Candidates side by side: per device and scenario, one line per metric with each median and the best."""
    wins = ", ".join(f"{c} {n}" for c, n in report.wins.items())
    out = [f"Vendors: {' vs '.join(report.candidates)}; best-at counts: {wins}"]
    for cell in report.cells:
        statuses = ", ".join(f"{c} {s}" for c, s in cell.statuses.items())
        out.append(f"{cell.device} {cell.scenario} ({statuses})")
        rows = []
        for m in cell.metrics:
            p = "-" if m.p_value is None else f"{m.p_value:.2g}"
            rows.append([m.metric, m.direction, *(_fmt(m.medians.get(c)) for c in report.candidates),
                         m.best or "-", _fmt(m.margin_pct, ".1f"), p])
        out += ["  " + line for line in _table(["metric", "better", *report.candidates, "best", "margin %", "p"],
                                                rows)]
    return "\n".join(out) + "\n"


@dataclass(frozen=True, kw_only=True)
class _AdaptationCell:
    candidate: str
    verdict: str
    colour: str
    reasons: Sequence[str]


@dataclass(frozen=True, kw_only=True)
class _AdaptationRow:
    device: str
    label: str
    cells: Sequence[_AdaptationCell]


@dataclass(frozen=True, kw_only=True)
class _AdaptationView:
    references: str
    match_tag: str | None
    colours: Mapping[str, str]
    candidates: Sequence[str]
    rows: Sequence[_AdaptationRow]


@dataclass(frozen=True, kw_only=True)
class _UpgradeView:
    base_label: str
    new_label: str
    alpha: str
    regressions: int
    cells: int
    warnings: Sequence[str]
    table: Table


@dataclass(frozen=True, kw_only=True)
class _VendorSection:
    device: str
    scenario: str
    statuses: str
    table: Table


@dataclass(frozen=True, kw_only=True)
class _VendorsView:
    candidates: str
    wins: str
    sections: Sequence[_VendorSection]


def _upgrade_view(report: UpgradeReport) -> _UpgradeView:
    rows = []
    for cell in report.cells:
        status = f" {cell.base_status} \u2192 {cell.new_status}" if cell.base_status != cell.new_status else ""
        for c in cell.comparisons:
            values = _upgrade_cells(c)
            rows.append(TableRow(cells=[
                Cell(text=cell.device), Cell(text=f"{cell.scenario}{status}"), Cell(text=_candidates(cell)),
                Cell(text=values[0]),
                *(Cell(text=v, css="num") for v in values[1:7]), Cell(text=values[7]),
                Cell(text=values[8], background=UPGRADE_COLOURS[c.verdict], title=c.message)]))
    return _UpgradeView(base_label=report.base_label, new_label=report.new_label, alpha=f"{report.alpha:g}",
                        regressions=len(report.regressions), cells=len(report.cells), warnings=report.warnings,
                        table=Table(headers=_UPGRADE_HEADERS, rows=rows, css="upgrade"))


def _adaptation_view(matrix: AdaptationMatrix) -> _AdaptationView:
    rows = []
    for d in matrix.devices:
        cells = []
        for c in matrix.candidates:
            cell = matrix.cell(d, c)
            cells.append(_AdaptationCell(candidate=c, verdict=cell.verdict, reasons=cell.reasons,
                                         colour=ADAPTATION_COLOURS[cell.verdict]))
        rows.append(_AdaptationRow(device=d, label=_device_label(matrix, d), cells=cells))
    return _AdaptationView(references=", ".join(matrix.reference_devices) or "none", match_tag=matrix.match_tag,
                           colours=ADAPTATION_COLOURS, candidates=matrix.candidates, rows=rows)


def _vendors_view(report: VendorReport) -> _VendorsView:
    heads = ["metric", "better", *report.candidates, "best", "margin %", "p"]
    sections = []
    for cell in report.cells:
        rows = []
        for m in cell.metrics:
            p = "-" if m.p_value is None else f"{m.p_value:.2g}"
            values = [Cell(text=_fmt(m.medians.get(c)), css="num best" if c == m.best else "num")
                      for c in report.candidates]
            rows.append(TableRow(cells=[Cell(text=m.metric), Cell(text=m.direction), *values, Cell(text=m.best or "-"),
                                   Cell(text=_fmt(m.margin_pct, ".1f"), css="num"), Cell(text=p, css="num")]))
        sections.append(_VendorSection(device=cell.device, scenario=cell.scenario,
                                       statuses=", ".join(f"{c} {s}" for c, s in cell.statuses.items()),
                                       table=Table(headers=heads, rows=rows, css="vendors")))
    return _VendorsView(candidates=" vs ".join(report.candidates),
                        wins=", ".join(f"{c}: {n}" for c, n in report.wins.items()), sections=sections)


def html_page(*, title: str, upgrade: UpgradeReport | None = None, adaptation: AdaptationMatrix | None = None,
              vendors: VendorReport | None = None) -> str:
    """One standalone HTML page (the toolkit's compare.html: inline CSS, no scripts, no external assets) with
    the given sections."""
    return render_page("compare.html", title=title,
                       upgrade=None if upgrade is None else _upgrade_view(upgrade),
                       adaptation=None if adaptation is None else _adaptation_view(adaptation),
                       vendors=None if vendors is None else _vendors_view(vendors))


def write_html(path: Path, *, title: str, upgrade: UpgradeReport | None = None,
               adaptation: AdaptationMatrix | None = None, vendors: VendorReport | None = None) -> Path:
    """Write html_page(...) to `path` (UTF-8) and return it."""
    if path.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"{path.name!r} is not allowed; allowed: a file name ending in .html", file=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_page(title=title, upgrade=upgrade, adaptation=adaptation, vendors=vendors),
                    encoding="utf-8")
    return path


__all__ = [
    "ADAPTATION_COLOURS",
    "UPGRADE_COLOURS",
    "format_adaptation",
    "format_upgrade",
    "format_vendors",
    "html_page",
    "write_html",
]
