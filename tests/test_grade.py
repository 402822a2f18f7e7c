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

from coursekit.errors import CourseError
from coursekit.exercises import discover
from coursekit.grade import COLUMNS, Options, grade_folder, write_report
from coursekit.leaks import answer_strings
from coursekit.release import release_sets
from coursekit.sandbox import detect

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
    answer(nb, "capacity_bcf_year", "capacity_bcf_year = 437.9")
    answer(nb, "capacity_mmcfd", "capacity_mmcfd = 1199.7")
    answer(nb, "reserve_years", "reserve_years = 16.2")
    answer(nb, "production_tcf", "production_tcf = 2.0")
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
    assert rows["ex02.production-tcf"]["status"] == "incorrect"
    assert rows["ex02.pipeline-meaning"]["status"] == "unanswered"
    assert rows["ex02.reserve-years"]["status"] == "correct"


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
    nb.cells = [c for c in nb.cells if "defence_2010s = ..." not in c.source]   # deleted cell
    save(tmp_path / "submissions", "nested/deeper/01.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    rows = by_question(report, "nested/deeper/01.ipynb")
    assert rows["ex01.context-rows"]["status"] == "missing"
    assert "n_context" in rows["ex01.context-rows"]["message"]
    assert rows["ex01.defence-2010s"]["status"] == "missing"
    assert "no longer in the notebook" in rows["ex01.defence-2010s"]["message"]
    assert rows["ex01.events-1970s"]["status"] == "correct"


def test_an_exception_in_a_cell_is_recorded_and_later_cells_still_run(course, tmp_path):
    nb = released(course, "02-energy-arithmetic")
    answer(nb, "capacity_bcf_year", "capacity_bcf_year = 1 / 0")
    answer(nb, "reserve_years", "reserve_years = 16.2")
    save(tmp_path / "submissions", "boom.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    rows = by_question(report, "boom.ipynb")
    assert rows["ex02.reserve-years"]["status"] == "correct"
    assert rows["ex02.capacity-bcf"]["status"] == "missing"
    assert "ZeroDivisionError" in rows["ex02.capacity-bcf"]["message"]
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
    insert(nb, "capacity_bcf_year", code)
    answer(nb, "reserve_years", "reserve_years = 16.2")
    save(subs, "vandal.ipynb", nb)
    save(subs, "bystander.ipynb",
         answer(released(course, "02-energy-arithmetic"), "reserve_years", "reserve_years = 16.2"))
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
        "                   ['ex02.capacity-bcf', 'ex02.capacity-mmcfd', 'ex02.reserve-years']})\n"
        "open('checks.json', 'w').write(json.dumps(fake))\n"
        "ck.evaluate = lambda *a, **k: ck.CheckResult('x', True, 'Correct')\n"
        "check = lambda *a, **k: print('✅ Correct. Well done!')\n"
    )
    insert(nb, "capacity_bcf_year", cheat)
    for variable in ("capacity_bcf_year", "capacity_mmcfd", "reserve_years"):
        answer(nb, variable, f"{variable} = 1")
    for cell in nb.cells:
        cell.source = cell.source.replace('check("ex02.capacity-share", capacity_share)',
                                          'print("✅ Correct. Well done!")')
    nb.metadata["coursekit"]["points"] = 10
    save(tmp_path / "submissions", "cheat.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    rows = by_question(report, "cheat.ipynb")
    assert points(report, "cheat.ipynb") == 0
    assert rows["ex02.capacity-bcf"]["status"] == "incorrect"


@pytest.mark.parametrize("mode", MODES)
def test_a_submission_cannot_read_the_instructor_answers(course, tmp_path, mode):
    answers = course / "exercises" / "answers" / "02-energy-arithmetic.yml"
    nb = released(course, "02-energy-arithmetic")
    answer(nb, "reserve_years", "import yaml\n"
                                f"key = yaml.safe_load(open({str(answers)!r}))\n"
                                "reserve_years = key['ex02.reserve-years']['answer']")
    save(tmp_path / "submissions", "peek.ipynb", nb)
    report = grade(course, tmp_path / "submissions", isolation=mode)
    rows = by_question(report, "peek.ipynb")
    assert rows["ex02.reserve-years"]["status"] == "missing"
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
    from coursekit import zygote

    expected = {"warm"} if zygote.available() else {"cold"}
    assert {o.kernel for o in report.outcomes} == expected


def test_cold_kernels_grade_the_same(course, tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    shutil.copy(SETS["02-energy-arithmetic"].notebook, subs / "teacher.ipynb")
    save(subs, "partial.ipynb", answer(released(course, "02-energy-arithmetic"),
                                       "capacity_mmcfd", "capacity_mmcfd = 1199.7"))
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
