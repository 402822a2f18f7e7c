"""Options several commands share, defined once so their spelling, defaults and help agree.

>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_pdf(parser, require="require PDF handouts", refuse="no PDF handouts")
>>> add_force(parser, "overwrite changed files")
>>> add_jobs(parser, "kernels at once")
>>> args = parser.parse_args(["--no-pdf", "--force"])
>>> args.pdf, args.force, args.jobs
(False, True, None)
"""

from __future__ import annotations

from pathlib import Path

from coursekit.course import defaults

__all__ = ["add_pdf", "add_force", "add_jobs", "add_output", "add_exercises", "add_memory",
           "add_cell_timeout"]


def add_pdf(parser, *, require: str, refuse: str) -> None:
    """``--pdf`` (PDF required: fail without Chromium) or ``--no-pdf``; default: PDF if possible."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--pdf", dest="pdf", action="store_true", default=None,
                       help=f"{require} (needs Chromium)")
    group.add_argument("--no-pdf", dest="pdf", action="store_false",
                       help=f"{refuse}, even when Chromium is installed")


def add_force(parser, what: str) -> None:
    """``--force``: what it overrides differs by command, so each says it."""
    parser.add_argument("--force", action="store_true", help=what)


def add_jobs(parser, what: str) -> None:
    """``-j/--jobs``: how many at once (default: one per core)."""
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help=f"{what} (default: one per CPU core)")


def add_output(parser, default: str) -> None:
    """``-o/--output``: the folder a command writes."""
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help=f"folder to write (default: {default})")


def add_exercises(parser) -> None:
    """``--exercises``: the instructor's exercise folder."""
    parser.add_argument("--exercises", type=Path,
                        help="instructor folder with answers/ (default: exercises/ of the course)")


def add_cell_timeout(parser, default: float = defaults.CELL_TIMEOUT,
                     flag: str = "--cell-timeout") -> None:
    """Seconds one cell may run before it is stopped."""
    parser.add_argument(flag, dest="cell_timeout", type=float, default=default,
                        help=f"seconds one cell may run (default: {default:g})")


def add_memory(parser) -> None:
    """``--memory-mb``: address space per kernel."""
    parser.add_argument("--memory-mb", type=int, default=defaults.MEMORY_MB,
                        help=f"memory per kernel in MB (default: {defaults.MEMORY_MB})")
