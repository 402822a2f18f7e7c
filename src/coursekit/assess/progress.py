"""``coursekit progress``: which self-checks you have passed, read from your saved notebooks.

It works offline and only reads: no notebook is run, changed or re-saved. For each notebook it
finds the questions the notebook asks (its ``check("id", ...)`` calls) and the results saved
under them (the ``{"coursekit": {"question", "passed"}}`` marker that every self-check result
carries in its output metadata), and gives each question one of three states:

- ``passed``: the saved result of the check is right;
- ``not yet``: the check was run with an answer that is not right yet;
- ``not run``: no saved result, or only the placeholder (``None``) was checked.

Where a notebook checks one question in several cells (a lesson may first show what a wrong
answer looks like, then leave the student a cell of their own), the last saved result in the
notebook decides, just as a reader scrolling down would see it.

It reads the notebooks as they are on disk, so save in Jupyter first (Ctrl+S, Cmd+S on a Mac).

>>> nb = {"nbformat": 4, "cells": [
...     _code('check("01.gap-years", gap_years)', passed=True),
...     _code('check("01.first-visit", year)', passed=False),
...     _code('check("01.tashkent", place)')]}
>>> notebook_status(nb)
{'01.gap-years': 'passed', '01.first-visit': 'not yet', '01.tashkent': 'not run'}
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.errors import NotebookError

__all__ = ["PASSED", "NOT_YET", "NOT_RUN", "NotebookProgress", "read_notebook", "question_ids",
           "saved_results", "notebook_status", "notebook_progress", "has_solutions",
           "default_notebooks", "collect", "format_table", "configure", "run"]

PASSED, NOT_YET, NOT_RUN = "passed", "not yet", "not run"
STATES = (PASSED, NOT_YET, NOT_RUN)
# What coursekit.checks says when the answer is still the placeholder None (or ...):
# the cell was run, but nothing was answered, so it counts as "not run".
PLACEHOLDER_PREFIX = "Not yet answered"
# Folders (under the course root) whose notebooks are exercise sets, in this order.
EXERCISE_FOLDERS = ("exercises", "release")
_CHECK_CALL = re.compile(r"""\bcheck\(\s*(?:question_id\s*=\s*)?(["'])([^"'\n]+)\1""")
_MAGIC = re.compile(r"^\s*[%!]")
WIDTH = 96  # the "still to do" lines wrap here


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

        >>> NotebookProgress(Path("a.ipynb"), "A", {"q1": PASSED, "q2": NOT_RUN}).count(PASSED)
        1
        """
        return sum(1 for s in self.questions.values() if s == state)


def _code(source: str, passed: bool | None = None, answered: bool = True) -> dict:
    """Build a code cell as a saved notebook holds it (for the examples and the tests)."""
    outputs = []
    if passed is not None:
        text = ("Correct." if passed else "Not yet: look again." if answered
                else f"{PLACEHOLDER_PREFIX}: replace the placeholder with your answer.")
        qid = _CHECK_CALL.search(source).group(2)
        outputs.append({"output_type": "execute_result", "execution_count": 1,
                        "data": {"text/plain": text},
                        "metadata": {"coursekit": {"question": qid, "passed": passed}}})
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": outputs,
            "execution_count": 1 if outputs else None}


def read_notebook(path: str | os.PathLike[str]) -> dict:
    """Read the notebook at ``path`` as JSON, without changing the file in any way.

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


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _code_cells(nb: dict):
    return [c for c in nb.get("cells", []) if isinstance(c, dict) and c.get("cell_type") == "code"]


def question_ids(nb: dict) -> list[str]:
    """Return the self-check ids a notebook asks, in order: the ``check("id", ...)`` calls.

    IPython magics (``%time``, ``!ls``) are skipped; a cell that is not valid Python is
    searched as text, so a half-edited cell still counts its question.

    >>> question_ids({"cells": [_code('check("02.day", day)\\ncheck("02.day", 24)'),
    ...                         _code('%time check("02.hours", hours)'),
    ...                         _code('check("02.gap", 2022 - )'),
    ...                         {"cell_type": "markdown", "source": 'check("not.code", 1)'}]})
    ['02.day', '02.hours', '02.gap']
    """
    found: dict[str, None] = {}
    for cell in _code_cells(nb):
        source = _source(cell)
        lines = source.splitlines()
        clean = "\n".join("" if _MAGIC.match(line) else line for line in lines)
        try:
            ids = _ids_from_ast(ast.parse(clean))
            magic = "\n".join(line for line in lines if _MAGIC.match(line))
            ids += [m.group(2) for m in _CHECK_CALL.finditer(magic)]
        except (SyntaxError, ValueError):
            ids = [m.group(2) for m in _CHECK_CALL.finditer(source)]
        for qid in ids:
            found.setdefault(qid, None)
    return list(found)


def _ids_from_ast(tree: ast.AST) -> list[str]:
    ids = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name != "check":
            continue
        args = node.args[:1] + [kw.value for kw in node.keywords if kw.arg == "question_id"]
        for arg in args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                ids.append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0), arg.value))
    return [qid for *_, qid in sorted(ids)]


