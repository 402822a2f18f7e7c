"""coursekit grade: a folder of real, messy submissions becomes a gradebook; the grader never
stops, never trusts the submission, never touches a submitted file, and gives away no answer.

Every submission is built inside its test from the released student version."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit.assess.grade import COLUMNS, Options, grade_folder, write_report
from coursekit.assess.leaks import answer_strings
from coursekit.assess.release import release_sets
from coursekit.course.exercises import discover
from coursekit.errors import CourseError
from coursekit.kernels.sandbox import detect

ROOT = Path(__file__).resolve().parents[1]
SETS = {s.name: s for s in discover(ROOT / "exercises")}
FAST = {"cell_timeout": 20.0, "timeout": 120.0}  # generous: CI machines may be busy
BWRAP = detect("auto").mode == "bubblewrap"
MODES = [pytest.param("bubblewrap", marks=pytest.mark.skipif(
             not BWRAP, reason="bubblewrap cannot run here (the guard is tested instead)")),
         "guard"]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A throwaway course (data, exercises with answers) and its student release."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "exercises", root / "exercises",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    release_sets(root / "exercises", root / "release")
    return root


def released(course: Path, name: str):
    return nbformat.read(course / "release" / f"{name}.ipynb", as_version=4)


def answer(nb, variable: str, code: str):
    """Replace the placeholder ``variable = ...`` of a released notebook with ``code``."""
    for cell in nb.cells:
        if f"\n{variable} = ...\n" in f"\n{cell.source}\n":
            cell.source = "\n".join(code if line == f"{variable} = ..." else line
                                    for line in cell.source.split("\n"))
            return nb
    raise AssertionError(f"no placeholder for {variable}")


def insert(nb, before_variable: str, code: str):
    """Insert a code cell just before the cell that answers ``before_variable``."""
    index = next(i for i, c in enumerate(nb.cells) if f"{before_variable} = ..." in c.source)
    nb.cells.insert(index, nbformat.v4.new_code_cell(code))
    return nb


def save(folder: Path, name: str, nb) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def grade(course: Path, folder: Path, **options):
    return grade_folder(folder, exercises_dir=course / "exercises",
                        output_dir=folder.parent / "grades", options=Options(**{**FAST, **options}))


def by_question(report, student: str) -> dict[str, dict]:
    return {row["question"]: row for row in report.rows() if row["student"] == student}


def points(report, student: str) -> float:
    return sum(float(r["points"]) for r in by_question(report, student).values()
               if r["points"] not in ("", None))


def digests(*folders: Path) -> dict[str, tuple]:
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                info = path.stat()
                found[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mtime_ns)
    return found


# --- the round trip -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def round_trip(course, tmp_path_factory):
    """One batch: every instructor source, every unanswered release, one partial answer."""
    base = tmp_path_factory.mktemp("round")
    subs = base / "submissions"
    for name, exercise in SETS.items():
        subs.joinpath("teacher").mkdir(parents=True, exist_ok=True)
        shutil.copy(exercise.notebook, subs / "teacher" / f"{name}.ipynb")
        save(subs, f"blank/{name}.ipynb", released(course, name))
    nb = released(course, "02-energy-arithmetic")
    answer(nb, "same_capacity", 'same_capacity = "d"')
    answer(nb, "russia_max_musd", "russia_max_musd = 910")
    answer(nb, "reserve_use_pct", "reserve_use_pct = 6.2")
    answer(nb, "capacity_share", "capacity_share = 2.0")
    save(subs, "partial energy (final).ipynb", nb)
    before = digests(subs, course / "exercises")
    report = grade(course, subs)
    return base, subs, report, before


@pytest.mark.parametrize("name", sorted(SETS))
def test_instructor_source_scores_full_marks(round_trip, name):
    _, _, report, _ = round_trip
    rows = by_question(report, f"teacher/{name}.ipynb")
    exercise = SETS[name]
    assert set(rows) == {q.id for q in exercise.questions}
    for q in exercise.questions:
        expected = "manual" if q.manual else "correct"
        assert rows[q.id]["status"] == expected, rows[q.id]
    assert points(report, f"teacher/{name}.ipynb") == sum(q.points for q in exercise.questions
                                                          if not q.manual)


@pytest.mark.parametrize("name", sorted(SETS))
def test_released_version_unanswered_runs_without_errors_and_scores_zero(round_trip, name):
    _, _, report, _ = round_trip
    student = f"blank/{name}.ipynb"
    outcome = next(o for o in report.outcomes if o.student == student)
    assert outcome.notes == [], outcome.notes
    rows = by_question(report, student)
    assert {r["status"] for r in rows.values()} == {"unanswered"}
    assert points(report, student) == 0


def test_partial_submission_scores_exactly_its_points(round_trip):
    _, _, report, _ = round_trip
    rows = by_question(report, "partial energy (final).ipynb")
    assert points(report, "partial energy (final).ipynb") == 5
    assert rows["ex02.capacity-share"]["status"] == "incorrect"
    assert rows["ex02.pipeline-meaning"]["status"] == "unanswered"
    assert rows["ex02.reserve-use"]["status"] == "correct"


def test_grading_never_modifies_a_submission_or_the_instructor_files(round_trip, course):
    _, subs, report, before = round_trip
    assert digests(subs, course / "exercises") == before
    assert report.tampered == []


def test_gradebook_feedback_and_manual_files_are_written(round_trip, course):
    base, subs, report, _ = round_trip
    out = base / "grades"
    write_report(report, out, exercises_dir=course / "exercises")
    with open(out / "gradebook.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == COLUMNS
    memo = next(r for r in rows if r["student"] == "teacher/04-announced-vs-delivered.ipynb"
                and r["question"] == "ex04.memo")
    assert memo["status"] == "manual" and memo["points"] == "" and memo["max_points"] == "4"
    assert (out / "feedback" / "teacher" / "01-timeline.ipynb.html").is_file()
    assert (out / "feedback" / "partial energy (final).ipynb.html").is_file()
    manual = out / "manual" / "04-announced-vs-delivered" / "teacher" / \
        "04-announced-vs-delivered.ipynb.ex04.memo.md"
    text = manual.read_text(encoding="utf-8")
    assert "## Rubric" in text and "## Memo" in text and "Points: ____ / 4" in text
    info = json.loads((out / "grading.json").read_text(encoding="utf-8"))
    assert info["protection"].split(":")[0] == ("bubblewrap" if BWRAP else "guard")
    assert info["limits"]["cell_timeout_s"] == FAST["cell_timeout"]


def test_feedback_shows_hints_never_the_answers(round_trip, course):
    base, _, report, _ = round_trip
    out = base / "grades-hints"
    write_report(report, out, exercises_dir=course / "exercises")
    for page in [*(out / "feedback" / "blank").glob("*.html"),
                 out / "feedback" / "partial energy (final).ipynb.html"]:
        html = page.read_text(encoding="utf-8")
        assert "Content-Security-Policy" in html and "<script" not in html
        exercise = SETS[page.name.removesuffix(".ipynb.html")] if page.parent.name == "blank" \
            else SETS["02-energy-arithmetic"]
        student = page.relative_to(out / "feedback").as_posix().removesuffix(".html")
        rows = by_question(report, student)
        for q in exercise.questions:
            if q.manual or rows[q.id]["status"] == "correct":
                continue
            for text in answer_strings(q.spec):
                assert text not in html, (page.name, q.id, text)


def test_report_never_overwrites_an_edited_gradebook(round_trip, course):
    base, _, report, _ = round_trip
    out = base / "grades-edit"
    write_report(report, out, exercises_dir=course / "exercises")
    book = out / "gradebook.csv"
    book.write_text(book.read_text(encoding="utf-8") + "my manual grades\n", encoding="utf-8")
    mine = book.read_bytes()
    with pytest.raises(CourseError, match="gradebook.csv"):
        write_report(report, out, exercises_dir=course / "exercises")
    assert book.read_bytes() == mine
    write_report(report, out, exercises_dir=course / "exercises", force=True)
    assert (out / "gradebook.csv.bak").read_bytes() == mine


# --- one test per failure mode ------------------------------------------------------------

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


def test_an_exception_in_a_cell_is_recorded_and_later_cells_still_run(course, tmp_path):
    nb = released(course, "02-energy-arithmetic")
    answer(nb, "russia_max_musd", "russia_max_musd = 1 / 0")
    answer(nb, "reserve_use_pct", "reserve_use_pct = 6.2")
    save(tmp_path / "submissions", "boom.ipynb", nb)
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


@pytest.mark.parametrize("mode", MODES)
def test_a_cell_that_deletes_or_rewrites_files_changes_nothing_outside_its_copy(course, tmp_path,
                                                                                  mode):
    subs = tmp_path / "submissions"
    target = subs / "vandal.ipynb"
    answers = course / "exercises" / "answers" / "02-energy-arithmetic.yml"
    code = (
        "import os, shutil, pathlib\n"
        "attempts = []\n"
        f"for path in [{str(target)!r}, {str(answers)!r}, {str(course / 'exercises' / 'checks.json')!r},\n"
        f"             {str(course / 'data' / 'timeline.csv')!r}, '../data/timeline.csv', 'checks.json']:\n"
        "    try:\n"
        "        pathlib.Path(path).write_text('overwritten')\n"
        "        attempts.append(('wrote', path))\n"
        "    except Exception as exc:\n"
        "        attempts.append((type(exc).__name__, path))\n"
        f"for folder in [{str(subs)!r}, {str(course / 'data')!r}, '../data']:\n"
        "    shutil.rmtree(folder, ignore_errors=True)\n"
        f"for path in [{str(target)!r}, {str(answers)!r}]:\n"
        "    try:\n"
        "        os.remove(path)\n"
        "    except Exception:\n"
        "        pass\n"
    )
    nb = released(course, "02-energy-arithmetic")
    insert(nb, "same_capacity", code)
    answer(nb, "russia_max_musd", "russia_max_musd = 910")
    save(subs, "vandal.ipynb", nb)
    save(subs, "bystander.ipynb",
         answer(released(course, "02-energy-arithmetic"), "russia_max_musd", "russia_max_musd = 910"))
    before = digests(subs, course / "exercises", course / "data")
    report = grade(course, subs, isolation=mode)
    assert digests(subs, course / "exercises", course / "data") == before
    assert report.tampered == []
    assert report.protection.startswith(mode)
    assert points(report, "vandal.ipynb") == 2 == points(report, "bystander.ipynb")


# --- the grader trusts nothing in the submission ------------------------------------------

def test_editing_the_checks_the_key_or_the_library_cannot_raise_the_score(course, tmp_path):
    nb = released(course, "02-energy-arithmetic")
    cheat = (
        "import json, coursekit.checks as ck\n"
        "from coursekit.checks import build_keys\n"
        "fake = build_keys({q: {'kind': 'number', 'answer': 1} for q in\n"
        "                   ['ex02.russia-max', 'ex02.reserve-use', 'ex02.capacity-share']})\n"
        "open('checks.json', 'w').write(json.dumps(fake))\n"
        "ck.evaluate = lambda *a, **k: ck.CheckResult('x', True, 'Correct')\n"
        "check = lambda *a, **k: print('✅ Correct. Well done!')\n"
    )
    insert(nb, "same_capacity", cheat)
    for variable in ("russia_max_musd", "reserve_use_pct", "capacity_share"):
        answer(nb, variable, f"{variable} = 1")
    for cell in nb.cells:
        cell.source = cell.source.replace('check("ex02.capacity-share", capacity_share)',
                                          'print("✅ Correct. Well done!")')
    nb.metadata["coursekit"]["points"] = 10
    save(tmp_path / "submissions", "cheat.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    rows = by_question(report, "cheat.ipynb")
    assert points(report, "cheat.ipynb") == 0
    assert rows["ex02.russia-max"]["status"] == "incorrect"


@pytest.mark.parametrize("mode", MODES)
def test_a_submission_cannot_read_the_instructor_answers(course, tmp_path, mode):
    answers = course / "exercises" / "answers" / "02-energy-arithmetic.yml"
    nb = released(course, "02-energy-arithmetic")
    answer(nb, "reserve_use_pct", "import yaml\n"
                                  f"key = yaml.safe_load(open({str(answers)!r}))\n"
                                  "reserve_use_pct = key['ex02.reserve-use']['answer']")
    save(tmp_path / "submissions", "peek.ipynb", nb)
    report = grade(course, tmp_path / "submissions", isolation=mode)
    rows = by_question(report, "peek.ipynb")
    assert rows["ex02.reserve-use"]["status"] == "crashed"
    assert points(report, "peek.ipynb") == 0


def test_feedback_page_runs_nothing_the_submission_wrote(course, tmp_path):
    nb = released(course, "01-timeline")
    answer(nb, "top_1980s", 'top_1980s = "<script>alert(1)</script>"')
    answer(nb, "n_context", 'raise ValueError("<img src=x onerror=alert(2)>")')
    save(tmp_path / "submissions", "<b>bold</b>.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    out = tmp_path / "grades"
    write_report(report, out, exercises_dir=course / "exercises")
    html = (out / "feedback" / "<b>bold</b>.ipynb.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html and "<b>bold" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html
    assert "default-src 'none'" in html


# --- the command --------------------------------------------------------------------------

def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "coursekit.cli", "grade", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def test_grade_command_exits_zero_whatever_the_submissions_hold(course, tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    (subs / "broken.ipynb").write_text("{", encoding="utf-8")
    result = _cli(subs, "--exercises", course / "exercises", "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "graded 1 submission(s)" in result.stdout and "protection:" in result.stdout
    assert (tmp_path / "out" / "gradebook.csv").is_file()
    assert sorted(p.name for p in subs.iterdir()) == ["broken.ipynb"]


def test_grade_command_exits_nonzero_only_when_the_batch_cannot_run(course, tmp_path):
    missing = _cli(tmp_path / "nowhere", "--exercises", course / "exercises")
    assert missing.returncode == 1 and "no such folder of submissions" in missing.stderr
    subs = tmp_path / "submissions"
    subs.mkdir()
    inside = _cli(subs, "--exercises", course / "exercises", "-o", subs / "grades")
    assert inside.returncode == 1 and "outside the submissions folder" in inside.stderr
    assert list(subs.iterdir()) == []


def test_progress_bar_and_parallel_kernels(course, tmp_path, capsys):
    subs = tmp_path / "submissions"
    for name in ("a", "b", "c"):
        save(subs, f"{name}.ipynb", released(course, "03-reconciling-trade"))
    report = grade_folder(subs, exercises_dir=course / "exercises",
                          options=Options(**FAST, jobs=3), progress=True)
    assert "grading" in capsys.readouterr().err
    assert report.options.workers() == 3 and len(report.outcomes) == 3


# --- warm kernels: forked per submission, nothing carried over -----------------------------

def test_round_trip_kernels_were_forked_warm(round_trip):
    _, _, report, _ = round_trip
    from coursekit.kernels import zygote

    expected = {"warm"} if zygote.available() else {"cold"}
    assert {o.kernel for o in report.outcomes} == expected


def test_cold_kernels_grade_the_same(course, tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    shutil.copy(SETS["02-energy-arithmetic"].notebook, subs / "teacher.ipynb")
    save(subs, "partial.ipynb", answer(released(course, "02-energy-arithmetic"),
                                       "russia_max_musd", "russia_max_musd = 910"))
    report = grade(course, subs, warm=False)
    assert {o.kernel for o in report.outcomes} == {"cold"}
    assert points(report, "teacher.ipynb") == 10 and points(report, "partial.ipynb") == 2


@pytest.mark.skipif(not BWRAP, reason="needs bubblewrap: only a sandboxed slot has its own /tmp "
                                      "and process namespace to clean")
def test_nothing_a_submission_leaves_behind_reaches_the_next_in_its_slot(course, tmp_path):
    subs = tmp_path / "submissions"
    nb = released(course, "01-timeline")
    insert(nb, "n_context", "import os, subprocess\n"
                            "open('/tmp/planted', 'w').write('x')\n"
                            "subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
                            "os.makedirs('/tmp/deep/er', exist_ok=True)")
    save(subs, "a-plants.ipynb", nb)
    nb = released(course, "01-timeline")
    answer(nb, "n_context", "import os\n"
                            "sleepers = [p for p in os.listdir('/proc') if p.isdigit()\n"
                            "            and open(f'/proc/{p}/cmdline').read().startswith('sleep')]\n"
                            "clean = not sleepers and not os.path.exists('/tmp/planted') \\\n"
                            "    and not os.path.exists('/tmp/deep')\n"
                            "n_context = 59 if clean else -1")
    save(subs, "b-checks.ipynb", nb)
    report = grade(course, subs, jobs=1)
    assert by_question(report, "b-checks.ipynb")["ex01.context-rows"]["status"] == "correct"


def test_a_submission_that_kills_its_zygote_harms_only_itself(course, tmp_path):
    subs = tmp_path / "submissions"
    nb = released(course, "01-timeline")
    answer(nb, "n_context", "import os, signal\nn_context = 59\nos.kill(os.getppid(), signal.SIGKILL)\n"
                            "import time\ntime.sleep(2)")
    save(subs, "a-kills.ipynb", nb)
    for name in ("b-next.ipynb", "c-next.ipynb"):
        save(subs, name, answer(released(course, "01-timeline"), "n_context", "n_context = 59"))
    report = grade(course, subs, jobs=1)
    for name in ("b-next.ipynb", "c-next.ipynb"):
        assert by_question(report, name)["ex01.context-rows"]["status"] == "correct"


@pytest.mark.parametrize("mode", MODES)
def test_files_planted_beside_the_working_copy_never_reach_the_next_submission(course, tmp_path,
                                                                               mode):
    subs = tmp_path / "submissions"
    nb = released(course, "01-timeline")
    insert(nb, "n_context", "import pathlib\n"
                            "slot = pathlib.Path.cwd().parents[2]\n"
                            "(slot / 'ckplanted.py').write_text('INJECTED = True')\n"
                            "(slot / 'note.txt').write_text('from a')")
    save(subs, "a-plants.ipynb", nb)
    nb = released(course, "01-timeline")
    answer(nb, "n_context", "import pathlib\n"
                            "slot = pathlib.Path.cwd().parents[2]\n"
                            "try:\n"
                            "    import ckplanted\n"
                            "    n_context = -1\n"
                            "except ImportError:\n"
                            "    n_context = -2 if (slot / 'note.txt').exists() else 59")
    save(subs, "b-checks.ipynb", nb)
    report = grade(course, subs, jobs=1, isolation=mode)
    assert by_question(report, "b-checks.ipynb")["ex01.context-rows"]["status"] == "correct"


# --- issue 11: the batch never stops for one submission -----------------------------------

def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


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
    book = _read_csv(out / "gradebook.csv")
    assert {r["student"] for r in book} == students
    pages = [p for p in (out / "feedback").rglob("*.html")]
    assert len(pages) == 8 and all(len(p.name.encode()) < 255 for p in pages)
    totals = _read_csv(out / "totals.csv")
    assert {t["set"] for t in totals} == set(SETS)


def test_every_message_is_capped(course, tmp_path):
    nb = released(course, "02-energy-arithmetic")
    answer(nb, "same_capacity", 'raise ValueError("=" + "x" * 100_000)')
    save(tmp_path / "submissions", "long.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    assert all(len(r["message"]) <= 2000 for r in report.rows())
    assert all(len(n) <= 2000 for o in report.outcomes for n in o.notes)
    write_report(report, tmp_path / "grades", exercises_dir=course / "exercises")
    rows = _read_csv(tmp_path / "grades" / "gradebook.csv")  # Python's reader accepts it
    assert max(len(r["message"]) for r in rows) <= 2000


def _cli_run(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "coursekit.cli", "grade", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_an_interrupted_run_keeps_what_it_graded_and_a_rerun_resumes(course, tmp_path):
    import signal
    import time

    subs, out = tmp_path / "submissions", tmp_path / "grades"
    for name in ("a", "b"):
        save(subs, f"{name}-01-timeline.ipynb",
             answer(released(course, "01-timeline"), "n_context", "n_context = 59"))
    save(subs, "c-01-timeline.ipynb", answer(released(course, "01-timeline"), "n_context",
                                             "import time\ntime.sleep(60)\nn_context = 59"))
    args = (subs, "--exercises", course / "exercises", "-o", out, "-j", "1",
            "--cell-timeout", "4")
    proc = _cli_run(*args)
    journal = out / ".coursekit-grade-journal.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if journal.is_file() and len(journal.read_text().splitlines()) >= 3:  # head + a + b
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, (stdout, stderr)
    assert "interrupted: 2 of 3" in stderr
    rows = _read_csv(out / "gradebook.csv")
    assert {r["student"] for r in rows} == {"a-01-timeline.ipynb", "b-01-timeline.ipynb"}
    again = _cli(*args)
    assert again.returncode == 0, again.stderr
    assert "2 unchanged, taken from the last run" in again.stdout
    rows = _read_csv(out / "gradebook.csv")
    assert len({r["student"] for r in rows}) == 3


def test_an_edited_gradebook_stops_the_rerun_before_it_grades(course, tmp_path):
    subs, out = tmp_path / "submissions", tmp_path / "grades"
    save(subs, "a.ipynb", answer(released(course, "01-timeline"), "n_context", "n_context = 59"))
    args = (subs, "--exercises", course / "exercises", "-o", out)
    assert _cli(*args).returncode == 0
    book = out / "gradebook.csv"
    book.write_text(book.read_text(encoding="utf-8").replace(",correct,", ",incorrect,", 1),
                    encoding="utf-8")
    mine = book.read_bytes()
    save(subs, "b.ipynb", answer(released(course, "01-timeline"), "n_context", "n_context = 59"))
    result = _cli(*args)
    assert result.returncode == 1 and "Nothing was graded" in result.stderr
    assert "graded " not in result.stdout and book.read_bytes() == mine


def _tree(pid: int) -> dict[int, str]:
    """Every descendant of ``pid`` with its start time (to tell a reused pid apart)."""
    children: dict[int, list[int]] = {}
    starts = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        starts[int(entry)] = fields[19]
    found, todo = {}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found[child] = starts[child]
            todo.append(child)
    return found


def _alive(pid: int, start: str) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == start and fields[0] != "Z"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cold", [False, True], ids=["warm", "cold"])
def test_sigkill_of_the_grader_leaves_no_process_behind(course, tmp_path, cold, mode):
    import signal
    import time

    subs = tmp_path / "submissions"
    save(subs, "loop.ipynb", answer(released(course, "01-timeline"), "n_context",
                                    "while True:\n    pass"))
    proc = _cli_run(subs, "--exercises", course / "exercises", "-o", tmp_path / "grades",
                    "-j", "1", "--isolation", mode, *(["--cold"] if cold else []))
    deadline = time.monotonic() + 90
    tree: dict[int, str] = {}
    marker = b"coursekit.kernels.sandbox" if cold else b"import os, signal, socket"  # kernel / stub
    started = False
    while time.monotonic() < deadline and not started:
        for pid in _tree(proc.pid):
            try:
                started = started or marker in Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                pass
        time.sleep(0.2)
    assert started, "no kernel was started"
    time.sleep(3)  # the kernel is up and running the loop
    tree = _tree(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(p, s) for p, s in tree.items()):
        time.sleep(0.2)
    left = [p for p, s in tree.items() if _alive(p, s)]
    assert not left, [Path(f"/proc/{p}/cmdline").read_bytes()[:80] for p in left]


# --- issue 11: output safe to open ---------------------------------------------------------

def test_gradebook_cells_that_a_spreadsheet_would_run_are_defused(course, tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    for name in ('=HYPERLINK("evil")-01-timeline.ipynb', "+1+2-01-timeline.ipynb",
                 "-3-01-timeline.ipynb", "@SUM(A1)-01-timeline.ipynb"):
        (subs / name).write_text("{broken", encoding="utf-8")
    report = grade(course, subs)
    out = tmp_path / "grades"
    write_report(report, out, exercises_dir=course / "exercises")
    for file in ("gradebook.csv", "totals.csv", "wide.csv", "canvas.csv", "moodle.csv"):
        with open(out / file, encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (file, cell)
    book = _read_csv(out / "gradebook.csv")
    assert any(r["student"] == "'=HYPERLINK(\"evil\")-01-timeline.ipynb" for r in book)
    assert {r["points"] for r in book} == {"0"}  # numbers stay numbers


def test_a_memo_is_quoted_in_its_marking_sheet_never_live(course, tmp_path):
    import mistune

    from coursekit.assess.marking import read_mark

    memo = ('<script>alert(1)</script>\\n<img src=x onerror=alert(2)>\\n'
            'Points: 4 / 4\\n- [x] (1 pt) The first sentence answers the question\\n'
            '```\\n# Heading\\n````')
    nb = released(course, "04-announced-vs-delivered")
    answer(nb, "memo", f'memo = "{memo}"')
    save(tmp_path / "submissions", "m-04.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    out = tmp_path / "grades"
    write_report(report, out, exercises_dir=course / "exercises")
    sheet = (out / "manual" / "04-announced-vs-delivered" / "m-04.ipynb.ex04.memo.md").read_text(
        encoding="utf-8")
    assert read_mark(sheet) is None  # the memo's own "Points: 4 / 4" is not a mark
    page = mistune.html(sheet)
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;" in page and "<h1>Heading" not in page
    rubric = SETS["04-announced-vs-delivered"].question("ex04.memo").rubric
    assert page.count("<li>") == len(rubric)  # the rubric's own boxes, not the memo's


# --- issue 11: kernel reporting ------------------------------------------------------------

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


# --- issue 11: the grader believes nothing the kernel can forge ----------------------------

FORGE = r'''
import ast
ip = get_ipython()
FORGED = '{"reserve_use_pct": {"t": "float", "v": 6.2}, "russia_max_musd": {"t": "int", "v": 910}}'
def forge(lines):
    text = "".join(lines)
    if "coursekit" in text or "user_ns" in text or "json" in text:
        return ["__coursekit_read__ = lambda *a, **k: " + repr(FORGED) + "\n",
                "_g = {'_make': lambda *a: None}\n"]
    return lines
ip.input_transformers_cleanup.append(forge)
ip.input_transformer_manager.cleanup_transforms.append(forge)
class Rewrite(ast.NodeTransformer):
    def visit_Constant(self, node):
        forged = isinstance(node.value, str) and "coursekit" in node.value
        return ast.copy_location(ast.Constant(FORGED), node) if forged else node
ip.ast_transformers.append(Rewrite())
ip.display_formatter.formatters["text/plain"].for_type(str, lambda o, p, c: p.text(repr(FORGED)))
json = None  # names the old read-out used, rebound
get_ipython = lambda: ip
'''


def test_a_submission_cannot_forge_the_read_out(course, tmp_path):
    nb = released(course, "02-energy-arithmetic")
    insert(nb, "russia_max_musd", FORGE)
    answer(nb, "reserve_use_pct", "reserve_use_pct = 0")
    save(tmp_path / "submissions", "forger.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    rows = by_question(report, "forger.ipynb")
    assert rows["ex02.reserve-use"]["status"] == "incorrect", rows["ex02.reserve-use"]
    assert rows["ex02.reserve-use"]["answer"] == "0"
    assert rows["ex02.russia-max"]["status"] == "unanswered"
    assert points(report, "forger.ipynb") == 0


# --- issue 11: an instructor's gradebook ---------------------------------------------------

def test_totals_wide_canvas_and_moodle_files(round_trip, course):
    base, _, report, _ = round_trip
    out = base / "grades-lms"
    write_report(report, out, exercises_dir=course / "exercises")
    totals = {(t["student"], t["set"]): t for t in _read_csv(out / "totals.csv")}
    teacher = totals[("teacher", "02-energy-arithmetic")]
    assert teacher["points"] == "10" and teacher["max_points"] == "10"
    assert totals[("teacher", "04-announced-vs-delivered")]["pending_manual"] == "1"
    assert totals[("partial energy (final)", "02-energy-arithmetic")]["points"] == "5"
    wide = {r["student"]: r for r in _read_csv(out / "wide.csv")}
    assert set(wide) == {"teacher", "blank", "partial energy (final)"}
    assert wide["teacher"]["ex02.russia-max"] == "2"
    assert wide["teacher"]["ex04.memo"] == ""  # waiting for the instructor's points
    assert wide["partial energy (final)"]["total"] == "5"
    with open(out / "canvas.csv", encoding="utf-8", newline="") as handle:
        canvas = list(csv.reader(handle))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[0][5:] == sorted(SETS) and canvas[1][0] == "Points Possible"
    teacher_row = next(r for r in canvas if r[0] == "teacher")
    assert teacher_row[3] == "teacher" and teacher_row[5:7] == ["10", "10"]
    assert teacher_row[8] == ""  # set 04 has a memo still to mark
    moodle = {r["username"]: r for r in _read_csv(out / "moodle.csv")}
    assert moodle["teacher"]["01-timeline"] == "10"


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


def test_manual_marks_are_read_back_without_force(course, tmp_path):
    subs, out = tmp_path / "submissions", tmp_path / "grades"
    subs.mkdir()
    shutil.copy(SETS["04-announced-vs-delivered"].notebook, subs / "ana.ipynb")
    shutil.copy(SETS["04-announced-vs-delivered"].notebook, subs / "ben.ipynb")
    args = (subs, "--exercises", course / "exercises", "-o", out)
    assert _cli(*args).returncode == 0
    book = out / "gradebook.csv"
    lines = book.read_text(encoding="utf-8").splitlines()
    lines = [line.replace(",,4,manual,", ",3,4,manual,") if line.startswith("ana.ipynb") else line
             for line in lines]
    book.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sheet = out / "manual" / "04-announced-vs-delivered" / "ben.ipynb.ex04.memo.md"
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("Points: ____ / 4", "Points: 2.5 / 4"),
                     encoding="utf-8")
    again = _cli(*args)
    assert again.returncode == 0, again.stderr
    marks = {r["student"]: r["points"] for r in _read_csv(book) if r["question"] == "ex04.memo"}
    assert marks == {"ana.ipynb": "3", "ben.ipynb": "2.5"}
    assert (out / "gradebook.csv.bak").is_file()
    assert "Points: 2.5 / 4" in sheet.read_text(encoding="utf-8")  # your sheet is kept


# --- issue 11: the guard says it is not a security boundary --------------------------------

def test_the_guard_says_first_and_everywhere_that_it_is_not_a_security_boundary(course, tmp_path):
    subs, out = tmp_path / "submissions", tmp_path / "grades"
    save(subs, "g.ipynb", answer(released(course, "01-timeline"), "n_context", "n_context = 59"))
    result = _cli(subs, "--exercises", course / "exercises", "-o", out, "--isolation", "guard")
    assert result.returncode == 0, result.stderr
    assert "NOT a security boundary" in result.stdout.splitlines()[0]
    info = json.loads((out / "grading.json").read_text(encoding="utf-8"))
    assert info["security_boundary"] is False and "NOT a security boundary" in info["warning"]
    page = (out / "feedback" / "g.ipynb.html").read_text(encoding="utf-8")
    assert "NOT a security boundary" in page
