"""Public tests a student runs as a self-check: offline, kind feedback, the grader's own rule.

An otter-grader set's student copy gets one read-only cell per question that has public tests,
where otter puts its ``grader.check("q1")`` cell. The cell calls :func:`check_public` with that
question's public tests (public by the instructor's choice, so their code and expected output
may be shown); hidden tests never reach the student copy, and the grader never runs this cell
(it runs every test itself from the instructor notebook).

A test passes when it runs without an error and shows what the instructor's run showed
(:func:`shows_expected`, the rule ``coursekit grade`` scores otter tests by).

>>> ns = {"gap": lambda a, b: b - a}
>>> check_public("q1", [("gap(1999, 2022) == 23", "True"), ("gap(2000, 2001)", "1")], ns)
q1: both public tests pass. The grader also runs tests you cannot see.
>>> ns["gap"] = lambda a, b: a - b
>>> check_public("q1", [("gap(1999, 2022) == 23", "True")], ns)
q1: the public test does not pass yet.
<BLANKLINE>
Test 1:
    gap(1999, 2022) == 23
  it showed:  False
  expected:   True
<BLANKLINE>
Look again at your answer above, change it and run it, then run this cell again.
"""

from __future__ import annotations

import ast
import contextlib
import io
import sys
from dataclasses import dataclass

__all__ = ["check_public", "shows_expected", "normal_output"]

_NUMPY_BOOLS = {"np.True_": "True", "np.False_": "False"}
_MAX_SHOWN = 300   # a long output is cut: the student needs its start, not a page of it
_HOW_TO_RUN = ("Run the cells above this one first (menu Run > Run All Above Selected Cell), "
               "then run this cell again.")


def normal_output(text: str | None) -> str | None:
    """The shown value of a test as the grader compares it (numpy 2's ``np.True_`` is ``True``).

    >>> normal_output("np.True_"), normal_output("23"), normal_output(None)
    ('True', '23', None)
    """
    return _NUMPY_BOOLS.get(text, text) if text is not None else None


def shows_expected(shown: str | None, want: str | None) -> bool:
    """True when a test that ran cleanly showed what it should, as otter compares it.

    ``shown`` is the test's displayed value (``None`` when it showed nothing), ``want`` the
    instructor's recorded output; with nothing recorded, a test may show nothing or ``True``
    (a bare expression test).

    >>> shows_expected("True", "True"), shows_expected(None, None), shows_expected("False", None)
    (True, True, False)
    >>> shows_expected("np.True_", None), shows_expected("22", "23")
    (True, False)
    """
    shown = normal_output(shown)
    if want is None:
        return shown in (None, "True")
    return shown == want


@dataclass
class _Outcome:
    kind: str          # "pass", "fail", "error", "placeholder", "undefined"
    detail: str = ""   # what it showed, the error, or the name


def _display(value) -> str | None:
    """What a notebook shows for ``value`` as a cell's result (IPython's own formatter)."""
    if value is None:
        return None
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        data, _ = shell.display_formatter.format(value)
        if "text/plain" in data:
            return data["text/plain"]
    return repr(value)


def _unfinished(value) -> bool:
    """True for the placeholder ``...`` or a function whose body is still only ``...``."""
    if value is Ellipsis:
        return True
    if not callable(value) or not hasattr(value, "__code__"):
        return False
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(value)))
    except (OSError, TypeError, SyntaxError):
        return False
    func = tree.body[0] if tree.body else None
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    body = [s for s in func.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                         and isinstance(s.value.value, str))]
    return bool(body) and all(isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                              and s.value.value is Ellipsis for s in body)


def _names(tree) -> list[str]:
    seen: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in seen:
            seen.append(node.id)
    return seen


def _failing_line(exc: BaseException, source: str, label: str) -> str | None:
    """The line of the test that raised (the innermost frame of the test itself)."""
    lineno, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == label:
            lineno = tb.tb_lineno
        tb = tb.tb_next
    lines = source.split("\n")
    return lines[lineno - 1].strip() if lineno and 0 < lineno <= len(lines) else None


def _run(source: str, want: str | None, namespace: dict, label: str) -> _Outcome:
    """Run one public test in the student's namespace, as its cell would run."""
    try:
        tree = ast.parse(source, filename=label)
    except SyntaxError as exc:
        return _Outcome("error", f"SyntaxError: {exc.msg}")
    for name in _names(tree):
        if name in namespace and _unfinished(namespace[name]):
            return _Outcome("placeholder", name)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    body = ast.Module(body=tree.body[:-1] if last else tree.body, type_ignores=[])
    errors = io.StringIO()
    try:
        # stdout is the test's own business; stderr counts as a failure, as at grading
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(errors):
            exec(compile(body, label, "exec"), namespace)
            value = eval(compile(ast.Expression(last.value), label, "eval"), namespace) if last else None
    except NameError as exc:
        return _Outcome("undefined", getattr(exc, "name", None) or str(exc))
    except Exception as exc:  # noqa: BLE001  (any error of the student's code is feedback)
        message = str(exc).strip().split("\n")[0][:_MAX_SHOWN]
        detail = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
        if isinstance(exc, AssertionError) and not message:
            detail += " (a check in the test found something other than what it expects)"
        line = _failing_line(exc, source, label)
        return _Outcome("error", detail + (f"\n  at the line:  {line}" if line and "\n" in source else ""))
    if errors.getvalue().strip():
        return _Outcome("error", "it wrote an error message: "
                        + errors.getvalue().strip().split("\n")[-1][:_MAX_SHOWN])
    shown = _display(value)
    if shows_expected(shown, want):
        return _Outcome("pass")
    return _Outcome("fail", "nothing" if shown is None else normal_output(shown))


