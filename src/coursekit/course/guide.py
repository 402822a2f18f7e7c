"""The instructor guide's generated tables: lessons with their minutes, questions with their skills.

>>> "| 00 · " in lesson_table()
True
"""

from __future__ import annotations

import re
from pathlib import Path

from coursekit.course.budget import time_budget
from coursekit.course.files import read_notebook, read_yaml
from coursekit.course.lessons import lesson_paths, read_toc
from coursekit.course.model import Course
from coursekit.errors import CourseError

__all__ = ["SKILLS", "GUIDE_REGIONS", "question_rows", "skills_table", "lesson_budgets",
           "lesson_table", "course_total", "guide_regions", "update_guide"]

# --------------------------------------------------------------------------- guide tables
# The instructor guide's tables of lessons and of questions are generated from the lessons and
# the answer files, so they cannot drift: tools/guide_tables.py writes them between marker
# comments in instructors/guide.md, and tests/test_guide.py fails when what is there is stale.
SKILLS = ("load", "select", "count", "sort", "dates", "percent")
MISSING = "—"  # shown for a field an answer entry does not have yet
GUIDE_REGIONS = ("course-total", "lesson-table", "skills-table")


def _marker(name: str, end: bool = False) -> str:
    if end:
        return f"<!-- end generated: {name} -->"
    return f"<!-- generated: {name} (python tools/guide_tables.py writes it; do not edit by hand) -->"


def _cell(text) -> str:
    # A Markdown table cell: one line, no bare pipe.
    return " ".join(str(text).split()).replace("|", "\\|")


def _answer_files(course: Course) -> list[tuple[str, Path]]:
    lessons_dir, sets_dir = course.lesson_answers, course.set_answers
    return ([("self-check", p) for p in sorted(lessons_dir.glob("*.yml"))]
            + [("graded", p) for p in sorted(sets_dir.glob("*.yml"))])


def question_rows(root: str | Path | None = None) -> list[dict]:
    """Every self-check and graded exercise question, in course order, from the answer files.

    Each row has ``id``, ``where`` (``"lesson 05"`` or ``"set 02"``), ``type``
    (``"self-check"`` or ``"graded"``; a hand-marked question is ``"graded (rubric)"``),
    ``asks`` and ``skills`` (``None`` where the entry lacks the field), and ``points``.

    Raises:
        CourseError: an answer file is not a YAML mapping, or an entry names a skill that
            is not one of :data:`SKILLS` (the primer's vocabulary).
    """
    rows = []
    for kind, path in _answer_files(Course.find(root)):
        spec = read_yaml(path) or {}
        if not isinstance(spec, dict):
            raise CourseError(f"{path}: expected a mapping of question ids to entries.")
        number = path.name[:2]
        for qid, entry in spec.items():
            entry = entry if isinstance(entry, dict) else {}
            skills = entry.get("skills")
            if skills is not None:
                if not isinstance(skills, list) or any(s not in SKILLS for s in skills):
                    raise CourseError(f"{path}: {qid} has skills {skills!r}; use a list drawn only "
                                      f"from {', '.join(SKILLS)} (an empty list [] for no code).")
            rows.append({"id": qid, "where": ("lesson " if kind == "self-check" else "set ") + number,
                         "type": "graded (rubric)" if entry.get("kind") == "manual" else kind,
                         "asks": entry.get("asks"), "skills": skills, "points": entry.get("points")})
    return rows


def skills_table(root: str | Path | None = None) -> str:
    """The guide's table of every question, the primer skills it needs and what it asks.

    A missing ``asks:`` or ``skills:`` is shown as "—"; an empty skills list (a question that
    needs no code) as "none".

    >>> table = skills_table()
    >>> table.splitlines()[0]
    '| question | where | type | asks | primer skills |'
    >>> "| ex04.disputed | set 04 | graded |" in table
    True
    """
    lines = ["| question | where | type | asks | primer skills |", "|---|---|---|---|---|"]
    for row in question_rows(root):
        skills = MISSING if row["skills"] is None else (", ".join(row["skills"]) or "none")
        lines.append(f"| {row['id']} | {row['where']} | {row['type']} | {row['asks'] or MISSING} | {skills} |")
    return "\n".join(lines)


