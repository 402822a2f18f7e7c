"""coursekit.paths: the course root found from any folder inside it, or named by COURSEKIT_ROOT."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursekit.errors import CourseError
from coursekit.paths import MARKER, course_root

ROOT = Path(__file__).resolve().parents[1]


def test_the_root_is_found_from_a_lesson_folder(monkeypatch):
    monkeypatch.delenv("COURSEKIT_ROOT", raising=False)
    assert course_root(ROOT / "notebooks") == ROOT


def test_a_copied_course_wins_over_the_installed_checkout(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSEKIT_ROOT", raising=False)
    (tmp_path / MARKER).parent.mkdir(parents=True)
    (tmp_path / MARKER).write_text("{}", encoding="utf-8")
    (tmp_path / "notebooks").mkdir()
    assert course_root(tmp_path / "notebooks") == tmp_path.resolve()


def test_a_wrong_coursekit_root_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_ROOT", str(tmp_path))
    with pytest.raises(CourseError, match="Point it at the course folder"):
        course_root()
