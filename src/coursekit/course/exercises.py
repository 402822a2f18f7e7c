"""Exercise sets: the instructor notebooks in ``exercises/`` and the answer specs that grade them.

A set is ``exercises/NN-name.ipynb`` (the one instructor source, solutions marked) plus
``exercises/answers/NN-name.yml``, the plaintext key in the :func:`coursekit.checks.build_keys`
format, extended so that every question says how it is graded::

    ex01.gap-years:
      kind: number          # number | text | set | choice (self-checked), or manual
      answer: 22.9
      step: 0.1
      tolerance: 0.1
      variable: gap_years   # the name the student's answer is bound to (required)
      points: 2             # required, > 0
      hint: "Kind, specific, and never the answer."
    ex04.memo:
      kind: manual          # graded by the instructor with the rubric
      variable: memo
      points: 6
      rubric:
        - {criterion: "Each claim is matched with a source id", points: 2}

The plaintext stays with the instructor; students get only the hashed ``checks.json``.

A notebook written for nbgrader or otter-grader needs no answers file and may keep its own name
(``problem1.ipynb``): its questions are its graded cells (nbgrader ``grade_id`` and ``points``)
or its ``# BEGIN QUESTION`` blocks (otter ``name``, ``points``, ``manual``), of kind ``tests``
(graded by their test cells) or ``manual``.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> (folder / "answers").mkdir()
>>> _ = (folder / "01-demo.ipynb").write_text("{}")
>>> _ = (folder / "answers" / "01-demo.yml").write_text(
...     "ex01.year:\\n  kind: number\\n  answer: 1999\\n  variable: year\\n  points: 2\\n")
>>> [(s.name, s.max_points) for s in discover(folder)]
[('01-demo', 2)]
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from coursekit.answers import KINDS
from coursekit.checks import build_keys
from coursekit.course.files import read_yaml
from coursekit.errors import CourseError

__all__ = ["Question", "ExerciseSet", "discover", "load_set", "build_exercise_keys",
           "keys_text", "notebook_questions", "KEY_SALT_SEED", "MANUAL", "TESTS", "SET_NAME"]

MANUAL = "manual"
TESTS = "tests"   # graded by the notebook's own test cells (nbgrader, otter)
FOREIGN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
KEY_SALT_SEED = "coursekit-exercises"  # reproducible salts, so checks.json diffs cleanly in git
SET_NAME = re.compile(r"^\d{2}-[a-z0-9][a-z0-9-]*$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Question:
    """One graded question: its id, kind, points, the variable holding the answer, its spec.

    ``spec`` is the plaintext entry from the answers file (the instructor's eyes only).
    """

    id: str
    kind: str
    points: float
    variable: str
    spec: dict

    @property
    def manual(self) -> bool:
        """True when the instructor grades it by rubric (``kind: manual``)."""
        return self.kind == MANUAL

    @property
    def rubric(self) -> list[dict]:
        """The rubric rows (``criterion``, ``points``) of a manual question; else ``[]``."""
        return list(self.spec.get("rubric") or [])


@dataclass(frozen=True)
class ExerciseSet:
    """An exercise set: its name (``01-timeline``), instructor notebook, answers file, questions."""

    name: str
    notebook: Path
    answers: Path
    questions: tuple[Question, ...]
    fmt: str = "coursekit"   # or "nbgrader" / "otter": the notebook's own format

    @property
    def max_points(self) -> float:
        """The points of every question together, manual ones included."""
        total = sum(q.points for q in self.questions)
        return int(total) if float(total).is_integer() else total

    def question(self, qid: str) -> Question:
        """Return the question called ``qid``.

        Raises:
            CourseError: no such question in this set.
        """
        for q in self.questions:
            if q.id == qid:
                return q
        raise CourseError(f"{self.answers}: no question {qid!r}.")

    def auto_spec(self) -> dict:
        """The self-checked questions' plaintext spec, in the ``build_keys`` format."""
        return {q.id: {**q.spec, "points": q.points, "variable": q.variable}
                for q in self.questions if not q.manual and q.kind != TESTS}


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _question(qid, item, path: Path, seen_vars: dict) -> Question:
    where = f"{path}, question {qid!r}"
    if not isinstance(qid, str) or not qid.strip():
        raise CourseError(f"{path}: a question id must be text such as 'ex01.gap-years'.")
    if not isinstance(item, dict):
        raise CourseError(f"{where}: expected a mapping with kind, variable and points.")
    kind = item.get("kind")
    if kind not in (*KINDS, MANUAL):
        raise CourseError(f"{where}: kind {kind!r} is not one of {', '.join((*KINDS, MANUAL))}.")
    variable = item.get("variable")
    if not isinstance(variable, str) or not IDENTIFIER.match(variable):
        raise CourseError(f"{where}: give 'variable:', the Python name the student's answer is "
                          "bound to (e.g. variable: gap_years).")
    if variable in seen_vars:
        raise CourseError(f"{where}: variable {variable!r} is already used by question "
                          f"{seen_vars[variable]!r}; each question needs its own variable.")
    seen_vars[variable] = qid
    points = item.get("points")
    if not _number(points) or points <= 0:
        raise CourseError(f"{where}: give 'points:', a positive number.")
    if kind == MANUAL:
        rubric = item.get("rubric")
        if not isinstance(rubric, list) or not rubric:
            raise CourseError(f"{where}: a manual question needs a 'rubric:' list of "
                              "{criterion, points} rows.")
        for number, row in enumerate(rubric, start=1):
            if (not isinstance(row, dict) or not isinstance(row.get("criterion"), str)
                    or not _number(row.get("points"))):
                raise CourseError(f"{where}: rubric row {number} needs 'criterion' (text) and "
                                  "'points' (a number).")
        total = sum(row["points"] for row in rubric)
        if abs(total - points) > 1e-9:
            raise CourseError(f"{where}: the rubric's points add up to {total:g}, but the "
                              f"question is worth {points:g}. Make them agree.")
    elif "answer" not in item and "answers" not in item:
        raise CourseError(f"{where}: give its answer under 'answer' or 'answers'.")
    return Question(qid, kind, points, variable, dict(item))


def _read(notebook: Path):
    from coursekit.course.files import read_notebook

    return read_notebook(notebook)


def notebook_questions(nb, name: str) -> tuple[str, tuple[Question, ...]]:
    """Return ``(format, questions)`` of an nbgrader or otter notebook, read from its cells.

    nbgrader: each graded cell is a question named by its ``grade_id`` (test cells ``tests``,
    graded answer and task cells ``manual``); otter: each ``# BEGIN QUESTION`` block (``manual``
    or ``tests``; points resolved as otter does, :mod:`coursekit.course.otterpoints`).

    >>> nb = {"cells": [{"cell_type": "raw", "source": "# BEGIN QUESTION\\nname: q1\\nmanual: true"},
    ...                 {"cell_type": "markdown", "source": "Why?"},
    ...                 {"cell_type": "raw", "source": "# END QUESTION"}]}
    >>> fmt, qs = notebook_questions(nb, "demo")
    >>> fmt, [(q.id, q.kind, q.points) for q in qs]
    ('otter', [('q1', 'manual', 0.0)])
    """
    from coursekit.course.solutions import cell_roles

    roles = cell_roles(nb, name)
    fmt = roles[0].fmt if roles else "coursekit"
    if fmt == "otter":
        from coursekit.course.otterpoints import question_points

        totals = {q: sum(points) for q, points in question_points(nb, name).items()}
    found: dict[str, Question] = {}
    for index, role in enumerate(roles):
        if not role.question or role.question in found:
            continue
        graded = (fmt == "otter" and role.kind != "delimiter") or role.points is not None
        if not graded or (fmt == "nbgrader" and role.kind not in ("test", "solution", "locked")):
            continue
        points = totals[role.question] if fmt == "otter" else role.points
        kind = MANUAL if role.manual else TESTS
        spec = {"kind": kind, "points": points, "format": fmt, "cell": index}
        if kind == MANUAL:
            spec["rubric"] = [{"criterion": f"{role.question}: as the notebook asks", "points": points}]
        found[role.question] = Question(role.question, kind, points, "", spec)
    return fmt, tuple(found.values())


def load_set(notebook: str | os.PathLike[str]) -> ExerciseSet:
    """Load one exercise set from its instructor notebook's path.

    Args:
        notebook: ``exercises/NN-name.ipynb``; its key is ``exercises/answers/NN-name.yml``.

    Returns:
        The :class:`ExerciseSet`, its questions in the answers file's order.

    Raises:
        CourseError: the answers file is missing, not YAML, or a question lacks what grading
            needs (the message names the file and the question).
    """

    notebook = Path(notebook)
    answers = notebook.parent / "answers" / f"{notebook.stem}.yml"
    if not answers.exists():
        fmt, questions = notebook_questions(_read(notebook), notebook.name)
        if fmt != "coursekit":
            if not questions:
                raise CourseError(f"{notebook}: an {fmt} notebook with no graded cell or question.")
            return ExerciseSet(notebook.stem, notebook, answers, questions, fmt)
    if not answers.is_file():
        raise CourseError(f"{notebook}: its answers file {answers} is missing. Every exercise "
                          "set needs one (see docs/instructor-workflow.md).")
    spec = read_yaml(answers)
    if not isinstance(spec, dict) or not spec:
        raise CourseError(f"{answers}: expected a mapping of question ids to their answers.")
    seen: dict = {}
    questions = tuple(_question(qid, item, answers, seen) for qid, item in spec.items())
    return ExerciseSet(notebook.stem, notebook, answers, questions)


def _foreign(path: Path) -> bool:
    """True for an nbgrader or otter notebook (any name); False for anything else."""
    from coursekit.course.solutions import notebook_format

    try:
        return notebook_format(_read(path), path.name) != "coursekit"
    except CourseError:
        return True  # a broken foreign notebook is reported by load_set, not skipped


def discover(exercises_dir: str | os.PathLike[str], names=None) -> list[ExerciseSet]:
    """Return the exercise sets in ``exercises_dir`` (``NN-name.ipynb``), sorted by name.

    Args:
        exercises_dir: the instructor folder (``exercises/``).
        names: only these sets (``"01-timeline"``, ``"01"`` or ``"01-timeline.ipynb"``).

    Returns:
        One :class:`ExerciseSet` per notebook, with its questions loaded and checked.

    Raises:
        CourseError: the folder is missing or empty, a name matches no set, or two sets share
            a question id.
    """
    folder = Path(exercises_dir)
    if not folder.is_dir():
        raise CourseError(f"{folder}: no such folder of exercise sets. Pass the folder that "
                          "holds the instructor notebooks (exercises/).")
    paths = sorted(p for p in folder.glob("*.ipynb") if SET_NAME.match(p.stem) or (
        FOREIGN_NAME.match(p.stem) and _foreign(p)))
    if not paths:
        raise CourseError(f"{folder}: no exercise sets (files named like 01-timeline.ipynb, or "
                          "nbgrader / otter-grader notebooks).")
    if names:
        chosen = []
        for name in names:
            stem = Path(str(name)).stem
            match = [p for p in paths if p.stem == stem or p.stem.split("-")[0] == stem]
            if not match:
                raise CourseError(f"No exercise set {name!r} in {folder}. The sets are: "
                                  f"{', '.join(p.stem for p in paths)}.")
            chosen += [p for p in match if p not in chosen]
        paths = chosen
    sets = [load_set(p) for p in paths]
    owner: dict[str, str] = {}
    for exercise in sets:
        if exercise.fmt != "coursekit":
            continue  # nbgrader grade ids and otter names are unique per notebook only
        for q in exercise.questions:
            if q.id in owner:
                raise CourseError(f"Question id {q.id!r} is used by both {owner[q.id]} and "
                                  f"{exercise.name}; ids must be unique across sets.")
            owner[q.id] = exercise.name
    return sets


def build_exercise_keys(sets) -> dict:
    """Hash the self-checked questions of ``sets`` into one key document (no plaintext kept).

    Args:
        sets: the exercise sets whose questions go into the key.

    Returns:
        A ``coursekit-checks/1`` document with reproducible salts; manual questions are left out.

    Raises:
        CourseError: an answer that does not fit its kind (the message names the question).

    >>> q = Question("ex.q", "number", 1, "x", {"kind": "number", "answer": 3})
    >>> keys = build_exercise_keys([ExerciseSet("01-x", Path("x"), Path("y"), (q,))])
    >>> keys["questions"]["ex.q"]["variable"], "answer" in keys["questions"]["ex.q"]
    ('x', False)
    """
    merged: dict = {}
    for exercise in sets:
        merged.update(exercise.auto_spec())
    try:
        return build_keys(merged, salt_seed=KEY_SALT_SEED)
    except CourseError as exc:
        raise CourseError(f"exercise answers: {exc}") from None


def keys_text(keys: dict) -> str:
    """The key document as it is written to ``checks.json`` (stable, so it diffs cleanly)."""
    return json.dumps(keys, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
