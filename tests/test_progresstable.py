"""coursekit.assess.progresstable: the table a student reads, totals and what is left to do."""

from __future__ import annotations

from pathlib import Path

from coursekit.assess.progress import NotebookProgress
from coursekit.assess.progresstable import format_table
from coursekit.assess.selfchecks import NOT_RUN, NOT_YET, PASSED


def test_a_fully_passed_notebook_says_well_done():
    row = NotebookProgress(Path("x.ipynb"), "X", {"a": PASSED, "b": PASSED})
    text = format_table([row])
    assert "2 of 2" in text and "Well done" in text and "Still to do" not in text
    empty = NotebookProgress(Path("y.ipynb"), "Y", {})
    assert "no self-checks" in format_table([empty])


def test_still_to_do_names_each_open_question_and_wraps_between_items():
    questions = {f"09.question-{n:02d}": NOT_YET for n in range(12)} | {"09.done": PASSED}
    text = format_table([NotebookProgress(Path("09.ipynb"), "09 · Long", questions)])
    todo = text.split("Still to do:\n")[1].splitlines()
    assert all(len(line) <= 96 for line in todo) and len(todo) > 1
    assert all(f"09.question-{n:02d} (not yet)" in text for n in range(12))
    assert "09.done" not in text.split("Still to do:")[1]


def test_a_notebook_never_started_is_said_in_one_line():
    row = NotebookProgress(Path("03.ipynb"), "03 · Fresh", {"03.a": NOT_RUN, "03.b": NOT_RUN})
    assert "03 · Fresh: not started (2 self-checks)" in format_table([row])
