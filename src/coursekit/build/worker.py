"""Building one notebook (in a worker process): execute it or reuse its cached run, validate, export.

Executed copies are cached in ``.coursekit-cache/exec/`` under their execution key
(:mod:`coursekit.build.keys`); the few most recent versions of each notebook are kept.

>>> cache_file(Path("/c"), "notebooks/01-x.ipynb", "abc").relative_to("/c").as_posix()
'.coursekit-cache/exec/notebooks__01-x/abc.ipynb'
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from coursekit.course.files import atomic_write_text, read_notebook
from coursekit.course.notebooks import METADATA_KEY
from coursekit.errors import CourseError, NotebookError

__all__ = ["run_job", "init_worker", "cache_file", "check_exercise", "CACHE_DIR", "KEEP_CACHED"]

CACHE_DIR = ".coursekit-cache"
KEEP_CACHED = 3  # executed versions kept per notebook (the current one and a few before it)
NOISE = ("running over TCP without encryption",)


def cache_file(root: Path, name: str, key: str) -> Path:
    """Where the executed copy of notebook ``name`` under execution key ``key`` is cached."""
    folder = name.replace("/", "__").removesuffix(".ipynb")
    return root / CACHE_DIR / "exec" / folder / f"{key}.ipynb"


def init_worker(build: int) -> None:
    """Set up a build worker process (it inherits the build's warm-kernel kernelspec); it dies
    with the build (process ``build``), even one killed with SIGKILL, instead of running on."""
    from coursekit.kernels.forkserver import die_with
    from coursekit.kernels.startup import skip_slow_imports

    die_with(build)
    skip_slow_imports()


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


def _from_cache(nb, cached_path: Path) -> bool:
    """Copy the outputs of the cached run into ``nb``; False when there is no usable entry."""

    if not cached_path.is_file():
        return False
    try:
        cached = read_notebook(cached_path)
    except CourseError:  # a damaged cache entry is only a miss
        return False
    mine = [c for c in nb.cells if c.cell_type == "code"]
    theirs = [c for c in cached.cells if c.cell_type == "code"]
    if len(mine) != len(theirs):
        return False
    for cell, done in zip(mine, theirs, strict=True):
        cell.outputs = done.outputs
        cell.execution_count = done.execution_count
    if "language_info" in cached.metadata:
        nb.metadata["language_info"] = cached.metadata["language_info"]
    os.utime(cached_path)  # recently used: pruned last
    return True


def _execute_cached(nb, spec: dict):
    """Return ``(executed notebook, ran)``: from the cache when the key matches, else run it."""
    import nbformat

    from coursekit.kernels.execute import run_notebook

    cached_path = cache_file(Path(spec["root"]), spec["name"], spec["exec_key"])
    if _from_cache(nb, cached_path):
        return nb, False
    with _kernel_stderr():
        run_notebook(nb, cwd=Path(spec["source"]).parent, timeout=spec["timeout"], name=spec["name"])
    atomic_write_text(cached_path, nbformat.writes(nb))
    entries = sorted(cached_path.parent.glob("*.ipynb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_CACHED:]:
        old.unlink(missing_ok=True)
    return nb, True


def check_exercise(nb, name: str) -> None:
    """An exercise set executed *with its solutions* must pass every one of its self-checks.

    Raises:
        NotebookError: naming the set, the cell and the self-check that does not pass.
    """
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            marker = (output.get("metadata") or {}).get(METADATA_KEY)
            if isinstance(marker, dict) and marker.get("passed") is False:
                raise NotebookError(
                    f"{name}, cell {index}: self-check {marker.get('question')!r} does not pass "
                    "with the solution in place; fix the solution or the answer key.")


def run_job(spec: dict) -> dict:
    """Build one notebook (in a worker process): execute or reuse, validate, export, write.

    Args:
        spec: from :meth:`coursekit.build.plan.Job.spec`.

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


def _lint(text: str, source: Path, root: Path, out: Path, name: str) -> None:
    """Lint the executed copy under the lesson's own file name, before anything is replaced."""
    from coursekit.course.lint import lint

    with tempfile.TemporaryDirectory(prefix=".lint-", suffix=".ck-tmp", dir=out) as work:
        candidate = Path(work) / source.name
        candidate.write_text(text, encoding="utf-8")
        problems = lint(candidate, root)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise NotebookError(f"{name}: lint: " + "; ".join(problems[:3]) + more)


def _build_one(spec: dict, row: dict) -> None:
    import nbformat

    from coursekit.export import render as export
    from coursekit.export.learnerpages import learner_pages

    root, out = Path(spec["root"]), Path(spec["out"])
    source = Path(spec["source"])
    nb = read_notebook(source)  # its error names the file and what to do
    nb, ran = _execute_cached(nb, spec)
    row["execute"] = "ran" if ran else "cache"
    text = nbformat.writes(nb)
    if spec["kind"] == "exercise":
        check_exercise(nb, spec["name"])
        export.check_alt(list(enumerate(nb.cells)), spec["name"], strict=True)
        atomic_write_text(out / spec["outputs"][0], text)
        return
    _lint(text, source, root, out, spec["name"])
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
    # The PDF is printed by the main process's one browser (see coursekit.build.pipeline).


def _relative(target: Path, start: Path) -> str:
    return os.path.relpath(target, start).replace(os.sep, "/")
