"""Answer key files (``checks.json``): build them from plaintext answers, find and load them.

An entry holds salted SHA-256 hashes of the normal forms of every accepted answer
(:mod:`coursekit.answers`), never the answer itself; hashes slow a curious student down but
are not encryption, so graded work is judged by ``coursekit grade`` with the instructor's key.

>>> keys = build_keys({"q.year": {"kind": "number", "answer": 1999, "hint": "Look."}}, salt_seed="doc")
>>> entry = keys["questions"]["q.year"]
>>> sorted(entry["accept"]) == sorted(candidates("q.year", entry, "1999")), "1999" in json.dumps(keys)
(True, False)
"""

from __future__ import annotations

import hashlib
import json
import os
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from coursekit.answers import KINDS, as_decimal, normalise, spelling_variants, strip_unit
from coursekit.errors import CheckError

__all__ = ["build_keys", "load_keys", "find_keys", "candidates", "near_hashes", "number_hashes",
           "answer_hash", "grid", "KEY_FORMAT", "KEY_FILE", "KINDS", "ASKS"]

KEY_FORMAT = "coursekit-checks/1"

KEY_FILE = "checks.json"


ASKS = ("calculation", "look-up", "judgement")  # what a question asks of the student (balance tests)


def grid(value: Decimal, step) -> int:
    return int((value / Decimal(str(step))).to_integral_value(ROUND_HALF_EVEN))


def answer_hash(salt: str, question: str, normal: str) -> str:
    return hashlib.sha256(f"{salt}:{question}:{normal}".encode()).hexdigest()


def number_hashes(question: str, entry: dict, value: Decimal) -> list[str]:
    step = entry.get("step", 1)
    k = grid(value, step)
    spread = round(entry.get("tolerance", 0) / step)
    return [answer_hash(entry["salt"], question, f"n:{i}") for i in range(k - spread, k + spread + 1)]


def candidates(question: str, entry: dict, answer) -> list[str]:
    """Return the hashes under which ``answer`` would be accepted."""
    kind = entry["kind"]
    if kind == "number":
        return number_hashes(question, entry, as_decimal(strip_unit(entry, answer)))
    normal = normalise(kind, answer)
    if kind == "choice":
        allowed = [normalise("choice", c) for c in entry.get("choices", [])]
        if allowed and normal not in allowed:
            labels = ", ".join(entry["choices"])
            raise ValueError(f"choose one of: {labels}.")
    return [answer_hash(entry["salt"], question, normal)]


def near_hashes(question: str, entry: dict, normal: str) -> set[str]:
    return {answer_hash(entry["salt"], question, "f:" + v) for v in spelling_variants(normal)}


def build_keys(spec: dict, *, salt_seed: str | None = None) -> dict:
    """Turn an instructor's plaintext answers into a hashed key (the plaintext is not kept).

    Args:
        spec: ``{question_id: {"kind", "answer" or "answers", "hint", "step", "tolerance",
            "unit", "typos", "choices", "options", "asks", "wrong": {wrong_answer: message},
            "points", "variable"}}``. ``options`` (the choices' texts) and ``asks``
            (calculation, look-up or judgement) are checked but not copied into the key.
        salt_seed: make salts reproducible (so a rebuilt key file diffs cleanly); default random.

    Raises:
        CheckError: a question without an answer, an unknown kind, or an answer that does not
            fit its kind (the message names the question).

    >>> k = build_keys({"q": {"kind": "text", "answers": ["Tashkent", "Tashkent Declaration"]}})
    >>> sorted(k["questions"]["q"]) == ['accept', 'feedback', 'hint', 'id', 'kind', 'points', 'salt']
    True
    """
    questions = {}
    for qid, item in spec.items():
        if not isinstance(item, dict):
            raise CheckError(f"Question {qid!r}: expected a mapping with kind and answer.")
        kind = item.get("kind")
        if kind not in KINDS:
            raise CheckError(f"Question {qid!r}: kind {kind!r} is not one of {', '.join(KINDS)}.")
        answers = item["answers"] if "answers" in item else [item.get("answer")]
        if not answers or any(a is None for a in answers):
            raise CheckError(f"Question {qid!r}: give its answer under 'answer' or 'answers'.")
        salt = (hashlib.sha256(f"{salt_seed}:{qid}".encode()).hexdigest()[:16]
                if salt_seed is not None else os.urandom(8).hex())
        entry = {"id": qid, "kind": kind, "salt": salt, "hint": item.get("hint", ""),
                 "points": item.get("points", 1)}
        for extra in ("step", "tolerance", "choices", "variable", "unit"):
            if extra in item:
                entry[extra] = item[extra]
        _check_fields(qid, item)
        if kind == "number":
            entry.setdefault("step", 1)
            entry.setdefault("tolerance", 0)
        try:
            entry["accept"] = sorted({_key_hash(qid, entry, a) for a in answers})
            entry["feedback"] = {_key_hash(qid, entry, wrong): msg
                                 for wrong, msg in (item.get("wrong") or {}).items()}
        except ValueError as exc:
            raise CheckError(f"Question {qid!r}: an answer does not fit kind {kind!r}: {exc}") from None
        near = _typo_hashes(qid, entry, item, answers) if item.get("typos") else set()
        if near:
            entry["near"] = sorted(near)
        questions[qid] = entry
    return {"format": KEY_FORMAT, "questions": questions}


