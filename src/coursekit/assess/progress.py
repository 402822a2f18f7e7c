"""Progress: which self-checks you have passed, read from your saved notebooks.

It works offline and only reads: no notebook is run, changed or re-saved. It reads the
notebooks as they are on disk, so save in Jupyter first (Ctrl+S, Cmd+S on a Mac); a file that
cannot be read gets a message naming it and saying how to get a working copy back.
The states and how they are read are :mod:`coursekit.assess.selfchecks`; the table is
:mod:`coursekit.assess.progresstable`; the command is :mod:`coursekit.cli.progress`.

>>> NotebookProgress(Path("a.ipynb"), "A", {"q1": "passed", "q2": "not run"}).count("passed")
1
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.assess.selfchecks import notebook_status
from coursekit.course.model import Course
from coursekit.course.notebooks import source as cell_source
from coursekit.errors import NotebookError

__all__ = ["NotebookProgress", "read_notebook", "notebook_progress", "has_solutions",
           "default_notebooks", "collect", "by_student", "display_path", "EXERCISE_FOLDERS"]

# Places (of the course model) whose notebooks are exercise sets, in this order.
EXERCISE_FOLDERS = ("exercises", "release")


@dataclass(frozen=True)
class NotebookProgress:
    """One notebook's self-checks: question id to state, in the order the notebook asks them.

    ``error`` holds the message when the notebook could not be read (then ``questions`` is empty).
    """

    path: Path
    title: str
    questions: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    instructor: bool = False  # an exercise set's instructor source (it holds the solutions)

    def count(self, state: str) -> int:
        """Return how many questions are in ``state`` (``passed``, ``not yet`` or ``not run``).

        >>> NotebookProgress(Path("a.ipynb"), "A", {"q1": "passed"}).count("not yet")
        0
        """
        return sum(1 for s in self.questions.values() if s == state)




def read_notebook(path: str | os.PathLike[str]) -> dict:
    """Read the notebook at ``path`` as JSON, without changing the file in any way.

    Unlike :func:`coursekit.course.files.read_notebook` (the course's own notebooks, through
    nbformat), this reads a student's saved copy as plain JSON, never validated or upgraded,
    and its messages say how to get the saved work back.

    Args:
        path: an ``.ipynb`` file.

    Returns:
        The notebook as a dict (nbformat 4).

    Raises:
        NotebookError: the file is missing, empty, not JSON or not a notebook; the message
            names the file and says how to get a good copy back.

    >>> read_notebook("no-such-lesson.ipynb")
    Traceback (most recent call last):
    ...
    coursekit.errors.NotebookError: no-such-lesson.ipynb: there is no such file...
    """
    path = Path(path)
    restore = (f" To get a working copy back: JupyterLab keeps the last checkpoint in "
               f"{Path('.ipynb_checkpoints') / (path.stem + '-checkpoint.ipynb')} next to it; in a git clone "
               f"'git checkout -- {path.as_posix()}' brings back the course's version (your answers "
               "in it are then lost).")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotebookError(f"{path}: there is no such file. Check the name, or run "
                            "'coursekit progress' from inside the course folder.") from None
    except IsADirectoryError:
        raise NotebookError(f"{path}: this is a folder, not a notebook.") from None
    except OSError as exc:
        raise NotebookError(f"{path}: cannot be opened ({exc.strerror or exc}).") from None
    if not raw.strip():
        raise NotebookError(f"{path}: the file is empty, so it holds no saved work.{restore}")
    try:
        nb = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise NotebookError(f"{path}: not a notebook (it is not UTF-8 text).{restore}") from None
    except json.JSONDecodeError as exc:
        raise NotebookError(f"{path}: not a notebook Jupyter can read (broken JSON at line "
                            f"{exc.lineno}, column {exc.colno}: {exc.msg}).{restore}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        version = nb.get("nbformat") if isinstance(nb, dict) else None
        if isinstance(version, int) and version < 4:
            raise NotebookError(f"{path}: saved in the old notebook format {version}; open it in "
                                "JupyterLab and save it once to update it.")
        raise NotebookError(f"{path}: this JSON file has no list of cells, so it is not a "
                            f"notebook.{restore}")
    return nb


def _title(nb: dict, fallback: str) -> str:
    for cell in nb.get("cells", [])[:3]:
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            for line in cell_source(cell).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def display_path(path: Path) -> str:
    try:
        return Path(os.path.relpath(path)).as_posix()
    except ValueError:  # another drive on Windows
        return str(path)


def notebook_progress(path: str | os.PathLike[str], title: str | None = None) -> NotebookProgress:
    """Read one notebook and return its :class:`NotebookProgress` (never raises for a bad file).

    Args:
        path: the notebook.
        title: the name to show (default: the notebook's ``# `` title, else its path).
    """
    path = Path(display_path(Path(path)))  # messages name the file as the student would type it
    try:
        nb = read_notebook(path)
    except NotebookError as exc:
        return NotebookProgress(path, title or display_path(path), error=str(exc))
    return NotebookProgress(path, title or _title(nb, display_path(path)), notebook_status(nb),
                            instructor=has_solutions(nb))


def has_solutions(nb: dict) -> bool:
    """Return True if the notebook holds model solutions (an instructor's exercise source).

    >>> has_solutions({"cells": [{"cell_type": "code", "source": "gap = 2022 - 1999  # SOLUTION"}]})
    True
    >>> has_solutions({"cells": [{"cell_type": "code", "source": "gap = ..."}]})
    False
    """
    from coursekit.course.solutions import has_solution
    from coursekit.errors import CourseError

    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown"):
            continue
        try:
            if has_solution(cell_source(cell), cell["cell_type"]):
                return True
        except CourseError:  # an unclosed BEGIN SOLUTION is still a solution region
            return True
    return False


def default_notebooks(root: str | os.PathLike[str] | None = None) -> list[tuple[Path, str | None]]:
    """Return the course's notebooks with their titles: the lessons in teaching order (from
    ``notebooks/toc.yml``), then the exercise sets in ``exercises/`` and ``release/``.

    Raises:
        CourseError: no course folder above ``root`` (default: the working directory).
    """
    course = Course.find(root)
    found: list[tuple[Path, str | None]] = [(course.notebooks / e["file"], e["title"])
                                            for e in course.lessons()]
    return found + [(path, None) for path in _exercise_paths(course)]


def _exercise_paths(course: Course) -> list[Path]:
    return [path for place in EXERCISE_FOLDERS
            for path in sorted(getattr(course, place).rglob("*.ipynb"))
            if ".ipynb_checkpoints" not in path.parts]


def collect(paths=None, *, instructor: bool = False) -> list[NotebookProgress]:
    """Return the progress of each notebook in ``paths`` (files or folders searched for
    ``.ipynb`` files); by default the course's lessons and exercise sets.

    By default the instructors' exercise sources (notebooks with model solutions, whose saved
    results are the model answers' results) are left out; ``instructor=True`` keeps them.
    Notebooks named in ``paths`` are always kept.
    """
    if not paths:
        rows = [notebook_progress(path, title) for path, title in default_notebooks()]
        return [row for row in rows if instructor or not row.instructor]
    rows = []
    for given in map(Path, paths):
        if given.is_dir():
            found = [p for p in sorted(given.rglob("*.ipynb"))
                     if ".ipynb_checkpoints" not in p.parts]
            rows += by_student(given, [notebook_progress(p) for p in found])
        else:
            rows.append(notebook_progress(given))
    return rows


def by_student(folder: Path, rows: list[NotebookProgress]) -> list[NotebookProgress]:
    """A folder of submissions as one row per student, named by the submission's folder or
    file name (``amina/01-timeline.ipynb`` and ``amina-02-energy.ipynb`` are both "amina").

    Only when several notebooks share a title (students' copies of one set); a folder of
    distinct notebooks keeps one row per notebook.

    >>> rows = [NotebookProgress(Path("s/amina/01-x.ipynb"), "Set 1", {"q1": "passed"}),
    ...         NotebookProgress(Path("s/amina/02-y.ipynb"), "Set 2", {"q2": "not run"}),
    ...         NotebookProgress(Path("s/ben-01-x.ipynb"), "Set 1", {"q1": "not yet"})]
    >>> [(r.title, r.questions) for r in by_student(Path("s"), rows)]
    [('amina', {'q1': 'passed', 'q2': 'not run'}), ('ben', {'q1': 'not yet'})]
    """
    from coursekit.assess.gradebook import student_key

    titles = [row.title for row in rows]
    if len(set(titles)) == len(titles):
        return rows  # a folder of lessons (each its own title), not several students' copies
    grouped: dict[str, NotebookProgress] = {}
    for row in rows:
        try:
            relative = Path(row.path).resolve().relative_to(folder.resolve()).as_posix()
        except ValueError:
            relative = Path(row.path).as_posix()
        named = re.search(r"\d{2}-[a-z0-9][a-z0-9-]*", Path(relative).stem)
        key = student_key(relative, named.group(0) if named else "")
        before = grouped.get(key)
        if before is None:
            grouped[key] = NotebookProgress(row.path, key, dict(row.questions), row.error,
                                            row.instructor)
        else:
            grouped[key] = NotebookProgress(before.path, key, {**before.questions, **row.questions},
                                            before.error or row.error,
                                            before.instructor or row.instructor)
    return list(grouped.values())


