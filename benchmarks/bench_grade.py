"""Benchmark ``coursekit grade`` against the stock ``jupyter nbconvert --execute``, in one run.

Run by hand (a few minutes; it is not a test)::

    .venv/bin/python benchmarks/bench_grade.py                 # 20 copies of set 01
    .venv/bin/python benchmarks/bench_grade.py -n 40 --set 02-energy-arithmetic

It copies the course (data/ and exercises/) to a temporary folder, makes N copies of one
fully answered submission (the set's instructor notebook), and measures on the same machine:

1. the stock way: one ``jupyter nbconvert --to notebook --execute`` call per copy, one after
   the other (execution only: no scoring, no isolation, no feedback);
2. ``coursekit grade`` on the folder of copies, as a command, start-up included: fresh
   isolated kernels (forked from a warm process) run in parallel, answers read out and scored
   with the instructor's key, gradebook and feedback pages written; ``--also-cold`` times
   ``coursekit grade --cold`` too (every kernel a new Python process).

It prints both as seconds per submission and the ratio (stock time / coursekit time), checks
that every copy scored full marks, and names the isolation that was in force.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--copies", type=int, default=20, help="submissions (default 20)")
    parser.add_argument("--set", default="01-timeline", help="exercise set (default 01-timeline)")
    parser.add_argument("-j", "--jobs", type=int, default=0, help="coursekit kernels at once "
                        "(default: one per core)")
    parser.add_argument("--also-cold", action="store_true", help="also time coursekit grade "
                        "--cold (every kernel a new process, no fork server)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-grade-"))
    try:
        shutil.copytree(ROOT / "data", work / "data")
        shutil.copytree(ROOT / "exercises", work / "exercises")
        source = work / "exercises" / f"{args.set}.ipynb"
        stock_dir, subs = work / "stock", work / "submissions"
        stock_dir.mkdir()
        subs.mkdir()
        for i in range(args.copies):
            shutil.copy(source, stock_dir / f"student-{i:03d}.ipynb")
            shutil.copy(source, subs / f"student-{i:03d}.ipynb")
        env = {**os.environ, "COURSEKIT_ROOT": str(work)}
        cores = os.cpu_count() or 1
        print(f"{args.copies} copies of {args.set}; {cores} CPU core(s); Python {sys.version.split()[0]}")

        started = time.perf_counter()
        for path in sorted(stock_dir.glob("*.ipynb")):
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                            "--output", path.stem + ".out", str(path)], check=True, env=env,
                           cwd=stock_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stock = time.perf_counter() - started

        command = [str(BIN / "coursekit"), "grade", str(subs), "--exercises",
                   str(work / "exercises")]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        cold = None
        if args.also_cold:
            started = time.perf_counter()
            subprocess.run(command + ["--cold", "-o", str(work / "grades-cold")], check=True,
                           env=env, cwd=work, capture_output=True, text=True)
            cold = time.perf_counter() - started
        started = time.perf_counter()
        result = subprocess.run(command + ["-o", str(work / "grades")], check=True, env=env,
                                cwd=work, capture_output=True, text=True)
        ours = time.perf_counter() - started

        with open(work / "grades" / "gradebook.csv", encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        wrong = [r for r in rows if r["status"] not in ("correct", "manual")]
        protection = next((line for line in result.stdout.splitlines()
                           if line.startswith("protection:")), "protection: ?")
        n = args.copies
        print(f"stock nbconvert --execute, one by one: {stock:7.1f} s  "
              f"({stock / n:.2f} s per submission)")
        print(f"coursekit grade (isolated, scored):    {ours:7.1f} s  "
              f"({ours / n:.2f} s per submission)")
        print(f"ratio (stock / coursekit):             {stock / ours:7.2f}x")
        if cold is not None:
            print(f"coursekit grade --cold (no fork server): {cold:5.1f} s  "
                  f"({cold / n:.2f} s per submission, ratio {stock / cold:.2f}x)")
        kernels = next((line for line in result.stdout.splitlines()
                        if line.startswith("kernels:")), "")
        print(kernels)
        print(protection)
        print(f"scoring check: {len(rows) - len(wrong)} of {len(rows)} rows correct or manual"
              + ("" if not wrong else f"; NOT FULL MARKS: {wrong[:3]}"))
        return 0 if not wrong else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
