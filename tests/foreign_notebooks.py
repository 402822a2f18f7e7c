"""Instructor notebooks in the shapes of nbgrader's ps1/problem1 and otter-grader's tutorial,
written anew in code (nothing is copied from either project). Shared by tests/test_foreign.py,
tests/test_grade_foreign.py and benchmarks/bench_nbgrader.py."""

from __future__ import annotations

from nbformat import v4


def nbgrader_cell(cell, **meta):
    cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": False,
                                 "schema_version": 3, **meta}
    return cell


def nbgrader_notebook(kernel: str = "python"):
    """A problem set in the shape of nbgrader's ps1/problem1 (its cells, written anew).

    ``kernel``: the kernelspec name ("python" as in nbgrader's example; "python3" is the one
    kernel a fresh venv with nbgrader has)."""
    md, code = v4.new_markdown_cell, v4.new_code_cell
    cells = [
        nbgrader_cell(md("Read the table of visits first."), grade_id="intro", locked=True),
        md("## Part A (2 points)\nWrite `gap(a, b)`, the years between two visits."),
        nbgrader_cell(code('def gap(a, b):\n    """Years from a to b."""\n    ### BEGIN SOLUTION\n'
                  '    return b - a\n    ### END SOLUTION'), grade_id="gap", solution=True),
        nbgrader_cell(code("assert gap(1999, 2022) == 23\n### BEGIN HIDDEN TESTS\n"
                  "assert gap(1974, 2022) == 48\n### END HIDDEN TESTS"),
             grade_id="gap_tests", grade=True, points=2),
        md("## Part B (1 point)\nWrite `span(rows)`."),
        # metadata only, no markers: nbgrader replaces the whole cell
        nbgrader_cell(code("def span(rows):\n    return max(rows) - min(rows)"), grade_id="span",
             solution=True),
        nbgrader_cell(code("assert span([1999, 2022]) == 23"), grade_id="span_tests", grade=True, points=1),
        md("## Part C (1 point)\nSay in words why the timing mattered."),
        nbgrader_cell(md("The talks fell on the first day of the invasion of Ukraine."),
             grade_id="timing", solution=True, grade=True, points=1),
        md("## Part D (2 points)\nUse `gap` on a case of your own."),
        nbgrader_cell(code("def decade_gap():\n    return gap(2012, 2022)"), grade_id="own_case",
             solution=True, grade=True, points=2),
        nbgrader_cell(md("## Part E (4 points)\nCompare the two visits' agendas."), grade_id="agendas",
             task=True, locked=True, points=4),
    ]
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python", "language": "python", "name": kernel}
    return nb


def raw_cell(text):
    return v4.new_raw_cell(text)


def otter_notebook():
    """An assignment in the shape of otter-grader's tutorial notebook (written anew)."""
    md, code = v4.new_markdown_cell, v4.new_code_cell
    cells = [
        raw_cell("# ASSIGNMENT CONFIG\nrequirements: requirements.txt\ngenerate: true"),
        md("# Visits\nAnswer each question."),
        code("import math\nprint('instructor check')  # IGNORE\n# BEGIN IGNORE\nrehearse = 1\n# END IGNORE"),
        raw_cell("# BEGIN QUESTION\nname: q1\npoints: 2"),
        md("**Question 1:** Write `gap` returning the years between two visits."),
        raw_cell("# BEGIN SOLUTION"),
        code("def gap(a, b):\n    return b - a # SOLUTION"),
        raw_cell("# END SOLUTION"),
        raw_cell("# BEGIN TESTS"),
        code("gap(1999, 2022) == 23"),
        code("# HIDDEN\ngap(1974, 2022) == 48"),
        raw_cell("# END TESTS"),
        raw_cell("# END QUESTION"),
        raw_cell("# BEGIN QUESTION\nname: q2"),
        md("**Question 2:** Put the visit's share in `share` and the partner in `partner`."),
        raw_cell("# BEGIN SOLUTION"),
        code('# BEGIN SOLUTION NO PROMPT\nshare = 100 * 49 / 200\npartner = "Moscow"\n'
             '# END SOLUTION\n""" # BEGIN PROMPT\nshare = ...\npartner = ...\n""" # END PROMPT\nshare'),
        raw_cell("# END SOLUTION"),
        raw_cell("# BEGIN TESTS"),
        code("# HIDDEN\nassert partner.lower() == 'moscow'\nassert abs(share - 24.5) < 0.01"),
        raw_cell("# END TESTS"),
        raw_cell("# END QUESTION"),
        raw_cell("# BEGIN QUESTION\nname: q3\nmanual: true\npoints: 3"),
        md("**Question 3:** What does the timing of the visit tell us?"),
        raw_cell("# BEGIN SOLUTION"),
        md("**SOLUTION:** the meeting came a day after the invasion order was given."),
        raw_cell("# END SOLUTION"),
        raw_cell("# END QUESTION"),
    ]
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return nb
