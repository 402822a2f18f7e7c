"""Load the course's data package as typed, checked DataFrames and cite its sources.

The schema lives in ``data/datapackage.json`` (Frictionless Data Package); this module reads
it and types each column from it, so the CSV files and their description cannot drift apart.

>>> sources = load("sources")
>>> sources.loc[sources.source_id == "nias-pr-302", "publisher"].str.startswith("NIAS").item()
True
>>> cite("nias-pr-302").startswith("Abigail Miriam Fernandez (2022-03-03).")
True
>>> format_date(pd.Timestamp("1999-03-01"), "month")
'March 1999'
"""

from __future__ import annotations

import difflib
import json
import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

from coursekit.errors import DataError
from coursekit.paths import course_root
from coursekit.schema import convert, not_utf8, where

__all__ = ["names", "load", "fields", "cite", "bibliography", "format_date", "date_of", "when", "data_dir",
           "markdown_text"]

MAX_PROBLEMS = 8  # enough to see a pattern, few enough to read


def data_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """Return the ``data/`` folder of the course found from ``root`` (default: cwd).

    >>> data_dir().name
    'data'
    """
    return course_root(root) / "data"


def _package(folder: Path) -> dict:
    path = folder / "datapackage.json"
    try:
        return _read_json(path, path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise DataError(f"{path} is missing: restore it from git (git checkout -- data/).") from None


@lru_cache(maxsize=8)
def _read_json(path: Path, _mtime: int) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            "Fix the file or restore it from git."
        ) from None


def names(root: str | os.PathLike[str] | None = None) -> list[str]:
    """Return the names of the datasets in the data package, in package order.

    >>> "timeline" in names()
    True
    """
    return [res["name"] for res in _package(data_dir(root))["resources"]]


