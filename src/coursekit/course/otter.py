"""otter-grader notebooks read as they are: raw-cell blocks, solution lines, tests, prompts.

The format is otter-assign's (``otter/assign/blocks.py``, ``solutions.py``,
``tests_manager.py``, ``notebook_transformer.py``):

- raw cells ``# ASSIGNMENT CONFIG`` (YAML), ``# BEGIN QUESTION`` (YAML with ``name``,
  ``points``, ``manual``) ... ``# END QUESTION``, and inside a question ``# BEGIN SOLUTION``,
  ``# BEGIN PROMPT`` and ``# BEGIN TESTS`` blocks, each closed by its ``# END`` cell (a Markdown
  cell fenced as a whole in ```` ```otter ```` counts as the raw cell);
- in a solution block's code, ``x = 1  # SOLUTION`` becomes ``x = ...``, another ``# SOLUTION``
  line becomes ``...``, an in-cell ``# BEGIN SOLUTION`` region becomes ``...`` (nothing with
  ``NO PROMPT``), and ``# SOLUTION NO PROMPT``, ``# BEGIN PROMPT`` and ``# END PROMPT`` lines go;
  a solution block's Markdown cells go (a manual question without a prompt block gets otter's
  response cell);
- test cells are kept out of the student copy; a test whose first line is a comment saying
  ``HIDDEN`` (or whose ``BEGIN TEST CONFIG`` says ``hidden: true``) is hidden;
- a cell whose first line is ``# IGNORE`` (or ``## Ignore ##``) is left out everywhere, and so
  are code lines ending in ``# IGNORE`` and ``# BEGIN IGNORE`` / ``# END IGNORE`` regions.

>>> import nbformat
>>> raw, code = nbformat.v4.new_raw_cell, nbformat.v4.new_code_cell
>>> nb = nbformat.v4.new_notebook(cells=[raw("# BEGIN QUESTION\\nname: q1\\npoints: 2"),
...     raw("# BEGIN SOLUTION"), code("x = 2 * 3  # SOLUTION"), raw("# END SOLUTION"),
...     raw("# BEGIN TESTS"), code("# HIDDEN\\nassert x == 6"), raw("# END TESTS"),
...     raw("# END QUESTION")])
>>> [(r.kind, r.question) for r in roles(nb)][2], roles(nb)[5].kind
(('solution', 'q1'), 'hidden-test')
>>> student_source(nb.cells[2], roles(nb)[2], "cell 2")
'x = ...'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from coursekit.course.notebooks import source as _text
from coursekit.course.otterlines import replace_solutions, unignored
from coursekit.errors import CourseError

__all__ = ["OtterRole", "RESPONSE", "is_otter", "roles", "student_source", "solution_lines",
           "question_config"]

RESPONSE = "_Type your answer here, replacing this text._"
BLOCKS = ("question", "prompt", "solution", "tests")
_BOUNDARY = re.compile(r"^#\s+(begin|end)\s+(question|prompt|solution|tests)\s*$", re.I)
_CONFIG = re.compile(r"^#\s+assignment\s+config\s*$", re.I)
_IGNORE = re.compile(r"(##\s*ignore\s*##\s*|#\s*ignore\s*)", re.I)
_MARKER = re.compile(r"\s*#\s?SOLUTION(\s+NO\s+PROMPT)?\s*$")
_TEST_CONFIG = re.compile(r'(?:.\s*=\s*)?""?"?\s*#\s*BEGIN\s*TEST\s*CONFIG', re.I)


@dataclass
class OtterRole:
    """What one cell of an otter notebook is.

    ``kind``: ``config`` / ``delimiter`` / ``ignore`` (never shipped), ``prompt`` (outside any
    question), ``question`` (the question's own text, locked), ``solution``, ``answer`` (a
    prompt-block cell), ``test`` or ``hidden-test``; ``question`` is the question's name and
    ``config`` its YAML.
    """

    kind: str
    question: str | None = None
    config: dict = field(default_factory=dict)
    points: float | None = None   # a test cell's own points (its BEGIN TEST CONFIG)


def _unfenced(cell) -> str | None:
    """The text of a raw cell, or of a Markdown cell fenced as a whole in ```otter."""
    text = _text(cell)
    if cell.get("cell_type") == "raw":
        return text
    lines = text.strip().split("\n")
    if cell.get("cell_type") == "markdown" and lines[0].strip() == "```otter" and lines[-1].strip() == "```":
        return "\n".join(lines[1:-1])
    return None


def is_otter(nb) -> bool:
    """True when ``nb`` has an otter ``# BEGIN QUESTION`` or ``# ASSIGNMENT CONFIG`` cell."""
    for cell in nb.get("cells", []):
        text = _unfenced(cell)
        first = text.split("\n")[0].strip() if text else ""
        if _CONFIG.match(first) or re.match(r"^#\s+begin\s+question\b", first, re.I):
            return True
    return False


def _yaml(text: str, where: str):
    import yaml

    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise CourseError(f"{where}: its YAML cannot be read ({exc}).") from None


def question_config(text: str, where: str) -> dict:
    """Parse a ``# BEGIN QUESTION`` cell's YAML; it must be a mapping with a ``name``.

    >>> question_config("# BEGIN QUESTION\\nname: q1\\nmanual: true", "cell 3")
    {'name': 'q1', 'manual': True}
    """
    config = _yaml("\n".join(text.split("\n")[1:]), where)
    if not isinstance(config, dict) or not isinstance(config.get("name"), str):
        raise CourseError(f"{where}: a '# BEGIN QUESTION' cell needs 'name: ...' in its YAML.")
    return config


def _test(source: str, where: str) -> tuple[bool, float | None]:
    """(hidden, own points) of a test cell, from its first line or its BEGIN TEST CONFIG."""
    lines = source.split("\n")
    if _TEST_CONFIG.match(lines[0]):
        ends = [i for i, line in enumerate(lines) if re.match(r'""?"?\s*#\s*END\s*TEST\s*CONFIG', line, re.I)]
        config = _yaml("\n".join(lines[1:ends[0] if ends else len(lines)]), where)
        config = config if isinstance(config, dict) else {}
        points = config.get("points")
        return bool(config.get("hidden")), float(points) if isinstance(points, (int, float)) else None
    return lines[0].lstrip().startswith("#") and bool(re.search(r"\bhidden\b", lines[0], re.I)), None


def roles(nb, name: str = "notebook") -> list[OtterRole]:
    """Classify every cell of an otter notebook by the blocks around it.

    Raises:
        CourseError: a block that is not closed, closed out of order or opened in the wrong
            place, a question without a name, a non-code cell in a tests block, or a raw cell
            that looks like a delimiter but is not one (the message names the cell).
    """
    stack: list[str] = []
    config: dict = {}
    out: list[OtterRole] = []
    for index, cell in enumerate(nb.get("cells", [])):
        where = f"{name}, cell {index}"
        text = _unfenced(cell)
        if text is None and any(line.strip() == "```otter" for line in _text(cell).split("\n")):
            raise CourseError(f"{where}: an ```otter block inside other Markdown; put it in a "
                              "cell of its own (or a raw cell) so coursekit can read it.")
        first = text.split("\n")[0].strip() if text is not None else ""
        if _IGNORE.match(_text(cell).split("\n")[0]) and not _BOUNDARY.match(first):
            out.append(OtterRole("ignore"))
            continue
        if text is not None and _CONFIG.match(first):
            out.append(OtterRole("config"))
            continue
        boundary = _BOUNDARY.match(first) if text is not None else None
        if boundary:
            edge, block = boundary.group(1).lower(), boundary.group(2).lower()
            if edge == "begin":
                if (block == "question") != (not stack) or len(stack) > 1:
                    raise CourseError(f"{where}: '# BEGIN {block.upper()}' in the wrong place "
                                      f"(open blocks: {', '.join(stack) or 'none'}).")
                if block == "question":
                    config = question_config(text, where)
                stack.append(block)
            elif not stack or stack[-1] != block:
                raise CourseError(f"{where}: '# END {block.upper()}' without its BEGIN cell "
                                  f"(open blocks: {', '.join(stack) or 'none'}).")
            else:
                stack.pop()
            out.append(OtterRole("delimiter", config.get("name"), dict(config)))
            continue
        if cell.get("cell_type") == "raw" and re.match(r"^#+\s*(begin|end)\b", first, re.I):
            raise CourseError(f"{where}: a raw cell '{first[:40]}' that is no otter delimiter "
                              "coursekit knows; use # BEGIN/END QUESTION, SOLUTION, PROMPT or TESTS.")
        qname = config.get("name") if stack else None
        block = stack[-1] if stack else None
        if block == "tests":
            if cell.get("cell_type") != "code":
                raise CourseError(f"{where}: a {cell.get('cell_type')} cell in a tests block; "
                                  "tests are code cells.")
            hidden, own = _test(_text(cell), where)
            out.append(OtterRole("hidden-test" if hidden else "test", qname, dict(config), own))
            continue
        kind = {"solution": "solution", "prompt": "answer", "question": "question"}.get(block, "prompt")
        out.append(OtterRole(kind, qname, dict(config) if stack else {}))
    if stack:
        raise CourseError(f"{name}: the {stack[-1]} block of question "
                          f"{config.get('name')!r} is never closed; add its '# END ...' raw cell.")
    return out


