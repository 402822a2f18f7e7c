"""Benchmark ``coursekit grade`` against ``nbgrader autograde`` on nbgrader-format submissions.

Run by hand (a few minutes; it is not a test). nbgrader lives in a venv of its own, never in
coursekit's::

    python3 -m venv /work/nbgvenv && /work/nbgvenv/bin/pip install nbgrader==0.9.6
    .venv/bin/python benchmarks/bench_nbgrader.py                 # 20 submissions
    .venv/bin/python benchmarks/bench_nbgrader.py -n 40 --also-cold --nbgrader PATH/nbgrader

In a temporary folder it builds an nbgrader course (``nbgrader_config.py`` and
``source/ps1/problem1.ipynb``, an nbgrader-shaped problem set written by this script: two
autograded test cells, one with hidden tests, plus manually graded answers and a task), runs
``nbgrader generate_assignment ps1`` and takes its release as the student copy. It makes N
submissions from that copy, cycling through four kinds (all right; wrong only on the hidden
test; a wrong ``span``; right but writing a warning to stderr, which nbgrader scores 0), and
measures on the same machine, start-up included:

1. ``nbgrader autograde ps1`` on ``submitted/STUDENT/ps1/problem1.ipynb`` (one submission after
   the other, as nbgrader runs them);
2. ``coursekit grade`` on the same N notebooks (``STUDENT/problem1.ipynb``), with a course copy
   whose ``exercises/`` holds the instructor notebook: isolated kernels forked from a warm
   process, in parallel, each test cell scored with nbgrader's points; ``--also-cold`` times
   ``coursekit grade --cold`` too (every kernel a new Python process).

It prints seconds per submission for both, the ratio (nbgrader / coursekit), the load average
(the machine may be shared) and compares, student by student and cell by cell, the points, the
points possible and which cells are left to the instructor: any difference, or a test cell not
scored as the student's answers earn, is printed and the exit status is 1.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
v4 = nbformat.v4

# The autograded test cells of the set (grade, not solution): the points both tools must agree on.
TESTS = ("gap_tests", "span_tests")

# What a student writes in each answer cell, by kind of submission: nbgrader's release leaves a
# stub there (``raise NotImplementedError()``), so every kind fills every answer.
RIGHT_GAP = 'def gap(a, b):\n    """Years from a to b."""\n    return b - a'
KINDS = {
    "right": {"gap": RIGHT_GAP, "span": "def span(rows):\n    return max(rows) - min(rows)"},
    "hidden-wrong": {"gap": "def gap(a, b):\n    return b - a if a > 1980 else 0",
                     "span": "def span(rows):\n    return max(rows) - min(rows)"},
    "span-wrong": {"gap": RIGHT_GAP, "span": "def span(rows):\n    return max(rows)"},
    # right, but it writes a warning to stderr: nbgrader gives such a test cell no points
    "warns": {"gap": "def gap(a, b):\n    import sys\n    print('check the dates', file=sys.stderr)"
                     "\n    return b - a",
              "span": "def span(rows):\n    return max(rows) - min(rows)"},
}
EXPECTED = {"right": {"gap_tests": 2.0, "span_tests": 1.0},
            "hidden-wrong": {"gap_tests": 0.0, "span_tests": 1.0},
            "span-wrong": {"gap_tests": 2.0, "span_tests": 0.0},
            "warns": {"gap_tests": 0.0, "span_tests": 1.0}}
OWN_ANSWERS = {"own_case": "def decade_gap():\n    return gap(2012, 2022)",
               "timing": "The talks were held on the day the invasion of Ukraine began."}

NBGRADER_SCORES = """
import json, sys
from nbgrader.api import Gradebook
found = {}
with Gradebook(sys.argv[1]) as gb:
    for sub in gb.assignment_submissions(sys.argv[2]):
        for nb in sub.notebooks:
            for g in nb.grades:
                found.setdefault(sub.student.id, {})[f"{nb.name}/{g.name}"] = [g.auto_score, g.max_score]
print(json.dumps(found))
"""


def instructor_notebook():
    """The instructor's problem set, in the shape of nbgrader's ps1/problem1 (tests/foreign_notebooks.py)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from foreign_notebooks import nbgrader_notebook

    # python3: the kernel name nbgrader's own venv has (its native kernel)
    return nbgrader_notebook(kernel="python3")


