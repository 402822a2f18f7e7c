"""``coursekit grade``: run a folder of submitted notebooks in fresh, isolated kernels; write a gradebook.

For each entry under the submissions folder (any names, nested folders; every file, folder
named like a notebook, hidden folder and link gets rows; ``.ipynb_checkpoints`` is skipped)
the grader:

1. reads it without ever changing, moving or deleting it, and tells which exercise set it is
   (its ``coursekit`` metadata, its file name, its cells, or ``--set``);
2. runs its code cells in a new kernel, inside a throwaway working copy of the course's data,
   under the isolation :mod:`coursekit.kernels.sandbox` reports, with a time limit per cell (the cell is
   interrupted and the run goes on) and per notebook (the kernel is killed), and a cap on the
   output it keeps; kernels run in parallel, one per CPU core, each forked from a warm process
   that has the heavy imports done (:mod:`coursekit.kernels.zygote`; ``--cold`` starts each as a new
   process instead);
3. reads each graded question's variable out of the kernel through a reader planted before
   the first cell (:mod:`coursekit.assess.readout`: no hook the notebook installs can forge it) and
   judges it *in the grader* with the instructor's key built from ``exercises/answers/`` (a
   submission's own check calls, key file or edited library change nothing);
4. records every failure as a status for that student and goes on, saving each result as soon
   as it is graded (:mod:`coursekit.assess.journal`), so Ctrl+C keeps them and a rerun resumes.

:mod:`coursekit.assess.report` writes the gradebooks (:mod:`coursekit.assess.gradebook`), the feedback pages,
the manual-marking sheets (:mod:`coursekit.assess.marking`) and ``grading.json``. Statuses:
``correct``, ``incorrect``, ``unanswered``, ``missing`` (the variable is gone), ``crashed``
(its answer cell raised an error or was stopped), ``manual`` (rubric, points left blank for the
instructor), ``error`` (the run stopped before the answer could be read) and ``invalid`` (not
a notebook that could be run).

>>> values = _decode('{"gap": {"t": "float", "v": 22.9}, "memo": {"t": "missing"}}')
>>> values["gap"], values["memo"] is MISSING
(22.9, True)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.assess.gradebook import COLUMNS
from coursekit.assess.report import write_report
from coursekit.errors import CourseError

__all__ = ["Options", "Submission", "Outcome", "Report", "find_submissions", "read_submission",
           "grade_folder", "write_report", "configure", "run", "COLUMNS", "STATUSES", "MISSING"]

STATUSES = ("correct", "incorrect", "unanswered", "missing", "crashed", "manual", "error",
            "invalid")
MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
MAX_ANSWER_CHARS = 10_000
SKIP_DIRS = {".ipynb_checkpoints", "__pycache__", "__MACOSX"}
KERNEL_NAME = "coursekit-grader"
# Unix sockets in the working copy: they need no network, so they work without one under
# bubblewrap. Windows has none, and uses the loopback interface instead.
TRANSPORT = "ipc" if os.name == "posix" else "tcp"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()  # the variable is not defined in the kernel


@dataclass(frozen=True)
class _Opaque:
    """A value the grader cannot judge (a DataFrame, a function, ...): only its type name."""

    type_name: str
    problem: str = ""


@dataclass
class Options:
    """Limits and choices for one grading run (defaults suit the course's exercise sets)."""

    cell_timeout: float = 60.0
    timeout: float = 600.0
    jobs: int = 0
    memory_mb: int = 4096
    max_output_mb: float = 2.0
    isolation: str = "auto"
    set_name: str | None = None
    startup_timeout: float = 60.0
    warm: bool = True

    def workers(self) -> int:
        """The number of kernels run at once (default: the number of CPU cores)."""
        return self.jobs if self.jobs and self.jobs > 0 else max(1, os.cpu_count() or 1)


@dataclass
class Submission:
    """One submitted file, read and parsed (``problem`` says why it cannot be run)."""

    path: Path
    student: str
    digest: str = ""
    exercise: object = None
    cells: list = field(default_factory=list)
    problem: str = ""


@dataclass
class Outcome:
    """What grading one submission produced: gradebook rows, run notes and timings."""

    student: str
    exercise: str
    rows: list[dict]
    notes: list[str]
    seconds: float = 0.0
    memo: dict = field(default_factory=dict)
    kernel: str = ""  # "warm" (forked), "cold" (a new process), or "" (not run)
    resumed: bool = False  # taken from the journal of an earlier run (same file, same key)


@dataclass
class Report:
    """A whole run: outcomes in student order, the protection in force, the limits used."""

    outcomes: list[Outcome]
    protection: str
    options: Options
    seconds: float
    tampered: list[str] = field(default_factory=list)
    mode: str = ""  # "bubblewrap" or "guard"
    interrupted: bool = False  # stopped by Ctrl+C: outcomes holds what was graded by then
    total: int = 0  # submissions found
    resumed: int = 0  # outcomes taken from an earlier run's journal
    isolation: object = None  # the sandbox.Isolation in force (mode, boundary, limits)

    def rows(self) -> list[dict]:
        """Every gradebook row, student by student, question by question."""
        return [row for outcome in self.outcomes for row in outcome.rows]


# --- finding and reading submissions ------------------------------------------------------

def find_submissions(folder: str | os.PathLike[str]) -> list[Path]:
    """Return every entry under ``folder`` that gets a gradebook row, sorted.

    Every file counts, whatever its name (hidden ones too); ``.ipynb_checkpoints``,
    ``__pycache__`` and ``__MACOSX`` are skipped. A hidden folder, a folder named like a notebook
    and a link are listed as entries of their own (each gets a row saying what it is); links are
    never followed and hidden folders are not searched.

    Args:
        folder: the submissions folder.

    Returns:
        The paths, in a stable order (the gradebook's order).

    Raises:
        CourseError: ``folder`` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CourseError(f"{folder}: no such folder of submissions. Pass the folder that holds "
                          "the students' notebooks.")
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            if name in SKIP_DIRS:
                continue
            entry = here / name
            # A link, a hidden folder or a folder named like a notebook is reported, not
            # silently dropped; only ordinary folders (and *.ipynb folders) are searched.
            if entry.is_symlink() or name.startswith(".") or name.lower().endswith(".ipynb"):
                found.append(entry)
            if not entry.is_symlink() and not name.startswith("."):
                kept.append(name)
        dirnames[:] = kept
        found += [here / name for name in filenames]
    return sorted(found)


def student_id(path: Path, root: Path) -> str:
    """The path inside the submissions folder as text that can always be written out.

    A name with bytes that are not UTF-8 keeps them as ``\\x..`` escapes, so it can be shown,
    written to a CSV file and told apart from other names.

    >>> student_id(Path(os.fsdecode(b"/s/caf\\xe9.ipynb")), Path("/s"))
    'caf\\\\xe9.ipynb'
    """
    from coursekit.assess.gradebook import clean_text

    return clean_text(path.relative_to(root).as_posix())


def _source(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    return None


def _by_name(path: Path, sets: list, forced: str | None):
    """The set named by ``--set`` or, failing that, by the file name alone (or None)."""
    if forced:
        return next((s for s in sets if forced in (s.name, s.name.split("-")[0])), None)
    lower = path.name.lower()
    in_name = [s for s in sets if s.name in lower]
    return in_name[0] if len(in_name) == 1 else None


def _identify(sub: Submission, doc: dict, sets: list, forced: str | None):
    by_name = {s.name: s for s in sets}
    if forced:
        return _by_name(sub.path, sets, forced)
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    named = (meta.get("coursekit") or {}).get("exercise_set") if isinstance(
        meta.get("coursekit"), dict) else None
    if isinstance(named, str) and named in by_name:
        return by_name[named]
    if _by_name(sub.path, sets, None) is not None:
        return _by_name(sub.path, sets, None)
    code = "\n".join(c["source"] for c in sub.cells)
    scores = []
    for exercise in sets:
        hits = sum(1 for q in exercise.questions
                   if re.search(rf"^\s*{re.escape(q.variable)}\s*=", code, flags=re.M))
        scores.append((hits, exercise.name))
    scores.sort(reverse=True)
    if scores and scores[0][0] > 0 and (len(scores) == 1 or scores[0][0] > scores[1][0]):
        return by_name[scores[0][1]]
    return sets[0] if len(sets) == 1 else None


def read_submission(path: Path, root: Path, sets: list, forced: str | None = None) -> Submission:
    """Read one submitted file; never raises and never writes (problems go in ``problem``).

    Args:
        path: the file.
        root: the submissions folder (the student id is the path inside it).
        sets: the exercise sets (from :func:`coursekit.course.exercises.discover`).
        forced: the set every submission belongs to (``--set``), if given.

    Returns:
        A :class:`Submission` with its code cells, its set, and a ``problem`` message naming
        what is wrong and what to do when it cannot be run.
    """
    sub = Submission(path, student_id(path, root))
    fix = "Download the notebook again from Jupyter (File > Download) and resubmit it."
    # Until the notebook is read, only --set or the file name can tell its set; a file that
    # cannot be run still gets a row (and zero points) for each question of that set, so the
    # student stays in the set's totals.
    sub.exercise = _by_name(path, sets, forced)
    try:
        info = os.lstat(path)
    except OSError as exc:
        sub.problem = f"{sub.student}: cannot be read ({exc.strerror}). {fix}"
        return sub
    if stat.S_ISLNK(info.st_mode):
        sub.problem = (f"{sub.student}: is a symbolic link; the grader does not follow links. "
                       "Submit the notebook file itself.")
        return sub
    if stat.S_ISDIR(info.st_mode):
        sub.problem = (f"{sub.student}: is a hidden folder; the grader does not look inside "
                       "hidden folders. Move the notebooks out of it." if path.name.startswith(".")
                       else f"{sub.student}: is a folder, not a notebook file (anything inside "
                       "it is graded on its own rows). Submit the .ipynb file itself.")
        return sub
    if not stat.S_ISREG(info.st_mode):
        sub.problem = f"{sub.student}: is not a regular file. Submit the .ipynb file itself."
        return sub
    if info.st_size > MAX_SUBMISSION_BYTES:
        sub.problem = (f"{sub.student}: is {info.st_size / 2**20:.0f} MB, more than the "
                       f"{MAX_SUBMISSION_BYTES // 2**20} MB a notebook may be. Clear the outputs "
                       "(Edit > Clear Outputs of All Cells), save, and resubmit.")
        return sub
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SUBMISSION_BYTES + 1)
    except OSError as exc:
        sub.problem = f"{sub.student}: cannot be read ({exc.strerror}). {fix}"
        return sub
    sub.digest = hashlib.sha256(data).hexdigest()
    if not path.name.lower().endswith(".ipynb") and not data.lstrip()[:1] == b"{":
        sub.problem = (f"{sub.student}: is not a notebook (a .ipynb file). Submit the notebook "
                       "itself, not an export or a screenshot.")
        return sub
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        sub.problem = f"{sub.student}: is not UTF-8 text, so it is not a notebook file. {fix}"
        return sub
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        sub.problem = (f"{sub.student}: is not valid JSON (line {exc.lineno}, column "
                       f"{exc.colno}: {exc.msg}); the file is damaged or was edited by hand. {fix}")
        return sub
    except RecursionError:
        sub.problem = f"{sub.student}: its JSON is nested too deeply to be a notebook. {fix}"
        return sub
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and doc.get("nbformat") == 3:
        sub.problem = (f"{sub.student}: is an old version-3 notebook. Open it in JupyterLab and "
                       "save it again, which converts it to version 4, then resubmit it.")
        return sub
    if not isinstance(cells, list):
        sub.problem = (f"{sub.student}: is JSON but not a Jupyter notebook (it has no list of "
                       f"cells). {fix}")
        return sub
    heading = ""
    for index, cell in enumerate(cells):
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            text = _source(cell.get("source", "")) or ""
            heading = next((line for line in text.splitlines() if line.startswith("#")), heading)
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = _source(cell.get("source", ""))
        if source is None:
            sub.problem = (f"{sub.student}, cell {index}: its source is not text, so the "
                           f"notebook is damaged. {fix}")
            return sub
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        marks = meta.get("coursekit") if isinstance(meta.get("coursekit"), dict) else {}
        questions = marks.get("questions") if isinstance(marks.get("questions"), list) else []
        sub.cells.append({"index": index, "source": source, "id": str(cell.get("id", "")),
                          "task": task_label(heading),
                          "questions": [q for q in questions if isinstance(q, str)]})
    sub.exercise = _identify(sub, doc, sets, forced)
    if sub.exercise is None:
        names = ", ".join(s.name for s in sets)
        sub.problem = (f"{sub.student}: cannot tell which exercise set this is (no coursekit "
                       f"metadata, no set name in the file name). Rerun with --set NAME "
                       f"(one of {names}) or rename the file to include the set name.")
    return sub


# --- running one submission ---------------------------------------------------------------

def _value(node):
    kind = node.get("t") if isinstance(node, dict) else None
    if kind == "none":
        return None
    if kind == "ellipsis":
        return Ellipsis
    if kind in ("bool", "str", "int") and "v" in node:
        return node["v"]
    if kind == "float":
        return float(node["v"])
    if kind == "list":
        items = [_value(x) for x in node.get("v", [])]
        return _Opaque("list", "it has too many items") if node.get("more") else items
    if kind == "missing":
        return MISSING
    if kind == "unreadable":
        return _Opaque("value", f"reading it raised {node.get('why', 'an error')}")
    return _Opaque(str(node.get("type", "value")) if isinstance(node, dict) else "value")


def _nodes(nodes, names: list[str]) -> dict | None:
    """The reader's reply as the grader's own values (a malformed reply reads as nothing)."""
    if not isinstance(nodes, dict):
        return None
    try:
        return {name: _value(nodes.get(name, {"t": "missing"})) for name in names}
    except (RecursionError, MemoryError, TypeError, ValueError):
        return None


def _decode(text: str) -> dict:
    """Turn the kernel's JSON answer dump into Python values (the grader's own objects)."""
    doc = json.loads(text)
    if not isinstance(doc, dict):
        raise ValueError("not a mapping")
    return {str(name): _value(node) for name, node in doc.items()}


@dataclass
class _Paths:
    course: Path
    data: Path
    submissions: Path
    output: Path
    exercises: Path
    temp: Path
    fontcache: list[Path]
    keys_text: str


def _prepare_workdir(workdir: Path, paths: _Paths) -> Path:
    course = workdir / "course"
    shutil.copytree(paths.data, course / "data", symlinks=False)
    cwd = course / "exercises"
    cwd.mkdir(parents=True)
    (cwd / "checks.json").write_text(paths.keys_text, encoding="utf-8")
    for name in ("home", "tmp", "mpl", "ipython", "jupyter"):
        (workdir / name).mkdir()
    for font in paths.fontcache:
        shutil.copy2(font, workdir / "mpl" / font.name)
    return cwd


def task_label(heading: str) -> str:
    """How the notebook names the part a cell is in: "Task 2.1" if its heading says so.

    >>> task_label("### Task 2.2 (2 points)"), task_label("## 3 · The memo (4 points)")
    ('Task 2.2', 'The memo (4 points)')
    """
    text = heading.lstrip("#").strip()
    match = re.search(r"\bTask\s+\d+(?:\.\d+)*", text)
    if match:
        return match.group(0)
    return re.sub(r"^\d+(?:\.\d+)*\s*[·.:)-]?\s*", "", text)[:80]


def _where(sub: Submission, meta: dict) -> str:
    """A cell as the student finds it: counted from 1 at the top (all cells), its task, its text."""
    task = f" in {meta['task']}" if meta.get("task") else ""
    return f"cell {meta['index'] + 1} from the top{task} ({_first_line(meta['source'])!r})"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _cap(text: str) -> str:
    from coursekit.assess.gradebook import cap

    return cap(text)


def _first_line(source: str) -> str:
    lines = [line for line in source.strip().splitlines() if line.strip()]
    first = lines[0].strip() if lines else ""
    return first if len(first) <= 60 else first[:57] + "..."


def _tail(path: Path) -> str:
    """The last line of a kernel's log (why it failed to start), short."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 2000))
            lines = handle.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


