"""coursekit build: everything into build/, in parallel, cached, atomic, and loud about failures.

One small fake course (two lessons, one exercise set) is built once for the module; each test
works on its own copy of it (caches included), so the slow part, executing notebooks, happens
as few times as possible.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from fake_course import cell, lesson_cells, make_course, make_exercise

from coursekit import cli
from coursekit.build import pipeline as build
from coursekit.build import plan, student, worker
from coursekit.build.report import format_summary
from coursekit.course.files import TMP_SUFFIX, atomic_write
from coursekit.export import render as export

PDF = export.find_chromium() is not None


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "notebooks").glob("*.ipynb"))}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fake course, built once: (root, report, the lessons' bytes before the build)."""
    root = make_course(tmp_path_factory.mktemp("built") / "course")
    patch = pytest.MonkeyPatch()
    patch.setenv("COURSEKIT_ROOT", str(root))
    make_exercise(root)
    before = _snapshot(root)
    report = build.build(root, jobs=2, progress=False)
    patch.undo()
    return root, report, before


@pytest.fixture
def course(built, tmp_path, monkeypatch) -> Path:
    """A private copy of the built course (build/ and the cache included)."""
    root = tmp_path / "course"
    shutil.copytree(built[0], root, symlinks=True)
    monkeypatch.setenv("COURSEKIT_ROOT", str(root))
    return root


def _rows(report) -> dict[str, dict]:
    return {Path(r["name"]).stem: r for r in report.rows}


def test_build_executes_validates_and_exports_everything(built):
    root, report, _ = built
    assert report.exit_code == 0, report.failures
    rows = _rows(report)
    assert {k: (r["execute"], r["export"]) for k, r in rows.items()} == {
        "01-timeline": ("ran", "built"), "02-agreements": ("ran", "built"),
        "01-count": ("ran", "built")}
    out = root / "build"
    for stem in ("01-timeline", "02-agreements"):
        executed = nbformat.read(out / "notebooks" / f"{stem}.ipynb", as_version=4)
        assert any(c.get("outputs") for c in executed.cells if c.cell_type == "code")
        assert (out / "slides" / f"{stem}.slides.html").is_file()
        assert (out / "handouts" / f"{stem}.html").is_file()
        assert (out / "handouts" / f"{stem}.pdf").is_file() is PDF
    assert (out / "exercises" / "01-count.ipynb").is_file()
    summary = format_summary(report)
    assert "3 executed, 0 from the cache" in summary and "student release" in summary


def test_every_artefact_is_offline_and_keeps_alt_text(built):
    out = built[0] / "build"
    pages = [*out.glob("slides/*.html"), *out.glob("handouts/*.html"), out / "index.html"]
    assert len(pages) == 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert export.offline_problems(text) == [], page
        assert export.image_problems(text) == [], page
    deck = (out / "slides" / "01-timeline.slides.html").read_text(encoding="utf-8")
    assert 'alt="A line rising from 1999 to 2022, one point per visit."' in deck
    assert '<aside class="notes">' in deck


def test_index_links_every_artefact(built):
    out = built[0] / "build"
    index = (out / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="([^"]+)"', index))
    expected = {"notebooks/01-timeline.ipynb", "slides/01-timeline.slides.html",
                "handouts/01-timeline.html", "notebooks/02-agreements.ipynb",
                "slides/02-agreements.slides.html", "handouts/02-agreements.html",
                "exercises/01-count.ipynb", "student/notebooks/"}
    if PDF:
        expected |= {"handouts/01-timeline.pdf", "handouts/02-agreements.pdf"}
    assert links == expected
    assert all((out / link).exists() for link in links)


def test_student_release_has_lessons_data_keys_and_exercises_but_no_answers(built):
    student = built[0] / "build" / "student"
    names = {p.relative_to(student).as_posix() for p in student.rglob("*") if p.is_file()}
    for wanted in ("notebooks/01-timeline.ipynb", "notebooks/toc.yml", "data/datapackage.json",
                   "data/timeline.csv", "exercises/01-count.ipynb", "exercises/checks.json"):
        assert wanted in names, wanted
    assert not any(n.startswith(("instructors/", "exercises/answers")) for n in names)
    released = (student / "exercises" / "01-count.ipynb").read_text(encoding="utf-8")
    assert "len(data.load('timeline'))" not in released  # the solution was stripped


