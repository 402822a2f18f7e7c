"""The build's index page: ``build/index.html``, a link to every artefact and each one's status.

Rendered from ``templates/pages/index.html.j2`` (autoescaped, through
:func:`coursekit.course.pages.render`); a link to an artefact that is not there is
shown as missing, never as a dead link.

>>> page = index_html(Path("/nowhere"), Path("/nowhere/build"), [], {}, [])
>>> "<title>The built course: built course</title>" in page, "None yet." in page
(True, True)
"""

from __future__ import annotations

from pathlib import Path

from coursekit.build.plan import Job
from coursekit.course.model import STUDENT_DIR, course_title
from coursekit.course.pages import render

__all__ = ["index_html", "LESSON_HEAD", "EXERCISE_HEAD"]

LESSON_HEAD = ("Lesson", "Slides", "Handout", "PDF", "Executed notebook", "Status")
EXERCISE_HEAD = ("Exercise set", "Notebook", "Status")
NONE = {"text": "—"}


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
    return render(
        "index.html.j2", title=course_title(root) or "The built course", sections=sections,
        student=link(f"{STUDENT_DIR}/notebooks/", "the student release (lessons, data, exercises)"),
        guides=guides)
