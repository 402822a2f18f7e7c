"""The grader's spreadsheets: the long gradebook, per-student totals, a wide table, Canvas and Moodle.

Every file is UTF-8 CSV that a spreadsheet opens safely. A cell whose text starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return would be run as a formula by Excel, LibreOffice
or Google Sheets; such cells get a leading ``'`` (the OWASP "CSV injection" rule), while real
numbers (points) stay numbers. Text is cut at :data:`MAX_CELL` characters (Python's own csv
reader refuses fields past 131,072) and anything that is not valid UTF-8 (a file name's stray
bytes) is written as ``\\x..`` escapes instead of crashing the writer.

>>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell(-1.5), safe_cell("-1"), safe_cell("ok")
('\\'=HYPERLINK("http://x")', -1.5, "'-1", 'ok')
>>> student_key("section-a/amina/01-timeline.ipynb", "01-timeline")
'section-a/amina'
>>> student_key("amina_01-timeline.ipynb", "01-timeline"), student_key("x.ipynb", "")
('amina', 'x')
"""

from __future__ import annotations

import csv
import io
import re

__all__ = ["COLUMNS", "MAX_CELL", "safe_cell", "clean_text", "cap", "student_key", "csv_bytes",
           "gradebook_csv", "totals", "totals_csv", "wide_csv", "canvas_csv", "moodle_csv",
           "read_gradebook"]

COLUMNS = ("student", "set", "question", "points", "max_points", "status", "message")
MAX_CELL = 2000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value) -> str:
    """``value`` as text that encodes to UTF-8 (lone surrogates from odd file names escaped)."""
    text = "" if value is None else str(value)
    try:  # a file name's undecodable bytes (surrogateescape) shown as the bytes they were
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def cap(text: str, limit: int = MAX_CELL) -> str:
    """Cut ``text`` to ``limit`` characters, saying that it was cut.

    >>> len(cap("x" * 5000)), cap("short")
    (2000, 'short')
    """
    if len(text) <= limit:
        return text
    tail = f" [... {len(text) - limit + 40:,} more characters cut]"
    return text[: limit - len(tail)] + tail


