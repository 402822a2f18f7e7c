"""How long a lesson takes: its teaching and exercise minutes, by the guide's stated method.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("word " * 240)])
>>> time_budget(nb)["teaching"]
2
"""

from __future__ import annotations

import re

from coursekit.course.notebooks import NAV_TAG, SELF_CHECK_TAG, has_tag, is_notes, source, source_hidden
from coursekit.course.vocabulary import CHECK

__all__ = ["time_budget", "claimed_minutes", "WORDS_PER_MINUTE", "MINUTES_PER_CODE_CELL",
           "MINUTES_PER_CHECK", "MINUTES_PER_EXERCISE"]

# --------------------------------------------------------------------------- time budgets
# The method, stated in instructors/guide.md ("How long a lesson takes"): a history student
# reads study prose at about 120 words a minute; runs and reads one code cell (and what it
# shows) in a minute; answers a self-check in three; does a numbered exercise in ten.
WORDS_PER_MINUTE = 120
MINUTES_PER_CODE_CELL = 1
MINUTES_PER_CHECK = 3
MINUTES_PER_EXERCISE = 10
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_EXERCISE_ITEM = re.compile(r"^\d+\.\s+\S", re.M)
_CLAIM = re.compile(r"Teaching:\s*(\d+)\s*min\b.*?(?:exercises|Exercises):\s*(\d+)\s*min", re.S)


def _words(markdown: str) -> int:
    text = re.sub(r"\]\([^)]*\)", "]", markdown)  # a link counts by its words, not its address
    text = re.sub(r"<[^>]+>", " ", text)
    return len(_WORD.findall(text))


def _role(cell) -> str:
    if is_notes(cell) or has_tag(cell, NAV_TAG):
        return "skip"  # instructor-only notes and the generated navigation are not read in class
    if cell.get("cell_type") == "markdown":
        return "prose"
    if cell.get("cell_type") != "code":
        return "skip"
    text = source(cell)
    if has_tag(cell, SELF_CHECK_TAG) or re.search(rf"\b{CHECK}\(", text):
        return "check"
    if has_tag(cell, "setup") or source_hidden(cell) or not text.strip():
        return "skip"  # the setup cell and collapsed machinery are run, not read
    return "code"


def time_budget(nb) -> dict:
    """Minutes a lesson takes by the course's stated method (instructors/guide.md).

    The lesson is split at its ``## Exercises`` heading: from there to the next level-2
    heading is the exercise part, the rest is teaching. Each part costs its prose (words at
    :data:`WORDS_PER_MINUTE`), its code cells a student reads (:data:`MINUTES_PER_CODE_CELL`
    each), its self-checks (:data:`MINUTES_PER_CHECK` each) and, in the exercise part, its
    numbered exercises (:data:`MINUTES_PER_EXERCISE` each). Speaker notes, the navigation
    cell, the setup cell and collapsed machinery cells are not counted.

    Args:
        nb: a notebook (nbformat node or the same structure as a dict).

    Returns:
        ``{"teaching": minutes, "exercises": minutes, "words": ..., "code_cells": ...,
        "checks": ..., "exercise_items": ...}``, minutes rounded to whole numbers.

    >>> import nbformat
    >>> v4 = nbformat.v4
    >>> nb = v4.new_notebook(cells=[v4.new_markdown_cell("word " * 240), v4.new_code_cell("x = 1"),
    ...     v4.new_code_cell('check("q", x)'), v4.new_markdown_cell("## Exercises\\n\\n1. Do it.\\n2. Again."),
    ...     v4.new_markdown_cell("## Key points")])
    >>> budget = time_budget(nb)
    >>> budget["teaching"], budget["exercises"]
    (6, 20)
    """
    cells = nb["cells"] if isinstance(nb, dict) else nb.cells
    parts = {"teaching": {"words": 0, "code": 0, "check": 0, "items": 0},
             "exercises": {"words": 0, "code": 0, "check": 0, "items": 0}}
    part = "teaching"
    for cell in cells:
        role = _role(cell)
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "markdown":
            heading = re.search(r"^##\s+(.+)$", source, re.M)
            if heading:
                part = "exercises" if heading.group(1).strip().lower().startswith("exercises") else "teaching"
        if role == "prose":
            parts[part]["words"] += _words(source)
            if part == "exercises":
                parts[part]["items"] += len(_EXERCISE_ITEM.findall(source))
        elif role in ("code", "check"):
            parts[part][role] += 1

    def minutes(p: dict) -> int:
        return round(p["words"] / WORDS_PER_MINUTE + p["code"] * MINUTES_PER_CODE_CELL
                     + p["check"] * MINUTES_PER_CHECK + p["items"] * MINUTES_PER_EXERCISE)

    every = {k: parts["teaching"][k] + parts["exercises"][k] for k in parts["teaching"]}
    return {"teaching": minutes(parts["teaching"]), "exercises": minutes(parts["exercises"]),
            "words": every["words"], "code_cells": every["code"], "checks": every["check"],
            "exercise_items": every["items"]}


def claimed_minutes(nb) -> tuple[int, int] | None:
    """The ``(teaching, exercises)`` minutes a lesson's title cell states, or None.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
    ...     "# 00 · Start\\n\\nTeaching: 20 min · Exercises: 15 min · Builds on: nothing.")])
    >>> claimed_minutes(nb)
    (20, 15)
    """
    cells = nb["cells"] if isinstance(nb, dict) else nb.cells
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            match = _CLAIM.search("".join(source) if isinstance(source, list) else source)
            return (int(match.group(1)), int(match.group(2))) if match else None
    return None
