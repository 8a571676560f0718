"""The `harness` command's contract with shells and CI, through the real CLI in a subprocess: --version, shell
completion, defaults in every option's help, exit codes (0 passed, 1 failed, 2 bad input, 3 infrastructure) also
through `make run` / scripts/run.sh, --json, --collect-only writing nothing, and `harness prune`.

The infrastructure tests point the harness at an Appium that is not there ($HARNESS_APPIUM_BIN): the run stops at
the first item, before any browser or server starts, so they need no lock."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

from harness.cli import build_parser
from harness.exitcodes import EXIT_FAILED, EXIT_INFRA, EXIT_OK, EXIT_USAGE, run_exit_code
from harness.prune import prune_runs, run_folders
from harness.results import ItemRecord, ResultsWriter

ROOT = Path(__file__).resolve().parents[1]


def _harness(*args: str | Path, env: dict[str, str] | None = None,
             cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False, env={**os.environ, **(env or {})})


# --- --version, completion, help ---------------------------------------------------------------------------------


def test_version_is_the_package_version() -> None:
    proc = _harness("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"harness {version('sdk-harness')}"


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_script_names_every_command(shell: str) -> None:
    proc = _harness("completion", shell)
    assert proc.returncode == 0, proc.stderr
    for command in ("run", "nightly", "doctor", "prune", "compare", "baseline", "completion"):
        assert command in proc.stdout
    assert "--keep" in proc.stdout
    if shell == "bash":
        check = subprocess.run(["bash", "-n"], input=proc.stdout, capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr  # the script parses as bash


def _options(parser: argparse.ArgumentParser, path: str = "harness") -> list[tuple[str, argparse.Action]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += _options(child, f"{path} {name}")
        elif action.option_strings and action.default is not argparse.SUPPRESS:
            found.append((f"{path} {action.option_strings[-1]}", action))
    return found


def test_every_option_has_help_with_its_default() -> None:
    parser = build_parser()
    options = _options(parser)
    assert len(options) > 40
    for name, action in options:
        formatter = parser.formatter_class(prog="harness")
        text = formatter._get_help_string(action) or ""
        assert action.help, f"{name} has no help text"
        assert "default" in text or (action.required and "(required)" in text), f"{name}: {text!r}"
    help_text = " ".join(_harness("run", "--help").stdout.split())
    assert "(default: devices.yaml)" in help_text
    assert "(default: scenarios)" in help_text


# --- exit codes ----------------------------------------------------------------------------------------------------


@dataclass
class _Rec:
    status: str
    error: dict[str, str] | None = None


@pytest.mark.parametrize(("status", "records", "stopped", "code"), [
    (0, [_Rec("passed")], None, EXIT_OK),
    (1, [_Rec("passed"), _Rec("failed", {"kind": "sdk", "message": "m"})], None, EXIT_FAILED),
    (1, [_Rec("failed", {"kind": "sdk", "message": "m"}), _Rec("broken", {"kind": "infrastructure", "message": "m"})],
     None, EXIT_INFRA),
    (1, [_Rec("broken", {"kind": "analysis", "message": "m"})], None, EXIT_FAILED),
    (2, [_Rec("broken", {"kind": "infrastructure", "message": "m"})], "Appium is not installed", EXIT_INFRA),
    (2, [], None, EXIT_INFRA),  # Ctrl-C: not a verdict
    (4, [], None, EXIT_USAGE),
    (5, [], None, EXIT_USAGE),
])
def test_run_exit_code(status: int, records: list[_Rec], stopped: str | None, code: int) -> None:
    assert run_exit_code(status, records, stopped=stopped) == code


SMALL = ["--device", "pixel7", "--device", "moto-e13", "--candidate", "glfx@1.0", "--scenario", "startup",
         "--scenario", "filter-warm", "--no-report"]
NO_APPIUM = {"HARNESS_APPIUM_BIN": "/nonexistent/appium"}


def test_missing_appium_stops_the_run_with_exit_3_and_one_line(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = _harness("run", *SMALL, "--run-dir", run_dir, "--store", tmp_path / "results.db", "--json",
                    env=NO_APPIUM)
    assert proc.returncode == EXIT_INFRA, proc.stdout[-3000:] + proc.stderr[-3000:]
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("harness: error:")]
    assert errors == ["harness: error: [infrastructure] Appium is not installed at /nonexistent/appium "
                      "($HARNESS_APPIUM_BIN); run `make setup` (scripts/setup.sh) first"]
    # Four items selected; the first broke, the run stopped there; what finished is kept, also on stdout (--json).
    records = json.loads(proc.stdout)
    assert [(r["status"], r["error"]["kind"]) for r in records] == [("broken", "infrastructure")]
    assert json.loads((run_dir / "results.json").read_text()) == records
    assert (run_dir / "summary.txt").is_file()


def test_plain_pytest_gets_the_same_exit_code(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "scenarios"), "--devices", str(ROOT / "devices.yaml"), *SMALL,
         "--run-dir", str(tmp_path / "run"), "--store", str(tmp_path / "results.db"), "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False, env={**os.environ, **NO_APPIUM})
    assert proc.returncode == EXIT_INFRA, proc.stdout[-3000:]
    assert "Interrupted: [infrastructure] Appium is not installed" in proc.stdout


def test_make_run_and_run_sh_pass_the_code_on(tmp_path: Path) -> None:
    """The README's main command with an absent Appium: scripts/run.sh exits 3; GNU make can only exit 2 on a
    failing recipe, and names the harness's code in its last line."""
    args = ["--run-dir", str(tmp_path / "run"), "--store", str(tmp_path / "results.db"), "--device", "pixel7",
            "--candidate", "glfx@1.0", "--scenario", "startup", "--no-report"]
    env = {**os.environ, **NO_APPIUM}
    script = subprocess.run(["bash", str(ROOT / "scripts" / "run.sh"), *args], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600, check=False, env=env)
    assert script.returncode == EXIT_INFRA, script.stdout[-2000:] + script.stderr[-2000:]
    assert script.stderr.rstrip().endswith("harness: exit 3 (infrastructure failure)")
    make = subprocess.run(["make", "-C", str(ROOT), "run", f"ARGS={' '.join(args)}"], capture_output=True, text=True,
                          timeout=600, check=False, env=env)
    assert make.returncode == 2, make.stdout[-2000:] + make.stderr[-2000:]
    assert "harness: exit 3 (infrastructure failure)" in make.stderr
    assert make.stderr.rstrip().splitlines()[-1].endswith("run] Error 3")


