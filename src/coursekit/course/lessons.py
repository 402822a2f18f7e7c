"""The ordered list of lessons (``notebooks/toc.yml``), generated navigation, and lesson lint.

One list drives the order, the previous/next links, the build and the tests. A lesson's
navigation cell (tagged ``navigation``) is written by :func:`write_navigation`, never by hand;
:func:`lint` reports everything a lesson must have and must not contain.

>>> [entry["file"] for entry in read_toc()][:1]
['00-start-here.ipynb']
>>> "Next:" in navigation_markdown("00-start-here.ipynb")
True
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from coursekit.errors import CourseError
from coursekit.paths import course_root

__all__ = ["read_toc", "lesson_paths", "navigation_markdown", "write_navigation", "lint",
           "time_budget", "claimed_minutes", "NAV_TAG", "REQUIRED_SECTIONS", "WORDS_PER_MINUTE",
           "MINUTES_PER_CODE_CELL", "MINUTES_PER_CHECK", "MINUTES_PER_EXERCISE", "SKILLS",
           "question_rows", "skills_table", "lesson_budgets", "lesson_table", "course_total",
           "guide_regions", "update_guide", "GUIDE_REGIONS"]

NAV_TAG = "navigation"
REQUIRED_SECTIONS = ("Learning objectives", "Questions", "Key points", "Sources")
ABSOLUTE_PATH = re.compile(r"(?<![\w.])(/home/|/root/|/tmp/|/work/|/Users/|[A-Za-z]:\\\\)")
GENERIC_ALT = {"", "image", "figure", "no description has been provided for this image"}
CITING_CALLS = {"cite", "bibliography", "show"}


def read_toc(root: str | Path | None = None) -> list[dict]:
    """Return the lessons in teaching order: dicts with ``file`` and ``title``.

    Raises:
        CourseError: the list is missing, not YAML, or an entry lacks ``file`` or ``title``.
    """
    import yaml

    path = course_root(root) / "notebooks" / "toc.yml"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path} is missing: it lists the lessons in order.") from None
    except yaml.YAMLError as exc:
        raise CourseError(f"{path}: not valid YAML ({exc}).") from None
    entries = (doc or {}).get("lessons") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CourseError(f"{path}: expected a 'lessons:' list of entries with file and title.")
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not entry.get("file") or not entry.get("title"):
            raise CourseError(f"{path}: lesson entry {number} needs both 'file' and 'title'.")
    return entries


def lesson_paths(root: str | Path | None = None) -> list[Path]:
    """Return the lesson notebooks' paths in teaching order."""
    folder = course_root(root) / "notebooks"
    return [folder / entry["file"] for entry in read_toc(root)]


def navigation_markdown(filename: str, root: str | Path | None = None) -> str:
    """Return the generated previous/next links for lesson ``filename``."""
    toc = read_toc(root)
    files = [entry["file"] for entry in toc]
    if filename not in files:
        raise CourseError(f"{filename} is not in notebooks/toc.yml: add it to the list.")
    i = files.index(filename)

    def link(entry: dict) -> str:
        return f"[{entry['title']}]({entry['file']})"

    parts = []
    parts.append(f"**Previous:** {link(toc[i - 1])}" if i > 0 else "**Previous:** none, this is the first lesson")
    parts.append(f"**Next:** {link(toc[i + 1])}" if i + 1 < len(toc) else "**Next:** none, this is the last lesson")
    return " · ".join(parts) + f" · **All lessons:** {link(toc[0])}"


