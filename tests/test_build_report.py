"""coursekit.build.report: the summary counts every kind of outcome, and steps can fail the build."""

from __future__ import annotations

from coursekit.build.report import BuildReport, format_summary, problem_row


def test_summary_counts_ran_cached_unchanged_and_failed():
    rows = [{"name": "a", "kind": "lesson", "execute": "ran", "export": "built", "seconds": 1.0, "error": None},
            {"name": "b", "kind": "lesson", "execute": "cache", "export": "built", "seconds": 0.5, "error": None},
            {"name": "c", "kind": "lesson", "execute": "-", "export": "cached", "seconds": 0.0, "error": None},
            problem_row("d", "exercise", "d: missing")]
    report = BuildReport(rows=rows, seconds=75.0)
    report.step("index", "written", "build/index.html")
    text = format_summary(report)
    assert text.endswith("4 notebook(s): 1 executed, 1 from the cache, 1 unchanged, 1 failed; "
                         "1 min 15 s in all")
    assert "index" in text and report.exit_code == 0  # a problem row alone is not a failure


def test_a_failed_step_fails_the_build():
    report = BuildReport()
    report.step("student release", "failed", "boom", failure="student release: boom")
    assert report.exit_code == 1 and report.failures == ["student release: boom"]
    assert report.steps == [("student release", "failed", "boom")]
