"""Where a device's sessions go, per `connection:` (local, grid, a farm preset, or a URL), and what the connection
adds around a session: the capability that routes it on the grid or the farm's option block, the pre-flight
checks run before any device is touched, the camera injection at session start and the farm status at item end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from selenium.common.exceptions import WebDriverException

from harness.devices import farms
from harness.devices.grid import running_hub_url
from harness.devices.grid_config import DEVICE_CAPABILITY
from harness.errors import ConfigError
from harness.secrets import mask_secrets


def mask(text: str) -> str:
    """The one masking rule (harness.secrets): farm credentials are registered when read."""
    return mask_secrets(text)


def session_name(device: Any, candidate: Any) -> str:
    return f"{device.id} / {candidate.id}"


def connection_capabilities(device: Any, candidate: Any, caps: dict[str, Any]) -> dict[str, Any]:
    """The capabilities as the connection wants them: on the grid, the device's routing capability; on a farm, the
    farm's documented shape with credentials from the environment."""
    if device.connection == "grid":
        return {**caps, DEVICE_CAPABILITY: device.id}
    if device.connection in farms.PRESETS:
        creds = farms.farm_credentials(device.connection)
        return farms.farm_capabilities(device, caps, creds, session_name=session_name(device, candidate))
    return caps


def server_url(device: Any, local_url: Callable[[], str]) -> str:
    """The WebDriver URL of the device's sessions."""
    connection = str(device.connection)
    if connection == "local":
        return local_url()
    if connection == "grid":
        return running_hub_url()
    if connection in farms.PRESETS:
        return farms.hub_url(device, farms.farm_credentials(connection))
    return connection


def preflight(devices: Sequence[Any], candidates: Sequence[Any], *, file: str | None = None,
              env: Mapping[str, str] | None = None) -> None:
    """Checks that need the environment, before any device is touched: a running grid for `connection: grid`, the
    farm's credentials, its camera-injection limits, and app references that belong to the device's farm."""
    try:
        _preflight(devices, candidates, env)
    except ConfigError as exc:
        raise ConfigError(exc.detail, file=file, key_path=exc.key_path) from None


def _preflight(devices: Sequence[Any], candidates: Sequence[Any], env: Mapping[str, str] | None) -> None:
    for device in devices:
        where = f"devices[{device.id}]"
        if device.connection == "grid":
            running_hub_url()
        if device.connection not in farms.PRESETS:
            for candidate in candidates:
                _check_app_reference(device, candidate, farm=None, where=where)
            continue
        farms.farm_credentials(device.connection, env)
        farms.check_camera_injection(device, where=where)
        for candidate in candidates:
            _check_app_reference(device, candidate, farm=device.connection, where=where)


def _check_app_reference(device: Any, candidate: Any, *, farm: str | None, where: str) -> None:
    if device.platform == "web":
        return
    app = candidate.app.android if device.platform == "android" else candidate.app.ios
    reference = (getattr(app, "apk", None) or getattr(app, "ipa", None)) if app is not None else None
    if not reference:
        return
    owner = farms.app_reference_farm(str(reference))
    key = f"candidates[{candidate.id}].app.{device.platform}"
    if owner is not None and owner != farm:
        raise ConfigError(f"{reference!r} is a {owner} app reference but {where} connects to "
                          f"{farm or device.connection_masked}; allowed: a reference of that farm, or a local file",
                          key_path=key)
    if farm is not None and owner is None and farm != "aws-device-farm":
        raise ConfigError(f"{reference!r} is a local file, which {farm} cannot install; allowed: the reference "
                          f"`harness upload --farm {farm} FILE` prints", key_path=key)


def begin_session(device: Any, driver: Any) -> None:
    """At session start: the farm's camera injection, where configured."""
    script = farms.injection_script(device) if device.connection in farms.PRESETS else None
    if script is not None and driver is not None:
        driver.execute_script(script)


@dataclass(frozen=True)
class FarmSession:
    """What the report and the ticket keep of a farm session."""

    farm: str
    session_id: str
    link: str | None
    status: str
    status_error: str | None = None


def end_session(device: Any, driver: Any, *, status: str, reason: str, name: str | None) -> FarmSession | None:
    """At the end of an item: the session's name and pass/fail status on the farm, and its dashboard link. None for
    a device that is not on a farm or has no open session."""
    if device.connection not in farms.PRESETS or driver is None:
        return None
    session_id = str(getattr(driver, "session_id", "") or "")
    error = None
    try:
        for script in farms.status_scripts(device.connection, status=status, reason=reason, name=name):
            driver.execute_script(script)
    except WebDriverException as exc:
        error = mask(re.sub(r"\s+", " ", str(getattr(exc, "msg", "") or exc)).strip())[:300]
    return FarmSession(farm=device.connection, session_id=session_id,
                       link=farms.session_link(device.connection, session_id),
                       status="passed" if status == "passed" else "failed", status_error=error)
