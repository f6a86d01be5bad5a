"""The package's picture stays true: every module imports only downward, through package faces, without cycles.

Layers, lowest first (``featclf/__init__.py`` documents them)::

    exceptions, _version -> _validation, _optional, _public, _spec, _config  (the base)
    io -> datasets -> kernels -> engine -> extract -> models -> stages -> report -> training
    -> evaluation | clustering -> cli
    featclf/__init__.py, featclf/__main__.py        (the faces of the whole package)

Imports inside functions count as much as those at the top of a module: a cycle held
together by a late import is still a cycle.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

import featclf

ROOT = pathlib.Path(featclf.__file__).parent
LAYERS = [
    {"exceptions", "_version"},
    {"_validation", "_optional", "_public", "_spec", "_config"},
    {"io"},
    {"datasets"},
    {"kernels"},
    {"engine"},
    {"extract"},
    {"models"},
    {"stages"},
    {"report"},
    {"training"},
    {"evaluation", "clustering"},
    {"cli"},
    {"__init__", "__main__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _module_name(path: pathlib.Path) -> str:
    parts = ["featclf", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1]) if parts[-1] == "__init__" else ".".join(parts)


def _is_package(path: pathlib.Path) -> bool:
    return path.name == "__init__.py"


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}


def _imports(name: str, path: pathlib.Path) -> set[str]:
    """Every featclf module ``name`` imports, resolved to the module (not the attribute) imported."""
    package = name if _is_package(path) else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "featclf")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "featclf":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def _private_outside(module: str, importer: str) -> bool:
    """A private module (``_name``) of another package, reached around that package's face."""
    parts = module.split(".")
    for depth in range(2, len(parts)):
        if parts[depth].startswith("_"):
            owner = ".".join(parts[:depth])
            return not (importer == owner or importer.startswith(owner + "."))
    return False


def test_the_graph_sees_the_imports():
    assert "featclf.engine" in GRAPH["featclf.extract._base"]
    assert "featclf.engine._chunks" in GRAPH["featclf.engine"]
    assert "featclf.io" in GRAPH["featclf.engine._extract"]
    assert all(_layer(m) in RANK for m in MODULES), sorted({_layer(m) for m in MODULES} - set(RANK))


def _violations(name: str, graph: dict) -> list[str]:
    """What is wrong with the imports of module ``name`` in ``graph``: upward, sideways, private reaches."""
    own = RANK[_layer(name)]
    found = [f"imports from a layer above it: {m}" for m in sorted(graph[name]) if RANK[_layer(m)] > own]
    found += [f"imports a package of its own layer: {m}" for m in sorted(graph[name])
              if RANK[_layer(m)] == own and _layer(m) != _layer(name)]
    found += [f"reaches into another package's private module: {m}" for m in sorted(graph[name])
              if _private_outside(m, name)]
    return found


def _cycle(graph: dict) -> list[str] | None:
    """One import cycle of ``graph`` (a list of modules, first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_down_only_and_through_package_faces(name):
    assert _violations(name, GRAPH) == []


def test_no_import_cycle():
    cycle = _cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_checker_catches_what_it_should():
    """An upward import, a private reach and a cycle, planted in a copy of the graph, are all found."""
    planted = {**GRAPH, "featclf.io._image": GRAPH["featclf.io._image"] | {"featclf.engine"},
               "featclf.extract._base": GRAPH["featclf.extract._base"] | {"featclf.engine._chunks"}}
    assert _violations("featclf.io._image", planted) == ["imports from a layer above it: featclf.engine"]
    assert _violations("featclf.extract._base", planted) == [
        "reaches into another package's private module: featclf.engine._chunks"]
    cycle = _cycle(planted)
    assert cycle is not None and cycle[0] == cycle[-1] and "featclf.engine" in cycle
