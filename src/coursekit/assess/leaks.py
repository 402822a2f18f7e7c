"""The leak scan: prove a student notebook and key file hold no solution, answer or revealing output.

What counts as a leak (each reported with the place it was found and what it is, named by
question or instructor cell but never printed, since release logs are shared):

- a line of a model answer or hidden test of the instructor notebook, in any format the
  release reads (coursekit markers, nbgrader metadata and regions, otter raw-cell blocks), and
  the numbers and strings written in those lines;
- a plaintext answer from the answers file, in any spelling (:mod:`coursekit.assess.needles`:
  24.5 = 24.50 = 24,5 = 24.5%; case, spacing and hyphens folded; what is too short to search
  for and why);
- an output of the instructor notebook (text, HTML or image), anywhere;
- a speaker-notes cell (``metadata.slideshow.slide_type == "notes"``): notes are for the
  instructor's deck and build only, and may say which answer to steer students to;
- any output or execution count at all in the student notebook (the release clears them),
  cell or notebook metadata outside the short list the release keeps, and attachments that are
  not the instructor's own question attachments.

Places searched: every cell's source, outputs (text, HTML, data), tags and metadata and
attachments (base64 payloads are decoded and searched; images are also compared with the
instructor's outputs) and the notebook's metadata. The scan fails closed: a cell it cannot
read, or an instructor cell it cannot classify, raises instead of reporting "clean".
An otter question's self-check cell (marked ``{"coursekit": {"selfcheck": "q1"}}``) is
measured against that question's public tests and their recorded outputs only, so a hidden
test, a model answer or a hidden test's expected value in it is a leak like anywhere else.
A string the question text itself already holds (outside
solution regions) is not a leak: only what the release would add counts. An attachment is
searched even when it is the instructor's own: a question must not carry its answer.

>>> import nbformat
>>> teacher = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
...     "### BEGIN SOLUTION\\ngap_years = round(22.9, 1)\\n### END SOLUTION")])
>>> student = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("gap_years = ...")])
>>> scan_notebook(student, teacher, answers=["22.9"])
[]
>>> student.cells[0].metadata["note"] = "the gap is 22.9 years"
>>> for leak in scan_notebook(student, teacher, answers=[("ex01.gap", "22.9")]):
...     print(leak)
cell 0 metadata: metadata key 'note' (the release keeps only ...)
cell 0 metadata: plaintext answer of ex01.gap (in some spelling)
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from coursekit.assess.needles import (
    MIN_BINARY,
    MIN_LINE,
    Needle,
    answer_needle,
    count,
    line_needle,
    squash,
)
from coursekit.assess.places import decoded, payloads, readable, strings
from coursekit.course.otterchecks import public_tests, selfcheck_question
from coursekit.course.solutions import cell_roles, secret_cells, student_cells

__all__ = ["Leak", "scan_notebook", "scan_keys", "scan_graded_hashes", "answer_strings",
           "speaker_notes", "notes_leaks", "readable",
           "NOTEBOOK_METADATA", "CELL_METADATA", "KEY_FIELDS"]

NOTEBOOK_METADATA = ("kernelspec", "language_info", "coursekit")
CELL_METADATA = ("tags", "slideshow", "editable", "deletable", "coursekit", "jupyter", "nbgrader")
NBGRADER_FIELDS = ("grade", "solution", "locked", "task", "grade_id", "points", "schema_version",
                   "checksum", "cell_type")
KEY_FIELDS = ("id", "kind", "salt", "hint", "points", "step", "tolerance", "choices", "variable",
              "accept", "feedback", "unit", "near", "check", "range")
MIN_OUTPUT = 24   # shorter instructor outputs ("42") are too common to search for
SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Leak:
    """One leak: where it was found and what it is (named, not printed, so the report leaks little)."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def answer_strings(spec: dict) -> list[str]:
    """Return the plaintext forms of one question's answers worth searching for.

    Args:
        spec: one question's entry from an answers file.

    Returns:
        Each answer as it could be written (``1100`` also as ``1,100``); numbers of one digit,
        texts under three characters and choice letters are left out as too common.

    >>> answer_strings({"kind": "number", "answers": [1100, 22.9, 4]})
    ['1100', '1,100', '22.9']
    >>> answer_strings({"kind": "set", "answer": ["NSG", "FATF"]})
    ['NSG', 'FATF']
    >>> answer_strings({"kind": "choice", "answer": "b"})
    []
    """
    kind = spec.get("kind")
    values = spec["answers"] if "answers" in spec else [spec.get("answer")]
    if kind == "choice":
        return []
    found: list[str] = []
    for value in values:
        items = value if isinstance(value, (list, tuple, set)) else [value]
        for item in items:
            if isinstance(item, bool) or item is None:
                continue
            if isinstance(item, (int, float)):
                forms = [repr(item)]
                if isinstance(item, float) and item.is_integer():
                    forms.append(str(int(item)))
                if abs(item) >= 1000 and float(item).is_integer():
                    forms.append(f"{int(item):,}")
                forms = [f for f in forms if sum(ch.isdigit() for ch in f) >= 2]
            else:
                forms = [str(item).strip()] if len(str(item).strip()) >= 3 else []
            found += [f for f in forms if f not in found]
    return found


