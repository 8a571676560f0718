"""End to end: no secret reaches anything a run writes or prints.

A device farm cannot run here, so its closest real stand-in does: the test starts a real Appium 3 server and, in
front of it, a small HTTP forwarding proxy that demands Basic authentication (as a farm hub does) and forwards
every request to that server. devices.yaml points pixel7 at the proxy with `http://ci:<password>@127.0.0.1:PORT`
(the password holds `@` and `!`, written URL-encoded as `%40`), and moto-e13 at a closed port with the same
credentials, so that an error message carries the URL. A secret environment variable (SAUCE_ACCESS_KEY) is set
too, and reports/history.jsonl starts with a line an older run leaked the URL into.

`harness run` (pixel7 and moto-e13 x glfx@1.0 x one short scenario) then runs through real Chromium, the real
Allure and the SQLite store. Afterwards every file of the run folder except inputs/, the report's embedded data
(decoded), history.jsonl, the store file, and the command's stdout and stderr are scanned for the password in
clear, URL-encoded and as the base64 of the Basic header: none may hold it. inputs/devices.yaml, the run's copy
of what the user wrote, must still hold it.
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from harness.devices.appium_server import AppiumServer, free_port
from harness.report.generate import embedded_report_files

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e

USER = "ci"
PASSWORD = "S3cr@t!pw9"  # as the hub knows it
PASSWORD_IN_URL = "S3cr%40t!pw9"  # as written in devices.yaml
ENV_SECRET = "sauce-key-7f3a9c1e55"
SCENARIO = """name: smoke
description: one cold launch and a short capture
kind: custom
steps:
  - launch: cold
  - capture: 1
"""


def secret_forms() -> list[str]:
    forms = {PASSWORD, PASSWORD_IN_URL, quote(PASSWORD, safe=""), ENV_SECRET}
    for pair in (f"{USER}:{PASSWORD}", f"{USER}:{PASSWORD_IN_URL}"):
        encoded = base64.b64encode(pair.encode()).decode()
        forms |= {encoded, encoded.rstrip("=")}
    return sorted(forms)


class _Proxy(http.server.ThreadingHTTPServer):
    target: str
    authorized: int
    refused: int


class _ForwardingHandler(http.server.BaseHTTPRequestHandler):
    """Checks Basic auth, then forwards the request to the Appium server and relays its answer."""

    server: _Proxy

    def _forward(self) -> None:
        accepted = {
            "Basic " + base64.b64encode(f"{USER}:{p}".encode()).decode() for p in (PASSWORD, PASSWORD_IN_URL)
        }
        if self.headers.get("Authorization") not in accepted:
            self.server.refused += 1
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="farm"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.server.authorized += 1
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        request = urllib.request.Request(self.server.target + self.path, data=body, method=self.command,
                                         headers={"Content-Type": self.headers.get("Content-Type", "application/json")})
        try:
            with urllib.request.urlopen(request, timeout=300) as resp:
                status, payload, ctype = resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            status, payload, ctype = exc.code, exc.read(), exc.headers.get("Content-Type", "")
        self.send_response(status)
        self.send_header("Content-Type", ctype or "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _forward

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return


@pytest.fixture(scope="module")
def appium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppiumServer]:
    log = tmp_path_factory.mktemp("appium") / "appium.log"
    server = AppiumServer(project_root=ROOT, log_path=log).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def proxy(appium: AppiumServer) -> Iterator[_Proxy]:
    server = _Proxy(("127.0.0.1", 0), _ForwardingHandler)
    server.target, server.authorized, server.refused = appium.url, 0, 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def secret_run(
    proxy: _Proxy, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    work = tmp_path_factory.mktemp("secret")
    (work / "apps").symlink_to(ROOT / "apps")
    hub = f"http://{USER}:{PASSWORD_IN_URL}@127.0.0.1:{proxy.server_port}/"
    dead = f"http://{USER}:{PASSWORD_IN_URL}@127.0.0.1:{free_port()}/"
    text = (ROOT / "devices.yaml").read_text(encoding="utf-8")
    text = text.replace("connection: local", f"connection: {hub}", 1)  # pixel7
    text = text.replace("connection: local", f"connection: {dead}", 1)  # moto-e13
    (work / "devices.yaml").write_text(text, encoding="utf-8")
    (work / "scenarios").mkdir()
    (work / "scenarios" / "smoke.yaml").write_text(SCENARIO, encoding="utf-8")
    reports = work / "reports"
    reports.mkdir()
    (reports / "history.jsonl").write_text(json.dumps({"note": f"older run via {hub}"}) + "\n", encoding="utf-8")
    run_dir = reports / "run1"
    cmd = [sys.executable, "-m", "harness.cli", "run", "--devices", str(work / "devices.yaml"),
           "--scenarios", str(work / "scenarios"), "--device", "pixel7", "--device", "moto-e13",
           "--candidate", "glfx@1.0", "--run-dir", str(run_dir), "--store", str(reports / "results.db"), "-v"]
    env = {**os.environ, "SAUCE_ACCESS_KEY": ENV_SECRET}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False, env=env)
    return proc, run_dir, reports


def _scanned_texts(run_dir: Path, reports: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(run_dir.rglob("*")):
        if path.is_file() and path.relative_to(run_dir).parts[0] != "inputs":
            yield str(path), path.read_bytes().decode("latin-1")
    index = run_dir / "allure-report" / "index.html"
    for name, content in embedded_report_files(index).items():
        text = content.decode("latin-1") if isinstance(content, bytes) else json.dumps(content)
        yield f"{index}#{name}", text
    for path in (reports / "history.jsonl", reports / "results.db"):
        yield str(path), path.read_bytes().decode("latin-1")


def test_the_run_used_the_credentials(secret_run: tuple[subprocess.CompletedProcess[str], Path, Path],
                                      proxy: _Proxy) -> None:
    proc, run_dir, _ = secret_run
    records = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    by_device = {r["device"]: r for r in records}
    assert proxy.authorized > 0, proc.stdout[-3000:] + proc.stderr[-3000:]  # the hub saw the right password
    assert by_device["pixel7"]["status"] in ("passed", "failed"), by_device["pixel7"].get("error")
    assert "moto-e13" in proc.stdout  # its refused connection went through the console (and maybe a record)
    if "moto-e13" in by_device:
        assert by_device["moto-e13"]["status"] == "broken"
    assert (run_dir / "allure-report" / "index.html").is_file()


def test_no_secret_anywhere_but_the_inputs_copy(
    secret_run: tuple[subprocess.CompletedProcess[str], Path, Path],
) -> None:
    proc, run_dir, reports = secret_run
    forms = secret_forms()
    leaks = []
    scanned = 0
    for where, text in [("stdout", proc.stdout), ("stderr", proc.stderr), *_scanned_texts(run_dir, reports)]:
        scanned += 1
        leaks += [f"{where}: {form}" for form in forms if form in text]
    assert scanned > 20
    assert leaks == [], leaks
    assert PASSWORD_IN_URL in (run_dir / "inputs" / "devices.yaml").read_text(encoding="utf-8")
