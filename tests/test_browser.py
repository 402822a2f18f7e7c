"""Every deck, handout and page, opened in a real headless Chromium with the network cut off.

The site is laid out as ``coursekit build`` lays out ``build/`` (slides, handouts, the learner
guides as pages, the index), exported from the committed lessons as saved (no kernel is
started), plus a demo lesson and a notebook shaped like an ordinary public teaching notebook
(no slide metadata, a figure without alt text, maths, a local Markdown image). Any request
that is not ``file:`` or ``data:`` is aborted and counted.

- Decks: Reveal is ready, speaker notes open with ``s``; every slide and fragment is walked
  with Reveal's API at 1280×720 and 1024×768 and no slide's content may run past its frame
  (the failure names the deck, the slide number and its heading). A contact sheet, one PNG
  per deck with a thumbnail of every slide, goes to ``build/contact-sheets/``.
- Handouts: printed to PDF by the local Chromium; at most 10 pages, A4 (Letter on request).
- axe-core (from the ``axe-playwright-python`` wheel, offline) on every deck (all slides at
  once, in reveal's print layout), handout, the index, a learner page and a grading feedback
  page: no serious or critical violation; headings never skip a level.
- Links: the site is copied to another folder and every ``href`` and ``src`` must resolve
  there, anchors included.

Without Chromium (Debian's ``chromium``) or Playwright the tests are skipped with the reason,
unless ``COURSEKIT_REQUIRE_BROWSER=1`` (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
from pathlib import Path

import nbformat
import pytest
import sitecheck
import yaml
from fake_course import demo_lesson, public_notebook

from coursekit.build.index import index_html
from coursekit.build.plan import Job
from coursekit.export import render as export
from coursekit.export.learnerpages import learner_pages, write_learner_pages

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
SHEETS = Path(os.environ.get("COURSEKIT_CONTACT_SHEETS", BUILD / "contact-sheets"))
REQUIRED = os.environ.get("COURSEKIT_REQUIRE_BROWSER") == "1"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL = ("file:", "data:", "blob:", "about:")
SIZES = [(1280, 720), (1024, 768)]
MAX_PAGES = 10


def _unavailable(reason: str):
    if REQUIRED:
        pytest.fail(f"COURSEKIT_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    chromium = export.find_chromium()
    if chromium is None:
        _unavailable("no Chromium found (install Debian's chromium: apt-get install chromium, "
                     "or set COURSEKIT_CHROMIUM to a Chrome/Chromium executable)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        yield instance
        instance.close()


def _lessons() -> list[Path]:
    toc = yaml.safe_load((ROOT / "notebooks" / "toc.yml").read_text(encoding="utf-8"))
    return [ROOT / "notebooks" / e["file"] for e in toc["lessons"]
            if (ROOT / "notebooks" / e["file"]).is_file()]


DEMO = "04-demo.ipynb"
FOREIGN = "04.02-Simple-Line-Plots.ipynb"
LESSONS = [p.name for p in _lessons()]
NOTEBOOKS = [DEMO, FOREIGN, *LESSONS]
@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A build folder: decks, handouts (with PDFs), learner pages and the index, from the
    committed lessons as saved, a demo lesson and a foreign notebook.

    The lessons are copied to ``site/notebooks`` first (the course's own folder name, so
    they are exported as course notebooks: strictly), one snapshot even while someone saves.
    """
    site = tmp_path_factory.mktemp("site") / "build"
    assets = export.install_assets(site / "assets")
    course = site.parent / "course"
    (course / "notebooks").mkdir(parents=True)
    for folder in ("data", "learners"):
        shutil.copytree(ROOT / folder, course / folder)
    shutil.copy2(ROOT / "notebooks" / "toc.yml", course / "notebooks" / "toc.yml")
    extra = [nbformat.v4.new_markdown_cell("Math, typeset offline: $x^2 + 1$.")]
    nbformat.write(demo_lesson(extra=extra), course / "notebooks" / DEMO)
    for name in LESSONS:
        shutil.copy2(ROOT / "notebooks" / name, course / "notebooks" / name)
    foreign = public_notebook(site.parent / "handbook")
    shutil.copytree(course / "notebooks", site / "notebooks", ignore=shutil.ignore_patterns("*.yml"))
    write_learner_pages(course, site)
    pages = learner_pages(course, site)
    jobs = []
    with export.PdfPrinter() as printer, warnings.catch_warnings():
        warnings.simplefilter("ignore", export.ExportWarning)  # the foreign notebook's, tested elsewhere
        for path in [*sorted((course / "notebooks").glob("*.ipynb")), foreign]:
            export.export_slides(path, site / "slides" / f"{path.stem}.slides.html", assets=assets,
                                 pages=pages)
            export.export_handout(path, site / "handouts" / f"{path.stem}.html", assets=assets,
                                  printer=printer, pages=pages)
            outputs = [f"notebooks/{path.name}", f"slides/{path.stem}.slides.html",
                       f"handouts/{path.stem}.html", f"handouts/{path.stem}.pdf"]
            jobs.append(Job(f"notebooks/{path.name}", "lesson", str(path), path.stem, "", "", outputs))
    (site / "index.html").write_text(index_html(course, site, jobs, {}, []), "utf-8")
    (site / "feedback").mkdir()
    from coursekit.assess.feedback import render_page

    (site / "feedback" / "alice.html").write_text(render_page(
        student="alice.ipynb", exercise="01-timeline", title="Timeline", protection="guard",
        rows=[{"question": "ex01.n", "status": "incorrect", "points": 0, "max_points": 2,
               "message": "Not yet: count the rows.", "answer": "3"},
              {"question": "ex01.m", "status": "correct", "points": 1, "max_points": 1,
               "message": "Correct.", "answer": "5"}],
        notes=[]), "utf-8")
    return site


