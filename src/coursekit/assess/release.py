"""``coursekit release``: write the student version of each exercise set, leak-scanned, edits kept.

For each set in ``exercises/`` the release writes ``release/NN-name.ipynb`` (the default folder;
``coursekit build`` writes ``build/student/exercises/``) with every solution region replaced by
a placeholder, outputs and execution counts cleared, metadata cut down to what a student needs,
plus one hashed ``release/checks.json`` for the self-checks. The plaintext answers never leave
``exercises/answers/``. nbgrader and otter-grader notebooks are released as they are, in their
own words (:mod:`coursekit.assess.student`, :mod:`coursekit.course.nbgrader`, ``otter``).

Before anything is written the leak scan (:mod:`coursekit.assess.leaks`) checks every notebook and the
key file; one leak stops the release. Files a student or instructor changed since the last
release are never overwritten (:mod:`coursekit.course.safewrite`) unless ``--force`` is given.

The student copy itself is made by :mod:`coursekit.assess.student` (re-exported here):

>>> from coursekit.assess import student
>>> student_notebook is student.student_notebook, STRICT
(True, ('number', 'text'))
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from coursekit.assess.leaks import (
    answer_strings,
    scan_graded_hashes,
    scan_keys,
    scan_notebook,
    speaker_notes,
)
from coursekit.assess.student import check_structure, student_notebook
from coursekit.course.exercises import (
    ExerciseSet,  # noqa: F401  (used by the doctests)
    Question,  # noqa: F401  (used by the doctests)
    build_exercise_keys,
    discover,
    keys_text,
)
from coursekit.course.files import read_notebook
from coursekit.course.safewrite import GeneratedFiles
from coursekit.errors import CourseError
from coursekit.formcheck import student_keys

__all__ = ["release_sets", "student_notebook", "check_structure", "check_instructor_keys",
           "strip_speaker_notes", "student_readme", "DEFAULT_OUT", "STUDENT_KEY",
           "STUDENT_README"]

DEFAULT_OUT = "release"
STRICT = ("number", "text")  # answers that may not appear even in the question's own text
STUDENT_KEY = "checks.json"
STUDENT_README = Path(__file__).resolve().parents[1] / "templates" / "student" / "README.md"


def strip_speaker_notes(nb):
    """Return a copy of notebook ``nb`` without its speaker-notes cells (instructor-only).

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Text."),
    ...                                      nbformat.v4.new_markdown_cell("Steer them to b.")])
    >>> nb.cells[1].metadata["slideshow"] = {"slide_type": "notes"}
    >>> [c.source for c in strip_speaker_notes(nb).cells]
    ['Text.']
    """
    import copy

    notes = set(speaker_notes(nb))
    student = copy.deepcopy(nb)
    student.cells = [cell for i, cell in enumerate(student.cells) if i not in notes]
    return student


def _heading(path: Path) -> str:
    nb = read_notebook(path)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def student_readme(release: str | os.PathLike[str], lessons: list[dict]) -> str:
    """Write the README of a student release from the package's template.

    It names only what ``release`` holds: the lessons (``lessons``: the entries of
    ``notebooks/toc.yml``, each with ``file`` and ``title``), the exercise sets found in
    ``release/exercises/`` and the key files present; it carries no developer command.

    Args:
        release: the student release folder, already holding its notebooks.
        lessons: the ordered lesson entries.

    Raises:
        CourseError: no lessons, or a lesson file missing from the release.
    """
    from string import Template

    from coursekit.course.model import course_title

    release = Path(release)
    if not lessons:
        raise CourseError("student_readme(): the release has no lessons to list.")
    for entry in lessons:
        if not (release / "notebooks" / entry["file"]).is_file():
            raise CourseError(f"{release / 'notebooks' / entry['file']} is missing from the student release.")
    lesson_list = "\n".join(f"{n}. [{e['title']}](notebooks/{e['file']})" for n, e in enumerate(lessons, 1))
    sets = sorted((release / "exercises").glob("*.ipynb")) if (release / "exercises").is_dir() else []
    exercise_list = ("\n".join(f"- [{_heading(p)}](exercises/{p.name})" for p in sets)
                     or "There are no exercise sets in this copy; your instructor will send them.")
    keys = [f"`{k}`" for k in ("notebooks/checks.json", "exercises/checks.json") if (release / k).is_file()]
    extras = [f"- [{path}]({path}): {what}" for path, what in (
        ("learners/glossary.md", "the terms the lessons use (FATF, NSG, G2G, ...)."),
        ("data/README.md", "what each data file holds, column by column, and where it came from."),
    ) if (release / path).is_file()]
    if keys:
        extras.append(f"- {' and '.join(keys)}: the self-checks' answer keys, stored so that they do "
                      "not show the answers. Leave them where they are.")
    return Template(STUDENT_README.read_text(encoding="utf-8")).substitute(
        title=course_title(release) or "this course", lesson_count=len(lessons), exercise_count=len(sets),
        first_lesson=lessons[0]["file"], lesson_list=lesson_list, exercise_list=exercise_list,
        extras="\n".join(extras))


def check_instructor_keys(exercises_dir, *, update: bool = False) -> bool:
    """Check that ``exercises/checks.json`` matches the answers files; rewrite it if asked.

    The instructor notebooks' self-checks read that file, so it must follow every answer edit.

    Args:
        exercises_dir: the instructor folder.
        update: rewrite the file when it is missing or stale instead of raising.

    Returns:
        True if the file was (re)written.

    Raises:
        CourseError: the file is missing or stale and ``update`` is false.
    """
    from coursekit.course.files import atomic_write_text

    sets = discover(exercises_dir)
    text = keys_text(build_exercise_keys(sets))
    path = Path(exercises_dir) / STUDENT_KEY
    try:
        current = path.read_text(encoding="utf-8")
    except OSError:
        current = None
    if current == text:
        return False
    if not update:
        state = "missing" if current is None else "out of date with exercises/answers/"
        raise CourseError(f"{path} is {state}. Rebuild it with 'coursekit release --update-keys' "
                          "and rerun the instructor notebooks, so their self-checks agree.")
    atomic_write_text(path, text)
    return True


def _released_names(out_dir: Path) -> set[str]:
    known = GeneratedFiles(out_dir, command="coursekit release").manifest()
    return {Path(p).stem for p in known if p.endswith(".ipynb") and "/" not in p}


def release_sets(exercises_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                 names=None, force: bool = False, update_keys: bool = False) -> list[Path]:
    """Write the student version of every exercise set (or the named ones) to ``out_dir``.

    Args:
        exercises_dir: the instructor folder (``exercises/``).
        out_dir: where the student versions go (``release/``, or ``build/student/exercises``).
        names: only these sets (``"01-timeline"`` or ``"01"``); default all.
        force: overwrite files changed since the last release (each is kept as ``NAME.bak``).
        update_keys: rewrite a stale ``exercises/checks.json`` instead of stopping.

    Returns:
        The paths written: one notebook per set and ``checks.json``.

    Raises:
        CourseError: a leak (nothing is written), a file that would be overwritten (nothing is
            written), a stale instructor key file, or a malformed set; the message names the
            file, cell or question and says what to do.
    """
    import nbformat

    exercises_dir, out_dir = Path(exercises_dir), Path(out_dir)
    if out_dir.resolve() == exercises_dir.resolve() or out_dir.resolve().is_relative_to(
            exercises_dir.resolve()):
        raise CourseError(f"{out_dir}: the student release must not go inside the instructor "
                          f"folder {exercises_dir}. Choose another folder, e.g. release/.")
    check_instructor_keys(exercises_dir, update=update_keys)
    chosen = discover(exercises_dir, names)
    wanted = {s.name for s in chosen} | _released_names(out_dir)
    keyed = [s for s in discover(exercises_dir) if s.name in wanted]
    writer = GeneratedFiles(out_dir, command="coursekit release")
    problems: list[str] = []
    for exercise in chosen:
        nb = read_notebook(exercise.notebook)
        check_structure(exercise, nb)
        data = nbformat.writes(student_notebook(exercise, nb)).encode("utf-8") + b"\n"
        answers = [(q.id, a, q.kind in STRICT) for q in exercise.questions if not q.manual
                   for a in answer_strings(q.spec)]
        # The scan reads the very bytes that would be written, so "clean" is about the file.
        leaks = scan_notebook(json.loads(data), nb, answers, f"{exercise.name}.ipynb")
        problems += [f"{exercise.name}.ipynb {leak}" for leak in leaks]
        writer.add(f"{exercise.name}.ipynb", data)
    instructor_keys = build_exercise_keys(keyed)
    keys = student_keys(instructor_keys, keyed)  # graded questions: form only, no hash
    every_answer = [(q.id, a, q.kind in STRICT) for s in keyed for q in s.questions
                    if not q.manual for a in answer_strings(q.spec)]
    # The instructor's key too: its hints and feedback reach students on the feedback pages.
    problems += sorted({str(leak) for key in (keys, instructor_keys)
                        for leak in scan_keys(key, every_answer)})
    graded = {q.id for s in keyed for q in s.questions if not q.manual}
    problems += [str(leak) for leak in scan_graded_hashes(keys, instructor_keys, graded)]
    if problems:
        listing = "\n  ".join(problems)
        raise CourseError(f"the leak scan found {len(problems)} leak(s); nothing was written:\n"
                          f"  {listing}\nMark the answer as a solution region, reword the hint, "
                          "or remove the output or metadata named above.")
    writer.add(STUDENT_KEY, keys_text(keys).encode("utf-8"))
    return writer.commit(force=force)
