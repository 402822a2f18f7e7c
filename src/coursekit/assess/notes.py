"""What the grader tells a student about how their notebook ran: one note per event, in words.

Each cell is named as the student finds it (counted from 1, its task, its first line); each
note says what happened and what to do, never what the answer is.

>>> meta = {"index": 4, "task": "Task 2.1", "source": "gap = 2022 - 1999\\n"}
>>> where(meta)
"cell 5 from the top in Task 2.1 ('gap = 2022 - 1999')"
>>> run = CellRun(4, "error", "NameError", "name 'x' is not defined", allowed=True)
>>> cell_note(run, where(meta), Limits(60, 600, 4096, 2))
"Cell 5 from the top in Task 2.1 ('gap = 2022 - 1999') crashed with NameError: name 'x' is not defined"
"""

from __future__ import annotations

from typing import NamedTuple

from coursekit.assess.gradebook import cap
from coursekit.kernels.execute import CellRun

__all__ = ["Limits", "where", "first_line", "capital", "cell_note", "truncated_note",
           "start_failed_note"]


class Limits(NamedTuple):
    """The limits a note names: seconds per cell and per notebook, memory, output."""

    cell_timeout: float
    timeout: float
    memory_mb: int
    max_output_mb: float


def first_line(source: str) -> str:
    """The first line of a cell that has text, cut to 60 characters."""
    lines = [line for line in source.strip().splitlines() if line.strip()]
    first = lines[0].strip() if lines else ""
    return first if len(first) <= 60 else first[:57] + "..."


def capital(text: str) -> str:
    """``text`` with its first letter in capitals (a note that starts with a cell's name)."""
    return text[:1].upper() + text[1:]


def where(meta: dict) -> str:
    """A cell as the student finds it: counted from 1 at the top (all cells), its task, its text."""
    task = f" in {meta['task']}" if meta.get("task") else ""
    return f"cell {meta['index'] + 1} from the top{task} ({first_line(meta['source'])!r})"


def cell_note(run: CellRun, place: str, limits: Limits) -> str | None:
    """The note for what happened in the cell at ``place`` (None when it simply ran)."""
    if run.event == "deadline":
        return (f"The whole notebook ran longer than {limits.timeout:g} s, so it was stopped "
                f"during {place}. Look for a loop that never ends or a very slow computation.")
    if run.event == "died":
        return (f"The kernel stopped during {place}: it crashed, was ended by quit(), exit() or "
                f"os._exit(), or ran out of its {limits.memory_mb} MB of memory (the kernel "
                "died). Remove what ends it and make sure the notebook runs from top to bottom "
                "before submitting.")
    if run.event == "exited":
        return (f"The kernel was ended by quit() or exit() in {place}, so no cell after it ran "
                "and no answer could be read. Remove that line.")
    if run.event in ("timeout", "stuck"):
        text = (f"{capital(place)} ran longer than {limits.cell_timeout:g} s and was stopped "
                "at the time limit. Look for a loop that never ends or a very slow computation.")
        if run.event == "stuck":
            text += (" It did not respond to the interrupt (it was blocked waiting, or ignored "
                     "interrupts), so the cells after it did not run.")
        return cap(text)
    if run.event == "error" and run.ename == "StdinNotImplementedError":
        return (f"{capital(place)} asked for typed input (input()), but the grader cannot type. "
                "Put the value in the code instead of asking for it.")
    if run.event == "error":
        return cap(f"{capital(place)} crashed with {run.ename}: {run.evalue}")
    return None


def truncated_note(place: str, limits: Limits) -> str:
    """The note for the first cell whose output went past the output limit."""
    return (f"{capital(place)} took the notebook's output past {limits.max_output_mb:g} MB, so "
            "the rest of its output was dropped. Print less (for example .head() of a table).")


def start_failed_note(exc: BaseException, log_tail: str) -> str:
    """The note when no kernel could be started (the grader's problem, not the student's)."""
    tail = f"; {log_tail}" if log_tail else ""
    return (f"The grader could not start a kernel for this notebook ({exc}{tail}). Tell your "
            "instructor; this is not your fault.")
