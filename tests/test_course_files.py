"""coursekit.course.files: one reader per file kind with errors that name the file; writes all at once."""

from __future__ import annotations

import os

import nbformat
import pytest

from coursekit.course import files
from coursekit.errors import CourseError, NotebookError


def test_a_broken_notebook_is_named_with_what_to_do(tmp_path):
    path = tmp_path / "02-energy.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")
    with pytest.raises(NotebookError) as err:
        files.read_notebook(path)
    assert str(path) in str(err.value) and "restore it from git" in str(err.value)


def test_a_missing_notebook_is_named(tmp_path):
    with pytest.raises(NotebookError, match="no such notebook"):
        files.read_notebook(tmp_path / "nope.ipynb")


def test_a_notebook_round_trips_and_ends_in_a_newline(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A")])
    path = files.write_notebook(nb, tmp_path / "a.ipynb")
    assert path.read_text(encoding="utf-8").endswith("}\n")
    assert files.read_notebook(path).cells[0].source == "# A"


def test_yaml_errors_name_the_line_and_column(tmp_path):
    path = tmp_path / "answers.yml"
    path.write_text("q1:\n  kind: text\n answer: x\n", encoding="utf-8")
    with pytest.raises(CourseError, match=r"answers.yml: not valid YAML \(line 3, column 2\)"):
        files.read_yaml(path)


def test_yaml_that_is_not_utf8_says_so(tmp_path):
    path = tmp_path / "answers.yml"
    path.write_bytes("q1: Peshāwar\n".encode("latin-1", "replace").replace(b"?", b"\xe2"))
    with pytest.raises(CourseError, match="not UTF-8"):
        files.read_yaml(path)


def test_a_missing_yaml_file_says_what_it_is_for(tmp_path):
    with pytest.raises(CourseError, match="toc.yml is missing: it lists the lessons"):
        files.read_yaml(tmp_path / "toc.yml", missing="it lists the lessons")


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = files.atomic_write_text(tmp_path / "deck.html", "old deck")

    def interrupted(handle):
        handle.write("half a de")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        files.atomic_write(target, interrupted)
    assert target.read_text(encoding="utf-8") == "old deck"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.html"]


def test_swap_in_replaces_a_folder_and_keeps_no_old_copy(tmp_path):
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "new.txt").write_text("new", encoding="utf-8")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "old.txt").write_text("old", encoding="utf-8")
    final = files.swap_in(tmp_path / "staging", tmp_path / "site")
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_swap_in_a_first_time(tmp_path):
    (tmp_path / "staging").mkdir()
    files.swap_in(tmp_path / "staging", tmp_path / "site")
    assert (tmp_path / "site").is_dir() and not (tmp_path / "staging").exists()


def test_written_files_are_readable_by_others(tmp_path):
    path = files.atomic_write_bytes(tmp_path / "a.bin", b"\x00\x01")
    assert os.stat(path).st_mode & 0o777 == 0o644 and path.read_bytes() == b"\x00\x01"


def test_digests_agree_for_text_and_file(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes("Peshawar–Moscow".encode())
    assert files.digest_file(path) == files.digest_text("Peshawar–Moscow")