class Watch:
    """Counts blocked (non-file) requests, failed requests and console errors of one context."""

    def __init__(self, context):
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        context.route("**/*", self._route)
        context.on("request", self._request)
        context.on("requestfailed", lambda r: self.failed.append(f"{r.url[:120]} {r.failure}"))

    def _route(self, route):
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def _request(self, request):
        if not request.url.startswith(LOCAL):
            self.blocked.append(request.url)

    def page(self, page):
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    def assert_clean(self, name: str) -> None:
        assert self.blocked == [], f"{name} tried the network: {self.blocked[:3]}"
        assert self.failed == [], f"{name} has missing local files: {self.failed[:3]}"
        assert self.errors == [], f"{name} logged console errors: {self.errors[:3]}"


def _open(browser, url: str, size=(1280, 720), **options):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, **options)
    watch = Watch(context)
    page = watch.page(context.new_page())
    page.goto(url, wait_until="load")
    return context, page, watch


def _deck(site: Path, name: str) -> Path:
    return site / "slides" / f"{Path(name).stem}.slides.html"


def test_a_remote_request_is_caught_so_the_offline_checks_can_fail(browser, tmp_path):
    page_file = tmp_path / "remote.html"
    page_file.write_text('<!DOCTYPE html><img src="https://example.org/x.png" alt="x">', "utf-8")
    context, page, watch = _open(browser, page_file.as_uri())
    page.wait_for_timeout(300)
    context.close()
    assert watch.blocked == ["https://example.org/x.png"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_deck_works_offline_with_speaker_notes(browser, site, name):
    nb = nbformat.read(site / "notebooks" / name, as_version=4) if name != FOREIGN else None
    context, page, watch = _open(browser, _deck(site, name).as_uri())
    try:
        page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=20_000)
        assert page.evaluate("Reveal.getTotalSlides()") > 2
        alts = page.evaluate("[...document.images].map(i => i.getAttribute('alt'))")
        assert all(alt and alt.strip().lower().rstrip('.') not in export.GENERIC_ALT for alt in alts)
        if nb is not None:  # every notes cell reaches the deck, and the speaker view shows one
            notes = sum((c.metadata.get("slideshow") or {}).get("slide_type") == "notes" for c in nb.cells
                        if not set(c.metadata.get("tags", [])) & export.HIDDEN_IN_SLIDES)
            assert page.locator("aside.notes").count() == notes > 0
            where = page.evaluate("""(() => { const s = Reveal.getSlides().find(
                x => (Reveal.getSlideNotes(x) || '').trim()); return Reveal.getIndices(s); })()""")
            page.evaluate(f"Reveal.slide({where['h']}, {where['v'] or 0})")
            with page.expect_popup() as popup_info:
                page.keyboard.press("s")
            speaker = watch.page(popup_info.value)
            speaker.wait_for_load_state("load")
            speaker.wait_for_function(
                "(document.querySelector('.speaker-controls-notes') || {innerText: ''}).innerText.trim()"
                ".length > 'NOTES'.length", timeout=10_000)
            page.wait_for_timeout(200)
    finally:
        context.close()
    watch.assert_clean(name)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_slide_fits_its_frame(browser, site, name, size):
    context, page, watch = _open(browser, _deck(site, name).as_uri(), size)
    try:
        page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=20_000)
        page.evaluate(sitecheck.WAIT_FOR_MATH)
        steps = page.evaluate(sitecheck.WALK_SLIDES)
        if size == SIZES[0]:
            SHEETS.mkdir(parents=True, exist_ok=True)
            sitecheck.contact_sheet(page, SHEETS / f"{Path(name).stem}.png")
    finally:
        context.close()
    slides = {(s["h"], s["v"]) for s in steps}
    assert len(slides) == steps[-1]["number"], "the walk missed slides"
    bad = sitecheck.overflowing(steps)
    assert not bad, f"{_deck(site, name).name} at {size[0]}×{size[1]}: " + "; ".join(bad)
    watch.assert_clean(name)


