"""``coursekit progress`` (coursekit.assess.progress and the command): counts each state of a
really executed notebook, never changes a file, survives broken files, one row per student."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from saved_cells import saved_check

from coursekit.assess import progress
from coursekit.assess.selfchecks import NOT_RUN, NOT_YET, PASSED, question_ids
from coursekit.course.answerkeys import write_keys
from coursekit.kernels.execute import run_notebook

ROOT = Path(__file__).resolve().parents[1]
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}
ANSWERS = {
    "t.gap": {"kind": "number", "answer": 22.9, "step": 0.1, "tolerance": 0.1, "hint": "Count."},
    "t.city": {"kind": "text", "answer": "Tashkent", "hint": "Where did Kosygin mediate?"},
    "t.day": {"kind": "number", "answer": 24, "hint": "The meeting day."},
    "t.left": {"kind": "choice", "choices": ["a", "b"], "answer": "b", "hint": "Read again."},
}


def coursekit(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real command line, as a student would."""
    return subprocess.run([sys.executable, "-m", "coursekit.cli", *args], cwd=cwd, text=True,
                          capture_output=True, env={**os.environ, **(env or {})}, timeout=120)


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folder``: its SHA-256 and modification time."""
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                                p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def worked_notebook(tmp_path_factory) -> Path:
    """A notebook a student really ran in a kernel: one right, one wrong, one placeholder
    and one never-run self-check, saved as Jupyter saves it."""
    folder = tmp_path_factory.mktemp("student")
    (folder / "answers.yml").write_text(yaml.safe_dump(ANSWERS), encoding="utf-8")
    write_keys([folder / "answers.yml"], folder / "checks.json", salt_seed="test")
    sources = ["from coursekit.checks import check",
               "gap_years = 22.9\ncheck('t.gap', gap_years)",       # right
               "city = 'Moscow'\ncheck('t.city', city)",            # wrong
               "day = None  # replace None with your answer\ncheck('t.day', day)",  # placeholder
               "check('t.left', None)"]                              # never run (below)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources[:-1]])
    nb.metadata["kernelspec"] = KERNEL
    run_notebook(nb, cwd=folder)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# 01 · Practice lesson"))
    nb.cells.append(nbformat.v4.new_code_cell(sources[-1]))
    path = folder / "01-practice.ipynb"
    nbformat.write(nb, path)
    return path


def test_each_state_is_counted_from_a_really_executed_notebook(worked_notebook):
    row = progress.notebook_progress(worked_notebook)
    assert row.title == "01 · Practice lesson"
    assert row.questions == {"t.gap": PASSED, "t.city": NOT_YET, "t.day": NOT_RUN,
                             "t.left": NOT_RUN}
    assert (row.count(PASSED), row.count(NOT_YET), row.count(NOT_RUN)) == (1, 1, 2)


def test_the_command_reads_but_never_modifies_any_file(worked_notebook, tmp_path):
    """Hash and mtime of every file are the same before and after, and no file appears."""
    folder = worked_notebook.parent
    (folder / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    before = snapshot(folder)
    result = coursekit("progress", str(folder), "--questions", cwd=tmp_path)
    again = coursekit("progress", str(folder), "--json", cwd=tmp_path)
    assert snapshot(folder) == before
    assert result.returncode == 1 and again.returncode == 1  # the broken file is reported
    assert "not yet  t.city" in result.stdout and "passed   t.gap" in result.stdout
    (folder / "broken.ipynb").unlink()


def test_broken_notebooks_are_named_and_the_others_still_counted(worked_notebook, tmp_path):
    good = tmp_path / "good.ipynb"
    good.write_bytes(worked_notebook.read_bytes())
    bad = {
        "empty.ipynb": b"",
        "truncated.ipynb": b'{"cells": [{"cell_type": "code", "sour',
        "binary.ipynb": bytes(range(256)),
        "a-list.ipynb": b"[1, 2, 3]",
        "old-format.ipynb": json.dumps({"nbformat": 3, "worksheets": []}).encode(),
    }
    for name, content in bad.items():
        (tmp_path / name).write_bytes(content)
    result = coursekit("progress", *sorted(bad), "good.ipynb", "missing.ipynb", cwd=tmp_path)
    assert result.returncode == 1
    err = result.stderr
    for name in [*bad, "missing.ipynb"]:
        assert f"coursekit progress: {name}:" in err, name
    assert "the file is empty" in err
    assert "line 1, column" in err and "checkpoint" in err
    assert "old notebook format 3" in err and "there is no such file" in err
    assert "Traceback" not in err
    table = result.stdout
    assert table.count("could not be read") == len(bad) + 1
    good_line = next(line for line in table.splitlines() if line.startswith("01 · Practice"))
    assert good_line.split()[-5:] == ["1", "of", "4", "1", "2"]
    all_line = next(line for line in table.splitlines() if line.startswith("All "))
    assert all_line.split()[1:] == ["1", "of", "4", "1", "2"]


def test_all_readable_means_exit_status_zero_and_a_clear_table(worked_notebook, tmp_path):
    result = coursekit("progress", str(worked_notebook), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:4] == ["Notebook", "Passed", "Not", "yet"] for line in lines)
    assert "Still to do:" in result.stdout
    todo = result.stdout.split("Still to do:")[1]
    assert "t.city (not yet)" in todo and "t.day (not run)" in todo and "t.gap" not in todo


def test_json_output_lists_every_question(worked_notebook, tmp_path):
    result = coursekit("progress", "--json", str(worked_notebook), cwd=tmp_path)
    doc = json.loads(result.stdout)
    assert doc[0]["questions"] == {"t.gap": "passed", "t.city": "not yet", "t.day": "not run",
                                   "t.left": "not run"}
    assert doc[0]["error"] is None


def test_a_console_that_cannot_show_unicode_still_gets_the_table(worked_notebook, tmp_path):
    result = coursekit("progress", str(worked_notebook), cwd=tmp_path,
                       env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert "01 ? Practice lesson" in result.stdout


def test_default_list_is_the_lessons_in_order_then_the_exercise_sets(tmp_path, monkeypatch):
    """Run from a lesson folder of a course: toc order with toc titles, then exercises."""
    monkeypatch.delenv("COURSEKIT_ROOT", raising=False)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "datapackage.json").write_text("{}", encoding="utf-8")
    (tmp_path / "notebooks").mkdir()
    toc = {"lessons": [{"file": "b.ipynb", "title": "00 · B first"},
                       {"file": "a.ipynb", "title": "01 · A second"}]}
    (tmp_path / "notebooks" / "toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [saved_check('check("x.one", 1)', passed=True)]}
    for name in ("a.ipynb", "b.ipynb"):
        (tmp_path / "notebooks" / name).write_text(json.dumps(nb), encoding="utf-8")
    (tmp_path / "exercises" / ".ipynb_checkpoints").mkdir(parents=True)
    (tmp_path / "exercises" / "set-1.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (tmp_path / "exercises" / ".ipynb_checkpoints" / "set-1-checkpoint.ipynb").write_text("{}")
    monkeypatch.chdir(tmp_path / "notebooks")
    rows = progress.collect()
    assert [r.path.name for r in rows] == ["b.ipynb", "a.ipynb", "set-1.ipynb"]
    assert [r.title for r in rows][:2] == ["00 · B first", "01 · A second"]
    assert all(r.questions == {"x.one": PASSED} for r in rows)


def test_outside_a_course_the_default_run_says_where_to_go(tmp_path):
    result = coursekit("progress", cwd=tmp_path, env={"COURSEKIT_ROOT": str(tmp_path)})
    assert result.returncode == 1
    assert "has no data" in result.stderr and "Traceback" not in result.stderr


def test_the_committed_lessons_show_every_self_check_as_not_run():
    """Fresh from the course, each lesson's last check of every question holds the
    placeholder, so a student who has done nothing sees 'not run' everywhere (a worked
    example of a wrong answer must come before the student's own cell, not after it); and
    the progress view finds exactly the ids the lesson's check() calls ask."""
    rows = [r for r in progress.collect() if r.path.parent.name == "notebooks"]
    assert rows, "no lesson notebooks found"
    for row in rows:
        if not row.path.exists():
            continue  # a lesson still being written; test_lessons.py reports it
        assert row.error is None, row.error
        asked = question_ids(progress.read_notebook(row.path))
        assert list(row.questions) == asked, row.path.name
        assert set(row.questions.values()) <= {NOT_RUN}, (row.path.name, row.questions)


def test_the_lessons_folder_is_left_byte_for_byte_unchanged():
    before = snapshot(ROOT / "notebooks")
    result = coursekit("progress", cwd=ROOT / "notebooks")
    assert snapshot(ROOT / "notebooks") == before
    assert "Notebook" in result.stdout


def test_the_default_view_leaves_out_instructor_sources_and_says_so(tmp_path, monkeypatch):
    """In the instructors' repository, exercises/ holds the model solutions (all 'passed'):
    the default view counts the student's released copy and names what it left out."""
    monkeypatch.delenv("COURSEKIT_ROOT", raising=False)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "datapackage.json").write_text("{}", encoding="utf-8")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "toc.yml").write_text(
        yaml.safe_dump({"lessons": [{"file": "a.ipynb", "title": "00 · A"}]}), encoding="utf-8")
    (tmp_path / "notebooks" / "a.ipynb").write_text(
        json.dumps({"cells": [saved_check('check("00.x", x)')]}), encoding="utf-8")
    for folder in ("exercises", "release"):
        (tmp_path / folder).mkdir()
    teacher = {"cells": [saved_check('gap = 23  # SOLUTION\ncheck("ex01.gap", gap)', passed=True)]}
    student = {"cells": [saved_check('gap = ...\ncheck("ex01.gap", gap)', passed=False)]}
    (tmp_path / "exercises" / "01-set.ipynb").write_text(json.dumps(teacher), encoding="utf-8")
    (tmp_path / "release" / "01-set.ipynb").write_text(json.dumps(student), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    rows = progress.collect()
    assert [r.path.as_posix() for r in rows] == ["notebooks/a.ipynb", "release/01-set.ipynb"]
    assert rows[1].questions == {"ex01.gap": NOT_YET}
    result = coursekit("progress", cwd=tmp_path, env={"COURSEKIT_ROOT": str(tmp_path)})
    assert "Not counted: 1 exercise notebook(s) with model solutions" in result.stdout
    assert "exercises/01-set.ipynb" in result.stdout and result.returncode == 0
    named = coursekit("progress", "exercises", cwd=tmp_path, env={"COURSEKIT_ROOT": str(tmp_path)})
    assert "1 of 1" in named.stdout and "Not counted" not in named.stdout


def test_a_folder_of_submissions_gives_one_row_per_student(worked_notebook, tmp_path):
    import shutil

    subs = tmp_path / "submissions"
    for where in ("amina/01-practice.ipynb", "ben/01-practice.ipynb", "chen-01-practice.ipynb"):
        (subs / where).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(worked_notebook, subs / where)
    result = coursekit("progress", "--json", str(subs), cwd=tmp_path)
    doc = json.loads(result.stdout)
    assert [row["title"] for row in doc] == ["amina", "ben", "chen"]
    assert all(row["questions"]["t.gap"] == "passed" for row in doc)
