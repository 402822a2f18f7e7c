"""Which files of the course can change a notebook's outputs (the build's dependency rule).

>>> [p.name for p in checks_files(Path("/nowhere/notebooks/01-x.ipynb"), Path("/nowhere"))]
[]
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from coursekit.build.analysis import scan_code
from coursekit.build.library import library_files
from coursekit.course.model import KEY_FILE

__all__ = ["input_files", "checks_files"]


def _foreign_closure(names: set[str], resources: dict[str, dict]) -> set[str]:
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for fk in resources.get(name, {}).get("schema", {}).get("foreignKeys", []):
            ref = (fk.get("reference") or {}).get("resource")
            if ref:
                todo.append(ref)
    return seen


def input_files(notebook: str | os.PathLike[str], code: Iterable[str], root: str | os.PathLike[str]
                ) -> list[Path]:
    """Return every file (besides the notebook and the library) that can change its outputs.

    That is: the data files :func:`scan_code` finds (with the datasets their foreign keys point
    to, and ``datapackage.json``), any existing course file named by a string literal, the
    ``checks.json`` answer keys from the notebook's folder up to the course root, the Python
    modules beside the notebook, and the library code it can run (:func:`library_files`). A
    dataset name that is not in the package makes the notebook depend on all data (its load
    fails, and a fixed package must rerun it).

    Args:
        notebook: the notebook's path.
        code: its code cells' sources.
        root: the course root (the folder with ``data/``).

    Returns:
        Sorted absolute paths of existing files.

    >>> import tempfile, pathlib, json
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "data").mkdir(); (root / "notebooks").mkdir()
    >>> _ = (root / "data" / "datapackage.json").write_text(json.dumps({"resources": [
    ...     {"name": "a", "path": "a.csv"}, {"name": "b", "path": "b.csv"}]}))
    >>> for n in "ab": _ = (root / "data" / f"{n}.csv").write_text("x\\n1\\n")
    >>> files = input_files(root / "notebooks" / "n.ipynb",
    ...                     ["from coursekit import data", "data.load('a')"], root)
    >>> [f.name for f in files if f.is_relative_to(root)]
    ['a.csv', 'datapackage.json']
    >>> "data.py" in [f.name for f in files]
    True
    """
    root = Path(root).resolve()
    notebook = Path(notebook).resolve()
    use = scan_code(code)
    data = root / "data"
    found: set[Path] = set()
    package_path = data / "datapackage.json"
    try:
        resources = {r["name"]: r for r in json.loads(package_path.read_text("utf-8"))["resources"]}
    except (OSError, ValueError, KeyError, TypeError):
        resources = None
    everything = use.everything or (resources is None and use.package)
    if resources is not None and any(n not in resources for n in use.names):
        everything = True
    if everything:
        found.update(p for p in data.rglob("*") if p.is_file())
    elif use.package:
        found.add(package_path)
        for name in _foreign_closure(set(use.names), resources or {}):
            path = resources[name].get("path")
            if isinstance(path, str):
                found.add(data / path)
    for text in use.literals:
        if not text or len(text) > 260 or "\n" in text or "\x00" in text:
            continue
        for base in (notebook.parent, root):
            try:
                candidate = (base / text).resolve()
                if candidate.is_file() and candidate.is_relative_to(root):
                    found.add(candidate)
            except (OSError, ValueError):
                continue
    found.update(checks_files(notebook, root))
    found.update(p for p in notebook.parent.glob("*.py") if p.is_file())
    found.update(library_files(code))
    found.discard(notebook)
    return sorted(p for p in found if p.is_file())


def checks_files(notebook: Path, root: Path) -> list[Path]:
    """The answer keys a notebook's self-checks can use: ``checks.json`` from its folder up to
    the course root (the runtime looks there)."""
    found, folder = [], notebook.parent
    while True:
        key = folder / KEY_FILE
        if key.is_file():
            found.append(key)
        if folder == root or folder.parent == folder or not folder.is_relative_to(root):
            return found
        folder = folder.parent
