"""One Appium session on one device: open it from capabilities, find controls through the locator map, close it.

Web sessions add Chrome DevTools commands (CPU throttling, the capture probe injected before the app's scripts);
native sessions use Appium's app-management and screen-recording commands. Errors are sorted: a session or server
that fails is an InfrastructureError, an app that crashes or lacks a control is an SdkDefectError.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.error
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import urllib3.exceptions
from appium import webdriver
from appium.options.common import AppiumOptions
from appium.webdriver.appium_connection import AppiumConnection
from appium.webdriver.client_config import AppiumClientConfig
from appium.webdriver.common.appiumby import AppiumBy
from selenium.common.exceptions import (
    InvalidSessionIdException,
    NoSuchElementException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from harness.errors import AppCrashError, ConfigError, InfrastructureError, SdkDefectError
from harness.secrets import mask_url

STRATEGIES: dict[str, str] = {
    "css": AppiumBy.CSS_SELECTOR,
    "xpath": AppiumBy.XPATH,
    "id": AppiumBy.ID,
    "accessibility_id": AppiumBy.ACCESSIBILITY_ID,
    "name": AppiumBy.NAME,
    "class_name": AppiumBy.CLASS_NAME,
    "android_uiautomator": AppiumBy.ANDROID_UIAUTOMATOR,
    "ios_predicate": AppiumBy.IOS_PREDICATE,
    "ios_class_chain": AppiumBy.IOS_CLASS_CHAIN,
}

# Messages of a WebDriver error that mean the app's process died, not the infrastructure.
_CRASH_MARKERS = ("tab crashed", "target crashed", "renderer crashed", "page crash", "target frame detached",
                  "instrumentation process is not running", "application is not running")


# Transport failures between the harness and the server: never the SDK's fault.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    urllib3.exceptions.HTTPError, http.client.HTTPException, urllib.error.URLError, ConnectionError, TimeoutError,
)

_OPEN_ERRORS: tuple[type[BaseException], ...] = (WebDriverException, OSError, *TRANSPORT_ERRORS)
_QUIT_ERRORS: tuple[type[BaseException], ...] = (WebDriverException, InfrastructureError, OSError, *TRANSPORT_ERRORS)


def as_infrastructure(exc: BaseException, *, server_url: str, label: str) -> InfrastructureError | None:
    """A transport failure (urllib3 MaxRetryError/ProtocolError/NewConnectionError, http.client errors, a refused
    or reset connection) as a one-line InfrastructureError naming the server, without request or response bodies;
    None for anything else."""
    if isinstance(exc, InfrastructureError):
        return exc
    if not isinstance(exc, TRANSPORT_ERRORS):
        return None
    return InfrastructureError(f"[infrastructure] server at {mask_url(server_url)} unreachable for {label}: "
                               f"{_transport_reason(exc)}")


def _transport_reason(exc: BaseException) -> str:
    """The innermost reason (ConnectionRefusedError, RemoteDisconnected) by its class and errno, not its text."""
    inner: BaseException = exc
    for _ in range(5):
        nxt = getattr(inner, "reason", None)
        if isinstance(nxt, BaseException):
            inner = nxt
            continue
        args = [a for a in getattr(inner, "args", ()) if isinstance(a, BaseException)]
        if args:
            inner = args[-1]
            continue
        break
    errno_ = getattr(inner, "errno", None)
    return f"{type(inner).__name__}" + (f" (errno {errno_})" if errno_ else "")


def _w3c_error(value: object) -> bool:
    """A body that is a WebDriver error answer ({"value": {"error": ...}}), as Appium sends for its own errors."""
    try:
        data = json.loads(value) if isinstance(value, str | bytes) else value
    except ValueError:
        return False
    inner = data.get("value") if isinstance(data, dict) else None
    return isinstance(inner, dict) and "error" in inner


class CheckedConnection(AppiumConnection):
    """The WebDriver connection of a session: a 5xx answer that is not a WebDriver error (a proxy, a farm's
    gateway, a server falling over) and every transport failure become a one-line InfrastructureError here, at
    the session boundary, so no request body or multi-thousand-line traceback reaches a console or report."""

    label = "the device"

    def _request(self, method: str, url: str, body: object = None) -> dict[str, object]:
        where = urllib.parse.urlsplit(url).path
        try:
            answer: dict[str, object] = super()._request(method, url, body)
        except TRANSPORT_ERRORS as exc:
            raise InfrastructureError(
                f"[infrastructure] {method} {_path_kind(where)} to {mask_url(self.client_config.remote_server_addr)}"
                f" failed for {self.label}: {_transport_reason(exc)}") from None
        status = answer.get("status")
        if isinstance(status, int) and status >= 500 and not _w3c_error(answer.get("value")):
            raise InfrastructureError(
                f"[infrastructure] {mask_url(self.client_config.remote_server_addr)} answered HTTP {status} to "
                f"{method} {_path_kind(where)} for {self.label} (not a WebDriver answer)")
        return answer


def _path_kind(path: str) -> str:
    """/session/3f9.../element/7a/click -> /session/{id}/element/{id}/click (no ids in messages)."""
    parts = path.split("/")
    return "/".join("{id}" if i > 0 and parts[i - 1] in ("session", "element", "shadow", "frame") else p
                    for i, p in enumerate(parts))


def split_locator(locator: str) -> tuple[str, str]:
    """`css=#id` -> (AppiumBy strategy, value)."""
    strategy, sep, value = locator.partition("=")
    if not sep or strategy not in STRATEGIES:
        raise ConfigError(f"locator {locator!r} must be STRATEGY=VALUE; allowed strategies: {', '.join(STRATEGIES)}")
    return STRATEGIES[strategy], value


_UNSUPPORTED_MARKERS = ("not implemented", "unknown command", "unknown method", "not yet implemented",
                        "unsupported operation", "unsupported execute method", "unknown mobile command",
                        "is not supported")


class CommandUnsupported(InfrastructureError):
    """The session's driver does not implement a command (e.g. Appium's fake driver has no screen recording)."""

    def __init__(self, message: str, *, command: str) -> None:
        super().__init__(message)
        self.command = command


def is_unsupported(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(marker in text for marker in _UNSUPPORTED_MARKERS)


def is_crash(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(marker in text for marker in _CRASH_MARKERS)


@dataclass
class DeviceSession:
    """A live WebDriver session plus the locator map of the candidate app it drives."""

    server_url: str
    capabilities: dict[str, Any]
    locators: dict[str, str]
    platform: str
    label: str
    driver: Any = field(default=None, init=False, repr=False)
    created_s: float = field(default=0.0, init=False)

    def open(self) -> DeviceSession:
        options = AppiumOptions()
        options.load_capabilities(self.capabilities)
        started = time.monotonic()
        connection = CheckedConnection(client_config=AppiumClientConfig(remote_server_addr=self.server_url))
        connection.label = self.label
        try:
            self.driver = webdriver.Remote(connection, options=options)
        except InfrastructureError as exc:
            reason = str(exc).removeprefix("[infrastructure] ")
            raise InfrastructureError(f"[infrastructure] session not created on {self.label}: {reason}") from None
        except _OPEN_ERRORS as exc:
            raise InfrastructureError(
                f"[infrastructure] session not created on {self.label} via {mask_url(self.server_url)}: "
                f"{_first_line(exc)}"
            ) from exc
        self.created_s = time.monotonic() - started
        if self.platform == "web":
            self.driver.command_executor.add_command(
                "executeCdp", "POST", "/session/$sessionId/goog/cdp/execute"
            )
        return self

    # --- web only --------------------------------------------------------------------------------------------
    def cdp(self, cmd: str, params: dict[str, Any] | None = None) -> Any:
        result = self.call(lambda: self.driver.execute("executeCdp", {"cmd": cmd, "params": params or {}}))
        return result.get("value") if isinstance(result, dict) else result

    def script(self, source: str, *args: Any) -> Any:
        return self.call(lambda: self.driver.execute_script(source, *args))

    def async_script(self, source: str, *args: Any, timeout_s: float = 30.0) -> Any:
        self.driver.set_script_timeout(timeout_s)
        return self.call(lambda: self.driver.execute_async_script(source, *args))

    # --- controls ----------------------------------------------------------------------------------------------
    def locator(self, key: str, **values: object) -> tuple[str, str]:
        if key not in self.locators:
            raise SdkDefectError(f"[sdk] the locator map has no '{key}' for {self.label}")
        return split_locator(self.locators[key].format(**values))

    def has(self, key: str) -> bool:
        return key in self.locators

    def find(self, key: str, *, timeout_s: float = 5.0, visible: bool = True, **values: Any) -> WebElement:
        by, value = self.locator(key, **values)

        def present(drv: Any) -> Any:
            elements = drv.find_elements(by, value)
            for el in elements:
                if not visible or el.is_displayed():
                    return el
            return False

        try:
            element: WebElement = self.call(lambda: WebDriverWait(self.driver, timeout_s, 0.1).until(present))
        except TimeoutException as exc:
            raise SdkDefectError(
                f"[sdk] control '{key}' ({self.locators[key].format(**values)}) not found"
                f"{' visible' if visible else ''} within {timeout_s:g} s on {self.label}"
            ) from exc
        return element

    def visible(self, key: str, **values: object) -> bool:
        by, value = self.locator(key, **values)
        elements = self.call(lambda: self.driver.find_elements(by, value))
        return any(self.call(el.is_displayed) for el in elements)

    def tap(self, key: str, **values: Any) -> None:
        element = self.find(key, **values)
        self.call(element.click)

    def set_slider(self, key: str, level: int) -> None:
        element = self.find(key)
        if self.platform == "web":
            self.script(
                "const el = arguments[0]; el.focus(); el.value = String(arguments[1]);"
                "el.dispatchEvent(new Event('input', {bubbles: true}));"
                "el.dispatchEvent(new Event('change', {bubbles: true}));",
                element, level,
            )
        else:
            self.call(lambda: element.send_keys(str(level)))

    def text(self, key: str) -> str:
        element = self.find(key, visible=False, timeout_s=2.0)
        if self.platform == "web":
            return str(self.script("return arguments[0].textContent || '';", element))
        return str(self.call(lambda: element.text))

    # --- native app management, files, screen recording (Appium's app-management and recording commands) -------
    def capabilities_returned(self) -> dict[str, Any]:
        """The capabilities the server answered with (what the driver actually got: device model, versions)."""
        caps = getattr(self.driver, "capabilities", None)
        return dict(caps) if isinstance(caps, dict) else {}

    def mobile(self, name: str, args: dict[str, Any] | None = None) -> Any:
        """`mobile: NAME` extension command (e.g. shell, queryAppState, launchApp)."""
        return self.native_call(f"mobile: {name}", lambda: self.driver.execute_script(f"mobile: {name}", args or {}))

    def activate_app(self, app_id: str) -> None:
        self.native_call("activateApp", lambda: self.driver.activate_app(app_id))

    def terminate_app(self, app_id: str) -> bool:
        return bool(self.native_call("terminateApp", lambda: self.driver.terminate_app(app_id)))

    def query_app_state(self, app_id: str) -> int:
        """0 not installed, 1 not running, 2 background suspended, 3 background, 4 running in foreground."""
        return int(self.native_call("queryAppState", lambda: self.driver.query_app_state(app_id)))

    def pull_file(self, device_path: str) -> bytes:
        data = self.native_call("pullFile", lambda: self.driver.pull_file(device_path))
        return base64.b64decode(data)

    def start_screen_recording(self, **options: Any) -> None:
        self.native_call("startRecordingScreen", lambda: self.driver.start_recording_screen(**options))

    def stop_screen_recording(self) -> bytes:
        data = self.native_call("stopRecordingScreen", self.driver.stop_recording_screen)
        return base64.b64decode(data) if data else b""

    def screenshot_png(self) -> bytes:
        return bytes(self.call(self.driver.get_screenshot_as_png))

    def native_call(self, command: str, fn: Any) -> Any:
        """Like call(), but a command the driver does not implement becomes CommandUnsupported."""
        try:
            return self.call(fn)
        except WebDriverException as exc:
            if is_unsupported(exc):
                raise CommandUnsupported(
                    f"[infrastructure] {command} is not supported by the driver of {self.label}: {_first_line(exc)}",
                    command=command) from exc
            raise

    # --- error sorting -----------------------------------------------------------------------------------------
    def call(self, fn: Any) -> Any:
        """Run one WebDriver call, turning transport failures and app crashes into the harness's errors."""
        try:
            return fn()
        except (NoSuchElementException, TimeoutException):
            raise
        except InvalidSessionIdException as exc:
            raise InfrastructureError(f"[infrastructure] session lost on {self.label}: {_first_line(exc)}") from exc
        except WebDriverException as exc:
            if is_crash(exc):
                raise AppCrashError(f"[sdk] the app crashed on {self.label}: {_first_line(exc)}") from exc
            raise
        except TRANSPORT_ERRORS as exc:
            raise InfrastructureError(
                f"[infrastructure] Appium server at {mask_url(self.server_url)} unreachable: {_transport_reason(exc)}"
            ) from None

    def quit(self) -> None:
        driver, self.driver = self.driver, None
        if driver is None:
            return
        try:
            driver.quit()
        except _QUIT_ERRORS:
            # The session is gone either way; the server log keeps the details.
            return


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "msg", None) or str(exc)
    return str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__
