"""Inside the zygote: import once, then fork a fresh kernel per request and watch it end.

This is the server half of :mod:`coursekit.kernels.zygote` (which starts it and asks it for
kernels). It runs as ``python -m coursekit.kernels.forkserver serve CONTROL_FD MODE [UID]
[--listen SOCKET]``:

- grading (one zygote per slot, ``MODE`` ``sandboxed`` under bubblewrap or ``shared``): the
  grader sends each request with one end of a socket pair over the control socket; kernels
  run one at a time and the slot is swept clean after each (:mod:`coursekit.kernels.slotclean`);
- the build (one zygote, ``--listen``): each kernel's stub connects to the listening socket
  and sends the request itself; every connection gets a supervisor forked from the zygote, so
  kernels of several workers run side by side.

Either way a request's *channel* is the stub's socket: the stub says ``go``, the kernel is
forked, the stub is told ``exit N`` when the kernel ends, and the kernel's process group is
killed when the stub goes away (jupyter_client kills the stub to shut a kernel down). The
zygote dies with the process that started it (``PR_SET_PDEATHSIG``), its supervisors with it,
and every kernel with its supervisor, so a killed ``coursekit build`` or ``grade`` leaves no
kernel behind.

>>> parse_args(["serve", "7", "shared", "--listen", "/tmp/z.sock"])
(7, False, None, '/tmp/z.sock')
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys

from coursekit.kernels.kernelside import PRELOAD, preload
from coursekit.kernels.slotclean import WATCH_SECONDS, kill_others, sweep, tree_memory

__all__ = ["serve", "parse_args", "prctl", "die_with", "main"]

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
USAGE = ("usage: python -m coursekit.kernels.forkserver serve CONTROL_FD sandboxed|shared [UID] "
         "[--listen SOCKET]")


def prctl(option: int, value: int) -> None:
    """Call Linux's ``prctl(option, value)``; a no-op where there is none."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def die_with(parent: int) -> None:
    """SIGKILL this process when its parent ``parent`` dies; exit now if it already has (Linux)."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _streams(request: dict, fds: list[int]) -> None:
    """The kernel's standard streams: the stub's (the build) or the slot's log (grading)."""
    if fds:
        for target, fd in zip((0, 1, 2), fds, strict=False):
            os.dup2(fd, target)
            os.close(fd)
        return
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)


def _become_kernel(request: dict, inherited, fds: list[int], parent: int) -> None:
    """In the forked child: the notebook's folder, environment and limits, then ipykernel."""
    code = 1
    try:
        die_with(parent)  # no kernel outlives the process that watches it
        for sock in inherited:  # the server's sockets: detach, so no object closes a reused fd
            os.close(sock.detach())
        os.setsid()
        prctl(PR_SET_DUMPABLE, 1)  # the kernel may be traced by itself (debuggers); the zygote may not
        _streams(request, fds)
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
        from coursekit.kernels.kernelside import guard, limit_resources

        if "memory_mb" in request:
            limit_resources(int(request["memory_mb"]), int(request.get("file_mb", 0)),
                            int(request.get("tasks", 0)))
        if request.get("guard"):
            guard(**request["guard"])
        from ipykernel.kernelapp import IPKernelApp

        # Traits whose defaults ipykernel read from the environment when the zygote imported it.
        argv = ["-f", request["connection_file"],
                f"--IPKernelApp.parent_handle={int(request.get('parent_handle', 0))}"]
        if not request.get("history", False):
            argv.append("--HistoryManager.enabled=False")
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


def _serve_one(inherited, request: dict, channel: socket.socket, sandboxed: bool,
               fds: list[int] = ()) -> bool:
    """Fork the kernel once its stub says go; watch it until it or the stub ends; clean up."""
    channel.settimeout(120)
    try:
        go = channel.recv(16)
    except OSError:
        go = b""
    if go != b"go\n":
        return True  # the stub never started: nothing to clean
    me = os.getpid()
    pid = os.fork()
    if pid == 0:
        _become_kernel(request, [*inherited, channel], list(fds), me)  # never returns
    for fd in fds:
        os.close(fd)
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
                code = -signal.SIGKILL  # the stub is gone: its owner ended this kernel
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


