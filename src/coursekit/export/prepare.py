"""Cells made ready for export: hidden cells out, alt text checked, a title slide, links re-pointed.

Used by :mod:`coursekit.export.render` on a copy of the notebook. A figure or Markdown image without
alt text is an error inside the course (the lint demands alt text) and with ``strict``; in
any other notebook it gets a placeholder that says the description is missing, and a warning
that names the cell and the image.

>>> lesson_title(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 03 · Defence")]))
'03 · Defence'
"""

from __future__ import annotations

import html as htmllib
import os
import re
import warnings
from pathlib import Path

import nbformat

from coursekit.course.notebooks import NEW_CELL_ID
from coursekit.course.notebooks import slide_type as _slide_type
from coursekit.course.notebooks import source as _source
from coursekit.errors import CourseError, NotebookError
from coursekit.export.pagechecks import MISSING_ALT
from coursekit.plots import is_generic_alt

__all__ = ["ExportWarning", "visible_cells", "title_slide", "check_alt", "needs_math",
           "rewrite_links", "lesson_title", "export_dollars", "HIDDEN_IN_SLIDES", "HIDDEN_IN_HANDOUTS",
           "REMOVE_INPUT_TAGS", "REMOVE_OUTPUT_TAGS"]

# Cells left out of the slides and of the handouts, by tag. Solutions are also recognised by
# otter/nbgrader markers (``# BEGIN SOLUTION``); speaker notes never reach a handout.
HIDDEN_IN_SLIDES = frozenset({"setup", "solution", "solutions", "remove-cell", "remove_cell",
                              "navigation", "hide-cell"})
HIDDEN_IN_HANDOUTS = frozenset({"solution", "solutions", "remove-cell", "remove_cell", "hide-cell",
                                "navigation"})
