"""Form-only checks: what a graded question's self-check can say without holding its answer.

A salted hash of a small number or a short word is found by trying them all, so the student
copy of a *graded* question carries no hash at all (lesson self-checks keep theirs: they are
practice, not grades). Its key entry says only what form the answer takes (``"check": "form"``:
the kind, the unit, the choices, the step and an optional ``range: [low, high]`` from the
answers file), and its self-check tests that form and says so; ``coursekit grade`` judges
correctness with the instructor's key, which never leaves ``exercises/``.

>>> from coursekit.checks import build_keys, evaluate
>>> full = build_keys({"ex.gap": {"kind": "number", "answer": 24.5, "step": 0.1,
...                               "unit": "years", "range": [0, 100]}}, salt_seed="doc")
>>> entry = form_entry(full["questions"]["ex.gap"], {"range": [0, 100]})
>>> sorted(entry)
['check', 'id', 'kind', 'points', 'range', 'step', 'unit']
>>> print(evaluate(entry, "24.5 years").message)
Form OK: a number in years. This checks the form of your answer; your instructor's grader judges it.
>>> evaluate(entry, 250).passed
False
"""

from __future__ import annotations

from coursekit.answers import as_decimal, normalise, strip_unit
from coursekit.results import FormResult, unanswered

__all__ = ["form_entry", "student_keys", "evaluate_form", "FormResult", "FORM_NOTE", "FORM_FIELDS"]

FORM_NOTE = "This checks the form of your answer; your instructor's grader judges it."
# What a form entry may hold: nothing derived from the answer but its kind and precision.
FORM_FIELDS = ("id", "kind", "check", "points", "variable", "unit", "choices", "step", "range")
MAX_TEXT = 300


def form_entry(entry: dict, spec: dict | None = None) -> dict:
    """The student copy of one graded key ``entry``: its form, no hash, salt or hint.

    Args:
        entry: the question's entry in the instructor's key (from ``build_keys``).
        spec: its plaintext entry, for the optional ``range``.
    """
    form = {k: entry[k] for k in FORM_FIELDS if k in entry}
    form["check"] = "form"
    low_high = (spec or {}).get("range")
    if isinstance(low_high, (list, tuple)) and len(low_high) == 2:
        form["range"] = [low_high[0], low_high[1]]
    return form


def student_keys(keys: dict, sets) -> dict:
    """The key document students get: graded questions of ``sets`` reduced to their form.

    >>> from coursekit.course.exercises import ExerciseSet, Question, build_exercise_keys
    >>> from pathlib import Path
    >>> q = Question("ex.q", "number", 1, "x", {"kind": "number", "answer": 3})
    >>> s = ExerciseSet("01-x", Path("x"), Path("y"), (q,))
    >>> student_keys(build_exercise_keys([s]), [s])["questions"]["ex.q"]["check"]
    'form'
    """
    specs = {q.id: q.spec for s in sets for q in s.questions if not q.manual}
    questions = {qid: (form_entry(entry, specs[qid]) if qid in specs else entry)
                 for qid, entry in keys.get("questions", {}).items()}
    return {**keys, "questions": questions}


def _what(entry: dict) -> str:
    unit = entry.get("unit")
    unit = unit if isinstance(unit, str) else (unit[0] if unit else "")
    return f"a number in {unit}" if unit and unit != "%" else (
        "a percentage" if unit == "%" else "a number")


def _form_problem(entry: dict, answer) -> tuple[str | None, str]:
    """Return (problem, what the answer is) for ``answer``; problem None when the form is right."""
    kind = entry.get("kind")
    if kind == "number":
        value = as_decimal(strip_unit(entry, answer))
        bounds = entry.get("range")
        if bounds and not (bounds[0] <= value <= bounds[1]):
            return (f"{value:f} is outside the range this question allows ({bounds[0]} to "
                    f"{bounds[1]}): check the calculation and the unit.", "")
        return None, _what(entry)
    if kind == "text":
        text = normalise("text", answer)
        if len(text) <= 2:
            return "your text is empty: write the answer between the quotes.", ""
        if len(answer) > MAX_TEXT:
            return "a short answer (a word or a name) is expected here.", ""
        return None, "a text"
    if kind == "choice":
        labels = [normalise("choice", c) for c in entry.get("choices", [])]
        if labels and normalise("choice", answer) not in labels:
            return f"choose one of: {', '.join(entry['choices'])}.", ""
        return None, "one of the choices"
    if kind == "set":
        normalise("set", answer)  # raises for a non-list or an empty one
        return None, "a list"
    return None, "an answer"


def evaluate_form(entry: dict, answer, question: str | None = None) -> FormResult:
    """Check the form of ``answer`` to a graded question (never its correctness).

    >>> entry = {"id": "q", "kind": "choice", "check": "form", "choices": ["a", "b"]}
    >>> evaluate_form(entry, "z").message.startswith("Not yet: choose one of: a, b.")
    True
    """
    qid = question or entry.get("id", "?")
    if answer is None or answer is Ellipsis:
        return unanswered(qid, FormResult)
    try:
        problem, what = _form_problem(entry, answer)
    except ValueError as exc:
        return FormResult(qid, False, f"Not yet: {exc} {FORM_NOTE}")
    except (TypeError, RecursionError, OverflowError, MemoryError):
        return FormResult(qid, False, "Not yet: this check cannot read that kind of value. "
                                      f"Give a {entry.get('kind', 'value')} as the question asks.")
    if problem:
        return FormResult(qid, False, f"Not yet: {problem} {FORM_NOTE}")
    return FormResult(qid, True, f"Form OK: {what}. {FORM_NOTE}")
