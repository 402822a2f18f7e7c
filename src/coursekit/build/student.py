"""The student release: ``build/student/``, what students get, assembled beside it and swapped in.

It is rebuilt only when something it holds changed (:func:`student_key`), and only from a
complete, passing set of lessons (:mod:`coursekit.build.pipeline` decides).

>>> "data" in STUDENT_FOLDERS and "instructors" not in STUDENT_FOLDERS
True
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from coursekit.build.library import library_digest
from coursekit.build.plan import Job
from coursekit.course.files import (
    TMP_SUFFIX,
    digest_file,
    digest_text,
    is_temporary,
    read_notebook,
    swap_in,
    write_notebook,
)
from coursekit.course.model import KEY_FILE, STUDENT_DIR, TOC_FILE, Course
from coursekit.errors import CourseError

__all__ = ["write_student_release", "student_key", "STUDENT_FOLDERS", "STUDENT_EXTRAS"]

# The student release gets its own README (from the package's template), never the developer one.
STUDENT_EXTRAS = ("LICENSE", "LICENSE.md", "LICENSE.txt", "CITATION.cff", "pyproject.toml")
STUDENT_FOLDERS = ("data", "learners", "binder", "jupyter")  # binder/: the release runs on a hub too
RELEASE_MODULES = ("coursekit.build.student", "coursekit.assess.release")


def _tree_digest(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return [f"{p.relative_to(folder).as_posix()}:{digest_file(p)}" for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and not is_temporary(p.name)]


def student_key(root: Path, jobs: list[Job], environment: dict) -> str:
    """The key of the student release: every notebook's key and every file the release copies."""
    parts = [f"{j.name}:{j.key}" for j in jobs]
    for folder in (*STUDENT_FOLDERS, "exercises"):
        parts += [f"{folder}/{d}" for d in _tree_digest(root / folder)]
    parts += _tree_digest(root / "src" / "coursekit" / "templates" / "student")
    parts += _tree_digest(root / "src" / "coursekit")
    for name in (f"notebooks/{KEY_FILE}", f"notebooks/{TOC_FILE}", *STUDENT_EXTRAS):
        if (root / name).is_file():
            parts.append(f"{name}:{digest_file(root / name)}")
    parts.append(library_digest(RELEASE_MODULES))
    return digest_text("\n".join(parts))


def _copy_course_files(root: Path, staging: Path) -> None:
    """The course's own files a student needs: keys, toc, data, guides, settings, the library."""
    course = Course(root)
    for name in (TOC_FILE, KEY_FILE):
        if (course.notebooks / name).is_file():
            shutil.copy2(course.notebooks / name, staging / "notebooks" / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", f"*{TMP_SUFFIX}")
    for folder in STUDENT_FOLDERS:
        if (root / folder).is_dir():
            shutil.copytree(root / folder, staging / folder, ignore=ignore)
    if (root / "src" / "coursekit").is_dir():
        shutil.copytree(root / "src" / "coursekit", staging / "src" / "coursekit", ignore=ignore)
    for name in STUDENT_EXTRAS:
        if (root / name).is_file():
            shutil.copy2(root / name, staging / name)


def write_student_release(root: Path, out: Path, lessons: list[Job]) -> tuple[str, str]:
    """Assemble ``build/student/`` beside it and swap it in; return ``(status, detail)``.

    It holds the executed lessons without their speaker notes, ``notebooks/toc.yml`` and the
    hashed ``notebooks/checks.json``, ``data/``, ``learners/``, ``binder/``, the course's
    JupyterLab settings (``jupyter/``), the library (so ``pip install .`` works), the student
    exercise sets from :func:`coursekit.assess.release.release_sets` and a README of its own
    (:func:`coursekit.assess.release.student_readme`); never ``instructors/``, the exercises'
    solutions or the developer README.

    Raises:
        CourseError: a speaker-notes cell is left in a student notebook
            (:func:`coursekit.assess.leaks.notes_leaks`); the previous release is kept.
    """

    from coursekit.assess.leaks import notes_leaks
    from coursekit.assess.release import release_sets, strip_speaker_notes, student_readme
    from coursekit.course.lessons import read_toc

    staging = Path(tempfile.mkdtemp(prefix=f".{STUDENT_DIR}.", suffix=TMP_SUFFIX, dir=out))
    staging.chmod(0o755)
    try:
        notebooks = staging / "notebooks"
        notebooks.mkdir()
        for job in lessons:
            source = out / job.outputs[0]
            write_notebook(strip_speaker_notes(read_notebook(source)),
                           notebooks / Path(job.outputs[0]).name)
        _copy_course_files(root, staging)
        detail = f"{len(lessons)} lesson(s), data/"
        if not Course(root).set_answers.is_dir():
            detail += "; no instructor exercises (exercises/answers/) to release"
        else:
            written = release_sets(root / "exercises", staging / "exercises", force=True)
            sets = [p for p in written if Path(p).suffix == ".ipynb"]
            detail += f", {len(sets)} exercise set(s)"
        built = {Path(job.outputs[0]).name for job in lessons}
        entries = [e for e in read_toc(root) if e["file"] in built]
        (staging / "README.md").write_text(student_readme(staging, entries), encoding="utf-8")
        leaks = [leak for path in sorted(staging.rglob("*.ipynb"))
                 for leak in notes_leaks(read_notebook(path),
                                         path.relative_to(staging).as_posix())]
        if leaks:
            raise CourseError("the student release would hold instructor material: "
                              + "; ".join(map(str, leaks)))
        swap_in(staging, out / STUDENT_DIR)
        return "built", detail
    finally:
        shutil.rmtree(staging, ignore_errors=True)
