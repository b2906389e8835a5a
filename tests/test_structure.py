"""The package's shape: no import cycle (function-level and type-checking imports included) and
no module over 300 lines. Read from the source as text: nothing is imported."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "molap"
MAX_LINES = 300


def _modules() -> dict[str, Path]:
    """{dotted name: file} of every module of the package (a package by its ``__init__``)."""
    out = {}
    for f in sorted(PACKAGE.rglob("*.py")):
        parts = list(f.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _package(name: str, file: Path) -> str:
    return name if file.name == "__init__.py" else name.rpartition(".")[0]


def import_graph() -> dict[str, set[str]]:
    """{module: the package modules it imports}. ``from a.b import c`` is an import of ``a.b.c``
    where that is a module, else of ``a.b``; importing ``a.b.c`` from outside the package ``a.b``
    also runs ``a.b``'s ``__init__``, which is then imported too."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, file in mods.items():
        here = _package(name, file)
        targets: set[str] = set()
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                for a in node.names:
                    targets.add(f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base)
        edges = set()
        for t in targets:
            if t not in mods:
                continue
            edges.add(t)
            parts = t.split(".")
            for i in range(1, len(parts)):  # the packages above it that this module is not inside
                pkg = ".".join(parts[:i])
                if not (name == pkg or name.startswith(pkg + ".")):
                    edges.add(pkg)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_package_has_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles (each a set of modules that import each other): " + "; ".join(
        " <-> ".join(c) for c in found)


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_function_level_and_package_imports():
    g = import_graph()
    assert "molap.store.checkpoint" in g["molap.store.cache"]
    assert "molap.store" in g["molap.training.trainer"]  # the package's __init__ runs first
    assert "molap.tasks" in g["molap.cli.data"]  # imported inside a command


def test_no_module_is_over_300_lines():
    long = {str(f.relative_to(PACKAGE.parent)): n for f in PACKAGE.rglob("*.py")
            if (n := len(f.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


LAYERS = (
    ("molap", "molap.errors", "molap.names", "molap.streams"),
    ("molap.store",),
    ("molap.tasks",),
    ("molap.network", "molap.metrics", "molap.primitives"),
    ("molap.training",),
    ("molap.profiles",),
    ("molap.methods",),
    ("molap.analysis",),
    ("molap.pipeline",),
    ("molap.trained_network",),
    ("molap.claims",),
    ("molap.run",),
    ("molap.views",),
    ("molap.cli", "molap.__main__"),
)
"""The package's layers, from the bottom (the README's table): a module imports only from its own
layer and those below it."""


def layer(module: str) -> int:
    best = max((p for i, names in enumerate(LAYERS) for p in names
                if module == p or module.startswith(p + ".")), key=len)
    return next(i for i, names in enumerate(LAYERS) if best in names)


def test_every_module_imports_only_from_its_layer_or_below():
    g = import_graph()
    up = sorted(f"{m} -> {t}" for m, ts in g.items() for t in ts if t != "molap" and layer(t) > layer(m))
    assert not up, "imports from a higher layer: " + "; ".join(up)
