"""The platform implementation for a device: web, android or ios."""

from __future__ import annotations

from harness.config.devices import Candidate, Device
from harness.platforms.base import DevicePlatform, PlatformServices


def platform_for(*, services: PlatformServices, device: Device, candidate: Candidate, label: str) -> DevicePlatform:
    if device.platform == "web":
        from harness.platforms.web import WebPlatform

        return WebPlatform(services=services, device=device, candidate=candidate, label=label)
    if device.platform == "android":
        from harness.platforms.android import AndroidPlatform

        return AndroidPlatform(services=services, device=device, candidate=candidate, label=label)
    from harness.platforms.ios import IosPlatform

    return IosPlatform(services=services, device=device, candidate=candidate, label=label)
