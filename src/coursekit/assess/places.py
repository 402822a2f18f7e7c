"""Where the leak scan looks: the text inside every payload of a notebook, and a check that
every cell has the shape the scan reads (so a cell it cannot read stops the release).

>>> payloads({"text/plain": "aGVsbG8gd29ybGQ=", "image/png": "iVBORw0KGgo="})
(['hello world'], ['iVBORw0KGgo='])
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from coursekit.errors import CourseError

__all__ = ["decoded", "strings", "textual", "payloads", "readable", "TEXT_MIMES"]

TEXT_MIMES = ("application/json", "application/javascript", "image/svg+xml")


def decoded(value: str) -> str | None:
    """The text inside a base64 payload (images, attachments), or None if it is not base64."""
    compact = "".join(value.split())
    if len(compact) < 8 or len(compact) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]+=*", compact):
        return None
    try:
        return base64.b64decode(compact, validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        return None


def strings(node) -> list[str]:
    """Every string in a JSON-like structure, keys too."""
    found: list[str] = []
    if isinstance(node, str):
        found.append(node)
    elif isinstance(node, dict):
        for key, value in node.items():
            found.append(str(key))
            found += strings(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            found += strings(value)
    return found


def textual(mime: str) -> bool:
    return mime.startswith("text/") or mime in TEXT_MIMES or mime.endswith("+json")


def payloads(bundle) -> tuple[list[str], list[str]]:
    """Split a mime bundle (an output's data, an attachment) into (text, binary) payloads.

    Text payloads are decoded from base64 where they are stored that way and searched for
    everything; binary ones (images) only for the instructor's own outputs, since any short
    number can turn up by chance in base64 image data.
    """
    texts: list[str] = []
    binary: list[str] = []
    for mime, data in (bundle.items() if isinstance(bundle, dict) else []):
        value = data if isinstance(data, str) else "".join(data) if isinstance(data, list) and all(
            isinstance(x, str) for x in data) else json.dumps(data)
        if textual(str(mime)):
            texts.append(decoded(value) or value)
        else:
            binary.append(value)
    return texts, binary


def readable(nb, name: str = "notebook") -> None:
    """Check that every cell of ``nb`` has the shape the scan reads, so that "clean" means clean.

    Raises:
        CourseError: a cell, source, output or attachment of an unexpected type (names the cell).

    >>> readable({"cells": [{"cell_type": "code", "source": 3, "metadata": {}}], "metadata": {}})
    Traceback (most recent call last):
    ...
    coursekit.errors.CourseError: the leak scan cannot read notebook, cell 0: its source is not text...
    """
    def fail(where, what):
        raise CourseError(f"the leak scan cannot read {name}, {where}: {what}; nothing was "
                          "written. Open the notebook in JupyterLab, save it, and release again.")

    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        fail("its cells", "not a list")
    if not isinstance(nb.get("metadata", {}), dict):
        fail("its metadata", "not a mapping")
    for index, cell in enumerate(nb["cells"]):
        where = f"cell {index}"
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            fail(where, "not a code, Markdown or raw cell")
        source = cell.get("source", "")
        if not (isinstance(source, str) or (isinstance(source, list)
                                            and all(isinstance(x, str) for x in source))):
            fail(where, "its source is not text")
        if not isinstance(cell.get("metadata", {}), dict):
            fail(where, "its metadata is not a mapping")
        outputs = cell.get("outputs", [])
        if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
            fail(where, "its outputs are not a list of outputs")
        for out in outputs:
            if not isinstance(out.get("data", {}), dict):
                fail(where, "an output whose data is not a mapping")
        attachments = cell.get("attachments") or {}
        if not isinstance(attachments, dict) or not all(isinstance(b, dict) for b in attachments.values()):
            fail(where, "its attachments are not mime bundles")
        for bundle in attachments.values():
            for mime, data in bundle.items():
                if isinstance(data, str) and not textual(str(mime)) and decoded(data) is None \
                        and data.strip():
                    fail(where, f"attachment data ({mime}) that is not base64")
