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

The kernel is started as ``python -m coursekit.sandbox [options] -- <ipykernel arguments>``.

>>> cmd = kernel_command(Isolation("guard", "test"), workdir=Path("/w"), cwd=Path("/w/c"),
...                      hide=[], keep=[])
>>> cmd[1:4], cmd[-2:]
(['-m', 'coursekit.sandbox', '--memory-mb'], ['-f', '{connection_file}'])
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["Isolation", "detect", "kernel_command", "bwrap_prefix", "kernel_env", "guard",
           "limit_resources", "main", "MODES", "PRELOAD"]

MODES = ("auto", "bubblewrap", "guard")
PRELOAD = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "IPython.display",
           "coursekit.data", "coursekit.plots", "coursekit.checks")
TMPFS_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Isolation:
    """The protection in force: ``mode`` (``bubblewrap`` or ``guard``) and what it means."""

    mode: str
    reason: str = ""

    @property
    def description(self) -> str:
        """One sentence for the report and the feedback pages.

        >>> Isolation("guard", "bwrap is not installed").description.startswith("guard:")
        True
        """
        if self.mode == "bubblewrap":
            return ("bubblewrap: each kernel ran without network, with the file system read-only "
                    "and the course, submissions and grades folders hidden; only its throwaway "
                    "working copy was writable")
        return ("guard: each kernel ran in a throwaway working copy with an audit hook refusing "
                "writes outside it, reads of the course and submissions, programs and network "
                f"(best effort, not a security boundary; {self.reason})")


