"""Lay a notebook out as a talk: code out, one figure per slide, tables and prose cut to fit.

The exporter (:mod:`coursekit.export`) calls :func:`lay_out_slides` on a copy of the notebook
just before nbconvert renders it, and :func:`lay_out_handout` before a handout. Both work on
the shared conventions: a code cell's input is shown only with the tag ``slides-show-code``
(handouts: only when asked for); a machinery cell (``metadata.jupyter.source_hidden``) never
shows its input; self-check cells (tag ``self-check``, or a ``check("...")`` call) are left
out with their output, while the question above them stays as a prompt for the room.

Slides are packed by an estimate of their height in pixels on reveal's 1280×720 frame
(:func:`estimate`); the browser test then measures every slide and fails on any overflow,
so the estimate only has to be good, not exact. A figure gets a slide of its own with its
caption and a one-line source; the full references go to closing "Sources" slides.

>>> is_self_check({"cell_type": "code", "source": 'check("01.gap", gap)', "metadata": {}})
True
>>> short_sources("*Source:* Dawn (2022-02-24). US aware. https://x.example; Geo News (n.d.). Lands. https://y")
'Dawn, 2022-02-24; Geo News, n.d.'
"""

from __future__ import annotations

import html as htmllib
import math
import re

import nbformat

__all__ = ["lay_out_slides", "lay_out_handout", "is_self_check", "is_machinery", "shows_code",
           "short_sources", "estimate", "SHOW_CODE_TAG", "SELF_CHECK_TAG", "REFERENCES_TAG"]

SHOW_CODE_TAG = "slides-show-code"
SELF_CHECK_TAG = "self-check"
REFERENCES_TAG = "ck-references"
REMOVE_INPUT = "remove-input"
LONG_TABLE_TAG, LONG_TABLE_ROWS = "ck-long-table", 18

# The frame: reveal's 1280×720 slide, 26 px body text (coursekit-slides.css). The budget
# leaves room for the colour band at the top and the slide number at the bottom.
BUDGET = 630
BODY_CPL, BODY_LINE = 94, 33
TABLE_CPL, TABLE_LINE, TABLE_PAD = 150, 21, 6
PRE_CPL, PRE_LINE = 110, 23
REF_CPL, REF_LINE = 110, 27
HEADING = {1: (30, 72), 2: (50, 58), 3: (62, 46), 4: (80, 40)}  # cpl, px per line (+margin)
KEY_ROWS = 8          # a table longer than MAX_TABLE_SLIDES slides shows this many rows
MAX_TABLE_SLIDES = 3

_CHECK_CALL = re.compile(r"\bcheck\(\s*[\"']")
_SOURCES = re.compile(r"^(#{1,3})\s*(Sources|References|Bibliography|Works cited)\b.*$", re.I | re.M)
_HEAD = re.compile(r"^(#{1,6})\s+(\S.*?)\s*#*\s*$")
_CITATION = re.compile(r"(?:^|;\s+)([^;()]+?)\s+\(([^()]*)\)\.\s")


