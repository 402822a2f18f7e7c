"""export.references: a figure's source line made short; the full references collected once."""

from __future__ import annotations

from coursekit.export.references import short_sources, split_caption, unique_references


def test_a_long_source_line_keeps_who_and_when():
    line = ("*Source:* Dawn (2022-02-24). Khan meets Putin. https://dawn.com/x; "
            "TASS (2022-02-23). Arrival. https://tass.com/y")
    assert short_sources(line) == "Dawn, 2022-02-24; TASS, 2022-02-23"


def test_more_than_three_sources_are_counted_not_listed():
    line = "*Source:* " + "; ".join(f"Outlet{i} (2022). T{i}. https://x/{i}" for i in range(5))
    assert short_sources(line).endswith("; and 2 more")


def test_a_caption_keeps_its_text_and_hands_its_references_over():
    refs: list[str] = []
    caption = "Trade by fiscal year.\n\n*Source:* PBS (2023). Trade tables. https://pbs.gov.pk/t"
    short = split_caption(caption, refs)
    assert short.startswith("Trade by fiscal year.") and "(full references at the end)" in short
    assert refs == ["PBS (2023). Trade tables. https://pbs.gov.pk/t"]


def test_a_reference_cited_twice_is_listed_once():
    assert unique_references(["A (2022). T.", "A (2022). T.", "B (n.d.). U."]) == [
        "A (2022). T.", "B (n.d.). U."]
