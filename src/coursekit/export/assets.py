"""The assets folder: reveal.js, MathJax and the notebook CSS, copied from installed packages.

Decks and handouts load every script, style sheet and font from this folder beside them, so
they work offline; :func:`install_assets` fills it (reveal.js from ``sphinx-revealjs``,
MathJax 2.7 from ``jupyter-server-mathjax``, the notebook CSS from ``nbconvert``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

from coursekit.course.files import digest_file, digest_text, swap_in
from coursekit.errors import CourseError

__all__ = ["install_assets", "TEMPLATES", "ASSETS_STAMP"]

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
ASSETS_STAMP = ".coursekit-assets.json"


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
        swap_in(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


