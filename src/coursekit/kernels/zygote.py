"""Warm kernels: fork each notebook's kernel from a process that has the heavy imports done.

A cold kernel costs a Python start-up, ipykernel, pandas and Matplotlib: more CPU than most
notebooks' own work. ``coursekit build`` and ``coursekit grade`` therefore each start a
*zygote* (:mod:`coursekit.kernels.forkserver`): a process that imports :data:`PRELOAD` once
and forks a new kernel process for every notebook. Each notebook still gets a kernel process
of its own that no other code ran in, with its own folder and environment, so its outputs are
those of a cold kernel.

- Grading runs one zygote per parallel slot, inside the slot's isolation
  (:mod:`coursekit.kernels.sandbox`); the zygote never runs submitted code, holds nothing
  secret and is not dumpable; after each kernel every process left in the slot is killed and
  its ``/tmp`` emptied (:mod:`coursekit.kernels.slotclean`); a zygote that dies is replaced,
  and a slot that cannot fork falls back to cold kernels. The grader sends :meth:`Zygote.request`
  with one end of a socket pair; the kernel command jupyter_client starts is the stub
  (:meth:`Zygote.stub_argv`) holding the other end.
- The build runs one zygote for all its workers (:meth:`Zygote.kernelspec`): a ``python3``
  kernelspec first on ``JUPYTER_PATH`` whose command is the same stub, which connects to the
  zygote's socket and sends the request itself. A stub that cannot reach the zygote becomes an
  ordinary kernel, so nothing depends on this speed-up.

The stub lives exactly as long as its kernel: it exits with the kernel's status, and killing
it (jupyter_client's shutdown) kills the kernel. Interrupts go by message
(``interrupt_mode: message``), never by signal to the stub. The zygote dies with the process
that started it, and its kernels with it. Linux only (``os.fork``, ``os.pidfd_open``,
file-descriptor passing); ``COURSEKIT_WARM_KERNELS=0`` turns it off.

>>> STUB.startswith("import os, signal, socket, sys")
True
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from coursekit.kernels.kernelside import PRELOAD

__all__ = ["Zygote", "available", "PRELOAD", "STUB"]

# The stub: the process jupyter_client manages in place of the kernel (stdlib only, no site).
# ``STUB FD``: grading, the channel is inherited. ``STUB --connect SOCKET CONNECTION_FILE
# PARENT_HANDLE``: the build, the stub asks the zygote itself, handing it its standard streams
# (the kernel writes where a cold one would); no zygote there: it becomes a cold kernel.
STUB = """import os, signal, socket, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
if sys.argv[1] == "--connect":
    import json
    try:
        channel = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        channel.connect(sys.argv[2])
        request = {"connection_file": sys.argv[3], "cwd": os.getcwd(), "env": dict(os.environ),
                   "parent_handle": int(os.environ.get("JPY_PARENT_PID") or 0), "history": True}
        socket.send_fds(channel, [json.dumps(request).encode()], [0, 1, 2])
    except OSError:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", sys.argv[3]])
