"""Inside a slot's zygote: watch a kernel's process tree and clean the slot after it.

Under bubblewrap the slot has its own process namespace, so every process but pid 1 (bwrap)
and the zygote is the kernel's; without it (the guard) the zygote is a child subreaper, so
what a kernel detached comes back to it as a child. :mod:`coursekit.kernels.zygote` calls these.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

__all__ = ["sweep", "tree_memory", "kill_others", "WATCH_SECONDS"]

WATCH_SECONDS = 0.05


def tree_memory() -> int:
    """Resident memory of every process in the slot's sandbox but pid 1 and the zygote."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in _others():
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            pass
    return total


def kill_others() -> None:
    for pid in _others():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _others() -> list[int]:
    me = os.getpid()
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and int(e) not in (1, me)]


def sweep(child: int, sandboxed: bool) -> bool:
    """Kill what the kernel left behind; return False if the slot could not be cleaned."""
    try:
        os.killpg(child, signal.SIGKILL)
    except OSError:
        pass
    if not sandboxed:
        return _reap_descendants()
    # In the slot's own process namespace, everything but pid 1 (bwrap) and us is a leftover.
    if not _kill_until_gone(_others):
        return False
    _wipe_tmp()
    return True


def _kill_until_gone(find) -> bool:
    """SIGKILL what ``find()`` lists and reap it, until it lists nothing (False: still there
    after about a second, e.g. a process stuck in the kernel)."""
    for _ in range(50):
        left = find()
        if not left:
            return True
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        time.sleep(0.02)
    return False


def _children() -> list[int]:
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    # The command name may hold spaces and parentheses: ppid follows the last ")".
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == me:
                found.append(int(entry))
    return found


def _reap_descendants() -> bool:
    """Without a process namespace: kill every process the kernel left (daemons included).

    The zygote is a child subreaper, so a process that detached itself (fork, setsid, fork
    again) is re-parented to it instead of to init, and is found and killed here.
    """
    return _kill_until_gone(_children)


def _remove(entry: Path) -> None:
    """Remove a file, link or folder tree, whatever a kernel left there."""
    import shutil

    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        try:
            entry.unlink()
        except OSError:
            pass


def _wipe_tmp() -> None:
    """Empty the sandbox's private /tmp and /dev/shm, except the path down to the slot's folder."""
    for entry in Path("/dev/shm").iterdir() if Path("/dev/shm").is_dir() else []:
        _remove(entry)
    keep = Path.cwd().resolve()
    folder = Path("/tmp")
    if not keep.is_relative_to(folder):
        return
    while folder != keep:
        step = keep.relative_to(folder).parts[0]
        for entry in folder.iterdir():
            if entry.name != step:
                _remove(entry)
        folder = folder / step
