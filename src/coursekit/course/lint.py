"""The lesson lint: everything a lesson must have and must not contain.

:func:`lint` reads a lesson as saved (outputs included) and returns one line per problem,
naming the notebook and the cell, with what to do. The build runs it on every lesson.

>>> from coursekit.course.model import Course
>>> lint(Course.find().notebooks / "00-start-here.ipynb")
[]
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from coursekit.course.lessons import navigation_markdown
from coursekit.course.notebooks import NAV_TAG, has_tag, source
from coursekit.course.vocabulary import CITING_CALLS
from coursekit.errors import CourseError
from coursekit.plots import is_generic_alt

__all__ = ["lint", "REQUIRED_SECTIONS", "ABSOLUTE_PATH"]

REQUIRED_SECTIONS = ("Learning objectives", "Questions", "Key points", "Sources")
ABSOLUTE_PATH = re.compile(r"(?<![\w.])(/home/|/root/|/tmp/|/work/|/Users/|[A-Za-z]:\\\\)")


def _cited_ids(code: str) -> list[str]:
    """Return string literals passed to cite(), bibliography() or show(sources=...)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name not in CITING_CALLS:
            continue
        args = list(node.args) if name != "show" else []
        args += [kw.value for kw in node.keywords if kw.arg == "sources"]
        for arg in args:
            # Only literal ids: a string, or strings inside a list, tuple or set display.
            # A computed argument (frame.source_id, frame["source_id"]) is checked at run time.
            items = arg.elts if isinstance(arg, (ast.List, ast.Tuple, ast.Set)) else [arg]
            found += [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]
    return found


def lint(path: str | Path, root: str | Path | None = None) -> list[str]:
    """Return every problem in the lesson at ``path`` (an empty list means it passes).

    It checks the sections, the kernelspec, outputs (errors, images without alt text),
    absolute paths, source ids against ``data/sources.csv`` and the generated navigation.
    """
    from coursekit.data import load

    path = Path(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{path.name}: cannot be read as a notebook ({exc})"]
    problems = []
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"{path.name}: kernelspec is {kernel!r}; set it to 'python3'.")
    markdown = "\n".join("".join(c.get("source", "")) for c in nb["cells"] if c["cell_type"] == "markdown")
    for section in REQUIRED_SECTIONS:
        if not re.search(rf"^#+\s*{section}\b", markdown, flags=re.M | re.I):
            problems.append(f"{path.name}: no '{section}' section (a Markdown heading).")
    known = set(load("sources", root=root)["source_id"])
    nav = [c for c in nb["cells"] if has_tag(c, NAV_TAG)]
    try:
        expected_nav = navigation_markdown(path.name, root)
    except CourseError as exc:
        problems.append(f"{path.name}: {exc}")
        expected_nav = None
    if expected_nav is not None:
        if not nav:
            problems.append(f"{path.name}: no navigation cell; run write_navigation() or coursekit build.")
        for cell in nav:
            if "".join(cell["source"]) != expected_nav:
                problems.append(f"{path.name}: navigation cell disagrees with notebooks/toc.yml; "
                                "regenerate it (coursekit build), do not edit it by hand.")
    for i, cell in enumerate(nb["cells"]):
        where = f"{path.name} cell {i}"
        text = source(cell)
        if ABSOLUTE_PATH.search(text):
            problems.append(f"{where}: absolute path in the source; use a path relative to the course.")
        if cell["cell_type"] == "code":
            for sid in _cited_ids(text):
                if sid not in known:
                    problems.append(f"{where}: source id {sid!r} is not in data/sources.csv.")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"{where}: error output ({out.get('ename')}); fix the cell and rerun.")
            text = json.dumps(out.get("data", out.get("text", "")))
            if ABSOLUTE_PATH.search(text):
                problems.append(f"{where}: absolute path in an output; print relative paths.")
            for mime in out.get("data", {}):
                if mime.startswith("image/"):
                    alt = str(out.get("metadata", {}).get(mime, {}).get("alt", "")).strip()
                    if is_generic_alt(alt):
                        problems.append(f"{where}: image without alt text; draw it with "
                                        "coursekit.plots.show(..., alt=...).")
    return problems

