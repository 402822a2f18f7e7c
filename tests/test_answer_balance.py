"""The course's self-checks, read from the answer files, are not predictable and mostly ask for judgement.

Where the data comes from (documented in CONTRIBUTING.md, "Answer files"): every entry of
``instructors/answers/*.yml`` (lessons) and ``exercises/answers/*.yml`` (exercise sets) has
``asks: calculation | look-up | judgement``; every multiple-choice entry (``kind: choice``) has
``options:``, a mapping from each label of ``choices`` to that option's text as the student
reads it (``answer:`` is the right label). Option letters are read from ``answer``, lengths
from ``options`` (characters after squashing spaces and dropping Markdown backticks/asterisks).

Rules (issue 9), across the whole course:

- no option letter is the right answer in more than 35% of multiple-choice questions;
- the right option is the longest one (strictly, or tied) in at most a third of them;
- at least 40% of all self-checks (every entry except hand-marked ``kind: manual`` memos) are
  judgement questions.

The helpers are tested on planted answer sets below, so each rule is shown to pass and to fail.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from fractions import Fraction
from pathlib import Path

from coursekit.course.answerkeys import read_spec
from coursekit.keyfile import ASKS

ROOT = Path(__file__).resolve().parents[1]
ANSWER_FILES = sorted((ROOT / "instructors" / "answers").glob("*.yml")) + sorted(
    (ROOT / "exercises" / "answers").glob("*.yml"))
MAX_LETTER_SHARE = Fraction(35, 100)
MAX_LONGEST_SHARE = Fraction(1, 3)
MIN_JUDGEMENT_SHARE = Fraction(40, 100)


def course_spec() -> dict[str, dict]:
    spec: dict[str, dict] = {}
    for path in ANSWER_FILES:
        for qid, entry in read_spec(path).items():
            spec[qid] = {**entry, "_file": path.relative_to(ROOT).as_posix()}
    return spec


def _length(text: str) -> int:
    return len(" ".join(re.sub(r"[`*_]", "", str(text)).split()))


def letter_shares(spec: dict) -> dict[str, Fraction]:
    """The share of multiple-choice questions whose right answer is each letter."""
    letters = Counter(str(e["answer"]).strip().lower() for e in spec.values() if e.get("kind") == "choice")
    total = sum(letters.values())
    return {letter: Fraction(n, total) for letter, n in sorted(letters.items())} if total else {}


def longest_right(spec: dict) -> list[str]:
    """The multiple-choice questions whose right option is the longest (ties count)."""
    out = []
    for qid, entry in spec.items():
        if entry.get("kind") != "choice":
            continue
        lengths = {str(k): _length(v) for k, v in entry["options"].items()}
        if lengths[str(entry["answer"]).strip()] == max(lengths.values()):
            out.append(qid)
    return out


def judgement_share(spec: dict) -> Fraction:
    checks = [e for e in spec.values() if e.get("kind") != "manual"]
    return Fraction(sum(e.get("asks") == "judgement" for e in checks), len(checks))


def _mc(spec: dict) -> list[str]:
    return [q for q, e in spec.items() if e.get("kind") == "choice"]


# --- the answer files can be read for these rules --------------------------------------------

def test_every_entry_says_what_it_asks():
    spec = course_spec()
    bad = [f"{e['_file']}: {q} asks {e.get('asks')!r}" for q, e in spec.items() if e.get("asks") not in ASKS]
    assert not bad, "give each entry 'asks: calculation | look-up | judgement':\n" + "\n".join(bad)


def test_every_multiple_choice_entry_lists_its_options():
    spec = course_spec()
    assert len(_mc(spec)) >= 10
    for qid in _mc(spec):
        entry = spec[qid]
        options = entry.get("options")
        assert isinstance(options, dict), f"{entry['_file']}: {qid} has no 'options:' mapping"
        assert [str(k) for k in options] == [str(c) for c in entry["choices"]], qid
        assert str(entry["answer"]) in options, qid
        assert all(_length(v) > 0 for v in options.values()), qid


def _notebook_text(qid: str) -> str | None:
    """The Markdown of the notebook whose self-check cell calls ``check(qid, ...)``."""
    for path in [*sorted((ROOT / "notebooks").glob("*.ipynb")), *sorted((ROOT / "exercises").glob("*.ipynb"))]:
        nb = json.loads(path.read_text(encoding="utf-8"))
        sources = ["".join(c["source"]) for c in nb["cells"]]
        if any(re.search(rf"""check\(\s*["']{re.escape(qid)}["']""", s) for s in sources):
            markdown = [s for c, s in zip(nb["cells"], sources, strict=True) if c["cell_type"] == "markdown"]
            return " ".join(" ".join(markdown).split())
    return None


def test_the_options_in_the_answer_files_are_the_ones_students_read():
    spec = course_spec()
    stale = []
    for qid in _mc(spec):
        text = _notebook_text(qid)
        assert text is not None, f"no notebook calls check({qid!r}, ...)"
        for label, option in spec[qid]["options"].items():
            if " ".join(str(option).split()) not in text:
                stale.append(f"{spec[qid]['_file']}: {qid} option {label}: {option!r}")
    assert not stale, "options not found in the notebook's text (update the answer file):\n" + "\n".join(stale)


# --- the rules, shown to pass and to fail on planted answer sets -------------------------------

def _planted(answers: list[str], long_right: int, judgement: int, total: int) -> dict:
    spec = {}
    for i, letter in enumerate(answers):
        options = {x: "short option" for x in "abcd"}
        options[letter] = "a much longer, more qualified option" if i < long_right else "tiny"
        spec[f"q{i}"] = {"kind": "choice", "choices": list("abcd"), "answer": letter, "options": options,
                         "asks": "judgement" if i < judgement else "look-up"}
    for i in range(len(answers), total):
        spec[f"n{i}"] = {"kind": "number", "answer": 1, "asks": "judgement" if i < judgement else "calculation"}
    return spec


def test_the_rules_accept_a_balanced_course_and_reject_a_predictable_one():
    balanced = _planted(list("abcdabcdabcd"), long_right=3, judgement=8, total=20)
    assert max(letter_shares(balanced).values()) <= MAX_LETTER_SHARE
    assert Fraction(len(longest_right(balanced)), 12) <= MAX_LONGEST_SHARE
    assert judgement_share(balanced) >= MIN_JUDGEMENT_SHARE
    predictable = _planted(list("bbbbbbbbbbbc"), long_right=11, judgement=4, total=20)
    assert letter_shares(predictable)["b"] > MAX_LETTER_SHARE
    assert Fraction(len(longest_right(predictable)), 12) > MAX_LONGEST_SHARE
    assert judgement_share(predictable) < MIN_JUDGEMENT_SHARE


# --- the course-wide rules (issue 9) ----------------------------------------------------------

def test_no_option_letter_is_right_in_more_than_35_percent():
    shares = letter_shares(course_spec())
    over = {k: f"{float(v):.0%}" for k, v in shares.items() if v > MAX_LETTER_SHARE}
    assert not over, f"right-answer letters over 35% of multiple-choice questions: {over}"


def test_the_right_option_is_the_longest_in_at_most_a_third():
    spec = course_spec()
    longest = longest_right(spec)
    assert Fraction(len(longest), len(_mc(spec))) <= MAX_LONGEST_SHARE, (
        f"the right option is the longest in {len(longest)} of {len(_mc(spec))}: {', '.join(longest)}")


def test_at_least_40_percent_of_self_checks_ask_for_judgement():
    share = judgement_share(course_spec())
    assert share >= MIN_JUDGEMENT_SHARE, f"only {float(share):.0%} of self-checks ask for judgement"
