"""The student copy of one exercise set's instructor notebook, in any format the release reads.

Solutions become placeholders (coursekit's ``name = ...``, nbgrader's ``# YOUR CODE HERE`` /
``YOUR ANSWER HERE``, otter's ``...``), hidden tests, otter tests and delimiters and speaker
notes are left out, outputs and execution counts cleared, and cell metadata cut down to
:data:`coursekit.assess.leaks.CELL_METADATA`. What a cell *is* comes from
:func:`coursekit.course.solutions.cell_roles`, the one answer to that question.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
...     "### BEGIN SOLUTION\\ngap = 2022 - 1999\\n### END SOLUTION\\ncheck('ex.gap', gap)")])
>>> q = Question("ex.gap", "number", 1, "gap", {"kind": "number", "answer": 23})
>>> student = student_notebook(ExerciseSet("01-demo", Path("x"), Path("y"), (q,)), nb)
>>> print(student.cells[0].source)
# YOUR ANSWER HERE: replace each ... with your own code or value.
gap = ...
check('ex.gap', gap)
>>> student.cells[0].metadata["coursekit"]
{'questions': ['ex.gap']}
"""

from __future__ import annotations

import ast
from pathlib import Path  # noqa: F401  (used by the doctests)

from coursekit.assess.leaks import CELL_METADATA, cell_id
from coursekit.course.exercises import ExerciseSet, Question  # noqa: F401  (doctests)
from coursekit.course.solutions import (
    assigned_names,
    cell_roles,
    is_secret_tag,
    regions,
    strip_solutions,
    student_cells,
)
from coursekit.errors import CourseError

__all__ = ["student_notebook", "check_structure", "question_cells", "LANGUAGE_INFO", "KERNELSPEC"]

LANGUAGE_INFO = ("name", "version", "mimetype", "file_extension", "codemirror_mode",
                 "nbconvert_exporter", "pygments_lexer")
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def question_cells(exercise: ExerciseSet, nb) -> dict[int, list[str]]:
    """Map cell index to the ids of the questions the cell answers.

    coursekit sets: the questions whose variable a solution region assigns; nbgrader and otter
    sets: the question (grade id, otter name) of each solution, answer or graded cell.
    """
    found: dict[int, list[str]] = {}
    ids = {q.id for q in exercise.questions}
    if exercise.fmt != "coursekit":
        for index, role in enumerate(cell_roles(nb, f"{exercise.name}.ipynb")):
            if role.question in ids and role.kind in ("solution", "test", "locked") and (
                    role.kind != "locked" or role.points is not None):
                found[index] = [role.question]
        return found
    by_variable = {q.variable: q.id for q in exercise.questions}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"{exercise.name}.ipynb, cell {index}"
        for region in regions(cell.source, "code", where=where):
            if region.kind == "hidden":
                continue
            for name in assigned_names("\n".join(region.lines)):
                if name in by_variable and by_variable[name] not in found.setdefault(index, []):
                    found[index].append(by_variable[name])
    return {k: v for k, v in found.items() if v}


