"""Offline HTML feedback pages: what passed and a hint for what did not, never the answer.

A page is one self-contained file: no script, no external resource, and a Content Security
Policy that forbids both, so nothing a submission wrote (HTML, JavaScript, a file name) can run
or load when the page is opened. Every piece of text from a submission is HTML-escaped and cut
short. Hints come from the instructor's key, whose hints the release's leak scan has checked.

>>> page = render_page(student="alice.ipynb", exercise="01-timeline", title="Timeline",
...     rows=[{"question": "ex01.n", "status": "incorrect", "points": 0, "max_points": 2,
...            "message": "Not yet: count the rows.", "answer": "<script>alert(1)</script>"}],
...     notes=["cell 3 raised NameError: name 'x' is not defined"], protection="guard: ...")
>>> "<script>" in page, "&lt;script&gt;" in page, "default-src 'none'" in page
(False, True, True)
"""

from __future__ import annotations

from coursekit.course.pages import render

__all__ = ["render_page", "STATUS_LABELS", "CSP"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'"
STATUS_LABELS = {
    "correct": "✅ Correct",
    "incorrect": "✏️ Not yet",
    "unanswered": "⬜ Not answered",
    "missing": "❓ Answer not found",
    "crashed": "💥 Your answer cell crashed",
    "manual": "🧑‍🏫 Graded by your instructor",
    "error": "⚠️ Could not be graded",
    "invalid": "⚠️ Not a notebook we could run",
}
MAX_TEXT = 600

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:52rem;margin:2rem auto;
padding:0 1rem;line-height:1.5;color:#1f2328}
h1{font-size:1.5rem} table{border-collapse:collapse;width:100%} caption{text-align:left;
font-weight:600;padding:.5rem 0} th,td{border-bottom:1px solid #d0d7de;padding:.4rem;
text-align:left;vertical-align:top} .score{font-size:1.2rem;font-weight:600}
code{background:#f6f8fa;padding:0 .2rem} footer{margin-top:2rem;color:#57606a;font-size:.85rem}
"""


def _text(value, limit: int = MAX_TEXT) -> str:
    # Cut short only: the template escapes (autoescape), so nothing here may pre-escape.
    text = "" if value is None else str(value)
    return text[: limit - 1] + "…" if len(text) > limit else text


def _points(value) -> str:
    if value in ("", None):
        return "–"
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def render_page(*, student: str, exercise: str, title: str, rows, notes, protection: str,
                warning: str = "") -> str:
    """Return the feedback page of one submission as HTML text.

    Args:
        student: the submission's path inside the submissions folder.
        exercise: the set's name (``01-timeline``), or ``""`` when it could not be told.
        title: the set's title for the heading.
        rows: one dict per question: ``question``, ``status``, ``points``, ``max_points``,
            ``message`` and optionally ``answer`` (the student's own value, shown short) and
            ``task`` (how the notebook names the part it is in, e.g. "Task 2.1").
        notes: what happened while the notebook ran (cell errors, time limits), plain text.
        protection: which isolation was in force (see :mod:`coursekit.kernels.sandbox`).
        warning: shown at the top when that protection is not a security boundary.

    Returns:
        A complete, self-contained HTML document (``templates/pages/feedback.html.j2``).
    """
    earned = sum(float(r["points"]) for r in rows if r["points"] not in ("", None))
    auto_max = sum(float(r["max_points"]) for r in rows
                   if r["status"] != "manual" and r["max_points"] not in ("", None))
    shown = []
    for row in rows:
        icon, _, label = STATUS_LABELS.get(row["status"], f" {row['status']}").partition(" ")
        answer = row.get("answer")
        shown.append({"task": _text(row.get("task") or ""), "question": _text(row["question"]),
                      "icon": icon, "label": label, "points": _points(row["points"]),
                      "max_points": _points(row["max_points"]), "message": _text(row["message"]),
                      "answer": _text(answer, 120) if answer not in (None, "") else ""})
    heading = _text(f"{exercise} · {title}" if exercise else "Exercise set not recognised")
    return render("feedback.html.j2", csp=CSP, style=STYLE, heading=heading, student=_text(student),
                  warning=_text(warning, 400), earned=_points(earned), auto_max=_points(auto_max),
                  manual=sum(r["status"] == "manual" for r in rows), rows=shown,
                  notes=[_text(n) for n in notes], protection=_text(protection))
