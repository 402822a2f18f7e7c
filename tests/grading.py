"""Shared by the grading tests: a throwaway course and its release, submissions built from
the released student version, and the grader run on them."""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit.assess.grade import Options, grade_folder
from coursekit.assess.release import release_sets
from coursekit.course.exercises import discover
from coursekit.kernels.sandbox import detect

ROOT = Path(__file__).resolve().parents[1]
SETS = {s.name: s for s in discover(ROOT / "exercises")}
FAST = {"cell_timeout": 20.0, "timeout": 120.0}  # generous: CI machines may be busy
BWRAP = detect("auto").mode == "bubblewrap"
MODES = [pytest.param("bubblewrap", marks=pytest.mark.skipif(
             not BWRAP, reason="bubblewrap cannot run here (the guard is tested instead)")),
         "guard"]

# Two attacking answers the sandbox tests submit: three children that together pass the memory
# limit, and 200 processes (n_context says how many started).
CHILDREN = """import subprocess, sys, time
grab = "b = b'x' * (800 * 2**20); import time; time.sleep(20)"
kids = [subprocess.Popen([sys.executable, '-c', grab]) for _ in range(3)]
time.sleep(15)
n_context = 59  # reached only if the three children were allowed to hold 2.4 GB together"""

FORKS = """import subprocess
kids = []
for _ in range(200):
    try:
        kids.append(subprocess.Popen(['/usr/bin/sleep', '30']))
    except OSError:
        break
n_context = len(kids)
for k in kids:
    k.kill()
    k.wait()"""


def make_course(root: Path) -> Path:
    """A throwaway course in ``root`` (data, exercises with answers) and its student release."""
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "exercises", root / "exercises",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    release_sets(root / "exercises", root / "release")
    return root


def released(course: Path, name: str):
    return nbformat.read(course / "release" / f"{name}.ipynb", as_version=4)


def answer(nb, variable: str, code: str):
    """Replace the placeholder ``variable = ...`` of a released notebook with ``code``."""
    for cell in nb.cells:
        if f"\n{variable} = ...\n" in f"\n{cell.source}\n":
            cell.source = "\n".join(code if line == f"{variable} = ..." else line
                                    for line in cell.source.split("\n"))
            return nb
    raise AssertionError(f"no placeholder for {variable}")


def insert(nb, before_variable: str, code: str):
    """Insert a code cell just before the cell that answers ``before_variable``."""
    index = next(i for i, c in enumerate(nb.cells) if f"{before_variable} = ..." in c.source)
    nb.cells.insert(index, nbformat.v4.new_code_cell(code))
    return nb


def save(folder: Path, name: str, nb) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def submit(course: Path, folder: Path, name: str, set_name: str, **answers: str) -> Path:
    """Save, as ``name`` in ``folder``, the released ``set_name`` with each variable's
    placeholder replaced by the code given for it."""
    nb = released(course, set_name)
    for variable, code in answers.items():
        answer(nb, variable, code)
    return save(folder, name, nb)


def grade(course: Path, folder: Path, **options):
    return grade_folder(folder, exercises_dir=course / "exercises",
                        output_dir=folder.parent / "grades", options=Options(**{**FAST, **options}))


def by_question(report, student: str) -> dict[str, dict]:
    return {row["question"]: row for row in report.rows() if row["student"] == student}


def points(report, student: str) -> float:
    return sum(float(r["points"]) for r in by_question(report, student).values()
               if r["points"] not in ("", None))


def digests(*folders: Path) -> dict[str, tuple]:
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                info = path.stat()
                found[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mtime_ns)
    return found


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "coursekit.cli", "grade", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def cli_run(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "coursekit.cli", "grade", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