def saved_results(nb: dict) -> dict[str, str]:
    """Return the state of each question that has a saved self-check result.

    Where a question was checked more than once, the last saved result in the notebook counts:
    below, the lesson's demonstration of a wrong answer to ``q1`` comes first and the student's
    own cell last, and the placeholder in ``q2`` means it was not answered yet.

    >>> saved_results({"cells": [_code('check("q1", "two days")', passed=False),
    ...                          _code('check("q1", days)', passed=True),
    ...                          _code('check("q2", None)', passed=False, answered=False)]})
    {'q1': 'passed', 'q2': 'not run'}
    """
    states: dict[str, str] = {}
    for cell in _code_cells(nb):
        outputs = cell.get("outputs")
        for out in outputs if isinstance(outputs, list) else []:
            if not isinstance(out, dict):
                continue
            meta = out.get("metadata")
            marker = meta.get("coursekit") if isinstance(meta, dict) else None
            if not isinstance(marker, dict):
                continue
            qid, passed = marker.get("question"), marker.get("passed")
            if not isinstance(qid, str) or not isinstance(passed, bool):
                continue
            if passed:
                state = PASSED
            else:
                data = out.get("data") if isinstance(out.get("data"), dict) else {}
                text = data.get("text/plain", "")
                text = "".join(text) if isinstance(text, list) else str(text)
                state = NOT_RUN if text.startswith(PLACEHOLDER_PREFIX) else NOT_YET
            states[qid] = state
    return states


def notebook_status(nb: dict) -> dict[str, str]:
    """Return every question of a notebook with its state, in the order they are asked.

    Questions with a saved result but no ``check`` call left in the code (a student may
    have rewritten the cell) are listed after the others.
    """
    saved = saved_results(nb)
    status = {qid: saved.get(qid, NOT_RUN) for qid in question_ids(nb)}
    for qid, state in saved.items():
        status.setdefault(qid, state)
    return status


def _title(nb: dict, fallback: str) -> str:
    for cell in nb.get("cells", [])[:3]:
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            for line in _source(cell).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _display(path: Path) -> str:
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
    path = Path(_display(Path(path)))  # messages name the file as the student would type it
    try:
        nb = read_notebook(path)
    except NotebookError as exc:
        return NotebookProgress(path, title or _display(path), error=str(exc))
    return NotebookProgress(path, title or _title(nb, _display(path)), notebook_status(nb),
                            instructor=has_solutions(nb))


def has_solutions(nb: dict) -> bool:
    """Return True if the notebook holds model solutions (an instructor's exercise source).

    >>> has_solutions({"cells": [_code("gap = 2022 - 1999  # SOLUTION")]})
    True
    >>> has_solutions({"cells": [_code("gap = ...")]})
    False
    """
    from coursekit.course.solutions import has_solution
    from coursekit.errors import CourseError

    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown"):
            continue
        try:
            if has_solution(_source(cell), cell["cell_type"]):
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
    from coursekit.course.lessons import read_toc
    from coursekit.paths import course_root

    base = course_root(root)
    found: list[tuple[Path, str | None]] = [(base / "notebooks" / e["file"], e["title"])
                                            for e in read_toc(base)]
    return found + [(path, None) for path in _exercise_paths(base)]