def _bwrap_base(tmp_bytes: int = TMPFS_BYTES) -> list[str]:
    return ["bwrap", "--die-with-parent", "--new-session", "--unshare-all", "--cap-drop", "ALL",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--size", str(tmp_bytes), "--tmpfs", "/tmp"]


@lru_cache(maxsize=1)
def _bwrap_works() -> str:
    """Return "" if bubblewrap can run Python here, else the reason it cannot."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux, this is {sys.platform}"
    if shutil.which("bwrap") is None:
        return "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    # Bind the interpreter's prefix back, as grading does (keep): a venv under /tmp would
    # otherwise vanish under the sandbox's empty /tmp and the probe would fail for that alone.
    prefix = str(Path(sys.prefix).resolve())
    cmd = _bwrap_base() + ["--ro-bind", prefix, prefix,
                           "--", sys.executable, "-c", "import socket, sys; sys.exit(0)"]
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
    from coursekit.execute import KERNEL_ENV

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
                   memory_mb: int = 4096, file_mb: int = 256) -> list[str]:
    """Return the command that starts one submission's kernel (``{connection_file}`` unfilled).

    Args:
        isolation: from :func:`detect`.
        workdir: the submission's throwaway working copy (the only writable place).
        cwd: the kernel's working directory, inside ``workdir``.
        hide: folders the kernel must not see (course, submissions, grades, other copies).
        keep: folders inside hidden ones that it needs to read (the venv, the library).
        memory_mb: address-space limit of the kernel.
        file_mb: largest file the kernel may write.
    """
    launcher = [sys.executable, "-m", "coursekit.sandbox", "--memory-mb", str(memory_mb),
                "--file-mb", str(file_mb)]
    if isolation.mode == "guard":
        launcher += ["--guard-write", str(workdir)]
        launcher += [arg for path in hide for arg in ("--guard-hide", str(path))]
        launcher += [arg for path in [workdir, *keep] for arg in ("--guard-keep", str(path))]
    launcher += ["--", "-f", "{connection_file}"]
    if isolation.mode != "bubblewrap":
        return launcher
    return bwrap_prefix(hide=hide, keep=keep, writable=workdir, cwd=cwd) + launcher


def bwrap_prefix(*, hide, keep, writable: Path, cwd: Path) -> list[str]:
    """The ``bwrap ... --`` part of a sandboxed command (see the module docstring).

    Args:
        hide: folders replaced by empty ones (only those that exist).
        keep: folders inside hidden ones bound back read-only.
        writable: the one folder bound read-write.
        cwd: the working directory inside the sandbox.

    >>> prefix = bwrap_prefix(hide=[], keep=[], writable=Path("/w"), cwd=Path("/w"))
    >>> prefix[0], prefix[-1], "--unshare-all" in prefix
    ('bwrap', '--', True)
    """
    cmd = _bwrap_base()
    for path in hide:
        if Path(path).is_dir():
            cmd += ["--tmpfs", str(path)]
    for path in keep:
        if Path(path).exists():
            cmd += ["--ro-bind", str(path), str(path)]
    return cmd + ["--bind", str(writable), str(writable), "--chdir", str(cwd),
                  "--unsetenv", "JPY_PARENT_PID", "--"]


# --- inside the kernel process ------------------------------------------------------------

_WRITE_EVENTS = {"os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate",
                 "os.utime", "os.chflags", "os.lchflags", "os.setxattr", "os.removexattr",
                 "shutil.rmtree", "shutil.chown"}
_TWO_PATH_EVENTS = {"os.rename", "os.link", "shutil.copyfile", "shutil.copymode",
                    "shutil.copystat", "shutil.copytree", "shutil.move"}
_MOVES = {"os.rename", "shutil.move"}
_READ_EVENTS = {"os.listdir", "os.scandir", "os.chdir", "glob.glob", "os.listxattr",
                "os.getxattr"}
_DENIED = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
           "os.forkpty", "pty.spawn", "os.startfile", "socket.connect", "socket.sendto",
           "socket.sendmsg", "socket.getaddrinfo", "ctypes.dlopen", "ctypes.dlsym",
           "ctypes.cdata", "os.symlink"}


def guard(write_roots, hidden, keep) -> None:
    """Install the audit hook of the ``guard`` isolation in this process (it cannot be removed).

    Args:
        write_roots: the only folders the process may change.
        hidden: folders it may not read at all (unless inside ``keep``).
        keep: folders inside hidden ones it may still read.
    """
    real = os.path.realpath
    writable = [real(p) for p in write_roots] + ["/dev/null"]
    secret = [real(p) for p in hidden]
    allowed = [real(p) for p in keep]
    flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    busy = []

    def under(path: str, roots) -> bool:
        return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)

    def where(value) -> str | None:
        if isinstance(value, int) or value is None:
            return None
        try:
            return real(os.fsdecode(os.fspath(value)))
        except (TypeError, ValueError):
            return None

    def refuse(event, path):
        raise PermissionError(f"coursekit grader: {event} {path!r} is not allowed while "
                              "grading; work inside the notebook's own folder.")

    def hook(event, args):
        if busy or not (event == "open" or event in _WRITE_EVENTS or event in _TWO_PATH_EVENTS
                        or event in _READ_EVENTS or event in _DENIED):
            return
        busy.append(1)
        try:
            if event in _DENIED:
                refuse(event, args[0] if args else "")
            if event == "open":
                path = where(args[0])
                mode, flag = args[1], args[2] if len(args) > 2 else 0
                writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(
                    isinstance(flag, int) and flag & flags)
                if path and writing and not under(path, writable):
                    refuse("writing", path)
                if path and under(path, secret) and not under(path, allowed):
                    refuse("opening", path)
            elif event in _WRITE_EVENTS or event in _TWO_PATH_EVENTS:
                # Copies change only their target; renames and moves change both ends.
                changed = (args[:1] if event in _WRITE_EVENTS else
                           args[:2] if event in _MOVES else args[1:2])
                for value in changed:
                    path = where(value)
                    if path and not under(path, writable):
                        refuse(event, path)
                if event in _TWO_PATH_EVENTS:
                    source = where(args[0])
                    if source and under(source, secret) and not under(source, allowed):
                        refuse(event, source)
            elif event in _READ_EVENTS:
                path = where(args[0]) if args else None
                if path and under(path, secret) and not under(path, allowed):
                    refuse(event, path)
        finally:
            busy.pop()

    sys.addaudithook(hook)


def limit_resources(memory_mb: int, file_mb: int) -> None:
    """Cap this process's memory and file size, forbid core dumps; call it in the kernel."""
    import signal

    try:
        import resource
    except ImportError:  # Windows: no POSIX resource limits
        return

    for limit, value in ((resource.RLIMIT_AS, memory_mb), (resource.RLIMIT_FSIZE, file_mb)):
        if value > 0:
            try:
                resource.setrlimit(limit, (value * 1024 * 1024, value * 1024 * 1024))
            except (ValueError, OSError):
                pass
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    # A write past the file-size limit fails with an error instead of killing the kernel.
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def main(argv: list[str] | None = None) -> None:
    """Start an ipykernel under the limits and (for ``guard``) the audit hook; never returns."""
    import argparse
    import importlib
    import runpy

    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(prog="python -m coursekit.sandbox")
    parser.add_argument("--memory-mb", type=int, default=4096)
    parser.add_argument("--file-mb", type=int, default=256)
    parser.add_argument("--guard-write", action="append", default=[])
    parser.add_argument("--guard-hide", action="append", default=[])
    parser.add_argument("--guard-keep", action="append", default=[])
    options = parser.parse_args(argv[:split])
    limit_resources(options.memory_mb, options.file_mb)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # a missing optional module only costs time later
            pass
    if options.guard_write:
        guard(options.guard_write, options.guard_hide, options.guard_keep)
    sys.argv = ["ipykernel_launcher", *argv[split + 1:], "--HistoryManager.enabled=False"]
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


if __name__ == "__main__":  # pragma: no cover
    main()
