"""The bubblewrap sandbox of a grader that is not root: each kernel is ``nobody`` in a user
namespace of its own, with no capability, nothing to steal, the same limits and the same grades.

An instructor grading on a laptop takes this path; CI and this machine run as root, where each
slot gets a user id of its own instead (``test_sandbox.py``). The one thing that chooses the
path is :func:`coursekit.kernels.sandbox.sandbox_uid` (None when the grader is not root), so
the fixture ``as_nobody`` replaces it with "not root" and everything else is the real thing:
the launcher, bubblewrap's user namespace (``--unshare-user --uid 65534``), the zygote, the
batch. A real non-root Python cannot run here (the interpreter lives in root's 0700 home), so
bubblewrap maps *root* to nobody: what that changes (root is exempt from ``RLIMIT_NPROC``) is
asserted as such, and what a real non-root grader gets is shown with the system's own Python.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from grading import CHILDREN, FORKS, answer, released, save

from coursekit.assess.grade import Options, grade_folder, write_report
from coursekit.kernels import sandbox, zygote
from coursekit.kernels.sandbox import MAX_TASKS, NOBODY, Isolation, etc_files, kernel_command

BWRAP = sandbox.detect("auto").mode == "bubblewrap"
needs_bwrap = pytest.mark.skipif(not BWRAP, reason="bubblewrap cannot create a sandbox here")
MEMORY_MB = 2048
TIMEOUT = 120


def _not_root(slot: int = 0) -> None:
    return None  # what sandbox_uid answers when the grader is not root


@pytest.fixture
def as_nobody(monkeypatch):
    """Take the non-root path: no slot user id, so bubblewrap maps the grader to nobody."""
    monkeypatch.setattr(sandbox, "sandbox_uid", _not_root)


# --- one probe, run in a cold and in a warm kernel ------------------------------------------

PROBE = r"""
import json, os, resource, socket, subprocess
args = json.loads(ARGS)
def status(key):
    with open('/proc/self/status') as handle:
        return next(l.split()[1] for l in handle if l.startswith(key + ':'))
def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return type(exc).__name__
def readable(path):
    try:
        with open(path, 'rb') as handle:
            handle.read(1)
        return True
    except OSError:
        return False
def fill(folder, files, mb):
    # several files, so the folder's own cap is measured, not the file size limit
    written = 0
    try:
        for n in range(files):
            with open(os.path.join(folder, f'fill{n}'), 'wb') as handle:
                for _ in range(mb):
                    handle.write(b'x' * 2**20)
                    written += 1
    except OSError:
        pass
    for n in range(files):
        try:
            os.remove(os.path.join(folder, f'fill{n}'))
        except OSError:
            pass
    return written
def connect(family, address):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(3)
        try:
            s.connect(address)
            return 'connected'
        except OSError as exc:
            return type(exc).__name__
def forks(count):
    kids = []
    for _ in range(count):
        try:
            kids.append(subprocess.Popen(['/usr/bin/sleep', '30']))
        except OSError:
            break
    for kid in kids:
        kid.kill(); kid.wait()
    return len(kids)
def allocate(mb):
    try:
        block = bytearray(mb * 2**20)
        return 'allocated'
    except MemoryError:
        return 'MemoryError'
