"""coursekit: the helper library and tools of a Jupyter course on Pakistan-Russia relations.

Modules, one concern each (import the one you need; importing ``coursekit`` itself stays
light so that ``coursekit --help`` answers at once):

- ``coursekit.data``: load the course's data package as typed DataFrames; cite sources.
- ``coursekit.plots``: the house figure style; figures with caption, source line, alt text.
- ``coursekit.checks``: self-checks with hashed answer keys and kind feedback.
- ``coursekit.errors``: the library's exception types.

The commands (``coursekit --help``) live in their own modules: ``build`` and ``cache``,
``export`` (with ``decklayout``, ``slidefit``, ``references``, ``prepare``, ``pagechecks``,
``assets``, ``pdf``, ``learnerpages``), ``release`` (with ``exercises``, ``solutions``, ``leaks``), ``grade`` (with
``sandbox``, ``zygote``, ``feedback``), ``progress`` and ``keys``; ``lessons`` holds the ordered
list and the lesson lint, ``execute`` and ``warmkernel`` run notebooks.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
