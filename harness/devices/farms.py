"""Device farms as connection presets: each farm's hub URL, its documented capability shape, credentials from its
documented environment variables, camera-injection limits checked before any session starts, and the end-of-item
session status the farm's dashboard shows.

Sources (read 2026-12): BrowserStack App Automate docs (camera image / video injection, mark tests as passed or
failed, upload app / upload media); Sauce Labs docs (Camera Image Injection: JPG/PNG <= 5 MB; saucectl storage
regions); LambdaTest docs (Media Injection on Real Devices, application setup via API, Lambda hooks); AWS Device
Farm developer guide (Appium endpoint of a remote access session: 150 min at most, 5 min idle). See docs/scale.md.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.secrets import register_secret

MB = 1_000_000


@dataclass(frozen=True)
class FarmPreset:
    name: str
    options_key: str | None  # the capability that wraps the farm's options; None: plain Appium capabilities
    user_env: str | None
    key_env: str  # the access key (AWS Device Farm: the signed endpoint URL)
    user_field: str = "username"
    key_field: str = "accessKey"
    app_prefixes: tuple[str, ...] = ()
    # Option names the farm documents for the session's name, build and project, and the capabilities that turn
    # camera injection on (None: the farm has no such option).
    name_field: str = "name"
    build_field: str = "build"
    project_field: str | None = None
    image_injection_flag: str | None = None
    video_injection_flag: str | None = None


PRESETS: dict[str, FarmPreset] = {
    "browserstack": FarmPreset("browserstack", "bstack:options", "BROWSERSTACK_USERNAME", "BROWSERSTACK_ACCESS_KEY",
                               user_field="userName", app_prefixes=("bs://",), name_field="sessionName",
                               build_field="buildName", project_field="projectName",
                               image_injection_flag="enableCameraImageInjection",
                               video_injection_flag="enableCameraVideoInjection"),
    "saucelabs": FarmPreset("saucelabs", "sauce:options", "SAUCE_USERNAME", "SAUCE_ACCESS_KEY",
                            app_prefixes=("storage:",)),
    "lambdatest": FarmPreset("lambdatest", "lt:options", "LT_USERNAME", "LT_ACCESS_KEY", app_prefixes=("lt://",),
                             project_field="project", image_injection_flag="enableImageInjection",
                             video_injection_flag="enableVideoInjection"),
    # The Appium endpoint of a Device Farm remote access session (CreateRemoteAccessSession ->
    # endpoints.remoteDriverEndpoint): a signed URL, so it is read from the environment like a key.
    "aws-device-farm": FarmPreset("aws-device-farm", None, None, "HARNESS_AWS_DEVICE_FARM_URL",
                                  app_prefixes=("arn:aws:devicefarm:",)),
}

# Every environment variable a farm preset reads; their values are secrets.
CREDENTIAL_ENV_VARS: tuple[str, ...] = tuple(
    name for p in PRESETS.values() for name in (p.user_env, p.key_env) if name is not None
)


@dataclass(frozen=True)
class FarmCredentials:
    farm: str
    username: str | None
    access_key: str

    def __repr__(self) -> str:  # never print the key
        return f"FarmCredentials(farm={self.farm!r}, username=***, access_key=***)"


def farm_credentials(farm: str, env: Mapping[str, str] | None = None) -> FarmCredentials:
    """The farm's credentials from its documented environment variables; ConfigError naming a missing one."""
    env = os.environ if env is None else env
    preset = PRESETS[farm]
    values: dict[str, str] = {}
    for name in (preset.user_env, preset.key_env):
        if name is None:
            continue
        value = env.get(name, "")
        if not value:
            raise ConfigError(f"{farm} needs the environment variable {name}, which is not set; allowed: set "
                              f"{name} (credentials are read only from the environment)", key_path="connection")
        values[name] = value
    username = values.get(preset.user_env or "")
    register_secret(values[preset.key_env], user=username)
    if username:
        register_secret(username)
    return FarmCredentials(farm=farm, username=username, access_key=values[preset.key_env])


