"""Reads one YAML file safely: a missing, empty, oversized or malformed file, a control byte, nesting too deep,
aliases that expand beyond a small budget, or a key written twice is a ConfigError (docs/config.md "Limits").

Sizes are bounded before anything is built: the file's bytes, then the parser's events (iteratively, so deep
nesting cannot exhaust the stack), then the composed node graph with every alias counted as expanded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode

from harness.config.errors_fmt import show
from harness.errors import ConfigError

_MERGE_TAG = "tag:yaml.org,2002:merge"

MAX_FILE_BYTES: Final = 1024 * 1024  # 1 MiB: a devices or scenario file is a few kB
MAX_DEPTH: Final = 32  # nested mappings and lists; the shipped files use 5
MAX_EVENTS: Final = 200_000  # parser events of one file
MAX_EXPANDED_NODES: Final = 50_000  # nodes of the document with every alias expanded
MAX_EXPANDED_CHARS: Final = 4 * MAX_FILE_BYTES  # characters of all scalars, aliases expanded
# C0 controls but tab, line feed and carriage return; DEL; the C1 controls.
_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


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


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _check_text(text: str, file: str) -> None:
    bad = _CONTROL_RE.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise ConfigError(
            f"line {line}, column {column}: control character U+{ord(bad.group()):04X}; allowed: UTF-8 text "
            "without NUL or control characters (tab and line breaks are fine)",
            file=file,
        )


def _check_events(text: str, file: str) -> None:
    """Depth and event count, from the parser's events (iterative: no recursion however deep the nesting)."""
    depth = 0
    for count, event in enumerate(yaml.parse(text, Loader=yaml.SafeLoader), start=1):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise ConfigError(
                    f"line {mark.line + 1}, column {mark.column + 1}: nesting deeper than {MAX_DEPTH} levels; "
                    f"allowed: at most {MAX_DEPTH} nested mappings and lists",
                    file=file,
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if count > MAX_EVENTS:
            raise ConfigError(f"more than {MAX_EVENTS} YAML nodes; allowed: at most {MAX_EVENTS}", file=file)


def _check_expansion(root: Node, file: str) -> None:
    """The document's size with every alias expanded: nodes and scalar characters, each node counted as often as
    it is reached (memoised per node, so this runs in the size of the graph, not of the expansion)."""
    sizes: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()

    def size(node: Node) -> tuple[int, int]:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            mark = node.start_mark
            raise ConfigError(
                f"line {mark.line + 1}, column {mark.column + 1}: an alias refers to a node that contains it; "
                "allowed: aliases of finished nodes only",
                file=file,
            )
        if isinstance(node, ScalarNode):
            result = (1, len(node.value))
        else:
            open_nodes.add(key)
            nodes, chars = 1, 0
            assert isinstance(node, CollectionNode)
            children = [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else node.value
            for child in children:
                child_nodes, child_chars = size(child)
                nodes, chars = nodes + child_nodes, chars + child_chars
                if nodes > MAX_EXPANDED_NODES or chars > MAX_EXPANDED_CHARS:
                    mark = node.start_mark
                    raise ConfigError(
                        f"line {mark.line + 1}, column {mark.column + 1}: aliases expand the document beyond "
                        f"{MAX_EXPANDED_NODES} nodes or {MAX_EXPANDED_CHARS} characters; allowed: anchors and "
                        "aliases that stay within those limits",
                        file=file,
                    )
            open_nodes.discard(key)
            result = (nodes, chars)
        sizes[key] = result
        return result

    size(root)


def _load(text: str, file: str) -> Any:
    _check_events(text, file)
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, file)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: Path, *, expected: str, allow_empty: bool = False) -> dict[str, Any]:
    """The top-level mapping of `path`; `expected` says what the file should hold (used in error messages). An
    empty file (or one of comments only) is an error, or `{}` with `allow_empty`."""
    file = str(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            f"file not found (working directory {Path.cwd()}); allowed: the path of an existing YAML file",
            file=file,
        ) from None
    except IsADirectoryError:
        raise ConfigError("is a directory; allowed: the path of a YAML file", file=file) from None
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror}); allowed: {expected}", file=file) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(
            f"the file is larger than {MAX_FILE_BYTES} bytes; allowed: at most {MAX_FILE_BYTES} bytes (1 MiB)",
            file=file,
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason}); allowed: a UTF-8 text file", file=file) from None
    _check_text(text, file)
    try:
        data = _load(text, file)
    except _DuplicateKeyError as exc:
        raise ConfigError(
            f"{_at(exc)}{_one_line(exc.problem or '')}; allowed: each key once per mapping", file=file
        ) from None
    except yaml.MarkedYAMLError as exc:
        problem = _one_line(exc.problem or exc.context or "malformed YAML")
        raise ConfigError(
            f"{_at(exc)}YAML syntax error: {problem}; allowed: valid YAML (check indentation and quoting)",
            file=file,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML syntax error: {_one_line(str(exc))}; allowed: valid YAML", file=file) from None
    except RecursionError:
        raise ConfigError(
            f"nesting too deep to read; allowed: at most {MAX_DEPTH} nested mappings and lists", file=file
        ) from None
    if data is None:
        if allow_empty:
            return {}
        raise ConfigError(f"the file is empty; allowed: {expected}", file=file)
    if not isinstance(data, dict):
        raise ConfigError(
            f"expected a mapping at the top level, got {show(data)}; allowed: {expected}", file=file
        )
    return data
