"""nbgrader notebooks read as they are: cell metadata, solution and hidden-test regions, checksums.

The format is nbgrader's own (``nbgrader/utils.py`` and the ``ClearSolutions``,
``ClearHiddenTests``, ``ClearMarkScheme``, ``LockCells`` and ``ComputeChecksums``
preprocessors that ``nbgrader generate_assignment`` runs):

- ``metadata.nbgrader`` holds ``grade``, ``solution``, ``locked``, ``task``, ``grade_id``,
  ``points``, ``schema_version`` (and, in released copies, ``checksum`` and ``cell_type``);
- a solution cell's ``### BEGIN SOLUTION`` / ``### END SOLUTION`` region, or the whole cell if it
  has none, becomes ``# YOUR CODE HERE`` + ``raise NotImplementedError()`` (code) or
  ``YOUR ANSWER HERE`` (Markdown);
- ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` and ``BEGIN MARK SCHEME`` /
  ``END MARK SCHEME`` regions are removed;
- grade (test) cells and locked cells are made read-only, solution cells undeletable, and the
  checksum of every graded or locked cell is stored so edits are found at grading time.

>>> cell = {"cell_type": "code", "source": "def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n"
...         "    ### END SOLUTION", "metadata": {"nbgrader": {"solution": True, "grade": False,
...         "locked": False, "grade_id": "f", "schema_version": 3}}}
>>> print(student_source(cell, "cell 0"))
def f():
    # YOUR CODE HERE
    raise NotImplementedError()
>>> role_of(cell).kind, role_of(cell).question
('solution', 'f')
"""

from __future__ import annotations

import hashlib
import re

from coursekit.course.notebooks import source as _text
from coursekit.errors import CourseError

__all__ = ["CODE_STUB", "TEXT_STUB", "KEYS", "NbgraderRole", "is_nbgrader", "meta", "role_of",
           "student_source", "student_metadata", "checksum", "hidden_lines", "solution_text"]

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
KEYS = ("grade", "solution", "locked", "task", "grade_id", "points", "schema_version",
        "checksum", "cell_type")
_PAIRS = {"SOLUTION": ("BEGIN SOLUTION", "END SOLUTION"),
          "HIDDEN TESTS": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
          "MARK SCHEME": ("BEGIN MARK SCHEME", "END MARK SCHEME")}
# nbgrader's InstantiateTests turns these into asserts from a template coursekit does not have.
_UNSUPPORTED = re.compile(r"#+\s*(HASHED\s+)?AUTOTEST\b")


class NbgraderRole:
    """What one nbgrader cell is: ``kind`` (solution, test, task, locked, prompt), its grade id,
    points and whether it is graded by hand (``manual``)."""

    def __init__(self, kind: str, question: str | None, points: float | None, manual: bool):
        self.kind, self.question, self.points, self.manual = kind, question, points, manual

    def __repr__(self) -> str:
        return f"NbgraderRole({self.kind!r}, {self.question!r}, {self.points!r}, {self.manual!r})"


def meta(cell) -> dict:
    """Return the cell's ``nbgrader`` metadata (``{}`` when it has none)."""
    found = (cell.get("metadata") or {}).get("nbgrader")
    return found if isinstance(found, dict) else {}


def is_nbgrader(nb) -> bool:
    """True when any cell of ``nb`` carries ``nbgrader`` metadata.

    >>> is_nbgrader({"cells": [{"cell_type": "code", "source": "", "metadata": {}}]})
    False
    """
    return any(meta(cell) for cell in nb.get("cells", []))


def role_of(cell, where: str = "cell") -> NbgraderRole:
    """Classify one cell the way nbgrader does (``utils.is_solution``/``is_grade``/``is_locked``).

    Raises:
        CourseError: a graded cell without ``grade_id`` or ``points``.
    """
    m = meta(cell)
    if not m:
        return NbgraderRole("prompt", None, None, False)
    grade_id = m.get("grade_id")
    solution, grade = bool(m.get("solution")), bool(m.get("grade"))
    points = None
    if grade or m.get("task"):
        try:
            points = float(m.get("points"))
        except (TypeError, ValueError):
            raise CourseError(f"{where}: an nbgrader graded cell needs 'points' (a number) in its "
                              "nbgrader metadata; open the cell in the Create Assignment "
                              "toolbar and set them.") from None
    if (solution or grade or m.get("task") or m.get("locked")) and not grade_id:
        raise CourseError(f"{where}: an nbgrader cell without a 'grade_id'; give it one in the "
                          "Create Assignment toolbar.")
    if solution:
        # A graded solution cell (nbgrader's Part C and D) is marked by hand.
        return NbgraderRole("solution", grade_id, points, grade)
    if grade and cell.get("cell_type") == "code":
        return NbgraderRole("test", grade_id, points, False)
    if m.get("task"):
        return NbgraderRole("task", grade_id, points, True)
    if grade:
        raise CourseError(f"{where}: a graded Markdown cell that is not a solution cell; nbgrader "
                          "itself refuses this. Mark it 'Manually graded answer'.")
    if m.get("locked"):
        return NbgraderRole("locked", grade_id, None, False)
    return NbgraderRole("prompt", grade_id, None, False)


