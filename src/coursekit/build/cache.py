"""The build cache: which files a notebook reads, the keys that say when to rerun it, atomic writes.

A notebook's *execution key* hashes everything that can change its outputs: its code cells (and
their tags), the kernel, the data files it reads (see :func:`scan_code` for the rule), other
files it names, the answer keys its self-checks use, the library code it can run (see
:func:`library_files`), the Python version and the installed versions of every package. Two
runs with the same key give the same outputs (coursekit executes deterministically), so the
second one is skipped.

>>> use = scan_code(["from coursekit import data", 'events = data.load("timeline")'])
>>> sorted(use.names), use.everything
(['timeline'], False)
>>> scan_code(["from coursekit import data", "frame = data.load(name)"]).everything
True
>>> digest_text("coursekit")[:12]
'2c0723dbc9e8'
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import re
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DataUse", "scan_code", "input_files", "library_files", "library_digest",
           "environment_fingerprint", "execution_key",
           "content_key", "digest_text", "digest_file", "atomic_write", "atomic_write_text",
           "atomic_write_bytes", "TMP_SUFFIX", "KEY_VERSION"]

KEY_VERSION = "coursekit-cache/1"
TMP_SUFFIX = ".ck-tmp"
PACKAGE_DIR = Path(__file__).resolve().parents[1]

# coursekit functions and the data they read. Any other use of coursekit.data (or of a name
# that cannot be resolved statically) makes the notebook depend on every data file.
_BY_NAME = {"load", "fields"}              # the first argument names the dataset
_SOURCES = {"cite", "bibliography"}        # read sources.csv
_PACKAGE_ONLY = {"names"}                  # read datapackage.json only
_NO_DATA = {"format_date"}                 # pure functions
_PLOTS_SOURCES = {"show"}                  # plots.show() cites its sources
_FILE_READERS = {"read_csv", "read_table", "read_json", "read_excel", "read_parquet", "read_fwf",
                 "open", "read_text", "read_bytes", "loadtxt", "genfromtxt", "load_workbook"}


@dataclass(frozen=True)
class DataUse:
    """What a notebook's code reads, as far as a static look can tell.

    Attributes:
        names: dataset names passed literally to ``data.load()`` / ``data.fields()``
            (``"sources"`` for ``cite()``, ``bibliography()`` and ``plots.show()``).
        package: the code reads ``data/datapackage.json`` (any use of the data module does).
        everything: the code reads data in a way that cannot be analysed (a dataset name in
            a variable, ``data_dir()``, a file reader given a computed path, a cell that does
            not parse); the notebook then depends on every file under ``data/``.
        literals: every string literal in the code; those that name an existing file of the
            course are inputs too (``pd.read_csv("../data/extra.csv")``).
    """

    names: frozenset[str] = frozenset()
    package: bool = False
    everything: bool = False
    literals: frozenset[str] = field(default_factory=frozenset)


def _strip_magics(source: str) -> str | None:
    """Return ``source`` as plain Python (IPython magics and shell lines blanked), or None."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].split()[0]
        if magic not in {"%%time", "%%timeit", "%%capture", "%%prun"}:
            return None  # another language or an unknown cell magic: cannot be analysed
        lines = lines[1:]
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or (stripped.endswith("?") and not stripped.startswith("#")):
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def scan_code(sources: Iterable[str]) -> DataUse:
    """Find the data a notebook's code cells read (the rule the build's cache relies on).

    The rule: a literal dataset name in ``data.load("...")`` or ``data.fields("...")`` means
    that dataset; ``cite``/``bibliography``/``plots.show`` mean ``sources``; a dataset's
    foreign keys add the datasets they point to (see :func:`input_files`). Anything that cannot
    be resolved statically means *every* data file, so the cache errs on the side of rerunning.

    Args:
        sources: the code cells' sources, in order (imports in one cell count for all).

    Returns:
        A :class:`DataUse`.

    >>> scan_code(["from coursekit.data import load as ld", "ld('agreements')"]).names
    frozenset({'agreements'})
    >>> scan_code(["%%bash", "cat ../data/timeline.csv"]).everything
    True
    """
    trees = []
    everything = False
    for source in sources:
        code = _strip_magics(source)
        if code is None:
            everything = True
            continue
        try:
            trees.append(ast.parse(code))
        except SyntaxError:
            everything = True

    data_modules = {"coursekit.data"}   # dotted names bound to coursekit.data
    plots_modules = {"coursekit.plots"}
    direct: dict[str, tuple[str, str]] = {}  # local name -> (module, function)
    star = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    local = alias.asname or alias.name
                    if node.module == "coursekit" and alias.name in {"data", "plots"}:
                        (data_modules if alias.name == "data" else plots_modules).add(local)
                    elif node.module in {"coursekit.data", "coursekit.plots"}:
                        if alias.name == "*":
                            star.add(node.module)
                        else:
                            direct[local] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in {"coursekit.data", "coursekit.plots"} and alias.asname:
                        target = data_modules if alias.name.endswith("data") else plots_modules
                        target.add(alias.asname)

    names: set[str] = set()
    literals: set[str] = set()
    package = False

    def first_arg(call: ast.Call):
        if call.args:
            return call.args[0]
        for kw in call.keywords:
            if kw.arg in {"name", "filepath_or_buffer", "file", "fname", "path"}:
                return kw.value
        return None

    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            module = function = None
            if isinstance(func, ast.Attribute):
                owner = _dotted(func.value)
                if owner in data_modules:
                    module, function = "coursekit.data", func.attr
                elif owner in plots_modules:
                    module, function = "coursekit.plots", func.attr
            elif isinstance(func, ast.Name):
                if func.id in direct:
                    module, function = direct[func.id]
                elif star and func.id in _BY_NAME | _SOURCES | _PACKAGE_ONLY | {"data_dir"}:
                    module, function = "coursekit.data", func.id
                elif star and func.id in _PLOTS_SOURCES:
                    module, function = "coursekit.plots", func.id
            name = getattr(func, "attr", None) or getattr(func, "id", None)
            if module is None and name in _FILE_READERS:
                arg = first_arg(node)
                if arg is not None and not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    everything = True  # a computed path: it may be a data file
                continue
            if module == "coursekit.plots":
                if function in _PLOTS_SOURCES:
                    names.add("sources")
                    package = True
                continue
            if module != "coursekit.data":
                continue
            package = True
            if function in _BY_NAME:
                arg = first_arg(node)
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names.add(arg.value)
                else:
                    everything = True
            elif function in _SOURCES:
                names.add("sources")
            elif function in _PACKAGE_ONLY | _NO_DATA:
                pass
            else:
                everything = True  # data_dir() or something new: cannot tell

    # The data module (or a function imported from it) used other than by a direct call:
    # passed around, or an attribute such as data.data_dir read without a call: cannot tell.
    attribute_owners, called = set(), set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                attribute_owners.add(id(node.value))
            elif isinstance(node, ast.Call):
                called.add(id(node.func))
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _dotted(node.value) in data_modules:
                if id(node) not in called and node.attr not in _NO_DATA:
                    everything = True
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id in data_modules and id(node) not in attribute_owners:
                    everything = True
                elif (node.id in direct and direct[node.id][0] == "coursekit.data"
                      and id(node) not in called and direct[node.id][1] not in _NO_DATA):
                    everything = True
    return DataUse(frozenset(names), package or everything, everything, frozenset(literals))


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
    folder = notebook.parent
    while True:
        key = folder / "checks.json"
        if key.is_file():
            found.add(key)
        if folder == root or folder.parent == folder or not folder.is_relative_to(root):
            break
        folder = folder.parent
    found.update(p for p in notebook.parent.glob("*.py") if p.is_file())
    found.update(library_files(code))
    found.discard(notebook)
    return sorted(p for p in found if p.is_file())


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

    >>> [p.name for p in library_files(["from coursekit import errors"])]
    ['__init__.py', 'errors.py']
    >>> len(library_files(["import importlib", "importlib.import_module(name)"])) > 5
    True
    """
    everything = sorted(p for p in PACKAGE_DIR.rglob("*.py") if "__pycache__" not in p.parts)
    todo = {"coursekit", *modules}
    for source in sources:
        code = _strip_magics(source)
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


def digest_text(text: str) -> str:
    """Return the SHA-256 hex digest of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest_file(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 hex digest of a file's bytes.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"; _ = p.write_text("coursekit")
    >>> digest_file(p) == digest_text("coursekit")
    True
    """
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _site_dirs() -> list[Path]:
    dirs = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    dirs.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return sorted(Path(d) for d in dirs if Path(d).is_dir())


def _kernelspec() -> str:
    """The python3 kernelspec that would be launched, if one is installed (else the built-in)."""
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:  # pragma: no cover - jupyter_core comes with jupyterlab
        return "builtin"
    for folder in jupyter_path("kernels"):
        spec = Path(folder) / "python3" / "kernel.json"
        if spec.is_file():
            return spec.read_text("utf-8", errors="replace")
    return "builtin"


def environment_fingerprint() -> dict:
    """Describe what outside a notebook can change its outputs: Python, packages, kernel.

    Installed packages are read from the ``*.dist-info`` folder names (which carry the
    versions) in site-packages: fast, and it covers every dependency, direct or not.

    Returns:
        A JSON-able dict; it goes into every execution key.

    >>> sorted(environment_fingerprint())
    ['kernel', 'kernel_env', 'packages', 'platform', 'python']
    """
    from coursekit.kernels.execute import KERNEL_ENV

    packages = []
    for folder in _site_dirs():
        try:
            packages.extend(sorted(n for n in os.listdir(folder) if n.endswith((".dist-info", ".egg-info"))))
        except OSError:
            continue
    return {
        "python": sys.version,
        "platform": f"{platform.system()}-{platform.machine()}",
        "packages": digest_text("\n".join(packages)),
        "kernel": digest_text(_kernelspec()),
        "kernel_env": KERNEL_ENV,
    }


def execution_key(nb: dict, inputs: Iterable[str | os.PathLike[str]], environment: dict,
                  root: str | os.PathLike[str]) -> str:
    """Return the key of a notebook's *outputs*: code cells, kernel, input files, environment.

    Markdown cells and slide metadata are left out on purpose: editing prose reuses the
    outputs (the exports are keyed on the whole notebook by :func:`content_key`).

    Args:
        nb: the notebook as plain JSON (``json.load``), not necessarily an nbformat node.
        inputs: the files from :func:`input_files`.
        environment: :func:`environment_fingerprint`.
        root: the course root; input paths are keyed relative to it.

    >>> nb = {"cells": [{"cell_type": "code", "source": "1 + 1", "metadata": {}}], "metadata": {}}
    >>> key = execution_key(nb, [], {}, ".")
    >>> nb["cells"].append({"cell_type": "markdown", "source": "prose", "metadata": {}})
    >>> execution_key(nb, [], {}, ".") == key
    True
    """
    root = Path(root).resolve()
    cells = [
        ["".join(c.get("source", "")), sorted(c.get("metadata", {}).get("tags", []))]
        for c in nb.get("cells", []) if c.get("cell_type") == "code"
    ]
    files = []
    for path in inputs:
        path = Path(path).resolve()
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        files.append([name, digest_file(path)])
    payload = {
        "version": KEY_VERSION,
        "kernel": nb.get("metadata", {}).get("kernelspec", {}).get("name", "python3"),
        "cells": cells,
        "inputs": sorted(files),
        "environment": environment,
    }
    return digest_text(json.dumps(payload, sort_keys=True, ensure_ascii=False))


def content_key(nb: dict, *parts) -> str:
    """Return a key of the whole notebook but its outputs, combined with ``parts``.

    >>> a = {"cells": [{"cell_type": "markdown", "source": "x", "metadata": {}}], "metadata": {}}
    >>> content_key(a, "k") == content_key(a, "k"), content_key(a, "k") == content_key(a, "j")
    (True, False)
    """
    cells = []
    for cell in nb.get("cells", []):
        cells.append({k: v for k, v in cell.items() if k not in {"outputs", "execution_count", "id"}})
    metadata = {k: v for k, v in nb.get("metadata", {}).items() if k not in {"widgets"}}
    payload = {"version": KEY_VERSION, "cells": cells, "metadata": metadata, "parts": list(parts)}
    return digest_text(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str))


def atomic_write(path: str | os.PathLike[str], write: Callable[[object], None], *,
                 binary: bool = False) -> Path:
    """Write ``path`` all at once: ``write(handle)`` fills a temporary file that then replaces it.

    If ``write`` raises (or the process is interrupted), ``path`` keeps its previous content
    and the temporary file is removed; a reader never sees half a file.

    Args:
        path: the file to (re)write; its folder is created.
        write: called with an open handle to the temporary file.
        binary: open the handle in binary mode.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        Whatever ``write`` raises, after cleaning up.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"; _ = atomic_write_text(p, "old")
    >>> def broken(handle):
    ...     handle.write("half a fi")
    ...     raise RuntimeError("disk full")
    >>> atomic_write(p, broken)
    Traceback (most recent call last):
    ...
    RuntimeError: disk full
    >>> p.read_text(), sorted(x.name for x in p.parent.iterdir())
    ('old', ['a.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        options = {} if binary else {"encoding": "utf-8", "newline": ""}
        with os.fdopen(fd, "wb" if binary else "w", **options) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Atomically write ``text`` (UTF-8) to ``path``; see :func:`atomic_write`."""
    return atomic_write(path, lambda handle: handle.write(text))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Atomically write ``data`` to ``path``; see :func:`atomic_write`."""
    return atomic_write(path, lambda handle: handle.write(data), binary=True)


def is_temporary(name: str) -> bool:
    """True for the name of a temporary file left by an interrupted :func:`atomic_write`.

    >>> is_temporary(".01-x.html.abc123.ck-tmp"), is_temporary("01-x.html")
    (True, False)
    """
    return bool(re.fullmatch(r"\..+\.[^.]+" + re.escape(TMP_SUFFIX), name))
