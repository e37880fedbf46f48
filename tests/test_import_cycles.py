"""No import cycles inside ``tfshare`` (``tfshare/`` and ``compat/``).

The module graph is read from the source with ``ast``: every ``import`` and
``from ... import`` statement counts, at module level *and* inside functions
(an import moved into a function still ties the two modules together; it only
hides the cycle from the interpreter until the function runs).

Edges: ``import a.b.c`` and ``from a.b import c`` lead to the most specific
*module* named (``a.b.c`` when it is a module of the package, else ``a.b``).
Importing a module also runs its parent packages' ``__init__``; those implicit
parent imports are not edges (a package that imports its own submodules is
not a cycle), but an explicit ``from tfshare.variables import get_variable``
(a name re-exported by the package ``__init__``) is an edge to
``tfshare.variables``.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: Cycles outside the files of this test's author, reported to their owners.
#: Each entry is one edge ``(importer, imported)`` that closes a known cycle;
#: the xfail-strict test below fails as soon as the cycle is gone, so the entry
#: is removed with the fix.
KNOWN_CYCLE_EDGES: list[tuple[str, str]] = []


def module_name(path: pathlib.Path, root: pathlib.Path = ROOT) -> str:
    """``tfshare/variables/store.py`` -> ``tfshare.variables.store``;
    ``compat/v1/__init__.py`` -> ``tfshare.compat.v1`` (installed there)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[0] == "compat":
        parts = ["tfshare"] + parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def package_modules(root: pathlib.Path = ROOT) -> dict[str, pathlib.Path]:
    paths = sorted((root / "tfshare").rglob("*.py")) + sorted((root / "compat").rglob("*.py"))
    return {module_name(p, root): p for p in paths}


def _resolve(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = importer.split(".")
    if not is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
    return ".".join(parts + ([node.module] if node.module else []))


def imports_of(source: str, importer: str, is_package: bool, modules: set[str]) -> set[str]:
    """The modules of ``modules`` that ``source`` imports (see the module docstring)."""
    out: set[str] = set()

    def most_specific(name: str) -> str | None:
        while name:
            if name in modules:
                return name
            name = name.rpartition(".")[0]
        return None

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, importer, is_package)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            found = most_specific(target)
            if found is not None and found != importer:
                out.add(found)
    return out


def import_graph(root: pathlib.Path = ROOT) -> dict[str, set[str]]:
    mods = package_modules(root)
    names = set(mods)
    return {name: imports_of(path.read_text(), name, path.name == "__init__.py", names)
            for name, path in mods.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (or a
    self-loop), each as a sorted list: Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    cycles.append(sorted(component))
    return cycles


def _without_known(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {m: {t for t in targets if (m, t) not in KNOWN_CYCLE_EDGES}
            for m, targets in graph.items()}


def test_the_graph_covers_the_package():
    graph = import_graph()
    assert "tfshare.variables.store" in graph and "tfshare.compat.v1.layers._base" in graph
    assert "tfshare.errors" in graph["tfshare.variables.store"]
    assert len(graph) >= 30


def test_no_import_cycles():
    cycles = find_cycles(_without_known(import_graph()))
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


if KNOWN_CYCLE_EDGES:
    @pytest.mark.xfail(strict=True, reason="known cycles, reported to the owners of these modules")
    @pytest.mark.parametrize("edge", KNOWN_CYCLE_EDGES)
    def test_known_cycle_edge_still_closes_a_cycle(edge):
        graph = _without_known(import_graph())
        graph[edge[0]].add(edge[1])
        assert not find_cycles(graph)


# The checker itself: each form of import must be seen (so the tests above can fail).
@pytest.mark.parametrize("files,expected", [
    ({"tfshare/a.py": "from tfshare import b\n", "tfshare/b.py": "import tfshare.a\n"},
     [["tfshare.a", "tfshare.b"]]),
    ({"tfshare/a.py": "def f():\n    from tfshare.b import x\n",
      "tfshare/b.py": "from . import a\n"}, [["tfshare.a", "tfshare.b"]]),
    ({"tfshare/p/__init__.py": "from tfshare.p.m import x\n",
      "tfshare/p/m.py": "from tfshare.p import y\n"}, [["tfshare.p", "tfshare.p.m"]]),
    ({"compat/v1/__init__.py": "from tfshare.compat.v1 import k\n",
      "compat/v1/k.py": "class C:\n    def m(self):\n        import tfshare.compat.v1\n"},
     [["tfshare.compat.v1", "tfshare.compat.v1.k"]]),
    ({"tfshare/a.py": "from tfshare import b\n", "tfshare/b.py": "import os\n"}, []),
    # a package importing its submodules, which import siblings: no cycle
    ({"tfshare/p/__init__.py": "from tfshare.p.m import x\n",
      "tfshare/p/m.py": "from tfshare.p import n\n", "tfshare/p/n.py": "x = 1\n"}, []),
])
def test_checker_finds_cycles(tmp_path, files, expected):
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for pkg in ("tfshare", "compat"):
        (tmp_path / pkg).mkdir(exist_ok=True)
        init = tmp_path / pkg / "__init__.py"
        if not init.exists():
            init.write_text("")
    assert find_cycles(import_graph(tmp_path)) == expected
