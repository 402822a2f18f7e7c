"""nbgrader and otter-grader notebooks released as they are, and a leak scan that fails closed.

The notebooks are built here in the shape of nbgrader's documented example course (``ps1``:
metadata-only solution cells, a graded Markdown answer, a task cell, hidden tests) and of
otter-grader's tutorial (raw-cell blocks, ``# SOLUTION`` suffixes, ``NO PROMPT``, prompts,
``# HIDDEN`` tests, a manual written answer). Nothing of either project is copied; one test
compares with nbgrader's own released ``ps1`` when a copy of nbgrader's repository is present.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import nbformat
import pytest
from foreign_notebooks import nbgrader_notebook, otter_notebook, raw_cell

from coursekit.assess.leaks import scan_keys, scan_notebook
from coursekit.assess.needles import answer_needle, count
from coursekit.assess.release import release_sets
from coursekit.assess.student import student_notebook
from coursekit.course import nbgrader
from coursekit.course.exercises import discover
from coursekit.course.solutions import cell_roles, notebook_format, secret_lines
from coursekit.errors import CourseError

v4 = nbformat.v4


def _set(tmp_path: Path, name: str, nb) -> Path:
    folder = tmp_path / "exercises"
    folder.mkdir(exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")
    return folder


def _release(tmp_path: Path, **sets) -> Path:
    folder = tmp_path / "exercises"
    for name, nb in sets.items():
        _set(tmp_path, name, nb)
    release_sets(folder, tmp_path / "release", update_keys=True)
    return tmp_path / "release"


def _text(nb) -> str:
    return json.dumps(nb, ensure_ascii=False)


# --- reading the formats ------------------------------------------------------------------

def test_formats_are_told_apart():
    assert notebook_format(nbgrader_notebook()) == "nbgrader"
    assert notebook_format(otter_notebook()) == "otter"
    assert notebook_format(v4.new_notebook(cells=[v4.new_code_cell("x = 1")])) == "coursekit"


def test_every_nbgrader_cell_is_classified_as_nbgrader_does():
    roles = [(r.kind, r.question, r.points, r.manual) for r in cell_roles(nbgrader_notebook())]
    assert roles[0] == ("locked", "intro", None, False)
    assert roles[2] == ("solution", "gap", None, False)
    assert roles[3] == ("test", "gap_tests", 2.0, False)
    assert roles[5] == ("solution", "span", None, False)        # metadata only, no markers
    assert roles[8] == ("solution", "timing", 1.0, True)        # graded Markdown answer
    assert roles[10] == ("solution", "own_case", 2.0, True)     # graded code answer (Part D)
    assert roles[11] == ("locked", "agendas", 4.0, True)        # task cell


def test_every_otter_cell_is_classified_by_its_blocks():
    kinds = [r.kind for r in cell_roles(otter_notebook())]
    assert kinds[0] == "delimiter" and kinds[4] == "locked" and kinds[6] == "solution"
    assert kinds[9] == "test" and kinds[10] == "hidden-test" and kinds[19] == "hidden-test"
    assert kinds[25] == "solution" and kinds.count("prompt") == 2


def test_nbgrader_and_otter_sets_are_found_without_an_answers_file(tmp_path):
    _set(tmp_path, "problem1", nbgrader_notebook())
    _set(tmp_path, "tutorial", otter_notebook())
    sets = {s.name: s for s in discover(tmp_path / "exercises")}
    assert {s: sets[s].fmt for s in sets} == {"problem1": "nbgrader", "tutorial": "otter"}
    assert [(q.id, q.kind, q.points) for q in sets["problem1"].questions] == [
        ("gap_tests", "tests", 2.0), ("span_tests", "tests", 1.0), ("timing", "manual", 1.0),
        ("own_case", "manual", 2.0), ("agendas", "manual", 4.0)]
    assert [(q.id, q.kind, q.points) for q in sets["tutorial"].questions] == [
        ("q1", "tests", 2.0), ("q2", "tests", 1.0), ("q3", "manual", 3.0)]


# --- the student copy ------------------------------------------------------------------------

def test_nbgrader_release_stubs_every_solution_and_drops_hidden_tests(tmp_path):
    student = nbformat.read(_release(tmp_path, problem1=nbgrader_notebook()) / "problem1.ipynb", 4)
    sources = [c.source for c in student.cells]
    assert sources[2] == ('def gap(a, b):\n    """Years from a to b."""\n'
                          "    # YOUR CODE HERE\n    raise NotImplementedError()")
    assert sources[3] == "assert gap(1999, 2022) == 23"
    assert sources[5] == sources[10] == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert sources[8] == "YOUR ANSWER HERE"
    text = _text(student)
    for secret in ("return b - a", "1974", "== 48", "max(rows)", "invasion", "2012", "HIDDEN"):
        assert secret not in text, secret
    # read-only cells are locked and carry nbgrader's own checksum of their released text
    test_cell = student.cells[3]
    assert test_cell.metadata["editable"] is False and test_cell.metadata["deletable"] is False
    assert test_cell.metadata["nbgrader"]["checksum"] == nbgrader.checksum(test_cell)
    assert student.cells[2].metadata["deletable"] is False and "editable" not in student.cells[2].metadata


def test_otter_release_keeps_prompts_and_drops_solutions_tests_and_delimiters(tmp_path):
    student = nbformat.read(_release(tmp_path, tutorial=otter_notebook()) / "tutorial.ipynb", 4)
    sources = [c.source for c in student.cells]
    assert "def gap(a, b):\n    ..." in sources                      # as otter-assign writes it
    assert "share = ...\npartner = ...\nshare" in sources            # NO PROMPT + its prompt
    assert "_Type your answer here, replacing this text._" in sources  # manual written answer
    assert "import math" in sources                                    # '# IGNORE' lines go
    text = _text(student)
    for secret in ("b - a", "49 / 200", "Moscow", "moscow", "24.5", "1974", "invasion order",
                   "BEGIN", "END", "HIDDEN", "ASSIGNMENT CONFIG"):
        assert secret not in text, secret
    # the public test reaches students only inside q1's self-check (as otter's tests/q1.py)
    holding = [c for c in student.cells if "gap(1999, 2022) == 23" in c.source]
    assert [c.metadata["coursekit"] for c in holding] == [{"selfcheck": "q1"}]
    question = next(c for c in student.cells if c.source.startswith("**Question 1"))
    assert question.metadata["editable"] is False


def test_secret_lines_hold_every_model_answer_and_hidden_test():
    lines = secret_lines(otter_notebook())
    assert "gap(1974, 2022) == 48" in lines and 'partner = "Moscow"' in lines
    assert any("invasion order" in line for line in lines)
    assert "gap(1999, 2022) == 23" not in lines     # a public test: otter shows it to students
    lines = secret_lines(nbgrader_notebook())
    assert "assert gap(1974, 2022) == 48" in lines and "return max(rows) - min(rows)" in lines


def test_released_nbgrader_checksums_match_nbgraders_own_release():
    """Against nbgrader's documented example course, when a copy of its repository is present."""
    git = Path("/work/.mirror/jupyter+nbgrader/repo")
    if not git.is_dir():
        pytest.skip("no copy of nbgrader's repository on this machine (fetch github:jupyter/nbgrader)")
    base = "nbgrader/docs/source/user_guide"

    def show(path):
        return nbformat.reads(subprocess.run(["git", f"--git-dir={git}", "show", f"HEAD:{base}/{path}"],
                                             capture_output=True, check=True, text=True).stdout, 4)

    from coursekit.course.exercises import ExerciseSet, notebook_questions

    for name in ("problem1", "problem2"):
        source, theirs = show(f"source/ps1/{name}.ipynb"), show(f"release/ps1/{name}.ipynb")
        fmt, questions = notebook_questions(source, name)
        ours = student_notebook(ExerciseSet(name, Path(name), Path(name), questions, fmt), source)
        mine = {c.metadata["nbgrader"]["grade_id"]: c for c in ours.cells if "nbgrader" in c.metadata}
        for cell in theirs.cells:          # theirs has nbgrader's header cells first
            if "nbgrader" not in cell.metadata:
                continue
            grade_id = cell.metadata.nbgrader.grade_id
            assert mine[grade_id].source == cell.source, (name, grade_id)
            assert mine[grade_id].metadata["nbgrader"]["checksum"] == cell.metadata.nbgrader.checksum
            for lock in ("editable", "deletable"):
                assert mine[grade_id].metadata.get(lock) == cell.metadata.get(lock), (grade_id, lock)


