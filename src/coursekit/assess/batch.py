"""The batch: every submission of a folder graded in parallel slots, saved as soon as graded.

One submission never stops the batch: whatever goes wrong with it becomes its rows' status
and message. Results go to the journal (:mod:`coursekit.assess.journal`) as they come, so
Ctrl+C keeps them and a rerun over unchanged files resumes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from coursekit.assess.model import Options, Outcome, Report, Submission
from coursekit.assess.run import WarmFailed, run_submission
from coursekit.assess.scoring import cap_outcome, error_rows, invalid_rows, score
from coursekit.assess.slots import Paths, close_slots, make_slots, restart, tidy
from coursekit.assess.submissions import find_submissions, read_submission
from coursekit.errors import CourseError

__all__ = ["grade_folder"]


def _font_cache() -> list[Path]:
    """The grader's Matplotlib font list, copied into each kernel so it is not rebuilt."""
    try:
        import matplotlib
        from matplotlib import font_manager  # noqa: F401  (builds the cache if missing)

        return sorted(Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))
    except Exception:
        return []


def _digests(paths) -> dict[str, str]:
    found = {}
    for path in paths:
        try:
            found[str(path)] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            found[str(path)] = "unreadable"
    return found


def _protected_files(exercises: Path, submissions: list[Path]) -> list[Path]:
    files = [p for p in exercises.rglob("*") if p.is_file()]
    return sorted(files) + [p for p in submissions if p.is_file() and not p.is_symlink()]


def grade_folder(submissions: str | os.PathLike[str], *, exercises_dir: str | os.PathLike[str],
                 output_dir: str | os.PathLike[str] | None = None, options: Options | None = None,
                 progress: bool = False, resume: bool = True) -> Report:
    """Grade every submission under ``submissions``; never raises for a bad submission.

    Args:
        submissions: the folder of submitted notebooks (nested folders allowed).
        exercises_dir: the instructor folder (``exercises/``, with ``answers/``).
        output_dir: where the report will be written (hidden from the kernels).
        options: limits and choices (see :class:`Options`).
        progress: show a progress bar on stderr.
        resume: save each result in ``output_dir`` as soon as it is graded
            (:mod:`coursekit.assess.journal`) and reuse those of an earlier run for unchanged files.

    Returns:
        The :class:`Report` (``interrupted`` if Ctrl+C stopped it: then only the submissions
        graded so far); write it with :func:`write_report`.

    Raises:
        CourseError: the batch itself cannot run (no such folder, a broken answers file,
            bubblewrap required but unavailable, no data folder).
    """
    from coursekit.course.exercises import build_exercise_keys, discover, keys_text
    from coursekit.course.model import Course
    from coursekit.formcheck import student_keys
    from coursekit.kernels.sandbox import detect

    options = options or Options()
    started = time.monotonic()
    submissions = Path(submissions).resolve()
    exercises_dir = Path(exercises_dir).resolve()
    files = find_submissions(submissions)
    sets = discover(exercises_dir)
    keys = build_exercise_keys(sets)
    isolation = detect(options.isolation)
    course = Course.find(exercises_dir)
    output = Path(output_dir).resolve() if output_dir else submissions.parent / "grades"
    if options.set_name and not any(options.set_name in (s.name, s.name.split("-")[0])
                                    for s in sets):
        raise CourseError(f"--set {options.set_name}: no such exercise set. The sets are: "
                          f"{', '.join(s.name for s in sets)}.")
    temp = Path(tempfile.mkdtemp(prefix="ckg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    paths = Paths(course=course.root, data=course.data, submissions=submissions, output=output,
                  exercises=exercises_dir, temp=temp, fontcache=_font_cache(),
                  keys_text=keys_text(student_keys(keys, sets)))  # the students' form-only key
    protected = _protected_files(exercises_dir, files)
    before = _digests(protected)
    subs = [read_submission(path, submissions, sets, options.set_name) for path in files]
    paths.preload = _preload({s.exercise.notebook for s in subs if s.exercise is not None})
    journal = None
    if output_dir and resume:
        from coursekit import __version__
        from coursekit.assess.journal import Journal

        fingerprint = hashlib.sha256(json.dumps(
            [__version__, paths.keys_text, isolation.mode, options.cell_timeout, options.timeout,
             options.memory_mb, options.max_output_mb, options.set_name, options.warm,
             [(s.name, [q.id for q in s.questions]) for s in sets]]).encode()).hexdigest()
        journal = Journal(output, fingerprint=fingerprint)
    results: dict[int, Outcome] = {}
    interrupted = False
    try:
        asyncio.run(_grade_all(subs, keys["questions"], paths, options, isolation, progress,
                               results, journal))
    except KeyboardInterrupt:
        interrupted = True  # keep everything graded so far; the journal lets a rerun resume
    finally:
        shutil.rmtree(temp, ignore_errors=True)
        if journal is not None:
            journal.close()
    after = _digests(protected)
    tampered = [p for p in protected if before.get(str(p)) != after.get(str(p))]
    outcomes = [results[i] for i in sorted(results)]
    return Report(outcomes, isolation.description, options, time.monotonic() - started, tampered,
                  mode=isolation.mode, interrupted=interrupted, total=len(subs),
                  resumed=sum(1 for o in outcomes if o.resumed), isolation=isolation)


def _preload(notebooks) -> tuple[str, ...]:
    """What the slots' zygotes import: what the instructor notebooks of the sets being graded
    import (never what a submission names)."""
    from coursekit.course.files import read_notebook
    from coursekit.kernels.kernelside import preload_for

    code = [cell.source for path in sorted(notebooks) for cell in read_notebook(path).cells
            if cell.cell_type == "code"]
    return preload_for(code)


async def _grade_all(subs, keys, paths: Paths, options: Options, isolation, progress: bool,
                     results: dict, journal=None) -> None:
    """Grade ``subs`` into ``results`` (index -> Outcome) as each one finishes."""
    todo = []
    for number, sub in enumerate(subs):
        saved = journal.done.get((sub.student, sub.digest)) if journal and sub.digest else None
        if saved is not None:
            try:
                results[number] = Outcome(**{**saved, "resumed": True})
                continue
            except TypeError:
                pass
        todo.append((number, sub))
    if not todo:
        return
    await _grade_some(todo, keys, paths, options, isolation, progress, results, journal)


async def _grade_some(todo, keys, paths, options, isolation, progress, results, journal):
    import zmq
    import zmq.asyncio

    ctx = zmq.asyncio.Context()
    # A message bigger than this (a gigantic print) is dropped instead of filling memory.
    ctx.setsockopt(zmq.MAXMSGSIZE, 64 * 2**20)
    slots: asyncio.Queue = asyncio.Queue()
    workers = min(options.workers(), max(1, sum(1 for _, s in todo if not s.problem)))
    for slot in await make_slots(workers, paths, options, isolation):
        slots.put_nowait(slot)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="grading", unit="notebook", file=sys.stderr)

    async def one(number: int, sub: Submission) -> Outcome:
        slot = await slots.get() if not sub.problem else None
        try:
            began = time.monotonic()
            try:
                outcome = await _grade_one(number, sub, keys, paths, options, isolation, ctx,
                                           slot)
            except Exception as exc:  # never let one submission stop the batch
                outcome = Outcome(sub.student, getattr(sub.exercise, "name", ""),
                                  error_rows(sub, exc), [])
            outcome.seconds = time.monotonic() - began
            cap_outcome(outcome)
            results[number] = outcome
            if journal is not None and sub.digest:
                journal.record(sub.student, sub.digest,
                               {k: v for k, v in asdict(outcome).items() if k != "resumed"})
            if bar is not None:
                bar.update(1)
            return outcome
        finally:
            if slot is not None:
                slots.put_nowait(slot)

    try:
        await asyncio.gather(*(one(i, s) for i, s in todo))
    finally:
        if bar is not None:
            bar.close()
        close_slots([slots.get_nowait() for _ in range(slots.qsize())])
        ctx.destroy(linger=0)


