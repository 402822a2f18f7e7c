"""``coursekit grade``: its options, and the summary it prints (the grading is :mod:`coursekit.assess.batch`)."""

from __future__ import annotations

import sys
from pathlib import Path

from coursekit.assess.model import Options
from coursekit.cli.options import (
    add_cell_timeout,
    add_exercises,
    add_force,
    add_jobs,
    add_memory,
    add_output,
)
from coursekit.course import defaults

__all__ = ["configure", "run"]


def configure(parser, name: str) -> None:
    """Add the ``coursekit grade`` options to ``parser``."""
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    add_output(parser, "grades/ beside the submissions folder")
    add_exercises(parser)
    parser.add_argument("--set", dest="set_name", help="grade every file as this set "
                        "(default: tell from each notebook)")
    add_jobs(parser, "kernels at once")
    add_cell_timeout(parser, defaults.GRADE_CELL_TIMEOUT)
    parser.add_argument("--timeout", type=float, default=defaults.NOTEBOOK_TIMEOUT,
                        help=f"seconds per notebook (default: {defaults.NOTEBOOK_TIMEOUT:g})")
    add_memory(parser)
    parser.add_argument("--isolation", choices=("auto", "bubblewrap", "guard"), default="auto",
                        help="bubblewrap (required), guard, or auto (bubblewrap if it works)")
    parser.add_argument("--cold", action="store_true", help="start every kernel as a new "
                        "Python process instead of forking it from a warm one (slower)")
    add_force(parser, "overwrite report files changed since the last run (each is first "
                      "copied to NAME.bak)")


def run(args) -> int:
    """Run ``coursekit grade``; exit 0 whenever the batch ran, whatever the submissions held."""
    from coursekit.assess.batch import grade_folder
    from coursekit.assess.model import default_folders
    from coursekit.assess.report import (
        GUARD_WARNING,
        check_output_folder,
        check_outputs,
        write_report,
    )
    from coursekit.kernels.sandbox import detect

    exercises = args.exercises or default_folders()[0]
    submissions = args.submissions.resolve()
    output = (args.output or submissions.parent / "grades").resolve()
    check_output_folder(output, submissions=submissions, exercises=Path(exercises))
    options = Options(cell_timeout=args.cell_timeout, timeout=args.timeout, jobs=args.jobs,
                      memory_mb=args.memory_mb, isolation=args.isolation, set_name=args.set_name,
                      warm=not args.cold)
    isolation = detect(options.isolation)
    if isolation.mode == "guard":  # the very first line, before anything runs
        print(f"protection: guard. {GUARD_WARNING}", flush=True)
    # Edited outputs are found before grading (minutes), not after: your marks are carried
    # over, any other edit stops here with nothing graded.
    carried = check_outputs(output, force=args.force)
    report = grade_folder(submissions, exercises_dir=exercises, output_dir=output,
                          options=options, progress=sys.stderr.isatty())
    written = write_report(report, output, exercises_dir=exercises, force=args.force,
                           carried=carried)
    _summary(report, output, written)
    if report.interrupted:
        print(f"interrupted: {len(report.outcomes)} of {report.total} submission(s) graded and "
              "written; run the same command again to grade the rest (graded ones are kept).",
              file=sys.stderr)
        return 130
    return 0


def _summary(report, output: Path, written: list) -> None:
    """What the run did, in a few lines: counts, kernels, protection, files, warnings."""
    counts: dict[str, int] = {}
    for row in report.rows():
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    resumed = f"; {report.resumed} unchanged, taken from the last run" if report.resumed else ""
    print(f"graded {len(report.outcomes)} submission(s) in {report.seconds:.1f} s "
          f"({report.options.workers()} at a time{resumed})")
    print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    kernels = [o.kernel for o in report.outcomes if o.kernel]
    print(f"kernels: {kernels.count('warm')} forked from a warm process, "
          f"{kernels.count('cold')} started cold")
    print(f"protection: {report.protection}")
    print(f"wrote {output / 'gradebook.csv'} (with totals.csv, wide.csv, canvas.csv, "
          f"moodle.csv) and {len(written) - 6} other file(s) in {output}")
    if report.tampered:
        print("WARNING: these files changed while grading (a submission may have written to "
              "them; rerun with bubblewrap):\n  " + "\n  ".join(map(str, report.tampered)),
              file=sys.stderr)
