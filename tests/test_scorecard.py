"""Tests for harness.scorecard on a real SQLite results store: run folders written by the real ResultsWriter
and ingested with Store.ingest_run, then the scorecard's known answers (devices passing per version, the
defect fixed and after how many days, the open defect with its ticket and age, the cell not run, the release
cadence), its text, JSON and HTML views, and the `harness scorecard` command's options and errors."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from harness.config import parse_config
from harness.errors import ConfigError
from harness.known_issues import KnownIssues, load_known_issues
from harness.results import ItemRecord, ResultsWriter
from harness.scorecard import (
    Scorecard,
    SdkCard,
    add_parser,
    build_scorecard,
    format_scorecard,
    main,
    scorecard_html,
    version_sort_key,
)
from harness.store import Store

DAY0 = dt.date(2026, 1, 1)
TODAY = dt.date(2026, 1, 31)  # 30 days after DAY0
REPO = Path(__file__).resolve().parent.parent
VENDORS = {"glfx": "Lumen Labs", "pixkit": "Pixel Forge"}

MATRIX = parse_config(
    {
        "devices": [
            {"id": device, "name": f"{device} (web profile)", "platform": "web", "refresh_hz": 60,
             "tags": {"tier": "flagship", "new": device == "pixel-fold"},
             "emulation": {"viewport": {"width": width, "height": 800}, "pixel_ratio": 2.0,
                           "user_agent": "Mozilla/5.0 (Linux; Android 14)", "cpu_throttling": 1}}
            for device, width in (("pixel7", 412), ("moto-e13", 360), ("pixel-fold", 841))
        ],
        "candidates": [
            {"vendor": VENDORS[sdk], "sdk": sdk, "version": version, "engine": "WebGL",
             "app": {"web": {"url": f"{sdk}/{version}/index.html"}}, "locators": {"preview": "css=canvas"}}
            for sdk, version in (("glfx", "1.0"), ("glfx", "2.0"), ("glfx", "3.0"), ("pixkit", "1.4"))
        ],
    },
    source=Path("devices.yaml"),
)


def _start(day: int, minute: int = 0) -> str:
    return f"{(DAY0 + dt.timedelta(days=day)).isoformat()}T10:{minute:02d}:00.000+00:00"


def item(run_id: str, day: int, device: str, candidate: str, scenario: str, *, status: str = "passed",
         defects: tuple[str, ...] = (), error_kind: str | None = None) -> ItemRecord:
    """One record as the runner writes it; a failed item gets an error of `error_kind` (default sdk)."""
    sdk, version = candidate.split("@")
    name = f"{scenario}[{device}-{candidate}]"
    error = None
    if status != "passed":
        message = f"SdkDefectError: {', '.join(defects) or 'no preview'}"
        error = {"kind": error_kind or "sdk", "message": message}
    return ItemRecord(
        run_id=run_id, item_id=f"scenarios/{scenario}.yaml::{name}", name=name, scenario=scenario,
        device=device, device_name=f"{device} (web profile)", platform="web", tags={"tier": "flagship"},
        candidate=candidate, vendor=VENDORS[sdk], sdk=sdk, version=version, status=status,  # type: ignore[arg-type]
        metrics={"content_fps": 29.0}, error=error, started_at=_start(day), duration_s=10.0,
        defects=[{"defect": d, "value": 1.0, "unit": "", "threshold": "", "summary": f"{d} on {device}"}
                 for d in defects],
    )


def ingest(store: Store, root: Path, run_id: str, day: int, items: list[ItemRecord]) -> None:
    """Writes the run folder (items a minute apart, in list order) and ingests it, started on `day`."""
    writer = ResultsWriter(root / run_id)
    for minute, rec in enumerate(items):
        writer.add(dataclasses.replace(rec, started_at=_start(day, minute)))
    store.ingest_run(root / run_id, devices=MATRIX.devices, candidates=MATRIX.candidates,
                     metadata={"started_at": _start(day), "git_commit": "abc123", "git_dirty": False})


RUN_1, RUN_2 = "20260101-100000", "20260110-100000"


def standard_history(store: Store, root: Path) -> None:
    """glfx 1.0 on day 0: colour_cast on pixel7 filter-warm, frame_drops on moto-e13 filter-warm, and
    pixel-fold failing filter-warm without a named defect. glfx 2.0 on day 9: colour_cast gone, frame_drops
    still there, pixel-fold not run. pixkit 1.4 (another vendor) passes on pixel7 on day 0."""
    ingest(store, root, RUN_1, 0, [
        item(RUN_1, 0, "pixel7", "glfx@1.0", "startup"),
        item(RUN_1, 0, "pixel7", "glfx@1.0", "filter-warm", status="failed", defects=("colour_cast",)),
        item(RUN_1, 0, "moto-e13", "glfx@1.0", "startup"),
        item(RUN_1, 0, "moto-e13", "glfx@1.0", "filter-warm", status="failed", defects=("frame_drops",)),
        item(RUN_1, 0, "pixel-fold", "glfx@1.0", "filter-warm", status="failed"),
        item(RUN_1, 0, "pixel7", "pixkit@1.4", "startup"),
    ])
    ingest(store, root, RUN_2, 9, [
        item(RUN_2, 9, "pixel7", "glfx@2.0", "startup"),
        item(RUN_2, 9, "pixel7", "glfx@2.0", "filter-warm"),
        item(RUN_2, 9, "moto-e13", "glfx@2.0", "startup"),
        item(RUN_2, 9, "moto-e13", "glfx@2.0", "filter-warm", status="failed", defects=("frame_drops",)),
    ])


KNOWN_ISSUES_YAML = """\
url_template: "https://tickets.example.com/{ticket}"
issues:
  - ticket: PF-9            # another vendor's ticket that would match the cell by pattern: never taken
    vendor: Pixel Forge
    title: "frame drops on the low-end profile"
    device: moto-e13
    defect: frame_drops
    opened: 2026-01-02
  - ticket: LUM-3
    vendor: Lumen Labs
    title: "warm filter colour cast"
    candidate: "glfx@1.*"
    scenario: filter-warm
    defect: colour_cast
    opened: 2026-01-03
    status: fixed
    fixed_in: "2.0"
  - ticket: LUM-7
    vendor: Lumen Labs
    title: "frame drops on moto e13"
    device: moto-e13
    candidate: "glfx@*"
    scenario: filter-warm
    defect: frame_drops
    opened: 2026-01-05
