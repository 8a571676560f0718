"""A local HTTP endpoint that stands in for a device farm: it records every request it receives (method, path,
headers, body) and answers the farm's REST uploads, or forwards WebDriver commands to a real local Appium server
while answering the farm-only executor scripts (status, name, camera injection) itself, as the farm would."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FARM_OPTION_KEYS = ("bstack:options", "sauce:options", "lt:options")
FARM_SCRIPT_PREFIXES = ("browserstack_executor:", "sauce:", "lambda-")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode())


@dataclass
class FarmRecorder:
    """`upload_answer`: the JSON the REST upload returns. `forward_to`: the Appium URL WebDriver calls go to."""

    upload_answer: dict[str, Any] = field(default_factory=dict)
    forward_to: str | None = None
    prefix: str = "/wd/hub"
    requests: list[Recorded] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FarmRecorder:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append(Recorded(self.command, self.path, dict(self.headers.items()), body))
                if recorder.forward_to is None:
                    self._answer(200, recorder.upload_answer)
                    return
                self._forward(body)

            def _forward(self, body: bytes) -> None:
                path = self.path[len(recorder.prefix):] if self.path.startswith(recorder.prefix) else self.path
                if self.command == "POST" and path == "/session":
                    caps = json.loads(body)
                    for block in (caps.get("capabilities", {}).get("alwaysMatch", {}),
                                  *caps.get("capabilities", {}).get("firstMatch", [])):
                        for key in FARM_OPTION_KEYS:  # the farm consumes its own options
                            block.pop(key, None)
                    body = json.dumps(caps).encode()
                if self.command == "POST" and path.endswith("/execute/sync"):
                    script = json.loads(body).get("script", "")
                    if script.startswith(FARM_SCRIPT_PREFIXES):
                        self._answer(200, {"value": None})
                        return
                request = urllib.request.Request(f"{recorder.forward_to}{path}", data=body or None,
                                                 method=self.command,
                                                 headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=120) as resp:
                        self._raw(resp.status, resp.read())
                except urllib.error.HTTPError as exc:
                    self._raw(exc.code, exc.read())

            def _answer(self, code: int, data: Any) -> None:
                self._raw(code, json.dumps(data).encode())

            def _raw(self, code: int, data: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
