"""Every deck and handout, opened in a real headless Chromium with the network cut off.

Each page is loaded from a ``file:`` URL; any other request (http, https, ws...) is aborted and
counted. A deck must report Reveal ready, have as many slides as the notebook's slide cells
say, move to the next slide, carry its speaker notes (the speaker view opens with ``s``), and
log no console error; a handout must load with no error and no image without alt text. The
first slide of every deck is saved as a screenshot in ``build/screenshots/``.

The decks are exported from the committed lessons as saved (no kernel is started) plus a demo
lesson built here. Without Chromium (Debian's ``chromium``) or Playwright the tests are skipped
with the reason, unless ``COURSEKIT_REQUIRE_BROWSER=1`` (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
import yaml
from fake_course import demo_lesson

from coursekit import export
from coursekit.solutions import has_solution

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = Path(os.environ.get("COURSEKIT_SCREENSHOTS", ROOT / "build" / "screenshots"))
REQUIRED = os.environ.get("COURSEKIT_REQUIRE_BROWSER") == "1"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
LOCAL = ("file:", "data:", "blob:", "about:")


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
NOTEBOOKS = [DEMO, *(p.name for p in _lessons())]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """Decks and handouts of the demo lesson and every committed lesson, exported as saved.

    Each lesson is first copied to ``site/source``: the decks and the slide counts expected of
    them come from the same snapshot, even while someone saves a lesson.
    """
    site = tmp_path_factory.mktemp("site")
    assets = export.install_assets(site / "assets")
    sources = site / "source"
    sources.mkdir()
    extra = [nbformat.v4.new_markdown_cell("Math, typeset offline: $x^2 + 1$.")]
    nbformat.write(demo_lesson(extra=extra), sources / DEMO)
    for lesson in _lessons():
        (sources / lesson.name).write_bytes(lesson.read_bytes())
    for path in sorted(sources.glob("*.ipynb")):
        export.export_slides(path, site / "slides" / f"{path.stem}.slides.html", assets=assets)
        export.export_handout(path, site / "handouts" / f"{path.stem}.html", assets=assets,
                              pdf=False)
    return site


def _source(name: str, site: Path) -> nbformat.NotebookNode:
    return nbformat.read(site / "source" / name, as_version=4)


def _slide_type(cell) -> str:
    return (cell.metadata.get("slideshow") or {}).get("slide_type") or "-"


def expected_slides(nb) -> tuple[int, int, int]:
    """(horizontal slides, all slides, notes) that the notebook's slide metadata asks for.

    Hidden cells (setup, solution, navigation tags; solution regions; skip) make no slide; the
    first shown cell starts one; the objectives move onto the title slide, and a cell that held
    nothing else disappears, the cell after it starting the slide it would have started.
    """
    shown = [c for c in nb.cells
             if not set(c.metadata.get("tags", [])) & export.HIDDEN_IN_SLIDES
             and not (c.cell_type in {"code", "markdown"} and "SOLUTION" in c.source.upper()
                      and has_solution(c.source))
             and _slide_type(c) != "skip"]
    notes = sum(_slide_type(c) == "notes" for c in shown)
    cells = [c for c in shown if _slide_type(c) != "notes"]
    kinds = [_slide_type(c) for c in cells]
    title = next((i for i, c in enumerate(cells[:3]) if c.cell_type == "markdown"
                  and re.search(r"^#\s+\S", c.source, re.M)), None)
    if title is None:
        cells.insert(0, None)
        kinds.insert(0, "slide")
        title = 0
    kinds[0] = "slide"
    for i, c in enumerate(cells):
        if i == title or c is None or c.cell_type != "markdown":
            continue
        match = re.search(r"^(#+)\s*Learning objectives\b.*$", c.source, re.M | re.I)
        if match is None:
            continue
        after = c.source[match.end():]
        following = re.search(rf"^#{{1,{len(match.group(1))}}}\s+\S", after, re.M)
        rest = c.source[:match.start()] + (after[following.start():] if following else "")
        if not rest.strip():
            started = kinds.pop(i)
            if started in {"slide", "subslide"} and i < len(kinds) and kinds[i] not in {"slide", "subslide"}:
                kinds[i] = started
        break
    return kinds.count("slide"), kinds.count("slide") + kinds.count("subslide"), notes


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


def _open(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    watch = Watch(context)
    page = watch.page(context.new_page())
    page.goto(url, wait_until="load")
    return context, page, watch


def test_a_remote_request_is_caught_so_the_offline_checks_can_fail(browser, tmp_path):
    page_file = tmp_path / "remote.html"
    page_file.write_text('<!DOCTYPE html><img src="https://example.org/x.png" alt="x">', "utf-8")
    context, page, watch = _open(browser, page_file.as_uri())
    page.wait_for_timeout(300)
    context.close()
    assert watch.blocked == ["https://example.org/x.png"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_deck_works_offline_in_chromium(browser, site, name):
    nb = _source(name, site)
    horizontal, total, notes = expected_slides(nb)
    deck = site / "slides" / f"{Path(name).stem}.slides.html"
    context, page, watch = _open(browser, deck.as_uri())
    try:
        page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=20_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{Path(name).stem}.png"))
        assert page.evaluate("Reveal.getHorizontalSlides().length") == horizontal
        assert page.evaluate("Reveal.getTotalSlides()") == total
        assert page.locator("aside.notes").count() == notes
        assert notes > 0, f"{name} has no speaker notes (cells of slide type 'notes')"
        if horizontal > 1:
            page.keyboard.press("ArrowRight")
            page.wait_for_function("Reveal.getIndices().h === 1", timeout=5_000)
        alts = page.evaluate("[...document.images].map(i => i.getAttribute('alt'))")
        assert all(alt and alt.strip().lower().rstrip('.') not in export.GENERIC_ALT for alt in alts)
        # The speaker view opens (press s) and shows the notes of a slide that has some.
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
    assert watch.blocked == [], f"{name} tried the network: {watch.blocked[:3]}"
    assert watch.failed == [], f"{name} has missing local files: {watch.failed[:3]}"
    assert watch.errors == [], f"{name} logged console errors: {watch.errors[:3]}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_handout_works_offline_in_chromium(browser, site, name):
    handout = site / "handouts" / f"{Path(name).stem}.html"
    context, page, watch = _open(browser, handout.as_uri())
    try:
        page.evaluate(export.WAIT_FOR_PAGE)
        alts = page.evaluate("[...document.images].map(i => i.getAttribute('alt'))")
        figures = sum(1 for c in _source(name, site).cells for o in c.get("outputs", [])
                      if "image/png" in o.get("data", {}))
        assert len(alts) >= figures
        assert all(alt and alt.strip().lower().rstrip('.') not in export.GENERIC_ALT for alt in alts)
        if name == DEMO:  # MathJax ran from the local copy
            assert page.locator(".MathJax, .MathJax_Display").count() > 0
        assert page.locator(".ck-handout-header").count() == 1
    finally:
        context.close()
    assert watch.blocked == [], f"{name} tried the network: {watch.blocked[:3]}"
    assert watch.failed == [], f"{name} has missing local files: {watch.failed[:3]}"
    assert watch.errors == [], f"{name} logged console errors: {watch.errors[:3]}"
