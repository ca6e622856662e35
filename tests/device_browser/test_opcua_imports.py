"""The OPC UA client modules import each other without cycles, type-only imports included.

``client.py`` (the session facade) sits on top; the services use ``ua_connection.UaConnection``
and the life-cycle modules state what they need as Protocols, so none of them imports
``client.py`` back, not even under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import device_browser.opcua

PACKAGE = "device_browser.opcua"
FOLDER = Path(device_browser.opcua.__file__).parent


def _imported(module: str, tree: ast.AST) -> set[str]:
    """Modules of the package that ``module`` imports anywhere (top level, TYPE_CHECKING, functions)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y, from . import x
                parent = module.rsplit(".", node.level)[0]
                base = f"{parent}.{base}" if base else parent
            # "from package import name" may name a submodule
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(n for n in names if n.startswith(PACKAGE + ".") and n.count(".") == PACKAGE.count(".") + 1)
    found.discard(module)
    return found


def import_graph() -> dict[str, set[str]]:
    graph = {}
    modules = {f"{PACKAGE}.{path.stem}" for path in FOLDER.glob("*.py") if path.stem != "__init__"}
    for path in sorted(FOLDER.glob("*.py")):
        if path.stem == "__init__":
            continue
        name = f"{PACKAGE}.{path.stem}"
        graph[name] = _imported(name, ast.parse(path.read_text(encoding="utf-8"))) & modules
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_the_imports():
    graph = import_graph()
    assert f"{PACKAGE}.ua_connection" in graph[f"{PACKAGE}.ua_requests"]
    assert f"{PACKAGE}.ua_browse" in graph[f"{PACKAGE}.client"]  # from device_browser.opcua import ua_browse
    assert f"{PACKAGE}.subscriptions" in graph[f"{PACKAGE}.ua_supervisor"]  # under TYPE_CHECKING


def test_the_opcua_modules_import_each_other_without_cycles():
    assert cycles(import_graph()) == []


def test_no_module_of_the_package_imports_the_session_facade():
    graph = import_graph()
    assert [m for m, imports in graph.items() if f"{PACKAGE}.client" in imports] == []


def test_the_connection_layer_imports_no_service():
    assert import_graph()[f"{PACKAGE}.ua_connection"] <= {f"{PACKAGE}.ua_errors"}


def test_a_cycle_would_be_reported():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
