"""Offline slides and handouts: reveal.js decks and HTML/PDF handouts that need no network.

nbconvert's stock slides and HTML pages load reveal.js, require.js, jQuery, MathJax and mermaid
from CDNs and drop the figures' alt text. coursekit's templates (``templates/coursekit-slides``
and ``templates/coursekit-handout``, extending nbconvert's ``reveal`` and ``lab``) load every
script, style sheet and font from an *assets folder* beside the decks, which
:func:`install_assets` fills from installed packages (reveal.js from ``sphinx-revealjs``,
MathJax 2.7 from ``jupyter-server-mathjax``, the notebook CSS from ``nbconvert``), and copy each
figure's alt text from the output metadata (``{"image/png": {"alt": ...}}``) into ``<img alt>``.

Every export is checked before it is written: :func:`offline_problems` finds any remote
reference and :func:`image_problems` any image without real alt text; either stops the export.

>>> offline_problems('<script src="https://cdn.example.org/reveal.js"></script>')
['src="https://cdn.example.org/reveal.js"']
>>> offline_problems('<link rel="stylesheet" href="../assets/reveal.js/dist/reveal.css">')
[]
>>> image_problems('<img src="data:image/png;base64,AAAA" alt="Image">')
['an image has no real alt text (alt="Image")']
"""

from __future__ import annotations

import copy
import html as htmllib
import json
import os
import re
import shutil
import tempfile
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

from coursekit.cache import atomic_write_bytes, atomic_write_text, digest_file, digest_text
from coursekit.errors import CourseError, NotebookError

