"""Planning a build: every notebook's keys and artefacts, worked out without executing anything.

The lessons come from ``notebooks/toc.yml`` (their navigation cells regenerated when stale),
the exercise sets from ``exercises/``. A :class:`Job` says what to build and under which keys.

>>> Job("notebooks/01-x.ipynb", "lesson", "/c/notebooks/01-x.ipynb", "01 · X", "e", "k",
...     ["notebooks/01-x.ipynb"]).spec(Path("/c"), Path("/c/build"), False, 120)["outputs"]
['notebooks/01-x.ipynb']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from coursekit.build.inputs import input_files
from coursekit.build.keys import content_key, environment_fingerprint, execution_key
from coursekit.build.library import library_digest
from coursekit.course.files import digest_file, digest_text
from coursekit.course.model import Course
from coursekit.course.notebooks import NAV_TAG, has_tag, source
from coursekit.errors import CourseError, NotebookError

__all__ = ["Job", "plan_jobs", "ensure_navigation", "exercise_paths", "lesson_outputs",
           "EXPORTER_MODULES"]

# The library code that lints and exports an executed notebook: its digest keys the exports.
EXPORTER_MODULES = ("coursekit.build.worker", "coursekit.export.render")


@dataclass
class Job:
    """One notebook to build: what it is, where it comes from, its keys and its artefacts.

    ``name`` is its path relative to the course root (``notebooks/01-x.ipynb``); ``outputs``
    are paths relative to the build folder.
    """

    name: str
    kind: str  # "lesson" or "exercise"
    source: str
    title: str
    exec_key: str
    key: str
    outputs: list[str]

    def spec(self, root: Path, out: Path, pdf: bool, timeout: int) -> dict:
        """The picklable description a worker process needs."""
        return {"name": self.name, "kind": self.kind, "source": self.source,
                "title": self.title, "exec_key": self.exec_key, "outputs": self.outputs,
                "root": str(root), "out": str(out), "pdf": pdf, "timeout": timeout}


def _read_json(path: Path) -> dict:
    # Plain JSON, not nbformat: planning reads every notebook on every build, and the keys are
    # computed from the file as written (the worker reads it with nbformat when it builds it).
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotebookError(f"{path}: cannot be read as a notebook ({exc}).") from None


def ensure_navigation(path: Path, root: Path) -> bool:
    """Regenerate a lesson's navigation cell if it is missing or stale; return True if written.

    Only the generated cell changes (through :func:`coursekit.course.lessons.write_navigation`); an
    up-to-date lesson is not even rewritten, so its file and timestamp stay as they were.
    """
    from coursekit.course.lessons import navigation_markdown, write_navigation

    nb = _read_json(path)
    expected = navigation_markdown(path.name, root)
    cells = [c for c in nb.get("cells", []) if has_tag(c, NAV_TAG)]
    if cells and all(source(c) == expected for c in cells):
        return False
    return write_navigation(path, root)


def exercise_paths(root: Path) -> list[Path]:
    """The exercise sets: ``exercises/NN-name.ipynb`` (as :mod:`coursekit.course.exercises` finds them)."""
    from coursekit.course.exercises import SET_NAME

    course = Course(root)
    # Without answers/ these are student copies (a student's own build/student folder):
    # there are no solutions to execute or validate, and a student's work is left alone.
    if not course.set_answers.is_dir():
        return []
    return sorted(p for p in course.exercises.glob("*.ipynb") if SET_NAME.match(p.stem))


def _templates_digest() -> str:
    from coursekit.export.render import TEMPLATES

    parts = [f"{p.relative_to(TEMPLATES).as_posix()}:{digest_file(p)}"
             for p in sorted(TEMPLATES.rglob("*")) if p.is_file()]
    return digest_text("\n".join(parts))


def lesson_outputs(path: Path, pdf: bool) -> list[str]:
    """A lesson's artefacts in the build folder: notebook, deck, handout (and its PDF).

    >>> lesson_outputs(Path("notebooks/01-x.ipynb"), pdf=True)[1:]
    ['slides/01-x.slides.html', 'handouts/01-x.html', 'handouts/01-x.pdf']
    """
    return [f"notebooks/{path.name}", f"slides/{path.stem}.slides.html",
            f"handouts/{path.stem}.html"] + ([f"handouts/{path.stem}.pdf"] if pdf else [])


def plan_jobs(root: Path, *, pdf: bool, environment: dict | None = None
              ) -> tuple[list[Job], list[tuple[str, str, str]]]:
    """Work out every notebook's keys and artefacts without executing anything.

    Args:
        root: the course root.
        pdf: whether handouts get a PDF (it changes the artefacts, so the key).
        environment: :func:`coursekit.build.keys.environment_fingerprint` (computed if None).

    Returns:
        ``(jobs, problems)``: the jobs, and ``(name, kind, message)`` for every notebook that
        cannot even be planned (listed in ``toc.yml`` but missing, or not JSON).
    """
    from coursekit.course.lessons import read_toc

    environment = environment or environment_fingerprint()
    templates = _templates_digest()
    exporter = library_digest(EXPORTER_MODULES)
    jobs, problems = [], []
    notebooks = Course(root).notebooks
    entries = [("lesson", notebooks / e["file"], str(e["title"])) for e in read_toc(root)]
    entries += [("exercise", p, p.stem) for p in exercise_paths(root)]
    for kind, path, title in entries:
        name = path.relative_to(root).as_posix()
        if not path.is_file():
            problems.append((name, kind, f"{name}: listed in notebooks/toc.yml but missing; "
                                         "write it or remove its entry."))
            continue
        try:
            nb = _read_json(path)
            if kind == "lesson" and ensure_navigation(path, root):
                nb = _read_json(path)
        except CourseError as exc:
            problems.append((name, kind, str(exc)))
            continue
        code = [source(c) for c in nb.get("cells", []) if c.get("cell_type") == "code"]
        exec_key = execution_key(nb, input_files(path, code, root), environment, root)
        outputs = lesson_outputs(path, pdf) if kind == "lesson" else [name]
        key = content_key(nb, exec_key, kind, title, templates, exporter, outputs)
        jobs.append(Job(name, kind, str(path), title, exec_key, key, outputs))
    return jobs, problems