def _literals(line: str) -> list[str]:
    """The numbers and strings written in one line of a model answer or hidden test."""
    try:
        tree = ast.parse(line.strip().rstrip(":") or "0")
    except SyntaxError:
        return re.findall(r"\d[\d.]*", line)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and not isinstance(node.value, bool):
            if isinstance(node.value, (int, float)):
                found.append(repr(node.value))
            elif isinstance(node.value, str) and len(node.value.strip()) >= 4:
                found.append(node.value.strip())
    return found


def _needles(instructor, answers, name: str = "notebook") -> list[Needle]:
    """Everything the student copy must not hold: model-answer and hidden-test lines (and the
    values written in them), revealing outputs, and the plaintext answers (``answers``: strings
    or ``(question id, string)`` pairs)."""
    needles: list[Needle] = []
    seen = set()

    def add(needle):
        # one needle per value: a plaintext answer (added first) names its question
        key = ("value", needle.value) if needle.value is not None else (needle.kind, needle.text)
        if key not in seen:
            seen.add(key)
            needles.append(needle)

    for item in answers:
        question, text, strict = (tuple(item) + (False,))[:3] if isinstance(item, tuple) else (None, item, False)
        needle = answer_needle(text, question, strict)
        if needle is not None:
            add(needle)
    for index, lines in secret_cells(instructor, name).items():
        origin = f"instructor cell {index}"
        for line in lines:
            if len(squash(line)) >= MIN_LINE:
                add(line_needle("solution line", line, origin))
            for literal in _literals(line):
                needle = answer_needle(literal)
                if needle is not None:
                    add(Needle("solution value", literal, origin, needle.value, needle.pattern))
    for index, cell in enumerate(instructor.cells):
        for out in cell.get("outputs", []):
            texts, binary = payloads(out.get("data", {}))
            texts += [out["text"]] if isinstance(out.get("text"), str) else []
            for text in texts + binary:
                if len(squash(text)) >= MIN_OUTPUT:
                    add(line_needle("instructor output", text, f"instructor cell {index}"))
    return needles


def _compare(where: str, texts: list[str], baseline: list[str], needles,
             binary: list[str] = ()) -> list[Leak]:
    leaks = []
    for payload in binary:
        text = decoded(payload) or ""
        for needle in needles:
            if needle.kind == "instructor output" and needle.text in squash(payload):
                leaks.append(Leak(where, needle.label))
            elif (needle.kind != "instructor output" and len(needle.text) >= MIN_BINARY
                  and text and count(needle, text)):
                leaks.append(Leak(where, needle.label))
    joined, base = "\n".join(texts), "\n".join(baseline)
    for needle in needles:
        # A strict answer (a number or a word) may not appear at all, even where the instructor
        # wrote it outside a solution region: a question that states its answer gives it away.
        # Others (a set's row ids, which the question's table must show) count only where the
        # release adds them.
        allowed = 0 if needle.strict else count(needle, base)
        if count(needle, joined) > allowed:
            leaks.append(Leak(where, needle.label))
    return leaks


def speaker_notes(nb) -> list[int]:
    """Return the indices of the speaker-notes cells of ``nb`` (instructor-only material).

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Stress the date.")])
    >>> nb.cells[0].metadata["slideshow"] = {"slide_type": "notes"}
    >>> speaker_notes(nb)
    [0]
    """
    cells = nb["cells"] if isinstance(nb, dict) else nb.cells
    return [i for i, cell in enumerate(cells)
            if ((cell.get("metadata") or {}).get("slideshow") or {}).get("slide_type") == "notes"]