# --- what the release refuses (fails closed) ---------------------------------------------

def _refused(tmp_path, nb, *words):
    _set(tmp_path, "problem1", nb)
    with pytest.raises(CourseError) as error:
        release_sets(tmp_path / "exercises", tmp_path / "release", update_keys=True)
    for word in words:
        assert word in str(error.value)
    assert not (tmp_path / "release").exists()


def test_an_otter_solution_cell_without_a_marked_line_is_refused(tmp_path):
    nb = otter_notebook()
    nb.cells[6].source = "def gap(a, b):\n    return b - a"
    _refused(tmp_path, nb, "problem1.ipynb, cell 6", "no '# SOLUTION' line")


def test_an_unknown_otter_delimiter_is_refused(tmp_path):
    nb = otter_notebook()
    nb.cells.insert(5, raw_cell("# BEGIN HINTS"))
    _refused(tmp_path, nb, "cell 5", "no otter delimiter")


def test_an_unclosed_otter_block_is_refused(tmp_path):
    nb = otter_notebook()
    del nb.cells[7]  # the solution block's '# END SOLUTION'
    _refused(tmp_path, nb, "problem1.ipynb, cell 7", "'# BEGIN TESTS' in the wrong place")


def test_an_otter_fence_inside_other_markdown_is_refused(tmp_path):
    nb = otter_notebook()
    nb.cells[1].source += "\n```otter\n# BEGIN QUESTION\nname: q0\n```"
    _refused(tmp_path, nb, "problem1.ipynb, cell 1", "```otter block")


