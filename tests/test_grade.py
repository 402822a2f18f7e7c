"""coursekit grade, the batch: a folder of real, messy submissions becomes a gradebook; the
grader never stops, never trusts the submission, never touches a submitted file, and gives
away no answer; kernels run in parallel slots, warm or cold, and leave nothing behind.

Every submission is built inside its test from the released student version."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from grading import (
    BWRAP,
    FAST,
    MODES,
    SETS,
    answer,
    by_question,
    cli,
    cli_run,
    digests,
    grade,
    insert,
    points,
    read_csv,
    released,
    save,
)

from coursekit.assess.grade import COLUMNS, Options, grade_folder, write_report
from coursekit.assess.leaks import answer_strings
from coursekit.errors import CourseError


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


def test_progress_bar_and_parallel_kernels(course, tmp_path, capsys):
    subs = tmp_path / "submissions"
    for name in ("a", "b", "c"):
        save(subs, f"{name}.ipynb", released(course, "03-reconciling-trade"))
    report = grade_folder(subs, exercises_dir=course / "exercises",
                          options=Options(**FAST, jobs=3), progress=True)
    assert "grading" in capsys.readouterr().err
    assert report.options.workers() == 3 and len(report.outcomes) == 3


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


def _plant_then_check(course, subs, plant: str, check: str, **options) -> str:
    """Grade, one after the other in one slot, a submission running ``plant`` and one whose
    answer is 59 only if ``check`` finds nothing of it; return the second one's status."""
    save(subs, "a-plants.ipynb", insert(released(course, "01-timeline"), "n_context", plant))
    save(subs, "b-checks.ipynb", answer(released(course, "01-timeline"), "n_context", check))
    report = grade(course, subs, jobs=1, **options)
    return by_question(report, "b-checks.ipynb")["ex01.context-rows"]["status"]


@pytest.mark.skipif(not BWRAP, reason="needs bubblewrap: only a sandboxed slot has its own /tmp "
                                      "and process namespace to clean")
def test_nothing_a_submission_leaves_behind_reaches_the_next_in_its_slot(course, tmp_path):
    plant = ("import os, subprocess\n"
             "open('/tmp/planted', 'w').write('x')\n"
             "subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
             "os.makedirs('/tmp/deep/er', exist_ok=True)")
    check = ("import os\n"
             "sleepers = [p for p in os.listdir('/proc') if p.isdigit()\n"
             "            and open(f'/proc/{p}/cmdline').read().startswith('sleep')]\n"
             "clean = not sleepers and not os.path.exists('/tmp/planted') \\\n"
             "    and not os.path.exists('/tmp/deep')\n"
             "n_context = 59 if clean else -1")
    assert _plant_then_check(course, tmp_path / "submissions", plant, check) == "correct"


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
    plant = ("import pathlib\n"
             "slot = pathlib.Path.cwd().parents[2]\n"
             "(slot / 'ckplanted.py').write_text('INJECTED = True')\n"
             "(slot / 'note.txt').write_text('from a')")
    check = ("import pathlib\n"
             "slot = pathlib.Path.cwd().parents[2]\n"
             "try:\n"
             "    import ckplanted\n"
             "    n_context = -1\n"
             "except ImportError:\n"
             "    n_context = -2 if (slot / 'note.txt').exists() else 59")
    status = _plant_then_check(course, tmp_path / "submissions", plant, check, isolation=mode)
    assert status == "correct"


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
    # Ctrl+C as in a terminal: a shell's background job (a CI runner's, say) starts with
    # SIGINT ignored, and Python then keeps ignoring it, as a program started with nohup should.
    proc = cli_run(*args, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
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
    rows = read_csv(out / "gradebook.csv")
    assert {r["student"] for r in rows} == {"a-01-timeline.ipynb", "b-01-timeline.ipynb"}
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert "2 unchanged, taken from the last run" in again.stdout
    rows = read_csv(out / "gradebook.csv")
    assert len({r["student"] for r in rows}) == 3


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
    proc = cli_run(subs, "--exercises", course / "exercises", "-o", tmp_path / "grades",
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


def test_totals_wide_canvas_and_moodle_files(round_trip, course):
    base, _, report, _ = round_trip
    out = base / "grades-lms"
    write_report(report, out, exercises_dir=course / "exercises")
    totals = {(t["student"], t["set"]): t for t in read_csv(out / "totals.csv")}
    teacher = totals[("teacher", "02-energy-arithmetic")]
    assert teacher["points"] == "10" and teacher["max_points"] == "10"
    assert totals[("teacher", "04-announced-vs-delivered")]["pending_manual"] == "1"
    assert totals[("partial energy (final)", "02-energy-arithmetic")]["points"] == "5"
    wide = {r["student"]: r for r in read_csv(out / "wide.csv")}
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
    moodle = {r["username"]: r for r in read_csv(out / "moodle.csv")}
    assert moodle["teacher"]["01-timeline"] == "10"
