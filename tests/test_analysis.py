"""coursekit.build.analysis: the data a notebook's code reads, as a static look can tell."""

from __future__ import annotations

import pytest

from coursekit.build.analysis import scan_code

SETUP = "from coursekit import data, plots"


@pytest.mark.parametrize("code, names, everything", [
    ([SETUP, 'data.load("timeline")'], {"timeline"}, False),
    ([SETUP, "data.fields('agreements')"], {"agreements"}, False),
    (["from coursekit.data import load as ld", "ld(name='series')"], {"series"}, False),
    (["import coursekit.data as cd", "cd.load('claims')"], {"claims"}, False),
    ([SETUP, "data.cite('src-a')"], {"sources"}, False),
    ([SETUP, "Markdown(data.bibliography(ids))"], {"sources"}, False),
    ([SETUP, "plots.show(fig, caption='c', alt='a', sources=ids)"], {"sources"}, False),
    ([SETUP, "data.format_date(ts, 'day')", "data.names()"], set(), False),
    (["print(1 + 1)"], set(), False),
    # What cannot be told statically depends on every data file:
    ([SETUP, "data.load(which)"], set(), True),
    ([SETUP, "folder = data.data_dir()"], set(), True),
    ([SETUP, "helper(data)"], set(), True),
    (["from coursekit.data import load", "f = load"], set(), True),
    (["import pandas as pd", "pd.read_csv(path)"], set(), True),
    (["%%bash", "cat ../data/timeline.csv"], set(), True),
    (["this is not python ("], set(), True),
])
def test_scan_code_finds_the_datasets_a_notebook_reads(code, names, everything):
    use = scan_code(code)
    assert set(use.names) == names and use.everything is everything


def test_magics_and_shell_lines_do_not_hide_the_data_a_cell_reads():
    use = scan_code([SETUP, "%matplotlib inline\n!ls\nt = data.load('timeline')"])
    assert set(use.names) == {"timeline"} and not use.everything


def test_runtime_names_come_from_the_vocabulary(monkeypatch):
    """A function the vocabulary lists as reading a dataset by name is analysed as one."""
    from coursekit.course.vocabulary import runtime_names

    for name in runtime_names("data", "by_name"):
        assert set(scan_code([SETUP, f"data.{name}('claims')"]).names) == {"claims"}
    for name in runtime_names("data", "pure"):
        assert not scan_code([SETUP, f"data.{name}(x)"]).everything
