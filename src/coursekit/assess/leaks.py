"""The leak scan: prove a student notebook and key file hold no solution, answer or revealing output.

What counts as a leak (each reported with the place it was found):

- a line of a solution region (or of hidden tests) of the instructor notebook;
- a plaintext answer from the answers file (numbers of two or more digits, text of three or
  more characters; shorter ones are protected by the solution regions instead);
- an output of the instructor notebook (text, HTML or image), anywhere;
- a speaker-notes cell (``metadata.slideshow.slide_type == "notes"``): notes are for the
  instructor's deck and build only, and may say which answer to steer students to;
- any output or execution count at all in the student notebook (the release clears them),
  cell or notebook metadata outside the short list the release keeps, and attachments that are
  not the instructor's own question attachments.

Places searched: every cell's source, outputs, metadata and attachments (text payloads stored
as base64 are decoded and searched too; image payloads are compared with the instructor's
outputs) and the notebook's metadata. A string the question text itself already holds (outside
solution regions) is not a leak: only what the release would add counts. An attachment is
searched even when it is the instructor's own: a question must not carry its answer.

>>> import nbformat
>>> teacher = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
...     "### BEGIN SOLUTION\\ngap_years = round(22.9, 1)\\n### END SOLUTION")])
>>> student = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("gap_years = ...")])
>>> scan_notebook(student, teacher, answers=["22.9"])
[]
>>> student.cells[0].metadata["note"] = "the gap is 22.9 years"
>>> [str(leak) for leak in scan_notebook(student, teacher, answers=["22.9"])]
["cell 0 metadata: metadata key 'note' (the release keeps only ...)", "cell 0 metadata: plaintext answer '22.9'"]
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from coursekit.course.solutions import solution_lines, strip_solutions

__all__ = ["Leak", "scan_notebook", "scan_keys", "scan_graded_hashes", "answer_strings",
           "speaker_notes", "notes_leaks",
           "NOTEBOOK_METADATA", "CELL_METADATA", "KEY_FIELDS"]

NOTEBOOK_METADATA = ("kernelspec", "language_info", "coursekit")
CELL_METADATA = ("tags", "slideshow", "editable", "deletable", "coursekit", "jupyter")
KEY_FIELDS = ("id", "kind", "salt", "hint", "points", "step", "tolerance", "choices", "variable",
              "accept", "feedback", "unit", "near", "check", "range")
TEXT_MIMES = ("application/json", "application/javascript", "image/svg+xml")
MIN_LINE = 8      # shorter solution lines ("else:", "x = 1") are too common to search for
MIN_OUTPUT = 24   # shorter instructor outputs ("42") are too common to search for
SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Leak:
    """One leak: where it was found and what it is (shortened, so the report leaks little)."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass(frozen=True)
class _Needle:
    kind: str        # "solution line", "plaintext answer", "instructor output"
    text: str
    pattern: re.Pattern


def _squash(text: str) -> str:
    return " ".join(text.split())


def _short(text: str, width: int = 40) -> str:
    text = _squash(text)
    return text if len(text) <= width else text[: width - 3] + "..."


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


def _answer_needle(text: str) -> _Needle:
    if re.fullmatch(r"[-+]?[\d,]*\.?\d+", text):
        pattern = re.compile(r"(?<![\w.,])" + re.escape(text) + r"(?![\w]|[.,]\d)")
    else:
        pattern = re.compile(r"(?<!\w)" + re.escape(_squash(text).casefold()) + r"(?!\w)")
    return _Needle("plaintext answer", text, pattern)


def _needles(instructor, answers) -> list[_Needle]:
    needles: list[_Needle] = []
    seen = set()
    for index, cell in enumerate(instructor.cells):
        for line in solution_lines(cell.source, cell.cell_type, where=f"cell {index}"):
            line = _squash(line)
            if len(line) >= MIN_LINE and line not in seen:
                seen.add(line)
                needles.append(_Needle("solution line", line, re.compile(re.escape(line))))
        for out in cell.get("outputs", []):
            texts, binary = _payloads(out.get("data", {}))
            texts += [out["text"]] if isinstance(out.get("text"), str) else []
            for text in texts + binary:
                text = _squash(text)
                if len(text) >= MIN_OUTPUT and text not in seen:
                    seen.add(text)
                    needles.append(_Needle("instructor output", text, re.compile(re.escape(text))))
    for text in answers:
        if text not in seen:
            seen.add(text)
            needles.append(_answer_needle(text))
    return needles


