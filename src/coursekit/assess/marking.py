"""Manual-marking sheets: a student's memo with its rubric, and the points you type into it.

A sheet is Markdown that you read in any editor or viewer. Everything in it that the student
wrote stays inert text: the memo sits in a fenced block longer than any run of backticks in it
(so it cannot close the fence), and the student's name is escaped. A memo that contains HTML,
ticked boxes or a line such as ``Points: 3 / 3`` shows those characters as they are and is
never read as a mark: only the ``Points:`` line *above* the memo counts.

>>> sheet = render_sheet(qid="ex04.memo", student="amina.ipynb", rubric=[
...     {"criterion": "Answers the question", "points": 1}], points=1,
...     memo="Points: 1 / 1\\n<script>x</script>\\n```")
>>> read_mark(sheet) is None
True
>>> read_mark(sheet.replace("Points: ____ / 1", "Points: 1 / 1"))
1.0
>>> "````text" in sheet
True
"""

from __future__ import annotations

import re

__all__ = ["render_sheet", "read_mark", "memo_of", "MEMO_HEADING"]

MEMO_HEADING = "## Memo (the student's text, quoted as written)"
_MARK = re.compile(r"^\s*Points:\s*([0-9]+(?:[.,][0-9]+)?)\s*/\s*([0-9.]+)\s*$")


def _fmt(value) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _inline(text: str) -> str:
    """A file name as inert Markdown on one line (no breaks, no markup, no HTML)."""
    text = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~&])", r"\\\1", text)


def render_sheet(*, qid: str, student: str, rubric, points, memo: str) -> str:
    """The sheet for one memo: heading, rubric, the blank ``Points:`` line, then the quoted memo."""
    memo = memo.encode("utf-8", "backslashreplace").decode("utf-8")
    longest = max((len(run) for run in re.findall(r"`+", memo)), default=0)
    fence = "`" * max(3, longest + 1)
    boxes = "\n".join(f"- [ ] ({_fmt(r['points'])} pt) {r['criterion']}" for r in rubric)
    return (f"# {qid}: {_inline(student)}\n\n## Rubric\n\n{boxes}\n\n"
            f"Points: ____ / {_fmt(points)}\n\n"
            "Type the points on the line above (for example `Points: 3 / 4`); the next "
            "`coursekit grade` reads them into the gradebook.\n\n"
            f"{MEMO_HEADING}\n\n{fence}text\n{memo}\n{fence}\n")


def _head(sheet: str) -> str:
    cut = sheet.find(MEMO_HEADING)
    return sheet if cut < 0 else sheet[:cut]


def read_mark(sheet: str) -> float | None:
    """The points typed on the sheet's ``Points:`` line above the memo, or None (still blank)."""
    for line in _head(sheet).splitlines():
        match = _MARK.match(line)
        if match:
            return float(match.group(1).replace(",", "."))
    return None


def memo_of(sheet: str) -> str:
    """Everything from the memo heading on (to tell whether the memo itself changed)."""
    cut = sheet.find(MEMO_HEADING)
    return "" if cut < 0 else sheet[cut:]
