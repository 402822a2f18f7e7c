"""The runtime's names that the tool half analyses in lesson code, tied to the runtime's ``__all__``.

The build's dependency analysis and the lesson lint read notebook code and look for calls of
the student runtime (``data.load("timeline")``, ``plots.show(...)``, ``check(...)``). They take
the names from here, and ``tests/test_vocabulary.py`` fails when a name here is no longer in
the runtime module's ``__all__`` (a rename in the runtime would otherwise go unnoticed).

>>> RUNTIME_NAMES["data"]["by_name"]
('load', 'fields')
>>> sorted(RUNTIME_MODULES)
['checks', 'data', 'plots', 'tables']
"""

from __future__ import annotations

__all__ = ["RUNTIME_NAMES", "RUNTIME_MODULES", "CHECK", "CITING_CALLS", "runtime_names"]

# module -> role -> names. Roles say what a call reads, which is what the analysis needs.
RUNTIME_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "data": {
        "by_name": ("load", "fields"),          # the first argument names the dataset
        "sources": ("cite", "bibliography"),    # read sources.csv
        "package_only": ("names",),             # read datapackage.json only
        "pure": ("format_date",),               # read no data at all
        "by_row": ("date_of", "when"),          # look a row up by its id
    },
    "plots": {"sources": ("show",)},            # plots.show() cites its sources
    "tables": {"shows": ("show", "dates", "count", "bullets")},
    "checks": {"check": ("check",)},
}
RUNTIME_MODULES = {name: f"coursekit.{name}" for name in RUNTIME_NAMES}
CHECK = "check"                                  # the self-check call
CITING_CALLS = frozenset(RUNTIME_NAMES["data"]["sources"] + RUNTIME_NAMES["plots"]["sources"])


def runtime_names(module: str, role: str) -> frozenset[str]:
    """The names of ``module`` with ``role`` (see :data:`RUNTIME_NAMES`).

    >>> sorted(runtime_names("data", "sources"))
    ['bibliography', 'cite']
    """
    return frozenset(RUNTIME_NAMES[module][role])