def _src(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _slide_type(cell) -> str:
    return (cell.get("metadata", {}).get("slideshow") or {}).get("slide_type") or "-"


def _set_type(cell, kind: str) -> None:
    cell.setdefault("metadata", {}).setdefault("slideshow", {})["slide_type"] = kind


def is_self_check(cell) -> bool:
    """True for a self-check code cell: tagged ``self-check`` or calling ``check("...")``."""
    return cell.get("cell_type") == "code" and (
        SELF_CHECK_TAG in _tags(cell) or bool(_CHECK_CALL.search(_src(cell))))


def is_machinery(cell) -> bool:
    """True for a code cell collapsed in JupyterLab (``metadata.jupyter.source_hidden``).

    >>> is_machinery({"cell_type": "code", "metadata": {"jupyter": {"source_hidden": True}}})
    True
    """
    return cell.get("cell_type") == "code" and bool(
        (cell.get("metadata", {}).get("jupyter") or {}).get("source_hidden"))


def shows_code(cell, *, default: bool = False) -> bool:
    """Whether a code cell's input is shown: the tag, or ``default`` (never for machinery)."""
    if cell.get("cell_type") != "code" or is_machinery(cell) or not _src(cell).strip():
        return False
    return default or SHOW_CODE_TAG in _tags(cell)


def short_sources(text: str, limit: int = 3) -> str:
    """The "who, when" of each citation in a ``*Source:*`` line, at most ``limit`` of them."""
    found = [f"{who.strip(' *')}, {when.strip()}" for who, when in _CITATION.findall(
        re.sub(r"^\s*\*?Sources?:?\*?:?\s*", "", text.strip()) + " ")]
    found = list(dict.fromkeys(found))
    if len(found) > limit:
        return "; ".join(found[:limit]) + f"; and {len(found) - limit} more"
    return "; ".join(found)


# --------------------------------------------------------------------------- estimates


def _lines(text: str, cpl: int) -> int:
    return max(1, math.ceil(len(text) / cpl))


def _plain(markdown: str) -> str:
    text = re.sub(r"\]\([^)]*\)", "]", markdown)  # a link's address is not shown
    return re.sub(r"[*_`\[\]]|<[^>]+>", "", text)


def _blocks(markdown: str) -> list[str]:
    """Markdown cut into blocks: paragraphs, headings, single list items, fenced code."""
    blocks, current, fence = [], [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fence = not fence
        starts = not fence and (_HEAD.match(line) or re.match(r"\s{0,3}([-*+]|\d+[.)])\s", line))
        if not fence and not line.strip():
            if current:
                blocks.append("\n".join(current))
            current = []
            continue
        if starts and current:
            blocks.append("\n".join(current))
            current = []
        current.append(line)
        if not fence and _HEAD.match(line):
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
    for block in _blocks(markdown):
        head = _HEAD.match(block)
        if head:
            cpl, px = HEADING.get(len(head.group(1)), HEADING[4])
            total += _lines(head.group(2), cpl) * px + 14
        elif block.lstrip().startswith("```"):
            total += (block.count("\n") - 1) * PRE_LINE + 20
        elif re.match(r"\s{0,3}([-*+]|\d+[.)])\s", block):
            total += _lines(_plain(block), BODY_CPL - 4) * BODY_LINE + 6
        elif block.lstrip().startswith("|"):  # a Markdown table: one line a row
            total += block.count("\n") * (TABLE_LINE + TABLE_PAD) + 30
        else:
            total += _lines(_plain(block), BODY_CPL) * BODY_LINE + 16
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
    return [max(_lines(c, chars[i]) for i, c in enumerate(t)) * TABLE_LINE + TABLE_PAD if t else 0
            for t in texts]


def _output_height(output) -> int:
    data = output.get("data", {})
    if output.get("output_type") == "stream":
        text = "".join(output.get("text", ""))
        return sum(_lines(line, PRE_CPL) for line in text.splitlines()) * PRE_LINE + 20
    if "text/html" in data:
        page = "".join(data["text/html"])
        if "<table" in page.lower():
            return sum(_row_heights(_TR.findall(page))) + 30
        return estimate(re.sub(r"<[^>]+>", " ", page))
    if "text/markdown" in data:
        return estimate("".join(data["text/markdown"]))
    text = "".join(data.get("text/plain", ""))
    return sum(_lines(line, PRE_CPL) for line in text.splitlines() or [""]) * PRE_LINE + 20


# --------------------------------------------------------------------------- pieces


class _Piece:
    """One block of a slide: a cell, its height, and what it is."""

    def __init__(self, cell, height: int, kind: str = "text", heading: str | None = None):
        self.cell, self.height, self.kind, self.heading = cell, height, kind, heading


def _md(source: str, kind: str = "-", tags=()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    _set_type(cell, kind)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _output_cell(outputs, kind: str = "-", source: str = "", show: bool = False):
    cell = nbformat.v4.new_code_cell(source if show else "", outputs=list(outputs))
    _set_type(cell, kind)
    if not show:
        cell.metadata["tags"] = [REMOVE_INPUT]
    return cell


def _is_figure(output) -> bool:
    return any(m in output.get("data", {}) for m in ("image/png", "image/jpeg", "image/svg+xml"))


def _caption_of(output) -> str | None:
    text = "".join(output.get("data", {}).get("text/markdown", ""))
    return text if re.match(r"\s*\*\*(Figure|Fig\.)", text) else None


def _split_caption(text: str, refs: list[str]) -> str:
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


def _refs_from_markdown(text: str, refs: list[str]) -> None:
    for block in _blocks(text):
        if _HEAD.match(block):
            continue
        item = re.sub(r"^\s*([-*+]|\d+[.)])\s+", "", block).strip()
        if item:
            refs.append(" ".join(item.split()))


def _table_pieces(output, heading_room: int, kind: str) -> list[_Piece]:
    """A table output as one piece, or cut into slides of rows with the header repeated."""
    page = "".join(output["data"]["text/html"])
    body = re.search(r"(<tbody\b[^>]*>)(.*?)(</tbody>)", page, re.S | re.I)
    head_rows = _TR.findall(page[:body.start()]) if body else []
    rows = _TR.findall(body.group(2)) if body else []
    head = sum(_row_heights(head_rows)) + 30 if head_rows else 30
    heights = _row_heights(rows)
    room = BUDGET - heading_room - head - 40
    if not rows or head + sum(heights) <= BUDGET - heading_room:
        return [_Piece(_output_cell([output], kind), head + sum(heights), "table")]
    chunks, current, used = [], [], 0
    for row, h in zip(rows, heights, strict=True):
        if current and used + h > room:
            chunks.append(current)
            current, used = [], 0
        current.append(row)
        used += h
    chunks.append(current)
    note = ""
    if len(chunks) > MAX_TABLE_SLIDES:
        shown = chunks[0][:KEY_ROWS]
        note = (f'<p class="ck-table-note">Key rows: {len(shown)} of {len(rows)}. '
                "The full table is in the handout.</p>")
        chunks = [shown]
    pieces = []
    for number, chunk in enumerate(chunks):
        new = page[:body.start(2)] + "\n".join(chunk) + page[body.end(2):]
        if len(chunks) > 1:
            new += (f'<p class="ck-table-note">Rows {sum(map(len, chunks[:number])) + 1}–'
                    f"{sum(map(len, chunks[:number + 1]))} of {len(rows)}.</p>")
        new += note
        out = nbformat.from_dict({**output, "data": {**output["data"], "text/html": new}})
        height = head + sum(_row_heights(chunk)) + 40
        pieces.append(_Piece(_output_cell([out], kind if number == 0 else "-"), height,
                             "table-part" if len(chunks) > 1 else "table"))
    return pieces


def _in_sources(cells) -> list[bool]:
    """For each cell, whether it lies in the lesson's Sources section (heading to next heading)."""
    flags, level = [], None
    for cell in cells:
        text = _src(cell) if cell.get("cell_type") == "markdown" else ""
        match = _SOURCES.search(text)
        head = next((m for m in (_HEAD.match(line) for line in text.splitlines()) if m), None)
        if match:
            level = len(match.group(1))
        elif head and level is not None and len(head.group(1)) <= level:
            level = None
        flags.append(level is not None)
    return flags


def _explode(cells, refs: list[str], *, show_code: bool) -> list[_Piece]:
    """Cut cells into pieces: Markdown blocks, one output each, figures with their caption."""
    pieces = []
    for cell in cells:
        kind = _slide_type(cell)
        if kind == "notes":
            pieces.append(_Piece(cell, 0, "notes"))
            continue
        if cell.get("cell_type") == "markdown":
            first = True
            for block in _blocks(_src(cell)) or [""]:
                head = _HEAD.match(block)
                new = _md(block, kind if first else "-")
                if first:  # the slide's own metadata (a title slide's state) stays with it
                    new.metadata["slideshow"] = dict(cell.get("metadata", {}).get("slideshow") or {})
                    _set_type(new, kind)
                if cell.get("attachments") and "attachment:" in block:
                    new["attachments"] = cell["attachments"]
                pieces.append(_Piece(new, estimate(block), "heading" if head else "text",
                                     block if head else None))
                first = False
            continue
        if cell.get("cell_type") != "code":
            continue
        shown = shows_code(cell, default=show_code)
        outputs = [o for o in cell.get("outputs", [])
                   if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        if shown:  # long code is cut into runs of lines that fit a slide each
            lines = _src(cell).splitlines()
            step = (BUDGET - 140) // PRE_LINE
            for start in range(0, len(lines), step):
                code = "\n".join(lines[start:start + step])
                height = sum(_lines(line, PRE_CPL) for line in code.splitlines()) * PRE_LINE + 30
                pieces.append(_Piece(_output_cell([], kind, code, show=True), height, "code"))
                kind = "-"
        index = 0
        while index < len(outputs):
            output = outputs[index]
            if _is_figure(output):
                group = [output]
                caption = _caption_of(outputs[index + 1]) if index + 1 < len(outputs) else None
                if caption is not None:
                    text = _split_caption(caption, refs)
                    group.append(nbformat.from_dict({**outputs[index + 1], "data": {
                        **outputs[index + 1]["data"], "text/markdown": text}}))
                    index += 1
                cell_out = _output_cell(group, kind)
                pieces.append(_Piece(cell_out, BUDGET, "figure"))
            elif "text/html" in output.get("data", {}) and "<table" in "".join(
                    output["data"]["text/html"]).lower():
                pieces.extend(_table_pieces(output, 80, kind))
            else:
                pieces.append(_Piece(_output_cell([output], kind), _output_height(output), "output"))
            kind = "-"
            index += 1
    return pieces


def _continued(heading: str | None) -> str:
    if not heading:
        return "### (continued)"
    head = _HEAD.match(heading.strip().splitlines()[0])
    hashes, text = (head.group(1), head.group(2)) if head else ("##", heading)
    text = re.sub(r"\s*\(continued\)$", "", text)
    return f"{hashes} {text} (continued)"


def _mark(cell, state: str) -> None:
    data = cell.metadata.setdefault("slideshow", {}).setdefault("data", {})
    data.setdefault("state", state)


def _pack(pieces: list[_Piece]) -> list:
    """Place the pieces on slides, starting a continuation slide whenever one would overflow.

    A level-1 or level-2 heading inside a slide's cells starts a slide; a figure gets a slide of
    its own (the section's heading repeated above it) unless its slide holds little else.
    """
    out: list = []
    state = {"used": 0, "full": False, "title": False, "start": None, "content": False}
    heading = None

    def begin(cell, kind: str, used: int) -> None:
        _set_type(cell, kind)
        out.append(cell)
        state.update(used=used, full=False, title=False, start=cell, content=False)

    for piece in pieces:
        cell, kind = piece.cell, _slide_type(piece.cell)
        if piece.kind == "notes":
            out.append(cell)
            continue
        level = len(_HEAD.match(piece.heading).group(1)) if piece.kind == "heading" else None
        starts = kind in {"slide", "subslide"}
        keep = state["title"] and state["used"] + piece.height <= BUDGET  # objectives stay on the title slide
        if level is not None and level <= 2 and not starts and state["used"] and not keep:
            kind, starts = "subslide", True
            _set_type(cell, kind)
        if level is not None and (starts or not state["used"]):
            heading = piece.heading
        if piece.kind == "figure":
            if starts or state["full"] or state["start"] is None or state["used"] > 200:
                again = heading.strip() if heading else "## Figure"
                begin(_md(again, kind if starts else "subslide"), kind if starts else "subslide",
                      estimate(again))
                _set_type(cell, "-")
            _mark(state["start"], "ck-figure")
            out.append(cell)
            state.update(full=True, used=BUDGET)
            continue
        if starts:
            title = (cell.metadata.get("slideshow", {}).get("data") or {}).get("state") == "ck-title"
            begin(cell, kind, piece.height)
            state.update(title=title, content=piece.kind != "heading")
            continue
        if (state["full"] or state["used"] + piece.height > BUDGET) and state["content"]:
            again = _continued(heading)
            begin(_md(again), "subslide", estimate(again))
            if kind != "fragment":
                _set_type(cell, "-")
        out.append(cell)
        state["used"] += piece.height
        state["content"] = state["content"] or piece.kind != "heading"
    return out


def _reference_slides(refs: list[str]) -> list:
    """Closing "Sources" slides: the full references, as many slides as they need."""
    seen, unique = set(), []
    for ref in refs:
        text = re.sub(r"^`[^`]+`:\s*", "", ref).strip()
        key = re.sub(r"\W+", " ", text).lower()
        if text and key not in seen:
            seen.add(key)
            unique.append(text)
    slides, current, used = [], [], 0
    for ref in unique:
        height = _lines(ref, REF_CPL) * REF_LINE + 8
        if current and used + height > BUDGET - 70:
            slides.append(current)
            current, used = [], 0
        current.append(ref)
        used += height
    if current:
        slides.append(current)
    cells = []
    for number, chunk in enumerate(slides):
        head = "## Sources" + (f" ({number + 1} of {len(slides)})" if len(slides) > 1 else "")
        cell = _md(head + "\n\n" + "\n".join(f"- {r}" for r in chunk),
                   "slide" if number == 0 else "subslide", tags=[REFERENCES_TAG])
        cell.metadata["slideshow"]["data"] = {"state": "ck-sources"}
        cells.append(cell)
    return cells


def split_at_headings(nb) -> bool:
    """Give a notebook without slide metadata a slide at each heading; True if it did.

    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T\\n\\ntext\\n## A\\nmore")])
    >>> split_at_headings(nb), [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    (True, ['slide', 'slide'])
    """
    if any(_slide_type(c) in {"slide", "subslide"} for c in nb.cells):
        return False
    cells = []
    for cell in nb.cells:
        if cell.get("cell_type") != "markdown":
            cells.append(cell)
            continue
        parts = re.split(r"(?m)^(?=#{1,3}\s+\S)", _src(cell))
        parts = [p for p in parts if p.strip()] or [""]
        for number, part in enumerate(parts):
            new = nbformat.from_dict({**cell, "source": part.strip("\n"),
                                      "metadata": {**cell.get("metadata", {})}})
            if number:
                new.pop("id", None)
            new.metadata["slideshow"] = {"slide_type": "slide" if re.match(r"#{1,3}\s", part)
                                         else "-"}
            cells.append(new)
    nb.cells = cells
    if nb.cells:
        _set_type(nb.cells[0], "slide")
    return True


def lay_out_slides(nb) -> None:
    """Turn a notebook's visible cells into slides that fit (in place). See the module doc."""
    split_at_headings(nb)
    cells = [c for c in nb.cells if not is_self_check(c) and _slide_type(c) != "skip"]
    refs: list[str] = []
    kept = []
    for cell, in_sources in zip(cells, _in_sources(cells), strict=True):
        if not in_sources:
            kept.append(cell)
        elif cell.get("cell_type") == "markdown":
            _refs_from_markdown(_src(cell), refs)
        else:
            for output in cell.get("outputs", []):
                _refs_from_markdown("".join(output.get("data", {}).get("text/markdown", "")), refs)
    pieces = _explode(kept, refs, show_code=False)
    packed = _pack(pieces)
    # A slide left with no cells but notes and headings-only "continued" is not made.
    nb.cells = packed + _reference_slides(refs)
    if nb.cells:
        _set_type(next(c for c in nb.cells if _slide_type(c) != "notes"), "slide")


def lay_out_handout(nb, *, with_code: bool = False) -> None:
    """Prepare a handout (in place): code and self-checks out, short sources, compact references."""
    cells = [c for c in nb.cells if not is_self_check(c)]
    refs: list[str] = []
    kept = []
    for cell, in_sources in zip(cells, _in_sources(cells), strict=True):
        if in_sources:
            if cell.get("cell_type") == "markdown":
                _refs_from_markdown(_src(cell), refs)
            else:
                for output in cell.get("outputs", []):
                    _refs_from_markdown("".join(output.get("data", {}).get("text/markdown", "")), refs)
            continue
        if cell.get("cell_type") == "code":
            if not shows_code(cell, default=with_code):
                tags = _tags(cell) | {REMOVE_INPUT}
                cell.metadata["tags"] = sorted(tags)
            outputs = []
            for output in cell.get("outputs", []):
                caption = _caption_of(output)
                if caption is not None:
                    output = nbformat.from_dict({**output, "data": {
                        **output["data"], "text/markdown": _split_caption(caption, refs)}})
                outputs.append(output)
            cell.outputs = outputs
            rows = sum(len(_TR.findall("".join(o.get("data", {}).get("text/html", "")))) for o in outputs)
            if rows > LONG_TABLE_ROWS:  # longer than half a page: split between rows, not kept whole
                cell.metadata["tags"] = sorted(_tags(cell) | {LONG_TABLE_TAG})
            if not outputs and REMOVE_INPUT in _tags(cell):
                continue
        kept.append(cell)
    seen, unique = set(), []
    for ref in refs:
        key = re.sub(r"\W+", " ", re.sub(r"^`[^`]+`:\s*", "", ref)).lower().strip()
        if key and key not in seen:
            seen.add(key)
            unique.append(ref)
    if unique:
        kept.append(_md("## Sources\n\n" + "\n".join(f"- {r}" for r in unique), tags=[REFERENCES_TAG]))
    nb.cells = kept
