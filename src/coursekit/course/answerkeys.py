"""Answer keys: an instructor's plaintext answers (YAML) turned into a hashed ``checks.json``.

The YAML maps question ids to ``kind``, ``answer`` (or ``answers``), ``hint`` and the optional
``step``, ``tolerance``, ``choices``, ``wrong`` and ``points`` (see :mod:`coursekit.checks`).

>>> import tempfile, pathlib, json
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.yml").write_text("q1:\\n  kind: text\\n  answer: Tashkent\\n")
>>> write_keys([folder / "a.yml"], folder / "checks.json", salt_seed="doc")
1
>>> "Tashkent" in (folder / "checks.json").read_text()
False
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from coursekit.checks import build_keys
from coursekit.course.files import atomic_write_text, read_yaml
from coursekit.errors import CheckError, CourseError

__all__ = ["read_spec", "write_keys", "keys_text"]


def keys_text(keys: dict) -> str:
    """The key document as it is written to ``checks.json`` (stable, so it diffs cleanly)."""
    return json.dumps(keys, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def read_spec(path: str | os.PathLike[str]) -> dict:
    """Read one plaintext answers file (YAML mapping of question id to its answer).

    Raises:
        CheckError: the file is missing, not YAML (with line and column), or not a mapping.
    """
    path = Path(path)
    try:
        spec = read_yaml(path, missing="no such answers file")
    except CourseError as exc:
        raise CheckError(f"{exc} Fix the indentation or quoting.") from None
    if not isinstance(spec, dict):
        raise CheckError(f"{path}: expected a mapping of question ids to answers at the top level.")
    return spec


def write_keys(specs, out: str | os.PathLike[str], *, salt_seed: str | None = None) -> int:
    """Hash the answers in ``specs`` (YAML paths) into key file ``out``; return the count.

    The file is written atomically: a reader sees the old key file or the new one.
    """
    merged: dict = {}
    for path in specs:
        for qid, item in read_spec(path).items():
            if qid in merged:
                raise CheckError(f"{path}: question {qid!r} is defined twice; ids must be unique.")
            merged[qid] = item
    keys = build_keys(merged, salt_seed=salt_seed)
    atomic_write_text(out, keys_text(keys))
    return len(keys["questions"])
