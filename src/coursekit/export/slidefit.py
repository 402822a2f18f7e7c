"""How tall a block is on a 1280×720 slide, and tables cut into slides of rows that fit.

:mod:`coursekit.export.decklayout` packs slides with these estimates (in layout pixels of reveal's
frame at the 26 px body text of ``coursekit-slides.css``; keep the two in step: tables in
16 px type, also those of :func:`coursekit.tables.show`, whose own inline layout the slide CSS
overrides so that this model holds). They only
need to be good: the browser test measures every slide and the deck's script shrinks a
figure or the type a little where an estimate was short.

>>> estimate("## A heading") < estimate("A paragraph. " * 30)
True
>>> [round(h) > 0 for _, h in table_chunks(_demo_table(3), 80)]
[True]
"""

from __future__ import annotations

import html as htmllib
import math
import re

__all__ = ["estimate", "blocks", "HEADING_LINE", "output_height", "table_rows", "table_height", "table_chunks",
           "text_lines", "BUDGET", "HEADING", "BODY_CPL", "BODY_LINE", "PRE_CPL", "PRE_LINE", "REF_CPL", "REF_LINE"]

# The frame: reveal's 1280×720 slide, 26 px body text (coursekit-slides.css). The budget
# leaves room for the colour band at the top and the slide number at the bottom.
BUDGET = 630
BODY_CPL, BODY_LINE = 94, 33
TABLE_CPL, TABLE_LINE, TABLE_PAD = 150, 21, 6
PRE_CPL, PRE_LINE = 110, 23
REF_CPL, REF_LINE = 125, 26
HEADING = {1: (30, 72), 2: (50, 58), 3: (62, 46), 4: (80, 40)}  # cpl, px per line (+margin)
KEY_ROWS = 8          # a table longer than MAX_TABLE_SLIDES slides shows this many rows
MAX_TABLE_SLIDES = 3

HEADING_LINE = re.compile(r"^(#{1,6})\s+(\S.*?)\s*#*\s*$")  # a Markdown heading


def text_lines(text: str, cpl: int) -> int:
    """Lines ``text`` wraps to at ``cpl`` characters a line (at least one).

    >>> text_lines("x" * 150, 60)
    3
    """
    return max(1, math.ceil(len(text) / cpl))


def _plain(markdown: str) -> str:
    text = re.sub(r"\]\([^)]*\)", "]", markdown)  # a link's address is not shown
    return re.sub(r"[*_`\[\]]|<[^>]+>", "", text)


