"""Read coursekit's imports with ``ast`` and check them against the package's layer rules.

Used by ``tests/test_layers.py`` on the real package and on small planted packages, so the
checker itself is shown to catch each kind of violation.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

RUNTIME = "runtime"
# Lower rank may be imported by higher rank; export and assess share a rank but never meet.
RANKS = {RUNTIME: 0, "course": 1, "kernels": 2, "export": 3, "assess": 3, "build": 4, "cli": 5}
APART = {frozenset({"export", "assess"})}
MAX_LINES = 400


@dataclass(frozen=True)
class Module:
    name: str          # dotted, e.g. coursekit.assess.grade
    path: Path
    tree: ast.Module

    @property
    def layer(self) -> str:
        parts = self.name.split(".")
        return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANKS
                                                  and (self.path.name == "__init__.py")) else RUNTIME


def modules(package_dir: Path, package: str = "coursekit") -> dict[str, Module]:
    """Every module of the package under ``package_dir``, by dotted name."""
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(package_dir).with_suffix("")
        parts = [package, *rel.parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        found[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


def imports(module: Module, known: dict[str, Module]) -> list[tuple[int, str, list[str]]]:
    """(line, imported module, names) for every import of a package module, at any depth."""
    out = []
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, []) for a in node.names if a.name in known]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in known:
                    out.append((node.lineno, sub, []))
                elif base in known:
                    out.append((node.lineno, base, [alias.name]))
    return out


def _rank_problem(src: Module, dst: Module) -> str | None:
    a, b = src.layer, dst.layer
    if a == b:
        return None
    if frozenset({a, b}) in APART:
        return f"{a} must never import {b}"
    if RANKS[b] > RANKS[a]:
        return f"the {a} layer may not import the {b} layer above it"
    return None


def _private_attributes(module: Module, known: dict[str, Module]) -> list[tuple[int, str]]:
    """``alias._name`` where ``alias`` is bound to another package module."""
    bound: dict[str, str] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in known and a.asname:
                    bound[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                if f"{node.module}.{a.name}" in known:
                    bound[a.asname or a.name] = f"{node.module}.{a.name}"
    found = []
    for node in ast.walk(module.tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in bound and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            found.append((node.lineno, f"{bound[node.value.id]}.{node.attr}"))
    return found


def problems(package_dir: Path, package: str = "coursekit") -> list[str]:
    """Every breach of the layer rules in the package, one line each (file:line: what)."""
    known = modules(package_dir, package)
    out: list[str] = []
    graph: dict[str, set[str]] = {name: set() for name in known}
    for module in known.values():
        rel = module.path.relative_to(package_dir.parent)
        for line, target, names in imports(module, known):
            if target == module.name:
                continue
            graph[module.name].add(target)
            why = _rank_problem(module, known[target])
            if why:
                out.append(f"{rel}:{line}: imports {target}: {why}")
            for name in names:
                if name.startswith("_") and not name.startswith("__"):
                    out.append(f"{rel}:{line}: imports the private name {target}.{name}")
        for line, dotted in _private_attributes(module, known):
            out.append(f"{rel}:{line}: uses the private name {dotted}")
        lines = len(module.path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            out.append(f"{rel}: {lines} lines; split it (at most {MAX_LINES})")
    out += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(graph)]
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group) + [sorted(group)[0]])

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups
