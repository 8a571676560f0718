"""The devices.yaml schema: the device matrix and the candidate SDKs, as frozen pydantic models.

Every key is described in docs/config.md; loading and cross-checks live in harness.config.matrix.
"""

from __future__ import annotations

import fnmatch
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from harness.config.errors_fmt import Allowed, fail, mask_credentials, show
from harness.config.farm_options import FARMS, PRESETS, FarmOptions
from harness.secrets import register_url_credentials

Platform = Literal["android", "ios", "web"]
PLATFORMS: tuple[Platform, ...] = ("android", "ios", "web")
Tier = Literal["flagship", "mid", "low"]

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
# Strategy prefixes a locator may use, and the only ones the Chromium driver accepts for web apps.
LOCATOR_STRATEGIES: tuple[str, ...] = (
    "css",
    "xpath",
    "id",
    "accessibility_id",
    "name",
    "class_name",
    "android_uiautomator",
    "ios_predicate",
    "ios_class_chain",
)
WEB_LOCATOR_STRATEGIES: tuple[str, ...] = ("css", "xpath")
LOCATOR_PLACEHOLDERS: tuple[str, ...] = ("name", "level")

MAX_ID_CHARS = 64  # ids become file, folder and report names
MAX_NAME_CHARS = 200  # display names and other free text
_ID_TEXT = "lowercase letters, digits, '.', '_' and '-', starting with a letter or digit"
DeviceId = Annotated[str, Field(pattern=ID_PATTERN, max_length=MAX_ID_CHARS), Allowed(_ID_TEXT)]
SdkName = Annotated[str, Field(pattern=ID_PATTERN, max_length=MAX_ID_CHARS), Allowed(_ID_TEXT)]
CandidateId = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$", max_length=MAX_ID_CHARS),
    Allowed("letters, digits, '.', '_', '@', '+' and '-' (default: sdk@version)"),
]
Version = Annotated[
    str,
    Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._+-]*$", max_length=MAX_ID_CHARS),
    Allowed('a quoted version string such as "2.0" or "1.4.2-beta"'),
]
Text = Annotated[
    str,
    Field(min_length=1, max_length=MAX_NAME_CHARS),
    Allowed("a non-empty string"),
]