def solution_lines(cell, role: OtterRole) -> list[str]:
    """The lines of a cell that the student copy must never hold (solution, hidden test).

    Public tests are not secret: otter gives them to students through ``grader.check``.
    """
    text = _text(cell)
    tags = (cell.get("metadata") or {}).get("tags") or []
    if role.kind == "hidden-test" or (role.kind == "solution" and cell.get(
            "cell_type") != "code" and "otter_include" not in tags):
        return text.split("\n")
    if role.kind != "solution":
        return []
    kept = set(replace_solutions(text.split("\n"), "cell"))
    # the secret is the code, not otter's marker: "return b - a" leaks without "# SOLUTION"
    return [_MARKER.sub("", line) or line for line in text.split("\n") if line not in kept]


def student_source(cell, role: OtterRole, where: str) -> str | None:
    """The student version of one cell's source, or None when the cell is left out.

    Raises:
        CourseError: a solution code cell with no solution marker at all (the whole model answer
            would ship), or unbalanced in-cell markers.
    """
    if role.kind in ("config", "delimiter", "ignore", "test", "hidden-test"):
        return None
    text = unignored(_text(cell), where) if cell.get("cell_type") == "code" else _text(cell)
    if role.kind != "solution":
        return text
    if cell.get("cell_type") != "code":
        tags = (cell.get("metadata") or {}).get("tags") or []
        # otter keeps a solution-block Markdown cell tagged otter_include; others are answers
        return text if "otter_include" in tags else None
    lines = text.split("\n")
    if not any(re.search(r"#\s?SOLUTION|BEGIN SOLUTION", line) for line in lines):
        raise CourseError(f"{where}: a code cell in question {role.question!r}'s solution block "
                          "has no '# SOLUTION' line or '# BEGIN SOLUTION' region, so the whole "
                          "model answer would reach students. Mark the answer lines.")
    return "\n".join(replace_solutions(lines, where))

