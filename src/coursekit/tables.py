"""Show rows of the course's data as tables a reader can read: full text, dates as exact as their source.

Use it like this in a lesson::

    from coursekit import data, tables
    timeline = data.load("timeline")
    visit = timeline[timeline["event_id"].isin(["T084", "T087"])]
    tables.show(visit, ["event_id", "date", "event", "source_id"])

:func:`show` writes each date only as exactly as the row's ``date_precision`` column allows
("March 1999", not "1999-03-01"), shows every text in full, wrapped and left-aligned, and leaves
out pandas' row numbers. The table is plain HTML with the layout written on each cell, so it
looks the same in JupyterLab, in an exported handout and on a slide. :func:`dates` gives the
same date texts as a column, :func:`count` counts rows per group (empty groups included) and
:func:`bullets` writes rows as a list of sentences.

>>> import pandas as pd
>>> rows = pd.DataFrame({"event_id": ["T1", "T2"],
...                      "date": pd.to_datetime(["1999-04-01", "2022-02-23"]),
...                      "date_precision": ["month", "day"],
...                      "event": ["Sharif visits Moscow.", "Khan lands in Moscow."]})
>>> list(dates(rows))
['April 1999', '23 February 2022']
>>> print(show(rows, ["date", "event"]))
date             event
April 1999       Sharif visits Moscow.
23 February 2022 Khan lands in Moscow.
"""

from __future__ import annotations

import html
import numbers
import textwrap

import pandas as pd

from coursekit.data import format_date, markdown_text
from coursekit.errors import CourseError

__all__ = ["show", "dates", "count", "bullets", "markdown_text", "Table", "PRECISIONS"]

PRECISIONS = ("day", "month", "year", "approx")
MAX_ROWS = 200  # a table longer than this is not read; say so rather than scroll for ever
TEXT_WIDTH_EM = 38  # a comfortable line length for prose inside a cell
PLAIN_WIDTH = 60  # characters per line of a text cell in the plain-text view

# Layout written on each cell (not in a <style> block), so that JupyterLab's sanitiser, which
# drops <style> from notebooks the reader has not run, keeps it, and exports look the same.
_TABLE_STYLE = "border-collapse:collapse;margin:0.25em 0 0.75em 0;font-size:0.95em"
_TH_STYLE = ("text-align:left;vertical-align:bottom;padding:0.3em 0.6em;"
             "border-bottom:1px solid #888;font-weight:bold;white-space:normal")
_TD_STYLE = "vertical-align:top;padding:0.3em 0.6em;border-bottom:1px solid #ddd;line-height:1.35"
_TEXT_STYLE = f"text-align:left;white-space:normal;min-width:6em;max-width:{TEXT_WIDTH_EM}em"
_NUMBER_STYLE = "text-align:right;white-space:nowrap"
_SHORT_STYLE = "text-align:left;white-space:nowrap"


def _precision_of(stamp: pd.Timestamp) -> str:
    # Without a precision column a date on the 1st may only be a month (on 1 January, a year).
    if (stamp.month, stamp.day) == (1, 1):
        return "year"
    return "month" if stamp.day == 1 else "day"


def dates(rows: pd.DataFrame, column: str = "date", *, precision: str | None = None) -> pd.Series:
    """Write each row's date only as exactly as its source gives it.

    Args:
        rows: a table with a date column (for example rows of ``data.load("timeline")``).
        column: the name of the date column (default ``"date"``).
        precision: how exact the dates are. Default: read the row's ``date_precision``
            column; where a table has none, a date on the 1st of a month is written as that
            month (and 1 January as that year), because it may stand for the whole period.
            Or give one of ``"day"``, ``"month"``, ``"year"``, ``"approx"`` for every row.

    Returns:
        A column of texts, one per row, in the same order (use it with ``.assign``).

    Raises:
        CourseError: the column is missing or the precision is not one of the four.

    >>> rows = pd.DataFrame({"date": pd.to_datetime(["2022-02-24", "2022-11-01", None]),
    ...                      "date_precision": ["day", "approx", "day"]})
    >>> list(dates(rows))
    ['24 February 2022', 'about November 2022', 'date unknown']
    >>> list(dates(rows, precision="year"))
    ['2022', '2022', 'date unknown']
    """
    if column not in rows.columns:
        raise CourseError(f"dates(): this table has no column {column!r}; its columns are "
                          f"{', '.join(map(str, rows.columns))}. Name the date column, e.g. "
                          f"dates(rows, \"{_first_date_column(rows) or 'date'}\").")
    stamps = pd.to_datetime(rows[column])
    if precision is not None:
        if precision not in PRECISIONS:
            raise CourseError(f"dates(): precision {precision!r} is not one of {', '.join(PRECISIONS)}.")
        levels = [precision] * len(rows)
    elif column == "date" and "date_precision" in rows.columns:
        levels = rows["date_precision"].astype(str).tolist()
    else:
        levels = ["day" if pd.isna(s) else _precision_of(s) for s in stamps]
    texts = [format_date(s, p) for s, p in zip(stamps, levels, strict=True)]
    return pd.Series(texts, index=rows.index, name=column, dtype=object)