def _count(n: int) -> str:
    return {1: "the public test", 2: "both public tests"}.get(n, f"all {n} public tests")


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line for line in text.split("\n"))


def _short(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + " ..."


def check_public(question: str, tests, namespace: dict | None = None) -> None:
    """Run ``question``'s public tests on the student's work and print what a beginner can act on.

    Args:
        question: the question's name (otter's ``name``), e.g. ``"q1"``.
        tests: ``(test code, expected output)`` pairs; the expected output is the instructor's
            recorded one, or ``None`` when none was recorded (then nothing or ``True`` passes).
        namespace: the variables the tests read; by default the caller's (the notebook's).

    The feedback names a placeholder answer (``...``), an answer not run yet (a name not
    defined), each failing test with what it showed and what was expected, and each test that
    stopped with an error (its type and message).

    >>> check_public("q2", [("share > 0", "True")], {"share": ...})
    q2: not answered yet. `share` is still `...`, the placeholder. Replace the `...` in the
    answer cell above with your own answer and run that cell, then run this cell again.
    >>> check_public("q2", [("share > 0", "True")], {})
    q2: `share` is not defined yet. Run the cells above this one first (menu Run > Run All Above
    Selected Cell), then run this cell again. If you did, check that the name is spelled as the
    question asks.
    >>> ns = {"share": 1, "f": "mine"}
    >>> check_public("q2", [("f = share + 1\\nf == 2", "True")], ns); ns["f"]
    q2: the public test passes. The grader also runs tests you cannot see.
    'mine'
    >>> check_public("q2", [("share / 0", None)], {"share": 1})
    q2: the public test does not pass yet.
    <BLANKLINE>
    Test 1 stopped with an error:
        share / 0
      error:  ZeroDivisionError: division by zero
    <BLANKLINE>
    Look again at your answer above, change it and run it, then run this cell again.
    """
    if namespace is None:
        # the notebook's own variables: a self-check cell calls this at the top level
        namespace = sys._getframe(1).f_globals
    tests = [(str(source).strip("\n"), want) for source, want in tests]
    # the tests run one after another, as at grading, but on a copy of the notebook's names:
    # a test's own `f = ...` must not replace a variable the student made
    scope = dict(namespace)
    outcomes = [_run(source, want, scope, f"<public test {n} of {question}>")
                for n, (source, want) in enumerate(tests, start=1)]
    for outcome in outcomes:
        if outcome.kind == "placeholder":
            print(f"{question}: not answered yet. `{outcome.detail}` is still `...`, the placeholder. "
                  "Replace the `...` in the answer cell above with your own answer and run that "
                  "cell, then run this cell again.")
            return
        if outcome.kind == "undefined":
            print(f"{question}: `{outcome.detail}` is not defined yet. {_HOW_TO_RUN} If you did, "
                  "check that the name is spelled as the question asks.")
            return
    failing = [(n, t, o) for n, (t, o) in enumerate(zip(tests, outcomes, strict=True), start=1)
               if o.kind != "pass"]
    if not failing:
        print(f"{question}: {_count(len(tests))} {'passes' if len(tests) == 1 else 'pass'}. "
              "The grader also runs tests you cannot see.")
        return
    head = (f"{question}: the public test does not pass yet." if len(tests) == 1 else
            f"{question}: {len(failing)} of {len(tests)} public tests "
            f"{'does' if len(failing) == 1 else 'do'} not pass yet.")
    parts = [head]
    for number, (source, want), outcome in failing:
        if outcome.kind == "fail":
            expected = want if want is not None else "True"   # what such a test shows when it holds
            parts.append(f"Test {number}:\n{_indent(source)}\n  it showed:  {_short(outcome.detail)}"
                         f"\n  expected:   {_short(expected)}")
        else:
            parts.append(f"Test {number} stopped with an error:\n{_indent(source)}\n"
                         f"  error:  {outcome.detail}")
    passed = len(tests) - len(failing)
    if passed:
        parts.append(f"{'The other test passes' if passed == 1 else f'The other {passed} tests pass'}.")
    parts.append("Look again at your answer above, change it and run it, then run this cell again.")
    print("\n\n".join(parts))
