"""Write a grading run's report, keeping every edit an instructor made to the last one.

Files written into the output folder: ``gradebook.csv`` (long: one row per student and
question), ``totals.csv``, ``wide.csv``, ``canvas.csv`` and ``moodle.csv``
(:mod:`coursekit.assess.gradebook`), one feedback page per submission (:mod:`coursekit.assess.feedback`), the
manual-marking sheets (:mod:`coursekit.assess.marking`) and ``grading.json``.

A re-run over a folder you worked in keeps your work: points typed into the blank ``points``
of a ``manual`` row of ``gradebook.csv``, or on the ``Points:`` line of a sheet, are read back
and carried into the new files (the edited files are first kept as ``NAME.bak``), as long as
the student's memo is unchanged. Any other edit stops the run *before* it grades anything
(:func:`check_outputs`), unless ``--force``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.course.files import read_notebook
from coursekit.errors import CourseError

__all__ = ["check_output_folder", "write_report", "check_outputs", "Carried", "page_path",
           "GUARD_WARNING", "STATE"]

STATE = ".coursekit-grade-state.json"  # what the last run wrote, to tell your edits apart
GUARD_WARNING = ("WARNING: the guard is NOT a security boundary: it stops accidents, not a "
                 "determined student. Grade untrusted submissions where bubblewrap works "
                 "(--isolation bubblewrap).")


def page_path(student: str, suffix: str) -> str:
    """A file name for a submission's page that every file system accepts.

    Each part of the path keeps its name unless it is too long (a 255-byte name plus
    ``.html`` would be refused), in which case it is shortened and a digest keeps it unique.

    >>> page_path("a/b.ipynb", ".html"), len(page_path("x" * 255, ".html").encode()) < 255
    ('a/b.ipynb.html', True)
    """
    parts = student.split("/")
    out = []
    for number, part in enumerate(parts):
        last = number == len(parts) - 1
        room = 200 - (len(suffix.encode()) if last else 0)
        if part in ("", ".", "..") or len(part.encode()) > room:
            digest = hashlib.sha256(part.encode("utf-8", "surrogateescape")).hexdigest()[:12]
            head = part.encode()[:80].decode("utf-8", "ignore").strip(".") or "_"
            part = f"{head}-{digest}"
        out.append(part)
    return "/".join(out) + suffix


@dataclass
class Carried:
    """What :func:`check_outputs` found: marks to carry over and edited files it accepts."""

    gradebook_marks: dict = field(default_factory=dict)  # (student, question) -> points
    sheet_marks: dict = field(default_factory=dict)  # (student, question) -> (points, memo part)
    keep_sheets: dict = field(default_factory=dict)  # relative path -> its memo part
    replace: set = field(default_factory=set)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _state(folder: Path) -> dict:
    try:
        doc = json.loads((folder / STATE).read_text(encoding="utf-8"))
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def check_output_folder(output: Path, *, submissions: Path, exercises: Path) -> None:
    """Refuse a report folder inside (or around) the submissions, or inside the instructor folder.

    Raises:
        CourseError: naming the folder and what to choose instead.
    """
    output, submissions = Path(output).resolve(), Path(submissions).resolve()
    if output == submissions or output.is_relative_to(submissions) or submissions.is_relative_to(
            output):
        raise CourseError(f"{output}: the report must go outside the submissions folder "
                          f"{submissions} (and not around it), so no submission is touched. "
                          "Choose another folder with -o.")
    if output.is_relative_to(Path(exercises).resolve()):
        raise CourseError(f"{output}: the report must not go inside the instructor folder.")


def check_outputs(output_dir, *, force: bool = False) -> Carried:
    """Look at the last run's files before grading: carry your marks, refuse other edits.

    Raises:
        CourseError: a file written last time was edited in a way that cannot be carried over
            (and not ``force``); nothing has been graded or written yet.
    """
    from coursekit.assess.gradebook import read_gradebook
    from coursekit.assess.marking import memo_of, read_mark
    from coursekit.course.safewrite import GeneratedFiles

    folder = Path(output_dir)
    carried = Carried()
    if not folder.is_dir():
        return carried
    known = GeneratedFiles(folder, command="coursekit grade").manifest()
    state = _state(folder)
    problems = []
    for relative, digest in sorted(known.items()):
        path = folder / relative
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        if _digest(data) == digest:
            continue
        if relative == "gradebook.csv":
            why = _gradebook_marks(data, state.get("gradebook", []), carried, read_gradebook)
            if why:
                problems.append(f"{path} ({why})")
            else:
                carried.replace.add(relative)
        elif relative in state.get("sheets", {}):
            student, qid = state["sheets"][relative]
            text = data.decode("utf-8", "replace")
            mark = read_mark(text)
            if mark is not None:
                carried.sheet_marks[(student, qid)] = (mark, memo_of(text))
            carried.keep_sheets[relative] = memo_of(text)
        else:
            problems.append(str(path))
    if problems and not force:
        listing = "\n  ".join(problems)
        raise CourseError(
            f"these files in {folder} changed since the last run, and not only by points typed "
            f"for manual questions:\n  {listing}\nNothing was graded. Move them somewhere safe, "
            "or rerun with --force to replace them (each is first copied to NAME.bak).")
    return carried


def _gradebook_marks(data: bytes, written: list, carried: Carried, reader) -> str:
    """Read points typed into manual rows; return why the edit is more than that ("" if not)."""
    try:
        rows = reader(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return f"it cannot be read back: {exc}"
    if len(rows) != len(written):
        return f"it has {len(rows)} rows, the last run wrote {len(written)}"
    for number, (now, then) in enumerate(zip(rows, written, strict=True), start=2):
        for column, value in then.items():
            if now.get(column, "") == value:
                continue
            if column == "points" and then.get("status") == "manual":
                if now["points"].strip() == "":
                    continue
                try:
                    points = float(now["points"].replace(",", "."))
                except ValueError:
                    return f"row {number}: points {now['points']!r} is not a number"
                if not 0 <= points <= float(then.get("max_points") or 0):
                    return (f"row {number}: {points:g} points is outside 0 to "
                            f"{then.get('max_points')}")
                carried.gradebook_marks[(then["student"], then["question"])] = points
                continue
            return f"row {number}, column {column!r} was changed; only manual points may be"
    return ""


def _fmt(points):
    return int(points) if float(points).is_integer() else points


def _titles_and_tasks(sets) -> tuple[dict, dict]:
    """Each set's title, and each question's task as its notebook names it ("Task 2.1")."""

    from coursekit.assess.submissions import task_label

    titles, tasks = {}, {}
    for s in sets:
        try:
            nb = read_notebook(s.notebook)
        except CourseError:
            titles[s.name] = s.name
            continue
        first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
        titles[s.name] = (first.strip().splitlines()[0].lstrip("# ").strip()
                          if first.strip() else "") or s.name
        heading = ""
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                heading = next((ln for ln in cell.source.splitlines() if ln.startswith("#")),
                               heading)
                continue
            for q in s.questions:
                if q.id not in tasks and (f'"{q.id}"' in cell.source or re.search(
                        rf"^\s*{re.escape(q.variable)}\s*=", cell.source, flags=re.M)):
                    tasks[q.id] = task_label(heading)
    return titles, tasks


def write_report(report, output_dir: str | os.PathLike[str], *, exercises_dir,
                 force: bool = False, carried: Carried | None = None) -> list[Path]:
    """Write the gradebooks, feedback pages, sheets and ``grading.json`` into ``output_dir``.

    Points you typed last time are carried over (see the module docstring); files changed in
    any other way are not overwritten unless ``force`` (then each is kept as ``NAME.bak``).

    Returns:
        The paths written.

    Raises:
        CourseError: a file would be overwritten (nothing is written then).
    """
    from coursekit import __version__
    from coursekit.assess import gradebook
    from coursekit.assess.feedback import render_page
    from coursekit.assess.marking import memo_of, render_sheet
    from coursekit.course.exercises import discover
    from coursekit.course.safewrite import GeneratedFiles

    folder = Path(output_dir)
    carried = carried if carried is not None else check_outputs(folder, force=force)
    sets = {s.name: s for s in discover(exercises_dir)}
    titles, tasks = _titles_and_tasks(sets.values())
    guard = getattr(report, "mode", "") == "guard" or report.protection.startswith("guard")
    out = GeneratedFiles(folder, command="coursekit grade")
    sheets: dict[str, list[str]] = {}
    keep = set()
    for outcome in report.outcomes:
        for qid, text in outcome.memo.items():
            exercise = sets[outcome.exercise]
            q = exercise.question(qid)
            relative = f"manual/{outcome.exercise}/{page_path(outcome.student, f'.{qid}.md')}"
            sheet = render_sheet(qid=qid, student=outcome.student, rubric=q.rubric,
                                 points=q.points, memo=text)
            sheets[relative] = [outcome.student, qid]
            same_memo = carried.keep_sheets.get(relative) == memo_of(sheet)
            mark = carried.gradebook_marks.get((outcome.student, qid))
            sheet_mark = carried.sheet_marks.get((outcome.student, qid))
            if mark is None and sheet_mark and sheet_mark[1] == memo_of(sheet):
                mark = sheet_mark[0]
            if relative in carried.keep_sheets and not same_memo:
                mark = None  # the memo changed since you marked it: mark it again
                carried.replace.add(relative)
            for row in outcome.rows:
                if row["question"] == qid and row["status"] == "manual" and mark is not None:
                    row["points"] = _fmt(mark)
            if same_memo:
                keep.add(relative)  # your sheet, with your marks, stays as it is
            else:
                out.add(relative, sheet.encode("utf-8"))
    rows = report.rows()
    for name, writer in (("gradebook.csv", gradebook.gradebook_csv),
                         ("totals.csv", gradebook.totals_csv), ("wide.csv", gradebook.wide_csv),
                         ("canvas.csv", gradebook.canvas_csv),
                         ("moodle.csv", gradebook.moodle_csv)):
        out.add(name, writer(rows))
    summary = []
    for outcome in report.outcomes:
        named = [{**r, "task": tasks.get(r["question"], "")} for r in outcome.rows]
        page = render_page(student=outcome.student, exercise=outcome.exercise,
                           title=titles.get(outcome.exercise, ""), rows=named,
                           notes=outcome.notes, protection=report.protection,
                           warning=GUARD_WARNING if guard else "")
        out.add(f"feedback/{page_path(outcome.student, '.html')}", page.encode("utf-8"))
        earned = sum(float(r["points"]) for r in outcome.rows if r["points"] not in ("", None))
        summary.append({"student": outcome.student, "set": outcome.exercise,
                        "points": _fmt(earned), "seconds": round(outcome.seconds, 2),
                        "kernel": outcome.kernel,
                        "statuses": sorted({r["status"] for r in outcome.rows})})
    info = {"coursekit": __version__, "protection": report.protection,
            "security_boundary": not guard,
            **({"warning": GUARD_WARNING} if guard else {}),
            "limits": {"cell_timeout_s": report.options.cell_timeout,
                       "notebook_timeout_s": report.options.timeout,
                       "memory_mb": report.options.memory_mb,
                       "max_output_mb": report.options.max_output_mb,
                       "parallel_kernels": report.options.workers()},
            "isolation": _isolation_info(getattr(report, "isolation", None)),
            "seconds": round(report.seconds, 2),
            "interrupted": bool(getattr(report, "interrupted", False)),
            "submissions": summary,
            "changed_during_grading": [str(p) for p in report.tampered]}
    out.add("grading.json", (json.dumps(info, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
    written = out.commit(force=force, replace=carried.replace)
    from coursekit.course.files import atomic_write_bytes

    state = {"gradebook": gradebook.read_gradebook(gradebook.gradebook_csv(rows)),
             "sheets": {**{k: v for k, v in sheets.items()}}}
    atomic_write_bytes(folder / STATE, (json.dumps(state, ensure_ascii=False) + "\n").encode())
    return written + [folder / k for k in sorted(keep)]


def _isolation_info(isolation) -> dict:
    """What grading.json says of the protection: mode, whether it is a boundary, the limits."""
    if isolation is None:
        return {}
    return {"mode": isolation.mode, "security_boundary": isolation.is_security_boundary,
            "warning": isolation.warning, "limits": isolation.limits}