async def _responsive(kc, wait: float = 5.0) -> bool:
    """Whether the kernel answers a kernel-info request within ``wait`` seconds (a kernel still
    stuck in a cell cannot: its shell channel is busy)."""
    try:
        await kc.kernel_info(reply=True, timeout=wait)
        return True
    except Exception:  # a timeout, a dead kernel: either way it cannot run the next cell
        return False


def _kill(km) -> None:
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(provisioner.pgid or process.pid, signal.SIGKILL)
    except (OSError, TypeError, AttributeError):
        try:
            process.kill()
        except OSError:
            pass


def _hidden(paths: _Paths) -> tuple[list[Path], list[Path]]:
    """What a kernel must not see, and what it must still read inside those folders."""
    keep = [Path(sys.prefix).resolve(), Path(__file__).resolve().parents[2]]
    hide = sorted({paths.course, paths.submissions, paths.output, paths.exercises, paths.temp})
    return hide, keep


class _WarmFailed(Exception):
    """A forked kernel did not start: retry this submission with a cold kernel."""


async def _run(sub: Submission, workdir: Path, paths: _Paths, options: Options, isolation,
               ctx, zygote=None, slot=None) -> tuple[dict | None, list[str], dict[str, str]]:
    """Run one submission; return (values or None, notes, per-question problems)."""
    from jupyter_client.manager import AsyncKernelManager
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from coursekit.assess.readout import plant_reader, read_values
    from coursekit.kernels.kernelclient import die_with_grader, runner_class, spec_manager
    from coursekit.kernels.sandbox import MAX_TASKS, kernel_command, kernel_env

    cwd = _prepare_workdir(workdir, paths)
    uid = getattr(slot, "uid", None) if isolation.mode == "bubblewrap" else None
    (workdir / "kernel.log").touch()  # the forked kernel appends to it as the slot's user
    _own(workdir, uid)
    hide, keep = _hidden(paths)
    end = None
    launch: dict = {}
    if zygote is not None:
        guarded = None if isolation.mode == "bubblewrap" else {
            "write_roots": [str(workdir)], "hidden": [str(p) for p in hide],
            "keep": [str(workdir), *map(str, keep)]}
        try:
            end = zygote.request({"connection_file": str(workdir / "kernel.json"),
                                  "cwd": str(cwd), "env": kernel_env(workdir),
                                  "log": str(workdir / "kernel.log"),
                                  "memory_mb": options.memory_mb, "file_mb": 256,
                                  "tasks": MAX_TASKS if isolation.mode == "bubblewrap" else 0,
                                  "guard": guarded})
        except OSError:
            raise _WarmFailed() from None
        argv = zygote.stub_argv(end.fileno())
        launch = {"pass_fds": [end.fileno()]}
    else:
        argv = kernel_command(isolation, workdir=workdir, cwd=cwd, hide=hide, keep=keep,
                              memory_mb=options.memory_mb, uid=uid,
                              etc=getattr(slot, "etc", None))
    km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=spec_manager(argv),
                            transport=TRANSPORT, ip=str(workdir / "k") if TRANSPORT == "ipc"
                            else "127.0.0.1", context=ctx,
                            connection_file=str(workdir / "kernel.json"))
    notes: list[str] = []
    cell_notes: dict[str, str] = {}
    kc = None
    state = {"deadline": False}
    loop = asyncio.get_running_loop()

    def expire():
        state["deadline"] = True
        _kill(km)

    if uid is not None:  # the kernel, running as the slot's user, must read its connection file
        km.write_connection_file()
        os.chown(workdir / "kernel.json", uid, uid)
    timer = loop.call_later(options.timeout, expire)
    began = time.monotonic()
    try:
        try:
            try:
                with open(workdir / "kernel.log", "ab") as log:
                    await km.start_kernel(cwd=str(cwd), env=kernel_env(workdir),
                                          stdout=subprocess.DEVNULL, stderr=log,
                                          **die_with_grader(), **launch)
            finally:
                if end is not None:
                    end.close()  # the stub holds its own copy now
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=options.startup_timeout)
        except Exception as exc:  # the kernel could not start: the grader's problem, not theirs
            if zygote is not None:
                raise _WarmFailed() from None
            tail = _tail(workdir / "kernel.log")
            notes.append(f"The grader could not start a kernel for this notebook ({exc}"
                         f"{'; ' + tail if tail else ''}). Tell your instructor; this is not "
                         "your fault.")
            return None, notes, cell_notes
        Runner = runner_class()
        nb = _notebook(sub)
        runner = Runner(nb, km=km, timeout=options.cell_timeout, interrupt_on_timeout=True,
                        error_on_timeout={"ename": "CellTimeoutError", "evalue": "time limit",
                                          "traceback": []},
                        allow_errors=True, record_timing=False, iopub_timeout=4,
                        raise_on_iopub_timeout=False, shutdown_kernel="immediate",
                        output_limit=int(options.max_output_mb * 2**20))
        runner.kc = kc
        # The grader cannot type: input() must fail at once (StdinNotImplementedError), not
        # wait out the cell's time limit for an answer that never comes.
        kc.allow_stdin = False
        door = await plant_reader(kc, min(30.0, options.startup_timeout))
        for position, (cell, meta) in enumerate(zip(nb.cells, sub.cells, strict=True)):
            where = _where(sub, meta)
            runner.current = position
            try:
                await runner.async_execute_cell(cell, position, store_history=True)
            except DeadKernelError:
                # The kernel died while this cell was running (os._exit, a crash, memory):
                # quit() and exit() are caught from their reply's payload below, so a death
                # seen here belongs to the cell that was running.
                culprit = where
                if state["deadline"]:
                    notes.append(f"The whole notebook ran longer than {options.timeout:g} s, so "
                                 f"it was stopped during {culprit}. Look for a loop that "
                                 "never ends or a very slow computation.")
                else:
                    notes.append(f"The kernel stopped during {culprit}: it crashed, was ended "
                                 "by quit(), exit() or os._exit(), or ran out of its "
                                 f"{options.memory_mb} MB of memory (the kernel died). Remove "
                                 "what ends it and make sure the notebook runs from top to "
                                 "bottom before submitting.")
                return None, notes, cell_notes
            except CellTimeoutError:
                runner.timed_out.add(position)
            if runner.exited is not None:
                notes.append(f"The kernel was ended by quit() or exit() in {where}, so no cell "
                             "after it ran and no answer could be read. Remove that line.")
                return None, notes, cell_notes
            if position in runner.timed_out:
                text = (f"{_capital(where)} ran longer than {options.cell_timeout:g} s and was "
                        "stopped at the time limit. Look for a loop that never ends or a very "
                        "slow computation.")
                notes.append(text)
                for qid in meta["questions"]:
                    cell_notes.setdefault(qid, text)
                if not await _responsive(kc):
                    # The interrupt did not come back: the kernel is still stuck (blocked inside
                    # a C call, or interrupts ignored). End it; nothing more can run.
                    notes[-1] = _cap(f"{text} It did not respond to the interrupt (it was "
                                     "blocked waiting, or ignored interrupts), so the cells after "
                                     "it did not run.")
                    _kill(km)
                    return None, notes, cell_notes
                continue
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    if out.get("ename") == "StdinNotImplementedError":
                        text = (f"{_capital(where)} asked for typed input (input()), but the "
                                "grader cannot type. Put the value in the code instead of "
                                "asking for it.")
                    else:
                        text = (f"{_capital(where)} crashed with {out.get('ename')}: "
                                f"{out.get('evalue', '')}")
                    notes.append(_cap(text))
                    for qid in meta["questions"]:
                        cell_notes.setdefault(qid, _cap(text))
                    break
            if position in runner.truncated and position == min(runner.truncated):
                notes.append(f"{_capital(where)} took the notebook's output past {options.max_output_mb:g} "
                             "MB, so the rest of its output was dropped. Print less (for "
                             "example .head() of a table).")
        left = max(1.0, options.timeout - (time.monotonic() - began))
        names = [q.variable for q in sub.exercise.questions]
        nodes = await read_values(kc, door, names, min(30, left)) if door else None
        values = _nodes(nodes, names)
        if values is None:
            why = ("the notebook time limit was reached" if state["deadline"] else
                   "the kernel did not answer")
            notes.append(f"Your answers could not be read after the run ({why}).")
        return values, notes, cell_notes
    finally:
        timer.cancel()
        if kc is not None:
            kc.stop_channels()
        _kill(km)
        try:
            await asyncio.wait_for(km.shutdown_kernel(now=True), 10)
        except Exception:
            pass
        try:
            await km.cleanup_resources()
        except Exception:
            pass


