"""Lay a notebook out as a talk: code out, one figure per slide, tables and prose cut to fit.

The exporter (:mod:`coursekit.export.render`) calls :func:`lay_out_slides` on a copy of the notebook
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
"""

from __future__ import annotations

import re

import nbformat

from coursekit.course.notebooks import NEW_CELL_ID as NEW
from coursekit.course.notebooks import slide_type as _slide_type
from coursekit.course.notebooks import source as _source
from coursekit.course.notebooks import stable_ids
from coursekit.export.references import gather_sources, split_caption, unique_references
from coursekit.export.slidefit import (
    BUDGET,
    HEADING_LINE,
    PRE_CPL,
    PRE_LINE,
    REF_CPL,
    REF_LINE,
    blocks,
    estimate,
    output_height,
    table_chunks,
    table_height,
    text_lines,
)

__all__ = ["lay_out_slides", "lay_out_handout", "is_self_check", "is_machinery", "shows_code",
           "split_at_headings", "SHOW_CODE_TAG", "SELF_CHECK_TAG", "REFERENCES_TAG"]

SHOW_CODE_TAG = "slides-show-code"
SELF_CHECK_TAG = "self-check"
REFERENCES_TAG = "ck-references"
REMOVE_INPUT = "remove-input"
# A handout table taller than a third of the A4 text block (about 1030 px) breaks between rows,
# header repeated; a shorter one is kept whole. Printed at 7.5 pt a table takes about 0.6 (at
# most 0.7) of the height slidefit estimates for a slide (measured on the course's tables).
LONG_TABLE_TAG, LONG_TABLE_HEIGHT = "ck-long-table", round(1030 / 3 / 0.7)

_CHECK_CALL = re.compile(r"\bcheck\(\s*[\"']")
_ITEM = re.compile(r"\s{0,3}([-*+]|\d+[.)])\s")


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _set_type(cell, kind: str) -> None:
    cell.setdefault("metadata", {}).setdefault("slideshow", {})["slide_type"] = kind


def is_self_check(cell) -> bool:
    """True for a self-check code cell: tagged ``self-check`` or calling ``check("...")``."""
    return cell.get("cell_type") == "code" and (
        SELF_CHECK_TAG in _tags(cell) or bool(_CHECK_CALL.search(_source(cell))))


def is_machinery(cell) -> bool:
    """True for a code cell collapsed in JupyterLab (``metadata.jupyter.source_hidden``).

    >>> is_machinery({"cell_type": "code", "metadata": {"jupyter": {"source_hidden": True}}})
    True
    """
    return cell.get("cell_type") == "code" and bool(
        (cell.get("metadata", {}).get("jupyter") or {}).get("source_hidden"))


def shows_code(cell, *, default: bool = False) -> bool:
    """Whether a code cell's input is shown: the tag, or ``default`` (never for machinery)."""
    if cell.get("cell_type") != "code" or is_machinery(cell) or not _source(cell).strip():
        return False
    return default or SHOW_CODE_TAG in _tags(cell)


# --------------------------------------------------------------------------- pieces


class _Piece:
    """One block of a slide: a cell, its height, and what it is."""

    def __init__(self, cell, height: int, kind: str = "text", heading: str | None = None):
        self.cell, self.height, self.kind, self.heading = cell, height, kind, heading


def _md(source: str, kind: str = "-", tags=()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source, id=NEW)
    _set_type(cell, kind)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _output_cell(outputs, kind: str = "-", source: str = "", show: bool = False):
    cell = nbformat.v4.new_code_cell(source if show else "", outputs=list(outputs), id=NEW)
    _set_type(cell, kind)
    if not show:
        cell.metadata["tags"] = [REMOVE_INPUT]
    return cell


def _is_figure(output) -> bool:
    return any(m in output.get("data", {}) for m in ("image/png", "image/jpeg", "image/svg+xml"))


def _caption_of(output) -> str | None:
    text = "".join(output.get("data", {}).get("text/markdown", ""))
    return text if re.match(r"\s*\*\*(Figure|Fig\.)", text) else None


