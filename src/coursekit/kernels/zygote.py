"""Warm grading kernels: fork each submission's kernel from a sandboxed process with the imports done.

A cold kernel costs a Python start-up, ipykernel, pandas and Matplotlib: more CPU than most
submissions' own work. ``coursekit grade`` therefore runs one *zygote* per parallel slot: a
process that imports those modules once, inside the same isolation as a kernel
(:mod:`coursekit.kernels.sandbox`), and forks a new kernel process for each submission of its slot.

Each submission still gets a kernel process of its own that no other code ran in, and the
zygote cleans up between two submissions of its slot:

- the zygote never runs submitted code and holds nothing secret (no key, no answers); it is
  not dumpable, so a kernel cannot trace it or read its memory;
- when a kernel ends, or its stand-in process (the *stub*) is killed by the grader, every
  process left in the slot's sandbox is killed (under bubblewrap the slot has its own process
  namespace, so this is every process but the zygote) and the sandbox's ``/tmp`` is emptied;
- the slot's sandbox sees only the slot's own folder, never another slot's;
- a zygote that dies (a submission may kill it) is replaced, and a slot that cannot fork falls
  back to cold kernels.

How it plugs into Jupyter: the grader sends the zygote a request and one end of a fresh socket
pair; the kernel command that ``jupyter_client`` starts is a tiny stub that inherits the other
end. The stub says "go" (the connection file exists by then), the zygote forks, and the stub
lives exactly as long as the kernel: it exits with the kernel's status, and killing it kills
the kernel. Linux only (``os.fork``, ``os.pidfd_open``, file-descriptor passing).

>>> STUB.startswith("import os, signal, socket, sys")
True
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

from coursekit.kernels.sandbox import PRELOAD as KERNEL_PRELOAD
from coursekit.kernels.slotclean import WATCH_SECONDS, kill_others, sweep, tree_memory

__all__ = ["Zygote", "available", "PRELOAD", "STUB"]

PRELOAD = ("ipykernel.kernelapp", *KERNEL_PRELOAD)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36

# The stub: the process jupyter_client manages in place of the kernel (stdlib only, no site).
STUB = """import os, signal, socket, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
channel = socket.socket(fileno=int(sys.argv[1]))
channel.sendall(b"go\\n")
data = b""
while b"exit " not in data or not data.endswith(b"\\n"):
    chunk = channel.recv(4096)
    if not chunk:
        break
    data += chunk
