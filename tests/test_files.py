"""coursekit.course.files: atomic writes (moved here from the build's cache tests)."""

from __future__ import annotations

import pytest

from coursekit.course import files


def test_interrupted_atomic_write_keeps_the_previous_file(tmp_path):
    target = files.atomic_write_text(tmp_path / "deck.html", "the old deck")

    def interrupted(handle):
        handle.write("<html>half of a new de")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        files.atomic_write(target, interrupted)
    assert target.read_text(encoding="utf-8") == "the old deck"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.html"]  # no temporary left behind
    files.atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
