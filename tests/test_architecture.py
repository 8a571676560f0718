"""The harness's layering, read from its source: no package import cycle of any length, and the lower layers import
nothing above them (docs/architecture.md).

A package is harness/<name>/ or harness/<name>.py. Every import counts: module-level, function-level and those
under `if TYPE_CHECKING:`, since each one ties the two packages together for a reader and for a refactoring.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "harness"
ROOT = "harness"  # harness/__init__.py: the package itself

Graph = Mapping[str, Mapping[str, list[str]]]  # package -> imported package -> where ("file:line")


def _module_name(path: Path, base: Path) -> str:
    parts = path.relative_to(base.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str) -> str | None:
    """harness.x.y -> x; harness -> the root; anything outside the harness -> None."""
    parts = module.split(".")
    if parts[0] != ROOT:
        return None
    return parts[1] if len(parts) > 1 else ROOT


def imported_modules(source: str, *, module: str, is_package: bool, known: set[str]) -> Iterator[tuple[str, int]]:
    """(module imported, line) for every import statement anywhere in `source` (ast.walk reaches function bodies
    and `if TYPE_CHECKING:` blocks). `from a import b` names a.b when that is a module in `known`, else a."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (sub if sub in known else target), node.lineno


def package_graph(base: Path = HARNESS) -> dict[str, dict[str, list[str]]]:
    files = {_module_name(p, base): p for p in sorted(base.rglob("*.py"))}
    known = set(files)
    graph: dict[str, dict[str, list[str]]] = {}
    for module, path in files.items():
        me = _package(module)
        assert me is not None
        graph.setdefault(me, {})
        imports = imported_modules(path.read_text(encoding="utf-8"), module=module,
                                   is_package=path.name == "__init__.py", known=known)
        for target, line in imports:
            other = _package(target)
            if other is not None and other != me:
                where = f"{path.relative_to(base.parent).as_posix()}:{line}"
                graph[me].setdefault(other, []).append(where)
    return graph


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's strongly connected components, each sorted; a component of two or more packages is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, dict[str, list[str]]]:
    return package_graph()


def test_graph_sees_every_kind_of_import(graph: Graph) -> None:
    """The reader sees module-level edges (capture -> metrics), function-level ones (finish -> store, imported
    inside store_run) and TYPE_CHECKING ones (finish -> run), so an empty graph cannot pass the tests below."""
    assert "metrics" in graph["capture"]
    assert "store" in graph["finish"]
    assert "run" in graph["finish"]
    assert "clipspec" in graph["metrics"]  # `if TYPE_CHECKING:` in metrics/indexcode.py


def test_cycle_finder_finds_cycles_of_any_length() -> None:
    three = {"a": {"b": []}, "b": {"c": []}, "c": {"a": []}, "d": {"a": []}}
    assert [c for c in strongly_connected(three) if len(c) > 1] == [["a", "b", "c"]]
    chain = {"a": {"b": []}, "b": {"c": []}, "c": {}}
    assert all(len(c) == 1 for c in strongly_connected(chain))


def test_reader_counts_function_level_type_checking_and_relative_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from harness.run import Run\n"
        "def f():\n    import harness.store.db\n    from . import sibling\n    from ..gate import evaluate_gate\n"
    )
    known = {"harness.report.sibling", "harness.gate"}
    found = {m for m, _ in imported_modules(source, module="harness.report.finish", is_package=False, known=known)}
    assert {"harness.run", "harness.store.db", "harness.report.sibling", "harness.gate"} <= found


def test_no_package_import_cycle(graph: Graph) -> None:
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    details = []
    for cycle in cycles:
        members = set(cycle)
        edges = [f"  {a} -> {b} ({', '.join(graph[a][b][:2])})"
                 for a in cycle for b in sorted(graph[a]) if b in members]
        details.append(" <-> ".join(cycle) + "\n" + "\n".join(edges))
    assert not cycles, "package import cycles:\n" + "\n".join(details)


UPPER = {"capture", "scenario", "platforms", "devices", "report", "store", "compare", "gate", "plugin", "run",
         "finish", "cli", "analyze", "scorecard", "ticket"}

FORBIDDEN: dict[str, set[str]] = {
    # pure measurement: arrays and timestamps in, numbers out
    "metrics": UPPER,
    # report renders what it is given; it neither runs nor stores nor gates
    "report": {"scenario", "platforms", "plugin", "run", "finish", "devices", "capture", "store", "gate", "cli"},
    # store and comparison sit below the report and the run
    "store": {"report", "scenario", "platforms", "plugin", "run", "finish", "gate", "cli"},
    "compare": {"report", "scenario", "platforms", "plugin", "run", "finish", "store", "gate", "cli"},
}

ONLY: dict[str, set[str]] = {
    # the bottom: the results model and the clip's description, used by every layer
    "results": {"errors", "secrets", "diskcheck"},
    "diskcheck": {"errors"},  # the run folder's write failures, named once for the results model and the run
    "clipspec": {"errors"},
    "errors": {"secrets"},
    "secrets": set(),
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(graph: Graph, package: str) -> None:
    bad = {other: graph[package][other] for other in sorted(FORBIDDEN[package]) if other in graph[package]}
    assert not bad, f"{package} imports higher layers: {bad}"


@pytest.mark.parametrize("package", sorted(ONLY))
def test_bottom_layer_imports_only_the_bottom(graph: Graph, package: str) -> None:
    assert package in graph, f"harness/{package} not found"
    bad = {other: where for other, where in sorted(graph[package].items()) if other not in ONLY[package]}
    assert not bad, f"{package} may import only {sorted(ONLY[package])}, imports {bad}"
