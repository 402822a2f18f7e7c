"""Scoring: a submission's read-out values judged with the instructor's key, one row a question.

Every row has the gradebook's columns; its ``status`` is one of :data:`~coursekit.assess.model.STATUSES`
and its message says what to do next, never what the answer is.

>>> points(2.0), points(1.5)
(2, 1.5)
>>> shown("a" * 200)[-5:], shown(MISSING), shown(Opaque("DataFrame"))
('a...', '', 'a DataFrame')
"""

from __future__ import annotations

from coursekit.assess.gradebook import cap
from coursekit.assess.model import Outcome, Submission
from coursekit.assess.readout import MISSING, Opaque

__all__ = ["score", "points", "shown", "invalid_rows", "cap_outcome", "error_rows",
           "MAX_ANSWER_CHARS"]

MAX_ANSWER_CHARS = 10_000  # of a memo kept for the marking sheet


def points(value) -> float | int:
    """A number of points as the gradebook writes it: 2, not 2.0."""
    return int(value) if float(value).is_integer() else value


def shown(value) -> str:
    """A submitted value as the gradebook shows it (short; nothing for no answer)."""
    if value is MISSING or value is None or value is Ellipsis:
        return ""
    if isinstance(value, Opaque):
        return f"a {value.type_name}"
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 120 else text[:117] + "..."


def _rows(sub: Submission, status: str, message: str) -> list[dict]:
    """One row per question of the submission's set (one row if its set is unknown)."""
    if sub.exercise is None:
        return [{"student": sub.student, "set": "", "question": "", "points": 0,
                 "max_points": "", "status": status, "message": message, "answer": ""}]
    return [{"student": sub.student, "set": sub.exercise.name, "question": q.id, "points": 0,
             "max_points": points(q.points), "status": status, "message": message,
             "answer": ""} for q in sub.exercise.questions]


def score(sub: Submission, keys: dict, values: dict | None, notes: list[str],
          cell_notes: dict[str, str]) -> tuple[list[dict], dict]:
    """Judge each question of ``sub``'s set.

    Args:
        sub: the submission (its set and cells).
        keys: the instructor's key, question id to entry.
        values: the read-out values (None if the run stopped before they could be read).
        notes: what the run said; the last one explains a stop.
        cell_notes: per question, what happened in its answer cell.

    Returns:
        The gradebook rows and the memos (question id to text) for manual marking.
    """
    from coursekit.checks import evaluate

    exercise = sub.exercise
    present = {qid for cell in sub.cells for qid in cell["questions"]}
    rows, memo = _rows(sub, "", ""), {}
    for q, row in zip(exercise.questions, rows, strict=True):
        context = f" ({cell_notes[q.id]})" if q.id in cell_notes else ""
        if values is None:
            row.update(status="error", message=(notes[-1] if notes else "The run stopped.")
                       + " This answer could not be read.")
            continue
        value = values.get(q.variable, MISSING)
        # A NameError about the answer's own name is a renamed or deleted variable, not a crash.
        renamed = f"name '{q.variable}' is not defined" in cell_notes.get(q.id, "")
        if value is MISSING and q.id in cell_notes and not renamed:
            row.update(status="crashed", message=(
                f"Your answer cell did not finish, so `{q.variable}` was never set: "
                f"{cell_notes[q.id]} Fix it, rerun the notebook from the top, and resubmit."))
            continue
        if value is MISSING:
            gone = " Its answer cell is no longer in the notebook." if (
                present and q.id not in present) else ""
            row.update(status="missing", message=(
                f"No variable {q.variable!r} after your notebook ran: the cell that answers "
                f"this question was deleted, renamed, or stopped with an error{context}.{gone} "
                f"Keep the line `{q.variable} = ...` and put your answer there."))
            continue
        if q.manual:
            if value is None or value is Ellipsis or (isinstance(value, str) and not value.strip()):
                row.update(status="unanswered", message="Not answered yet: write your memo "
                           f"as text in `{q.variable}`{context}.")
            elif not isinstance(value, str):
                row.update(status="unanswered", message=f"Not yet: `{q.variable}` should hold "
                           f"your memo as text (in quotes), not {shown(value) or 'that'}.")
            else:
                words = len(value.split())
                row.update(status="manual", points="", message=(
                    f"Your memo ({words} words) will be graded by your instructor with the "
                    f"rubric ({points(q.points)} points)."))
                memo = {**memo, q.id: value[:MAX_ANSWER_CHARS]}
            continue
        row["answer"] = shown(value)
        if isinstance(value, Opaque):
            detail = value.problem or f"it is a {value.type_name}"
            row.update(status="incorrect", message=(
                f"Not yet: the grader cannot read `{q.variable}` as a {q.kind} ({detail}). "
                f"Give a {q.kind} as the question asks{context}."))
            continue
        result = evaluate(keys[q.id], value, q.id)
        if result.passed:
            row.update(status="correct", points=points(q.points), message=result.message)
        elif value is None or value is Ellipsis:
            row.update(status="unanswered", message=result.message + context)
        else:
            row.update(status="incorrect", message=result.message + context)
    return rows, memo


def cap_outcome(outcome: Outcome) -> None:
    """No message or note longer than the gradebook's cell limit, anywhere in the report."""
    outcome.notes = [cap(str(n)) for n in outcome.notes]
    for row in outcome.rows:
        row["message"] = cap(str(row.get("message", "")))


def invalid_rows(sub: Submission) -> list[dict]:
    """The rows of a file that could not be run: each says why (``sub.problem``)."""
    return _rows(sub, "invalid", sub.problem)


def error_rows(sub: Submission, exc: BaseException) -> list[dict]:
    """The rows of a submission on which the grader itself failed (not the student's fault)."""
    return _rows(sub, "error", f"The grader failed on this notebook ({type(exc).__name__}: "
                               f"{exc}). Tell your instructor; this is not your fault.")
