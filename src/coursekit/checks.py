"""Self-checks: instant, specific, kind feedback that never reveals the expected answer.

A lesson calls ``check("01.gap-years", my_answer)``. The expected answers live only as salted
SHA-256 hashes of *normalised* answers in a ``checks.json`` key file, found in the working
directory or a folder above it (``COURSEKIT_KEYS`` names a file directly). Instructors write
plaintext answers and turn them into a key file with :func:`build_keys` (or
``coursekit keys SPEC.yml -o checks.json``).

Normal forms, so that every reasonable way of writing a right answer passes:

- ``number``: rounded to a grid of ``step``; accepted within ``tolerance`` (a multiple of step).
  A trailing unit that the question names (``unit: "%"`` accepts ``"58.8%"`` and
  ``"58.8 percent"``) is read off; a share given as a fraction where a percentage was asked
  gets a message that names that slip, as does a difference taken the wrong way round.
- ``text``: Unicode-normalised, accents dropped, case-folded, punctuation dropped, spaces
  collapsed, a leading "the" ignored; list every equivalent answer (titles, transliterations,
  abbreviations) under ``answers``. ``typos: 1`` also accepts one slip of spelling in answers
  of five letters or more, and :func:`build_keys` refuses it where a slip could turn a listed
  wrong answer into a right one.
- ``set``: each element normalised as text, order and repeats ignored.
- ``choice``: one of the question's ``choices`` labels (``"b"``, ``"B"`` and ``"b)"`` agree).

Key file format (``"format": "coursekit-checks/1"``)::

    {"format": "coursekit-checks/1",
     "questions": {"01.gap-years": {"kind": "number", "salt": "9f...", "accept": ["<sha256>"],
                                     "step": 0.1, "tolerance": 0.1, "hint": "...",
                                     "feedback": {"<sha256 of a wrong answer>": "Not yet: ..."},
                                     "points": 1, "variable": "gap_years"}}}

Hashes slow down a curious student; they are not encryption (a small number can be found by
trying them all), so graded work is scored by ``coursekit grade`` with the instructor's key.

>>> keys = build_keys({"q.year": {"kind": "number", "answer": 1999, "hint": "Look at the table."}},
...                   salt_seed="doc")
>>> evaluate(keys["questions"]["q.year"], "1999").passed
True
>>> result = evaluate(keys["questions"]["q.year"], 2001)
>>> result.passed, "1999" in result.message
(False, False)
"""

from __future__ import annotations

import difflib
import math
from decimal import Decimal

from coursekit.answers import (
    MAX_ANSWER_CHARS,
    Unreadable,
    as_decimal,
    is_percent,
    normalise,
    plain,
    strip_unit,
    type_name,
)
from coursekit.errors import CheckError
from coursekit.keyfile import (
    KEY_FILE,
    KEY_FORMAT,
    build_keys,
    candidates,
    find_keys,
    grid,
    load_keys,
    near_hashes,
    number_hashes,
)
from coursekit.results import CheckResult, unanswered

__all__ = ["check", "evaluate", "build_keys", "load_keys", "find_keys", "normalise",
           "CheckResult", "KEY_FORMAT", "KEY_FILE"]

FRACTION_SLIP = ("that looks like a share written as a fraction (out of 1). The question asks "
                 "for a percentage: multiply by 100.")

PERCENT_SLIP = ("that looks like a percentage. The question asks for a share written as a "
                "fraction (out of 1): divide by 100.")

SIGN_SLIP = ("check the order of your subtraction (later minus earlier, or the larger minus the "
             "smaller), and whether the question asks for a change or for the size of a gap.")


def _slip(question: str, entry: dict, answer, accepted: set[str]) -> str | None:
    """Name a likely slip of a wrong number (fraction for percentage, sign) without the answer."""
    try:
        value = as_decimal(strip_unit(entry, answer))
    except ValueError:
        return None
    # A fraction written to two places (0.59) stands for anything from 58.5 to 59.5 per cent.
    rounding = Decimal(1).scaleb(min(value.as_tuple().exponent, 0)) / 2
    tries = []
    if is_percent(entry) and abs(value) <= 1:
        tries.append((value * 100, rounding * 100, FRACTION_SLIP))
    if entry.get("unit") == "fraction" and abs(value) > 1:
        tries.append((value / 100, rounding / 100, PERCENT_SLIP))
    if value != 0:
        tries.append((-value, Decimal(0), SIGN_SLIP))
    step = Decimal(str(entry.get("step", 1)))
    for other, spread, message in tries:
        reach = min(int(spread / step), 50)
        centre = grid(other, step)
        for k in range(centre - reach, centre + reach + 1):
            if accepted & set(number_hashes(question, entry, k * step)):
                return message
    return None


