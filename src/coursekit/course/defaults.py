"""Every default limit of the tools, defined once (commands, the build and the grader read them).

>>> CELL_TIMEOUT, GRADE_CELL_TIMEOUT, MEMORY_MB
(120, 60, 4096)
"""

__all__ = ["CELL_TIMEOUT", "GRADE_CELL_TIMEOUT", "NOTEBOOK_TIMEOUT", "STARTUP_TIMEOUT", "MEMORY_MB",
           "FILE_MB", "MAX_OUTPUT_MB", "PDF_TIMEOUT"]

CELL_TIMEOUT = 120       # seconds one lesson cell may run in the build (the slowest takes a few)
GRADE_CELL_TIMEOUT = 60  # seconds one submitted cell may run: exercise cells are small
NOTEBOOK_TIMEOUT = 600   # seconds a whole submission may run in the grader
STARTUP_TIMEOUT = 60     # seconds a kernel may take to start on a loaded machine
MEMORY_MB = 4096         # address space per grading kernel (pandas and matplotlib need ~1 GB)
FILE_MB = 256            # the largest file a grading kernel may write (its /tmp is this size too)
MAX_OUTPUT_MB = 2        # outputs kept per submission; the rest is dropped with a note
PDF_TIMEOUT = 120        # seconds Chromium may take to print one handout