def _check_fields(qid: str, item: dict) -> None:
    asks = item.get("asks")
    if asks is not None and asks not in ASKS:
        raise CheckError(f"Question {qid!r}: asks {asks!r} is not one of {', '.join(ASKS)}.")
    options = item.get("options")
    if options is not None:
        if item.get("kind") != "choice" or not isinstance(options, dict):
            raise CheckError(f"Question {qid!r}: 'options' is a mapping of choice label to the "
                             "option's text, for kind: choice only.")
        if [str(k) for k in options] != [str(c) for c in item.get("choices", [])]:
            raise CheckError(f"Question {qid!r}: the labels under 'options' ({', '.join(map(str, options))}) "
                             f"must be the choices ({', '.join(map(str, item.get('choices', [])))}), in order.")
    if item.get("typos") and item.get("kind") != "text":
        raise CheckError(f"Question {qid!r}: 'typos' applies to kind: text only.")
    if item.get("typos") not in (None, 0, 1, True, False):
        raise CheckError(f"Question {qid!r}: 'typos' can only be 1 (one slip of spelling).")


def _typo_hashes(qid: str, entry: dict, item: dict, answers) -> set[str]:
    near: set[str] = set()
    for answer in answers:
        near |= spelling_variants(normalise("text", answer)[2:])
    for wrong in item.get("wrong") or {}:
        if spelling_variants(normalise("text", wrong)[2:]) & near:
            raise CheckError(f"Question {qid!r}: with 'typos: 1' the wrong answer {wrong!r} is one slip "
                             "of spelling from a right one and would pass. Remove 'typos' for this question.")
    return {answer_hash(entry["salt"], qid, "f:" + v) for v in near}


def _key_hash(qid: str, entry: dict, answer) -> str:
    if entry["kind"] == "number":
        return answer_hash(entry["salt"], qid, f"n:{grid(as_decimal(strip_unit(entry, answer)), entry['step'])}")
    return candidates(qid, entry, answer)[0]


def load_keys(path: str | os.PathLike[str]) -> dict:
    """Read and check a key file; return its ``questions`` mapping.

    Raises:
        CheckError: the file is missing, not JSON, or not in the ``coursekit-checks/1`` format.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckError(f"Key file {path} is missing. Rebuild it with 'coursekit keys'.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckError(f"Key file {path} is not valid JSON ({exc}). Rebuild it with "
                         "'coursekit keys' or restore it from git.") from None
    if not isinstance(doc, dict) or doc.get("format") != KEY_FORMAT:
        raise CheckError(f"Key file {path} is not a {KEY_FORMAT} key file. Rebuild it with "
                         "'coursekit keys'.")
    return doc["questions"]


def find_keys(start: str | os.PathLike[str] | None = None) -> list[Path]:
    """Return the key files that apply in ``start`` (default: cwd), nearest first."""
    env = os.environ.get("COURSEKIT_KEYS")
    if env:
        return [Path(env)]
    here = Path(start or Path.cwd()).resolve()
    return [folder / KEY_FILE for folder in (here, *here.parents) if (folder / KEY_FILE).is_file()]
