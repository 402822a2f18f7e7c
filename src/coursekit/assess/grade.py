"""Grading, the public face: a folder of submitted notebooks run in fresh, isolated kernels.

For each entry under the submissions folder (any names, nested folders; every file, folder
named like a notebook, hidden folder and link gets rows; ``.ipynb_checkpoints`` is skipped)
the grader:

1. reads it without ever changing, moving or deleting it, and tells which exercise set it is
   (its ``coursekit`` metadata, its file name, its cells, or ``--set``):
   :mod:`coursekit.assess.submissions`;
2. runs its code cells in a new kernel, inside a throwaway working copy of the course's data,
   under the isolation :mod:`coursekit.kernels.sandbox` reports, with a time limit per cell (the cell is
   interrupted and the run goes on) and per notebook (the kernel is killed), and a cap on the
   output it keeps; kernels run in parallel, one per CPU core, each forked from a warm process
   that has the heavy imports done (:mod:`coursekit.kernels.zygote`; ``--cold`` starts each as a new
   process instead): :mod:`coursekit.assess.run`, :mod:`coursekit.kernels.execute`;
3. reads each graded question's variable out of the kernel through a reader planted before
   the first cell (:mod:`coursekit.assess.readout`: no hook the notebook installs can forge it) and
   judges it *in the grader* with the instructor's key built from ``exercises/answers/`` (a
   submission's own check calls, key file or edited library change nothing):
   :mod:`coursekit.assess.scoring`;
4. records every failure as a status for that student and goes on, saving each result as soon
   as it is graded (:mod:`coursekit.assess.journal`), so Ctrl+C keeps them and a rerun resumes:
   :mod:`coursekit.assess.batch`, with its slots in :mod:`coursekit.assess.slots`.

:mod:`coursekit.assess.report` writes the gradebooks (:mod:`coursekit.assess.gradebook`), the feedback pages,
the manual-marking sheets (:mod:`coursekit.assess.marking`) and ``grading.json``. Statuses:
``correct``, ``incorrect``, ``unanswered``, ``missing`` (the variable is gone), ``crashed``
(its answer cell raised an error or was stopped), ``manual`` (rubric, points left blank for the
instructor), ``error`` (the run stopped before the answer could be read) and ``invalid`` (not
a notebook that could be run).

The command line is :mod:`coursekit.cli.grade`.

>>> from coursekit.assess import grade
>>> from coursekit.course import defaults
>>> grade.Options().memory_mb == defaults.MEMORY_MB, "crashed" in grade.STATUSES
(True, True)
"""

from coursekit.assess.batch import grade_folder
from coursekit.assess.gradebook import COLUMNS
from coursekit.assess.model import STATUSES, Options, Outcome, Report, Submission
from coursekit.assess.readout import MISSING
from coursekit.assess.report import write_report
from coursekit.assess.submissions import find_submissions, read_submission

__all__ = ["Options", "Submission", "Outcome", "Report", "find_submissions", "read_submission",
           "grade_folder", "write_report", "COLUMNS", "STATUSES", "MISSING"]
