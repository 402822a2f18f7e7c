"""The lesson sequence: the ordered list, the lint, the generated navigation and the keys."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from coursekit.checks import build_keys, evaluate, load_keys
from coursekit.course import budget as budgets
from coursekit.course import lessons, lint, notebooks
from coursekit.course.answerkeys import read_spec

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TOC = lessons.read_toc(ROOT)
FILES = [entry["file"] for entry in TOC]
CHECK_CALL = re.compile(r"""check\(\s*["']([\w.-]+)["']""")


def load(name: str) -> dict:
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))


def test_toc_and_notebooks_folder_agree():
    on_disk = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert sorted(FILES) == on_disk
    assert len(FILES) == 9 and FILES == sorted(FILES)


@pytest.mark.parametrize("name", FILES)
def test_lesson_passes_the_lint(name):
    assert lint.lint(NOTEBOOKS / name, ROOT) == []


@pytest.mark.parametrize("name", FILES)
def test_lesson_has_what_the_house_style_asks(name):
    nb = load(name)
    cells = nb["cells"]
    kinds = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in cells]
    assert all(kinds), f"{name}: every cell needs slide metadata"
    assert kinds.count("notes") >= 2, f"{name}: at least two speaker-notes cells"
    setup = [c for c in cells if "setup" in c.get("metadata", {}).get("tags", [])]
    assert len(setup) == 1 and setup[0]["cell_type"] == "code"
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert len(set(CHECK_CALL.findall(code))) >= 3, f"{name}: at least three self-checks"
    images = [o for c in cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, f"{name}: at least one figure"
    title = "".join(cells[0]["source"])
    assert title.startswith("# ") and re.search(r"\d+\s*min", title), f"{name}: title with time"


def test_lint_catches_each_planted_problem(tmp_path):
    """A broken lesson in a course copy: every rule of the lint fires with a clear message."""
    import shutil

    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "toc.yml").write_text(
        yaml.safe_dump({"lessons": [{"file": "01-x.ipynb", "title": "01 · X"}]}), encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R"}
    plot = nbformat.v4.new_code_cell("plots.show(fig, caption='c', alt='a', sources=['nope-id'])")
    plot.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBOR"})]
    broken = nbformat.v4.new_code_cell("open('/home/me/data.csv')")
    broken.outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=[])]
    nav = nbformat.v4.new_markdown_cell("**Next:** [somewhere](99.ipynb)")
    nav.metadata["tags"] = ["navigation"]
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · X\n## Questions"), plot, broken, nav]
    path = tmp_path / "notebooks" / "01-x.ipynb"
    nbformat.write(nb, path)
    problems = "\n".join(lint.lint(path, tmp_path))
    for expected in ["kernelspec is 'ir'", "no 'Learning objectives' section", "no 'Key points'",
                     "no 'Sources' section", "'nope-id' is not in data/sources.csv",
                     "image without alt text", "error output (ValueError)", "absolute path",
                     "navigation cell disagrees"]:
        assert expected in problems, expected


def test_lesson_missing_from_the_list_is_reported(tmp_path):
    import shutil

    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "toc.yml").write_text("lessons:\n  - file: a.ipynb\n    title: A\n")
    nb = nbformat.v4.new_notebook()
    nbformat.write(nb, tmp_path / "notebooks" / "b.ipynb")
    assert any("not in notebooks/toc.yml" in p for p in lint.lint(tmp_path / "notebooks" / "b.ipynb", tmp_path))


def test_navigation_is_generated_and_only_that_cell_changes(tmp_path):
    import shutil

    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "notebooks").mkdir()
    shutil.copy(NOTEBOOKS / "toc.yml", tmp_path / "notebooks" / "toc.yml")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("my own words")])
    path = tmp_path / "notebooks" / FILES[1]
    nbformat.write(nb, path)
    assert lessons.write_navigation(path, tmp_path) is True
    again = nbformat.read(path, as_version=4)
    assert again.cells[0].source == "my own words"
    nav = again.cells[-1].source
    assert f"({FILES[0]})" in nav and f"({FILES[2]})" in nav
    assert lessons.write_navigation(path, tmp_path) is False  # nothing to change the second time


def test_first_and_last_lessons_say_so():
    assert "first lesson" in lessons.navigation_markdown(FILES[0], ROOT)
    assert "last lesson" in lessons.navigation_markdown(FILES[-1], ROOT)


def test_every_lesson_check_has_a_key_and_every_key_a_check():
    used = set()
    for name in FILES:
        code = "\n".join("".join(c["source"]) for c in load(name)["cells"] if c["cell_type"] == "code")
        used |= set(CHECK_CALL.findall(code))
    keys = load_keys(NOTEBOOKS / "checks.json")
    assert used <= set(keys), sorted(used - set(keys))
    assert set(keys) <= used, f"keys for checks no lesson asks: {sorted(set(keys) - used)}"


def test_lesson_key_file_is_built_from_the_instructor_answers():
    """notebooks/checks.json is exactly `coursekit keys instructors/answers/*.yml` (no drift),
    every plaintext answer passes and an answer far off fails."""
    specs = sorted((ROOT / "instructors" / "answers").glob("*.yml"))
    merged = {}
    for path in specs:
        merged.update(read_spec(path))
    rebuilt = build_keys(merged, salt_seed="coursekit-lessons")["questions"]
    committed = load_keys(NOTEBOOKS / "checks.json")
    assert rebuilt == committed, ("run: coursekit keys instructors/answers/*.yml "
                                  "-o notebooks/checks.json --salt-seed coursekit-lessons")
    for qid, item in merged.items():
        for answer in item.get("answers", [item.get("answer")]):
            assert evaluate(committed[qid], answer, qid).passed, qid
        if item["kind"] == "number":
            far = float(item["answer"] if "answer" in item else item["answers"][0]) + 1000
            assert not evaluate(committed[qid], far, qid).passed, qid


