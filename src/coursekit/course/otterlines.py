"""otter-assign's line rules for Python code: solution lines and regions, prompts, IGNORE lines.

Taken from otter's ``otter/assign/solutions.py`` (``replace_solutions``,
``remove_ignored_lines``) so a released cell reads as otter-assign would write it.

>>> replace_solutions(["x = 2 * 3  # SOLUTION", "    return y # SOLUTION",
...                    "# BEGIN SOLUTION NO PROMPT", "z = 1", "# END SOLUTION"], "cell")
['x = ...', '    ...']
>>> unignored("a = 1\\nprint(a)  # IGNORE", "cell")
'a = 1'
"""

from __future__ import annotations

import re

from coursekit.errors import CourseError

__all__ = ["replace_solutions", "unignored"]

_ASSIGN = re.compile(r"(\s*(?:[\w.]+(?=[^\w.])(?:\[['\"]?.*['\"]?\])*(?:,\s*)?)+\s*=).* ?# ?SOLUTION")
_LINE = re.compile(r"(\s*).* ?# ?SOLUTION")
_BEGIN = re.compile(r"(\s*)# BEGIN SOLUTION( NO PROMPT)?")
_SKIP = ("# SOLUTION NO PROMPT", "# BEGIN PROMPT", "# END PROMPT", "# SEED")


def replace_solutions(lines: list[str], where: str) -> list[str]:
    """otter's ``replace_solutions`` for Python code."""
    out: list[str] = []
    inside = False
    for line in lines:
        if any(line.rstrip().endswith(s) for s in _SKIP):
            continue
        if line.rstrip().endswith("# END SOLUTION"):
            if not inside:
                raise CourseError(f"{where}: '# END SOLUTION' without '# BEGIN SOLUTION' above it.")
            inside = False
            continue
        if inside:
            continue
        begin = _BEGIN.match(line)
        if begin:
            inside = True
            if begin.group(2):
                continue
            line = begin.group(1) + "..."
        elif _ASSIGN.match(line):
            line = _ASSIGN.match(line).group(1) + " ..."
        elif _LINE.match(line):
            line = _LINE.match(line).group(1) + "..."
        out.append(line)
    if inside:
        raise CourseError(f"{where}: '# BEGIN SOLUTION' is never closed in the cell.")
    return out


def unignored(text: str, where: str) -> str:
    """otter's ``remove_ignored_lines``: ``# IGNORE`` lines and ``# BEGIN/END IGNORE`` regions go."""
    out, inside = [], False
    for line in text.split("\n"):
        if line.rstrip().endswith("# END IGNORE"):
            inside = False
        elif re.match(r"\s*#\s*BEGIN\s*IGNORE\s*", line, re.I):
            inside = True
        elif not inside and not line.rstrip().endswith("# IGNORE"):
            out.append(line)
    if inside:
        raise CourseError(f"{where}: '# BEGIN IGNORE' is never closed in the cell.")
    return "\n".join(out)