def version_sort_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """Natural order of SDK versions: digit runs compare as numbers ("1.9" < "1.10"), other text as text
    ("2.0" < "2.0-rc1")."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", version) if part)

KeyName = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=MAX_ID_CHARS),
    Allowed("lowercase letters, digits and '_'"),
]
ItemName = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=MAX_ID_CHARS),
    Allowed("letters, digits, '_', '.' and '-'"),
]
Port = Annotated[int, Field(ge=1024, le=65535)]


@dataclass(frozen=True)
class Locator:
    """One parsed locator: `css=#id` -> Locator('css', '#id'); `fill` substitutes `{name}` / `{level}`."""

    strategy: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Locator:
        strategy, _, value = text.partition("=")
        return cls(strategy, value)

    def fill(self, **values: str | int) -> Locator:
        return Locator(self.strategy, self.value.format(**values))

    def __str__(self) -> str:
        return f"{self.strategy}={self.value}"


def _check_locator(text: str) -> str:
    allowed = f"'strategy=value' with strategy one of {', '.join(LOCATOR_STRATEGIES)}"
    strategy, sep, value = text.partition("=")
    if not sep or not value:
        raise fail(f"{show(text)} is not 'strategy=value'", allowed)
    if strategy not in LOCATOR_STRATEGIES:
        raise fail(f"unknown locator strategy '{strategy}'", allowed)
    placeholders = "{" + "}, {".join(LOCATOR_PLACEHOLDERS) + "} (write literal braces as {{ and }})"
    try:
        fields = [
            (name, spec, conv) for _, name, spec, conv in string.Formatter().parse(value) if name is not None
        ]
    except ValueError as exc:
        raise fail(f"{show(text)} has unbalanced braces ({exc})", placeholders) from None
    for name, spec, conv in fields:
        if name not in LOCATOR_PLACEHOLDERS or spec or conv:
            raise fail(f"unknown placeholder '{{{name}}}' in {show(text)}", placeholders)
    return text


LocatorText = Annotated[
    str, AfterValidator(_check_locator), Allowed("'strategy=value', e.g. \"css=#record\"")
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Viewport(_Model):
    """CSS pixel size of the emulated screen."""

    width: Annotated[int, Field(ge=200, le=4000)]
    height: Annotated[int, Field(ge=200, le=4000)]


class WebEmulation(_Model):
    """The Chromium phone profile of a web device."""

    viewport: Viewport
    pixel_ratio: Annotated[float, Field(ge=0.5, le=5)]
    user_agent: Text
    touch: bool = True
    mobile: bool = True
    cpu_throttling: Annotated[float, Field(ge=1, le=20)] = 1.0


class NativeOptions(_Model):
    """Android / iOS device keys: which phone, which OS release, and fixed Appium ports."""

    udid: Text | None = None
    os_version: Annotated[str | None, Allowed('a quoted OS version such as "14" or "17.4"')] = None
    system_port: Port | None = None  # android (UiAutomator2)
    chromedriver_port: Port | None = None  # android (webviews)
    wda_local_port: Port | None = None  # ios (XCUITest WebDriverAgent)
    derived_data_path: Text | None = None  # ios (WebDriverAgent build folder, one per device)
    mjpeg_server_port: Port | None = None  # android and ios (the driver's MJPEG screen stream)


_NATIVE_ONLY: dict[str, Platform] = {"system_port": "android", "chromedriver_port": "android",
                                     "wda_local_port": "ios", "derived_data_path": "ios"}


class CaptureSource(_Model):
    """Where a phone's frames come from: its screen recording (default), or, for testing the harness without a
    phone, a replayed video file of a phone screen showing the reference clip."""

    source: Annotated[Literal["screen", "replay"], Allowed("screen or replay")] = "screen"
    file: Annotated[Path | None, Allowed("the path of a video file (replay only), relative to the devices file's "
                                         "folder")] = None

    @field_validator("file", mode="before")
    @classmethod
    def _resolve_file(cls, value: Any, info: ValidationInfo) -> Path | None:
        if value is None or isinstance(value, Path):
            return value
        allowed = "the path of an existing video file, relative to the devices file's folder"
        if not isinstance(value, str) or not value:
            raise fail(f"expected a path, got {show(value)}", allowed)
        base_dir = (info.context or {}).get("base_dir")
        path = Path(value) if base_dir is None else Path(base_dir) / value
        if base_dir is not None and not path.is_file():
            raise fail(f"file {show(value)} does not exist (looked in {base_dir})", allowed)
        return path

    @model_validator(mode="after")
    def _replay_file(self) -> CaptureSource:
        if self.source == "replay" and self.file is None:
            raise fail("source replay needs a file", "file: <video of a phone screen showing the clip>",
                       key="file")
        if self.source == "screen" and self.file is not None:
            raise fail("file is only for source replay", "no file key with source screen", key="file")
        return self


class DeviceTags(_Model):
    """Labels for selecting and grouping devices in reports; extra tags are strings or booleans."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)
    EXTRA_KEYS_NOTE: ClassVar[str] = "or any other tag with a string or true/false value"

    tier: Tier
    new: bool = False

    @model_validator(mode="after")
    def _extra_tags(self) -> DeviceTags:
        for key, value in (self.model_extra or {}).items():
            if not key.replace("_", "").replace("-", "").isalnum() or not key[:1].isalpha():
                raise fail(f"tag name {show(key)} is not allowed", "letters, digits, '_' and '-'", key=key)
            if not isinstance(value, str | bool):
                raise fail(
                    f"expected a string or true/false, got {show(value)}", "a string or true/false", key=key
                )
        return self

    def as_dict(self) -> dict[str, str | bool]:
        """All tags, `tier` and `new` included."""
        return {"tier": self.tier, "new": self.new, **(self.model_extra or {})}


def _check_connection(text: str) -> str:
    allowed = (f"{', '.join(PRESETS)}, or the http(s) URL of an Appium server or Selenium Grid, "
               "e.g. http://127.0.0.1:4723")
    if text in PRESETS:
        return text
    register_url_credentials(text)  # masked from now on, Basic-header form included
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise fail(f"{show(text)} is not allowed", allowed)
    return text


