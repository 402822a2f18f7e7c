"""Running one submission: its code cells in a fresh, isolated kernel, then its answers read out.

The kernel is either forked from the slot's warm zygote (:mod:`coursekit.kernels.zygote`) or
started cold under the isolation in force (:mod:`coursekit.kernels.sandbox`); either way
:class:`coursekit.kernels.execute.Kernel` runs the cells and reports each one's fate, this
module turns those events into notes for the student (:mod:`coursekit.assess.notes`), and the
read-out planted before the first cell (:mod:`coursekit.assess.readout`) gives the values.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from pathlib import Path

from coursekit.assess.model import Options, Submission
from coursekit.assess.notes import Limits, cell_note, start_failed_note, truncated_note, where
from coursekit.assess.readout import decode_nodes, outputs_of_test, plant_reader, read_values, run_tests
from coursekit.assess.slots import Paths, Slot, hidden, own, prepare_workdir
from coursekit.course import defaults

__all__ = ["run_submission", "WarmFailed", "KERNEL_NAME", "TRANSPORT"]

KERNEL_NAME = "coursekit-grader"
# Unix sockets in the working copy: they need no network, so they work without one under
# bubblewrap. Windows has none, and uses the loopback interface instead.
TRANSPORT = "ipc" if os.name == "posix" else "tcp"


class WarmFailed(Exception):
    """A forked kernel did not start: retry this submission with a cold kernel."""


def _tail(path: Path) -> str:
    """The last line of a kernel's log (why it failed to start), short."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 2000))
            lines = handle.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


def _notebook(sub: Submission):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c["source"]) for c in sub.cells]
    return nb


def _launcher(workdir: Path, cwd: Path, paths: Paths, options: Options, isolation, zygote,
              slot: Slot | None):
    """The kernel's command and extra Popen options: a stub of a forked kernel, or a cold one.

    Raises:
        WarmFailed: the zygote did not take the request.
    """
    from coursekit.kernels.sandbox import kernel_command, kernel_env, task_limit

    hide, keep = hidden(paths)
    if zygote is None:
        uid = getattr(slot, "uid", None) if isolation.mode == "bubblewrap" else None
        return kernel_command(isolation, workdir=workdir, cwd=cwd, hide=hide, keep=keep,
                              memory_mb=options.memory_mb, uid=uid,
                              etc=getattr(slot, "etc", None)), None
    guarded = None if isolation.mode == "bubblewrap" else {
        "write_roots": [str(workdir)], "hidden": [str(p) for p in hide],
        "keep": [str(workdir), *map(str, keep)]}
    try:
        end = zygote.request({"connection_file": str(workdir / "kernel.json"),
                              "cwd": str(cwd), "env": kernel_env(workdir),
                              "log": str(workdir / "kernel.log"),
                              "memory_mb": options.memory_mb, "file_mb": defaults.FILE_MB,
                              "tasks": task_limit() if isolation.mode == "bubblewrap" else 0,
                              "guard": guarded})
    except OSError:
        raise WarmFailed() from None
    return zygote.stub_argv(end.fileno()), end


