"""Reads one YAML file safely: a missing, empty or malformed file or a key written twice is a ConfigError."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from harness.config.errors_fmt import show
from harness.errors import ConfigError

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _DuplicateKeyError(ConstructorError):
    """A mapping names the same key twice."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key written twice in one mapping (PyYAML keeps the last one silently)."""


def _construct_map(loader: _StrictLoader, node: MappingNode) -> Iterator[dict[Any, Any]]:
    first_line: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue  # `<<: *anchor` merges; keys written next to it override merged ones on purpose
        key = loader.construct_object(key_node, deep=True)
        try:
            seen = first_line.get(key)
        except TypeError:
            continue  # an unhashable key: the base constructor reports it
        if seen is not None:
            raise _DuplicateKeyError(
                problem=f"the key {show(key)} appears twice in one mapping (first at line {seen})",
                problem_mark=key_node.start_mark,
            )
        first_line[key] = key_node.start_mark.line + 1
    return loader.construct_yaml_map(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def _at(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""


def read_yaml(path: Path, *, expected: str) -> dict[str, Any]:
    """The top-level mapping of `path`; `expected` says what the file should hold (used in error messages)."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(
            f"file not found (working directory {Path.cwd()}); allowed: the path of an existing YAML file",
            file=file,
        ) from None
    except IsADirectoryError:
        raise ConfigError("is a directory; allowed: the path of a YAML file", file=file) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason}); allowed: a UTF-8 text file", file=file) from None
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror}); allowed: {expected}", file=file) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except _DuplicateKeyError as exc:
        raise ConfigError(f"{_at(exc)}{exc.problem}; allowed: each key once per mapping", file=file) from None
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "malformed YAML"
        raise ConfigError(
            f"{_at(exc)}YAML syntax error: {problem}; allowed: valid YAML (check indentation and quoting)",
            file=file,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML syntax error: {exc}; allowed: valid YAML", file=file) from None
    if data is None:
        raise ConfigError(f"the file is empty; allowed: {expected}", file=file)
    if not isinstance(data, dict):
        raise ConfigError(
            f"expected a mapping at the top level, got {show(data)}; allowed: {expected}", file=file
        )
    return data
