"""`harness upload --farm NAME FILE` against a local HTTP endpoint that stands in for each farm's REST API (farms
cannot be reached from here): the recorded request must be the farm's documented upload (method, path, basic auth,
multipart field names), the printed reference the one the farm answers, and no credential in any output."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from farm_recorder import FarmRecorder

CREDS = {"BROWSERSTACK_USERNAME": "bsuser77", "BROWSERSTACK_ACCESS_KEY": "bsSECRETkey55",
         "SAUCE_USERNAME": "sauceuser88", "SAUCE_ACCESS_KEY": "sauceSECRETkey66",
         "LT_USERNAME": "ltuser99", "LT_ACCESS_KEY": "ltSECRETkey44"}


@pytest.fixture
def recorder() -> Iterator[FarmRecorder]:
    rec = FarmRecorder().start()
    yield rec
    rec.stop()


def _upload(recorder: FarmRecorder, farm: str, file: Path, env_var: str,
            *extra: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", **CREDS, env_var: recorder.url}
    return subprocess.run([sys.executable, "-m", "harness.cli", "upload", "--farm", farm, str(file), *extra],
                          env=env, capture_output=True, text=True, timeout=60, check=False)


def _auth(user: str, key: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()


@pytest.mark.parametrize(("farm", "file_name", "env_var", "answer", "path", "field", "user", "key", "reference"), [
    ("browserstack", "glfx.apk", "HARNESS_BROWSERSTACK_API_URL", {"app_url": "bs://f7c874f2"},
     "/app-automate/upload", "file", "bsuser77", "bsSECRETkey55", "bs://f7c874f2"),
    ("browserstack", "clip.mp4", "HARNESS_BROWSERSTACK_API_URL", {"media_url": "media://21d66a8a"},
     "/app-automate/upload-media", "file", "bsuser77", "bsSECRETkey55", "media://21d66a8a"),
    ("saucelabs", "glfx.apk", "HARNESS_SAUCELABS_API_URL", {"item": {"id": "a1b2", "name": "glfx.apk"}},
     "/v1/storage/upload", "payload", "sauceuser88", "sauceSECRETkey66", "storage:filename=glfx.apk"),
    ("lambdatest", "glfx.apk", "HARNESS_LAMBDATEST_API_URL", {"app_url": "lt://APP1001", "name": "glfx"},
     "/app/upload/realDevice", "appFile", "ltuser99", "ltSECRETkey44", "lt://APP1001"),
    ("lambdatest", "clip.mp4", "HARNESS_LAMBDATEST_MEDIA_API_URL", {"media_url": "lt://MEDIA2002"},
     "/mfs/v1.0/media/upload", "media_file", "ltuser99", "ltSECRETkey44", "lt://MEDIA2002"),
])
def test_upload_request_and_reference(tmp_path: Path, recorder: FarmRecorder, farm: str, file_name: str,
                                      env_var: str, answer: dict[str, object], path: str, field: str, user: str,
                                      key: str, reference: str) -> None:
    file = tmp_path / file_name
    content = b"PK\x03\x04 app or clip bytes \x00\x01\x02"
    file.write_bytes(content)
    recorder.upload_answer = answer
    proc = _upload(recorder, farm, file, env_var)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == reference
    (req,) = recorder.requests
    assert (req.method, req.path) == ("POST", path)
    assert req.headers["Authorization"] == _auth(user, key)
    assert req.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert f'name="{field}"; filename="{file_name}"'.encode() in req.body
    assert content in req.body
    for secret in CREDS.values():
        assert secret not in proc.stdout + proc.stderr


def test_upload_error_is_infrastructure_and_masked(tmp_path: Path, recorder: FarmRecorder) -> None:
    file = tmp_path / "glfx.apk"
    file.write_bytes(b"x")
    recorder.upload_answer = {"error": "no app_url here"}
    proc = _upload(recorder, "browserstack", file, "HARNESS_BROWSERSTACK_API_URL")
    assert proc.returncode == 3
    assert proc.stderr.strip() == ("harness: error: [infrastructure] browserstack upload: the answer has no app_url "
                                   "(error)")


def test_upload_missing_credential_touches_nothing(tmp_path: Path, recorder: FarmRecorder) -> None:
    file = tmp_path / "glfx.apk"
    file.write_bytes(b"x")
    env = {"PATH": "/usr/bin:/bin", "HARNESS_SAUCELABS_API_URL": recorder.url, "SAUCE_USERNAME": "u"}
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "upload", "--farm", "saucelabs", str(file)],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("harness: error: connection: saucelabs needs the environment variable "
                                   "SAUCE_ACCESS_KEY, which is not set; allowed: set SAUCE_ACCESS_KEY (credentials "
                                   "are read only from the environment)")
    assert recorder.requests == []
