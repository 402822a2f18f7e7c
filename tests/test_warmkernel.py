"""coursekit.kernels.warmkernel: forked kernels behave like cold ones, and never outlive their stub."""

from __future__ import annotations

import copy
import os

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from coursekit.errors import NotebookError
from coursekit.kernels import warmkernel
from coursekit.kernels.execute import KERNEL_ENV, run_notebook

pytestmark = pytest.mark.skipif(not warmkernel.available(), reason="warm kernels need Linux pidfds")

CODE = [
    "import os, sys\nfrom coursekit import data, plots",
    "print(os.path.basename(os.getcwd()), os.environ.get('COURSEKIT_TEST_MARK'))",
    "fig, ax = plots.figure(3, 2)\nax.plot([1, 2], [3, 4])\n"
    "plots.render_png(fig)[:8]",
    "print(sorted(k for k in ('PYTHONHASHSEED', 'MPLBACKEND') if k in os.environ), hash('coursekit'))",
]


def _outputs(nb):
    return [(c.execution_count, c.outputs) for c in nb.cells]


@pytest.fixture
def warm(monkeypatch):
    monkeypatch.setenv("COURSEKIT_TEST_MARK", "from-the-worker")
    with warmkernel.WarmKernels({**os.environ, **KERNEL_ENV}) as kernels:
        yield kernels


def test_a_forked_kernel_gives_the_outputs_of_a_cold_one(tmp_path, monkeypatch):
    folder = tmp_path / "lesson-folder"
    folder.mkdir()
    monkeypatch.setenv("COURSEKIT_TEST_MARK", "from-the-worker")
    nb = new_notebook(cells=[new_code_cell(c) for c in CODE])
    cold = run_notebook(copy.deepcopy(nb), cwd=folder)
    with warmkernel.WarmKernels({**os.environ, **KERNEL_ENV}):
        warm = run_notebook(copy.deepcopy(nb), cwd=folder)
        again = run_notebook(copy.deepcopy(nb), cwd=folder)
    assert _outputs(warm) == _outputs(cold) == _outputs(again)
    assert warm.cells[1].outputs[0]["text"] == "lesson-folder from-the-worker\n"


def test_a_runaway_cell_is_interrupted_and_reported(warm, tmp_path):
    nb = new_notebook(cells=[new_code_cell("while True:\n    pass")])
    with pytest.raises(NotebookError, match="longer than 3 s"):
        run_notebook(nb, cwd=tmp_path, timeout=3, name="loop.ipynb")


def test_no_kernel_outlives_the_build(warm, tmp_path):
    nb = new_notebook(cells=[new_code_cell("import os\nprint(os.getpid())")])
    pid = int(run_notebook(nb, cwd=tmp_path).cells[0].outputs[0]["text"])
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        import time
        time.sleep(0.05)
    else:
        pytest.fail(f"kernel {pid} is still running after its notebook finished")