facts = {
    'resuid': os.getresuid(), 'resgid': os.getresgid(), 'groups': os.getgroups(),
    'caps': {k: status(k) for k in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb')},
    'uid_map': open('/proc/self/uid_map').read().split(),
    'left_before': [p for p in ('/tmp/ck-left', '/dev/shm/ck-left') if os.path.exists(p)],
    'exists': {p: os.path.exists(p) for p in args['hidden']},
    'readable': {p: readable(p) for p in args['secrets']},
    'etc': listing('/etc'), 'root': listing('/root'), 'home': listing('/home'),
    'tmp_mb': fill('/tmp', 6, 64), 'shm_mb': fill('/dev/shm', 6, 16),
    'interfaces': sorted(name for _, name in socket.if_nameindex()),
    'tcp': connect(socket.AF_INET, ('127.0.0.1', args['port'])),
    'unix': connect(socket.AF_UNIX, args['abstract']),
    'nproc': resource.getrlimit(resource.RLIMIT_NPROC),
    'address_space_mb': resource.getrlimit(resource.RLIMIT_AS)[0] // 2**20,
    'allocate': allocate(args['memory_mb'] + 64),
    'forks': forks(args['forks']),
    'pids': len([p for p in os.listdir('/proc') if p.isdigit()]),
    'parent_memory': {f: readable(f'/proc/{os.getppid()}/{f}') for f in ('environ', 'mem')},
}
for path in ('/tmp/ck-left', '/dev/shm/ck-left'):  # for the next kernel of this slot to find
    open(path, 'w').write('left by the last submission')
print(json.dumps(facts))
"""


def _listener() -> socket.socket:
    """A TCP listener on 127.0.0.1 at a port below the ephemeral range: the kernel itself
    listens on 127.0.0.1 at an ephemeral port inside its sandbox, which must not be taken
    for the host's."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in range(low - 1, 1024, -1):
        try:
            return socket.create_server(("127.0.0.1", port))
        except OSError:
            continue
    raise OSError("no free port below the ephemeral range")


@pytest.fixture
def host(tmp_path):
    """What a kernel must not reach: a course, submissions, an output folder, the host's secrets,
    a TCP listener on 127.0.0.1 and an abstract Unix socket."""
    folders = {name: tmp_path / name for name in ("course", "submissions", "grades")}
    for name, folder in folders.items():
        folder.mkdir()
        (folder / f"{name}-secret.txt").write_text("answer: 59\n")
    tcp = _listener()
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract = f"\0coursekit-userns-{os.getpid()}"
    unix.bind(abstract)
    unix.listen()
    home = Path(os.environ.get("HOME", "/root"))
    secrets = [str(p) for p in (Path("/etc/shadow"), Path("/etc/hosts"), home / ".bashrc",
                                home / ".profile", home / ".gitconfig",
                                *(f / f"{n}-secret.txt" for n, f in folders.items()))
               if p.exists()]
    yield {"folders": list(folders.values()), "secrets": secrets,
           "port": tcp.getsockname()[1], "abstract": abstract}
    tcp.close()
    unix.close()


def _args(host, forks: int = 200) -> str:
    return json.dumps({"hidden": [str(p) for p in host["folders"]], "secrets": host["secrets"],
                       "port": host["port"], "abstract": host["abstract"],
                       "memory_mb": MEMORY_MB, "forks": forks})


def _workdir(folder: Path) -> Path:
    """A submission's working copy as the grader lays it out; returns the kernel's cwd."""
    for name in ("home", "tmp", "ipython", "jupyter", "mpl", "course/exercises"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return folder / "course" / "exercises"


def _run(argv, workdir: Path, code: str, pass_fds=()) -> dict:
    """Start ``argv`` as a kernel in ``workdir``, run ``code``, return the JSON it printed."""
    from jupyter_client.manager import KernelManager

    from coursekit.kernels.kernelclient import spec_manager

    km = KernelManager(kernel_name="userns", kernel_spec_manager=spec_manager(argv),
                       transport="ipc", ip=str(workdir / "k"),
                       connection_file=str(workdir / "kernel.json"))
    with open(workdir / "kernel.log", "ab") as log:
        km.start_kernel(cwd=str(_workdir(workdir)), env=sandbox.kernel_env(workdir),
                        stdout=subprocess.DEVNULL, stderr=log, pass_fds=list(pass_fds))
    kc = km.client()
    kc.allow_stdin = False
    kc.start_channels()
    printed = []
    try:
        kc.wait_for_ready(timeout=TIMEOUT)

        def keep(msg):
            if msg["msg_type"] == "stream":
                printed.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                printed.append("\n".join(msg["content"]["traceback"]))

        reply = kc.execute_interactive(code, timeout=TIMEOUT, output_hook=keep)
        assert reply["content"]["status"] == "ok", "".join(printed)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return json.loads("".join(printed))


def _assert_nothing_to_steal(facts: dict, host) -> None:
    """What the issue asks of the sandbox, on the facts one probe gathered inside a kernel."""
    # nobody, mapped from the caller (root here, the instructor on a laptop), no capability
    assert facts["resuid"] == [NOBODY] * 3 and facts["resgid"] == [NOBODY] * 3
    assert set(facts["groups"]) <= {NOBODY}
    assert facts["uid_map"][:1] == [str(NOBODY)] and facts["uid_map"][2:] == ["1"]
    assert facts["caps"] == {k: "0000000000000000" for k in facts["caps"]}
    # nothing of the host: no shadow, no home folders, no course, submissions or output
    assert host["secrets"] and "/etc/shadow" in host["secrets"]
    assert facts["readable"] == {p: False for p in host["secrets"]}
    assert facts["exists"] == {str(p): False for p in host["folders"]}
    assert set(facts["etc"]) <= {"passwd", "group", "hostname", *sandbox.HOST_ETC}
    assert facts["home"] == "FileNotFoundError"
    root_python = [p.parts[2] for p in sandbox._python_paths() if p.is_relative_to("/root")]
    assert facts["root"] in ("FileNotFoundError", sorted(set(root_python)))
    # /tmp and /dev/shm are small RAM folders of their own
    assert 200 <= facts["tmp_mb"] <= sandbox.TMPFS_BYTES // 2**20
    assert 32 <= facts["shm_mb"] <= sandbox.SHM_BYTES // 2**20
    # no network: only a loopback of its own, where the host's listeners are not
    assert facts["interfaces"] == ["lo"]
    assert facts["tcp"] == "ConnectionRefusedError" and facts["unix"] == "ConnectionRefusedError"
    # limits: memory per process; RLIMIT_NPROC set, but bubblewrap maps *root* to nobody here
    # and Linux counts processes per real user id, exempting root: the 200 all start. (A real
    # non-root grader is limited: test_rlimit_nproc_as_a_non_root_grader_gets_it below.)
    assert facts["address_space_mb"] == MEMORY_MB and facts["allocate"] == "MemoryError"
    assert facts["nproc"] == [MAX_TASKS, MAX_TASKS]
    if os.geteuid() == 0:
        assert facts["forks"] == 200
    else:  # pragma: no cover - a grader that is not root (not this machine, not CI)
        assert facts["forks"] < MAX_TASKS
    assert facts["pids"] < 10  # its own process namespace


@needs_bwrap
def test_a_cold_kernel_is_nobody_with_nothing_to_steal(as_nobody, host, tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    hide = host["folders"]
    argv = kernel_command(Isolation("bubblewrap"), workdir=workdir, cwd=_workdir(workdir),
                          hide=hide, keep=[], memory_mb=MEMORY_MB, uid=sandbox.sandbox_uid(0),
                          etc=etc_files(tmp_path / "etc", None))
    assert "--unshare-user" in argv and "--as-uid" not in argv
    facts = _run(argv, workdir, f"ARGS = {_args(host)!r}\n{PROBE}")
    _assert_nothing_to_steal(facts, host)
    assert facts["left_before"] == []


@needs_bwrap
@pytest.mark.skipif(not zygote.available(), reason="warm kernels need Linux pidfds")
def test_warm_kernels_forked_from_a_zygote_are_nobody_and_leave_nothing_to_the_next(
        as_nobody, host, tmp_path):
    slot = tmp_path / "slot0"
    slot.mkdir()
    env = {**sandbox.kernel_env(slot), "MPLCONFIGDIR": str(slot / "mpl")}
    warm = zygote.Zygote(slot, Isolation("bubblewrap"), hide=host["folders"], keep=[], env=env,
                         log=tmp_path / "slot0.log", uid=sandbox.sandbox_uid(0),
                         etc=etc_files(tmp_path / "etc", None))
    warm.start()
    try:
        assert warm.sandboxed and warm.uid is None
        seen = []
        for number in range(2):
            workdir = slot / f"s{number}"
            cwd = _workdir(workdir)
            end = warm.request({"connection_file": str(workdir / "kernel.json"), "cwd": str(cwd),
                                "env": sandbox.kernel_env(workdir),
                                "log": str(workdir / "kernel.log"), "memory_mb": MEMORY_MB,
                                "file_mb": 256, "tasks": MAX_TASKS, "guard": None})
            try:
                seen.append(_run(warm.stub_argv(end.fileno()), workdir,
                                 f"ARGS = {_args(host)!r}\n{PROBE}", pass_fds=[end.fileno()]))
            finally:
                end.close()
            assert warm.wait_clean(), "the zygote could not sweep the slot"
            shutil.rmtree(workdir)
        for facts in seen:
            _assert_nothing_to_steal(facts, host)
        # the first left files in /tmp and /dev/shm; the slot was emptied before the second
        assert [f["left_before"] for f in seen] == [[], []]
        # the zygote (each warm kernel's parent) is not dumpable: nobody cannot read it
        assert [f["parent_memory"] for f in seen] == [{"environ": False, "mem": False}] * 2
        zygote_status = Path(f"/proc/{warm.process.pid}/status").read_text()
        assert "NSpid" in zygote_status  # the zygote runs inside bwrap, not as the grader
    finally:
        warm.close()


# --- the whole grader on this path ----------------------------------------------------------

# Each attack goes in the n_context answer cell of set 01 and reports through graded variables
# (the gradebook's answer column); the later placeholders keep what it reported.
WHO = """import os, resource
def _status(key):
    with open('/proc/self/status') as handle:
        return next(l.split()[1] for l in handle if l.startswith(key + ':'))
top_1980s = ' '.join(map(str, [*os.getresuid(), *os.getresgid(), _status('CapEff')]))
what_counts_show = ''.join('Y' if os.path.exists(p) else 'N' for p in {hidden!r})
events_1970s = resource.getrlimit(resource.RLIMIT_NPROC)[0]
pm_gap_days = len([p for p in os.listdir('/proc') if p.isdigit()])
n_context = 59"""

LEAVE = """open('/dev/shm/left', 'w').write('a'); open('/tmp/left', 'w').write('a')
n_context = 59"""

LOOK = """import os
n_context = 59 if not (os.path.exists('/dev/shm/left') or os.path.exists('/tmp/left')) else -1"""

NET = """import socket
def _try(address):
    try:
        socket.create_connection(address, timeout=3).close()
        return 'connected'
    except OSError as exc:
        return type(exc).__name__
top_1980s = _try(('127.0.0.1', {port}))
n_context = 59"""

ASKS = 'n_context = int(input("How many rows? "))'


def _attack(course: Path, code: str):
    nb = released(course, "01-timeline")
    answer(nb, "n_context", code)
    for name in ("events_1970s", "top_1980s", "what_counts_show", "pm_gap_days"):
        answer(nb, name, f"{name} = globals().get({name!r}, ...)")  # keep what it reported
    return nb


def _fair(course: Path, folder: Path) -> None:
    """Honest work: the instructor's own notebook, a blank release, a partial and wrong answer."""
    shutil.copy(course / "exercises" / "01-timeline.ipynb", folder / "teacher.ipynb")
    save(folder, "blank.ipynb", released(course, "01-timeline"))
    nb = released(course, "01-timeline")
    answer(nb, "n_context", "n_context = 175")
    answer(nb, "top_1980s", 'top_1980s = "Conflict"')
    answer(nb, "events_1970s", "events_1970s = 1 / 0")
    save(folder, "partial.ipynb", nb)


def _grade(folder: Path, course: Path, output: Path):
    return grade_folder(folder, exercises_dir=course / "exercises", output_dir=output,
                        options=Options(cell_timeout=30, timeout=TIMEOUT, jobs=1,
                                        memory_mb=MEMORY_MB, isolation="bubblewrap"))


def _rows(report) -> dict:
    return {(r["student"], r["question"]): r for r in report.rows()}


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """One batch as a non-root grader (nobody), and the same fair work graded as root."""
    base = tmp_path_factory.mktemp("userns")
    subs, output = base / "submissions", base / "grades"
    subs.mkdir()
    listener = _listener()
    dotfiles = [p for p in (Path.home() / n for n in (".bashrc", ".profile", ".gitconfig"))
                if p.exists()]
    hidden = [str(p) for p in (course, course / "exercises", subs, output, base, *dotfiles)]
    for name, code in (("a-who", WHO.format(hidden=hidden)), ("b-leave", LEAVE),
                       ("c-look", LOOK), ("d-net", NET.format(port=listener.getsockname()[1])),
                       ("e-asks", ASKS), ("f-forks", FORKS), ("g-children", CHILDREN)):
        save(subs, f"{name}.ipynb", _attack(course, code))
    fair = base / "fair"
    fair.mkdir()
    _fair(course, fair)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sandbox, "sandbox_uid", _not_root)
            report = _grade(subs, course, output)
            fair_nobody = _grade(fair, course, base / "fair-grades-nobody")
            write_report(report, output, exercises_dir=course / "exercises")
            protection = report.protection
        fair_root = _grade(fair, course, base / "fair-grades-root")
    finally:
        listener.close()
    return _rows(report), report, protection, output, fair_nobody, fair_root, hidden


def _answer(rows, student: str, question: str) -> str:
    return rows[(f"{student}.ipynb", question)]["answer"]


@needs_bwrap
def test_grading_as_nobody_runs_warm_kernels_as_nobody_with_no_capability(graded):
    rows, report, *_ = graded
    assert {o.kernel for o in report.outcomes} == {"warm"}
    ids = _answer(rows, "a-who", "ex01.top-category-1980s").split()
    assert ids == [str(NOBODY)] * 6 + ["0000000000000000"]
    assert int(_answer(rows, "a-who", "ex01.pm-gap-days")) < 10  # its own process namespace


@needs_bwrap
def test_grading_as_nobody_hides_course_submissions_output_and_home(graded):
    rows, *_, hidden = graded
    # course, instructor folder, submissions, output, the test's folder, the grader's dotfiles
    assert len(hidden) > 5 and _answer(rows, "a-who", "ex01.what-counts-show") == "N" * len(hidden)


@needs_bwrap
def test_grading_as_nobody_empties_tmp_and_dev_shm_between_submissions(graded):
    rows, *_ = graded
    assert rows[("b-leave.ipynb", "ex01.context-rows")]["status"] == "correct"
    assert rows[("c-look.ipynb", "ex01.context-rows")]["status"] == "correct"


@needs_bwrap
def test_grading_as_nobody_gives_no_network(graded):
    rows, *_ = graded
    assert _answer(rows, "d-net", "ex01.top-category-1980s") == "ConnectionRefusedError"


@needs_bwrap
def test_grading_as_nobody_input_fails_at_once(graded):
    rows, report, *_ = graded
    outcome = next(o for o in report.outcomes if o.student == "e-asks.ipynb")
    assert outcome.seconds < 25, outcome.seconds
    assert any("grader cannot type" in n for n in outcome.notes), outcome.notes
    assert rows[("e-asks.ipynb", "ex01.context-rows")]["status"] == "crashed"


@needs_bwrap
def test_grading_as_nobody_limits_memory_and_says_what_rlimit_nproc_does_here(graded):
    rows, report, protection, output, *_ = graded
    assert _answer(rows, "a-who", "ex01.events-1970s") == str(MAX_TASKS)  # the limit is set...
    started = int(_answer(rows, "f-forks", "ex01.context-rows"))
    if os.geteuid() == 0:  # ...but nobody is root mapped, and Linux exempts root from it
        assert started == 200 and "processes not limited" in protection
    row = rows[("g-children.ipynb", "ex01.context-rows")]
    assert row["status"] == "error" and "kernel died" in row["message"]  # the tree watchdog


@needs_bwrap
def test_the_protection_in_force_is_described_as_it_is_on_this_path(graded):
    rows, report, protection, output, *_ = graded
    assert "nobody" in protection and "user namespace" in protection
    assert "the slot's own user id" not in protection and "slot's own unprivileged" not in protection
    info = json.loads((output / "grading.json").read_text(encoding="utf-8"))
    assert info["protection"] == protection and info["isolation"]["security_boundary"]
    assert info["isolation"]["limits"] in protection
    page = next((output / "feedback").glob("a-who*.html")).read_text(encoding="utf-8")
    assert "nobody" in page


@needs_bwrap
def test_grades_as_nobody_equal_the_grades_as_root(graded):
    *_, fair_nobody, fair_root, _ = graded
    assert fair_root.protection != fair_nobody.protection
    nobody, root = _rows(fair_nobody), _rows(fair_root)
    assert nobody == root
    statuses = {r["status"] for r in root.values()}
    assert statuses == {"correct", "incorrect", "crashed", "unanswered"}  # a test of every kind


# --- what the protection text says on each path ---------------------------------------------

def test_the_limits_text_names_the_user_id_each_path_really_runs_as(monkeypatch):
    monkeypatch.setattr(sandbox, "sandbox_uid", lambda slot=0: 2_000_000 + slot)
    as_root = sandbox.limits_in_force()
    assert "under the slot's own user id" in as_root
    assert "slot's own unprivileged user id" in Isolation("bubblewrap").description
    monkeypatch.setattr(sandbox, "sandbox_uid", _not_root)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # an instructor's laptop
    laptop = sandbox.limits_in_force()
    assert f"at most {MAX_TASKS} processes" in laptop and "own user namespace" in laptop
    assert "slot's own user id" not in laptop
    description = Isolation("bubblewrap").description
    assert "nobody" in description and "every slot is nobody" in description
    assert "slot's own unprivileged" not in description and laptop in description
    monkeypatch.setattr(os, "geteuid", lambda: 0)  # root mapped to nobody (these tests)
    assert "processes not limited" in sandbox.limits_in_force()
    assert "not limited" in sandbox.limits_in_force("guard")


def test_a_normal_user_on_linux_before_5_14_gets_no_process_limit_and_is_told(monkeypatch):
    """There RLIMIT_NPROC would count every process of the grader's user (a desktop has more
    than 128 threads) and no kernel could start: it is not set, and the text says so."""
    import platform

    monkeypatch.setattr(sandbox, "sandbox_uid", _not_root)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)

    def tasks() -> str:
        argv = kernel_command(Isolation("bubblewrap"), workdir=Path("/w"), cwd=Path("/w/c"),
                              hide=[], keep=[])
        return argv[argv.index("--tasks") + 1]

    monkeypatch.setattr(platform, "release", lambda: "5.10.0-28-amd64")
    assert sandbox.task_limit() == 0 and tasks() == "0"
    assert "processes not limited" in sandbox.limits_in_force()
    assert "before 5.14" in Isolation("bubblewrap").description
    monkeypatch.setattr(platform, "release", lambda: "5.14.0")
    assert sandbox.task_limit() == MAX_TASKS and tasks() == str(MAX_TASKS)
    assert f"at most {MAX_TASKS} processes" in sandbox.limits_in_force()
    monkeypatch.setattr(sandbox, "sandbox_uid", lambda slot=0: 2_000_000)  # root: its own uid
    monkeypatch.setattr(platform, "release", lambda: "4.18.0")
    assert sandbox.task_limit() == MAX_TASKS


SYSTEM_PYTHON = Path("/usr/bin/python3")
RELEASE = os.uname().release.split("-")[0].split(".")[:2]
LINUX_5_14 = all(n.isdigit() for n in RELEASE) and tuple(map(int, RELEASE)) >= (5, 14)
FORK_20 = """import os, resource, time
resource.setrlimit(resource.RLIMIT_NPROC, (20, 20))
kids = []
for _ in range(40):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(3)
        os._exit(0)
    kids.append(pid)
print(len(kids))"""


@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv") or not SYSTEM_PYTHON.exists()
                    or not LINUX_5_14,
                    reason="needs root (to become another user), setpriv, /usr/bin/python3 and "
                           "Linux 5.14 or later")