def test_a_whole_cell_otter_fence_counts_as_the_raw_cell(tmp_path):
    nb = otter_notebook()
    nb.cells[3] = v4.new_markdown_cell("```otter\n# BEGIN QUESTION\nname: q1\npoints: 2\n```")
    student = nbformat.read(_release(tmp_path, tutorial=nb) / "tutorial.ipynb", 4)
    assert "BEGIN QUESTION" not in _text(student)


def test_nbgrader_autotest_lines_are_refused(tmp_path):
    nb = nbgrader_notebook()
    nb.cells[3].source = "### AUTOTEST gap(1999, 2022)"
    _refused(tmp_path, nb, "cell 3", "AUTOTEST")


def test_a_look_alike_marker_in_a_coursekit_cell_is_refused():
    nb = v4.new_notebook(cells=[v4.new_code_cell("### BEGIN SOLUTOIN\nx = 1\n### END SOLUTION")])
    with pytest.raises(CourseError, match="line 3"):
        cell_roles(nb, "01-demo.ipynb")
    nb.cells[0].source = "# BEGIN SOLUTION NO PROMPT\nx = 1\n# END SOLUTION"
    with pytest.raises(CourseError, match="looks like a solution or test marker"):
        cell_roles(nb, "01-demo.ipynb")


def test_the_scan_fails_rather_than_call_an_unreadable_cell_clean():
    teacher = nbgrader_notebook()
    student = json.loads(nbformat.writes(teacher))
    student["cells"][1]["source"] = {"not": "text"}
    with pytest.raises(CourseError, match="cannot read .*cell 1: its source is not text"):
        scan_notebook(student, teacher, [])
    student["cells"][1] = "a string, not a cell"
    with pytest.raises(CourseError, match="cell 1"):
        scan_notebook(student, teacher, [])


# --- planted leaks: every place, every spelling --------------------------------------------

SPELLINGS = ["24.5", "24.50", "24,5", "24.5%", "24.5 percent", "24.500"]
PLACES = ["source", "stream output", "html output", "json output", "tag", "cell metadata",
          "notebook metadata", "text attachment", "image attachment"]


