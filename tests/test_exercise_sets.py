"""The exercise sets as students get them (issue 9): short code cells, and multiple-choice
answers that neither position nor length gives away, in each set's answer file."""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path

import nbformat
import pytest

from coursekit.assess.release import student_notebook
from coursekit.course.exercises import discover

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_answer_balance import _length  # noqa: E402  (one definition of an option's length)

SETS = discover(ROOT / "exercises")
MAX_LINES, MAX_MEDIAN = 10, 5


def visible_lines(nb) -> list[int]:
    return [sum(1 for line in c.source.splitlines() if line.strip()) for c in nb.cells
            if c.cell_type == "code" and not (c.metadata.get("jupyter") or {}).get("source_hidden")]


@pytest.mark.parametrize("exercise", SETS, ids=[s.name for s in SETS])
def test_student_code_cells_are_short(exercise):
    """Every code cell of the student version: at most 10 lines, median at most 5."""
    student = student_notebook(exercise, nbformat.read(exercise.notebook, as_version=4))
    lines = visible_lines(student)
    assert max(lines) <= MAX_LINES and statistics.median(lines) <= MAX_MEDIAN, lines


def test_the_length_rule_can_fail():
    v4 = nbformat.v4
    nb = v4.new_notebook(cells=[v4.new_code_cell("\n".join(f"x{i} = {i}" for i in range(12)))])
    assert max(visible_lines(nb)) > MAX_LINES


def test_the_sets_multiple_choice_answers_are_balanced():
    """Across the four sets: no letter right in more than 35% of the multiple-choice questions,
    and the right option the longest in at most a third of them."""
    import yaml

    letters, longest, total = Counter(), [], 0
    for path in sorted((ROOT / "exercises" / "answers").glob("*.yml")):
        for qid, entry in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            if entry.get("kind") != "choice":
                continue
            total += 1
            letters[entry["answer"]] += 1
            lengths = {k: _length(v) for k, v in entry["options"].items()}
            if lengths[entry["answer"]] == max(lengths.values()):
                longest.append(qid)
    assert total >= 4
    assert max(letters.values()) <= Fraction(35, 100) * total, letters
    assert len(longest) <= Fraction(1, 3) * total, longest
