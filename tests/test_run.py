"""coursekit.assess.run and notes: a submission's cells run in their own kernel; errors, loops,
stuck cells, deaths, typed input and huge output are each reported at the right cell, in words."""

from __future__ import annotations

import pytest
from grading import answer, by_question, grade, released, save, submit

from coursekit.assess.grade import write_report


def test_an_exception_in_a_cell_is_recorded_and_later_cells_still_run(course, tmp_path):
    submit(course, tmp_path / "submissions", "boom.ipynb", "02-energy-arithmetic",
           russia_max_musd="russia_max_musd = 1 / 0", reserve_use_pct="reserve_use_pct = 6.2")
    report = grade(course, tmp_path / "submissions")
    rows = by_question(report, "boom.ipynb")
    assert rows["ex02.reserve-use"]["status"] == "correct"
    assert rows["ex02.russia-max"]["status"] == "crashed"  # a crash is called a crash
    assert "crashed with ZeroDivisionError" in rows["ex02.russia-max"]["message"]
    assert any("ZeroDivisionError" in note for note in report.outcomes[0].notes)


def test_an_infinite_loop_is_stopped_and_the_rest_is_graded(course, tmp_path):
    nb = released(course, "01-timeline")
    answer(nb, "n_context", "n_context = 59\nwhile True:\n    pass")
    answer(nb, "top_1980s", 'top_1980s = "conflict"')
    save(tmp_path / "submissions", "loop.ipynb", nb)
    report = grade(course, tmp_path / "submissions", cell_timeout=3.0)
    rows = by_question(report, "loop.ipynb")
    assert rows["ex01.context-rows"]["status"] == "correct"
    assert rows["ex01.top-category-1980s"]["status"] == "correct"
    assert any("ran longer than 3 s" in note for note in report.outcomes[0].notes)


def test_a_loop_that_ignores_interrupts_is_stopped_at_the_cell_limit(course, tmp_path):
    nb = released(course, "01-timeline")
    answer(nb, "n_context", "import time\nn_context = 59\nwhile True:\n    try:\n"
                            "        time.sleep(0.2)\n    except KeyboardInterrupt:\n        pass")
    save(tmp_path / "submissions", "stubborn.ipynb", nb)
    save(tmp_path / "submissions", "fine.ipynb",
         answer(released(course, "01-timeline"), "n_context", "n_context = 59"))
    report = grade(course, tmp_path / "submissions", cell_timeout=2.0, timeout=60.0)
    rows = by_question(report, "stubborn.ipynb")
    assert {r["status"] for r in rows.values()} == {"error"}
    assert "ran longer than 2 s and was stopped" in rows["ex01.context-rows"]["message"]
    stubborn = next(o for o in report.outcomes if o.student == "stubborn.ipynb")
    assert stubborn.seconds < 30  # the cell limit held: not the 60 s notebook limit
    assert by_question(report, "fine.ipynb")["ex01.context-rows"]["status"] == "correct"


def test_a_kernel_that_dies_is_recorded_and_the_batch_goes_on(course, tmp_path):
    nb = released(course, "04-announced-vs-delivered")
    answer(nb, "delivered", 'delivered = ["A20"]\nimport os\nos._exit(3)')
    save(tmp_path / "submissions", "a-dies.ipynb", nb)
    save(tmp_path / "submissions", "b-lives.ipynb",
         answer(released(course, "04-announced-vs-delivered"), "wheat_share", "wheat_share = 37.5"))
    report = grade(course, tmp_path / "submissions")
    dead = by_question(report, "a-dies.ipynb")
    assert {r["status"] for r in dead.values()} == {"error"}
    assert "kernel died" in dead["ex04.delivered"]["message"]
    assert by_question(report, "b-lives.ipynb")["ex04.wheat-share"]["status"] == "correct"


def test_gigantic_output_is_cut_and_grading_completes(course, tmp_path):
    nb = released(course, "03-reconciling-trade")
    answer(nb, "n_total_rows", 'print("x" * 30_000_000)\nfor i in range(200_000):\n'
                               '    print(i)\nn_total_rows = 21')
    save(tmp_path / "submissions", "loud.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    rows = by_question(report, "loud.ipynb")
    assert rows["ex03.total-rows"]["status"] == "correct"
    notes = [note for note in report.outcomes[0].notes if "output past 2 MB" in note]
    assert len(notes) == 1 and "Cell " in notes[0]


def test_a_cell_stopped_at_the_time_limit_is_reported_as_stopped(course, tmp_path):
    nb = released(course, "01-timeline")
    answer(nb, "n_context", "import time\ntry:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n"
                            "    pass\nn_context = 59")
    save(tmp_path / "submissions", "quiet.ipynb", nb)
    report = grade(course, tmp_path / "submissions", cell_timeout=3.0)
    notes = report.outcomes[0].notes
    assert any("stopped at the time limit" in n for n in notes), notes
    out = tmp_path / "grades"
    write_report(report, out, exercises_dir=course / "exercises")
    page = (out / "feedback" / "quiet.ipynb.html").read_text(encoding="utf-8")
    assert "ran from top to bottom without errors" not in page


def test_input_fails_at_once_saying_the_grader_cannot_type(course, tmp_path):
    nb = released(course, "01-timeline")
    answer(nb, "n_context", 'n_context = int(input("How many rows? "))')
    save(tmp_path / "submissions", "asks.ipynb", nb)
    report = grade(course, tmp_path / "submissions", cell_timeout=30.0)
    outcome = report.outcomes[0]
    assert outcome.seconds < 25, outcome.seconds
    assert any("grader cannot type" in n for n in outcome.notes), outcome.notes
    assert by_question(report, "asks.ipynb")["ex01.context-rows"]["status"] == "crashed"


@pytest.mark.parametrize("ending", ["quit()", "exit()", "import os\nos._exit(0)"])
def test_a_kernel_that_ends_itself_is_reported_at_that_cell(course, tmp_path, ending):
    nb = released(course, "04-announced-vs-delivered")
    answer(nb, "delivered", f'delivered = ["A20"]\n{ending}')
    index = next(i for i, c in enumerate(nb.cells) if ending in c.source)
    save(tmp_path / "submissions", "ends.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    notes = report.outcomes[0].notes
    assert any(f"cell {index + 1} from the top" in n.lower() for n in notes), (index, notes)
    assert not any(f"cell {index + 2} from the top" in n.lower() for n in notes), notes


def test_feedback_names_tasks_as_the_notebook_does_and_counts_cells_from_one(course, tmp_path):
    nb = released(course, "02-energy-arithmetic")
    answer(nb, "same_capacity", "same_capacity = 1 / 0")
    index = next(i for i, c in enumerate(nb.cells) if "same_capacity = 1 / 0" in c.source)
    save(tmp_path / "submissions", "tasks.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    out = tmp_path / "grades"
    write_report(report, out, exercises_dir=course / "exercises")
    page = (out / "feedback" / "tasks.ipynb.html").read_text(encoding="utf-8")
    assert "Task 1.1" in page and "Task 3.2" in page
    assert f"Cell {index + 1} from the top in Task 1.1" in page
    assert "crashed" in page.lower()
