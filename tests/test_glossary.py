"""The glossary: every term has its anchor, entries are short and sorted, and every glossary
link in the lessons and exercise sets lands on a real entry."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "learners" / "glossary.md"
# The anchors lesson authors were promised (lower-case term, spaces as hyphens).
PROMISED = ["fatf", "grey-list", "letter-of-intent", "fiscal-year", "g2g", "bcm", "mmcfd",
            "tcf", "nsg", "sco", "caatsa", "lng"]
ENTRY = re.compile(r'^<a id="([^"]+)"></a>\n## ([^\n]+)\n\n(.+?)(?=\n<a id=|\Z)', re.M | re.S)
LINK = re.compile(r"""(?:\]\(\s*<?|href\s*=\s*["'])([^()\s"'<>#]*glossary\.md)(?:#([^()\s"'<>]*))?""")
SENTENCE_END = re.compile(r"""(?<=[.!?])["']?\s+(?=[A-Z0-9"(*\[])""")


def entries(text: str) -> list[tuple[str, str, str]]:
    """Return (anchor, heading, body) for each glossary entry."""
    return [(a, h.strip(), b.strip()) for a, h, b in ENTRY.findall(text)]


def anchors() -> set[str]:
    return {anchor for anchor, _, _ in entries(GLOSSARY.read_text(encoding="utf-8"))}


def glossary_links(path: Path) -> list[tuple[int, str, str | None]]:
    """Return (cell number, link target, anchor) for each link to the glossary in a notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        source = "".join(cell.get("source", ""))
        for target, anchor in LINK.findall(source):
            found.append((i, target, anchor or None))
    return found


def broken_links(path: Path, known: set[str]) -> list[str]:
    """Return a message for each glossary link in ``path`` that does not resolve."""
    problems = []
    for cell, target, anchor in glossary_links(path):
        where = f"{path.relative_to(path.parents[1]).as_posix()} cell {cell}"
        if (path.parent / target).resolve() != GLOSSARY.resolve():
            problems.append(f"{where}: link to {target!r} does not reach learners/glossary.md "
                            "(from a lesson, write ../learners/glossary.md#term)")
        elif anchor is not None and anchor not in known:
            problems.append(f"{where}: no glossary entry with anchor #{anchor}; add it to "
                            "learners/glossary.md or fix the link")
    return problems


def course_notebooks() -> list[Path]:
    return sorted([*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "exercises").glob("*.ipynb")])


def test_every_promised_anchor_exists():
    missing = sorted(set(PROMISED) - anchors())
    assert not missing, f"glossary entries missing for: {missing}"


def test_each_anchor_is_its_heading_in_lower_case_with_hyphens_and_unique():
    text = GLOSSARY.read_text(encoding="utf-8")
    found = entries(text)
    assert len(found) == text.count("\n## "), "every '## ' heading needs an <a id> line above it"
    for anchor, heading, _ in found:
        assert anchor == heading.lower().replace(" ", "-"), (anchor, heading)
    ids = [a for a, _, _ in found]
    assert len(ids) == len(set(ids)), "duplicate anchors"


def test_entries_are_in_alphabetical_order():
    headings = [h for _, h, _ in entries(GLOSSARY.read_text(encoding="utf-8"))]
    assert headings == sorted(headings, key=str.casefold)


def test_each_definition_is_one_or_two_sentences():
    for anchor, _, body in entries(GLOSSARY.read_text(encoding="utf-8")):
        sentences = [s for s in SENTENCE_END.split(" ".join(body.split())) if s.strip()]
        assert 1 <= len(sentences) <= 2, f"#{anchor}: {len(sentences)} sentences"
        assert body.rstrip().endswith((".", ")")), f"#{anchor}: ends mid-sentence"


def test_the_jump_list_and_cross_references_reach_real_entries():
    text = GLOSSARY.read_text(encoding="utf-8")
    jump = text.split("**Jump to:**", 1)[1].split("<!--", 1)[0]
    assert set(re.findall(r"\(#([^)]+)\)", jump)) == anchors(), "jump list and entries differ"
    for target in re.findall(r"\]\(#([^)]+)\)", text):
        assert target in anchors(), f"#{target} is linked but not defined"


def test_every_glossary_link_in_the_lessons_and_exercise_sets_resolves():
    known = anchors()
    notebooks = course_notebooks()
    problems = [p for path in notebooks for p in broken_links(path, known)]
    assert not problems, "\n".join(problems)
    lessons = [p for p in notebooks if p.parent.name == "notebooks"]
    if lessons:  # the lessons link a term to the glossary at its first use
        assert any(glossary_links(p) for p in lessons), "no lesson links to the glossary"


def test_the_link_check_catches_broken_links(tmp_path):
    """A planted bad anchor and a wrong relative path are both reported, a good link is not."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("The [FATF](../learners/glossary.md#fatf) and its "
                                      "[list](../learners/glossary.md#gray-list)."),
        nbformat.v4.new_markdown_cell("See the [glossary](glossary.md#sco)."),
        nbformat.v4.new_markdown_cell('<a href="../learners/glossary.md#nsg">NSG</a>'),
    ])
    path = folder / "x.ipynb"
    nbformat.write(nb, path)
    # Resolve the relative links as if the notebook sat in the course's notebooks/ folder.
    real = ROOT / "notebooks" / "x.ipynb"
    links = glossary_links(path)
    assert [(c, a) for c, _, a in links] == [(0, "fatf"), (0, "gray-list"), (1, "sco"), (2, "nsg")]
    problems = []
    for cell, target, anchor in links:
        ok_path = (real.parent / target).resolve() == GLOSSARY.resolve()
        if not ok_path or anchor not in anchors():
            problems.append((cell, anchor))
    assert problems == [(0, "gray-list"), (1, "sco")]
    assert broken_links(path, anchors())  # from tmp_path no link reaches the real glossary


@pytest.mark.parametrize("anchor", PROMISED)
def test_promised_entries_define_their_term(anchor):
    body = {a: b for a, _, b in entries(GLOSSARY.read_text(encoding="utf-8"))}[anchor]
    assert len(body.split()) >= 8, f"#{anchor}: too short to be a definition"
