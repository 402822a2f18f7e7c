"""The self-check cell of an otter question: its public tests, its source, and telling it apart.

otter-assign gives a question with public tests a locked ``grader.check("q1")`` cell after the
question's last cell. coursekit's student copy puts one cell there that runs the question's
public tests offline through :func:`coursekit.selftests.check_public`; it is marked
``{"coursekit": {"selfcheck": "q1"}}`` and locked. Grading never runs it; a submission's copy is
recognised by that mark or, if an editor dropped the metadata, by its shape (nothing but the
import and the call).

>>> cell = {"cell_type": "code", "source": selfcheck_source("q1", [("x == 2", "True")])}
>>> print(cell["source"])
# Self-check of q1: runs its public tests on your answer above. This cell is read-only.
from coursekit.selftests import check_public
check_public("q1", [
    ('x == 2', 'True'),
])
>>> selfcheck_question(cell), selfcheck_question({"cell_type": "code", "source": "x = 2"})
('q1', None)
"""

from __future__ import annotations

import ast

from coursekit.course.notebooks import source as _text
from coursekit.selftests import check_public

__all__ = ["MARK", "selfcheck_source", "selfcheck_metadata", "selfcheck_question",
           "recorded_output", "public_tests"]

MARK = "selfcheck"                     # the key under cell metadata "coursekit"
_CALL = check_public.__name__          # the runtime's name, so a rename cannot go unnoticed
_MODULE = check_public.__module__


def recorded_output(cell) -> str | None:
    """The text an instructor's test cell showed when it was run (None when it was not saved).

    >>> recorded_output({"outputs": [{"output_type": "execute_result",
    ...                               "data": {"text/plain": ["Tr", "ue"]}}]})
    'True'
    """
    out = [o for o in cell.get("outputs", []) if o.get("output_type") == "execute_result"]
    if not out:
        return None
    text = out[0].get("data", {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else text


def public_tests(nb, roles) -> dict[str, list[tuple[str, str | None]]]:
    """Each question's public tests as ``(code, recorded output)``, in notebook order.

    ``roles`` are the notebook's :func:`coursekit.course.otter.roles` (or its
    :func:`coursekit.course.solutions.cell_roles`); hidden tests are never included.
    """
    found: dict[str, list] = {}
    for cell, role in zip(nb.get("cells", []), roles, strict=True):
        if role.kind == "test":
            found.setdefault(role.question, []).append((_text(cell), recorded_output(cell)))
    return found


def _quoted(name: str) -> str:
    # as otter writes grader.check("q1"); repr for a name with quotes or escapes in it
    return f'"{name}"' if name.replace("-", "_").replace(".", "_").isidentifier() else repr(name)


def _code(source: str) -> str:
    # a test of several lines reads as written (check_public strips the framing newlines);
    # repr where a triple-quoted string could not hold it as it is
    if "\n" in source and '"""' not in source and "\\" not in source and not source.endswith('"'):
        return f'"""\n{source}\n"""'
    return repr(source)


def selfcheck_source(question: str, tests) -> str:
    """The source of the self-check cell that runs ``tests`` (public only) for ``question``."""
    rows = "".join(f"    ({_code(source)}, {want!r}),\n" for source, want in tests)
    return (f"# Self-check of {question}: runs its public tests on your answer above. "
            "This cell is read-only.\n"
            f"from {_MODULE} import {_CALL}\n"
            f"{_CALL}({_quoted(question)}, [\n{rows}])")


def selfcheck_metadata(question: str) -> dict:
    """The released cell's metadata: the mark, and locked as otter locks its check cells.

    >>> selfcheck_metadata("q1")
    {'editable': False, 'deletable': False, 'coursekit': {'selfcheck': 'q1'}}
    """
    return {"editable": False, "deletable": False, "coursekit": {MARK: question}}


def _shape(source: str) -> str | None:
    """The question a cell made of nothing but the self-check's import and call checks."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    question = None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == _MODULE:
            continue
        if isinstance(node, ast.Import) and all(a.name == _MODULE for a in node.names):
            continue
        call = node.value if isinstance(node, ast.Expr) else None
        func = call.func if isinstance(call, ast.Call) else None
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name != _CALL or not call.args or not isinstance(call.args[0], ast.Constant) or \
                not isinstance(call.args[0].value, str) or question is not None:
            return None
        question = call.args[0].value
    return question


def selfcheck_question(cell) -> str | None:
    """The question whose self-check ``cell`` is (by its mark or its shape), or None.

    >>> selfcheck_question({"cell_type": "code", "source": 'print("q1 passed")',
    ...                     "metadata": {"coursekit": {"selfcheck": "q1"}}})
    'q1'
    """
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return None
    meta = (cell.get("metadata") or {}).get("coursekit")
    marked = meta.get(MARK) if isinstance(meta, dict) else None
    if isinstance(marked, str):
        return marked
    return _shape(_text(cell))
