"""export.pagechecks: a page that would load from the network, or an image without alt text, is named."""

from __future__ import annotations

import pytest

from coursekit.export.pagechecks import image_problems, offline_problems


@pytest.mark.parametrize("text", [
    '<script src="https://cdn.jsdelivr.net/npm/reveal.js"></script>',
    '<link rel="stylesheet" href="//fonts.googleapis.com/css">',
    "@import url('https://x.org/a.css');",
    '<img srcset="http://x.org/a.png 2x">',
])
def test_each_kind_of_remote_reference_is_found(text):
    assert offline_problems(text)


def test_local_and_data_references_are_fine():
    assert offline_problems('<img src="assets/a.png"><a href="#top">x</a>'
                            '<img src="data:image/png;base64,AAAA">') == []


@pytest.mark.parametrize("alt", ["", "Image", "graph.", " Figure "])
def test_generic_alt_text_is_a_problem(alt):
    assert image_problems(f'<img src="a.png" alt="{alt}">')


def test_real_alt_text_passes():
    assert image_problems('<img alt="Bars of Pakistan-Russia trade by fiscal year" src="a.png">') == []
