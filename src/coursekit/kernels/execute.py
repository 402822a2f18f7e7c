"""Run a notebook top to bottom in a fresh kernel, deterministically, from its own folder.

Outputs come out the same on every run (no timing metadata, fixed hash seed, fixed
matplotlib backend), so nbval can compare them and the build can cache them.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
>>> run_notebook(nb, cwd=".").cells[0].outputs[0]["text"]
'42\\n'
"""

from __future__ import annotations

import os
from pathlib import Path

from coursekit.errors import NotebookError

__all__ = ["run_notebook", "execute_file", "KERNEL_ENV"]

# Set for every kernel we start: same hash order, no GUI backend, no network proxies needed.
KERNEL_ENV = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def run_notebook(nb, *, cwd: str | os.PathLike[str], timeout: int = 120, name: str = "notebook",
                 allow_errors: bool = False):
    """Execute ``nb`` (an nbformat node, changed in place) with ``cwd`` as working directory.

    Args:
        nb: the notebook to run.
        cwd: the working directory of the kernel (a lesson's own folder).
        timeout: seconds allowed per cell.
        name: how errors name the notebook.
        allow_errors: keep going after a failing cell (the error is kept as an output).

    Raises:
        NotebookError: a cell failed or timed out; the message names the notebook, the cell
            (its number and first line) and the error.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    env = {**os.environ, **KERNEL_ENV}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            shutdown_kernel="immediate",
                            allow_errors=allow_errors, resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute(cwd=str(cwd), env=env)
    except CellTimeoutError:
        raise NotebookError(f"{name}: a cell ran longer than {timeout} s and was stopped. "
                            "Look for a loop that never ends.") from None
    except DeadKernelError as exc:
        raise NotebookError(f"{name}: the kernel died ({exc}).") from None
    except CellExecutionError as exc:
        cell = _failed_cell(nb)
        first = cell.source.strip().splitlines()[0] if cell is not None and cell.source.strip() else ""
        index = nb.cells.index(cell) if cell is not None else "?"
        raise NotebookError(f"{name}, cell {index} ({first[:60]!r}): {exc.ename}: {exc.evalue}") from None
    return nb


def _failed_cell(nb):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return cell
    return None


def execute_file(path: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None,
                 timeout: int = 120):
    """Execute the notebook at ``path`` in its own folder; write it to ``out`` (atomically).

    With ``out=None`` the result is only returned. Returns the executed notebook.
    """
    import nbformat

    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several types for a broken file
        raise NotebookError(f"{path}: cannot be read as a notebook ({exc}).") from None
    run_notebook(nb, cwd=path.parent, timeout=timeout, name=str(path))
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        nbformat.write(nb, tmp)
        os.replace(tmp, out)
    return nb
