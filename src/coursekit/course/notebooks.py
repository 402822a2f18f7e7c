"""The notebook vocabulary of the course: cell tags, metadata keys, and reading a cell.

Written in one module and read everywhere else through these names, so a tag or key is spelt
once. See ``CONTRIBUTING.md`` for what each one means to an author.

>>> import nbformat
>>> cell = nbformat.v4.new_code_cell("check('00.q', x)", metadata={"tags": [SELF_CHECK_TAG]})
>>> has_tag(cell, SELF_CHECK_TAG), source({"source": ["a\\n", "b"]})
(True, 'a\\nb')
>>> slide_type(nbformat.v4.new_markdown_cell("Say this", metadata={"slideshow": {"slide_type": NOTES}}))
'notes'
"""

from __future__ import annotations

from coursekit.results import MARKER_KEY as METADATA_KEY  # cell/output metadata coursekit writes

__all__ = ["NEW_CELL_ID", "stable_ids", "SELF_CHECK_TAG", "SHOW_CODE_TAG", "NAV_TAG", "NOTES", "METADATA_KEY", "source",
           "tags", "has_tag", "slide_type", "is_notes", "source_hidden"]

SELF_CHECK_TAG = "self-check"      # a code cell that calls check(): off slides and handouts
SHOW_CODE_TAG = "slides-show-code"  # keep this cell's code on its slide (code is the point)
NAV_TAG = "navigation"             # the generated previous/next links of a lesson
NOTES = "notes"                    # slide type of speaker notes: instructor-only


def source(cell) -> str:
    """A cell's source as one string (nbformat allows a list of lines on disk)."""
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def tags(cell) -> list[str]:
    """A cell's tags (an empty list when there are none or they are malformed)."""
    found = (cell.get("metadata") or {}).get("tags") or []
    return [t for t in found if isinstance(t, str)] if isinstance(found, list) else []


def has_tag(cell, tag: str) -> bool:
    """True when ``cell`` carries ``tag``."""
    return tag in tags(cell)


def slide_type(cell) -> str:
    """The cell's reveal.js slide type (``"-"`` when it has none)."""
    show = (cell.get("metadata") or {}).get("slideshow") or {}
    return (show.get("slide_type") if isinstance(show, dict) else None) or "-"


def is_notes(cell) -> bool:
    """True for a speaker-notes cell (kept in decks and the instructor build only)."""
    return slide_type(cell) == NOTES


def source_hidden(cell) -> bool:
    """True for a machinery cell whose code is collapsed in JupyterLab and left out of exports."""
    jupyter = (cell.get("metadata") or {}).get("jupyter") or {}
    return bool(isinstance(jupyter, dict) and jupyter.get("source_hidden"))


NEW_CELL_ID = "new"  # the id a cell made by a tool carries until stable_ids() names it


def stable_ids(nb) -> None:
    """Give made cells (id ``NEW_CELL_ID``), id-less cells and repeated ids ids from their place.

    nbformat gives a new cell a random id, which exported HTML shows; numbering such cells by
    position makes two exports of the same notebook byte-identical.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(x) for x in "abc"])
    >>> for cell, given in zip(nb.cells, [NEW_CELL_ID, "intro", "intro"]):
    ...     cell["id"] = given        # a split cell repeats the id of the cell it came from
    >>> stable_ids(nb); [c.id for c in nb.cells]
    ['ck-0', 'intro', 'ck-2']
    """
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        if cell.get("id") in (None, "", NEW_CELL_ID) or cell.get("id") in seen:
            cell["id"] = f"ck-{index}"
        seen.add(cell["id"])
