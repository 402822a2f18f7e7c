"""coursekit.build.cache: the dependency rule, the keys, and atomic writes (no kernel is started)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_course import make_course

from coursekit.build import cache

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
    use = cache.scan_code(code)
    assert set(use.names) == names and use.everything is everything


def test_magics_and_shell_lines_do_not_hide_the_data_a_cell_reads():
    use = cache.scan_code([SETUP, "%matplotlib inline\n!ls\nt = data.load('timeline')"])
    assert set(use.names) == {"timeline"} and not use.everything


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("COURSEKIT_ROOT", str(tmp_path))
    return make_course(tmp_path)


def _names(files) -> list[str]:
    """The course's own files among the inputs (the library's are tested on their own)."""
    return [f.name for f in files if "site-packages" not in f.parts and f.parent != cache.PACKAGE_DIR]


def test_input_files_follow_foreign_keys_and_skip_unrelated_data(course):
    nb = course / "notebooks" / "01-timeline.ipynb"
    files = cache.input_files(nb, [SETUP, "data.load('timeline')"], course)
    assert _names(files) == ["datapackage.json", "sources.csv", "timeline.csv"]
    assert "agreements.csv" not in _names(files)


def test_unknown_dataset_or_dynamic_load_means_every_data_file(course):
    nb = course / "notebooks" / "01-timeline.ipynb"
    every = sorted(p.name for p in (course / "data").iterdir())
    assert sorted(_names(cache.input_files(nb, [SETUP, "data.load(x)"], course))) == every
    assert sorted(_names(cache.input_files(nb, [SETUP, "data.load('nope')"], course))) == every


def test_literal_file_names_answer_keys_and_local_modules_are_inputs(course):
    notebooks = course / "notebooks"
    (notebooks / "checks.json").write_text("{}", encoding="utf-8")
    (notebooks / "helpers.py").write_text("X = 1\n", encoding="utf-8")
    (course / "extra.txt").write_text("x", encoding="utf-8")
    files = cache.input_files(notebooks / "01-timeline.ipynb",
                              ["open('../extra.txt').read()", "import helpers"], course)
    assert _names(files) == ["extra.txt", "checks.json", "helpers.py"]


def _nb(*cells) -> dict:
    return {"metadata": {"kernelspec": {"name": "python3"}},
            "cells": [{"cell_type": kind, "source": src, "metadata": {}} for kind, src in cells]}


def test_execution_key_changes_with_code_inputs_and_environment_not_with_prose(course):
    env = cache.environment_fingerprint()
    nb = _nb(("markdown", "# Title"), ("code", "data.load('timeline')"))
    inputs = [course / "data" / "timeline.csv"]
    key = cache.execution_key(nb, inputs, env, course)
    assert cache.execution_key(nb, inputs, env, course) == key  # stable
    prose = _nb(("markdown", "# Another title"), ("code", "data.load('timeline')"))
    assert cache.execution_key(prose, inputs, env, course) == key
    code = _nb(("markdown", "# Title"), ("code", "data.load('timeline')  # edited"))
    assert cache.execution_key(code, inputs, env, course) != key
    (course / "data" / "timeline.csv").write_text("event_id,date,event,source_id\n", encoding="utf-8")
    assert cache.execution_key(nb, inputs, env, course) != key
    for part in ("packages", "python", "kernel"):
        assert cache.execution_key(nb, inputs, {**env, part: "changed"}, course) != key


def test_environment_fingerprint_covers_python_and_installed_versions():
    env = cache.environment_fingerprint()
    assert len(env["packages"]) == 64 and env["python"]
    assert json.dumps(env)  # JSON-able: it goes into the keys


def test_library_code_a_lesson_can_run_is_an_input_and_nothing_else(course):
    setup = ["from IPython.display import Markdown",
             "from coursekit import data, plots\nfrom coursekit.checks import check"]
    names = {p.name for p in cache.input_files(course / "notebooks" / "01-timeline.ipynb", setup,
                                               course)}
    assert {"data.py", "plots.py", "checks.py", "paths.py", "errors.py", "__init__.py"} <= names
    assert not names & {"pipeline.py", "render.py", "grade.py"}
    everything = cache.library_files(["mod = importlib.import_module(name)"])
    assert {p.name for p in everything} >= {"pipeline.py", "render.py", "grade.py", "data.py"}


def test_interrupted_atomic_write_keeps_the_previous_file(tmp_path):
    target = cache.atomic_write_text(tmp_path / "deck.html", "the old deck")

    def interrupted(handle):
        handle.write("<html>half of a new de")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.atomic_write(target, interrupted)
    assert target.read_text(encoding="utf-8") == "the old deck"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.html"]  # no temporary left behind
    cache.atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
