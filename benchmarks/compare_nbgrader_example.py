"""Grade nbgrader's documented example course with ``coursekit grade`` and with ``nbgrader
autograde``; print both, cell by cell.

Run by hand (not a test; about a minute). It needs a checkout of nbgrader's repository (its
``docs/source/user_guide`` holds the ``ps1`` course: ``source/``, two students' ``submitted/``
copies) and nbgrader in a virtual environment of its own::

    python3 -m venv /work/nbgvenv && /work/nbgvenv/bin/pip install nbgrader==0.9.6
    .venv/bin/python benchmarks/compare_nbgrader_example.py --repo PATH/TO/nbgrader

``--repo`` may be a work tree or a bare clone (``git show`` reads it). In a temporary folder it
copies the course twice: nbgrader's (``nbgrader autograde ps1`` over ``submitted/``) and
coursekit's (``exercises/`` holds the instructor notebooks as they are, ``submissions/`` the same
students' files). For every graded cell it prints nbgrader's score and coursekit's, and exits 1
if any differ.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_nbgrader import coursekit_points, nbgrader_points, run  # noqa: E402

BIN = Path(sys.executable).parent
GUIDE = "nbgrader/docs/source/user_guide"
FILES = ["source/ps1/problem1.ipynb", "source/ps1/problem2.ipynb", "source/ps1/jupyter.png",
         *(f"submitted/{s}/ps1/{n}" for s in ("bitdiddle", "hacker")
           for n in ("problem1.ipynb", "problem2.ipynb", "jupyter.png", "timestamp.txt"))]


def _read(repo: Path, path: str) -> bytes:
    if (repo / GUIDE / path).exists():
        return (repo / GUIDE / path).read_bytes()
    return subprocess.run(["git", f"--git-dir={repo}", "show", f"HEAD:{GUIDE}/{path}"],
                          capture_output=True, check=True).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path("/work/.mirror/jupyter+nbgrader/repo"),
                        help="nbgrader's repository (work tree or bare clone)")
    parser.add_argument("--nbgrader", type=Path, default=Path("/work/nbgvenv/bin/nbgrader"))
    args = parser.parse_args()
    for needed in (args.repo, args.nbgrader):
        if not needed.exists():
            print(f"skipped: {needed} is missing (see this script's docstring).")
            return 0
    work = Path(tempfile.mkdtemp(prefix="nbgrader-example-"))
    try:
        nbg, ours = work / "nbgrader-course", work / "coursekit-course"
        for path in FILES:
            target = nbg / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_read(args.repo, path))
        (nbg / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.course_id = 'example'\n"
            f"c.CourseDirectory.root = {str(nbg)!r}\n", encoding="utf-8")
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(work / "jupyter-config"),
               "PATH": f"{args.nbgrader.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        run([args.nbgrader, "db", "assignment", "add", "ps1"], cwd=nbg, env=env)
        for student in ("bitdiddle", "hacker"):
            run([args.nbgrader, "db", "student", "add", student], cwd=nbg, env=env)
        run([args.nbgrader, "generate_assignment", "ps1", "--force"], cwd=nbg, env=env)
        run([args.nbgrader, "autograde", "ps1", "--force"], cwd=nbg, env=env)
        theirs = nbgrader_points(args.nbgrader, nbg, env)

        shutil.copytree(ROOT / "data", ours / "data")
        (ours / "exercises").mkdir(parents=True)
        for name in ("problem1.ipynb", "problem2.ipynb", "jupyter.png"):
            shutil.copy(nbg / "source" / "ps1" / name, ours / "exercises" / name)
        for student in ("bitdiddle", "hacker"):
            (ours / "submissions" / student).mkdir(parents=True)
            for name in ("problem1.ipynb", "problem2.ipynb"):
                shutil.copy(nbg / "submitted" / student / "ps1" / name,
                            ours / "submissions" / student / name)
        run([BIN / "coursekit", "grade", ours / "submissions", "--exercises", ours / "exercises",
             "-o", ours / "grades"], cwd=ours, env={**os.environ, "COURSEKIT_ROOT": str(ours)})
        mine = coursekit_points(ours / "grades" / "gradebook.csv")

        differ = 0
        print(f"{'student':10} {'cell':34} {'nbgrader':>12} {'coursekit':>12}")
        for student in sorted(theirs):
            for cell in sorted(set(theirs[student]) | set(mine.get(student, {}))):
                a, b = theirs[student].get(cell), mine.get(student, {}).get(cell)

                def show(v):
                    return "absent" if v is None else (
                        f"manual/{v[1]:g}" if v[0] is None else f"{v[0]:g}/{v[1]:g}")
                mark = "" if a == b else "   <- differs"
                differ += a != b
                print(f"{student:10} {cell:34} {show(a):>12} {show(b):>12}{mark}")
        print("every graded cell agrees" if not differ else f"{differ} cell(s) differ")
        return 1 if differ else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