def hub_url(device: Any, creds: FarmCredentials) -> str:
    """Where the farm device's sessions go: `farm.hub_url`, else the farm's documented hub."""
    opts = device.farm
    if opts is not None and opts.hub_url:
        return str(opts.hub_url)
    if device.connection == "browserstack":
        return "https://hub-cloud.browserstack.com/wd/hub"
    if device.connection == "saucelabs":
        region = (opts.region if opts is not None else None) or "us-west-1"
        return f"https://ondemand.{region}.saucelabs.com/wd/hub"
    if device.connection == "lambdatest":
        return "https://mobile-hub.lambdatest.com/wd/hub"
    return creds.access_key  # aws-device-farm: the signed remote endpoint itself


def farm_options(device: Any, creds: FarmCredentials, *, session_name: str) -> dict[str, Any]:
    """The farm's option block (the value of bstack:options / sauce:options / lt:options)."""
    opts = device.farm
    preset = PRESETS[device.connection]
    out: dict[str, Any] = {preset.user_field: creds.username, preset.key_field: creds.access_key}
    name = (opts.session_name if opts is not None else None) or session_name
    build = opts.build if opts is not None else None
    project = opts.project if opts is not None else None
    injection = opts.camera_injection if opts is not None else "none"
    out[preset.name_field] = name
    if build:
        out[preset.build_field] = build
    if project and preset.project_field:
        out[preset.project_field] = project
    flag = {"image": preset.image_injection_flag, "video": preset.video_injection_flag}.get(injection)
    if flag:
        out[flag] = True
    return out


def farm_capabilities(device: Any, caps: dict[str, Any], creds: FarmCredentials, *,
                      session_name: str) -> dict[str, Any]:
    """The session's capabilities in the farm's documented shape: the farm's options block added (AWS Device Farm
    takes plain Appium capabilities), the device name and image injection flags where the farm wants them."""
    out = dict(caps)
    opts = device.farm
    if opts is not None and opts.device_name:
        out["appium:deviceName"] = opts.device_name
    preset = PRESETS[device.connection]
    if preset.options_key is None:
        return out
    out[preset.options_key] = {**farm_options(device, creds, session_name=session_name),
                               **dict(out.get(preset.options_key) or {})}
    if device.connection == "saucelabs" and opts is not None and opts.camera_injection == "image":
        out["appium:sauceLabsImageInjectionEnabled"] = True
    return out


# --- camera injection limits --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InjectionLimit:
    suffixes: tuple[str, ...]
    max_bytes: int
    min_os: dict[str, int]  # platform -> lowest major OS version


LIMITS: dict[tuple[str, str], InjectionLimit] = {
    ("browserstack", "image"): InjectionLimit((".jpg", ".jpeg", ".png"), 10 * MB, {"android": 9, "ios": 13}),
    ("browserstack", "video"): InjectionLimit((".mp4",), 15 * MB, {"android": 9, "ios": 13}),
    ("saucelabs", "image"): InjectionLimit((".jpg", ".jpeg", ".png"), 5 * MB, {"android": 1, "ios": 1}),
    ("lambdatest", "image"): InjectionLimit((".jpg", ".jpeg", ".png"), 10 * MB, {"android": 9, "ios": 13}),
    ("lambdatest", "video"): InjectionLimit((".mp4",), 50 * MB, {"android": 13}),
}