def test_nightly_keep_must_be_positive(tmp_path: Path) -> None:
    proc = _harness("nightly", "--keep", "0", "--run-dir", tmp_path / "run")
    assert proc.returncode == EXIT_USAGE
    assert proc.stderr.strip() == "harness: error: --keep: 0 is not allowed; allowed: 1 or more run folders to keep"
    assert not (tmp_path / "run").exists()


# --- --collect-only writes nothing ---------------------------------------------------------------------------------


def _tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_collect_only_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"  # the project root for these runs: reports/ would appear here
    home.mkdir()
    env = {"HARNESS_HOME": str(home)}
    proc = _harness("run", "--devices", ROOT / "devices.yaml", "--scenarios", ROOT / "scenarios", "--",
                    "--collect-only", env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "filter-warm[pixel7-glfx@2.0]" in proc.stdout
    nightly = _harness("nightly", "--devices", ROOT / "devices.yaml", "--scenarios", ROOT / "scenarios", "--",
                       "--collect-only", env=env)
    assert nightly.returncode == 0, nightly.stdout[-2000:] + nightly.stderr[-2000:]
    plain = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "scenarios"), "--collect-only", "-q",
                            "-p", "no:cacheprovider"], cwd=home, capture_output=True, text=True, timeout=300,
                           check=False, env={**os.environ, **env})
    assert plain.returncode == 0, plain.stdout[-2000:]
    listed = [line for line in plain.stdout.splitlines() if line.startswith("scenarios/")]
    assert len(listed) >= 60
    assert f"{len(listed)} tests collected" in plain.stdout
    assert _tree(home) == []


# --- --json on compare and baseline list -----------------------------------------------------------------------


def _record(run_id: str, status: str, startup_ms: float) -> ItemRecord:
    return ItemRecord(run_id=run_id, item_id="scenarios/startup.yaml::startup[pixel7-glfx@2.0]",
                      name="startup[pixel7-glfx@2.0]", scenario="startup", device="pixel7", device_name="Pixel 7",
                      platform="web", tags={"tier": "flagship"}, candidate="glfx@2.0", vendor="Lumen Labs",
                      sdk="glfx", version="2.0", status=status, metrics={"startup_ms": startup_ms},
                      started_at="2026-12-01T00:00:00Z", duration_s=1.0,
                      error=None if status == "passed" else {"kind": "sdk", "message": "AppCrashError: gone"})


