"""One executor for every kernel coursekit runs: the build's lessons and the grader's submissions.

:class:`Kernel` starts a kernel through a jupyter_client kernel manager, runs a notebook's
cells one at a time (each with its own time limit; a cell that runs over is interrupted), and
tells what happened to each cell as a :class:`CellRun` event: it ran, raised, was stopped at
the limit, did not answer the interrupt, ended the kernel with ``quit()``/``exit()``, or the
kernel died (or was killed at the notebook's own limit). Stopping it kills the kernel and what
it started. :func:`run_notebook` is the build's use of it; the grader's is
:mod:`coursekit.assess.run`.

Outputs come out the same on every run (no timing metadata, fixed hash seed, fixed
matplotlib backend), so nbval can compare them and the build can cache them.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
>>> run_notebook(nb, cwd=".").cells[0].outputs[0]["text"]
'42\\n'
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from coursekit.course.defaults import CELL_TIMEOUT
from coursekit.errors import NotebookError
from coursekit.kernels.kernelclient import die_with_parent, runner_class

__all__ = ["Kernel", "CellRun", "EVENTS", "run_notebook", "execute_file", "KERNEL_ENV"]

# Set for every kernel we start: same hash order, no GUI backend, no network proxies needed.
KERNEL_ENV = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
EVENTS = ("ok", "error", "timeout", "stuck", "exited", "died", "deadline")
# After these no further cell can run in this kernel.
FATAL = frozenset({"stuck", "exited", "died", "deadline"})


@dataclass(frozen=True)
class CellRun:
    """What happened when one cell ran.

    ``event`` is one of :data:`EVENTS`: ``ok``; ``error`` (the cell raised: ``ename``,
    ``evalue``; ``allowed`` when the error was kept as an output and the run may go on);
    ``timeout`` (stopped at the cell limit, the kernel answered the interrupt); ``stuck`` (it
    did not, so the kernel was ended); ``exited`` (``quit()``/``exit()``); ``died`` (the kernel
    died: a crash, ``os._exit``, memory); ``deadline`` (killed at the notebook limit).
    ``truncated``: its output passed the output limit and was cut.

    >>> CellRun(3, "stuck").fatal, CellRun(3, "error", "ValueError", "x", allowed=True).fatal
    (True, False)
    """

    index: int
    event: str
    ename: str = ""
    evalue: str = ""
    allowed: bool = False
    truncated: bool = False

    @property
    def fatal(self) -> bool:
        """True when the kernel can run no more cells."""
        return self.event in FATAL


class Kernel:
    """One kernel running one notebook's cells, one at a time.

    Use as ``async with Kernel(nb, km, ...) as kernel``: :meth:`start` (or :meth:`launch` then
    :meth:`connect`), :meth:`run` for each cell index, and the kernel is stopped on exit.

    Args:
        nb: the notebook (an nbformat node; cells get their outputs in place).
        km: an ``AsyncKernelManager`` that has not started yet.
        cell_timeout: seconds a cell may run before it is interrupted.
        notebook_timeout: seconds from the start after which the kernel is killed (None: none).
        output_limit: characters of output kept (None: all); later output is dropped.
        startup_timeout: seconds the kernel may take to answer once started.
        allow_errors: keep going after a failing cell (its error stays an output).
    """

    def __init__(self, nb, km, *, cell_timeout: float, notebook_timeout: float | None = None,
                 output_limit: int | None = None, startup_timeout: float = 60.0,
                 allow_errors: bool = True):
        self.nb, self.km, self.client = nb, km, None
        self.startup_timeout, self.notebook_timeout = startup_timeout, notebook_timeout
        self.deadline_hit = False
        self._timer = None
        # Interrupt on timeout and answer with a made-up error reply: the cell is marked as
        # stopped (the runner records it) and the kernel is asked whether it came back.
        self.runner = runner_class()(
            nb, km=km, timeout=cell_timeout, interrupt_on_timeout=True,
            error_on_timeout={"ename": "CellTimeoutError", "evalue": "time limit",
                              "traceback": []},
            allow_errors=allow_errors, record_timing=False, iopub_timeout=4,
            raise_on_iopub_timeout=False, shutdown_kernel="immediate",
            startup_timeout=startup_timeout, output_limit=output_limit)

    async def __aenter__(self) -> Kernel:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    async def launch(self, **popen) -> None:
        """Start the kernel's process (``popen``: ``cwd``, ``env``, ``stderr``, ``pass_fds``, ...).

        It dies with this process, and the notebook limit (if any) starts counting now.
        """
        if self.notebook_timeout is not None:
            self._timer = asyncio.get_running_loop().call_later(self.notebook_timeout,
                                                                self._expire)
        extra = []
        # nbclient's default: IPython's history in memory, never in the user's home folder.
        if getattr(self.km, "ipykernel", False) and self.runner.ipython_hist_file:
            extra = [f"--HistoryManager.hist_file={self.runner.ipython_hist_file}"]
        await self.km.start_kernel(extra_arguments=extra, **{**die_with_parent(), **popen})

    async def connect(self) -> None:
        """Open the channels and wait until the kernel answers; typed input is refused."""
        kc = self.client = self.km.client()
        kc.start_channels()
        await _wait_for_ready(kc, self.km, self.startup_timeout)
        # Nobody can type: input() must fail at once (StdinNotImplementedError), not wait out
        # the cell's time limit for an answer that never comes.
        kc.allow_stdin = False
        self.runner.kc = kc

    async def start(self, **popen) -> None:
        """:meth:`launch` then :meth:`connect`."""
        await self.launch(**popen)
        await self.connect()

    async def language_info(self) -> dict | None:
        """The kernel's ``language_info`` (what nbclient records in the notebook's metadata)."""
        from jupyter_core.utils import ensure_async

        msg_id = await ensure_async(self.client.kernel_info())
        reply = await self.runner.async_wait_for_reply(msg_id)
        return None if reply is None else reply["content"].get("language_info")

    async def run(self, index: int) -> CellRun:
        """Run cell ``index`` of the notebook and say what happened (see :class:`CellRun`)."""
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        runner, cell = self.runner, self.nb.cells[index]
        runner.current = index
        raised = None
        try:
            await runner.async_execute_cell(cell, index,
                                            execution_count=runner.code_cells_executed + 1)
        except DeadKernelError:
            # quit() and exit() are caught from their reply's payload below, so a death seen
            # here belongs to this cell.
            return CellRun(index, "deadline" if self.deadline_hit else "died")
        except CellTimeoutError:
            runner.timed_out.add(index)
        except CellExecutionError as exc:
            raised = exc
        cut = index in runner.truncated
        if runner.exited == index:
            return CellRun(index, "exited", truncated=cut)
        if index in runner.timed_out:
            if await self.responsive():
                return CellRun(index, "timeout", truncated=cut)
            # The interrupt did not come back: the kernel is still stuck (blocked inside a C
            # call, or interrupts ignored). End it; nothing more can run.
            self.kill()
            return CellRun(index, "stuck", truncated=cut)
        if raised is not None:
            return CellRun(index, "error", raised.ename, raised.evalue, truncated=cut)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return CellRun(index, "error", str(out.get("ename", "")),
                               str(out.get("evalue", "")), allowed=True, truncated=cut)
        return CellRun(index, "ok", truncated=cut)

    async def responsive(self, wait: float = 5.0) -> bool:
        """Whether the kernel answers a kernel-info request within ``wait`` seconds (a kernel
        still stuck in a cell cannot: its shell channel is busy)."""
        try:
            await self.client.kernel_info(reply=True, timeout=wait)
            return True
        except Exception:  # a timeout, a dead kernel: either way it cannot run the next cell
            return False

    def kill(self) -> None:
        """Kill the kernel's process group at once (what it started goes with it)."""
        provisioner = getattr(self.km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(provisioner.pgid or process.pid, signal.SIGKILL)
        except (OSError, TypeError, AttributeError):
            try:
                process.kill()
            except OSError:
                pass

    def _expire(self) -> None:
        self.deadline_hit = True
        self.kill()

    async def stop(self) -> None:
        """Stop the kernel and free its channels and files (safe to call more than once)."""
        if self._timer is not None:
            self._timer.cancel()
        if self.client is not None:
            self.client.stop_channels()
        self.kill()
        # jupyter_client polls a killed kernel every 0.1 s: most of a short notebook's
        # shutdown. Wait for the process here, more often, so that it finds it gone.
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        for _ in range(200):
            if process is None or process.poll() is not None:
                break
            await asyncio.sleep(0.005)
        try:
            await asyncio.wait_for(self.km.shutdown_kernel(now=True), 10)
        except Exception:  # already gone, or never started
            pass
        try:
            await self.km.cleanup_resources()
        except Exception:
            pass


async def _wait_for_ready(kc, km, timeout: float) -> None:
    """Wait until the kernel answers a kernel-info request and its IOPub channel is connected.

    jupyter_client's ``wait_for_ready`` does the same, but gives IOPub 0.2 s to show a message
    each round: a new kernel's first status messages often go out before the subscription
    reaches it, so most kernels lost 0.2 s there (a third of grading a short submission).
    Here a round waits 0.03 s on IOPub and asks again; a slow machine only takes more rounds.

    Raises:
        RuntimeError: the kernel died or did not answer within ``timeout`` seconds.
    """
    from queue import Empty

    deadline = time.monotonic() + timeout
    while True:
        msg_id = kc.kernel_info()
        answered = False
        while time.monotonic() < deadline:
            try:
                reply = await kc.shell_channel.get_msg(timeout=0.5)
            except Empty:
                break
            if reply["parent_header"].get("msg_id") == msg_id:
                answered = True
                break
        if answered:
            try:
                await kc.iopub_channel.get_msg(timeout=0.03)
            except Empty:
                pass
            else:
                kc._handle_kernel_info_reply(reply)
                return
        if not await km.is_alive():
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() >= deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


def _first_line(cell) -> str:
    source = cell.source.strip()
    return source.splitlines()[0][:60] if source else ""


async def _run_notebook(nb, cwd: str, timeout: float, name: str, allow_errors: bool,
                        started: list):
    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(kernel_name="python3")
    async with Kernel(nb, km, cell_timeout=timeout, allow_errors=allow_errors) as kernel:
        started.append(kernel)
        await kernel.start(cwd=cwd, env={**os.environ, **KERNEL_ENV})
        info = await kernel.language_info()
        if info is not None:
            nb.metadata["language_info"] = info
        for index, cell in enumerate(nb.cells):
            run = await kernel.run(index)
            where = f"{name}, cell {index} ({_first_line(cell)!r})"
            if run.event in ("timeout", "stuck"):
                raise NotebookError(f"{where}: ran longer than {timeout} s and was stopped. "
                                    "Look for a loop that never ends.")
            if run.event in ("died", "deadline"):
                raise NotebookError(f"{where}: the kernel died (a crash, os._exit(), or out of "
                                    "memory).")
            if run.event == "exited":
                raise NotebookError(f"{where}: quit() or exit() ended the kernel; remove it.")
            if run.event == "error" and not run.allowed:
                raise NotebookError(f"{where}: {run.ename}: {run.evalue}")
        kernel.runner.set_widgets_metadata()
    return nb


def run_notebook(nb, *, cwd: str | os.PathLike[str], timeout: int = CELL_TIMEOUT,
                 name: str = "notebook", allow_errors: bool = False):
    """Execute ``nb`` (an nbformat node, changed in place) with ``cwd`` as working directory.

    Args:
        nb: the notebook to run.
        cwd: the working directory of the kernel (a lesson's own folder).
        timeout: seconds allowed per cell.
        name: how errors name the notebook.
        allow_errors: keep going after a failing cell (the error is kept as an output).

    Raises:
        NotebookError: a cell failed or timed out, or the kernel died; the message names the
            notebook, the cell (its number and first line) and the error.
    """
    from jupyter_core.utils import run_sync

    started: list[Kernel] = []
    try:
        return run_sync(_run_notebook)(nb, str(cwd), timeout, name, allow_errors, started)
    except KeyboardInterrupt:
        # Ctrl+C stops the event loop where it is, so the kernel's own clean-up never runs.
        for kernel in started:
            kernel.kill()
        raise


def execute_file(path: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None,
                 timeout: int = CELL_TIMEOUT):
    """Execute the notebook at ``path`` in its own folder; write it to ``out`` (atomically).

    With ``out=None`` the result is only returned. Returns the executed notebook.
    """
    from coursekit.course.files import read_notebook, write_notebook

    path = Path(path)
    nb = read_notebook(path)
    run_notebook(nb, cwd=path.parent, timeout=timeout, name=str(path))
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        write_notebook(nb, out)
    return nb
