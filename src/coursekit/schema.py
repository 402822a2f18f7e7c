"""One CSV column read against its Table Schema field: types, ranges, patterns and dates.

:func:`convert` turns a column of text into typed values and appends one problem per bad cell,
each naming the file, the row and line, and the column, with what to write instead, so that
:func:`coursekit.data.load` can report every problem of a file at once.

>>> import pandas as pd, pathlib
>>> problems = []
>>> field = {"name": "date", "type": "string", "partialDate": True}
>>> convert(pd.Series(["1999", "2022-02", "24 Feb"]), field, pathlib.Path("timeline.csv"),
...         problems).dt.strftime("%Y-%m").tolist()[:2]
['1999-01', '2022-02']
>>> print(problems[0])
row 3 (line 4 of timeline.csv), column 'date': '24 Feb' is not a valid date. Write it as YYYY,
YYYY-MM or YYYY-MM-DD (a real calendar date).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

__all__ = ["convert", "where", "not_utf8", "check_range", "to_dates", "PARTIAL_DATE"]

PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def not_utf8(path: Path) -> str:
    """Name the line (and the row id, if it has one) where a data file stops being UTF-8."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return f"{path}: cannot be read as UTF-8 text. Save the file as UTF-8."
    except UnicodeDecodeError as exc:
        where = exc.start
    line_number = data.count(b"\n", 0, where) + 1
    start = data.rfind(b"\n", 0, where) + 1
    end = data.find(b"\n", where)
    line = data[start: end if end >= 0 else len(data)]
    first_cell = line.split(b",")[0].decode("utf-8", "replace").strip('"')
    row = (f"row {line_number - 1} (line {line_number}, the row starting {first_cell[:40]!r})"
           if line_number > 1 else "the header row (line 1)")
    byte = data[where: where + 1].hex()
    return (f"{path}, {row}: byte 0x{byte} at character "
            f"{where - start + 1} is not UTF-8, so the file was saved in another encoding "
            "(often by a spreadsheet). Save it again as 'CSV UTF-8' and reload.")



def where(path: Path, index: int, column: str) -> str:
    # Row numbers count data rows from 1; the file line adds the header.
    return f"row {index + 1} (line {index + 2} of {path.name}), column {column!r}"


def convert(values: pd.Series, field: dict, path: Path, problems: list[str]) -> pd.Series:
    name, kind = field["name"], field.get("type", "string")
    rules = field.get("constraints", {})
    blank = values.str.strip() == ""
    if rules.get("required"):
        for i in values.index[blank]:
            problems.append(f"{where(path, i, name)}: is empty but required. Fill it in.")

    if "enum" in rules:
        allowed = [str(v) for v in rules["enum"]]
        for i, v in values[~blank & ~values.isin(allowed)].items():
            problems.append(
                f"{where(path, i, name)}: {v!r} is not one of {', '.join(allowed)}. "
                "Use one of those values, or add the new value to the schema's enum."
            )
    if "pattern" in rules:
        pattern = re.compile(rules["pattern"])
        for i, v in values[~blank].items():
            if not pattern.fullmatch(v):
                problems.append(
                    f"{where(path, i, name)}: {v!r} does not match the pattern {rules['pattern']}."
                    " Correct the value."
                )

    if field.get("partialDate"):
        return to_dates(values, blank, path, name, problems, partial=True)
    if kind == "date":
        return to_dates(values, blank, path, name, problems, partial=False)
    if kind in ("integer", "number"):
        numbers = pd.to_numeric(values.where(~blank), errors="coerce")
        for i in values.index[numbers.isna() & ~blank]:
            problems.append(
                f"{where(path, i, name)}: {values[i]!r} is not a number. Write digits only "
                "(a dot for decimals, no thousands separators or units: units go in their column)."
            )
        if kind == "integer":
            bad = numbers.notna() & (numbers % 1 != 0)
            for i in values.index[bad]:
                problems.append(f"{where(path, i, name)}: {values[i]!r} is not a whole number.")
            return numbers.astype("Int64") if not bad.any() else numbers
        check_range(numbers, rules, path, name, problems)
        return numbers.astype("float64")
    if kind == "boolean":
        truthy = field.get("trueValues", ["true"])
        falsy = field.get("falseValues", ["false"])
        for i, v in values[~blank & ~values.isin(truthy + falsy)].items():
            problems.append(
                f"{where(path, i, name)}: {v!r} is not a boolean. Write "
                f"{truthy[0]} or {falsy[0]}."
            )
        return values.isin(truthy)
    if field.get("categorical") and "enum" in rules:
        allowed = [str(v) for v in rules["enum"]]
        # Values outside the enum are already reported above; keep them out of the dtype.
        return values.where(~blank & values.isin(allowed)).astype(pd.CategoricalDtype(allowed))
    return values.astype(object)


def check_range(numbers: pd.Series, rules: dict, path: Path, name: str, problems: list[str]) -> None:
    low, high = rules.get("minimum"), rules.get("maximum")
    for i, v in numbers.dropna().items():
        if (low is not None and v < low) or (high is not None and v > high):
            problems.append(
                f"{where(path, i, name)}: {v:g} is outside the allowed range "
                f"{low if low is not None else '-inf'} to {high if high is not None else 'inf'}."
            )


def to_dates(values, blank, path, name, problems, *, partial: bool) -> pd.Series:
    parsed = []
    for i, v in values.items():
        if blank[i]:
            parsed.append(pd.NaT)
            continue
        text = v.strip()
        ok = PARTIAL_DATE.fullmatch(text) if partial else re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)
        stamp = None
        if ok:
            # Pad a year or a month to the first day of its period.
            padded = text + "-01-01"[len(text) - 4 :] if partial else text
            stamp = pd.to_datetime(padded, format="%Y-%m-%d", errors="coerce")
        if stamp is None or pd.isna(stamp):
            shape = "YYYY, YYYY-MM or YYYY-MM-DD" if partial else "YYYY-MM-DD"
            problems.append(
                f"{where(path, i, name)}: {v!r} is not a valid date. Write it as {shape} "
                "(a real calendar date)."
            )
            stamp = pd.NaT
        parsed.append(stamp)
    return pd.Series(pd.to_datetime(parsed), index=values.index, dtype="datetime64[ns]")

