"""House habits: ruff is clean on the whole tree (src, tests, tools, notebooks, exercises),
and the pre-commit configuration and its notebook hook do what CONTRIBUTING.md says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "tools" / "check_notebooks.py"
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_ruff_is_clean_on_the_whole_tree():
    result = ruff("check", "--no-cache", "--output-format", "concise", ".")
    assert result.returncode == 0, (
        "ruff found problems (fix them, many with `.venv/bin/ruff check --fix .`):\n"
        + result.stdout + result.stderr)


def test_ruff_really_looks_at_the_code_and_the_notebooks():
    """The clean result above covers every area the house style names, notebooks included."""
    result = ruff("check", "--show-files", ".")
    files = {Path(line.strip()).resolve().relative_to(ROOT).parts[0]
             for line in result.stdout.splitlines() if line.strip().startswith(str(ROOT))}
    assert {"src", "tests", "tools"} <= files, files
    notebooks = [p for p in (ROOT / "notebooks").glob("*.ipynb")]
    if notebooks:
        assert "notebooks" in files
    if list((ROOT / "exercises").glob("*.ipynb")):
        assert "exercises" in files


def test_ruff_fails_on_a_planted_problem(tmp_path):
    """The check can fail: an unused import in a notebook is reported with its cell."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nx = 1")])
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, path)
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
                             str(ROOT / "pyproject.toml"), str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "F401" in result.stdout


# --- pre-commit ------------------------------------------------------------------------------

def hooks() -> dict[str, dict]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def test_pre_commit_config_has_the_promised_hooks_and_none_strips_outputs():
    found = hooks()
    for needed in ("ruff", "notebook-outputs", "trailing-whitespace", "end-of-file-fixer"):
        assert needed in found, needed
    text = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    for stripper in ("nbstripout", "nbstrip", "--clear-output", "strip-output"):
        assert stripper not in text.split("#")[0] and stripper not in yaml.safe_dump(found)
    assert found["notebook-outputs"]["entry"] == "python tools/check_notebooks.py"
    assert HOOK.is_file()


def test_pre_commit_ruff_pin_is_a_ruff_the_test_extra_accepts():
    import tomllib

    from packaging.requirements import Requirement

    pin = Requirement(hooks()["ruff"]["additional_dependencies"][0])
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = next(Requirement(r) for r in extra["project"]["optional-dependencies"]["test"]
                  if r.startswith("ruff"))
    version = next(iter(pin.specifier)).version
    assert pin.name == "ruff" and wanted.specifier.contains(version)


def run_hook(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HOOK), *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_the_notebook_hook_passes_the_course_notebooks():
    notebooks = sorted([*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "exercises").glob("*.ipynb")])
    if not notebooks:
        pytest.skip("no notebooks in the course yet")
    result = run_hook(*notebooks)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> nbformat.NotebookNode:
    """A small notebook run top to bottom in a kernel, as a contributor would save it."""
    from coursekit.kernels.execute import run_notebook

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A set"),
                                         nbformat.v4.new_code_cell("x = 6 * 7"),
                                         nbformat.v4.new_code_cell("print(x)")])
    nb.metadata["kernelspec"] = KERNEL
    return run_notebook(nb, cwd=tmp_path_factory.mktemp("run"))


def planted(tmp_path: Path, nb, name: str) -> Path:
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_notebook_hook_accepts_a_properly_run_notebook(executed, tmp_path):
    result = run_hook(planted(tmp_path, executed, "good"))
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("problem, expected", [
    ("stripped", "cell 1: never run"),
    ("out_of_order", "cell 2: run out of order"),
    ("error", "cell 2: error output (ZeroDivisionError"),
    ("absolute_output", "cell 2: absolute path in an output"),
    ("absolute_source", "cell 1: absolute path in the source"),
    ("broken", "cannot be read as a notebook"),
])
def test_the_notebook_hook_refuses_each_planted_problem(executed, tmp_path, problem, expected):
    nb = nbformat.from_dict(nbformat.v4.upgrade(nbformat.reads(nbformat.writes(executed), 4)))
    if problem == "stripped":
        for cell in nb.cells[1:]:
            cell.outputs, cell.execution_count = [], None
    elif problem == "out_of_order":
        nb.cells[1].execution_count, nb.cells[2].execution_count = 5, 2
    elif problem == "error":
        nb.cells[2].outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError",
                                                      evalue="division by zero", traceback=[])]
    elif problem == "absolute_output":
        nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                      text="saved to /home/ayesha/course/x.csv\n")]
    elif problem == "absolute_source":
        nb.cells[1].source = "x = open('/Users/ayesha/data.csv')"
    path = planted(tmp_path, nb, problem)
    if problem == "broken":
        path.write_text('{"cells": [', encoding="utf-8")
    result = run_hook(path)
    assert result.returncode == 1
    assert f"{path}" in result.stdout and expected in result.stdout, result.stdout


def test_the_notebook_hook_respects_the_nbval_tags(executed, tmp_path):
    """A cell tagged nbval-skip may stay unrun; one tagged raises-exception may show its error."""
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(executed), 4))
    nb.cells.append(nbformat.v4.new_code_cell("input('never run in CI')",
                                              metadata={"tags": ["nbval-skip"]}))
    nb.cells.append(nbformat.v4.new_code_cell(
        "1 / 0", execution_count=3, metadata={"tags": ["raises-exception"]},
        outputs=[nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="x",
                                        traceback=[])]))
    result = run_hook(planted(tmp_path, nb, "tagged"))
    assert result.returncode == 0, result.stdout


def test_the_notebook_hook_runs_the_lesson_lint_on_lessons(executed, tmp_path, monkeypatch):
    """A notebook in a course's notebooks/ folder also gets coursekit.course.lint.lint: here a
    lesson without its sections or navigation, in a throwaway copy of the course."""
    import shutil

    sys.path.insert(0, str(HOOK.parent))
    try:
        import check_notebooks
    finally:
        sys.path.remove(str(HOOK.parent))
    assert (ROOT / "notebooks" / "00-start-here.ipynb").resolve() in check_notebooks.lesson_files()
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "toc.yml", tmp_path / "notebooks" / "toc.yml")
    monkeypatch.setattr(check_notebooks, "REPO", tmp_path)
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(executed), 4))
    path = tmp_path / "notebooks" / "01-historical-context.ipynb"
    nbformat.write(nb, path)
    problems = check_notebooks.check([path])
    assert any("no 'Learning objectives' section" in p for p in problems), problems
    assert any("no navigation cell" in p for p in problems), problems
    stray = tmp_path / "notebooks" / "99-not-listed.ipynb"
    nbformat.write(nb, stray)
    assert any("not in notebooks/toc.yml" in p for p in check_notebooks.check([stray]))
