"""The pytest plugin: options, collection of scenarios/*.yaml into device x candidate items, and the run's hooks.

Each scenario x device x candidate is one test item with a readable id such as `filter-warm[pixel7-glfx@2.0]`.
The plugin stays inert unless a run is asked for (`--devices`, or scenario files on the command line), so it does
not touch other pytest sessions.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness import stopsignals
from harness.config import load_config, load_scenarios, validate_matrix
from harness.devices.connection import preflight
from harness.errors import ConfigError, HarnessError, ServiceUnavailableError
from harness.known_issues import resolve_known_issues
from harness.paths import project_root
from harness.preflight import RunOptions, check_run_options
from harness.run import Run, new_run_id
from harness.secrets import mask_secrets, register_environment

if TYPE_CHECKING:
    from harness.config.devices import Candidate, Device
    from harness.config.scenarios import Scenario
    from harness.gate import GateRequest

RUN_KEY = pytest.StashKey[Run]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sdk-harness", "short-video SDK matrix runs")
    group.addoption("--devices", metavar="FILE", default=None,
                    help="devices.yaml with the device matrix and candidate SDKs (turns the matrix run on)")
    group.addoption("--scenarios", metavar="DIR", default=None, help="folder of scenario files (default: scenarios)")
    group.addoption("--device", metavar="ID", action="append", default=[], help="run only this device (repeatable)")
    group.addoption("--candidate", metavar="ID", action="append", default=[],
                    help="run only this candidate, e.g. glfx@2.0 (repeatable)")
    group.addoption("--scenario", metavar="NAME", action="append", default=[],
                    help="run only this scenario (repeatable)")
    group.addoption("--run-dir", metavar="DIR", default=None, help="write this run's output here "
                    "(default: reports/<run-id>)")
    group.addoption("--report-name", metavar="TEXT", default="Short-video SDK matrix", help="title of the report")
    group.addoption("--no-report", action="store_true", default=False, help="skip generating the Allure report")
    group.addoption("--store", metavar="URL", default=None,
                    help="results store: a SQLite path or postgresql://user@host:port/db "
                    "(default: results.db beside the run folder)")
    group.addoption("--repeat", metavar="N", type=int, default=1,
                    help="run every cell N times (items #2..#N); repeats pool their samples in comparisons")
    group.addoption("--known-issues", metavar="FILE", default=None,
                    help="vendor tickets already filed (default: known-issues.yaml in the project when present; "
                    "'' = none)")
    group.addoption("--run-kind", choices=("run", "nightly"), default="run", help="stored with the run")
    group.addoption("--gate", action="store_true", default=False,
                    help="compare the run with its accepted baseline in the store and write gate.json")
    group.addoption("--baseline", metavar="RUN_ID", default=None,
                    help="gate: compare with this stored run instead of the accepted baseline")
    group.addoption("--gate-config", metavar="FILE", default=None,
                    help="gate: YAML with a compare: section (thresholds, alpha; docs/compare.md)")
    group.addoption("--gate-junit", metavar="FILE", default=None, help="gate: write JUnit XML here")
    group.addoption("--parallel", metavar="N", type=int, default=1,
                    help="run up to N devices at once, one worker per device, into one run folder and one report "
                    "(local web devices still one at a time unless --parallel-local)")
    group.addoption("--parallel-local", action="store_true", default=False,
                    help="with --parallel: local web devices in parallel too (their measurements share this "
                    "machine's CPU: docs/scale.md)")
    group.addoption("--progress", choices=("line", "off"), default="line",
                    help="line: one line per finished item (elapsed, ETA, key numbers, failures so far); off: only "
                    "the end-of-run summary")


def _scenario_dir(config: pytest.Config) -> Path:
    opt = config.getoption("scenarios")
    return Path(opt).resolve() if opt else (config.rootpath / "scenarios").resolve()


def _wants_run(config: pytest.Config) -> bool:
    if config.getoption("devices"):
        return True
    sdir = _scenario_dir(config)
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == sdir or sdir in path.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if not _wants_run(config):
        return
    register_environment()
    devices_file = Path(config.getoption("devices") or (config.rootpath / "devices.yaml")).resolve()
    try:
        matrix = load_config(devices_file)
        scenarios = load_scenarios(_scenario_dir(config), names=config.getoption("scenario") or None)
        devices, candidates = matrix.select(config.getoption("device") or None,
                                            config.getoption("candidate") or None)
        validate_matrix(matrix, scenarios, devices=devices, candidates=candidates)
        preflight(devices, candidates, file=str(devices_file))
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc
    run_id = new_run_id()
    run_dir = Path(config.getoption("run_dir") or (project_root() / "reports" / run_id)).resolve()
    try:
        check_run_options(RunOptions(
            run_dir=str(run_dir), store=config.getoption("store"), repeat=config.getoption("repeat"),
            gate_config=config.getoption("gate_config"), baseline=config.getoption("baseline"),
            report_name=config.getoption("report_name"), parallel=config.getoption("parallel")))
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from exc
    if config.getoption("collectonly"):  # lists the items, writes nothing: no run folder, store or report
        config.stash[RUN_KEY] = Run(run_id=run_id, run_dir=run_dir, config=matrix, scenarios=scenarios,
                                    devices=devices, candidates=candidates, write_files=False)
        return
    try:
        known = resolve_known_issues(config.getoption("known_issues"), root=project_root())
        gate = _gate_request(config, run_dir, devices=devices, candidates=candidates, scenarios=scenarios)
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from exc
    _before_run(run_dir)
    run = Run(run_id=run_id, run_dir=run_dir, config=matrix, scenarios=scenarios, devices=devices,
              candidates=candidates)
    stopsignals.install()  # SIGTERM, SIGHUP: like Ctrl-C (docs/faults.md)
    _keep_inputs(run_dir, devices_file, scenarios)
    run.kind = config.getoption("run_kind")
    run.known_issues = known
    run.gate_request = gate
    config.stash[RUN_KEY] = run
    from harness.progress import install as install_progress

    install_progress(config, lambda: run.writer.records, lines=config.getoption("progress") != "off")
    if not getattr(config.option, "allure_report_dir", None):
        config.option.allure_report_dir = str(run.results_dir)
        config.option.clean_alluredir = False


def _before_run(run_dir: Path) -> None:
    """Ends what a killed run of this project left running (harness.procs) and checks the run folder takes the
    run (harness.diskcheck): else exit 3 with one line, before any device is touched."""
    from harness import procs
    from harness.diskcheck import RunFolderError, check_run_folder

    procs.reap_stale()
    try:
        check_run_folder(run_dir)
    except RunFolderError as exc:
        pytest.exit(str(exc), returncode=3)  # one line on stderr: "Exit: [infrastructure] run folder ..."


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """allure-pytest's result files: a write that fails (disk full) is noted for the report, not an INTERNALERROR;
    the run stops at the item's own record instead (harness.results)."""
    run = session.config.stash.get(RUN_KEY, None)
    if run is None or not run.write_files:
        return
    import allure_commons
    from allure_commons.logger import AllureFileLogger

    manager = allure_commons.plugin_manager
    for plugin in manager.get_plugins():
        if not isinstance(plugin, AllureFileLogger):
            continue
        for caller in manager.get_hookcallers(plugin) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin:
                    impl.function = _noting_write_errors(impl.function, run.report_notes)


