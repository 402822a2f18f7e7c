"""Write the instructor guide's generated tables: lessons and minutes, the course total, and the
primer skills of every self-check and graded question.

The text comes from ``coursekit.course.lessons.guide_regions`` (the lessons' ``time_budget`` and
objectives, the exercise sets' titles, and ``asks:``/``skills:`` of every answer file), and goes
between the marker comments in ``instructors/guide.md``; nothing else in the guide is touched.
Run it after changing a lesson, an exercise set or an answer file:

    .venv/bin/python tools/guide_tables.py            # rewrite the stale regions
    .venv/bin/python tools/guide_tables.py --check    # exit 1 if any region is stale

``tests/test_guide.py`` runs the check, so a stale table fails the tests.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # also runs from a checkout without the package installed

from coursekit.course.guide import update_guide  # noqa: E402
from coursekit.errors import CourseError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report stale regions, write nothing")
    parser.add_argument("--guide", default=None, help="the guide (default instructors/guide.md)")
    args = parser.parse_args(argv)
    try:
        changed = update_guide(args.guide, REPO, check=args.check)
    except CourseError as exc:
        print(f"guide_tables: {exc}", file=sys.stderr)
        return 2
    guide = args.guide or "instructors/guide.md"
    if args.check:
        if changed:
            print(f"{guide}: stale generated regions: {', '.join(changed)}. "
                  "Run: python tools/guide_tables.py", file=sys.stderr)
            return 1
        print(f"{guide}: generated regions are up to date.")
        return 0
    print(f"{guide}: rewrote {', '.join(changed)}." if changed else f"{guide}: already up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