"""


@pytest.fixture
def known(tmp_path: Path) -> KnownIssues:
    path = tmp_path / "known-issues.yaml"
    path.write_text(KNOWN_ISSUES_YAML, encoding="utf-8")
    return load_known_issues(path)


def glfx(card: Scorecard) -> SdkCard:
    (vendor,) = [v for v in card.vendors if v.vendor == "Lumen Labs"]
    (sdk,) = vendor.sdks
    return sdk


def by_key(sdk: SdkCard) -> dict[tuple[str, str, str], Any]:
    return {d.key: d for d in sdk.defects}


# --- the known answers --------------------------------------------------------------------------------------


def test_devices_passing_per_version_from_each_versions_latest_run(store: Store, tmp_path: Path,
                                                                    known: KnownIssues) -> None:
    standard_history(store, tmp_path)
    sdk = glfx(build_scorecard(store, known_issues=known, today=TODAY))
    v1, v2 = sdk.versions
    # By hand from standard_history: 1.0 fails filter-warm on all three devices; 2.0 ran two devices and
    # moto-e13 still fails there.
    assert (v1.version, v1.run_id, v1.first_seen, v1.passing_label) == ("1.0", RUN_1, DAY0, "0 of 3 devices")
    assert [(f.device, f.failed, f.broken) for f in v1.failing] == [
        ("moto-e13", ("filter-warm",), ()), ("pixel-fold", ("filter-warm",), ()),
        ("pixel7", ("filter-warm",), ())]
    assert (v2.version, v2.run_id, v2.first_seen, v2.passing_label) == ("2.0", RUN_2, dt.date(2026, 1, 10),
                                                                        "1 of 2 devices")
    assert v2.passing == ("pixel7",)
    assert [f.label for f in v2.failing] == ["moto-e13 (failed: filter-warm)"]


def test_defect_fixed_in_2_0_after_9_days_and_the_open_one_with_its_ticket(store: Store, tmp_path: Path,
                                                                            known: KnownIssues) -> None:
    standard_history(store, tmp_path)
    sdk = glfx(build_scorecard(store, known_issues=known, today=TODAY))
    defects = by_key(sdk)
    assert [d.status for d in sdk.defects] == ["open", "not_verified", "fixed"]  # the card's order

    fixed = defects[("pixel7", "filter-warm", "colour_cast")]
    # First seen on day 0 (2026-01-01); 2.0's first run on day 9 (2026-01-10): 9 days.
    assert (fixed.status, fixed.seen_in, fixed.fixed_in, fixed.fixed_on, fixed.days_to_fix) == (
        "fixed", ("1.0",), "2.0", dt.date(2026, 1, 10), 9)
    assert (fixed.ticket, fixed.ticket_status, fixed.age_days) == ("LUM-3", "fixed", None)

    still = defects[("moto-e13", "filter-warm", "frame_drops")]
    # Age: 2026-01-31 - 2026-01-01 = 30 days; the ticket opened 2026-01-05: 26 days. PF-9 is listed first and
    # matches by pattern, but it is Pixel Forge's ticket.
    assert (still.status, still.seen_in, still.first_seen, still.first_seen_run) == (
        "open", ("1.0", "2.0"), DAY0, RUN_1)
    assert (still.age_days, still.ticket, still.ticket_age_days) == (30, "LUM-7", 26)
    assert still.ticket_url == "https://tickets.example.com/LUM-7"
    assert (still.fixed_in, still.days_to_fix, still.summary) == (None, None, "frame_drops on moto-e13")


def test_cell_not_run_is_not_verified_and_a_failure_without_a_defect_is_named_by_its_error(
        store: Store, tmp_path: Path, known: KnownIssues) -> None:
    standard_history(store, tmp_path)
    sdk = glfx(build_scorecard(store, known_issues=known, today=TODAY))
    fold = by_key(sdk)[("pixel-fold", "filter-warm", "failed:sdk")]
    assert (fold.status, fold.last_seen_version, fold.unverified_in, fold.fixed_in) == (
        "not_verified", "1.0", ("2.0",), None)
    assert (fold.age_days, fold.ticket) == (30, None)
    text = format_scorecard(build_scorecard(store, known_issues=known, today=TODAY))
    assert "Not verified: no verdict on the cell since (1)" in text


def test_release_cadence_in_days_and_one_version_is_na(store: Store, tmp_path: Path,
                                                       known: KnownIssues) -> None:
    standard_history(store, tmp_path)
    card = build_scorecard(store, known_issues=known, today=TODAY)
    sdk = glfx(card)
    assert (sdk.cadence_days, sdk.median_cadence_days) == ((9,), 9.0)  # day 9 - day 0
    (pixkit,) = next(v for v in card.vendors if v.vendor == "Pixel Forge").sdks
    assert (pixkit.cadence_days, pixkit.median_cadence_days) == ((), None)
    assert pixkit.cadence_label == "n/a (one version)"
    assert pixkit.versions[0].passing_label == "1 of 1 devices"
    assert pixkit.defects == ()


# --- the edges of the definitions ---------------------------------------------------------------------------


def test_a_broken_cell_is_no_fix_and_a_defect_that_comes_back_opens_again(store: Store, tmp_path: Path,
                                                                          known: KnownIssues) -> None:
    standard_history(store, tmp_path)
    run_3 = "20260121-100000"  # day 20: glfx 3.0, colour_cast back on pixel7, moto-e13's item broken
    ingest(store, tmp_path, run_3, 20, [
        item(run_3, 20, "pixel7", "glfx@3.0", "filter-warm", status="failed", defects=("colour_cast",)),
        item(run_3, 20, "moto-e13", "glfx@3.0", "filter-warm", status="broken", error_kind="infrastructure"),
    ])
    sdk = glfx(build_scorecard(store, known_issues=known, today=TODAY))
    colour = [d for d in sdk.defects if d.key == ("pixel7", "filter-warm", "colour_cast")]
    assert [(d.status, d.seen_in, d.first_seen) for d in colour] == [
        ("open", ("3.0",), dt.date(2026, 1, 21)), ("fixed", ("1.0",), DAY0)]
    assert colour[0].age_days == 10  # 2026-01-31 - 2026-01-21
    assert colour[0].ticket is None  # LUM-3 is closed and covers glfx@1.* only
    drops = by_key(sdk)[("moto-e13", "filter-warm", "frame_drops")]
    # Broken is the infrastructure's fault: it neither fixes nor confirms the defect.
    assert (drops.status, drops.seen_in, drops.unverified_in) == ("not_verified", ("1.0", "2.0"), ("3.0",))
    assert [f.label for f in sdk.versions[2].failing] == [
        "moto-e13 (broken: filter-warm)", "pixel7 (failed: filter-warm)"]
    assert sdk.cadence_days == (9, 11)
    assert sdk.median_cadence_days == 10.0  # median of 9 and 11


def test_a_rerun_of_a_version_becomes_its_latest_run(store: Store, tmp_path: Path,
                                                     known: KnownIssues) -> None:
    standard_history(store, tmp_path)
    rerun = "20260111-100000"  # day 10: glfx 1.0 again, pixel7 only, now passing
    ingest(store, tmp_path, rerun, 10, [item(rerun, 10, "pixel7", "glfx@1.0", "filter-warm")])
    sdk = glfx(build_scorecard(store, known_issues=known, today=TODAY))
    v1 = sdk.versions[0]
    # The version keeps its first-seen date (day 0) and its place before 2.0; its row is the rerun's.
    assert (v1.version, v1.first_seen, v1.run_id, v1.passing_label) == ("1.0", DAY0, rerun, "1 of 1 devices")
    assert [v.version for v in sdk.versions] == ["1.0", "2.0"]
    # 1.0's latest run no longer shows colour_cast, so it is no defect of any version's latest run.
    assert ("pixel7", "filter-warm", "colour_cast") not in by_key(sdk)


def test_versions_order_by_first_seen_then_naturally(store: Store, tmp_path: Path,
                                                     known: KnownIssues) -> None:
    assert sorted(["1.10", "1.9", "2.0-rc1", "2.0", "1.0"], key=version_sort_key) == [
        "1.0", "1.9", "1.10", "2.0", "2.0-rc1"]
    # 3.0 is seen first (day 0), then 1.0 and 2.0 in one run (day 4): first seen decides, the tie goes to
    # the natural order.
    first = "20260101-100000"
    ingest(store, tmp_path, first, 0, [item(first, 0, "pixel7", "glfx@3.0", "startup")])
    ingest(store, tmp_path, "20260105-100000", 4, [
        item("20260105-100000", 4, "pixel7", "glfx@2.0", "startup"),
        item("20260105-100000", 4, "pixel7", "glfx@1.0", "startup")])
    sdk = glfx(build_scorecard(store, known_issues=known, today=TODAY))
    assert [v.version for v in sdk.versions] == ["3.0", "1.0", "2.0"]
    assert sdk.cadence_days == (4, 0)


def test_vendor_filter_and_unknown_vendor(store: Store, tmp_path: Path, known: KnownIssues) -> None:
    standard_history(store, tmp_path)
    card = build_scorecard(store, known_issues=known, vendor="pixel forge", today=TODAY)
    assert [v.vendor for v in card.vendors] == ["Pixel Forge"]
    with pytest.raises(ConfigError, match=r"--vendor: no runs of vendor 'Acme' .*allowed: Lumen Labs, Pix"):
        build_scorecard(store, known_issues=known, vendor="Acme", today=TODAY)


# --- views --------------------------------------------------------------------------------------------------


def test_text_json_and_html_views(store: Store, tmp_path: Path, known: KnownIssues) -> None:
    standard_history(store, tmp_path)
    card = build_scorecard(store, known_issues=known, today=TODAY)
    text = format_scorecard(card)
    assert "Lumen Labs: glfx" in text
    assert "Release cadence: 9 days between versions (median 9)" in text
    assert "1 of 2 devices" in text
    open_line = next(line for line in text.splitlines() if "frame_drops" in line and "moto-e13" in line)
    assert open_line.split() == [
        "moto-e13", "filter-warm", "frame_drops", "1.0", "2026-01-01", "30", "LUM-7", "26"]

    data = json.loads(json.dumps(card.to_dict()))
    (glfx_data,) = next(v for v in data["vendors"] if v["vendor"] == "Lumen Labs")["sdks"]
    assert [v["passing_label"] for v in glfx_data["versions"]] == ["0 of 3 devices", "1 of 2 devices"]
    fixed = next(d for d in glfx_data["defects"] if d["status"] == "fixed")
    assert (fixed["fixed_in"], fixed["days_to_fix"], fixed["first_seen"]) == ("2.0", 9, "2026-01-01")
    assert data["today"] == "2026-01-31"

    page = scorecard_html(card)
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page
    for outside in ("<script", "<link", "src=", "@import", "url("):
        assert outside not in page
    assert '<a href="https://tickets.example.com/LUM-7" title="frame drops on moto e13">LUM-7</a>' in page
    assert "Not verified: no verdict on the cell since (1)" in page


def test_escapes_names_in_html(store: Store, tmp_path: Path) -> None:
    run_id = "20260101-100000"
    ingest(store, tmp_path, run_id, 0, [item(run_id, 0, "pixel7", "glfx@1.0", "<b>x</b>", status="failed",
                                             defects=("a&b",))])
    page = scorecard_html(build_scorecard(store, known_issues=KnownIssues(), today=TODAY))
    assert "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "a&amp;b" in page


# --- the command --------------------------------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="harness")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["scorecard", *argv])


def test_cli_text_json_html_and_errors(store: Store, store_url: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    standard_history(store, tmp_path)
    db = store_url
    issues = tmp_path / "issues.yaml"
    issues.write_text(KNOWN_ISSUES_YAML, encoding="utf-8")
    page = tmp_path / "card.html"
    assert main(parse("--store", db, "--known-issues", str(issues), "--html", str(page))) == 0
    out = capsys.readouterr().out
    assert "LUM-7" in out
    assert out.endswith(f"scorecard: {page}\n")
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(parse("--store", db, "--vendor", "Lumen Labs", "--known-issues", "", "--json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert [v["vendor"] for v in data["vendors"]] == ["Lumen Labs"]
    assert data["known_issues"] is None

    missing = tmp_path / "nowhere" / "results.db"
    with pytest.raises(ConfigError, match=r"--store: .*results\.db: no such results store, so no runs are"):
        main(parse("--store", str(missing)))
    assert not missing.parent.exists()  # no empty database was made
    with pytest.raises(ConfigError, match=r"--html: .*no-such-dir: no such folder"):
        main(parse("--store", db, "--html", str(tmp_path / "no-such-dir" / "card.html")))
    with pytest.raises(ConfigError, match=r"--known-issues: .*missing\.yaml: no such file"):
        main(parse("--store", db, "--known-issues", str(tmp_path / "missing.yaml")))


def test_cli_on_the_projects_own_store(capsys: pytest.CaptureFixture[str]) -> None:
    real = REPO / "reports" / "results.db"
    if not real.is_file():
        pytest.skip(f"{real} not present (no run stored in this checkout)")
    issues = REPO / "known-issues.yaml"
    assert main(parse("--store", str(real), "--known-issues", str(issues) if issues.is_file() else "")) == 0
    out = capsys.readouterr().out
    # The two vendors of devices.yaml, each with its SDK.
    assert "Lumen Labs: glfx" in out
    assert "Pixel Forge: pixkit" in out
