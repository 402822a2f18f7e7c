"""The ordered list of lessons (``notebooks/toc.yml``) and their generated navigation.

One list drives the order, the previous/next links, the build and the tests. A lesson's
navigation cell (tagged ``navigation``) is written by :func:`write_navigation`, never by hand.

>>> [entry["file"] for entry in read_toc()][:1]
['00-start-here.ipynb']
>>> "Next:" in navigation_markdown("00-start-here.ipynb")
True
"""

from __future__ import annotations

from pathlib import Path

from coursekit.course.files import read_notebook, write_notebook
from coursekit.course.model import Course
from coursekit.course.notebooks import NAV_TAG, has_tag
from coursekit.errors import CourseError

__all__ = ["read_toc", "lesson_paths", "navigation_markdown", "write_navigation"]


def read_toc(root: str | Path | None = None) -> list[dict]:
    """Return the lessons in teaching order: dicts with ``file`` and ``title``.

    Raises:
        CourseError: the list is missing, not YAML, or an entry lacks ``file`` or ``title``.
    """
    return Course.find(root).lessons()


def lesson_paths(root: str | Path | None = None) -> list[Path]:
    """Return the lesson notebooks' paths in teaching order."""
    course = Course.find(root)
    return [course.notebooks / entry["file"] for entry in course.lessons()]


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
    nb = read_notebook(path)
    text = navigation_markdown(path.name, root)
    cells = [c for c in nb.cells if has_tag(c, NAV_TAG)]
    if cells and all(c.source == text for c in cells):
        return False
    if not cells:
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["tags"] = [NAV_TAG]
        cell.metadata["slideshow"] = {"slide_type": "skip"}
        nb.cells.append(cell)
    for cell in cells:
        cell.source = text
    write_notebook(nb, path)
    return True

