"""``coursekit release``: its options, and what it prints (the release is :mod:`coursekit.assess.release`)."""

from __future__ import annotations

from coursekit.assess.model import default_folders
from coursekit.assess.release import STUDENT_KEY, check_instructor_keys, release_sets
from coursekit.cli.options import add_exercises, add_force, add_output

__all__ = ["configure", "run"]


def configure(parser, name: str) -> None:
    """Add the ``coursekit release`` options to ``parser``."""
    parser.add_argument("sets", nargs="*", help="sets to release, e.g. 01-timeline or 01 "
                        "(default: all)")
    add_exercises(parser)
    add_output(parser, "release/ of the course")
    add_force(parser, "overwrite files changed since the last release (each is first copied "
                      "to NAME.bak)")
    parser.add_argument("--update-keys", action="store_true", help="rewrite exercises/checks.json "
                        "from exercises/answers/ when it is out of date")


def run(args) -> int:
    """Run ``coursekit release``; return 0 (errors are raised as CourseError)."""
    exercises, out = default_folders()
    exercises = args.exercises or exercises
    out = args.output or out
    if args.update_keys and check_instructor_keys(exercises, update=True):
        print(f"updated {exercises / STUDENT_KEY}: rerun the instructor notebooks so their "
              "self-checks agree")
    written = release_sets(exercises, out, names=args.sets or None, force=args.force)
    for path in written:
        print(f"wrote {path}")
    checks = sum(_selfchecks(path) for path in written if path.suffix == ".ipynb")
    shipped = f"; {checks} public self-check(s) of otter questions shipped" if checks else ""
    print(f"leak scan: clean; {len(written)} file(s) in {out}{shipped}")
    return 0


def _selfchecks(path) -> int:
    """The self-check cells the release wrote into one student notebook."""
    from coursekit.course.files import read_notebook
    from coursekit.course.otterchecks import selfcheck_question

    return sum(selfcheck_question(cell) is not None for cell in read_notebook(path).cells)
