"""Grading nbgrader and otter-grader submissions by their test cells, with per-test points.

Three steps, each usable alone, so the sandboxed runner of :mod:`coursekit.assess.grade` can run
the notebook in between:

1. :func:`identify` finds the set a submission belongs to from what it carries (coursekit's
   ``exercise_set``, or the nbgrader ``grade_id`` / otter question names of its cells);
2. :func:`grading_notebook` builds the notebook to run, as ``nbgrader autograde`` does: the
   student's cells, with every read-only cell (tests, locked and task cells) put back from the
   instructor's source (hidden tests included) and a note for each one the student edited
   (its nbgrader ``checksum`` no longer matches); for otter, each question's tests (public and
   hidden) run right after the question's last cell, and the student's self-check cells
   (:mod:`coursekit.course.otterchecks`) are never run: an edited one is noted, and changes
   nothing;
3. :func:`score` reads the run: an nbgrader test cell scores its points unless it raised (or
   wrote to stderr), or its value when it shows one (partial credit); an otter test scores its
   share of the question's points when it ran cleanly and showed what the instructor's run
   showed (``True`` when the instructor notebook was saved without outputs); manual
   questions are left for marking, unanswered ones score 0.

Rows have the shape of :mod:`coursekit.assess.grade`'s (student, set, question, points,
max_points, status, message, answer).
"""

from __future__ import annotations

import copy
import re

from coursekit.course import nbgrader
from coursekit.course.exercises import MANUAL
from coursekit.course.notebooks import source as _text
from coursekit.course.otterchecks import recorded_output, selfcheck_question
from coursekit.course.solutions import cell_roles
from coursekit.selftests import normal_output, shows_expected

__all__ = ["identify", "grading_notebook", "score", "TEST_MARK"]

TEST_MARK = "coursekit-test"   # metadata key on the cells this module adds or restores
CHECK = re.compile(r"""grader\.check\(\s*["']([^"']+)["']\s*\)""")
# otter's own runtime lines in a submission: the grader runs the tests itself, offline
OTTER_RUNTIME = re.compile(r"^\s*(import otter\b.*|from otter\b.*|grader\s*=\s*otter\.Notebook\(.*\)"
                           r"|grader\.(check|check_all|export|to_pdf)\(.*\))\s*;?\s*$")


def identify(doc: dict, sets: list):
    """Return the nbgrader/otter set ``doc`` (a submitted notebook as JSON) belongs to, or None.

    The set whose questions the submission's nbgrader ``grade_id``s (or coursekit question
    marks, which the release writes for otter sets) cover best; ties give None.
    """
    meta = (doc.get("metadata") or {}).get("coursekit") or {}
    named = {s.name: s for s in sets}.get(meta.get("exercise_set")) if isinstance(meta, dict) else None
    if named is not None and named.fmt != "coursekit":
        return named
    seen = set()
    for cell in doc.get("cells", []):
        if not isinstance(cell, dict):
            continue
        seen.add(nbgrader.meta(cell).get("grade_id"))
        seen.update(CHECK.findall(_text(cell)) if cell.get("cell_type") == "code" else [])
        marks = ((cell.get("metadata") or {}).get("coursekit") or {}).get("questions") or []
        seen.update(q for q in marks if isinstance(q, str))
        seen.add(selfcheck_question(cell))
    scores = sorted(((len(seen & {q.id for q in s.questions}), s.name) for s in sets
                     if s.fmt != "coursekit"), reverse=True)
    if scores and scores[0][0] and (len(scores) == 1 or scores[0][0] > scores[1][0]):
        return named or {s.name: s for s in sets}[scores[0][1]]
    return None


def _mark(cell, **what):
    cell.setdefault("metadata", {})[TEST_MARK] = what
    return cell


