"""Bad input, table-driven: every broken devices file, scenario file or command-line option below goes through the
real `harness run` entry (`harness.cli.main` in-process, and a subset as a real `harness` subprocess). Each must
exit 2 with exactly one line on stderr naming the file or option, the key (or line and column) and what is
allowed, and must start nothing: no run folder appears under the --run-dir parent. The subprocesses run with a
PATH holding only the venv's bin folder, so no Node, Appium or Chromium can be found even by mistake.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.cli import main
from harness.config.yamlfile import MAX_FILE_BYTES

REPO = Path(__file__).resolve().parents[1]
DEVICES_TEXT = (REPO / "devices.yaml").read_text(encoding="utf-8")
FILTER_TEXT = (REPO / "scenarios" / "filter.yaml").read_text(encoding="utf-8")
LONG_300 = "a" * 300
SECRET = "S3cr3tPw"

Edit = Callable[[str], str]


@dataclass(frozen=True)
class Case:
    """One bad input: what to change, and the fragments its one-line message must hold."""

    id: str
    devices: Edit | None = None  # edit of the shipped devices.yaml text
    scenario: Edit | None = None  # edit of scenarios/filter.yaml (the other shipped scenarios stay)
    options: tuple[str, ...] = ()  # extra command-line options; {tmp} is the test's folder
    where: str = "devices"  # "devices", "scenario" or an option such as "--store": named first in the message
    expect: tuple[str, ...] = ()  # further fragments: the key path and what is allowed
    command: str = "run"
    cli: bool = False  # also through a real `harness` subprocess
    hidden: tuple[str, ...] = field(default=())  # text that must NOT appear (secrets)


def sub(old: str, new: str, count: int = 1) -> Edit:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, count)

    return edit


def append(extra: str) -> Edit:
    return lambda text: text + extra


def replace_all(new: str) -> Edit:
    return lambda _text: new


DEEP = "x: " + "[" * 10_000 + "]" * 10_000 + "\n"
BOMB = "".join(
    [
        "    capabilities:\n",
        "      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
        *(f"      a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)),
    ]
)

CASES: list[Case] = [
    # --- devices.yaml: ids, names, values ----------------------------------------------------------------------
    Case("device id 300 chars", devices=sub("id: pixel7", f"id: {LONG_300}"),
         expect=("devices[0].id:", "is too long (300 characters)", "allowed:", "at most 64 characters"), cli=True),
    Case("device id uppercase", devices=sub("id: pixel7", "id: Pixel7"),
         expect=("devices[0].id:", "'Pixel7' is not allowed", "allowed: lowercase letters")),
    Case("device id with slash", devices=sub("id: pixel7", "id: a/b"), expect=("devices[0].id:", "allowed:")),
    Case("device name 300 chars", devices=sub("name: Google Pixel 7 (web profile)", f"name: {LONG_300}"),
         expect=("devices[0].name:", "too long", "at most 200 characters")),
    Case("device name empty", devices=sub("name: Google Pixel 7 (web profile)", 'name: ""'),
         expect=("devices[0].name:", "must not be empty", "allowed: a non-empty string")),
    Case("platform unknown", devices=sub("platform: web", "platform: symbian"),
         expect=("devices[0].platform:", "'symbian' is not allowed", "allowed: android, ios, web"), cli=True),
    Case("connection ftp with password",
         devices=sub("connection: local", f"connection: ftp://alice:pa/ss{SECRET}@farm.example.com/wd/hub"),
         expect=("devices[0].connection:", "ftp://***@farm.example.com/wd/hub", "allowed: local, grid, browserstack"),
         hidden=(SECRET, "alice", "pa/ss"), cli=True),
    Case("connection password with @",
         devices=sub("connection: local", f"connection: http://u:p@{SECRET}@h:99999/wd/hub"),
         expect=("devices[0].connection:", "http://***@h:99999/wd/hub", "allowed:"), hidden=(SECRET,)),
    Case("connection access key in query",
         devices=sub("connection: local", f"connection: gopher://h/wd?accessKey={SECRET}"),
         expect=("devices[0].connection:", "accessKey=***", "allowed:"), hidden=(SECRET,)),
    Case("refresh rate too high", devices=sub("refresh_hz: 60", "refresh_hz: 1000"),
         expect=("devices[0].refresh_hz:", "1000 is too large", "allowed: a number from 24 to 240")),
    Case("refresh rate a string", devices=sub("refresh_hz: 60", "refresh_hz: fast"),
         expect=("devices[0].refresh_hz:", "allowed:")),
    Case("unknown device key", devices=sub("refresh_hz: 60", "refresh_hz: 60\n    colour: red"),
         expect=("devices[0].colour:", "unknown key 'colour'", "allowed: id, name, platform")),
    Case("tier unknown", devices=sub("tier: flagship", "tier: premium"),
         expect=("devices[0].tags.tier:", "'premium' is not allowed", "allowed: flagship, mid, low")),
    Case("viewport negative", devices=sub("viewport: {width: 412", "viewport: {width: -412"),
         expect=("devices[0].emulation.viewport.width:", "allowed:")),
    Case("pixel ratio a string", devices=sub("pixel_ratio: 2.625", "pixel_ratio: retina"),
         expect=("devices[0].emulation.pixel_ratio:", "allowed:")),
    Case("cpu throttling zero", devices=sub("cpu_throttling: 1", "cpu_throttling: 0"),
         expect=("devices[0].emulation.cpu_throttling:", "allowed:")),
    Case("duplicate device ids", devices=sub("id: moto-e13", "id: pixel7"),
         expect=("devices[1].id:", "pixel7", "allowed:")),
    Case("unquoted version", devices=sub('version: "1.0"', "version: 1.0"),
         expect=("candidates[0].version:", "expected a string, got the number 1.0", 'put it in quotes')),
    Case("sdk name 300 chars", devices=sub("sdk: glfx", f"sdk: {LONG_300}"),
         expect=("candidates[0].sdk:", "too long", "at most 64 characters")),
    Case("version 300 chars", devices=sub('version: "1.0"', f'version: "{"1" * 300}"'),
         expect=("candidates[0].version:", "too long", "at most 64 characters")),
    Case("candidate app missing", devices=sub('    app:\n      web: {url: "glfx/1.0/index.html"}\n', ""),
         expect=("candidates[0]", "app", "allowed:")),
    Case("lut file missing", devices=sub("apps/glfx/luts/warm.cube", "apps/glfx/luts/none.cube"),
         expect=("candidates[0].filters.warm.lut:", "allowed:")),
    Case("locator strategy unknown", devices=sub('preview: "css=.pk-stage canvas"', 'preview: "magic=x"'),
         expect=("locators.preview", "allowed:")),
    Case("locator key uppercase", devices=sub('preview: "css=.pk-stage canvas"', 'Preview: "css=x"'),
         expect=("key 'Preview' is not allowed", "allowed: lowercase letters, digits and '_'")),
    Case("capabilities a list", devices=sub("    refresh_hz: 60\n", "    refresh_hz: 60\n    capabilities: [1, 2]\n"),
         expect=("devices[0].capabilities:", "allowed:")),
    Case("devices a string", devices=lambda t: t.replace("devices:\n", "devices: none\nx-old:\n", 1),
         expect=("devices:", "allowed:")),
    Case("top level a list", devices=replace_all("- a\n- b\n"),
         expect=("expected a mapping at the top level", "allowed:")),
    Case("empty file", devices=replace_all(""), expect=("the file is empty", "allowed:"), cli=True),
    # --- devices.yaml: the file itself ---------------------------------------------------------------------------
    Case("duplicate key", devices=sub("refresh_hz: 60", "refresh_hz: 60\n    refresh_hz: 30"),
         expect=("line 11, column 5: the key 'refresh_hz' appears twice", "allowed: each key once per mapping")),
    Case("yaml syntax error", devices=sub("platform: web", "platform: [web"),
         expect=("YAML syntax error", "allowed: valid YAML")),
    Case("tab indentation", devices=sub("    platform: web", "\tplatform: web"),
         expect=("YAML syntax error", "allowed: valid YAML")),
    Case("NUL byte", devices=sub("name: Google Pixel 7", "name: Google\x00 Pixel 7"),
         expect=("line 7, column 17: control character U+0000", "allowed: UTF-8 text without NUL"), cli=True),
    Case("escape byte", devices=sub("name: Google Pixel 7", "name: Google\x1b[31m Pixel 7"),
         expect=("control character U+001B", "allowed:")),
    Case("not UTF-8", devices=lambda t: t + "# \udcff\n", expect=("not UTF-8 text", "allowed: a UTF-8 text file")),
    Case("10000 nested brackets", devices=append(DEEP),
         expect=("nesting deeper than 32 levels", "allowed: at most 32 nested"), cli=True),
    Case("alias bomb in capabilities", devices=sub("    refresh_hz: 60\n", "    refresh_hz: 60\n" + BOMB),
         expect=("aliases expand the document beyond", "allowed: anchors and aliases"), cli=True),
    Case("recursive alias", devices=append("x-loop: &loop [1, *loop]\n"),
         expect=("an alias refers to a node that contains it", "allowed:")),
    Case("file over 1 MiB", devices=append("#" * MAX_FILE_BYTES + "\n"),
         expect=("larger than 1048576 bytes", "allowed: at most 1048576 bytes")),
    # --- scenario files ------------------------------------------------------------------------------------------
    Case("scenario name 300 chars", scenario=sub("name: filter-warm", f"name: {LONG_300}"), where="scenario",
         expect=("name:", "too long (300 characters)", "at most 64 characters"), cli=True),
    Case("scenario name with space", scenario=sub("name: filter-warm", "name: Filter Warm"), where="scenario",
         expect=("name: 'Filter Warm' is not allowed", "allowed: lowercase letters, digits and '-'")),
    Case("misspelt metric", scenario=sub("filter_delta_e:", "filter_delta_ee:"), where="scenario",
         expect=("expect.filter_delta_ee:", "is not a metric the harness measures", "did you mean filter_delta_e",
                 "allowed: a metric of docs/metrics.md"), cli=True),
    Case("metric of a wrong mode", scenario=sub("content_fps:", "startup_lukewarm_ms:"), where="scenario",
         expect=("expect.startup_lukewarm_ms:", "allowed:", "<mode> cold, warm or hot")),
    Case("metric uppercase", scenario=sub("content_fps:", "Content-FPS:"), where="scenario",
         expect=("expect.Content-FPS:", "allowed: a metric name")),
    Case("threshold without bound", scenario=sub("{min: 10}", "{}"), where="scenario",
         expect=("expect.content_fps:", "no bound given", "allowed: min, max or both")),
    Case("threshold min above max", scenario=sub("{min: 10}", "{min: 10, max: 5}"), where="scenario",
         expect=("expect.content_fps:", "min 10 is greater than max 5", "allowed: min <= max")),
    Case("threshold NaN", scenario=sub("{min: 10}", "{min: .nan}"), where="scenario",
         expect=("expect.content_fps.min:", "allowed: a finite number")),
    Case("threshold a string", scenario=sub("{min: 10}", "{min: ten}"), where="scenario",
         expect=("expect.content_fps.min:", "allowed:")),
    Case("kind unknown", scenario=sub("kind: filter", "kind: magic"), where="scenario",
         expect=("kind: 'magic' is not allowed", "allowed: startup, filter")),
    Case("steps empty", scenario=lambda t: t.split("steps:")[0] + "steps: []\n", where="scenario",
         expect=("steps: must not be empty", "allowed: a list of steps")),
    Case("step unknown", scenario=sub("  - wait: 1.0", "  - dance: 1.0"), where="scenario",
         expect=("steps[2].dance:", "unknown step 'dance'", "allowed: launch, select_filter")),
    Case("wait negative", scenario=sub("  - wait: 1.0", "  - wait: -1"), where="scenario",
         expect=("steps[2].wait:", "allowed:")),
    Case("launch mode unknown", scenario=sub("launch: cold", "launch: tepid"), where="scenario",
         expect=("steps[0].launch:", "allowed:")),
    Case("filter name 300 chars", scenario=sub("select_filter: warm", f"select_filter: {LONG_300}"),
         where="scenario", expect=("steps[1].select_filter:", "too long", "at most 64 characters")),
    Case("tag uppercase", scenario=append("tags: [Slow]\n"), where="scenario",
         expect=("tags[0]:", "'Slow' is not allowed", "allowed: lowercase tags")),
    Case("description too long", scenario=sub("description: Warm", f"description: {'w' * 3000} Warm"),
         where="scenario", expect=("description:", "too long", "at most 2000 characters")),
    Case("too many steps", scenario=sub("  - wait: 1.0\n", "  - wait: 0.1\n" * 250), where="scenario",
         expect=("steps:", "too long (253 items)", "at most 200 items")),
    Case("unknown scenario key", scenario=append("owner: me\n"), where="scenario",
         expect=("unknown key 'owner'", "allowed: name, description, kind")),
    Case("scenario NUL byte", scenario=sub("kind: filter", "kind: fil\x00ter"), where="scenario",
         expect=("control character U+0000", "allowed:")),
    Case("scenario alias bomb", scenario=append(BOMB.replace("    capabilities:\n", "x-bomb:\n")),
         where="scenario", expect=("aliases expand the document beyond", "allowed:")),
    Case("scenario deep nesting", scenario=append(DEEP), where="scenario",
         expect=("nesting deeper than 32 levels", "allowed:")),
    Case("duplicate scenario name", scenario=sub("name: filter-warm", "name: startup"),
         where="{tmp}/scenarios/startup.yaml: name:", expect=("'startup' is already used", "allowed: a name unique")),
    # --- command-line options ------------------------------------------------------------------------------------
    Case("repeat zero", options=("--repeat", "0"), where="--repeat",
         expect=("0 is not allowed", "allowed: an integer from 1 to 100"), cli=True),
    Case("repeat too many", options=("--repeat", "101"), where="--repeat",
         expect=("allowed: an integer from 1 to 100",)),
    Case("repeat not a number", options=("--repeat", "abc"), where="--repeat",
         expect=("invalid int value: 'abc'", "allowed: an integer"), cli=True),
    Case("store mysql", options=("--store", f"mysql://bob:{SECRET}@db/h"), where="--store",
         expect=("'mysql' is not supported", "mysql://***@db/h", "allowed: a file path (SQLite"),
         hidden=(SECRET,), cli=True),
    Case("store relative sqlite url", options=("--store", "sqlite://rel.db"), where="--store",
         expect=("needs an absolute path", "allowed:")),
    Case("store under a file", options=("--store", "{tmp}/afile/results.db"), where="--store",
         expect=("is an existing file", "allowed:")),
    Case("store is a folder", options=("--store", "{tmp}"), where="--store", expect=("is a folder", "allowed:")),
    Case("store postgres without host", options=("--store", "postgresql:///h"), where="--store",
         expect=("names no host", "allowed:")),
    Case("run dir is a file", options=("--run-dir", "{tmp}/afile"), where="--run-dir",
         expect=("is an existing file", "allowed: a folder path"), cli=True),
    Case("run dir under a file", options=("--run-dir", "{tmp}/afile/run"), where="--run-dir",
         expect=("is not a folder", "allowed: a folder path")),
    Case("run dir name too long", options=("--run-dir", "{tmp}/runs/" + "r" * 300), where="--run-dir",
         expect=("longer than 255 bytes", "allowed:")),
    Case("run dir with NUL-like control", options=("--run-dir", "{tmp}/runs/a\x1bb"), where="--run-dir",
         expect=("control character", "allowed:")),
    Case("known issues missing", options=("--known-issues", "{tmp}/none.yaml"), where="--known-issues",
         expect=("no such file", "allowed: a known-issues YAML file"), cli=True),
    Case("known issues malformed", options=("--known-issues", "{tmp}/bad.yaml"), where="bad.yaml",
         expect=("allowed:",)),
    Case("device unknown", options=("--device", "nokia3310"), where="--device",
         expect=("unknown device 'nokia3310'", "allowed: pixel7, moto-e13, pixel-fold"), cli=True),
    Case("device 300 chars", options=("--device", LONG_300), where="--device", expect=("allowed: pixel7",)),
    Case("candidate unknown", options=("--candidate", "glfx@9.9"), where="--candidate", expect=("allowed:",)),
    Case("scenario unknown", options=("--scenario", "nope"), where="--scenario", expect=("allowed:",)),
    Case("devices file missing", options=("--devices", "{tmp}/none.yaml"), where="none.yaml",
         expect=("file not found", "allowed: the path of an existing YAML file")),
    Case("devices file a folder", options=("--devices", "{tmp}"), where="{tmp}",
         expect=("is a directory", "allowed:")),
    Case("scenarios folder missing", options=("--scenarios", "{tmp}/none"), where="none",
         expect=("not a directory", "allowed: a folder of scenario files")),
    Case("unknown option", options=("--colour",), where="unrecognized arguments: --colour",
         expect=("allowed: the options and values of `harness --help`",), cli=True),
    Case("gate file missing", command="nightly", options=("--gate", "{tmp}/none.yaml"), where="--gate",
         expect=("no such file", "allowed: a YAML file with a compare: section"), cli=True),
    Case("gate file malformed", command="nightly", options=("--gate", "{tmp}/bad.yaml"), where="bad.yaml",
         expect=("allowed:",)),
]


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))


def _setup(tmp: Path, case: Case) -> list[str]:
    """The case's files in `tmp` and the `harness <command> ...` arguments (no run folder made)."""
    (tmp / "apps").symlink_to(REPO / "apps")
    scenarios = tmp / "scenarios"
    shutil.copytree(REPO / "scenarios", scenarios)
    _write(tmp / "devices.yaml", case.devices(DEVICES_TEXT) if case.devices else DEVICES_TEXT)
    if case.scenario:
        _write(scenarios / "filter.yaml", case.scenario(FILTER_TEXT))
    (tmp / "afile").write_text("not a folder\n", encoding="utf-8")
    (tmp / "bad.yaml").write_text("compare: [\n", encoding="utf-8")
    (tmp / "runs").mkdir()
    args = [case.command, "--devices", str(tmp / "devices.yaml"), "--scenarios", str(scenarios),
            "--run-dir", str(tmp / "runs" / "run-1"), "--store", str(tmp / "runs" / "results.db")]
    return args + [part.replace("{tmp}", str(tmp)) for part in case.options]