def _notes(path: Path) -> list[int]:
    from coursekit.assess.leaks import speaker_notes

    return speaker_notes(nbformat.read(path, as_version=4))


def test_speaker_notes_stay_in_the_instructor_build_and_leave_the_student_copy(built):
    out = built[0] / "build"
    assert _notes(out / "notebooks" / "01-timeline.ipynb"), "the fake lesson has notes to strip"
    students = sorted((out / "student").rglob("*.ipynb"))
    assert len(students) == 3
    assert {p.name: _notes(p) for p in students} == {p.name: [] for p in students}


def test_student_readme_names_only_what_the_release_holds(built):
    root = built[0]
    student = root / "build" / "student"
    readme = (student / "README.md").read_text(encoding="utf-8")
    developer_readme = Path(__file__).resolve().parents[1] / "README.md"
    assert readme != developer_readme.read_text(encoding="utf-8")
    assert "notebooks/01-timeline.ipynb" in readme and "coursekit progress" in readme
    targets = re.findall(r"\]\(([^)#\s]+)", readme) + re.findall(r"`([\w./-]+\.(?:ipynb|json|md|csv))`", readme)
    assert targets, "the README links to nothing"
    missing = [t for t in targets if "://" not in t and not (student / t).exists()]
    assert not missing, f"README.md names files the release lacks: {missing}"
    for developer in ("pytest", ".[test]", "coursekit build", "coursekit keys", "coursekit grade",
                      "coursekit release", "pre-commit", "instructors/"):
        assert developer not in readme, developer


def test_the_readme_check_finds_a_missing_file(tmp_path):
    """The README test's link check can fail: a README naming an absent lesson is caught."""
    from coursekit.assess.release import student_readme
    from coursekit.errors import CourseError

    (tmp_path / "notebooks").mkdir()
    with pytest.raises(CourseError, match="missing from the student release"):
        student_readme(tmp_path, [{"file": "00-start.ipynb", "title": "Start"}])


def test_a_surviving_notes_cell_stops_the_student_release(course, monkeypatch):
    from coursekit.assess import release

    monkeypatch.setattr(release, "strip_speaker_notes", lambda nb: nb)  # plant the leak
    jobs, _ = plan.plan_jobs(course, pdf=False)
    lessons = [j for j in jobs if j.kind == "lesson"]
    before = sorted(p.name for p in (course / "build" / "student").rglob("*"))
    with pytest.raises(Exception, match="speaker notes"):
        student.write_student_release(course, course / "build", lessons)
    assert sorted(p.name for p in (course / "build" / "student").rglob("*")) == before  # old release kept


def test_committed_lessons_only_gain_their_navigation_cell(built):
    root, _, before = built
    for name, old in before.items():
        old_nb = nbformat.reads(old.decode(), as_version=4)
        new_nb = nbformat.read(root / "notebooks" / name, as_version=4)
        nav = [c for c in new_nb.cells if "navigation" in c.metadata.get("tags", [])]
        assert len(nav) == 1 and "**Next:**" in nav[0].source
        rest = [c for c in new_nb.cells if c not in nav]
        assert [c.source for c in rest] == [c.source for c in old_nb.cells]
        assert all(not c.get("outputs") for c in rest if c.cell_type == "code")  # no outputs


def test_rebuild_with_nothing_changed_runs_nothing(course, monkeypatch):
    lessons = _snapshot(course)
    stamps = {p: p.stat().st_mtime_ns for p in (course / "build").rglob("*") if p.is_file()}

    def no_work(spec):
        raise AssertionError(f"{spec['name']} was rebuilt although nothing changed")

    monkeypatch.setattr(build, "run_job", no_work)
    report = build.build(course, progress=False)
    assert report.exit_code == 0
    assert all(r["export"] == "cached" for r in report.rows)
    assert ("student release", "cached", "") in report.steps
    assert _snapshot(course) == lessons
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # not one file rewritten
    assert report.seconds < 5