class Device(_Model):
    """One device of the matrix: a phone (android/ios) or a Chromium phone profile (web)."""

    id: DeviceId
    name: Text
    platform: Platform
    connection: Annotated[
        str, AfterValidator(_check_connection), Allowed(f"{', '.join(PRESETS)}, or an http(s) URL"),
        Field(repr=False)
    ] = "local"
    refresh_hz: Annotated[float, Field(ge=24, le=240)] = 60.0
    tags: DeviceTags
    capabilities: Annotated[
        dict[str, Any], Allowed("a mapping of Appium capability names to values (merged over the harness's)")
    ] = Field(default_factory=dict)
    emulation: WebEmulation | None = None
    native: NativeOptions | None = None
    capture: CaptureSource | None = None  # android / ios only
    farm: FarmOptions | None = None

    @model_validator(mode="after")
    def _platform_keys(self) -> Device:
        if self.platform == "web" and self.emulation is None:
            raise fail(
                "missing required key 'emulation' for a web device",
                "a mapping with keys viewport, pixel_ratio, user_agent, touch, mobile, cpu_throttling",
                key="emulation",
            )
        if self.platform != "web" and self.emulation is not None:
            raise fail(
                f"emulation is only for web devices, this one is {self.platform}",
                "no emulation key (use native: for android and ios)",
                key="emulation",
            )
        if self.platform == "web" and self.native is not None:
            raise fail(
                "native is only for android and ios devices, this one is web",
                "no native key (use emulation: for web)",
                key="native",
            )
        if self.farm is not None and self.connection not in FARMS:
            raise fail(f"farm options need a farm connection, this device's is {show(self.connection_masked)}",
                       f"connection: one of {', '.join(FARMS)}, or no farm key", key="farm")
        if self.platform == "web" and self.capture is not None:
            raise fail("capture is only for android and ios devices, this one is web",
                       "no capture key (web frames come from the in-page probe)", key="capture")
        if self.native is not None:
            for name, platform in _NATIVE_ONLY.items():
                if getattr(self.native, name) is not None and self.platform != platform:
                    keys = ["udid", "os_version", "mjpeg_server_port",
                            *(k for k, p in _NATIVE_ONLY.items() if p == self.platform)]
                    raise fail(
                        f"{name} is an {platform} key, this device is {self.platform}",
                        ", ".join(keys),
                        key=f"native.{name}",
                    )
        return self

    @property
    def is_farm(self) -> bool:
        return self.connection in FARMS

    @property
    def is_local(self) -> bool:
        return self.connection == "local"

    @property
    def connection_masked(self) -> str:
        """The connection with any password or access key replaced by ***: safe to log and report."""
        return mask_credentials(self.connection)


class WebApp(_Model):
    url: Annotated[
        str,
        Field(pattern=r"^\S+$"),
        Allowed("a URL, or a path served by the harness's local app server, e.g. glfx/1.0/index.html"),
    ]


class AndroidApp(_Model):
    package: Annotated[
        str,
        Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$"),
        Allowed("a Java package name such as com.vendor.demo"),
    ]
    apk: Text | None = None
    activity: Text | None = None
    # Folder on the phone where the app saves its recordings (the newest file is pulled after stop_recording).
    recordings: Text | None = None