def test_committed_lessons_never_show_an_answer():
    """Saved outputs of self-check cells are unanswered placeholders, never a revealed key."""
    for name in FILES:
        for cell in load(name)["cells"]:
            for out in cell.get("outputs", []):
                meta = out.get("metadata", {}).get("coursekit")
                if meta:
                    assert meta["passed"] is False, f"{name}: a committed check is answered"


# --- time budgets (instructors/guide.md, "How long a lesson takes") -----------------------------

TOLERANCE_MINUTES = 5      # a title may round the method's minutes by up to 5 minutes
TOLERANCE_SHARE = 0.15     # or by 15%, whichever is larger
MAX_LESSON_MINUTES = 60    # one lesson fits one class


def _budgets() -> dict[str, tuple[tuple[int, int] | None, dict]]:
    out = {}
    for path in lessons.lesson_paths():
        nb = nbformat.read(path, as_version=4)
        out[path.name] = (budgets.claimed_minutes(nb), budgets.time_budget(nb))
    return out


def _off(claimed: int, computed: int) -> bool:
    return abs(claimed - computed) > max(TOLERANCE_MINUTES, TOLERANCE_SHARE * computed)


def test_the_time_method_counts_what_it_says(tmp_path):
    """Planted: about 365 words of prose (3 min), two code cells read (2), a check (3); an exercise
    section with two numbered exercises (20) and a check (3). Notes and machinery cost nothing."""
    v4 = nbformat.v4
    notes = v4.new_markdown_cell("word " * 1200)
    notes.metadata["slideshow"] = {"slide_type": "notes"}  # speaker notes: not student time
    hidden = v4.new_code_cell("draw()\n" * 20)
    hidden.metadata["jupyter"] = {"source_hidden": True}   # machinery: not read
    nb = v4.new_notebook(cells=[
        v4.new_markdown_cell("# 09 · Demo\n\nTeaching: 9 min · Exercises: 25 min"),
        v4.new_markdown_cell("word " * 350), notes, v4.new_code_cell("a = 1"), hidden,
        v4.new_code_cell("b = 2"), v4.new_code_cell('check("09.q", a)'),
        v4.new_markdown_cell("## Exercises\n\n1. One.\n2. Two."), v4.new_code_cell('check("09.r", b)'),
        v4.new_markdown_cell("## Key points\n\n- One point.")])
    budget = budgets.time_budget(nb)
    assert (budget["teaching"], budget["exercises"]) == (8, 23)
    assert (budget["code_cells"], budget["checks"], budget["exercise_items"]) == (2, 2, 2)
    assert budgets.claimed_minutes(nb) == (9, 25)
    assert not _off(9, budget["teaching"]) and _off(40, budget["teaching"])


def test_each_lessons_title_minutes_follow_the_stated_method():
    wrong = []
    for name, (claimed, budget) in _budgets().items():
        if claimed is None:
            wrong.append(f"{name}: the title cell states no 'Teaching: N min · Exercises: M min'")
            continue
        for part, said in zip(("teaching", "exercises"), claimed, strict=True):
            if _off(said, budget[part]):
                wrong.append(f"{name}: {part} {said} min in the title, {budget[part]} min by the method")
    assert not wrong, "\n".join(wrong)


def test_no_lesson_takes_more_than_an_hour_by_the_method():
    over = [f"{name}: {b['teaching']} + {b['exercises']} = {b['teaching'] + b['exercises']} min"
            for name, (_, b) in _budgets().items() if b["teaching"] + b["exercises"] > MAX_LESSON_MINUTES]
    assert not over, "over 60 minutes (split or trim the lesson):\n" + "\n".join(over)


MAX_VISIBLE_LINES = 10     # a code cell a student is meant to read
MAX_MEDIAN_LINES = 5


def _visible_code_lines(nb) -> list[int]:
    """Non-blank lines of each code cell a student sees (collapsed machinery cells excluded)."""
    out = []
    for cell in nb.cells:
        meta = cell.get("metadata", {})
        if cell.cell_type != "code" or (meta.get("jupyter") or {}).get("source_hidden"):
            continue
        if notebooks.NAV_TAG in meta.get("tags", []):
            continue
        out.append(sum(1 for line in cell.source.splitlines() if line.strip()))
    return out


def test_the_code_length_rule_can_fail():
    v4 = nbformat.v4
    long = v4.new_code_cell("\n".join(f"x{i} = {i}" for i in range(12)))
    hidden = v4.new_code_cell("\n".join(f"y{i} = {i}" for i in range(30)))
    hidden.metadata["jupyter"] = {"source_hidden": True}
    assert _visible_code_lines(v4.new_notebook(cells=[long, hidden, v4.new_code_cell("a = 1\n\nb = 2")])) == [12, 2]


def test_student_visible_code_cells_are_short():
    """At most 10 lines in any code cell a student reads, median at most 5, in every lesson."""
    import statistics

    wrong = []
    for path in lessons.lesson_paths():
        lines = _visible_code_lines(nbformat.read(path, as_version=4))
        if lines and max(lines) > MAX_VISIBLE_LINES:
            wrong.append(f"{path.name}: a visible code cell of {max(lines)} lines (at most {MAX_VISIBLE_LINES})")
        if lines and statistics.median(lines) > MAX_MEDIAN_LINES:
            wrong.append(f"{path.name}: median {statistics.median(lines)} lines (at most {MAX_MEDIAN_LINES})")
    assert not wrong, "\n".join(wrong)
