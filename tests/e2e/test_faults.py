"""Faults through the real stack: `harness run` (real Appium 3 server, real headless Chromium, real Allure) is
signalled, killed, cut off from its server, and made to write to a full or read-only file system, and each case
checks what a CI relies on: the finished items kept, the faulted item's status and one-line reason, the report
(or a one-line reason why it could not be written), exit code 3, and no process left in this test's own process
groups (the harness's, and the Appium server's recorded in .cache/pids/). Nothing is asserted by process name
across the machine.

The remote cases put a local HTTP endpoint in front of a real Appium server (the closest real thing to a farm
or remote server going bad): it forwards every request until told to answer 500 or to drop connections. The disk
cases mount a small tmpfs as the run folder (as root), fill it up or remount it read-only mid-run.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from harness import procs
from harness.devices.appium_server import AppiumServer

ROOT = Path(__file__).resolve().parents[2]
HARNESS = [sys.executable, "-m", "harness.cli"]
pytestmark = pytest.mark.e2e

QUICK = "name: a-quick\ndescription: launch\nkind: startup\nsteps:\n  - launch: cold\n  - wait: 0.5\n"
HOLD = "name: b-hold\ndescription: the item faulted\nkind: startup\nsteps:\n  - launch: cold\n  - wait: 8\n"
AFTER = "name: c-after\ndescription: after the fault\nkind: startup\nsteps:\n  - launch: cold\n  - wait: 0.5\n"


def _stack() -> None:
    for p in (Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver"), ROOT / ".tools/node_modules/.bin/appium"):
        if not p.exists():
            pytest.fail(f"the real stack is not installed ({p}); run `make setup`")


@pytest.fixture
def scen(tmp_path: Path) -> Path:
    _stack()
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name, text in (("a-quick", QUICK), ("b-hold", HOLD), ("c-after", AFTER)):
        (folder / f"{name}.yaml").write_text(text)
    return folder


def _devices_file(tmp: Path, remote_url: str | None = None) -> Path:
    data = yaml.safe_load((ROOT / "devices.yaml").read_text())
    data = {k: v for k, v in data.items() if not k.startswith("x-")}
    device = next(d for d in data["devices"] if d["id"] == "pixel7")
    if remote_url:
        device = dict(device, id="pixel7-remote", connection=remote_url)
    data["devices"] = [device]
    for cand in data["candidates"]:
        for spec in (cand.get("filters") or {}).values():
            if isinstance(spec, dict) and "lut" in spec:
                spec["lut"] = str(ROOT / spec["lut"])
    path = tmp / "devices.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


class Harness:
    """One `harness run` in a process group of its own (this test's), with what it recorded in .cache/pids/."""

    def __init__(self, tmp: Path, scenarios: Path, run_dir: Path, *, devices: Path | None = None,
                 device: str = "pixel7", env: dict[str, str] | None = None, extra: tuple[str, ...] = ()) -> None:
        self.run_dir = run_dir
        self.out = tmp / f"out-{run_dir.name}.txt"
        cmd = [*HARNESS, "run", "--devices", str(devices or _devices_file(tmp)), "--scenarios", str(scenarios),
               "--device", device, "--candidate", "glfx@1.0", "--run-dir", str(run_dir),
               "--store", str(tmp / "results.db"), *extra]
        with self.out.open("w") as fh:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, text=True,
                                         start_new_session=True, env={**os.environ, **(env or {})})
        self.groups: dict[int, procs.OwnedProcess] = {}

    def poll_groups(self) -> None:
        folder = procs.pids_dir()
        for path in folder.glob("*.json") if folder.is_dir() else []:
            owned = procs.load(path)
            if owned is not None and owned.owner_pid == self.proc.pid:
                self.groups[owned.pgid] = owned

    def records(self) -> list[dict]:
        path = self.run_dir / "results.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def wait(self, what: str, pred: Callable[[], bool], timeout_s: float = 150.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.poll_groups()
            if pred():
                return
            if self.proc.poll() is not None:
                pytest.fail(f"harness exited ({self.proc.returncode}) before {what}:\n{self.output()[-3000:]}")
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what}:\n{self.output()[-3000:]}")

    def browser(self) -> int | None:
        """The browser process (not a helper) in the run's Appium server group."""
        for owned in self.groups.values():
            for pid in procs.group_members(owned):
                cmd = procs.cmdline(pid)
                if cmd and cmd[0].endswith("chromium") and not any(a.startswith("--type=") for a in cmd):
                    return pid
        return None

    def finish(self, timeout_s: float = 240.0) -> int:
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            pytest.fail(f"harness did not exit:\n{self.output()[-3000:]}")

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def left_running(self) -> list[str]:
        """Processes still in the harness's own group or in a group it recorded (leader or members)."""
        left = []
        for pid in _pids_in_group(self.proc.pid, self.proc.pid):
            left.append(" ".join(procs.cmdline(pid))[:120])
        for owned in self.groups.values():
            left += [" ".join(procs.cmdline(pid))[:120] for pid in procs.group_members(owned)]
        return left