def _resource(name: str, folder: Path) -> dict:
    resources = {res["name"]: res for res in _package(folder)["resources"]}
    if name not in resources:
        close = difflib.get_close_matches(str(name), resources, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(
            f"No dataset called {name!r} in {folder / 'datapackage.json'}.{hint} "
            f"The datasets are: {', '.join(resources)}."
        )
    return resources[name]


def fields(name: str, root: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Return one row per column of dataset ``name``: its type and description.

    >>> fields("sources").loc[0, "name"]
    'source_id'
    """
    schema = _resource(name, data_dir(root))["schema"]
    return pd.DataFrame(
        [
            {"name": f["name"], "type": f.get("type", "string"), "description": f.get("description", "")}
            for f in schema["fields"]
        ]
    )


def load(name: str, *, root: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load dataset ``name`` as a DataFrame typed and checked against its schema.

    Numbers become numbers, ``date`` fields and partial ISO dates (``1999``, ``1999-03``)
    become timestamps at the start of their period (read the ``date_precision`` column to
    know how exact they are), enumerated columns become categoricals, and every
    ``source_id`` must name a row of ``sources``.

    Args:
        name: a dataset name from :func:`names`, such as ``"timeline"``.
        root: a folder inside the course (default: the current working directory).

    Returns:
        A new DataFrame; edit it freely, the file is never written.

    Raises:
        DataError: unknown name, missing file or column, or a value that breaks the schema;
            the message names the file, row and column and says how to fix it.

    >>> timeline = load("timeline")
    >>> str(timeline["date"].dtype)
    'datetime64[ns]'
    >>> timeline["confidence"].dtype.name
    'category'
    """
    folder = data_dir(root)
    resource = _resource(name, folder)
    path = folder / resource["path"]
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise DataError(
            f"{path} is missing, but datapackage.json lists it as dataset {name!r}. "
            "Restore it from git (git checkout -- data/) or remove it from datapackage.json."
        ) from None
    return _load_cached(str(path), mtime, name, str(folder)).copy()



@lru_cache(maxsize=32)
def _load_cached(path_text: str, _mtime: int, name: str, folder_text: str) -> pd.DataFrame:
    path, folder = Path(path_text), Path(folder_text)
    resource = _resource(name, folder)
    schema = resource["schema"]
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError:
        raise DataError(not_utf8(path)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{path}: cannot be read as UTF-8 CSV ({first}). Check the quoting and the number "
            "of commas on that line, and save the file as UTF-8."
        ) from None

    expected = [f["name"] for f in schema["fields"]]
    missing = [c for c in expected if c not in raw.columns]
    extra = [c for c in raw.columns if c not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(map(repr, missing))}")
        if extra:
            parts.append(f"unexpected column(s) {', '.join(map(repr, extra))}")
        raise DataError(
            f"{path}: {' and '.join(parts)}. The schema in datapackage.json lists: "
            f"{', '.join(expected)}. Fix the header row, or update the schema and data/README.md."
        )

    problems: list[str] = []
    out = {}
    for field in schema["fields"]:
        out[field["name"]] = convert(raw[field["name"]], field, path, problems)
    frame = pd.DataFrame(out)

    if not problems:
        _check_keys(frame, schema, path, folder, problems)
    if problems:
        more = len(problems) - MAX_PROBLEMS
        listing = "\n  ".join(problems[:MAX_PROBLEMS])
        tail = f"\n  ... and {more} more" if more > 0 else ""
        raise DataError(f"{path}: {len(problems)} problem(s):\n  {listing}{tail}")
    return frame



def _check_keys(frame: pd.DataFrame, schema: dict, path: Path, folder: Path, problems: list[str]) -> None:
    key = schema.get("primaryKey")
    if key:
        key = [key] if isinstance(key, str) else key
        dupes = frame[frame.duplicated(key, keep="first")]
        for i, row in dupes.iterrows():
            problems.append(
                f"{where(path, i, key[0])}: {tuple(row[key])} repeats an earlier row's key. "
                "Give this row its own id."
            )
    for fk in schema.get("foreignKeys", []):
        cols = fk["fields"] if isinstance(fk["fields"], str) else fk["fields"][0]
        ref = fk["reference"]
        ref_name = ref["resource"] or None
        ref_col = ref["fields"] if isinstance(ref["fields"], str) else ref["fields"][0]
        if ref_name is None:
            known = set(frame[ref_col])
            ref_label = path.name
        else:
            known = set(_load_cached_by_name(ref_name, folder)[ref_col])
            ref_label = _resource(ref_name, folder)["path"]
        for i, v in frame[cols].items():
            if v and not pd.isna(v) and v not in known:
                close = difflib.get_close_matches(str(v), [str(k) for k in known], n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                problems.append(
                    f"{where(path, i, cols)}: {v!r} is not in {ref_label}.{hint} "
                    f"Add the work to {ref_label} or correct the id."
                )


def _load_cached_by_name(name: str, folder: Path) -> pd.DataFrame:
    resource = _resource(name, folder)
    path = folder / resource["path"]
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise DataError(f"{path} is missing; other files refer to it. Restore it from git.") from None
    return _load_cached(str(path), mtime, name, str(folder))


def cite(source_id: str, *, root: str | os.PathLike[str] | None = None) -> str:
    """Return a one-line citation for ``source_id`` from ``sources.csv``.

    Args:
        source_id: an id from the ``source_id`` column of any dataset.
        root: a folder inside the course (default: the current working directory).

    Raises:
        DataError: the id is not in ``sources.csv`` (the message suggests the nearest id).

    >>> cite("no-such-source")
    Traceback (most recent call last):
    ...
    coursekit.errors.DataError: No source 'no-such-source' in data/sources.csv. ...
    """
    sources = _load_cached_by_name("sources", data_dir(root)).set_index("source_id")
    if source_id not in sources.index:
        close = difflib.get_close_matches(str(source_id), list(sources.index), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(
            f"No source {source_id!r} in data/sources.csv.{hint} Use an id from that file's "
            "source_id column, or add the work there first."
        )
    row = sources.loc[source_id]
    who = row["author"] or row["publisher"]
    when = f" ({row['published']})" if row["published"] else " (n.d.)"
    title = str(row["title"]).rstrip(".")
    publisher = f" {row['publisher']}." if row["author"] and row["publisher"] else ""
    url = f" {row['url']}" if row["url"] else ""
    return f"{who}{when}. {title}.{publisher}{url}"


def bibliography(source_ids, *, root: str | os.PathLike[str] | None = None) -> str:
    """Return a Markdown list citing each id once, sorted by id.

    >>> print(bibliography(["nias-pr-302", "nias-pr-302"]).count("- `nias-pr-302`"))
    1
    """
    ids = sorted({str(s) for s in source_ids if s and not pd.isna(s)})
    return "\n".join(f"- `{sid}`: {markdown_text(cite(sid, root=root))}" for sid in ids)


def markdown_text(text: str) -> str:
    r"""Return ``text`` ready to go into Markdown with every ``$`` shown as a dollar sign, never maths.

    JupyterLab reads ``$...$`` in Markdown as LaTeX maths, and neither ``\$`` nor ``&#36;``
    stops it there; two backslashes before the sign (``\\$``) are the one spelling that shows a
    dollar sign both in JupyterLab and in the exported handouts and slides
    (``tests/test_jupyterlab.py`` proves it in a real JupyterLab).

    >>> print(markdown_text("US$331m and $2bn"))
    US\\$331m and \\$2bn
    """
    return str(text).replace("$", "\\\\$")


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]


def format_date(stamp: pd.Timestamp, precision: str) -> str:
    """Write a date only as exactly as its source gives it.

    >>> format_date(pd.Timestamp("2022-02-24"), "day")
    '24 February 2022'
    >>> format_date(pd.Timestamp("2022-11-01"), "approx")
    'about November 2022'
    >>> format_date(pd.Timestamp("1999-01-01"), "year")
    '1999'
    """
    if pd.isna(stamp):
        return "date unknown"
    month = f"{_MONTHS[stamp.month - 1]} {stamp.year}"
    return {
        "day": f"{stamp.day} {month}",
        "month": month,
        "year": str(stamp.year),
        "approx": f"about {month}",
    }.get(str(precision), f"{stamp.date()}")


def date_of(row_id: str, *, root: str | os.PathLike[str] | None = None) -> pd.Timestamp:
    """The date of one timeline event (``T...``) or agreement (``A...``), read from its row.

    Use it instead of typing a date into code, so that a corrected row corrects every
    sentence and figure built on it.

    Args:
        row_id: an ``event_id`` of ``timeline.csv`` or an ``agreement_id`` of ``agreements.csv``.
        root: the course folder (default: found from the working directory).

    Returns:
        The row's date as a ``pandas.Timestamp``.

    Raises:
        DataError: no such row (the message names the file and suggests the nearest id).

    >>> date_of("T094").date()
    datetime.date(2022, 2, 24)
    >>> date_of("T9999")
    Traceback (most recent call last):
    coursekit.errors.DataError: No row 'T9999' in data/timeline.csv. ...
    """
    return _row_of(row_id, root)["date"]


def when(row_id: str, *, root: str | os.PathLike[str] | None = None) -> str:
    """The date of one timeline or agreement row, written as exactly as its source gives it.

    >>> when("T094")
    '24 February 2022'
    """
    row = _row_of(row_id, root)
    return format_date(row["date"], row["date_precision"])


def _row_of(row_id: str, root) -> pd.Series:
    name, key = ("agreements", "agreement_id") if str(row_id).startswith("A") else ("timeline", "event_id")
    frame = _load_cached_by_name(name, data_dir(root)).set_index(key)
    if row_id not in frame.index:
        close = difflib.get_close_matches(str(row_id), list(frame.index), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(f"No row {row_id!r} in data/{name}.csv.{hint} Use an id from that file's "
                        f"{key} column.")
    return frame.loc[row_id]
