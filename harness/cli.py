"""The `harness` command: `run` drives the matrix (through pytest and the plugin), `nightly` runs it and gates it
against the accepted baseline, `baseline` accepts one, `compare` compares two runs, `ticket` bundles a failing
cell for the vendor, `scorecard` rates vendors over stored runs, `clip` writes the reference camera clip,
`analyze` measures a recording offline, `parse` reads a captured device output (am start, logcat, dumpsys,
getprop), `doctor` checks what each device needs, `prune` removes old run folders, `completion` prints a shell
completion script, `grid` starts/stops a local Selenium Grid, `upload` sends an app or the reference clip to a
device farm. Exit codes (harness.exitcodes): 0 passed (no regression), 1 items failed (a regression), 2 bad
input or usage, 3 infrastructure failure."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from harness.errors import AnalysisError, ConfigError, HarnessError
from harness.exitcodes import EXIT_FAILED, EXIT_INFRA, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from harness.compare import Row


class _StopReason:
    """A pytest plugin object that keeps why the session stopped early (a service that cannot start)."""

    reason: str | None = None

    def pytest_sessionfinish(self, session: object) -> None:
        stop = getattr(session, "shouldstop", None)
        self.reason = stop if isinstance(stop, str) else None


def _pytest(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """pytest with the plugin, mapped to the harness's exit codes; a run stopped by its infrastructure says why
    in one line on stderr. With --json the terminal report goes to stderr, the records to stdout."""
    import contextlib

    import pytest

    stop = _StopReason()
    out = sys.stderr if getattr(args, "json", False) else sys.stdout
    with contextlib.redirect_stdout(out):
        code = int(pytest.main(pytest_args, plugins=[stop]))
    if stop.reason:
        print(f"harness: error: {stop.reason}", file=sys.stderr)
    if code == pytest.ExitCode.OK:
        return EXIT_OK
    if code == pytest.ExitCode.TESTS_FAILED:
        return EXIT_FAILED
    if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED):
        return EXIT_USAGE
    return EXIT_INFRA


def _collect_only(extra: list[str]) -> bool:
    return any(a in ("--collect-only", "--co") for a in extra)


def _run(args: argparse.Namespace, extra: list[str]) -> int:
    if args.json and not args.run_dir and not _collect_only(extra):
        from harness.paths import project_root
        from harness.run import new_run_id

        args.run_dir = str(project_root() / "reports" / new_run_id())
    code = _pytest(args, _pytest_args(args) + extra)
    if args.json and not _collect_only(extra):
        results = Path(args.run_dir) / "results.json"
        print(results.read_text(encoding="utf-8") if results.is_file() else "[]")
    return code


def _nightly(args: argparse.Namespace, extra: list[str]) -> int:
    """The matrix run, then the gate against the accepted baseline: 0 no regression, 1 regression, 2 bad input,
    3 infrastructure. The gate's checks (baselines exist, thresholds parse) run before any device is touched."""
    from harness.paths import project_root
    from harness.run import new_run_id

    if args.keep is not None and args.keep < 1:
        raise ConfigError(f"{args.keep} is not allowed; allowed: 1 or more run folders to keep", key_path="--keep")
    if _collect_only(extra):
        return _pytest(args, _pytest_args(args) + extra)
    if not args.run_dir:
        args.run_dir = str(project_root() / "reports" / new_run_id())
    gate_args = ["--run-kind", "nightly", "--gate"]
    if args.baseline:
        gate_args += ["--baseline", _run_id_of(args.baseline)]
    if args.gate_config:
        gate_args += ["--gate-config", str(Path(args.gate_config).resolve())]
    gate_args += ["--gate-junit", str(Path(args.junit or Path(args.run_dir) / "junit.xml").resolve())]
    code = _pytest(args, _pytest_args(args) + gate_args + extra)
    if code == EXIT_USAGE:
        return EXIT_USAGE
    gate_path = Path(args.run_dir) / "gate.json"
    if not gate_path.is_file():
        print(f"harness: error: the run ended (exit {code}) without a gate verdict ({gate_path} missing)",
              file=sys.stderr)
        return EXIT_INFRA
    gate = json.loads(gate_path.read_text(encoding="utf-8"))
    print(f"gate: {gate_path} -> {gate['verdict']} (exit {gate['exit_code']})", file=sys.stderr if args.json
          else sys.stdout)
    if args.json:
        print((Path(args.run_dir) / "results.json").read_text(encoding="utf-8"))
    if args.keep is not None:
        from harness.prune import prune_runs

        print(prune_runs(Path(args.run_dir).parent, keep=args.keep).summary(),
              file=sys.stderr if args.json else sys.stdout)
    return int(gate["exit_code"])


