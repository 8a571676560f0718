"""A static HTTP server on loopback for the demo apps (apps/), run in a background thread.

Besides the web root, named mounts serve other folders under a URL prefix: the harness mounts the pinned
third-party SDK packages that scripts/setup.sh installs into .tools/sdk/ at /vendor/, so the demo apps built on
them load every script, model and WebAssembly file from this server and nothing from outside.
"""

from __future__ import annotations

import http.server
import posixpath
import threading
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    root: ClassVar[Path] = Path()
    mounts: ClassVar[Mapping[str, Path]] = {}
    extensions_map: ClassVar[dict[str, str]] = {  # type: ignore[misc]
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript"}

    def log_message(self, format: str, *args: Any) -> None:
        return

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def translate_path(self, path: str) -> str:
        url_path = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
        base, rest = self.root, url_path
        for prefix, folder in self.mounts.items():
            if url_path == f"/{prefix}" or url_path.startswith(f"/{prefix}/"):
                base, rest = folder, url_path[len(prefix) + 1:]
                break
        parts = [p for p in posixpath.normpath(rest).split("/") if p and p not in (".", "..")]
        out = base.joinpath(*parts)
        return str(out) + ("/" if rest.endswith("/") else "")


class AppServer:
    """Serves ``root`` on http://127.0.0.1:<free port>/ until stopped; ``mounts`` maps a first path segment
    (``vendor``) to another folder served under it (``/vendor/...``)."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0,
                 mounts: Mapping[str, Path] | None = None) -> None:
        handler = type("_Handler", (_QuietHandler,), {"root": Path(root), "mounts": dict(mounts or {})})
        self._httpd = http.server.ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="app-server", daemon=True)
        self.root = root

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> AppServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
