"""What a grading run takes and gives: its options, one submission, its outcome, the report.

The limits are written once here; ``coursekit grade``'s options take their defaults from them.

>>> Options(jobs=3).workers(), Options().cell_timeout == CELL_TIMEOUT
(3, True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.errors import CourseError

__all__ = ["Options", "Submission", "Outcome", "Report", "STATUSES", "CELL_TIMEOUT",
           "NOTEBOOK_TIMEOUT", "MEMORY_MB", "MAX_OUTPUT_MB", "STARTUP_TIMEOUT", "default_folders"]

STATUSES = ("correct", "incorrect", "unanswered", "missing", "crashed", "manual", "error",
            "invalid")
CELL_TIMEOUT = 60.0  # seconds a submitted cell may run before it is interrupted
NOTEBOOK_TIMEOUT = 600.0  # seconds a whole submission may take before its kernel is killed
MEMORY_MB = 4096  # memory for a kernel and everything it starts
MAX_OUTPUT_MB = 2.0  # output kept per submission; the rest is dropped with a note
STARTUP_TIMEOUT = 60.0  # seconds a kernel may take to start


def default_folders() -> tuple[Path, Path]:
    """Return the default ``(exercises/, release/)`` folders of the course found from the cwd."""
    from coursekit.paths import course_root

    try:
        root = course_root()
    except CourseError:
        root = Path.cwd()
    return root / "exercises", root / "release"


@dataclass
class Options:
    """Limits and choices for one grading run (defaults suit the course's exercise sets)."""

    cell_timeout: float = CELL_TIMEOUT
    timeout: float = NOTEBOOK_TIMEOUT
    jobs: int = 0
    memory_mb: int = MEMORY_MB
    max_output_mb: float = MAX_OUTPUT_MB
    isolation: str = "auto"
    set_name: str | None = None
    startup_timeout: float = STARTUP_TIMEOUT
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
