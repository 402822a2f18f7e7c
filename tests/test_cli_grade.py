"""``coursekit grade`` (coursekit.cli.grade): exit status and what it says first."""

from __future__ import annotations

import json

from grading import answer, cli, released, save


def test_grade_command_exits_zero_whatever_the_submissions_hold(course, tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    (subs / "broken.ipynb").write_text("{", encoding="utf-8")
    result = cli(subs, "--exercises", course / "exercises", "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "graded 1 submission(s)" in result.stdout and "protection:" in result.stdout
    assert (tmp_path / "out" / "gradebook.csv").is_file()
    assert sorted(p.name for p in subs.iterdir()) == ["broken.ipynb"]


def test_grade_command_exits_nonzero_only_when_the_batch_cannot_run(course, tmp_path):
    missing = cli(tmp_path / "nowhere", "--exercises", course / "exercises")
    assert missing.returncode == 1 and "no such folder of submissions" in missing.stderr
    subs = tmp_path / "submissions"
    subs.mkdir()
    inside = cli(subs, "--exercises", course / "exercises", "-o", subs / "grades")
    assert inside.returncode == 1 and "outside the submissions folder" in inside.stderr
    assert list(subs.iterdir()) == []


def test_the_guard_says_first_and_everywhere_that_it_is_not_a_security_boundary(course, tmp_path):
    subs, out = tmp_path / "submissions", tmp_path / "grades"
    save(subs, "g.ipynb", answer(released(course, "01-timeline"), "n_context", "n_context = 59"))
    result = cli(subs, "--exercises", course / "exercises", "-o", out, "--isolation", "guard")
    assert result.returncode == 0, result.stderr
    assert "NOT a security boundary" in result.stdout.splitlines()[0]
    info = json.loads((out / "grading.json").read_text(encoding="utf-8"))
    assert info["security_boundary"] is False and "NOT a security boundary" in info["warning"]
    page = (out / "feedback" / "g.ipynb.html").read_text(encoding="utf-8")
    assert "NOT a security boundary" in page
