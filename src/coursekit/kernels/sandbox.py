"""Isolate a submission's kernel: bubblewrap where it works, a guarded process everywhere else.

Two levels of protection, chosen by :func:`detect` and reported by ``coursekit grade``:

- ``bubblewrap`` (Linux with the ``bwrap`` program, Debian package ``bubblewrap``): the kernel
  runs in new namespaces with no network, the whole file system read-only, ``/tmp`` an empty
  size-limited tmpfs, and the course folder, the submissions, the grader's output and the other
  students' working copies replaced by empty folders; only its own throwaway working copy is
  writable. Its processes all die with it.
- ``guard`` (no working ``bwrap``): the kernel runs in its throwaway working copy with a
  minimal environment, and a Python audit hook refuses writes outside that copy, reading the
  hidden folders, starting programs, network connections and ``ctypes``. This stops accidents
  and casual tampering, but it is not a security boundary: install bubblewrap for untrusted
  submissions.

Both set resource limits (memory, file size, no core dumps) and preload the heavy modules the
exercises import (``pandas``, ``matplotlib``, ``coursekit``) before the kernel starts; each
submission still gets a new kernel process of its own.

The kernel is started as ``python -m coursekit.kernels.sandbox [options] -- <ipykernel arguments>``.

>>> cmd = kernel_command(Isolation("guard", "test"), workdir=Path("/w"), cwd=Path("/w/c"),
...                      hide=[], keep=[])
>>> cmd[1:4], cmd[-2:]
(['-m', 'coursekit.kernels.sandbox', '--memory-mb'], ['-f', '{connection_file}'])
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from coursekit.course import defaults
from coursekit.kernels.kernelside import PRELOAD, drop_privileges, guard, limit_resources, preload

__all__ = ["Isolation", "detect", "kernel_command", "bwrap_prefix", "kernel_env", "guard",
           "limit_resources", "limits_in_force", "sandbox_uid", "etc_files", "drop_privileges",
           "main", "MODES", "PRELOAD", "MAX_TASKS", "task_limit"]

MODES = ("auto", "bubblewrap", "guard")
TMPFS_BYTES = 256 * 1024 * 1024
SHM_BYTES = 64 * 1024 * 1024  # /dev/shm: RAM too, so it is capped like /tmp, and smaller
MAX_TASKS = 128  # processes and threads of one slot's user (a kernel uses about 10)
NOBODY = 65534
HOST_ETC = ("fonts", "ld.so.cache")  # the only host files under /etc a kernel sees


@dataclass(frozen=True)
class Isolation:
    """The protection in force: ``mode`` (``bubblewrap`` or ``guard``) and what it means."""

    mode: str
    reason: str = ""

    @property
    def is_security_boundary(self) -> bool:
        """True only for bubblewrap: the guard stops accidents, not a determined student.

        >>> Isolation("guard").is_security_boundary, Isolation("bubblewrap").is_security_boundary
        (False, True)
        """
        return self.mode == "bubblewrap"

    @property
    def warning(self) -> str:
        """The line to show first in every run and on every page, or "" under bubblewrap.

        >>> Isolation("guard", "bwrap is not installed").warning.startswith("WARNING")
        True
        """
        if self.is_security_boundary:
            return ""
        return ("WARNING: the guard is not a security boundary: a submission could read files "
                "this user can read, see the grader's processes and reach local network "
                f"services. Install bubblewrap before grading untrusted work ({self.reason}).")

    @property
    def limits(self) -> str:
        """How memory and processes are limited (see :func:`limits_in_force`)."""
        return limits_in_force(self.mode)

    @property
    def description(self) -> str:
        """One sentence for the report and the feedback pages.

        >>> Isolation("guard", "bwrap is not installed").description.startswith("guard:")
        True
        """
        if self.mode == "bubblewrap":
            who = ("its slot's own unprivileged user id" if sandbox_uid(0) is not None else
                   "the unprivileged user nobody in a user namespace of its own (the grader's "
                   "user id mapped, no capabilities; every slot is nobody)")
            return (f"bubblewrap: each kernel ran as {who} without network, seeing "
                    "only the Python installation, /usr and its own working copy (no /etc, home "
                    "folders, course or other submissions); /tmp and /dev/shm were small private "
                    f"RAM folders emptied between submissions; {self.limits}")
        return ("guard: each kernel ran in a throwaway working copy with an audit hook refusing "
                "writes outside it, reads of the course and submissions, programs and network "
                f"(best effort, not a security boundary; {self.reason})")


def limits_in_force(mode: str = "bubblewrap") -> str:
    """Say how a kernel's memory and processes are limited on this machine (no cgroup).

    Linux counts ``RLIMIT_NPROC`` (threads too) per real user id and, since 5.14, per user
    namespace: as root, each slot's own user id (:func:`sandbox_uid`); else the slot's own
    namespace, where the grader is ``nobody`` (older kernels: :func:`task_limit`). Root is
    exempt, even mapped to nobody (as only tests do). Memory is capped per process
    (``RLIMIT_AS``) and, for warm kernels, for the whole process tree by the slot's zygote.

    >>> "processes" in limits_in_force()
    True
    """
    if mode != "bubblewrap":
        return ("memory limited per process (RLIMIT_AS) and file size (RLIMIT_FSIZE); processes "
                "not limited (the guard runs as the grader's user)")
    processes = f"at most {MAX_TASKS} processes and threads per slot (RLIMIT_NPROC " + (
        "under the slot's own user id)" if sandbox_uid(0) is not None else
        "counted in the slot's own user namespace)")
    if not task_limit():
        processes = ("processes not limited (Linux before 5.14 would count RLIMIT_NPROC across "
                     "all the grader's own processes, so it is not set)")
    elif sandbox_uid(0) is None and hasattr(os, "geteuid") and os.geteuid() == 0:
        processes = (f"processes not limited (RLIMIT_NPROC is set to {MAX_TASKS}, but nobody's "
                     "real user id here is root, which Linux exempts from it)")
    return (f"{processes}; memory limited per process (RLIMIT_AS) and for the kernel's "
            "whole process tree (the slot's zygote polls it every 50 ms and kills the tree past "
            "the limit); no cgroup is used")


def task_limit() -> int:
    """A kernel's ``RLIMIT_NPROC``: :data:`MAX_TASKS`, or 0 (none) for a grader that is not root
    on Linux before 5.14, which counts all of its user's processes (a desktop alone has more
    than 128 threads): no kernel could start its own threads.

    >>> task_limit() in (0, MAX_TASKS)
    True
    """
    import platform

    release = platform.release().split("-")[0].split(".")[:2]
    recent = all(n.isdigit() for n in release) and tuple(map(int, release)) >= (5, 14)
    return MAX_TASKS if sandbox_uid(0) is not None or recent else 0


def _bwrap_base(tmp_bytes: int = TMPFS_BYTES, uid: int | None = None) -> list[str]:
    """The namespaces, /dev, /proc and the private RAM folders of a sandbox.

    As root, bubblewrap keeps only the two capabilities the launcher needs to drop to the
    slot's unprivileged user id (:func:`drop_privileges`); otherwise it maps the caller to
    ``nobody`` in a user namespace. Either way the kernel runs with no capability at all.
    """
    cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid",
           "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if uid is not None:
        cmd += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY), "--cap-drop", "ALL"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / top
        if host.is_symlink():
            cmd += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            cmd += ["--ro-bind", str(host), str(host)]
    cmd += ["--ro-bind", "/usr", "/usr", "--dev", "/dev", "--proc", "/proc",
            "--size", str(tmp_bytes), "--perms", "1777", "--tmpfs", "/tmp",
            "--size", str(SHM_BYTES), "--perms", "1777", "--tmpfs", "/dev/shm"]
    made = {"/", "/usr", "/dev", "/proc", "/tmp", "/dev/shm"}
    for path in _python_paths():
        cmd += _ro_bind(path, made)
    return cmd


def _python_paths() -> list[Path]:
    """The interpreter's installation: the venv, the base prefix, the library's own folder."""
    found = []
    for path in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                 Path(sys.executable).resolve().parent.parent, Path(__file__).resolve().parents[2]):
        path = Path(path).resolve()
        if not any(path == p or path.is_relative_to(p) for p in found) and str(path) != "/":
            found = [p for p in found if not p.is_relative_to(path)] + [path]
    return [p for p in found if not p.is_relative_to("/usr")]


def _parents(path: Path, made: set) -> list[str]:
    """``--dir`` for each missing parent, world-traversable (bwrap would copy a 0700 /root)."""
    cmd = []
    for parent in reversed(path.parents):
        if str(parent) not in made:
            made.add(str(parent))
            cmd += ["--perms", "0755", "--dir", str(parent)]
    return cmd


def _ro_bind(path: Path, made: set) -> list[str]:
    if not Path(path).exists():
        return []
    made.add(str(path))
    return _parents(Path(path), made) + ["--ro-bind", str(path), str(path)]


def sandbox_uid(slot: int = 0) -> int | None:
    """The unprivileged user id a slot's kernels run as when grading as root, else None.

    Unique to this grader process and slot, so the process limit counts only that slot's
    processes (root itself is exempt from it).
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    return 2_000_000 + (os.getpid() % 100_000) * 16 + slot % 16