async def _grade_one(number, sub, keys, paths, options, isolation, ctx, slot) -> Outcome:
    if sub.problem:
        return Outcome(sub.student, getattr(sub.exercise, "name", ""), invalid_rows(sub),
                       [sub.problem])
    workdir = slot.folder / f"s{number:05d}"
    hard = options.timeout + options.startup_timeout + 60
    values, notes, cell_notes = None, ["The grader could not run this notebook."], {}
    kernel = ""
    for attempt in ("warm", "warm again", "cold"):
        # A zygote that fails is replaced once; if the new one fails too, go cold.
        zygote = slot.zygote if attempt != "cold" else None
        if attempt != "cold" and zygote is None:
            continue
        workdir.mkdir()
        try:
            kernel = "cold" if zygote is None else "warm"
            values, notes, cell_notes = await asyncio.wait_for(
                run_submission(sub, workdir, paths, options, isolation, ctx, zygote, slot), hard)
            break
        except WarmFailed:
            await restart(slot)  # then run it again: warm once more, else cold
        except TimeoutError:
            values, notes, cell_notes = None, [f"The run did not finish within {hard:g} s."], {}
            break
        finally:
            if zygote is not None and not await asyncio.to_thread(zygote.wait_clean):
                await restart(slot)
            shutil.rmtree(workdir, ignore_errors=True)
            tidy(slot, paths)
    if sub.by_tests:  # nbgrader/otter: each test cell scores its points (a test not run, none)
        from coursekit.assess.testgrade import score as score_tests

        notes = [*sub.notes, *notes]
        return Outcome(sub.student, sub.exercise.name, score_tests(sub.exercise, sub.executed,
                                                                     sub.student), notes, kernel=kernel)
    rows, memo = score(sub, keys, values, notes, cell_notes)
    return Outcome(sub.student, sub.exercise.name, rows, notes, memo=memo, kernel=kernel)