def _table_pieces(output, heading_room: int, kind: str) -> list[_Piece]:
    """A table output as one piece, or cut into slides of rows with the header repeated."""
    chunks = table_chunks("".join(output["data"]["text/html"]), heading_room)
    pieces = []
    for number, (page, height) in enumerate(chunks):
        out = nbformat.from_dict({**output, "data": {**output["data"], "text/html": page}})
        pieces.append(_Piece(_output_cell([out], kind if number == 0 else "-"), height,
                             "table-part" if len(chunks) > 1 else "table"))
    return pieces


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
            for block in blocks(_source(cell)) or [""]:
                head = HEADING_LINE.match(block)
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
            lines = _source(cell).splitlines()
            step = (BUDGET - 140) // PRE_LINE
            for start in range(0, len(lines), step):
                code = "\n".join(lines[start:start + step])
                height = sum(text_lines(line, PRE_CPL) for line in code.splitlines()) * PRE_LINE + 30
                pieces.append(_Piece(_output_cell([], kind, code, show=True), height, "code"))
                kind = "-"
        index = 0
        while index < len(outputs):
            output = outputs[index]
            if _is_figure(output):
                group = [output]
                caption = _caption_of(outputs[index + 1]) if index + 1 < len(outputs) else None
                if caption is not None:
                    text = split_caption(caption, refs)
                    group.append(nbformat.from_dict({**outputs[index + 1], "data": {
                        **outputs[index + 1]["data"], "text/markdown": text}}))
                    index += 1
                cell_out = _output_cell(group, kind)
                pieces.append(_Piece(cell_out, BUDGET, "figure"))
            elif "text/html" in output.get("data", {}) and "<table" in "".join(
                    output["data"]["text/html"]).lower():
                pieces.extend(_table_pieces(output, 80, kind))
            else:
                pieces.append(_Piece(_output_cell([output], kind), output_height(output), "output"))
            kind = "-"
            index += 1
    return pieces


def _continued(heading: str | None) -> str:
    if not heading:
        return "### (continued)"
    head = HEADING_LINE.match(heading.strip().splitlines()[0])
    hashes, text = (head.group(1), head.group(2)) if head else ("##", heading)
    text = re.sub(r"\s*\(continued\)$", "", text)
    return f"{hashes} {text} (continued)"


def _mark(cell, state: str) -> None:
    data = cell.metadata.setdefault("slideshow", {}).setdefault("data", {})
    data.setdefault("state", state)


def _kept_together(pieces: list[_Piece], index: int) -> int:
    """Height of what is not cut from ``pieces[index]``: a sub-heading with the paragraph and list
    after it (a self-check's heading, question and options), a paragraph with its list, a list
    item with the rest of its list."""
    total, text_ok = pieces[index].height, pieces[index].kind == "heading"
    for piece in pieces[index + 1:]:
        if piece.kind == "notes":
            continue
        item = piece.kind == "text" and bool(_ITEM.match(_source(piece.cell)))
        if _slide_type(piece.cell) in {"slide", "subslide"} or not (item or (text_ok and piece.kind == "text")):
            break
        total, text_ok = total + piece.height, False
    return total


