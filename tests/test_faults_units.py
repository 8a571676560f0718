"""Process ownership (harness.procs), stop signals (harness.stopsignals), the run-folder check
(harness.diskcheck) and the session's transport boundary (harness.devices.session.CheckedConnection), on real
processes, real signals, real folders and a real local HTTP endpoint. The whole stack is in tests/e2e/test_faults.py.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import procs, stopsignals
from harness.devices.session import CheckedConnection, as_infrastructure
from harness.diskcheck import RunFolderError, check_run_folder
from harness.errors import InfrastructureError

_SPAWN_AND_LEAVE = """
import subprocess, sys
from harness import procs
p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
procs.record("test", p.pid)
print(p.pid, flush=True)
"""


@pytest.fixture
def pid_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "apps").mkdir()
    monkeypatch.setenv("HARNESS_HOME", str(tmp_path))
    return tmp_path


def _alive(pid: int) -> bool:
    return procs.start_ticks(pid) is not None and "Z" not in Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3]


def test_a_group_left_by_a_dead_run_is_ended_by_the_next_start(pid_home: Path) -> None:
    out = subprocess.run([sys.executable, "-c", _SPAWN_AND_LEAVE], capture_output=True, text=True, check=True,
                         env={**os.environ, "HARNESS_HOME": str(pid_home)})
    pid = int(out.stdout.strip())
    assert _alive(pid)
    assert list((pid_home / ".cache" / "pids").glob("*.json"))
    ended = procs.reap_stale()
    assert [o.pid for o in ended] == [pid]
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert not list((pid_home / ".cache" / "pids").glob("*.json"))


def test_a_pid_file_that_does_not_match_the_process_is_never_acted_on(pid_home: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)
    try:
        owned = procs.record("test", other.pid)
        assert owned is not None
        # Written by a run that is gone (owner pid 1's start time differs) for a process with another command line.
        fake = procs.OwnedProcess(**{**owned.__dict__, "cmdline": ["something", "else"], "owner_pid": 1,
                                     "owner_start_ticks": -1, "start_ticks": owned.start_ticks + 10**9})
        owned.path.write_text(json.dumps(fake.__dict__))
        assert procs.reap_stale() == []
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_a_child_dies_with_the_thread_that_started_it() -> None:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        started.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"],
                                        start_new_session=True, preexec_fn=procs.die_with_parent))

    thread = threading.Thread(target=start)
    thread.start()
    thread.join()
    assert started[0].wait(timeout=10) == -signal.SIGTERM


def _signal_self(sig: signal.Signals) -> None:
    os.kill(os.getpid(), sig)
    time.sleep(0.5)


def test_sigterm_raises_run_stopped_and_is_held_while_writing() -> None:
    old = {sig: signal.getsignal(sig) for sig in stopsignals.STOP_SIGNALS}
    try:
        stopsignals.install()
        with pytest.raises(stopsignals.RunStopped, match="stopped by SIGTERM"):
            _signal_self(signal.SIGTERM)
        wrote: list[str] = []

        def write_record() -> None:
            with stopsignals.held():
                _signal_self(signal.SIGHUP)
                wrote.append("record")  # reached: the signal waits until the block ends

        with pytest.raises(stopsignals.RunStopped, match="SIGHUP"):
            write_record()
        assert wrote == ["record"]
        stopsignals.finishing()
        os.kill(os.getpid(), signal.SIGTERM)  # noted, not raised, while the run finishes
        time.sleep(0.2)
        assert stopsignals.received() == "SIGTERM"
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def test_run_folder_check(tmp_path: Path) -> None:
    check_run_folder(tmp_path / "run", need_mb=1)
    assert (tmp_path / "run").is_dir()
    assert list((tmp_path / "run").iterdir()) == []  # the probe is removed
    with pytest.raises(RunFolderError, match=r"MB free; a run needs at least 999999999 MB"):
        check_run_folder(tmp_path / "run", need_mb=999_999_999)
    (tmp_path / "file").write_text("")
    with pytest.raises(RunFolderError, match=r"not writable: Not a directory \(errno 20\)"):
        check_run_folder(tmp_path / "file" / "run", need_mb=1)


class _Bad(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = "html500"

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        if self.mode == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        body = (b"<html>secret-body</html>" if self.mode == "html500" else
                json.dumps({"value": {"error": "unknown error", "message": "boom"}}).encode())
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def bad_server() -> Iterator[tuple[str, type[_Bad]]]:
    handler = type("Handler", (_Bad,), {})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()


def _connection(url: str) -> CheckedConnection:
    from appium.webdriver.client_config import AppiumClientConfig

    conn = CheckedConnection(client_config=AppiumClientConfig(remote_server_addr=url))
    conn.label = "pixel7"
    return conn


def test_a_5xx_that_is_not_a_webdriver_answer_is_one_infrastructure_line(bad_server: tuple[str, type[_Bad]]) -> None:
    url, handler = bad_server
    with pytest.raises(InfrastructureError) as err:
        _connection(url)._request("GET", f"{url}/status")
    assert "answered HTTP 500 to GET /status for pixel7" in str(err.value)
    assert "secret-body" not in str(err.value)
    handler.mode = "w3c500"  # Appium's own error answer stays a WebDriver error for the session to sort
    answer = _connection(url)._request("GET", f"{url}/status")
    assert answer["status"] == 500


def test_a_dropped_or_refused_connection_is_one_infrastructure_line(bad_server: tuple[str, type[_Bad]]) -> None:
    url, handler = bad_server
    handler.mode = "drop"
    with pytest.raises(InfrastructureError, match=r"GET /status to .* failed for pixel7: \w+") as err:
        _connection(url)._request("GET", f"{url}/status")
    assert "\n" not in str(err.value)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(InfrastructureError, match="failed for pixel7"):
        _connection(closed)._request("GET", f"{closed}/status")


def test_transport_errors_are_sorted_as_infrastructure() -> None:
    import urllib3.exceptions

    exc = urllib3.exceptions.MaxRetryError(None, "/session/1/url",  # type: ignore[arg-type]
                                           reason=ConnectionRefusedError(111, "refused"))
    mapped = as_infrastructure(exc, server_url="http://127.0.0.1:1", label="pixel7")
    assert mapped is not None
    assert str(mapped).endswith("ConnectionRefusedError (errno 111)")
    assert as_infrastructure(ValueError("x"), server_url="u", label="d") is None
