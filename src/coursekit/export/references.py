"""References: a figure's source line made short, a lesson's Sources section gathered up.

A deck puts the full references on closing slides and a handout in a compact list at its
end; under a figure only "who, when" remains.

>>> short_sources("*Source:* Dawn (2022-02-24). US aware. https://x.example; Geo News (n.d.). Lands. https://y")
'Dawn, 2022-02-24; Geo News, n.d.'
>>> unique_references(["`a`: Dawn (2022). T. https://x", "Dawn (2022). T. https://x"])
['`a`: Dawn (2022). T. https://x']
"""

from __future__ import annotations

import re

import nbformat

from coursekit.course.notebooks import source as _source
from coursekit.export.slidefit import HEADING_LINE, blocks

__all__ = ["short_sources", "split_caption", "references_in", "gather_sources", "unique_references"]

_SOURCES = re.compile(r"^(#{1,3})\s*(Sources|References|Bibliography|Works cited)\b.*$", re.I | re.M)
_CITATION = re.compile(r"(?:^|;\s+)([^;()]+?)\s+\(([^()]*)\)\.\s")
_REFERENCE = re.compile(r"\((?:[^()]*\d{4}|n\.\s?d\.)[^()]*\)|https?://|^`[^`]+`:")


def short_sources(text: str, limit: int = 3) -> str:
    """The "who, when" of each citation in a ``*Source:*`` line, at most ``limit`` of them."""
    found = [f"{who.strip(' *')}, {when.strip()}" for who, when in _CITATION.findall(
        re.sub(r"^\s*\*?Sources?:?\*?:?\s*", "", text.strip()) + " ")]
    found = list(dict.fromkeys(found))
    if len(found) > limit:
        return "; ".join(found[:limit]) + f"; and {len(found) - limit} more"
    return "; ".join(found)


def split_caption(text: str, refs: list[str]) -> str:
    """Keep a caption's first paragraph; shorten its source line; collect the full references."""
    parts = re.split(r"\n\s*\n", text.strip())
    keep = []
    for part in parts:
        if re.match(r"\s*\*?Sources?:?\*?:?", part):
            body = re.sub(r"^\s*\*?Sources?:?\*?:?\s*", "", part.strip())
            refs.extend(r.strip() for r in re.split(r";\s+(?=[^;]+?\s\([^()]*\)\.\s)", body) if r.strip())
            short = short_sources(part)
            if short:
                keep.append(f"*Source:* {short} (full references at the end)")
        else:
            keep.append(part)
    return "\n\n".join(keep)


def references_in(text: str, refs: list[str]) -> None:
    r"""Add the references of a Sources section's Markdown to ``refs``: each list item, and each
    paragraph that reads as a reference (a year or "n.d." in brackets, an address or an id),
    not a sentence about the section ("The collapsed cell below lists every work...").

    >>> refs = []
    >>> references_in("The cell below lists every work.\n\nDawn (2022). T.\n\n- Geo (n.d.). U.", refs)
    >>> refs
    ['Dawn (2022). T.', 'Geo (n.d.). U.']
    """
    for block in blocks(text):
        if HEADING_LINE.match(block):
            continue
        listed = re.match(r"\s*([-*+]|\d+[.)])\s+", block)
        item = re.sub(r"^\s*([-*+]|\d+[.)])\s+", "", block).strip()
        if item and (listed or _REFERENCE.search(item)):
            refs.append(" ".join(item.split()))


def gather_sources(cells) -> tuple[list, list[str]]:
    r"""Take the lesson's Sources section out of ``cells``: ``(the other cells, its references)``.

    The section runs from a heading "Sources", "References", "Bibliography" or "Works cited"
    (levels 1–3) to the next heading of the same or a higher level, also when it shares a
    Markdown cell with other sections; its references are the list items and paragraphs of
    its Markdown and of its code cells' Markdown outputs (``data.bibliography``).

    >>> cells = [{"cell_type": "markdown", "source": "## Key points\n\n- One.\n\n## Sources\n\n- Dawn (2022). T."}]
    >>> kept, refs = gather_sources(cells)
    >>> kept[0]["source"].strip(), refs
    ('## Key points\n\n- One.', ['Dawn (2022). T.'])
    """
    kept, refs, level = [], [], None
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            if level is None:
                kept.append(cell)
            else:
                for output in cell.get("outputs", []):
                    references_in("".join(output.get("data", {}).get("text/markdown", "")), refs)
            continue
        parts, keep = re.split(r"(?m)^(?=#{1,6}\s)", _source(cell)), []
        for part in parts:
            first = part.splitlines()[0] if part.strip() else ""
            head = HEADING_LINE.match(first)
            if head and _SOURCES.match(first):
                level = len(head.group(1))
            elif head and level is not None and len(head.group(1)) <= level:
                level = None
            if level is None:
                keep.append(part)
            else:
                references_in(part, refs)
        if "".join(keep).strip():
            kept.append(nbformat.from_dict({**cell, "source": "".join(keep)}) if len(keep) < len(parts) else cell)
    return kept, refs


def unique_references(refs: list[str]) -> list[str]:
    """Each reference once (compared without its ``id`` prefix, case and punctuation)."""
    seen, unique = set(), []
    for ref in refs:
        key = re.sub(r"\W+", " ", re.sub(r"^`[^`]+`:\s*", "", ref)).lower().strip()
        if key and key not in seen:
            seen.add(key)
            unique.append(ref.strip())
    return unique