def _check(tmp: Path, case: Case, code: int, stderr: str) -> None:
    assert code == 2, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("harness: error: "), line
    where = {
        "devices": str(tmp / "devices.yaml") + ": ",
        "scenario": str(tmp / "scenarios" / "filter.yaml") + ": ",
    }.get(case.where, case.where.replace("{tmp}", str(tmp)))
    assert where in line, line
    for fragment in case.expect:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    assert "; allowed: " in line, line
    for secret in case.hidden:
        assert secret not in line, line
    assert list((tmp / "runs").iterdir()) == [], "a run folder (or store) was created"


def test_there_are_at_least_60_cases_and_a_dozen_through_the_real_command() -> None:
    assert len(CASES) >= 60
    assert sum(case.cli for case in CASES) >= 12
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_in_process(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _setup(tmp_path, case)
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own checks (a value of the wrong type, an unknown option)
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    assert captured.out == ""
    _check(tmp_path, case, code, captured.err)


CLI_CASES = [case for case in CASES if case.cli]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_bad_input_through_the_harness_command(case: Case, tmp_path: Path) -> None:
    args = _setup(tmp_path, case)
    bin_dir = Path(sys.executable).parent
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "LANG": "C.UTF-8", "HARNESS_HOME": str(tmp_path)}
    proc = subprocess.run([str(bin_dir / "harness"), *args], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=env, check=False, errors="surrogateescape")
    assert proc.stdout == ""
    _check(tmp_path, case, proc.returncode, proc.stderr)
    assert not any(p.name.startswith(("appium", "chromium")) for p in tmp_path.iterdir())