else:
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
    """One fork server: a grading slot's (sandboxed or not), or the build's (``listen=True``).

    Args:
        folder: its working folder; for a grading slot the only writable place, where the
            working copies go; for the build a private folder that holds its socket.
        isolation: from :func:`coursekit.kernels.sandbox.detect` (None: no sandbox).
        hide, keep: as for :func:`coursekit.kernels.sandbox.kernel_command`.
        env: the environment it starts with (what is fixed at interpreter start-up, such as
            ``PYTHONHASHSEED``, must match the kernels' environment).
        log: where the zygote's own error output goes (None: this process's stderr).
        uid, etc: the slot's unprivileged user and generated ``/etc`` (grading as root).
        listen: serve stubs that connect to :attr:`socket_path` (the build), several at once.
        preload: the modules to import before forking (:data:`PRELOAD` by default; see
            :func:`coursekit.kernels.kernelside.preload_for`).
    """

    def __init__(self, folder: Path, isolation=None, *, hide=(), keep=(), env: dict,
                 log: Path | None = None, uid: int | None = None, etc: Path | None = None,
                 listen: bool = False, preload=PRELOAD):
        self.folder = Path(folder)
        self.preload = tuple(preload)
        self.uid, self.etc = uid, etc
        self.isolation = isolation
        self.hide, self.keep, self.env = list(hide), list(keep), dict(env)
        self.log = Path(log) if log is not None else None
        self.socket_path = str(self.folder / "zygote.sock") if listen else None
        self.process: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.pending = False  # a request whose clean-up the zygote has not confirmed yet

    @property
    def sandboxed(self) -> bool:
        return self.isolation is not None and self.isolation.mode == "bubblewrap"

    def start(self, timeout: float = 90) -> None:
        """Start the zygote and wait until its imports are done.

        Raises:
            OSError: it exited or did not answer within ``timeout`` seconds.

        A listening zygote answers as soon as its socket is bound, before its imports.
        """
        from coursekit.kernels.sandbox import bwrap_prefix

        self.close()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        cmd = [sys.executable, "-m", "coursekit.kernels.forkserver", "serve", str(theirs.fileno()),
               "sandboxed" if self.sandboxed else "shared"]
        if self.sandboxed:
            cmd = bwrap_prefix(hide=self.hide, keep=self.keep, writable=self.folder,
                               cwd=self.folder, uid=self.uid, etc=self.etc) + cmd
            if self.uid is not None:
                cmd.append(str(self.uid))
        if self.socket_path is not None:
            Path(self.socket_path).unlink(missing_ok=True)
            cmd += ["--listen", self.socket_path]
        env = {**self.env, "COURSEKIT_ZYGOTE_PARENT": str(os.getpid()),
               "COURSEKIT_PRELOAD": ",".join(self.preload)}
        log = open(self.log, "ab") if self.log is not None else None
        try:
            self.process = subprocess.Popen(cmd, env=env, cwd=self.folder,
                                            pass_fds=[theirs.fileno()],
                                            stdin=subprocess.DEVNULL,
                                            stdout=log or subprocess.DEVNULL, stderr=log,
                                            start_new_session=True)
        finally:
            if log is not None:
                log.close()
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
            raise OSError(f"the warm-kernel zygote did not start (see {self.log or 'stderr'})")

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
            request: ``connection_file``, ``cwd``, ``env``, ``log``, and optionally
                ``memory_mb``, ``file_mb``, ``tasks`` (limits), ``guard`` (the guard's
                folders, or None), ``parent_handle`` and ``history`` (ipykernel options).

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

    @contextmanager
    def kernelspec(self):
        """Put a ``python3`` kernelspec whose kernels this zygote forks first on ``JUPYTER_PATH``.

        For the build (``listen=True``): every kernel started by name ``python3`` in this
        process, or in a worker process started inside the block, is forked. On exit
        ``JUPYTER_PATH`` is restored.
        """
        spec = self.folder / "kernels" / "python3"
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-I", "-S", "-c", STUB, "--connect", self.socket_path,
                     "{connection_file}"],
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "interrupt_mode": "message",
            "metadata": {"debugger": True},
        }), encoding="utf-8")
        saved = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join([str(self.folder), *([saved] if saved else [])])
        try:
            yield spec
        finally:
            if saved is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = saved

    def close(self) -> None:
        """Stop the zygote and every process it forked."""
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


@contextmanager
def build_kernels(env: dict):
    """One listening zygote and its kernelspec, for a build: yields the :class:`Zygote` (None if
    it could not start).

    It listens at once and imports while the block goes on (the build's workers start), so
    the two overlap; a stub that connects early waits for the imports to finish.
    """
    with tempfile.TemporaryDirectory(prefix="coursekit-warm-") as folder:
        zygote = Zygote(Path(folder), env=env, listen=True)
        try:
            try:
                zygote.start()
            except OSError:  # no zygote: the kernels start cold, as without this speed-up
                yield None
                return
            with zygote.kernelspec():
                yield zygote
        finally:
            zygote.close()
