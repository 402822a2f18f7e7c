"""Warm kernels for the build: fork each notebook's kernel from a process with the imports done.

Starting a kernel costs a Python start-up, ipykernel, and then each lesson's setup cell imports
pandas and matplotlib again: about two seconds of CPU per notebook, often more than the
notebook's own work. A build worker therefore starts one *zygote* that imports those once and
forks a fresh kernel per notebook. Each notebook still gets its own kernel process, with its own
working folder and environment, so outputs are exactly those of a cold kernel (the build's tests
compare them).

It plugs in through Jupyter's own mechanism: the worker puts a ``python3`` kernelspec first on
``JUPYTER_PATH`` whose command is a tiny stub (``python -m coursekit.kernels.warmkernel launch``). The
stub asks the zygote for a kernel, relays signals (interrupts, termination) to it and exits
when it does; the kernel exits if the stub is killed. If the zygote cannot be reached the stub
becomes an ordinary kernel, so nothing depends on this speed-up. Linux only (it needs
``os.fork`` and ``os.pidfd_open``); ``COURSEKIT_WARM_KERNELS=0`` turns it off.

>>> available() in (True, False)
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
import tempfile
import threading
from pathlib import Path

__all__ = ["WarmKernels", "available", "PRELOAD"]

# What the lessons' setup cells import: loaded once in the zygote, shared by every fork.
PRELOAD = ("ipykernel.kernelapp", "IPython.display", "numpy", "pandas", "matplotlib",
           "matplotlib.pyplot", "coursekit.data", "coursekit.plots", "coursekit.checks")
RELAYED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
           signal.SIGUSR2)


def available() -> bool:
    """True where warm kernels can work here (Linux with pidfds) and are not turned off."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork") and hasattr(os, "pidfd_open")
            and os.environ.get("COURSEKIT_WARM_KERNELS", "1") != "0")


class WarmKernels:
    """A zygote and the ``python3`` kernelspec that uses it, for one worker process.

    Use as a context manager around the notebooks the worker runs; on exit the zygote stops and
    ``JUPYTER_PATH`` is restored.

    Args:
        env: the environment the zygote starts with (so that what is fixed at interpreter
            start-up, such as ``PYTHONHASHSEED``, matches the kernels' environment).
    """

    def __init__(self, env: dict[str, str]):
        self._folder = tempfile.TemporaryDirectory(prefix="coursekit-warm-")
        folder = Path(self._folder.name)
        self.socket_path = str(folder / "zygote.sock")
        self._zygote = subprocess.Popen(
            [sys.executable, "-m", "coursekit.kernels.warmkernel", "serve", self.socket_path],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        spec = folder / "kernels" / "python3"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "coursekit.kernels.warmkernel", "launch", self.socket_path,
                     str(self._zygote.pid), "{connection_file}"],
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "interrupt_mode": "signal",
            "metadata": {"debugger": True},
        }), encoding="utf-8")
        self._saved_path = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            [str(folder), *([self._saved_path] if self._saved_path else [])])

    def __enter__(self) -> WarmKernels:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the zygote (kernels it forked are not affected) and restore ``JUPYTER_PATH``."""
        if self._saved_path is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = self._saved_path
        if self._zygote.poll() is None:
            self._zygote.stdin.close()  # the zygote exits when its stdin closes
            try:
                self._zygote.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._zygote.kill()
                self._zygote.wait()
        self._folder.cleanup()


# --------------------------------------------------------------------------- the zygote


def _serve(socket_path: str) -> None:
    """Import the heavy modules once, then fork a kernel for every request on the socket."""
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # a module that fails here is imported (and fails) in the kernel
            pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(8)

    def reap(*_):
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass

    signal.signal(signal.SIGCHLD, reap)
    stdin = sys.stdin.fileno()
    while True:
        try:
            ready = select.select([server, stdin], [], [])[0]
        except InterruptedError:
            continue
        if stdin in ready and not os.read(stdin, 1024):
            return  # the worker is gone
        if server not in ready:
            continue
        conn, _ = server.accept()
        with conn:
            try:
                message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
                while not message.endswith(b"\n"):
                    more = conn.recv(1 << 20)
                    if not more:
                        break
                    message += more
                request = json.loads(message)
            except (OSError, ValueError):
                continue
            pid = os.fork()
            if pid == 0:
                server.close()
                conn.close()
                _become_kernel(request, fds)  # never returns
            for fd in fds:
                os.close(fd)
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def _receive(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _become_kernel(request: dict, fds: list[int]) -> None:
    """In the forked child: take the stub's standard streams, the notebook's folder and
    environment, and run ipykernel."""
    code = 0
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for target, fd in zip((0, 1, 2), fds, strict=False):
            os.dup2(fd, target)
            os.close(fd)
        os.setsid()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _watch(request["stub"])
        from ipykernel.kernelapp import IPKernelApp

        # Traits whose defaults ipykernel read from the environment when the zygote imported it.
        argv = ["-f", request["connection_file"],
                f"--IPKernelApp.parent_handle={int(os.environ.get('JPY_PARENT_PID') or 0)}"]
        sys.argv = [sys.executable, *argv]
        IPKernelApp.launch_instance(argv=argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _watch(pid: int) -> None:
    """Exit this kernel as soon as its stub (the process Jupyter started and signals) dies."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        os._exit(1)  # the stub is already gone

    def wait() -> None:
        select.select([fd], [], [])
        os._exit(1)

    threading.Thread(target=wait, name="coursekit-stub-watch", daemon=True).start()


# --------------------------------------------------------------------------- the stub


def _launch(socket_path: str, zygote: int, connection_file: str) -> None:
    """Get a forked kernel from the zygote and stand in for it; else exec a cold kernel."""
    import time

    try:
        # A zygote still importing is worth waiting for: a cold kernel would import the same.
        deadline = time.monotonic() + 60
        while not os.path.exists(socket_path) and time.monotonic() < deadline:
            os.kill(zygote, 0)  # raises once the zygote is gone
            time.sleep(0.02)
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.settimeout(30)
        client.connect(socket_path)
        request = json.dumps({"connection_file": connection_file, "cwd": os.getcwd(),
                              "env": dict(os.environ), "stub": os.getpid()}).encode() + b"\n"
        socket.send_fds(client, [request], [0, 1, 2])  # the kernel writes where we would
        pid = json.loads(_receive(client))["pid"]
        client.close()
        kernel = os.pidfd_open(pid)
    except (OSError, ValueError, KeyError):
        os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file])

    def relay(signum, _frame):
        try:
            signal.pidfd_send_signal(kernel, signum)
        except OSError:
            pass

    for signum in RELAYED:
        signal.signal(signum, relay)
    while True:
        try:
            if select.select([kernel], [], [])[0]:
                break
        except InterruptedError:
            continue
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover - run as a subprocess
    if sys.argv[1:2] == ["serve"]:
        _serve(sys.argv[2])
    elif sys.argv[1:2] == ["launch"]:
        _launch(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit("usage: python -m coursekit.kernels.warmkernel serve SOCKET | "
                 "launch SOCKET ZYGOTE_PID CONNECTION_FILE")