def _notebook(sub: Submission):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c["source"]) for c in sub.cells]
    return nb


# --- scoring ------------------------------------------------------------------------------

def _fmt(points) -> float | int:
    return int(points) if float(points).is_integer() else points


def _shown(value) -> str:
    if value is MISSING or value is None or value is Ellipsis:
        return ""
    if isinstance(value, _Opaque):
        return f"a {value.type_name}"
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 120 else text[:117] + "..."


def _score(sub: Submission, keys: dict, values: dict | None, notes: list[str],
           cell_notes: dict[str, str]) -> tuple[list[dict], dict]:
    from coursekit.checks import evaluate

    exercise = sub.exercise
    present = {qid for cell in sub.cells for qid in cell["questions"]}
    rows, memo = [], {}
    for q in exercise.questions:
        row = {"student": sub.student, "set": exercise.name, "question": q.id, "points": 0,
               "max_points": _fmt(q.points), "status": "", "message": "", "answer": ""}
        rows.append(row)
        context = f" ({cell_notes[q.id]})" if q.id in cell_notes else ""
        if values is None:
            row.update(status="error", message=(notes[-1] if notes else "The run stopped.")
                       + " This answer could not be read.")
            continue
        value = values.get(q.variable, MISSING)
        # A NameError about the answer's own name is a renamed or deleted variable, not a crash.
        renamed = f"name '{q.variable}' is not defined" in cell_notes.get(q.id, "")
        if value is MISSING and q.id in cell_notes and not renamed:
            row.update(status="crashed", message=(
                f"Your answer cell did not finish, so `{q.variable}` was never set: "
                f"{cell_notes[q.id]} Fix it, rerun the notebook from the top, and resubmit."))
            continue
        if value is MISSING:
            gone = " Its answer cell is no longer in the notebook." if (
                present and q.id not in present) else ""
            row.update(status="missing", message=(
                f"No variable {q.variable!r} after your notebook ran: the cell that answers "
                f"this question was deleted, renamed, or stopped with an error{context}.{gone} "
                f"Keep the line `{q.variable} = ...` and put your answer there."))
            continue
        if q.manual:
            if value is None or value is Ellipsis or (isinstance(value, str) and not value.strip()):
                row.update(status="unanswered", message="Not answered yet: write your memo "
                           f"as text in `{q.variable}`{context}.")
            elif not isinstance(value, str):
                row.update(status="unanswered", message=f"Not yet: `{q.variable}` should hold "
                           f"your memo as text (in quotes), not {_shown(value) or 'that'}.")
            else:
                words = len(value.split())
                row.update(status="manual", points="", message=(
                    f"Your memo ({words} words) will be graded by your instructor with the "
                    f"rubric ({_fmt(q.points)} points)."))
                memo = {**memo, q.id: value[:MAX_ANSWER_CHARS]}
            continue
        row["answer"] = _shown(value)
        if isinstance(value, _Opaque):
            detail = value.problem or f"it is a {value.type_name}"
            row.update(status="incorrect", message=(
                f"Not yet: the grader cannot read `{q.variable}` as a {q.kind} ({detail}). "
                f"Give a {q.kind} as the question asks{context}."))
            continue
        result = evaluate(keys[q.id], value, q.id)
        if result.passed:
            row.update(status="correct", points=_fmt(q.points), message=result.message)
        elif value is None or value is Ellipsis:
            row.update(status="unanswered", message=result.message + context)
        else:
            row.update(status="incorrect", message=result.message + context)
    return rows, memo