def _run_id_of(text: str) -> str:
    """A run id, from an id or a run folder (whose results.json names it)."""
    path = Path(text)
    results = path / "results.json"
    if path.is_dir() and results.is_file():
        records = json.loads(results.read_text(encoding="utf-8"))
        if records and isinstance(records, list) and isinstance(records[0], dict) and records[0].get("run_id"):
            return str(records[0]["run_id"])
    return text


def _baseline(args: argparse.Namespace) -> int:
    from harness.store import open_existing_store

    with open_existing_store(args.store) as store:
        if args.action == "list":
            found = store.baselines()
            if args.json:
                import dataclasses

                print(json.dumps([dataclasses.asdict(b) for b in found], indent=1, default=str))
                return EXIT_OK
            if not found:
                print(f"no baseline accepted yet in {store.url}")
            for b in found:
                print(f"{b.accepted_at}  sdk={b.sdk:10} scenario={b.scenario:14} run={b.run_id}  by {b.accepted_by}"
                      + (f"  ({b.note})" if b.note else ""))
            return EXIT_OK
        if not args.run:
            raise ConfigError("missing; allowed: a stored run id, a run folder, or 'last'", key_path="RUN")
        if args.run == "last":
            last = store.last_run()
            if last is None:
                raise ConfigError(f"'last': no run stored in {store.url}", key_path="RUN")
            run_id = last.run_id
        else:
            run_id = _run_id_of(args.run)
        accepted = store.accept_baseline(run_id, sdk=args.sdk, scenario=args.scenario, accepted_by=args.by,
                                         note=args.note or "")
        print(f"baseline accepted: run {accepted.run_id} for sdk {accepted.sdk}, scenario {accepted.scenario} "
              f"(by {accepted.accepted_by} at {accepted.accepted_at}) in {store.url}")
    return EXIT_OK


def _pytest_args(args: argparse.Namespace) -> list[str]:
    from harness.config import load_config, load_scenarios, validate_matrix
    from harness.preflight import RunOptions, check_run_options

    check_run_options(RunOptions(run_dir=args.run_dir, store=args.store, repeat=args.repeat,
                                 parallel=args.parallel, known_issues=args.known_issues,
                                 gate_config=getattr(args, "gate_config", None),
                                 baseline=getattr(args, "baseline", None)))
    devices_file = Path(args.devices).resolve()
    scenarios_dir = Path(args.scenarios).resolve()
    # Validate everything before any server or browser starts.
    matrix = load_config(devices_file)
    scenarios = load_scenarios(scenarios_dir, names=args.scenario or None)
    devices, candidates = matrix.select(args.device or None, args.candidate or None)
    validate_matrix(matrix, scenarios, devices=devices, candidates=candidates)

    pytest_args = [
        str(scenarios_dir),
        "--devices", str(devices_file),
        "--scenarios", str(scenarios_dir),
        # The run has its own settings: not those of whatever project folder it is started from.
        "-c", os.devnull,
        "--rootdir", str(Path.cwd()),
        "-p", "no:cacheprovider",
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
        "-v" if args.verbose else "-q",
        "--tb=line",
    ]
    for flag, values in (("--device", args.device), ("--candidate", args.candidate), ("--scenario", args.scenario)):
        for value in values or []:
            pytest_args += [flag, value]
    if getattr(args, "quiet", False):
        pytest_args += ["--progress", "off"]
    if args.run_dir:
        pytest_args += ["--run-dir", args.run_dir]
    if args.k:
        pytest_args += ["-k", args.k]
    if args.no_report:
        pytest_args.append("--no-report")
    if args.store:
        pytest_args += ["--store", args.store]
    # Checked by the plugin before any device is touched, as for plain pytest.
    if args.repeat is not None:
        pytest_args += ["--repeat", str(args.repeat)]
    if args.parallel is not None:
        pytest_args += ["--parallel", str(args.parallel)]
    if args.parallel_local:
        pytest_args.append("--parallel-local")
    if args.known_issues is not None:
        pytest_args += ["--known-issues", str(Path(args.known_issues).resolve()) if args.known_issues else ""]
    return pytest_args


