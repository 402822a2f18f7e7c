"""The bubblewrap sandbox leaves a submission nothing to steal and no way to outgrow its slot.

Each submission below is a released exercise set with an attack in its answer cell; what the
attack found is put into graded variables, which the gradebook shows in its ``answer`` column.
The tests run wherever bubblewrap works (CI installs it); the guard's own limits are tested in
``test_grade.py``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from grading import CHILDREN, FORKS, make_course

from coursekit.assess.grade import Options, grade_folder, write_report
from coursekit.kernels.sandbox import MAX_TASKS, Isolation, detect, limits_in_force

ROOT = Path(__file__).resolve().parents[1]
BWRAP = detect("auto").mode == "bubblewrap"
needs_bwrap = pytest.mark.skipif(not BWRAP, reason="bubblewrap cannot create a sandbox here")
MEMORY_MB = 2048  # the test's limit; three children of 800 MB go past it together, not alone


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = make_course(tmp_path_factory.mktemp("course"))  # data, exercises and their release
    return root


def _secrets(course: Path) -> list[str]:
    """Host files a kernel must not read, each one that exists and the grader can read."""
    home = Path(os.environ.get("HOME", "/root"))
    candidates = [Path("/etc/shadow"), Path("/etc/hosts"), Path("/etc/os-release"),
                  home / ".gitconfig", home / ".bashrc", home / ".profile",
                  course / "exercises" / "answers" / "01-timeline.yml",
                  course / "exercises" / "01-timeline.ipynb",
                  ROOT / "exercises" / "answers" / "01-timeline.yml", ROOT / "README.md"]
    candidates += sorted((home / ".ssh").glob("*"))[:2] if (home / ".ssh").is_dir() else []
    found = []
    for path in candidates:
        try:
            path.read_bytes()
        except OSError:
            continue
        found.append(str(path))
    return found


def _submission(course: Path, code: str):
    """Set 01 with ``code`` in place of the n_context answer (it sets the variables it reports)."""
    nb = nbformat.read(course / "release" / "01-timeline.ipynb", as_version=4)
    reporters = ("top_1980s = ...", "events_1970s = ...", "pm_gap_days = ...")
    placed = False
    for cell in nb.cells:
        lines = cell.source.split("\n")
        if "n_context = ..." in lines:
            lines[lines.index("n_context = ...")] = code
            placed = True
        # The later placeholders would overwrite what the attack reported.
        cell.source = "\n".join(line for line in lines if line not in reporters)
    assert placed, "no n_context placeholder"
    return nb


STEAL = """import os, pathlib
def _try(p):
    try:
        return 'Y' if pathlib.Path(p).read_bytes() is not None else 'N'
    except Exception:
        return 'N'
top_1980s = ''.join(_try(p) for p in {targets!r})
homes = [p for p in ('/home', {home!r}) if os.path.isdir(p)]
events_1970s = sum(len([e for e in os.listdir(p) if e != '.pyenv']) for p in homes)
pm_gap_days = os.getuid()
n_context = len([p for p in os.listdir('/proc') if p.isdigit()])"""

SHM = """import os
try:
    with open('/dev/shm/big', 'wb') as f:
        for _ in range(300):
            f.write(b'x' * 2**20)
except OSError:
    pass
