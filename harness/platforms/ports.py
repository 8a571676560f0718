"""Per-session ports (systemPort, mjpegServerPort, chromedriverPort, wdaLocalPort) allocated for the host of the
Appium server each session goes to.

On a loopback server the port must be free on this machine right now (the OS is asked). A remote server's ports
cannot be probed from here, so they come from documented ranges (REMOTE_RANGES, docs/config.md); in both cases no
two live sessions get the same port of one host. Ports fixed in devices.yaml are leased as given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from harness.devices.appium_server import free_port, port_is_free
from harness.errors import InfrastructureError

PortKind = str  # "system_port" | "mjpeg_server_port" | "chromedriver_port" | "wda_local_port"

# Ranges for sessions on a remote Appium server (the UiAutomator2 and XCUITest drivers' own defaults sit at the
# start of the first two: systemPort 8200, wdaLocalPort 8100).
REMOTE_RANGES: dict[PortKind, tuple[int, int]] = {
    "system_port": (8200, 8299),
    "wda_local_port": (8100, 8199),
    "mjpeg_server_port": (9200, 9299),
    "chromedriver_port": (9520, 9619),
}
LOOPBACK = ("127.0.0.1", "localhost", "::1", "0.0.0.0")


def host_of(server_url: str) -> str:
    """The host an Appium server URL points at ('127.0.0.1' for loopback names)."""
    host = urlsplit(server_url).hostname or "127.0.0.1"
    return "127.0.0.1" if host in LOOPBACK else host


class PortAllocator:
    """Leases ports per host; a lease ends with `release` (when its session closes)."""

    def __init__(self, *, os_free_port: Callable[[], int] = free_port,
                 is_free: Callable[[int], bool] = port_is_free) -> None:
        self._leased: dict[str, set[int]] = {}
        self._lock = threading.Lock()
        self._os_free_port = os_free_port
        self._is_free = is_free

    def lease(self, server_url: str, kind: PortKind, *, fixed: int | None = None) -> int:
        host = host_of(server_url)
        with self._lock:
            taken = self._leased.setdefault(host, set())
            if fixed is not None:
                taken.add(fixed)
                return fixed
            if host == "127.0.0.1":
                for _ in range(50):
                    port = self._os_free_port()
                    if port not in taken and self._is_free(port):
                        taken.add(port)
                        return port
                raise InfrastructureError("[infrastructure] no free loopback port found for a session")
            low, high = REMOTE_RANGES[kind]
            for port in range(low, high + 1):
                if port not in taken:
                    taken.add(port)
                    return port
            raise InfrastructureError(f"[infrastructure] every {kind} in {low}-{high} on {host} is in use by a live "
                                      "session; lower the number of parallel sessions on that host")

    def release(self, server_url: str, ports: list[int]) -> None:
        with self._lock:
            taken = self._leased.get(host_of(server_url), set())
            for port in ports:
                taken.discard(port)

    def leased(self, server_url: str) -> set[int]:
        with self._lock:
            return set(self._leased.get(host_of(server_url), set()))
