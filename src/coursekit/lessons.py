"""The ordered list of lessons (``notebooks/toc.yml``), generated navigation, and lesson lint.

One list drives the order, the previous/next links, the build and the tests. A lesson's
navigation cell (tagged ``navigation``) is written by :func:`write_navigation`, never by hand;
:func:`lint` reports everything a lesson must have and must not contain.

>>> [entry["file"] for entry in read_toc()][:1]
['00-start-here.ipynb']
>>> "Next:" in navigation_markdown("00-start-here.ipynb")
True
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from coursekit.errors import CourseError
from coursekit.paths import course_root

__all__ = ["read_toc", "lesson_paths", "navigation_markdown", "write_navigation", "lint",
           "NAV_TAG", "REQUIRED_SECTIONS"]

NAV_TAG = "navigation"
REQUIRED_SECTIONS = ("Learning objectives", "Questions", "Key points", "Sources")
ABSOLUTE_PATH = re.compile(r"(?<![\w.])(/home/|/root/|/tmp/|/work/|/Users/|[A-Za-z]:\\\\)")
GENERIC_ALT = {"", "image", "figure", "no description has been provided for this image"}
CITING_CALLS = {"cite", "bibliography", "show"}


def read_toc(root: str | Path | None = None) -> list[dict]:
    """Return the lessons in teaching order: dicts with ``file`` and ``title``.

    Raises:
        CourseError: the list is missing, not YAML, or an entry lacks ``file`` or ``title``.
    """
    import yaml

    path = course_root(root) / "notebooks" / "toc.yml"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path} is missing: it lists the lessons in order.") from None
    except yaml.YAMLError as exc:
        raise CourseError(f"{path}: not valid YAML ({exc}).") from None
    entries = (doc or {}).get("lessons") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CourseError(f"{path}: expected a 'lessons:' list of entries with file and title.")
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not entry.get("file") or not entry.get("title"):
            raise CourseError(f"{path}: lesson entry {number} needs both 'file' and 'title'.")
    return entries


def lesson_paths(root: str | Path | None = None) -> list[Path]:
    """Return the lesson notebooks' paths in teaching order."""
    folder = course_root(root) / "notebooks"
    return [folder / entry["file"] for entry in read_toc(root)]


def navigation_markdown(filename: str, root: str | Path | None = None) -> str:
    """Return the generated previous/next links for lesson ``filename``."""
    toc = read_toc(root)
    files = [entry["file"] for entry in toc]
    if filename not in files:
        raise CourseError(f"{filename} is not in notebooks/toc.yml: add it to the list.")
    i = files.index(filename)

    def link(entry: dict) -> str:
        return f"[{entry['title']}]({entry['file']})"

    parts = []
    parts.append(f"**Previous:** {link(toc[i - 1])}" if i > 0 else "**Previous:** none, this is the first lesson")
    parts.append(f"**Next:** {link(toc[i + 1])}" if i + 1 < len(toc) else "**Next:** none, this is the last lesson")
    return " · ".join(parts) + f" · **All lessons:** {link(toc[0])}"


def write_navigation(path: str | Path, root: str | Path | None = None) -> bool:
    """Rewrite the ``navigation``-tagged cell of the lesson at ``path``; return True if changed.

    Only that generated cell is touched; a lesson without one gets one appended.
    """
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    text = navigation_markdown(path.name, root)
    cells = [c for c in nb.cells if NAV_TAG in c.get("metadata", {}).get("tags", [])]
    if cells and all(c.source == text for c in cells):
        return False
    if not cells:
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["tags"] = [NAV_TAG]
        cell.metadata["slideshow"] = {"slide_type": "skip"}
        nb.cells.append(cell)
    for cell in cells:
        cell.source = text
    tmp = path.with_name(path.name + ".tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)
    return True


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
    nav = [c for c in nb["cells"] if NAV_TAG in c.get("metadata", {}).get("tags", [])]
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
        source = "".join(cell.get("source", ""))
        if ABSOLUTE_PATH.search(source):
            problems.append(f"{where}: absolute path in the source; use a path relative to the course.")
        if cell["cell_type"] == "code":
            for sid in _cited_ids(source):
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
                    if alt.lower() in GENERIC_ALT:
                        problems.append(f"{where}: image without alt text; draw it with "
                                        "coursekit.plots.show(..., alt=...).")
    return problems