def _cap_outcome(outcome: Outcome) -> None:
    """No message or note longer than the gradebook's cell limit, anywhere in the report."""
    outcome.notes = [_cap(str(n)) for n in outcome.notes]
    for row in outcome.rows:
        row["message"] = _cap(str(row.get("message", "")))


def _invalid_rows(sub: Submission) -> list[dict]:
    if sub.exercise is None:
        return [{"student": sub.student, "set": "", "question": "", "points": 0, "max_points": "",
                 "status": "invalid", "message": sub.problem, "answer": ""}]
    return [{"student": sub.student, "set": sub.exercise.name, "question": q.id, "points": 0,
             "max_points": _fmt(q.points), "status": "invalid", "message": sub.problem,
             "answer": ""} for q in sub.exercise.questions]


# --- the batch ----------------------------------------------------------------------------

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
    from coursekit.formcheck import student_keys
    from coursekit.kernels.sandbox import detect
    from coursekit.paths import course_root

    options = options or Options()
    started = time.monotonic()
    submissions = Path(submissions).resolve()
    exercises_dir = Path(exercises_dir).resolve()
    files = find_submissions(submissions)
    sets = discover(exercises_dir)
    keys = build_exercise_keys(sets)
    isolation = detect(options.isolation)
    root = course_root(exercises_dir)
    output = Path(output_dir).resolve() if output_dir else submissions.parent / "grades"
    if options.set_name and not any(options.set_name in (s.name, s.name.split("-")[0])
                                    for s in sets):
        raise CourseError(f"--set {options.set_name}: no such exercise set. The sets are: "
                          f"{', '.join(s.name for s in sets)}.")
    temp = Path(tempfile.mkdtemp(prefix="ckg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    paths = _Paths(course=root, data=root / "data", submissions=submissions, output=output,
                   exercises=exercises_dir, temp=temp, fontcache=_font_cache(),
                   keys_text=keys_text(student_keys(keys, sets)))  # the students' form-only key
    protected = _protected_files(exercises_dir, files)
    before = _digests(protected)
    subs = [read_submission(path, submissions, sets, options.set_name) for path in files]
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


async def _grade_all(subs, keys, paths: _Paths, options: Options, isolation, progress: bool,
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
    for slot in await _make_slots(workers, paths, options, isolation):
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
                outcome = Outcome(sub.student, getattr(sub.exercise, "name", ""), [
                    {**row, "status": "error", "points": 0,
                     "message": f"The grader failed on this notebook ({type(exc).__name__}: "
                                f"{exc}). Tell your instructor; this is not your fault."}
                    for row in _invalid_rows(sub)], [])
            outcome.seconds = time.monotonic() - began
            _cap_outcome(outcome)
            results[number] = outcome
            if journal is not None and sub.digest:
                from dataclasses import asdict

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
        while not slots.empty():
            slot = slots.get_nowait()
            if slot.zygote is not None:
                slot.zygote.close()
        ctx.destroy(linger=0)


@dataclass
class _Slot:
    """One parallel lane of grading: its folder and, with warm kernels, its zygote."""

    folder: Path
    zygote: object = None
    uid: int | None = None  # the unprivileged user its sandboxes run as (grading as root)
    etc: Path | None = None  # its sandboxes' generated /etc


async def _make_slots(count: int, paths: _Paths, options: Options, isolation) -> list[_Slot]:
    from coursekit.kernels import zygote as warm
    from coursekit.kernels.sandbox import etc_files, kernel_env, sandbox_uid

    slots = []
    for number in range(count):
        folder = paths.temp / f"slot{number}"
        (folder / "mpl").mkdir(parents=True)
        for font in paths.fontcache:
            shutil.copy2(font, folder / "mpl" / font.name)
        uid = sandbox_uid(number) if isolation.mode == "bubblewrap" else None
        slots.append(_Slot(folder, uid=uid, etc=etc_files(paths.temp / f"etc{number}", uid)))
        _own(folder, uid)
    if not (options.warm and warm.available()):
        return slots
    hide, keep = _hidden(paths)
    for slot in slots:
        env = {**kernel_env(slot.folder), "MPLCONFIGDIR": str(slot.folder / "mpl")}
        slot.zygote = warm.Zygote(slot.folder, isolation, hide=hide, keep=keep, env=env,
                                  log=paths.temp / f"{slot.folder.name}.log", uid=slot.uid,
                                  etc=slot.etc)
    started = await asyncio.gather(*(asyncio.to_thread(s.zygote.start) for s in slots),
                                   return_exceptions=True)
    for slot, result in zip(slots, started, strict=True):
        if isinstance(result, BaseException):
            slot.zygote = None  # this slot runs cold kernels
    return slots


def _own(folder: Path, uid: int | None) -> None:
    """Give a sandbox's writable folder to the slot's unprivileged user (grading as root)."""
    if uid is None:
        return
    for path in [folder, *folder.rglob("*")]:
        os.lchown(path, uid, uid)


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


def _tidy(slot: _Slot, paths: _Paths) -> None:
    """Empty a slot's folder between two submissions: only its pristine font cache stays."""
    fonts = slot.folder / "mpl"
    for entry in slot.folder.iterdir():
        if entry != fonts or entry.is_symlink() or not entry.is_dir():
            _remove(entry)
    fonts.mkdir(exist_ok=True)
    if slot.uid is not None:
        os.lchown(fonts, slot.uid, slot.uid)
    wanted = {font.name: font for font in paths.fontcache}
    for entry in fonts.iterdir():
        original = wanted.get(entry.name)
        if (original is None or entry.is_symlink() or not entry.is_file()
                or entry.read_bytes() != original.read_bytes()):
            _remove(entry)
    for name, font in wanted.items():
        if not (fonts / name).exists():
            shutil.copy2(font, fonts / name)


async def _restart(slot: _Slot) -> None:
    """Replace a slot's zygote (a submission may have killed it); go cold if that fails."""
    if slot.zygote is None:
        return
    try:
        await asyncio.to_thread(slot.zygote.start)
    except OSError:
        slot.zygote.close()
        slot.zygote = None


async def _grade_one(number, sub, keys, paths, options, isolation, ctx, slot) -> Outcome:
    if sub.problem:
        return Outcome(sub.student, getattr(sub.exercise, "name", ""), _invalid_rows(sub),
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
                _run(sub, workdir, paths, options, isolation, ctx, zygote, slot), hard)
            break
        except _WarmFailed:
            await _restart(slot)  # then run it again: warm once more, else cold
        except TimeoutError:
            values, notes, cell_notes = None, [f"The run did not finish within {hard:g} s."], {}
            break
        finally:
            if zygote is not None and not await asyncio.to_thread(zygote.wait_clean):
                await _restart(slot)
            shutil.rmtree(workdir, ignore_errors=True)
            _tidy(slot, paths)
    rows, memo = _score(sub, keys, values, notes, cell_notes)
    return Outcome(sub.student, sub.exercise.name, rows, notes, memo=memo, kernel=kernel)


# --- writing the report -------------------------------------------------------------------

# --- the command --------------------------------------------------------------------------

def configure(parser, name: str) -> None:
    """Add the ``coursekit grade`` options to ``parser``."""
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    parser.add_argument("-o", "--output", type=Path, help="where to write the gradebook and "
                        "feedback (default: grades/ beside the submissions folder)")
    parser.add_argument("--exercises", type=Path, help="instructor folder with answers/ "
                        "(default: exercises/ of the course)")
    parser.add_argument("--set", dest="set_name", help="grade every file as this set "
                        "(default: tell from each notebook)")
    parser.add_argument("-j", "--jobs", type=int, default=0, help="kernels at once "
                        "(default: one per CPU core)")
    parser.add_argument("--cell-timeout", type=float, default=60.0, help="seconds per cell "
                        "(default 60)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per notebook "
                        "(default 600)")
    parser.add_argument("--memory-mb", type=int, default=4096, help="memory per kernel "
                        "(default 4096)")
    parser.add_argument("--isolation", choices=("auto", "bubblewrap", "guard"), default="auto",
                        help="bubblewrap (required), guard, or auto (bubblewrap if it works)")
    parser.add_argument("--cold", action="store_true", help="start every kernel as a new "
                        "Python process instead of forking it from a warm one (slower)")
    parser.add_argument("--force", action="store_true", help="overwrite report files changed "
                        "since the last run (each is first copied to NAME.bak)")


def run(args) -> int:
    """Run ``coursekit grade``; exit 0 whenever the batch ran, whatever the submissions held."""
    from coursekit.assess.release import default_folders

    exercises = args.exercises or default_folders()[0]
    submissions = args.submissions.resolve()
    output = (args.output or submissions.parent / "grades").resolve()
    if output == submissions or output.is_relative_to(submissions) or submissions.is_relative_to(
            output):
        raise CourseError(f"{output}: the report must go outside the submissions folder "
                          f"{submissions} (and not around it), so no submission is touched. "
                          "Choose another folder with -o.")
    if output.is_relative_to(Path(exercises).resolve()):
        raise CourseError(f"{output}: the report must not go inside the instructor folder.")
    from coursekit.assess.report import GUARD_WARNING, check_outputs
    from coursekit.kernels.sandbox import detect

    options = Options(cell_timeout=args.cell_timeout, timeout=args.timeout, jobs=args.jobs,
                      memory_mb=args.memory_mb, isolation=args.isolation, set_name=args.set_name,
                      warm=not args.cold)
    isolation = detect(options.isolation)
    if isolation.mode == "guard":  # the very first line, before anything runs
        print(f"protection: guard. {GUARD_WARNING}", flush=True)
    # Edited outputs are found before grading (minutes), not after: your marks are carried
    # over, any other edit stops here with nothing graded.
    carried = check_outputs(output, force=args.force)
    report = grade_folder(submissions, exercises_dir=exercises, output_dir=output,
                          options=options, progress=sys.stderr.isatty())
    written = write_report(report, output, exercises_dir=exercises, force=args.force,
                           carried=carried)
    counts: dict[str, int] = {}
    for row in report.rows():
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    resumed = f"; {report.resumed} unchanged, taken from the last run" if report.resumed else ""
    print(f"graded {len(report.outcomes)} submission(s) in {report.seconds:.1f} s "
          f"({report.options.workers()} at a time{resumed})")
    print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    kernels = [o.kernel for o in report.outcomes if o.kernel]
    print(f"kernels: {kernels.count('warm')} forked from a warm process, "
          f"{kernels.count('cold')} started cold")
    print(f"protection: {report.protection}")
    print(f"wrote {output / 'gradebook.csv'} (with totals.csv, wide.csv, canvas.csv, "
          f"moodle.csv) and {len(written) - 6} other file(s) in {output}")
    if report.tampered:
        print("WARNING: these files changed while grading (a submission may have written to "
              "them; rerun with bubblewrap):\n  " + "\n  ".join(map(str, report.tampered)),
              file=sys.stderr)
    if report.interrupted:
        print(f"interrupted: {len(report.outcomes)} of {report.total} submission(s) graded and "
              "written; run the same command again to grade the rest (graded ones are kept).",
              file=sys.stderr)
        return 130
    return 0