def submission(released, kind: str):
    """The released student copy with one kind of student's answers typed in."""
    nb = nbformat.from_dict(json.loads(json.dumps(released)))
    answers = {**OWN_ANSWERS, **KINDS[kind]}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def run(command, *, cwd: Path, env: dict) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``command`` to the end, timed; stop with its output when it fails."""
    started = time.perf_counter()
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                            text=True)
    seconds = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
                 f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return seconds, result


def nbgrader_points(nbgrader: Path, course: Path, env: dict, assignment: str = "ps1") -> dict:
    """Per student and graded cell (``notebook/grade_id``), from nbgrader's own gradebook:
    ``[points, max_points]``, points ``None`` for a cell left to the instructor."""
    found = json.loads(run([nbgrader.parent / "python", "-c", NBGRADER_SCORES,
                            f"sqlite:///{course / 'gradebook.db'}", assignment],
                           cwd=course, env=env)[1].stdout)
    return {student: {cell: [None if auto is None else float(auto), float(most)]
                      for cell, (auto, most) in cells.items()}
            for student, cells in found.items()}


def coursekit_points(gradebook: Path) -> dict:
    """The same from coursekit's long gradebook (cells named ``set/question``)."""
    found: dict = {}
    with open(gradebook, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            points = None if row["status"] == "manual" else float(row["points"] or 0)
            found.setdefault(row["student"].split("/")[0], {})[f"{row['set']}/{row['question']}"] = [
                points, float(row["max_points"])]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--copies", type=int, default=20, help="submissions (default 20)")
    parser.add_argument("--nbgrader", type=Path, default=Path("/work/nbgvenv/bin/nbgrader"),
                        help="nbgrader command, in its own venv "
                             "(default /work/nbgvenv/bin/nbgrader)")
    parser.add_argument("-j", "--jobs", type=int, default=0, help="coursekit kernels at once "
                        "(default: one per core)")
    parser.add_argument("--also-cold", action="store_true", help="also time coursekit grade "
                        "--cold (every kernel a new process, no fork server)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if not args.nbgrader.exists():
        print(f"skipped: no nbgrader at {args.nbgrader}. Install it in a venv of its own "
              "(python3 -m venv /work/nbgvenv && /work/nbgvenv/bin/pip install "
              "nbgrader==0.9.6) or pass --nbgrader PATH.")
        return 0

    work = Path(tempfile.mkdtemp(prefix="bench-nbgrader-"))
    try:
        # nbgrader's course, with a Jupyter config folder of its own (no user config read)
        nbg = work / "nbgrader-course"
        (nbg / "source" / "ps1").mkdir(parents=True)
        (nbg / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
            f"c.CourseDirectory.root = {str(nbg)!r}\n", encoding="utf-8")
        nbformat.write(instructor_notebook(), nbg / "source" / "ps1" / "problem1.ipynb")
        nbg_env = {**os.environ, "JUPYTER_CONFIG_DIR": str(work / "jupyter-config"),
                   "PATH": f"{args.nbgrader.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        version = run([args.nbgrader, "--version"], cwd=nbg, env=nbg_env)[1].stdout.split()[-1]
        run([args.nbgrader, "generate_assignment", "ps1", "--force"], cwd=nbg, env=nbg_env)
        released = nbformat.read(nbg / "release" / "ps1" / "problem1.ipynb", as_version=4)

        # coursekit's course: the repo's data/ and the instructor notebook in exercises/
        ours = work / "coursekit-course"
        shutil.copytree(ROOT / "data", ours / "data")
        (ours / "exercises").mkdir()
        shutil.copy(nbg / "source" / "ps1" / "problem1.ipynb", ours / "exercises")
        subs = ours / "submissions"

        kinds = list(KINDS)
        expected = {}
        for i in range(args.copies):
            student, kind = f"student-{i:03d}", kinds[i % len(kinds)]
            expected[student] = EXPECTED[kind]
            nb = submission(released, kind)
            for path in (nbg / "submitted" / student / "ps1" / "problem1.ipynb",
                         subs / student / "problem1.ipynb"):
                path.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, path)

        cores = os.cpu_count() or 1
        print(f"{args.copies} nbgrader-format submissions of ps1/problem1 "
              f"({', '.join(kinds)}, in turn); {cores} CPU core(s); Python "
              f"{sys.version.split()[0]}; nbgrader {version}")
        print("load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))

        theirs, _ = run([args.nbgrader, "autograde", "ps1", "--force"], cwd=nbg, env=nbg_env)
        their_points = nbgrader_points(args.nbgrader, nbg, nbg_env)

        env = {**os.environ, "COURSEKIT_ROOT": str(ours)}
        command = [BIN / "coursekit", "grade", subs, "--exercises", ours / "exercises"]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        cold = None
        if args.also_cold:
            cold, _ = run(command + ["--cold", "-o", ours / "grades-cold"], cwd=ours, env=env)
        warm, result = run(command + ["-o", ours / "grades"], cwd=ours, env=env)
        our_points = coursekit_points(ours / "grades" / "gradebook.csv")
        print("load average after:  " + " ".join(f"{x:.2f}" for x in os.getloadavg()))

        n = args.copies
        print(f"nbgrader autograde (one by one):    {theirs:7.1f} s  "
              f"({theirs / n:.2f} s per submission)")
        print(f"coursekit grade (isolated, scored): {warm:7.1f} s  "
              f"({warm / n:.2f} s per submission)")
        print(f"ratio (nbgrader / coursekit):       {theirs / warm:7.2f}x")
        if cold is not None:
            print(f"coursekit grade --cold:             {cold:7.1f} s  "
                  f"({cold / n:.2f} s per submission, ratio {theirs / cold:.2f}x)")
        for prefix in ("kernels:", "protection:"):
            print(next((line for line in result.stdout.splitlines()
                        if line.startswith(prefix)), f"{prefix} ?"))

        differences = []
        for student in sorted(expected):
            # every graded cell: [points, max points]; points None = left to the instructor
            a, b = their_points.get(student), our_points.get(student)
            if a != b:
                differences.append(f"  {student}: nbgrader {a}, coursekit {b}")
            elif {t: a[f"problem1/{t}"][0] for t in TESTS} != expected[student]:
                differences.append(f"  {student}: both {a}, but its answers earn "
                                   f"{expected[student]}")
        total = sum(p[f"problem1/{t}"][0] for p in their_points.values() for t in TESTS)
        if differences:
            print(f"points: {len(differences)} of {n} student(s) differ:")
            print("\n".join(differences))
        else:
            print(f"points: nbgrader and coursekit agree on every graded cell of all {n} "
                  f"students (points, points possible, which cells are left to the "
                  f"instructor; {total:g} autograded points in all)")
        return 1 if differences else 0
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
