"""coursekit.build.index: the index page links what exists, marks what is missing, escapes titles."""

from __future__ import annotations

from coursekit.build.index import index_html
from coursekit.build.plan import Job


def _lesson(title: str) -> Job:
    outputs = ["notebooks/01-x.ipynb", "slides/01-x.slides.html", "handouts/01-x.html"]
    return Job("notebooks/01-x.ipynb", "lesson", "/c/notebooks/01-x.ipynb", title, "e", "k", outputs)


def test_links_only_what_exists_and_marks_the_rest_missing(tmp_path):
    out = tmp_path / "build"
    (out / "slides").mkdir(parents=True)
    (out / "slides" / "01-x.slides.html").write_text("deck", encoding="utf-8")
    page = index_html(tmp_path, out, [_lesson("01 · X")], {}, [])
    assert '<td><a href="slides/01-x.slides.html">slides</a></td>' in page
    assert '<td><span class="missing">—</span></td><td>—</td>' in page  # no handout; no PDF asked
    assert page.endswith("</html>\n") and "<h2>For learners</h2>" not in page


def test_titles_are_escaped_and_failures_shown(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "toc.yml").write_text('title: "Khan\'s visit <2022>"\nlessons: []\n',
                                                    encoding="utf-8")
    job = _lesson("01 · A & B")
    page = index_html(tmp_path, tmp_path / "build", [job], {job.name: {"error": "boom"}},
                      [("exercises/02-y.ipynb", "exercise", "broken")])
    assert "<title>Khan&#39;s visit &lt;2022&gt;: built course</title>" in page
    assert "<td>01 · A &amp; B</td>" in page and "<td>failed</td>" in page
    assert "<tr><td>exercises/02-y.ipynb</td><td>—</td><td>failed</td></tr>" in page
