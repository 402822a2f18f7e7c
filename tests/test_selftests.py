"""An otter set's public tests reach students as self-checks; hidden tests and answers never do.

Mirrors ``coursekit/selftests.py`` (what a student's self-check cell runs and says) and
``coursekit/course/otterchecks.py`` (the cell itself). The student copy is released from the
otter-shaped notebook of ``foreign_notebooks.py`` (q1: one public and one hidden test; q2: a
hidden test only; q3: a written answer) and run in a real kernel as a student would run it,
with the placeholders left, with wrong answers and with right ones. At grading the self-check
cells are never run: an edited one changes no score and is noted.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from foreign_notebooks import otter_notebook

from coursekit.assess.leaks import scan_notebook
from coursekit.assess.release import release_sets
from coursekit.course.otterchecks import selfcheck_question

v4 = nbformat.v4
HIDDEN = ("1974", "48", "HIDDEN", "b - a", "Moscow", "moscow", "24.5", "49 / 200", "invasion")
OTTER = Path("/work/.mirror/ucbds-infra+otter-grader/repo")


def _release(tmp_path: Path, nb=None, name: str = "tutorial"):
    folder = tmp_path / "exercises"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb if nb is not None else otter_notebook(), folder / f"{name}.ipynb")
    release_sets(folder, tmp_path / "release", update_keys=True)
    return nbformat.read(tmp_path / "release" / f"{name}.ipynb", 4)


def _text(nb) -> str:
    """The notebook as text, without the random cell ids (a hex id may hold "48")."""
    return json.dumps({**nb, "cells": [{k: v for k, v in c.items() if k != "id"} for c in nb["cells"]]})


def _selfchecks(nb) -> dict[int, str]:
    return {i: selfcheck_question(c) for i, c in enumerate(nb.cells) if selfcheck_question(c)}


def _exercise(nb, name: str = "tutorial"):
    from coursekit.course.exercises import ExerciseSet, notebook_questions

    fmt, questions = notebook_questions(nb, name)
    return ExerciseSet(name, Path(name), Path(name), questions, fmt)


def _run(nb, cwd: Path):
    from coursekit.kernels.execute import run_notebook

    return run_notebook(nbformat.from_dict(copy.deepcopy(nb)), cwd=str(cwd), allow_errors=True,
                        timeout=30)


def _said(ran) -> dict[str, str]:
    """What each self-check printed, by question."""
    out = {}
    for cell in ran.cells:
        question = selfcheck_question(cell)
        if question:
            out[question] = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            assert all(o.output_type == "stream" and o.name == "stdout" for o in cell.outputs), cell.outputs
    return out


def _answer(nb, first_line: str, source: str):
    cell = next(c for c in nb.cells if c.source.split("\n")[0] == first_line)
    cell.source = source
    return nb


# --- the student copy ------------------------------------------------------------------------

def test_each_question_with_public_tests_gets_one_locked_selfcheck_after_its_last_cell(tmp_path):
    student = _release(tmp_path)
    checks = _selfchecks(student)
    assert list(checks.values()) == ["q1"]         # q2 has only a hidden test, q3 is written
    (index,) = checks
    assert student.cells[index - 1].source == "def gap(a, b):\n    ..."   # q1's last cell
    assert student.cells[index + 1].source.startswith("**Question 2")
    cell = student.cells[index]
    assert cell.metadata == {"editable": False, "deletable": False, "coursekit": {"selfcheck": "q1"}}
    assert "gap(1999, 2022) == 23" in cell.source and "check_public(\"q1\"" in cell.source
    text = _text(student)
    for secret in HIDDEN:
        assert secret not in text, secret


def test_a_question_can_turn_its_selfcheck_off_as_in_otter(tmp_path):
    nb = otter_notebook()
    assert list(_selfchecks(_release(tmp_path / "on", nb)).values()) == ["q1"]
    nb.cells[3].source += "\ncheck_cell: false"
    assert _selfchecks(_release(tmp_path / "off", nb)) == {}


def test_the_selfcheck_is_measured_against_its_own_public_tests_only(tmp_path):
    teacher = otter_notebook()
    student = json.loads(json.dumps(_release(tmp_path, teacher)))
    (index,) = _selfchecks(nbformat.from_dict(student))
    assert scan_notebook(student, teacher) == []
    source = student["cells"][index]["source"]
    for planted in ("gap(1974, 2022) == 48",          # a hidden test
                    "return b - a",                   # the model answer
                    "# expected 48"):                 # a hidden test's expected value
        tampered = copy.deepcopy(student)
        tampered["cells"][index]["source"] = source + "\n" + planted
        assert {leak.where for leak in scan_notebook(tampered, teacher)} == {f"cell {index} source"}, planted
    # a self-check for a question without public tests is no cell the release writes
    tampered = copy.deepcopy(student)
    tampered["cells"][index]["metadata"]["coursekit"]["selfcheck"] = "q2"
    assert any("no public tests" in leak.what for leak in scan_notebook(tampered, teacher))


def test_otters_own_tutorial_gets_a_selfcheck_for_each_question_with_public_tests(tmp_path):
    if not OTTER.is_dir():
        pytest.skip("no copy of otter-grader's repository here (fetch github:ucbds-infra/otter-grader)")
    source = nbformat.reads(subprocess.run(
        ["git", f"--git-dir={OTTER}", "show", "HEAD:docs/tutorial/demo.ipynb"],
        capture_output=True, check=True, text=True).stdout, 4)
    student = _release(tmp_path, source, "demo")
    assert sorted(_selfchecks(student).values()) == ["q1", "q2", "q3"]
    text = _text(student)
    for hidden in ("HIDDEN", "square(2.5)", "6.25", "next(f) == 21", "3.33333333", "1.75", "4.5"):
        assert hidden not in text, hidden
    assert "square(1) == 1" in text                  # a public test, in q1's self-check


def test_the_release_command_says_how_many_selfchecks_it_shipped(tmp_path):
    folder = tmp_path / "exercises"
    folder.mkdir()
    nbformat.write(otter_notebook(), folder / "tutorial.ipynb")
    subprocess.run([sys.executable, "-m", "coursekit.cli", "release", "--update-keys", "--exercises",
                    str(folder), "-o", str(tmp_path / "release")], cwd=tmp_path, check=True,
                   capture_output=True, text=True)
    result = subprocess.run([sys.executable, "-m", "coursekit.cli", "release", "--exercises",
                             str(folder), "-o", str(tmp_path / "release")], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "leak scan: clean" in result.stdout
    assert "1 public self-check(s) of otter questions shipped" in result.stdout


# --- what a student sees -----------------------------------------------------------------

def test_a_student_running_the_copy_gets_kind_feedback_and_nothing_hidden(tmp_path):
    student = _release(tmp_path)
    said = {}
    said["blank"] = _said(_run(student, tmp_path))["q1"]
    wrong = _answer(copy.deepcopy(student), "def gap(a, b):", "def gap(a, b):\n    return a - b")
    said["wrong"] = _said(_run(wrong, tmp_path))["q1"]
    # right on the public test, wrong only where the hidden test looks: the public check passes
    hidden_only = _answer(copy.deepcopy(student), "def gap(a, b):",
                          "def gap(a, b):\n    return b - a if a > 1980 else 0")
    said["hidden_only"] = _said(_run(hidden_only, tmp_path))["q1"]
    right = _answer(copy.deepcopy(student), "def gap(a, b):", "def gap(a, b):\n    return b - a")
    said["right"] = _said(_run(right, tmp_path))["q1"]
    crash = _answer(copy.deepcopy(student), "def gap(a, b):", "def gap(a, b):\n    return b / 0")
    said["crash"] = _said(_run(crash, tmp_path))["q1"]

    assert said["blank"].startswith("q1: not answered yet. `gap` is still `...`, the placeholder.")
    assert "Replace the `...`" in said["blank"]
    assert said["wrong"].startswith("q1: the public test does not pass yet.")
    assert "gap(1999, 2022) == 23" in said["wrong"]          # a public test may be shown
    assert "it showed:  False" in said["wrong"] and "expected:   True" in said["wrong"]
    for ok in ("hidden_only", "right"):
        assert said[ok] == ("q1: the public test passes. The grader also runs tests you cannot "
                            "see.\n"), ok
    assert "stopped with an error" in said["crash"] and "ZeroDivisionError: division by zero" in said["crash"]
    for text in said.values():
        for secret in HIDDEN:
            assert secret not in text, (secret, text)


def test_a_selfcheck_run_before_its_answer_cell_says_which_name_and_what_to_do(tmp_path):
    student = _release(tmp_path)
    (index,) = _selfchecks(student)
    only = v4.new_notebook(cells=[student.cells[index]])   # the cells above were never run
    said = _said(_run(only, tmp_path))["q1"]
    assert said.startswith("q1: `gap` is not defined yet. Run the cells above this one first")
    assert "spelled as the question asks" in said


# --- at grading ----------------------------------------------------------------------------

def _graded(teacher, submitted):
    from coursekit.assess.testgrade import grading_notebook, score

    runnable, notes = grading_notebook(_exercise(teacher), teacher, json.loads(json.dumps(submitted)))
    ran = _run(runnable, Path("."))
    return {r["question"]: (r["points"], r["status"], r["message"]) for r in
            score(_exercise(teacher), ran, "ada")}, notes, runnable


@pytest.mark.parametrize("edit", [
    'print("q1 passed")',
    "def gap(a, b):\n    return b - a",       # the answer, written in the self-check instead
    "DROP-METADATA",                          # JupyterLab lost the mark: known by its shape
])
def test_an_edited_selfcheck_changes_no_score_and_is_noted(tmp_path, edit):
    teacher = otter_notebook()
    student = _release(tmp_path, teacher)
    (index,) = _selfchecks(student)
    # wrong where the hidden test looks: per-test partial credit, 1 of q1's 2 points
    base = _answer(copy.deepcopy(student), "def gap(a, b):",
                   "def gap(a, b):\n    return b - a if a > 1980 else 0")
    expected, notes, _ = _graded(teacher, base)
    assert notes == [] and expected["q1"][:2] == (1.0, "incorrect")
    assert expected["q1"][2].startswith("1 of 2 test(s) passed (1 hidden)")
    edited = copy.deepcopy(base)
    if edit == "DROP-METADATA":
        edited.cells[index].metadata = {}
    else:
        edited.cells[index].source = edit
    rows, notes, runnable = _graded(teacher, edited)
    assert rows == expected
    assert "check_public" not in runnable["cells"][index]["source"]   # never run at grading
    if edit == "DROP-METADATA":
        assert notes == []
    else:
        assert notes == [f"Cell {index + 1} (the self-check of q1) is read-only and was edited; the "
                         "grader does not run self-checks (it runs the instructor's tests), so the "
                         "edit changed nothing."]


def test_a_submission_cannot_mark_its_own_cell_as_a_test(tmp_path):
    teacher = otter_notebook()
    student = _release(tmp_path, teacher)
    expected, _, _ = _graded(teacher, student)
    forged = copy.deepcopy(student)
    forged.cells.append(v4.new_code_cell("True", metadata={"coursekit-test": {
        "question": "q1", "kind": "test", "test": 3, "points": 50, "want": "True"}}))
    rows, _, _ = _graded(teacher, forged)
    assert rows == expected and rows["q1"][0] == 0
