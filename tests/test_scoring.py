"""coursekit.assess.scoring: each question judged with the instructor's key, one row a question."""

from __future__ import annotations

from pathlib import Path

from grading import answer, by_question, grade, released, save

from coursekit.assess.readout import MISSING, Opaque


def test_missing_or_renamed_question_is_recorded_and_the_rest_is_graded(course, tmp_path):
    nb = released(course, "01-timeline")
    answer(nb, "n_context", "n_ctx = 59")                       # renamed variable
    answer(nb, "events_1970s", "events_1970s = 9")
    nb.cells = [c for c in nb.cells if "what_counts_show = ..." not in c.source]   # deleted cell
    save(tmp_path / "submissions", "nested/deeper/01.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    rows = by_question(report, "nested/deeper/01.ipynb")
    assert rows["ex01.context-rows"]["status"] == "missing"
    assert "n_context" in rows["ex01.context-rows"]["message"]
    assert rows["ex01.what-counts-show"]["status"] == "missing"
    assert "no longer in the notebook" in rows["ex01.what-counts-show"]["message"]
    assert rows["ex01.events-1970s"]["status"] == "correct"


def _set(*questions):
    from coursekit.course.exercises import ExerciseSet, Question

    return ExerciseSet("09-demo", Path("09-demo.ipynb"), Path("09-demo.yml"), tuple(
        Question(qid, kind, points, variable, {}) for qid, kind, points, variable in questions))


def _scored(values, cell_notes=None, notes=("The run stopped.",)):
    from coursekit.assess.model import Submission
    from coursekit.assess.scoring import score
    from coursekit.checks import build_keys

    exercise = _set(("09.gap", "number", 2, "gap"), ("09.memo", "manual", 3, "memo"),
                    ("09.city", "text", 1.5, "city"))
    keys = build_keys({"09.gap": {"kind": "number", "answer": 23},
                       "09.city": {"kind": "text", "answer": "Tashkent"}}, salt_seed="t")
    sub = Submission(Path("s/amina.ipynb"), "amina.ipynb", exercise=exercise, cells=[
        {"index": 0, "source": "gap = ...", "questions": ["09.gap"]},
        {"index": 1, "source": "memo = ...", "questions": ["09.memo"]},
        {"index": 2, "source": "city = ...", "questions": ["09.city"]}])
    rows, memo = score(sub, keys["questions"], values, list(notes), cell_notes or {})
    return {row["question"]: row for row in rows}, memo


def test_right_wrong_and_manual_answers_get_their_points_and_the_memo_is_kept():
    rows, memo = _scored({"gap": 23, "memo": "Two short sentences.", "city": "Moscow"})
    assert (rows["09.gap"]["status"], rows["09.gap"]["points"]) == ("correct", 2)
    assert (rows["09.memo"]["status"], rows["09.memo"]["points"]) == ("manual", "")
    assert (rows["09.city"]["status"], rows["09.city"]["points"]) == ("incorrect", 0)
    assert rows["09.city"]["max_points"] == 1.5 and rows["09.city"]["answer"] == "Moscow"
    assert memo == {"09.memo": "Two short sentences."}
    assert "Tashkent" not in " ".join(row["message"] for row in rows.values())


def test_a_placeholder_is_unanswered_a_crash_is_a_crash_and_a_gone_name_is_missing():
    rows, _ = _scored({"gap": MISSING, "memo": None, "city": MISSING},
                      cell_notes={"09.gap": "Cell 1 crashed with ValueError: bad",
                                  "09.city": "Cell 3 crashed with NameError: name 'city' is "
                                             "not defined"})
    assert rows["09.gap"]["status"] == "crashed" and "ValueError" in rows["09.gap"]["message"]
    assert rows["09.memo"]["status"] == "unanswered"
    assert rows["09.city"]["status"] == "missing"  # its own name undefined: renamed, not crashed


def test_a_value_the_grader_cannot_read_is_incorrect_and_says_why():
    rows, _ = _scored({"gap": Opaque("DataFrame"), "memo": 12, "city": "Tashkent"})
    assert rows["09.gap"]["status"] == "incorrect" and "DataFrame" in rows["09.gap"]["message"]
    assert rows["09.memo"]["status"] == "unanswered" and "as text" in rows["09.memo"]["message"]
    assert rows["09.city"]["status"] == "correct"


def test_a_run_that_stopped_gives_every_question_an_error_naming_why():
    rows, memo = _scored(None, notes=["The kernel stopped during cell 2."])
    assert {row["status"] for row in rows.values()} == {"error"} and memo == {}
    assert all(row["message"].startswith("The kernel stopped during cell 2.")
               for row in rows.values())
