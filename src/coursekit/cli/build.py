"""``coursekit build``: its arguments, and printing the summary (the build is :mod:`coursekit.build.pipeline`).

>>> import argparse; parser = argparse.ArgumentParser(); configure(parser, "build")
>>> parser.parse_args(["--no-pdf", "-j", "2"]).pdf, CELL_TIMEOUT
(False, 120)
"""

from __future__ import annotations

import sys
from pathlib import Path

from coursekit.course.defaults import CELL_TIMEOUT

__all__ = ["configure", "run"]


def configure(parser, name: str) -> None:
    """Add the arguments of ``coursekit build``."""
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="notebooks built at once (default: one per core)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--pdf", dest="pdf", action="store_true", default=None,
                       help="require PDF handouts (needs Chromium)")
    group.add_argument("--no-pdf", dest="pdf", action="store_false",
                       help="no PDF handouts, even when Chromium is installed")
    parser.add_argument("--force", action="store_true",
                        help="ignore the caches: execute and export everything again")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="build folder (default: build/ in the course)")
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
