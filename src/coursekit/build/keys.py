"""The build's keys: the environment fingerprint, and the execution and content keys of a notebook.

A notebook's *execution key* hashes everything that can change its outputs: its code cells (and
their tags), the kernel, the files it reads (:func:`coursekit.build.inputs.input_files`), the
Python version and the installed versions of every package. Two runs with the same key give the
same outputs (coursekit executes deterministically), so the second one is skipped. The
*content key* covers the whole notebook but its outputs: it says when to export again.

>>> key = content_key({"cells": [], "metadata": {}}, "part")
>>> len(key), key == content_key({"cells": [], "metadata": {}}, "part")
(64, True)
"""

from __future__ import annotations

import json
import os
import platform
import sys
import sysconfig
from collections.abc import Iterable
from pathlib import Path

from coursekit.course.files import digest_file, digest_text

__all__ = ["environment_fingerprint", "execution_key", "content_key", "KEY_VERSION"]

KEY_VERSION = "coursekit-cache/1"


def _site_dirs() -> list[Path]:
    dirs = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    dirs.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return sorted(Path(d) for d in dirs if Path(d).is_dir())


def _kernelspec() -> str:
    """The python3 kernelspec that would be launched, if one is installed (else the built-in)."""
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:  # pragma: no cover - jupyter_core comes with jupyterlab
        return "builtin"
    for folder in jupyter_path("kernels"):
        spec = Path(folder) / "python3" / "kernel.json"
        if spec.is_file():
            return spec.read_text("utf-8", errors="replace")
    return "builtin"


def environment_fingerprint() -> dict:
    """Describe what outside a notebook can change its outputs: Python, packages, kernel.

    Installed packages are read from the ``*.dist-info`` folder names (which carry the
    versions) in site-packages: fast, and it covers every dependency, direct or not.

    Returns:
        A JSON-able dict; it goes into every execution key.

    >>> sorted(environment_fingerprint())
    ['kernel', 'kernel_env', 'packages', 'platform', 'python']
    """
    from coursekit.kernels.execute import KERNEL_ENV

    packages = []
    for folder in _site_dirs():
        try:
            packages.extend(sorted(n for n in os.listdir(folder) if n.endswith((".dist-info", ".egg-info"))))
        except OSError:
            continue
    return {
        "python": sys.version,
        "platform": f"{platform.system()}-{platform.machine()}",
        "packages": digest_text("\n".join(packages)),
        "kernel": digest_text(_kernelspec()),
        "kernel_env": KERNEL_ENV,
    }


def execution_key(nb: dict, inputs: Iterable[str | os.PathLike[str]], environment: dict,
                  root: str | os.PathLike[str]) -> str:
    """Return the key of a notebook's *outputs*: code cells, kernel, input files, environment.

    Markdown cells and slide metadata are left out on purpose: editing prose reuses the
    outputs (the exports are keyed on the whole notebook by :func:`content_key`).

    Args:
        nb: the notebook as plain JSON (``json.load``), not necessarily an nbformat node.
        inputs: the files from :func:`input_files`.
        environment: :func:`environment_fingerprint`.
        root: the course root; input paths are keyed relative to it.

    >>> nb = {"cells": [{"cell_type": "code", "source": "1 + 1", "metadata": {}}], "metadata": {}}
    >>> key = execution_key(nb, [], {}, ".")
    >>> nb["cells"].append({"cell_type": "markdown", "source": "prose", "metadata": {}})
    >>> execution_key(nb, [], {}, ".") == key
    True
    """
    root = Path(root).resolve()
    cells = [
        ["".join(c.get("source", "")), sorted(c.get("metadata", {}).get("tags", []))]
        for c in nb.get("cells", []) if c.get("cell_type") == "code"
    ]
    files = []
    for path in inputs:
        path = Path(path).resolve()
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        files.append([name, digest_file(path)])
    payload = {
        "version": KEY_VERSION,
        "kernel": nb.get("metadata", {}).get("kernelspec", {}).get("name", "python3"),
        "cells": cells,
        "inputs": sorted(files),
        "environment": environment,
    }
    return digest_text(json.dumps(payload, sort_keys=True, ensure_ascii=False))


def content_key(nb: dict, *parts) -> str:
    """Return a key of the whole notebook but its outputs, combined with ``parts``.

    >>> a = {"cells": [{"cell_type": "markdown", "source": "x", "metadata": {}}], "metadata": {}}
    >>> content_key(a, "k") == content_key(a, "k"), content_key(a, "k") == content_key(a, "j")
    (True, False)
    """
    cells = []
    for cell in nb.get("cells", []):
        cells.append({k: v for k, v in cell.items() if k not in {"outputs", "execution_count", "id"}})
    metadata = {k: v for k, v in nb.get("metadata", {}).items() if k not in {"widgets"}}
    payload = {"version": KEY_VERSION, "cells": cells, "metadata": metadata, "parts": list(parts)}
    return digest_text(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str))
