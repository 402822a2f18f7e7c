"""Inside a kernel: the heavy imports done once, the guard's audit hook, resource limits, dropping root.

These run in the kernel process (or the zygote it is forked from) before any notebook code;
:mod:`coursekit.kernels.sandbox` builds the commands that call them and re-exports them.

>>> "pandas" in PRELOAD and PRELOAD[0] == "ipykernel.kernelapp"
True
>>> preload_for(["def gap(a, b):\\n    return b - a"]) == BASE
True
>>> preload_for(["import pandas as pd", "from coursekit.data import load"])[-3:]
('coursekit.data', 'coursekit.plots', 'coursekit.checks')
"""

from __future__ import annotations

import os
import re
import sys

__all__ = ["guard", "limit_resources", "drop_privileges", "preload", "preload_for", "PRELOAD",
           "BASE", "BY_PACKAGE"]

# What every kernel imports before a notebook's first cell, whatever the notebook: ipykernel and
# what its start-up imports (the debugger alone is 0.08 s a kernel). None starts a thread, so
# a process that imported them may fork.
BASE = ("ipykernel.kernelapp", "ipykernel.debugger", "IPython.core.completerlib",
        "IPython.extensions.storemagic", "IPython.display")
# What the lessons' and exercises' setup cells import, by the top-level package a cell names.
BY_PACKAGE = {"numpy": ("numpy",), "pandas": ("pandas",),
              "matplotlib": ("matplotlib", "matplotlib.pyplot"),
              "coursekit": ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "coursekit.data",
                            "coursekit.plots", "coursekit.checks")}
# The one list of what a kernel may have imported for it: the fork server imports these once
# and forks (the build's; a grading slot's imports only what its sets need, see preload_for);
# a cold sandboxed kernel imports them before ipykernel starts.
PRELOAD = tuple(dict.fromkeys(BASE + tuple(n for names in BY_PACKAGE.values() for n in names)))
_IMPORT = re.compile(r"^[ \t]*(?:from|import)[ \t]+([A-Za-z_]\w*)", re.M)


def preload_for(sources) -> tuple[str, ...]:
    """What a fork server should import for kernels that will run ``sources`` (code, as text).

    :data:`BASE` and the modules of :data:`BY_PACKAGE` whose package the code imports: a set
    that needs no pandas does not pay 1 s a slot for it. Only an instructor's notebooks may
    decide this (a submission must not choose what the slot's zygote imports); a module not
    preloaded is imported by the kernel when a cell asks, so this changes speed, never results.
    """
    named = {match for text in sources for match in _IMPORT.findall(text)}
    wanted = [n for package, names in BY_PACKAGE.items() if package in named for n in names]
    return tuple(dict.fromkeys(BASE + tuple(wanted)))


def preload(names=PRELOAD) -> None:
    """Import ``names`` now; one that fails is skipped (the notebook imports and reports it)."""
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a missing optional module only costs time later
            pass


def drop_privileges(uid: int) -> None:
    """Become ``uid`` (no groups, no capability left); refuse to run on as root."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() == 0 or os.geteuid() == 0:
        raise SystemExit("coursekit sandbox: could not drop root privileges")


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


def limit_resources(memory_mb: int, file_mb: int, tasks: int = 0) -> None:
    """Cap this process's memory, file size and (``tasks``) its user's processes; no core dumps."""
    import signal

    try:
        import resource
    except ImportError:  # Windows: no POSIX resource limits
        return

    for limit, value in ((resource.RLIMIT_AS, memory_mb * 1024 * 1024),
                         (resource.RLIMIT_FSIZE, file_mb * 1024 * 1024),
                         (resource.RLIMIT_NPROC, tasks)):
        if value > 0:
            try:
                resource.setrlimit(limit, (value, value))
            except (ValueError, OSError):
                pass
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    # A write past the file-size limit fails with an error instead of killing the kernel.
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