def test_the_fit_check_catches_a_slide_that_overflows(browser, tmp_path, site):
    """The overflow walk is not blind: a Markdown block no layout can cut must be reported."""
    tall = "```\n" + "\n".join(f"line {i}" for i in range(60)) + "\n```"
    nb = demo_lesson(extra=[nbformat.v4.new_markdown_cell("## Too tall\n\n" + tall)])
    nb.cells[-3].metadata["slideshow"] = {"slide_type": "slide"}
    deck = export.export_slides(nb, site / "slides" / "99-too-tall.slides.html", assets=site / "assets")
    try:
        context, page, _ = _open(browser, deck.as_uri())
        page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=20_000)
        bad = sitecheck.overflowing(page.evaluate(sitecheck.WALK_SLIDES))
        context.close()
    finally:
        deck.unlink()
    assert len(bad) == 1 and re.match(r"slide \d+ \('Too tall'\) overflows by \d+ px", bad[0]), bad


def _full_text_table_output(rows: int = 4):
    """An output cell as ``coursekit.tables.show`` makes it: layout written on every cell."""
    import pandas as pd

    from coursekit import tables

    frame = pd.DataFrame({"event_id": [f"T{i:03d}" for i in range(rows)],
                          "what happened": ["A sentence long enough to wrap in a narrow column " * 2] * rows})
    data = {"text/html": tables.show(frame)._repr_html_(), "text/plain": "table"}
    return nbformat.v4.new_code_cell("tables.show(rows)", outputs=[
        nbformat.v4.new_output("execute_result", data=data, execution_count=1)])


def test_a_full_text_table_is_set_in_the_type_the_layout_models(browser, tmp_path, site):
    """The cause of issue 10's overflowing slides and long handouts: ``tables.show`` writes
    ``font-size:0.95em`` and roomy padding on its cells, which beat the stylesheets, so a
    table on a slide was set in 25 px type where slidefit counts 16 px, and printed in 9.5 pt
    with JupyterLab's fixed (equal) column widths. The slide and print styles must win."""
    nb = demo_lesson(extra=[nbformat.v4.new_markdown_cell("## A full-text table"), _full_text_table_output()])
    deck = export.export_slides(nb, site / "slides" / "98-table.slides.html", assets=site / "assets")
    handout = export.export_handout(nb, site / "handouts" / "98-table.html", assets=site / "assets",
                                    pdf=False)[0]
    style = """(() => { const t = document.querySelector('table.coursekit-table');
        const td = t.querySelector('td'), cs = getComputedStyle(td);
        return {font: getComputedStyle(t).fontSize, pad: cs.paddingTop, line: cs.lineHeight,
                layout: getComputedStyle(t).tableLayout,
                widths: [...td.parentElement.cells].map(c => c.offsetWidth)}; })()"""
    try:
        context, page, _ = _open(browser, deck.as_uri())
        page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=20_000)
        on_slide = page.evaluate(style)
        context.close()
        context, page, _ = _open(browser, handout.as_uri())
        page.emulate_media(media="print")
        on_paper = page.evaluate(style)
        context.close()
    finally:
        deck.unlink()
        handout.unlink()
    assert on_slide["font"] == "16px" and on_slide["pad"] == "3px", on_slide  # slidefit's TABLE_LINE model
    assert on_paper["font"] == "10px" and on_paper["layout"] == "auto", on_paper  # 7.5 pt, sized by text
    assert on_paper["widths"][1] > 3 * on_paper["widths"][0], on_paper  # the sentence gets the room


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_handout_works_offline_and_prints_to_at_most_ten_a4_pages(browser, site, name):
    handout = site / "handouts" / f"{Path(name).stem}.html"
    context, page, watch = _open(browser, handout.as_uri())
    try:
        page.evaluate(export.WAIT_FOR_PAGE)
        alts = page.evaluate("[...document.images].map(i => i.getAttribute('alt'))")
        assert alts and all(alt and alt.strip().lower().rstrip('.') not in export.GENERIC_ALT for alt in alts)
        if name in {DEMO, FOREIGN}:  # MathJax ran from the local copy
            assert page.locator(".MathJax, .MathJax_Display").count() > 0
        assert page.locator(".ck-handout-header").count() == 1
        assert page.locator(".jp-CodeCell .jp-InputArea").count() == 0  # code is left out by default
    finally:
        context.close()
    watch.assert_clean(name)
    pages, size = export.pdf_pages(handout.with_suffix(".pdf"))
    assert pages <= MAX_PAGES, f"{handout.with_suffix('.pdf').name}: {pages} pages (at most {MAX_PAGES})"
    assert [round(x) for x in size] == [595, 842], f"not A4: {size}"


