"""coursekit.schema: a column read against its field, every bad cell named by row and line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from coursekit.schema import convert, not_utf8


def test_a_number_outside_its_range_is_named_by_row_and_line():
    problems: list[str] = []
    field = {"name": "value", "type": "number", "constraints": {"minimum": 0}}
    convert(pd.Series(["3", "-1"]), field, Path("trade.csv"), problems)
    assert problems and problems[0].startswith("row 2 (line 3 of trade.csv), column 'value'")


def test_partial_dates_start_their_period():
    problems: list[str] = []
    field = {"name": "date", "type": "string", "partialDate": True}
    out = convert(pd.Series(["1999", "2022-02", "2022-02-24"]), field, Path("t.csv"), problems)
    assert not problems
    assert list(out.dt.strftime("%Y-%m-%d")) == ["1999-01-01", "2022-02-01", "2022-02-24"]


def test_a_file_saved_in_another_encoding_names_the_row(tmp_path):
    path = tmp_path / "timeline.csv"
    path.write_bytes("id,title\nT1,Moscow\nT2,Pe\xe9shawar\n".encode("latin-1"))
    message = not_utf8(path)
    assert "row 2 (line 3, the row starting 'T2')" in message and "CSV UTF-8" in message