def etc_files(folder: Path, uid: int | None) -> Path:
    """Write the sandbox's whole /etc: a passwd and group naming its one user, nothing else."""
    inside = NOBODY if uid is None else uid
    etc = Path(folder) / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "passwd").write_text(f"root:x:0:0:root:/:/usr/sbin/nologin\n"
                                f"student:x:{inside}:{inside}:student:/tmp:/usr/sbin/nologin\n"
                                f"nobody:x:{NOBODY}:{NOBODY}:nobody:/:/usr/sbin/nologin\n")
    (etc / "group").write_text(f"root:x:0:\nstudent:x:{inside}:\nnogroup:x:{NOBODY}:\n")
    (etc / "hostname").write_text("grader\n")
    for name in ("passwd", "group", "hostname"):
        os.chmod(etc / name, 0o644)
    os.chmod(etc, 0o755)
    return etc


@lru_cache(maxsize=1)
def _bwrap_works() -> str:
    """Return "" if bubblewrap can run Python here, else the reason it cannot."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux, this is {sys.platform}"
    if shutil.which("bwrap") is None:
        return "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    # The same variant grading uses: as root, the capabilities to drop to the slot's user.
    cmd = _bwrap_base(uid=sandbox_uid(0)) + ["--", sys.executable, "-c",
                                             "import socket, sys; sys.exit(0)"]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not start ({exc})"
    if result.returncode != 0:
        first = (result.stderr.strip().splitlines() or ["no message"])[0]
        return f"bwrap cannot create a sandbox here ({first})"
    return ""


def detect(requested: str = "auto") -> Isolation:
    """Return the isolation to use: bubblewrap if asked for or available, else the guard.

    Args:
        requested: ``auto`` (the best available), ``bubblewrap`` (required) or ``guard``.

    Raises:
        CourseError: ``bubblewrap`` was required but cannot run here (the message says why).

    >>> detect("guard").mode
    'guard'
    """
    from coursekit.errors import CourseError

    if requested not in MODES:
        raise CourseError(f"isolation {requested!r} is not one of {', '.join(MODES)}.")
    if requested == "guard":
        return Isolation("guard", "chosen with --isolation guard")
    problem = _bwrap_works()
    if not problem:
        return Isolation("bubblewrap")
    if requested == "bubblewrap":
        raise CourseError(f"--isolation bubblewrap: {problem}. Install bubblewrap or use "
                          "--isolation auto to fall back to the guard.")
    return Isolation("guard", problem)


def kernel_env(workdir: Path) -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's (no tokens), paths in ``workdir``.

    >>> env = kernel_env(Path("/w")); env["HOME"], env["PYTHONHASHSEED"]
    ('/w/home', '0')
    """
    from coursekit.kernels.execute import KERNEL_ENV

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "HOME": str(workdir / "home"), "TMPDIR": str(workdir / "tmp"),
        "MPLCONFIGDIR": str(workdir / "mpl"), "IPYTHONDIR": str(workdir / "ipython"),
        "JUPYTER_CONFIG_DIR": str(workdir / "jupyter"), "JUPYTER_DATA_DIR": str(workdir / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(workdir / "jupyter"),
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
    }
    env.update(KERNEL_ENV)
    return env


