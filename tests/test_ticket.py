"""`harness ticket`: the bundle of one failing item, built from a small run folder written here (a failing
item with a defect, a generated key frame, an Appium log of three sessions, a gate.json with a regression)
and, when present, from the project's recorded run. Secrets and private paths planted in the inputs must not
reach the zip."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml

from harness.errors import ConfigError
from harness.known_issues import KnownIssues, load_known_issues
from harness.results import CheckRecord, ItemRecord
from harness.ticket import add_parser, build_ticket, main
from harness.ticket.applog import clock_offset, excerpt
from harness.ticket.redact import Redactor

RUN_ID = "20261126-010203"
ITEM = "filter-warm[pixel7-glfx@2.0]"
ITEM_DIR = "filter-warm_pixel7-glfx@2.0"
STARTED = dt.datetime(2026, 11, 26, 1, 2, 5, tzinfo=dt.UTC)
DURATION_S = 6.0
SECRET = "SECRET123"
FARM_KEY = "bsKEYvalue42"
HUB = "https://user:pw@hub.example.com/wd/hub"
# The regression gate.json reports for the cell; the message is the one harness.compare writes (format of
# Comparison.message), with numbers of a 1500 ms slower start.
REGRESSION = (
    "startup_ms 450 -> 1950 (+1500, +333.3 %), over +10%; p=0.0079 (exact), CI [+1400, +1600]: regression"
)
UNCHANGED = "content_fps 30 -> 29.6 (-0.4, -1.3 %), within -2; p=0.42 (exact): unchanged"
REAL_RUN = Path(__file__).resolve().parents[1] / "reports" / "20261125-204105"

DEVICES_YAML = """
devices:
  - {id: pixel7, name: Google Pixel 7 (web profile), platform: web,
     tags: {tier: flagship, soc: Google Tensor G2},
     emulation: {viewport: {width: 412, height: 915}, pixel_ratio: 2.625,
                 user_agent: "Mozilla/5.0 (Linux; Android 14; Pixel 7) Chrome/156.0.0.0"}}
candidates:
  - {vendor: Lumen Labs, sdk: glfx, version: "2.0", engine: WebGL shader pipeline,
     app: {web: {url: glfx/2.0/index.html}}, locators: {preview: "css=canvas#glfx-output"}}
"""
SCENARIO_YAML = """
name: filter-warm
description: Warm LUT filter applied to the live camera preview
kind: filter
steps: [{launch: cold}, {select_filter: warm}, {wait: 1.0}, {capture: 3}]
expect: {content_fps: {min: 10}}
"""


def _stamp(t: dt.datetime) -> str:
    """Appium's log time format (local time of the server; UTC here)."""
    return t.strftime("%Y-%m-%d %H:%M:%S:") + f"{t.microsecond // 1000:03d}"


def _log(home: Path) -> str:
    at = {s: STARTED + dt.timedelta(seconds=s) for s in (-15, -14.9, -14, 0.1, 0.2, 1, 2, 5, 6.3, 6.4)}
    epoch_ms = int(at[-14.9].timestamp() * 1000)
    lines = [
        f"{_stamp(at[-15])} [HTTP] --> POST /session (the previous item)",
        f"{_stamp(at[-14.9])} [bbbb2222][AppiumDriver@1a2b] Event 'newSessionStarted' logged at {epoch_ms}",
        f"{_stamp(at[-14])} [bbbb2222][HTTP] <-- DELETE /session/bbbb2222-0000 200",
        f'{_stamp(at[0.1])} [HTTP] --> POST /session {{"bstack:options":{{"accessKey":"{SECRET}"}}}}',
        f"{_stamp(at[0.2])} [aaaa1111][ChromiumDriver@9f9f] Session created with id: aaaa1111-0000",
        f'  "hub": "{HUB}",',
        f'{_stamp(at[1])} [aaaa1111][HTTP] --> POST /session/aaaa1111-0000/url {{"url": "file://{home}/a.html"}}',
        f"{_stamp(at[2])} [aaaa1111][Chromedriver@77] farm key {FARM_KEY} in a capability",
        f"{_stamp(at[5])} [aaaa1111][HTTP] <-- DELETE /session/aaaa1111-0000 200",
        f"{_stamp(at[6.3])} [HTTP] --> POST /session (the next item)",
        f"{_stamp(at[6.4])} [cccc3333][ChromiumDriver@4c4c] Session created with id: cccc3333-0000",
    ]
    return "\n".join(lines) + "\n"