__all__ = ["export_slides", "export_handout", "render_slides", "render_handout",
           "install_assets", "offline_problems", "image_problems", "find_chromium", "print_pdf",
           "PdfPrinter",
           "lesson_title", "configure", "run", "TEMPLATES", "COURSE_TITLE",
           "HIDDEN_IN_SLIDES", "HIDDEN_IN_HANDOUTS"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
COURSE_TITLE = "Pakistan–Russia relations and Imran Khan's Moscow visit, 23–24 February 2022"
ASSETS_STAMP = ".coursekit-assets.json"

# Cells left out of the slides and of the handouts, by tag. Solutions are also recognised by
# otter/nbgrader markers (``# BEGIN SOLUTION``); speaker notes never reach a handout.
HIDDEN_IN_SLIDES = frozenset({"setup", "solution", "solutions", "remove-cell", "remove_cell",
                              "navigation", "hide-cell"})
HIDDEN_IN_HANDOUTS = frozenset({"solution", "solutions", "remove-cell", "remove_cell", "hide-cell"})
REMOVE_INPUT_TAGS = frozenset({"remove-input", "remove_input", "hide-input"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output", "hide-output"})
GENERIC_ALT = frozenset({"", "image", "figure", "chart", "plot", "graph", "picture", "img",
                         "no description has been provided for this image"})
DISPLAY_PRIORITY = ("application/vnd.jupyter.widget-view+json", "application/javascript",
                    "text/html", "text/markdown", "image/svg+xml", "text/vnd.mermaid",
                    "text/latex", "image/png", "image/jpeg", "text/plain")
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
MATH = re.compile(r"(?<![\\$])\$[^$\s][^$\n]*?\$|\$\$|\\\(|\\\[|\\begin\{")
OBJECTIVES = re.compile(r"^(#+)\s*Learning objectives\b.*$", re.M | re.I)
HEADING = re.compile(r"^(#+)\s+\S.*$", re.M)

# --------------------------------------------------------------------------- checks

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
        if " ".join(alt.split()).lower().rstrip(".") in GENERIC_ALT:
            problems.append(f'an image has no real alt text (alt="{alt}")')
    return problems


# --------------------------------------------------------------------------- assets


def _package_dir(name: str, *parts: str) -> Path:
    spec = find_spec(name)  # locate without importing (sphinx_revealjs would import Sphinx)
    if spec is None or not spec.submodule_search_locations:
        raise CourseError(f"The package {name!r} is not installed; it ships offline assets the "
                          "slides need. Run: pip install -e .")
    return Path(list(spec.submodule_search_locations)[0], *parts)


def _nbconvert_static() -> Path:
    from jupyter_core.paths import jupyter_path

    for folder in jupyter_path("nbconvert", "templates", "lab", "static"):
        if (Path(folder) / "index.css").is_file():
            return Path(folder)
    raise CourseError("nbconvert's lab template (static/index.css) was not found; reinstall "
                      "nbconvert: pip install --force-reinstall nbconvert")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "missing"


def _assets_stamp() -> dict:
    ours = {p.name: digest_file(p) for p in sorted((TEMPLATES / "assets").iterdir()) if p.is_file()}
    return {"coursekit": digest_text(json.dumps(ours, sort_keys=True)),
            "sphinx-revealjs": _version("sphinx-revealjs"),
            "jupyter-server-mathjax": _version("jupyter-server-mathjax"),
            "nbconvert": _version("nbconvert")}


def install_assets(dest: str | os.PathLike[str]) -> Path:
    """Fill ``dest`` with everything the decks and handouts load, from installed packages.

    reveal.js 5 (core, notes plugin, the ``white`` theme and its local fonts) comes from
    ``sphinx-revealjs``, MathJax 2.7 (TeX input, HTML-CSS output, STIX web fonts) from
    ``jupyter-server-mathjax``, the notebook CSS from ``nbconvert``, coursekit's theme from
    ``templates/assets``. Nothing is copied when ``dest`` already holds the same versions; a
    new set is assembled beside ``dest`` and then swapped in, so a deck never sees half a set.

    Args:
        dest: the assets folder (``build/assets`` for ``coursekit build``).

    Returns:
        ``dest`` as a :class:`~pathlib.Path`.

    Raises:
        CourseError: a package that ships the assets is missing.
    """
    dest = Path(dest)
    stamp = _assets_stamp()
    try:
        if json.loads((dest / ASSETS_STAMP).read_text("utf-8")) == stamp:
            return dest
    except (OSError, ValueError):
        pass
    reveal = _package_dir("sphinx_revealjs", "_static", "revealjs")
    mathjax = _package_dir("jupyter_server_mathjax", "static")
    static = _nbconvert_static()
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".ck-tmp", dir=dest.parent))
    staging.chmod(0o755)
    try:
        r = staging / "reveal.js"
        for rel in ("dist/reveal.js", "dist/reveal.css", "dist/reset.css", "dist/theme/white.css",
                    "plugin/notes/notes.js", "LICENSE"):
            (r / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(reveal / rel, r / rel)
        shutil.copytree(reveal / "dist/theme/fonts/source-sans-pro",
                        r / "dist/theme/fonts/source-sans-pro")
        shutil.copy2(TEMPLATES / "assets" / "coursekit-theme.css", r / "dist/theme/coursekit.css")
        m = staging / "mathjax"
        m.mkdir()
        for rel in ("MathJax.js", "LICENSE"):
            shutil.copy2(mathjax / rel, m / rel)
        for rel in ("config", "extensions", "jax", "fonts", "localization/en"):
            shutil.copytree(mathjax / rel, m / rel)
        n = staging / "nbconvert"
        n.mkdir()
        for name in ("index.css", "theme-light.css"):
            shutil.copy2(static / name, n / name)
        c = staging / "coursekit"
        c.mkdir()
        shutil.copy2(TEMPLATES / "assets" / "coursekit-slides.css", c / "slides.css")
        shutil.copy2(TEMPLATES / "assets" / "coursekit-handout.css", c / "handout.css")
        (staging / "README.txt").write_text(
            "Offline assets for coursekit's slides and handouts, copied by `coursekit build`\n"
            "from installed packages (reveal.js: sphinx-revealjs; MathJax 2.7: "
            "jupyter-server-mathjax;\nnotebook CSS: nbconvert). Regenerated, never edited; "
            "their licences are beside them.\n", encoding="utf-8")
        (staging / ASSETS_STAMP).write_text(json.dumps(stamp, indent=1, sort_keys=True), "utf-8")
        old = None
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old-{os.getpid()}.ck-tmp")
            os.replace(dest, old)
        os.replace(staging, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


# --------------------------------------------------------------------------- preparing cells


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _slide_type(cell) -> str:
    return (cell.get("metadata", {}).get("slideshow") or {}).get("slide_type") or "-"


def _rendered_mime(output) -> str | None:
    data = output.get("data", {})
    return next((m for m in DISPLAY_PRIORITY if m in data), None)


def _check_alt(cells, name: str) -> None:
    """Refuse a visible image output without real alt text, naming the cell."""
    for index, cell in cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.get("cell_type") != "code" or tags & REMOVE_OUTPUT_TAGS:
            continue
        for output in cell.get("outputs", []):
            mime = _rendered_mime(output)
            if mime not in IMAGE_MIMES:
                continue
            alt = str((output.get("metadata", {}).get(mime) or {}).get("alt", "") or "")
            if " ".join(alt.split()).lower().rstrip(".") in GENERIC_ALT:
                raise NotebookError(
                    f"{name}, cell {index}: a figure has no alt text. Draw it with "
                    "coursekit.plots.show(fig, caption=..., alt=..., sources=...), which stores "
                    "the alt text in the output's metadata.")


def _has_solution(cell) -> bool:
    """True for a cell with a solution region (nbgrader/otter markers; see coursekit.solutions)."""
    from coursekit.solutions import has_solution

    source = _source(cell)
    if cell.get("cell_type") not in {"code", "markdown"} or "SOLUTION" not in source.upper():
        return False
    try:
        return has_solution(source)
    except CourseError:
        return True  # malformed markers: hide rather than show a half-marked answer


def _visible(nb, hidden: frozenset[str], *, notes: bool):
    """Return (original index, cell) for the cells kept, and drop the others from ``nb``."""
    kept = []
    for index, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & hidden:
            continue
        if _has_solution(cell):
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
    section = source[match.start():end].strip()
    rest = (source[:match.start()] + source[end:]).strip()
    return section, rest


def _title_slide(nb, title: str) -> None:
    """Make the first slide the lesson's title slide and move its objectives onto it.

    The title cell is the first visible Markdown cell with a level-1 heading (one is made from
    ``title`` if there is none). The "Learning objectives" section moves from its cell onto the
    title slide; the rest of that cell (the Questions) stays where it was. A cell left empty is
    dropped, and the cell after it starts the slide it would have started.
    """
    import nbformat

    visible = [c for c in nb.cells if _slide_type(c) not in {"skip", "notes"}]
    title_cell = next((c for c in visible[:3] if c.cell_type == "markdown"
                       and re.search(r"^#\s+\S", _source(c), re.M)), None)
    if title_cell is None:
        title_cell = nbformat.v4.new_markdown_cell(f"# {title}")
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


def _needs_math(nb) -> bool:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and MATH.search(_source(cell)):
            return True
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/latex" in data:
                return True
            if "text/markdown" in data and MATH.search(str(data["text/markdown"])):
                return True
    return False


# --------------------------------------------------------------------------- rendering

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


_ANCHOR = re.compile(r"<a\b([^>]*?)\bhref\s*=\s*\"([^\"]*)\"([^>]*)>(.*?)</a>", re.S | re.I)


def _rewrite_links(text: str, *, notebook_suffix: str, source_dir: Path | None,
                   out_dir: Path | None) -> str:
    """Make links work offline and beside the exports.

    External links become text that shows the address (nothing a page could load, and still
    readable on paper); links to another ``.ipynb`` point at its export; other relative links
    to a file of the course are re-pointed from the export's folder.
    """
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
        if path.endswith(".ipynb"):
            new = path[: -len(".ipynb")] + notebook_suffix + fragment
            return f'<a{before}href="{htmllib.escape(new)}"{after}>{inner}</a>'
        if source_dir is not None and out_dir is not None and path:
            candidate = (source_dir / path).resolve()
            if candidate.exists():
                new = os.path.relpath(candidate, out_dir.resolve()).replace(os.sep, "/") + fragment
                return f'<a{before}href="{htmllib.escape(new)}"{after}>{inner}</a>'
        return match.group(0)

    return _ANCHOR.sub(replace, text)


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
    import nbformat

    if isinstance(notebook, (str, os.PathLike)):
        path = Path(notebook)
        try:
            return nbformat.read(path, as_version=4), path
        except Exception as exc:  # nbformat raises several types for a broken file
            raise NotebookError(f"{path}: cannot be read as a notebook ({exc}).") from None
    return copy.deepcopy(notebook), None


def lesson_title(nb, path: Path | None = None, root: str | os.PathLike[str] | None = None) -> str:
    """Return a lesson's title: its ``toc.yml`` entry, else its first heading, else its name.

    >>> import nbformat
    >>> lesson_title(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 09 · Extra")]))
    '09 · Extra'
    """
    if path is not None:
        try:
            from coursekit.lessons import read_toc

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


def render_slides(notebook, *, assets: str = "assets", name: str | None = None,
                  title: str | None = None, source_dir: Path | None = None,
                  out_dir: Path | None = None) -> str:
    """Render a notebook as a reveal.js deck (HTML text) that loads nothing from the network.

    The cells' slide metadata decides the slides; ``notes`` cells become speaker notes (press
    ``s``); cells tagged ``setup``, ``solution`` or ``navigation`` (and code holding a
    ``# BEGIN SOLUTION`` region) are left out; the first slide is a title slide that carries
    the lesson's learning objectives.

    Args:
        notebook: a path or an nbformat notebook (not changed).
        assets: the URL of the assets folder relative to the deck.
        name: how errors name the notebook.
        title: the lesson's title (default: :func:`lesson_title`).
        source_dir, out_dir: the notebook's folder and the deck's, to re-point relative links.

    Returns:
        The deck's HTML.

    Raises:
        NotebookError: an image without alt text, a remote reference, or nothing to show.
    """
    nb, path = _as_notebook(notebook)
    name = name or (str(path) if path else "notebook")
    title = title or lesson_title(nb, path)
    kept = _visible(nb, HIDDEN_IN_SLIDES, notes=True)
    _check_alt(kept, name)
    _title_slide(nb, title)
    exporter = _exporter("slides")
    exporter.reveal_url_prefix = f"{assets}/reveal.js"
    resources = {"metadata": {"name": title},
                 "coursekit": {"assets": assets, "mathjax": _needs_math(nb), "title": title,
                               "course": COURSE_TITLE}}
    nb.metadata["title"] = title
    try:
        body, _ = exporter.from_notebook_node(nb, resources=resources)
    except ValueError as exc:
        raise NotebookError(f"{name}: cannot be made into slides ({exc}).") from None
    body = _rewrite_links(body, notebook_suffix=".slides.html", source_dir=source_dir,
                          out_dir=out_dir)
    return _finish(body, name)


def render_handout(notebook, *, assets: str = "assets", name: str | None = None,
                   title: str | None = None, source_dir: Path | None = None,
                   out_dir: Path | None = None) -> str:
    """Render a notebook as an offline HTML handout: prose, code, outputs, figures, sources.

    Speaker notes and solutions are left out; the setup cell stays, so a reader can rerun the
    code. Arguments, return value and errors are those of :func:`render_slides`.
    """
    nb, path = _as_notebook(notebook)
    name = name or (str(path) if path else "notebook")
    title = title or lesson_title(nb, path)
    kept = _visible(nb, HIDDEN_IN_HANDOUTS, notes=False)
    _check_alt(kept, name)
    exporter = _exporter("handout")
    resources = {"metadata": {"name": title},
                 "coursekit": {"assets": assets, "mathjax": _needs_math(nb), "title": title,
                               "course": COURSE_TITLE}}
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    body = _rewrite_links(body, notebook_suffix=".html", source_dir=source_dir, out_dir=out_dir)
    return _finish(body, name)


def _relative(target: Path, start: Path) -> str:
    return os.path.relpath(target.resolve(), start.resolve()).replace(os.sep, "/")


def export_slides(notebook, out: str | os.PathLike[str], *, assets: str | os.PathLike[str],
                  title: str | None = None, name: str | None = None) -> Path:
    """Write a notebook's deck to ``out`` (atomically), loading its assets from ``assets``.

    Args:
        notebook: a path or an nbformat notebook.
        out: the deck's path, conventionally ``NAME.slides.html``.
        assets: the assets folder (filled by :func:`install_assets`; not filled here).
        title: the lesson's title (default: :func:`lesson_title`).
        name: how errors name the notebook.

    Returns:
        ``out`` as a :class:`~pathlib.Path`.

    Raises:
        NotebookError: see :func:`render_slides`.
    """
    out = Path(out)
    source = Path(notebook).parent if isinstance(notebook, (str, os.PathLike)) else None
    text = render_slides(notebook, assets=_relative(Path(assets), out.parent), title=title,
                         name=name, source_dir=source, out_dir=out.parent)
    return atomic_write_text(out, text)


def export_handout(notebook, out: str | os.PathLike[str], *, assets: str | os.PathLike[str],
                   pdf: bool | None = None, title: str | None = None,
                   name: str | None = None, printer: PdfPrinter | None = None) -> list[Path]:
    """Write a notebook's handout to ``out`` (atomically) and, with Chromium, a PDF beside it.

    Args:
        notebook: a path or an nbformat notebook.
        out: the handout's path (``NAME.html``); the PDF is ``NAME.pdf``.
        assets: the assets folder (filled by :func:`install_assets`).
        pdf: True to require a PDF, False for none, None for a PDF when Chromium is found.
        title, name: as for :func:`export_slides`.
        printer: a running :class:`PdfPrinter` to print with (one browser for many handouts).

    Returns:
        The files written: the HTML, then the PDF if one was printed.

    Raises:
        NotebookError: see :func:`render_slides`; or ``pdf=True`` and no Chromium.
    """
    out = Path(out)
    source = Path(notebook).parent if isinstance(notebook, (str, os.PathLike)) else None
    text = render_handout(notebook, assets=_relative(Path(assets), out.parent), title=title,
                          name=name, source_dir=source, out_dir=out.parent)
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


# --------------------------------------------------------------------------- PDF

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-default-apps", "--disable-extensions", "--mute-audio",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost")


def find_chromium() -> str | None:
    """Return the path of a Chromium or Chrome on this machine, or None.

    ``COURSEKIT_CHROMIUM`` names one explicitly (an empty value means "none": no PDFs).

    >>> isinstance(find_chromium(), (str, type(None)))
    True
    """
    env = os.environ.get("COURSEKIT_CHROMIUM")
    if env is not None:
        return shutil.which(env) if env else None
    for candidate in CHROMIUM_NAMES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


class PdfPrinter:
    """One headless Chromium, driven over its DevTools pipe, that prints many pages to PDF.

    Starting a browser costs about a second; printing a page with one already running costs a
    fraction of that, so a build prints every handout through one printer. Host names resolve
    to nowhere, so a page cannot reach the network while it is printed. Use it as a context
    manager (the browser is closed on exit).

    Args:
        chromium: the browser (default: :func:`find_chromium`).
        timeout: seconds allowed for one page.

    Raises:
        NotebookError: no browser, or it failed to start or to print.
    """

    def __init__(self, chromium: str | None = None, timeout: float = 120):
        self.chromium = chromium or find_chromium()
        if self.chromium is None:
            raise NotebookError("No Chromium to print PDFs with: install it (apt-get install "
                                "chromium) or set COURSEKIT_CHROMIUM.")
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="coursekit-chromium-")
        to_browser = os.pipe()
        from_browser = os.pipe()
        self._stderr = tempfile.TemporaryFile()
        # The DevTools pipe is fds 3 (commands in) and 4 (replies out) of the browser. Our ends
        # are first copied above 9 so that placing one cannot clobber the other.
        import fcntl

        child_in = fcntl.fcntl(to_browser[0], fcntl.F_DUPFD, 10)
        child_out = fcntl.fcntl(from_browser[1], fcntl.F_DUPFD, 10)
        argv = [self.chromium, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile.name}",
                "--remote-debugging-pipe", "--hide-scrollbars", "about:blank"]
        try:
            self._pid = os.posix_spawn(self.chromium, argv, os.environ, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_DUP2, self._stderr.fileno(), 2),
                (os.POSIX_SPAWN_DUP2, child_in, 3),
                (os.POSIX_SPAWN_DUP2, child_out, 4),
                (os.POSIX_SPAWN_CLOSE, child_in),
                (os.POSIX_SPAWN_CLOSE, child_out),
            ])
        finally:
            for fd in (child_in, child_out, to_browser[0], from_browser[1]):
                os.close(fd)
        self._write = to_browser[1]
        self._read = from_browser[0]
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict] = []

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        import select
        import time

        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._write, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise NotebookError("Chromium is not running (it crashed or could not start).") from None
        deadline = time.monotonic() + self.timeout
        while True:
            for reply in self._messages(deadline, select):
                if reply.get("id") == self._next_id:
                    if "error" in reply:
                        raise NotebookError(f"Chromium: {method} failed: {reply['error'].get('message')}")
                    return reply.get("result", {})
                self._events.append(reply)

    def _messages(self, deadline: float, select):
        import time

        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise NotebookError(f"Chromium did not answer within {self.timeout:g} s.")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                self._stderr.seek(0)
                tail = " ".join(self._stderr.read().decode(errors="replace").strip().splitlines()[-2:])
                raise NotebookError(f"Chromium closed its DevTools pipe ({tail or 'it crashed'}).")
            self._buffer += chunk
        *complete, self._buffer = self._buffer.split(b"\0")
        return [json.loads(part) for part in complete if part]

    def _wait_event(self, method: str, session: str) -> None:
        import select
        import time

        deadline = time.monotonic() + self.timeout
        while True:
            for event in self._events:
                if event.get("method") == method and event.get("sessionId") == session:
                    self._events.remove(event)
                    return
            self._events.extend(self._messages(deadline, select))

    def print(self, html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str]) -> Path:
        """Print one page (a local HTML file) to ``pdf_path``, atomically; return the path."""
        url = Path(html_path).resolve().as_uri()
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self._send("Page.enable", session=session)
            self._send("Page.navigate", {"url": url}, session=session)
            self._wait_event("Page.loadEventFired", session)
            # Fonts loaded and MathJax (if the page has it) done typesetting.
            self._send("Runtime.evaluate", {"expression": WAIT_FOR_PAGE, "awaitPromise": True,
                                            "returnByValue": True}, session=session)
            # A tagged PDF keeps the document structure (headings, figures with their alt
            # text) for screen readers.
            data = self._send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True,
                                                  "generateTaggedPDF": True}, session=session)["data"]
        finally:
            try:
                self._send("Target.closeTarget", {"targetId": target})
            except NotebookError:
                pass
        import base64

        return atomic_write_bytes(pdf_path, base64.b64decode(data))

    def _exited(self, wait: float = 0.0) -> bool:
        import time

        deadline = time.monotonic() + wait
        while True:
            if self._pid is None:
                return True
            pid, _ = os.waitpid(self._pid, os.WNOHANG)
            if pid:
                self._pid = None
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def close(self) -> None:
        """Close the browser (idempotent)."""
        import signal

        if not self._exited():
            try:
                os.write(self._write, json.dumps({"id": -1, "method": "Browser.close"}).encode() + b"\0")
            except OSError:
                pass
            if not self._exited(10):
                os.kill(self._pid, signal.SIGKILL)
                self._exited(10)
        for fd in (self._write, self._read):
            try:
                os.close(fd)
            except OSError:
                pass
        self._write = self._read = -1
        self._stderr.close()
        self._profile.cleanup()

    def __del__(self):  # pragma: no cover - a safety net; use the context manager
        try:
            self.close()
        except Exception:
            pass


