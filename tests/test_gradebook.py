"""assess.gradebook: every CSV cell safe to open in a spreadsheet, and what an LMS imports."""

from __future__ import annotations

import csv
import io

import pytest

from coursekit.assess import gradebook


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_is_defused(start):
    assert gradebook.safe_cell(f"{start}HYPERLINK(\"http://x\")").startswith("'")


def test_numbers_stay_numbers_and_text_is_capped():
    assert gradebook.safe_cell(2.5) == 2.5 and gradebook.safe_cell(-3) == -3
    assert len(gradebook.safe_cell("x" * 200_000)) == gradebook.MAX_CELL


def test_an_undecodable_file_name_becomes_readable_text():
    name = b"ad\xe9-01.ipynb".decode("utf-8", "surrogateescape")
    text = gradebook.clean_text(name)
    assert text.encode("utf-8") and "\\xe9" in text


def test_python_reads_back_every_cell_it_wrote():
    rows = [{"student": "=cmd", "set": "01", "question": "q", "points": 1, "max_points": 2,
             "status": "correct", "message": "m" * 300_000, "answer": "a"}]
    data = gradebook.gradebook_csv(rows)
    read = list(csv.reader(io.StringIO(data.decode("utf-8"))))  # the reader's field limit holds
    assert read[1][0] == "'=cmd" and len(read) == 2
