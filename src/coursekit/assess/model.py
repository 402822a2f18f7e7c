"""What a grading run takes and gives: its options, one submission, its outcome, the report.

The limits' defaults are :mod:`coursekit.course.defaults` (written once for every tool).

>>> Options(jobs=3).workers(), Options().cell_timeout == defaults.GRADE_CELL_TIMEOUT
(3, True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.course import defaults
from coursekit.course.model import Course
from coursekit.errors import CourseError

__all__ = ["Options", "Submission", "Outcome", "Report", "STATUSES", "default_folders"]

STATUSES = ("correct", "incorrect", "unanswered", "missing", "crashed", "manual", "error",
            "invalid")


def default_folders() -> tuple[Path, Path]:
    """Return the default ``(exercises/, release/)`` folders of the course found from the cwd
    (outside a course, those folders of the working directory)."""
    try:
        course = Course.find()
    except CourseError:
        course = Course(Path.cwd())
    return course.exercises, course.release


@dataclass
class Options:
    """Limits and choices for one grading run (defaults suit the course's exercise sets)."""

    cell_timeout: float = defaults.GRADE_CELL_TIMEOUT
    timeout: float = defaults.NOTEBOOK_TIMEOUT
    jobs: int | None = 0  # 0 or None: one kernel per CPU core
    memory_mb: int = defaults.MEMORY_MB
    max_output_mb: float = defaults.MAX_OUTPUT_MB
    isolation: str = "auto"
    set_name: str | None = None
    startup_timeout: float = defaults.STARTUP_TIMEOUT
    warm: bool = True

    def workers(self) -> int:
        """The number of kernels run at once (default: the number of CPU cores)."""
        return self.jobs if self.jobs and self.jobs > 0 else max(1, os.cpu_count() or 1)


@dataclass
class Submission:
    """One submitted file, read and parsed (``problem`` says why it cannot be run)."""

    path: Path
    student: str
    digest: str = ""
    exercise: object = None
    cells: list = field(default_factory=list)
    problem: str = ""


@dataclass
class Outcome:
    """What grading one submission produced: gradebook rows, run notes and timings."""

    student: str
    exercise: str
    rows: list[dict]
    notes: list[str]
    seconds: float = 0.0
    memo: dict = field(default_factory=dict)
    kernel: str = ""  # "warm" (forked), "cold" (a new process), or "" (not run)
    resumed: bool = False  # taken from the journal of an earlier run (same file, same key)


@dataclass
class Report:
    """A whole run: outcomes in student order, the protection in force, the limits used."""

    outcomes: list[Outcome]
    protection: str
    options: Options
    seconds: float
    tampered: list[str] = field(default_factory=list)
    mode: str = ""  # "bubblewrap" or "guard"
    interrupted: bool = False  # stopped by Ctrl+C: outcomes holds what was graded by then
    total: int = 0  # submissions found
    resumed: int = 0  # outcomes taken from an earlier run's journal
    isolation: object = None  # the sandbox.Isolation in force (mode, boundary, limits)

    def rows(self) -> list[dict]:
        """Every gradebook row, student by student, question by question."""
        return [row for outcome in self.outcomes for row in outcome.rows]