WAIT_FOR_PAGE = """new Promise(function (done) {
  document.fonts.ready.then(function () {
    if (window.MathJax && MathJax.Hub) { MathJax.Hub.Queue(function () { done(true); }); }
    else { done(true); }
  });
})"""


def print_pdf(html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str], *,
              chromium: str | None = None, timeout: int = 120) -> Path:
    """Print an HTML file to PDF with the machine's headless Chromium, offline.

    nbconvert's ``webpdf`` downloads its own browser, which fails offline; this uses the one
    installed on the machine (through a one-page :class:`PdfPrinter`). The PDF is written
    atomically.

    Args:
        html_path: the page to print (loaded as a ``file:`` URL).
        pdf_path: where to write the PDF.
        chromium: the browser (default: :func:`find_chromium`).
        timeout: seconds before giving up.

    Returns:
        ``pdf_path`` as a :class:`~pathlib.Path`.

    Raises:
        NotebookError: no browser, or it failed to print.
    """
    with PdfPrinter(chromium, timeout=timeout) as printer:
        return printer.print(html_path, pdf_path)


# --------------------------------------------------------------------------- command line


def configure(parser, name: str) -> None:
    """Add the arguments of ``coursekit slides`` or ``coursekit handouts`` (``name``)."""
    what = "decks" if name == "slides" else "handouts"
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to export (default: every lesson in notebooks/toc.yml), "
                             "as saved: run `coursekit build` for freshly executed ones")
    parser.add_argument("-o", "--output", type=Path,
                        help=f"folder for the {what} (default: build/{name})")
    parser.add_argument("--assets", type=Path,
                        help="assets folder (default: build/assets with the default output, "
                             "else OUTPUT/assets)")
    if name == "handouts":
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--pdf", dest="pdf", action="store_true", default=None,
                           help="require a PDF of each handout (needs Chromium)")
        group.add_argument("--no-pdf", dest="pdf", action="store_false",
                           help="HTML only, even when Chromium is installed")


