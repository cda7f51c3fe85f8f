"""The package's shape: imports flow one way, nothing in the product reaches the demo builder, APIs are declared.

The import graph is read from the source with ``ast`` (every ``import``, including those
inside functions; those under ``if TYPE_CHECKING:`` are left out, as they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ykgeo

PACKAGE = Path(ykgeo.__file__).resolve().parent
#: The front ends (command line, app, OGC API server): they may import the library, the library never imports them.
FRONT_ENDS = ("ykgeo.cli", "ykgeo.ui", "ykgeo.ogcapi")
#: The one module through which the ``ykgeo demo`` / ``ykgeo raster demo`` commands reach the demo builder.
DEMO_DOOR = "ykgeo.cli.demo"
SUBPACKAGES = (
    "auth",
    "store",
    "io",
    "progress",
    "plan",
    "raster",
    "report",
    "maps",
    "demo",
    "ogcapi",
    "cli",
    "ui",
)
CORE = ("errors", "units", "crs", "area", "layers", "symbology", "chainage")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(sub) for sub in ast.walk(node)}
    return skip


def _imports(name: str, path: Path) -> set[str]:
    """The ykgeo modules ``name`` imports (a submodule named in ``from x import y`` counts as y)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in MODULES else module)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), or a module importing itself."""
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
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_walk_sees_the_imports_it_must() -> None:
    # guards the walker itself: a nested import, a relative-free submodule import, a package import
    assert "ykgeo.report.paint" in GRAPH["ykgeo.report.brief"]  # inside a function
    assert "ykgeo.store.gpkg" in GRAPH["ykgeo.store.store"]  # from ykgeo.store import gpkg
    assert "ykgeo.progress" in GRAPH["ykgeo.raster.grid"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    assert _cycles(GRAPH) == []


def test_nothing_in_the_product_imports_the_demo_builder() -> None:
    offenders = sorted(
        f"{a} -> {b}"
        for a, targets in GRAPH.items()
        for b in targets
        if _within(b, "ykgeo.demo") and not _within(a, "ykgeo.demo") and a != DEMO_DOOR
    )
    assert offenders == []


def test_the_library_never_imports_the_front_ends() -> None:
    offenders = sorted(
        f"{a} -> {b}"
        for a, targets in GRAPH.items()
        if not any(_within(a, f) for f in (*FRONT_ENDS, "ykgeo.demo"))
        for b in targets
        if any(_within(b, f) for f in FRONT_ENDS)
    )
    assert offenders == []


def test_the_command_line_and_the_app_do_not_import_each_other() -> None:
    offenders = sorted(
        f"{a} -> {b}"
        for a, targets in GRAPH.items()
        for b in targets
        if (_within(a, "ykgeo.cli") and _within(b, "ykgeo.ui"))
        or (_within(a, "ykgeo.ui") and _within(b, "ykgeo.cli"))
    )
    assert offenders == []


def test_the_core_imports_only_the_core() -> None:
    core = {f"ykgeo.{name}" for name in CORE}
    offenders = sorted(f"{a} -> {b}" for a in core for b in GRAPH[a] if b not in core)
    assert offenders == []


def test_the_top_level_shows_the_architecture() -> None:
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    expected = {"__init__.py", "py.typed", *(f"{n}.py" for n in CORE), *SUBPACKAGES}
    assert entries == expected


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_each_subpackage_states_its_api(subpackage: str) -> None:
    tree = ast.parse((PACKAGE / subpackage / "__init__.py").read_text(encoding="utf-8"))
    declared = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert len(declared) == 1, f"ykgeo.{subpackage} has no __all__"
    module = __import__(f"ykgeo.{subpackage}", fromlist=["__all__"])
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_no_module_carries_a_family_prefix() -> None:
    prefixed = sorted(
        name
        for name in MODULES
        if any(part.startswith(f"_{family}_") for part in name.split(".") for family in SUBPACKAGES)
    )
    assert prefixed == []
