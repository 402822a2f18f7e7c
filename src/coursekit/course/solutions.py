"""Solution regions in instructor notebooks: find them, list what they hide, and strip them.

An instructor notebook marks each model answer the way nbgrader and otter-grader do, so
notebooks from those tools work unchanged:

- a region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` lines (any number of ``#``;
  in Markdown also ``<!-- BEGIN SOLUTION -->`` / ``<!-- END SOLUTION -->``);
- one line ending in ``# SOLUTION`` (otter's short form, e.g. ``gap = 23  # SOLUTION``);
- a region between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, dropped entirely.

In the student version a code region becomes a clear placeholder: a comment saying what to do
and ``name = ...`` for each name the model answer assigns (so an unanswered notebook still runs,
and its self-checks say "Not yet answered"). A Markdown region becomes an invitation to write.

>>> cell = "years = 2\\n### BEGIN SOLUTION\\ngap = 2022 - 1999\\n### END SOLUTION\\ncheck('q', gap)"
>>> print(strip_solutions(cell))
years = 2
# YOUR ANSWER HERE: replace each ... with your own code or value.
gap = ...
check('q', gap)
>>> solution_lines(cell)
['gap = 2022 - 1999']
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

from coursekit.course.foreign import (
    ROLES,
    CellRole,
    foreign_roles,
    foreign_secret_lines,
    foreign_student_cells,
    notebook_format,
)
from coursekit.course.notebooks import is_notes
from coursekit.course.notebooks import source as _text
from coursekit.errors import CourseError

__all__ = ["CODE_PLACEHOLDER", "MARKDOWN_PLACEHOLDER", "Region", "regions", "has_solution",
           "solution_lines", "strip_solutions", "assigned_names", "CellRole", "ROLES",
           "notebook_format", "cell_roles", "student_cells", "secret_lines", "secret_cells",
           "has_solutions", "is_secret_tag",
           "SECRET_TAG"]

CODE_PLACEHOLDER = "# YOUR ANSWER HERE: replace each ... with your own code or value."
MARKDOWN_PLACEHOLDER = "_YOUR ANSWER HERE: write your answer in this cell._"

_MARK = r"^\s*(?:#+|<!--)\s*(BEGIN|END)\s+(SOLUTION|HIDDEN TESTS)\b\s*(?:-->)?\s*$"
MARKER = re.compile(_MARK, flags=re.I)
INLINE = re.compile(r"^(?P<code>.*?\S)\s*#\s*SOLUTION\s*$")
# Anything that looks like a marker but is not one stops the release: a misspelt or foreign
# marker would otherwise leave the model answer in the student copy as plain text.
SUSPECT = re.compile(r"\b(BEGIN|END)\s+(SOLUTION|HIDDEN|TESTS?|PROMPT|MARK\s+SCHEME|QUESTION)\b"
                     r"|#\s*SOLUTION\s+NO\s+PROMPT|\bAUTOTEST\b", flags=re.I)
SECRET_TAG = ("solution", "hidden", "answer")
_WHAT = {"solution": "SOLUTION", "hidden": "HIDDEN TESTS"}


@dataclass(frozen=True)
class Region:
    """One marked region of a cell: its kind, the lines it hides and its indentation.

    ``kind`` is ``"solution"``, ``"inline"`` (one ``# SOLUTION`` line) or ``"hidden"``
    (hidden tests); ``start`` is the index of its first line in the cell.
    """

    kind: str
    start: int
    lines: tuple[str, ...]
    indent: str


def _split(source: str, where: str, code: bool = True) -> list[str | Region]:
    """Split ``source`` into plain lines and :class:`Region` items, checking the markers."""
    out: list[str | Region] = []
    open_kind = None
    open_at = 0
    indent = ""
    body: list[str] = []
    for number, line in enumerate(source.split("\n")):
        match = MARKER.match(line)
        if match:
            edge, what = match.group(1).upper(), match.group(2).upper()
            kind = "solution" if what == "SOLUTION" else "hidden"
            if edge == "BEGIN":
                if open_kind:
                    raise CourseError(f"{where}, line {number + 1}: BEGIN {what} inside a region "
                                      f"opened on line {open_at + 1}; close that one first with "
                                      f"'### END {_WHAT[open_kind]}'.")
                open_kind, open_at, body = kind, number, []
                indent = line[: len(line) - len(line.lstrip())]
            else:
                if open_kind != kind:
                    raise CourseError(f"{where}, line {number + 1}: END {what} without a matching "
                                      f"BEGIN {what} above it. Add the BEGIN line or remove this one.")
                out.append(Region(kind, open_at, tuple(body), indent))
                open_kind = None
            continue
        if SUSPECT.search(line):
            raise CourseError(f"{where}, line {number + 1}: {line.strip()[:60]!r} looks like a "
                              "solution or test marker but is not one coursekit knows; write "
                              "'### BEGIN SOLUTION' / '### END SOLUTION' (or the HIDDEN TESTS "
                              "pair), or reword the line.")
        if open_kind:
            body.append(line)
            continue
        inline = INLINE.match(line) if code else None
        if inline:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(Region("inline", number, (inline.group("code").strip(),), indent))
            continue
        out.append(line)
    if open_kind:
        raise CourseError(f"{where}, line {open_at + 1}: BEGIN {_WHAT[open_kind]} is never "
                          "closed. Add the matching '### END ...' line after the model answer.")
    return out


def regions(source: str, cell_type: str = "code", *, where: str = "cell") -> list[Region]:
    """Return the marked regions of one cell's source, in order.

    Args:
        source: the cell's text.
        cell_type: ``"code"`` or ``"markdown"`` (``# SOLUTION`` lines count in code only).
        where: how error messages name the cell (e.g. ``"01-timeline.ipynb, cell 7"``).

    Returns:
        The :class:`Region` objects; empty if the cell has none.

    Raises:
        CourseError: a BEGIN without END, an END without BEGIN, or nested regions.

    >>> [r.kind for r in regions("x = 1  # SOLUTION\\n### BEGIN HIDDEN TESTS\\nassert x\\n### END HIDDEN TESTS")]
    ['inline', 'hidden']
    >>> regions("### BEGIN SOLUTION\\nx = 1", where="a.ipynb, cell 3")
    Traceback (most recent call last):
    ...
    coursekit.errors.CourseError: a.ipynb, cell 3, line 1: BEGIN SOLUTION is never closed. ...
    """
    return [part for part in _split(source, where, cell_type == "code") if isinstance(part, Region)]


def has_solution(source: str, cell_type: str = "code", *, where: str = "cell") -> bool:
    """Return True if the cell holds a solution region (or a ``# SOLUTION`` line).

    Raises:
        CourseError: unbalanced or nested markers.

    >>> has_solution("x = 1"), has_solution("x = 1  # SOLUTION")
    (False, True)
    """
    return any(r.kind in ("solution", "inline") for r in regions(source, cell_type, where=where))


def solution_lines(source: str, cell_type: str = "code", *, where: str = "cell") -> list[str]:
    """Return the stripped, non-blank lines the student version must never contain.

    Hidden tests count too: they may hold the answer.

    >>> solution_lines("a = 1\\n### BEGIN SOLUTION\\n\\n  b = a + 1\\n### END SOLUTION")
    ['b = a + 1']
    """
    found = []
    for region in regions(source, cell_type, where=where):
        found.extend(line.strip() for line in region.lines if line.strip())
    return found


def assigned_names(code: str) -> list[str]:
    """Return the names a piece of code assigns at its own top level, in order, once each.

    >>> assigned_names("a = 1\\nb, c = 2, 3\\nd: int = 4\\nfor i in range(3):\\n    e = i")
    ['a', 'b', 'c', 'd']
    >>> assigned_names("this is not python")
    []
    """
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return []
    names: list[str] = []

    def add(target):
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                add(element)
        elif isinstance(target, ast.Starred):
            add(target.value)

    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                add(target)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            add(node.target)
    return list(dict.fromkeys(names))


def _code_placeholder(region: Region) -> list[str]:
    if region.kind == "hidden":
        return []
    body = "\n".join(region.lines)
    if region.kind == "inline":
        names = assigned_names(body)
        return [region.indent + (f"{', '.join(names)} = ..." if len(names) == 1
                                 else f"{', '.join(names)} = {', '.join('...' for _ in names)}"
                                 if names else "...")]
    lines = [region.indent + CODE_PLACEHOLDER]
    names = assigned_names(body)
    lines += [f"{region.indent}{name} = ..." for name in names] or [region.indent + "..."]
    return lines


def strip_solutions(source: str, cell_type: str = "code", *, where: str = "cell") -> str:
    """Return the student version of one cell: every region replaced by its placeholder.

    Args:
        source: the instructor cell's text.
        cell_type: ``"code"`` or ``"markdown"`` (a Markdown region becomes an invitation).
        where: how error messages name the cell.

    Returns:
        The text with no line of any solution or hidden-test region left in it.

    Raises:
        CourseError: unbalanced or nested markers (the message names the cell and line).

    >>> print(strip_solutions("**Answer:**\\n<!-- BEGIN SOLUTION -->\\nIt was 1999.\\n<!-- END SOLUTION -->",
    ...                       "markdown"))
    **Answer:**
    _YOUR ANSWER HERE: write your answer in this cell._
    >>> strip_solutions("share = 74  # SOLUTION")
    'share = ...'
    """
    out: list[str] = []
    for part in _split(source, where, cell_type == "code"):
        if isinstance(part, str):
            out.append(part)
        elif cell_type == "code":
            out.extend(_code_placeholder(part))
        elif part.kind != "hidden":
            out.append(MARKDOWN_PLACEHOLDER)
    return "\n".join(out)


# --- one answer for every format: what a cell is, and what the student copy holds ------------

def cell_roles(nb, name: str = "notebook") -> list[CellRole]:
    """Classify every cell of ``nb``: the one test of "is this a solution / hidden test / locked".

    nbgrader and otter cells are read by :mod:`coursekit.course.foreign`; the rest by the
    markers above. Speaker notes are ``note`` in every format.

    Raises:
        CourseError: a marker, metadata entry or raw cell that is not understood (names the cell).

    >>> cell_roles({"cells": [{"cell_type": "code", "source": "x = 1  # SOLUTION"},
    ...                       {"cell_type": "markdown", "source": "Read row P3."}]})
    [CellRole(kind='solution', ...), CellRole(kind='prompt', ...)]
    """
    fmt = notebook_format(nb, name)
    out = []
    cells = nb.get("cells", [])
    for index, (cell, role) in enumerate(zip(cells, foreign_roles(nb, name, fmt), strict=True)):
        where = f"{name}, cell {index}"
        kind = "code" if cell.get("cell_type", "code") == "code" else "markdown"
        if role is None:
            found = regions(_text(cell), kind, where=where)
            role = CellRole("solution" if any(r.kind in ("solution", "inline") for r in found)
                            else "hidden-test" if found else "prompt", fmt=fmt)
        if is_notes(cell):
            role = CellRole("note", role.question, role.points, role.manual, fmt)
        out.append(role)
    return out


def student_cells(nb, name: str = "notebook") -> list[tuple[int | None, str, str, dict]]:
    """Return the student copy's cells as ``(instructor index or None, cell type, source, metadata)``.

    Speaker notes, otter delimiters and tests are left out; solutions become placeholders in
    the format's own words; ``metadata`` is what the format adds (nbgrader's locks and
    checksums, otter's locks). ``None`` as index marks a cell the format inserts (otter's
    response cell for a written answer).

    Raises:
        CourseError: anything :func:`cell_roles` refuses, or an otter solution cell with no
            marked line.

    >>> student_cells({"cells": [{"cell_type": "code", "source": "x = 1  # SOLUTION"}]})
    [(0, 'code', 'x = ...', {})]
    """
    roles = cell_roles(nb, name)
    notes = {i for i, role in enumerate(roles) if role.kind == "note"}
    out = []
    for index, cell, entry in foreign_student_cells(nb, name, roles[0].fmt if roles else ""):
        if index in notes:
            continue
        if entry is None:
            kind = cell.get("cell_type", "code")
            entry = (kind, strip_solutions(_text(cell), "code" if kind == "code" else "markdown",
                                           where=f"{name}, cell {index}"), {})
        out.append((index, *entry))
    return out


def secret_cells(nb, name: str = "notebook") -> dict[int, list[str]]:
    """The model-answer and hidden-test lines of each cell of ``nb`` that has any, stripped.

    >>> secret_cells({"cells": [{"cell_type": "code", "source": "a = 1\\nb = 2  # SOLUTION"}]})
    {0: ['b = 2']}
    """
    fmt = notebook_format(nb, name)
    found: dict[int, list[str]] = {}
    cells = nb.get("cells", [])
    for index, (cell, lines) in enumerate(zip(cells, foreign_secret_lines(nb, name, fmt), strict=True)):
        if lines is None:
            kind = "code" if cell.get("cell_type") == "code" else "markdown"
            lines = solution_lines(_text(cell), kind, where=f"{name}, cell {index}")
        if any(line.strip() for line in lines):
            found[index] = [line.strip() for line in lines if line.strip()]
    return found


def secret_lines(nb, name: str = "notebook") -> list[str]:
    """Every line of every model answer and hidden test of ``nb``, stripped, blank lines left out.

    >>> secret_lines({"cells": [{"cell_type": "code", "source": "a = 1\\nb = 2  # SOLUTION"}]})
    ['b = 2']
    """
    return [line for lines in secret_cells(nb, name).values() for line in lines]


def has_solutions(nb, name: str = "notebook") -> bool:
    """True when ``nb`` holds a model answer or hidden test in any format (an instructor copy).

    A notebook whose markers cannot be read counts as holding solutions: hiding it is safe.

    >>> has_solutions({"cells": [{"cell_type": "markdown", "source": "x", "metadata": {
    ...     "nbgrader": {"solution": True, "grade_id": "a"}}}]})
    True
    """
    try:
        return any(role.kind in ("solution", "hidden-test") for role in cell_roles(nb, name))
    except CourseError:
        return True


def is_secret_tag(tag) -> bool:
    """True for a cell tag that names a solution, hidden test or answer (never shipped).

    >>> is_secret_tag("otter_assign_solution_cell"), is_secret_tag("self-check")
    (True, False)
    """
    return any(word in str(tag).lower() for word in SECRET_TAG)
