"""coursekit.build.plan: every notebook's keys and artefacts, worked out without executing anything."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from fake_course import make_course, make_exercise

from coursekit.build import plan


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("COURSEKIT_ROOT", str(tmp_path / "course"))
    return make_course(tmp_path / "course")


def test_plan_lists_lessons_in_toc_order_then_exercise_sets(course):
    make_exercise(course)
    jobs, problems = plan.plan_jobs(course, pdf=True)
    assert problems == []
    assert [(j.name, j.kind) for j in jobs] == [
        ("notebooks/01-timeline.ipynb", "lesson"), ("notebooks/02-agreements.ipynb", "lesson"),
        ("exercises/01-count.ipynb", "exercise")]
    assert jobs[0].outputs == plan.lesson_outputs(Path(jobs[0].source), pdf=True)
    assert jobs[2].outputs == ["exercises/01-count.ipynb"]


def test_the_pdf_choice_changes_the_content_key_but_not_the_execution_key(course):
    with_pdf = {j.name: j for j in plan.plan_jobs(course, pdf=True)[0]}
    without = {j.name: j for j in plan.plan_jobs(course, pdf=False)[0]}
    for name, job in with_pdf.items():
        assert job.exec_key == without[name].exec_key and job.key != without[name].key


def test_a_broken_or_missing_notebook_is_a_problem_not_a_crash(course):
    (course / "notebooks" / "02-agreements.ipynb").write_text("{ not json", encoding="utf-8")
    with open(course / "notebooks" / "toc.yml", "a", encoding="utf-8") as toc:
        toc.write('  - file: 09-missing.ipynb\n    title: "09 · Missing"\n')
    jobs, problems = plan.plan_jobs(course, pdf=False)
    assert [j.name for j in jobs] == ["notebooks/01-timeline.ipynb"]
    assert [(name, kind) for name, kind, _ in problems] == [
        ("notebooks/02-agreements.ipynb", "lesson"), ("notebooks/09-missing.ipynb", "lesson")]
    assert "02-agreements.ipynb: cannot be read as a notebook" in problems[0][2]


def test_navigation_is_written_once_and_an_up_to_date_lesson_is_left_alone(course):
    path = course / "notebooks" / "01-timeline.ipynb"
    assert plan.ensure_navigation(path, course) is True
    stamp = path.stat().st_mtime_ns
    assert plan.ensure_navigation(path, course) is False
    assert path.stat().st_mtime_ns == stamp
    nav = [c for c in nbformat.read(path, as_version=4).cells if "navigation" in c.metadata.get("tags", [])]
    assert len(nav) == 1 and "02 · Agreements" in nav[0].source


def test_student_copies_of_exercise_sets_are_not_built(course):
    """Without exercises/answers/ (a student's own release) there is nothing to execute."""
    make_exercise(course)
    import shutil

    shutil.rmtree(course / "exercises" / "answers")
    assert plan.exercise_paths(course) == []
