"""Stand-alone HTML pages (the build's index, grading feedback) rendered from Jinja templates.

The templates live in ``templates/pages/``; autoescaping is on, so every value a page shows
(a student's file name, a message) is HTML-escaped unless a template marks it safe, and an
undefined name is an error rather than an empty string.

>>> page = render("feedback.html.j2", csp="default-src 'none'", style="", heading="01 · Timeline",
...               student="<b>.ipynb", warning="", earned="0", auto_max="2", manual=0, rows=[],
...               notes=[], protection="guard")
>>> "&lt;b&gt;.ipynb" in page, "<b>" in page
(True, False)
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

__all__ = ["render", "TEMPLATES"]

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "pages"


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              trim_blocks=True, lstrip_blocks=True)


def render(name: str, **context) -> str:
    """Render template ``name`` from ``templates/pages/`` with ``context``."""
    return _environment().get_template(name).render(**context)
