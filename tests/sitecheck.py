"""Helpers of the browser test: walk a deck's slides, draw its contact sheet, check links.

Kept apart from ``test_browser.py`` so that a person can run them by hand on a real build::

    python -c "import sys; sys.path.insert(0, 'tests'); import sitecheck; print(sitecheck.broken_links('build'))"
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from urllib.parse import unquote

from coursekit.export.render import WAIT_FOR_PAGE

__all__ = ["WALK_SLIDES", "WAIT_FOR_MATH", "overflowing", "contact_sheet", "heading_skips",
           "broken_links"]

WAIT_FOR_MATH = WAIT_FOR_PAGE

# Every slide and every fragment, in presentation order, through Reveal's own API; at each
# step the current slide's content is measured against its frame (1280×720 layout pixels,
# whatever the window: reveal scales the frame, not the layout).
WALK_SLIDES = """async () => {
  Reveal.configure({transition: 'none', backgroundTransition: 'none'});
  Reveal.slide(0, 0, -1);
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const steps = [];
  for (let guard = 0; guard < 5000; guard++) {
    await frame();
    if (window.MathJax && MathJax.Hub) { await new Promise(r => MathJax.Hub.Queue(r)); await frame(); }
    const s = Reveal.getCurrentSlide(), i = Reveal.getIndices();
    const h = s.querySelector('h1, h2, h3, h4, h5, h6');
    const box = s.getBoundingClientRect();
    const scale = box.height / s.offsetHeight || 1;
    let below = 0;
    for (const e of s.querySelectorAll('*')) {
      if (e.closest('aside.notes, .MJX_Assistive_MathML')) continue;
      const r = e.getBoundingClientRect();
      if (r.height) below = Math.max(below, (r.bottom - box.bottom) / scale, (r.right - box.right) / scale);
      // Content reachable only by scrolling inside an element (a tall <pre>, a wide table).
      // (MathJax clips its own measuring boxes on purpose: not content.)
      if (e.closest('.MathJax, .MathJax_Display, .MathJax_Preview, .MJX_Assistive_MathML')) continue;
      const cs = getComputedStyle(e), clips = /(auto|scroll|hidden)/;
      if (clips.test(cs.overflowY) && e.clientHeight) below = Math.max(below, e.scrollHeight - e.clientHeight);
      if (clips.test(cs.overflowX) && e.clientWidth) below = Math.max(below, e.scrollWidth - e.clientWidth);
    }
    steps.push({h: i.h, v: i.v || 0, f: i.f === undefined ? -1 : i.f,
                number: Reveal.getSlidePastCount() + 1,
                heading: h ? h.innerText.trim() : '(no heading)',
                over: Math.max(s.scrollHeight - s.clientHeight, s.scrollWidth - s.clientWidth, below),
                fit: s.dataset.ckFit || ''});
    if (Reveal.isLastSlide() && !Reveal.availableFragments().next) break;
    Reveal.next();
  }
  return steps;
}"""


def overflowing(steps: list[dict], tolerance: int = 2) -> list[str]:
    """One message per slide whose content ran past its frame: slide number, heading, pixels."""
    found = {}
    for step in steps:
        if step["over"] > tolerance:
            key = (step["h"], step["v"])
            found[key] = max(found.get(key, (0, ""))[0], step["over"]), step
    return [f"slide {s['number']} ({s['heading']!r}) overflows by {over:.0f} px"
            for over, s in sorted(found.values(), key=lambda x: x[1]["number"])]


def contact_sheet(page, path: Path, columns: int = 6, width: int = 320) -> Path:
    """Save one PNG with a thumbnail of every slide of the deck open in ``page`` (all fragments shown)."""
    from PIL import Image

    indices = page.evaluate("Reveal.getSlides().map(s => Reveal.getIndices(s))")
    height = round(width * 9 / 16)
    rows = (len(indices) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * width, rows * height), "#6b7280")
    for number, where in enumerate(indices):
        page.evaluate(f"Reveal.slide({where['h']}, {where.get('v') or 0}, 1000)")
        page.wait_for_timeout(30)
        shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
        shot.thumbnail((width - 4, height - 4))
        sheet.paste(shot, ((number % columns) * width + 2, (number // columns) * height + 2))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path


def heading_skips(page) -> list[str]:
    """Headings that skip a level (an h2 followed by an h4), outside speaker notes."""
    levels = page.evaluate("""[...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
        .filter(h => !h.closest('aside.notes')).map(h => [Number(h.tagName[1]), h.innerText.trim()])""")
    problems, previous = [], 0
    for level, text in levels:
        if level > previous + 1:
            problems.append(f"heading {text[:60]!r} is h{level} after h{previous or '-'}")
        previous = level
    return problems


_REF = re.compile(r"""<(?:a|link|script|img|iframe|source)\b[^>]*?\b(href|src)\s*=\s*["']([^"']*)["']""", re.I)
_ID = re.compile(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.I)


def broken_links(folder: str | Path) -> tuple[list[str], int]:
    """Every ``href``/``src`` of every HTML page under ``folder`` (outside ``assets/``) that
    does not resolve to a file (and anchor) inside ``folder``; and how many were checked."""
    folder = Path(folder).resolve()
    problems, checked, ids = [], 0, {}
    for page in sorted(folder.rglob("*.html")):
        if "assets" in page.relative_to(folder).parts:
            continue
        text = page.read_text(encoding="utf-8", errors="replace")
        for _, ref in _REF.findall(text):
            ref = html.unescape(ref).strip()
            if not ref or ref.startswith(("data:", "#/", "javascript:", "mailto:")) or ref == "#":
                continue
            checked += 1
            where = f"{page.relative_to(folder)}: {ref}"
            if re.match(r"[a-z][a-z0-9+.-]*:|//", ref, re.I):
                problems.append(f"{where}: not a relative link")
                continue
            path, _, fragment = ref.split("?")[0].partition("#")
            target = (page.parent / unquote(path)).resolve() if path else page
            if not target.is_relative_to(folder):
                problems.append(f"{where}: leaves the build folder")
            elif not target.exists():
                problems.append(f"{where}: no such file")
            elif fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = set(_ID.findall(target.read_text(encoding="utf-8", errors="replace")))
                if unquote(fragment) not in ids[target]:
                    problems.append(f"{where}: no anchor #{fragment} in {target.name}")
    return problems, checked
