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
(:func:`coursekit.course.lessons.write_navigation`). Executed copies are cached in
``.coursekit-cache/`` under a key of everything that can change their outputs (see
:mod:`coursekit.build.cache`); exports are keyed on the whole notebook, the templates and the
library. A rebuild with nothing changed does no work. Every file is written atomically.

>>> format_seconds(0.04), format_seconds(75.2)
('0.0 s', '1 min 15 s')
"""

from __future__ import annotations

import html
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.course.files import atomic_write_text, is_temporary
from coursekit.build.cache import content_key, digest_file, digest_text, environment_fingerprint, execution_key, input_files, library_digest
from coursekit.errors import CourseError, NotebookError

__all__ = ["build", "BuildReport", "Job", "plan_jobs", "run_job", "format_summary", "skip_slow_imports",
           "ensure_navigation", "write_student_release",
           "format_seconds", "configure", "run", "MANIFEST", "CACHE_DIR", "KEEP_CACHED"]

MANIFEST = ".coursekit-build.json"
CACHE_DIR = ".coursekit-cache"
KEEP_CACHED = 3  # executed versions kept per notebook (the current one and a few before it)
DEFAULT_TIMEOUT = 120


@dataclass
class Job:
    """One notebook to build: what it is, where it comes from, its keys and its artefacts.

    ``name`` is its path relative to the course root (``notebooks/01-x.ipynb``); ``outputs``
    are paths relative to the build folder.
    """

    name: str
    kind: str  # "lesson" or "exercise"
    source: str
    title: str
    exec_key: str
    key: str
    outputs: list[str]

    def spec(self, root: Path, out: Path, pdf: bool, timeout: int) -> dict:
        """The picklable description a worker process needs."""
        return {"name": self.name, "kind": self.kind, "source": self.source,
                "title": self.title, "exec_key": self.exec_key, "outputs": self.outputs,
                "root": str(root), "out": str(out), "pdf": pdf, "timeout": timeout}


@dataclass
class BuildReport:
    """What a build did: one row per notebook, the other steps, the failures, the time."""

    rows: list[dict] = field(default_factory=list)
    steps: list[tuple[str, str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when everything built (skipped steps included), else 1."""
        return 1 if self.failures else 0


