"""``coursekit grade`` on nbgrader- and otter-shaped sets: identified, run, scored test by test.

The sets' own tests run in the submission's kernel after its cells, but through the grader's
planted read-out, never through ``run_cell``: a submission that registers an input
transformer to rewrite every ``assert`` away still fails the tests it fails. A test that never
ran (the kernel hung or died first) scores nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from foreign_notebooks import nbgrader_notebook, otter_notebook
from grading import FAST, MODES, by_question, grade, save

from coursekit.assess.release import release_sets

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def foreign_course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("foreign")
    shutil.copytree(ROOT / "data", course / "data")
    (course / "exercises").mkdir()
    nbformat.write(nbgrader_notebook(), course / "exercises" / "problem1.ipynb")
    nbformat.write(otter_notebook(), course / "exercises" / "tutorial.ipynb")
    release_sets(course / "exercises", course / "release", update_keys=True)
    return course


def _released(course: Path, name: str):
    return nbformat.read(course / "release" / f"{name}.ipynb", as_version=4)


def _by_grade_id(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _problem1(course: Path, gap: str, *, before: str = "") -> object:
    nb = _released(course, "problem1")
    _by_grade_id(nb, "gap").source = gap
    _by_grade_id(nb, "span").source = "def span(rows):\n    return max(rows) - min(rows)"
    if before:
        nb.cells.insert(0, nbformat.v4.new_code_cell(before))
    return nb


FORGER = ("ip = get_ipython()\n"
          "ip.input_transformers_cleanup.append(lambda lines: ['pass\\n' if 'assert' in l else l "
          "for l in lines])\n"
          "import ast\n"
          "class _Gone(ast.NodeTransformer):\n"
          "    def visit_Assert(self, node):\n"
          "        return ast.Pass()\n"
          "ip.ast_transformers.append(_Gone())")


@pytest.mark.parametrize("mode", MODES)
def test_an_nbgrader_set_is_graded_by_its_tests_and_forged_tests_do_not_pass(foreign_course, tmp_path,
                                                                              mode):
    folder = tmp_path / "submissions"
    right = "def gap(a, b):\n    return b - a"
    wrong_hidden = "def gap(a, b):\n    return b - a if a > 1980 else 0"
    save(folder, "ada-problem1.ipynb", _problem1(foreign_course, right))
    save(folder, "bo-problem1.ipynb", _problem1(foreign_course, wrong_hidden))
    save(folder, "cy-problem1.ipynb", _problem1(foreign_course, wrong_hidden, before=FORGER))
    report = grade(foreign_course, folder, isolation=mode)
    ada, bo, cy = (by_question(report, s) for s in ("ada-problem1.ipynb", "bo-problem1.ipynb",
                                                    "cy-problem1.ipynb"))
    assert (ada["gap_tests"]["points"], ada["gap_tests"]["status"]) == (2.0, "correct")
    assert (ada["span_tests"]["points"], ada["span_tests"]["status"]) == (1.0, "correct")
    assert ada["agendas"]["status"] == "manual"
    assert (bo["gap_tests"]["points"], bo["gap_tests"]["status"]) == (0, "incorrect")
    assert "1974" not in bo["gap_tests"]["message"]          # a hidden test is never quoted
    # The forger's transformers rewrite its own cells, never the grader's tests.
    assert (cy["gap_tests"]["points"], cy["span_tests"]["points"]) == (0, 1.0)


def test_a_test_that_never_returns_ends_the_run_and_scores_nothing(foreign_course, tmp_path):
    folder = tmp_path / "submissions"
    save(folder, "dee-problem1.ipynb", _problem1(foreign_course, "def gap(a, b):\n    while True:\n"
                                                                 "        pass"))
    report = grade(foreign_course, folder, **{**FAST, "cell_timeout": 5.0})
    dee = by_question(report, "dee-problem1.ipynb")
    assert dee["gap_tests"]["points"] == 0 and dee["span_tests"]["points"] == 0
    assert any("did not finish" in note for note in report.outcomes[0].notes), report.outcomes[0].notes


def test_an_otter_set_is_identified_and_scored_per_test(foreign_course, tmp_path):
    nb = _released(foreign_course, "tutorial")
    for cell in nb.cells:
        if cell.source.startswith("def gap(a, b):"):
            cell.source = "def gap(a, b):\n    return b - a"
        elif cell.source.startswith("share = ..."):
            cell.source = "share = 24.5\npartner = 'Moscow'\nshare"
    nb.metadata.pop("coursekit", None)      # as otter's own release would leave it
    folder = tmp_path / "submissions"
    save(folder, "eve.ipynb", nb)
    rows = by_question(grade(foreign_course, folder), "eve.ipynb")
    assert (rows["q1"]["points"], rows["q1"]["status"]) == (2.0, "correct")
    assert (rows["q2"]["points"], rows["q2"]["status"]) == (1.0, "correct")
    assert rows["q3"]["status"] == "manual"


def test_a_test_that_writes_to_stderr_fails_in_nbgrader_sets_not_in_otter_ones(foreign_course,
                                                                               tmp_path):
    """nbgrader gives no points to a test cell that wrote to stderr (``determine_grade``);
    otter's doctests compare only what a test shows."""
    noisy = ("def gap(a, b):\n    import sys\n    print('careful', file=sys.stderr)\n"
             "    return b - a")
    folder = tmp_path / "submissions"
    save(folder, "fay-problem1.ipynb", _problem1(foreign_course, noisy))
    nb = _released(foreign_course, "tutorial")
    for cell in nb.cells:
        if cell.source.startswith("def gap(a, b):"):
            cell.source = noisy
        elif cell.source.startswith("share = ..."):
            cell.source = "share = 24.5\npartner = 'Moscow'\nshare"
    save(folder, "gus.ipynb", nb)
    report = grade(foreign_course, folder)
    fay, gus = by_question(report, "fay-problem1.ipynb"), by_question(report, "gus.ipynb")
    assert (fay["gap_tests"]["points"], fay["span_tests"]["points"]) == (0, 1.0)
    assert "wrote an error message" in fay["gap_tests"]["message"]
    assert "careful" not in fay["gap_tests"]["message"]
    assert (gus["q1"]["points"], gus["q1"]["status"]) == (2.0, "correct")