def notes_leaks(nb, name: str = "") -> list[Leak]:
    """Return one leak per speaker-notes cell left in a student notebook ``nb``.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("**Speaker notes.** Q6 accepts 0.75")])
    >>> nb.cells[0].metadata["slideshow"] = {"slide_type": "notes"}
    >>> [str(leak) for leak in notes_leaks(nb, "08-synthesis.ipynb")]
    ['08-synthesis.ipynb cell 0: speaker notes (instructor only: strip them from student copies)']
    """
    prefix = f"{name} " if name else ""
    return [Leak(f"{prefix}cell {i}", "speaker notes (instructor only: strip them from student copies)")
            for i in speaker_notes(nb)]


def cell_id(cell, index: int) -> str:
    """The id a student cell carries: its instructor cell's id, or ``cell-N`` if it has none."""
    return str(cell.get("id") or f"cell-{index}")


def scan_notebook(student, instructor, answers=(), name: str = "notebook") -> list[Leak]:
    """Return every leak in ``student`` (a released notebook) relative to its ``instructor`` source.

    Args:
        student: the student notebook (an nbformat node or the same structure as a dict).
        instructor: the instructor notebook it was made from (any format the release reads).
        answers: plaintext answers to search for, as strings or ``(question id, string)``
            pairs or ``(question id, string, strict)`` triples (see :func:`answer_strings`);
            a strict answer is a leak wherever it appears, the others only where the release
            adds them; a leak names the question, not the value.
        name: the notebook's name in error messages.

    Returns:
        The leaks found, in notebook order; an empty list means the notebook is clean.

    Raises:
        CourseError: a cell the scan cannot read, or an instructor cell it cannot classify:
            the scan fails rather than call such a notebook clean.
    """
    import nbformat

    readable(student, f"the student copy of {name}")
    readable(instructor, name)
    student = nbformat.from_dict(student)
    instructor = nbformat.from_dict(instructor)
    roles = cell_roles(instructor, name)  # every cell classified, or the release stops here
    # A self-check cell may hold its question's public tests and their recorded outputs, which
    # otter shows students too; measured against those alone, anything hidden in it is a leak.
    public = {q: "\n".join(f"{code}\n{want or ''}" for code, want in tests)
              for q, tests in public_tests(instructor, roles).items()}
    needles = _needles(instructor, answers, name)
    originals = {cell_id(c, i): c for i, c in enumerate(instructor.cells)}
    expected = {cell_id(instructor.cells[i], i): text for i, _, text, _ in
                student_cells(instructor, name) if i is not None}
    leaks: list[Leak] = notes_leaks(student)
    for index, cell in enumerate(student.cells):
        where = f"cell {index}"
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        original = originals.get(str(cell.get("id")))
        checked = selfcheck_question(cell)
        if checked is not None and checked not in public:
            leaks.append(Leak(where, f"a self-check cell for {checked!r}, which has no public "
                              "tests (the release writes none there)"))
        baseline = public.get(checked, "") if checked is not None else expected.get(str(cell.get("id")), "")
        leaks += _compare(f"{where} source", [source], [baseline], needles)
        for number, out in enumerate(cell.get("outputs", [])):
            leaks.append(Leak(f"{where} output {number}", "an output (the student version "
                              "must have none: the release clears them)"))
            texts, binary = payloads(out.get("data", {}))
            texts += strings({k: v for k, v in out.items() if k != "data"})
            leaks += _compare(f"{where} output {number}", texts, [], needles, binary)
        if cell.get("execution_count") is not None:
            leaks.append(Leak(where, "an execution count (outputs were not cleared)"))
        metadata = dict(cell.get("metadata", {}))
        for key in metadata:
            if key not in CELL_METADATA:
                leaks.append(Leak(f"{where} metadata", f"metadata key {key!r} (the release keeps "
                                  f"only {', '.join(CELL_METADATA)})"))
        for key in (metadata.get("nbgrader") or {}):
            if key not in NBGRADER_FIELDS:
                leaks.append(Leak(f"{where} metadata", f"nbgrader field {key!r}"))
        # The question ids the release writes are its own words, not a leak ("context" in a
        # solution and in ex01.context-count); everything else in the metadata is searched.
        own = (metadata.get("coursekit") or {}).get("questions") or []
        own = [*own, checked] if checked is not None else own
        leaks += _compare(f"{where} metadata", strings(metadata), [str(q) for q in own], needles)
        allowed = (original.get("attachments", {})
                   if original is not None and original.cell_type == "markdown" else {})
        for name_, bundle in (cell.get("attachments") or {}).items():
            own = name_ in allowed and allowed[name_] == bundle and f"attachment:{name_}" in source
            if not own:
                leaks.append(Leak(f"{where} attachment {name_!r}", "an attachment that is not "
                                  "one of the question's own attachments"))
            texts, binary = payloads(bundle)
            leaks += _compare(f"{where} attachment {name_!r}", texts + [str(name_)], [], needles,
                              binary)
    metadata = dict(student.get("metadata", {}))
    for key in metadata:
        if key not in NOTEBOOK_METADATA:
            leaks.append(Leak("notebook metadata", f"metadata key {key!r} (the release keeps only "
                              f"{', '.join(NOTEBOOK_METADATA)})"))
    own = metadata.get("coursekit") or {}
    leaks += _compare("notebook metadata", strings(metadata),
                      [str(own.get("exercise_set", "")), str(own.get("version", ""))], needles)
    return leaks


