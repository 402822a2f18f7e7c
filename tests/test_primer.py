"""Lesson 00's primer teaches every operation the course's checks need, before they need it.

Where the data comes from: every entry of ``instructors/answers/*.yml`` (lesson self-checks)
and ``exercises/answers/*.yml`` (exercise sets) has ``skills:``, the list of primer skills the
check needs, drawn only from :data:`VOCABULARY` (``[]`` when it needs no code). A lesson-00
check that is the first exercise of a skill says so with ``teaches: <skill>``.

Rules (issue 9):

- every ``skills:`` entry uses only the vocabulary;
- every skill of the vocabulary is taught (``teaches:``) by a lesson-00 check;
- within lesson 00, a check uses only skills taught by it or by a check before it (the order
  is the order of the ``check("00....")`` calls in the notebook).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from coursekit.course.answerkeys import read_spec
from coursekit.course.guide import SKILLS

ROOT = Path(__file__).resolve().parents[1]
VOCABULARY = SKILLS  # one vocabulary: the one the guide table uses
PRIMER = "notebooks/00-start-here.ipynb"
PRIMER_ANSWERS = "instructors/answers/00-start-here.yml"
ANSWER_FILES = sorted(p.relative_to(ROOT).as_posix() for p in
                      [*(ROOT / "instructors" / "answers").glob("*.yml"),
                       *(ROOT / "exercises" / "answers").glob("*.yml")])
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([^"']+)["']""")

def skill_problems(spec: dict, name: str) -> list[str]:
    """Entries of one answer file whose ``skills`` is missing, not a list, or off the vocabulary.

    >>> for problem in skill_problems({"q": {"skills": ["load", "groupby"]}, "r": {}}, "x.yml"):
    ...     print(problem)
    x.yml: q uses 'groupby', not a primer skill (load, select, count, sort, dates, percent)
    x.yml: r has no skills: list
    """
    problems = []
    for qid, entry in spec.items():
        skills = entry.get("skills") if isinstance(entry, dict) else None
        if not isinstance(skills, list):
            problems.append(f"{name}: {qid} has no skills: list")
            continue
        for skill in skills:
            if skill not in VOCABULARY:
                problems.append(f"{name}: {qid} uses {skill!r}, not a primer skill ({', '.join(VOCABULARY)})")
        teaches = entry.get("teaches")
        if teaches is not None and teaches not in skills:
            problems.append(f"{name}: {qid} teaches {teaches!r} but does not list it under skills")
    return problems


def check_order(notebook: dict) -> list[str]:
    """The self-check ids of a notebook, in the order their ``check(...)`` calls first appear."""
    order: list[str] = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        for qid in CHECK_CALL.findall("".join(cell["source"])):
            if qid not in order:
                order.append(qid)
    return order


def primer_problems(spec: dict, order: list[str]) -> list[str]:
    """What is wrong with the primer: a skill never taught, or a check that runs ahead of it.

    >>> spec = {"q1": {"skills": ["load"], "teaches": "load"}, "q2": {"skills": ["load", "sort"]}}
    >>> primer_problems(spec, ["q1", "q2"])[0]
    "00 uses 'sort' in q2 before any check teaches it"
    """
    problems = []
    taught: set[str] = set()
    for qid in order:
        entry = spec.get(qid)
        if entry is None:
            problems.append(f"00: the notebook checks {qid!r}, which the answer file lacks")
            continue
        if entry.get("teaches"):
            taught.add(entry["teaches"])
        for skill in entry.get("skills") or []:
            if skill not in taught:
                problems.append(f"00 uses {skill!r} in {qid} before any check teaches it")
    for qid in set(spec) - set(order):
        problems.append(f"00: {qid} is in the answer file but no cell checks it")
    for skill in VOCABULARY:
        if skill not in taught:
            problems.append(f"00 never teaches {skill!r}: give one lesson-00 check 'teaches: {skill}'")
    return problems


def _primer(root: Path) -> list[str]:
    spec = read_spec(root / PRIMER_ANSWERS)
    notebook = json.loads((root / PRIMER).read_text(encoding="utf-8"))
    return primer_problems(spec, check_order(notebook))


@pytest.mark.parametrize("name", ANSWER_FILES)
def test_every_answer_entry_lists_primer_skills_only(name):
    spec = read_spec(ROOT / name)
    problems = skill_problems(spec, name)
    assert not problems, "\n".join(problems)


def test_the_primer_teaches_every_skill_before_a_check_uses_it():
    problems = _primer(ROOT)
    assert not problems, "\n".join(problems)


def test_only_lesson_00_teaches():
    """A `teaches:` outside lesson 00 would make the primer look complete when it is not."""
    elsewhere = [f"{name}: {qid}" for name in ANSWER_FILES if name != PRIMER_ANSWERS
                 for qid, entry in read_spec(ROOT / name).items() if entry.get("teaches")]
    assert not elsewhere, "teaches: is for lesson 00's checks only:\n" + "\n".join(elsewhere)


def _copy(tmp_path: Path) -> Path:
    for rel in (PRIMER, PRIMER_ANSWERS):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    return tmp_path


def test_the_rules_fail_on_planted_violations(tmp_path):
    """A copy of the real primer passes; each planted violation in the copy is caught."""
    root = _copy(tmp_path)
    assert _primer(root) == []
    answers = root / PRIMER_ANSWERS
    text = answers.read_text(encoding="utf-8")

    # 1. a check that uses a skill before it is taught (the first check also needs `percent`)
    answers.write_text(text.replace("  skills: [load]\n", "  skills: [load, percent]\n", 1), encoding="utf-8")
    assert any("uses 'percent' in 00.verdict-column before" in p for p in _primer(root))

    # 2. a skill nobody teaches (the sort check no longer says it teaches sort)
    answers.write_text(text.replace("  teaches: sort\n", "", 1), encoding="utf-8")
    found = _primer(root)
    assert "00 never teaches 'sort': give one lesson-00 check 'teaches: sort'" in found

    # 3. a skill off the vocabulary, and an entry with no skills at all
    answers.write_text(text.replace("  skills: [dates]\n", "  skills: [dates, groupby]\n", 1)
                       .replace("  skills: []\n", "", 1), encoding="utf-8")
    found = skill_problems(read_spec(answers), "00.yml")
    assert any("'groupby', not a primer skill" in p for p in found)
    assert "00.yml: 00.confidence-level has no skills: list" in found

    # 4. the notebook asks the percentage before selecting is taught (two check cells swapped)
    answers.write_text(text, encoding="utf-8")
    nb_path = root / PRIMER
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    calls = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and re.search(r'check\("00\.(only-this-source|confirmed-pct)"', "".join(c["source"]))]
    first, second = calls
    nb["cells"][first], nb["cells"][second] = nb["cells"][second], nb["cells"][first]
    nb_path.write_text(json.dumps(nb), encoding="utf-8")
    assert "00 uses 'select' in 00.confirmed-pct before any check teaches it" in _primer(root)
