"""coursekit.build.inputs: which course files can change a notebook's outputs (no kernel is started)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_course import make_course

from coursekit.build.inputs import checks_files, input_files
from coursekit.build.library import PACKAGE_DIR

SETUP = "from coursekit import data, plots"


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("COURSEKIT_ROOT", str(tmp_path))
    return make_course(tmp_path)


def _names(files) -> list[str]:
    """The course's own files among the inputs (the library's are tested on their own)."""
    return [f.name for f in files if "site-packages" not in f.parts and f.parent != PACKAGE_DIR]


def test_input_files_follow_foreign_keys_and_skip_unrelated_data(course):
    nb = course / "notebooks" / "01-timeline.ipynb"
    files = input_files(nb, [SETUP, "data.load('timeline')"], course)
    assert _names(files) == ["datapackage.json", "sources.csv", "timeline.csv"]
    assert "agreements.csv" not in _names(files)


def test_unknown_dataset_or_dynamic_load_means_every_data_file(course):
    nb = course / "notebooks" / "01-timeline.ipynb"
    every = sorted(p.name for p in (course / "data").iterdir())
    assert sorted(_names(input_files(nb, [SETUP, "data.load(x)"], course))) == every
    assert sorted(_names(input_files(nb, [SETUP, "data.load('nope')"], course))) == every


def test_literal_file_names_answer_keys_and_local_modules_are_inputs(course):
    notebooks = course / "notebooks"
    (notebooks / "checks.json").write_text("{}", encoding="utf-8")
    (notebooks / "helpers.py").write_text("X = 1\n", encoding="utf-8")
    (course / "extra.txt").write_text("x", encoding="utf-8")
    files = input_files(notebooks / "01-timeline.ipynb",
                              ["open('../extra.txt').read()", "import helpers"], course)
    assert _names(files) == ["extra.txt", "checks.json", "helpers.py"]


def test_answer_keys_are_found_from_the_notebook_folder_up_to_the_root(course):
    (course / "checks.json").write_text("{}", encoding="utf-8")
    (course / "notebooks" / "checks.json").write_text("{}", encoding="utf-8")
    found = checks_files(course / "notebooks" / "01-timeline.ipynb", course)
    assert [p.relative_to(course).as_posix() for p in found] == ["notebooks/checks.json", "checks.json"]