def _clip(args: argparse.Namespace) -> int:
    import dataclasses
    import math

    from harness.capture.clip import clip_info, write_video
    from harness.capture.farmclip import write_farm_mp4
    from harness.clipspec import ClipSpec
    from harness.metrics.indexcode import MAX_INDEX

    default_size = "360x640" if args.orientation == "portrait" else "640x360"
    width, height = _size(args.size or default_size)
    if args.size and (height >= width) != (args.orientation == "portrait"):
        rule = "height >= width" if args.orientation == "portrait" else "width > height"
        raise ConfigError(f"{args.size} is not a {args.orientation} size; allowed with --orientation "
                          f"{args.orientation}: {rule}", key_path="--size")
    spec = ClipSpec(width=width, height=height, fps=args.fps, frames=2)  # checks size and rate first
    frames = round(args.seconds * args.fps) if math.isfinite(args.seconds) else 0
    if not 2 <= frames <= MAX_INDEX:
        raise ConfigError(
            f"{args.seconds} is not allowed; allowed a length that gives 2..{MAX_INDEX} frames "
            f"({2 / args.fps:g}..{MAX_INDEX / args.fps:g} s at {args.fps} fps)",
            key_path="--seconds",
        )
    if not args.max_mb > 0:
        raise ConfigError(f"{args.max_mb} is not allowed; allowed a size in MB > 0", key_path="--max-mb")
    spec = dataclasses.replace(spec, frames=frames)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise ConfigError(f"{out.parent}: no such folder; allowed: a file in an existing folder", key_path="--out")
    if out.suffix.lower() == ".mp4":
        written = write_farm_mp4(spec, out, limit_bytes=round(args.max_mb * 1e6))
        rate = "CRF 18" if written.bitrate_kbps is None else f"{written.bitrate_kbps} kbit/s"
        note = f" ({written.size_bytes / 1e6:.2f} MB, H.264 {rate}, limit {args.max_mb:g} MB)"
    else:
        write_video(spec, out)
        note = ""
    info_path = out.with_name(out.name + ".json")
    info_path.write_text(json.dumps(clip_info(spec), indent=1), encoding="utf-8")
    print(f"clip: {out}{note}\nclip info: {info_path}")
    return EXIT_OK


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"'{text}' is not a size; allowed: WIDTHxHEIGHT, e.g. 360x640", key_path="--size") from None
    return w, h


def _analyze(args: argparse.Namespace) -> int:
    from harness.analyze import analyze_video

    result = analyze_video(Path(args.video), clip_info_path=Path(args.clip_info) if args.clip_info else None)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        keys = ("content_fps", "presented_fps", "dropped_frames", "repeated_frames", "jank_count",
                "big_jank_count", "stutter_ratio")
        for key in keys:
            print(f"{key:16} {result[key]}")
        print(f"{'frame_time_ms':16} {result['frame_time_ms']}")
        print(f"{'freezes':16} {len(result['freezes'])}")
        clip = result["clip"]
        print(f"{'clip':16} version {clip['version']}, {clip['frames']} frames at {clip['fps']} fps")
    return EXIT_OK