def scan_keys(keys: dict, answers=()) -> list[Leak]:
    """Return every leak in a student key document (what ``checks.json`` holds).

    Only hashes and the fields in :data:`KEY_FIELDS` may appear, and no hint or feedback may
    contain a plaintext answer.

    Args:
        keys: the key document (``{"format", "questions"}``).
        answers: plaintext answers to search for (see :func:`answer_strings`).

    Returns:
        The leaks found; an empty list means the key is clean.

    >>> from coursekit.checks import build_keys
    >>> keys = build_keys({"q": {"kind": "number", "answer": 1999, "hint": "Count the years."}})
    >>> scan_keys(keys, ["1999"])
    []
    >>> keys["questions"]["q"]["answer"] = 1999
    >>> [str(leak) for leak in scan_keys(keys, ["1999"])]
    ["checks.json question 'q': field 'answer' (a key file holds only hashes and hints)", ...]
    """
    needles = [n for n in (answer_needle(item[1], item[0]) if isinstance(item, tuple)
                           else answer_needle(item) for item in answers) if n is not None]
    leaks: list[Leak] = []
    for key in keys:
        if key not in ("format", "questions"):
            leaks.append(Leak("checks.json", f"top-level field {key!r}"))
    for qid, entry in (keys.get("questions") or {}).items():
        where = f"checks.json question {qid!r}"
        for field in entry:
            if field not in KEY_FIELDS:
                leaks.append(Leak(where, f"field {field!r} (a key file holds only hashes and hints)"))
        hashes = (list(entry.get("accept", [])) + list(entry.get("feedback", {}))
                  + list(entry.get("near", [])))
        if not all(isinstance(h, str) and SHA256.match(h) for h in hashes):
            leaks.append(Leak(where, "an accepted answer that is not a SHA-256 hash"))
        texts = [entry.get("hint", "")] + list((entry.get("feedback") or {}).values())
        texts += [json.dumps(entry.get(field)) for field in entry if field not in KEY_FIELDS]
        leaks += _compare(where, [t for t in texts if isinstance(t, str)], [], needles)
    return leaks


def scan_graded_hashes(keys: dict, instructor_keys: dict, graded) -> list[Leak]:
    """Return a leak for every graded answer a student key could give away by trial.

    A graded question's student entry must be form-only (``"check": "form"``, no salt and no
    hash), and no hash of the instructor's key for a graded question may appear anywhere in
    the student key: a small number or a short word is found from its hash by trying them all.

    Args:
        keys: the student key document.
        instructor_keys: the instructor's key document (the one ``coursekit grade`` uses).
        graded: the ids of the graded questions.

    >>> from coursekit.checks import build_keys
    >>> full = build_keys({"ex.q": {"kind": "number", "answer": 7}}, salt_seed="doc")
    >>> [str(leak) for leak in scan_graded_hashes(full, full, ["ex.q"])]
    ["checks.json question 'ex.q': a graded question with an answer hash (...)"]
    """
    secret = set()
    for qid in graded:
        entry = (instructor_keys.get("questions") or {}).get(qid) or {}
        secret |= set(entry.get("accept", [])) | set(entry.get("near", []))
    leaks: list[Leak] = []
    for qid, entry in (keys.get("questions") or {}).items():
        where = f"checks.json question {qid!r}"
        if qid in graded and (entry.get("check") != "form" or any(
                field in entry for field in ("salt", "accept", "near", "feedback"))):
            leaks.append(Leak(where, "a graded question with an answer hash (its student copy "
                              "must check the form only: coursekit grade judges it)"))
        found = set(strings(entry)) & secret
        if found and qid not in graded:
            leaks.append(Leak(where, "the hash of a graded answer"))
    return leaks