REMOVE_INPUT_TAGS = frozenset({"remove-input", "remove_input", "hide-input"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output", "hide-output"})
DISPLAY_PRIORITY = ("application/vnd.jupyter.widget-view+json", "application/javascript",
                    "text/html", "text/markdown", "image/svg+xml", "text/vnd.mermaid",
                    "text/latex", "image/png", "image/jpeg", "text/plain")
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
MATH = re.compile(r"(?<![\\$])\$[^$\s][^$\n]*?\$|\$\$|\\\(|\\\[|\\begin\{")
OBJECTIVES = re.compile(r"^(#+)\s*Learning objectives\b.*$", re.M | re.I)
HEADING = re.compile(r"^(#+)\s+\S.*$", re.M)
MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(\s+\"[^\"]*\")?\s*\)")


class ExportWarning(UserWarning):
    """Something a deck or handout lacks (alt text, a linked file), exported anyway."""


def check_alt(cells, name: str, *, strict: bool) -> None:
    """Every image (figure output or Markdown image) has real alt text, or a placeholder.

    Args:
        cells: ``(original index, cell)`` pairs, as :func:`visible_cells` returns them.
        name: how messages name the notebook.
        strict: refuse (raise) instead of warning and filling in the placeholder.

    Raises:
        NotebookError: ``strict`` and an image without alt text, naming the cell.
    """
    for index, cell in cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.get("cell_type") == "markdown":
            def fill(match, index=index):
                if not is_generic_alt(match.group(1)):
                    return match.group(0)
                message = f"{name}, cell {index}: the Markdown image {match.group(2)!r} has no alt text"
                if strict:
                    raise NotebookError(message + "; write ![what it shows](" + match.group(2) + ").")
                warnings.warn(message + "; the export says the description is missing.",
                              ExportWarning, stacklevel=2)
                return f"![{MISSING_ALT} ({match.group(2)})]({match.group(2)}{match.group(3) or ''})"
            cell["source"] = MD_IMAGE.sub(fill, _source(cell))
            continue
        if cell.get("cell_type") != "code" or tags & REMOVE_OUTPUT_TAGS:
            continue
        figures = 0
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            mime = next((m for m in DISPLAY_PRIORITY if m in data), None)
            if mime not in IMAGE_MIMES:
                continue
            figures += 1
            meta = output.setdefault("metadata", {})
            alt = str((meta.get(mime) or {}).get("alt", "") or "")
            if not is_generic_alt(alt):
                continue
            message = f"{name}, cell {index}: figure {figures} of the cell's output has no alt text"
            if strict:
                raise NotebookError(
                    message + ". Draw it with coursekit.plots.show(fig, caption=..., alt=..., "
                    "sources=...), which stores the alt text in the output's metadata.")
            warnings.warn(message + "; the export says the description is missing.",
                          ExportWarning, stacklevel=2)
            meta[mime] = {**(meta.get(mime) or {}), "alt": f"{MISSING_ALT} (cell {index}, figure {figures})"}


def _secret_cells(nb) -> list[bool]:
    """For each cell: does it hold a model answer or hidden test (in any format)?"""
    from coursekit.course.solutions import cell_roles

    try:
        return [role.kind in ("solution", "hidden-test") for role in cell_roles(nb)]
    except CourseError:  # malformed markers: hide every cell that looks marked, rather than show
        return [any(w in _source(c).upper() for w in ("SOLUTION", "HIDDEN TESTS")) for c in nb.cells]


# data.markdown_text writes a dollar as two backslashes and the sign, the one spelling JupyterLab
# shows as a dollar. nbconvert renders it "\$": right where MathJax runs (processEscapes turns
# it into a plain sign that is never maths), shown raw where it does not. So a page without
# maths gets the sign as an HTML entity instead. (A span around it would not do: nbconvert's
# embed_images rendering moves an inline element's text out of the element.)
_LAB_DOLLAR = "\\\\$"
EXPORT_DOLLAR = "&#36;"


def export_dollars(nb) -> None:
    r"""Show JupyterLab's safe dollar (``\\$`` in Markdown outputs) as a dollar sign in an export.

    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
    ...     nbformat.v4.new_output("display_data", {"text/markdown": "about \\\\$2bn"})])])
    >>> export_dollars(nb); nb.cells[0].outputs[0].data["text/markdown"]
    'about &#36;2bn'
    """
    if needs_math(nb):
        return  # MathJax will show "\$" as a dollar sign
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            text = data.get("text/markdown")
            if isinstance(text, list):
                text = "".join(text)
            if isinstance(text, str) and _LAB_DOLLAR in text:
                data["text/markdown"] = text.replace(_LAB_DOLLAR, EXPORT_DOLLAR)


def visible_cells(nb, hidden: frozenset[str], *, notes: bool):
    """Return (original index, cell) for the cells kept, and drop the others from ``nb``."""
    kept = []
    secret = _secret_cells(nb)
    for index, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & hidden or secret[index]:
            continue
        if not notes and _slide_type(cell) == "notes":
            continue
        kept.append((index, cell))
    nb.cells = [cell for _, cell in kept]
    return kept


def _split_section(source: str, match: re.Match) -> tuple[str, str]:
    """Split ``source`` into (the section that starts at ``match``, the rest)."""
    level = len(match.group(1))
    end = len(source)
    for heading in HEADING.finditer(source, match.end()):
        if len(heading.group(1)) <= level:
            end = heading.start()
            break
    return source[match.start():end].strip(), (source[:match.start()] + source[end:]).strip()


def title_slide(nb, title: str) -> None:
    """Make the first slide the lesson's title slide and move its objectives onto it.

    The title cell is the first visible Markdown cell with a level-1 heading (one is made from
    ``title`` if there is none). The "Learning objectives" section moves from its cell onto the
    title slide; the rest of that cell (the Questions) stays where it was. A cell left empty is
    dropped, and the cell after it starts the slide it would have started.
    """
    visible = [c for c in nb.cells if _slide_type(c) not in {"skip", "notes"}]
    title_cell = next((c for c in visible[:3] if c.cell_type == "markdown"
                       and re.search(r"^#\s+\S", _source(c), re.M)), None)
    if title_cell is None:
        title_cell = nbformat.v4.new_markdown_cell(f"# {title}", id=NEW_CELL_ID)  # named by the layout
        nb.cells.insert(0, title_cell)
    meta = title_cell.metadata.setdefault("slideshow", {})
    meta["slide_type"] = "slide"
    meta["data"] = {**(meta.get("data") or {}), "state": "ck-title"}
    for position, cell in enumerate(nb.cells):
        if cell is title_cell or cell.cell_type != "markdown" or _slide_type(cell) == "skip":
            continue
        match = OBJECTIVES.search(_source(cell))
        if match is None:
            continue
        section, rest = _split_section(_source(cell), match)
        title_cell.source = _source(title_cell).rstrip() + "\n\n" + section
        if rest:
            cell.source = rest
            return
        started = _slide_type(cell)
        del nb.cells[position]
        if started in {"slide", "subslide"}:
            for follower in nb.cells[position:]:
                kind = _slide_type(follower)
                if kind in {"skip", "notes"}:
                    continue
                if kind not in {"slide", "subslide"}:
                    follower.metadata.setdefault("slideshow", {})["slide_type"] = started
                break
        return


def needs_math(nb) -> bool:
    """True when a Markdown cell or an output holds TeX maths (MathJax is then loaded)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and MATH.search(_source(cell)):
            return True
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/latex" in data or ("text/markdown" in data and MATH.search(str(data["text/markdown"]))):
                return True
    return False


_ANCHOR = re.compile(r"<a\b([^>]*?)\bhref\s*=\s*\"([^\"]*)\"([^>]*)>(.*?)</a>", re.S | re.I)


def rewrite_links(text: str, *, notebook_suffix: str, source_dir: Path | None,
                  out_dir: Path | None, pages: dict | None = None, name: str = "notebook") -> str:
    """Make links work offline and beside the exports.

    External links become text that shows the address (nothing a page could load, and still
    readable on paper); links to another ``.ipynb`` point at its export; a link to a page that
    the build renders (``pages``: source file to HTML file, e.g. the glossary) points at that
    page; a relative link to a file that exists is re-pointed from the export's folder; a link
    to nothing becomes its text, with a warning.
    """
    pages = {Path(k).resolve(): Path(v).resolve() for k, v in (pages or {}).items()}
    warned: set[str] = set()

    def replace(match: re.Match) -> str:
        before, href, after, inner = match.groups()
        target = htmllib.unescape(href)
        if re.match(r"(?:https?:)?//", target, re.I):
            label = re.sub(r"<[^>]+>", "", inner).strip()
            shown = htmllib.escape(target)
            if label in {target, shown} or not label:
                return f'<span class="ck-link-url">{shown}</span>'
            return f'<span class="ck-link">{inner}</span> <span class="ck-link-url">({shown})</span>'
        if re.match(r"[a-z][a-z0-9+.-]*:|#", target, re.I):
            return match.group(0)
        path, _, fragment = target.partition("#")
        fragment = f"#{fragment}" if fragment else ""
        if not path:
            return match.group(0)
        if source_dir is None or out_dir is None:  # an in-memory notebook: re-point lessons only
            if path.endswith(".ipynb"):
                new = path[: -len(".ipynb")] + notebook_suffix + fragment
                return f'<a{before}href="{htmllib.escape(new)}"{after}>{inner}</a>'
            return match.group(0)
        candidate = (source_dir / path).resolve()
        if candidate in pages:
            new = os.path.relpath(pages[candidate], out_dir.resolve()).replace(os.sep, "/") + fragment
        elif path.endswith(".ipynb") and candidate.is_file():
            new = path[: -len(".ipynb")] + notebook_suffix + fragment
        elif candidate.exists() and not path.endswith(".ipynb"):
            new = os.path.relpath(candidate, out_dir.resolve()).replace(os.sep, "/") + fragment
        else:
            if path not in warned:  # once per target, not once per link
                warned.add(path)
                warnings.warn(f"{name}: the link to {path!r} leads to no file; it is shown as text.",
                              ExportWarning, stacklevel=2)
            return f'<span class="ck-link">{inner}</span>'
        return f'<a{before}href="{htmllib.escape(new)}"{after}>{inner}</a>'

    return _ANCHOR.sub(replace, text)


def lesson_title(nb, path: Path | None = None, root: str | os.PathLike[str] | None = None) -> str:
    """Return a lesson's title: its ``toc.yml`` entry, else its first heading, else its name.

    >>> lesson_title(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 09 · Extra")]))
    '09 · Extra'
    """
    if path is not None:
        try:
            from coursekit.course.lessons import read_toc

            for entry in read_toc(root if root is not None else path.parent):
                if entry["file"] == path.name:
                    return str(entry["title"])
        except CourseError:
            pass
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", _source(cell), re.M)
            if match:
                return re.sub(r"[*_`]", "", match.group(1)).strip()
    if nb.metadata.get("title"):
        return str(nb.metadata["title"])
    return path.stem if path is not None else "Notebook"
