"""course.pages: templates escape what a page shows and refuse a missing value."""

from __future__ import annotations

import jinja2
import pytest

from coursekit.course.pages import render

CONTEXT = dict(csp="default-src 'none'", style="", heading="01 · Timeline", warning="",
               earned="1", auto_max="2", manual=0, notes=[], protection="bubblewrap")


def test_a_student_value_is_escaped_everywhere_it_appears():
    row = {"task": "<i>t</i>", "question": "q1", "icon": "", "label": "Not yet", "points": "0",
           "max_points": "1", "message": "<script>alert(1)</script>", "answer": "<img src=x>"}
    page = render("feedback.html.j2", student="a<b>.ipynb", rows=[row], **CONTEXT)
    assert "<script>" not in page and "<img src=x>" not in page and "<i>t</i>" not in page
    assert "&lt;script&gt;" in page and "a&lt;b&gt;.ipynb" in page


def test_a_missing_value_is_an_error_not_an_empty_string():
    with pytest.raises(jinja2.UndefinedError):
        render("feedback.html.j2", student="a.ipynb", **CONTEXT)  # no rows