def test_compare_json(tmp_path: Path) -> None:
    run_a, run_b = tmp_path / "20261201-000000", tmp_path / "20261202-000000"
    ResultsWriter(run_a).add(_record("20261201-000000", "passed", 600.0))
    ResultsWriter(run_b).add(_record("20261202-000000", "failed", 900.0))
    proc = _harness("compare", run_a, run_b, "--json")
    assert proc.returncode == EXIT_FAILED, proc.stderr
    data = json.loads(proc.stdout)
    assert data["exit_code"] == EXIT_FAILED
    assert set(data) == {"exit_code", "upgrade", "adaptation", "html"}
    assert Path(data["html"]).is_file()
    assert "comparison:" in proc.stderr


def test_baseline_list_json(tmp_path: Path) -> None:
    from harness.store import open_store

    db = tmp_path / "results.db"
    with open_store(str(db)):
        pass
    proc = _harness("baseline", "list", "--store", db, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


# --- prune ---------------------------------------------------------------------------------------------------------


def _reports(tmp_path: Path) -> Path:
    reports = tmp_path / "reports"
    for run_id in ("20261201-010000", "20261130-230000", "20261202-090000", "20261203-120000", "20261201-000000"):
        (reports / run_id / "items").mkdir(parents=True)
        (reports / run_id / "items" / "frame.png").write_bytes(b"x" * 1000)
    (reports / "results.db").write_bytes(b"store")
    (reports / "history.jsonl").write_text("{}\n")
    (reports / "my-named-run").mkdir()
    return reports


def test_prune_keeps_the_newest_by_run_id(tmp_path: Path) -> None:
    reports = _reports(tmp_path)
    assert [p.name for p in run_folders(reports)] == ["20261130-230000", "20261201-000000", "20261201-010000",
                                                       "20261202-090000", "20261203-120000"]
    dry = prune_runs(reports, keep=2, dry_run=True)
    assert [p.name for p in dry.removed] == ["20261130-230000", "20261201-000000", "20261201-010000"]
    assert dry.removed_bytes == 3000
    assert len(run_folders(reports)) == 5
    done = prune_runs(reports, keep=2)
    assert done.summary() == (f"prune {reports}: removed 3 run folder(s), 0.0 MB; kept 2 (the results store and "
                              "history.jsonl are kept)")
    assert sorted(p.name for p in reports.iterdir()) == ["20261202-090000", "20261203-120000", "history.jsonl",
                                                         "my-named-run", "results.db"]


def test_prune_cli(tmp_path: Path) -> None:
    reports = _reports(tmp_path)
    dry = _harness("prune", "--keep", "4", "--reports", reports, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0] == f"would remove {reports / '20261130-230000'}"
    assert len(run_folders(reports)) == 5
    real = _harness("prune", "--keep", "4", "--reports", reports)
    assert real.returncode == 0, real.stderr
    assert run_folders(reports)[0].name == "20261201-000000"
    assert (reports / "results.db").read_bytes() == b"store"
    bad = _harness("prune", "--keep", "0", "--reports", reports)
    assert bad.returncode == EXIT_USAGE
    assert bad.stderr.strip() == "harness: error: --keep: 0 is not allowed; allowed: 1 or more run folders to keep"
    missing = _harness("prune", "--keep", "1", "--reports", tmp_path / "nope")
    assert missing.returncode == EXIT_USAGE
    assert "nope: no such folder" in missing.stderr
    shutil.rmtree(reports)


def test_nightly_keep_prunes_after_the_gate(tmp_path: Path) -> None:
    """A nightly whose Appium is missing: the gate's verdict is infrastructure (exit 3), gate.json is written, and
    --keep 1 then leaves only the nightly's own run folder; the store stays."""
    reports, store = tmp_path / "reports", tmp_path / "reports" / "results.db"
    first = _harness("run", "--device", "pixel7", "--candidate", "glfx@1.0", "--scenario", "startup", "--no-report",
                     "--run-dir", reports / "20200101-000000", "--store", store, env=NO_APPIUM)
    assert first.returncode == EXIT_INFRA, first.stdout[-2000:] + first.stderr[-2000:]
    accept = _harness("baseline", "accept", "last", "--store", store)
    assert accept.returncode == 0, accept.stderr
    (reports / "20200101-000001").mkdir()
    nightly = _harness("nightly", "--device", "pixel7", "--candidate", "glfx@1.0", "--scenario", "startup",
                       "--no-report", "--run-dir", reports / "20991231-235959", "--store", store, "--keep", "1",
                       env=NO_APPIUM)
    assert nightly.returncode == EXIT_INFRA, nightly.stdout[-3000:] + nightly.stderr[-3000:]
    assert json.loads((reports / "20991231-235959" / "gate.json").read_text())["exit_code"] == EXIT_INFRA
    assert f"prune {reports}: removed 2 run folder(s)" in nightly.stdout
    assert sorted(p.name for p in reports.iterdir()) == ["20991231-235959", "results.db"]