def format_seconds(seconds: float) -> str:
    """Format a duration for the summary table."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


# --------------------------------------------------------------------------- planning


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotebookError(f"{path}: cannot be read as a notebook ({exc}).") from None


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def ensure_navigation(path: Path, root: Path) -> bool:
    """Regenerate a lesson's navigation cell if it is missing or stale; return True if written.

    Only the generated cell changes (through :func:`coursekit.course.lessons.write_navigation`); an
    up-to-date lesson is not even rewritten, so its file and timestamp stay as they were.
    """
    from coursekit.course.notebooks import NAV_TAG
    from coursekit.course.lessons import navigation_markdown, write_navigation

    nb = _read_json(path)
    expected = navigation_markdown(path.name, root)
    cells = [c for c in nb.get("cells", []) if NAV_TAG in c.get("metadata", {}).get("tags", [])]
    if cells and all(_source(c) == expected for c in cells):
        return False
    return write_navigation(path, root)


def _exercise_paths(root: Path) -> list[Path]:
    """The exercise sets: ``exercises/NN-name.ipynb`` (as :mod:`coursekit.course.exercises` finds them)."""
    import re

    folder = root / "exercises"
    # Without answers/ these are student copies (a student's own build/student folder):
    # there are no solutions to execute or validate, and a student's work is left alone.
    if not (folder / "answers").is_dir():
        return []
    try:
        from coursekit.course.exercises import SET_NAME
    except ImportError:  # pragma: no cover - the module ships with coursekit
        SET_NAME = re.compile(r"^\d{2}-[\w-]+$")
    return sorted(p for p in folder.glob("*.ipynb") if SET_NAME.match(p.stem))


def _templates_digest() -> str:
    from coursekit.export.render import TEMPLATES

    parts = [f"{p.relative_to(TEMPLATES).as_posix()}:{digest_file(p)}"
             for p in sorted(TEMPLATES.rglob("*")) if p.is_file()]
    return digest_text("\n".join(parts))


def plan_jobs(root: Path, *, pdf: bool, environment: dict | None = None
              ) -> tuple[list[Job], list[tuple[str, str, str]]]:
    """Work out every notebook's keys and artefacts without executing anything.

    Args:
        root: the course root.
        pdf: whether handouts get a PDF (it changes the artefacts, so the key).
        environment: :func:`coursekit.build.cache.environment_fingerprint` (computed if None).

    Returns:
        ``(jobs, problems)``: the jobs, and ``(name, kind, message)`` for every notebook that
        cannot even be planned (listed in ``toc.yml`` but missing, or not JSON).
    """
    from coursekit.course.lessons import read_toc

    environment = environment or environment_fingerprint()
    templates = _templates_digest()
    exporter = library_digest(["coursekit.build.pipeline", "coursekit.export.render"])  # lint, export, templates
    jobs, problems = [], []
    entries = [("lesson", root / "notebooks" / e["file"], str(e["title"])) for e in read_toc(root)]
    entries += [("exercise", p, p.stem) for p in _exercise_paths(root)]
    for kind, path, title in entries:
        name = path.relative_to(root).as_posix()
        if not path.is_file():
            problems.append((name, kind, f"{name}: listed in notebooks/toc.yml but missing; "
                                         "write it or remove its entry."))
            continue
        try:
            nb = _read_json(path)
            if kind == "lesson":
                ensure_navigation(path, root)
                nb = _read_json(path)
        except CourseError as exc:
            problems.append((name, kind, str(exc)))
            continue
        code = [_source(c) for c in nb.get("cells", []) if c.get("cell_type") == "code"]
        exec_key = execution_key(nb, input_files(path, code, root), environment, root)
        if kind == "lesson":
            outputs = [f"notebooks/{path.name}", f"slides/{path.stem}.slides.html",
                       f"handouts/{path.stem}.html"] + ([f"handouts/{path.stem}.pdf"] if pdf else [])
        else:
            outputs = [path.relative_to(root).as_posix()]
        key = content_key(nb, exec_key, kind, title, templates, exporter, outputs)
        jobs.append(Job(name, kind, str(path), title, exec_key, key, outputs))
    return jobs, problems


# --------------------------------------------------------------------------- one notebook


def _cache_file(root: Path, name: str, key: str) -> Path:
    folder = name.replace("/", "__").removesuffix(".ipynb")
    return root / CACHE_DIR / "exec" / folder / f"{key}.ipynb"


NOISE = ("running over TCP without encryption",)


@contextmanager
def _kernel_stderr():
    """Collect what kernels print to stderr while a notebook runs, and pass it on afterwards
    in one piece (without ipykernel's TCP warning), so it cannot tear the progress bar."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines = [line for line in sink.read().decode("utf-8", "replace").splitlines()
                     if line.strip() and not any(n in line for n in NOISE)]
            if lines:
                sys.stderr.write("\n".join(lines) + "\n")


