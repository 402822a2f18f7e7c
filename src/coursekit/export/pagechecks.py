"""Checks on an exported page: nothing loaded from the network, every image with real alt text.

>>> offline_problems('<script src="https://cdn.example.org/reveal.js"></script>')
['src="https://cdn.example.org/reveal.js"']
>>> offline_problems('<link rel="stylesheet" href="../assets/reveal.js/dist/reveal.css">')
[]
>>> image_problems('<img src="data:image/png;base64,AAAA" alt="Image">')
['an image has no real alt text (alt="Image")']
"""

from __future__ import annotations

import html as htmllib
import re

from coursekit.plots import is_generic_alt

__all__ = ["offline_problems", "image_problems", "MISSING_ALT"]


# The placeholder a foreign notebook's image gets when it has no alt text (with a warning).
MISSING_ALT = "Description missing: the notebook gives no alt text for this image"


_REMOTE_ATTR = re.compile(
    r"""\b(src|href|srcset|poster|data|action|background)\s*=\s*(["']?)\s*((?:https?:)?//[^"'\s>]*)""",
    re.I)
_REMOTE_CSS = re.compile(r"""url\(\s*(["']?)\s*((?:https?:)?//[^"')\s]*)""", re.I)
_REMOTE_IMPORT = re.compile(
    r"""(@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//[^"')\s;]*"""
    r"""|\bimport\s*\(\s*["'](?:https?:)?//[^"']*"""
    r"""|\bimport\s+[^;'"]*?\bfrom\s*["'](?:https?:)?//[^"']*"""
    r"""|\bimport\s*["'](?:https?:)?//[^"']*)""", re.I)


def offline_problems(text: str) -> list[str]:
    """Return every remote (``http:``, ``https:`` or protocol-relative) reference in ``text``.

    It scans HTML attributes (``src``, ``href``, ``srcset``...), CSS ``url()`` and ``@import``,
    and JavaScript ``import`` statements and calls. An empty list means the page or style sheet
    loads nothing from the network.

    Args:
        text: an HTML page, a CSS file or a script.

    Returns:
        The offending fragments, in order of appearance.

    >>> offline_problems("body { background: url('https://x.org/a.png') }")
    ["url('https://x.org/a.png"]
    >>> offline_problems("import mermaid from 'https://cdn.x/mermaid.mjs';")
    ["import mermaid from 'https://cdn.x/mermaid.mjs"]
    """
    found = []
    for match in _REMOTE_ATTR.finditer(text):
        found.append((match.start(), f'{match.group(1)}="{match.group(3)}"'))
    imports = [(m.start(), m.end()) for m in _REMOTE_IMPORT.finditer(text)]
    for start, end in imports:
        found.append((start, text[start:end]))
    for match in _REMOTE_CSS.finditer(text):
        if not any(start <= match.start() < end for start, end in imports):  # @import url(...)
            found.append((match.start(), match.group(0)))
    return [fragment for _, fragment in sorted(found)]


_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


def image_problems(text: str) -> list[str]:
    """Return a problem for every ``<img>`` in ``text`` whose alt text is missing or generic.

    >>> image_problems('<img src="a.png" alt="Bar chart of trade, 2017 to 2022, in USD million.">')
    []
    >>> image_problems('<img src="a.png">')
    ['an image has no alt attribute']
    """
    problems = []
    for tag in _IMG.findall(text):
        match = _ALT.search(tag)
        if match is None:
            problems.append("an image has no alt attribute")
            continue
        alt = htmllib.unescape(next(g for g in match.groups() if g is not None))
        if is_generic_alt(alt):
            problems.append(f'an image has no real alt text (alt="{alt}")')
    return problems


