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
import sys
from pathlib import Path

import nbformat
import pytest
from grading import answer, by_question, released, save

from coursekit.assess.grade import Options, grade_folder, write_report
from coursekit.kernels import sandbox, zygote
from coursekit.kernels.sandbox import MAX_TASKS, NOBODY, Isolation, etc_files, kernel_command

BWRAP = sandbox.detect("auto").mode == "bubblewrap"
pytestmark = pytest.mark.skipif(not BWRAP, reason="bubblewrap cannot create a sandbox here")
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
}
for path in ('/tmp/ck-left', '/dev/shm/ck-left'):  # for the next kernel of this slot to find
    open(path, 'w').write('left by the last submission')
print(json.dumps(facts))
"""


@pytest.fixture
def host(tmp_path):
    """What a kernel must not reach: a course, submissions, an output folder, the host's secrets,
    a TCP listener on 127.0.0.1 and an abstract Unix socket."""
    folders = {name: tmp_path / name for name in ("course", "submissions", "grades")}
    for name, folder in folders.items():
        folder.mkdir()
        (folder / f"{name}-secret.txt").write_text("answer: 59\n")
    tcp = socket.create_server(("127.0.0.1", 0))
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
        zygote_status = Path(f"/proc/{warm.process.pid}/status").read_text()
        assert "NSpid" in zygote_status  # the zygote runs inside bwrap, not as the grader
    finally:
        warm.close()

