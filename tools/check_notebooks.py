"""Pre-commit hook: keep committed notebook outputs meaningful instead of stripping them.

The course commits every notebook *with* its outputs, because the tests (nbval) re-run each
notebook and compare the new outputs with the saved ones. A stripped, half-run or broken
notebook would make that comparison empty or wrong, so this hook refuses one where:

- a code cell was never run (no execution count; tag a cell ``nbval-skip`` to exempt it);
- cells were run out of order (execution counts must rise from top to bottom);
- an output is an error (unless the cell is tagged ``raises-exception``);
- a cell or an output contains an absolute path from someone's machine;
- the notebook is a lesson (listed in ``notebooks/toc.yml``) and ``coursekit.course.lint.lint``
  reports a problem (sections, navigation, alt text, source ids, ...).

Run by pre-commit with the staged notebooks, or by hand:
``python tools/check_notebooks.py notebooks/*.ipynb exercises/*.ipynb``.
Fix a notebook by re-running it top to bottom in a fresh kernel (Kernel → Restart Kernel and
Run All Cells, then save), or for a lesson: ``coursekit build``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # pre-commit's own environment has no coursekit installed

from coursekit.course.lessons import read_toc  # noqa: E402
from coursekit.course.lint import ABSOLUTE_PATH, lint  # noqa: E402

SKIP_TAGS = {"nbval-skip", "skip-execution"}
ERROR_TAGS = {"raises-exception"}


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def output_problems(path: Path, *, lesson: bool = False) -> list[str]:
    """Return the problems in the saved outputs of the notebook at ``path``.

    With ``lesson=True`` the error-output and absolute-path rules are left to the lesson lint,
    which reports them in its own words.
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        return [f"{path}: cannot be read as a notebook ({exc})"]
    problems, last = [], 0
    for i, cell in enumerate(cells):
        where = f"{path} cell {i}"
        tags = set(cell.get("metadata", {}).get("tags", []))
        if not lesson and ABSOLUTE_PATH.search(_source(cell)):
            problems.append(f"{where}: absolute path in the source; use a path relative to the course.")
        if cell.get("cell_type") != "code" or not _source(cell).strip() or tags & SKIP_TAGS:
            continue
        count = cell.get("execution_count")
        if count is None:
            problems.append(f"{where}: never run (no saved output); run the whole notebook in a "
                            "fresh kernel and save it. Outputs are kept: the tests compare them.")
        elif count <= last:
            problems.append(f"{where}: run out of order (execution count {count} after {last}); "
                            "restart the kernel, run all cells, save.")
        last = count if count is not None else last
        for out in cell.get("outputs", []):
            if lesson:
                continue
            if out.get("output_type") == "error" and not tags & ERROR_TAGS:
                problems.append(f"{where}: error output ({out.get('ename')}: {out.get('evalue')}); "
                                "fix the cell and rerun, or tag it raises-exception if the error "
                                "is the lesson.")
            text = json.dumps(out.get("data", out.get("text", "")))
            if ABSOLUTE_PATH.search(text):
                problems.append(f"{where}: absolute path in an output; print paths relative "
                                "to the course.")
    return problems


def lesson_files() -> set[Path]:
    """The lessons of the ordered list, as resolved paths."""
    return {(REPO / "notebooks" / entry["file"]).resolve() for entry in read_toc(REPO)}


def check(paths: list[Path]) -> list[str]:
    """Return every problem in the notebooks at ``paths``."""
    lessons = lesson_files()
    problems = []
    for path in paths:
        in_lessons_folder = path.resolve().parent == (REPO / "notebooks").resolve()
        is_lesson = path.resolve() in lessons or in_lessons_folder
        problems += output_problems(path, lesson=is_lesson)
        if is_lesson and path.exists():
            problems += [f"{path.parent.as_posix()}/{p}" for p in lint(path, REPO)]
    return problems


def main(argv: list[str] | None = None) -> int:
    paths = [Path(a) for a in (sys.argv[1:] if argv is None else argv) if a.endswith(".ipynb")]
    problems = check(paths)
    for line in problems:
        print(line)
    if problems:
        print(f"\n{len(problems)} problem(s). Notebook outputs are kept, so they must be "
              "complete and clean: see 'Notebooks and their outputs' in CONTRIBUTING.md.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