def blocks(markdown: str) -> list[str]:
    """Markdown cut into blocks: paragraphs, headings, single list items, fenced code."""
    blocks, current, fence = [], [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fence = not fence
        starts = not fence and (HEADING_LINE.match(line) or re.match(r"\s{0,3}([-*+]|\d+[.)])\s", line))
        if not fence and not line.strip():
            if current:
                blocks.append("\n".join(current))
            current = []
            continue
        if starts and current:
            blocks.append("\n".join(current))
            current = []
        current.append(line)
        if not fence and HEADING_LINE.match(line):
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


def estimate(markdown: str) -> int:
    """Pixels a Markdown block takes on a slide (an estimate).

    >>> estimate("## A heading") < estimate("A paragraph. " * 30)
    True
    """
    total = 0
    for block in blocks(markdown):
        head = HEADING_LINE.match(block)
        if head:
            cpl, px = HEADING.get(len(head.group(1)), HEADING[4])
            total += text_lines(head.group(2), cpl) * px + 14
        elif block.lstrip().startswith("```"):
            total += (block.count("\n") - 1) * PRE_LINE + 20
        elif re.match(r"\s{0,3}([-*+]|\d+[.)])\s", block):
            total += text_lines(_plain(block), BODY_CPL - 4) * BODY_LINE + 6
        elif block.lstrip().startswith("|"):  # a Markdown table: one line a row
            total += block.count("\n") * (TABLE_LINE + TABLE_PAD) + 30
        else:
            total += text_lines(_plain(block), BODY_CPL) * BODY_LINE + 16
    return total


_TR = re.compile(r"<tr\b.*?</tr>", re.S | re.I)
_TD = re.compile(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", re.S | re.I)


def _cells_text(row: str) -> list[str]:
    return [htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in _TD.findall(row)]


def _row_heights(rows: list[str]) -> list[int]:
    texts = [_cells_text(r) for r in rows]
    columns = max((len(t) for t in texts), default=1)
    widths = [max((len(t[i]) for t in texts if i < len(t)), default=1) for i in range(columns)]
    widths = [min(max(w, 3), 60) for w in widths]
    scale = min(1.0, TABLE_CPL / max(sum(widths), 1))
    chars = [max(3, int(w * scale)) for w in widths]
    return [max(text_lines(c, chars[i]) for i, c in enumerate(t)) * TABLE_LINE + TABLE_PAD if t else 0
            for t in texts]


def output_height(output) -> int:
    data = output.get("data", {})
    if output.get("output_type") == "stream":
        text = "".join(output.get("text", ""))
        return sum(text_lines(line, PRE_CPL) for line in text.splitlines()) * PRE_LINE + 20
    if "text/html" in data:
        page = "".join(data["text/html"])
        if "<table" in page.lower():
            return sum(_row_heights(_TR.findall(page))) + 30
        return estimate(re.sub(r"<[^>]+>", " ", page))
    if "text/markdown" in data:
        return estimate("".join(data["text/markdown"]))
    text = "".join(data.get("text/plain", ""))
    return sum(text_lines(line, PRE_CPL) for line in text.splitlines() or [""]) * PRE_LINE + 20


def table_rows(page: str) -> list[str]:
    """The ``<tr>`` elements of an HTML table, in order."""
    return _TR.findall(page)


def table_height(page: str) -> int:
    """Estimated height of an HTML table's rows on a slide (0 for a page without a table).

    >>> table_height(_demo_table(3)) > table_height(_demo_table(1)) > table_height("<p>no table</p>") == 0
    True
    """
    return sum(_row_heights(_TR.findall(page))) if "<table" in page.lower() else 0


def table_chunks(page: str, heading_room: int) -> list[tuple[str, int]]:
    """An HTML table as ``(html, height)`` slides: whole if it fits beside a heading, else cut
    into runs of rows with the header repeated and "Rows 1–12 of 30" beneath; past
    ``MAX_TABLE_SLIDES`` slides, only its first ``KEY_ROWS`` rows and a note that the full
    table is in the handout."""
    body = re.search(r"(<tbody\b[^>]*>)(.*?)(</tbody>)", page, re.S | re.I)
    head_rows = _TR.findall(page[:body.start()]) if body else []
    rows = _TR.findall(body.group(2)) if body else []
    head = sum(_row_heights(head_rows)) + 30 if head_rows else 30
    heights = _row_heights(rows)
    if not rows or head + sum(heights) <= BUDGET - heading_room:
        return [(page, head + sum(heights))]
    room = BUDGET - heading_room - head - 40
    chunks, current, used = [], [], 0
    for row, h in zip(rows, heights, strict=True):
        if current and used + h > room:
            chunks.append(current)
            current, used = [], 0
        current.append(row)
        used += h
    chunks.append(current)
    if 1 < len(chunks) <= MAX_TABLE_SLIDES:  # even slides, not a full one and a last row alone
        target, chunks, current, used = sum(heights) / len(chunks), [], [], 0
        for row, h in zip(rows, heights, strict=True):
            if current and (used + h > room or used >= target):
                chunks.append(current)
                current, used = [], 0
            current.append(row)
            used += h
        chunks.append(current)
    note = ""
    if len(chunks) > MAX_TABLE_SLIDES:
        chunks = [chunks[0][:KEY_ROWS]]
        note = (f'<p class="ck-table-note">Key rows: {len(chunks[0])} of {len(rows)}. '
                "The full table is in the handout.</p>")
    slides = []
    for number, chunk in enumerate(chunks):
        new = page[:body.start(2)] + "\n".join(chunk) + page[body.end(2):]
        if len(chunks) > 1:
            new += (f'<p class="ck-table-note">Rows {sum(map(len, chunks[:number])) + 1}–'
                    f"{sum(map(len, chunks[:number + 1]))} of {len(rows)}.</p>")
        slides.append((new + note, head + sum(_row_heights(chunk)) + 40))
    return slides


def _demo_table(rows: int) -> str:
    body = "".join(f"<tr><td>{i}</td></tr>" for i in range(rows))
    return f"<table><thead><tr><th>n</th></tr></thead><tbody>{body}</tbody></table>"