def write_navigation(path: str | Path, root: str | Path | None = None) -> bool:
    """Rewrite the ``navigation``-tagged cell of the lesson at ``path``; return True if changed.

    Only that generated cell is touched; a lesson without one gets one appended.
    """
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    text = navigation_markdown(path.name, root)
    cells = [c for c in nb.cells if NAV_TAG in c.get("metadata", {}).get("tags", [])]
    if cells and all(c.source == text for c in cells):
        return False
    if not cells:
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["tags"] = [NAV_TAG]
        cell.metadata["slideshow"] = {"slide_type": "skip"}
        nb.cells.append(cell)
    for cell in cells:
        cell.source = text
    tmp = path.with_name(path.name + ".tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)
    return True


def _cited_ids(code: str) -> list[str]:
    """Return string literals passed to cite(), bibliography() or show(sources=...)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name not in CITING_CALLS:
            continue
        args = list(node.args) if name != "show" else []
        args += [kw.value for kw in node.keywords if kw.arg == "sources"]
        for arg in args:
            # Only literal ids: a string, or strings inside a list, tuple or set display.
            # A computed argument (frame.source_id, frame["source_id"]) is checked at run time.
            items = arg.elts if isinstance(arg, (ast.List, ast.Tuple, ast.Set)) else [arg]
            found += [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]
    return found


def lint(path: str | Path, root: str | Path | None = None) -> list[str]:
    """Return every problem in the lesson at ``path`` (an empty list means it passes).

    It checks the sections, the kernelspec, outputs (errors, images without alt text),
    absolute paths, source ids against ``data/sources.csv`` and the generated navigation.
    """
    from coursekit.data import load

    path = Path(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{path.name}: cannot be read as a notebook ({exc})"]
    problems = []
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"{path.name}: kernelspec is {kernel!r}; set it to 'python3'.")
    markdown = "\n".join("".join(c.get("source", "")) for c in nb["cells"] if c["cell_type"] == "markdown")
    for section in REQUIRED_SECTIONS:
        if not re.search(rf"^#+\s*{section}\b", markdown, flags=re.M | re.I):
            problems.append(f"{path.name}: no '{section}' section (a Markdown heading).")
    known = set(load("sources", root=root)["source_id"])
    nav = [c for c in nb["cells"] if NAV_TAG in c.get("metadata", {}).get("tags", [])]
    try:
        expected_nav = navigation_markdown(path.name, root)
    except CourseError as exc:
        problems.append(f"{path.name}: {exc}")
        expected_nav = None
    if expected_nav is not None:
        if not nav:
            problems.append(f"{path.name}: no navigation cell; run write_navigation() or coursekit build.")
        for cell in nav:
            if "".join(cell["source"]) != expected_nav:
                problems.append(f"{path.name}: navigation cell disagrees with notebooks/toc.yml; "
                                "regenerate it (coursekit build), do not edit it by hand.")
    for i, cell in enumerate(nb["cells"]):
        where = f"{path.name} cell {i}"
        source = "".join(cell.get("source", ""))
        if ABSOLUTE_PATH.search(source):
            problems.append(f"{where}: absolute path in the source; use a path relative to the course.")
        if cell["cell_type"] == "code":
            for sid in _cited_ids(source):
                if sid not in known:
                    problems.append(f"{where}: source id {sid!r} is not in data/sources.csv.")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"{where}: error output ({out.get('ename')}); fix the cell and rerun.")
            text = json.dumps(out.get("data", out.get("text", "")))
            if ABSOLUTE_PATH.search(text):
                problems.append(f"{where}: absolute path in an output; print relative paths.")
            for mime in out.get("data", {}):
                if mime.startswith("image/"):
                    alt = str(out.get("metadata", {}).get(mime, {}).get("alt", "")).strip()
                    if alt.lower() in GENERIC_ALT:
                        problems.append(f"{where}: image without alt text; draw it with "
                                        "coursekit.plots.show(..., alt=...).")
    return problems


# --------------------------------------------------------------------------- time budgets
# The method, stated in instructors/guide.md ("How long a lesson takes"): a history student
# reads study prose at about 120 words a minute; runs and reads one code cell (and what it
# shows) in a minute; answers a self-check in three; does a numbered exercise in ten.
WORDS_PER_MINUTE = 120
MINUTES_PER_CODE_CELL = 1
MINUTES_PER_CHECK = 3
MINUTES_PER_EXERCISE = 10
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_EXERCISE_ITEM = re.compile(r"^\d+\.\s+\S", re.M)
_CLAIM = re.compile(r"Teaching:\s*(\d+)\s*min\b.*?(?:exercises|Exercises):\s*(\d+)\s*min", re.S)


def _words(markdown: str) -> int:
    text = re.sub(r"\]\([^)]*\)", "]", markdown)  # a link counts by its words, not its address
    text = re.sub(r"<[^>]+>", " ", text)
    return len(_WORD.findall(text))


def _role(cell) -> str:
    meta = cell.get("metadata", {})
    tags = meta.get("tags", [])
    if (meta.get("slideshow") or {}).get("slide_type") == "notes" or NAV_TAG in tags:
        return "skip"  # instructor-only notes and the generated navigation are not read in class
    if cell.get("cell_type") == "markdown":
        return "prose"
    if cell.get("cell_type") != "code":
        return "skip"
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    if "self-check" in tags or re.search(r"\bcheck\(", source):
        return "check"
    if "setup" in tags or (meta.get("jupyter") or {}).get("source_hidden") or not source.strip():
        return "skip"  # the setup cell and collapsed machinery are run, not read
    return "code"


def time_budget(nb) -> dict:
    """Minutes a lesson takes by the course's stated method (instructors/guide.md).

    The lesson is split at its ``## Exercises`` heading: from there to the next level-2
    heading is the exercise part, the rest is teaching. Each part costs its prose (words at
    :data:`WORDS_PER_MINUTE`), its code cells a student reads (:data:`MINUTES_PER_CODE_CELL`
    each), its self-checks (:data:`MINUTES_PER_CHECK` each) and, in the exercise part, its
    numbered exercises (:data:`MINUTES_PER_EXERCISE` each). Speaker notes, the navigation
    cell, the setup cell and collapsed machinery cells are not counted.

    Args:
        nb: a notebook (nbformat node or the same structure as a dict).

    Returns:
        ``{"teaching": minutes, "exercises": minutes, "words": ..., "code_cells": ...,
        "checks": ..., "exercise_items": ...}``, minutes rounded to whole numbers.

    >>> import nbformat
    >>> v4 = nbformat.v4
    >>> nb = v4.new_notebook(cells=[v4.new_markdown_cell("word " * 240), v4.new_code_cell("x = 1"),
    ...     v4.new_code_cell('check("q", x)'), v4.new_markdown_cell("## Exercises\\n\\n1. Do it.\\n2. Again."),
    ...     v4.new_markdown_cell("## Key points")])
    >>> budget = time_budget(nb)
    >>> budget["teaching"], budget["exercises"]
    (6, 20)
    """
    cells = nb["cells"] if isinstance(nb, dict) else nb.cells
    parts = {"teaching": {"words": 0, "code": 0, "check": 0, "items": 0},
             "exercises": {"words": 0, "code": 0, "check": 0, "items": 0}}
    part = "teaching"
    for cell in cells:
        role = _role(cell)
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "markdown":
            heading = re.search(r"^##\s+(.+)$", source, re.M)
            if heading:
                part = "exercises" if heading.group(1).strip().lower().startswith("exercises") else "teaching"
        if role == "prose":
            parts[part]["words"] += _words(source)
            if part == "exercises":
                parts[part]["items"] += len(_EXERCISE_ITEM.findall(source))
        elif role in ("code", "check"):
            parts[part][role] += 1

    def minutes(p: dict) -> int:
        return round(p["words"] / WORDS_PER_MINUTE + p["code"] * MINUTES_PER_CODE_CELL
                     + p["check"] * MINUTES_PER_CHECK + p["items"] * MINUTES_PER_EXERCISE)

    every = {k: parts["teaching"][k] + parts["exercises"][k] for k in parts["teaching"]}
    return {"teaching": minutes(parts["teaching"]), "exercises": minutes(parts["exercises"]),
            "words": every["words"], "code_cells": every["code"], "checks": every["check"],
            "exercise_items": every["items"]}


def claimed_minutes(nb) -> tuple[int, int] | None:
    """The ``(teaching, exercises)`` minutes a lesson's title cell states, or None.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
    ...     "# 00 · Start\\n\\nTeaching: 20 min · Exercises: 15 min · Builds on: nothing.")])
    >>> claimed_minutes(nb)
    (20, 15)
    """
    cells = nb["cells"] if isinstance(nb, dict) else nb.cells
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            match = _CLAIM.search("".join(source) if isinstance(source, list) else source)
            return (int(match.group(1)), int(match.group(2))) if match else None
    return None


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


def _answer_files(root: Path) -> list[tuple[str, Path]]:
    lessons_dir, sets_dir = root / "instructors" / "answers", root / "exercises" / "answers"
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
    import yaml

    root = course_root(root)
    rows = []
    for kind, path in _answer_files(root):
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise CourseError(f"{path}: not valid YAML ({exc}).") from None
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
    import nbformat

    out = []
    for entry, path in zip(read_toc(root), lesson_paths(root), strict=True):
        nb = nbformat.read(path, as_version=4)
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
    import nbformat

    root = course_root(root)
    rows = lesson_budgets(root)
    teaching = sum(r["teaching"] for r in rows)
    practice = sum(r["exercises"] for r in rows)
    longest = max(r["teaching"] + r["exercises"] for r in rows)
    sets = sorted((root / "exercises").glob("[0-9][0-9]-*.ipynb"))
    set_minutes = 0
    for path in sets:
        title = nbformat.read(path, as_version=4).cells[0].source
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
    root = course_root(root)
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