def _noting_write_errors(write: Any, notes: list[str]) -> Any:
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            write(*args, **kwargs)
        except OSError as exc:
            note = f"Allure result files not written: {exc.strerror} (errno {exc.errno})"
            if note not in notes:
                notes.append(note)

    return guarded


def _keep_inputs(run_dir: Path, devices_file: Path, scenarios: Any) -> None:
    """Copies of the devices file and scenario files the run used (run_dir/inputs/), so that its evidence, such as
    a vendor ticket, shows the steps as they were run."""
    inputs = run_dir / "inputs" / "scenarios"
    inputs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(devices_file, run_dir / "inputs" / "devices.yaml")
    for scenario in scenarios:
        source = Path(scenario.source)
        shutil.copyfile(source, inputs / f"{scenario.name}.yaml")


def _gate_request(config: pytest.Config, run_dir: Path, *, devices: Any, candidates: Any,
                  scenarios: Any) -> GateRequest | None:
    """Settles the gate's store, baselines and thresholds before any device is touched (ConfigError otherwise)."""
    if not config.getoption("gate"):
        return None
    from harness.compare import default_config, load_compare_config
    from harness.gate import GateRequest, resolve_baselines
    from harness.store import open_store, run_store_url

    gate_file = config.getoption("gate_config")
    compare_config = load_compare_config(Path(gate_file)) if gate_file else default_config()
    url = run_store_url(config.getoption("store"), run_dir)
    cells = [(c.sdk, s.name) for c in candidates for s in scenarios
             if any(_runs_on(c, d) for d in devices)]
    with open_store(url) as store:
        baselines = resolve_baselines(store, cells, explicit_run=config.getoption("baseline"))
    junit = config.getoption("gate_junit")
    return GateRequest(store_url=url, baselines=baselines, config=compare_config,
                       junit_path=Path(junit).resolve() if junit else None)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    run = parent.config.stash.get(RUN_KEY, None)
    if run is None or file_path.suffix not in (".yaml", ".yml"):
        return None
    if file_path.resolve().parent != _scenario_dir(parent.config):
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


class ScenarioFile(pytest.File):
    """A scenario file: one item per selected device x candidate."""

    def collect(self) -> Iterator[pytest.Item]:
        run = self.config.stash[RUN_KEY]
        for scenario in run.scenarios:
            if Path(scenario.source).resolve() != self.path.resolve():
                continue
            for repeat in range(1, int(self.config.getoption("repeat")) + 1):
                for device in run.devices:
                    for candidate in run.candidates:
                        if not _runs_on(candidate, device):
                            continue
                        suffix = f"#{repeat}" if repeat > 1 else ""
                        yield ScenarioItem.from_parent(
                            self, name=f"{scenario.name}[{device.id}-{candidate.id}]{suffix}",
                            scenario=scenario, device=device, candidate=candidate, repeat=repeat,
                        )


