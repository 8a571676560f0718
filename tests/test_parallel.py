"""Devices in parallel (harness.parallel): which items share a lane, the results writer appended to by many threads
at once (real files), the per-thread setup stack, and `--parallel` bad input."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.parallel import LOCAL_WEB_LANE, _ThreadSetupState, lanes, shares_host
from harness.preflight import RunOptions, check_run_options
from harness.results import ResultsWriter, load_results
from tests.test_report import make_record


@dataclass(frozen=True)
class Dev:
    id: str
    platform: str
    connection: str


@dataclass(frozen=True)
class It:
    name: str
    device: Dev


WEB_A = Dev("pixel7", "web", "local")
WEB_B = Dev("moto-e13", "web", "local")
GRID_A = Dev("pixel7", "web", "grid")
GRID_B = Dev("moto-e13", "web", "grid")
PHONE = Dev("galaxy-s23", "android", "local")


def _names(plan: list) -> dict[str, list[str]]:
    return {lane.name: [i.name for i in lane.items] for lane in plan}


def test_one_lane_per_remote_device_each_in_collection_order() -> None:
    items = [It("f-a", GRID_A), It("f-b", GRID_B), It("s-a", GRID_A), It("s-b", GRID_B)]
    assert _names(lanes(items)) == {"pixel7": ["f-a", "s-a"], "moto-e13": ["f-b", "s-b"]}


def test_local_web_devices_share_one_lane_unless_allowed() -> None:
    items = [It("f-a", WEB_A), It("f-b", WEB_B), It("f-p", PHONE), It("s-a", WEB_A)]
    assert _names(lanes(items)) == {LOCAL_WEB_LANE: ["f-a", "f-b", "s-a"], "galaxy-s23": ["f-p"]}
    assert _names(lanes(items, parallel_local=True)) == {"pixel7": ["f-a", "s-a"], "moto-e13": ["f-b"],
                                                         "galaxy-s23": ["f-p"]}


def test_only_local_web_shares_the_host() -> None:
    assert shares_host(WEB_A)
    assert not shares_host(GRID_A)
    assert not shares_host(PHONE)  # the phone's own CPU does the work measured
    assert not shares_host(Dev("x", "web", "https://hub.example.test/wd/hub"))


def test_writer_appended_by_many_threads_keeps_every_line_whole(tmp_path: Path) -> None:
    writer = ResultsWriter(tmp_path)
    threads, per_thread = 8, 25
    barrier = threading.Barrier(threads)

    def work(worker: int) -> None:
        barrier.wait()
        for n in range(per_thread):
            writer.add(make_record(device=f"dev{worker}", scenario=f"s{n}",
                                   metrics={"content_fps": float(worker * 100 + n)}))

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == threads * per_thread
    cells = {(d["device"], d["scenario"]) for d in map(json.loads, lines)}
    assert len(cells) == threads * per_thread
    from_json = json.loads((tmp_path / "results.json").read_text())
    assert len(from_json) == threads * per_thread
    assert len(load_results(tmp_path)) == threads * per_thread
    assert not list(tmp_path.glob(".*.tmp"))


def test_setup_state_is_one_per_thread() -> None:
    state = _ThreadSetupState(lambda: {"stack": []})
    seen: dict[str, int] = {}

    def grab(name: str) -> None:
        seen[name] = id(state._state())

    threads = [threading.Thread(target=grab, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    grab("main")
    assert len(set(seen.values())) == 3
    assert state.get("stack") == []  # attributes reach this thread's own state


@pytest.mark.parametrize("value", [0, -1, 65])
def test_parallel_out_of_range_is_bad_input(value: int) -> None:
    with pytest.raises(ConfigError, match=r"--parallel.*an integer from 1 to 64"):
        check_run_options(RunOptions(parallel=value))


CONFTEST = '''
import pytest
from dataclasses import dataclass
from harness.parallel import run_lanes


@dataclass(frozen=True)
class Dev:
    id: str
    platform: str = "android"
    connection: str = "local"


def pytest_collection_modifyitems(items):
    for item in items:
        item.device = Dev(item.name.split("_")[1])


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    run_lanes(session, workers=2)
    return True
'''

TESTS = '''
import json, threading, time
from pathlib import Path
import allure
import pytest


def _body(name, device):
    allure.dynamic.label("device", device)
    allure.dynamic.title(name)
    with allure.step(f"step of {name}"):
        start = time.time()
        time.sleep(0.4)
        allure.attach(name, name="who", attachment_type=allure.attachment_type.TEXT)
    with open(Path(__file__).with_name("spans.jsonl"), "a") as fh:
        fh.write(json.dumps({"name": name, "device": device, "start": start, "end": time.time(),
                             "thread": threading.current_thread().name}) + "\\n")


def test_a_1():
    _body("a1", "a")


def test_b_1():
    _body("b1", "b")


def test_a_2():
    _body("a2", "a")


def test_b_2():
    _body("b2", "b")


def test_a_3():
    _body("a3", "a")


def test_b_3():
    _body("b3", "b")
    raise AssertionError("b3 fails on purpose")
'''


def test_lanes_in_threads_keep_each_items_allure_result_its_own(tmp_path: Path) -> None:
    """Real pytest and allure-pytest (no device): two lanes on two threads; every Allure result holds its own
    item's title, label, step and attachment, the failure stays with its item, and the lanes overlapped. The items
    have no fixtures, as the matrix's items (a fixture shared by items of two lanes is not supported)."""
    import subprocess
    import sys

    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_lanes.py").write_text(TESTS)
    results = tmp_path / "allure"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "--alluredir", str(results), "-c", "/dev/null", "--rootdir", str(tmp_path),
                           str(tmp_path / "test_lanes.py")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert "1 failed, 5 passed" in proc.stdout, proc.stdout + proc.stderr
    found = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    assert sorted(r["name"] for r in found) == ["a1", "a2", "a3", "b1", "b2", "b3"]
    for result in found:
        labels = {lab["name"]: lab["value"] for lab in result["labels"] if lab["name"] == "device"}
        assert labels == {"device": result["name"][0]}
        assert [s["name"] for s in result["steps"]] == [f"step of {result['name']}"]
        (attachment,) = result["steps"][0]["attachments"]
        assert (results / attachment["source"]).read_text() == result["name"]
        assert result["status"] == ("failed" if result["name"] == "b3" else "passed")
    spans = [json.loads(line) for line in (tmp_path / "spans.jsonl").read_text().splitlines()]
    by_device = {d: [s for s in spans if s["device"] == d] for d in ("a", "b")}
    for device, own in by_device.items():  # one device's items one after another, on one thread
        assert [s["name"] for s in own] == [f"{device}{n}" for n in (1, 2, 3)]
        assert len({s["thread"] for s in own}) == 1
    a_start, a_end = by_device["a"][0]["start"], by_device["a"][-1]["end"]
    b_start, b_end = by_device["b"][0]["start"], by_device["b"][-1]["end"]
    assert min(a_end, b_end) - max(a_start, b_start) > 0.6


def test_eta_is_shared_by_the_workers() -> None:
    from harness.progress import eta_s

    assert eta_s([10.0, 20.0], remaining=4) == 60.0
    assert eta_s([10.0, 20.0], remaining=4, workers=2) == 30.0


def test_run_and_nightly_pass_parallel_to_the_session() -> None:
    from harness.cli import _pytest_args, build_parser

    root = Path(__file__).resolve().parents[1]
    for command in ("run", "nightly"):
        args = build_parser().parse_args([command, "--devices", str(root / "devices.yaml"), "--scenarios",
                                          str(root / "scenarios"), "--parallel", "3", "--parallel-local"])
        pytest_args = _pytest_args(args)
        assert pytest_args[pytest_args.index("--parallel") + 1] == "3"
        assert "--parallel-local" in pytest_args
    args = build_parser().parse_args(["run", "--parallel", "0"])
    with pytest.raises(ConfigError, match="--parallel"):
        _pytest_args(args)