def _decoded(value: str) -> str | None:
    """The text inside a base64 payload (images, attachments), or None if it is not base64."""
    compact = "".join(value.split())
    if len(compact) < 8 or len(compact) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]+=*", compact):
        return None
    try:
        return base64.b64decode(compact, validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        return None


def _strings(node) -> list[str]:
    """Every string in a JSON-like structure, keys too."""
    found: list[str] = []
    if isinstance(node, str):
        found.append(node)
    elif isinstance(node, dict):
        for key, value in node.items():
            found.append(str(key))
            found += _strings(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            found += _strings(value)
    return found


def _textual(mime: str) -> bool:
    return mime.startswith("text/") or mime in TEXT_MIMES or mime.endswith("+json")


def _payloads(bundle) -> tuple[list[str], list[str]]:
    """Split a mime bundle (an output's data, an attachment) into (text, binary) payloads.

    Text payloads are decoded from base64 where they are stored that way and searched for
    everything; binary ones (images) only for the instructor's own outputs, since any short
    number can turn up by chance in base64 image data.
    """
    texts: list[str] = []
    binary: list[str] = []
    for mime, data in (bundle.items() if isinstance(bundle, dict) else []):
        value = data if isinstance(data, str) else "".join(data) if isinstance(data, list) and all(
            isinstance(x, str) for x in data) else json.dumps(data)
        if _textual(str(mime)):
            texts.append(_decoded(value) or value)
        else:
            binary.append(value)
    return texts, binary


def _count(needle: _Needle, text: str) -> int:
    text = _squash(text)
    if needle.kind == "plaintext answer" and not needle.text[:1].isdigit():
        text = text.casefold()
    return len(needle.pattern.findall(text))


def _compare(where: str, texts: list[str], baseline: list[str], needles,
             binary: list[str] = ()) -> list[Leak]:
    leaks = []
    outputs_only = [n for n in needles if n.kind == "instructor output"]
    for payload in binary:
        payload = _squash(payload)
        for needle in outputs_only:
            if needle.text in payload:
                leaks.append(Leak(where, f"{needle.kind} {_short(needle.text)!r}"))
    joined, base = "\n".join(texts), "\n".join(baseline)
    for needle in needles:
        if _count(needle, joined) > _count(needle, base):
            leaks.append(Leak(where, f"{needle.kind} {_short(needle.text)!r}"))
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


def scan_notebook(student, instructor, answers=()) -> list[Leak]:
    """Return every leak in ``student`` (a released notebook) relative to its ``instructor`` source.

    Args:
        student: the student notebook (an nbformat node or the same structure as a dict).
        instructor: the instructor notebook it was made from.
        answers: plaintext answers to search for (see :func:`answer_strings`).

    Returns:
        The leaks found, in notebook order; an empty list means the notebook is clean.
    """
    import nbformat

    student = nbformat.from_dict(student)
    instructor = nbformat.from_dict(instructor)
    needles = _needles(instructor, answers)
    by_id = {cell.get("id"): cell for cell in instructor.cells if cell.get("id")}
    leaks: list[Leak] = notes_leaks(student)
    for index, cell in enumerate(student.cells):
        where = f"cell {index}"
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        original = by_id.get(cell.get("id")) or (instructor.cells[index]
                                                 if index < len(instructor.cells) else None)
        expected = (strip_solutions(original.source, original.cell_type, where=where)
                    if original is not None else "")
        leaks += _compare(f"{where} source", [source], [expected], needles)
        for number, out in enumerate(cell.get("outputs", [])):
            leaks.append(Leak(f"{where} output {number}", "an output (the student version "
                              "must have none: the release clears them)"))
            texts, binary = _payloads(out.get("data", {}))
            texts += _strings({k: v for k, v in out.items() if k != "data"})
            leaks += _compare(f"{where} output {number}", texts, [], needles, binary)
        if cell.get("execution_count") is not None:
            leaks.append(Leak(where, "an execution count (outputs were not cleared)"))
        metadata = dict(cell.get("metadata", {}))
        for key in metadata:
            if key not in CELL_METADATA:
                leaks.append(Leak(f"{where} metadata", f"metadata key {key!r} (the release keeps "
                                  f"only {', '.join(CELL_METADATA)})"))
        leaks += _compare(f"{where} metadata", _strings(metadata), [], needles)
        allowed = (original.get("attachments", {})
                   if original is not None and original.cell_type == "markdown" else {})
        for name, bundle in (cell.get("attachments") or {}).items():
            own = name in allowed and allowed[name] == bundle and f"attachment:{name}" in source
            if not own:
                leaks.append(Leak(f"{where} attachment {name!r}", "an attachment that is not "
                                  "one of the question's own attachments"))
            texts, binary = _payloads(bundle)
            leaks += _compare(f"{where} attachment {name!r}", texts + [str(name)], [], needles,
                              binary)
    metadata = dict(student.get("metadata", {}))
    for key in metadata:
        if key not in NOTEBOOK_METADATA:
            leaks.append(Leak("notebook metadata", f"metadata key {key!r} (the release keeps only "
                              f"{', '.join(NOTEBOOK_METADATA)})"))
    leaks += _compare("notebook metadata", _strings(metadata), [], needles)
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
    needles = [_answer_needle(text) for text in answers]
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
        found = set(_strings(entry)) & secret
        if found and qid not in graded:
            leaks.append(Leak(where, "the hash of a graded answer"))
    return leaks
