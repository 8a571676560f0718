"""Comparison results as plain-text tables for the terminal and as one standalone HTML page (inline CSS, no
external assets): the upgrade delta table, the adaptation heatmap and the vendor side-by-side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

from harness.compare.adaptation import AdaptationMatrix
from harness.compare.engine import UpgradeReport, VendorReport
from harness.compare.stats import Comparison
from harness.errors import ConfigError
from harness.pagekit import STYLE, escape

# Cell colours (CSS hex) per verdict; the PNG heatmap uses the same ones.
# environment: the landing page's ENV colour (a frame rate the machine limited, not an SDK defect).
ADAPTATION_COLOURS: Final = {"ok": "#b7e1b9", "environment": "#cfe3ff", "degraded": "#ffd57a", "fails": "#f19a9a",
                             "not_run": "#d9d9d9"}
UPGRADE_COLOURS: Final = {"regression": "#f19a9a", "improvement": "#b7e1b9", "noise": "#fff1b8",
                          "unchanged": "#ffffff", "insufficient_data": "#d9d9d9"}
_CSS: Final = STYLE


def _fmt(value: float | None, spec: str = ".4g") -> str:
    return "-" if value is None else format(value, spec)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} %"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


_UPGRADE_HEADERS: Final = ("device", "scenario", "metric", "base", "new", "delta", "delta %", "p", "CI of delta",
                           "threshold", "verdict")


def _upgrade_cells(c: Comparison) -> list[str]:
    ci = "-" if c.ci_low is None or c.ci_high is None else f"[{c.ci_low:+.4g}, {c.ci_high:+.4g}]"
    verdict = c.verdict + (" (threshold only)" if c.basis == "threshold_only" else "")
    p = "-" if c.p_value is None else f"{c.p_value:.2g}"
    return [c.metric, _fmt(c.base_median), _fmt(c.new_median), _fmt(c.delta, "+.4g"), _pct(c.delta_pct), p, ci,
            c.threshold, verdict]


def format_upgrade(report: UpgradeReport) -> str:
    """The upgrade comparison as a terminal table: one line per device, scenario, metric and threshold."""
    regressions = len(report.regressions)
    newly = [c for c in report.cells if c.newly_failing]
    out = [f"Upgrade {report.base_label} -> {report.new_label} (alpha {report.alpha:g}): {regressions} metric "
           f"regression(s), {len(newly)} newly failing cell(s) in {len(report.cells)} cell(s)"]
    out += [f"WARNING {w}" for w in report.warnings]
    rows = [[cell.device, cell.scenario, *_upgrade_cells(c)] for cell in report.cells for c in cell.comparisons]
    out += _table(_UPGRADE_HEADERS, rows)
    out += [f"NEWLY FAILING {c.device} {c.scenario}: {c.base_status} -> {c.new_status}" for c in newly]
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


_e = escape


def _html_upgrade(report: UpgradeReport) -> list[str]:
    out = [f"<h2>Upgrade {_e(report.base_label)} &rarr; {_e(report.new_label)}</h2>",
           f"<p>alpha {report.alpha:g}; {len(report.regressions)} metric regression(s) in "
           f"{len(report.cells)} cell(s).</p>"]
    out += [f'<p class="warn">{_e(w)}</p>' for w in report.warnings]
    out.append('<table class="upgrade"><tr>' + "".join(f"<th>{_e(h)}</th>" for h in _UPGRADE_HEADERS) + "</tr>")
    for cell in report.cells:
        status = f"{cell.base_status} &rarr; {cell.new_status}" if cell.base_status != cell.new_status else ""
        for c in cell.comparisons:
            values = _upgrade_cells(c)
            colour = UPGRADE_COLOURS[c.verdict]
            tds = [f"<td>{_e(cell.device)}</td>", f"<td>{_e(cell.scenario)} {status}</td>", f"<td>{_e(values[0])}</td>"]
            tds += [f'<td class="num">{_e(v)}</td>' for v in values[1:7]]
            tds += [f"<td>{_e(values[7])}</td>",
                    f'<td style="background:{colour}" title="{_e(c.message)}">{_e(values[8])}</td>']
            out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return out


def _html_adaptation(matrix: AdaptationMatrix) -> list[str]:
    legend = "".join(f'<span style="background:{colour}">{_e(v)}</span>' for v, colour in ADAPTATION_COLOURS.items())
    out = ["<h2>New-device adaptation</h2>",
           f"<p>References: {_e(', '.join(matrix.reference_devices) or 'none')}"
           + (f" (matched by {_e(matrix.match_tag)})" if matrix.match_tag else "") + "</p>",
           f'<p class="legend">{legend}</p>',
           '<table class="heatmap"><tr><th>device</th>' + "".join(f"<th>{_e(c)}</th>" for c in matrix.candidates)
           + "</tr>"]
    for d in matrix.devices:
        tds = [f"<th>{_e(_device_label(matrix, d))}</th>"]
        for c in matrix.candidates:
            cell = matrix.cell(d, c)
            reasons = "".join(f"<li>{_e(r)}</li>" for r in cell.reasons)
            tds.append(f'<td class="cell verdict-{_e(cell.verdict)}" data-device="{_e(d)}" data-candidate="{_e(c)}" '
                       f'style="background:{ADAPTATION_COLOURS[cell.verdict]}"><b>{_e(cell.verdict)}</b>'
                       + (f'<ul class="reasons">{reasons}</ul>' if reasons else "") + "</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return out


def _html_vendors(report: VendorReport) -> list[str]:
    wins = ", ".join(f"{c}: {n}" for c, n in report.wins.items())
    out = [f"<h2>Vendors: {_e(' vs '.join(report.candidates))}</h2>", f"<p>Best-at counts: {_e(wins)}</p>"]
    heads = ["metric", "better", *report.candidates, "best", "margin %", "p"]
    for cell in report.cells:
        statuses = ", ".join(f"{c} {s}" for c, s in cell.statuses.items())
        out.append(f"<h3>{_e(cell.device)} &middot; {_e(cell.scenario)} <small>({_e(statuses)})</small></h3>")
        out.append('<table class="vendors"><tr>' + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr>")
        for m in cell.metrics:
            values = "".join(f'<td class="num{" best" if c == m.best else ""}">{_e(_fmt(m.medians.get(c)))}</td>'
                             for c in report.candidates)
            p = "-" if m.p_value is None else f"{m.p_value:.2g}"
            out.append(f"<tr><td>{_e(m.metric)}</td><td>{_e(m.direction)}</td>{values}<td>{_e(m.best or '-')}</td>"
                       f'<td class="num">{_e(_fmt(m.margin_pct, ".1f"))}</td><td class="num">{_e(p)}</td></tr>')
        out.append("</table>")
    return out


def html_page(*, title: str, upgrade: UpgradeReport | None = None, adaptation: AdaptationMatrix | None = None,
              vendors: VendorReport | None = None) -> str:
    """One standalone HTML page (inline CSS, no scripts, no external assets) with the given sections."""
    body = [f"<h1>{_e(title)}</h1>"]
    if adaptation is not None:
        body += _html_adaptation(adaptation)
    if upgrade is not None:
        body += _html_upgrade(upgrade)
    if vendors is not None:
        body += _html_vendors(vendors)
    if len(body) == 1:
        body.append("<p>No comparison to show.</p>")
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n" + "\n".join(body)
            + "\n</body></html>\n")


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
