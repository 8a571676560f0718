"""Turns pydantic validation failures into one-line ConfigError messages.

Every message reads `<file>: <key path>: <what is wrong>; allowed: <what is allowed>`, with a key path such as
`devices[2].platform`, and never shows the secret part of a URL.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from harness.errors import ConfigError
from harness.secrets import mask_secrets

Loc = tuple[str | int, ...]

# The error type of every failure raised by this package's own validators (see `fail`).
CUSTOM_ERROR = "harness"

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_:-]*$")
_MAX_SHOWN_CHARS = 60

_EXPECTED_NOUN = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "path_type": "a path",
}


@dataclass(frozen=True)
class Allowed:
    """`Annotated` metadata: the human text for what a field accepts, used in place of a generated one."""

    text: str


def fail(what: str, allowed: str, *, key: str | None = None) -> PydanticCustomError:
    """An error for a validator to raise; `key` (dotted) names a sub-key of the model being validated."""
    ctx: dict[str, Any] = {"what": what, "allowed": allowed}
    if key is not None:
        ctx["key"] = key
    return PydanticCustomError(CUSTOM_ERROR, "{what}; allowed: {allowed}", ctx)


def mask_credentials(text: str) -> str:
    """`text` with every credential masked (the one rule: `harness.secrets.mask_secrets`)."""
    return mask_secrets(text)


def key_path(loc: Loc) -> str:
    """`('devices', 2, 'platform')` -> `devices[2].platform`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def show(value: Any) -> str:
    """A short, credential-free rendering of a YAML value for a message."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        text = mask_credentials(value)
        if len(text) > _MAX_SHOWN_CHARS:
            text = text[: _MAX_SHOWN_CHARS - 3] + "..."
        return repr(text)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _number(value: float) -> str:
    return f"{value:g}"


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """Strips `Annotated[...]` and `X | None`, collecting the metadata (constraints, `Allowed`)."""
    metadata: list[Any] = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            inner, *extra = get_args(annotation)
            for item in extra:
                if isinstance(item, FieldInfo):
                    metadata.extend(item.metadata)
                else:
                    metadata.append(item)
            annotation = inner
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation, metadata
            annotation = members[0]
        else:
            return annotation, metadata


def model_keys(model: type[BaseModel]) -> str:
    """The keys a YAML mapping for `model` may hold, as a comma-separated list."""
    internal: tuple[str, ...] = getattr(model, "INTERNAL_FIELDS", ())
    keys = [name for name in model.model_fields if name not in internal]
    note: str = getattr(model, "EXTRA_KEYS_NOTE", "")
    return ", ".join(keys) + (f", {note}" if note else "")


def _range_text(noun: str, metadata: list[Any]) -> str:
    low = high = None
    for item in metadata:
        if isinstance(item, annotated_types.Ge | annotated_types.Gt):
            low = item
        elif isinstance(item, annotated_types.Le | annotated_types.Lt):
            high = item
    if isinstance(low, annotated_types.Ge) and isinstance(high, annotated_types.Le):
        return f"{noun} from {_number(float(low.ge))} to {_number(float(high.le))}"  # type: ignore[arg-type]
    parts = [noun]
    if isinstance(low, annotated_types.Ge):
        parts.append(f">= {_number(float(low.ge))}")  # type: ignore[arg-type]
    if isinstance(low, annotated_types.Gt):
        parts.append(f"> {_number(float(low.gt))}")  # type: ignore[arg-type]
    if isinstance(high, annotated_types.Le):
        parts.append(f"<= {_number(float(high.le))}")  # type: ignore[arg-type]
    if isinstance(high, annotated_types.Lt):
        parts.append(f"< {_number(float(high.lt))}")  # type: ignore[arg-type]
    return " ".join(parts)


def describe(annotation: Any, metadata: list[Any] | None = None) -> str:
    """What a value of this annotation may be, in words (`android, ios, web`, `an integer from 1 to 50`)."""
    inner, extra = _unwrap(annotation)
    meta = [*(metadata or []), *extra]
    for item in meta:
        if isinstance(item, Allowed):
            return item.text
    origin = get_origin(inner)
    args = get_args(inner)
    if origin is Literal:
        return ", ".join(str(arg) for arg in args)
    if inner is bool:
        return "true or false"
    if inner is int:
        return _range_text("an integer", meta)
    if inner is float:
        return _range_text("a number", meta)
    if inner is str:
        return "a string"
    if inner is Path:
        return "a file path"
    if inner is Any:
        return "any value"
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return f"a mapping with keys {model_keys(inner)}"
    if origin in (list, tuple):
        return f"a list; each item: {describe(args[0])}"
    if origin is dict:
        return f"a mapping of {describe(args[0])} to {describe(args[1])}"
    if origin in (Union, types.UnionType):
        return " or ".join(describe(arg) for arg in args)
    return getattr(inner, "__name__", str(inner))


@dataclass(frozen=True)
class _Resolved:
    annotation: Any
    metadata: list[Any]
    owner: type[BaseModel] | None  # the model holding the last key, if any


def _resolve(root: Any, loc: Loc) -> _Resolved:
    """Walks the type tree from `root` along a pydantic error location."""
    if loc and loc[-1] == "[key]":  # a dict key: (..., 'the_dict', 'bad key', '[key]')
        args = get_args(_resolve(root, loc[:-2]).annotation)
        annotation, metadata = _unwrap(args[0]) if args else (Any, [])
        return _Resolved(annotation, metadata, None)
    annotation, metadata = _unwrap(root)
    owner: type[BaseModel] | None = None
    for part in loc:
        origin = get_origin(annotation)
        args = get_args(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(part, str):
            field = annotation.model_fields.get(part)
            owner = annotation
            if field is None:
                return _Resolved(Any, [], owner)
            annotation, extra = _unwrap(field.annotation)
            metadata = [*field.metadata, *extra]
        elif origin in (list, tuple) and isinstance(part, int) and args:
            annotation, metadata = _unwrap(args[0])
        elif origin is dict and args:
            annotation, metadata = _unwrap(args[1])
        else:
            return _Resolved(Any, [], owner)
    return _Resolved(annotation, metadata, owner)


def _what_and_allowed(error: Any, root: Any, loc: Loc, last_key: str | int | None) -> tuple[str, str, Loc]:
    kind: str = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == CUSTOM_ERROR:
        sub = tuple(str(ctx["key"]).split(".")) if ctx.get("key") else ()
        if loc and loc[-1] == "[key]":  # a dict key's own validator: the path ends at the key
            loc = loc[:-1]
        return str(ctx["what"]), str(ctx["allowed"]), loc + sub
    if kind == "extra_forbidden":
        owner = _resolve(root, loc[:-1]).annotation
        allowed = model_keys(owner) if isinstance(owner, type) and issubclass(owner, BaseModel) else "none"
        return f"unknown key '{loc[-1]}'", allowed, loc
    is_key = bool(loc) and loc[-1] == "[key]"
    resolved = _resolve(root, loc)
    allowed = describe(resolved.annotation, resolved.metadata)
    where = loc[:-1] if is_key else loc
    subject = f"key {show(value)}" if is_key else show(value)
    if kind == "missing":
        return f"missing required key '{loc[-1]}'", allowed, loc
    if kind in _EXPECTED_NOUN:
        what = f"expected {_EXPECTED_NOUN[kind]}, got {show(value)}"
        if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
            what = f"expected a string, got the number {value!r}"
            quoted = f'"{value!r}"'
            allowed = f"{allowed}; put it in quotes: " + (
                f"{last_key}: {quoted}" if isinstance(last_key, str) else quoted
            )
        return what, allowed, where
    if kind in ("literal_error", "string_pattern_mismatch", "enum"):
        return f"{subject} is not allowed", allowed, where
    if kind in ("greater_than_equal", "greater_than"):
        return f"{subject} is too small", allowed, where
    if kind in ("less_than_equal", "less_than"):
        return f"{subject} is too large", allowed, where
    if kind in ("too_short", "string_too_short"):
        return ("must not be empty" if not value else f"{subject} is too short"), allowed, where
    if kind in ("too_long", "string_too_long"):
        limit = ctx.get("max_length")
        unit = "characters" if kind == "string_too_long" else "items"
        size = len(value) if isinstance(value, str | list | tuple | dict) else None
        what = f"{subject} is too long" + (f" ({size} {unit})" if size is not None else "")
        return what, allowed + (f", at most {limit} {unit}" if limit is not None else ""), where
    message = str(error.get("msg", kind)).removeprefix("Value error, ")
    return message, allowed, where


def config_error(exc: ValidationError, *, root: Any, file: str | None, prefix: Loc = ()) -> ConfigError:
    """The first error of `exc` as a ConfigError; `root` is the model or type that was validated."""
    errors = exc.errors(include_url=False)
    error = errors[0]
    if error["type"] == "missing":  # a misspelt key shows up as missing + unknown: report the unknown one
        parent = tuple(error["loc"])[:-1]
        error = next(
            (e for e in errors if e["type"] == "extra_forbidden" and tuple(e["loc"])[:-1] == parent), error
        )
    loc: Loc = tuple(error["loc"])
    named = prefix + loc
    what, allowed, where = _what_and_allowed(error, root, loc, named[-1] if named else None)
    full = prefix + where
    message = mask_credentials(f"{what}; allowed: {allowed}")
    return ConfigError(message, file=file, key_path=key_path(full) if full else None)