def _runs_on(candidate: Candidate, device: Device) -> bool:
    return getattr(candidate.app, device.platform, None) is not None


class ScenarioItem(pytest.Item):
    """One cell of the matrix: a scenario on one device with one candidate SDK."""

    def __init__(self, *, scenario: Scenario, device: Device, candidate: Candidate, repeat: int = 1,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.repeat = repeat
        self.scenario = scenario
        self.device = device
        self.candidate = candidate
        for tag in getattr(scenario, "tags", []) or []:
            self.add_marker(tag)

    def runtest(self) -> None:
        from harness.scenario.item import run_item, skip_unsupported  # late: keeps plain pytest sessions light

        if not self.candidate.supports(self.device.id):
            skip_unsupported(self.config.stash[RUN_KEY], self)
        run_item(self.config.stash[RUN_KEY], self)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, HarnessError | AssertionError):
            return mask_secrets(f"{type(excinfo.value).__name__}: {excinfo.value}")
        return mask_secrets(str(super().repr_failure(excinfo)))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.name


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A service every item needs cannot start (Appium, Chromium): stop the run here with that one message; the
    items already finished and the report are kept."""
    report = yield
    if call.excinfo is not None and isinstance(call.excinfo.value, ServiceUnavailableError):
        item.session.shouldstop = str(call.excinfo.value)
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """`--parallel N` (N > 1): the items run in lanes, one per device, on up to N threads (harness.parallel)."""
    run = session.config.stash.get(RUN_KEY, None)
    workers = int(session.config.getoption("parallel"))
    if run is None or not run.write_files or workers <= 1 or session.config.option.collectonly:
        return None
    if session.testsfailed and not session.config.option.continue_on_collection_errors:
        raise session.Interrupted(f"{session.testsfailed} error(s) during collection")
    from harness.parallel import run_lanes

    run_lanes(session, workers=workers, parallel_local=bool(session.config.getoption("parallel_local")))
    return True


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None or not run.write_files:
        return
    stopsignals.finishing()  # a second SIGTERM waits until the results and report are written
    run.stop()
    stopped = session.shouldstop if isinstance(session.shouldstop, str) else None
    if stopsignals.received():
        stopped = f"the run was stopped by {stopsignals.received()}"
    if stopped:
        run.run_failed = f"the run stopped: {stopped}"
    elif exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR):
        run.run_failed = f"pytest stopped with exit status {int(exitstatus)} ({pytest.ExitCode(exitstatus).name})"
    from harness.finish import finish_run

    try:
        run.report_path = finish_run(run, report_name=session.config.getoption("report_name"),
                                     store_url=session.config.getoption("store"),
                                     report=not session.config.getoption("no_report"))
    except OSError as exc:  # the run folder cannot be written (disk full): one line, the run exits 3
        run.report_error = f"the run folder cannot be written: {exc.strerror} (errno {exc.errno})"
        stopped = stopped or run.report_error
    from harness.exitcodes import run_exit_code

    # The harness's exit codes for plain pytest runs too: 0 passed, 1 failed, 3 infrastructure (docs: README).
    session.exitstatus = run_exit_code(int(exitstatus), run.writer.records, stopped=stopped)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is None or not run.write_files:
        return
    from harness.report.summary import format_summary

    terminalreporter = _MaskedLines(terminalreporter)
    terminalreporter.write_sep("=", "SDK matrix")
    terminalreporter.write_line(format_summary(run.writer.records, known=dict(run.known_matches)))
    terminalreporter.write_line(f"results: {run.run_dir / 'results.json'}")
    if run.store_location:
        terminalreporter.write_line(f"store:   {run.store_location}")
    elif run.store_error:
        terminalreporter.write_line(f"not stored: {run.store_error}")
    if run.gate_result is not None:
        from harness.gate import format_gate

        terminalreporter.write_line(format_gate(run.gate_result))
    for item, ticket in run.known_matches:
        terminalreporter.write_line(f"known issue: {item} -> {ticket}")
    for note in run.report_notes:
        terminalreporter.write_line(f"report: {note}")
    report = getattr(run, "report_path", None)
    if report:
        terminalreporter.write_line(f"report:  {report}")
    elif getattr(run, "report_error", None):
        terminalreporter.write_line(f"report not generated: {run.report_error}")



class _MaskedLines:
    """The terminal reporter with every line of the matrix summary masked (harness.secrets)."""

    def __init__(self, reporter: Any) -> None:
        self._reporter = reporter

    def write_sep(self, sep: str, title: str) -> None:
        self._reporter.write_sep(sep, mask_secrets(title))

    def write_line(self, line: str) -> None:
        self._reporter.write_line(mask_secrets(str(line)))
