"""What the leak scan looks for, in every spelling: answers as numbers or words, solution lines.

A number is found by its value, however it is written: ``24.5``, ``24.50``, ``24,5`` (decimal
comma), ``24.5%``, ``24.5 percent``, ``1,100`` / ``1 100`` / ``1.100`` (thousands); digits that
are part of a longer number (``124.5``, ``24.57``, ``2024.5``) do not count. A word or phrase is
found whatever its case, spacing or hyphenation (``Pakistan Stream`` = ``pakistan-stream``),
on word boundaries.

What is too short to search for, and why (false positives would stop every release):

- numbers written with fewer than :data:`MIN_DIGITS` digits, leading zeros aside (``4``,
  ``0.5``): a lone digit turns up in every notebook (cell counts, list items);
- words under :data:`MIN_TEXT` letters and choice letters (``a``..``d``): every sentence has them;
- solution lines under :data:`MIN_LINE` characters (``else:``, ``x = 1``);
- in binary payloads (images), needles under :data:`MIN_BINARY` characters.

Such short answers are protected by the solution regions instead (the student copy never holds
the model answer's lines), which the scan checks separately.

>>> needle = answer_needle("24.5", "ex.q")
>>> [count(needle, t) for t in ("24.50 %", "24,5 percent", "124.5", "24.57", "it is 24.5.")]
[1, 1, 0, 0, 1]
>>> count(answer_needle("Pakistan Stream", "ex.p"), "the PAKISTAN-stream pipeline")
1
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["Needle", "answer_needle", "line_needle", "count", "squash", "short", "fold",
           "number_values", "MIN_DIGITS", "MIN_TEXT", "MIN_LINE", "MIN_BINARY"]

MIN_DIGITS = 2
MIN_TEXT = 3
MIN_LINE = 8
MIN_BINARY = 4
# A number as written: digits, with . or , between digits, and a space (or a narrow or
# no-break space) only before a group of exactly three digits (1 100, not "2022 24").
NUMBER = re.compile(r"(?<![\w.,])[-+]?\d(?:\d|[.,](?=\d)|[\u00a0\u202f ](?=\d{3}(?!\d)))*"
                    r"(?![\w]|[.,]\d)")
SEPARATORS = "\u00a0\u202f "


@dataclass(frozen=True)
class Needle:
    """One thing to look for: its ``kind`` (``plaintext answer``, ``solution line``,
    ``solution value``, ``instructor output``), the text, where it comes from (``question``: the
    question it answers, or the instructor cell) and its matcher.

    Reports print :attr:`label`, which names the question or cell but never the secret itself:
    release logs are shared (CI), and a printed answer is a published one.
    """

    kind: str
    text: str
    question: str | None = None
    value: Decimal | None = None
    pattern: re.Pattern | None = None
    strict: bool = False   # found anywhere, even where the instructor's question text has it

    @property
    def label(self) -> str:
        """How a report names it without printing the secret in full."""
        if self.kind == "plaintext answer":
            return (f"plaintext answer of {self.question} (in some spelling)" if self.question
                    else "a plaintext answer (in some spelling)")
        return f"{self.kind} from {self.question}" if self.question else self.kind


def squash(text: str) -> str:
    """Collapse every run of white space to one space."""
    return " ".join(text.split())


def short(text: str, width: int = 40) -> str:
    """The first ``width`` characters of ``text`` (squashed), with ``...`` when cut."""
    text = squash(text)
    return text if len(text) <= width else text[: max(width - 3, 1)] + "..."


def fold(text: str) -> str:
    """Case, width, accents, hyphens and spacing folded away, for comparing words.

    >>> fold("  Pakistan–Stream  GAS ")
    'pakistan stream gas'
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[-_\u2010-\u2015]+", " ", text).split())


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def number_values(token: str) -> set[Decimal]:
    """Every value a written number can stand for (``1,100`` is 1100 or 1.1; ``24,5`` is 24.5).

    >>> sorted(number_values("1,100")), sorted(number_values("24,50"))
    ([Decimal('1.1'), Decimal('1.1E+3')], [Decimal('24.5')])
    """
    token = token.strip()
    sign = "-" if token.startswith("-") else ""
    body = token.lstrip("+-")
    for sep in SEPARATORS:
        body = body.replace(sep, "")  # a space is only ever a thousands separator
    found = set()
    for decimal_mark, group in ((".", ","), (",", ".")):
        parts = body.split(decimal_mark)
        if len(parts) > 2:
            continue
        whole = parts[0]
        if group in whole and not re.fullmatch(rf"\d{{1,3}}(\{group}\d{{3}})+", whole):
            continue
        text = whole.replace(group, "") + ("." + parts[1] if len(parts) == 2 else "")
        if len(parts) == 2 and group in parts[1]:
            continue
        value = _decimal(sign + text)
        if value is not None:
            found.add(value.normalize())
    return found


def _digits(value: Decimal) -> int:
    """Digits as the number is written plainly, leading zeros left out (0.5: 1, 300: 3)."""
    text = format(abs(value), "f").replace(".", "").lstrip("0")
    return len(text) or 1


def answer_needle(text: str, question: str | None = None, strict: bool = False) -> Needle | None:
    """A needle for one plaintext answer, or None when it is too short to search for.

    >>> answer_needle("4") is None, answer_needle("0.5") is None, answer_needle("ab") is None
    (True, True, True)
    >>> answer_needle("0.91").value, answer_needle("2000").value
    (Decimal('0.91'), Decimal('2E+3'))
    """
    text = str(text).strip()
    values = number_values(text) if re.fullmatch(r"[-+]?[\d.,\u00a0\u202f ]*\d", text) else set()
    if values:
        value = max(values, key=lambda v: (v == _decimal(text.replace(",", "")), v))
        if _digits(value) < MIN_DIGITS:
            return None
        return Needle("plaintext answer", text, question, value, None, strict)
    folded = fold(text)
    if len(folded.replace(" ", "")) < MIN_TEXT:
        return None
    pattern = re.compile(r"(?<!\w)" + re.escape(folded) + r"(?!\w)")
    return Needle("plaintext answer", text, question, None, pattern, strict)


def line_needle(kind: str, text: str, origin: str | None = None) -> Needle:
    """A needle for a solution line or an instructor output, matched after squashing spaces."""
    text = squash(text)
    return Needle(kind, text, origin, None, re.compile(re.escape(text)))


def count(needle: Needle, text: str) -> int:
    """How many times ``needle`` occurs in ``text``."""
    if needle.value is not None:
        return sum(1 for match in NUMBER.finditer(text) if needle.value in number_values(match.group()))
    if needle.kind in ("plaintext answer", "solution value"):
        return len(needle.pattern.findall(fold(text)))
    return len(needle.pattern.findall(squash(text)))