def check_structure(exercise: ExerciseSet, nb) -> None:
    """Check that every graded answer sits inside a solution region, and nowhere outside one.

    nbgrader and otter sets are graded by their own cells; for them this checks that every
    cell is classified (:func:`coursekit.course.solutions.cell_roles`).

    Args:
        exercise: the set (its questions name the variables).
        nb: its instructor notebook.

    Raises:
        CourseError: a question's variable is never assigned in a solution region, or a cell
            assigns it a value outside one (the student version would then hold the answer).

    >>> import nbformat
    >>> q = Question("ex.gap", "number", 1, "gap", {"kind": "number", "answer": 23})
    >>> bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("gap = 23")])
    >>> check_structure(ExerciseSet("01-demo", Path("x"), Path("y"), (q,)), bad)
    Traceback (most recent call last):
    ...
    coursekit.errors.CourseError: 01-demo.ipynb, cell 0: assigns the graded variable 'gap' outside ...
    """
    cell_roles(nb, f"{exercise.name}.ipynb")
    if exercise.fmt != "coursekit":
        return
    located = {qid for ids in question_cells(exercise, nb).values() for qid in ids}
    graded = {q.variable: q for q in exercise.questions if q.variable}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"{exercise.name}.ipynb, cell {index}"
        visible = strip_solutions(cell.source, "code", where=where)
        try:
            tree = ast.parse(visible)
        except SyntaxError:
            continue  # IPython magics and the like: nothing to check at the top level
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
            value = getattr(node, "value", None)
            placeholder = isinstance(value, ast.Constant) and value.value in (None, Ellipsis)
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name) and sub.id in graded and not placeholder:
                        raise CourseError(
                            f"{where}: assigns the graded variable {sub.id!r} outside a solution "
                            "region, so the student version would hold the answer. Put the line "
                            "between '### BEGIN SOLUTION' and '### END SOLUTION'.")
    missing = [q for q in exercise.questions if q.id not in located]
    if missing:
        names = ", ".join(f"{q.id} (variable {q.variable!r})" for q in missing)
        raise CourseError(f"{exercise.notebook}: no solution region assigns the answer of "
                          f"{names}. Write the model answer as `variable = ...` between "
                          "'### BEGIN SOLUTION' and '### END SOLUTION'.")


def _metadata(cell, extra: dict) -> dict:
    metadata = {k: v for k, v in (cell.get("metadata") or {}).items()
                if k in CELL_METADATA and k not in ("coursekit", "jupyter", "nbgrader",
                                                     "editable", "deletable")}
    if "tags" in metadata:
        tags = [t for t in metadata["tags"] if not is_secret_tag(t)]
        metadata = {**metadata, "tags": tags} if tags else {
            k: v for k, v in metadata.items() if k != "tags"}
    # Collapsed machinery stays collapsed for students; only the two display flags are
    # copied, so nothing else an instructor put under "jupyter" reaches the release.
    shown = {k: v for k, v in ((cell.get("metadata") or {}).get("jupyter") or {}).items()
             if k in ("source_hidden", "outputs_hidden") and v is True}
    if shown:
        metadata["jupyter"] = shown
    return {**metadata, **extra}


def student_notebook(exercise: ExerciseSet, nb):
    """Return the student version of the instructor notebook ``nb`` (a new notebook).

    Answer cells are marked ``{"coursekit": {"questions": [...]}}``; only attachments the
    visible text still uses are kept; every cell keeps its instructor cell's id (``cell-N``
    when it had none), so the leak scan compares each cell with its own source.

    Raises:
        CourseError: unbalanced solution markers or a cell the format does not allow (the
            message names the cell and line).
    """
    import nbformat

    name = f"{exercise.name}.ipynb"
    questions = question_cells(exercise, nb)
    cells = []
    for index, kind, source, extra in student_cells(nb, name):
        cell = nb.cells[index] if index is not None else {}
        metadata = _metadata(cell, extra)
        if index in questions:
            metadata["coursekit"] = {"questions": questions[index]}
        if kind == "code":
            new = nbformat.v4.new_code_cell(source, metadata=metadata)
        elif kind == "markdown":
            new = nbformat.v4.new_markdown_cell(source, metadata=metadata)
            attachments = {name_: bundle for name_, bundle in (cell.get("attachments") or {}).items()
                           if f"attachment:{name_}" in source}
            if attachments:
                new["attachments"] = attachments
        else:
            new = nbformat.v4.new_raw_cell(source, metadata=metadata)
        new["id"] = cell_id(cell, index) if index is not None else f"inserted-{len(cells)}"
        cells.append(new)
    student = nbformat.v4.new_notebook(cells=cells)
    info = nb.metadata.get("language_info", {})
    student.metadata = {
        "kernelspec": dict(nb.metadata.get("kernelspec") or KERNELSPEC),
        "language_info": {k: v for k, v in info.items() if k in LANGUAGE_INFO} or {"name": "python"},
        "coursekit": {"exercise_set": exercise.name, "version": "student"},
    }
    return student