def check_camera_injection(device: Any, *, where: str) -> None:
    """The farm's camera-injection limits (format, file size, OS version), checked before any session starts."""
    opts = device.farm
    if opts is None or opts.camera_injection == "none":
        return
    key = f"{where}.farm.camera_injection"
    kind = opts.camera_injection
    offered = sorted(k for f, k in LIMITS if f == device.connection)
    if (device.connection, kind) not in LIMITS:
        raise ConfigError(f"{kind} injection is not offered by {device.connection}; allowed: "
                          f"{', '.join(offered) or 'none (this farm has no camera injection)'}", key_path=key)
    if device.platform == "web":
        raise ConfigError("camera injection is for native apps, this device is web; allowed: none (web devices "
                          "get the reference clip through Chromium's fake camera)", key_path=key)
    limit = LIMITS[(device.connection, kind)]
    if opts.media is None:
        raise ConfigError(f"{kind} injection needs farm.media (the local file, checked against the farm's limits); "
                          "allowed: the path of the clip or image", key_path=f"{where}.farm.media")
    media = Path(opts.media)
    if media.suffix.lower() not in limit.suffixes:
        raise ConfigError(f"{media.name} is not allowed for {device.connection} {kind} injection; allowed: "
                          f"{', '.join(limit.suffixes)} files", key_path=f"{where}.farm.media")
    if not media.is_file():
        raise ConfigError(f"{media} does not exist; allowed: an existing file", key_path=f"{where}.farm.media")
    size = media.stat().st_size
    if size > limit.max_bytes:
        raise ConfigError(f"{media.name} is {size / MB:.1f} MB; allowed: at most {limit.max_bytes // MB} MB for "
                          f"{device.connection} {kind} injection", key_path=f"{where}.farm.media")
    lowest = limit.min_os.get(device.platform)
    if lowest is None:
        raise ConfigError(f"{device.connection} {kind} injection is not offered on {device.platform}; allowed: "
                          f"{', '.join(limit.min_os)}", key_path=key)
    version = device.native.os_version if device.native is not None else None
    try:
        major = int(str(version).split(".")[0])
    except ValueError:
        raise ConfigError(f"{kind} injection needs the device's OS version to check the farm's limit; allowed: "
                          f"native.os_version, {device.platform} {lowest} or later",
                          key_path=f"{where}.native.os_version") from None
    if major < lowest:
        raise ConfigError(f"{device.platform} {version} is too old for {device.connection} {kind} injection; "
                          f"allowed: {device.platform} {lowest} or later", key_path=f"{where}.native.os_version")
    if device.connection in ("browserstack", "lambdatest") and not opts.media_url:
        raise ConfigError(f"{kind} injection needs farm.media_url (the reference `harness upload --farm "
                          f"{device.connection} --media FILE` printed); allowed: media://... or lt://MEDIA...",
                          key_path=f"{where}.farm.media_url")


def app_reference_farm(reference: str) -> str | None:
    """The farm an app reference belongs to (`bs://...` -> browserstack), None for a local path or package."""
    for preset in PRESETS.values():
        if any(reference.startswith(prefix) for prefix in preset.app_prefixes):
            return preset.name
    return None


# --- in-session commands (run through the farm's executor scripts) -------------------------------------------------
def injection_script(device: Any) -> str | None:
    """The script that feeds the camera at the start of a session, or None."""
    opts = device.farm
    if opts is None or opts.camera_injection == "none":
        return None
    if device.connection == "browserstack":
        action, arg = (("cameraImageInjection", "imageUrl") if opts.camera_injection == "image"
                       else ("cameraVideoInjection", "videoUrl"))
        return "browserstack_executor: " + json.dumps({"action": action, "arguments": {arg: opts.media_url}})
    if device.connection == "saucelabs":
        data = Path(opts.media).read_bytes() if opts.media is not None else b""
        return "sauce:inject-image=" + base64.b64encode(data).decode("ascii")
    return f"lambda-image-injection={opts.media_url}"


def status_scripts(farm: str, *, status: str, reason: str, name: str | None) -> list[str]:
    """The farm's scripts that name the session and mark it passed or failed."""
    result = "passed" if status == "passed" else "failed"
    reason = reason[:255]
    if farm == "browserstack":
        scripts = []
        if name:
            scripts.append("browserstack_executor: " + json.dumps({"action": "setSessionName",
                                                                   "arguments": {"name": name}}))
        scripts.append("browserstack_executor: " + json.dumps(
            {"action": "setSessionStatus", "arguments": {"status": result, "reason": reason}}))
        return scripts
    if farm == "saucelabs":
        return ([f"sauce:job-name={name}"] if name else []) + [f"sauce:job-result={result}"]
    if farm == "lambdatest":
        return ([f"lambda-name={name}"] if name else []) + [f"lambda-status={result}"]
    return []  # aws-device-farm: no status command


def session_link(farm: str, session_id: str) -> str | None:
    """The farm dashboard's page of a session (patterns from the farms' dashboards; not reachable from here)."""
    if farm == "browserstack":
        return f"https://app-automate.browserstack.com/dashboard/v2/sessions/{session_id}"
    if farm == "saucelabs":
        return f"https://app.saucelabs.com/tests/{session_id}"
    if farm == "lambdatest":
        return f"https://appautomation.lambdatest.com/test?testID={session_id}"
    return None
