"""``coursekit build``: execute, validate and export the whole course into ``build/``, cached.

One command, no arguments: every lesson in ``notebooks/toc.yml`` and every exercise set in
``exercises/`` is executed (in parallel, one kernel per notebook), validated, exported, and the
student release and an index page are written::

    build/index.html                 links to every artefact below
    build/notebooks/NN-name.ipynb    executed lessons (lint-checked)
    build/slides/NN-name.slides.html reveal.js decks (offline; press s for speaker notes)
    build/handouts/NN-name.html      handouts (offline), and NN-name.pdf when Chromium exists
    build/exercises/NAME.ipynb       executed exercise sets with their solutions (instructors)
    build/student/                   what students get: lessons, data, hashed keys, exercises
    build/assets/                    reveal.js, MathJax and CSS, shared by decks and handouts

The committed notebooks are never rewritten, except a lesson's generated navigation cell
(:func:`coursekit.build.plan.ensure_navigation`). Executed copies are cached in
``.coursekit-cache/`` under a key of everything that can change their outputs (see
:mod:`coursekit.build.keys`); exports are keyed on the whole notebook, the templates and the
library. A rebuild with nothing changed does no work. Every file is written atomically.
This module is the build itself: the plan, the workers, the PDFs, the manifest, the lock;
:mod:`coursekit.cli.build` is its command line.

>>> sorted(load_manifest(Path("/nowhere")))
['jobs']
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

from coursekit.build.index import index_html
from coursekit.build.keys import environment_fingerprint
from coursekit.build.plan import Job, plan_jobs
from coursekit.build.report import BuildReport, problem_row
from coursekit.build.student import student_key, write_student_release
from coursekit.build.worker import CACHE_DIR, cache_file, init_worker, run_job
from coursekit.course.defaults import CELL_TIMEOUT
from coursekit.course.files import TMP_SUFFIX, atomic_write_text, is_temporary
from coursekit.course.model import BUILD_DIR, STUDENT_DIR
from coursekit.errors import CourseError

__all__ = ["build", "load_manifest", "MANIFEST", "LOCK"]

MANIFEST = ".coursekit-build.json"
LOCK = ".coursekit-build.lock"


def load_manifest(out: Path) -> dict:
    """What the last build in ``out`` finished: ``{"jobs": {name: {key, outputs, seconds}}, ...}``."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        if isinstance(manifest, dict) and isinstance(manifest.get("jobs"), dict):
            return manifest
    except (OSError, ValueError):
        pass
    return {"jobs": {}}


def _save_manifest(out: Path, manifest: dict) -> None:
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def _clean_temporaries(*folders: Path) -> None:
    """Remove what an interrupted build left: ``*.ck-tmp`` files and folders, never anything else."""
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in list(folder.rglob(f"*{TMP_SUFFIX}")):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif is_temporary(path.name):
                path.unlink(missing_ok=True)


def _warm_kernels():
    """One zygote for the whole build (see :mod:`coursekit.kernels.zygote`), started before the
    workers so that its imports overlap with theirs; the workers inherit its kernelspec."""
    from coursekit.kernels import zygote
    from coursekit.kernels.execute import KERNEL_ENV

    if not zygote.available():
        return nullcontext()
    return zygote.build_kernels({**os.environ, **KERNEL_ENV})


def _run_all(specs: list[dict], jobs: int, progress: bool | None):
    """Yield result rows as notebooks finish, in parallel across ``jobs`` worker processes."""
    from tqdm import tqdm

    if not specs:
        return
    bar = tqdm(total=len(specs), desc="coursekit build", unit="notebook", file=sys.stderr,
               disable=(not progress) if progress is not None else None, leave=True)
    try:
        if jobs <= 1 or len(specs) == 1:
            for spec in specs:
                bar.set_postfix_str(Path(spec["name"]).name)
                row = run_job(spec)
                bar.update()
                yield row
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(specs)), mp_context=context,
                                 initializer=init_worker, initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(run_job, spec): spec for spec in specs}
            try:
                for future in as_completed(futures):
                    row = future.result()
                    bar.set_postfix_str(Path(row["name"]).name)
                    bar.update()
                    yield row
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        bar.close()


