"""The learners' Markdown guides (``learners/*.md``) as HTML pages inside ``build/``.

Decks and handouts link the glossary and the set-up guide; pointing them at the Markdown
files would leave ``build/`` (and a browser would show the Markdown raw), so the build renders
each guide to ``build/learners/NAME.html`` with nbconvert's own Markdown filter (mistune, the
renderer that draws the notebooks' Markdown cells, so a term looks the same in both) and
re-points every link there.

>>> "<h1" in render_markdown("# Glossary")
True
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from coursekit.course.files import atomic_write_text

__all__ = ["learner_pages", "write_learner_pages", "render_markdown", "PAGE_CSS"]

PAGE_CSS = """body { font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto;
  padding: 0 1rem; color: #1f2328; line-height: 1.5; }
h1 { color: #0b3d5c; border-bottom: 4px solid #0072b2; padding-bottom: .3rem; }
h2 { color: #0b3d5c; margin-top: 1.6rem; } a { color: #005a8c; text-decoration: underline; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; background: #f3f4f6; }
pre { padding: .6rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.ck-link-url { color: #4b5563; overflow-wrap: anywhere; }
nav { margin-bottom: 1rem; }"""


def render_markdown(text: str) -> str:
    """Markdown to HTML with nbconvert's filter (raw HTML such as ``<a id="...">`` is kept)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(text)


def _slug(text: str) -> str:
    """GitHub's anchor for a heading, so links written for GitHub work here too.

    >>> _slug("5. Open the first lesson")
    '5-open-the-first-lesson'
    """
    text = re.sub(r"<[^>]+>", "", html.unescape(text)).strip().lower()
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def _anchor_headings(body: str) -> str:
    """Give each heading GitHub's anchor (nbconvert's keeps capitals) and drop the pilcrow link."""
    def add(match: re.Match) -> str:
        level, inner = match.group(1), re.sub(r'<a class="anchor-link"[^>]*>.*?</a>', "", match.group(2))
        return f'<h{level} id="{_slug(inner)}">{inner}</h{level}>'

    return re.sub(r"<h([1-6])(?:\s[^>]*)?>(.*?)</h\1>", add, body, flags=re.S)


def learner_pages(root: Path, out: Path) -> dict[Path, Path]:
    """Map each rendered source file to its page in ``out``: the guides, and the lessons'
    executed copies (which the guides link)."""
    pages = {p: out / "learners" / f"{p.stem}.html" for p in sorted((root / "learners").glob("*.md"))}
    return pages


def write_learner_pages(root: Path, out: Path) -> list[Path]:
    """Render every ``learners/*.md`` into ``out/learners/`` (atomically); return the pages."""
    pages = learner_pages(root, out)
    links = {**pages, **{p: out / "notebooks" / p.name for p in (root / "notebooks").glob("*.ipynb")}}
    written = []
    code = Path(__file__).stat().st_mtime
    for source, target in pages.items():
        # Unchanged since the last build: not rendered again (a rebuild with nothing changed
        # must not pay for importing nbconvert's Markdown renderer).
        if target.is_file() and target.stat().st_mtime >= max(source.stat().st_mtime, code):
            written.append(target)
            continue
        from coursekit.export.prepare import rewrite_links

        text = source.read_text(encoding="utf-8")
        heading = re.search(r"^#\s+(.+)$", text, re.M)
        title = heading.group(1).strip() if heading else source.stem
        body = rewrite_links(_anchor_headings(render_markdown(text)), notebook_suffix=".ipynb",
                             source_dir=source.parent, out_dir=target.parent, pages=links,
                             name=str(source.relative_to(root)))
        page = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{html.escape(title)}</title>\n<style>\n{PAGE_CSS}\n</style>\n</head>\n"
                f'<body>\n<nav><a href="../index.html">Course index</a></nav>\n<main>\n{body}\n'
                "</main>\n</body>\n</html>\n")
        written.append(atomic_write_text(target, page))
    return written