def _serve_requests(control: socket.socket, sandboxed: bool) -> None:
    """Grading: one request at a time from the control socket, the slot swept after each."""
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
            clean = _serve_one([control], json.loads(message), channel, sandboxed)
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


def _supervise(zygote: int, control: socket.socket, listener: socket.socket,
               conn: socket.socket) -> None:
    """In a supervisor forked for one stub's connection: read its request, serve it, exit."""
    code = 1
    try:
        die_with(zygote)
        control.close()
        listener.close()
        prctl(PR_SET_CHILD_SUBREAPER, 1)  # what the kernel detaches comes back here to be killed
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        conn.settimeout(30)
        message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        code = 0 if _serve_one([], json.loads(message), conn, False, fds) else 1
    except BaseException:  # a broken request ends only this supervisor; the stub then gives up
        code = 1
    finally:
        os._exit(code)


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _listen(control: socket.socket, path: str) -> socket.socket:
    """Bind the build's socket and say ready at once: stubs that connect while the zygote is
    still importing wait in the backlog instead of falling back to cold kernels."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(64)
    control.sendall(b"ready")
    return listener


def _serve_listener(control: socket.socket, listener: socket.socket) -> None:
    """The build: a supervisor per connection, until the process that started us hangs up."""
    zygote = os.getpid()
    while True:
        ready = select.select([listener, control], [], [], 1.0)[0]
        _reap()
        if control in ready:
            try:
                if not control.recv(64):
                    return  # the build is done (or gone)
            except OSError:
                return
        if listener in ready:
            conn, _ = listener.accept()
            if os.fork() == 0:
                _supervise(zygote, control, listener, conn)  # never returns
            conn.close()


def serve(control_fd: int, sandboxed: bool, listen: str | None = None,
          parent: int | None = None) -> None:
    """The zygote: import once, then fork kernels until the control socket closes.

    Args:
        control_fd: the socket to the process that started the zygote.
        sandboxed: the zygote runs in a bubblewrap slot (its own process namespace).
        listen: the build's socket path for stubs to connect to (None: grading's requests).
        parent: the pid of that process, to die with it (None: bubblewrap does that).
    """
    if parent is not None:
        die_with(parent)
    # ``python -m`` put the working folder first on the import path; a kernel can write there
    # (a grading slot), so it must not stay: the next kernel would import what a student planted.
    here = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".", here)]
    control = socket.socket(fileno=control_fd)
    listener = _listen(control, listen) if listen is not None else None
    # What to import before forking: the grader names what its sets need (PRELOAD by default);
    # popped, so that no kernel sees it.
    names = tuple(n for n in os.environ.pop("COURSEKIT_PRELOAD", "").split(",") if n)
    preload(names or PRELOAD)
    prctl(PR_SET_DUMPABLE, 0)  # a kernel cannot trace the zygote or read its memory
    if listener is not None:
        _serve_listener(control, listener)
        return
    prctl(PR_SET_CHILD_SUBREAPER, 1)  # detached grandchildren come back to us to be killed
    control.sendall(b"ready")
    _serve_requests(control, sandboxed)


def parse_args(argv: list[str]) -> tuple[int, bool, int | None, str | None]:
    """``(control_fd, sandboxed, uid, listen)`` from the command line; SystemExit if malformed."""
    listen = None
    if "--listen" in argv:
        at = argv.index("--listen")
        if at + 1 >= len(argv):
            raise SystemExit(USAGE)
        listen = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    if argv[:1] != ["serve"] or len(argv) not in (3, 4) or argv[2] not in ("sandboxed", "shared"):
        raise SystemExit(USAGE)
    uid = int(argv[3]) if len(argv) == 4 else None
    return int(argv[1]), argv[2] == "sandboxed", uid, listen


def main(argv: list[str] | None = None) -> None:
    """Run the zygote from the command line (see :func:`parse_args`)."""
    control_fd, sandboxed, uid, listen = parse_args(list(sys.argv[1:] if argv is None else argv))
    if uid is not None:  # grading as root: become the slot's unprivileged user first
        from coursekit.kernels.kernelside import drop_privileges

        drop_privileges(uid)
    parent = os.environ.pop("COURSEKIT_ZYGOTE_PARENT", None)
    serve(control_fd, sandboxed, listen, int(parent) if parent and not sandboxed else None)


if __name__ == "__main__":  # pragma: no cover - run as a subprocess
    main()
