"""``coursekit slides`` and ``coursekit handouts``: export notebooks as saved, from the course or anywhere.

The work is :mod:`coursekit.export.render`; this module reads the command line, finds the
notebooks and folders, and reports each notebook's result or failure.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from coursekit.cli.options import add_pdf
from coursekit.course.lessons import lesson_paths
from coursekit.course.model import Course
from coursekit.errors import CourseError
from coursekit.export.assets import install_assets
from coursekit.export.pdf import PAPER, PdfPrinter, find_chromium
from coursekit.export.prepare import ExportWarning
from coursekit.export.render import export_handout, export_slides, learner_pages_for
from coursekit.kernels.startup import skip_slow_imports

__all__ = ["configure", "run"]


def configure(parser, name: str) -> None:
    """Add the arguments of ``coursekit slides`` or ``coursekit handouts`` (``name``)."""
    what = "decks" if name == "slides" else "handouts"
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to export, from the course or anywhere else (default: "
                             "every lesson in notebooks/toc.yml), as saved: run `coursekit "
                             "build` for freshly executed lessons")
    parser.add_argument("-o", "--output", type=Path,
                        help=f"folder for the {what} (default: build/{name})")
    parser.add_argument("--assets", type=Path,
                        help="assets folder (default: build/assets with the default output, "
                             "else OUTPUT/assets)")
    parser.add_argument("--strict", action="store_true",
                        help="an image without alt text is an error, also outside the course")
    if name == "handouts":
        add_pdf(parser, require="require a PDF of each handout", refuse="HTML only")
        parser.add_argument("--paper", choices=sorted(PAPER), default="a4",
                            help="paper size of the printed handout (default: a4)")
        parser.add_argument("--with-code", action="store_true",
                            help="include the code cells' input (left out by default)")


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"coursekit: warning: {message}", file=sys.stderr)


def run(args) -> int:
    """Export the notebooks; return 0, or 1 if any failed (each failure is named)."""
    skip_slow_imports()
    name = args.command
    if args.output is None:
        build = Course.find().build
        out = build / name
        assets = args.assets or build / "assets"
    else:
        out = args.output
        assets = args.assets or out / "assets"
    notebooks = list(args.notebooks) or [p for p in lesson_paths() if p.is_file()]
    if not notebooks:
        raise CourseError("No notebooks to export: name some, or add lessons to notebooks/toc.yml.")
    missing = [str(p) for p in notebooks if not Path(p).is_file()]
    if missing:
        raise CourseError(f"No such notebook: {', '.join(missing)}.")
    install_assets(assets)
    pages = learner_pages_for(out, notebooks)
    printer = None
    if name == "handouts" and args.pdf is not False:
        if find_chromium() is None and args.pdf:
            raise CourseError("--pdf needs Chromium: install it (apt-get install chromium) or set "
                              "COURSEKIT_CHROMIUM.")
        printer = PdfPrinter() if find_chromium() else None
    strict = True if args.strict else None
    failures = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", ExportWarning)
            warnings.showwarning = _show_warning
            for path in notebooks:
                try:
                    if name == "slides":
                        written = [export_slides(path, out / f"{path.stem}.slides.html",
                                                 assets=assets, name=str(path), strict=strict,
                                                 pages=pages)]
                    else:
                        written = export_handout(path, out / f"{path.stem}.html", assets=assets,
                                                 pdf=args.pdf, name=str(path), printer=printer,
                                                 strict=strict, paper=args.paper,
                                                 with_code=args.with_code, pages=pages)
                except CourseError as exc:
                    failures += 1
                    print(f"coursekit {name}: {exc}", file=sys.stderr)
                    continue
                for item in written:
                    print(item)
    finally:
        if printer is not None:
            printer.close()
    return 1 if failures else 0
