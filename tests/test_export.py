"""coursekit.export: offline decks and handouts that keep alt text, notes and hide what they must.

Every test renders small notebooks built here (no kernel is started), so the file runs fast.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from fake_course import ALT, demo_png
from fake_course import cell as _cell
from fake_course import demo_lesson as lesson

from coursekit import export
from coursekit.errors import NotebookError


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
def test_a_figure_without_real_alt_text_stops_the_export_naming_the_cell(alt):
    with pytest.raises(NotebookError, match=r"04-test.ipynb, cell 7: a figure has no alt text"):
        export.render_slides(lesson(figure_alt=alt), name="04-test.ipynb")


def test_a_markdown_image_without_alt_text_is_refused():
    nb = lesson(extra=[_cell("md", f"![](data:image/png;base64,{demo_png()})")])
    with pytest.raises(NotebookError, match="no real alt text"):
        export.render_handout(nb, name="x.ipynb")


def test_speaker_notes_reach_the_slides_but_not_the_handout(rendered):
    notes = re.findall(r'<aside class="notes">(.*?)</aside>', rendered["slides"], re.S)
    assert len(notes) == 1 and "Stress the 23-year gap" in notes[0]
    assert "Stress the 23-year gap" not in rendered["handout"]


def test_setup_solution_and_navigation_cells_are_hidden_from_slides(rendered):
    slides = rendered["slides"]
    for marker in ("SETUP-MARKER", "SOLUTION-MARKER", "TAGGED-SOLUTION", "**Previous:**", "Previous:"):
        assert marker not in slides, marker
    assert "print" in slides  # ordinary code stays


def test_handouts_keep_setup_code_but_never_solutions(rendered):
    handout = rendered["handout"]
    assert "SETUP-MARKER" in handout
    assert "SOLUTION-MARKER" not in handout and "TAGGED-SOLUTION" not in handout


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
    """Title, questions, section (+ subslide), key points: four slides, one with a subslide."""
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


def test_handout_has_code_outputs_and_course_header(rendered):
    handout = rendered["handout"]
    assert "print" in handout and "42" in handout
    assert "ck-handout-header" in handout and "04 · A test lesson" in handout


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
    assert cli.main(["slides", str(broken), "-o", str(out)]) == 1
    assert "05-broken.ipynb, cell 7" in capsys.readouterr().err
    json.loads(path.read_text(encoding="utf-8"))  # the source notebook is untouched JSON
