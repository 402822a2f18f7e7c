"""coursekit.assess.notes: every event of a cell is told in words that name the cell as the
student finds it, the limit that stopped it and what to do; a cell that simply ran says nothing."""

from __future__ import annotations

import pytest

from coursekit.assess.notes import Limits, cell_note, start_failed_note, truncated_note, where
from coursekit.kernels.execute import EVENTS, CellRun

LIMITS = Limits(cell_timeout=7, timeout=90, memory_mb=512, max_output_mb=1.5)
PLACE = where({"index": 2, "task": "Task 1.2", "source": "\n\nn = len(rows)  # count\n"})


def test_a_cell_is_named_from_one_with_its_task_and_first_line():
    assert PLACE == "cell 3 from the top in Task 1.2 ('n = len(rows)  # count')"
    long = where({"index": 0, "source": "x = " + "1 + " * 40})
    assert long.startswith("cell 1 from the top ('x = 1") and long.endswith("...')")


@pytest.mark.parametrize(("event", "words"), [
    ("timeout", ["Cell 3", "longer than 7 s", "stopped at the time limit"]),
    ("stuck", ["longer than 7 s", "did not respond to the interrupt", "did not run"]),
    ("exited", ["quit() or exit()", "cell 3", "Remove that line"]),
    ("died", ["cell 3", "512 MB", "the kernel died"]),
    ("deadline", ["longer than 90 s", "cell 3"]),
])
def test_each_stop_names_its_cause_and_limit(event, words):
    note = cell_note(CellRun(2, event), PLACE, LIMITS)
    assert all(word in note for word in words), note


def test_errors_name_the_exception_and_input_says_the_grader_cannot_type():
    crash = cell_note(CellRun(2, "error", "KeyError", "'year'", allowed=True), PLACE, LIMITS)
    assert crash == "Cell 3 from the top in Task 1.2 ('n = len(rows)  # count') crashed with KeyError: 'year'"
    typed = cell_note(CellRun(2, "error", "StdinNotImplementedError", "", allowed=True),
                      PLACE, LIMITS)
    assert "input()" in typed and "cannot type" in typed


def test_every_event_but_ok_has_a_note():
    assert cell_note(CellRun(2, "ok"), PLACE, LIMITS) is None
    assert all(cell_note(CellRun(2, e), PLACE, LIMITS) for e in EVENTS if e != "ok")


def test_output_and_start_failures_say_what_to_do():
    assert "past 1.5 MB" in truncated_note(PLACE, LIMITS) and ".head()" in truncated_note(PLACE, LIMITS)
    note = start_failed_note(RuntimeError("no ipykernel"), "ModuleNotFoundError: ipykernel")
    assert "no ipykernel; ModuleNotFoundError" in note and "not your fault" in note
