"""coursekit: the helper library and tools of a Jupyter course on Pakistan-Russia relations.

The student runtime sits at the top (``coursekit.data``, ``tables``, ``plots``, ``checks`` and
what they use); the tools live in subpackages, each importing only the layers below it:
``course`` (the course model), ``kernels`` (running code), ``export`` (slides and handouts),
``assess`` (release and grading), ``build`` and ``cli``. See ``docs/architecture.md``.
Importing ``coursekit`` itself stays light, so that ``coursekit --help`` answers at once.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
