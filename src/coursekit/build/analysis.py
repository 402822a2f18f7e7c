"""Code analysis for the build: what a notebook's code cells read, as far as a static look can tell.

The runtime functions it recognises come from :data:`coursekit.course.vocabulary.RUNTIME_NAMES`,
so a renamed runtime function cannot silently fall out of the rule.

>>> use = scan_code(["from coursekit import data", 'events = data.load("timeline")'])
>>> sorted(use.names), use.everything
(['timeline'], False)
>>> scan_code(["from coursekit import data", "frame = data.load(name)"]).everything
True
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

from coursekit.course.vocabulary import RUNTIME_MODULES, runtime_names

__all__ = ["DataUse", "scan_code", "strip_magics", "dotted"]

DATA, PLOTS = RUNTIME_MODULES["data"], RUNTIME_MODULES["plots"]
# Runtime functions and the data they read. Any other use of coursekit.data (or of a name
# that cannot be resolved statically) makes the notebook depend on every data file.
_BY_NAME = runtime_names("data", "by_name")           # the first argument names the dataset
_SOURCES = runtime_names("data", "sources")           # read sources.csv
_PACKAGE_ONLY = runtime_names("data", "package_only")  # read datapackage.json only
_NO_DATA = runtime_names("data", "pure")               # pure functions
_PLOTS_SOURCES = runtime_names("plots", "sources")     # plots.show() cites its sources
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


def strip_magics(source: str) -> str | None:
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


def dotted(node: ast.AST) -> str | None:
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
        code = strip_magics(source)
        if code is None:
            everything = True
            continue
        try:
            trees.append(ast.parse(code))
        except SyntaxError:
            everything = True

    data_modules = {DATA}   # dotted names bound to coursekit.data
    plots_modules = {PLOTS}
    direct: dict[str, tuple[str, str]] = {}  # local name -> (module, function)
    star = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    local = alias.asname or alias.name
                    full = f"{node.module}.{alias.name}"  # from coursekit import data
                    if full in {DATA, PLOTS}:
                        (data_modules if full == DATA else plots_modules).add(local)
                    elif node.module in {DATA, PLOTS}:
                        if alias.name == "*":
                            star.add(node.module)
                        else:
                            direct[local] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in {DATA, PLOTS} and alias.asname:
                        target = data_modules if alias.name == DATA else plots_modules
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
                owner = dotted(func.value)
                if owner in data_modules:
                    module, function = DATA, func.attr
                elif owner in plots_modules:
                    module, function = PLOTS, func.attr
            elif isinstance(func, ast.Name):
                if func.id in direct:
                    module, function = direct[func.id]
                elif star and func.id in _BY_NAME | _SOURCES | _PACKAGE_ONLY | {"data_dir"}:
                    module, function = DATA, func.id
                elif star and func.id in _PLOTS_SOURCES:
                    module, function = PLOTS, func.id
            name = getattr(func, "attr", None) or getattr(func, "id", None)
            if module is None and name in _FILE_READERS:
                arg = first_arg(node)
                if arg is not None and not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    everything = True  # a computed path: it may be a data file
                continue
            if module == PLOTS:
                if function in _PLOTS_SOURCES:
                    names.add("sources")
                    package = True
                continue
            if module != DATA:
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
            if isinstance(node, ast.Attribute) and dotted(node.value) in data_modules:
                if id(node) not in called and node.attr not in _NO_DATA:
                    everything = True
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id in data_modules and id(node) not in attribute_owners:
                    everything = True
                elif (node.id in direct and direct[node.id][0] == DATA
                      and id(node) not in called and direct[node.id][1] not in _NO_DATA):
                    everything = True
    return DataUse(frozenset(names), package or everything, everything, frozenset(literals))