def grading_notebook(exercise, instructor, submitted: dict) -> tuple[dict, list[str]]:
    """Return ``(notebook to run, notes)`` for one submission of an nbgrader or otter set.

    Args:
        exercise: the set (its ``fmt`` is ``"nbgrader"`` or ``"otter"``).
        instructor: the instructor notebook (with solutions and hidden tests).
        submitted: the submitted notebook (JSON as read).

    Returns:
        The notebook to execute (outputs cleared; cells this module put there are marked with
        :data:`TEST_MARK`) and the notes to show the student (edited read-only cells).
    """
    from coursekit.assess.student import student_notebook

    name = f"{exercise.name}.ipynb"
    student = student_notebook(exercise, instructor).cells
    released = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): c for c in student}
    checks = {selfcheck_question(c): _text(c) for c in student if selfcheck_question(c)}
    roles = cell_roles(instructor, name)
    originals = {nbgrader.meta(c).get("grade_id"): (c, r) for c, r in zip(instructor.cells, roles, strict=True)}
    notes: list[str] = []
    cells = []
    for number, cell in enumerate(submitted.get("cells", []), start=1):
        cell = copy.deepcopy(cell)
        if isinstance(cell.get("metadata"), dict):
            cell["metadata"].pop(TEST_MARK, None)   # only this module marks tests, never a student
        cell["source"] = _text(cell)  # a file stores it as a list of lines
        cell["outputs"] = [] if cell.get("cell_type") == "code" else cell.get("outputs")
        if cell.get("outputs") is None:
            cell.pop("outputs", None)
        grade_id = nbgrader.meta(cell).get("grade_id")
        checked = selfcheck_question(cell) if exercise.fmt == "otter" else None
        if checked is not None:
            # A self-check is the student's to run, never the grader's: whatever it holds now
            # (edited, or rewritten to print "passed" or to set an answer) is not run.
            if _text(cell).strip() != checks.get(checked, "").strip():
                notes.append(f"Cell {number} (the self-check of {checked}) is read-only and was "
                             "edited; the grader does not run self-checks (it runs the "
                             "instructor's tests), so the edit changed nothing.")
            cell["source"] = f"# the self-check of {checked}: not run at grading"
            _mark(cell, question=checked, kind="selfcheck")
        elif exercise.fmt == "nbgrader" and grade_id in originals:
            original, role = originals[grade_id]
            if role.kind in ("test", "locked"):
                mine = released.get(grade_id)
                if mine is not None and nbgrader.checksum({**mine, "source": _text(cell)}) != \
                        mine["metadata"]["nbgrader"]["checksum"]:
                    notes.append(f"Cell {number} ({grade_id}) is read-only and was edited; the "
                                 "grader used the original cell, as nbgrader does.")
                cell["source"] = _text(original)  # hidden tests go back in
                cell["cell_type"] = original.get("cell_type")
                _mark(cell, question=grade_id, kind=role.kind)
            elif role.kind == "solution" and role.manual and grade_id in released:
                # nbgrader scores an answer cell left as released 0 without asking a marker
                unchanged = _text(cell) == _text(released[grade_id])
                _mark(cell, question=grade_id, kind="answer", unchanged=unchanged)
        cells.append(cell)
    if exercise.fmt == "otter":
        cells = _otter_tests(exercise, instructor, roles, cells)
    return {**submitted, "cells": cells}, notes


def _otter_tests(exercise, instructor, roles, cells):
    """Append each question's tests after the last submitted cell marked with that question."""
    from coursekit.course.otterpoints import question_points

    points = question_points(instructor, f"{exercise.name}.ipynb")
    tests: dict[str, list] = {}
    for cell, role in zip(instructor.cells, roles, strict=True):
        if role.kind in ("test", "hidden-test"):
            mine = tests.setdefault(role.question, [])
            mine.append((_text(cell), role.kind, recorded_output(cell), points[role.question][len(mine)]))
    last: dict[str, int] = {}
    for index, cell in enumerate(cells):
        marks = ((cell.get("metadata") or {}).get("coursekit") or {}).get("questions") or []
        checks = CHECK.findall(cell["source"]) if cell.get("cell_type") == "code" else []
        mark = (cell.get("metadata") or {}).get(TEST_MARK)
        checks += [mark["question"]] if isinstance(mark, dict) and mark.get("kind") == "selfcheck" else []
        for qid in [*marks, *checks]:   # coursekit's answer marks, or otter's check cell
            last[qid] = index
        if cell.get("cell_type") == "code":
            cell["source"] = "\n".join(line for line in cell["source"].split("\n")
                                       if not OTTER_RUNTIME.match(line))
    out = []
    for index, cell in enumerate(cells):
        out.append(cell)
        for qid in [q for q, at in last.items() if at == index]:
            for number, (source, kind, want, share) in enumerate(tests.get(qid, []), start=1):
                out.append(_mark({"cell_type": "code", "source": source, "metadata": {},
                                  "outputs": [], "execution_count": None},
                                 question=qid, kind=kind, test=number, want=want, points=share))
    for qid in tests:
        if qid not in last:  # the answer cell was deleted: run the tests at the end
            for number, (source, kind, want, share) in enumerate(tests[qid], start=1):
                out.append(_mark({"cell_type": "code", "source": source, "metadata": {},
                                  "outputs": [], "execution_count": None},
                                 question=qid, kind=kind, test=number, want=want, points=share))
    return out


