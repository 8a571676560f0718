"""Uploads an app (APK/IPA) or the reference clip to a device farm's documented REST API and returns the reference
a devices.yaml uses (`bs://...`, `media://...`, `storage:filename=...`, `lt://...`). The one module that talks to
the farms' REST APIs. Each base URL can be replaced through an environment variable (a private endpoint, a test).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.devices import farms
from harness.errors import ConfigError, InfrastructureError
from harness.secrets import mask_secrets

APP_SUFFIXES = (".apk", ".aab", ".ipa")
MEDIA_SUFFIXES = (".mp4", ".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class Endpoint:
    default_base: str
    base_env: str
    path: str
    file_field: str


ENDPOINTS: dict[tuple[str, str], Endpoint] = {
    ("browserstack", "app"): Endpoint("https://api-cloud.browserstack.com", "HARNESS_BROWSERSTACK_API_URL",
                                      "/app-automate/upload", "file"),
    ("browserstack", "media"): Endpoint("https://api-cloud.browserstack.com", "HARNESS_BROWSERSTACK_API_URL",
                                        "/app-automate/upload-media", "file"),
    ("saucelabs", "app"): Endpoint("https://api.{region}.saucelabs.com", "HARNESS_SAUCELABS_API_URL",
                                   "/v1/storage/upload", "payload"),
    ("saucelabs", "media"): Endpoint("https://api.{region}.saucelabs.com", "HARNESS_SAUCELABS_API_URL",
                                     "/v1/storage/upload", "payload"),
    ("lambdatest", "app"): Endpoint("https://manual-api.lambdatest.com", "HARNESS_LAMBDATEST_API_URL",
                                    "/app/upload/realDevice", "appFile"),
    ("lambdatest", "media"): Endpoint("https://mobile-mgm.lambdatest.com", "HARNESS_LAMBDATEST_MEDIA_API_URL",
                                      "/mfs/v1.0/media/upload", "media_file"),
}


def upload_url(farm: str, kind: str, *, region: str = "us-west-1") -> str:
    endpoint = ENDPOINTS[(farm, kind)]
    base = os.environ.get(endpoint.base_env) or endpoint.default_base.format(region=region)
    return base.rstrip("/") + endpoint.path


def _multipart(fields: dict[str, str], file_field: str, path: Path) -> tuple[bytes, str]:
    boundary = f"harness-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{path.name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode())
    parts.append(path.read_bytes())
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in APP_SUFFIXES:
        return "app"
    if suffix in MEDIA_SUFFIXES:
        return "media"
    raise ConfigError(f"{path.name} is not allowed; allowed: an app ({', '.join(APP_SUFFIXES)}) or a camera clip "
                      f"or image ({', '.join(MEDIA_SUFFIXES)})", key_path="FILE")


def upload(farm: str, path: Path, *, region: str = "us-west-1", timeout_s: float = 600.0) -> str:
    """Uploads `path` and returns the farm's reference for devices.yaml."""
    if farm not in farms.PRESETS:
        raise ConfigError(f"{farm!r} is not allowed; allowed: {', '.join(farms.PRESETS)}", key_path="--farm")
    if farm == "aws-device-farm":
        raise ConfigError("aws-device-farm uploads are signed AWS API calls (CreateUpload, then a presigned PUT); "
                          "allowed: browserstack, saucelabs, lambdatest (use `aws devicefarm create-upload` and "
                          "give the upload's ARN as the app)", key_path="--farm")
    if not path.is_file():
        raise ConfigError(f"{path} does not exist; allowed: an existing file", key_path="FILE")
    kind = _kind(path)
    creds = farms.farm_credentials(farm)
    fields: dict[str, str] = {}
    if farm == "saucelabs":
        fields["name"] = path.name
    elif farm == "lambdatest" and kind == "app":
        fields["name"] = path.stem
    elif farm == "lambdatest":
        fields["type"] = "video" if path.suffix.lower() == ".mp4" else "image"
        fields["custom_id"] = path.stem
    body, content_type = _multipart(fields, ENDPOINTS[(farm, kind)].file_field, path)
    token = base64.b64encode(f"{creds.username}:{creds.access_key}".encode()).decode("ascii")
    url = upload_url(farm, kind, region=region)
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Basic {token}", "Content-Type": content_type, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:
            answer: Any = json.loads(resp.read().decode() or "{}")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:300]
        raise InfrastructureError(f"[infrastructure] {farm} upload to {url} failed: HTTP {exc.code} "
                                  f"{mask_secrets(detail)}") from None
    except (urllib.error.URLError, OSError, json.JSONDecodeError) as exc:
        raise InfrastructureError(f"[infrastructure] {farm} upload to {url} failed: "
                                  f"{mask_secrets(str(exc))}") from None
    return reference_from(farm, kind, answer, name=path.name)


def reference_from(farm: str, kind: str, answer: Any, *, name: str) -> str:
    """The reference in the farm's answer: app_url / media_url (BrowserStack, LambdaTest), or for Sauce Labs'
    storage the `storage:filename=` form of the stored file."""
    if not isinstance(answer, dict):
        raise InfrastructureError(f"[infrastructure] {farm} upload: unexpected answer {str(answer)[:200]}")
    if farm == "saucelabs":
        item = answer.get("item") or {}
        stored = item.get("name") or name
        return f"storage:filename={stored}"
    key = "app_url" if kind == "app" else "media_url"
    value = answer.get(key)
    if not isinstance(value, str) or not value:
        raise InfrastructureError(f"[infrastructure] {farm} upload: the answer has no {key} "
                                  f"({', '.join(map(str, answer)) or 'empty'})")
    return value