def _first_date_column(rows: pd.DataFrame) -> str | None:
    return next((str(c) for c in rows.columns if pd.api.types.is_datetime64_any_dtype(rows[c])), None)


def _cell_text(value) -> str:
    if value is None or (not isinstance(value, (list, tuple, set)) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else f"{number:.10g}"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(_cell_text(v) for v in value)
    return str(value)


class Table:
    """A table ready to read: shown as HTML in JupyterLab and in exports, as text elsewhere.

    ``table.frame`` is the underlying DataFrame (all text), for anyone who wants to go on.
    """

    def __init__(self, frame: pd.DataFrame, numeric: set[str], caption: str | None = None,
                 note: str | None = None):
        self.frame = frame
        self.numeric = numeric
        self.caption = caption
        self.note = note

    def __len__(self) -> int:
        return len(self.frame)

    def _style(self, column: str) -> str:
        if column in self.numeric:
            return _NUMBER_STYLE
        longest = max((len(t) for t in self.frame[column]), default=0)
        return _TEXT_STYLE if longest > 24 else _SHORT_STYLE

    def _repr_html_(self) -> str:
        styles = {c: self._style(c) for c in self.frame.columns}
        head = "".join(f'<th scope="col" style="{_TH_STYLE};{"text-align:right" if c in self.numeric else ""}">'
                       f"{_escape(c)}</th>" for c in self.frame.columns)
        body = "".join(
            "<tr>" + "".join(f'<td style="{_TD_STYLE};{styles[c]}">{_escape(row[c])}</td>'
                             for c in self.frame.columns) + "</tr>"
            for _, row in self.frame.iterrows())
        caption = (f'<caption style="caption-side:top;text-align:left;font-weight:bold;padding:0.2em 0">'
                   f"{_escape(self.caption)}</caption>" if self.caption else "")
        note = (f'<p class="coursekit-table-note" style="margin:0 0 0.75em 0;font-size:0.9em">'
                f"{_escape(self.note)}</p>" if self.note else "")
        # JupyterLab runs MathJax 3 over HTML outputs: "mathjax_ignore" keeps a "$" in a cell a
        # dollar sign there (MathJax 2's "tex2jax_ignore" is not honoured in JupyterLab 4).
        return (f'<table class="coursekit-table mathjax_ignore tex2jax_ignore" style="{_TABLE_STYLE}">{caption}'
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}")

    def __repr__(self) -> str:
        columns = list(self.frame.columns)
        wrapped = {c: [textwrap.wrap(t, PLAIN_WIDTH) or [""] for t in self.frame[c]] for c in columns}
        widths = {c: max([len(c)] + [len(line) for cell in wrapped[c] for line in cell]) for c in columns}
        lines = [" ".join(c.ljust(widths[c]) for c in columns).rstrip()]
        for i in range(len(self.frame)):
            height = max(len(wrapped[c][i]) for c in columns)
            for k in range(height):
                parts = []
                for c in columns:
                    cell = wrapped[c][i]
                    text = cell[k] if k < len(cell) else ""
                    parts.append(text.rjust(widths[c]) if c in self.numeric else text.ljust(widths[c]))
                lines.append(" ".join(parts).rstrip())
        if self.caption:
            lines.insert(0, self.caption)
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


def _escape(text) -> str:
    return html.escape(str(text), quote=True)


def show(rows: pd.DataFrame, columns: list[str] | None = None, *, names: dict[str, str] | None = None,
         caption: str | None = None, max_rows: int = MAX_ROWS) -> Table:
    """Show ``rows`` as a readable table: full text, wrapped, dates as exact as their source.

    Dates in a ``date`` column are written as precisely as the row's ``date_precision``
    (other date columns: see :func:`dates`); the precision column itself is then left out.
    Text is shown in full and left-aligned, numbers right-aligned, ``True``/``False`` as
    yes/no, empty cells blank, and pandas' row numbers are not shown (put an id column, such
    as ``event_id``, first instead).

    Args:
        rows: the rows to show (any DataFrame; a Series is shown as one column).
        columns: the columns to show, in this order (default: all of them).
        names: new headings for some columns, e.g. ``{"event": "what happened"}``.
        caption: a heading printed above the table.
        max_rows: show at most this many rows and say how many were left out.

    Returns:
        A :class:`Table`, which Jupyter shows under the cell.

    Raises:
        CourseError: a column that the table does not have (the message lists those it has).

    >>> frame = pd.DataFrame({"row": ["A"], "value": [2.5], "disputed": [True]})
    >>> print(show(frame, names={"value": "USD bn"}))
    row USD bn disputed
    A      2.5 yes
    >>> show(frame, ["row", "valu"])
    Traceback (most recent call last):
    ...
    coursekit.errors.CourseError: show(): no column 'valu' in this table. Did you mean 'value'? ...
    """
    if isinstance(rows, pd.Series):
        rows = rows.to_frame(name=rows.name if rows.name is not None else "value").reset_index()
    if not isinstance(rows, pd.DataFrame):
        raise CourseError(f"show(): expected a table (a DataFrame), but got a {type(rows).__name__}.")
    if columns is None:
        columns = [c for c in rows.columns
                   if not (c == "date_precision" and "date" in rows.columns)]
    elif isinstance(columns, str):
        columns = [columns]
    for column in columns:
        if column not in rows.columns:
            import difflib

            close = difflib.get_close_matches(str(column), [str(c) for c in rows.columns], n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise CourseError(f"show(): no column {column!r} in this table.{hint} Its columns are: "
                              f"{', '.join(map(str, rows.columns))}.")
    names = dict(names or {})
    shown = rows.iloc[:max_rows]
    out, numeric = {}, set()
    for column in columns:
        values = shown[column]
        heading = str(names.get(column, column))
        if pd.api.types.is_datetime64_any_dtype(values):
            out[heading] = dates(shown, column).tolist()
        else:
            if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
                numeric.add(heading)
            out[heading] = [_cell_text(v) for v in values]
    frame = pd.DataFrame(out, columns=list(out), dtype=object)
    left_out = len(rows) - len(shown)
    note = f"… and {left_out} more rows (filter the table to see them)." if left_out > 0 else None
    if len(rows) == 0:
        note = "No rows match."
    return Table(frame, numeric, caption=caption, note=note)


def count(rows: pd.DataFrame, by: str | list[str], *, ids: str | None = None, name: str = "rows") -> Table:
    """Count the rows in each group of ``by`` (groups with no rows included), as a table.

    Args:
        rows: the rows to count.
        by: the column (or columns) whose values make the groups.
        ids: optionally, a column whose values are listed for each group (e.g. ``"event_id"``).
        name: the heading of the count column.

    >>> frame = pd.DataFrame({"verdict": pd.Categorical(["confirmed", "confirmed"],
    ...                                                 ["confirmed", "disputed"]),
    ...                       "claim_id": ["C1", "C2"]})
    >>> print(count(frame, "verdict", ids="claim_id"))
    verdict   rows claim_id
    confirmed    2 C1, C2
    disputed     0
    """
    by = [by] if isinstance(by, str) else list(by)
    grouped = rows.groupby(by, observed=False, sort=True)
    counts = grouped.size().rename(name)
    frame = counts.reset_index()
    if ids is not None:
        listed = grouped[ids].agg(lambda s: ", ".join(map(str, s)))
        frame[ids] = listed.reindex(counts.index).fillna("").to_numpy()
    return show(frame)


def bullets(rows: pd.DataFrame, text: str, *, label: str | None = None, empty: str = "No rows here."):
    """Write each row as one bullet of Markdown: ``label (date): text``.

    Args:
        rows: the rows to list (a ``date`` column, when present, is written as in :func:`dates`).
        text: the column holding each bullet's text (e.g. ``"note"``).
        label: a column printed in bold first (e.g. ``"event_id"``).
        empty: what to write when there are no rows.

    >>> frame = pd.DataFrame({"event_id": ["T9"], "date": pd.to_datetime(["1966-01-10"]),
    ...                       "date_precision": ["day"], "note": ["Costs USD 2 bn."]})
    >>> print(bullets(frame, "note", label="event_id").data)
    - **T9** (10 January 1966): Costs USD 2 bn.
    """
    from IPython.display import Markdown

    when = dates(rows) if "date" in rows.columns else pd.Series([""] * len(rows), index=rows.index)
    items = []
    for i, row in rows.iterrows():
        lead = f"**{row[label]}**" if label else ""
        stamp = f" ({when[i]})" if when[i] else ""
        items.append(f"- {lead}{stamp}{': ' if lead or stamp else ''}{markdown_text(_cell_text(row[text]))}")
    return Markdown("\n".join(items) or empty)