def _objectives(nb) -> str:
    """A lesson's learning objectives as one line: the bullets of its objectives section."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        match = re.search(r"^#+\s*Learning objectives\s*$(.*?)(?=^#|\Z)", cell.source, re.M | re.S | re.I)
        if match:
            bullets = re.findall(r"^\s*[-*]\s+(.+(?:\n(?!\s*[-*]\s)(?!\s*$).+)*)", match.group(1), re.M)
            items = [" ".join(b.split()).rstrip(".") for b in bullets]
            return "; ".join(i[:1].lower() + i[1:] for i in items)
    return MISSING


def lesson_budgets(root: str | Path | None = None) -> list[dict]:
    """Each lesson in teaching order with its minutes by :func:`time_budget` and its objectives."""
    out = []
    for entry, path in zip(read_toc(root), lesson_paths(root), strict=True):
        nb = read_notebook(path)
        budget = time_budget(nb)
        out.append({"file": entry["file"], "title": entry["title"], "teaching": budget["teaching"],
                    "exercises": budget["exercises"], "objectives": _objectives(nb)})
    return out


def lesson_table(root: str | Path | None = None) -> str:
    """The guide's lesson table: minutes by the stated method, objectives from each lesson.

    >>> lesson_table().splitlines()[0]
    '| lesson | file | teaching (min) | exercises (min) | what students learn to do |'
    """
    lines = ["| lesson | file | teaching (min) | exercises (min) | what students learn to do |",
             "|---|---|---|---|---|"]
    for row in lesson_budgets(root):
        link = f"[notebooks/{row['file']}](../notebooks/{row['file']})"
        lines.append(f"| {_cell(row['title'])} | {link} | {row['teaching']} | {row['exercises']} | "
                     f"{_cell(row['objectives'])} |")
    return "\n".join(lines)


def _hours(minutes: int) -> str:
    """``255`` -> ``'4 h 15 min'``.

    >>> _hours(255), _hours(60), _hours(45)
    ('4 h 15 min', '1 h', '45 min')
    """
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
            8: "eight", 9: "nine", 10: "ten", 11: "eleven", 12: "twelve"}


def course_total(root: str | Path | None = None) -> str:
    """The guide's course-total sentence, summed from the lessons' budgets and the sets' titles.

    The exercise sets' minutes are the ones their title cells state ("Exercises: 40 min").
    """
    course = Course.find(root)
    rows = lesson_budgets(course.root)
    teaching = sum(r["teaching"] for r in rows)
    practice = sum(r["exercises"] for r in rows)
    longest = max(r["teaching"] + r["exercises"] for r in rows)
    sets = sorted(course.exercises.glob("[0-9][0-9]-*.ipynb"))
    set_minutes = 0
    for path in sets:
        title = read_notebook(path).cells[0].source
        match = re.search(r"Exercises:\s*(\d+)\s*min", title)
        if not match:
            raise CourseError(f"{path}: the title cell states no 'Exercises: N min'.")
        set_minutes += int(match.group(1))
    fits = ("so one lesson fits one class" if longest <= 60
            else "more than the 60 minutes of one class: trim or split it")
    count = _NUMBERS.get(len(rows), str(len(rows)))
    set_count = _NUMBERS.get(len(sets), str(len(sets)))
    return (f"By the method below, the {count} lessons take {_hours(teaching)} of teaching and "
            f"{_hours(practice)} of in-class exercises and seminar ({_hours(teaching + practice)} in "
            f"all; the longest lesson takes {longest} minutes, {fits}); the "
            f"{set_count} graded exercise sets add {_hours(set_minutes)} of student work, as their "
            f"title cells state.")


def guide_regions(root: str | Path | None = None) -> dict[str, str]:
    """The generated regions of ``instructors/guide.md``, by name (see :data:`GUIDE_REGIONS`)."""
    return {"course-total": course_total(root), "lesson-table": lesson_table(root),
            "skills-table": skills_table(root)}


def update_guide(path: str | Path | None = None, root: str | Path | None = None, *,
                 check: bool = False) -> list[str]:
    """Write the generated regions into the guide between their marker comments.

    Only the text between ``<!-- generated: NAME ... -->`` and ``<!-- end generated: NAME -->``
    is replaced; everything an instructor wrote around it is kept.

    Args:
        path: the guide (default ``instructors/guide.md`` of the course).
        root: the course folder.
        check: only report; write nothing.

    Returns:
        The names of the regions that were (or, with ``check``, would be) changed.

    Raises:
        CourseError: a region's markers are missing, repeated or out of order (the message
            names the guide and the marker to add).

    >>> import tempfile
    >>> guide = Path(tempfile.mkdtemp()) / "guide.md"
    >>> _ = guide.write_text("# Guide\\n\\n" + "\\n\\n".join(
    ...     _marker(n) + "\\nold\\n" + _marker(n, end=True) for n in GUIDE_REGIONS) + "\\n")
    >>> update_guide(guide, check=True)
    ['course-total', 'lesson-table', 'skills-table']
    >>> update_guide(guide)
    ['course-total', 'lesson-table', 'skills-table']
    >>> update_guide(guide, check=True)
    []
    """
    root = Course.find(root).root
    path = Path(path) if path is not None else root / "instructors" / "guide.md"
    text = path.read_text(encoding="utf-8")
    changed = []
    for name, body in guide_regions(root).items():
        start, end = _marker(name), _marker(name, end=True)
        if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
            raise CourseError(f"{path}: needs exactly one pair of markers for {name!r}: a line\n"
                              f"{start}\nthen, below it, a line\n{end}")
        before, rest = text.split(start, 1)
        current, after = rest.split(end, 1)
        wanted = f"\n\n{body}\n\n"
        if current != wanted:
            changed.append(name)
            text = before + start + wanted + end + after
    if changed and not check:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return changed