def _plant(nb, place: str, text: str):
    cell = nb.cells[2]
    if place == "source":
        cell.source += f"\n# about {text}"
    elif place == "stream output":
        cell.outputs = [v4.new_output("stream", text=f"{text}\n")]
    elif place == "html output":
        cell.outputs = [v4.new_output("display_data", data={"text/html": f"<b>{text}</b>"})]
    elif place == "json output":
        cell.outputs = [v4.new_output("display_data", data={"application/json": {"v": text}})]
    elif place == "tag":
        cell.metadata["tags"] = [f"share-{text}"]
    elif place == "cell metadata":
        cell.metadata["slideshow"] = {"slide_type": "-", "note": text}
    elif place == "notebook metadata":
        nb.metadata["coursekit"]["note"] = text
    elif place == "text attachment":
        md = nb.cells[1]
        md.source += "\n![n](attachment:n.txt)"
        md["attachments"] = {"n.txt": {"text/plain": base64.b64encode(text.encode()).decode()}}
    elif place == "image attachment":
        md = nb.cells[1]
        png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + f"tEXtComment\x00{text}".encode()
        md.source += "\n![n](attachment:n.png)"
        md["attachments"] = {"n.png": {"image/png": base64.b64encode(png).decode()}}
    return nb


def _native():
    """A coursekit-format set whose graded answer is 24.5 (the share) and 'Pakistan Stream'."""
    teacher = v4.new_notebook(cells=[
        v4.new_markdown_cell("# Exercise\nWork out the share."),
        v4.new_markdown_cell("Use the table."),
        v4.new_code_cell("### BEGIN SOLUTION\nshare = 100 * 49 / 200\nname = 'Pakistan Stream'\n"
                         "### END SOLUTION\ncheck('ex.share', share)")])
    from coursekit.course.exercises import ExerciseSet, Question

    questions = (Question("ex.share", "number", 2, "share", {"kind": "number", "answer": 24.5}),
                 Question("ex.name", "text", 1, "name", {"kind": "text", "answer": "Pakistan Stream"}))
    exercise = ExerciseSet("01-demo", Path("x"), Path("y"), questions)
    return teacher, student_notebook(exercise, teacher), [("ex.share", "24.5", True),
                                                           ("ex.name", "Pakistan Stream", True)]


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("place", PLACES)
def test_a_planted_number_is_caught_in_every_place_and_spelling(place, spelling):
    teacher, student, answers = _native()
    assert scan_notebook(student, teacher, answers) == []
    leaks = [str(leak) for leak in scan_notebook(_plant(student, place, spelling), teacher, answers)]
    assert any("plaintext answer of ex.share" in leak for leak in leaks), leaks
    assert not any(spelling in leak for leak in leaks), "the report must not print the answer"


@pytest.mark.parametrize("spelling", ["Pakistan Stream", "PAKISTAN STREAM", "pakistan  stream",
                                      "Pakistan-Stream", "pakistan\nstream"])
@pytest.mark.parametrize("place", ["source", "tag", "html output", "text attachment"])
def test_a_planted_word_is_caught_whatever_its_case_and_spacing(place, spelling):
    teacher, student, answers = _native()
    leaks = [str(leak) for leak in scan_notebook(_plant(student, place, spelling), teacher, answers)]
    assert any("plaintext answer of ex.name" in leak for leak in leaks), leaks


@pytest.mark.parametrize("secret", ["gap(1974, 2022) == 48", "1974",
                                    "The talks fell on the first day of the invasion of Ukraine."])
@pytest.mark.parametrize("place", ["source", "tag", "stream output", "text attachment"])
def test_a_planted_hidden_test_or_model_answer_of_nbgrader_is_caught(place, secret):
    teacher = nbgrader_notebook()
    from coursekit.course.exercises import ExerciseSet, notebook_questions

    fmt, questions = notebook_questions(teacher, "problem1")
    student = student_notebook(ExerciseSet("problem1", Path("p"), Path("p"), questions, fmt), teacher)
    assert scan_notebook(student, teacher, [], "problem1.ipynb") == []
    leaks = scan_notebook(_plant(student, place, secret), teacher, [], "problem1.ipynb")
    assert any(leak.what.startswith(("solution line", "solution value")) for leak in leaks), leaks