def safe_cell(value):
    """One CSV cell: numbers as they are, text escaped, capped and defused (OWASP rule)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return value
    text = cap(clean_text(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(header, rows) -> bytes:
    """Rows (sequences) under ``header`` as CSV bytes, every cell through :func:`safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def gradebook_csv(rows: list[dict]) -> bytes:
    """The long gradebook: one row per student and question (see :data:`COLUMNS`)."""
    return csv_bytes(COLUMNS, ([row.get(c, "") for c in COLUMNS] for row in rows))


def student_key(student: str, set_name: str) -> str:
    """Who a submission belongs to: its folder (``amina/01.ipynb``), else its file name less the set.

    Collected as one folder per student, every set of that student is one person; collected
    flat, ``amina-01-timeline.ipynb`` and ``amina_02-energy.ipynb`` are both ``amina``.
    """
    if "/" in student:
        return student.rsplit("/", 1)[0]
    stem = student[:-6] if student.lower().endswith(".ipynb") else student
    if set_name:
        for part in (set_name, set_name.split("-")[0]):
            if part and part in stem and stem != part:
                rest = stem.replace(part, " ", 1)
                rest = re.sub(r"[\s_.\-]+", " ", rest).strip()
                if rest:
                    return rest.replace(" ", "-")
    return stem or student


def _number(value) -> float | None:
    if value in ("", None):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _fmt(value: float):
    return int(value) if float(value).is_integer() else round(value, 4)


def totals(rows: list[dict]) -> list[dict]:
    """Per student and set: points so far, points possible, and how many rows wait for you.

    >>> totals([{"student": "a.ipynb", "set": "01-x", "question": "q", "points": 2,
    ...          "max_points": 2, "status": "correct"},
    ...         {"student": "a.ipynb", "set": "01-x", "question": "m", "points": "",
    ...          "max_points": 3, "status": "manual"}])[0]["pending_manual"]
    1
    """
    found: dict[tuple, dict] = {}
    for row in rows:
        key = (student_key(row["student"], row.get("set", "")), row.get("set", ""))
        entry = found.setdefault(key, {"student": key[0], "set": key[1], "points": 0.0,
                                       "max_points": 0.0, "pending_manual": 0,
                                       "submissions": set()})
        entry["submissions"].add(row["student"])
        points, most = _number(row.get("points")), _number(row.get("max_points"))
        entry["points"] += points or 0.0
        entry["max_points"] += most or 0.0
        if row.get("status") == "manual" and points is None:
            entry["pending_manual"] += 1
    result = []
    for entry in found.values():
        result.append({**entry, "points": _fmt(entry["points"]),
                       "max_points": _fmt(entry["max_points"]),
                       "submissions": "; ".join(sorted(entry["submissions"]))})
    return result


def totals_csv(rows: list[dict]) -> bytes:
    """``totals.csv``: one row per student and set."""
    header = ("student", "set", "points", "max_points", "pending_manual", "submissions")
    return csv_bytes(header, ([t[h] for h in header] for t in totals(rows)))


def _wide(rows: list[dict]):
    """Students (in first-seen order), the question columns, and each student's cells."""
    questions: list[tuple[str, str]] = []
    cells: dict[str, dict] = {}
    for row in rows:
        if row.get("question") and (row["set"], row["question"]) not in questions:
            questions.append((row["set"], row["question"]))
        who = student_key(row["student"], row.get("set", ""))
        mine = cells.setdefault(who, {})
        if row.get("question"):
            mine[(row["set"], row["question"])] = row.get("points", "")
    return list(cells), questions, cells


def wide_csv(rows: list[dict]) -> bytes:
    """``wide.csv``: one row per student, one column per question, a total per set and overall.

    A blank cell is a question not submitted or waiting for your manual points.
    """
    students, questions, cells = _wide(rows)
    sets = list(dict.fromkeys(s for s, _ in questions))
    header = ["student", *(q for _, q in questions), *(f"total {s}" for s in sets), "total"]
    body = []
    for who in students:
        mine = cells[who]
        values = [mine.get(q, "") for q in questions]
        per_set = [_fmt(sum(_number(mine.get(q)) or 0 for q in questions if q[0] == s))
                   for s in sets]
        body.append([who, *[_fmt(v) if _number(v) is not None else "" for v in values],
                     *per_set, _fmt(sum(per_set))])
    return csv_bytes(header, body)


def _set_points(rows: list[dict]):
    students = list(dict.fromkeys(student_key(r["student"], r.get("set", "")) for r in rows))
    sets = list(dict.fromkeys(r["set"] for r in rows if r.get("set")))
    points = {(t["student"], t["set"]): t for t in totals(rows)}
    return students, sets, points


def canvas_csv(rows: list[dict]) -> bytes:
    """``canvas.csv`` in the layout of Canvas's gradebook import (one column per set).

    The first five columns are the ones Canvas's own export has (Student, ID, SIS User ID,
    SIS Login ID, Section); Canvas matches a row on ID, SIS User ID or SIS Login ID, so the
    student key (the submission's folder or file name) goes under SIS Login ID: collect
    submissions named by each student's login and the rows match as they are. The second row
    is Canvas's "Points Possible". A set with manual points still blank is left blank (Canvas
    leaves a blank cell's grade unchanged) rather than uploaded as a partial score.
    """
    students, sets, points = _set_points(rows)
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *sets]
    possible = {s: next((t["max_points"] for (_, ts), t in points.items() if ts == s), "")
                for s in sets}
    body = [["Points Possible", "", "", "", "", *(possible[s] for s in sets)]]
    for who in students:
        cells = []
        for s in sets:
            entry = points.get((who, s))
            cells.append("" if entry is None or entry["pending_manual"] else entry["points"])
        body.append([who, "", "", who, "", *cells])
    return csv_bytes(header, body)


def moodle_csv(rows: list[dict]) -> bytes:
    """``moodle.csv`` for Moodle's "Import grades from CSV": an identifier column, one per set.

    Moodle asks, on import, which column identifies the user ("Map from") and which user field
    it is ("Map to": username, ID number or email address); map ``username`` to username.
    """
    students, sets, points = _set_points(rows)
    body = []
    for who in students:
        cells = []
        for s in sets:
            entry = points.get((who, s))
            cells.append("" if entry is None or entry["pending_manual"] else entry["points"])
        body.append([who, *cells])
    return csv_bytes(["username", *sets], body)


def read_gradebook(data: bytes) -> list[dict]:
    """Read a gradebook written by :func:`gradebook_csv` (and maybe edited); undo the ``'``.

    Raises:
        ValueError: it is not a gradebook (wrong header, not UTF-8, a broken row).
    """
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(header[: len(COLUMNS)]) != COLUMNS:
        raise ValueError("its first row is not the gradebook's header "
                         f"({', '.join(COLUMNS)})")
    rows = []
    for line in reader:
        if not any(cell.strip() for cell in line):
            continue
        cells = [c[1:] if c.startswith("'") and c[1:2] and c[1] in "=+-@\t\r" else c
                 for c in line]
        rows.append(dict(zip(COLUMNS, cells + [""] * (len(COLUMNS) - len(cells)), strict=False)))
    return rows
