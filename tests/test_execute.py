"""coursekit.kernels.execute: one executor runs cells one at a time and names each one's fate
(ran, raised, stopped, stuck, exited, died, killed at the notebook limit, output cut); the
build's run_notebook on top of it fails with the notebook, cell and error named."""

from __future__ import annotations

import asyncio
import os

import nbformat
import pytest
from jupyter_client.manager import AsyncKernelManager

from coursekit.errors import NotebookError
from coursekit.kernels.execute import KERNEL_ENV, Kernel, run_notebook


def _events(sources: list[str], tmp_path, **options) -> list:
    """Run ``sources`` as cells of one notebook; return each cell's CellRun (until a fatal one)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])

    async def go():
        runs = []
        async with Kernel(nb, AsyncKernelManager(kernel_name="python3"),
                          **{"cell_timeout": 20, **options}) as kernel:
            await kernel.start(cwd=str(tmp_path), env={**os.environ, **KERNEL_ENV})
            for index in range(len(nb.cells)):
                runs.append(await kernel.run(index))
                if runs[-1].fatal:
                    break
        return runs

    return asyncio.run(go())


def test_cells_run_in_order_in_one_kernel_and_an_error_does_not_stop_the_run(tmp_path):
    runs = _events(["x = 6", "1 / 0", "print(x * 7)"], tmp_path)
    assert [r.event for r in runs] == ["ok", "error", "ok"]
    assert (runs[1].ename, runs[1].allowed) == ("ZeroDivisionError", True)


def test_a_runaway_cell_is_interrupted_and_the_next_cell_still_runs(tmp_path):
    runs = _events(["while True:\n    pass", "y = 1"], tmp_path, cell_timeout=2)
    assert [r.event for r in runs] == ["timeout", "ok"]


def test_a_cell_that_ignores_the_interrupt_is_stuck_and_ends_the_kernel(tmp_path):
    code = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(60)"
    runs = _events([code, "y = 1"], tmp_path, cell_timeout=2)
    assert [r.event for r in runs] == ["stuck"] and runs[0].fatal


@pytest.mark.parametrize(("code", "event"), [("quit()", "exited"), ("exit()", "exited"),
                                             ("import os\nos._exit(3)", "died")])
def test_a_kernel_that_ends_is_blamed_on_the_cell_that_ended_it(tmp_path, code, event):
    runs = _events(["x = 1", code, "y = 2"], tmp_path)
    assert [r.event for r in runs] == ["ok", event]


def test_the_notebook_limit_kills_the_kernel_and_says_so(tmp_path):
    runs = _events(["import time\ntime.sleep(60)"], tmp_path, cell_timeout=30,
                   notebook_timeout=5)
    assert [r.event for r in runs] == ["deadline"]


def test_output_past_the_limit_is_cut_with_a_note(tmp_path):
    nb_runs = _events(["print('x' * 5000)", "print('more')"], tmp_path, output_limit=1000)
    assert [r.truncated for r in nb_runs] == [True, True]


def test_input_fails_at_once(tmp_path):
    runs = _events(["input('name? ')"], tmp_path, cell_timeout=15)
    assert runs[0].event == "error" and runs[0].ename == "StdinNotImplementedError"


def test_run_notebook_names_the_notebook_the_cell_and_the_error(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1"),
                                         nbformat.v4.new_code_cell("b = a / 0")])
    with pytest.raises(NotebookError, match=r"lesson\.ipynb, cell 1 \('b = a / 0'\): "
                                            "ZeroDivisionError"):
        run_notebook(nb, cwd=tmp_path, name="lesson.ipynb")


def test_run_notebook_keeps_errors_when_allowed_and_records_the_language(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0"),
                                         nbformat.v4.new_markdown_cell("text"),
                                         nbformat.v4.new_code_cell("print('after')")])
    run_notebook(nb, cwd=tmp_path, allow_errors=True)
    assert nb.cells[0].outputs[0]["ename"] == "ZeroDivisionError"
    assert nb.cells[2].outputs[0]["text"] == "after\n"
    assert [nb.cells[0].execution_count, nb.cells[2].execution_count] == [1, 2]
    assert nb.metadata["language_info"]["name"] == "python"
    assert "execution" not in nb.cells[2].metadata  # no timings: outputs are deterministic


def test_a_cell_tagged_raises_exception_may_fail_in_the_build(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]}),
        nbformat.v4.new_code_cell("print('on')")])
    run_notebook(nb, cwd=tmp_path)
    assert nb.cells[1].outputs[0]["text"] == "on\n"


def test_run_notebook_stops_a_runaway_cell(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("while True:\n    pass")])
    with pytest.raises(NotebookError, match="loop.ipynb, cell 0 .*longer than 2 s"):
        run_notebook(nb, cwd=tmp_path, timeout=2, name="loop.ipynb")



@pytest.mark.parametrize("code, limit, why, within", [
    ("import sys; sys.exit(3)", 60, "died", 10),          # not at the 60 s start-up limit
    ("import time; time.sleep(60)", 2, "respond in 2 seconds", 8),
], ids=["dies-before-answering", "never-answers"])
def test_a_kernel_that_does_not_start_fails_promptly_and_says_why(tmp_path, code, limit, why,
                                                                  within):
    """The wait for a new kernel ends when its process dies, or at the start-up limit."""
    import sys
    import time

    from coursekit.kernels.kernelclient import spec_manager

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    km = AsyncKernelManager(kernel_name="broken", kernel_spec_manager=spec_manager(
        [sys.executable, "-c", code, "{connection_file}"]))

    async def go():
        async with Kernel(nb, km, cell_timeout=10, startup_timeout=limit) as kernel:
            await kernel.start(cwd=str(tmp_path), env={**os.environ, **KERNEL_ENV})

    began = time.monotonic()
    with pytest.raises(RuntimeError, match=why):
        asyncio.run(go())
    assert time.monotonic() - began < within
