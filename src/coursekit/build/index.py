"""The build's index page: ``build/index.html``, a link to every artefact and each one's status.

Rendered from ``templates/build/index.html.j2``; a link to an artefact that is not there is
shown as missing, never as a dead link.

>>> page = index_html(Path("/nowhere"), Path("/nowhere/build"), [], {}, [])
>>> "<title>The built course: built course</title>" in page, "None yet." in page
(True, True)
"""

from __future__ import annotations

import html
from pathlib import Path

from coursekit.build.plan import Job
from coursekit.course.model import STUDENT_DIR, course_title

__all__ = ["index_html", "LESSON_HEAD", "EXERCISE_HEAD"]

LESSON_HEAD = ("Lesson", "Slides", "Handout", "PDF", "Executed notebook", "Status")
EXERCISE_HEAD = ("Exercise set", "Notebook", "Status")
NONE = {"text": "—"}


def _escape(value):
    """Escape every value the template prints, as :func:`html.escape` does (quotes included);
    what a macro already rendered comes marked safe and is left alone."""
    from markupsafe import Markup

    return value if isinstance(value, Markup) else html.escape(str(value))


def _environment():
    from jinja2 import Environment, FileSystemLoader

    from coursekit.export.assets import TEMPLATES

    return Environment(loader=FileSystemLoader(TEMPLATES / "build"), autoescape=False,
                       finalize=_escape, keep_trailing_newline=True)


def index_html(root: Path, out: Path, jobs: list[Job], rows: dict[str, dict],
               problems: list[tuple[str, str, str]]) -> str:
    """Return the index page of the build in ``out``.

    Args:
        root: the course root (its title, its learner guides).
        out: the build folder (a link is shown only where its target exists).
        jobs: the planned notebooks; ``rows`` their results by name (an ``error`` fails one).
        problems: ``(name, kind, message)`` of notebooks that could not be planned.
    """

    def link(rel: str, label: str) -> dict:
        return {"href": rel, "label": label} if (out / rel).exists() else {"missing": True}

    lessons, exercises = [], []
    for job in jobs:
        status = {"text": "failed" if rows.get(job.name, {}).get("error") else "ok"}
        if job.kind == "lesson":
            nb, slides, handout = job.outputs[:3]
            pdf = link(job.outputs[3], "PDF") if len(job.outputs) > 3 else NONE
            lessons.append([{"text": job.title}, link(slides, "slides"), link(handout, "handout"),
                            pdf, link(nb, "notebook"), status])
        else:
            exercises.append([{"text": job.name}, link(job.outputs[0], "executed solutions"), status])
    for name, kind, _message in problems:
        target = lessons if kind == "lesson" else exercises
        target.append([{"text": name}] + [NONE] * (4 if kind == "lesson" else 1) + [{"text": "failed"}])
    guides = [link(f"learners/{p.stem}.html", label) for p, label in
              ((root / "learners" / "setup.md", "Setting up the course"),
               (root / "learners" / "glossary.md", "Glossary")) if p.is_file()]
    sections = [{"heading": "Lessons", "head": LESSON_HEAD, "rows": lessons},
                {"heading": "Exercise sets (with solutions: for instructors)",
                 "head": EXERCISE_HEAD, "rows": exercises}]
    return _environment().get_template("index.html.j2").render(
        title=course_title(root) or "The built course", sections=sections,
        student=link(f"{STUDENT_DIR}/notebooks/", "the student release (lessons, data, exercises)"),
        guides=guides)
