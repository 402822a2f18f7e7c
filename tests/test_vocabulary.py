"""The runtime names the tool half analyses exist in the runtime, and the analysis uses the table."""

from __future__ import annotations

import importlib

import pytest

from coursekit.course import notebooks, vocabulary


@pytest.mark.parametrize("module", sorted(vocabulary.RUNTIME_NAMES))
def test_every_analysed_name_is_in_the_runtime_modules_all(module):
    runtime = importlib.import_module(vocabulary.RUNTIME_MODULES[module])
    named = {n for names in vocabulary.RUNTIME_NAMES[module].values() for n in names}
    missing = named - set(runtime.__all__)
    assert not missing, (f"coursekit.{module} no longer exports {sorted(missing)}: update "
                         "coursekit/course/vocabulary.py with the runtime")
    assert all(callable(getattr(runtime, n)) for n in named)


def test_a_renamed_runtime_function_would_be_caught(monkeypatch):
    # The same check against a runtime whose `load` was renamed: it must fail.
    data = importlib.import_module("coursekit.data")
    monkeypatch.setattr(data, "__all__", [n for n in data.__all__ if n != "load"])
    named = {n for names in vocabulary.RUNTIME_NAMES["data"].values() for n in names}
    assert "load" in named - set(data.__all__)


def test_the_marker_key_is_the_runtimes():
    from coursekit.results import MARKER_KEY

    assert notebooks.METADATA_KEY == MARKER_KEY == "coursekit"


def test_citing_calls_are_the_runtimes_citing_functions():
    assert vocabulary.CITING_CALLS == {"cite", "bibliography", "show"}
    assert vocabulary.CHECK in importlib.import_module("coursekit.checks").__all__