async def run_submission(sub: Submission, workdir: Path, paths: Paths, options: Options,
                         isolation, ctx, zygote=None,
                         slot: Slot | None = None) -> tuple[dict | None, list[str], dict[str, str]]:
    """Run one submission in ``workdir``.

    Returns:
        ``(values or None, notes, per-question problems)``: the read-out values (None when the
        run stopped before they could be read), what the run said, and for each question whose
        answer cell had trouble, what happened there.

    Raises:
        WarmFailed: the forked kernel did not start (the caller retries cold).
    """
    from jupyter_client.manager import AsyncKernelManager

    from coursekit.kernels.execute import Kernel
    from coursekit.kernels.kernelclient import spec_manager
    from coursekit.kernels.sandbox import kernel_env

    cwd = prepare_workdir(workdir, paths)
    uid = getattr(slot, "uid", None) if isolation.mode == "bubblewrap" else None
    (workdir / "kernel.log").touch()  # the forked kernel appends to it as the slot's user
    own(workdir, uid)
    argv, end = _launcher(workdir, cwd, paths, options, isolation, zygote, slot)
    km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=spec_manager(argv),
                            transport=TRANSPORT, ip=str(workdir / "k") if TRANSPORT == "ipc"
                            else "127.0.0.1", context=ctx,
                            connection_file=str(workdir / "kernel.json"))
    if uid is not None:  # the kernel, running as the slot's user, must read its connection file
        km.write_connection_file()
        os.chown(workdir / "kernel.json", uid, uid)
    nb = _notebook(sub)
    limits = Limits(options.cell_timeout, options.timeout, options.memory_mb,
                    options.max_output_mb)
    began = time.monotonic()
    async with Kernel(nb, km, cell_timeout=options.cell_timeout,
                      notebook_timeout=options.timeout, startup_timeout=options.startup_timeout,
                      output_limit=int(options.max_output_mb * 2**20)) as kernel:
        try:
            try:
                with open(workdir / "kernel.log", "ab") as log:
                    await kernel.launch(cwd=str(cwd), env=kernel_env(workdir),
                                        stdout=subprocess.DEVNULL, stderr=log,
                                        **({"pass_fds": [end.fileno()]} if end else {}))
            finally:
                if end is not None:
                    end.close()  # the stub holds its own copy now
            await kernel.connect()
        except Exception as exc:  # the kernel could not start: the grader's problem, not theirs
            if zygote is not None:
                raise WarmFailed() from None
            return None, [start_failed_note(exc, _tail(workdir / "kernel.log"))], {}
        door = await plant_reader(kernel.client, min(30.0, options.startup_timeout))
        notes, cell_notes, gone = await _run_cells(kernel, sub, limits, door, began, options)
        if gone:  # the kernel is gone: no answer can be read
            return None, notes, cell_notes
        if sub.by_tests:  # scored from the tests' outputs, which _run_cells wrote down
            return {}, notes, cell_notes
        left = max(1.0, options.timeout - (time.monotonic() - began))
        names = [q.variable for q in sub.exercise.questions]
        nodes = await read_values(kernel.client, door, names, min(30, left)) if door else None
        values = decode_nodes(nodes, names)
        if values is None:
            why = ("the notebook time limit was reached" if kernel.deadline_hit else
                   "the kernel did not answer")
            notes.append(f"Your answers could not be read after the run ({why}).")
        return values, notes, cell_notes


async def _run_test(kernel, sub: Submission, meta: dict, door, began: float, options) -> bool:
    """Run one test of an nbgrader/otter set through the read-out's door; False if it hung."""
    left = max(1.0, options.timeout - (time.monotonic() - began))
    results = await run_tests(kernel.client, door, [meta["source"]], min(options.cell_timeout, left)
                              ) if door else None
    sub.executed["cells"][meta["index"]]["outputs"] = outputs_of_test(results[0] if results else None)
    return results is not None


async def _run_cells(kernel, sub: Submission, limits: Limits, door=None, began=0.0, options=None):
    """Run every cell; return the notes, the per-question notes, and whether the kernel is gone."""
    notes: list[str] = []
    cell_notes: dict[str, str] = {}
    truncated = False
    for position, meta in enumerate(sub.cells):
        if meta.get("test") is not None:
            # The set's own tests run outside run_cell, where the submission's hooks cannot
            # rewrite or skip them; one that does not return ends the run (the kernel is stuck).
            if not await _run_test(kernel, sub, meta, door, began, options):
                notes.append(f"A test of {meta['test'].get('question')} did not finish within "
                             f"{limits.cell_timeout:g} s (a loop that never ends in the code it tests?), "
                             "so the tests after it did not run.")
                return notes, cell_notes, True
            continue
        run = await kernel.run(position)
        place = where(meta)
        note = cell_note(run, place, limits)
        if note is not None:
            notes.append(note)
        if run.event in ("exited", "died", "deadline"):
            return notes, cell_notes, True
        if note is not None:
            # A stuck cell's question says only that it was stopped; the run's note adds
            # that the cells after it did not run.
            short = cell_note(dataclasses.replace(run, event="timeout"), place, limits) if (
                run.event == "stuck") else note
            for qid in meta["questions"]:
                cell_notes.setdefault(qid, short)
        if run.event == "stuck":
            return notes, cell_notes, True
        if run.truncated and not truncated:  # only the first cell that passed the limit
            truncated = True
            if run.event != "timeout":
                notes.append(truncated_note(place, limits))
    return notes, cell_notes, False