def test_rebuild_from_the_command_line_reports_everything_cached(course):
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "coursekit.cli", "build", "--no-progress"],
                            capture_output=True, text=True, cwd=course / "notebooks")
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    assert "0 executed, 0 from the cache, 3 unchanged, 0 failed" in result.stdout
    assert elapsed < 10  # the benchmark measures the real figure (well under 2 s)


def test_changing_one_data_file_reruns_only_the_lessons_that_read_it(course):
    with open(course / "data" / "agreements.csv", "a", encoding="utf-8") as handle:
        handle.write("a2,Second agreement,src-b\n")
    rows = _rows(build.build(course, jobs=1, progress=False))
    assert (rows["02-agreements"]["execute"], rows["02-agreements"]["export"]) == ("ran", "built")
    assert rows["01-timeline"]["export"] == "cached"  # it does not read agreements.csv
    assert rows["01-count"]["export"] == "cached"
    executed = (course / "build" / "notebooks" / "02-agreements.ipynb").read_text(encoding="utf-8")
    assert "2 rows" in executed


def test_editing_prose_reexports_but_reuses_the_outputs(course):
    path = course / "notebooks" / "01-timeline.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].source += "\n\nA sentence added by the test."
    nbformat.write(nb, path)
    rows = _rows(build.build(course, jobs=1, progress=False))
    assert (rows["01-timeline"]["execute"], rows["01-timeline"]["export"]) == ("cache", "built")
    deck = (course / "build" / "slides" / "01-timeline.slides.html").read_text(encoding="utf-8")
    assert "A sentence added by the test." in deck


