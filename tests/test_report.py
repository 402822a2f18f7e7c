"""coursekit.assess.report (gradebooks, feedback, marking sheets): output safe to open, an
instructor's edits kept, manual marks read back."""

from __future__ import annotations

import csv
import shutil

from grading import SETS, answer, cli, grade, read_csv, released, save, submit

from coursekit.assess.grade import write_report


def test_feedback_page_runs_nothing_the_submission_wrote(course, tmp_path):
    submit(course, tmp_path / "submissions", "<b>bold</b>.ipynb", "01-timeline",
           top_1980s='top_1980s = "<script>alert(1)</script>"',
           n_context='raise ValueError("<img src=x onerror=alert(2)>")')
    report = grade(course, tmp_path / "submissions")
    out = tmp_path / "grades"
    write_report(report, out, exercises_dir=course / "exercises")
    html = (out / "feedback" / "<b>bold</b>.ipynb.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html and "<b>bold" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html
    assert "default-src 'none'" in html


def test_gradebook_cells_that_a_spreadsheet_would_run_are_defused(course, tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    for name in ('=HYPERLINK("evil")-01-timeline.ipynb', "+1+2-01-timeline.ipynb",
                 "-3-01-timeline.ipynb", "@SUM(A1)-01-timeline.ipynb"):
        (subs / name).write_text("{broken", encoding="utf-8")
    report = grade(course, subs)
    out = tmp_path / "grades"
    write_report(report, out, exercises_dir=course / "exercises")
    for file in ("gradebook.csv", "totals.csv", "wide.csv", "canvas.csv", "moodle.csv"):
        with open(out / file, encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (file, cell)
    book = read_csv(out / "gradebook.csv")
    assert any(r["student"] == "'=HYPERLINK(\"evil\")-01-timeline.ipynb" for r in book)
    assert {r["points"] for r in book} == {"0"}  # numbers stay numbers


def test_a_memo_is_quoted_in_its_marking_sheet_never_live(course, tmp_path):
    import mistune

    from coursekit.assess.marking import read_mark

    memo = ('<script>alert(1)</script>\\n<img src=x onerror=alert(2)>\\n'
            'Points: 4 / 4\\n- [x] (1 pt) The first sentence answers the question\\n'
            '```\\n# Heading\\n````')
    nb = released(course, "04-announced-vs-delivered")
    answer(nb, "memo", f'memo = "{memo}"')
    save(tmp_path / "submissions", "m-04.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    out = tmp_path / "grades"
    write_report(report, out, exercises_dir=course / "exercises")
    sheet = (out / "manual" / "04-announced-vs-delivered" / "m-04.ipynb.ex04.memo.md").read_text(
        encoding="utf-8")
    assert read_mark(sheet) is None  # the memo's own "Points: 4 / 4" is not a mark
    page = mistune.html(sheet)
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;" in page and "<h1>Heading" not in page
    rubric = SETS["04-announced-vs-delivered"].question("ex04.memo").rubric
    assert page.count("<li>") == len(rubric)  # the rubric's own boxes, not the memo's


def test_manual_marks_are_read_back_without_force(course, tmp_path):
    subs, out = tmp_path / "submissions", tmp_path / "grades"
    subs.mkdir()
    shutil.copy(SETS["04-announced-vs-delivered"].notebook, subs / "ana.ipynb")
    shutil.copy(SETS["04-announced-vs-delivered"].notebook, subs / "ben.ipynb")
    args = (subs, "--exercises", course / "exercises", "-o", out)
    assert cli(*args).returncode == 0
    book = out / "gradebook.csv"
    lines = book.read_text(encoding="utf-8").splitlines()
    lines = [line.replace(",,4,manual,", ",3,4,manual,") if line.startswith("ana.ipynb") else line
             for line in lines]
    book.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sheet = out / "manual" / "04-announced-vs-delivered" / "ben.ipynb.ex04.memo.md"
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("Points: ____ / 4", "Points: 2.5 / 4"),
                     encoding="utf-8")
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    marks = {r["student"]: r["points"] for r in read_csv(book) if r["question"] == "ex04.memo"}
    assert marks == {"ana.ipynb": "3", "ben.ipynb": "2.5"}
    assert (out / "gradebook.csv.bak").is_file()
    assert "Points: 2.5 / 4" in sheet.read_text(encoding="utf-8")  # your sheet is kept


def test_an_edited_gradebook_stops_the_rerun_before_it_grades(course, tmp_path):
    subs, out = tmp_path / "submissions", tmp_path / "grades"
    save(subs, "a.ipynb", answer(released(course, "01-timeline"), "n_context", "n_context = 59"))
    args = (subs, "--exercises", course / "exercises", "-o", out)
    assert cli(*args).returncode == 0
    book = out / "gradebook.csv"
    book.write_text(book.read_text(encoding="utf-8").replace(",correct,", ",incorrect,", 1),
                    encoding="utf-8")
    mine = book.read_bytes()
    save(subs, "b.ipynb", answer(released(course, "01-timeline"), "n_context", "n_context = 59"))
    result = cli(*args)
    assert result.returncode == 1 and "Nothing was graded" in result.stderr
    assert "graded " not in result.stdout and book.read_bytes() == mine
