"""Offline slides and handouts: reveal.js decks that fit their frame, handouts that fit A4.

nbconvert's stock slides and HTML pages load reveal.js, require.js, jQuery, MathJax and mermaid
from CDNs, drop the figures' alt text and put every cell on screen. coursekit's templates
(``templates/coursekit-slides`` and ``templates/coursekit-handout``, extending nbconvert's
``reveal`` and ``lab``) load everything from an assets folder (:func:`install_assets`) and
keep alt text; :mod:`coursekit.export.decklayout` first lays the notebook out as a talk (code out,
one figure per slide, tables and prose cut to fit, references on closing slides) or as a
handout (code out unless asked for, compact references).

Any notebook can be exported: one outside the course gets warnings (:class:`ExportWarning`)
for what it lacks, where a course notebook (or ``strict=True``) gets an error.

>>> offline_problems('<script src="https://cdn.example.org/reveal.js"></script>')
['src="https://cdn.example.org/reveal.js"']
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from coursekit.course.files import atomic_write_text, read_notebook
from coursekit.course.model import course_title
from coursekit.errors import CourseError, NotebookError
from coursekit.export import decklayout
from coursekit.export.assets import ASSETS_STAMP, TEMPLATES, install_assets
from coursekit.export.pagechecks import MISSING_ALT, image_problems, offline_problems
from coursekit.export.pdf import PAPER, WAIT_FOR_PAGE, PdfPrinter, find_chromium, pdf_pages, print_pdf
from coursekit.export.prepare import (
    HIDDEN_IN_HANDOUTS,
    HIDDEN_IN_SLIDES,
    REMOVE_INPUT_TAGS,
    REMOVE_OUTPUT_TAGS,
    ExportWarning,
    check_alt,
    export_dollars,
    lesson_title,
    needs_math,
    rewrite_links,
    title_slide,
    visible_cells,
)
from coursekit.paths import MARKER
from coursekit.plots import GENERIC_ALT

__all__ = ["export_slides", "export_handout", "render_slides", "render_handout",
           "install_assets", "offline_problems", "image_problems", "find_chromium", "print_pdf",
           "PdfPrinter", "pdf_pages", "ExportWarning", "notebook_root",
           "lesson_title", "course_title", "learner_pages_for", "TEMPLATES", "ASSETS_STAMP",
           "HIDDEN_IN_SLIDES", "HIDDEN_IN_HANDOUTS", "GENERIC_ALT", "MISSING_ALT", "WAIT_FOR_PAGE",
           "PAPER"]

_EXPORTERS: dict[str, object] = {}


def _exporter(kind: str):
    """One configured nbconvert exporter per kind and process (templates compile once)."""
    if kind in _EXPORTERS:
        return _EXPORTERS[kind]
    from nbconvert import HTMLExporter, SlidesExporter
    from traitlets.config import Config

    config = Config({
        "TagRemovePreprocessor": {
            "enabled": True,
            "remove_input_tags": set(REMOVE_INPUT_TAGS),
            "remove_all_outputs_tags": set(REMOVE_OUTPUT_TAGS),
        },
    })
    common = dict(config=config, extra_template_basedirs=[str(TEMPLATES)],
                  extra_template_paths=[str(TEMPLATES / "common")], exclude_input_prompt=True,
                  exclude_output_prompt=True, exclude_anchor_links=True, embed_images=True,
                  require_js_url="", jquery_url="", mathjax_url="", mermaid_js_url="",
                  mermaid_layout_elk_js_url="", jupyter_widgets_base_url="")
    if kind == "slides":
        exporter = SlidesExporter(template_name="coursekit-slides", reveal_theme="coursekit",
                                  reveal_transition="slide", reveal_number="c/t",
                                  reveal_width="1280", reveal_height="720", **common)
    else:
        exporter = HTMLExporter(template_name="coursekit-handout", **common)
    _EXPORTERS[kind] = exporter
    return exporter


def _finish(text: str, name: str) -> str:
    problems = offline_problems(text)
    if problems:
        raise NotebookError(f"{name}: the export would load {problems[0]!r} from the network "
                            f"({len(problems)} remote reference(s)). Keep images and files "
                            "inside the course and refer to them with relative paths.")
    problems = image_problems(text)
    if problems:
        raise NotebookError(f"{name}: {problems[0]}. Give every image one or two sentences of "
                            "alt text (Markdown: ![what it shows](file.png)).")
    return text


def _as_notebook(notebook):
    if isinstance(notebook, (str, os.PathLike)):
        return read_notebook(notebook), Path(notebook)
    return copy.deepcopy(notebook), None


def notebook_root(path: str | os.PathLike[str] | None) -> Path | None:
    """The course a notebook belongs to (a folder above it with ``data/datapackage.json``), or None.

    >>> notebook_root("/nonexistent/x.ipynb") is None
    True
    """
    if path is None:
        return None
    here = Path(path).resolve().parent
    return next((f for f in (here, *here.parents) if (f / MARKER).is_file()), None)


def _context(nb, path, name, title, source_dir, strict):
    """Name, title, course title, source folder and strictness of one export."""
    name = name or (str(path) if path else "notebook")
    root = notebook_root(path) if path is not None else None
    inside = root is not None and Path(path).resolve().parent.name in {"notebooks", "exercises"}
    title = title or lesson_title(nb, path, root)
    source_dir = source_dir or (path.resolve().parent if path is not None else None)
    return name, title, course_title(root), source_dir, inside if strict is None else strict


def _resources(nb, title: str, course: str | None, assets: str, source_dir, **extra) -> dict:
    nb.metadata["title"] = title
    # nbconvert embeds a Markdown image relative to metadata.path: the notebook's own folder,
    # wherever the command runs from.
    return {"metadata": {"name": title, "path": str(source_dir) if source_dir else ""},
            "coursekit": {"assets": assets, "mathjax": needs_math(nb), "title": title,
                          "course": course or "", **extra}}


def render_slides(notebook, *, assets: str = "assets", name: str | None = None,
                  title: str | None = None, source_dir: Path | None = None,
                  out_dir: Path | None = None, strict: bool | None = None,
                  pages: dict | None = None) -> str:
    """Render a notebook as a reveal.js deck (HTML text) that loads nothing from the network.

    Code input, self-checks, setup, solution and navigation cells are left out (the tag
    ``slides-show-code`` keeps a cell's code); ``notes`` cells become speaker notes (press
    ``s``); the first slide is a title slide with the learning objectives; figures, tables
    and long prose are laid out by :func:`coursekit.export.decklayout.lay_out_slides`. A notebook
    without slide metadata is split at its headings.

    Args:
        notebook: a path or an nbformat notebook (not changed).
        assets: the URL of the assets folder relative to the deck.
        name: how errors and warnings name the notebook.
        title: the lesson's title (default: :func:`lesson_title`).
        source_dir, out_dir: the notebook's folder and the deck's, to embed images and
            re-point relative links.
        strict: an image without alt text is an error (default: only inside the course).
        pages: source files the build renders as pages (``{glossary.md: glossary.html}``).

    Returns:
        The deck's HTML.

    Raises:
        NotebookError: an image without alt text (when strict), a remote reference, or
            nothing to show.
    """
    nb, path = _as_notebook(notebook)
    name, title, course, source_dir, strict = _context(nb, path, name, title, source_dir, strict)
    kept = visible_cells(nb, HIDDEN_IN_SLIDES, notes=True)
    export_dollars(nb)
    check_alt(kept, name, strict=strict)
    decklayout.split_at_headings(nb)
    title_slide(nb, title)
    decklayout.lay_out_slides(nb)
    exporter = _exporter("slides")
    exporter.reveal_url_prefix = f"{assets}/reveal.js"
    resources = _resources(nb, title, course, assets, source_dir)
    try:
        body, _ = exporter.from_notebook_node(nb, resources=resources)
    except ValueError as exc:
        raise NotebookError(f"{name}: cannot be made into slides ({exc}).") from None
    body = rewrite_links(body, notebook_suffix=".slides.html", source_dir=source_dir,
                         out_dir=out_dir, pages=pages, name=name)
    return _finish(body, name)


def render_handout(notebook, *, assets: str = "assets", name: str | None = None,
                   title: str | None = None, source_dir: Path | None = None,
                   out_dir: Path | None = None, strict: bool | None = None,
                   pages: dict | None = None, paper: str = "a4", with_code: bool = False) -> str:
    """Render a notebook as an offline HTML handout: prose, figures, tables, compact sources.

    Speaker notes, solutions and self-checks are left out, and code input too unless
    ``with_code``; figures and tables are never split across pages; the page is ``paper``
    (``"a4"`` or ``"letter"``) when printed. Other arguments, the return value and errors
    are those of :func:`render_slides`.
    """
    if paper not in PAPER:
        raise CourseError(f"Unknown paper size {paper!r}: use one of {', '.join(PAPER)}.")
    nb, path = _as_notebook(notebook)
    name, title, course, source_dir, strict = _context(nb, path, name, title, source_dir, strict)
    kept = visible_cells(nb, HIDDEN_IN_HANDOUTS, notes=False)
    export_dollars(nb)
    check_alt(kept, name, strict=strict)
    decklayout.lay_out_handout(nb, with_code=with_code)
    exporter = _exporter("handout")
    resources = _resources(nb, title, course, assets, source_dir,
                           paper={"a4": "A4", "letter": "letter"}[paper])
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    body = rewrite_links(body, notebook_suffix=".html", source_dir=source_dir, out_dir=out_dir,
                         pages=pages, name=name)
    return _finish(body, name)


def _relative(target: Path, start: Path) -> str:
    return os.path.relpath(target.resolve(), start.resolve()).replace(os.sep, "/")


def export_slides(notebook, out: str | os.PathLike[str], *, assets: str | os.PathLike[str],
                  title: str | None = None, name: str | None = None, **options) -> Path:
    """Write a notebook's deck to ``out`` (atomically), loading its assets from ``assets``.

    Args:
        notebook: a path or an nbformat notebook.
        out: the deck's path, conventionally ``NAME.slides.html``.
        assets: the assets folder (filled by :func:`install_assets`; not filled here).
        title: the lesson's title (default: :func:`lesson_title`).
        name: how errors name the notebook.
        options: ``strict``, ``pages``, as for :func:`render_slides`.

    Returns:
        ``out`` as a :class:`~pathlib.Path`.

    Raises:
        NotebookError: see :func:`render_slides`.
    """
    out = Path(out)
    source = Path(notebook).resolve().parent if isinstance(notebook, (str, os.PathLike)) else None
    text = render_slides(notebook, assets=_relative(Path(assets), out.parent), title=title,
                         name=name, source_dir=source, out_dir=out.parent, **options)
    return atomic_write_text(out, text)


def export_handout(notebook, out: str | os.PathLike[str], *, assets: str | os.PathLike[str],
                   pdf: bool | None = None, title: str | None = None,
                   name: str | None = None, printer: PdfPrinter | None = None,
                   **options) -> list[Path]:
    """Write a notebook's handout to ``out`` (atomically) and, with Chromium, a PDF beside it.

    Args:
        notebook: a path or an nbformat notebook.
        out: the handout's path (``NAME.html``); the PDF is ``NAME.pdf``.
        assets: the assets folder (filled by :func:`install_assets`).
        pdf: True to require a PDF, False for none, None for a PDF when Chromium is found.
        title, name: as for :func:`export_slides`.
        printer: a running :class:`PdfPrinter` to print with (one browser for many handouts).
        options: ``strict``, ``pages``, ``paper``, ``with_code``, as for :func:`render_handout`.

    Returns:
        The files written: the HTML, then the PDF if one was printed.

    Raises:
        NotebookError: see :func:`render_slides`; or ``pdf=True`` and no Chromium.
    """
    out = Path(out)
    source = Path(notebook).resolve().parent if isinstance(notebook, (str, os.PathLike)) else None
    text = render_handout(notebook, assets=_relative(Path(assets), out.parent), title=title,
                          name=name, source_dir=source, out_dir=out.parent, **options)
    written = [atomic_write_text(out, text)]
    if printer is not None and pdf is not False:
        written.append(printer.print(out, out.with_suffix(".pdf")))
        return written
    chromium = find_chromium() if pdf is not False else None
    if pdf and chromium is None:
        raise NotebookError(f"{name or out}: a PDF was asked for but no Chromium was found; "
                            "install it (apt-get install chromium) or set COURSEKIT_CHROMIUM.")
    if chromium is not None:
        written.append(print_pdf(out, out.with_suffix(".pdf"), chromium=chromium))
    return written


def learner_pages_for(out: Path, notebooks: list) -> dict:
    """The course's learner guides as pages beside the output folder (``build/learners`` for
    ``build/slides``), when the notebooks belong to a course: links to them then stay inside."""
    from coursekit.export.learnerpages import learner_pages, write_learner_pages

    root = next((r for r in map(notebook_root, notebooks) if r is not None), None)
    if root is None or not (root / "learners").is_dir():
        return {}
    write_learner_pages(root, out.parent)
    return learner_pages(root, out.parent)
