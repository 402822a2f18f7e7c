"""What a self-check returns: the question, whether it passed, and the kind feedback shown.

A result holds no expected answer, so printing or storing it reveals nothing. In a notebook it
shows as a coloured box, and its output metadata carries a small marker (``MARKER_KEY``) that
``coursekit progress`` reads back from saved notebooks.

>>> result = CheckResult("01.gap", False, "Not yet: check the order of your subtraction.")
>>> bool(result), result
(False, Not yet: check the order of your subtraction.)
>>> FormResult("ex.q", True, "Form OK.")._repr_mimebundle_()[1]
{'coursekit': {'question': 'ex.q', 'passed': True, 'form': True}}
"""

from __future__ import annotations

import html
from dataclasses import dataclass

__all__ = ["CheckResult", "FormResult", "MARKER_KEY", "UNANSWERED", "unanswered"]

MARKER_KEY = "coursekit"  # the output-metadata key of coursekit's own markers


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: the question, whether it passed, and the feedback shown.

    It holds no expected answer, so printing or storing it reveals nothing.
    """

    question: str
    passed: bool
    message: str
    answered: bool = True  # False: the placeholder (or nothing) was checked

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
        meta = {MARKER_KEY: {"question": self.question, "passed": self.passed}}
        if not self.answered:
            meta[MARKER_KEY]["answered"] = False  # progress counts it as "not run", not "not yet"
        return data, meta


UNANSWERED = "Not yet answered: replace the placeholder with your answer, then run this cell again."


def unanswered(question: str, kind: type[CheckResult] | None = None) -> CheckResult:
    """The result of checking a placeholder (``...``) or ``None``: not wrong, just not done yet.

    >>> unanswered("01.gap")._repr_mimebundle_()[1]["coursekit"]["answered"]
    False
    """
    return (kind or CheckResult)(question, False, UNANSWERED, answered=False)


class FormResult(CheckResult):
    """A :class:`CheckResult` whose saved marker says it judged the form only."""

    def _repr_mimebundle_(self, include=None, exclude=None):
        data, meta = super()._repr_mimebundle_(include, exclude)
        meta[MARKER_KEY]["form"] = True
        return data, meta
