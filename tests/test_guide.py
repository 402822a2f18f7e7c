"""The instructor guide's generated regions (lessons and minutes, course total, the primer skills
of every question) are what ``coursekit.course.lessons`` computes from the lessons and answer files now;
``tools/guide_tables.py`` rewrites them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from coursekit.course import guide as guides
from coursekit.errors import CourseError

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "instructors" / "guide.md"


def test_the_guide_tables_are_up_to_date():
    stale = guides.update_guide(GUIDE, ROOT, check=True)
    assert not stale, (f"instructors/guide.md: stale generated regions {stale}; "
                       "run .venv/bin/python tools/guide_tables.py")


def test_the_tool_reports_a_stale_table_and_rewrites_only_the_regions(tmp_path):
    """A guide edited by hand inside a region is stale (exit 1); the tool restores the region and
    keeps the prose around it."""
    guide = tmp_path / "guide.md"
    text = GUIDE.read_text(encoding="utf-8")
    edited = text.replace("| ex04.disputed |", "| ex04.renamed |", 1).replace(
        "## Seminars and essays", "## Seminars and essays\n\nAn instructor's own paragraph.", 1)
    assert edited != text and "ex04.renamed" in edited
    guide.write_text(edited, encoding="utf-8")
    tool = [sys.executable, str(ROOT / "tools" / "guide_tables.py"), "--guide", str(guide)]
    check = subprocess.run([*tool, "--check"], capture_output=True, text=True)
    assert check.returncode == 1 and "skills-table" in check.stderr
    assert guide.read_text(encoding="utf-8") == edited  # --check writes nothing
    assert subprocess.run(tool, capture_output=True, text=True).returncode == 0
    fixed = guide.read_text(encoding="utf-8")
    assert "ex04.renamed" not in fixed and "| ex04.disputed |" in fixed
    assert "An instructor's own paragraph." in fixed


def test_every_question_of_the_course_has_a_row(tmp_path):
    table = guides.skills_table(ROOT)
    for folder in ("instructors/answers", "exercises/answers"):
        for path in sorted((ROOT / folder).glob("*.yml")):
            for qid in yaml.safe_load(path.read_text(encoding="utf-8")):
                assert f"| {qid} |" in table, f"{qid} ({path.name}) missing from the skills table"


def _course_copy(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    for part in ("notebooks", "exercises", "instructors", "data"):
        shutil.copytree(ROOT / part, root / part)
    return root


def test_a_missing_field_shows_a_dash_and_an_unknown_skill_is_refused(tmp_path):
    root = _course_copy(tmp_path)
    answers = root / "exercises" / "answers" / "01-timeline.yml"
    spec = yaml.safe_load(answers.read_text(encoding="utf-8"))
    first = next(iter(spec))
    spec[first].pop("skills", None)
    spec[first].pop("asks", None)
    answers.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    row = next(line for line in guides.skills_table(root).splitlines() if line.startswith(f"| {first} |"))
    assert row == f"| {first} | set 01 | graded | — | — |"
    spec[first]["skills"] = ["select", "groupby"]
    answers.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(CourseError, match="groupby"):
        guides.skills_table(root)


def test_the_exercise_sets_name_only_primer_skills():
    """Every graded question says what it asks and which primer skills it needs."""
    for path in sorted((ROOT / "exercises" / "answers").glob("*.yml")):
        for qid, entry in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            assert entry.get("asks") in ("calculation", "look-up", "judgement"), qid
            assert isinstance(entry.get("skills"), list), f"{path.name}: {qid} has no skills: list"
            assert set(entry["skills"]) <= set(guides.SKILLS), (qid, entry["skills"])


def test_the_lesson_table_carries_the_methods_minutes():
    table = guides.lesson_table(ROOT)
    for row in guides.lesson_budgets(ROOT):
        line = next(line for line in table.splitlines() if f"notebooks/{row['file']}" in line)
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[2:4] == [str(row["teaching"]), str(row["exercises"])], line


def test_the_course_total_adds_up_the_lessons():
    rows = guides.lesson_budgets(ROOT)
    sentence = guides.course_total(ROOT)
    assert guides._hours(sum(r["teaching"] for r in rows)) + " of teaching" in sentence
    assert f"longest lesson takes {max(r['teaching'] + r['exercises'] for r in rows)} minutes" in sentence


def test_missing_markers_are_named(tmp_path):
    guide = tmp_path / "guide.md"
    guide.write_text("# A guide without markers\n", encoding="utf-8")
    with pytest.raises(CourseError, match="course-total"):
        guides.update_guide(guide, ROOT)
    assert guide.read_text(encoding="utf-8") == "# A guide without markers\n"
