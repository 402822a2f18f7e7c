"""coursekit.build.library: the library code a notebook can run, followed through imports."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_course import make_course

from coursekit.build.inputs import input_files
from coursekit.build.library import library_digest, library_files


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("COURSEKIT_ROOT", str(tmp_path))
    return make_course(tmp_path)


def test_library_code_a_lesson_can_run_is_an_input_and_nothing_else(course):
    setup = ["from IPython.display import Markdown",
             "from coursekit import data, plots\nfrom coursekit.checks import check"]
    names = {p.name for p in input_files(course / "notebooks" / "01-timeline.ipynb", setup,
                                               course)}
    assert {"data.py", "plots.py", "checks.py", "paths.py", "errors.py", "__init__.py"} <= names
    assert not names & {"pipeline.py", "render.py", "grade.py"}
    everything = library_files(["mod = importlib.import_module(name)"])
    assert {p.name for p in everything} >= {"pipeline.py", "render.py", "grade.py", "data.py"}


def test_the_build_digest_follows_the_modules_it_names():
    """The worker reaches the exporter, so its digest covers render.py; errors.py reaches neither."""
    names = {p.name for p in library_files(modules=["coursekit.build.worker"])}
    assert {"worker.py", "render.py", "files.py"} <= names and "grade.py" not in names
    assert library_digest(["coursekit.errors"]) != library_digest(["coursekit.build.worker"])
