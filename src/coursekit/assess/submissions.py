"""Finding submitted files, reading each one safely, and telling which exercise set it is.

Nothing here writes, moves or runs a submission: a file that cannot be graded gets a
``problem`` that names it and says what the student should do.

>>> task_label("### Task 2.2 (2 points)")
'Task 2.2'
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path

from coursekit.assess.gradebook import clean_text
from coursekit.assess.model import Submission
from coursekit.errors import CourseError

__all__ = ["find_submissions", "student_id", "read_submission", "set_by_name", "task_label",
           "MAX_SUBMISSION_BYTES", "SKIP_DIRS"]

MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
SKIP_DIRS = {".ipynb_checkpoints", "__pycache__", "__MACOSX"}
FIX = "Download the notebook again from Jupyter (File > Download) and resubmit it."


def find_submissions(folder: str | os.PathLike[str]) -> list[Path]:
    """Return every entry under ``folder`` that gets a gradebook row, sorted.

    Every file counts, whatever its name (hidden ones too); ``.ipynb_checkpoints``,
    ``__pycache__`` and ``__MACOSX`` are skipped. A hidden folder, a folder named like a notebook
    and a link are listed as entries of their own (each gets a row saying what it is); links are
    never followed and hidden folders are not searched.

    Args:
        folder: the submissions folder.

    Returns:
        The paths, in a stable order (the gradebook's order).

    Raises:
        CourseError: ``folder`` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CourseError(f"{folder}: no such folder of submissions. Pass the folder that holds "
                          "the students' notebooks.")
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            if name in SKIP_DIRS:
                continue
            entry = here / name
            # A link, a hidden folder or a folder named like a notebook is reported, not
            # silently dropped; only ordinary folders (and *.ipynb folders) are searched.
            if entry.is_symlink() or name.startswith(".") or name.lower().endswith(".ipynb"):
                found.append(entry)
            if not entry.is_symlink() and not name.startswith("."):
                kept.append(name)
        dirnames[:] = kept
        found += [here / name for name in filenames]
    return sorted(found)


def student_id(path: Path, root: Path) -> str:
    """The path inside the submissions folder as text that can always be written out.

    A name with bytes that are not UTF-8 keeps them as ``\\x..`` escapes, so it can be shown,
    written to a CSV file and told apart from other names.

    >>> student_id(Path(os.fsdecode(b"/s/caf\\xe9.ipynb")), Path("/s"))
    'caf\\\\xe9.ipynb'
    """
    return clean_text(path.relative_to(root).as_posix())


def _source(value) -> str | None:
    # Not course.notebooks.source: a submission's source that is not text means a damaged
    # file, which must be reported (None), not turned into text.
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    return None


def set_by_name(path: Path, sets: list, forced: str | None):
    """The set named by ``--set`` or, failing that, by the file name alone (or None)."""
    if forced:
        return next((s for s in sets if forced in (s.name, s.name.split("-")[0])), None)
    lower = path.name.lower()
    in_name = [s for s in sets if s.name in lower]
    return in_name[0] if len(in_name) == 1 else None


def _identify(sub: Submission, doc: dict, sets: list, forced: str | None):
    by_name = {s.name: s for s in sets}
    if forced:
        return set_by_name(sub.path, sets, forced)
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    named = (meta.get("coursekit") or {}).get("exercise_set") if isinstance(
        meta.get("coursekit"), dict) else None
    if isinstance(named, str) and named in by_name:
        return by_name[named]
    if set_by_name(sub.path, sets, None) is not None:
        return set_by_name(sub.path, sets, None)
    code = "\n".join(c["source"] for c in sub.cells)
    scores = []
    for exercise in sets:
        hits = sum(1 for q in exercise.questions
                   if re.search(rf"^\s*{re.escape(q.variable)}\s*=", code, flags=re.M))
        scores.append((hits, exercise.name))
    scores.sort(reverse=True)
    if scores and scores[0][0] > 0 and (len(scores) == 1 or scores[0][0] > scores[1][0]):
        return by_name[scores[0][1]]
    return sets[0] if len(sets) == 1 else None


def read_submission(path: Path, root: Path, sets: list, forced: str | None = None) -> Submission:
    """Read one submitted file; never raises and never writes (problems go in ``problem``).

    Args:
        path: the file.
        root: the submissions folder (the student id is the path inside it).
        sets: the exercise sets (from :func:`coursekit.course.exercises.discover`).
        forced: the set every submission belongs to (``--set``), if given.

    Returns:
        A :class:`Submission` with its code cells, its set, and a ``problem`` message naming
        what is wrong and what to do when it cannot be run.
    """
    sub = Submission(path, student_id(path, root))
    # Until the notebook is read, only --set or the file name can tell its set; a file that
    # cannot be run still gets a row (and zero points) for each question of that set, so the
    # student stays in the set's totals.
    sub.exercise = set_by_name(path, sets, forced)
    try:
        data = _read_bytes(sub.student, path)
        sub.digest = hashlib.sha256(data).hexdigest()
        doc = _parse(sub.student, path, data)
        sub.cells = _code_cells(sub.student, doc["cells"])
    except _Unreadable as exc:
        sub.problem = str(exc)
        return sub
    sub.exercise = _identify(sub, doc, sets, forced)
    if sub.exercise is None:
        names = ", ".join(s.name for s in sets)
        sub.problem = (f"{sub.student}: cannot tell which exercise set this is (no coursekit "
                       f"metadata, no set name in the file name). Rerun with --set NAME "
                       f"(one of {names}) or rename the file to include the set name.")
    return sub


class _Unreadable(Exception):
    """Why a submitted entry cannot be run, in words for the student."""


def _read_bytes(student: str, path: Path) -> bytes:
    """The file's bytes, if it is a regular file of a notebook's size (links are not followed)."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise _Unreadable(f"{student}: cannot be read ({exc.strerror}). {FIX}") from None
    if stat.S_ISLNK(info.st_mode):
        raise _Unreadable(f"{student}: is a symbolic link; the grader does not follow links. "
                          "Submit the notebook file itself.")
    if stat.S_ISDIR(info.st_mode):
        raise _Unreadable(f"{student}: is a hidden folder; the grader does not look inside "
                          "hidden folders. Move the notebooks out of it." if path.name.startswith(".")
                          else f"{student}: is a folder, not a notebook file (anything inside "
                          "it is graded on its own rows). Submit the .ipynb file itself.")
    if not stat.S_ISREG(info.st_mode):
        raise _Unreadable(f"{student}: is not a regular file. Submit the .ipynb file itself.")
    if info.st_size > MAX_SUBMISSION_BYTES:
        raise _Unreadable(f"{student}: is {info.st_size / 2**20:.0f} MB, more than the "
                          f"{MAX_SUBMISSION_BYTES // 2**20} MB a notebook may be. Clear the "
                          "outputs (Edit > Clear Outputs of All Cells), save, and resubmit.")
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_SUBMISSION_BYTES + 1)
    except OSError as exc:
        raise _Unreadable(f"{student}: cannot be read ({exc.strerror}). {FIX}") from None


def _parse(student: str, path: Path, data: bytes) -> dict:
    """The notebook's JSON, if it is a version-4 notebook with a list of cells."""
    if not path.name.lower().endswith(".ipynb") and not data.lstrip()[:1] == b"{":
        raise _Unreadable(f"{student}: is not a notebook (a .ipynb file). Submit the notebook "
                          "itself, not an export or a screenshot.")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _Unreadable(f"{student}: is not UTF-8 text, so it is not a notebook file. "
                          f"{FIX}") from None
    except json.JSONDecodeError as exc:
        raise _Unreadable(f"{student}: is not valid JSON (line {exc.lineno}, column "
                          f"{exc.colno}: {exc.msg}); the file is damaged or was edited by hand. "
                          f"{FIX}") from None
    except RecursionError:
        raise _Unreadable(f"{student}: its JSON is nested too deeply to be a notebook. "
                          f"{FIX}") from None
    if isinstance(doc, dict) and doc.get("nbformat") == 3:
        raise _Unreadable(f"{student}: is an old version-3 notebook. Open it in JupyterLab and "
                          "save it again, which converts it to version 4, then resubmit it.")
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
        raise _Unreadable(f"{student}: is JSON but not a Jupyter notebook (it has no list of "
                          f"cells). {FIX}")
    return doc


def _code_cells(student: str, cells: list) -> list[dict]:
    """Each code cell: its index among all cells, source, id, task and the questions it answers."""
    found, heading = [], ""
    for index, cell in enumerate(cells):
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            text = _source(cell.get("source", "")) or ""
            heading = next((line for line in text.splitlines() if line.startswith("#")), heading)
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = _source(cell.get("source", ""))
        if source is None:
            raise _Unreadable(f"{student}, cell {index}: its source is not text, so the "
                              f"notebook is damaged. {FIX}")
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        marks = meta.get("coursekit") if isinstance(meta.get("coursekit"), dict) else {}
        questions = marks.get("questions") if isinstance(marks.get("questions"), list) else []
        found.append({"index": index, "source": source, "id": str(cell.get("id", "")),
                      "task": task_label(heading),
                      "questions": [q for q in questions if isinstance(q, str)]})
    return found


def task_label(heading: str) -> str:
    """How the notebook names the part a cell is in: "Task 2.1" if its heading says so.

    >>> task_label("### Task 2.2 (2 points)"), task_label("## 3 · The memo (4 points)")
    ('Task 2.2', 'The memo (4 points)')
    """
    text = heading.lstrip("#").strip()
    match = re.search(r"\bTask\s+\d+(?:\.\d+)*", text)
    if match:
        return match.group(0)
    return re.sub(r"^\d+(?:\.\d+)*\s*[·.:)-]?\s*", "", text)[:80]

