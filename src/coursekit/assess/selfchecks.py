"""Self-checks in a saved notebook: which questions it asks, and what its saved results say.

Each question gets one of three states: ``passed`` (the saved result of the check is right),
``not yet`` (the check was run with an answer that is not right yet) or ``not run`` (no saved
result, or only the placeholder ``None`` was checked). Where a notebook checks one question in
several cells (a lesson may first show what a wrong answer looks like, then leave the student
a cell of their own), the last saved result in the notebook decides, just as a reader
scrolling down would see it.

>>> def cell(qid, passed=None):  # a code cell as a saved notebook holds it
...     marker = {"coursekit": {"question": qid, "passed": passed}}
...     outputs = [] if passed is None else [{"output_type": "execute_result",
...                "data": {"text/plain": "Correct." if passed else "Not yet."},
...                "metadata": marker}]
...     return {"cell_type": "code", "source": f'check("{qid}", x)', "outputs": outputs}
>>> notebook_status({"cells": [cell("01.gap", True), cell("01.day", False), cell("01.place")]})
{'01.gap': 'passed', '01.day': 'not yet', '01.place': 'not run'}
"""

from __future__ import annotations

import ast
import re

from coursekit.course.notebooks import source as cell_source

__all__ = ["PASSED", "NOT_YET", "NOT_RUN", "STATES", "PLACEHOLDER_PREFIX", "CHECK_CALL",
           "question_ids", "saved_results", "notebook_status", "code_cells"]

PASSED, NOT_YET, NOT_RUN = "passed", "not yet", "not run"
STATES = (PASSED, NOT_YET, NOT_RUN)
# What coursekit.checks says when the answer is still the placeholder None (or ...):
# the cell was run, but nothing was answered, so it counts as "not run".
PLACEHOLDER_PREFIX = "Not yet answered"
CHECK_CALL = re.compile(r"""\bcheck\(\s*(?:question_id\s*=\s*)?(["'])([^"'\n]+)\1""")
_MAGIC = re.compile(r"^\s*[%!]")


def code_cells(nb: dict) -> list[dict]:
    """The notebook's code cells (anything that is not a cell is passed over)."""
    return [c for c in nb.get("cells", []) if isinstance(c, dict) and c.get("cell_type") == "code"]


def question_ids(nb: dict) -> list[str]:
    """Return the self-check ids a notebook asks, in order: the ``check("id", ...)`` calls.

    IPython magics (``%time``, ``!ls``) are skipped; a cell that is not valid Python is
    searched as text, so a half-edited cell still counts its question.

    >>> code = lambda source: {"cell_type": "code", "source": source}
    >>> question_ids({"cells": [code('check("02.day", day)\\ncheck("02.day", 24)'),
    ...                         code('%time check("02.hours", hours)'),
    ...                         code('check("02.gap", 2022 - )'),
    ...                         {"cell_type": "markdown", "source": 'check("not.code", 1)'}]})
    ['02.day', '02.hours', '02.gap']
    """
    found: dict[str, None] = {}
    for cell in code_cells(nb):
        source = cell_source(cell)
        lines = source.splitlines()
        clean = "\n".join("" if _MAGIC.match(line) else line for line in lines)
        try:
            ids = _ids_from_ast(ast.parse(clean))
            magic = "\n".join(line for line in lines if _MAGIC.match(line))
            ids += [m.group(2) for m in CHECK_CALL.finditer(magic)]
        except (SyntaxError, ValueError):
            ids = [m.group(2) for m in CHECK_CALL.finditer(source)]
        for qid in ids:
            found.setdefault(qid, None)
    return list(found)


def _ids_from_ast(tree: ast.AST) -> list[str]:
    ids = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name != "check":
            continue
        args = node.args[:1] + [kw.value for kw in node.keywords if kw.arg == "question_id"]
        for arg in args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                ids.append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0), arg.value))
    return [qid for *_, qid in sorted(ids)]


def saved_results(nb: dict) -> dict[str, str]:
    """Return the state of each question that has a saved self-check result.

    Where a question was checked more than once, the last saved result in the notebook counts:
    below, the lesson's demonstration of a wrong answer to ``q1`` comes first and the student's
    own cell last, and the placeholder in ``q2`` means it was not answered yet.

    >>> def result(qid, passed, text):
    ...     return {"cell_type": "code", "outputs": [{"output_type": "execute_result",
    ...             "data": {"text/plain": text},
    ...             "metadata": {"coursekit": {"question": qid, "passed": passed}}}]}
    >>> saved_results({"cells": [result("q1", False, "Not yet: look again."),
    ...                          result("q1", True, "Correct."),
    ...                          result("q2", False, "Not yet answered: replace the placeholder.")]})
    {'q1': 'passed', 'q2': 'not run'}
    >>> from coursekit.results import unanswered
    >>> data, meta = unanswered("q3")._repr_mimebundle_()
    >>> saved_results({"cells": [{"cell_type": "code", "outputs": [{"output_type": "display_data",
    ...     "data": {"text/plain": "Pas encore"}, "metadata": meta}]}]})
    {'q3': 'not run'}
    """
    states: dict[str, str] = {}
    for cell in code_cells(nb):
        outputs = cell.get("outputs")
        for out in outputs if isinstance(outputs, list) else []:
            if not isinstance(out, dict):
                continue
            meta = out.get("metadata")
            marker = meta.get("coursekit") if isinstance(meta, dict) else None
            if not isinstance(marker, dict):
                continue
            qid, passed = marker.get("question"), marker.get("passed")
            if not isinstance(qid, str) or not isinstance(passed, bool):
                continue
            if passed:
                state = PASSED
            elif marker.get("answered") is False:  # the runtime's own marker for a placeholder
                state = NOT_RUN
            else:
                # Notebooks saved before the marker existed say so only in words.
                data = out.get("data") if isinstance(out.get("data"), dict) else {}
                text = data.get("text/plain", "")
                text = "".join(text) if isinstance(text, list) else str(text)
                state = NOT_RUN if text.startswith(PLACEHOLDER_PREFIX) else NOT_YET
            states[qid] = state
    return states


def notebook_status(nb: dict) -> dict[str, str]:
    """Return every question of a notebook with its state, in the order they are asked.

    Questions with a saved result but no ``check`` call left in the code (a student may
    have rewritten the cell) are listed after the others.
    """
    saved = saved_results(nb)
    status = {qid: saved.get(qid, NOT_RUN) for qid in question_ids(nb)}
    for qid, state in saved.items():
        status.setdefault(qid, state)
    return status