def kernel_command(isolation: Isolation, *, workdir: Path, cwd: Path, hide, keep,
                   memory_mb: int = defaults.MEMORY_MB, file_mb: int = defaults.FILE_MB,
                   uid: int | None = None,
                   etc: Path | None = None) -> list[str]:
    """Return the command that starts one submission's kernel (``{connection_file}`` unfilled).

    Args:
        isolation: from :func:`detect`.
        workdir: the submission's throwaway working copy (the only writable place).
        cwd: the kernel's working directory, inside ``workdir``.
        hide: folders the kernel must not see (course, submissions, grades, other copies).
        keep: folders inside hidden ones that it needs to read (the venv, the library).
        memory_mb: address-space limit of the kernel.
        file_mb: largest file the kernel may write.
        uid: the unprivileged user id to run as (grading as root, see :func:`sandbox_uid`).
        etc: the folder of generated /etc files (see :func:`etc_files`).
    """
    launcher = [sys.executable, "-m", "coursekit.kernels.sandbox", "--memory-mb", str(memory_mb),
                "--file-mb", str(file_mb)]
    if isolation.mode == "bubblewrap":
        launcher += ["--tasks", str(task_limit())] + (["--as-uid", str(uid)] if uid is not None else [])
    if isolation.mode == "guard":
        launcher += ["--guard-write", str(workdir)]
        launcher += [arg for path in hide for arg in ("--guard-hide", str(path))]
        launcher += [arg for path in [workdir, *keep] for arg in ("--guard-keep", str(path))]
    launcher += ["--", "-f", "{connection_file}"]
    if isolation.mode != "bubblewrap":
        return launcher
    return bwrap_prefix(hide=hide, keep=keep, writable=workdir, cwd=cwd, uid=uid,
                        etc=etc) + launcher