def test_a_letter_handout_is_printed_on_letter_paper(site, tmp_path):
    written = export.export_handout(site / "notebooks" / DEMO, tmp_path / "demo.html",
                                    assets=site / "assets", pdf=True, paper="letter")
    pages, size = export.pdf_pages(written[-1])
    assert [round(x) for x in size] == [612, 792] and pages >= 1


def _axe_pages(site: Path) -> list[tuple[str, str]]:
    pages = [(f"deck {n}", _deck(site, n).as_uri() + "?print-pdf") for n in NOTEBOOKS]
    pages += [(f"handout {n}", (site / "handouts" / f"{Path(n).stem}.html").as_uri()) for n in NOTEBOOKS]
    pages += [("index", (site / "index.html").as_uri()),
              ("glossary", (site / "learners" / "glossary.html").as_uri()),
              ("setup guide", (site / "learners" / "setup.html").as_uri()),
              ("feedback page", (site / "feedback" / "alice.html").as_uri())]
    return pages


def test_axe_finds_no_serious_or_critical_violation_and_headings_are_in_order(browser, site):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems, checked = [], 0
    for label, url in _axe_pages(site):
        context, page, _ = _open(browser, url, bypass_csp=True)
        try:
            if "slides.html" in url:
                page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=20_000)
            page.evaluate(sitecheck.WAIT_FOR_MATH)
            results = axe.run(page).response
            problems += [f"{label}: {v['id']} ({v['impact']}): {v['help']} at "
                         f"{v['nodes'][0]['target']}" for v in results["violations"]
                         if v["impact"] in {"serious", "critical"}]
            checked += len(results.get("passes", [])) or 1
            problems += [f"{label}: {p}" for p in sitecheck.heading_skips(page)]
        finally:
            context.close()
    assert checked, "axe checked nothing"
    assert not problems, "\n".join(problems[:20])


def test_axe_would_catch_poor_contrast(browser, tmp_path):
    """The axe run is not blind: light grey text on white is a serious violation."""
    from axe_playwright_python.sync_playwright import Axe

    page_file = tmp_path / "grey.html"
    page_file.write_text('<!DOCTYPE html><html lang="en"><title>t</title><main><h1>T</h1>'
                         '<p style="color:#bbb">faint</p></main></html>', "utf-8")
    context, page, _ = _open(browser, page_file.as_uri())
    ids = [v["id"] for v in Axe().run(page).response["violations"]]
    context.close()
    assert "color-contrast" in ids


def test_every_link_resolves_after_the_build_folder_is_moved(site, tmp_path):
    moved = tmp_path / "usb-stick" / "course"
    shutil.copytree(site, moved)
    problems, checked = sitecheck.broken_links(moved)
    assert checked > 50, f"only {checked} links checked"
    assert not problems, "\n".join(problems[:20])