def _failed(cell, stderr_fails: bool = True) -> str | None:
    """Why a test cell failed, or None: it raised, or (nbgrader's rule; otter's doctests
    compare only what a test shows) it wrote to stderr."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue', '')}"[:300]
        if stderr_fails and out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "it wrote an error message"
    return None


def _value(cell) -> str | None:
    # numpy 2 shows np.isclose(...) as np.True_; the recorded output says True
    return normal_output(recorded_output(cell))


def score(exercise, executed: dict, student: str) -> list[dict]:
    """Return one row per question of ``exercise`` from the executed grading notebook.

    >>> from pathlib import Path
    >>> from coursekit.course.exercises import ExerciseSet, Question
    >>> q = Question("t1", "tests", 2.0, "", {"kind": "tests", "points": 2.0})
    >>> ran = {"cells": [{"cell_type": "code", "source": "assert f(1) == 2", "outputs": [],
    ...        "metadata": {TEST_MARK: {"question": "t1", "kind": "test"}}}]}
    >>> [(r["question"], r["points"], r["status"]) for r in score(
    ...     ExerciseSet("p1", Path("p"), Path("p"), (q,), "nbgrader"), ran, "ada")]
    [('t1', 2.0, 'correct')]
    """
    by_question: dict[str, list] = {}
    blank = set()
    for cell in executed.get("cells", []):
        mark = (cell.get("metadata") or {}).get(TEST_MARK)
        if isinstance(mark, dict) and mark.get("kind") in ("test", "hidden-test"):
            by_question.setdefault(mark["question"], []).append((cell, mark))
        elif isinstance(mark, dict) and mark.get("kind") == "answer" and mark.get("unchanged"):
            blank.add(mark["question"])
    rows = []
    for q in exercise.questions:
        row = {"student": student, "set": exercise.name, "question": q.id, "points": 0,
               "max_points": q.points, "status": "", "message": "", "answer": ""}
        if q.id in blank:
            row.update(status="unanswered", message="Not yet answered: the answer cell is as "
                       "it was released.")
            rows.append(row)
            continue
        if q.kind == MANUAL:
            row.update(status="manual", points="", message="Marked by the instructor.")
            rows.append(row)
            continue
        runs = by_question.get(q.id, [])
        if not runs:
            row.update(status="missing", message="The test cells of this question were not found "
                       "in the notebook; it may have been deleted.")
            rows.append(row)
            continue
        got, failed = 0.0, []
        for cell, mark in runs:
            share = mark.get("points", q.points / len(runs))  # otter: each test's own points
            problem = _failed(cell, exercise.fmt == "nbgrader")
            value = _value(cell)
            label = f"{'hidden ' if mark.get('kind') == 'hidden-test' else ''}test {mark.get('test', 1)}"
            if problem:
                # a hidden test's error message may quote its expected value: never shown
                failed.append(f"{label} failed" + ("" if "hidden" in label else f" ({problem})"))
            elif exercise.fmt == "otter" and not shows_expected(value, mark.get("want")):
                # otter compares with the instructor's recorded output (the self-checks' rule)
                failed.append(f"{label} did not show the expected value")
            elif exercise.fmt == "nbgrader" and value is not None:
                try:
                    got += min(max(float(value), 0.0), share)  # nbgrader's partial credit
                except ValueError:
                    got += share
            else:
                got += share
        got = round(got, 6)
        status = "correct" if got >= q.points - 1e-9 else "incorrect"
        hidden = sum(1 for _, m in runs if m.get("kind") == "hidden-test")
        message = (f"{len(runs) - len(failed)} of {len(runs)} test(s) passed"
                   + (f" ({hidden} hidden)" if hidden else "") + ". " + "; ".join(failed))
        row.update(points=got, status=status, message=message.strip())
        rows.append(row)
    return rows
