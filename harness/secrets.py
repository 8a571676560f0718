"""The one masking rule: what counts as a secret in text the harness writes or prints, and how it is hidden.

Everything that leaves the process (console, logs, Allure results and report, results.json, history.jsonl, the
store, ticket bundles, error messages) goes through `mask_secrets`. It hides: the user-info of a URL of any
scheme (`https://user:pa/ss@w@host` -> `https://***@host`), values of query parameters, keys and headers that
carry credentials (`accessKey=`, `api_key:`, `token=`, `password=`, `secret=`, `signature=`, `X-Amz-*=`,
`Authorization: Basic ...` / `Bearer ...`), and every value registered as secret at run time (with its
URL-encoded forms and, for `user:password` pairs, the base64 of a Basic header). The values of the environment
variables in `SECRET_ENV_VARS`, or whose name ends in one of `SECRET_ENV_SUFFIXES`, are registered too.

Imports nothing from the harness: every layer may use it.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote, quote_plus, unquote

MASK: Final = "***"

# Environment variables whose values are always masked when set (docs/config.md "Secrets").
SECRET_ENV_VARS: Final = frozenset(
    {
        "BROWSERSTACK_USERNAME",
        "BROWSERSTACK_ACCESS_KEY",
        "SAUCE_USERNAME",
        "SAUCE_ACCESS_KEY",
        "LT_USERNAME",
        "LT_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    }
)
SECRET_ENV_SUFFIXES: Final = ("_TOKEN", "_SECRET", "_PASSWORD", "_ACCESS_KEY", "_API_KEY")

# A registered value shorter than this, or one of these words, would mask unrelated text everywhere.
MIN_SECRET_CHARS: Final = 6
_PLAIN_VALUES: Final = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null", "user", "admin"})

# Key names (query parameters, JSON / YAML keys, headers, NAME=value) whose value is a credential: the name ends
# in one of these words, after any prefix (`SAUCE_ACCESS_KEY`, `bstack:accessKey`, `X-Api-Key`, `auth_token`).
_SECRET_WORDS: Final = (
    r"access[_-]?key(?:[_-]?id)?|secret[_-]?key|private[_-]?key|api[_-]?key|apikey|auth[_-]?key"
    r"|token|secret|password|passwd|pwd|passphrase|signature|credentials?|x-amz-[a-z-]+"
)
SECRET_KEY_RE: Final = re.compile(rf"(?i)(?:{_SECRET_WORDS})$")
_KEY_VALUE_RE: Final = re.compile(
    rf"""(?x)
    (?P<key>(?<![\w.-])[\w.:-]*?(?i:{_SECRET_WORDS}))(?![\w-])    # a secret key name, whole
    (?P<sep>["']?\s*[:=]\s*)                                         # = or : (JSON / YAML quoting allowed)
    (?P<value>"[^"\n]*"|'[^'\n]*'|[^\s"'&,;}}<>)\]]+)                # the value: quoted, or up to a delimiter
    """
)
_AUTH_HEADER_RE: Final = re.compile(
    r"(?i)(?P<head>\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)(?:(?P<scheme>basic|bearer|token|digest)\s+)?"
    r"(?P<value>[^\s\"',;}]+)"
)
_SCHEME_TOKEN_RE: Final = re.compile(r"\b(?P<scheme>Basic|Bearer)\s+(?P<value>[A-Za-z0-9._~+/-]{8,}=*)")
# A URL's start, then everything up to the end of the token that may hold user-info (`?`, `#`, space, quote end
# it); the user-info runs to the LAST `@` there, so passwords holding `@`, `/` or `:` are masked whole.
_URL_RE: Final = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<rest>[^\s\"'<>`?#]*)")
_HOST_PORT_RE: Final = re.compile(r"^[A-Za-z0-9.\-\[\]]+(?::\d*)?$")

_lock = threading.Lock()
_registered: set[str] = set()  # every form of every registered secret
_ordered: tuple[str, ...] = ()  # the same, longest first (a secret containing another is masked whole)


def _forms(value: str) -> set[str]:
    """The spellings of a secret that may appear in text: as is, URL-encoded, URL-decoded."""
    decoded = unquote(value)
    forms = {value, decoded}
    for text in (value, decoded):
        forms |= {quote(text, safe=""), quote_plus(text, safe=""), quote(text)}
    return {form for form in forms if _maskable(form)}


def _maskable(value: str) -> bool:
    return len(value) >= MIN_SECRET_CHARS and value.lower() not in _PLAIN_VALUES and not value.isdigit()


def _basic_forms(user: str, password: str) -> set[str]:
    """Base64 of the Basic header for `user:password`, for the user-info as written and as decoded."""
    out: set[str] = set()
    for pair in {f"{user}:{password}", f"{unquote(user)}:{unquote(password)}"}:
        encoded = base64.b64encode(pair.encode("utf-8")).decode("ascii")
        out.update({encoded, encoded.rstrip("=")})
    return {form for form in out if len(form) >= 2 * MIN_SECRET_CHARS}


def register_secret(value: str, *, user: str | None = None) -> None:
    """Mask `value` wherever it appears from now on in this process (and its URL-encoded forms). With `user`,
    `value` is that user's password: the base64 of `user:value` (a Basic header) is masked too (the user name
    alone is not: set it in a secret environment variable to mask it)."""
    global _ordered
    forms = _forms(value) if value else set()
    if user is not None:
        forms |= _basic_forms(user, value)
    if not forms:
        return
    with _lock:
        if forms <= _registered:
            return
        _registered.update(forms)
        _ordered = tuple(sorted(_registered, key=lambda s: (-len(s), s)))


def registered_secrets() -> tuple[str, ...]:
    """Every registered spelling, longest first."""
    return _ordered


def clear_registered_secrets() -> None:
    """Forget every registered value (for tests that check one registration at a time)."""
    global _ordered
    with _lock:
        _registered.clear()
        _ordered = ()


def is_secret_env_name(name: str) -> bool:
    """True for a variable in SECRET_ENV_VARS or whose name ends in one of SECRET_ENV_SUFFIXES."""
    upper = name.upper()
    return upper in SECRET_ENV_VARS or upper.endswith(SECRET_ENV_SUFFIXES)


def secret_env_values(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The values of secret environment variables in `environ` that are long and particular enough to mask."""
    return tuple(sorted({v for k, v in environ.items() if is_secret_env_name(k) and _maskable(v)}))


def register_environment(environ: Mapping[str, str] | None = None) -> None:
    """Register the value of every secret environment variable set in `environ` (default: this process's);
    BROWSERSTACK / SAUCE / LT user name and key pairs also as Basic headers."""
    env = os.environ if environ is None else environ
    for value in secret_env_values(env):
        register_secret(value)
    for farm in ("BROWSERSTACK", "SAUCE", "LT"):
        user, key = env.get(f"{farm}_USERNAME"), env.get(f"{farm}_ACCESS_KEY")
        if user and key:
            register_secret(key, user=user)


def _split_userinfo(rest: str) -> tuple[str, str] | None:
    """(user-info, host and path) when `rest` (a URL after `scheme://`) carries user-info, else None."""
    at = rest.rfind("@")
    if at <= 0:
        return None
    info, tail = rest[:at], rest[at + 1 :]
    slash = info.find("/")
    if slash >= 0 and _HOST_PORT_RE.match(info[:slash]):
        return None  # `host[:port]/path@x`: an `@` in the path, not user-info
    return info, tail


def _mask_url_match(match: re.Match[str]) -> str:
    scheme, rest = match.group("scheme"), match.group("rest")
    split = _split_userinfo(rest)
    if split is None:
        return match.group(0)
    info, tail = split
    user, sep, password = info.partition(":")
    if sep and password and MASK not in info:
        register_secret(password, user=user)  # a lone `user@` is often a plain user name: not registered
    return f"{scheme}{MASK}@{tail}"


def register_url_credentials(text: str) -> None:
    """Register the password of every URL with `user:password@` in `text` (e.g. a device's connection, as it
    is loaded), so that its Basic header and encoded forms are masked before any request is made."""
    for match in _URL_RE.finditer(text):
        _mask_url_match(match)


def _mask_key_value(match: re.Match[str]) -> str:
    value = match.group("value")
    if value[:1] in "\"'" and len(value) >= 2:
        if len(value) == 2:
            return match.group(0)
        return f"{match.group('key')}{match.group('sep')}{value[0]}{MASK}{value[0]}"
    return f"{match.group('key')}{match.group('sep')}{MASK}"


def _mask_auth_header(match: re.Match[str]) -> str:
    scheme = match.group("scheme")
    return f"{match.group('head')}{scheme + ' ' if scheme else ''}{MASK}"


def mask_secrets(text: str) -> str:
    """`text` with every credential replaced by *** (see the module's docstring for what counts).

    `https://user:key@hub.example.com/wd/hub` -> `https://***@hub.example.com/wd/hub`;
    `?accessKey=abc123` -> `?accessKey=***`; `"token": "abc"` -> `"token": "***"`;
    `Authorization: Basic dXNlcjpwdw==` -> `Authorization: Basic ***`.
    A URL's user-info is registered as it is masked, so its other spellings (base64 in a Basic header) are
    masked too in text masked later in the same process.
    """
    if not text:
        return text
    masked = _URL_RE.sub(_mask_url_match, text)
    for secret in _ordered:
        if secret in masked:
            masked = masked.replace(secret, MASK)
    masked = _AUTH_HEADER_RE.sub(_mask_auth_header, masked)
    masked = _SCHEME_TOKEN_RE.sub(lambda m: f"{m.group('scheme')} {MASK}", masked)
    return _KEY_VALUE_RE.sub(_mask_key_value, masked)


def mask_url(url: str) -> str:
    """A URL (or any text holding URLs) with user-info and credential parameters masked."""
    return mask_secrets(url)


def is_secret_key(key: str) -> bool:
    """True when a mapping key names a credential (`accessKey`, `api_key`, `SAUCE_ACCESS_KEY`, `password`)."""
    return bool(SECRET_KEY_RE.search(key))


def mask_value(key: str, value: str) -> str:
    """The whole value masked when `key` names a secret, else the credentials inside it."""
    return MASK if is_secret_key(key) and value else mask_secrets(value)


def mask_data(value: Any, *, key: str = "") -> Any:
    """A JSON-like value masked throughout: a secret-named key's scalar becomes ***, strings (keys too) are
    masked as text, lists and mappings recursively."""
    if key and is_secret_key(key) and isinstance(value, str | int | float) and not isinstance(value, bool):
        return MASK if value != "" else value
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, Mapping):
        return {mask_secrets(str(k)): mask_data(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_data(v) for v in value]
    return value


def leaks(text: str) -> bool:
    """True when masking would change `text`: something secret is still in it."""
    return mask_secrets(text) != text


__all__ = [
    "MASK",
    "MIN_SECRET_CHARS",
    "SECRET_ENV_SUFFIXES",
    "SECRET_ENV_VARS",
    "SECRET_KEY_RE",
    "clear_registered_secrets",
    "is_secret_env_name",
    "is_secret_key",
    "leaks",
    "mask_data",
    "mask_secrets",
    "mask_url",
    "mask_value",
    "register_environment",
    "register_secret",
    "register_url_credentials",
    "registered_secrets",
    "secret_env_values",
]