words = data.split()
sys.exit(int(words[words.index(b"exit") + 1]) if b"exit" in words[:-1] else 1)
"""


def available() -> bool:
    """True where warm kernels can work (Linux with pidfds) and ``COURSEKIT_WARM_KERNELS`` allows.

    >>> available() in (True, False)
    True
    """
    return (sys.platform.startswith("linux") and hasattr(os, "fork") and hasattr(os, "pidfd_open")
            and hasattr(socket, "send_fds")
            and os.environ.get("COURSEKIT_WARM_KERNELS", "1") != "0")


class Zygote:
    """The fork server of one grading slot.

    Args:
        folder: the slot's folder: the only writable place, where its working copies go.
        isolation: from :func:`coursekit.kernels.sandbox.detect`.
        hide, keep: as for :func:`coursekit.kernels.sandbox.kernel_command`.
        env: the environment it starts with (the kernels' environment, paths in ``folder``).
        log: where the zygote's own error output goes (outside the sandbox).
    """

    def __init__(self, folder: Path, isolation, *, hide, keep, env: dict, log: Path,
                 uid: int | None = None, etc: Path | None = None):
        self.folder = Path(folder)
        self.uid, self.etc = uid, etc
        self.isolation = isolation
        self.hide, self.keep, self.env, self.log = list(hide), list(keep), dict(env), Path(log)
        self.process: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.pending = False  # a request whose clean-up the zygote has not confirmed yet

    def start(self, timeout: float = 90) -> None:
        """Start the zygote and wait until its imports are done.

        Raises:
            OSError: it exited or did not answer within ``timeout`` seconds.
        """
        from coursekit.kernels.sandbox import bwrap_prefix

        self.close()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        cmd = [sys.executable, "-m", "coursekit.kernels.zygote", "serve", str(theirs.fileno()),
               "sandboxed" if self.isolation.mode == "bubblewrap" else "shared"]
        if self.isolation.mode == "bubblewrap":
            cmd = bwrap_prefix(hide=self.hide, keep=self.keep, writable=self.folder,
                               cwd=self.folder, uid=self.uid, etc=self.etc) + cmd
            if self.uid is not None:
                cmd.append(str(self.uid))
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(cmd, env=self.env, cwd=self.folder,
                                            pass_fds=[theirs.fileno()],
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=True)
        theirs.close()
        self.control = ours
        self.pending = False
        ours.settimeout(timeout)
        try:
            ready = ours.recv(64)
        except OSError:
            ready = b""
        if ready != b"ready":
            self.close()
            raise OSError(f"the warm-kernel zygote did not start (see {self.log})")

    def alive(self) -> bool:
        """True while the zygote process runs."""
        return self.process is not None and self.process.poll() is None

    def wait_clean(self, timeout: float = 30) -> bool:
        """Wait until the zygote confirms the last kernel and its processes are gone."""
        if not self.pending:
            return True
        self.pending = False
        try:
            self.control.settimeout(timeout)
            return self.control.recv(64) == b"clean"
        except (OSError, AttributeError):
            return False

    def request(self, request: dict) -> socket.socket:
        """Ask for a kernel; return the socket end the stub must inherit (close it once started).

        Args:
            request: ``connection_file``, ``cwd``, ``env``, ``log``, ``memory_mb``,
                ``file_mb`` and ``guard`` (the guard's folders, or None).

        Raises:
            OSError: the zygote is gone or did not clean up (start it again).
        """
        if not self.alive() or not self.wait_clean():
            raise OSError("the warm-kernel zygote is not running")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            socket.send_fds(self.control, [json.dumps(request).encode()], [theirs.fileno()])
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        self.pending = True
        return ours

    def stub_argv(self, fd: int) -> list[str]:
        """The command jupyter_client runs as the kernel: the stub holding ``fd``."""
        return [sys.executable, "-I", "-S", "-c", STUB, str(fd)]

    def close(self) -> None:
        """Stop the zygote and every process of its slot."""
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                self.process.kill()
            self.process.wait()
        self.process = None


# --- inside the zygote --------------------------------------------------------------------

def _prctl(option: int, value: int) -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _not_dumpable(flag: int = 0) -> None:
    _prctl(PR_SET_DUMPABLE, flag)


def _become_kernel(request: dict, inherited, zygote: int) -> None:
    """In the forked child: the submission's folder, environment and limits, then ipykernel."""
    code = 1
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # no kernel outlives its zygote
        if os.getppid() != zygote:
            os._exit(1)
        for sock in inherited:  # the zygote's sockets: detach, so no object closes a reused fd
            os.close(sock.detach())
        os.setsid()
        _not_dumpable(1)  # the kernel may be traced by itself (debuggers); the zygote may not
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(null)
        os.close(log)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import random

        random.seed()  # a fork copies the zygote's random state: give each kernel its own
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        from coursekit.kernels.sandbox import guard, limit_resources

        limit_resources(int(request["memory_mb"]), int(request["file_mb"]),
                        int(request.get("tasks", 0)))
        if request.get("guard"):
            guard(**request["guard"])
        from ipykernel.kernelapp import IPKernelApp

        argv = ["-f", request["connection_file"], "--HistoryManager.enabled=False",
                "--IPKernelApp.parent_handle=0"]
        sys.argv = ["ipykernel_launcher", *argv]
        IPKernelApp.launch_instance(argv=argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _serve_one(control: socket.socket, request: dict, channel: socket.socket,
               sandboxed: bool) -> bool:
    channel.settimeout(120)
    try:
        go = channel.recv(16)
    except OSError:
        go = b""
    if go != b"go\n":
        return True  # the stub never started: nothing to clean
    zygote = os.getpid()
    pid = os.fork()
    if pid == 0:
        _become_kernel(request, [control, channel], zygote)  # never returns
    code = None
    watch = os.pidfd_open(pid)
    budget = int(request.get("memory_mb", 0)) * 1024 * 1024 if sandboxed else 0
    try:
        channel.settimeout(None)
        while code is None:
            ready = select.select([watch, channel], [], [], WATCH_SECONDS if budget else None)[0]
            if budget and not ready and tree_memory() > budget:
                kill_others()  # the kernel and all it started: it dies as if out of memory
                continue
            if watch in ready:
                code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
                try:
                    channel.sendall(f"exit {code}\n".encode())
                except OSError:
                    pass
            elif channel in ready and not channel.recv(4096):
                code = -signal.SIGKILL  # the stub is gone: the grader ended this kernel
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
    finally:
        os.close(watch)
    return sweep(pid, sandboxed)


def serve(control_fd: int, sandboxed: bool) -> None:
    """The zygote: import once, then fork one kernel per request until the grader hangs up."""
    import importlib

    # ``python -m`` put the slot's folder first on the import path; a kernel can write there,
    # so it must not stay: the next kernel of the slot would import what a student planted.
    here = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".", here)]
    control = socket.socket(fileno=control_fd)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # the kernel imports (and reports) it again if it is needed
            pass
    _not_dumpable(0)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)  # detached grandchildren come back to us to be killed
    control.sendall(b"ready")
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 20, 1)
        except OSError:
            return
        if not message:
            return  # the grader is gone
        if not fds:
            continue
        channel = socket.socket(fileno=fds[0])
        try:
            clean = _serve_one(control, json.loads(message), channel, sandboxed)
        except Exception:
            clean = False
        finally:
            channel.close()
        if not clean:
            return  # the grader starts a fresh zygote for this slot
        try:
            control.sendall(b"clean")
        except OSError:
            return


if __name__ == "__main__":  # pragma: no cover - run as a subprocess
    if sys.argv[1:2] == ["serve"] and len(sys.argv) in (4, 5):
        if len(sys.argv) == 5:  # grading as root: become the slot's unprivileged user first
            from coursekit.kernels.sandbox import drop_privileges

            drop_privileges(int(sys.argv[4]))
        serve(int(sys.argv[2]), sys.argv[3] == "sandboxed")
    else:
        sys.exit("usage: python -m coursekit.kernels.zygote serve CONTROL_FD sandboxed|shared [UID]")
