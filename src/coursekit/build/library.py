"""Which library code a notebook (or a tool) can run: coursekit's imports, followed through.

The build keys a notebook on the coursekit source files its code can reach, so editing
``grade.py`` does not rerun a lesson that only imports ``coursekit.plots``.

>>> [p.name for p in library_files(["from coursekit import errors"])]
['__init__.py', 'errors.py']
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from coursekit.build.analysis import strip_magics
from coursekit.course.files import digest_file, digest_text

__all__ = ["library_files", "library_digest", "PACKAGE_DIR"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]

_PARSED: dict[tuple[Path, int], frozenset[str]] = {}


def _module_file(name: str) -> Path | None:
    """The source file of coursekit module ``name`` (None for anything else or no such file)."""
    parts = name.split(".")
    if parts[0] != "coursekit" or not all(p.isidentifier() for p in parts):
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")) if parts[1:] else (base / "__init__.py",):
        if candidate.is_file():
            return candidate
    return None


def _coursekit_imports(tree: ast.AST, package: str = "") -> set[str]:
    """Every coursekit module an AST may import (function-level imports included)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                names.update(".".join(parts[: i + 1]) for i in range(len(parts)))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            parts = module.split(".")
            names.update(".".join(parts[: i + 1]) for i in range(len(parts)))  # packages run too
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return {n for n in names if n == "coursekit" or n.startswith("coursekit.")}


def _module_imports(path: Path) -> frozenset[str]:
    key = (path, path.stat().st_mtime_ns)
    if key not in _PARSED:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            tree = ast.Module(body=[], type_ignores=[])
        package = ".".join(["coursekit", *path.relative_to(PACKAGE_DIR).with_suffix("").parts])
        if path.name == "__init__.py":
            package = package.removesuffix(".__init__") + ".__init__"
        _PARSED[key] = frozenset(_coursekit_imports(tree, package))
    return _PARSED[key]


def library_files(sources: Iterable[str] = (), modules: Iterable[str] = ()) -> list[Path]:
    """Return the coursekit source files that code can run: what it imports, followed through.

    The notebook's imports of ``coursekit`` modules (and ``modules``) are followed through the
    library's own imports, at any depth and inside functions too, so a lesson that imports
    ``coursekit.plots`` depends on ``plots.py``, ``data.py``, ``paths.py``... but not on
    ``grade.py``. Code that cannot be parsed, or that imports by computed name, depends on the
    whole library.

    Args:
        sources: code cells (IPython magics allowed).
        modules: dotted module names to include as well.

    Returns:
        Sorted paths of ``.py`` files inside the installed ``coursekit`` package.

    >>> len(library_files(["import importlib", "importlib.import_module(name)"])) > 5
    True
    """
    everything = sorted(p for p in PACKAGE_DIR.rglob("*.py") if "__pycache__" not in p.parts)
    todo = {"coursekit", *modules}
    for source in sources:
        code = strip_magics(source)
        if code is None:
            return everything
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return everything
        for node in ast.walk(tree):
            name = getattr(node, "attr", None) or getattr(node, "id", None)
            if name in {"import_module", "__import__", "reload", "run_module", "exec", "eval"}:
                return everything  # a computed import may reach any module
        todo |= _coursekit_imports(tree)
    found: set[Path] = set()
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_file(name)
        if path is None or path in found:
            continue
        found.add(path)
        todo |= _module_imports(path) - seen
    return sorted(found)


def library_digest(modules: Iterable[str]) -> str:
    """Digest of the library code that ``modules`` can run (see :func:`library_files`).

    >>> library_digest(["coursekit.errors"]) == library_digest(["coursekit.errors"])
    True
    """
    parts = [f"{p.relative_to(PACKAGE_DIR).as_posix()}:{digest_file(p)}"
             for p in library_files(modules=modules)]
    return digest_text("\n".join(parts))