def evaluate(entry: dict, answer, question: str | None = None) -> CheckResult:
    """Judge ``answer`` against one key ``entry``; never raises for a student's answer.

    Args:
        entry: one question's record from a key file (hashes, hint, feedback).
        answer: whatever the student wrote.
        question: the question id (default: ``entry["id"]``, which build_keys records).

    Returns:
        A :class:`CheckResult` whose message is kind, specific, and free of the answer.

    >>> keys = build_keys({"q": {"kind": "choice", "choices": ["a", "b"], "answer": "b"}},
    ...                   salt_seed="doc")
    >>> evaluate(keys["questions"]["q"], "z").message
    'Not yet: choose one of: a, b.'
    """
    qid = question or entry.get("id", "?")
    try:
        return _evaluate(entry, answer, qid)
    except Unreadable as exc:
        wants = {"number": "one number", "text": "text (in quotes)", "choice": "one of the "
                 "choices' labels, in quotes", "set": "several items in a list, e.g. [\"a\", \"b\"]"}
        return CheckResult(qid, False, f"Not yet: this question wants "
                                       f"{wants.get(entry.get('kind'), 'a plain value')}, but got "
                                       f"{exc}.")
    except ValueError as exc:
        return CheckResult(qid, False, f"Not yet: {exc}")
    except Exception:  # a check never raises for a student's answer, whatever it is
        return CheckResult(qid, False, "Not yet: this check cannot read that value. Give a "
                                       f"{entry.get('kind', 'plain value')} as the question asks.")


def _evaluate(entry: dict, answer, qid: str) -> CheckResult:
    answer = plain(answer)
    if entry.get("check") == "form":  # a graded question's student copy: no hash to judge by
        from coursekit.formcheck import evaluate_form

        return evaluate_form(entry, answer, qid)
    if answer is None or answer is Ellipsis:
        return unanswered(qid)
    if isinstance(answer, str) and len(answer) > MAX_ANSWER_CHARS:
        return CheckResult(qid, False, f"Not yet: that answer is {len(answer):,} characters long; "
                                       "a short answer is expected here.")
    if isinstance(answer, float) and math.isnan(answer):
        return CheckResult(qid, False, "Not yet: your answer is NaN (not a number). A missing value "
                                       "or a division by zero may have crept into the calculation.")
    try:
        hashes = candidates(qid, entry, answer)
    except ValueError as exc:
        return CheckResult(qid, False, f"Not yet: {exc}")
    except (TypeError, RecursionError, OverflowError, MemoryError):
        return CheckResult(qid, False, "Not yet: this check cannot read that kind of value. "
                                       f"Give a {entry['kind']} as the question asks.")
    accepted = set(entry.get("accept", []))
    if any(h in accepted for h in hashes):
        return CheckResult(qid, True, "✅ Correct. Well done!")
    feedback = entry.get("feedback", {})
    specific = next((feedback[h] for h in hashes if h in feedback), None)
    if specific is None and entry.get("near") and entry["kind"] == "text":
        near = near_hashes(qid, entry, normalise("text", answer)[2:])
        if near & set(entry["near"]):
            return CheckResult(qid, True, "✅ Correct, allowing for spelling: the sources spell it "
                                          "slightly differently, so compare your answer with the table.")
    if specific is None and entry["kind"] == "number":
        specific = _slip(qid, entry, answer, accepted)
    hint = specific or entry.get("hint") or "Have another look at the section above."
    return CheckResult(qid, False, f"Not yet: {hint}")


def check(question_id: str, answer) -> CheckResult:
    """Check ``answer`` to ``question_id`` and show kind, specific feedback (never the answer).

    Args:
        question_id: the id printed in the lesson, e.g. ``"01.gap-years"``.
        answer: your answer: a number, text, a list, or a choice label such as ``"b"``.

    Returns:
        A :class:`CheckResult`; Jupyter shows its message under the cell.

    >>> check("no.such.question", 1)
    Not yet: this notebook has no self-check called 'no.such.question'...
    """
    files = find_keys()
    questions: dict = {}
    problems = []
    for path in files:
        try:
            for qid, entry in load_keys(path).items():
                questions.setdefault(qid, entry)
        except CheckError as exc:
            problems.append(str(exc))
    if type(question_id) is not str:
        question_id = f"<a {type_name(question_id)}>"
    if question_id not in questions:
        close = difflib.get_close_matches(question_id, list(questions), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        where = (" No key file (checks.json) was found above this folder: open the notebook "
                 "from inside the course." if not files else "")
        extra = f" ({problems[0]})" if problems else ""
        return CheckResult(str(question_id), False,
                           f"Not yet: this notebook has no self-check called {question_id!r}."
                           f"{hint}{where}{extra} Check the id against the lesson text.")
    return evaluate(questions[question_id], answer, question_id)