n_context = os.path.getsize('/dev/shm/big') // 2**20
os.remove('/dev/shm/big')"""

LEAVE = """open('/dev/shm/left', 'w').write('a'); open('/tmp/left', 'w').write('a')
n_context = 59"""

LOOK = """import os
n_context = 59 if not (os.path.exists('/dev/shm/left') or os.path.exists('/tmp/left')) else -1"""


@pytest.fixture(scope="module")
def attacks(course, tmp_path_factory):
    base = tmp_path_factory.mktemp("attacks")
    subs = base / "submissions"
    subs.mkdir()
    home = os.environ.get("HOME", "/root")
    targets = _secrets(course)
    for name, code in (("a-steal", STEAL.format(targets=targets, home=home)), ("b-shm", SHM),
                       ("c-leave", LEAVE), ("d-look", LOOK), ("e-children", CHILDREN),
                       ("f-forks", FORKS)):
        nbformat.write(_submission(course, code), subs / f"{name}.ipynb")
    report = grade_folder(subs, exercises_dir=course / "exercises", output_dir=base / "grades",
                          options=Options(cell_timeout=40, timeout=120, jobs=1,
                                          memory_mb=MEMORY_MB, isolation="bubblewrap"))
    rows = {(r["student"], r["question"]): r for r in report.rows()}
    return report, rows, targets


def _answer(rows, student: str, question: str) -> str:
    return rows[(f"{student}.ipynb", question)]["answer"]


@needs_bwrap
def test_a_submission_reads_none_of_the_hosts_secrets(attacks):
    report, rows, targets = attacks
    assert "/etc/shadow" in targets and any("answers" in t for t in targets)
    assert _answer(rows, "a-steal", "ex01.top-category-1980s") == "N" * len(targets)
    assert _answer(rows, "a-steal", "ex01.events-1970s") == "0"  # no home folder has anything


@needs_bwrap
def test_the_kernel_is_an_unprivileged_user_in_its_own_process_namespace(attacks):
    report, rows, _ = attacks
    uid = int(_answer(rows, "a-steal", "ex01.pm-gap-days"))
    assert uid not in (0, os.getuid())
    assert int(_answer(rows, "a-steal", "ex01.context-rows")) < 10  # only the slot's processes


@needs_bwrap
def test_dev_shm_is_capped(attacks):
    report, rows, _ = attacks
    assert int(_answer(rows, "b-shm", "ex01.context-rows")) <= 64


@needs_bwrap
def test_files_left_in_dev_shm_or_tmp_do_not_reach_the_next_submission(attacks):
    report, rows, _ = attacks
    assert rows[("c-leave.ipynb", "ex01.context-rows")]["status"] == "correct"
    assert rows[("d-look.ipynb", "ex01.context-rows")]["status"] == "correct"


@needs_bwrap
def test_memory_is_limited_for_the_whole_process_tree(attacks):
    report, rows, _ = attacks
    row = rows[("e-children.ipynb", "ex01.context-rows")]
    assert row["status"] == "error" and "kernel died" in row["message"]


@needs_bwrap
def test_a_fork_bomb_is_limited(attacks):
    report, rows, _ = attacks
    started = int(_answer(rows, "f-forks", "ex01.context-rows"))
    assert 0 < started < MAX_TASKS < 200


@needs_bwrap
def test_the_limits_in_force_are_stated(attacks, course, tmp_path):
    report, _, _ = attacks
    assert "RLIMIT_NPROC" in report.protection and "unprivileged" in report.protection
    write_report(report, tmp_path / "grades", exercises_dir=course / "exercises")
    info = json.loads((tmp_path / "grades" / "grading.json").read_text(encoding="utf-8"))
    assert info["isolation"]["mode"] == "bubblewrap" and info["isolation"]["security_boundary"]
    assert "RLIMIT_NPROC" in info["isolation"]["limits"] and "no cgroup" in info["isolation"]["limits"]


def test_grading_json_says_the_guard_is_not_a_security_boundary(course, tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    nbformat.write(_submission(course, "n_context = 59"), subs / "fine.ipynb")
    report = grade_folder(subs, exercises_dir=course / "exercises", output_dir=tmp_path / "g",
                          options=Options(cell_timeout=20, timeout=120, isolation="guard"))
    write_report(report, tmp_path / "g", exercises_dir=course / "exercises")
    info = json.loads((tmp_path / "g" / "grading.json").read_text(encoding="utf-8"))
    assert info["isolation"]["security_boundary"] is False
    assert "not a security boundary" in info["isolation"]["warning"]


@needs_bwrap
def test_a_cell_blocked_in_a_c_call_with_interrupts_ignored_is_stopped_at_the_cell_limit(
        course, tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    code = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.pause()\nn_context = 59"
    nbformat.write(_submission(course, code), subs / "blocked.ipynb")
    report = grade_folder(subs, exercises_dir=course / "exercises", output_dir=tmp_path / "g",
                          options=Options(cell_timeout=3, timeout=120, isolation="bubblewrap"))
    [outcome] = report.outcomes
    assert outcome.seconds < 40
    assert any("ran longer than 3 s and was stopped" in note for note in outcome.notes)
    assert {r["status"] for r in outcome.rows} == {"error"}


def test_the_guard_says_it_is_not_a_security_boundary():
    guard = Isolation("guard", "chosen with --isolation guard")
    assert not guard.is_security_boundary and "not a security boundary" in guard.warning
    assert Isolation("bubblewrap").is_security_boundary and Isolation("bubblewrap").warning == ""
    assert "not limited" in limits_in_force("guard")


def test_python_paths_cover_the_interpreter():
    from coursekit.kernels.sandbox import _python_paths

    paths = _python_paths()
    assert all(not p.is_relative_to("/usr") for p in paths)
    prefix = Path(sys.base_prefix).resolve()
    assert prefix.is_relative_to("/usr") or any(prefix.is_relative_to(p) for p in paths)


# --- the guard: not a boundary, but nothing secret in reach and nothing left running --------

ENVIRON = """import os
def _env(pid):
    try:
        return open(f'/proc/{pid}/environ', 'rb').read().decode('latin-1')
    except OSError:
        return ''
