"""coursekit.cli.keys and the course's answer files: the hashed keys accept every listed way of
writing a right answer, and no feedback message gives away an answer's size or sign."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from coursekit.checks import build_keys, evaluate
from coursekit.course.answerkeys import read_spec, write_keys

ROOT = Path(__file__).resolve().parents[1]
ANSWER_FILES = sorted((ROOT / "instructors" / "answers").glob("*.yml")) + sorted(
    (ROOT / "exercises" / "answers").glob("*.yml"))
NUMBER = re.compile(r"(?<![\w.#])-?\d[\d,]*(?:\.\d+)?(?![\w])")
# A digit inside a proper name ("Nord Stream 2") is not a size; nor is "one" or "two" in
# ordinary prose ("the two dates"), so number words are looked for only from four upwards.
NAMED = re.compile(r"\b(?:[A-Z][a-z]+ )+\d+\b")
FIRST_WORD = 4
# Phrases that confirm part of the answer ("Right size, wrong sign" confirms its size).
CONFIRMS = re.compile(r"\b(right|correct|good) (size|amount|number|value|magnitude)\b|\bwrong sign\b"
                      r"|\b(is|be) (positive|negative)\b|\bminus sign\b", re.I)
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
         "nineteen", "twenty"]


def course_spec() -> dict:
    spec = {}
    for path in ANSWER_FILES:
        for qid, item in read_spec(path).items():
            if item.get("kind") != "manual":  # memo questions are marked by hand, not hashed
                spec[qid] = {k: v for k, v in item.items() if k not in ("rubric",)}
    return spec


@pytest.fixture(scope="module")
def keys():
    return build_keys(course_spec(), salt_seed="sweep")["questions"]


def reveals_magnitude(message: str, answer: float, entry: dict) -> str | None:
    """Return the part of ``message`` that gives away ``answer``'s size, if any."""
    confirms = CONFIRMS.search(message)
    if confirms:
        return confirms.group(0)
    size = abs(answer)
    near = max(float(entry.get("tolerance", 0)) + float(entry.get("step", 1)) / 2, 0.01 * size)
    for text in NUMBER.findall(NAMED.sub("", message)):
        value = abs(float(text.replace(",", "")))
        if size != 0 and abs(value - size) <= near:
            return text
    if float(size).is_integer() and FIRST_WORD <= size <= 20:
        word = WORDS[int(size)]
        if re.search(rf"\b{word}\b", message, re.I):
            return word
    return None


def wrong_numbers(answer: float, entry: dict) -> list:
    step = float(entry.get("step", 1))
    spread = float(entry.get("tolerance", 0)) + step
    out = [answer + k * spread for k in (-3, -2, -1, 1, 2, 3)]
    out += [-answer, answer / 100, answer * 100, answer * 10, answer / 10, 0, 1, -1, 1000]
    out += [float(w) for w in (entry.get("wrong") or {}) if re.fullmatch(r"-?[\d.]+", str(w))]
    out += [f"{answer / 100:.2f}", f"{-answer}%", "12 apples"]
    return out


def test_the_sweep_can_find_a_leak():
    """The magnitude detector itself: planted messages that leak are caught, clean ones pass."""
    entry = {"step": 0.1, "tolerance": 0.1}
    assert reveals_magnitude("Right size, wrong sign: -58.8.", 58.8, entry) == "Right size"
    assert reveals_magnitude("Close: -58.8.", 58.8, entry) == "-58.8"
    assert reveals_magnitude("Close: it is about 59.", 58.8, entry) == "59"
    assert reveals_magnitude("There are four of them.", 4, {"step": 1}) == "four"
    assert reveals_magnitude("Row T087 and the 1999 visit.", 58.8, entry) is None
    assert reveals_magnitude("The Nord Stream 2 row.", 2, {"step": 1}) is None


def test_no_feedback_message_reveals_an_answers_size_or_sign(keys):
    spec = course_spec()
    leaks = []
    for qid, item in spec.items():
        entry = keys[qid]
        if item["kind"] != "number":
            continue
        answers = item["answers"] if "answers" in item else [item["answer"]]
        for answer in answers:
            for wrong in wrong_numbers(float(answer), item):
                result = evaluate(entry, wrong, qid)
                if result.passed:
                    continue
                for right in answers:
                    found = reveals_magnitude(result.message, float(right), item)
                    if found:
                        leaks.append(f"{qid}: answering {wrong!r} shows {found!r} in: {result.message}")
    assert not leaks, "\n".join(sorted(set(leaks)))


def test_no_feedback_message_names_a_right_text_answer(keys):
    spec = course_spec()
    leaks = []
    for qid, item in spec.items():
        if item["kind"] not in ("text", "set"):
            continue
        answers = item["answers"] if "answers" in item else [item["answer"]]
        flat = [a for ans in answers for a in (ans if isinstance(ans, list) else [ans])]
        tries = [*list(item.get("wrong") or {}), "no idea", "x"]
        for wrong in tries:
            message = evaluate(keys[qid], [wrong] if item["kind"] == "set" else wrong, qid).message
            for right in flat:
                if len(str(right)) > 3 and re.search(rf"\b{re.escape(str(right))}\b", message, re.I):
                    leaks.append(f"{qid}: {wrong!r} gets a message naming {right!r}: {message}")
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize(("qid", "answer"), [
    ("01.tashkent-mediator", "Alexey Kosygin"),
    ("01.tashkent-mediator", "Soviet premier Kosygin"),
    ("01.tashkent-mediator", "kosigin"),
    ("08.quiz-loi-partner", "Pakistan's STZA"),
    ("08.quiz-loi-partner", "Special Technology Zone Authority"),
    ("00.confirmed-pct", "57.1%"),
    ("08.quiz-pipeline-share", "74%"),
])
def test_the_answers_the_issue_found_rejected_now_pass(qid, answer):
    """Issue 9's examples, against the key students get (notebooks/checks.json)."""
    shipped = json.loads((ROOT / "notebooks" / "checks.json").read_text(encoding="utf-8"))["questions"]
    assert evaluate(shipped[qid], answer, qid).passed


def test_a_fraction_for_the_pipeline_share_names_that_slip():
    shipped = json.loads((ROOT / "notebooks" / "checks.json").read_text(encoding="utf-8"))["questions"]
    message = evaluate(shipped["08.quiz-pipeline-share"], 0.74, "08.quiz-pipeline-share").message
    assert "fraction" in message and "2021 amendment" not in message


def test_shipped_key_files_match_the_answer_files(tmp_path):
    """notebooks/checks.json is what `coursekit keys` makes of instructors/answers/ today."""
    out = tmp_path / "checks.json"
    write_keys(sorted((ROOT / "instructors" / "answers").glob("*.yml")), out, salt_seed="coursekit-lessons")
    assert out.read_text(encoding="utf-8") == (ROOT / "notebooks" / "checks.json").read_text(encoding="utf-8"), (
        "notebooks/checks.json is stale: run coursekit keys instructors/answers/*.yml -o notebooks/checks.json "
        "--salt-seed coursekit-lessons")


def test_key_files_hold_no_plaintext_answer():
    for key_file in (ROOT / "notebooks" / "checks.json", ROOT / "exercises" / "checks.json"):
        text = key_file.read_text(encoding="utf-8")
        for qid, item in course_spec().items():
            if item["kind"] in ("text",):
                for right in item.get("answers", [item.get("answer")]):
                    assert f'"{right}"' not in text, f"{key_file}: {qid} answer in plaintext"


