"""``coursekit build``: its arguments, and printing the summary (the build is :mod:`coursekit.build.pipeline`).

>>> import argparse; parser = argparse.ArgumentParser(); configure(parser, "build")
>>> args = parser.parse_args(["--no-pdf", "-j", "2"])
>>> args.pdf, args.jobs, args.timeout == CELL_TIMEOUT
(False, 2, True)
"""

from __future__ import annotations

import sys

from coursekit.cli import options
from coursekit.course.defaults import CELL_TIMEOUT

__all__ = ["configure", "run"]


def configure(parser, name: str) -> None:
    """Add the arguments of ``coursekit build``."""
    options.add_jobs(parser, "notebooks built at once")
    options.add_pdf(parser, require="require PDF handouts", refuse="no PDF handouts")
    options.add_force(parser, "ignore the caches: execute and export everything again")
    options.add_output(parser, "build/ in the course")
    # Whole seconds, as the build's messages print them ("longer than 120 s").
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT,
                        help=f"seconds allowed per cell (default: {CELL_TIMEOUT})")
    parser.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                        help="no progress bar")


def run(args) -> int:
    """Run the build, print the summary table and every failure; return the exit status."""
    from coursekit.kernels.startup import skip_slow_imports

    skip_slow_imports()  # before the build imports nbformat (and with it jsonschema)
    from coursekit.build.pipeline import build
    from coursekit.build.report import format_summary

    report = build(out=args.output, jobs=args.jobs, pdf=args.pdf, force=args.force,
                   progress=args.progress, timeout=args.timeout)
    print(format_summary(report))
    for message in report.failures:
        print(f"coursekit build: FAILED {message}", file=sys.stderr)
    return report.exit_code
