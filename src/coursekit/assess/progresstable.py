"""The progress table ``coursekit progress`` prints: one line a notebook, a total, what is left.

See :func:`format_table` for an example.
"""

from __future__ import annotations

from coursekit.assess.selfchecks import NOT_RUN, NOT_YET, PASSED, STATES

__all__ = ["format_table", "WIDTH"]

WIDTH = 96  # the "still to do" lines wrap here


def format_table(rows: list, *, questions: bool = False) -> str:
    """Return the progress table as text: one line per notebook and a total.

    Below the table it lists what is still to do (with ``questions=True``, every question).

    Args:
        rows: :class:`coursekit.assess.progress.NotebookProgress` rows, in the order shown.
        questions: list every question with its state, not only those still to do.

    >>> from pathlib import Path
    >>> from coursekit.assess.progress import NotebookProgress
    >>> rows = [NotebookProgress(Path("01.ipynb"), "01 · History",
    ...                          {"01.a": PASSED, "01.b": NOT_YET, "01.c": NOT_RUN}),
    ...         NotebookProgress(Path("02.ipynb"), "02 · Visit", error="02.ipynb: broken")]
    >>> print(format_table(rows))
    Notebook       Passed  Not yet  Not run
    ------------  -------  -------  -------
    01 · History   1 of 3        1        1
    02 · Visit    could not be read (see the message above)
    ------------  -------  -------  -------
    All           1 of 3        1        1
    <BLANKLINE>
    Still to do:
      01 · History: 01.b (not yet), 01.c (not run)
    >>> print("\\n".join(format_table(rows[:1], questions=True).splitlines()[-4:]))
      01 · History
        passed   01.a
        not yet  01.b
        not run  01.c
    """
    head = ("Notebook", "Passed", "Not yet", "Not run")
    width = max([len(head[0]), len("All")] + [len(r.title) for r in rows])
    cols = [max(len(h), 7) for h in head[1:]]
    rule = "  ".join(["-" * width] + ["-" * c for c in cols])

    def line(name: str, cells) -> str:
        return "  ".join([name.ljust(width)] + [str(v).rjust(c) for v, c in zip(cells, cols, strict=True)])

    lines = [line(head[0], head[1:]).rstrip(), rule]
    total = {state: 0 for state in STATES}
    for row in rows:
        if row.error:
            lines.append(f"{row.title.ljust(width)}  could not be read (see the message above)")
            continue
        if not row.questions:
            lines.append(f"{row.title.ljust(width)}  no self-checks")
            continue
        counts = {state: row.count(state) for state in STATES}
        for state, n in counts.items():
            total[state] += n
        lines.append(line(row.title, (f"{counts[PASSED]} of {len(row.questions)}",
                                      counts[NOT_YET], counts[NOT_RUN])))
    lines.append(rule)
    lines.append(line("All", (f"{total[PASSED]} of {sum(total.values())}",
                              total[NOT_YET], total[NOT_RUN])))
    listed = [r for r in rows if not r.error and
              (questions and r.questions or any(s != PASSED for s in r.questions.values()))]
    if listed:
        lines += ["", "Every self-check:" if questions else "Still to do:"]
        for row in listed:
            if not questions and row.count(NOT_RUN) == len(row.questions):
                lines.append(f"  {row.title}: not started ({len(row.questions)} self-checks)")
                continue
            if questions:
                lines.append(f"  {row.title}")
                lines += [f"    {state:<8} {qid}" for qid, state in row.questions.items()]
                continue
            items = [f"{qid} ({state})" for qid, state in row.questions.items() if state != PASSED]
            lines += _wrap(f"  {row.title}: ", items, indent="      ")
    elif rows and sum(total.values()) and total[PASSED] == sum(total.values()):
        lines += ["", "Every self-check passed. Well done!"]
    return "\n".join(lines)


def _wrap(first: str, items: list[str], *, indent: str) -> list[str]:
    """Join ``items`` with commas after ``first``, breaking lines between items only."""
    lines, line = [], first
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if line.strip() and not line.endswith(": ") and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line = indent + piece
        else:
            line += ("" if line.endswith(": ") else " ") + piece
    return [*lines, line]

