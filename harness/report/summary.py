"""Plain-text run summaries for the terminal: one progress line per finished item, and a device x candidate
table with one column per scenario at the end of a run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Final

from harness.report.allure_meta import format_metric_value
from harness.results import ItemRecord, records_by_cell

LINE_WIDTH: Final = 160
HEADER_MAX: Final = 22
STATUS_WORDS: Final = {"passed": "PASS", "failed": "FAIL", "broken": "BROKEN", "skipped": "SKIP"}
# The numbers shown in each cell when the item measured them: (metric, suffix).
KEY_METRICS: Final[tuple[tuple[str, str], ...]] = (("startup_ms", "ms"), ("content_fps", "fps"))
_SEP: Final = " | "


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "~"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def key_numbers(record: ItemRecord) -> list[str]:
    """The cell's key numbers where measured, e.g. ['812ms', '29.7fps']."""
    return _key_numbers(record)


def _key_numbers(record: ItemRecord) -> list[str]:
    out = []
    for metric, suffix in KEY_METRICS:
        if metric in record.metrics:
            value = record.metrics[metric]
            out.append(f"{value:.0f}{suffix}" if suffix == "ms" else f"{value:.1f}{suffix}")
    return out


def format_cell(record: ItemRecord | None) -> str:
    """One table cell: status and key numbers, e.g. `PASS 812ms 29.7fps`; `-` when the cell did not run."""
    if record is None:
        return "-"
    return " ".join([status_word(record), *_key_numbers(record)])


def status_word(record: ItemRecord) -> str:
    """PASS, FAIL, BROKEN, SKIP; ENV for a cell whose only findings the machine explains (harness.hostcap)."""
    if record.environment is not None and record.status == "passed":
        return "ENV"
    return STATUS_WORDS[record.status]


def _ordered_unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


def format_summary(records: list[ItemRecord], *, known: Mapping[str, str] | None = None) -> str:
    """The end-of-run table: one row per (device, candidate), one column per scenario, then totals, the
    environment-limited cells with their evidence, and the failed or broken items with their cause. `known`
    (item name -> vendor ticket) marks known issues in the table, e.g. `FAIL [PF-77] 11.5fps`."""
    known = known or {}
    if not records:
        return "No items finished.\n"
    devices = _ordered_unique([r.device for r in records])
    candidates = _ordered_unique([r.candidate for r in records])
    scenarios = _ordered_unique([r.scenario for r in records])
    cells = records_by_cell(records)
    rows = [(d, c) for d in devices for c in candidates if any((d, c, s) in cells for s in scenarios)]

    device_w = max(len("device"), *(len(d) for d, _ in rows))
    cand_w = max(len("candidate"), *(len(c) for _, c in rows))
    texts = {key: _known_mark(format_cell(rec), known.get(rec.name)) for key, rec in cells.items()}
    # A column fits its cells and its scenario name (names beyond HEADER_MAX characters are shortened).
    col_w = {
        s: max(min(len(s), HEADER_MAX), *(len(texts.get((d, c, s), "-")) for d, c in rows)) for s in scenarios
    }

    def line(device: str, candidate: str, columns: list[str]) -> str:
        head = f"{device.ljust(device_w)} {candidate.ljust(cand_w)}"
        return (head + _SEP + _SEP.join(columns)).rstrip()

    header = line("device", "candidate", [_truncate(s, col_w[s]).ljust(col_w[s]) for s in scenarios])
    rule = "-" * min(len(header), LINE_WIDTH)
    run_ids = _ordered_unique([r.run_id for r in records])
    title = f"Run {', '.join(run_ids)}: cells show status, startup_ms and content_fps where measured"
    out = [title, header, rule]
    for device, candidate in rows:
        columns = [texts.get((device, candidate, s), "-").ljust(col_w[s]) for s in scenarios]
        out.append(line(device, candidate, columns))
    out.append(rule)

    finished = list(cells.values())
    by_status: Counter[str] = Counter(r.status for r in finished)
    counts = ", ".join(f"{by_status[s]} {s}" for s in STATUS_WORDS if by_status[s])
    out.append(f"Totals: {len(finished)} items: {counts}")
    causes = Counter(r.error["kind"] for r in finished if r.error and r.status in ("failed", "broken"))
    if causes:
        out.append("Failures by cause: " + ", ".join(f"{kind} {n}" for kind, n in causes.most_common()))
    limited = [r for r in finished if r.environment is not None]
    if limited:
        out.append("Environment limited (the machine, not the SDK; not counted as failures):")
        out += [_truncate(f"  ENV    {r.name}  {_first_line(str(r.environment.get('message', '')))}", LINE_WIDTH)
                for r in limited if r.environment is not None]
    problems = [r for r in finished if r.status in ("failed", "broken")]
    if problems:
        out.append("Failed or broken:")
        for r in problems:
            cause = f"{r.error['kind']}: {r.error['message'].strip()}" if r.error else _failed_checks(r)
            mark = f" [known {known[r.name]}]" if r.name in known else ""
            out.append(f"  {STATUS_WORDS[r.status]:<6} {r.name}{mark}  {cause}")
    return "\n".join(out) + "\n"


def _known_mark(text: str, ticket: str | None) -> str:
    if ticket is None:
        return text
    word, _, rest = text.partition(" ")
    return f"{word} [{ticket}] {rest}".rstrip()


def _failed_checks(record: ItemRecord) -> str:
    failed = [c for c in record.checks if c.verdict == "fail"]
    return "; ".join(
        (f"{c.metric} not measured (needs {c.threshold})" if c.value is None else
         f"{c.metric} {format_metric_value(c.value)}{(' ' + c.unit) if c.unit else ''} (needs {c.threshold})")
        for c in failed
    )


def format_progress(record: ItemRecord, done: int, total: int) -> str:
    """One line per finished item, e.g. `[ 3/60] PASS   filter-warm[pixel7-glfx@2.0]  4.2s  812ms 29.7fps`."""
    width = len(str(total))
    parts = [
        f"[{done:>{width}}/{total}]",
        f"{STATUS_WORDS[record.status]:<6}",
        record.name,
        f" {record.duration_s:.1f}s",
        *_key_numbers(record),
    ]
    text = " ".join(parts)
    failed = _failed_checks(record)
    if failed:
        text += f"  fail: {failed}"
    if record.error:
        text += f"  {record.error['kind']}: {_first_line(record.error['message'])}"
    return _truncate(text, LINE_WIDTH)
