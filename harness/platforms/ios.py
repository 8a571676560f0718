"""iOS devices through Appium's XCUITest driver (WebDriverAgent).

Launch protocol (docs/metrics.md): cold and warm = `mobile: terminateApp` then `mobile: activateApp` (warm after the
runner's unmeasured warm-up launch; iOS gives no way to drop its caches without a reboot, so they differ only in
that); hot = the app sent to the background, then activated again. Start-up is read from the screen recording
(first frame showing the camera), with the command's round trip beside it. Crashes: the app's state
(`queryAppState`) after each step.
"""

from __future__ import annotations

from harness.config.devices import Candidate, Device
from harness.devices.capabilities import SessionPlan
from harness.errors import InfrastructureError
from harness.platforms.base import PlatformServices
from harness.platforms.native import NativePlatform
from harness.platforms.ports import host_of


class IosPlatform(NativePlatform):
    """An iPhone or simulator; implements harness.platforms.base.DevicePlatform."""

    name = "ios"

    def __init__(self, *, services: PlatformServices, device: Device, candidate: Candidate, label: str) -> None:
        super().__init__(services=services, device=device, candidate=candidate, label=label)
        app = candidate.app.ios
        if app is None:
            raise InfrastructureError(f"[infrastructure] {candidate.id} has no ios app")
        self.app = app

    @property
    def app_id(self) -> str:
        return self.app.bundle_id

    def plan(self, server_url: str) -> SessionPlan:
        native = self.device.native
        fixed = native.model_dump() if native is not None else {}
        derived = native.derived_data_path if native and native.derived_data_path else None
        if derived is None and native is not None and native.udid and host_of(server_url) == "127.0.0.1":
            derived = str(self.services.project_root / ".cache" / "wda" / native.udid)  # one WDA build per device
        return SessionPlan(
            clip_path=None,
            wda_local_port=self.lease(server_url, "wda_local_port", fixed.get("wda_local_port")),
            mjpeg_port=self.lease(server_url, "mjpeg_server_port", fixed.get("mjpeg_server_port")),
            derived_data_path=derived,
        )

    def recordings_path(self) -> str | None:
        return self.app.recordings
