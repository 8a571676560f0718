"""Property-based fuzzing of the devices and scenario loaders (hypothesis): whatever the file holds (random bytes,
YAML-like text, random nested structures dumped to YAML, mutations of the shipped devices.yaml and scenario
files), loading either succeeds or raises the documented ConfigError, on one line and naming the file; never
another exception, and never slower than the deadline (sizes are bounded by the loader's limits).

Examples per test: 150 by default; set HARNESS_FUZZ_EXAMPLES for a longer run. Run with
`--hypothesis-show-statistics` to see how many examples each property tried.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.config import load_config, load_scenario
from harness.config.yamlfile import MAX_FILE_BYTES
from harness.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
DEVICES_TEXT = (REPO / "devices.yaml").read_text(encoding="utf-8")
SCENARIO_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((REPO / "scenarios").glob("*.yaml"))]
MAX_BUILT_CHARS = 20 * MAX_FILE_BYTES
EXAMPLES = int(os.environ.get("HARNESS_FUZZ_EXAMPLES", "150"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=5000,  # ms per example: a hang or a blow-up fails the property
    database=None,  # no .hypothesis folder in the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)

Loader = Callable[[Path], Any]
LOADERS: dict[str, Loader] = {"devices": load_config, "scenario": load_scenario}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where the shipped devices.yaml's relative paths (apps/...) resolve, so mutations can load."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "apps").symlink_to(REPO / "apps")
    return root


def check_loads_or_config_error(project: Path, loader: str, content: bytes) -> None:
    path = project / f"{loader}.yaml"
    path.write_bytes(content)
    try:
        loaded = LOADERS[loader](path)
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith(f"{path}: "), message
        assert "\n" not in message, message
        assert "\r" not in message, message
        assert "; allowed: " in message, message
        return
    # What loads stays small once built out: aliases were not allowed to expand it (a request or report built
    # from it would otherwise exhaust memory, as a YAML alias bomb does).
    assert len(repr(loaded)) < MAX_BUILT_CHARS


# --- strategies ---------------------------------------------------------------------------------------------
YAML_ALPHABET = st.sampled_from(
    [*"abcxyz019 -:_.,[]{}#&*!|>'\"%@`?\n\t\\", "\x00", "\x1b", "\u00e9", "\ufeff", "---", "...", "<<: "]
)
yaml_like = st.lists(YAML_ALPHABET, max_size=400).map("".join)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=80),
    st.sampled_from(["local", "web", "android", "ios", "launch", "cold", "filter", "http://u:p@h:1/wd", "x" * 300]),
)
keys = st.one_of(
    st.sampled_from(["devices", "candidates", "id", "name", "platform", "connection", "sdk", "version", "app",
                     "steps", "expect", "kind", "tags", "capabilities", "locators", "min", "max"]),
    st.text(max_size=20),
)
nested = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(keys, inner, max_size=6)),
    max_leaves=60,
)


def _dump(value: Any) -> bytes:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False).encode("utf-8")


@st.composite
def text_mutation(draw: st.DrawFn, base: str) -> bytes:
    """The shipped text with a few random edits: deletions, insertions, duplications, replacements."""
    text = base
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not text:
            break
        i = draw(st.integers(min_value=0, max_value=len(text) - 1))
        j = draw(st.integers(min_value=i, max_value=min(len(text), i + 60)))
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "replace"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(yaml_like) + text[i:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] * draw(st.integers(min_value=1, max_value=50)) + text[j:]
        else:
            text = text[:i] + draw(st.text(max_size=20)) + text[j:]
    return text.encode("utf-8", errors="surrogatepass")


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def structure_mutation(draw: st.DrawFn, base: str) -> bytes:
    """The shipped file's data with one value (anywhere) replaced by a random structure, or one key deleted."""
    data = yaml.safe_load(base)
    path = draw(st.sampled_from(_paths(data)[1:]))
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(nested)
    return _dump(data)


# --- properties ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("loader", sorted(LOADERS))
@FUZZ
@given(content=st.binary(max_size=2048))
def test_random_bytes(project: Path, loader: str, content: bytes) -> None:
    check_loads_or_config_error(project, loader, content)


@pytest.mark.parametrize("loader", sorted(LOADERS))
@FUZZ
@given(text=yaml_like)
def test_yaml_like_text(project: Path, loader: str, text: str) -> None:
    check_loads_or_config_error(project, loader, text.encode("utf-8", errors="surrogatepass"))


@pytest.mark.parametrize("loader", sorted(LOADERS))
@FUZZ
@given(value=nested)
def test_random_structures(project: Path, loader: str, value: Any) -> None:
    check_loads_or_config_error(project, loader, _dump(value))


@FUZZ
@given(content=text_mutation(DEVICES_TEXT))
def test_devices_text_mutations(project: Path, content: bytes) -> None:
    check_loads_or_config_error(project, "devices", content)


@FUZZ
@given(content=structure_mutation(DEVICES_TEXT))
def test_devices_structure_mutations(project: Path, content: bytes) -> None:
    check_loads_or_config_error(project, "devices", content)


@FUZZ
@given(data=st.data())
def test_scenario_mutations(project: Path, data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(SCENARIO_TEXTS))
    mutate = data.draw(st.sampled_from([text_mutation, structure_mutation]))
    check_loads_or_config_error(project, "scenario", data.draw(mutate(base)))


@FUZZ
@given(depth=st.integers(min_value=1, max_value=20_000), style=st.sampled_from(["flow-list", "flow-map", "block"]))
def test_deep_nesting(project: Path, depth: int, style: str) -> None:
    if style == "flow-list":
        body = "[" * depth + "x" + "]" * depth
    elif style == "flow-map":
        body = "{a: " * depth + "x" + "}" * depth
    else:  # block mappings, one indentation step per level (bounded: the text grows with depth squared)
        levels = min(depth, 1500)
        body = "\n" + "".join(" " * (i + 1) + "a:\n" for i in range(levels)) + " " * (levels + 1) + "x"
    check_loads_or_config_error(project, "devices", f"devices: {body}\n".encode())


@FUZZ
@given(width=st.integers(min_value=2, max_value=12), levels=st.integers(min_value=1, max_value=12))
def test_alias_expansion(project: Path, width: int, levels: int) -> None:
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]")
    text = "devices:\n  - id: p\n    capabilities:\n" + "".join(f"      {line}\n" for line in lines)
    check_loads_or_config_error(project, "devices", text.encode())


def test_the_shipped_files_load(project: Path) -> None:
    shutil.copyfile(REPO / "devices.yaml", project / "devices.yaml")
    assert load_config(project / "devices.yaml").devices
    for text in SCENARIO_TEXTS:
        (project / "scenario.yaml").write_text(text, encoding="utf-8")
        assert load_scenario(project / "scenario.yaml").steps


def test_size_limit_is_a_config_error(project: Path) -> None:
    (project / "big.yaml").write_bytes(b"devices: []\n" + b"#" * MAX_FILE_BYTES)
    with pytest.raises(ConfigError, match=r"big\.yaml: the file is larger than 1048576 bytes"):
        load_config(project / "big.yaml")
