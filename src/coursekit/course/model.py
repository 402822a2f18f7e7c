"""The course model: one object that knows where everything of a course lives, and its title.

Every folder and file name of the course layout is written here once; commands, the build and
the grader ask a :class:`Course` instead of joining literals (see ``docs/`` for the layout).

>>> course = Course.find()
>>> course.notebooks.name, course.exercises.name, course.key_file_name
('notebooks', 'exercises', 'checks.json')
>>> course.title == course.title.strip() != ""
True
>>> course.lessons()[0]["file"]
'00-start-here.ipynb'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from coursekit.course.files import read_yaml
from coursekit.errors import CourseError
from coursekit.paths import course_root

__all__ = ["Course", "LAYOUT", "KEY_FILE", "TOC_FILE", "RELEASE_DIR", "BUILD_DIR", "STUDENT_DIR"]

KEY_FILE = "checks.json"      # hashed answer keys, beside the notebooks that check against them
TOC_FILE = "toc.yml"          # the lessons in teaching order, and the course's title
RELEASE_DIR = "release"       # student versions of the exercise sets (`coursekit release`)
BUILD_DIR = "build"           # everything `coursekit build` makes
STUDENT_DIR = "student"       # inside build/: what students get

# Where each part of a course lives, relative to its root.
LAYOUT = {
    "data": "data",
    "notebooks": "notebooks",
    "toc_file": f"notebooks/{TOC_FILE}",
    "lesson_keys": f"notebooks/{KEY_FILE}",       # hashed keys of the lessons' self-checks
    "exercises": "exercises",
    "set_answers": "exercises/answers",           # plaintext answers of the graded sets
    "lesson_answers": "instructors/answers",      # plaintext answers of the lessons' checks
    "learners": "learners",
    "release": RELEASE_DIR,
    "build": BUILD_DIR,
}


@dataclass(frozen=True)
class Course:
    """A course folder: ``root`` holds ``data/datapackage.json`` (see :mod:`coursekit.paths`).

    Each name in :data:`LAYOUT` is an attribute giving that place's path (``course.exercises``).
    """

    root: Path

    @classmethod
    def find(cls, start: str | os.PathLike[str] | None = None) -> Course:
        """The course above ``start`` (default: the working directory), or ``$COURSEKIT_ROOT``."""
        return cls(course_root(start))

    @classmethod
    def at(cls, root: str | os.PathLike[str] | None) -> Course | None:
        """The course whose root is ``root``, or None when ``root`` is None."""
        return None if root is None else cls(Path(root))

    key_file_name = KEY_FILE

    def __getattr__(self, name: str) -> Path:
        # Folder and file names come from LAYOUT, so each is written once.
        if name in LAYOUT:
            return self.root / LAYOUT[name]
        raise AttributeError(f"a Course has no {name!r}; its places are: {', '.join(LAYOUT)}")

    def _toc(self) -> dict:
        doc = read_yaml(self.toc_file, missing="it lists the lessons in order")
        if not isinstance(doc, dict):
            raise CourseError(f"{self.toc_file}: expected 'title:' and a 'lessons:' list.")
        return doc

    def lessons(self) -> list[dict]:
        """The lessons in teaching order: dicts with ``file`` and ``title``.

        Raises:
            CourseError: the list is missing, not YAML, or an entry lacks ``file`` or ``title``.
        """
        entries = self._toc().get("lessons")
        if not isinstance(entries, list) or not entries:
            raise CourseError(f"{self.toc_file}: expected a 'lessons:' list of entries with "
                              "file and title.")
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict) or not entry.get("file") or not entry.get("title"):
                raise CourseError(f"{self.toc_file}: lesson entry {number} needs both 'file' "
                                  "and 'title'.")
        return entries

    @property
    def title(self) -> str | None:
        """The course's title (``title:`` in ``notebooks/toc.yml``), or None if it has none."""
        try:
            title = self._toc().get("title")
        except CourseError:
            return None
        return str(title).strip() if title else None


def course_title(root: str | os.PathLike[str] | None) -> str | None:
    """The title of the course at ``root``, or None outside a course (any notebook is welcome)."""
    course = Course.at(root)
    return course.title if course is not None else None