def _execute_cached(nb, spec: dict):
    """Return ``(executed notebook, ran)``: from the cache when the key matches, else run it."""
    import nbformat

    from coursekit.kernels.execute import run_notebook

    root = Path(spec["root"])
    cached_path = _cache_file(root, spec["name"], spec["exec_key"])
    if cached_path.is_file():
        try:
            cached = nbformat.read(cached_path, as_version=4)
        except Exception:  # a damaged cache entry is only a miss
            cached = None
        mine = [c for c in nb.cells if c.cell_type == "code"]
        theirs = [c for c in cached.cells if c.cell_type == "code"] if cached else []
        if cached is not None and len(mine) == len(theirs):
            for cell, done in zip(mine, theirs, strict=True):
                cell.outputs = done.outputs
                cell.execution_count = done.execution_count
            if "language_info" in cached.metadata:
                nb.metadata["language_info"] = cached.metadata["language_info"]
            os.utime(cached_path)  # recently used: pruned last
            return nb, False
    source = Path(spec["source"])
    with _kernel_stderr():
        run_notebook(nb, cwd=source.parent, timeout=spec["timeout"], name=spec["name"])
    text = nbformat.writes(nb)
    atomic_write_text(cached_path, text)
    entries = sorted(cached_path.parent.glob("*.ipynb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_CACHED:]:
        old.unlink(missing_ok=True)
    return nb, True


def _check_exercise(nb, name: str) -> None:
    """An exercise set executed *with its solutions* must pass every one of its self-checks."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            marker = (output.get("metadata") or {}).get("coursekit")
            if isinstance(marker, dict) and marker.get("passed") is False:
                raise NotebookError(
                    f"{name}, cell {index}: self-check {marker.get('question')!r} does not pass "
                    "with the solution in place; fix the solution or the answer key.")


def run_job(spec: dict) -> dict:
    """Build one notebook (in a worker process): execute or reuse, validate, export, write.

    Args:
        spec: from :meth:`Job.spec`.

    Returns:
        A row for the summary: ``name``, ``kind``, ``execute`` ("ran" or "cache"),
        ``export`` ("built" or "failed"), ``seconds``, and ``error`` (None, or a message that
        names the notebook, the cell and the error).
    """
    start = time.perf_counter()
    row = {"name": spec["name"], "kind": spec["kind"], "execute": "-", "export": "failed",
           "seconds": 0.0, "error": None}
    try:
        _build_one(spec, row)
        row["export"] = "built"
    except CourseError as exc:
        row["error"] = str(exc)
        if row["execute"] == "-":
            row["execute"] = "failed"
    except Exception as exc:  # an unexpected failure still names the notebook
        row["error"] = f"{spec['name']}: {type(exc).__name__}: {exc}"
    row["seconds"] = time.perf_counter() - start
    return row


def _build_one(spec: dict, row: dict) -> None:
    import nbformat

    from coursekit.export import render as export
    from coursekit.export.learnerpages import learner_pages
    from coursekit.course.lint import lint

    root, out = Path(spec["root"]), Path(spec["out"])
    source = Path(spec["source"])
    try:
        nb = nbformat.read(source, as_version=4)
    except Exception as exc:
        raise NotebookError(f"{spec['name']}: cannot be read as a notebook ({exc}).") from None
    nb, ran = _execute_cached(nb, spec)
    row["execute"] = "ran" if ran else "cache"
    text = nbformat.writes(nb)
    if spec["kind"] == "exercise":
        _check_exercise(nb, spec["name"])
        export.check_alt(list(enumerate(nb.cells)), spec["name"], strict=True)
        atomic_write_text(out / spec["outputs"][0], text)
        return
    # Lint the executed copy under the lesson's own file name, before anything is replaced.
    with tempfile.TemporaryDirectory(prefix=".lint-", suffix=".ck-tmp", dir=out) as work:
        candidate = Path(work) / source.name
        candidate.write_text(text, encoding="utf-8")
        problems = lint(candidate, root)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise NotebookError(f"{spec['name']}: lint: " + "; ".join(problems[:3]) + more)
    notebook_out, slides_out, handout_out = (out / p for p in spec["outputs"][:3])
    assets = out / "assets"
    common = {"name": spec["name"], "title": spec["title"], "source_dir": source.parent,
              "strict": True, "pages": learner_pages(root, out)}
    slides = export.render_slides(nb, assets=_relative(assets, slides_out.parent),
                                  out_dir=slides_out.parent, **common)
    handout = export.render_handout(nb, assets=_relative(assets, handout_out.parent),
                                    out_dir=handout_out.parent, **common)
    atomic_write_text(notebook_out, text)
    atomic_write_text(slides_out, slides)
    atomic_write_text(handout_out, handout)
    # The PDF is printed by the main process's one browser (see build()).


def _relative(target: Path, start: Path) -> str:
    return os.path.relpath(target, start).replace(os.sep, "/")


# --------------------------------------------------------------------------- the student release


def _tree_digest(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return [f"{p.relative_to(folder).as_posix()}:{digest_file(p)}" for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and not is_temporary(p.name)]


# The student release gets its own README (from the package's template), never the developer one.
STUDENT_EXTRAS = ("LICENSE", "LICENSE.md", "LICENSE.txt", "CITATION.cff", "pyproject.toml")
STUDENT_FOLDERS = ("data", "learners", "binder", "jupyter")  # binder/: the release runs on a hub too


def _student_key(root: Path, jobs: list[Job], environment: dict) -> str:
    parts = [f"{j.name}:{j.key}" for j in jobs]
    for folder in (*STUDENT_FOLDERS, "exercises"):
        parts += [f"{folder}/{d}" for d in _tree_digest(root / folder)]
    parts += _tree_digest(root / "src" / "coursekit" / "templates" / "student")
    parts += _tree_digest(root / "src" / "coursekit")
    for name in ("notebooks/checks.json", "notebooks/toc.yml", *STUDENT_EXTRAS):
        if (root / name).is_file():
            parts.append(f"{name}:{digest_file(root / name)}")
    parts.append(library_digest(["coursekit.build.pipeline", "coursekit.assess.release"]))
    return digest_text("\n".join(parts))


def write_student_release(root: Path, out: Path, lessons: list[Job]) -> tuple[str, str]:
    """Assemble ``build/student/`` beside it and swap it in; return ``(status, detail)``.

    It holds the executed lessons without their speaker notes, ``notebooks/toc.yml`` and the
    hashed ``notebooks/checks.json``, ``data/``, ``learners/``, ``binder/``, the course's
    JupyterLab settings (``jupyter/``), the library (so ``pip install .`` works), the student
    exercise sets from :func:`coursekit.assess.release.release_sets` and a README of its own
    (:func:`coursekit.assess.release.student_readme`); never ``instructors/``, the exercises'
    solutions or the developer README. A speaker-notes cell left in any student notebook
    stops the release (:func:`coursekit.assess.leaks.notes_leaks`).
    """
    import nbformat

    from coursekit.assess.leaks import notes_leaks
    from coursekit.course.lessons import read_toc
    from coursekit.assess.release import strip_speaker_notes, student_readme

    staging = Path(tempfile.mkdtemp(prefix=".student.", suffix=".ck-tmp", dir=out))
    staging.chmod(0o755)
    try:
        notebooks = staging / "notebooks"
        notebooks.mkdir()
        for job in lessons:
            source = out / job.outputs[0]
            nbformat.write(strip_speaker_notes(nbformat.read(source, as_version=4)),
                           notebooks / Path(job.outputs[0]).name)
        for name in ("toc.yml", "checks.json"):
            if (root / "notebooks" / name).is_file():
                shutil.copy2(root / "notebooks" / name, notebooks / name)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.ck-tmp")
        for folder in STUDENT_FOLDERS:
            if (root / folder).is_dir():
                shutil.copytree(root / folder, staging / folder, ignore=ignore)
        if (root / "src" / "coursekit").is_dir():
            shutil.copytree(root / "src" / "coursekit", staging / "src" / "coursekit", ignore=ignore)
        for name in STUDENT_EXTRAS:
            if (root / name).is_file():
                shutil.copy2(root / name, staging / name)
        detail = f"{len(lessons)} lesson(s), data/"
        status = "built"
        release = None
        try:
            release = importlib.import_module("coursekit.assess.release")
        except ModuleNotFoundError as exc:
            if exc.name != "coursekit.assess.release":
                raise
        release_sets = getattr(release, "release_sets", None)
        if release_sets is None:
            status = "partial"
            detail += "; exercises skipped (coursekit.assess.release.release_sets is not available yet)"
        elif not (root / "exercises" / "answers").is_dir():
            detail += "; no instructor exercises (exercises/answers/) to release"
        else:
            written = release_sets(root / "exercises", staging / "exercises", force=True)
            sets = [p for p in written if Path(p).suffix == ".ipynb"]
            detail += f", {len(sets)} exercise set(s)"
        built = {Path(job.outputs[0]).name for job in lessons}
        entries = [e for e in read_toc(root) if e["file"] in built]
        (staging / "README.md").write_text(student_readme(staging, entries), encoding="utf-8")
        leaks = [leak for path in sorted(staging.rglob("*.ipynb"))
                 for leak in notes_leaks(nbformat.read(path, as_version=4), path.relative_to(staging).as_posix())]
        if leaks:
            raise CourseError("the student release would hold instructor material: "
                              + "; ".join(map(str, leaks)))
        final = out / "student"
        old = None
        if final.exists():
            old = out / f".student.old-{os.getpid()}.ck-tmp"
            os.replace(final, old)
        os.replace(staging, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return status, detail
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# --------------------------------------------------------------------------- the index page


def _index_html(root: Path, out: Path, jobs: list[Job], rows: dict[str, dict],
                steps: list[tuple[str, str, str]], problems: list[tuple[str, str, str]]) -> str:
    from coursekit.course.model import course_title

    title = course_title(root) or "The built course"

    def link(rel: str, label: str) -> str:
        if (out / rel).exists():
            return f'<a href="{html.escape(rel)}">{html.escape(label)}</a>'
        return '<span class="missing">—</span>'

    lesson_rows, exercise_rows = [], []
    for job in jobs:
        state = rows.get(job.name, {})
        status = "failed" if state.get("error") else "ok"
        if job.kind == "lesson":
            nb, slides, handout = job.outputs[:3]
            pdf = job.outputs[3] if len(job.outputs) > 3 else None
            cells = [html.escape(job.title), link(slides, "slides"), link(handout, "handout"),
                     link(pdf, "PDF") if pdf else "—", link(nb, "notebook"), status]
            lesson_rows.append(cells)
        else:
            exercise_rows.append([html.escape(job.name), link(job.outputs[0], "executed solutions"),
                                  status])
    for name, kind, _message in problems:
        target = lesson_rows if kind == "lesson" else exercise_rows
        target.append([html.escape(name)] + ["—"] * (4 if kind == "lesson" else 1) + ["failed"])

    def table(head: list[str], body: list[list[str]]) -> str:
        if not body:
            return "<p>None yet.</p>"
        th = "".join(f"<th>{h}</th>" for h in head)
        trs = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in body)
        return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"

    student = link("student/notebooks/", "the student release (lessons, data, exercises)")
    guides = [link(f"learners/{p.stem}.html", label) for p, label in
              ((root / "learners" / "setup.md", "Setting up the course"),
               (root / "learners" / "glossary.md", "Glossary")) if p.is_file()]
    learners = (f"<h2>For learners</h2>\n<ul>{''.join(f'<li>{g}</li>' for g in guides)}</ul>"
                if guides else "")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}: built course</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1f2328; }}
h1 {{ color: #0b3d5c; border-bottom: 4px solid #0072b2; padding-bottom: .3rem; }}
table {{ border-collapse: collapse; width: 100%; margin: 1rem 0; }}
th, td {{ text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d0d7de; }}
a {{ color: #005a8c; }} .missing {{ color: #57606a; }}
</style>
</head>
<body>
<main>
<h1>{html.escape(title)}</h1>
<p>Everything here works offline: open the slides in a browser (press <kbd>s</kbd> for the
speaker notes, <kbd>f</kbd> for full screen), print or share the handouts.</p>
<h2>Lessons</h2>
{table(["Lesson", "Slides", "Handout", "PDF", "Executed notebook", "Status"], lesson_rows)}
<h2>Exercise sets (with solutions: for instructors)</h2>
{table(["Exercise set", "Notebook", "Status"], exercise_rows)}
<h2>For students</h2>
<p>{student}: give students this folder, never <code>instructors/</code>.</p>
{learners}
</main>
</body>
</html>
"""


# --------------------------------------------------------------------------- the build


def _load_manifest(out: Path) -> dict:
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
        for path in list(folder.rglob("*.ck-tmp")):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif is_temporary(path.name):
                path.unlink(missing_ok=True)


def skip_slow_imports() -> None:
    """Keep this process from importing ``rfc3987_syntax``, which costs ~2 s of CPU per process.

    jsonschema (imported by nbformat) loads it, when installed, only to check the ``iri``
    string format, which no notebook schema uses; blocking it makes jsonschema skip that one
    check. Called in the build's worker processes and by the command line, never on import.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


def _init_worker(build: int) -> None:
    """Set up a build worker process (it inherits the build's warm-kernel kernelspec); it dies
    with the build (process ``build``), even one killed with SIGKILL, instead of running on."""
    from coursekit.kernels.forkserver import die_with

    die_with(build)
    skip_slow_imports()


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
                                 initializer=_init_worker,
                                 initargs=(os.getpid(),)) as pool:
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
          progress: bool | None = None, timeout: int = DEFAULT_TIMEOUT) -> BuildReport:
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
        A :class:`BuildReport`; its ``exit_code`` is 1 when any notebook or step failed.

    Raises:
        CourseError: no course here, a broken ``toc.yml``, or ``pdf=True`` without Chromium.
        KeyboardInterrupt: interrupted; files already written are complete, others untouched.
    """
    from coursekit.export.render import find_chromium
    from coursekit.paths import course_root

    start = time.perf_counter()
    root = course_root(root)
    out = Path(out).resolve() if out is not None else root / "build"
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
    with open(out / ".coursekit-build.lock", "a") as handle:  # "a": never touches the file
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise CourseError(f"another coursekit build is running in {out}; wait for it to "
                              "finish.") from None
        yield


def _build(root: Path, out: Path, *, jobs, pdf: bool, chromium, force: bool, progress,
           timeout: int, start: float) -> BuildReport:
    from coursekit.export.render import PdfPrinter, install_assets

    _clean_temporaries(out, root / CACHE_DIR)
    report = BuildReport()
    environment = environment_fingerprint()
    planned, problems = plan_jobs(root, pdf=pdf, environment=environment)
    for name, kind, message in problems:
        report.rows.append({"name": name, "kind": kind, "execute": "failed", "export": "failed",
                            "seconds": 0.0, "error": message})
        report.failures.append(message)

    install_assets(out / "assets")
    manifest = _load_manifest(out)
    before = json.dumps(manifest, sort_keys=True)
    previous = manifest["jobs"]
    todo, rows = [], {}
    for job in planned:
        entry = previous.get(job.name, {})
        fresh = (not force and entry.get("key") == job.key
                 and all((out / p).is_file() for p in job.outputs))
        if fresh:
            rows[job.name] = {"name": job.name, "kind": job.kind, "execute": "-",
                              "export": "cached", "seconds": 0.0, "error": None}
        else:
            todo.append(job)
    if force:
        for job in todo:
            _cache_file(root, job.name, job.exec_key).unlink(missing_ok=True)
    # Longest first (as last time) packs the workers best.
    todo.sort(key=lambda j: -float(previous.get(j.name, {}).get("seconds", 60.0)))
    by_name = {job.name: job for job in planned}
    specs = [job.spec(root, out, pdf, timeout) for job in todo]
    printer = None
    try:
        with _warm_kernels() if len(specs) > 1 else nullcontext():
            for row in _run_all(specs, jobs or os.cpu_count() or 1, progress):
                rows[row["name"]] = row
                job = by_name[row["name"]]
                if pdf and job.kind == "lesson" and not row["error"]:
                    printer = printer or PdfPrinter(chromium, timeout=timeout)
                    started = time.perf_counter()
                    handout = out / job.outputs[2]
                    try:
                        printer.print(handout, out / job.outputs[3])
                    except CourseError as exc:
                        row["error"] = f"{job.name}: PDF handout: {exc}"
                        row["export"] = "failed"
                        printer.close()
                        printer = None
                    row["seconds"] += time.perf_counter() - started
                _record(row, job, report, previous, out, manifest)
    finally:
        if printer is not None:
            printer.close()
    report.rows.extend(rows[job.name] for job in planned)
    report.rows.sort(key=lambda r: (r["kind"] != "lesson", r["name"]))

    # The student release: only from a complete, passing set of lessons.
    lessons = [j for j in planned if j.kind == "lesson"]
    failed_lessons = [r for r in report.rows if r["kind"] == "lesson" and r["error"]]
    if failed_lessons:
        report.steps.append(("student release", "skipped",
                             f"{len(failed_lessons)} lesson(s) failed; the previous release is kept"))
    else:
        key = _student_key(root, planned, environment)
        if not force and manifest.get("student", {}).get("key") == key and (out / "student").is_dir():
            report.steps.append(("student release", "cached", ""))
        else:
            try:
                status, detail = write_student_release(root, out, lessons)
                report.steps.append(("student release", status, detail))
                manifest["student"] = {"key": key}
            except Exception as exc:  # the release's own errors are reported, not raised
                message = f"student release: {type(exc).__name__}: {exc}"
                report.steps.append(("student release", "failed", str(exc)))
                report.failures.append(message)

    from coursekit.export.learnerpages import write_learner_pages

    try:  # the guides the decks and handouts link, as pages inside build/
        pages = write_learner_pages(root, out)
        report.steps.append(("learner pages", "written", f"{len(pages)} page(s) in build/learners/"))
    except (OSError, CourseError) as exc:
        report.steps.append(("learner pages", "failed", str(exc)))
        report.failures.append(f"learner pages: {exc}")
    index = _index_html(root, out, planned, rows, report.steps, problems)
    index_path = out / "index.html"
    try:
        unchanged = index_path.read_text(encoding="utf-8") == index
    except OSError:
        unchanged = False
    if not unchanged:
        atomic_write_text(index_path, index)
    report.steps.append(("index", "cached" if unchanged else "written", "build/index.html"))
    if json.dumps(manifest, sort_keys=True) != before:
        _save_manifest(out, manifest)
    report.seconds = time.perf_counter() - start
    return report


def format_summary(report: BuildReport) -> str:
    """Return the summary table: each notebook, whether it ran or came from the cache, the time.

    >>> r = BuildReport(rows=[{"name": "notebooks/01-x.ipynb", "kind": "lesson", "execute": "ran",
    ...                        "export": "built", "seconds": 4.2, "error": None}], seconds=5.0)
    >>> print(format_summary(r))  # doctest: +NORMALIZE_WHITESPACE
    notebook              kind    execute  export  time
    notebooks/01-x.ipynb  lesson  ran      built   4.2 s
    1 notebook(s): 1 executed, 0 from the cache, 0 unchanged, 0 failed; 5.0 s in all
    """
    head = ("notebook", "kind", "execute", "export", "time")
    body = [(r["name"], r["kind"], r["execute"], r["export"],
             format_seconds(r["seconds"]) if r["seconds"] else "-") for r in report.rows]
    body += [(name, "step", status, "", detail) for name, status, detail in report.steps]
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [head, *body]]
    ran = sum(r["execute"] == "ran" for r in report.rows)
    cached = sum(r["execute"] == "cache" for r in report.rows)
    unchanged = sum(r["export"] == "cached" for r in report.rows)
    failed = sum(bool(r["error"]) for r in report.rows)
    lines.append(f"{len(report.rows)} notebook(s): {ran} executed, {cached} from the cache, "
                 f"{unchanged} unchanged, {failed} failed; {format_seconds(report.seconds)} in all")
    return "\n".join(lines)


# --------------------------------------------------------------------------- command line


def configure(parser, name: str) -> None:
    """Add the arguments of ``coursekit build``."""
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="notebooks built at once (default: one per core)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--pdf", dest="pdf", action="store_true", default=None,
                       help="require PDF handouts (needs Chromium)")
    group.add_argument("--no-pdf", dest="pdf", action="store_false",
                       help="no PDF handouts, even when Chromium is installed")
    parser.add_argument("--force", action="store_true",
                        help="ignore the caches: execute and export everything again")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="build folder (default: build/ in the course)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                        help=f"seconds allowed per cell (default: {DEFAULT_TIMEOUT})")
    parser.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                        help="no progress bar")


def run(args) -> int:
    """Run the build, print the summary table and every failure; return the exit status."""
    skip_slow_imports()
    report = build(out=args.output, jobs=args.jobs, pdf=args.pdf, force=args.force,
                   progress=args.progress, timeout=args.timeout)
    print(format_summary(report))
    for message in report.failures:
        print(f"coursekit build: FAILED {message}", file=sys.stderr)
    return report.exit_code
