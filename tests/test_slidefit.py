"""export.slidefit: heights grow with content, and a long table is cut into slides that fit."""

from __future__ import annotations

from coursekit.export import slidefit


def _table(rows: int, text: str = "a cell of ordinary length") -> str:
    body = "".join(f"<tr><td>{i}</td><td>{text}</td></tr>" for i in range(rows))
    return f"<table><thead><tr><th>n</th><th>text</th></tr></thead><tbody>{body}</tbody></table>"


def test_more_text_is_taller():
    assert slidefit.estimate("word " * 200) > slidefit.estimate("word " * 20) > 0


def test_a_heading_line_is_recognised():
    match = slidefit.HEADING_LINE.match("## Phase 4 ##")
    assert match and (match.group(1), match.group(2)) == ("##", "Phase 4")


def test_a_short_table_is_one_slide():
    assert len(slidefit.table_chunks(_table(3), heading_room=80)) == 1


def test_a_long_table_is_cut_into_slides_that_each_fit_with_the_header_repeated():
    rows = next(n for n in range(4, 60) if len(slidefit.table_chunks(_table(n, "text " * 20), 80)) > 1)
    chunks = slidefit.table_chunks(_table(rows, "text " * 20), heading_room=80)
    assert 1 < len(chunks) <= slidefit.MAX_TABLE_SLIDES
    assert all(height <= slidefit.BUDGET - 80 for _, height in chunks)
    assert all("<thead>" in html for html, _ in chunks)


def test_a_very_long_table_shows_its_key_rows_and_points_to_the_handout():
    chunks = slidefit.table_chunks(_table(200, "text " * 20), heading_room=80)
    assert len(chunks) == 1 and chunks[0][1] <= slidefit.BUDGET - 80
    assert f"Key rows: {slidefit.KEY_ROWS} of 200. The full table is in the handout." in chunks[0][0]
