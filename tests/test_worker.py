"""coursekit.build.worker: one notebook's build, its cached execution, the exercise check."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from coursekit.build import worker
from coursekit.errors import NotebookError


def _spec(tmp_path, source, **extra) -> dict:
    return {"name": "notebooks/01-x.ipynb", "kind": "lesson", "source": str(source),
            "title": "01 · X", "exec_key": "k1", "outputs": ["notebooks/01-x.ipynb"],
            "root": str(tmp_path), "out": str(tmp_path / "build"), "pdf": False, "timeout": 30,
            **extra}


def test_a_notebook_that_cannot_be_read_is_a_row_naming_it_not_a_crash(tmp_path):
    broken = tmp_path / "01-x.ipynb"
    broken.write_text("{ not json", encoding="utf-8")
    row = worker.run_job(_spec(tmp_path, broken))
    assert (row["execute"], row["export"]) == ("failed", "failed")
    assert "01-x.ipynb: cannot be read as a notebook" in row["error"]


def test_a_cached_run_gives_its_outputs_without_a_kernel(tmp_path, monkeypatch):
    nb = new_notebook(cells=[new_code_cell("print(6 * 7)")])
    done = new_notebook(cells=[new_code_cell("print(6 * 7)", execution_count=1, outputs=[
        new_output("stream", name="stdout", text="42\n")])])
    spec = _spec(tmp_path, tmp_path / "01-x.ipynb")
    cached = worker.cache_file(tmp_path, spec["name"], spec["exec_key"])
    cached.parent.mkdir(parents=True)
    nbformat.write(done, cached)

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started although the run was cached")

    monkeypatch.setattr("coursekit.kernels.execute.run_notebook", no_kernel)
    result, ran = worker._execute_cached(nb, spec)
    assert ran is False and result.cells[0].outputs[0]["text"] == "42\n"


def test_a_cache_entry_for_other_cells_is_only_a_miss(tmp_path):
    other = new_notebook(cells=[new_code_cell("1"), new_code_cell("2")])
    path = worker.cache_file(tmp_path, "notebooks/01-x.ipynb", "k1")
    path.parent.mkdir(parents=True)
    nbformat.write(other, path)
    assert worker._from_cache(new_notebook(cells=[new_code_cell("1")]), path) is False
    path.write_text("damaged", encoding="utf-8")
    assert worker._from_cache(new_notebook(cells=[new_code_cell("1")]), path) is False


def test_an_exercise_solution_that_fails_its_check_names_the_cell_and_question():
    failing = new_output("display_data", data={"text/plain": "Not yet"},
                         metadata={"coursekit": {"question": "ex01.n", "passed": False}})
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("check('ex01.n', x)",
                                                                   outputs=[failing])])
    with pytest.raises(NotebookError, match=r"01-count.ipynb, cell 1: self-check 'ex01.n' does not pass"):
        worker.check_exercise(nb, "exercises/01-count.ipynb")
    nb.cells[1].outputs[0].metadata["coursekit"]["passed"] = True
    worker.check_exercise(nb, "exercises/01-count.ipynb")  # passes: no error
