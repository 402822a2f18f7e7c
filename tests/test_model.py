"""coursekit.course.model: one Course object names every folder and reads the title from toc.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coursekit.course.model import Course, course_title
from coursekit.errors import CourseError

ROOT = Path(__file__).resolve().parents[1]


def _course(tmp_path: Path, toc: str | None) -> Course:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "datapackage.json").write_text("{}", encoding="utf-8")
    (tmp_path / "notebooks").mkdir()
    if toc is not None:
        (tmp_path / "notebooks" / "toc.yml").write_text(toc, encoding="utf-8")
    return Course.find(tmp_path)


def test_the_shipped_course_title_comes_from_toc_yml():
    toc = yaml.safe_load((ROOT / "notebooks" / "toc.yml").read_text(encoding="utf-8"))
    course = Course.find(ROOT)
    assert course.title == toc["title"].strip()
    assert [e["file"] for e in course.lessons()] == [e["file"] for e in toc["lessons"]]


def test_folders_and_files_are_named_once():
    course = Course(ROOT)
    assert course.lesson_keys == ROOT / "notebooks" / "checks.json"
    assert course.set_answers == ROOT / "exercises" / "answers"
    assert course.lesson_answers == ROOT / "instructors" / "answers"
    assert (course.release, course.build) == (ROOT / "release", ROOT / "build")


def test_a_course_without_a_title_has_none(tmp_path):
    course = _course(tmp_path, "lessons:\n  - {file: a.ipynb, title: A}\n")
    assert course.title is None and course_title(tmp_path) is None
    assert course_title(None) is None


def test_a_lesson_entry_without_a_title_is_named(tmp_path):
    course = _course(tmp_path, "title: T\nlessons:\n  - {file: a.ipynb}\n")
    with pytest.raises(CourseError, match="lesson entry 1 needs both 'file' and 'title'"):
        course.lessons()


def test_a_missing_toc_says_what_it_is_for(tmp_path):
    with pytest.raises(CourseError, match="toc.yml is missing: it lists the lessons in order"):
        _course(tmp_path, None).lessons()


def test_a_toc_that_is_a_list_is_refused(tmp_path):
    with pytest.raises(CourseError, match="expected 'title:' and a 'lessons:' list"):
        _course(tmp_path, "- a\n- b\n").lessons()