@pytest.mark.parametrize("secret", ["Moscow", "24.5", 'partner = "Moscow"', "gap(1974, 2022) == 48"])
def test_a_planted_otter_solution_or_hidden_test_is_caught(secret):
    teacher = otter_notebook()
    from coursekit.course.exercises import ExerciseSet, notebook_questions

    fmt, questions = notebook_questions(teacher, "tutorial")
    student = student_notebook(ExerciseSet("tutorial", Path("t"), Path("t"), questions, fmt), teacher)
    assert scan_notebook(student, teacher, []) == []
    student.cells[1].source += f"\n{secret}"
    assert scan_notebook(student, teacher, []), secret


def test_a_leak_in_an_nbgrader_set_stops_the_release_and_names_the_cell(tmp_path):
    nb = nbgrader_notebook()
    nb.cells[1].metadata["tags"] = ["hint-48"]
    _refused(tmp_path, nb, "problem1.ipynb cell 1 metadata: solution value from instructor cell 3",
             "nothing was written")


def test_a_planted_answer_in_the_released_key_file_names_the_question():
    keys = {"format": "coursekit-checks/1",
            "questions": {"ex.share": {"kind": "number", "hint": "Close to 24,50 %."}}}
    for answers in ([("ex.share", "24.5")], [("ex.share", "24.5", True)]):   # as release passes them
        leaks = [str(leak) for leak in scan_keys(keys, answers)]
        assert leaks == ["checks.json question 'ex.share': plaintext answer of ex.share (in some spelling)"]


def test_an_answer_left_unmarked_in_an_instructor_markdown_cell_is_caught():
    teacher, _, answers = _native()
    teacher.cells[1].source += "\nHint: the share comes to 24.50 per cent."
    from coursekit.course.exercises import ExerciseSet, Question

    q = Question("ex.share", "number", 2, "share", {"kind": "number", "answer": 24.5})
    student = student_notebook(ExerciseSet("01-demo", Path("x"), Path("y"), (q,)), teacher)
    leaks = [str(leak) for leak in scan_notebook(student, teacher, answers)]
    assert leaks == ["cell 1 source: plaintext answer of ex.share (in some spelling)"]


def test_a_set_answers_row_ids_may_stay_in_the_question_table():
    """A set question picks rows the student must see: its ids are only leaks where added."""
    teacher = v4.new_notebook(cells=[v4.new_markdown_cell("Rows A17, A20 and A21."),
                                     v4.new_code_cell("### BEGIN SOLUTION\npicked = ['A20']\n### END SOLUTION")])
    student = json.loads(nbformat.writes(teacher))
    student["cells"][1]["source"] = "picked = ..."
    assert scan_notebook(student, teacher, [("ex.pick", "A20", False)]) == []
    student["cells"][1]["source"] = "picked = ...  # A20"
    assert scan_notebook(student, teacher, [("ex.pick", "A20", False)])


def test_the_shipped_course_still_releases_clean(tmp_path):
    import shutil

    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "exercises", tmp_path / "exercises",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    written = release_sets(tmp_path / "exercises", tmp_path / "release")
    assert sorted(p.name for p in written) == ["01-timeline.ipynb", "02-energy-arithmetic.ipynb",
                                               "03-reconciling-trade.ipynb",
                                               "04-announced-vs-delivered.ipynb", "checks.json"]


# --- false positives stay low ------------------------------------------------------------------

@pytest.mark.parametrize("answer", ["1", "a", "b", "0.5", "no"])
def test_answers_too_short_to_search_for_flag_nothing(answer):
    assert answer_needle(answer) is None


@pytest.mark.parametrize("text", ["124.5", "24.57", "2024.5", "324,5", "1245", "v24.5x", "24 5"])
def test_a_longer_number_holding_the_digits_is_not_the_answer(text):
    assert count(answer_needle("24.5"), text) == 0


def test_a_word_inside_a_longer_word_is_not_the_answer():
    assert count(answer_needle("NSG"), "NSGs and the unNSG group") == 0
    assert count(answer_needle("NSG"), "the NSG waiver") == 1


# --- submissions: identified, read-only edits noted, graded by their tests --------------------

def _student(name, nb):
    from coursekit.course.exercises import ExerciseSet, notebook_questions

    fmt, questions = notebook_questions(nb, name)
    exercise = ExerciseSet(name, Path(name), Path(name), questions, fmt)
    return exercise, nbformat.reads(nbformat.writes(student_notebook(exercise, nb)), 4)


