"""Where the course lives: find the course root from any notebook's working directory.

The root is the folder that holds ``data/datapackage.json``. Notebooks run with their own
folder as the working directory, so we walk upwards from there; ``COURSEKIT_ROOT`` overrides.

>>> root = course_root()
>>> (root / "data" / "datapackage.json").is_file()
True
"""

from __future__ import annotations

import os
from pathlib import Path

from coursekit.errors import CourseError

__all__ = ["course_root", "MARKER"]

MARKER = Path("data") / "datapackage.json"


def course_root(start: str | os.PathLike[str] | None = None) -> Path:
    """Return the course root: ``$COURSEKIT_ROOT``, else the nearest folder above ``start``.

    Args:
        start: where to begin looking (default: the current working directory).

    Returns:
        The absolute path of the folder that holds ``data/datapackage.json``.

    Raises:
        CourseError: no such folder above ``start`` nor beside the installed package.
    """
    env = os.environ.get("COURSEKIT_ROOT")
    if env:
        root = Path(env).resolve()
        if not (root / MARKER).is_file():
            raise CourseError(
                f"COURSEKIT_ROOT={env} has no {MARKER}. Point it at the course folder "
                "(the one with data/ and notebooks/) or unset it."
            )
        return root
    here = Path(start or Path.cwd()).resolve()
    # The editable install's own checkout comes last, so a copied course folder wins.
    candidates = [here, *here.parents, Path(__file__).resolve().parents[2]]
    for folder in candidates:
        if (folder / MARKER).is_file():
            return folder
    raise CourseError(
        f"No course folder found above {here}: none holds {MARKER}. Run from inside the "
        "cloned course, or set COURSEKIT_ROOT to its folder."
    )
