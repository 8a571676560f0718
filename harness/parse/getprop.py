"""`adb shell getprop` output (`[key]: [value]` per line; a value may span lines) and the device fingerprint the
harness records with every result: who made it, which model and SoC, which Android."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from harness.errors import ParseError
from harness.parse._text import split_lines

_PROP = re.compile(r"^\[(?P<key>[^\]]*)\]: \[(?P<rest>.*)$")

# Each field: the properties tried in order; the first one present and non-empty wins.
MANUFACTURER_PROPS = ("ro.product.manufacturer", "ro.product.vendor.manufacturer", "ro.product.system.manufacturer")
MODEL_PROPS = ("ro.product.model", "ro.product.vendor.model", "ro.product.system.model")
DEVICE_PROPS = ("ro.product.device", "ro.product.vendor.device", "ro.product.system.device")
# ro.soc.model (Android 12+, e.g. SM8635) names the chip; ro.board.platform (e.g. pineapple, tegra, mt6893) the
# platform, present since the first releases; ro.hardware (e.g. qcom, cardhu) the kernel's hardware name, always set.
SOC_PROPS = ("ro.soc.model", "ro.board.platform", "ro.hardware")
RELEASE_PROPS = ("ro.build.version.release", "ro.build.version.release_or_codename")
FINGERPRINT_PROPS = ("ro.build.fingerprint", "ro.system.build.fingerprint", "ro.vendor.build.fingerprint")


@dataclass(frozen=True)
class AndroidFingerprint:
    """A device as getprop describes it. soc: the first of ro.soc.model, ro.board.platform, ro.hardware that is
    set (soc_source names which); sdk_level: ro.build.version.sdk; release: ro.build.version.release (e.g. "15",
    "3.2.1"); build_fingerprint: ro.build.fingerprint. brand and soc_manufacturer are None when absent."""

    manufacturer: str
    model: str
    device: str
    soc: str
    sdk_level: int
    release: str
    build_fingerprint: str
    soc_source: str = "ro.soc.model"
    brand: str | None = None
    soc_manufacturer: str | None = None


def parse_getprop(text: str, *, source: str = "<text>") -> dict[str, str]:
    """All properties. A value that does not end on its line continues on the next ones (joined with newlines)
    until a line ending in `]`. A line outside any property, or a value still open at the end, is a ParseError."""
    props: dict[str, str] = {}
    open_key: str | None = None
    open_line = 0
    parts: list[str] = []
    for k, raw in enumerate(split_lines(text), start=1):
        if open_key is not None:
            if raw.endswith("]"):
                parts.append(raw[:-1])
                props[open_key] = "\n".join(parts)
                open_key = None
            else:
                parts.append(raw)
            continue
        if not raw.strip():
            continue
        m = _PROP.match(raw.rstrip())
        if m is None:
            raise ParseError(f"{raw.strip()[:60]!r} is not a property line; allowed '[key]: [value]'",
                             source=source, line=k)
        rest = m.group("rest")
        if rest.endswith("]"):
            props[m.group("key")] = rest[:-1]
        else:
            open_key, open_line, parts = m.group("key"), k, [rest]
    if open_key is not None:
        raise ParseError(f"the value of [{open_key}] never ends (no closing ']')", source=source, line=open_line)
    if not props:
        raise ParseError("empty: no '[key]: [value]' line", source=source, line=1)
    return props


def _first(props: Mapping[str, str], keys: tuple[str, ...], *, source: str, what: str) -> tuple[str, str]:
    for key in keys:
        value = props.get(key, "").strip()
        if value:
            return value, key
    raise ParseError(f"no {what}: none of {', '.join(keys)} is set", source=source)


def android_fingerprint(props: Mapping[str, str], *, source: str = "<props>") -> AndroidFingerprint:
    """The fingerprint from getprop's properties (the fallback chains are the *_PROPS tuples above). A missing
    field (all of its properties absent) or a non-integer SDK level is a ParseError naming the properties."""
    sdk_text, _ = _first(props, ("ro.build.version.sdk",), source=source, what="SDK level")
    if not sdk_text.isdigit():
        raise ParseError(f"ro.build.version.sdk is {sdk_text!r}; allowed an integer", source=source)
    soc, soc_source = _first(props, SOC_PROPS, source=source, what="SoC")
    return AndroidFingerprint(
        manufacturer=_first(props, MANUFACTURER_PROPS, source=source, what="manufacturer")[0],
        model=_first(props, MODEL_PROPS, source=source, what="model")[0],
        device=_first(props, DEVICE_PROPS, source=source, what="device")[0],
        soc=soc,
        soc_source=soc_source,
        sdk_level=int(sdk_text),
        release=_first(props, RELEASE_PROPS, source=source, what="release")[0],
        build_fingerprint=_first(props, FINGERPRINT_PROPS, source=source, what="build fingerprint")[0],
        brand=props.get("ro.product.brand") or None,
        soc_manufacturer=props.get("ro.soc.manufacturer") or None,
    )
