"""A device's fingerprint: the hash of what changes its measurements (model, platform, OS release, screen,
refresh rate, CPU throttling), so history follows the device configuration, not the id it has in devices.yaml.

Labels that do not change a measurement (the device id, tier, the `new` flag, extra tags, the udid of one
physical unit) are kept beside the fingerprint, not hashed: renaming a device or flipping `new` keeps its history.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

from harness.config import Device
from harness.results import ItemRecord

FINGERPRINT_VERSION: Final = 1
HASH_HEX_CHARS: Final = 16  # 64 bits of SHA-256


@dataclass(frozen=True, kw_only=True)
class DeviceFingerprint:
    """The hashed fields (model .. cpu_throttling), the labels kept beside them, and `partial`: True when built
    from a results.json record alone (no devices.yaml entry), which lacks the OS release and the screen."""

    model: str
    platform: str
    os_version: str | None
    viewport_width: int | None
    viewport_height: int | None
    pixel_ratio: float | None
    refresh_hz: float | None
    cpu_throttling: float | None
    tier: str | None
    is_new: bool | None
    partial: bool

    def canonical(self) -> str:
        """The exact text that is hashed: sorted-key compact JSON of the hashed fields and the scheme version."""
        data: dict[str, Any] = {
            "v": FINGERPRINT_VERSION,
            "model": self.model,
            "platform": self.platform,
            "os_version": self.os_version,
            "viewport": None
            if self.viewport_width is None or self.viewport_height is None
            else [self.viewport_width, self.viewport_height],
            "pixel_ratio": _num(self.pixel_ratio),
            "refresh_hz": _num(self.refresh_hz),
            "cpu_throttling": _num(self.cpu_throttling),
            "partial": self.partial,
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def hash(self) -> str:
        """16 hex digits of SHA-256 over `canonical()`, e.g. `3f2a...`: equal configurations, equal hashes."""
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()[:HASH_HEX_CHARS]


def _num(value: float | None) -> float | None:
    """60 and 60.0 hash alike; 12 significant digits drop float noise such as 2.6249999999999996."""
    return None if value is None else float(f"{float(value):.12g}")


def fingerprint_device(device: Device) -> DeviceFingerprint:
    """The fingerprint of a devices.yaml entry (web: its emulation profile; android/ios: model and OS release)."""
    emulation = device.emulation
    tags = device.tags.as_dict()
    return DeviceFingerprint(
        model=device.name,
        platform=device.platform,
        os_version=device.native.os_version if device.native is not None else None,
        viewport_width=emulation.viewport.width if emulation is not None else None,
        viewport_height=emulation.viewport.height if emulation is not None else None,
        pixel_ratio=emulation.pixel_ratio if emulation is not None else None,
        refresh_hz=device.refresh_hz,
        cpu_throttling=emulation.cpu_throttling if emulation is not None else None,
        tier=str(tags["tier"]),
        is_new=bool(tags["new"]),
        partial=False,
    )


def fingerprint_record(record: ItemRecord) -> DeviceFingerprint:
    """A partial fingerprint from what results.json holds (name, platform, tags): used when the devices.yaml entry
    of the run is not given. It differs from the full one on purpose, so the two never mix in one history."""
    tier = record.tags.get("tier")
    new = record.tags.get("new")
    return DeviceFingerprint(
        model=record.device_name,
        platform=record.platform,
        os_version=None,
        viewport_width=None,
        viewport_height=None,
        pixel_ratio=None,
        refresh_hz=None,
        cpu_throttling=None,
        tier=str(tier) if tier is not None else None,
        is_new=new if isinstance(new, bool) else None,
        partial=True,
    )