def bwrap_prefix(*, hide, keep, writable: Path, cwd: Path, uid: int | None = None,
                 etc: Path | None = None) -> list[str]:
    """The ``bwrap ... --`` part of a sandboxed command (see the module docstring).

    Nothing of the host is bound but ``/usr`` (and ``/bin``, ``/lib``...), the Python
    installation, the ``keep`` folders (read-only), the generated ``etc`` files and the one
    ``writable`` folder; ``hide`` is accepted for the guard's sake and needs nothing here.

    Args:
        hide: folders the kernel must not see (under bubblewrap they are simply not bound).
        keep: folders bound read-only (the library, when it is not installed in the venv).
        writable: the one folder bound read-write.
        cwd: the working directory inside the sandbox.
        uid: the user id the launcher drops to (grading as root), or None (``nobody`` in a
            user namespace).
        etc: the folder of generated /etc files (see :func:`etc_files`).

    >>> prefix = bwrap_prefix(hide=[], keep=[], writable=Path("/w"), cwd=Path("/w"))
    >>> prefix[0], prefix[-1], "--unshare-net" in prefix, "/etc" in prefix
    ('bwrap', '--', True, False)
    """
    cmd = _bwrap_base(uid=uid)
    made = {"/", "/usr", "/dev", "/proc", "/tmp", "/dev/shm", *map(str, _python_paths())}
    for path in keep:
        cmd += _ro_bind(Path(path), made)
    if etc is not None:
        cmd += ["--perms", "0755", "--dir", "/etc"]
        for name in ("passwd", "group", "hostname"):
            cmd += ["--ro-bind", str(Path(etc) / name), f"/etc/{name}"]
        for name in HOST_ETC:  # not secret, and fontconfig or the loader look for them
            if Path("/etc", name).exists():
                cmd += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return cmd + _parents(Path(writable), made) + [
        "--bind", str(writable), str(writable), "--chdir", str(cwd),
        "--unsetenv", "JPY_PARENT_PID", "--"]


def main(argv: list[str] | None = None) -> None:
    """Start an ipykernel under the limits and (for ``guard``) the audit hook; never returns."""
    import argparse
    import runpy

    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(prog="python -m coursekit.kernels.sandbox")
    parser.add_argument("--memory-mb", type=int, default=defaults.MEMORY_MB)
    parser.add_argument("--file-mb", type=int, default=256)
    parser.add_argument("--guard-write", action="append", default=[])
    parser.add_argument("--guard-hide", action="append", default=[])
    parser.add_argument("--guard-keep", action="append", default=[])
    parser.add_argument("--tasks", type=int, default=0)
    parser.add_argument("--as-uid", type=int)
    options = parser.parse_args(argv[:split])
    if options.as_uid is not None:
        drop_privileges(options.as_uid)
    limit_resources(options.memory_mb, options.file_mb, options.tasks)
    preload()
    if options.guard_write:
        guard(options.guard_write, options.guard_hide, options.guard_keep)
    sys.argv = ["ipykernel_launcher", *argv[split + 1:], "--HistoryManager.enabled=False"]
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


if __name__ == "__main__":  # pragma: no cover
    main()
