"""The course's files on disk: read a notebook or a YAML file, write a file or a folder at once.

One place for each of these, so every command reports a broken file the same way (naming the
file and what to do) and no reader ever sees half a file or half a folder.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = atomic_write_text(folder / "toc.yml", "lessons:\\n  - {file: 00-a.ipynb, title: A}\\n")
>>> read_yaml(folder / "toc.yml")["lessons"][0]["title"]
'A'
>>> _ = (folder / "bad.yml").write_text("lessons: [unclosed", encoding="utf-8")
>>> read_yaml(folder / "bad.yml")
Traceback (most recent call last):
...
coursekit.errors.CourseError: .../bad.yml: not valid YAML (line 1, column 19): ...
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from coursekit.errors import CourseError, NotebookError

__all__ = ["atomic_write", "atomic_write_text", "atomic_write_bytes", "is_temporary", "TMP_SUFFIX",
           "read_notebook", "write_notebook", "read_yaml", "swap_in", "digest_text", "digest_file"]

TMP_SUFFIX = ".ck-tmp"


def atomic_write(path: str | os.PathLike[str], write: Callable[[object], None], *,
                 binary: bool = False) -> Path:
    """Write ``path`` all at once: ``write(handle)`` fills a temporary file that then replaces it.

    If ``write`` raises (or the process is interrupted), ``path`` keeps its previous content
    and the temporary file is removed; a reader never sees half a file.

    Args:
        path: the file to (re)write; its folder is created.
        write: called with an open handle to the temporary file.
        binary: open the handle in binary mode.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        Whatever ``write`` raises, after cleaning up.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"; _ = atomic_write_text(p, "old")
    >>> def broken(handle):
    ...     handle.write("half a fi")
    ...     raise RuntimeError("disk full")
    >>> atomic_write(p, broken)
    Traceback (most recent call last):
    ...
    RuntimeError: disk full
    >>> p.read_text(), sorted(x.name for x in p.parent.iterdir())
    ('old', ['a.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        options = {} if binary else {"encoding": "utf-8", "newline": ""}
        with os.fdopen(fd, "wb" if binary else "w", **options) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Atomically write ``text`` (UTF-8) to ``path``; see :func:`atomic_write`."""
    return atomic_write(path, lambda handle: handle.write(text))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Atomically write ``data`` to ``path``; see :func:`atomic_write`."""
    return atomic_write(path, lambda handle: handle.write(data), binary=True)


def is_temporary(name: str) -> bool:
    """True for the name of a temporary file left by an interrupted :func:`atomic_write`.

    >>> is_temporary(".01-x.html.abc123.ck-tmp"), is_temporary("01-x.html")
    (True, False)
    """
    return bool(re.fullmatch(r"\..+\.[^.]+" + re.escape(TMP_SUFFIX), name))


def swap_in(staging: str | os.PathLike[str], final: str | os.PathLike[str]) -> Path:
    """Put the finished folder ``staging`` in place of ``final`` in two renames.

    The previous ``final`` is moved aside first and removed only once the new one is in
    place, so at every moment ``final`` is either the old folder or the new one.

    >>> import tempfile, pathlib
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> (base / "new").mkdir(); _ = (base / "new" / "a.txt").write_text("new")
    >>> (base / "site").mkdir(); _ = (base / "site" / "a.txt").write_text("old")
    >>> (swap_in(base / "new", base / "site") / "a.txt").read_text(), sorted(p.name for p in base.iterdir())
    ('new', ['site'])
    """
    staging, final = Path(staging), Path(final)
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}{TMP_SUFFIX}")
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return final


def digest_text(text: str) -> str:
    """Return the SHA-256 hex digest of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest_file(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 hex digest of a file's bytes, read in chunks (a PDF or a font is large).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"; _ = p.write_text("coursekit")
    >>> digest_file(p) == digest_text("coursekit")
    True
    """
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_notebook(path: str | os.PathLike[str]):
    """Read the notebook at ``path`` as an nbformat (version 4) node.

    Raises:
        NotebookError: the file is missing or is not a notebook; the message names the file
            and says what to do.

    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "01-x.ipynb"; _ = bad.write_text("{ not json")
    >>> read_notebook(bad)
    Traceback (most recent call last):
    ...
    coursekit.errors.NotebookError: .../01-x.ipynb: cannot be read as a notebook (...). Open it in JupyterLab ...
    """
    import nbformat

    path = Path(path)
    try:
        return nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise NotebookError(f"{path}: no such notebook.") from None
    except Exception as exc:  # nbformat raises several types (JSON, schema, encoding, OS)
        why = " ".join(str(exc).split())[:200]
        raise NotebookError(f"{path}: cannot be read as a notebook ({why}). Open it in "
                            "JupyterLab to see whether it is damaged, or restore it from git.") from None


def write_notebook(nb, path: str | os.PathLike[str]) -> Path:
    """Write ``nb`` to ``path`` atomically (a reader never sees half a notebook)."""
    import nbformat

    text = nbformat.writes(nb)
    return atomic_write_text(path, text if text.endswith("\n") else text + "\n")


def read_yaml(path: str | os.PathLike[str], *, missing: str | None = None):
    """Read a YAML file with the safe loader.

    Args:
        path: the file.
        missing: what to tell the user when the file does not exist (default: "no such file").

    Raises:
        CourseError: the file is missing, unreadable or not YAML; the message names the file
            and, for a syntax error, the line and column.
    """
    import yaml

    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path} is missing{': ' + missing if missing else ''}.") from None
    except UnicodeDecodeError:
        raise CourseError(f"{path}: not UTF-8 text. Save it as UTF-8 and try again.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CourseError(f"{path}: not valid YAML{where}: {problem}.") from None
