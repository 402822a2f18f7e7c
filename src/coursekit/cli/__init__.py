"""The ``coursekit`` command: one entry point per task, each in its own module.

Subcommand modules are imported only when run, so ``coursekit --help`` answers at once.
Each module named in :data:`COMMANDS` provides ``configure(parser)`` and ``run(args) -> int``.

>>> sorted(COMMANDS)[:2]
['build', 'grade']
"""

from __future__ import annotations

import argparse
import importlib
import sys

from coursekit import __version__
from coursekit.errors import CourseError

__all__ = ["main", "COMMANDS", "skip_iri_grammars"]

# name: (module, one-line help). Keep the help here so --help needs no imports.
COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("coursekit.cli.build", "build the whole course into build/ (lessons, exercises, "
              "slides, handouts, student release, index)"),
    "keys": ("coursekit.cli.keys", "turn plaintext answers (YAML) into a hashed checks.json key file"),
    "grade": ("coursekit.cli.grade", "grade a folder of submitted notebooks into a gradebook"),
    "release": ("coursekit.cli.release", "write student versions of the exercise sets (no solutions)"),
    "slides": ("coursekit.cli.export", "export offline reveal.js slide decks"),
    "handouts": ("coursekit.cli.export", "export offline HTML (and PDF) handouts"),
    "progress": ("coursekit.cli.progress", "show which self-checks you have passed, per notebook"),
    "lab": ("coursekit.cli.lab", "open JupyterLab at the first lesson, with the course's settings"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coursekit",
        description="Build, teach and grade the coursekit course on Pakistan-Russia relations.",
    )
    parser.add_argument("--version", action="version", version=f"coursekit {__version__}")
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, text) in COMMANDS.items():
        subs.add_parser(name, help=text, add_help=False)
    return parser


def skip_iri_grammars() -> None:
    """Keep jsonschema from compiling rfc3987-syntax's IRI grammars in this process.

    nbformat imports jsonschema, which compiles 38 grammars at import when rfc3987-syntax is
    installed (JupyterLab's jupyter-events brings it): about 1.4 s at the start of every
    command, more than grading a submission takes. No schema coursekit validates uses the two
    formats those grammars check (``iri``, ``iri-reference``), so the commands do without them;
    jsonschema skips a format checker whose module cannot be imported. A process that has
    already imported the package keeps it.

    >>> skip_iri_grammars()  # what main() does first (tests/test_cli.py shows the effect)
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # None: "import rfc3987_syntax" fails


def main(argv: list[str] | None = None) -> int:
    """Run the ``coursekit`` command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    skip_iri_grammars()
    parser = _parser()
    if not argv or argv[0] not in COMMANDS:
        args = parser.parse_args(argv)  # prints help or a usage error and exits
        parser.print_help()
        return 2
    name = argv[0]
    module = importlib.import_module(COMMANDS[name][0])
    sub = argparse.ArgumentParser(prog=f"coursekit {name}", description=COMMANDS[name][1])
    module.configure(sub, name)
    args = sub.parse_args(argv[1:])
    args.command = name
    try:
        return int(module.run(args) or 0)
    except CourseError as exc:
        print(f"coursekit {name}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"coursekit {name}: interrupted; finished files were kept.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