seen = _env('self') + _env(os.getppid())
n_context = 59 if 'CK_GRADER_SECRET' not in seen and 'hunter2' not in seen else -1"""

DAEMON = """import os, time
read, write = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(write, str(os.getpid()).encode().ljust(16))
        while True:
            time.sleep(1)
    os._exit(0)
n_context = int(os.read(read, 16).decode())"""


@pytest.mark.parametrize("mode", ["guard", pytest.param("bubblewrap", marks=needs_bwrap)])
def test_the_kernels_environment_holds_nothing_of_the_graders(course, tmp_path, monkeypatch,
                                                             mode):
    monkeypatch.setenv("CK_GRADER_SECRET", "hunter2")
    subs = tmp_path / "submissions"
    subs.mkdir()
    nbformat.write(_submission(course, ENVIRON), subs / "environ.ipynb")
    report = grade_folder(subs, exercises_dir=course / "exercises", output_dir=tmp_path / "g",
                          options=Options(cell_timeout=20, timeout=120, isolation=mode))
    rows = {r["question"]: r for r in report.rows()}
    assert rows["ex01.context-rows"]["status"] == "correct", rows["ex01.context-rows"]


@pytest.mark.parametrize("mode", ["guard", pytest.param("bubblewrap", marks=needs_bwrap)])
def test_no_daemon_outlives_grading(course, tmp_path, mode):
    subs = tmp_path / "submissions"
    subs.mkdir()
    nbformat.write(_submission(course, DAEMON), subs / "daemon.ipynb")
    report = grade_folder(subs, exercises_dir=course / "exercises", output_dir=tmp_path / "g",
                          options=Options(cell_timeout=20, timeout=120, isolation=mode))
    [outcome] = report.outcomes
    assert outcome.kernel == "warm"
    if mode == "guard":  # the daemon's pid as the grader sees it (no process namespace)
        pid = int(next(r["answer"] for r in outcome.rows if r["question"] == "ex01.context-rows"))
        assert pid > 1
        try:
            os.kill(pid, 0)
            alive = Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] != "Z"
        except ProcessLookupError:
            alive = False
        assert not alive
    else:  # in its own namespace: soon no process of the slot's user is left anywhere
        import time

        from coursekit.kernels.sandbox import sandbox_uid

        uid = sandbox_uid(0)
        for _ in range(50):
            left = []
            for proc in Path("/proc").iterdir():
                try:
                    if proc.name.isdigit() and proc.stat().st_uid == uid:
                        left.append(proc.name)
                except OSError:
                    pass
            if not left:
                break
            time.sleep(0.1)
        assert uid is None or not left