def _record(name: str, *, status: str, defects: list[dict[str, Any]], error: str | None) -> ItemRecord:
    scenario, rest = name.split("[")
    candidate = rest.rstrip("]").split("-", 1)[1]
    sdk, version = candidate.split("@")
    check = CheckRecord(name="expect content_fps", metric="content_fps", value=29.6, threshold=">= 10",
                        verdict="pass", unit="fps")
    return ItemRecord(
        run_id=RUN_ID, item_id=f"scenarios/filter.yaml::{name}", name=name, scenario=scenario,
        device="pixel7", device_name="Google Pixel 7 (web profile)", platform="web",
        tags={"tier": "flagship", "soc": "Google Tensor G2"}, candidate=candidate, vendor="Lumen Labs",
        sdk=sdk, version=version, status=status,  # type: ignore[arg-type]
        metrics={"startup_ms": 1950.0, "content_fps": 29.6, "filter_delta_e": 2.16}, checks=[check],
        error={"kind": "sdk", "message": error} if error else None,
        started_at=STARTED.isoformat(timespec="milliseconds"), duration_s=DURATION_S,
        attachments=[f"items/{ITEM_DIR}/capture.webm"] if status == "failed" else [], defects=defects,
    )


def _gate() -> dict[str, Any]:
    cell = {
        "device": "pixel7",
        "scenario": "filter-warm",
        "base_status": "passed",
        "new_status": "failed",
        "base_runs": 1,
        "new_runs": 1,
        "newly_failing": True,
        "verdict": "regression",
        "warnings": [],
        "comparisons": [
            {"metric": "content_fps", "verdict": "unchanged", "message": UNCHANGED},
            {"metric": "startup_ms", "verdict": "regression", "message": REGRESSION},
        ],
    }
    return {
        "kind": "gate",
        "run_id": RUN_ID,
        "verdict": "regression",
        "exit_code": 1,
        "comparisons": [
            {
                "sdk": "glfx",
                "new_candidates": ["glfx@2.0"],
                "baseline": {
                    "run_id": "20261120-000000",
                    "sdk": "glfx",
                    "accepted_by": "qa",
                    "candidates": ["glfx@1.0"],
                },
                "report": {
                    "kind": "upgrade",
                    "base": "glfx@1.0",
                    "new": "glfx@2.0",
                    "alpha": 0.05,
                    "failed": True,
                    "cells": [cell],
                    "only_base": [],
                    "only_new": [],
                },
            }
        ],
        "regressions": [
            {
                "sdk": "glfx",
                "device": "pixel7",
                "scenario": "filter-warm",
                "candidate": "glfx@2.0",
                "base_candidate": "glfx@1.0",
                "metric": "startup_ms",
                "message": REGRESSION,
            }
        ],
    }


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with devices.yaml, a scenario, known issues and one run (with gate.json)."""
    home = tmp_path / "home" / "alice"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", FARM_KEY)
    root = tmp_path / "project"
    (root / "scenarios").mkdir(parents=True)
    (root / "devices.yaml").write_text(DEVICES_YAML)
    (root / "scenarios" / "filter.yaml").write_text(SCENARIO_YAML)
    (root / "known-issues.yaml").write_text(
        yaml.safe_dump(
            {
                "issues": [
                    {
                        "ticket": "LUMEN-142",
                        "title": "warm filter weaker than warm.cube",
                        "url": "https://t.example/LUMEN-142",
                        "candidate": "glfx@2.0",
                        "scenario": "filter-warm",
                        "defect": "colour_cast",
                    }
                ]
            }
        )
    )
    run = root / "reports" / RUN_ID
    folder = run / "items" / ITEM_DIR
    folder.mkdir(parents=True)
    (run / "logs").mkdir()
    (run / "allure-results").mkdir()
    defect = {
        "defect": "colour_cast",
        "value": 3.6214,
        "unit": "Δa*b*",
        "threshold": "<= 3.0",
        "summary": "colour_cast: 3.621 Δa*b* (limit <= 3.0) on 3 of 3 key frames",
    }
    records = [
        _record(ITEM, status="failed", defects=[defect], error=f"SdkDefectError: colour_cast via {HUB}"),
        _record("filter-warm[pixel7-glfx@1.0]", status="passed", defects=[], error=None),
    ]
    (run / "results.json").write_text(json.dumps([r.to_dict() for r in records]))
    details = {
        "metrics": records[0].metrics,
        "details": {"note": f"accessKey={SECRET} read from {home}/farm.env", "key_frame_indices": [87]},
    }
    (folder / "details.json").write_text(json.dumps(details))
    gradient = np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))
    frame = cv2.merge([gradient, gradient[::-1], np.full_like(gradient, 128)])
    (folder / "key_frame_1.png").write_bytes(cv2.imencode(".png", frame)[1].tobytes())
    (folder / "evidence_colour_cast.jpg").write_bytes(cv2.imencode(".jpg", frame)[1].tobytes())
    (folder / "capture.webm").write_bytes(b"\x1a\x45\xdf\xa3" + bytes(60))  # an EBML header, then padding
    (run / "logs" / "appium.log").write_text(_log(home))
    (run / "allure-results" / "environment.properties").write_text(
        "appium.server.version=3.8.0\nchromium.version=Chromium 156.0.8078.108\n"
        f"devices.yaml={root}/devices.yaml\n"
    )
    (run / "gate.json").write_text(json.dumps(_gate()))
    return root


def _build(root: Path, item: str = ITEM, **options: Any) -> tuple[Any, dict[str, bytes]]:
    kwargs: dict[str, Any] = {
        "out": None,
        "baseline_run": None,
        "project_root": root,
        "known_issues": load_known_issues(root / "known-issues.yaml"),
    }
    result = build_ticket(root / "reports" / RUN_ID, item, **{**kwargs, **options})
    with zipfile.ZipFile(result.path) as bundle:
        return result, {name: bundle.read(name) for name in bundle.namelist()}


def test_bundle_holds_the_contracted_files_in_order(project: Path) -> None:
    result, members = _build(project)
    assert result.path == project / "reports" / RUN_ID / "tickets" / f"{ITEM_DIR}.zip"
    assert list(members) == [
        "README.md",
        "excerpt.html",
        "results.json",
        "frames/key_frame_1.png",
        "evidence/evidence_colour_cast.jpg",
        "clip/capture.webm",
        "logs/appium.log",
        "gate.json",
    ]
    assert (
        members["clip/capture.webm"]
        == (project / "reports" / RUN_ID / "items" / ITEM_DIR / "capture.webm").read_bytes()
    )
    saved = json.loads(members["results.json"])
    assert saved["item"]["name"] == ITEM
    assert saved["details"]["details"]["key_frame_indices"] == [87]
    assert json.loads(members["gate.json"])["cell"]["verdict"] == "regression"


def test_readme_names_device_sdk_numbers_baseline_and_command(project: Path) -> None:
    result, members = _build(project)
    readme = members["README.md"].decode()
    assert readme == result.markdown
    # The headline shows the defect's 3.6214 at 3 significant digits; the table, format_metric_value's 4.
    assert result.headline == "pixel7 / glfx@2.0 / filter-warm: colour_cast 3.62 Δa*b* (limit <= 3.0)"
    for text in (
        "Google Pixel 7 (web profile)",
        "Android 14",
        "Google Tensor G2",
        "Lumen Labs glfx 2.0",
        "| colour_cast | limit <= 3.0 | 3.621 Δa*b* | DEFECT |",
        "1. launch: cold",
        "2. select_filter: warm",
        "Already reported as LUMEN-142 https://t.example/LUMEN-142",
    ):
        assert text in readme, text
    assert (
        "harness run --devices devices.yaml --device pixel7 --candidate glfx@2.0 --scenario filter-warm"
        in readme
    )
    baseline = readme[readme.index("## Baseline comparison") : readme.index("## Reproduce")]
    assert "glfx@2.0 against the accepted baseline glfx@1.0" in baseline
    lines = [line for line in baseline.splitlines() if line.startswith("- ")]
    # Regressions first: the newly failing cell, then the startup_ms regression, then the unchanged metric.
    assert lines == [
        "- REGRESSION: newly failing: passed on glfx@1.0, failed on glfx@2.0",
        f"- REGRESSION: {REGRESSION}",
        f"- {UNCHANGED}",
    ]


def test_html_is_one_file_with_inline_images_and_nothing_external(project: Path) -> None:
    _, members = _build(project)
    html = members["excerpt.html"].decode()
    assert html.startswith("<!DOCTYPE html>")
    assert html.count('src="data:image/png;base64,') == 1  # the key frame (no JPEG copy of it here)
    assert html.count('src="data:image/jpeg;base64,') == 1  # the evidence image
    tags = re.findall(r"<[a-z]+\b[^>]*>", html)
    links = [value for tag in tags for value in re.findall(r"""\s(?:src|href)\s*=\s*["']?([^"'\s>]*)""", tag)]
    assert len(links) == 2
    assert all(link.startswith("data:image/") for link in links)
    assert not re.search(r"""\ssrc\s*=\s*["']?https?:""", html)
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "aaaa1111" in html  # the log excerpt is on the page


def test_no_secret_or_private_path_reaches_any_member(project: Path, tmp_path: Path) -> None:
    _, members = _build(project)
    planted = [SECRET, FARM_KEY, "user:pw", str(tmp_path / "home"), str(project), "alice"]
    for name, data in members.items():
        for text in planted:
            assert text.encode() not in data, (name, text)
    log = members["logs/appium.log"].decode()
    assert "https://***@hub.example.com/wd/hub" in log
    assert "file://~/a.html" in log
    assert '"accessKey":"***"' in log
    details = json.loads(members["results.json"])["details"]["details"]
    assert details["note"] == "accessKey=*** read from ~/farm.env"


def test_log_excerpt_keeps_only_the_items_session_and_window(project: Path) -> None:
    _, members = _build(project)
    lines = members["logs/appium.log"].decode().splitlines()
    assert lines[0].startswith(f"# Appium server log excerpt: {ITEM}, sessions aaaa1111; 6 of 6 lines")
    body = lines[1:]
    assert len(body) == 6
    assert sum("[aaaa1111]" in line for line in body) == 4
    assert body[0].endswith(
        '[HTTP] --> POST /session {"bstack:options":{"accessKey":"***"}}'
    )  # untagged, in window
    assert (
        body[2] == '  "hub": "https://***@hub.example.com/wd/hub",'
    )  # a continuation line stays with its entry
    assert not any(
        s in line for line in lines for s in ("bbbb2222", "cccc3333", "previous item", "next item")
    )


def test_untagged_lines_are_left_out_when_another_session_ran_meanwhile() -> None:
    at = STARTED + dt.timedelta(seconds=1)
    text = "\n".join(
        [
            f"{_stamp(at)} [aaaa1111][HTTP] --> GET /mine",
            f"{_stamp(at)} [HTTP] --> POST /session",
            f"{_stamp(at)} [dddd4444][HTTP] --> GET /theirs",
        ]
    )
    cut = excerpt(text, start=STARTED, duration_s=DURATION_S, session_ids=["aaaa1111-ffff"])
    assert cut.lines == (f"{_stamp(at)} [aaaa1111][HTTP] --> GET /mine",)
    assert any("dddd4444" in note for note in cut.notes)


def test_log_excerpt_is_capped_with_a_note() -> None:
    at = STARTED + dt.timedelta(seconds=1)
    text = "\n".join(f"{_stamp(at)} [aaaa1111][HTTP] line {n}" for n in range(1000))
    cut = excerpt(text, start=STARTED, duration_s=DURATION_S, max_lines=400)
    assert cut.cut
    assert (cut.total_lines, cut.shown_lines) == (1000, 400)
    assert cut.lines[99].endswith("line 99")  # the first 100 lines, then the marker, then the last 300
    assert cut.lines[101].endswith("line 700")
    assert "600 lines cut" in cut.lines[100]
    assert any("cut to 400 of 1000 lines" in note for note in cut.notes)


def test_log_clock_offset_comes_from_the_epoch_the_log_prints() -> None:
    # 02:02:05 local against the epoch of 01:02:05 UTC: a server one hour ahead of UTC.
    local = STARTED + dt.timedelta(hours=1)
    epoch_ms = int(STARTED.timestamp() * 1000)
    line = f"{_stamp(local)} [aaaa1111][AppiumDriver@1] Event 'x' logged at {epoch_ms} (..)"
    assert clock_offset(line) == dt.timedelta(hours=1)
    assert excerpt(line, start=STARTED, duration_s=1.0).sessions == ("aaaa1111",)


def test_unknown_item_names_the_failing_items(project: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"ITEM: no item 'nope' in run 20261126-010203; allowed: .*failing "
        r"items: filter-warm\[pixel7-glfx@2\.0\]$",
    ):
        _build(project, "nope")


def test_passing_item_needs_force(project: Path) -> None:
    with pytest.raises(ConfigError, match=r"'filter-warm\[pixel7-glfx@1\.0\]' passed .*or --force"):
        _build(project, "filter-warm[pixel7-glfx@1.0]")
    result, members = _build(project, "filter-warm[pixel7-glfx@1.0]", force=True)
    assert result.headline == "pixel7 / glfx@1.0 / filter-warm: passed"
    assert "clip/capture.webm" not in members  # that item has no folder of its own


@pytest.mark.parametrize("item", [ITEM_DIR, f"scenarios/filter.yaml::{ITEM}"])
def test_item_by_folder_or_node_id(project: Path, item: str) -> None:
    result, _ = _build(project, item)
    assert result.headline.startswith("pixel7 / glfx@2.0 / filter-warm:")


def test_same_item_gives_the_same_bytes(project: Path, tmp_path: Path) -> None:
    first, _ = _build(project, out=tmp_path / "a.zip")
    second, _ = _build(project, out=tmp_path / "b.zip")
    assert first.path.read_bytes() == second.path.read_bytes()


def test_out_must_be_a_zip_in_an_existing_folder(project: Path, tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"--out: t\.tar is not allowed; allowed: a file name ending in \.zip"
    ):
        _build(project, out=tmp_path / "t.tar")
    with pytest.raises(ConfigError, match=r"--out: .*missing: no such folder"):
        _build(project, out=tmp_path / "missing" / "t.zip")


def test_baseline_run_is_compared_when_there_is_no_gate(project: Path, tmp_path: Path) -> None:
    run = project / "reports" / RUN_ID
    (run / "gate.json").unlink()
    _, members = _build(project, known_issues=KnownIssues())
    readme = members["README.md"].decode()
    assert "No baseline comparison: no gate.json in the run and no --baseline run given." in readme
    assert "No open ticket in the known issues matches this cell." in readme
    base = tmp_path / "base"
    base.mkdir()
    old = _record("filter-warm[pixel7-glfx@1.0]", status="passed", defects=[], error=None).to_dict()
    old["metrics"] = {"startup_ms": 450.0, "content_fps": 30.0}
    (base / "results.json").write_text(json.dumps([old]))
    _, members = _build(project, baseline_run=base)
    readme = members["README.md"].decode()
    assert "glfx@2.0 against glfx@1.0 of run base (default thresholds): cell verdict regression" in readme
    # One value a side: harness.compare judges on the +10 % threshold alone (450 -> 1950 ms is +333.3 %).
    assert "- REGRESSION: startup_ms 450 -> 1950 (+1500, +333.3 %), over +10%" in readme
    assert json.loads(members["baseline.json"])["cell"]["base_status"] == "passed"


def test_gate_without_the_cell_says_why_and_a_bad_gate_is_named(project: Path) -> None:
    gate = _gate()
    gate["comparisons"][0]["report"]["cells"][0]["device"] = "moto-e13"
    (project / "reports" / RUN_ID / "gate.json").write_text(json.dumps(gate))
    _, members = _build(project)
    why = "gate.json compares glfx, but it has no cell for this device and scenario."
    assert f"No baseline comparison: {why}" in members["README.md"].decode()
    gate["comparisons"][0]["report"]["cells"] = {"device": "pixel7"}
    (project / "reports" / RUN_ID / "gate.json").write_text(json.dumps(gate))
    with pytest.raises(ConfigError, match=r"gate\.json: comparisons\[0\]\.report\.cells: expected a list"):
        _build(project)


def test_redactor_masks_folders_by_whole_name_and_other_users_homes(tmp_path: Path) -> None:
    redactor = Redactor.for_paths(
        roots=[(tmp_path / "proj", "<project>")], environ={"LT_ACCESS_KEY": "ltkey999", "LT_DEBUG": "true"}
    )
    text = f"{tmp_path}/proj/a {tmp_path}/projects/b /home/bob/x ltkey999 true"
    assert redactor.text(text) == f"<project>/a {tmp_path}/projects/b /home/<user>/x *** true"
    assert not redactor.leaks(redactor.text(text))


def test_cli_prints_path_headline_and_known_ticket(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HARNESS_HOME", str(project))
    monkeypatch.chdir(project)
    parser = argparse.ArgumentParser(prog="harness")
    add_parser(parser.add_subparsers(dest="command"))
    assert main(parser.parse_args(["ticket", RUN_ID, ITEM])) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"ticket: {project / 'reports' / RUN_ID / 'tickets' / (ITEM_DIR + '.zip')} — pixel7 / glfx@2.0 / "
        "filter-warm: colour_cast 3.62 Δa*b* (limit <= 3.0)",
        "already reported as LUMEN-142 https://t.example/LUMEN-142",
    ]
    with pytest.raises(ConfigError, match=r"RUN: 'no-such-run' is neither a run folder nor a run id"):
        main(parser.parse_args(["ticket", "no-such-run", ITEM]))


@pytest.mark.skipif(
    not (REAL_RUN / "results.json").is_file(), reason="the recorded run is not in this checkout"
)
def test_real_run_ticket(tmp_path: Path) -> None:
    root = REAL_RUN.parents[1]
    result = build_ticket(
        REAL_RUN,
        "filter-warm[pixel7-glfx@2.0]",
        out=tmp_path / "t.zip",
        baseline_run=None,
        known_issues=load_known_issues(root / "known-issues.yaml"),
        project_root=root,
    )
    with zipfile.ZipFile(result.path) as bundle:
        members = {name: bundle.read(name) for name in bundle.namelist()}
    # From the run's results.json: colour_cast 3.6214 Δa*b* against <= 3.0; LUMEN-142 from known-issues.yaml.
    assert result.headline == "pixel7 / glfx@2.0 / filter-warm: colour_cast 3.62 Δa*b* (limit <= 3.0)"
    assert "Already reported as LUMEN-142" in result.markdown
    assert "| colour_cast | limit <= 3.0 | 3.621 Δa*b* | DEFECT |" in result.markdown
    log = members["logs/appium.log"].decode()
    # Read off the log by hand: session 5cb99c21 began 20:44:42.8, inside the item's 20:44:42.219 + 7.002 s;
    # 6326a364 belongs to the item before it.
    assert "[5cb99c21]" in log
    assert "6326a364" not in log
    assert "<project>/.cache/clips/" in log
    for name, data in members.items():
        assert str(root).encode() not in data, name
