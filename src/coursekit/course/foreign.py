"""nbgrader and otter-grader notebooks behind one interface: which format, each cell's role,
the student copy's cells and the secret lines; native cells are left to the caller (``None``).

:mod:`coursekit.course.solutions` is the one place the rest of coursekit asks; this module only
dispatches to :mod:`coursekit.course.nbgrader` and :mod:`coursekit.course.otter`.

>>> nb = {"cells": [{"cell_type": "markdown", "source": "Say why.", "metadata": {"nbgrader": {
...     "solution": True, "grade": True, "points": 1, "grade_id": "why"}}}]}
>>> notebook_format(nb), foreign_roles(nb, "nb", "nbgrader")
('nbgrader', [CellRole(kind='solution', question='why', points=1.0, manual=True, fmt='nbgrader')])
"""

from __future__ import annotations

from dataclasses import dataclass

from coursekit.course import nbgrader, otter, otterchecks
from coursekit.errors import CourseError

__all__ = ["ROLES", "CellRole", "notebook_format", "foreign_roles", "foreign_student_cells",
           "foreign_secret_lines"]

ROLES = ("prompt", "solution", "test", "hidden-test", "locked", "note", "delimiter")
_OTTER_KINDS = {"config": "delimiter", "ignore": "delimiter", "question": "locked", "answer": "prompt"}


@dataclass(frozen=True)
class CellRole:
    """What one instructor cell is, in any format the release reads.

    ``kind`` is one of :data:`ROLES`; ``question`` the nbgrader ``grade_id`` or otter question
    name it belongs to; ``points`` and ``manual`` as the format gives them; ``fmt`` is
    ``"coursekit"``, ``"nbgrader"`` or ``"otter"``.
    """

    kind: str
    question: str | None = None
    points: float | None = None
    manual: bool = False
    fmt: str = "coursekit"


def notebook_format(nb, name: str = "notebook") -> str:
    """Return ``"otter"``, ``"nbgrader"`` or ``"coursekit"`` for an instructor notebook.

    Raises:
        CourseError: a notebook that mixes nbgrader metadata and otter raw cells.

    >>> notebook_format({"cells": [{"cell_type": "raw", "source": "# BEGIN QUESTION\\nname: q1"}]})
    'otter'
    """
    found = [fmt for fmt, test in (("nbgrader", nbgrader.is_nbgrader), ("otter", otter.is_otter))
             if test(nb)]
    if len(found) > 1:
        raise CourseError(f"{name}: mixes nbgrader cell metadata with otter raw cells; use one "
                          "format per notebook.")
    return found[0] if found else "coursekit"


def _points(config: dict) -> float | None:
    points = config.get("points")
    if isinstance(points, list):
        points = sum(p for p in points if isinstance(p, (int, float)))
    return float(points) if isinstance(points, (int, float)) and not isinstance(points, bool) else None


def foreign_roles(nb, name: str, fmt: str) -> list[CellRole | None]:
    """Each cell's role in an nbgrader or otter notebook; None for a cell native rules classify."""
    cells = nb.get("cells", [])
    if fmt == "otter":
        return [CellRole(_OTTER_KINDS.get(r.kind, r.kind), r.question, _points(r.config),
                         bool(r.config.get("manual")), "otter") for r in otter.roles(nb, name)]
    if fmt != "nbgrader":
        return [None] * len(cells)
    out: list[CellRole | None] = []
    for index, cell in enumerate(cells):
        if not nbgrader.meta(cell):
            out.append(None)
            continue
        where = f"{name}, cell {index}"
        role = nbgrader.role_of(cell, where)
        nbgrader.student_source(cell, where)  # refuses unbalanced markers and AUTOTEST now
        out.append(CellRole("locked" if role.kind == "task" else role.kind, role.question,
                            role.points, role.manual, fmt))
    return out


def foreign_student_cells(nb, name: str, fmt: str):
    """Yield ``(index or None, cell, (type, source, metadata) or None)`` for the student copy.

    A cell the format leaves out is not yielded; ``None`` as entry leaves the cell to native
    rules; ``None`` as index is a cell the format inserts.
    """
    cells = nb.get("cells", [])
    roles = otter.roles(nb, name) if fmt == "otter" else []
    prompted: set = set()
    # otter's check cell goes after the question's last cell (its END QUESTION); only
    # questions with public tests get one, and none where the question says check_cell: false
    public = otterchecks.public_tests(nb, roles) if fmt == "otter" else {}
    ends = {role.question: index for index, role in enumerate(roles) if role.question in public
            and role.config.get("check_cell", True) is not False}
    for index, cell in enumerate(cells):
        where, kind = f"{name}, cell {index}", cell.get("cell_type", "code")
        if fmt == "otter":
            role = roles[index]
            if role.kind == "answer":
                prompted.add(role.question)
            if (role.kind == "solution" and kind != "code" and role.config.get("manual")
                    and role.question not in prompted):
                prompted.add(role.question)  # otter's response cell, once per written answer
                yield None, {}, ("markdown", otter.RESPONSE, {})
            source = otter.student_source(cell, role, where)
            if source is not None:
                locks = {"editable": False, "deletable": False} if role.kind == "question" else {}
                yield index, cell, (kind, source, locks)
            if ends.get(role.question) == index:
                yield None, {}, ("code", otterchecks.selfcheck_source(role.question, public[role.question]),
                                 otterchecks.selfcheck_metadata(role.question))
        elif fmt == "nbgrader" and nbgrader.meta(cell):
            source = nbgrader.student_source(cell, where)
            yield index, cell, (kind, source, nbgrader.student_metadata(cell, source))
        else:
            yield index, cell, None


def foreign_secret_lines(nb, name: str, fmt: str) -> list[list[str] | None]:
    """Each cell's model-answer and hidden-test lines; None for a cell native rules read."""
    cells = nb.get("cells", [])
    if fmt == "otter":
        return [otter.solution_lines(c, r) for c, r in zip(cells, otter.roles(nb, name), strict=True)]
    if fmt != "nbgrader":
        return [None] * len(cells)
    return [nbgrader.solution_text(c, f"{name}, cell {i}") + nbgrader.hidden_lines(c, f"{name}, cell {i}")
            if nbgrader.meta(c) else None for i, c in enumerate(cells)]
