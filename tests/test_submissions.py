"""coursekit.assess.submissions, through the grader: any file, any name, any kind of
entry gets rows that say what it is and what to do; a broken notebook never stops the batch."""

from __future__ import annotations

import hashlib
import json
import os

import nbformat
import pytest
from grading import SETS, answer, by_question, grade, read_csv, released, save

from coursekit.assess.grade import write_report
from coursekit.assess.submissions import find_submissions, read_submission
from coursekit.errors import CourseError


def test_unreadable_special_files_are_recorded_and_the_batch_goes_on(course, tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    os.mkfifo(subs / "pipe.ipynb")                      # reading it would block forever
    (subs / "link.ipynb").symlink_to(course / "exercises" / "01-timeline.ipynb")
    (subs / "gone.ipynb").symlink_to(tmp_path / "missing.ipynb")
    (subs / "linked-folder").symlink_to(course / "exercises", target_is_directory=True)
    save(subs, "good.ipynb", answer(released(course, "01-timeline"), "n_context", "n_context = 59"))
    report = grade(course, subs)
    messages = {r["student"]: r["message"] for r in report.rows() if r["status"] == "invalid"}
    assert "not a regular file" in messages["pipe.ipynb"]
    assert "symbolic link" in messages["link.ipynb"] and "symbolic link" in messages["gone.ipynb"]
    assert "symbolic link" in messages["linked-folder"]
    assert not [r for r in report.rows() if r["student"].startswith("linked-folder/")]
    assert by_question(report, "good.ipynb")["ex01.context-rows"]["status"] == "correct"


def test_non_notebook_files_are_recorded(course, tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    (subs / "essay.docx").write_bytes(b"PK\x03\x04 not a notebook \xff\xfe")
    (subs / "notes.txt").write_text("my answers are 59 and 9", encoding="utf-8")
    (subs / "latin1.ipynb").write_bytes(b'{"cells": [], "note": "caf\xe9"}')
    report = grade(course, subs)
    rows = {r["student"]: r for r in report.rows()}
    assert rows["essay.docx"]["status"] == "invalid" and "not a notebook" in rows["essay.docx"]["message"]
    assert rows["notes.txt"]["status"] == "invalid"
    assert "not UTF-8" in rows["latin1.ipynb"]["message"]


def test_invalid_json_is_recorded_with_its_line_and_what_to_do(course, tmp_path):
    subs = tmp_path / "submissions"
    text = nbformat.writes(released(course, "03-reconciling-trade"))
    subs.mkdir()
    (subs / "03-reconciling-trade-ana.ipynb").write_text(text[: len(text) // 2], encoding="utf-8")
    (subs / "not-a-notebook.ipynb").write_text('{"hello": "world"}', encoding="utf-8")
    report = grade(course, subs)
    ana = by_question(report, "03-reconciling-trade-ana.ipynb")
    assert set(ana) == {q.id for q in SETS["03-reconciling-trade"].questions}
    first = next(iter(ana.values()))
    assert first["status"] == "invalid" and "not valid JSON (line" in first["message"]
    assert "Download the notebook again" in first["message"]
    other = report.rows()[-1]
    assert other["student"] == "not-a-notebook.ipynb" and "no list of cells" in other["message"]


def test_any_file_name_or_kind_gets_rows_and_the_report_is_written(course, tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    good = answer(released(course, "01-timeline"), "n_context", "n_context = 59")
    raw = os.fsencode(subs)
    names = [b"caf\xe9-01-timeline.ipynb",                 # not UTF-8
             b"x" * 249 + b".ipynb",                         # 255 bytes
             b"..a.b\\c\\01-timeline.ipynb",                 # dots and backslashes
             b".hidden-01-timeline.ipynb"]                    # a leading dot
    for name in names:
        with open(os.path.join(raw, name), "w", encoding="utf-8") as handle:
            nbformat.write(good, handle)
    (subs / "folder-01-timeline.ipynb").mkdir()                # a folder named like a notebook
    (subs / "02-energy-arithmetic-big.ipynb").write_bytes(b"{" + b" " * (51 * 2**20) + b"}")
    os.mkfifo(subs / "03-reconciling-trade-pipe.ipynb")
    (subs / "04-announced-vs-delivered-link.ipynb").symlink_to(SETS["01-timeline"].notebook)
    report = grade(course, subs)
    students = {r["student"] for r in report.rows()}
    assert len(students) == 8, students
    assert "caf\\xe9-01-timeline.ipynb" in students
    for student in ("caf\\xe9-01-timeline.ipynb", "x" * 249 + ".ipynb",
                    "..a.b\\c\\01-timeline.ipynb", ".hidden-01-timeline.ipynb"):
        assert by_question(report, student)["ex01.context-rows"]["status"] == "correct", student
    # Files that cannot be run keep their set (from the name) and every question as invalid.
    for student, name in (("folder-01-timeline.ipynb", "01-timeline"),
                          ("02-energy-arithmetic-big.ipynb", "02-energy-arithmetic"),
                          ("03-reconciling-trade-pipe.ipynb", "03-reconciling-trade"),
                          ("04-announced-vs-delivered-link.ipynb", "04-announced-vs-delivered")):
        rows = by_question(report, student)
        assert set(rows) == {q.id for q in SETS[name].questions}, student
        assert {r["status"] for r in rows.values()} == {"invalid"}
        assert {r["set"] for r in rows.values()} == {name}
    out = tmp_path / "grades"
    write_report(report, out, exercises_dir=course / "exercises")
    book = read_csv(out / "gradebook.csv")
    assert {r["student"] for r in book} == students
    pages = [p for p in (out / "feedback").rglob("*.html")]
    assert len(pages) == 8 and all(len(p.name.encode()) < 255 for p in pages)
    totals = read_csv(out / "totals.csv")
    assert {t["set"] for t in totals} == set(SETS)


def test_every_message_is_capped(course, tmp_path):
    nb = released(course, "02-energy-arithmetic")
    answer(nb, "same_capacity", 'raise ValueError("=" + "x" * 100_000)')
    save(tmp_path / "submissions", "long.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    assert all(len(r["message"]) <= 2000 for r in report.rows())
    assert all(len(n) <= 2000 for o in report.outcomes for n in o.notes)
    write_report(report, tmp_path / "grades", exercises_dir=course / "exercises")
    rows = read_csv(tmp_path / "grades" / "gradebook.csv")  # Python's reader accepts it
    assert max(len(r["message"]) for r in rows) <= 2000


def test_find_submissions_lists_odd_entries_and_skips_only_checkpoints(tmp_path):
    (tmp_path / "amina").mkdir()
    (tmp_path / "amina" / "01.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "01-checkpoint.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "inside.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "folder.ipynb").mkdir()
    (tmp_path / ".dotfile.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "link.ipynb").symlink_to(tmp_path / "amina" / "01.ipynb")
    found = [p.relative_to(tmp_path).as_posix() for p in find_submissions(tmp_path)]
    assert found == [".dotfile.ipynb", ".hidden", "amina/01.ipynb", "folder.ipynb", "link.ipynb"]
    with pytest.raises(CourseError, match="no such folder of submissions"):
        find_submissions(tmp_path / "nowhere")


def test_read_submission_tells_the_set_and_the_task_of_each_cell_without_writing(course, tmp_path):
    nb = released(course, "01-timeline")
    path = save(tmp_path, "amina-timeline.ipynb", nb)
    before = path.read_bytes()
    sets = list(SETS.values())
    sub = read_submission(path, tmp_path, sets)
    assert sub.problem == "" and sub.exercise.name == "01-timeline"
    assert sub.digest == hashlib.sha256(before).hexdigest() and path.read_bytes() == before
    asked = [q for cell in sub.cells for q in cell["questions"]]
    assert set(asked) == {q.id for q in SETS["01-timeline"].questions}
    assert any(cell["task"].startswith("Task") for cell in sub.cells)
    # With no metadata and no set in the file name, the cells that answer tell the set.
    nb.metadata.pop("coursekit", None)
    anonymous = read_submission(save(tmp_path, "mine.ipynb", nb), tmp_path, sets)
    assert anonymous.exercise.name == "01-timeline"


def test_a_file_that_is_not_a_notebook_gets_a_problem_saying_what_to_do(tmp_path):
    sets = list(SETS.values())
    (tmp_path / "old.ipynb").write_text(json.dumps({"nbformat": 3, "worksheets": []}))
    (tmp_path / "list.ipynb").write_text("[1, 2]")
    (tmp_path / "latin1.ipynb").write_bytes(b'{"cells": "caf\xe9"}')
    problems = {p.name: read_submission(p, tmp_path, sets).problem
                for p in sorted(tmp_path.iterdir())}
    assert "version-3 notebook" in problems["old.ipynb"] and "save it again" in problems["old.ipynb"]
    assert "no list of cells" in problems["list.ipynb"]
    assert "not UTF-8" in problems["latin1.ipynb"]
