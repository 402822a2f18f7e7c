"""coursekit.export.render: offline decks and handouts that keep alt text, notes and hide what they must.

Every test renders small notebooks built here (no kernel is started), so the file runs fast.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from fake_course import ALT, demo_png, figure_output, make_course, public_notebook
from fake_course import cell as _cell
from fake_course import demo_lesson as lesson

from coursekit.errors import CourseError, NotebookError
from coursekit.export import render as export


@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> Path:
    return export.install_assets(tmp_path_factory.mktemp("site") / "assets")


@pytest.fixture(scope="module")
def rendered(assets) -> dict[str, str]:
    nb = lesson()
    return {"slides": export.render_slides(nb, assets="../assets", name="04-test.ipynb"),
            "handout": export.render_handout(nb, assets="../assets", name="04-test.ipynb")}


def _references(text: str) -> list[str]:
    """Every src/href value, CSS url() and import target in a page."""
    refs = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", text)
    refs += re.findall(r"""url\(\s*["']?([^"')]*)""", text)
    refs += re.findall(r"""@import\s+(?:url\()?\s*["']?([^"');\s]*)""", text)
    refs += re.findall(r"""\bimport\b[^;'"]*?["']([^"']+)["']""", text)
    return refs


@pytest.mark.parametrize("kind", ["slides", "handout"])
def test_exports_reference_nothing_remote(rendered, kind):
    """No src, href, import or CSS url() in a deck or handout points at http(s) or //host."""
    refs = _references(rendered[kind])
    assert refs, "the scan found no references at all: it is not looking at the page"
    remote = [r for r in refs if re.match(r"\s*(https?:)?//", r, re.I)]
    assert remote == []
    assert export.offline_problems(rendered[kind]) == []


def test_offline_scan_catches_each_kind_of_remote_reference():
    page = ('<script src="https://cdn.x/require.js"></script><link href="//cdn.x/a.css">'
            '<style>@import url(https://fonts.x/css); b { background: url("http://x/a.png") }</style>'
            '<script type="module">import m from "https://cdn.x/mermaid.mjs"</script>')
    assert len(export.offline_problems(page)) == 5


def test_installed_assets_reference_nothing_remote(assets):
    """The style sheets the decks load (reveal theme, fonts, notebook CSS) stay local too."""
    sheets = [p for p in assets.rglob("*.css") if p.is_file()]
    assert any(p.name == "coursekit.css" for p in sheets)
    for sheet in sheets:
        assert export.offline_problems(sheet.read_text(encoding="utf-8", errors="replace")) == [], sheet
    for script in (p for p in assets.rglob("*.js") if p.is_file()):
        text = script.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"""\bimport\s*\(?\s*["'](https?:)?//""", text), script
    for relative in ("reveal.js/dist/reveal.js", "reveal.js/plugin/notes/notes.js",
                     "mathjax/MathJax.js", "nbconvert/index.css", "coursekit/slides.css"):
        assert (assets / relative).is_file(), relative


def test_every_reference_in_a_deck_resolves_to_an_asset(rendered, assets):
    """The relative links the deck makes all point at files install_assets() wrote."""
    deck_dir = assets.parent / "slides"
    for ref in _references(rendered["slides"]):
        if not ref or ref.startswith(("data:", "#")) or ".html" in ref:
            continue  # embedded images, anchors and links to the other lessons' decks
        target = (deck_dir / ref.split("?")[0]).resolve()
        assert target.exists(), ref


def test_install_assets_is_idempotent(assets):
    stamp = (assets / ".coursekit-assets.json").stat().st_mtime_ns
    assert export.install_assets(assets) == assets
    assert (assets / ".coursekit-assets.json").stat().st_mtime_ns == stamp


@pytest.mark.parametrize("kind", ["slides", "handout"])
def test_figures_keep_their_alt_text(rendered, kind):
    alts = re.findall(r'<img[^>]*\balt="([^"]*)"', rendered[kind])
    assert alts == [ALT.replace('"', "&quot;")]
    assert "No description has been provided" not in rendered[kind]
    assert export.image_problems(rendered[kind]) == []


@pytest.mark.parametrize("alt", [None, "", "Figure", "  image. "])
def test_a_figure_without_real_alt_text_stops_a_strict_export_naming_the_cell(alt):
    with pytest.raises(NotebookError, match=r"04-test.ipynb, cell 7: figure 1 .* no alt text"):
        export.render_slides(lesson(figure_alt=alt), name="04-test.ipynb", strict=True)


def test_a_figure_without_alt_text_outside_the_course_is_a_warning_and_a_placeholder():
    with pytest.warns(export.ExportWarning, match=r"x.ipynb, cell 7: figure 1 .*no alt text"):
        slides = export.render_slides(lesson(figure_alt=None), name="x.ipynb")
    assert export.MISSING_ALT in slides and export.image_problems(slides) == []


def test_a_markdown_image_without_alt_text_is_named_and_refused_when_strict():
    nb = lesson(extra=[_cell("md", f"![](data:image/png;base64,{demo_png()})")])
    with pytest.raises(NotebookError, match=r"x.ipynb, cell 11: the Markdown image .* no alt text"):
        export.render_handout(nb, name="x.ipynb", strict=True)
    with pytest.warns(export.ExportWarning, match="cell 11"):
        handout = export.render_handout(nb, name="x.ipynb")
    assert export.MISSING_ALT in handout and export.image_problems(handout) == []


def test_speaker_notes_reach_the_slides_but_not_the_handout(rendered):
    notes = re.findall(r'<aside class="notes">(.*?)</aside>', rendered["slides"], re.S)
    assert len(notes) == 1 and "Stress the 23-year gap" in notes[0]
    assert "Stress the 23-year gap" not in rendered["handout"]


def test_setup_solution_and_navigation_cells_are_hidden_from_slides(rendered):
    slides = rendered["slides"]
    for marker in ("SETUP-MARKER", "SOLUTION-MARKER", "TAGGED-SOLUTION", "**Previous:**", "Previous:"):
        assert marker not in slides, marker
    assert "print(6 * 7)" not in slides and "42" in slides  # code out by default, its result stays


def test_handouts_leave_code_out_unless_asked_and_never_show_solutions(rendered):
    handout = rendered["handout"]
    assert "SETUP-MARKER" not in handout and "print" not in handout and "42" in handout
    with_code = export.render_handout(lesson(), name="x.ipynb", with_code=True)
    assert "SETUP-MARKER" in with_code and "print" in with_code
    for text in (handout, with_code):
        assert "SOLUTION-MARKER" not in text and "TAGGED-SOLUTION" not in text


def test_title_slide_carries_the_objectives(rendered):
    sections = re.findall(r'<section data-state="ck-title">(.*?)</section>', rendered["slides"], re.S)
    assert sections, "no title slide"
    title = sections[-1]
    assert "04 · A test lesson" in title and "Compute the gap between them." in title
    assert "Why did timing matter?" not in title  # the questions keep their own slide
    assert "Why did timing matter?" in rendered["slides"]


def _horizontal_slides(text: str) -> int:
    body = text[text.index('<div class="slides">'):]
    depth, count = 0, 0
    for tag in re.finditer(r"<(/?)section\b", body):
        if tag.group(1):
            depth -= 1
        else:
            count += depth == 0
            depth += 1
    return count


def test_slides_follow_the_cells_slide_metadata(rendered):
    """Title, questions, section (+ the figure's slide and the rest), key points: four slides."""
    slides = rendered["slides"]
    assert _horizontal_slides(slides) == 4
    assert len(re.findall(r'class="fragment"', slides)) == 1


def test_an_objectives_only_cell_is_merged_and_its_slide_start_kept():
    nb = lesson()
    nb.cells[1].source = "## Learning objectives\n\n- Only this."
    nb.cells[3].metadata["slideshow"]["slide_type"] = "-"  # the next cell relied on it
    slides = export.render_slides(nb, name="x.ipynb")
    assert _horizontal_slides(slides) == 3  # title (+ objectives), section, key points
    assert "Only this." in re.findall(r'data-state="ck-title">(.*?)</section>', slides, re.S)[-1]


def test_external_links_become_text_and_lesson_links_point_at_exports(rendered):
    slides, handout = rendered["slides"], rendered["handout"]
    assert 'href="https://' not in slides and 'href="https://' not in handout
    assert "https://example.org/report" in slides and "https://example.org/bare" in handout
    assert 'href="05-next.slides.html#top"' in slides
    assert 'href="05-next.html#top"' in handout


def test_handout_header_names_the_lesson_and_only_a_real_course(rendered, tmp_path):
    handout = rendered["handout"]
    assert "ck-handout-header" in handout and "04 · A test lesson" in handout
    assert "ck-course" not in handout  # an in-memory notebook belongs to no course
    course = make_course(tmp_path / "course")
    toc = course / "notebooks" / "toc.yml"
    toc.write_text('title: "A course of two lessons"\n' + toc.read_text("utf-8"), "utf-8")
    text = export.render_handout(course / "notebooks" / "01-timeline.ipynb")
    assert '<span class="ck-course">A course of two lessons</span>' in text
    assert '<span class="ck-lesson">01 · Timeline</span>' in text


def test_mathjax_is_loaded_locally_only_when_there_is_math(assets):
    with_math = lesson(extra=[_cell("md", "The share is $x^2$.")])
    text = export.render_slides(with_math, assets="../assets")
    assert '../assets/mathjax/MathJax.js?config=' in text
    assert "MathJax.js" not in export.render_slides(lesson(), assets="../assets")


def test_export_files_are_written_with_assets_relative_to_them(tmp_path, assets):
    path = tmp_path / "notebooks" / "04-test.ipynb"
    path.parent.mkdir()
    nbformat.write(lesson(), path)
    deck = export.export_slides(path, tmp_path / "out" / "slides" / "04-test.slides.html",
                                assets=assets)
    assert deck.is_file()
    expected = Path(__import__("os").path.relpath(assets, deck.parent)).as_posix()
    assert f'src="{expected}/reveal.js/dist/reveal.js"' in deck.read_text(encoding="utf-8")
    written = export.export_handout(path, tmp_path / "out" / "handouts" / "04-test.html",
                                    assets=assets, pdf=False)
    assert [p.suffix for p in written] == [".html"]


@pytest.mark.skipif(export.find_chromium() is None, reason="no Chromium on this machine to print PDFs")
def test_handout_pdf_is_printed_by_the_local_chromium(tmp_path, assets):
    path = tmp_path / "04-test.ipynb"
    nbformat.write(lesson(), path)
    written = export.export_handout(path, tmp_path / "handouts" / "04-test.html", assets=assets,
                                    pdf=True)
    pdf = written[-1]
    assert pdf.suffix == ".pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    assert not list(pdf.parent.glob("*.ck-tmp"))


def test_pdf_without_a_browser_is_an_error_not_a_silent_skip(tmp_path, assets, monkeypatch):
    monkeypatch.setenv("COURSEKIT_CHROMIUM", "")
    assert export.find_chromium() is None
    path = tmp_path / "04-test.ipynb"
    nbformat.write(lesson(), path)
    with pytest.raises(NotebookError, match="no Chromium"):
        export.export_handout(path, tmp_path / "h" / "04-test.html", assets=assets, pdf=True)
    # pdf=None means "a PDF when a browser exists": here, the HTML only.
    written = export.export_handout(path, tmp_path / "h" / "04-test.html", assets=assets)
    assert [p.suffix for p in written] == [".html"]


def test_slides_command_exports_the_named_notebooks(tmp_path, capsys):
    from coursekit import cli

    path = tmp_path / "04-test.ipynb"
    nbformat.write(lesson(), path)
    out = tmp_path / "decks"
    assert cli.main(["slides", str(path), "-o", str(out)]) == 0
    assert (out / "04-test.slides.html").is_file() and (out / "assets" / "reveal.js").is_dir()
    assert cli.main(["handouts", str(path), "-o", str(tmp_path / "h"), "--no-pdf"]) == 0
    assert (tmp_path / "h" / "04-test.html").is_file()
    broken = tmp_path / "05-broken.ipynb"
    nbformat.write(lesson(figure_alt=""), broken)
    assert cli.main(["slides", str(broken), "-o", str(out)]) == 0  # outside a course: a warning
    assert "warning: " in capsys.readouterr().err
    assert cli.main(["slides", str(broken), "-o", str(out), "--strict"]) == 1
    assert "05-broken.ipynb, cell 7" in capsys.readouterr().err
    json.loads(path.read_text(encoding="utf-8"))  # the source notebook is untouched JSON


# --------------------------------------------------------------------------- the deck as a talk


def _sections(slides: str) -> list[str]:
    """The innermost <section>s of a deck, in order (one per slide)."""
    body = slides[slides.index('<div class="slides">'):]
    return re.findall(r"<section\b[^>]*>((?:(?!<section\b).)*?)</section>", body, re.S)


def _caption(text: str):
    return nbformat.v4.new_output("display_data", data={"text/markdown": text, "text/plain": "caption"})


def _table(rows: int, text: str = "a short cell") -> str:
    body = "".join(f"<tr><th>{i}</th><td>{text} {i}</td><td>src-{i}</td></tr>" for i in range(rows))
    return (f'<table class="dataframe"><thead><tr><th></th><th>event</th><th>source</th></tr></thead>'
            f"<tbody>{body}</tbody></table>")


def test_self_checks_are_off_slides_and_handouts_but_the_question_stays():
    """A ``check(`` call or the ``self-check`` tag removes the cell; its question remains."""
    feedback = nbformat.v4.new_output("execute_result", data={
        "text/html": "<p>Not yet answered: replace the placeholder</p>", "text/plain": "x"})
    nb = lesson(extra=[
        _cell("md", "### Check your understanding\n\nHow many years passed?", "subslide"),
        _cell("code", 'gap = None\ncheck("04.gap", gap)', outputs=[feedback]),
        _cell("code", "answer_box()", tags=("self-check",), outputs=[feedback]),
    ])
    for text in (export.render_slides(nb, name="x"), export.render_handout(nb, name="x", with_code=True)):
        assert "How many years passed?" in text
        assert "Not yet answered" not in text and "04.gap" not in text and "answer_box" not in text


def test_code_shows_on_a_slide_only_with_the_tag_and_never_for_machinery():
    nb = lesson(extra=[
        _cell("code", "rows = load('timeline')  # TAUGHT", tags=("slides-show-code",)),
        _cell("code", "draw_everything()  # MACHINERY", tags=("slides-show-code",)),
    ])
    nb.cells[-3].metadata["jupyter"] = {"source_hidden": True}
    slides = export.render_slides(nb, name="x")
    assert "TAUGHT" in slides and "MACHINERY" not in slides
    assert "MACHINERY" not in export.render_handout(nb, name="x", with_code=True)


def test_a_figure_has_its_own_slide_with_caption_short_source_and_references_at_the_end():
    source = ("*Source:* Dawn (2022-02-24). US aware of the visit. https://www.dawn.com/news/1; "
              "Geo News (2022-02-23). Khan lands in Moscow. https://www.geo.tv/latest/2")
    nb = lesson(extra=[
        _cell("md", "## A figure slide\n\nOne sentence before it.", "slide"),
        _cell("code", "plots.show(fig)", outputs=[figure_output(), _caption(
            "**Figure.** Visits by year.\n\n" + source)]),
        _cell("md", "What it means, after the figure."),
    ])
    sections = _sections(export.render_slides(nb, name="x"))
    figure = next(s for s in sections if "Visits by year" in s)
    assert figure.count("<img") == 1 and "What it means" not in figure
    assert "Dawn, 2022-02-24; Geo News, 2022-02-23" in figure
    assert "US aware of the visit" not in figure  # the full reference is not under the figure
    closing = sections[-1]
    assert "<h2>Sources</h2>" in closing and "US aware of the visit" in closing
    assert "Khan lands in Moscow" in closing
    handout = export.render_handout(nb, name="x")
    assert "Dawn, 2022-02-24" in handout and "celltag_ck-references" in handout


def test_a_long_table_is_cut_into_slides_and_a_huge_one_shows_key_rows():
    def table_cell(rows):
        out = nbformat.v4.new_output("display_data", data={"text/html": _table(rows), "text/plain": "t"})
        return _cell("code", "show_table()", outputs=[out])

    nb = lesson(extra=[_cell("md", "## Thirty rows", "slide"), table_cell(30)])
    parts = [s for s in _sections(export.render_slides(nb, name="x")) if "a short cell" in s]
    assert len(parts) >= 2 and "Rows 1–" in parts[0] and "of 30." in parts[-1]
    assert sum(s.count("<tr>") for s in parts) == 30 + len(parts)  # every row once, header each time
    nb = lesson(extra=[_cell("md", "## Four hundred rows", "slide"), table_cell(400)])
    parts = [s for s in _sections(export.render_slides(nb, name="x")) if "a short cell" in s]
    assert len(parts) == 1 and "The full table is in the handout" in parts[0]
    assert "a short cell 399" in export.render_handout(nb, name="x")


def test_long_prose_continues_on_a_slide_with_the_heading_repeated():
    text = "\n\n".join(f"Paragraph {i}. " + "A sentence of ordinary length in a lesson. " * 5
                       for i in range(12))
    sections = _sections(export.render_slides(lesson(extra=[_cell("md", "## Long\n\n" + text, "slide")]),
                                              name="x"))
    parts = [s for s in sections if "Paragraph" in s]
    assert len(parts) >= 3 and "Long (continued)</h2>" in parts[1]
    assert all(f"Paragraph {i}." in "".join(parts) for i in range(12))


def test_a_slide_the_notebook_starts_with_a_paragraph_gets_its_section_heading():
    """A subslide that opens with prose (no heading of its own) is headed "(continued)"."""
    nb = lesson(extra=[_cell("md", "## Trade in 2023\n\nFirst sentence.", "slide"),
                       _cell("md", "MIDDLE paragraph on a new slide.", "subslide")])
    middle = next(s for s in _sections(export.render_slides(nb, name="x")) if "MIDDLE" in s)
    assert re.search(r"<h2[^>]*>Trade in 2023 \(continued\)</h2>", middle), middle[:300]


def test_a_question_stays_on_one_slide_with_its_options_and_its_heading():
    """Near the foot of a full slide, a self-check's heading, question and options move to the
    next slide together: none is left behind or cut from the others."""
    filler = "\n\n".join(f"Filler {i}. " + "A sentence of ordinary length in a lesson. " * 4
                         for i in range(5))
    question = ("### Check your understanding\n\nWHICH source is firmer?\n\n"
                + "\n".join(f"- ({x}) OPTION {x}, a choice of ordinary length." for x in "abcd"))
    nb = lesson(extra=[_cell("md", "## Two reports\n\n" + filler + "\n\n" + question, "slide")])
    sections = [s for s in _sections(export.render_slides(nb, name="x")) if "Filler 0" in s or "WHICH" in s]
    with_question = [s for s in sections if "WHICH" in s or "OPTION" in s or "Check your understanding" in s]
    assert len(sections) == 2 and len(with_question) == 1, [s[:200] for s in sections]
    assert all(f"OPTION {x}" in with_question[0] for x in "abcd")
    assert "Check your understanding" in with_question[0] and "Filler 0" not in with_question[0]


def test_a_handout_table_taller_than_a_third_of_a_page_may_break_between_rows_a_short_one_not():
    def table_cell(rows, text):
        out = nbformat.v4.new_output("display_data", data={"text/html": _table(rows, text), "text/plain": "t"})
        return _cell("code", "show_table()", outputs=[out])

    long_text = "a long cell of full text that wraps onto several lines in the printed table " * 3
    nb = lesson(extra=[table_cell(12, "SHORT"), table_cell(12, long_text)])
    handout = export.render_handout(nb, name="x")
    cells = re.findall(r'<div class="jp-Cell [^"]*"', handout)
    short = next(c for c in cells if "celltag" in c and "SHORT" in handout[handout.index(c):][:3000])
    assert "celltag_ck-long-table" not in short
    long_cell = [c for c in cells if "celltag_ck-long-table" in c]
    assert len(long_cell) == 1 and "a long cell" in handout[handout.index(long_cell[0]):][:3000]


# --------------------------------------------------------------------------- any notebook


def test_a_foreign_notebook_exports_with_warnings_split_at_its_headings(tmp_path, assets, monkeypatch):
    path = public_notebook(tmp_path / "handbook")
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # local images are found from the notebook's folder, not the cwd
    with pytest.warns(export.ExportWarning) as caught:
        deck = export.export_slides(path, tmp_path / "out" / "deck.slides.html", assets=assets)
        written = export.export_handout(path, tmp_path / "out" / "handout.html", assets=assets, pdf=False)
    messages = [str(w.message) for w in caught]
    assert any("cell 3: figure 1" in m for m in messages), messages
    assert any("cell 4: the Markdown image 'figures/scatter.png'" in m for m in messages), messages
    slides, handout = deck.read_text("utf-8"), written[0].read_text("utf-8")
    headings = [re.search(r"<h[12]>(.*?)</h[12]>", s).group(1) for s in _sections(slides)]
    assert headings == ["Visualization with Matplotlib", "Simple line plots", "Scatter plots", "Summary"]
    assert '<section data-state="ck-figure">\n<div' in slides  # the plot's slide is laid out as a figure
    for text in (slides, handout):
        assert "figures/scatter.png" not in re.sub(r'alt="[^"]*"', "", text)  # embedded, not linked
        assert text.count("data:image/png;base64") >= 2 and export.MISSING_ALT in text
        assert "MathJax.js" in text and export.image_problems(text) == []
        assert "Pakistan" not in text  # never this course's title
    assert '<span class="ck-lesson">Visualization with Matplotlib</span>' in handout
    assert "ck-course" not in handout
    with pytest.raises(NotebookError, match="cell 3: figure 1"):
        export.render_slides(path, strict=True)


def test_handout_paper_size_is_a4_unless_letter_is_asked_for(rendered):
    assert "@page { size: A4;" in rendered["handout"]
    assert "@page { size: letter;" in export.render_handout(lesson(), name="x", paper="letter")
    with pytest.raises(CourseError, match="Unknown paper size"):
        export.render_handout(lesson(), name="x", paper="a5")


def test_learner_guides_become_pages_and_links_point_at_them(tmp_path):
    from coursekit.export.learnerpages import learner_pages, write_learner_pages

    root = tmp_path / "course"
    (root / "learners").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "learners" / "glossary.md").write_text(
        '# Glossary\n\n<a id="fatf"></a>\n## FATF\n\nThe Financial Action Task Force.\n', "utf-8")
    (root / "learners" / "setup.md").write_text("# Setup\n\nSee the [glossary](glossary.md#fatf).\n", "utf-8")
    pages = write_learner_pages(root, tmp_path / "build")
    glossary = (tmp_path / "build" / "learners" / "glossary.html").read_text("utf-8")
    assert '<a id="fatf"></a>' in glossary and "<h2" in glossary and '<html lang="en">' in glossary
    assert 'href="glossary.html#fatf"' in (tmp_path / "build" / "learners" / "setup.html").read_text("utf-8")
    assert len(pages) == 2
    nb = lesson(extra=[_cell("md", "The [FATF](../learners/glossary.md#fatf) list.")])
    path = root / "notebooks" / "04-test.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "build" / "slides"
    text = export.render_slides(path, out_dir=out, pages=learner_pages(root, tmp_path / "build"))
    assert 'href="../learners/glossary.html#fatf"' in text


@pytest.mark.parametrize("kind", ["slides", "handout"])
def test_a_generated_dollar_shows_as_a_dollar_sign_in_exports(kind):
    from coursekit.data import markdown_text

    text = markdown_text("The pipeline was costed at about $2bn; the mill at $1.62 billion.")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Costs"),
        nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("display_data",
                                                                   {"text/markdown": text})])])
    html = (export.render_slides if kind == "slides" else export.render_handout)(nb, name="costs")
    shown = re.sub(r"<[^>]+>", "", html).replace("&#36;", "$")
    assert "about $2bn" in shown and "at $1.62 billion" in shown
    assert "\\$" not in shown   # nbconvert would show JupyterLab's spelling raw
