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
import hashlib
import html
import json
import math
import numbers
import os
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

from coursekit.errors import CheckError

__all__ = ["check", "evaluate", "build_keys", "load_keys", "find_keys", "normalise",
           "CheckResult", "KEY_FORMAT", "KEY_FILE"]

KEY_FORMAT = "coursekit-checks/1"
KEY_FILE = "checks.json"
KINDS = ("number", "text", "set", "choice")
ASKS = ("calculation", "look-up", "judgement")  # what a question asks of the student (balance tests)
MAX_ANSWER_CHARS = 10_000
MIN_TYPO_LETTERS = 5  # below this, one slip of spelling can make another real word
# Spellings of a percentage a student may add after the number.
PERCENT_UNITS = ("%", "percent", "per cent", "pc", "pct")
FRACTION_SLIP = ("that looks like a share written as a fraction (out of 1). The question asks "
                 "for a percentage: multiply by 100.")
PERCENT_SLIP = ("that looks like a percentage. The question asks for a share written as a "
                "fraction (out of 1): divide by 100.")
SIGN_SLIP = ("check the order of your subtraction (later minus earlier, or the larger minus the "
             "smaller), and whether the question asks for a change or for the size of a gap.")


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: the question, whether it passed, and the feedback shown.

    It holds no expected answer, so printing or storing it reveals nothing.
    """

    question: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    def _repr_mimebundle_(self, include=None, exclude=None):
        colour = "#1a7f37" if self.passed else "#9a6700"
        body = html.escape(self.message)
        data = {
            "text/plain": self.message,
            "text/html": f'<div class="coursekit-check" role="status" '
            f'style="border-left:4px solid {colour};padding:4px 8px">{body}</div>',
        }
        # The progress view reads this marker back from saved notebooks.
        meta = {"coursekit": {"question": self.question, "passed": self.passed}}
        return data, meta


def normalise(kind: str, answer) -> str:
    """Return the normal form of ``answer`` for a question of ``kind`` (what gets hashed).

    Raises ``ValueError`` with a student-facing message when the answer has the wrong shape.

    >>> normalise("text", "  The   Tashkent  Declaration! ")
    't:tashkent declaration'
    >>> normalise("text", "Pakistan's STZA") == normalise("text", "pakistan’s  stza.")
    True
    >>> normalise("set", ["SCO", "fatf", "sco"]) == normalise("set", ("FATF", "SCO"))
    True
    >>> normalise("number", "1,000.0")
    'n:1000'
    """
    if kind == "number":
        return f"n:{_decimal(answer).normalize():f}"
    if kind == "text":
        return "t:" + _text(answer)
    if kind == "choice":
        return "c:" + _text(answer).rstrip(")").strip()
    if kind == "set":
        if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
            raise ValueError("this question wants several items: give a list, e.g. [\"a\", \"b\"].")
        items = sorted({_item(x) for x in answer})
        if not items:
            raise ValueError("your list is empty: put the items you chose inside the brackets.")
        return "s:" + "\x1f".join(items)
    raise CheckError(f"Unknown question kind {kind!r}; use one of {', '.join(KINDS)}.")


def _text(answer) -> str:
    if not isinstance(answer, str):
        raise ValueError(f"this question wants text (in quotes), but got a {type(answer).__name__}.")
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", answer).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))  # "Kosygin" = "Kosýgin"
    text = re.sub(r"(?<=\w)['’]s\b", "", text)  # "Pakistan's STZA" = "Pakistan STZA"
    text = "".join(ch if ch.isalnum() or ch in ")" else " " for ch in text)
    words = text.split()
    if len(words) > 1 and words[0] == "the":  # "the Tashkent Declaration" = "Tashkent Declaration"
        words = words[1:]
    return " ".join(words)


def _item(x) -> str:
    if isinstance(x, bool):
        return _text(str(x))
    if isinstance(x, numbers.Number):
        return f"{_decimal(x).normalize():f}"
    return _text(x) if isinstance(x, str) else _text(str(x))


def _decimal(answer) -> Decimal:
    if isinstance(answer, bool):
        raise ValueError("this question wants a number, not True or False.")
    if hasattr(answer, "item") and getattr(answer, "size", 1) == 1 and not isinstance(answer, str):
        answer = answer.item()  # numpy scalars and one-element arrays or Series
    if isinstance(answer, str):
        cleaned = answer.strip().replace(",", "").replace("_", "")
        match = re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?", cleaned, flags=re.I)
        if not match:
            raise ValueError(f"{answer[:40]!r} is not a number: write digits only, e.g. 12.5.")
        answer = cleaned
    elif not isinstance(answer, numbers.Number):
        raise ValueError(f"this question wants one number, but got a {type(answer).__name__}.")
    try:
        value = Decimal(str(answer))
    except InvalidOperation:
        raise ValueError("That is not a number this check can read: write digits only.") from None
    if not value.is_finite():
        raise ValueError("your answer is not a finite number (NaN or infinity): check the "
                         "calculation, e.g. a division by zero or a missing value.")
    return value


MAX_ITEMS = 10_000  # a longer list is not an answer this course asks for
MAX_DEPTH = 3
MAX_INT_BITS = 1_000  # about 300 digits


class _Unreadable(Exception):
    """The answer is of a kind a check does not read (the message says so, kindly)."""


def _type_name(value) -> str:
    # type.__name__ read through type's own descriptor: a metaclass cannot make it run code.
    try:
        return type.__dict__["__name__"].__get__(type(value))
    except Exception:
        return "value"


def _plain(answer, depth: int = 0):
    """``answer`` as plain built-in values, read without calling any method it defines.

    A value whose ``__str__``, ``__repr__``, ``__eq__`` or ``__iter__`` raises, loops or sleeps
    is never asked anything: only exact built-in types (and NumPy/pandas values, read through
    their own compiled methods) are read, so a check always returns, and quickly.

    >>> class Bad:
    ...     def __str__(self): raise RuntimeError("no")
    >>> _plain([1, "a", (2.5,)]), _plain(True)
    ([1, 'a', [2.5]], True)
    >>> try:
    ...     _plain(Bad())
    ... except _Unreadable as exc:
    ...     print(exc)
    a Bad
    """
    kind = type(answer)
    if answer is None or answer is Ellipsis or kind in (bool, Decimal):
        return answer
    if issubclass(kind, str):
        return str.__str__(answer)  # an exact str, whatever the subclass defines
    if issubclass(kind, int) and not issubclass(kind, bool):
        if int.bit_length(answer) > MAX_INT_BITS:
            raise ValueError("that number has hundreds of digits; the answer is a much smaller "
                             "number. Check the calculation.")
        return int.__int__(answer)
    if issubclass(kind, float):
        return float.__float__(answer)
    module = type.__dict__["__module__"].__get__(kind) if isinstance(kind, type) else ""
    module = module if type(module) is str else ""
    if module == "numpy" and depth <= MAX_DEPTH:
        if _type_name(answer) == "ndarray":
            if answer.size == 1:
                return _plain(answer.reshape(-1)[0].item(), depth + 1)
            return _plain(answer.ravel()[: MAX_ITEMS + 1].tolist(), depth + 1)
        if hasattr(kind, "item"):
            return _plain(kind.item(answer), depth + 1)
    if module.startswith("pandas") and depth <= MAX_DEPTH and hasattr(answer, "to_numpy"):
        return _plain(answer.to_numpy(), depth + 1)
    if kind in (list, tuple, set, frozenset) or (
            isinstance(kind, type) and issubclass(kind, (list, tuple, set, frozenset))):
        if depth >= MAX_DEPTH:
            raise ValueError("that list is nested too deeply; give a flat list of items.")
        if len(answer) > MAX_ITEMS:
            raise ValueError(f"that list has {len(answer):,} items; a short list is expected.")
        base = next(b for b in (list, tuple, set, frozenset) if issubclass(kind, b))
        return [_plain(x, depth + 1) for x in base.__iter__(answer)]
    if module == "fractions" and _type_name(answer) == "Fraction":
        return float(answer)
    raise _Unreadable(f"a {_type_name(answer)}")


def _grid(value: Decimal, step) -> int:
    return int((value / Decimal(str(step))).to_integral_value(ROUND_HALF_EVEN))


def _hash(salt: str, question: str, normal: str) -> str:
    return hashlib.sha256(f"{salt}:{question}:{normal}".encode()).hexdigest()


def _units(entry: dict) -> list[str]:
    unit = entry.get("unit")
    if not unit:
        return []
    units = [unit] if isinstance(unit, str) else list(unit)
    if any(u.strip() in PERCENT_UNITS for u in units):
        units = [*units, *PERCENT_UNITS]
    # "274 months" and "1 month" both name the unit.
    units += [u[:-1] for u in units if len(u) > 3 and u.endswith("s")]
    return sorted({" ".join(u.casefold().split()) for u in units}, key=len, reverse=True)


def _is_percent(entry: dict) -> bool:
    return any(u in PERCENT_UNITS for u in _units(entry))


_NUMBER_THEN_TEXT = re.compile(r"\s*([-+]?[\d.,_]*\d(?:e[-+]?\d+)?)\s*([^\d\s.,_].*?)\s*\.?\s*$", re.I)


def _strip_unit(entry: dict, answer):
    """Read a trailing unit off a text answer to a number question (``"58.8%"``)."""
    if not isinstance(answer, str):
        return answer
    match = _NUMBER_THEN_TEXT.fullmatch(answer)
    if not match or re.fullmatch(r"e[-+]?\d+", match.group(2), re.I):
        return answer
    number, unit = match.group(1), " ".join(match.group(2).casefold().split())
    if unit in _units(entry):
        return number
    if _units(entry):
        asked = entry["unit"] if isinstance(entry["unit"], str) else entry["unit"][0]
        raise ValueError(f"{match.group(2)[:20]!r} is not the unit this question asks for: give the "
                         f"number alone, or followed by {asked!r}.")
    raise ValueError(f"write the number only, without {match.group(2)[:20]!r}: this question asks "
                     "for a plain number.")


def _number_hashes(question: str, entry: dict, value: Decimal) -> list[str]:
    step = entry.get("step", 1)
    k = _grid(value, step)
    spread = round(entry.get("tolerance", 0) / step)
    return [_hash(entry["salt"], question, f"n:{i}") for i in range(k - spread, k + spread + 1)]


def _candidates(question: str, entry: dict, answer) -> list[str]:
    """Return the hashes under which ``answer`` would be accepted."""
    kind = entry["kind"]
    if kind == "number":
        return _number_hashes(question, entry, _decimal(_strip_unit(entry, answer)))
    normal = normalise(kind, answer)
    if kind == "choice":
        allowed = [normalise("choice", c) for c in entry.get("choices", [])]
        if allowed and normal not in allowed:
            labels = ", ".join(entry["choices"])
            raise ValueError(f"choose one of: {labels}.")
    return [_hash(entry["salt"], question, normal)]


def _spelling_variants(normal: str) -> set[str]:
    """The text with each one letter left out (spaces ignored): two texts one slip apart share one."""
    letters = normal.replace(" ", "")
    if sum(ch.isalpha() for ch in letters) < MIN_TYPO_LETTERS:
        return set()
    return {letters} | {letters[:i] + letters[i + 1:] for i in range(len(letters))}


def _near_hashes(question: str, entry: dict, normal: str) -> set[str]:
    return {_hash(entry["salt"], question, "f:" + v) for v in _spelling_variants(normal)}


def _slip(question: str, entry: dict, answer, accepted: set[str]) -> str | None:
    """Name a likely slip of a wrong number (fraction for percentage, sign) without the answer."""
    try:
        value = _decimal(_strip_unit(entry, answer))
    except ValueError:
        return None
    # A fraction written to two places (0.59) stands for anything from 58.5 to 59.5 per cent.
    rounding = Decimal(1).scaleb(min(value.as_tuple().exponent, 0)) / 2
    tries = []
    if _is_percent(entry) and abs(value) <= 1:
        tries.append((value * 100, rounding * 100, FRACTION_SLIP))
    if entry.get("unit") == "fraction" and abs(value) > 1:
        tries.append((value / 100, rounding / 100, PERCENT_SLIP))
    if value != 0:
        tries.append((-value, Decimal(0), SIGN_SLIP))
    step = Decimal(str(entry.get("step", 1)))
    for other, spread, message in tries:
        reach = min(int(spread / step), 50)
        centre = _grid(other, step)
        for k in range(centre - reach, centre + reach + 1):
            if accepted & set(_number_hashes(question, entry, k * step)):
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
    except _Unreadable as exc:
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
    answer = _plain(answer)
    if entry.get("check") == "form":  # a graded question's student copy: no hash to judge by
        from coursekit.formcheck import evaluate_form

        return evaluate_form(entry, answer, qid)
    if answer is None or answer is Ellipsis:
        return CheckResult(qid, False, "Not yet answered: replace the placeholder with your answer, "
                                       "then run this cell again.")
    if isinstance(answer, str) and len(answer) > MAX_ANSWER_CHARS:
        return CheckResult(qid, False, f"Not yet: that answer is {len(answer):,} characters long; "
                                       "a short answer is expected here.")
    if isinstance(answer, float) and math.isnan(answer):
        return CheckResult(qid, False, "Not yet: your answer is NaN (not a number). A missing value "
                                       "or a division by zero may have crept into the calculation.")
    try:
        hashes = _candidates(qid, entry, answer)
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
        near = _near_hashes(qid, entry, normalise("text", answer)[2:])
        if near & set(entry["near"]):
            return CheckResult(qid, True, "✅ Correct, allowing for spelling: the sources spell it "
                                          "slightly differently, so compare your answer with the table.")
    if specific is None and entry["kind"] == "number":
        specific = _slip(qid, entry, answer, accepted)
    hint = specific or entry.get("hint") or "Have another look at the section above."
    return CheckResult(qid, False, f"Not yet: {hint}")


def build_keys(spec: dict, *, salt_seed: str | None = None) -> dict:
    """Turn an instructor's plaintext answers into a hashed key (the plaintext is not kept).

    Args:
        spec: ``{question_id: {"kind", "answer" or "answers", "hint", "step", "tolerance",
            "unit", "typos", "choices", "options", "asks", "wrong": {wrong_answer: message},
            "points", "variable"}}``. ``options`` (the choices' texts) and ``asks``
            (calculation, look-up or judgement) are checked but not copied into the key.
        salt_seed: make salts reproducible (so a rebuilt key file diffs cleanly); default random.

    Raises:
        CheckError: a question without an answer, an unknown kind, or an answer that does not
            fit its kind (the message names the question).

    >>> k = build_keys({"q": {"kind": "text", "answers": ["Tashkent", "Tashkent Declaration"]}})
    >>> sorted(k["questions"]["q"]) == ['accept', 'feedback', 'hint', 'id', 'kind', 'points', 'salt']
    True
    """
    questions = {}
    for qid, item in spec.items():
        if not isinstance(item, dict):
            raise CheckError(f"Question {qid!r}: expected a mapping with kind and answer.")
        kind = item.get("kind")
        if kind not in KINDS:
            raise CheckError(f"Question {qid!r}: kind {kind!r} is not one of {', '.join(KINDS)}.")
        answers = item["answers"] if "answers" in item else [item.get("answer")]
        if not answers or any(a is None for a in answers):
            raise CheckError(f"Question {qid!r}: give its answer under 'answer' or 'answers'.")
        salt = (hashlib.sha256(f"{salt_seed}:{qid}".encode()).hexdigest()[:16]
                if salt_seed is not None else os.urandom(8).hex())
        entry = {"id": qid, "kind": kind, "salt": salt, "hint": item.get("hint", ""),
                 "points": item.get("points", 1)}
        for extra in ("step", "tolerance", "choices", "variable", "unit"):
            if extra in item:
                entry[extra] = item[extra]
        _check_fields(qid, item)
        if kind == "number":
            entry.setdefault("step", 1)
            entry.setdefault("tolerance", 0)
        try:
            entry["accept"] = sorted({_key_hash(qid, entry, a) for a in answers})
            entry["feedback"] = {_key_hash(qid, entry, wrong): msg
                                 for wrong, msg in (item.get("wrong") or {}).items()}
        except ValueError as exc:
            raise CheckError(f"Question {qid!r}: an answer does not fit kind {kind!r}: {exc}") from None
        near = _typo_hashes(qid, entry, item, answers) if item.get("typos") else set()
        if near:
            entry["near"] = sorted(near)
        questions[qid] = entry
    return {"format": KEY_FORMAT, "questions": questions}


def _check_fields(qid: str, item: dict) -> None:
    asks = item.get("asks")
    if asks is not None and asks not in ASKS:
        raise CheckError(f"Question {qid!r}: asks {asks!r} is not one of {', '.join(ASKS)}.")
    options = item.get("options")
    if options is not None:
        if item.get("kind") != "choice" or not isinstance(options, dict):
            raise CheckError(f"Question {qid!r}: 'options' is a mapping of choice label to the "
                             "option's text, for kind: choice only.")
        if [str(k) for k in options] != [str(c) for c in item.get("choices", [])]:
            raise CheckError(f"Question {qid!r}: the labels under 'options' ({', '.join(map(str, options))}) "
                             f"must be the choices ({', '.join(map(str, item.get('choices', [])))}), in order.")
    if item.get("typos") and item.get("kind") != "text":
        raise CheckError(f"Question {qid!r}: 'typos' applies to kind: text only.")
    if item.get("typos") not in (None, 0, 1, True, False):
        raise CheckError(f"Question {qid!r}: 'typos' can only be 1 (one slip of spelling).")


def _typo_hashes(qid: str, entry: dict, item: dict, answers) -> set[str]:
    near: set[str] = set()
    for answer in answers:
        near |= _spelling_variants(normalise("text", answer)[2:])
    for wrong in item.get("wrong") or {}:
        if _spelling_variants(normalise("text", wrong)[2:]) & near:
            raise CheckError(f"Question {qid!r}: with 'typos: 1' the wrong answer {wrong!r} is one slip "
                             "of spelling from a right one and would pass. Remove 'typos' for this question.")
    return {_hash(entry["salt"], qid, "f:" + v) for v in near}


def _key_hash(qid: str, entry: dict, answer) -> str:
    if entry["kind"] == "number":
        return _hash(entry["salt"], qid, f"n:{_grid(_decimal(_strip_unit(entry, answer)), entry['step'])}")
    return _candidates(qid, entry, answer)[0]


def load_keys(path: str | os.PathLike[str]) -> dict:
    """Read and check a key file; return its ``questions`` mapping.

    Raises:
        CheckError: the file is missing, not JSON, or not in the ``coursekit-checks/1`` format.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckError(f"Key file {path} is missing. Rebuild it with 'coursekit keys'.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckError(f"Key file {path} is not valid JSON ({exc}). Rebuild it with "
                         "'coursekit keys' or restore it from git.") from None
    if not isinstance(doc, dict) or doc.get("format") != KEY_FORMAT:
        raise CheckError(f"Key file {path} is not a {KEY_FORMAT} key file. Rebuild it with "
                         "'coursekit keys'.")
    return doc["questions"]


def find_keys(start: str | os.PathLike[str] | None = None) -> list[Path]:
    """Return the key files that apply in ``start`` (default: cwd), nearest first."""
    env = os.environ.get("COURSEKIT_KEYS")
    if env:
        return [Path(env)]
    here = Path(start or Path.cwd()).resolve()
    return [folder / KEY_FILE for folder in (here, *here.parents) if (folder / KEY_FILE).is_file()]


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
        question_id = f"<a {_type_name(question_id)}>"
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