def _pids_in_group(pgid: int, sid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid and os.getsid(int(entry.name)) == sid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _settle(h: Harness, timeout_s: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and h.left_running():
        time.sleep(0.2)
    return h.left_running()


def _results(run_dir: Path) -> list[dict]:
    return json.loads((run_dir / "results.json").read_text())


def _one_line_reason(record: dict) -> str:
    message = record["error"]["message"]
    assert "\n" not in message, message
    assert len(message) < 400, message
    return message


def _check_common(h: Harness, code: int, *, report: bool = True) -> list[dict]:
    out = h.output()
    assert code == 3, out[-3000:]
    assert "INTERNALERROR" not in out, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    records = _results(h.run_dir)
    assert records[0]["name"].startswith("a-quick"), records
    assert records[0]["status"] == "passed", records
    if report:
        assert (h.run_dir / "allure-report" / "index.html").is_file(), out[-3000:]
    assert _settle(h) == [], h.left_running()
    return records


def _first_item_done(h: Harness) -> Callable[[], bool]:
    return lambda: len(h.records()) >= 1 and h.browser() is not None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_stop_signal_mid_item_is_like_ctrl_c(tmp_path: Path, scen: Path, sig: signal.Signals) -> None:
    h = Harness(tmp_path, scen, tmp_path / "run")
    h.wait("the second item's browser", _first_item_done(h))
    h.proc.send_signal(sig)
    records = _check_common(h, h.finish())
    held = [r for r in records if r["name"].startswith("b-hold")]
    assert len(held) == 1, records
    assert held[0]["status"] == "broken", records
    assert f"stopped by {sig.name}" in _one_line_reason(held[0])
    assert held[0]["error"]["kind"] == "infrastructure"
    assert not any(r["name"].startswith("c-after") for r in records)


def test_sigkill_then_next_start_cleans_up(tmp_path: Path, scen: Path) -> None:
    h = Harness(tmp_path, scen, tmp_path / "run")
    h.wait("the second item's browser", _first_item_done(h))
    groups = dict(h.groups)
    assert groups, "the run recorded no process group in .cache/pids/"
    h.proc.send_signal(signal.SIGKILL)
    h.proc.wait(timeout=10)
    records = [json.loads(x) for x in (h.run_dir / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records] == ["passed"]  # the finished item survived the kill
    json.loads((h.run_dir / "results.json").read_text())  # never torn
    (scen / "b-hold.yaml").unlink()
    (scen / "c-after.yaml").unlink()
    nxt = Harness(tmp_path, scen, tmp_path / "run2", extra=("--no-report",))
    assert nxt.finish() == 0, nxt.output()[-3000:]
    assert all(procs.group_members(o) == [] for o in groups.values()), [procs.cmdline(p) for o in groups.values()
                                                                         for p in procs.group_members(o)]
    assert not any(o.path.exists() for o in groups.values())
    assert _pids_in_group(h.proc.pid, h.proc.pid) == []
    assert _settle(nxt) == []


def test_appium_server_killed_mid_session(tmp_path: Path, scen: Path) -> None:
    h = Harness(tmp_path, scen, tmp_path / "run")
    h.wait("the second item's browser", _first_item_done(h))
    first = dict(h.groups)
    for owned in first.values():
        os.kill(owned.pid, signal.SIGKILL)  # the server only; its chromedriver and browser stay behind
    records = _check_common(h, h.finish())
    held = next(r for r in records if r["name"].startswith("b-hold"))
    assert held["status"] == "broken", held
    assert held["error"]["kind"] == "infrastructure", held
    _one_line_reason(held)
    after = next(r for r in records if r["name"].startswith("c-after"))
    assert after["status"] == "passed", after  # the device's next item ran on a fresh server
    assert all(procs.group_members(o) == [] for o in first.values())


def test_browser_killed_mid_item(tmp_path: Path, scen: Path) -> None:
    h = Harness(tmp_path, scen, tmp_path / "run")
    h.wait("the second item's browser", _first_item_done(h))
    browser = h.browser()
    assert browser is not None
    os.kill(browser, signal.SIGKILL)
    records = _check_common(h, h.finish())
    held = next(r for r in records if r["name"].startswith("b-hold"))
    assert held["status"] == "broken", held
    assert held["error"]["kind"] == "infrastructure", held
    _one_line_reason(held)
    assert next(r for r in records if r["name"].startswith("c-after"))["status"] == "passed"


class _Gate(http.server.ThreadingHTTPServer):
    mode = "forward"
    upstream = ""
    sessions = 0


class _GateHandler(http.server.BaseHTTPRequestHandler):
    """Forwards to the real Appium server, or answers 500, or drops the connection, as the test says."""

    server: _Gate
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _any(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode = self.server.mode
        if mode == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if mode == "500":
            data = b"<html><body>502 upstream gone, request was " + body[:200] + b"</body></html>"
            self.send_response(500)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        host, port = self.server.upstream.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        conn.request(self.command, self.path, body=body or None,
                     headers={"Content-Type": self.headers.get("Content-Type", "application/json")})
        resp = conn.getresponse()
        data = resp.read()
        if self.command == "POST" and self.path.rstrip("/").endswith("/session") and resp.status == 200:
            self.server.sessions += 1
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.getheader("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_DELETE = _any


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[_Gate]:
    server = AppiumServer(project_root=ROOT, log_path=tmp_path / "remote-appium.log").start()
    httpd = _Gate(("127.0.0.1", 0), _GateHandler)
    httpd.daemon_threads = True
    httpd.upstream = f"127.0.0.1:{server.port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        server.stop()


@pytest.mark.parametrize("mode", ["500", "drop"])
def test_remote_fails_mid_item(tmp_path: Path, scen: Path, gate: _Gate, mode: str) -> None:
    url = f"http://127.0.0.1:{gate.server_address[1]}"
    h = Harness(tmp_path, scen, tmp_path / "run", devices=_devices_file(tmp_path, url), device="pixel7-remote")
    h.wait("the second item's session", lambda: len(h.records()) >= 1 and gate.sessions >= 2)
    time.sleep(1.0)
    gate.mode = mode
    records = _check_common(h, h.finish())
    for rec in records[1:]:
        assert rec["status"] == "broken", rec
        assert rec["error"]["kind"] == "infrastructure", rec
        reason = _one_line_reason(rec)
        assert "request was" not in reason
        assert "<html>" not in reason
        assert ("HTTP 500" in reason) if mode == "500" else ("failed" in reason or "unreachable" in reason), reason
    assert len(records) == 3
    assert "request was" not in h.output()
    assert len(h.output().splitlines()) < 200


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs here (run as root): {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _check_disk_case(h: Harness, code: int) -> None:
    out = h.output()
    assert code == 3, out[-3000:]
    assert "INTERNALERROR" not in out, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    lines = (h.run_dir / "results.jsonl").read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # whole lines only
    records = _results(h.run_dir)  # valid JSON, never torn
    assert records[0]["status"] == "passed"
    assert len(records) == len(lines)
    assert "run folder" in out, out[-3000:]
    assert "errno" in out, out[-3000:]
    assert _settle(h) == [], h.left_running()


def test_disk_full_mid_run(tmp_path: Path, scen: Path, small_fs: Path) -> None:
    h = Harness(tmp_path, scen, small_fs / "run", env={"HARNESS_MIN_FREE_MB": "1"})
    h.wait("the second item's browser", _first_item_done(h))
    subprocess.run(["dd", "if=/dev/zero", f"of={small_fs}/filler", "bs=1M", "count=64"], capture_output=True,
                   check=False)
    _check_disk_case(h, h.finish())


def test_run_folder_made_read_only_mid_run(tmp_path: Path, scen: Path) -> None:
    """A read-only file system is mounted over the run folder mid-run (files already open stay writable, as on
    a disk remounted read-only after an error); after the run it is unmounted and the folder underneath read."""
    h = Harness(tmp_path, scen, tmp_path / "run")
    h.wait("the second item's browser", _first_item_done(h))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(h.run_dir)], check=True)
    try:
        code = h.finish()
    finally:
        subprocess.run(["umount", "-l", str(h.run_dir)], check=False)
    _check_disk_case(h, code)


def test_unwritable_or_small_run_folder_stops_before_anything_starts(tmp_path: Path, scen: Path,
                                                                     small_fs: Path) -> None:
    small = Harness(tmp_path, scen, small_fs / "run-small")  # 24 MB free < the 500 MB minimum
    assert small.finish() == 3
    assert "MB free" in small.output(), small.output()
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    ro = Harness(tmp_path, scen, small_fs / "run-ro", env={"HARNESS_MIN_FREE_MB": "1"})
    assert ro.finish() == 2  # --run-dir names a folder that cannot be written: the option is wrong (preflight)
    assert "is not writable" in ro.output(), ro.output()
    for h in (small, ro):
        assert h.groups == {}, h.output()
        assert len(h.output().strip().splitlines()) <= 3, h.output()
