"""The exception types coursekit raises, so callers can catch the library's own errors.

Every message names the place (file, row, column, cell or question) and says what to do.

>>> from coursekit.errors import DataError, CourseError
>>> issubclass(DataError, CourseError)
True
"""

__all__ = ["CourseError", "DataError", "CheckError", "NotebookError"]


class CourseError(Exception):
    """Base class of every error coursekit raises on purpose."""


class DataError(CourseError):
    """A data file, its schema or a source id is missing or malformed."""


class CheckError(CourseError):
    """An answer key is missing or malformed (not a wrong answer: those get feedback)."""


class NotebookError(CourseError):
    """A notebook cannot be read, executed or exported."""