def _pack(pieces: list[_Piece]) -> list:
    """Place the pieces on slides, starting a continuation slide whenever one would overflow.

    A level-1 or level-2 heading inside a slide's cells starts a slide; a figure gets a slide of
    its own (the section's heading repeated above it) unless its slide holds little else. A slide
    the notebook opens with prose gets the section's heading "(continued)"; a sub-heading never
    ends a slide, and a question is not cut from its options (:func:`_kept_together`).
    """
    out: list = []
    state = {"used": 0, "full": False, "title": False, "start": None, "content": False, "tail": []}
    heading = None

    def begin(cell, kind: str, used: int) -> None:
        _set_type(cell, kind)
        out.append(cell)
        state.update(used=used, full=False, title=False, start=cell, content=False, tail=[])

    def add(piece, cell) -> None:
        out.append(cell)
        state["used"] += piece.height
        state["content"] = state["content"] or piece.kind != "heading"
        state["tail"] = [*state["tail"], (cell, piece.height)] if piece.kind == "heading" else []

    for index, piece in enumerate(pieces):
        cell, kind = piece.cell, _slide_type(piece.cell)
        if piece.kind == "notes":
            out.append(cell)
            continue
        need = piece.height
        if piece.kind in {"heading", "text"}:
            together = _kept_together(pieces, index)
            if together <= BUDGET - estimate(_continued(heading)):
                need = together
        level = len(HEADING_LINE.match(piece.heading).group(1)) if piece.kind == "heading" else None
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
            state.update(full=True, used=BUDGET, content=True, tail=[])
            continue
        if starts:
            title = (cell.metadata.get("slideshow", {}).get("data") or {}).get("state") == "ck-title"
            if piece.kind == "heading" or title or heading is None:
                begin(cell, kind, piece.height)
                state.update(title=title, content=piece.kind != "heading")
                continue
            again = _continued(heading)
            begin(_md(again), kind, estimate(again))
            _set_type(cell, "-")
        elif (state["full"] or state["used"] + need > BUDGET) and state["content"]:
            moved = state["tail"]
            for old, _ in moved:
                out.remove(old)
            again = _continued(heading)
            begin(_md(again), "subslide", estimate(again))
            for old, height in moved:
                out.append(old)
                state["used"] += height
            if kind != "fragment":
                _set_type(cell, "-")
        add(piece, cell)
    return out


def _reference_slides(refs: list[str]) -> list:
    """Closing "Sources" slides: the full references, as many slides as they need."""
    unique = [re.sub(r"^`[^`]+`:\s*", "", ref) for ref in unique_references(refs)]
    slides, current, used = [], [], 0
    for ref in unique:
        # An address is set in smaller type (.ck-link-url): it takes about 0.7 of the room.
        urls = sum(len(u) for u in re.findall(r"https?://\S+", ref))
        height = text_lines("x" * round(len(ref) - 0.3 * urls), REF_CPL) * REF_LINE + 8
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
        parts = re.split(r"(?m)^(?=#{1,3}\s+\S)", _source(cell))
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
    kept, refs = gather_sources(cells)
    pieces = _explode(kept, refs, show_code=False)
    packed = _pack(pieces)
    nb.cells = packed + _reference_slides(refs)
    if nb.cells:
        _set_type(next(c for c in nb.cells if _slide_type(c) != "notes"), "slide")
    stable_ids(nb)


def lay_out_handout(nb, *, with_code: bool = False) -> None:
    """Prepare a handout (in place): code and self-checks out, short sources, compact references."""
    cells, refs = gather_sources([c for c in nb.cells if not is_self_check(c)])
    kept = []
    for cell in cells:
        if cell.get("cell_type") == "code":
            if not shows_code(cell, default=with_code):
                tags = _tags(cell) | {REMOVE_INPUT}
                cell.metadata["tags"] = sorted(tags)
            outputs = []
            for output in cell.get("outputs", []):
                caption = _caption_of(output)
                if caption is not None:
                    output = nbformat.from_dict({**output, "data": {
                        **output["data"], "text/markdown": split_caption(caption, refs)}})
                outputs.append(output)
            cell.outputs = outputs
            html = ("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
            if sum(map(table_height, html)) > LONG_TABLE_HEIGHT:
                cell.metadata["tags"] = sorted(_tags(cell) | {LONG_TABLE_TAG})
            if not outputs and REMOVE_INPUT in _tags(cell):
                continue
        kept.append(cell)
    unique = unique_references(refs)
    if unique:
        kept.append(_md("## Sources\n\n" + "\n".join(f"- {r}" for r in unique), tags=[REFERENCES_TAG]))
    nb.cells = kept
    stable_ids(nb)