def _stored_rows(location: str, run_a: str, run_b: str) -> tuple[list[Row], list[Row], tuple[str, str], Path]:
    """RUN_A's and RUN_B's rows from a results store (each a run id or a run folder naming one), with the two run
    ids and the folder the HTML goes to by default (reports/compare/<RUN_B>/). An unknown run is a ConfigError
    listing the stored ones, before anything is written."""
    from harness.compare import rows_from_mappings
    from harness.store import default_store_path, open_existing_store

    ids = (_run_id_of(run_a), _run_id_of(run_b))
    with open_existing_store(location) as store:
        for run_id in ids:
            store.run(run_id)  # ConfigError naming the stored runs when unknown
        base, new = (rows_from_mappings(store.cell_rows(run_id), source=f"store run {run_id}") for run_id in ids)
    return base, new, ids, default_store_path().parent / "compare" / ids[1]


def _compare(args: argparse.Namespace) -> int:
    from harness.compare import (
        adaptation_matrix,
        compare_rows,
        default_config,
        format_adaptation,
        format_upgrade,
        is_confirmed_regression,
        load_compare_config,
        load_run_rows,
        write_html,
    )

    config = load_compare_config(Path(args.config)) if args.config else default_config()
    if args.store:
        base, new, names, out_dir = _stored_rows(args.store, args.run_a, args.run_b)
    else:
        run_a, run_b = Path(args.run_a), Path(args.run_b)
        base, new, names, out_dir = load_run_rows(run_a), load_run_rows(run_b), (run_a.name, run_b.name), run_b
    upgrade = compare_rows(base, new, config=config)
    adaptation = adaptation_matrix(new, config=config, match_tag=args.match_tag or None)
    text = sys.stderr if args.json else sys.stdout
    if not args.json:
        print(format_upgrade(upgrade))
        print(format_adaptation(adaptation))
    out = Path(args.out) if args.out else out_dir / f"compare-{names[0]}.html"
    write_html(out, title=f"{names[0]} -> {names[1]}", upgrade=upgrade, adaptation=adaptation)
    print(f"comparison: {out}", file=text)
    # As in the nightly gate: a regression is significant and over its threshold, or a newly failing cell; a
    # threshold-only difference (one value a side) is unconfirmed and does not fail the command.
    confirmed = [c for _, c in upgrade.regressions if is_confirmed_regression(c)]
    unconfirmed = len(upgrade.regressions) - len(confirmed)
    if unconfirmed:
        print(f"{unconfirmed} unconfirmed difference(s) over threshold with one value a side: repeat to decide",
              file=text)
    newly_failing = any(cell.newly_failing for cell in upgrade.cells)
    code = EXIT_FAILED if confirmed or newly_failing else EXIT_OK
    if args.json:
        print(json.dumps({"exit_code": code, "upgrade": upgrade.to_dict(), "adaptation": adaptation.to_dict(),
                          "html": str(out)}, indent=1, default=str))
    return code


