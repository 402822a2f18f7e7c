"""coursekit release: one instructor source per set, a student version that provably holds no
answer, a leak scan that catches a planted leak in every place, and edits that are never lost."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit.assess.leaks import answer_strings, scan_keys, scan_notebook
from coursekit.assess.release import check_structure, release_sets, student_notebook
from coursekit.course import exercises, lint
from coursekit.course.exercises import discover
from coursekit.course.safewrite import MANIFEST
from coursekit.course.solutions import solution_lines, strip_solutions
from coursekit.errors import CourseError

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
SETS = discover(EXERCISES)
NAMES = [s.name for s in SETS]


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A throwaway course: data/ and exercises/ (with the plaintext answers) copied."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(EXERCISES, tmp_path / "exercises",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return tmp_path


@pytest.fixture
def released(course: Path) -> Path:
    """The student release of every set, written into the throwaway course."""
    release_sets(course / "exercises", course / "release")
    return course / "release"


def _plaintext(exercise) -> list[str]:
    return [a for q in exercise.questions if not q.manual for a in answer_strings(q.spec)]


def _read(path: Path):
    return nbformat.read(path, as_version=4)


# --- the exercise sets themselves ---------------------------------------------------------

def test_there_are_four_sets_with_points_and_self_checks():
    assert NAMES == ["01-timeline", "02-energy-arithmetic", "03-reconciling-trade",
                     "04-announced-vs-delivered"]
    for exercise in SETS:
        assert exercise.max_points == 10, exercise.name
        assert any(q.manual for q in exercise.questions) or exercise.name < "03"
        code = "\n".join(c.source for c in _read(exercise.notebook).cells if c.cell_type == "code")
        for q in exercise.questions:
            if not q.manual:
                assert f'check("{q.id}", {q.variable})' in code, (exercise.name, q.id)


@pytest.mark.parametrize("name", NAMES)
def test_instructor_notebook_follows_the_lesson_rules(name):
    """kernelspec, sections, alt text, cited sources, no absolute paths (toc.yml lists lessons only)."""
    problems = [p for p in lint.lint(EXERCISES / f"{name}.ipynb", ROOT) if "toc.yml" not in p]
    assert problems == []
    nb = json.loads((EXERCISES / f"{name}.ipynb").read_text(encoding="utf-8"))
    assert all(c["metadata"].get("slideshow", {}).get("slide_type") for c in nb["cells"])
    assert sum("setup" in c["metadata"].get("tags", []) for c in nb["cells"]) == 1


@pytest.mark.parametrize("name", NAMES)
def test_instructor_notebook_is_committed_with_every_self_check_passing(name):
    """The committed outputs show each solution passing its self-check (nbval reruns them)."""
    nb = _read(EXERCISES / f"{name}.ipynb")
    exercise = next(s for s in SETS if s.name == name)
    passed = {o["metadata"]["coursekit"]["question"]
              for c in nb.cells for o in c.get("outputs", [])
              if o.get("metadata", {}).get("coursekit", {}).get("passed")}
    assert passed == {q.id for q in exercise.questions if not q.manual}
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]


def test_instructor_key_file_matches_the_answers():
    text = exercises.keys_text(exercises.build_exercise_keys(SETS))
    assert (EXERCISES / "checks.json").read_text(encoding="utf-8") == text
    assert "SOLUTION" not in text


def test_answers_file_names_the_variable_and_points_of_every_question(course):
    spec = course / "exercises" / "answers" / "01-timeline.yml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("  variable: n_context\n", "", 1),
                    encoding="utf-8")
    with pytest.raises(CourseError, match=r"01-timeline.yml, question 'ex01.context-rows'.*variable"):
        discover(course / "exercises")


# --- the student version ------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_student_version_has_placeholders_and_nothing_of_the_solution(released, name):
    exercise = next(s for s in SETS if s.name == name)
    teacher = _read(exercise.notebook)
    student_text = (released / f"{name}.ipynb").read_text(encoding="utf-8")
    student = nbformat.reads(student_text, as_version=4)
    assert len(student.cells) == len(teacher.cells)
    hidden = [line for c in teacher.cells for line in solution_lines(c.source, c.cell_type)]
    visible = "\n".join(strip_solutions(c.source, c.cell_type) for c in teacher.cells)
    assert hidden, "the instructor notebook marks its solutions"
    for line in hidden:
        if len(line) >= 12 and line not in visible:
            assert line not in student_text, line
    for q in exercise.questions:
        assert f"{q.variable} = ..." in student_text
    sources = "\n".join(c.source for c in student.cells)
    for answer in _plaintext(exercise):
        word = re.compile(rf"(?<![\w.]){re.escape(answer)}(?!\w)")
        assert len(word.findall(sources)) <= len(word.findall(visible)), answer
    assert all(c.get("outputs", []) == [] and c.get("execution_count") is None
               for c in student.cells if c.cell_type == "code")
    assert "BEGIN SOLUTION" not in student_text and "END SOLUTION" not in student_text
    assert student.metadata["coursekit"] == {"exercise_set": name, "version": "student"}
    assert scan_notebook(student, teacher, _plaintext(exercise)) == []


def test_release_writes_a_hashed_key_and_no_plaintext(released):
    names = sorted(p.name for p in released.iterdir())
    assert names == sorted([MANIFEST, "checks.json", *(f"{n}.ipynb" for n in NAMES)])
    keys = json.loads((released / "checks.json").read_text(encoding="utf-8"))
    assert keys["format"] == "coursekit-checks/1"
    every = [a for s in SETS for a in _plaintext(s)]
    assert scan_keys(keys, every) == []
    for entry in keys["questions"].values():
        assert "answer" not in entry and "answers" not in entry and "wrong" not in entry
    manual = [q.id for s in SETS for q in s.questions if q.manual]
    assert manual and not set(manual) & set(keys["questions"])


def test_student_self_checks_of_graded_questions_check_the_form_only(released):
    code = ("from coursekit.checks import check\n"
            "for answer in (910, 5, 'lots', None):\n"
            "    r = check('ex02.russia-max', answer)\n"
            "    print(r.passed, '|', r.message)\n"
            "print(check('ex04.delivered', 'A20').passed, check('ex03.lower-bound', 'z').passed)")
    out = subprocess.run([sys.executable, "-c", code], cwd=released, capture_output=True,
                         text=True, check=True, env={"PATH": "/usr/bin:/bin",
                                                     "COURSEKIT_KEYS": str(released / "checks.json")})
    right, wrong, text, blank, others = out.stdout.strip().splitlines()
    # The right answer and a wrong number get the same reply: the form is right, the grader judges.
    assert right == wrong and right.startswith("True | Form OK: a number.")
    assert "your instructor's grader judges it" in right
    assert text.startswith("False | Not yet:") and blank.startswith("False | Not yet answered")
    assert others == "False False"  # not a list; not one of the choices


def test_release_of_one_named_set_keeps_the_key_of_earlier_releases(course):
    written = release_sets(course / "exercises", course / "release", names=["02"])
    assert sorted(p.name for p in written) == ["02-energy-arithmetic.ipynb", "checks.json"]
    release_sets(course / "exercises", course / "release", names=["01-timeline"])
    keys = json.loads((course / "release" / "checks.json").read_text(encoding="utf-8"))
    prefixes = {qid.split(".")[0] for qid in keys["questions"]}
    assert prefixes == {"ex01", "ex02"}


def test_release_cannot_go_inside_the_instructor_folder(course):
    with pytest.raises(CourseError, match="must not go inside the instructor folder"):
        release_sets(course / "exercises", course / "exercises" / "student")


def test_release_is_byte_stable(course):
    release_sets(course / "exercises", course / "a")
    release_sets(course / "exercises", course / "b")
    for name in [*(f"{n}.ipynb" for n in NAMES), "checks.json"]:
        assert (course / "a" / name).read_bytes() == (course / "b" / name).read_bytes()


# --- never overwrite an edit --------------------------------------------------------------

def test_release_never_overwrites_an_edited_file_and_says_how_to_force(released, course):
    edited = released / "01-timeline.ipynb"
    edited.write_text(edited.read_text(encoding="utf-8").replace("n_context = ...",
                                                                 "n_context = 59  # mine"),
                      encoding="utf-8")
    mine = edited.read_bytes()
    other = released / "03-reconciling-trade.ipynb"
    other_before = other.read_bytes()
    with pytest.raises(CourseError) as error:
        release_sets(course / "exercises", released)
    message = str(error.value)
    assert str(edited) in message and "--force" in message and "Nothing was written" in message
    assert edited.read_bytes() == mine and other.read_bytes() == other_before
    release_sets(course / "exercises", released, force=True)
    assert (released / "01-timeline.ipynb.bak").read_bytes() == mine
    assert b"n_context = ..." in edited.read_bytes()


def test_release_refuses_a_file_it_did_not_write(course):
    out = course / "release"
    out.mkdir()
    (out / "checks.json").write_text("{}\n", encoding="utf-8")
    with pytest.raises(CourseError, match="checks.json"):
        release_sets(course / "exercises", out)
    assert (out / "checks.json").read_text(encoding="utf-8") == "{}\n"


def test_rerunning_the_release_unchanged_is_allowed(released, course):
    before = {p.name: p.read_bytes() for p in released.iterdir()}
    release_sets(course / "exercises", released)
    assert {p.name: p.read_bytes() for p in released.iterdir()} == before


def test_release_command_reports_a_conflict_and_exits_1(released, course):
    (released / "checks.json").write_text("edited", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "coursekit.cli", "release", "--exercises",
                             str(course / "exercises"), "-o", str(released)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "would overwrite 1 file" in result.stderr and "--force" in result.stderr
    assert (released / "checks.json").read_text(encoding="utf-8") == "edited"


def test_stale_instructor_key_stops_the_release_until_updated(course):
    answers = course / "exercises" / "answers" / "02-energy-arithmetic.yml"
    answers.write_text(answers.read_text(encoding="utf-8").replace("answer: 38.5", "answer: 38.6"),
                       encoding="utf-8")
    with pytest.raises(CourseError, match="out of date.*--update-keys"):
        release_sets(course / "exercises", course / "release")
    assert not (course / "release").exists()
    release_sets(course / "exercises", course / "release", update_keys=True)
    assert (course / "release" / "checks.json").is_file()


# --- the leak scan catches a planted leak in every place ---------------------------------

def _planted(place: str, secret: str):
    exercise = next(s for s in SETS if s.name == "02-energy-arithmetic")
    teacher = _read(exercise.notebook)
    student = student_notebook(exercise, teacher)
    cell = next(c for c in student.cells if "capacity_share = ..." in c.source)
    if place == "cell":
        cell.source += f"\n# {secret}"
    elif place == "output":
        cell.outputs = [nbformat.v4.new_output("stream", text=f"{secret}\n")]
    elif place == "image output":
        png = next(o for c in teacher.cells for o in c.get("outputs", [])
                   if "image/png" in o.get("data", {}))
        cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png.data["image/png"]})]
    elif place == "cell metadata":
        cell.metadata["tags"] = [secret]
    elif place == "notebook metadata":
        student.metadata["coursekit"]["note"] = secret
    elif place == "attachment":
        md_cell = next(c for c in student.cells if c.cell_type == "markdown")
        md_cell.source += "\n![hint](attachment:hint.txt)"
        md_cell["attachments"] = {"hint.txt": {"text/plain": base64.b64encode(secret.encode()).decode()}}
    return student, teacher, _plaintext(exercise)


SECRETS = {"solution line": "capacity_share = 100 * capacity_mmcfd / output_mmcfd",
           "plaintext answer": "the share is 38.5 per cent"}


@pytest.mark.parametrize("secret", sorted(SECRETS))
@pytest.mark.parametrize("place", ["cell", "output", "cell metadata", "notebook metadata",
                                   "attachment"])
def test_leak_scan_catches_a_planted_leak(place, secret):
    student, teacher, answers = _planted(place, SECRETS[secret])
    leaks = scan_notebook(student, teacher, answers)
    found = [str(leak) for leak in leaks if secret in leak.what]
    assert found, f"{secret} planted in the {place} was not caught: {leaks}"


def test_leak_scan_catches_a_revealing_instructor_output():
    student, teacher, answers = _planted("image output", "")
    assert any("instructor output" in leak.what for leak in scan_notebook(student, teacher, answers))


def test_leak_scan_catches_plaintext_in_the_key_file():
    exercise = next(s for s in SETS if s.name == "02-energy-arithmetic")
    keys = exercises.build_exercise_keys([exercise])
    assert scan_keys(keys, _plaintext(exercise)) == []
    keys["questions"]["ex02.reserve-use"]["hint"] = "It is 6.2 per cent."
    keys["questions"]["ex02.capacity-share"]["answer"] = 38.5
    leaks = [str(leak) for leak in scan_keys(keys, _plaintext(exercise))]
    assert any("'ex02.reserve-use'" in leak and "6.2" in leak for leak in leaks)
    assert any("'ex02.capacity-share'" in leak and "field 'answer'" in leak for leak in leaks)


def test_a_leaky_instructor_notebook_stops_the_release_and_writes_nothing(course):
    path = course / "exercises" / "03-reconciling-trade.ipynb"
    nb = _read(path)
    nb.cells[0].metadata["solution_note"] = "fy_spread = 253.15"
    nb.cells[0]["attachments"] = {"x.txt": {"text/plain": base64.b64encode(b"253.15").decode()}}
    nb.cells[0].source += "\n![x](attachment:x.txt)"
    nbformat.write(nb, path)
    hint = course / "exercises" / "answers" / "02-energy-arithmetic.yml"
    hint.write_text(hint.read_text(encoding="utf-8").replace(
        'hint: "A percentage is 100', 'hint: "About 6.2%. A percentage is 100'), encoding="utf-8")
    with pytest.raises(CourseError) as error:
        release_sets(course / "exercises", course / "release", update_keys=True)
    message = str(error.value)
    assert "nothing was written" in message
    assert "03-reconciling-trade.ipynb cell 0 attachment 'x.txt'" in message
    assert "'ex02.reserve-use'" in message and "6.2" in message
    assert not (course / "release").exists()


# --- solution regions (nbgrader / otter style) and the structure check --------------------

def test_nbgrader_and_otter_markers_are_understood(course):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 01 · Imported\n<!-- BEGIN SOLUTION -->\nThe answer is 1999.\n"
                                      "<!-- END SOLUTION -->"),
        nbformat.v4.new_code_cell("def gap(a, b):\n    ### BEGIN SOLUTION\n    return b - a\n"
                                  "    ### END SOLUTION"),
        nbformat.v4.new_code_cell("year = 1999  # SOLUTION\n### BEGIN HIDDEN TESTS\n"
                                  "assert year == 1999\n### END HIDDEN TESTS"),
    ])
    folder = course / "imported"
    (folder / "answers").mkdir(parents=True)
    nbformat.write(nb, folder / "01-imported.ipynb")
    (folder / "answers" / "01-imported.yml").write_text(
        "imp.year:\n  kind: number\n  answer: 1999\n  variable: year\n  points: 1\n", encoding="utf-8")
    release_sets(folder, course / "out", update_keys=True)
    text = (course / "out" / "01-imported.ipynb").read_text(encoding="utf-8")
    student = nbformat.reads(text, as_version=4)
    assert "1999" not in text and "return b - a" not in text and "assert year" not in text
    assert student.cells[1].source == ("def gap(a, b):\n    # YOUR ANSWER HERE: replace each ... "
                                       "with your own code or value.\n    ...")
    assert student.cells[2].source == "year = ..."
    assert "_YOUR ANSWER HERE" in student.cells[0].source


def test_unbalanced_markers_name_the_notebook_cell_and_line(course):
    path = course / "exercises" / "01-timeline.ipynb"
    nb = _read(path)
    index = next(i for i, c in enumerate(nb.cells) if "### END SOLUTION" in c.source)
    nb.cells[index].source = nb.cells[index].source.replace("### END SOLUTION\n", "")
    nbformat.write(nb, path)
    with pytest.raises(CourseError, match=rf"01-timeline.ipynb, cell {index}, line 1: BEGIN "
                                          "SOLUTION is never closed"):
        release_sets(course / "exercises", course / "release")


def test_answer_outside_a_solution_region_stops_the_release(course):
    exercise = next(s for s in SETS if s.name == "02-energy-arithmetic")
    nb = _read(exercise.notebook)
    nb.cells.append(nbformat.v4.new_code_cell("capacity_share = 38.5"))
    with pytest.raises(CourseError, match="assigns the graded variable 'capacity_share' outside"):
        check_structure(exercise, nb)


def test_release_command_writes_the_default_folder(course, monkeypatch):
    monkeypatch.chdir(course)
    result = subprocess.run([sys.executable, "-m", "coursekit.cli", "release", "01"],
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin",
                                                                 "COURSEKIT_ROOT": str(course)})
    assert result.returncode == 0, result.stderr
    assert "leak scan: clean" in result.stdout
    assert (course / "release" / "01-timeline.ipynb").is_file()


# --- speaker notes stay with the instructor ------------------------------------------------

def _with_notes(path: Path) -> None:
    nb = _read(path)
    note = nbformat.v4.new_markdown_cell("**Speaker notes.** Steer them away from option a; Q2 accepts 7.")
    note.metadata["slideshow"] = {"slide_type": "notes"}
    nb.cells.insert(2, note)
    nbformat.write(nb, path)


def test_speaker_notes_are_left_out_of_the_student_version(course):
    exercise = SETS[0]
    _with_notes(course / "exercises" / f"{exercise.name}.ipynb")
    release_sets(course / "exercises", course / "release", names=[exercise.name])
    student = _read(course / "release" / f"{exercise.name}.ipynb")
    assert not any("Speaker notes" in c.source for c in student.cells)
    assert not any(c.metadata.get("slideshow", {}).get("slide_type") == "notes" for c in student.cells)


def test_the_leak_scan_reports_a_surviving_notes_cell():
    exercise = SETS[0]
    teacher = _read(exercise.notebook)
    student = student_notebook(exercise, teacher)
    assert scan_notebook(student, teacher, _plaintext(exercise)) == []
    note = nbformat.v4.new_markdown_cell("Stress the fiscal year.")
    note.metadata["slideshow"] = {"slide_type": "notes"}
    student.cells.append(note)
    leaks = [str(leak) for leak in scan_notebook(student, teacher, _plaintext(exercise))]
    assert any("speaker notes" in leak for leak in leaks), leaks


def test_collapsed_machinery_stays_collapsed_and_nothing_else_under_jupyter_is_copied():
    """A collapsed cell (metadata.jupyter.source_hidden) is collapsed in the student copy too;
    other keys an instructor put under "jupyter" are not copied."""
    exercise = SETS[0]
    teacher = _read(exercise.notebook)
    machinery = nbformat.v4.new_code_cell("x = 1")
    machinery.metadata["jupyter"] = {"source_hidden": True, "private_note": "answer is 42"}
    plain = nbformat.v4.new_code_cell("y = 2")
    plain.metadata["jupyter"] = {"source_hidden": False}
    teacher.cells += [machinery, plain]
    student = student_notebook(exercise, teacher)
    assert student.cells[-2].metadata["jupyter"] == {"source_hidden": True}
    assert "jupyter" not in student.cells[-1].metadata