def test_rlimit_nproc_as_a_non_root_grader_counts_the_sandboxs_own_processes(monkeypatch):
    """What the text claims of a non-root grader, shown with a real non-root user: in the
    sandbox of :func:`sandbox._bwrap_base` (no interpreter bound: the system's own Python,
    which any user can run) RLIMIT_NPROC holds, counting only the sandbox's processes and not
    the 30 the same user runs outside; without the user namespace those 30 count; root mapped
    to nobody is exempt."""
    monkeypatch.setattr(sandbox, "_python_paths", lambda: [])
    base = sandbox._bwrap_base(uid=None)
    user = ["setpriv", "--reuid", "54321", "--regid", "54321", "--clear-groups"]
    python = [str(SYSTEM_PYTHON), "-I", "-c", FORK_20]

    def forks(cmd) -> int:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return int(result.stdout.split()[-1]) if result.stdout.split() else -1

    outside = [subprocess.Popen([*user, "/usr/bin/sleep", "20"]) for _ in range(30)]
    try:
        in_sandbox = forks([*user, *base, "--", *python])
        no_namespace = forks([*user, *python])
        root_as_nobody = forks([*base, "--", *python])
    finally:
        for process in outside:
            process.kill()
            process.wait()
    assert 0 < in_sandbox < 20  # the limit holds; bwrap's pid 1 and python itself count too
    assert no_namespace == 0  # the user's 30 other processes already pass the limit of 20
    assert root_as_nobody == 40  # root is exempt, whatever it is mapped to


