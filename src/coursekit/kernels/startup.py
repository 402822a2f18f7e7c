"""Process start-up for the tools: keep a process from importing what it never uses.

>>> skip_slow_imports() is None
True
"""

from __future__ import annotations

import sys

__all__ = ["skip_slow_imports"]


def skip_slow_imports() -> None:
    """Keep this process from importing ``rfc3987_syntax``, which costs ~2 s of CPU per process.

    jsonschema (imported by nbformat) loads it, when installed, only to check the ``iri``
    string format, which no notebook schema uses; blocking it makes jsonschema skip that one
    check. Called by the command line and in the build's worker processes, never on import
    (and too late once jsonschema is imported, so then it does nothing).
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)
