"""The one masking rule (harness.secrets): URL user-info of any scheme, credential keys and headers, registered
values in their URL-encoded and Basic-header forms, and the secret environment variables."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from harness.secrets import (
    MASK,
    clear_registered_secrets,
    is_secret_env_name,
    is_secret_key,
    leaks,
    mask_data,
    mask_secrets,
    mask_url,
    register_environment,
    register_secret,
    secret_env_values,
)


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    clear_registered_secrets()
    yield
    clear_registered_secrets()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:key@hub.browserstack.com/wd/hub", "https://***@hub.browserstack.com/wd/hub"),
        ("http://token@farm.local:4444", "http://***@farm.local:4444"),
        ("ftp://user:pa/ss@ftp.example.com/x", "ftp://***@ftp.example.com/x"),
        ("http://user:p@ss@host:4723/wd/hub", "http://***@host:4723/wd/hub"),
        ("http://u:a:b:c@host/", "http://***@host/"),
        ("postgresql://bob:s3cret@db:5432/h", "postgresql://***@db:5432/h"),
        ("redis://:pw0rd@cache:6379/0", "redis://***@cache:6379/0"),
        ("'http://u:S3cr%40t@127.0.0.1:9/wd'", "'http://***@127.0.0.1:9/wd'"),
        ("?accessKey=abc123&device=pixel7", "?accessKey=***&device=pixel7"),
        ("?access_key=abc&apikey=def&api_key=ghi", "?access_key=***&apikey=***&api_key=***"),
        ("&token=t&password=p&secret=s&signature=g", "&token=***&password=***&secret=***&signature=***"),
        (
            "?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=ab12&X-Amz-Security-Token=zz&X-Amz-Expires=60",
            "?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Security-Token=***&X-Amz-Expires=***",
        ),
        ('{"accessKey": "abc123", "device": "pixel7"}', '{"accessKey": "***", "device": "pixel7"}'),
        ("SAUCE_ACCESS_KEY=s3cr3t ./run", "SAUCE_ACCESS_KEY=*** ./run"),
        ("password: hunter2", "password: ***"),
        ("api_token='t0k3n'", "api_token='***'"),
        ("sessionToken=abc", "sessionToken=***"),
        ("X-Api-Key: abcdef", "X-Api-Key: ***"),
        ("Authorization: Bearer abcdefgh12345", "Authorization: Bearer ***"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: Basic ***"),
        ("{'Authorization': 'Basic dXNlcjpwYXNzd29yZA=='}", "{'Authorization': 'Basic ***'}"),
        ("Proxy-Authorization: s3cr3tvalue", "Proxy-Authorization: ***"),
        # nothing secret: kept as is
        ("keyframe: 30 on http://127.0.0.1:4723/wd/hub", "keyframe: 30 on http://127.0.0.1:4723/wd/hub"),
        ("monkey=3 tokens: 5 key_frame_indices: [87]", "monkey=3 tokens: 5 key_frame_indices: [87]"),
        ("content_fps=29.7 startup_ms=812", "content_fps=29.7 startup_ms=812"),
        ("https://registry.npmjs.org/@appium/base-driver", "https://registry.npmjs.org/@appium/base-driver"),
        ("http://127.0.0.1:4723/wd/hub/session/@x", "http://127.0.0.1:4723/wd/hub/session/@x"),
        ("devices[0].connection: 'x' is not allowed", "devices[0].connection: 'x' is not allowed"),
    ],
)
def test_mask_secrets(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected
    assert mask_url(text) == expected
    assert mask_secrets(expected) == expected  # masking is idempotent


def test_a_password_seen_in_a_url_is_masked_later_in_its_other_spellings() -> None:
    assert mask_secrets("connecting to http://ci:S3cr%40t!@farm.example/wd/hub") == (
        "connecting to http://***@farm.example/wd/hub"
    )
    header = _b64("ci:S3cr@t!")  # what an HTTP client sends, from the decoded user-info
    text = f"X-Forwarded: {header} raw S3cr@t! encoded S3cr%40t%21 plain S3cr%40t! raw64 {_b64('ci:S3cr%40t!')}"
    masked = mask_secrets(text)
    assert masked == f"X-Forwarded: {MASK} raw {MASK} encoded {MASK} plain {MASK} raw64 {MASK}"
    assert "ci" in mask_secrets("ci builds")  # the user name alone is not a secret


def test_registered_value_masked_with_its_url_encoded_and_basic_forms() -> None:
    register_secret("k3y/with+chars=", user="alice")
    text = f"k3y/with+chars= k3y%2Fwith%2Bchars%3D k3y%2Fwith%2Bchars%3D {_b64('alice:k3y/with+chars=')}"
    assert mask_secrets(text) == " ".join([MASK] * 4)
    assert not leaks(mask_secrets(text))
    assert leaks("a k3y/with+chars= b")


def test_short_and_plain_values_are_not_registered() -> None:
    for value in ("abc", "true", "123456", ""):
        register_secret(value)
    assert mask_secrets("abc true 123456 x") == "abc true 123456 x"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("BROWSERSTACK_USERNAME", True),
        ("BROWSERSTACK_ACCESS_KEY", True),
        ("SAUCE_USERNAME", True),
        ("LT_ACCESS_KEY", True),
        ("AWS_ACCESS_KEY_ID", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("AWS_SESSION_TOKEN", True),
        ("GITHUB_TOKEN", True),
        ("DB_PASSWORD", True),
        ("OPENAI_API_KEY", True),
        ("CLIENT_SECRET", True),
        ("MY_ACCESS_KEY", True),
        ("HOME", False),
        ("BROWSERSTACK_BUILD_NAME", False),
        ("TOKENIZER", False),
    ],
)
def test_secret_environment_variables(name: str, secret: bool) -> None:
    assert is_secret_env_name(name) is secret


def test_register_environment_masks_values_and_farm_basic_header() -> None:
    env = {"SAUCE_USERNAME": "sauce-user-1", "SAUCE_ACCESS_KEY": "0123-abcd-4567", "HOME": "/home/ci", "X": "y"}
    assert secret_env_values(env) == ("0123-abcd-4567", "sauce-user-1")
    register_environment(env)
    text = f"user sauce-user-1 key 0123-abcd-4567 basic {_b64('sauce-user-1:0123-abcd-4567')} /home/ci"
    assert mask_secrets(text) == f"user {MASK} key {MASK} basic {MASK} /home/ci"


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("accessKey", True),
        ("bstack:accessKey", True),
        ("api_key", True),
        ("password", True),
        ("X-Amz-Signature", True),
        ("keyframe", False),
        ("monkey", False),
        ("device", False),
    ],
)
def test_is_secret_key(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_mask_data_masks_secret_keys_whole_and_strings_inside() -> None:
    data = {
        "accessKey": "abc",
        "nested": [{"password": 1234}, "https://u:pw@h/x"],
        "enabled": True,
        "device": "pixel7",
    }
    assert mask_data(data) == {
        "accessKey": MASK,
        "nested": [{"password": MASK}, "https://***@h/x"],
        "enabled": True,
        "device": "pixel7",
    }
