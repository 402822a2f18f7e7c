"""No graded answer can be recovered from what students get, however hard they try.

The attack below is the one a curious student would write: for every salted hash in every key
file of the student release, try every plausible answer (numbers on each key's grid, words and
ids from the data files, choice letters, small sets of ids). Run against the instructor's key it
recovers the graded answers, which shows the search space holds them; run against the student
release it must recover none.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import re
import shutil
from pathlib import Path

import pytest
from grading import make_course

from coursekit.assess.release import release_sets
from coursekit.checks import normalise
from coursekit.course.exercises import build_exercise_keys, discover

ROOT = Path(__file__).resolve().parents[1]
SETS = discover(ROOT / "exercises")
GRADED = {q.id: q for s in SETS for q in s.questions if not q.manual}
GRID = range(-30_000, 30_001)  # grid steps: 1199.7 at step 0.1, 253.15 at step 0.01, ...
ID = re.compile(r"^(?:[A-Z]{1,3}\d{2,3}|FY\d{4}-\d{2})$")


def _data_strings() -> list[str]:
    found: set[str] = set()
    for path in sorted((ROOT / "data").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    if len(cell) <= 60:
                        found.add(cell)
                    found.update(word for word in re.split(r"[\s,;/()]+", cell) if word)
    return sorted(found)


def _candidates() -> dict[str, list[str]]:
    """Normal forms to try, by kind (what checks.normalise would hash)."""
    strings = _data_strings()
    texts = set()
    for text in strings:
        try:
            texts.add(normalise("text", text))
        except ValueError:
            pass
    ids = sorted({s for s in strings if ID.match(s)})
    groups: dict[str, list[str]] = {}
    for value in ids:
        groups.setdefault(re.sub(r"\d.*", "", value), []).append(value)
    sets = {normalise("set", list(pair)) for size in (1, 2) for pair in itertools.combinations(ids, size)}
    for members in groups.values():
        if len(members) <= 24:
            for size in (3, 4):
                sets |= {normalise("set", list(c)) for c in itertools.combinations(members, size)}
    return {"number": [f"n:{k}" for k in GRID], "text": sorted(texts),
            "choice": [f"c:{c}" for c in "abcdefgh"], "set": sorted(sets)}


def brute_force(keys: dict, space: dict[str, list[str]]) -> dict[str, set[str]]:
    """Every normal form whose hash is in a key entry, by question id: the student's attack."""
    found: dict[str, set[str]] = {}
    for qid, entry in (keys.get("questions") or {}).items():
        hashes = set(entry.get("accept", [])) | set(entry.get("feedback", {}))
        salt = entry.get("salt")
        if not salt or not hashes:
            continue
        prefix = f"{salt}:{qid}:".encode()
        for normal in space.get(entry.get("kind"), []):
            if hashlib.sha256(prefix + normal.encode()).hexdigest() in hashes:
                found.setdefault(qid, set()).add(normal)
    return found


def _graded_normals() -> dict[str, set[str]]:
    """The graded answers' normal forms (grid steps for numbers), as the grader's key has them."""
    out = {}
    for qid, q in GRADED.items():
        answers = q.spec["answers"] if "answers" in q.spec else [q.spec["answer"]]
        if q.kind == "number":
            step = q.spec.get("step", 1)
            out[qid] = {f"n:{round(float(a) / step)}" for a in answers}
        else:
            out[qid] = {normalise(q.kind, a) for a in answers}
    return out


@pytest.fixture(scope="module")
def space():
    return _candidates()


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    root = make_course(tmp_path_factory.mktemp("course"))  # data, exercises and their release
    return root / "release"


def test_the_attack_recovers_the_graded_answers_from_the_instructors_key(space):
    recovered = brute_force(build_exercise_keys(SETS), space)
    truth = _graded_normals()
    missed = [qid for qid in truth if not recovered.get(qid, set()) & truth[qid]]
    # Every graded answer falls to it (this key is what the student release used to ship).
    assert truth and not missed, missed


def test_no_graded_answer_can_be_recovered_from_the_student_release(release, space):
    truth = _graded_normals()
    key_files = sorted(release.rglob("checks.json")) + [ROOT / "notebooks" / "checks.json"]
    for path in key_files:
        keys = json.loads(path.read_text(encoding="utf-8"))
        recovered = brute_force(keys, space)
        for qid, normals in truth.items():
            assert not recovered.get(qid, set()) & normals, f"{path}: {qid} recovered"
        for qid in set(keys["questions"]) & set(GRADED):
            entry = keys["questions"][qid]
            assert entry.get("check") == "form" and "salt" not in entry and "accept" not in entry


def test_a_student_key_with_a_graded_hash_stops_the_release(tmp_path, monkeypatch):
    from coursekit.assess import release as release_module
    from coursekit.errors import CourseError

    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    monkeypatch.setattr(release_module, "student_keys", lambda keys, sets: keys)  # the old way
    with pytest.raises(CourseError, match="graded question with an answer hash"):
        release_sets(tmp_path / "exercises", tmp_path / "release")
    assert not (tmp_path / "release").exists()