def run(args) -> int:
    """Export the notebooks; return 0, or 1 if any failed (each failure is named)."""
    import sys

    from coursekit.build import skip_slow_imports
    from coursekit.lessons import lesson_paths
    from coursekit.paths import course_root

    skip_slow_imports()
    name = args.command
    if args.output is None:
        root = course_root()
        out = root / "build" / name
        assets = args.assets or root / "build" / "assets"
    else:
        out = args.output
        assets = args.assets or out / "assets"
    notebooks = list(args.notebooks) or [p for p in lesson_paths() if p.is_file()]
    if not notebooks:
        raise CourseError("No notebooks to export: name some, or add lessons to notebooks/toc.yml.")
    install_assets(assets)
    printer = None
    if name == "handouts" and args.pdf is not False:
        if find_chromium() is None and args.pdf:
            raise CourseError("--pdf needs Chromium: install it (apt-get install chromium) or set "
                              "COURSEKIT_CHROMIUM.")
        printer = PdfPrinter() if find_chromium() else None
    failures = 0
    try:
        for path in notebooks:
            try:
                if name == "slides":
                    written = [export_slides(path, out / f"{path.stem}.slides.html",
                                             assets=assets, name=str(path))]
                else:
                    written = export_handout(path, out / f"{path.stem}.html", assets=assets,
                                             pdf=args.pdf, name=str(path), printer=printer)
            except CourseError as exc:
                failures += 1
                print(f"coursekit {name}: {exc}", file=sys.stderr)
                continue
            for item in written:
                print(item)
    finally:
        if printer is not None:
            printer.close()
    return 1 if failures else 0
