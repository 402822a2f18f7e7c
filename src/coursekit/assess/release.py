"""``coursekit release``: write the student version of each exercise set, leak-scanned, edits kept.

For each set in ``exercises/`` the release writes ``release/NN-name.ipynb`` (the default folder;
``coursekit build`` writes ``build/student/exercises/``) with every solution region replaced by
a placeholder, outputs and execution counts cleared, metadata cut down to what a student needs,
plus one hashed ``release/checks.json`` for the self-checks. The plaintext answers never leave
``exercises/answers/``.

Before anything is written the leak scan (:mod:`coursekit.assess.leaks`) checks every notebook and the
key file; one leak stops the release. Files a student or instructor changed since the last
release are never overwritten (:mod:`coursekit.course.safewrite`) unless ``--force`` is given.

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
import os
from pathlib import Path

from coursekit.assess.leaks import (
    CELL_METADATA,
    answer_strings,
    scan_graded_hashes,
    scan_keys,
    scan_notebook,
    speaker_notes,
)
from coursekit.course.exercises import (
    ExerciseSet,
    Question,  # noqa: F401  (used by the doctests)
    build_exercise_keys,
    discover,
    keys_text,
)
from coursekit.course.safewrite import GeneratedFiles
from coursekit.course.solutions import assigned_names, regions, strip_solutions
from coursekit.errors import CourseError
from coursekit.formcheck import student_keys

__all__ = ["release_sets", "student_notebook", "check_structure", "check_instructor_keys",
           "strip_speaker_notes", "student_readme", "DEFAULT_OUT", "STUDENT_KEY",
           "STUDENT_README"]

DEFAULT_OUT = "release"
STUDENT_KEY = "checks.json"
LANGUAGE_INFO = ("name", "version", "mimetype", "file_extension", "codemirror_mode",
                 "nbconvert_exporter", "pygments_lexer")
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
SECRET_TAG = ("solution", "hidden", "answer")
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
    import nbformat

    nb = nbformat.read(path, as_version=4)
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


def _question_cells(exercise: ExerciseSet, nb) -> dict[int, list[str]]:
    """Map cell index to the ids of the questions whose answer the cell's regions assign."""
    by_variable = {q.variable: q.id for q in exercise.questions}
    found: dict[int, list[str]] = {}
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
    located = {qid for ids in _question_cells(exercise, nb).values() for qid in ids}
    graded = {q.variable: q for q in exercise.questions}
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


def student_notebook(exercise: ExerciseSet, nb):
    """Return the student version of the instructor notebook ``nb`` (a new notebook).

    Speaker notes are left out, solution regions become placeholders, outputs and execution
    counts are cleared, cell metadata keeps only :data:`coursekit.assess.leaks.CELL_METADATA` (minus
    solution tags), answer cells are marked ``{"coursekit": {"questions": [...]}}``, and only
    attachments the visible text still uses are kept.

    Raises:
        CourseError: unbalanced solution markers (the message names the cell and line).
    """
    import nbformat

    questions = _question_cells(exercise, nb)
    notes = set(speaker_notes(nb))
    cells = []
    for index, cell in enumerate(nb.cells):
        if index in notes:
            continue  # speaker notes are for the instructor's deck, never the student's copy
        where = f"{exercise.name}.ipynb, cell {index}"
        kind = cell.cell_type
        source = strip_solutions(cell.source, "code" if kind == "code" else "markdown", where=where)
        metadata = {k: v for k, v in cell.get("metadata", {}).items()
                    if k in CELL_METADATA and k not in ("coursekit", "jupyter")}
        if "tags" in metadata:
            tags = [t for t in metadata["tags"]
                    if not any(word in str(t).lower() for word in SECRET_TAG)]
            metadata = {**metadata, "tags": tags} if tags else {
                k: v for k, v in metadata.items() if k != "tags"}
        # Collapsed machinery stays collapsed for students; only the two display flags are
        # copied, so nothing else an instructor put under "jupyter" reaches the release.
        shown = {k: v for k, v in (cell.get("metadata", {}).get("jupyter") or {}).items()
                 if k in ("source_hidden", "outputs_hidden") and v is True}
        if shown:
            metadata["jupyter"] = shown
        if index in questions:
            metadata["coursekit"] = {"questions": questions[index]}
        if kind == "code":
            new = nbformat.v4.new_code_cell(source, metadata=metadata)
        elif kind == "markdown":
            new = nbformat.v4.new_markdown_cell(source, metadata=metadata)
            attachments = {name: bundle for name, bundle in (cell.get("attachments") or {}).items()
                           if f"attachment:{name}" in source}
            if attachments:
                new["attachments"] = attachments
        else:
            new = nbformat.v4.new_raw_cell(source, metadata=metadata)
        new["id"] = cell.get("id") or f"cell-{index}"
        cells.append(new)
    student = nbformat.v4.new_notebook(cells=cells)
    info = nb.metadata.get("language_info", {})
    student.metadata = {
        "kernelspec": dict(nb.metadata.get("kernelspec") or KERNELSPEC),
        "language_info": {k: v for k, v in info.items() if k in LANGUAGE_INFO} or {"name": "python"},
        "coursekit": {"exercise_set": exercise.name, "version": "student"},
    }
    return student


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
        try:
            nb = nbformat.read(exercise.notebook, as_version=4)
        except Exception as exc:  # nbformat raises several types for a broken file
            raise CourseError(f"{exercise.notebook}: cannot be read as a notebook ({exc}). "
                              "Restore it from git or fix the JSON.") from None
        check_structure(exercise, nb)
        student = student_notebook(exercise, nb)
        answers = [a for q in exercise.questions if not q.manual for a in answer_strings(q.spec)]
        problems += [f"{exercise.name}.ipynb {leak}" for leak in scan_notebook(student, nb, answers)]
        writer.add(f"{exercise.name}.ipynb", nbformat.writes(student).encode("utf-8") + b"\n")
    instructor_keys = build_exercise_keys(keyed)
    keys = student_keys(instructor_keys, keyed)  # graded questions: form only, no hash
    every_answer = [a for s in keyed for q in s.questions if not q.manual
                    for a in answer_strings(q.spec)]
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