def _exercise_paths(base: Path) -> list[Path]:
    return [path for folder in EXERCISE_FOLDERS for path in sorted((base / folder).rglob("*.ipynb"))
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

    >>> rows = [NotebookProgress(Path("s/amina/01-x.ipynb"), "Set 1", {"q1": PASSED}),
    ...         NotebookProgress(Path("s/amina/02-y.ipynb"), "Set 2", {"q2": NOT_RUN}),
    ...         NotebookProgress(Path("s/ben-01-x.ipynb"), "Set 1", {"q1": NOT_YET})]
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


def format_table(rows: list[NotebookProgress], *, questions: bool = False) -> str:
    """Return the progress table as text: one line per notebook and a total.

    Below the table it lists what is still to do (with ``questions=True``, every question).

    >>> rows = [NotebookProgress(Path("01.ipynb"), "01 · History",
    ...                          {"01.a": PASSED, "01.b": NOT_YET, "01.c": NOT_RUN}),
    ...         NotebookProgress(Path("02.ipynb"), "02 · Visit", error="02.ipynb: broken")]
    >>> print(format_table(rows))
    Notebook       Passed  Not yet  Not run
    ------------  -------  -------  -------
    01 · History   1 of 3        1        1
    02 · Visit    could not be read (see the message above)
    ------------  -------  -------  -------
    All           1 of 3        1        1
    <BLANKLINE>
    Still to do:
      01 · History: 01.b (not yet), 01.c (not run)
    >>> print("\\n".join(format_table(rows[:1], questions=True).splitlines()[-4:]))
      01 · History
        passed   01.a
        not yet  01.b
        not run  01.c
    """
    head = ("Notebook", "Passed", "Not yet", "Not run")
    width = max([len(head[0]), len("All")] + [len(r.title) for r in rows])
    cols = [max(len(h), 7) for h in head[1:]]
    rule = "  ".join(["-" * width] + ["-" * c for c in cols])

    def line(name: str, cells) -> str:
        return "  ".join([name.ljust(width)] + [str(v).rjust(c) for v, c in zip(cells, cols, strict=True)])

    lines = [line(head[0], head[1:]).rstrip(), rule]
    total = {state: 0 for state in STATES}
    for row in rows:
        if row.error:
            lines.append(f"{row.title.ljust(width)}  could not be read (see the message above)")
            continue
        if not row.questions:
            lines.append(f"{row.title.ljust(width)}  no self-checks")
            continue
        counts = {state: row.count(state) for state in STATES}
        for state, n in counts.items():
            total[state] += n
        lines.append(line(row.title, (f"{counts[PASSED]} of {len(row.questions)}",
                                      counts[NOT_YET], counts[NOT_RUN])))
    lines.append(rule)
    lines.append(line("All", (f"{total[PASSED]} of {sum(total.values())}",
                              total[NOT_YET], total[NOT_RUN])))
    listed = [r for r in rows if not r.error and
              (questions and r.questions or any(s != PASSED for s in r.questions.values()))]
    if listed:
        lines += ["", "Every self-check:" if questions else "Still to do:"]
        for row in listed:
            if not questions and row.count(NOT_RUN) == len(row.questions):
                lines.append(f"  {row.title}: not started ({len(row.questions)} self-checks)")
                continue
            if questions:
                lines.append(f"  {row.title}")
                lines += [f"    {state:<8} {qid}" for qid, state in row.questions.items()]
                continue
            items = [f"{qid} ({state})" for qid, state in row.questions.items() if state != PASSED]
            lines += _wrap(f"  {row.title}: ", items, indent="      ")
    elif rows and sum(total.values()) and total[PASSED] == sum(total.values()):
        lines += ["", "Every self-check passed. Well done!"]
    return "\n".join(lines)


def _wrap(first: str, items: list[str], *, indent: str) -> list[str]:
    """Join ``items`` with commas after ``first``, breaking lines between items only."""
    lines, line = [], first
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if line.strip() and not line.endswith(": ") and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line = indent + piece
        else:
            line += ("" if line.endswith(": ") else " ") + piece
    return [*lines, line]


def configure(parser, name: str) -> None:
    """Add the ``coursekit progress`` options to ``parser``."""
    parser.description = (
        "Show which self-checks you have passed in each lesson and exercise set, read from "
        "your notebooks as last saved (save in Jupyter first). Nothing is run or changed.")
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="notebooks or folders to read (default: the course's lessons, "
                             "then the exercise sets)")
    parser.add_argument("--questions", action="store_true",
                        help="list every question with its state, not only those still to do")
    parser.add_argument("--json", action="store_true",
                        help="print the result as JSON (for scripts)")


def run(args) -> int:
    """Print the progress table; return 1 if a notebook could not be read, else 0."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # a console that cannot show "·" still works
    everything = collect(args.paths, instructor=True)
    skipped = [] if args.paths else [r for r in everything if r.instructor]
    rows = [r for r in everything if r not in skipped]
    for row in rows:
        if row.error:
            print(f"coursekit progress: {row.error}", file=sys.stderr)
    if args.json:
        doc = [{"notebook": _display(r.path), "title": r.title, "questions": r.questions,
                "error": r.error} for r in rows]
        print(json.dumps(doc, indent=1, ensure_ascii=False))
    else:
        print("Self-checks in your notebooks as last saved (save in Jupyter first).\n")
        print(format_table(rows, questions=args.questions))
        if skipped:
            print("\n" + textwrap.fill(
                f"Not counted: {len(skipped)} exercise notebook(s) with model solutions "
                f"(instructor sources, such as {skipped[0].path.as_posix()}). Students work on "
                "the released copies, in release/ or build/student/exercises/.", width=WIDTH))
    return 1 if any(r.error for r in rows) else 0
