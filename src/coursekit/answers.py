"""Answers in their normal forms: what a student typed, read the way a kind marker reads it.

Every reasonable way of writing a right answer must come out the same: ``"58.8%"``, ``58.8``
and ``"58.8 percent"``; ``"Tashkent"`` and ``"the  tashkent."``; ``["b", "a"]`` and ``{"a", "b"}``.
:func:`normalise` gives the form that is hashed (see :mod:`coursekit.keyfile`); an answer that is
too large, too deep or of a strange type raises :class:`Unreadable` with a plain reason.

>>> normalise("text", "  The Tashkent Declaration. ") == normalise("text", "tashkent declaration")
True
>>> normalise("set", ["b", "A", "a"]) == normalise("set", {"a", "b"})
True
>>> strip_unit({"unit": "%"}, "58.8 percent"), as_decimal("1,100")
('58.8', Decimal('1100'))
"""

from __future__ import annotations

import numbers
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from coursekit.errors import CheckError

__all__ = ["KINDS", "normalise", "as_text", "as_item", "as_decimal", "plain", "Unreadable", "type_name",
           "units_of", "is_percent", "strip_unit", "spelling_variants", "MAX_ANSWER_CHARS",
           "MIN_TYPO_LETTERS", "PERCENT_UNITS"]

KINDS = ("number", "text", "set", "choice")
MAX_ANSWER_CHARS = 10_000

MIN_TYPO_LETTERS = 5  # below this, one slip of spelling can make another real word

# Spellings of a percentage a student may add after the number.
PERCENT_UNITS = ("%", "percent", "per cent", "pc", "pct")


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
        return f"n:{as_decimal(answer).normalize():f}"
    if kind == "text":
        return "t:" + as_text(answer)
    if kind == "choice":
        return "c:" + as_text(answer).rstrip(")").strip()
    if kind == "set":
        if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
            raise ValueError("this question wants several items: give a list, e.g. [\"a\", \"b\"].")
        items = sorted({as_item(x) for x in answer})
        if not items:
            raise ValueError("your list is empty: put the items you chose inside the brackets.")
        return "s:" + "\x1f".join(items)
    raise CheckError(f"Unknown question kind {kind!r}; use one of {', '.join(KINDS)}.")


def as_text(answer) -> str:
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


def as_item(x) -> str:
    if isinstance(x, bool):
        return as_text(str(x))
    if isinstance(x, numbers.Number):
        return f"{as_decimal(x).normalize():f}"
    return as_text(x) if isinstance(x, str) else as_text(str(x))


def as_decimal(answer) -> Decimal:
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


class Unreadable(Exception):
    """The answer is of a kind a check does not read (the message says so, kindly)."""


def type_name(value) -> str:
    # type.__name__ read through type's own descriptor: a metaclass cannot make it run code.
    try:
        return type.__dict__["__name__"].__get__(type(value))
    except Exception:
        return "value"


def plain(answer, depth: int = 0):
    """``answer`` as plain built-in values, read without calling any method it defines.

    A value whose ``__str__``, ``__repr__``, ``__eq__`` or ``__iter__`` raises, loops or sleeps
    is never asked anything: only exact built-in types (and NumPy/pandas values, read through
    their own compiled methods) are read, so a check always returns, and quickly.

    >>> class Bad:
    ...     def __str__(self): raise RuntimeError("no")
    >>> plain([1, "a", (2.5,)]), plain(True)
    ([1, 'a', [2.5]], True)
    >>> try:
    ...     plain(Bad())
    ... except Unreadable as exc:
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
        if type_name(answer) == "ndarray":
            if answer.size == 1:
                return plain(answer.reshape(-1)[0].item(), depth + 1)
            return plain(answer.ravel()[: MAX_ITEMS + 1].tolist(), depth + 1)
        if hasattr(kind, "item"):
            return plain(kind.item(answer), depth + 1)
    if module.startswith("pandas") and depth <= MAX_DEPTH and hasattr(answer, "to_numpy"):
        return plain(answer.to_numpy(), depth + 1)
    if kind in (list, tuple, set, frozenset) or (
            isinstance(kind, type) and issubclass(kind, (list, tuple, set, frozenset))):
        if depth >= MAX_DEPTH:
            raise ValueError("that list is nested too deeply; give a flat list of items.")
        if len(answer) > MAX_ITEMS:
            raise ValueError(f"that list has {len(answer):,} items; a short list is expected.")
        base = next(b for b in (list, tuple, set, frozenset) if issubclass(kind, b))
        return [plain(x, depth + 1) for x in base.__iter__(answer)]
    if module == "fractions" and type_name(answer) == "Fraction":
        return float(answer)
    raise Unreadable(f"a {type_name(answer)}")


def units_of(entry: dict) -> list[str]:
    unit = entry.get("unit")
    if not unit:
        return []
    units = [unit] if isinstance(unit, str) else list(unit)
    if any(u.strip() in PERCENT_UNITS for u in units):
        units = [*units, *PERCENT_UNITS]
    # "274 months" and "1 month" both name the unit.
    units += [u[:-1] for u in units if len(u) > 3 and u.endswith("s")]
    return sorted({" ".join(u.casefold().split()) for u in units}, key=len, reverse=True)


def is_percent(entry: dict) -> bool:
    return any(u in PERCENT_UNITS for u in units_of(entry))

NUMBER_THEN_TEXT = re.compile(r"\s*([-+]?[\d.,_]*\d(?:e[-+]?\d+)?)\s*([^\d\s.,_].*?)\s*\.?\s*$", re.I)


def strip_unit(entry: dict, answer):
    """Read a trailing unit off a text answer to a number question (``"58.8%"``)."""
    if not isinstance(answer, str):
        return answer
    match = NUMBER_THEN_TEXT.fullmatch(answer)
    if not match or re.fullmatch(r"e[-+]?\d+", match.group(2), re.I):
        return answer
    number, unit = match.group(1), " ".join(match.group(2).casefold().split())
    if unit in units_of(entry):
        return number
    if units_of(entry):
        asked = entry["unit"] if isinstance(entry["unit"], str) else entry["unit"][0]
        raise ValueError(f"{match.group(2)[:20]!r} is not the unit this question asks for: give the "
                         f"number alone, or followed by {asked!r}.")
    raise ValueError(f"write the number only, without {match.group(2)[:20]!r}: this question asks "
                     "for a plain number.")


def spelling_variants(normal: str) -> set[str]:
    """The text with each one letter left out (spaces ignored): two texts one slip apart share one."""
    letters = normal.replace(" ", "")
    if sum(ch.isalpha() for ch in letters) < MIN_TYPO_LETTERS:
        return set()
    return {letters} | {letters[:i] + letters[i + 1:] for i in range(len(letters))}