SLOTS = """import glob, os, socket, time
shared = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    shared.bind('\\0coursekit-one-name-for-both-slots')  # both slots bind it, at the same time
    bound = True
except OSError:
    bound = False
time.sleep(8)
seen = glob.glob('/tmp/ckg-*/*')  # the grader's temporary tree: slots, their logs and /etc files
top_1980s = ' '.join(sorted(os.path.basename(p) for p in seen))
n_context = 59 if bound and len(seen) == 1 else -1"""


@needs_bwrap
@pytest.mark.skipif(not zygote.available(), reason="warm kernels need Linux pidfds")
def test_two_slots_that_are_both_nobody_cannot_reach_each_other(as_nobody, course, tmp_path):
    """Every slot is nobody here, so only their namespaces keep two kernels apart: each sees
    only its own slot folder and has a network of its own (one abstract socket name, bound by
    both at once)."""
    subs = tmp_path / "submissions"
    for name in ("one", "two"):
        save(subs, f"{name}.ipynb", _attack(course, SLOTS))
    report = grade_folder(subs, exercises_dir=course / "exercises", output_dir=tmp_path / "g",
                          options=Options(cell_timeout=30, timeout=TIMEOUT, jobs=2,
                                          memory_mb=MEMORY_MB, isolation="bubblewrap"))
    rows = _rows(report)
    seen = {_answer(rows, name, "ex01.top-category-1980s") for name in ("one", "two")}
    assert seen == {"slot0", "slot1"}  # two slots, each seeing only itself
    assert {rows[(f"{n}.ipynb", "ex01.context-rows")]["status"] for n in ("one", "two")} == {
        "correct"}