def _record(row: dict, job: Job, report: BuildReport, previous: dict, out: Path,
            manifest: dict) -> None:
    """Note a finished notebook: a failure for the report, or its key in the manifest (saved
    at once, so an interrupted build keeps what it finished)."""
    if row["error"]:
        report.failures.append(row["error"])
        return
    previous[job.name] = {"key": job.key, "outputs": job.outputs, "seconds": round(row["seconds"], 2)}
    _save_manifest(out, manifest)


def build(root: str | os.PathLike[str] | None = None, *, out: str | os.PathLike[str] | None = None,
          jobs: int | None = None, pdf: bool | None = None, force: bool = False,
          progress: bool | None = None, timeout: int = CELL_TIMEOUT) -> BuildReport:
    """Build the course: execute, validate and export every notebook, then the release and index.

    Args:
        root: the course root, or a folder inside it (default: found from the working folder).
        out: the build folder (default: ``ROOT/build``).
        jobs: worker processes (default: one per core).
        pdf: True to require PDF handouts, False for none, None for PDFs when Chromium exists.
        force: ignore the caches and redo everything.
        progress: show a progress bar (None: only on a terminal).
        timeout: seconds allowed per cell.

    Returns:
        A :class:`~coursekit.build.report.BuildReport`; its ``exit_code`` is 1 when any
        notebook or step failed.

    Raises:
        CourseError: no course here, a broken ``toc.yml``, or ``pdf=True`` without Chromium.
        KeyboardInterrupt: interrupted; files already written are complete, others untouched.
    """
    from coursekit.export.render import find_chromium
    from coursekit.paths import course_root

    start = time.perf_counter()
    root = course_root(root)
    out = Path(out).resolve() if out is not None else root / BUILD_DIR
    chromium = find_chromium() if pdf is not False else None
    if pdf and chromium is None:
        raise CourseError("PDF handouts were asked for but no Chromium was found; install it "
                          "(apt-get install chromium) or build with --no-pdf.")
    pdf = chromium is not None
    out.mkdir(parents=True, exist_ok=True)
    with _lock(out):
        return _build(root, out, jobs=jobs, pdf=pdf, chromium=chromium, force=force,
                      progress=progress, timeout=timeout, start=start)