def test_interrupted_build_leaves_previous_artefacts_intact(course, monkeypatch):
    out = course / "build"
    handout = out / "handouts" / "02-agreements.html"
    old = handout.read_bytes()
    path = course / "notebooks" / "02-agreements.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].source += "\n\nNew prose."
    nbformat.write(nb, path)
    real = worker.atomic_write_text

    def interrupted(target, text):
        if Path(target) == handout:  # the power goes out while the handout is being written
            def half(stream):
                stream.write(text[: len(text) // 2])
                raise KeyboardInterrupt
            return atomic_write(target, half)
        return real(target, text)

    monkeypatch.setattr(worker, "atomic_write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build.build(course, jobs=1, progress=False)
    assert handout.read_bytes() == old
    assert not [p for p in out.rglob(f"*{TMP_SUFFIX}")], "a temporary file was left behind"
    manifest = json.loads((out / build.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["jobs"]["notebooks/02-agreements.ipynb"]["key"]  # still the old, valid entry
    monkeypatch.setattr(worker, "atomic_write_text", real)
    rows = _rows(build.build(course, jobs=1, progress=False))
    assert rows["02-agreements"]["export"] == "built"
    assert "New prose." in handout.read_text(encoding="utf-8")


def test_failing_notebooks_fail_the_build_by_name_cell_and_error(tmp_path, monkeypatch, capsys):
    broken = lesson_cells("02 · Broken", None, extra=[cell("code", "share = 1 / 0")])
    unlinted = lesson_cells("03 · No key points", None)
    unlinted[1][:] = [c for c in unlinted[1] if "Key points" not in c.source]
    root = make_course(tmp_path / "course", lessons={
        "01-timeline.ipynb": lesson_cells("01 · Timeline", "timeline"),
        "02-broken.ipynb": broken,
        "03-unlinted.ipynb": unlinted,
    })
    monkeypatch.setenv("COURSEKIT_ROOT", str(root))
    monkeypatch.chdir(root)
    assert cli.main(["build", "--no-progress", "--no-pdf"]) == 1
    captured = capsys.readouterr()
    assert re.search(r"FAILED notebooks/02-broken.ipynb, cell 6 \('share = 1 / 0'\): "
                     r"ZeroDivisionError: division by zero", captured.err)
    assert re.search(r"FAILED notebooks/03-unlinted.ipynb: lint: .*no 'Key points' section",
                     captured.err)
    # The other lesson still built; the broken ones left nothing half-made behind.
    assert (root / "build" / "slides" / "01-timeline.slides.html").is_file()
    assert not (root / "build" / "slides" / "02-broken.slides.html").exists()
    assert not (root / "build" / "notebooks" / "03-unlinted.ipynb").exists()
    assert "2 failed" in captured.out
    assert re.search(r"student release\s+step\s+skipped", captured.out)


def test_exercise_whose_solution_fails_its_own_check_fails_the_build(tmp_path, monkeypatch):
    root = make_course(tmp_path / "course", lessons={
        "01-timeline.ipynb": lesson_cells("01 · Timeline", None)})
    make_exercise(root, answer=5)  # the key says 5; the solution computes 2
    monkeypatch.setenv("COURSEKIT_ROOT", str(root))
    report = build.build(root, jobs=2, pdf=False, progress=False)
    assert report.exit_code == 1
    assert any(re.search(r"exercises/01-count.ipynb, cell 3: self-check 'ex01.events' does not "
                         r"pass", f) for f in report.failures), report.failures
    assert _rows(report)["01-timeline"]["export"] == "built"


def test_a_lesson_missing_from_disk_is_named(tmp_path, monkeypatch):
    root = make_course(tmp_path / "course", lessons={
        "01-timeline.ipynb": lesson_cells("01 · Timeline", None)})
    with open(root / "notebooks" / "toc.yml", "a", encoding="utf-8") as toc:
        toc.write('  - file: 09-missing.ipynb\n    title: "09 · Missing"\n')
    monkeypatch.setenv("COURSEKIT_ROOT", str(root))
    report = build.build(root, jobs=1, pdf=False, progress=False)
    assert report.exit_code == 1
    assert any("notebooks/09-missing.ipynb: listed in notebooks/toc.yml but missing" in f
               for f in report.failures)


def test_help_answers_without_importing_the_build_machinery():
    """`coursekit --help` imports only the command table: no build, export, Jupyter or pandas."""
    code = ("import sys\nfrom coursekit import cli\n"
            "try:\n    cli.main(['--help'])\nexcept SystemExit as exc:\n    assert exc.code == 0\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'pandas', 'matplotlib', "
            "'nbformat', 'nbconvert', 'nbclient', 'jupyter_client', 'jinja2', 'tqdm', 'yaml', "
            "'jsonschema', 'numpy'} or m in {'coursekit.build.pipeline', 'coursekit.export.render', "
            "'coursekit.build.keys', 'coursekit.cli.build'})\nprint('HEAVY', heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in result.stdout
    for command in ("build", "slides", "handouts"):
        assert command in result.stdout


def test_navigation_is_regenerated_when_the_toc_changes(course):
    toc = course / "notebooks" / "toc.yml"
    toc.write_text(toc.read_text(encoding="utf-8").replace("02 · Agreements", "02 · Treaties"),
                   encoding="utf-8")
    build.build(course, jobs=1, progress=False)
    nav = [c for c in nbformat.read(course / "notebooks" / "01-timeline.ipynb", as_version=4).cells
           if "navigation" in c.metadata.get("tags", [])]
    assert "02 · Treaties" in nav[0].source


def test_a_second_build_in_the_same_folder_is_refused(course):
    import fcntl

    from coursekit.errors import CourseError

    with open(course / "build" / ".coursekit-build.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(CourseError, match="another coursekit build is running"):
            build.build(course, progress=False)


def test_every_link_in_the_build_resolves_after_it_is_moved(built, tmp_path):
    """Decks, handouts, learner pages and the index link only inside build/, anchors included."""
    import shutil

    import sitecheck

    moved = tmp_path / "usb-stick" / "build"
    shutil.copytree(built[0] / "build", moved)
    problems, checked = sitecheck.broken_links(moved)
    assert checked > 10 and not problems, problems[:10]
