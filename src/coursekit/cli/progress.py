"""``coursekit progress``: its options, and the table or JSON it prints (:mod:`coursekit.assess.progress`)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from coursekit.assess.progress import collect, display_path
from coursekit.assess.progresstable import WIDTH, format_table

__all__ = ["configure", "run"]


def configure(parser, name: str) -> None:
    """Add the ``coursekit progress`` options to ``parser``."""
    parser.description = (
        "Show which self-checks you have passed in each lesson and exercise set, read from "
        "your notebooks as last saved (save in Jupyter first). Nothing is run or changed.")
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="notebooks or folders to read (default: the course's lessons, "
                             "then the exercise sets)")
    parser.add_argument("--questions", action="store_true",
                        help="list every question with its state, not only those still to do")
    parser.add_argument("--json", action="store_true",
                        help="print the result as JSON (for scripts)")


def run(args) -> int:
    """Print the progress table; return 1 if a notebook could not be read, else 0."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # a console that cannot show "·" still works
    everything = collect(args.paths, instructor=True)
    skipped = [] if args.paths else [r for r in everything if r.instructor]
    rows = [r for r in everything if r not in skipped]
    for row in rows:
        if row.error:
            print(f"coursekit progress: {row.error}", file=sys.stderr)
    if args.json:
        doc = [{"notebook": display_path(r.path), "title": r.title, "questions": r.questions,
                "error": r.error} for r in rows]
        print(json.dumps(doc, indent=1, ensure_ascii=False))
    else:
        print("Self-checks in your notebooks as last saved (save in Jupyter first).\n")
        print(format_table(rows, questions=args.questions))
        if skipped:
            print("\n" + textwrap.fill(
                f"Not counted: {len(skipped)} exercise notebook(s) with model solutions "
                f"(instructor sources, such as {skipped[0].path.as_posix()}). Students work on "
                "the released copies, in release/ or build/student/exercises/.", width=WIDTH))
    return 1 if any(r.error for r in rows) else 0