class IosApp(_Model):
    bundle_id: Annotated[
        str,
        Field(pattern=r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"),
        Allowed("a bundle id such as com.vendor.demo"),
    ]
    ipa: Text | None = None
    recordings: Text | None = None  # the app's recordings folder, as Appium's pull_file names it (@bundle:...)


class AppSpec(_Model):
    """The candidate's demo app per platform; at least one."""

    web: WebApp | None = None
    android: AndroidApp | None = None
    ios: IosApp | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> AppSpec:
        if self.web is None and self.android is None and self.ios is None:
            raise fail(
                "no app for any platform",
                "at least one of web {url}, android {package, apk, activity}, ios {bundle_id, ipa}",
            )
        return self

    def for_platform(self, platform: Platform) -> WebApp | AndroidApp | IosApp | None:
        app: WebApp | AndroidApp | IosApp | None = getattr(self, platform)
        return app

    @property
    def platforms(self) -> tuple[Platform, ...]:
        return tuple(p for p in PLATFORMS if getattr(self, p) is not None)


class FilterSpec(_Model):
    """The reference 3D LUT (.cube) a filter is expected to apply, resolved next to devices.yaml; `{}` (no LUT)
    for a filter that is a formula: it is then checked as applied, consistent and stable, not colour-exact."""

    lut: Annotated[
        Path | None, Allowed("the path of an existing .cube file, relative to the devices file's folder")] = None

    @field_validator("lut", mode="before")
    @classmethod
    def _resolve_lut(cls, value: Any, info: ValidationInfo) -> Path | None:
        allowed = "the path of an existing .cube file, relative to the devices file's folder"
        if value is None or isinstance(value, Path):
            return value
        if not isinstance(value, str) or not value:
            raise fail(f"expected a path, got {show(value)}", allowed)
        if not value.endswith(".cube"):
            raise fail(f"{show(value)} is not a .cube file", allowed)
        base_dir = (info.context or {}).get("base_dir")
        if base_dir is None:
            return Path(value)
        path = Path(base_dir) / value
        if not path.is_file():
            raise fail(f"file {show(value)} does not exist (looked in {base_dir})", allowed)
        return path


class EffectSpec(_Model):
    """How an effect is judged: `anchor: face` (default) looks for it around the clip's face, `anchor: screen`
    over the whole picture (a sticker fixed to the screen, such as a badge or a frame)."""

    anchor: Literal["face", "screen"] = "face"


class NameMaps(_Model):
    """What the app calls the scenarios' filters and effects: scenario name -> the app's name (the value that
    fills `{name}` in select_filter / apply_effect). Names not listed are used as the scenario writes them."""

    filters: dict[ItemName, ItemName] = Field(default_factory=dict)
    effects: dict[ItemName, ItemName] = Field(default_factory=dict)


class Candidate(_Model):
    """One SDK release under test, with its demo app and the locator map of that app's controls."""

    vendor: Text
    sdk: SdkName
    version: Version
    id: CandidateId
    engine: Text | None = None
    app: AppSpec
    locators: dict[KeyName, LocatorText]
    filters: dict[ItemName, FilterSpec] = Field(default_factory=dict)
    effects: dict[ItemName, EffectSpec] = Field(default_factory=dict)
    names: NameMaps = Field(default_factory=NameMaps)
    # Devices the vendor declares unsupported (device ids or fnmatch patterns such as "moto-*"): their items are
    # skipped as "device not supported" instead of run.
    unsupported: list[Text] = Field(default_factory=list)

    def supports(self, device_id: str) -> bool:
        return not any(fnmatch.fnmatchcase(device_id, pattern) for pattern in self.unsupported)

    @model_validator(mode="before")
    @classmethod
    def _default_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and "id" not in data:
            sdk, version = data.get("sdk"), data.get("version")
            if isinstance(sdk, str) and isinstance(version, str):
                return {**data, "id": f"{sdk}@{version}"}
        return data

    @model_validator(mode="after")
    def _web_strategies(self) -> Candidate:
        if self.app.platforms == ("web",):
            for key, text in self.locators.items():
                strategy = Locator.parse(text).strategy
                if strategy not in WEB_LOCATOR_STRATEGIES:
                    raise fail(
                        f"strategy '{strategy}' does not work in a web app (the Chromium driver rejects it)",
                        ", ".join(WEB_LOCATOR_STRATEGIES),
                        key=f"locators.{key}",
                    )
        return self

    @property
    def label(self) -> str:
        """`Lumen Labs glfx 2.0`: how reports name the candidate."""
        return f"{self.vendor} {self.sdk} {self.version}"

    def app_name(self, kind: Literal["filter", "effect"], name: str) -> str:
        """The app's own name for the scenario's filter or effect `name` (names.filters / names.effects)."""
        table = self.names.filters if kind == "filter" else self.names.effects
        return table.get(name, name)

    def locator(self, key: str) -> Locator | None:
        """The parsed locator for `key`, or None when the app has no such control."""
        text = self.locators.get(key)
        return Locator.parse(text) if text is not None else None


class DevicesFile(_Model):
    """The whole devices.yaml as written; `x-...` top-level keys only hold YAML anchors and are dropped."""

    EXTRA_KEYS_NOTE: ClassVar[str] = "and keys starting with 'x-' (holders for YAML anchors)"

    devices: Annotated[list[Device], Field(min_length=1), Allowed("a list of at least one device")]
    candidates: Annotated[list[Candidate], Field(min_length=1), Allowed("a list of at least one candidate")]

    @model_validator(mode="before")
    @classmethod
    def _drop_anchor_holders(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
        return data