def _graded(exercise, instructor, submitted):
    from coursekit.assess.testgrade import grading_notebook, score
    from coursekit.kernels.execute import run_notebook

    runnable, notes = grading_notebook(exercise, instructor, submitted)
    ran = run_notebook(nbformat.from_dict(runnable), cwd=".", allow_errors=True, timeout=30)
    return {r["question"]: r for r in score(exercise, ran, "ada")}, notes


def _answer(doc, grade_id, source):
    cell = next(c for c in doc["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    cell["source"] = source


def test_submissions_are_told_apart_by_grade_id_and_question_name(tmp_path):
    from coursekit.assess.testgrade import identify

    _set(tmp_path, "problem1", nbgrader_notebook())
    _set(tmp_path, "tutorial", otter_notebook())
    sets = discover(tmp_path / "exercises")
    nbg, otter = (s for s in sets)
    for exercise, nb in ((nbg, nbgrader_notebook()), (otter, otter_notebook())):
        _, doc = _student(exercise.name, nb)
        doc["metadata"].pop("coursekit")     # as nbgrader's or otter's own release would be
        assert identify(doc, sets).name == exercise.name
    assert identify({"cells": [v4.new_code_cell("x = 1")]}, sets) is None


def test_an_nbgrader_submission_scores_each_test_and_restores_hidden_tests():
    teacher = nbgrader_notebook()
    exercise, doc = _student("problem1", teacher)
    # right on the public test, wrong on the hidden one (1974); span right; answers written
    _answer(doc, "gap", "def gap(a, b):\n    return b - a if a > 1980 else 0")
    _answer(doc, "span", "def span(rows):\n    return max(rows) - min(rows)")
    _answer(doc, "timing", "It coincided with the start of the war.")
    rows, notes = _graded(exercise, teacher, doc)
    assert notes == []
    assert (rows["gap_tests"]["points"], rows["gap_tests"]["status"]) == (0, "incorrect")
    assert "1974" not in rows["gap_tests"]["message"]        # a hidden test is never quoted
    assert (rows["span_tests"]["points"], rows["span_tests"]["status"]) == (1.0, "correct")
    assert rows["timing"]["status"] == "manual"
    assert rows["own_case"]["status"] == "unanswered" and rows["own_case"]["points"] == 0
    assert rows["agendas"]["status"] == "manual"


def test_an_edited_read_only_cell_is_noted_and_graded_as_released():
    teacher = nbgrader_notebook()
    exercise, doc = _student("problem1", teacher)
    _answer(doc, "gap", "def gap(a, b):\n    return b - a")
    _answer(doc, "gap_tests", "pass  # the student emptied the test")
    rows, notes = _graded(exercise, teacher, doc)
    assert notes == ["Cell 4 (gap_tests) is read-only and was edited; the grader used the "
                     "original cell, as nbgrader does."]
    assert rows["gap_tests"]["points"] == 2.0     # the restored tests, hidden ones too, passed


def test_an_otter_submission_gets_per_test_partial_credit():
    teacher = otter_notebook()
    exercise, doc = _student("tutorial", teacher)
    cells = {c["source"].split("\n")[0]: c for c in doc["cells"]}
    cells["def gap(a, b):"]["source"] = "def gap(a, b):\n    return b - a if a > 1980 else 0"
    cells["share = ..."]["source"] = "share = 24.5\npartner = 'Moscow'\nshare"
    rows, _ = _graded(exercise, teacher, doc)
    assert (rows["q1"]["points"], rows["q1"]["status"]) == (1.0, "incorrect")   # 1 of 2 tests
    assert rows["q1"]["message"].startswith("1 of 2 test(s) passed (1 hidden)")
    assert (rows["q2"]["points"], rows["q2"]["status"]) == (1.0, "correct")
    assert rows["q3"]["status"] == "manual"


def test_nbgraders_example_submissions_score_as_nbgrader_autograde_scored_them():
    """Per test cell, against nbgrader's own autograded copies of its documented ps1 course."""
    git = Path("/work/.mirror/jupyter+nbgrader/repo")
    if not git.is_dir():
        pytest.skip("no copy of nbgrader's repository on this machine (fetch github:jupyter/nbgrader)")
    from coursekit.course.exercises import ExerciseSet, notebook_questions

    def show(path):
        return nbformat.reads(subprocess.run(
            ["git", f"--git-dir={git}", "show", f"HEAD:nbgrader/docs/source/user_guide/{path}"],
            capture_output=True, check=True, text=True).stdout, 4)

    source = show("source/ps1/problem1.ipynb")
    fmt, questions = notebook_questions(source, "problem1")
    exercise = ExerciseSet("problem1", Path("p"), Path("p"), questions, fmt)
    for student, edited in (("hacker", []), ("bitdiddle", ["correct_squares", "squares_invalid_input"])):
        rows, notes = _graded(exercise, source, show(f"submitted/{student}/ps1/problem1.ipynb"))
        # Ben Bitdiddle commented out and emptied two test cells: noted, and graded as released
        assert [n.split("(")[1].split(")")[0] for n in notes] == edited
        for cell in show(f"autograded/{student}/ps1/problem1.ipynb").cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                theirs = 0 if any(o.output_type == "error" for o in cell.outputs) else meta["points"]
                assert rows[meta["grade_id"]]["points"] == theirs, (student, meta["grade_id"])


def test_otter_test_points_are_resolved_as_otter_does():
    """A list gives points test by test; a test's own BEGIN TEST CONFIG points are kept."""
    teacher = otter_notebook()
    teacher.cells[3].source = "# BEGIN QUESTION\nname: q1\npoints: [0.5, 1.5]"
    teacher.cells[19].source = ('""" # BEGIN TEST CONFIG\npoints: 0.25\nhidden: true\n'
                                '""" # END TEST CONFIG\nassert partner.lower() == "moscow"')
    exercise, doc = _student("tutorial", teacher)
    assert [(q.id, q.points) for q in exercise.questions] == [("q1", 2.0), ("q2", 0.25), ("q3", 3.0)]
    cells = {c["source"].split("\n")[0]: c for c in doc["cells"]}
    cells["def gap(a, b):"]["source"] = "def gap(a, b):\n    return b - a if a > 1980 else 0"
    rows, _ = _graded(exercise, teacher, doc)
    assert rows["q1"]["points"] == 0.5 and rows["q2"]["points"] == 0   # share still unanswered


def test_otters_tutorial_submissions_get_per_test_partial_credit():
    """otter's own tutorial and its six sample submissions, when a copy of otter is present:
    each fails exactly the question its name says, publicly or only in the hidden tests
    (checked by hand for all six: fails1 scores q1 2/3, fails3 scores q3 1/4)."""
    git = Path("/work/.mirror/ucbds-infra+otter-grader/repo")
    if not git.is_dir():
        pytest.skip("no copy of otter-grader's repository here (fetch github:ucbds-infra/otter-grader)")
    from coursekit.assess.testgrade import identify
    from coursekit.course.exercises import ExerciseSet, notebook_questions

    def show(path):
        return nbformat.reads(subprocess.run(["git", f"--git-dir={git}", "show", f"HEAD:docs/tutorial/{path}"],
                                             capture_output=True, check=True, text=True).stdout, 4)

    source = show("demo.ipynb")
    fmt, questions = notebook_questions(source, "demo")
    exercise = ExerciseSet("demo", Path("demo"), Path("demo"), questions, fmt)
    # four of the six (each run starts a kernel): all passed, a public and two hidden failures
    expected = {"passesAll": {}, "fails2": {"q2": 0.0}, "fails2Hidden": {"q2": 0.5},
                "fails3Hidden": {"q3": 0.5}}
    student = nbformat.read(_release_copy(source), 4)
    assert "HIDDEN" not in _text(student) and "3.33333333" not in _text(student)
    for name, partial in expected.items():
        submitted = show(f"submissions/ipynbs/demo-{name}.ipynb")
        assert identify(submitted, [exercise]) is exercise      # by its grader.check("q1") cells
        rows, _ = _graded(exercise, source, submitted)
        for qid in ("q1", "q2", "q3"):
            assert rows[qid]["points"] == pytest.approx(partial.get(qid, 1.0), abs=1e-5), (name, qid)
        assert rows["q5"]["status"] == "manual"


def _release_copy(nb) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    return _release(folder, demo=nb) / "demo.ipynb"