@contextmanager
def _lock(out: Path):
    """One build at a time per build folder (a second would remove the first's temporaries)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        yield
        return
    with open(out / LOCK, "a") as handle:  # "a": never touches the file
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise CourseError(f"another coursekit build is running in {out}; wait for it to "
                              "finish.") from None
        yield


def _todo(planned: list[Job], previous: dict, out: Path, force: bool) -> tuple[list[Job], dict]:
    """The jobs to run (longest first, as last time, which packs the workers best), and the
    rows of those whose artefacts are up to date."""
    todo, rows = [], {}
    for job in planned:
        entry = previous.get(job.name, {})
        if (not force and entry.get("key") == job.key
                and all((out / p).is_file() for p in job.outputs)):
            rows[job.name] = {"name": job.name, "kind": job.kind, "execute": "-",
                              "export": "cached", "seconds": 0.0, "error": None}
        else:
            todo.append(job)
    todo.sort(key=lambda j: -float(previous.get(j.name, {}).get("seconds", 60.0)))
    return todo, rows


def _print_pdf(printer, chromium, job: Job, row: dict, out: Path, timeout: int):
    """Print a built lesson's handout to PDF with the build's one browser; return the printer
    (None once it failed: the next PDF starts a fresh one)."""
    from coursekit.export.render import PdfPrinter

    printer = printer or PdfPrinter(chromium, timeout=timeout)
    started = time.perf_counter()
    try:
        printer.print(out / job.outputs[2], out / job.outputs[3])
    except CourseError as exc:
        row["error"] = f"{job.name}: PDF handout: {exc}"
        row["export"] = "failed"
        printer.close()
        printer = None
    row["seconds"] += time.perf_counter() - started
    return printer


def _release(root: Path, out: Path, planned: list[Job], report: BuildReport, manifest: dict,
             environment: dict, force: bool) -> None:
    """The student release: only from a complete, passing set of lessons."""
    lessons = [j for j in planned if j.kind == "lesson"]
    failed = [r for r in report.rows if r["kind"] == "lesson" and r["error"]]
    if failed:
        report.step("student release", "skipped",
                    f"{len(failed)} lesson(s) failed; the previous release is kept")
        return
    key = student_key(root, planned, environment)
    if not force and manifest.get("student", {}).get("key") == key and (out / STUDENT_DIR).is_dir():
        report.step("student release", "cached")
        return
    try:
        status, detail = write_student_release(root, out, lessons)
        report.step("student release", status, detail)
        manifest["student"] = {"key": key}
    except Exception as exc:  # the release's own errors are reported, not raised
        report.step("student release", "failed", str(exc),
                    failure=f"student release: {type(exc).__name__}: {exc}")


def _pages(root: Path, out: Path, planned: list[Job], rows: dict, report: BuildReport,
           problems: list) -> None:
    """The learner pages the decks and handouts link, and the index (each written if changed)."""
    from coursekit.export.learnerpages import write_learner_pages

    try:
        pages = write_learner_pages(root, out)
        report.step("learner pages", "written", f"{len(pages)} page(s) in build/learners/")
    except (OSError, CourseError) as exc:
        report.step("learner pages", "failed", str(exc), failure=f"learner pages: {exc}")
    index = index_html(root, out, planned, rows, problems)
    index_path = out / "index.html"
    try:
        unchanged = index_path.read_text(encoding="utf-8") == index
    except OSError:
        unchanged = False
    if not unchanged:
        atomic_write_text(index_path, index)
    report.step("index", "cached" if unchanged else "written", "build/index.html")


def _build(root: Path, out: Path, *, jobs, pdf: bool, chromium, force: bool, progress,
           timeout: int, start: float) -> BuildReport:
    from coursekit.export.render import install_assets

    _clean_temporaries(out, root / CACHE_DIR)
    report = BuildReport()
    environment = environment_fingerprint()
    planned, problems = plan_jobs(root, pdf=pdf, environment=environment)
    for name, kind, message in problems:
        report.rows.append(problem_row(name, kind, message))
        report.failures.append(message)

    install_assets(out / "assets")
    manifest = load_manifest(out)
    before = json.dumps(manifest, sort_keys=True)
    previous = manifest["jobs"]
    todo, rows = _todo(planned, previous, out, force)
    if force:
        for job in todo:
            cache_file(root, job.name, job.exec_key).unlink(missing_ok=True)
    by_name = {job.name: job for job in planned}
    specs = [job.spec(root, out, pdf, timeout) for job in todo]
    printer = None
    try:
        with _warm_kernels() if len(specs) > 1 else nullcontext():
            for row in _run_all(specs, jobs or os.cpu_count() or 1, progress):
                rows[row["name"]] = row
                job = by_name[row["name"]]
                if pdf and job.kind == "lesson" and not row["error"]:
                    printer = _print_pdf(printer, chromium, job, row, out, timeout)
                _record(row, job, report, previous, out, manifest)
    finally:
        if printer is not None:
            printer.close()
    report.rows.extend(rows[job.name] for job in planned)
    report.rows.sort(key=lambda r: (r["kind"] != "lesson", r["name"]))
    _release(root, out, planned, report, manifest, environment, force)
    _pages(root, out, planned, rows, report, problems)
    if json.dumps(manifest, sort_keys=True) != before:
        _save_manifest(out, manifest)
    report.seconds = time.perf_counter() - start
    return report