def _regions(source: str, where: str):
    """Yield (region kind or None, line, is_marker) for every line of ``source``."""
    open_kind = None
    for number, line in enumerate(source.split("\n"), start=1):
        if _UNSUPPORTED.search(line):
            raise CourseError(f"{where}, line {number}: nbgrader's AUTOTEST lines need its test "
                              "templates; run 'nbgrader generate_assignment' once or write the "
                              "asserts out, then release again.")
        hit = next(((kind, edge) for kind, pair in _PAIRS.items() for edge, text in
                    zip(("BEGIN", "END"), pair, strict=True) if text in line.upper()), None)
        if hit is None:
            yield open_kind, line, False
            continue
        kind, edge = hit
        if edge == "BEGIN" and open_kind:
            raise CourseError(f"{where}, line {number}: BEGIN {kind} inside an open "
                              f"{open_kind} region; close that one first.")
        if edge == "END" and open_kind != kind:
            raise CourseError(f"{where}, line {number}: END {kind} without a BEGIN {kind} above it.")
        open_kind = kind if edge == "BEGIN" else None
        yield ("begin:" if edge == "BEGIN" else "end:") + kind, line, True
    if open_kind:
        raise CourseError(f"{where}: BEGIN {open_kind} is never closed; add the END line.")


def _lines(cell, where: str, wanted: str) -> list[str]:
    return [line for kind, line, marker in _regions(_text(cell), where)
            if kind == wanted and not marker]


def hidden_lines(cell, where: str = "cell") -> list[str]:
    """The lines of the cell's hidden-test and mark-scheme regions (never shipped)."""
    return _lines(cell, where, "HIDDEN TESTS") + _lines(cell, where, "MARK SCHEME")


def solution_text(cell, where: str = "cell") -> list[str]:
    """The model answer's lines: the solution regions, or the whole body of a solution cell."""
    regions = _lines(cell, where, "SOLUTION")
    if regions or not meta(cell).get("solution"):
        return regions
    return _text(cell).split("\n")


def student_source(cell, where: str = "cell") -> str:
    """Return the student version of one cell's source, as ``nbgrader generate_assignment`` does.

    Raises:
        CourseError: unbalanced or nested markers, or AUTOTEST lines (the message names the cell).
    """
    code = cell.get("cell_type") == "code"
    stub = (CODE_STUB if code else TEXT_STUB).split("\n")
    out: list[str] = []
    replaced = False
    for kind, line, marker in _regions(_text(cell), where):
        if kind == "begin:SOLUTION":
            replaced = True
            indent = line[: len(line) - len(line.lstrip())]  # the stub keeps the marker's indent
            out += [indent + part for part in stub]
        elif kind is None and not marker:
            out.append(line)
    if meta(cell).get("solution") and not replaced:
        return "\n".join(stub)
    return "\n".join(out)


def student_metadata(cell, source: str) -> dict:
    """The cell metadata a released nbgrader cell carries: locks and its nbgrader entry with the
    checksum of ``source`` (the student text), so edits of read-only cells are found later."""
    m = meta(cell)
    if not m:
        return {}
    kept = {k: m[k] for k in KEYS if k in m and k != "checksum"}
    kept["cell_type"] = cell.get("cell_type")
    role = role_of(cell)
    out: dict = {}
    if role.kind == "solution":
        out["deletable"] = False
    elif role.kind in ("test", "locked", "task"):
        out.update(deletable=False, editable=False)
    if m.get("grade_id") and (m.get("solution") or m.get("grade") or role.kind != "prompt"):
        kept["checksum"] = checksum({**cell, "source": source})
    out["nbgrader"] = kept
    return out


def checksum(cell) -> str:
    """nbgrader's ``compute_checksum``: MD5 of source, type, the grade/solution/locked flags,
    grade id and (for graded cells) points, so released checksums agree with nbgrader's.

    >>> checksum({"cell_type": "markdown", "source": "YOUR ANSWER HERE", "metadata": {"nbgrader":
    ...     {"grade": True, "solution": True, "grade_id": "eq", "points": 1}}})
    '...'
    """
    m = meta(cell)
    solution, grade = m.get("solution", False), m.get("grade", False)
    locked = False if solution else (True if grade else m.get("locked", False))
    digest = hashlib.md5()
    for part in (_text(cell), cell.get("cell_type", ""), str(grade), str(solution), str(locked),
                 str(m.get("grade_id", ""))):
        digest.update(part.encode("utf-8"))
    if grade:
        digest.update(str(float(m.get("points", 0))).encode("utf-8"))
    return digest.hexdigest()
