"""Benchmark ``coursekit build`` against the stock nbconvert sequence, on the same lessons.

Run by hand (it takes a few minutes; it is not a test)::

    .venv/bin/python benchmarks/bench_build.py            # all lessons
    .venv/bin/python benchmarks/bench_build.py --lessons 3

It copies the course (data/, notebooks/, learners/) to a temporary folder and
measures, in one run:

1. the stock sequence, one ``jupyter nbconvert`` call per lesson and step:
   ``--to notebook --execute``, then ``--to slides`` and ``--to html`` of the executed copy;
2. ``coursekit build`` from an empty cache on the same lessons (it also lints them and writes
   the student release and the index), with ``--no-pdf`` and with PDF handouts (when Chromium
   is installed); ``--with-exercises`` adds the exercise sets, which the stock sequence lacks;
3. ``coursekit build`` again with nothing changed;
4. ``coursekit --help`` start-up (median of several runs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def copy_course(target: Path, lessons: int | None, exercises: bool) -> list[str]:
    folders = ("data", "notebooks", "learners") + (("exercises",) if exercises else ())
    for folder in folders:
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, target / folder,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    toc = yaml.safe_load((target / "notebooks" / "toc.yml").read_text(encoding="utf-8"))
    entries = [e for e in toc["lessons"] if (target / "notebooks" / e["file"]).is_file()]
    if lessons:
        entries = entries[:lessons]
    (target / "notebooks" / "toc.yml").write_text(yaml.safe_dump({"lessons": entries}),
                                                  encoding="utf-8")
    return [e["file"] for e in entries]


class Failed(Exception):
    pass


CPU: list[float] = []  # CPU seconds (user + system) of each timed command and its children


def timed(cmd: list[str], cwd: Path, env: dict) -> float:
    """Wall-clock seconds of ``cmd``; its CPU seconds go to :data:`CPU` (on a shared machine the
    CPU time says more about the code than the wall clock, which other work stretches)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise Failed(f"failed ({result.returncode}): {' '.join(cmd)}\n{result.stdout[-1500:]}\n"
                     f"{result.stderr[-1500:]}")
    return elapsed


def stock(course: Path, files: list[str], env: dict) -> tuple[float, list[str]]:
    """Time the stock sequence; a lesson that does not execute is dropped from both runs."""
    out = course / "stock"
    out.mkdir()
    jupyter = str(BIN / "jupyter")
    total, ok = 0.0, []
    for name in files:
        try:
            run = timed([jupyter, "nbconvert", "--to", "notebook", "--execute", name,
                         "--output-dir", str(out)], course / "notebooks", env)
        except Failed:
            print(f"  {name} does not execute: left out of both runs")
            continue
        run += timed([jupyter, "nbconvert", "--to", "slides", str(out / name)], course, env)
        run += timed([jupyter, "nbconvert", "--to", "html", str(out / name)], course, env)
        total += run
        ok.append(name)
    return total, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, default=None, help="only the first N lessons")
    parser.add_argument("--help-runs", type=int, default=7)
    parser.add_argument("--no-stock", action="store_true",
                        help="skip the stock nbconvert sequence (for comparing two coursekit "
                             "versions on the same machine, where only the build's times matter)")
    parser.add_argument("--with-exercises", action="store_true",
                        help="copy exercises/ too, so the build also executes the exercise sets "
                             "(the stock sequence never does: the ratio is then not like for like)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="coursekit-bench-"))
    course = work / "course"
    files = copy_course(course, args.lessons, args.with_exercises)
    env = {**os.environ, "COURSEKIT_ROOT": str(course)}
    coursekit = str(BIN / "coursekit")
    exercises = len(list((course / "exercises").glob("[0-9][0-9]-*.ipynb"))) if args.with_exercises else 0
    print(f"{len(files)} lessons, {exercises} exercise sets, {os.cpu_count()} cores; in {work}")

    stock_s, files = (0.0, files) if args.no_stock else stock(course, files, env)
    toc = course / "notebooks" / "toc.yml"
    entries = [e for e in yaml.safe_load(toc.read_text(encoding="utf-8"))["lessons"]
               if e["file"] in files]
    toc.write_text(yaml.safe_dump({"lessons": entries}), encoding="utf-8")
    print(f"stock nbconvert sequence, {len(files)} lessons ({3 * len(files)} calls): {stock_s:7.1f} s")

    def fresh_build(*extra: str) -> float:
        shutil.rmtree(course / "build", ignore_errors=True)
        shutil.rmtree(course / ".coursekit-cache", ignore_errors=True)
        return timed([coursekit, "build", "--no-progress", *extra], course, env)

    no_pdf_s = fresh_build("--no-pdf")
    print(f"coursekit build, empty cache, --no-pdf:        {no_pdf_s:7.1f} s  (CPU {CPU[-1]:.1f} s)")
    full_s = fresh_build()
    print(f"coursekit build, empty cache (PDFs if Chromium): {full_s:5.1f} s  (CPU {CPU[-1]:.1f} s)")
    print("  (the build also lints, writes the student release and the index"
          + (", and executes the exercise sets)" if exercises else ")"))
    rebuilds = [timed([coursekit, "build", "--no-progress"], course, env) for _ in range(3)]
    rebuild_s = statistics.median(rebuilds)
    print(f"coursekit build, nothing changed (median of 3):  {rebuild_s:5.2f} s  "
          f"(CPU {statistics.median(CPU[-3:]):.2f} s)")
    helps = [timed([coursekit, "--help"], course, env) for _ in range(args.help_runs)]
    help_s = statistics.median(helps)
    print(f"coursekit --help (median of {args.help_runs}):                {help_s:5.3f} s  "
          f"(CPU {statistics.median(CPU[-args.help_runs:]):.3f} s)")
    print()
    if args.no_stock:
        shutil.rmtree(work, ignore_errors=True)
        return
    print(f"speed-up, empty cache vs stock: {stock_s / no_pdf_s:4.1f}x (--no-pdf), "
          f"{stock_s / full_s:4.1f}x (with PDF handouts)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
