"""The `connection:` presets of devices.yaml beyond `local` and a URL (`grid` and the device farms), and the
`farm:` options a farm device takes. Schema only; the capability shapes live in harness.devices.farms."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from harness.config.errors_fmt import Allowed

FARMS: tuple[str, ...] = ("browserstack", "saucelabs", "lambdatest", "aws-device-farm")
PRESETS: tuple[str, ...] = ("local", "grid", *FARMS)

_NAME = Annotated[str, Field(min_length=1, max_length=255), Allowed("a non-empty string of at most 255 characters")]


class FarmOptions(BaseModel):
    """Options of a farm device (`connection: browserstack|saucelabs|lambdatest|aws-device-farm`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    region: Annotated[
        str | None,
        Field(pattern=r"^[a-z]{2}-[a-z]+-[0-9]$"),
        Allowed("a farm region such as us-west-1 or eu-central-1 (saucelabs; default us-west-1)"),
    ] = None
    project: _NAME | None = None
    build: _NAME | None = None
    session_name: _NAME | None = None
    device_name: _NAME | None = None  # the farm's device name (pattern on Sauce: "Samsung.*")
    camera_injection: Literal["none", "image", "video"] = "none"
    media: Annotated[
        Path | None, Allowed("the local path of the clip or image injected into the camera (checked against the "
                             "farm's limits before any session starts)")
    ] = None
    media_url: Annotated[
        str | None, Field(min_length=1),
        Allowed("the farm's reference of the uploaded clip (media://..., lt://MEDIA...), from `harness upload`"),
    ] = None
    hub_url: Annotated[
        str | None, Field(pattern=r"^https?://\S+$"),
        Allowed("an http(s) URL replacing the farm's documented hub (a private endpoint)"),
    ] = None

    @field_validator("media", mode="before")
    @classmethod
    def _resolve_media(cls, value: object, info: ValidationInfo) -> object:
        """A relative path is taken from the devices file's folder."""
        if not isinstance(value, str) or not value:
            return value
        base_dir = (info.context or {}).get("base_dir")
        path = Path(value)
        return path if path.is_absolute() or base_dir is None else Path(base_dir) / path
