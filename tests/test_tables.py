"""coursekit.tables and the figure helpers of coursekit.plots: tables show full text, dates as
exact as their source and no row numbers; figures write their alt text from the rows."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from coursekit import data, plots, tables
from coursekit.errors import CourseError

LONG = ("Khan meets Putin for more than three hours, according to one report, or for about two and a "
        "half hours according to another; the readouts do not agree on the length of the meeting.")


def frame():
    return pd.DataFrame({
        "event_id": ["T1", "T2", "T3"],
        "date": pd.to_datetime(["1999-04-01", "2022-02-24", "1999-01-01"]),
        "date_precision": ["month", "day", "year"],
        "event": [LONG, "Short.", "Costs US$2.5 billion, or $3 billion."],
        "value": [1.5, 20.0, None],
        "disputed": [True, False, False],
    }, index=[17, 40, 3])


def test_long_text_is_shown_in_full_and_left_aligned():
    html = tables.show(frame())._repr_html_()
    assert LONG in html
    cell = re.search(r'<td style="([^"]*)">Khan meets', html).group(1)
    assert "text-align:left" in cell and "white-space:normal" in cell


def test_dates_are_as_exact_as_their_source_and_the_precision_column_is_dropped():
    shown = tables.show(frame())
    assert list(shown.frame["date"]) == ["April 1999", "24 February 2022", "1999"]
    assert "date_precision" not in shown.frame.columns


def test_no_row_numbers_and_numbers_right_aligned():
    html = tables.show(frame(), ["event_id", "value"])._repr_html_()
    assert ">17<" not in html and ">40<" not in html
    assert re.search(r'text-align:right;white-space:nowrap">1.5<', html)


def test_a_dollar_in_a_cell_is_not_maths():
    """The table opts out of MathJax (JupyterLab's MathJax 3 class and the exports' MathJax 2 one)."""
    html = tables.show(frame())._repr_html_()
    assert "US$2.5" in html
    assert re.match(r'<table class="[^"]*\bmathjax_ignore\b[^"]*\btex2jax_ignore\b', html)


def test_the_html_is_the_same_every_time():
    assert tables.show(frame())._repr_html_() == tables.show(frame())._repr_html_()


def test_long_tables_say_how_many_rows_were_left_out():
    many = pd.DataFrame({"n": range(10)})
    assert "8 more rows" in repr(tables.show(many, max_rows=2))
    assert "No rows match" in repr(tables.show(many[many.n > 99]))


def test_a_misspelt_column_gets_a_suggestion():
    with pytest.raises(CourseError, match="Did you mean 'event'"):
        tables.show(frame(), ["evnt"])


def test_dates_without_a_precision_column_claim_no_more_than_the_date_shows():
    rows = pd.DataFrame({"as_of": pd.to_datetime(["2021-05-01", "2020-01-01", "2021-05-28"])})
    assert list(tables.dates(rows, "as_of")) == ["May 2021", "2020", "28 May 2021"]


def test_dates_of_real_timeline_rows():
    timeline = data.load("timeline")
    sharif = timeline[timeline.event_id.isin(["T029", "T030"])]
    texts = list(tables.dates(sharif))
    assert all(data.format_date(d, p) in texts for d, p in zip(sharif.date, sharif.date_precision, strict=True))


def test_count_includes_empty_groups():
    rows = pd.DataFrame({"v": pd.Categorical(["a"], ["a", "b"]), "id": ["X"]})
    counted = tables.count(rows, "v", ids="id").frame
    assert list(counted["rows"]) == ["1", "0"] and list(counted["id"]) == ["X", ""]


def test_bullets_keep_a_dollar_as_text():
    md = tables.bullets(frame().iloc[[2]], "event", label="event_id").data
    assert md.startswith("- **T3** (1999): ") and "US\\\\$2.5" in md and " $3" not in md


def test_count_bars_alt_text_comes_from_the_counts():
    fig = plots.count_bars(pd.Series({"confirmed": 20, "found_only_here": 3}), xlabel="Verdict",
                           ylabel="Claims (count)")
    assert fig.coursekit_alt == "Bar chart of claims by verdict: confirmed 20, found only here 3 (23 in all)."


def test_events_labels_do_not_overlap():
    stamps = pd.date_range("2022-02-20", periods=8, freq="D")
    rows = pd.DataFrame({"date": stamps, "label": [f"event number {i}" for i in range(8)],
                         "category": ["visit"] * 8})
    fig = plots.events(rows, label="label", width=8)
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in fig.axes[0].texts]
    assert len(boxes) == 8
    clashes = [(i, j) for i in range(8) for j in range(i + 1, 8) if boxes[i].overlaps(boxes[j])]
    assert not clashes
    assert fig.coursekit_alt.startswith("Timeline from 2022 to 2022 with 8 dated rows on 1 line (visit)")


def test_show_takes_alt_from_the_helper_and_sources_from_rows(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append((a, k)))
    rows = data.load("timeline").head(3)
    fig = plots.count_bars(rows["category"].astype(str).value_counts(), xlabel="Category", ylabel="Rows")
    plots.show(fig, caption="Rows by category. Costs $2 and $3.", sources=rows)
    assert shown[0][1]["metadata"]["image/png"]["alt"].startswith("Bar chart of rows by category")
    caption = shown[1][0][0].data
    assert "\\\\$2 and \\\\$3" in caption


def test_show_without_alt_for_a_plain_figure_explains():
    fig, _ = plots.figure()
    with pytest.raises(CourseError, match="give alt="):
        plots.show(fig, caption="A caption that says something.", sources=["nias-pr-302"])