def _matrix_options(run: argparse.ArgumentParser) -> None:
    run.add_argument("--devices", default="devices.yaml", metavar="FILE", help="the device matrix and candidates")
    run.add_argument("--scenarios", default="scenarios", metavar="DIR", help="folder of scenario files")
    run.add_argument("--device", action="append", metavar="ID", help="only this device (repeatable; default: all)")
    run.add_argument("--candidate", action="append", metavar="ID",
                     help="only this candidate (repeatable; default: all)")
    run.add_argument("--scenario", action="append", metavar="NAME",
                     help="only this scenario (repeatable; default: all)")
    run.add_argument("--run-dir", metavar="DIR", help="output folder (default reports/<run-id>)")
    run.add_argument("-k", metavar="EXPR", help="pytest -k expression on item ids (default: every item)")
    run.add_argument("--no-report", action="store_true", help="skip the Allure report")
    run.add_argument("--store", metavar="URL",
                     help="results store: SQLite path or postgresql://... (default: results.db beside the run)")
    run.add_argument("--repeat", type=int, metavar="N",
                     help="run every cell N times; comparisons pool the repeats (default 1)")
    run.add_argument("--parallel", type=int, metavar="N",
                     help="run up to N devices at once, one worker per device, into one run folder and one report; "
                     "local web devices stay one at a time (default 1)")
    run.add_argument("--parallel-local", action="store_true",
                     help="with --parallel: run local web devices in parallel too (they share this machine's CPU, "
                     "which moves their frame rates: docs/scale.md)")
    run.add_argument("--known-issues", metavar="FILE",
                     help="vendor tickets already filed (default: known-issues.yaml when present; '' = none)")
    run.add_argument("-v", "--verbose", action="store_true", help="pytest's own line per item as well")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress line per item: only the summary")
    run.add_argument("--json", action="store_true",
                     help="print the results records as a JSON array on stdout at the end (the report on stderr)")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default (or says it is required), unless the help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or action.default is argparse.SUPPRESS or not action.option_strings:
            return text
        if action.required:
            return text if "required" in text else f"{text} (required)"
        if action.default is None or action.default is False:
            return f"{text} (default: {'off' if action.default is False else 'none'})"
        return f"{text} (default: %(default)s)"


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from harness import __version__

    try:
        return version("sdk-harness")
    except PackageNotFoundError:
        return __version__


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors on one line (`harness: error: --repeat: ...`), exit 2, as every bad input."""

    def error(self, message: str) -> NoReturn:
        from harness.secrets import mask_secrets

        text = " ".join(mask_secrets(message).split())
        match = re.match(r"argument (\S+?)(?:/\S+)?: (.*)", text)
        if match:
            text = f"{match.group(1)}: {match.group(2)}"
        choices = re.search(r" \(choose from (.*)\)$", text)
        if choices:
            text = text[: choices.start()] + f"; allowed: {choices.group(1)}"
        elif "invalid int value" in text:
            text += "; allowed: an integer"
        elif "invalid float value" in text:
            text += "; allowed: a number"
        else:
            text += f"; allowed: the options and values of `{self.prog} --help`"
        self.exit(EXIT_USAGE, f"harness: error: {text}\n")


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _Parser(
        prog="harness", description="Integration test harness for short-video SDKs. "
        "Exit codes: 0 passed, 1 failed, 2 bad input, 3 infrastructure.", formatter_class=HelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}",
                        help="print the harness's version and exit")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the device x candidate x scenario matrix and write the report")
    _matrix_options(run)
    nightly = sub.add_parser("nightly", help="run the matrix and gate it against the accepted baseline "
                             "(exit 0 no regression, 1 regression, 2 bad input, 3 infrastructure)")
    nightly.add_argument("--keep", type=int, metavar="N",
                         help="after the run, keep only the newest N run folders beside it (harness prune)")
    _matrix_options(nightly)
    nightly.add_argument("--baseline", metavar="RUN_ID",
                         help="compare with this stored run (id or folder) instead of the accepted baseline")
    nightly.add_argument("--gate", dest="gate_config", metavar="FILE",
                         help="YAML with a compare: section: thresholds, alpha (docs/compare.md)")
    nightly.add_argument("--junit", metavar="FILE", help="write the gate as JUnit XML (default RUN_DIR/junit.xml)")

    baseline = sub.add_parser("baseline", help="accept a stored run as the baseline, or list baselines")
    baseline.add_argument("action", choices=("accept", "list"), help="accept a run, or list the baselines")
    baseline.add_argument("run", nargs="?", metavar="RUN", help="accept: a stored run id, a run folder, or 'last'")
    baseline.add_argument("--sdk", help="only for this sdk (default: every sdk of the run)")
    baseline.add_argument("--scenario", help="only for this scenario (default: every scenario)")
    baseline.add_argument("--by", help="who accepts it (default: the OS user)")
    baseline.add_argument("--note", help="why, e.g. 'pixkit 1.5 signed off after review'")
    baseline.add_argument("--json", action="store_true", help="list: print the baselines as JSON")
    baseline.add_argument("--store", metavar="URL", help="results store (default reports/results.db)")


    clip = sub.add_parser("clip", help="write the reference camera clip (Y4M or MP4 by extension)")
    clip.add_argument("--out", required=True, metavar="FILE", help="the clip to write: .y4m, .mp4, .mkv or .webm")
    clip.add_argument("--fps", type=int, default=30, help="frame rate")
    clip.add_argument("--seconds", type=float, default=10.0, help="length")
    clip.add_argument("--size", default=None, metavar="WxH",
                      help="default 360x640 (portrait) or 640x360 (landscape)")
    clip.add_argument("--orientation", choices=("portrait", "landscape"), default="portrait",
                      help="portrait (height >= width) or landscape; lays the clip out for that orientation")
    clip.add_argument("--max-mb", type=float, default=15.0,
                      help=".mp4 only: the file must fit this many MB (a farm's video-injection limit; "
                      "BrowserStack: 15); exit 2 if the clip cannot")

    analyze = sub.add_parser("analyze", help="measure frame timing in a recording of the reference clip")
    analyze.add_argument("video", help="a recording of the reference clip (mp4, webm, mkv, y4m)")
    analyze.add_argument("--clip-info", metavar="FILE", help="the clip's .json written by `harness clip`")
    analyze.add_argument("--json", action="store_true", help="print the full result as JSON")
    compare = sub.add_parser("compare", help="compare two runs (RUN_A the baseline) in the terminal and as HTML")
    compare.add_argument("run_a", metavar="RUN_A", help="the baseline run folder (a run id with --store)")
    compare.add_argument("run_b", metavar="RUN_B", help="the run folder compared with it (a run id with --store)")
    compare.add_argument("--store", metavar="URL",
                         help="read RUN_A and RUN_B from this results store (e.g. reports/results.db) instead of "
                              "their folders, which `harness prune` may have removed")
    compare.add_argument("--json", action="store_true", help="print the comparison as JSON (the text on stderr)")
    compare.add_argument("--config", metavar="FILE", help="YAML with a compare: section (thresholds, alpha)")
    compare.add_argument("--match-tag", default="tier", metavar="TAG",
                         help="adaptation: compare a device only with reference devices sharing this tag ('' = all)")
    compare.add_argument("--out", metavar="FILE.html",
                         help="where to write the HTML (default RUN_B/compare-RUN_A.html; with --store "
                              "reports/compare/RUN_B/compare-RUN_A.html)")
    from harness import scale_cli
    from harness.scorecard import cli as scorecard_cli
    from harness.ticket import add_parser as ticket_add_parser

    ticket_add_parser(sub)
    scorecard_cli.add_parser(sub)
    scale_cli.add_parsers(sub)
    from harness import parse_cli, prune
    from harness.doctor import command as doctor_command

    parse_cli.add_parser(sub)
    doctor_command.add_parser(sub, HelpFormatter)
    prune.add_parser(sub, HelpFormatter)
    from harness import locators_check

    locators_check.add_parser(sub, HelpFormatter)
    completion = sub.add_parser("completion", help="print a shell completion script (shtab), e.g. "
                                "`harness completion bash > /etc/bash_completion.d/harness`")
    completion.add_argument("shell", choices=("bash", "zsh"), help="the shell")
    for each in sub.choices.values():
        each.formatter_class = HelpFormatter
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    from harness.secrets import register_environment

    register_environment()
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args, extra)
        if args.command == "nightly":
            return _nightly(args, extra)
        if args.command == "baseline":
            return _baseline(args)
        if args.command == "ticket":
            from harness.ticket import main as ticket_main

            return ticket_main(args)
        if args.command == "scorecard":
            from harness.scorecard import cli as scorecard_cli

            return scorecard_cli.main(args)
        if args.command in ("grid", "upload"):
            from harness import scale_cli

            return scale_cli.main(args)
        if args.command == "clip":
            return _clip(args)
        if args.command == "parse":
            from harness import parse_cli

            return parse_cli.main(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "doctor":
            from harness.doctor import command as doctor_command

            return doctor_command.main(args)
        if args.command == "locators":
            from harness import locators_check

            return locators_check.main(args)
        if args.command == "prune":
            from harness import prune

            return prune.main(args)
        if args.command == "completion":
            import shtab

            print(shtab.complete(build_parser(), shell=args.shell))
            return EXIT_OK
        return _analyze(args)
    except ConfigError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AnalysisError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return EXIT_INFRA


if __name__ == "__main__":
    sys.exit(main())
